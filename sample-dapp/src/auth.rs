//! Sign-up, login and refresh.

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};

use crate::{
    AppState,
    error::AppError,
    extract::{AuthUser, ClientIp, JsonObject},
    jwt::now_secs,
};

pub const USERNAME_MIN_CHARS: usize = 3;
pub const USERNAME_MAX_CHARS: usize = 64;
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Bounds the hashing work one request can ask for.
pub const PASSWORD_MAX_BYTES: usize = 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    username: String,
    password: String,
}

#[derive(Serialize)]
pub struct TokenResponse {
    token: String,
}

/// A username as stored (trimmed) and as compared (also lower-cased).
struct Username {
    display: String,
    norm: String,
}

fn parse_username(raw: &str) -> Result<Username, AppError> {
    let display = raw.trim();
    let chars = display.chars().count();
    if !(USERNAME_MIN_CHARS..=USERNAME_MAX_CHARS).contains(&chars) {
        return Err(AppError::bad_request(format!(
            "username must be {USERNAME_MIN_CHARS} to {USERNAME_MAX_CHARS} characters"
        )));
    }
    if display.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "username must not contain control characters",
        ));
    }
    Ok(Username {
        display: display.to_owned(),
        norm: display.to_lowercase(),
    })
}

fn check_password_size(password: &str) -> Result<(), AppError> {
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(AppError::bad_request(format!(
            "password must be at most {PASSWORD_MAX_BYTES} bytes"
        )));
    }
    Ok(())
}

/// Argon2id with the crate defaults (m = 19456 KiB, t = 2, p = 1), run off
/// the async threads and at most a few at a time (each takes ~19 MiB).
pub struct PasswordHashing {
    permits: tokio::sync::Semaphore,
    /// Verified against on unknown usernames so that an unknown user and a
    /// wrong password take the same time.
    dummy_hash: String,
}

impl PasswordHashing {
    pub async fn new() -> Result<Self, AppError> {
        let parallel = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let mut this = Self {
            permits: tokio::sync::Semaphore::new(parallel * 2),
            dummy_hash: String::new(),
        };
        this.dummy_hash = this.hash("keyframe-dummy-password".into()).await?;
        Ok(this)
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(AppError::internal)
        })
        .await
        .map_err(AppError::internal)?
    }

    /// `true` if `password` matches `phc`; with `None`, checks against the
    /// dummy hash and returns `false`.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, AppError> {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy_hash.clone());
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let matches = tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&phc).map_err(AppError::internal)?;
            Ok::<_, AppError>(
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok(),
            )
        })
        .await
        .map_err(AppError::internal)??;
        Ok(known && matches)
    }
}

/// `POST /api/auth/signup` `{ username, password }` → `{ token }`.
pub async fn signup(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonObject(body): JsonObject<Credentials>,
) -> Result<Json<TokenResponse>, AppError> {
    let limits = state.limits();
    limits.signup_ip.check(&ip.0)?;
    let username = parse_username(&body.username)?;
    limits.signup_username.check(&username.norm)?;
    check_password_size(&body.password)?;
    if body.password.chars().count() < PASSWORD_MIN_CHARS {
        return Err(AppError::bad_request(format!(
            "password must be at least {PASSWORD_MIN_CHARS} characters"
        )));
    }

    let hash = state.passwords().hash(body.password).await?;
    let id = crate::random_uuid()?.to_string();
    let now = now_secs();
    let inserted = sqlx::query(
        "INSERT INTO users (id, username, username_norm, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(&username.display)
    .bind(&username.norm)
    .bind(&hash)
    .bind(i64::try_from(now).unwrap_or(i64::MAX))
    .execute(state.db())
    .await;
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(AppError::UsernameTaken);
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user = %id, "signed up");
    Ok(Json(TokenResponse {
        token: state.tokens().issue(&id, now)?,
    }))
}

