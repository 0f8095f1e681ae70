//! Keyframe sample dApp server.
//!
//! * `POST /api/auth/signup`, `POST /api/auth/login` — `{ username, password }` → `{ token }`
//! * `POST /api/auth/refresh` (Bearer) → `{ token }` (this server's own
//!   session tokens, `aud` `--audience`; Keyframe's services refuse them)
//! * `POST /api/keyframe-tokens` (Bearer) `{ jkt }` → `{ hot, shield }`:
//!   one token per Keyframe service, bound to the iFrame's DPoP key
//! * `GET /.well-known/jwks.json` — the Ed25519 public key
//! * `GET /api/recovery-key` (Bearer) → `{ key }` — see [`recovery`]
//! * `POST /api/faucet` (Bearer) `{ address }` → `{ txHash }`
//! * `POST /api/rpc` — narrow JSON-RPC proxy to the dev node
//! * `GET /api/config` → `{ providerOrigin, chainId }`
//! * `GET /healthz`
//! * with `--approval-secret`: `POST /approvals/webhook` (hot storage's
//!   approval webhook), `GET /approvals` and `POST /approvals/{id}` (the
//!   operator's page) — see [`approvals`]
//! * static: `--web-dir` at `/`, `--sdk-dir` at `/sdk/`
//!
//! `/api/*` answers CORS requests from `--cors-origins` only (none by default).
//!
//! Errors are `{ "error": { "code", "message" } }` ([`error::AppError`]).

pub mod approvals;
pub mod approvals_page;
pub mod auth;
pub mod config;
pub mod error;
pub mod eth;
pub mod extract;
pub mod jwt;
pub mod keys;
pub mod limits;
pub mod recovery;
pub mod webhook;

use std::{future::Future, net::SocketAddr, str::FromStr, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderName, HeaderValue, Method, StatusCode, header},
    middleware,
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::json;
use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    limit::RequestBodyLimitLayer,
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use zeroize::Zeroizing;

pub use config::Config;
use error::AppError;

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Shared state: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: Config,
    db: SqlitePool,
    tokens: jwt::TokenIssuer,
    recovery_master: Zeroizing<[u8; 32]>,
    passwords: auth::PasswordHashing,
    limits: Arc<limits::Limits>,
    node: eth::Node,
    csp: HeaderValue,
    cors: Vec<HeaderValue>,
    approvals: Option<Arc<approvals::Desk>>,
}

/// Why the server could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// `map_err` helper: `context: error`.
fn ctx<E: std::fmt::Display>(context: &str) -> impl FnOnce(E) -> StartError + '_ {
    move |e| StartError(format!("{context}: {e}"))
}

impl AppState {
    /// Opens the data folder (creating keys on first start), the database
    /// (running migrations) and the node client.
    pub async fn open(config: Config) -> Result<Self, StartError> {
        keys::ensure_data_dir(&config.data_dir)
            .map_err(|e| StartError(format!("data folder {}: {e}", config.data_dir.display())))?;
        let signing = keys::load_or_create_key(&config.data_dir, keys::SIGNING_KEY_FILE)
            .map_err(ctx("JWT signing key"))?;
        let recovery_master =
            keys::load_or_create_key(&config.data_dir, keys::RECOVERY_MASTER_KEY_FILE)
                .map_err(ctx("recovery master key"))?;

        let options = match &config.database_url {
            Some(url) => SqliteConnectOptions::from_str(url).map_err(ctx("--database-url"))?,
            None => SqliteConnectOptions::new()
                .filename(config.data_dir.join("sample-dapp.sqlite"))
                .create_if_missing(true),
        }
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
        let db = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(ctx("opening the database"))?;
        sqlx::migrate!("./migrations")
            .run(&db)
            .await
            .map_err(ctx("database migrations"))?;

        let provider = reqwest::Url::parse(&config.provider_origin)
            .map_err(ctx("--provider-origin"))?
            .origin();
        if !provider.is_tuple() {
            return Err(StartError(
                "--provider-origin must be an http(s) origin".into(),
            ));
        }
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; frame-src {}; object-src 'none'; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            provider.ascii_serialization()
        );
        let csp = HeaderValue::from_str(&csp).map_err(ctx("CSP"))?;
        let cors = cors_origins(&config.cors_origins)?;
        let approvals = match &config.approval_secret {
            Some(secret) if !secret.expose().trim().is_empty() => Some(Arc::new(
                approvals::Desk::new(webhook::parse_secret(secret.expose()).map_err(StartError)?),
            )),
            _ => None,
        };

        let node = eth::Node::new(
            &config.rpc_url,
            Duration::from_secs(config.rpc_timeout_seconds.max(1)),
        )
        .map_err(StartError)?;
        let tokens = jwt::TokenIssuer::new(
            &signing,
            config.issuer.clone(),
            config.audience.clone(),
            config.token_ttl_seconds,
            config.max_session_seconds,
        );
        let passwords = auth::PasswordHashing::new()
            .await
            .map_err(|e| StartError(format!("password hashing self-test: {}", e.code())))?;
        let limits = Arc::new(limits::Limits::new(&config));
        limits::Limits::spawn_cleanup(&limits);

