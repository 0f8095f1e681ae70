//! The middleware stack both services share, the ops routes (`/healthz`,
//! fallbacks) and the serve loop with graceful shutdown.
//!
//! `AppState`, `Service` and `Settings` are re-exported here for callers
//! that start a service in-process (their homes are `state.rs` and
//! `settings.rs`).

use std::net::SocketAddr;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::trace::{DefaultOnResponse, OnResponse, TraceLayer};
use tracing::Level;

use crate::error::{AppError, ErrorCode, error_response};
pub use crate::settings::{Service, Settings};
pub use crate::state::AppState;

/// `GET /healthz` answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    pub ok: bool,
    pub service: &'static str,
}

/// Liveness and database check: 200 when the database answers, else 503.
#[utoipa::path(get, path = "/healthz", tag = "ops", security(()),
    responses((status = 200, body = Health), (status = 503, body = crate::error::ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> Response {
    if state.db.ping().await {
        axum::Json(Health {
            ok: true,
            service: state.service.name(),
        })
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
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "not found"),
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "request body too large"),
        StatusCode::UNAUTHORIZED => (ErrorCode::AuthRequired, "a valid bearer token is required"),
        StatusCode::TOO_MANY_REQUESTS => (ErrorCode::RateLimited, "too many requests"),
        StatusCode::REQUEST_TIMEOUT => (ErrorCode::Timeout, "the request took too long"),
        StatusCode::SERVICE_UNAVAILABLE => (
            ErrorCode::Unavailable,
            "the service is overloaded or shutting down",
        ),
        s if s.is_client_error() => (ErrorCode::BadRequest, "bad request"),
        _ => (ErrorCode::Internal, "internal error"),
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
    // API answers carry shares and ciphertexts: never cache them. A public
    // answer that set its own caching (`GET /v2/tokens`: `no-cache` with an
    // ETag) keeps it.
    if api && !h.contains_key(header::CACHE_CONTROL) {
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
        .layer(middleware::from_fn_with_state(
            state.limits.clone(),
            crate::limits::ip_limit,
        ))
        .layer(DefaultBodyLimit::max(s.body_limit))
        .layer(middleware::from_fn(json_errors))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(handle_layer_error))
                .load_shed()
                .layer(GlobalConcurrencyLimitLayer::new(s.concurrency_limit))
                .timeout(s.request_timeout),
        )
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .layer(middleware::from_fn(security_headers))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(
                    |res: &axum::response::Response, latency, span: &tracing::Span| {
                        span.record(
                            "http.response.status_code",
                            i64::from(res.status().as_u16()),
                        );
                        DefaultOnResponse::new()
                            .level(Level::INFO)
                            .on_response(res, latency, span);
                    },
                ),
        )
        .with_state(state.clone())
}

/// The span of one request: method, route and (on the answer) status,
/// never headers (Authorization, DPoP) or bodies. It continues the caller's
/// trace (`traceparent`) and is exported as the server span of that trace
/// when tracing is on (crate::telemetry).
fn request_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let span = tracing::info_span!(
        "request",
        otel.name = format!("{} {route}", req.method()),
        otel.kind = "server",
        http.request.method = %req.method(),
        http.route = %route,
        path = %req.uri().path(),
        http.response.status_code = tracing::field::Empty,
    );
    crate::telemetry::continue_trace(&span, req.headers());
    span
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
