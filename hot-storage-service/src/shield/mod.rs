//! Shield (cold storage): the `/v1/cold-shares` API (docs/api.md), its
//! store, and its router. CORS allows only the provider origin.
//!
//! * [`store`]: schema, SQL, sealing AAD (what `reseal` needs too);
//! * [`handlers`]: the routes and their wire types.

pub mod handlers;
pub mod store;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub use store::{MIGRATIONS, ShieldStore};

pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/cold-shares"),
    ("get", "/v1/cold-shares/{wallet}"),
    ("put", "/v1/cold-shares/{wallet}"),
    ("delete", "/v1/cold-shares/{wallet}"),
    ("put", "/v1/cold-shares/{wallet}/authority"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
];

impl FromRef<AppState> for ShieldStore {
    fn from_ref(s: &AppState) -> ShieldStore {
        ShieldStore {
            db: s.db.clone(),
            keyring: s.keyring.clone(),
            metrics: s.metrics.clone(),
        }
    }
}

/// The API routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::create))
        .routes(routes!(handlers::read, handlers::replace, handlers::remove))
        .routes(routes!(handlers::register_authority))
}

/// The Shield router: API, health, metrics, OpenAPI; CORS for the
/// provider origin only.
pub fn app(state: AppState) -> Router {
    let doc = crate::openapi::Doc {
        title: "Keyframe Shield (cold storage)",
        description: "Cold-share ciphertexts of Keyframe wallets; see docs/api.md. CORS allows only the provider origin.",
        server: "http://127.0.0.1:8788",
    };
    let api = crate::openapi::with_ops(api(), &doc)
        .method_not_allowed_fallback(crate::server::method_not_allowed)
        .fallback(crate::server::not_found);
    let router = crate::server::with_common_layers(api, &state);
    let origin = HeaderValue::from_str(state.settings.provider_origin.trim_end_matches('/'))
        .map(|o| AllowOrigin::list([o]))
        .unwrap_or_else(|_| AllowOrigin::list(Vec::<HeaderValue>::new()));
    router
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
                // `DPoP`: the proof every request carries (crate::dpop);
                // `Keyframe-Authority`: the wallet's signature (crate::authority);
                // `traceparent`: the iFrame's trace (crate::telemetry).
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    HeaderName::from_static("dpop"),
                    HeaderName::from_static("keyframe-authority"),
                    HeaderName::from_static("traceparent"),
                ])
                .max_age(std::time::Duration::from_secs(600)),
        )
}
