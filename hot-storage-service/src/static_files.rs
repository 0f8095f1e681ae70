//! The iFrame's static files (`--static-dir`, default `iframe-host/`), served
//! by the hot-storage process at `/` with a strict CSP.
//!
//! `Content-Security-Policy: default-src 'none'; script-src 'self'
//! 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; connect-src 'self'
//! <shield origin>; frame-ancestors <allowed dApp origins>; base-uri 'none';
//! form-action 'none'`, plus `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: no-referrer` (set on every response by the server).
//! `.wasm` is served as `application/wasm` (from the MIME table).

use std::path::Path;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::server::Settings;

/// A `ServeDir` whose misses answer the JSON 404.
pub fn service(dir: &Path) -> ServeDir<axum::routing::MethodRouter> {
    ServeDir::new(dir)
        .append_index_html_on_directories(true)
        .fallback(axum::routing::any(crate::server::not_found))
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
