//! Prometheus text metrics, kept in-process (no global registry): request
//! counts by route and status, a latency histogram by route, share
//! operations by kind and outcome, seal failures and JWKS fetches.
//!
//! Route labels are the matched route templates (`/v1/cold-shares/{wallet}`),
//! never raw paths, so ids never become label values.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::server::AppState;

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    share_ops: BTreeMap<(&'static str, &'static str), u64>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    seal_failures: AtomicU64,
}

impl Metrics {
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *g.requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let h = g.latency.entry(route.to_string()).or_default();
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    /// Counts a share operation (`create`, `register`, `recover`, `refresh`,
    /// `commit`, `revoke`, `cold_*`) with its outcome (`ok`, `idempotent`,
    /// `conflict`, `missing`, `error`).
    pub fn share_op(&self, op: &'static str, outcome: &'static str) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *g.share_ops.entry((op, outcome)).or_default() += 1;
    }

    pub fn seal_failure(&self) {
        self.seal_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, service: &str, jwks_fetches: u64) -> String {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP keyframe_http_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(out, "# TYPE keyframe_http_requests_total counter");
        for ((method, route, status), n) in &g.requests {
            let _ = writeln!(
                out,
                "keyframe_http_requests_total{{service=\"{service}\",method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP keyframe_http_request_duration_seconds Request latency by route."
        );
        let _ = writeln!(
            out,
            "# TYPE keyframe_http_request_duration_seconds histogram"
        );
        for (route, h) in &g.latency {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "keyframe_http_request_duration_seconds_bucket{{service=\"{service}\",route=\"{route}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "keyframe_http_request_duration_seconds_bucket{{service=\"{service}\",route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "keyframe_http_request_duration_seconds_sum{{service=\"{service}\",route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "keyframe_http_request_duration_seconds_count{{service=\"{service}\",route=\"{route}\"}} {}",
                h.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP keyframe_share_operations_total Share operations by kind and outcome."
        );
        let _ = writeln!(out, "# TYPE keyframe_share_operations_total counter");
        for ((op, outcome), n) in &g.share_ops {
            let _ = writeln!(
                out,
                "keyframe_share_operations_total{{service=\"{service}\",op=\"{op}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP keyframe_seal_open_failures_total Sealed values that failed to open."
        );
        let _ = writeln!(out, "# TYPE keyframe_seal_open_failures_total counter");
        let _ = writeln!(
            out,
            "keyframe_seal_open_failures_total{{service=\"{service}\"}} {}",
            self.seal_failures.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP keyframe_jwks_fetches_total JWKS fetches.");
        let _ = writeln!(out, "# TYPE keyframe_jwks_fetches_total counter");
        let _ = writeln!(
            out,
            "keyframe_jwks_fetches_total{{service=\"{service}\"}} {jwks_fetches}"
        );
        out
    }
}

/// Middleware: records every request under its matched route template.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".to_string());
    let method = req.method().as_str().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    state.metrics.record_request(
        &method,
        &route,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}

/// `GET /metrics`.
pub async fn handler(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state
            .metrics
            .render(state.service.name(), state.verifier.fetch_count()),
    )
}
