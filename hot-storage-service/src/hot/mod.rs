//! Hot storage: the `/v2/...` share API (docs/api.md), its store and its
//! sweeper, and the router that serves them beside the iFrame's static
//! files.
//!
//! * [`store`]: schema, SQL, sealing AAD (what `reseal` needs too);
//! * [`cap`]: the device cap per wallet;
//! * [`wire`]: request and response bodies;
//! * [`handlers`]: the wallet routes and the checks every route shares;
//! * [`share_routes`]: a device's share (create, register, recover,
//!   refresh, commit);
//! * [`primary_routes`]: the recovery pair's share (device nil);
//! * [`device_routes`]: listing and revoking devices;
//! * [`policy`]: the policy simulator (`/v2/policy/simulate`);
//! * [`policy_store`], [`policy_gate`], [`policy_routes`]: the policy's
//!   state (usage, user rules, activity log), its enforcement at
//!   `recover`, and its other routes;
//! * [`sweeper`]: deletion of expired devices (ephemeral past their TTL,
//!   any device past its idle limit), old activity and old usage.

pub mod activity_store;
pub mod cap;
pub mod device_routes;
pub mod handlers;
pub mod policy;
pub mod policy_batch;
pub mod policy_gate;
pub mod policy_routes;
pub mod policy_store;
pub mod primary_routes;
pub mod reseal;
pub mod share_routes;
pub mod store;
pub mod sweeper;
pub mod wire;

use axum::Router;
use axum::extract::FromRef;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
pub use activity_store::{move_recent_activity, spawn_activity_mover};
pub use store::{HotStore, MIGRATIONS};
pub use sweeper::{spawn_sweeper, sweep_expired};

/// Every route of the hot-storage API (method, path). The OpenAPI test
/// checks each appears in `/openapi.json`.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/v2/config"),
    ("get", "/v2/tokens"),
    ("get", "/v2/wallet"),
    ("post", "/v2/wallet/authority"),
    ("post", "/v2/devices/create"),
    ("post", "/v2/devices/register"),
    ("post", "/v2/devices/recover"),
    ("post", "/v2/devices/refresh"),
    ("post", "/v2/devices/commit"),
    ("post", "/v2/devices/list"),
    ("post", "/v2/devices/revoke"),
    ("post", "/v2/policy/simulate"),
    ("get", "/v2/policy"),
    ("put", "/v2/policy/user-rules"),
    ("post", "/v2/policy/approvals"),
    ("post", "/v2/activity"),
    ("get", "/v2/activity"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
];

impl FromRef<AppState> for HotStore {
    fn from_ref(s: &AppState) -> HotStore {
        HotStore {
            db: s.db.clone(),
            keyring: s.keyring.clone(),
            metrics: s.metrics.clone(),
            device_ttl_ms: s.settings.device_ttl.as_millis() as i64,
            device_idle_ms: i64::try_from(s.settings.device_idle.as_millis()).unwrap_or(i64::MAX),
            max_devices: s.settings.max_devices_per_wallet,
        }
    }
}

/// The API routes with their OpenAPI description.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(handlers::config))
        .routes(routes!(handlers::tokens))
        .routes(routes!(handlers::wallet))
        .routes(routes!(handlers::register_authority))
        .routes(routes!(share_routes::create))
        .routes(routes!(share_routes::register))
        .routes(routes!(share_routes::recover))
        .routes(routes!(share_routes::refresh))
        .routes(routes!(share_routes::commit))
        .routes(routes!(device_routes::list))
        .routes(routes!(device_routes::revoke))
        .routes(routes!(policy::simulate))
        .routes(routes!(policy_routes::state))
        .merge(
            // A rule set of USER_RULES_MAX_BYTES, escaped inside the JSON
            // body, must fit whatever the general body limit is.
            OpenApiRouter::new()
                .routes(routes!(policy_routes::put_user_rules))
                .layer(axum::extract::DefaultBodyLimit::max(
                    policy_routes::USER_RULES_BODY_LIMIT,
                )),
        )
        .routes(routes!(policy_routes::approvals))
        .routes(routes!(policy_routes::report, policy_routes::list))
}

/// The hot-storage router: API, health, metrics, OpenAPI, and the iFrame's
/// static files as the fallback.
pub fn app(state: AppState) -> Router {
    let doc = crate::openapi::Doc {
        title: "Keyframe hot storage",
        description: "Hot shares of Keyframe wallets; see docs/api.md. The iFrame's static files are served at / (not listed).",
        server: "http://127.0.0.1:8787",
    };
    // One queue of policy judgements per router (crate::hot::policy_batch).
    let batches = Arc::new(policy_batch::PolicyBatches::new(
        state.db.clone(),
        state.metrics.clone(),
    ));
    let api = crate::openapi::with_ops(api().layer(axum::Extension(batches)), &doc)
        .method_not_allowed_fallback(crate::server::method_not_allowed)
        .fallback_service(crate::static_files::service(&state.settings.static_dir));
    let router = crate::server::with_common_layers(api, &state);
    crate::static_files::with_headers(router, &state.settings)
}
