//! Shared state, middleware stack, and the serve loop with graceful shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::{JwtSettings, Verifier};
use crate::db::Db;
use crate::error::{AppError, error_response};
use crate::limits::{RateLimits, RateSettings};
use crate::metrics::Metrics;
use crate::seal::Keyring;

/// Which of the two services a process is. Its name is part of every AAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Hot,
    Shield,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Hot => "hot",
            Service::Shield => "shield",
        }
    }
}

/// Everything configurable at run time (built by the binaries from flags,
/// by tests directly).
#[derive(Debug, Clone)]
pub struct Settings {
    pub service: Service,
    pub jwt: JwtSettings,
    /// Database pool size; 0 = automatic (4 for SQLite, 16 for PostgreSQL).
    pub db_max_connections: u32,
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub concurrency_limit: usize,
    pub rate: RateSettings,
    /// Hot storage: dApp origins allowed to embed the iFrame.
    pub allowed_origins: Vec<String>,
    /// Hot storage: the Shield origin the iFrame may connect to.
    pub shield_url: String,
    /// Hot storage: lifetime of an ephemeral device after its last use.
    pub device_ttl: Duration,
    /// Hot storage: how often expired rows are deleted.
    pub sweep_interval: Duration,
    /// Hot storage: the iFrame's static files.
    pub static_dir: PathBuf,
    /// Shield: the only origin CORS allows.
    pub provider_origin: String,
}

impl Settings {
    /// The documented defaults for `service`, trusting `jwks_url`.
    pub fn defaults(service: Service, jwks_url: &str) -> Self {
        Settings {
            service,
            jwt: JwtSettings {
                jwks_url: jwks_url.to_string(),
                issuer: "http://127.0.0.1:3000".into(),
                audience: "keyframe".into(),
                cache_ttl: Duration::from_secs(300),
                min_refetch_interval: Duration::from_secs(10),
            },
            db_max_connections: 0,
            body_limit: 16 * 1024,
            request_timeout: Duration::from_secs(10),
            concurrency_limit: 1024,
            rate: RateSettings {
                ip_per_second: 2000,
                ip_burst: 4000,
                user_per_second: 100,
                user_burst: 300,
            },
            allowed_origins: vec!["http://127.0.0.1:3000".into()],
            shield_url: "http://127.0.0.1:8788".into(),
            device_ttl: Duration::from_secs(3600),
            sweep_interval: Duration::from_secs(60),
            static_dir: PathBuf::from("iframe-host"),
            provider_origin: "http://127.0.0.1:8787".into(),
        }
    }
}

pub struct Inner {
    pub service: Service,
    pub settings: Settings,
    pub db: Db,
    pub keyring: Keyring,
    pub verifier: Verifier,
    pub limits: RateLimits,
    pub metrics: Metrics,
}

/// Cheap to clone; what every handler gets.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Connects to the database, runs the service's migrations, builds the
    /// verifier and the limiters.
    pub async fn connect(
        settings: Settings,
        database_url: &str,
        keyring: Keyring,
    ) -> anyhow::Result<Self> {
        let max = match settings.db_max_connections {
            0 if database_url.starts_with("sqlite:") => 4,
            0 => 16,
            n => n,
        };
        let db = Db::connect(database_url, max).await?;
        match settings.service {
            Service::Hot => db.migrate("hot_migrations", crate::hot::MIGRATIONS).await?,
            Service::Shield => {
                db.migrate("shield_migrations", crate::shield::MIGRATIONS)
                    .await?
            }
        }
        Self::new(settings, db, keyring)
    }

    pub fn new(settings: Settings, db: Db, keyring: Keyring) -> anyhow::Result<Self> {
        Ok(AppState(Arc::new(Inner {
            service: settings.service,
            verifier: Verifier::new(settings.jwt.clone())?,
            limits: RateLimits::new(settings.rate),
            metrics: Metrics::default(),
            settings,
            db,
            keyring,
        })))
    }
}

/// `GET /healthz`: 200 `{ ok: true }` when the database answers, else 503.
pub async fn healthz(State(state): State<AppState>) -> Response {
    if state.db.ping().await {
        axum::Json(serde_json::json!({ "ok": true, "service": state.service.name() }))
            .into_response()
    } else {
        AppError::Unavailable.into_response()
    }
}

/// JSON 404 for unknown routes.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

pub async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// Rewrites any error response that is not already JSON (from a tower
/// layer or the static-file service) into the `{ error: { code, message } }`
/// shape, keeping its status and `Retry-After`.
async fn json_errors(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("NOT_FOUND", "not found"),
        StatusCode::PAYLOAD_TOO_LARGE => ("PAYLOAD_TOO_LARGE", "request body too large"),
        StatusCode::UNAUTHORIZED => ("AUTH_REQUIRED", "a valid bearer token is required"),
        StatusCode::TOO_MANY_REQUESTS => ("RATE_LIMITED", "too many requests"),
        StatusCode::REQUEST_TIMEOUT => ("TIMEOUT", "the request took too long"),
        StatusCode::SERVICE_UNAVAILABLE => {
            ("UNAVAILABLE", "the service is overloaded or shutting down")
        }
        s if s.is_client_error() => ("BAD_REQUEST", "bad request"),
        _ => ("INTERNAL", "internal error"),
    };
    let retry = resp.headers().get(header::RETRY_AFTER).cloned();
    let mut out = error_response(status, code, message);
    if let Some(r) = retry {
        out.headers_mut().insert(header::RETRY_AFTER, r);
    }
    out
}

async fn handle_layer_error(err: tower::BoxError) -> AppError {
    if err.is::<tower::timeout::error::Elapsed>() {
        AppError::Timeout
    } else if err.is::<tower::load_shed::error::Overloaded>() {
        AppError::Unavailable
    } else {
        AppError::Internal(anyhow::anyhow!("middleware error: {err}"))
    }
}

/// Headers sent on every response of both services.
async fn security_headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/v1/") || req.uri().path().starts_with("/v2/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if api {
        // API answers carry shares and ciphertexts: never cache them.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

/// Wraps a service's routes with the common stack (outermost first):
/// trace → security headers → metrics → timeout/load-shed/concurrency →
/// JSON error shape → body limit → per-IP rate limit.
pub fn with_common_layers(router: Router<AppState>, state: &AppState) -> Router {
    let s = &state.settings;
    router
        .layer(middleware::from_fn_with_state(state.clone(), crate::limits::ip_limit))
        .layer(DefaultBodyLimit::max(s.body_limit))
        .layer(middleware::from_fn(json_errors))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(handle_layer_error))
                .load_shed()
                .layer(GlobalConcurrencyLimitLayer::new(s.concurrency_limit))
                .timeout(s.request_timeout),
        )
        .layer(middleware::from_fn_with_state(state.clone(), crate::metrics::track))
        .layer(middleware::from_fn(security_headers))
        .layer(
            TraceLayer::new_for_http()
                // Method and path only: never headers (Authorization) or bodies.
                .make_span_with(|req: &Request| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state.clone())
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains
/// in-flight requests.
pub async fn serve<F>(listener: TcpListener, app: Router, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; draining");
}
