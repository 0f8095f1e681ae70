//! Extractors whose rejections are [`AppError`]s, so axum's plain-text
//! rejections never reach a client.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts, Request},
    http::{header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::{AppState, error::AppError, jwt::Claims};

/// `axum::Json` with JSON error bodies: malformed JSON, wrong types and
/// unknown fields (with `#[serde(deny_unknown_fields)]`) are 400
/// `BAD_REQUEST`, a wrong content type 415, an oversized body 413.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

/// A JSON *object* body deserialised into `T`, with the rejections of
/// [`JsonBody`]. (Derived `Deserialize` impls also accept a JSON array of
/// the fields in order; this refuses that form.)
pub struct JsonObject<T>(pub T);

impl<S, T> FromRequest<S> for JsonObject<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let JsonBody(map) =
            JsonBody::<serde_json::Map<String, serde_json::Value>>::from_request(req, state)
                .await?;
        serde_json::from_value(serde_json::Value::Object(map))
            .map(Self)
            .map_err(|_| {
                AppError::bad_request(
                    "request body has unknown or missing fields, or a field of the wrong type",
                )
            })
    }
}

/// The client's address for rate limiting: the TCP peer (proxy headers are
/// not trusted), with IPv6 grouped by /64 since one host usually owns one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        Ok(Self(group(ip)))
    }
}

fn group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// A request carrying `Authorization: Bearer <token>` with a token this
/// server issued that is still valid (signature, `iss`, `aud`, `nbf`, `exp`).
pub struct AuthUser(pub Claims);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or(AppError::AuthRequired("missing bearer token"))?
            .to_str()
            .map_err(|_| AppError::AuthRequired("malformed Authorization header"))?;
        let (scheme, token) = value
            .split_once(' ')
            .ok_or(AppError::AuthRequired("malformed Authorization header"))?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AppError::AuthRequired("expected a bearer token"));
        }
        Ok(Self(state.tokens().verify(token.trim())?))
    }
}
