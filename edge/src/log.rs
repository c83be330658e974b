//! The edge's one logger: a JSON line per event, each carrying the request's trace id
//! (when there is a request), with bearer-like values (order, payment and cart ids,
//! tokens) taken out of URLs before they are written.

use commerce::ApiError;
use serde::Serialize;
use serde_json::{Map, Value};
use worker::console_log;

/// A log line: level, message, the trace it belongs to, and its own fields.
#[derive(Serialize)]
struct Line<'a> {
    level: &'a str,
    msg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<&'a str>,
    #[serde(flatten)]
    fields: Map<String, Value>,
}

/// Writes a line. `fields` is any serialisable struct or `json!` object.
pub fn write(level: &str, msg: &str, trace_id: Option<&str>, fields: impl Serialize) {
    let fields = match serde_json::to_value(fields) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let line = Line {
        level,
        msg,
        trace_id,
        fields,
    };
    if let Ok(text) = serde_json::to_string(&line) {
        console_log!("{text}");
    }
}

/// Logs what an operator needs to know about a failure (nothing for client errors).
pub fn failure(trace_id: Option<&str>, err: &ApiError) {
    if let Some(detail) = err.log_detail() {
        write(
            "error",
            "request failed",
            trace_id,
            serde_json::json!({ "code": err.code(), "detail": detail }),
        );
    }
}

/// `url` with bearer-like values masked, for logs.
pub fn redact(url: &worker::Url) -> String {
    let path_and_query = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    commerce::trace::redact_path(&path_and_query)
}
