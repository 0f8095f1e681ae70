//! The iFrame's static files (`--static-dir`, default `iframe-host/`), served
//! by the hot-storage process at `/` with a strict CSP.
//!
//! `Content-Security-Policy: default-src 'none'; script-src 'self'
//! 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; connect-src 'self'
//! <shield origin>; frame-ancestors <allowed dApp origins>; base-uri 'none';
//! form-action 'none'`, plus `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: no-referrer` (set on every response by the server).
//! `.wasm` is served as `application/wasm` (from the MIME table).
//!
//! Compressed where the build left a compressed copy: scripts/build.sh
//! writes `X.br` (Brotli) and `X.gz` (gzip) beside the iFrame's page,
//! script and style and beside each file of `pkg/` (the signer's WASM and
//! its glue JS, 99 % of the bytes), and a request whose `Accept-Encoding`
//! allows it gets that copy with `Content-Encoding` and `Vary:
//! Accept-Encoding` (tower-http's `ServeDir` negotiates). Nothing is
//! compressed per request. A copy that does not decode to the file beside
//! it would break the iFrame for every browser that takes it, so
//! [`check_precompressed`] refuses to start on one.
//!
//! The built host SDK is also served, for pages that import it straight from
//! the provider (docs/quickstart.md): `/sdk/keyframe-sdk.js` (the ESM bundle
//! `sdk/dist/keyframe-sdk.min.js` under the static folder) and
//! `/sdk/keyframe-sdk.d.ts` (its declarations), with
//! `Access-Control-Allow-Origin: *`, `Cache-Control: no-cache` and an `ETag`.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context as _;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::server::Settings;

/// Public path → (file in `<static dir>/sdk/dist`, content type).
pub const SDK_FILES: [(&str, &str, &str); 4] = [
    (
        "/sdk/keyframe-sdk.js",
        "keyframe-sdk.min.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/sdk/keyframe-sdk.d.ts",
        "keyframe-sdk.min.d.ts",
        "application/typescript; charset=utf-8",
    ),
    // The Solana Wallet Standard wallet, a module of its own.
    (
        "/sdk/keyframe-solana.js",
        "keyframe-solana.min.js",
        "text/javascript; charset=utf-8",
    ),
    (
        "/sdk/keyframe-solana.d.ts",
        "keyframe-solana.min.d.ts",
        "application/typescript; charset=utf-8",
    ),
];

/// The static files: the SDK's two routes, then a `ServeDir` whose misses
/// answer the JSON 404.
pub fn service(dir: &Path) -> Router {
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true)
        .fallback(axum::routing::any(crate::server::not_found));
    let mut router = Router::new();
    for (route, file, content_type) in SDK_FILES {
        let path = dir.join("sdk").join("dist").join(file);
        router = router.route(
            route,
            get(move |headers: HeaderMap| sdk_file(path.clone(), content_type, headers)),
        );
    }
    router.fallback_service(files)
}

/// The suffixes of the compressed copies `ServeDir` serves (Brotli, gzip).
const PRECOMPRESSED: [&str; 2] = ["br", "gz"];

/// Checks every compressed copy in `dir` and below (`X.br`, `X.gz` beside
/// an `X`) decodes to exactly the bytes of `X`; returns how many were
/// checked. A missing folder or one without copies passes. Folders reached
/// through a symbolic link are not walked (no loops).
pub fn check_precompressed(dir: &Path) -> anyhow::Result<usize> {
    let mut checked = 0;
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                folders.push(path);
                continue;
            }
            let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
                continue;
            };
            if !PRECOMPRESSED.contains(&ext) {
                continue;
            }
            let original = path.with_extension("");
            // A `.gz` with nothing beside it is a file of its own.
            let Ok(expected) = std::fs::read(&original) else {
                continue;
            };
            let copy = std::fs::File::open(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            if !decodes_to(ext, copy, &expected) {
                anyhow::bail!(
                    "{} does not decode to {}: the static files were changed without scripts/build.sh, which writes both",
                    path.display(),
                    original.display()
                );
            }
            checked += 1;
        }
    }
    Ok(checked)
}