        for (flag, dir) in [
            ("--web-dir", &config.web_dir),
            ("--sdk-dir", &config.sdk_dir),
        ] {
            if !dir.is_dir() {
                tracing::warn!(
                    "{flag} {} does not exist (yet); its files answer 404",
                    dir.display()
                );
            }
        }
        tracing::info!(
            kid = tokens.kid(),
            issuer = tokens.issuer(),
            "JWT signing key loaded"
        );
        Ok(Self(Arc::new(Inner {
            config,
            db,
            tokens,
            recovery_master,
            passwords,
            limits,
            node,
            csp,
            cors,
            approvals,
        })))
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }
    pub fn db(&self) -> &SqlitePool {
        &self.0.db
    }
    pub fn tokens(&self) -> &jwt::TokenIssuer {
        &self.0.tokens
    }
    pub(crate) fn recovery_master(&self) -> &[u8; 32] {
        &self.0.recovery_master
    }
    pub(crate) fn passwords(&self) -> &auth::PasswordHashing {
        &self.0.passwords
    }
    pub(crate) fn limits(&self) -> &limits::Limits {
        &self.0.limits
    }
    pub(crate) fn node(&self) -> &eth::Node {
        &self.0.node
    }
    /// The approvals desk, when `--approval-secret` is set.
    pub fn approvals(&self) -> Option<&Arc<approvals::Desk>> {
        self.0.approvals.as_ref()
    }

    /// 401 `AUTH_REQUIRED` unless the token's user still exists.
    pub(crate) async fn require_user(&self, sub: &str) -> Result<(), AppError> {
        let found: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM users WHERE id = ?")
            .bind(sub)
            .fetch_optional(self.db())
            .await?;
        found
            .map(|_| ())
            .ok_or(AppError::AuthRequired("unknown user"))
    }

    /// Closes the database cleanly (after the server has stopped).
    pub async fn close(&self) {
        self.0.db.close().await;
    }
}

/// A random (v4) UUID from the OS generator.
pub fn random_uuid() -> Result<uuid::Uuid, AppError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

/// `--cors-origins` as header values: each must be an exact http(s) origin,
/// as a browser sends it in `Origin` (compared byte for byte).
fn cors_origins(given: &[String]) -> Result<Vec<HeaderValue>, StartError> {
    let mut out = Vec::new();
    for entry in given.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        let exact = reqwest::Url::parse(entry)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map(|u| u.origin())
            .filter(|o| o.is_tuple())
            .map(|o| o.ascii_serialization());
        if exact.as_deref() != Some(entry) {
            return Err(StartError(format!(
                "--cors-origins: {entry:?} is not an exact origin (scheme://host[:port])"
            )));
        }
        out.push(HeaderValue::from_str(entry).map_err(ctx("--cors-origins"))?);
    }
    Ok(out)
}

/// The whole application: API, JWKS, static files and the tower layers.
pub fn app(state: AppState) -> Router {
    let no_store = SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    let api = Router::new()
        .route("/api/auth/signup", post(auth::signup))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/refresh", post(auth::refresh))
        .route("/api/keyframe-tokens", post(auth::keyframe_tokens))
        .route("/api/recovery-key", get(recovery::recovery_key))
        .route("/api/faucet", post(eth::faucet))
        .route("/api/rpc", post(eth::rpc))
        .route("/api/config", get(api_config))
        .route(
            "/api/{*rest}",
            axum::routing::any(|| async { AppError::NotFound }),
        )
        .route("/healthz", get(healthz))
        .layer(no_store);
    // Pages on the listed origins call the API with JSON bodies and Bearer
    // tokens, never cookies: no credentials mode.
    let api = if state.0.cors.is_empty() {
        api
    } else {
        api.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(state.0.cors.clone()))
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
                .max_age(Duration::from_secs(600)),
        )
    };
    let jwks = Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        ));
    let csp = state.0.csp.clone();
    let web = ServeDir::new(&state.config().web_dir).append_index_html_on_directories(true);
    let sdk = ServeDir::new(&state.config().sdk_dir);
    let timeout = Duration::from_secs(state.config().request_timeout_seconds.max(1));
    // The approval webhook waits for a person (up to the request's own
    // deadline), so it is outside the request timeout; the operator's page
    // and form are no-store like the API.
    let approvals = Router::new()
        .route("/approvals/webhook", post(approvals::webhook))
        .route("/approvals", get(approvals::page))
        .route("/approvals/{id}", post(approvals::decide))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state.clone())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));

    let main = Router::new()
        .merge(api)
        .merge(jwks)
        .nest_service("/sdk", sdk)
        .fallback_service(web)
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    timeout,
                ))
                .layer(RequestBodyLimitLayer::new(BODY_LIMIT)),
        );
    hardened(main, csp.clone()).merge(hardened(approvals, csp))
}

/// The layers every response passes through: tracing, the security
/// headers, JSON error bodies.
fn hardened(router: Router, csp: HeaderValue) -> Router {
    router.layer(
        ServiceBuilder::new()
            .layer(TraceLayer::new_for_http())
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                csp,
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin-allow-popups"),
            ))
            .layer(middleware::map_response(error::json_error_bodies)),
    )
}

async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    sqlx::query("SELECT 1").execute(state.db()).await?;
    Ok(Json(json!({ "status": "ok" })))
}

async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    Json(state.tokens().jwks())
}

async fn api_config(State(state): State<AppState>) -> impl IntoResponse {
    let provider = reqwest::Url::parse(&state.config().provider_origin)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    Json(json!({ "providerOrigin": provider, "chainId": state.config().chain_id }))
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes the
/// requests in flight. Client addresses reach handlers for rate limiting.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
