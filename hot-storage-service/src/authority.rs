//! The wallet's own authority, verified (docs/api.md, "Wallet authority").
//!
//! A request that cannot be undone — revoking or registering a device,
//! storing or committing a share at hot storage, replacing or deleting the
//! cold share at Shield — must carry, besides the bearer token, a
//! `Keyframe-Authority` header: a signature by the wallet's registered
//! authority key over the exact method, target, body, time and nonce
//! (keyframe_wire::authority defines the bytes). A token alone, whoever
//! holds it, can then no longer destroy or re-key a wallet.
//!
//! [`Signed`] is the body extractor of those handlers: it gives the handler
//! the parsed JSON and keeps what the signature must cover (method, target
//! and the raw bytes received). [`Proof::verify`] checks it against the
//! wallet's key once the handler has loaded the wallet. Every refusal is
//! 403 `AUTHORITY_REQUIRED` and happens before anything changes.

use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Request};
use axum::http::Method;
use ed25519_dalek::{Signature, VerifyingKey};
use keyframe_wire::authority::{AuthorityHeader, AuthorityKey, HEADER, MAX_SKEW_SECS};
use serde::de::DeserializeOwned;

use crate::db::{Db, now_ms};
use crate::error::{AppError, AppResult};
use crate::extract::{json_bytes, parse_json};
use crate::replay::{Scope, first_use};
use crate::types::WalletId;

/// What a signature must cover: the request as the server received it.
pub struct Proof {
    method: Method,
    target: String,
    body: Bytes,
    header: Option<String>,
}

/// A JSON body (with the mapping of crate::extract::Json) and the
/// [`Proof`] its request carries.
pub struct Signed<T> {
    pub body: T,
    pub proof: Proof,
}

impl Proof {
    /// Reads the parts a signature covers; `body` is what was received.
    fn from_parts(parts: &axum::http::request::Parts, body: Bytes) -> Proof {
        // The target as the client sent it: `OriginalUri` survives nesting.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(&parts.uri, |o| &o.0);
        let target = uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned());
        Proof {
            method: parts.method.clone(),
            target,
            body,
            header: parts
                .headers
                .get(HEADER)
                .map(|v| v.to_str().map(str::to_owned).unwrap_or_default()),
        }
    }

    /// Checks the signature against the wallet's registered key: present
    /// and well-formed, within [`MAX_SKEW_SECS`] of this server's clock,
    /// valid (`verify_strict`) over this very request, and its nonce never
    /// seen before for this wallet (recorded in the replay table, so every
    /// replica on one database refuses a replay). A wallet with no key
    /// registered is refused too: it must register one first
    /// (`POST /v2/wallet/authority`, `PUT /v1/cold-shares/{wallet}/authority`).
    #[tracing::instrument(name = "authority.verify", skip_all)]
    pub async fn verify(
        &self,
        db: &Db,
        registered: Option<&str>,
        wallet: &WalletId,
    ) -> AppResult<()> {
        let refuse = |why: &'static str| {
            tracing::info!(wallet = wallet.to_string(), why, "authority refused");
            Err(AppError::AuthorityRequired(why))
        };
        let Some(registered) = registered else {
            return refuse("this wallet has no authority key registered");
        };
        let Ok(key) = registered.parse::<AuthorityKey>() else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "a stored authority key does not parse"
            )));
        };
        let Some(value) = &self.header else {
            return refuse("the Keyframe-Authority header is missing");
        };
        let Ok(header) = AuthorityHeader::parse(value) else {
            return refuse("the Keyframe-Authority header is malformed");
        };
        let now_secs = u64::try_from(now_ms() / 1000).unwrap_or(0);
        if !header.is_fresh(now_secs) {
            return refuse("the authority signature's time is outside the window");
        }
        let Ok(verifying) = VerifyingKey::from_bytes(key.as_bytes()) else {
            return refuse("the registered authority key is not a valid point");
        };
        let message = header.message(self.method.as_str(), &self.target, &self.body);
        if verifying
            .verify_strict(&message, &Signature::from_bytes(&header.sig))
            .is_err()
        {
            return refuse("the authority signature does not verify");
        }
        // Kept until the signature's time can no longer pass the window,
        // and a margin for replicas' clocks.
        let expires = crate::replay::keep_until_ms(header.t.saturating_add(MAX_SKEW_SECS));
        let id = format!("{wallet}:{}", header.nonce);
        if !first_use(db, Scope::Authority, &id, expires).await? {
            return refuse("the authority signature's nonce was used before");
        }
        Ok(())
    }
}

impl<S, T> FromRequest<S> for Signed<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let (parts, body) = req.into_parts();
        let bytes = json_bytes(Request::from_parts(parts.clone(), body), state).await?;
        let body = parse_json(&bytes)?;
        Ok(Signed {
            body,
            proof: Proof::from_parts(&parts, bytes),
        })
    }
}

/// The [`Proof`] of a request without a body (`DELETE`): whatever body
/// came is hashed as received (an empty one in practice).
impl<S: Send + Sync> FromRequest<S> for Proof {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rej| {
                if rej.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest("could not read the request body".into())
                }
            })?;
        Ok(Proof::from_parts(&parts, bytes))
    }
}
