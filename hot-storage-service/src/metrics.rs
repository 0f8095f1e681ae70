//! Prometheus metrics through `prometheus-client` (one registry per
//! process, no global): request counts by route and status, a latency
//! histogram by route, share operations by kind and outcome, seal failures
//! and JWKS fetches. Every series carries the `service` label.
//!
//! Route labels are the matched route templates (`/v1/cold-shares/{wallet}`),
//! never raw paths, so ids never become label values. Recording a request
//! allocates nothing: the method is a static string and the route label
//! shares the router's `MatchedPath`.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::error::AppError;
use crate::settings::Service;

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The matched route template, or `other` (unmatched requests, static files).
#[derive(Clone, Debug)]
struct Route(Option<MatchedPath>);

impl Route {
    fn as_str(&self) -> &str {
        self.0.as_ref().map_or("other", MatchedPath::as_str)
    }
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for Route {}
impl Hash for Route {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: Route,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: Route,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ShareOpLabels {
    op: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    decision: &'static str,
}

#[derive(Clone)]
struct Buckets;

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(BUCKETS)
    }
}

/// The process's metrics and the registry that renders them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, Buckets>,
    share_ops: Family<ShareOpLabels, Counter>,
    seal_failures: Counter,
    policy_decisions: Family<DecisionLabels, Counter>,
    user_rules_invalid: Counter,
}

/// A standard method's name without allocating (anything else is `other`).
fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

impl Metrics {
    /// Registers every metric under `service`; `jwks_fetches` is the
    /// verifier's counter (it counts, this module exports it).
    pub fn new(service: Service, jwks_fetches: Counter) -> Self {
        let mut registry =
            Registry::with_labels([("service".into(), service.name().into())].into_iter());
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::new_with_constructor(Buckets);
        let share_ops = Family::<ShareOpLabels, Counter>::default();
        let seal_failures = Counter::default();
        registry.register(
            "keyframe_http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "keyframe_http_request_duration_seconds",
            "Request latency by route",
            latency.clone(),
        );
        registry.register(
            "keyframe_share_operations",
            "Share operations by kind and outcome",
            share_ops.clone(),
        );
        registry.register(
            "keyframe_seal_open_failures",
            "Sealed values that failed to open",
            seal_failures.clone(),
        );
        registry.register("keyframe_jwks_fetches", "JWKS fetches", jwks_fetches);
        let policy_decisions = Family::<DecisionLabels, Counter>::default();
        let user_rules_invalid = Counter::default();
        registry.register(
            "keyframe_policy_decisions",
            "Policy decisions recorded in the activity log, by decision",
            policy_decisions.clone(),
        );
        registry.register(
            "keyframe_policy_user_rules_invalid",
            "Stored user rule sets ignored because their signature or rules did not hold",
            user_rules_invalid.clone(),
        );
        Metrics {
            policy_decisions,
            user_rules_invalid,
            registry,
            requests,
            latency,
            share_ops,
            seal_failures,
        }
    }

    fn record_request(&self, method: &'static str, route: Route, status: u16, seconds: f64) {
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// Counts a share operation (`create`, `register`, `recover`, `refresh`,
    /// `commit`, `revoke`, `cold_*`) with its outcome (`ok`, `idempotent`,
    /// `conflict`, `missing`, `error`).
    pub fn share_op(&self, op: &'static str, outcome: &'static str) {
        self.share_ops
            .get_or_create(&ShareOpLabels { op, outcome })
            .inc();
    }

    /// Counts a decision of the activity log (`allowed`, `denied`, …).
    pub fn policy_decision(&self, decision: &'static str) {
        self.policy_decisions
            .get_or_create(&DecisionLabels { decision })
            .inc();
    }

    /// Counts a stored user rule set that was ignored (docs/policy.md).
    pub fn user_rules_invalid(&self) {
        self.user_rules_invalid.inc();
    }

    pub fn seal_failure(&self) {
        self.seal_failures.inc();
    }

    /// The OpenMetrics text of every series.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Middleware: records every request under its matched route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = Route(req.extensions().get::<MatchedPath>().cloned());
    let method = method_name(req.method());
    let start = Instant::now();
    let resp = next.run(req).await;
    metrics.record_request(
        method,
        route,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}

/// Prometheus (OpenMetrics) text.
#[utoipa::path(get, path = "/metrics", tag = "ops", security(()),
    responses((status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text")))]
pub async fn handler(State(metrics): State<Arc<Metrics>>) -> Response {
    match metrics.render() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => AppError::Internal(anyhow::anyhow!("rendering metrics")).into_response(),
    }
}
