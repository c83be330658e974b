//! Structured logs: one JSON object per line on stderr, written by
//! `tracing-subscriber`. Every line logged while a request is served carries the
//! request's span (`span.trace_id`, from its W3C `traceparent`, and its redacted
//! path); the job runner logs each job inside a span with the trace id of the event.
//! `RUST_LOG` filters (default `info`).

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The origin's JSON logger writing to `writer`, filtered by `RUST_LOG` (default
/// `info`). Each line: `timestamp`, `level`, `message`, the event's fields, and
/// `span` (the request's or job's: `trace_id`, ...).
pub fn json_subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .with_writer(writer)
        .finish()
}

/// Installs the JSON logger on stderr for the process (once; later calls do nothing).
pub fn init() {
    let _ = tracing::subscriber::set_global_default(json_subscriber(std::io::stderr));
}

/// The span of one request: its trace id and its path with bearer values redacted.
pub fn request_span(trace_id: &str, method: &str, path_and_query: &str) -> tracing::Span {
    tracing::info_span!(
        "request",
        trace_id = %trace_id,
        method = %method,
        path = %commerce::trace::redact_path(path_and_query),
    )
}