/// `POST /api/auth/login` `{ username, password }` → `{ token }`.
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    JsonObject(body): JsonObject<Credentials>,
) -> Result<Json<TokenResponse>, AppError> {
    let limits = state.limits();
    limits.login_ip.check(&ip.0)?;
    check_password_size(&body.password)?;
    // An impossible username is just an unknown user (same answer, same time).
    let norm = parse_username(&body.username).ok().map(|u| u.norm);
    if let Some(norm) = &norm {
        limits.login_username.check(norm)?;
    }
    let row: Option<(String, String)> = match &norm {
        Some(norm) => {
            sqlx::query_as("SELECT id, password_hash FROM users WHERE username_norm = ?")
                .bind(norm)
                .fetch_optional(state.db())
                .await?
        }
        None => None,
    };
    let (id, phc) = match row {
        Some((id, phc)) => (Some(id), Some(phc)),
        None => (None, None),
    };
    let ok = state.passwords().verify(body.password, phc).await?;
    match (ok, id) {
        (true, Some(id)) => {
            tracing::info!(user = %id, "logged in");
            Ok(Json(TokenResponse {
                token: state.tokens().issue(&id, now_secs())?,
            }))
        }
        _ => Err(AppError::InvalidCredentials),
    }
}

/// `POST /api/auth/refresh` (Bearer: a still-valid token) → `{ token }`.
/// The new token keeps `auth_time` and expires no later than the session
/// (`--max-session-seconds` after the password login); from then on a
/// refresh is 401 `SESSION_EXPIRED` and the user must log in again, so a
/// stolen token cannot be refreshed into a longer session.
pub async fn refresh(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Json<TokenResponse>, AppError> {
    if now_secs() >= state.tokens().session_deadline(claims.auth_time) {
        return Err(AppError::SessionExpired);
    }
    state.require_user(&claims.sub).await?;
    Ok(Json(TokenResponse {
        token: state.tokens().issue(&claims.sub, claims.auth_time)?,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn usernames() {
        let u = parse_username("  Alice  ").unwrap();
        assert_eq!((u.display.as_str(), u.norm.as_str()), ("Alice", "alice"));
        assert!(parse_username("ab").is_err());
        assert!(parse_username("  ab  ").is_err());
        assert!(parse_username(&"x".repeat(65)).is_err());
        assert!(parse_username(&"é".repeat(64)).is_ok());
        assert!(parse_username("a\u{0}bc").is_err());
    }
}

/// `POST /api/keyframe-tokens` body: the thumbprint the iFrame reports
/// (`keyframe_status.dpopJkt`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyframeTokensRequest {
    jkt: String,
}

/// One token per Keyframe service, each bound to the iFrame's key.
#[derive(Serialize)]
pub struct KeyframeTokens {
    hot: String,
    shield: String,
}

/// `POST /api/keyframe-tokens` (this server's session) `{ jkt }` →
/// `{ hot, shield }`: tokens for hot storage and Shield, each with its own
/// audience (a token captured at one service opens neither the other nor
/// this server), bound by `cnf.jkt` to the iFrame's DPoP key (useless
/// without it), and never outliving the session they come from.
pub async fn keyframe_tokens(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
    JsonObject(body): JsonObject<KeyframeTokensRequest>,
) -> Result<Json<KeyframeTokens>, AppError> {
    // RFC 7638 SHA-256 thumbprints are 43 base64url characters.
    let jkt = body.jkt;
    if jkt.len() != 43
        || !jkt
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::bad_request(
            "jkt must be a JWK SHA-256 thumbprint (43 base64url characters)",
        ));
    }
    state.require_user(&claims.sub).await?;
    let config = state.config();
    let issue = |aud: &str| {
        state
            .tokens()
            .issue_for(&claims.sub, claims.auth_time, aud, Some(&jkt))
    };
    Ok(Json(KeyframeTokens {
        hot: issue(&config.hot_storage_audience)?,
        shield: issue(&config.shield_audience)?,
    }))
}
