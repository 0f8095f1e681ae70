//! Logs, and traces for operators: with `--otlp-endpoint`, every request
//! becomes an OpenTelemetry trace exported over OTLP/HTTP (JSON) to the
//! operator's collector (docs/services.md, "Tracing").
//!
//! The request span (server.rs) is the root, or the child of the caller's
//! W3C `traceparent` (the iFrame sends one per request); under it come
//! `auth.jwt`, `auth.dpop`, `authority.verify`, `db.*` and `seal.*` spans.
//! What a span may carry is decided where it is made: method, route,
//! status, durations and names only, never a header, body, token, share or
//! key (tests/api/otlp.rs exports a whole session's spans and searches them
//! for every secret it used).

use anyhow::Context as _;
use axum::http::HeaderMap;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// The installed tracing; [`Telemetry::shutdown`] exports what is left.
#[must_use = "dropping it leaves the last spans unexported; call shutdown"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Exports the spans still buffered and stops the exporter.
    pub fn shutdown(self) {
        if let Some(p) = self.provider
            && let Err(e) = p.shutdown()
        {
            tracing::warn!(error = %e, "exporting the last traces failed");
        }
    }
}

/// A tracer provider exporting to `endpoint` (the collector's base URL,
/// e.g. `http://collector:4318`; spans go to `{endpoint}/v1/traces`) in
/// batches, as `service`.
pub fn tracer_provider(endpoint: &str, service: &str) -> anyhow::Result<SdkTracerProvider> {
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpJson)
        .with_endpoint(url)
        .build()
        .context("building the OTLP exporter")?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_owned())
                .build(),
        )
        .build())
}

/// The layer that turns `tracing` spans into OpenTelemetry spans of
/// `provider`.
pub fn otel_layer<S>(provider: &SdkTracerProvider, service: &str) -> impl Layer<S> + use<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service.to_owned()))
        // Only spans: events are logs, and go to the log output.
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
}

/// Installs the global subscriber: logs on stderr (text, or JSON lines;
/// `RUST_LOG` filters, default `info`), plus OTLP traces to `otlp`.
pub fn init(json: bool, otlp: Option<&str>, service: &str) -> anyhow::Result<Telemetry> {
    let filter =
        || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_writer(std::io::stderr);
    let fmt = if json {
        fmt.json().flatten_event(true).boxed()
    } else {
        fmt.boxed()
    };
    let provider = otlp.map(|e| tracer_provider(e, service)).transpose()?;
    // Spans are traced at every level the request span uses; the log
    // filter applies to the log output only.
    let traces = provider
        .as_ref()
        .map(|p| otel_layer(p, service).with_filter(tracing_subscriber::filter::LevelFilter::INFO));
    Registry::default()
        .with(fmt.with_filter(filter()))
        .with(traces)
        .try_init()
        .context("installing the tracing subscriber")?;
    Ok(Telemetry { provider })
}

/// Makes `span` a child of the caller's trace when the request carries a
/// valid W3C `traceparent`; otherwise it stays a root.
pub fn continue_trace(span: &tracing::Span, headers: &HeaderMap) {
    let parent = TraceContextPropagator::new().extract(&HeaderText(headers));
    if opentelemetry::trace::TraceContextExt::span(&parent)
        .span_context()
        .is_valid()
    {
        // Fails only when no OpenTelemetry layer is installed.
        let _ = span.set_parent(parent);
    }
}

/// Read access to the request's headers for the propagator (only
/// `traceparent` and `tracestate` are read).
struct HeaderText<'a>(&'a HeaderMap);

impl Extractor for HeaderText<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}
