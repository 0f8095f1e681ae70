//! A JSON extractor whose every rejection is an [`AppError`], so axum's
//! plain-text rejections never reach a client.
//!
//! Error messages name the offending field path only; they never echo the
//! submitted values (which could be share bytes).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// `Json<T>` for request bodies: checks the content type, honours the body
/// limit (413 `PAYLOAD_TOO_LARGE`), maps syntax, type and unknown-field errors
/// to 400 `BAD_REQUEST` (a wrong content type is 415 `BAD_REQUEST`).
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        parse_json(&bytes).map(Json)
    }
}

/// The raw bytes of a JSON body, with the checks of [`Json`] (content type,
/// body limit) but not yet parsed: crate::authority hashes exactly these.
pub async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json"
        })
        .unwrap_or(false);
    let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest("could not read the request body".into())
        }
    })?;
    if !is_json {
        return Err(AppError::BadRequestStatus(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected Content-Type: application/json".into(),
        ));
    }
    Ok(bytes)
}

/// Parses a JSON body into `T` with the error mapping described on [`Json`].
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            use serde_json::error::Category;
            match inner.classify() {
                Category::Syntax | Category::Eof | Category::Io => {
                    Err(AppError::BadRequest("malformed JSON body".into()))
                }
                Category::Data => {
                    let text = inner.to_string();
                    let what = if text.starts_with("unknown field") {
                        "unknown field"
                    } else if text.starts_with("missing field") {
                        "missing field"
                    } else {
                        "invalid value"
                    };
                    let where_ = if path == "." {
                        String::new()
                    } else {
                        format!(" at `{path}`")
                    };
                    // For a missing or unknown field serde names it; that name
                    // is safe to echo, the value never is.
                    let field = text
                        .split('`')
                        .nth(1)
                        .filter(|_| what != "invalid value")
                        .map(|f| format!(" `{}`", f.chars().take(64).collect::<String>()))
                        .unwrap_or_default();
                    Err(AppError::BadRequest(format!("{what}{field}{where_}")))
                }
            }
        }
    }
}