/// Does `copy`, encoded as `ext` says, decode to `expected` (and end there)?
fn decodes_to(ext: &str, copy: std::fs::File, expected: &[u8]) -> bool {
    use std::io::Read;
    let copy = std::io::BufReader::new(copy);
    let mut decoded = Vec::with_capacity(expected.len());
    // One byte past the expected length is enough to see a longer file.
    let limit = u64::try_from(expected.len())
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let read = match ext {
        "br" => brotli_decompressor::Decompressor::new(copy, 64 << 10)
            .take(limit)
            .read_to_end(&mut decoded),
        "gz" => flate2::read::MultiGzDecoder::new(copy)
            .take(limit)
            .read_to_end(&mut decoded),
        // A suffix added to PRECOMPRESSED without its decoder fails.
        _ => return false,
    };
    read.is_ok() && decoded == expected
}

/// One SDK file. `Access-Control-Allow-Origin: *` because a page on another
/// origin imports it as a module script, which is fetched in CORS mode and
/// refused without it; `*` is safe here (and only here): the file is public,
/// the same for everyone, and `*` never covers credentialed requests. The
/// URL carries no version, so caches revalidate every time (`no-cache`; a
/// 304 when the `ETag`, from size and mtime, still matches).
async fn sdk_file(path: PathBuf, content_type: &'static str, req: HeaderMap) -> Response {
    let Ok(meta) = tokio::fs::metadata(&path).await else {
        return AppError::NotFound.into_response();
    };
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let etag = format!("\"{:x}-{mtime:x}\"", meta.len());
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    if matches_etag(&req, &etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let Ok(body) = tokio::fs::read(&path).await else {
        return AppError::NotFound.into_response();
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    (headers, body).into_response()
}

/// Does the request's `If-None-Match` name `etag`?
fn matches_etag(req: &HeaderMap, etag: &str) -> bool {
    req.get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// A public answer kept in memory (the token list): `Cache-Control:
/// no-cache` and `etag`, and a 304 without a body when the request's
/// `If-None-Match` names it.
pub fn cached(req: &HeaderMap, etag: &str, content_type: &'static str, body: String) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, v);
    }
    if matches_etag(req, etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    (headers, body).into_response()
}

/// The origin (`scheme://host[:port]`) of a URL, for CSP source lists
/// (empty if it has none).
fn origin_of(url: &str) -> String {
    crate::config::origin(url).unwrap_or_default()
}

/// The iFrame page's CSP for these settings.
pub fn csp(settings: &Settings) -> String {
    let ancestors: Vec<String> = settings
        .allowed_origins
        .iter()
        .map(|o| origin_of(o))
        .filter(|o| !o.is_empty() && !o.contains([';', ',', ' ', '\'']))
        .collect();
    let ancestors = if ancestors.is_empty() {
        "'none'".to_string()
    } else {
        ancestors.join(" ")
    };
    let shield = origin_of(&settings.shield_url);
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; \
         connect-src 'self' {shield}; frame-ancestors {ancestors}; base-uri 'none'; form-action 'none'"
    )
}

/// Adds the CSP to every response of the hot-storage router.
pub fn with_headers(router: Router, settings: &Settings) -> Router {
    let csp = HeaderValue::from_str(&csp(settings))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    router.layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        csp,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::server::Service;

    #[test]
    fn csp_uses_origins_only() {
        let mut s = Settings::defaults(Service::Hot, "http://x/jwks");
        s.allowed_origins = vec![
            "https://a.example/".into(),
            "https://b.example:8443/path".into(),
            "bad; script-src *".into(),
        ];
        s.shield_url = "https://shield.example/api/".into();
        let c = csp(&s);
        assert!(
            c.contains("frame-ancestors https://a.example https://b.example:8443;"),
            "{c}"
        );
        assert!(
            c.contains("connect-src 'self' https://shield.example;"),
            "{c}"
        );
        assert!(!c.contains("script-src *"), "{c}");
    }
}
