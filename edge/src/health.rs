//! `GET /health`: whether the Worker can reach the catalog database, and how fast.

use commerce::ApiError;
use durable_objects::db;
use serde_json::json;
use worker::{Date, Response};

use crate::context::Cx;
use crate::http;

/// Connects and runs `SELECT 1`; 200 when the database answers, 503 when it does not.
pub async fn check(cx: &mut Cx) -> Result<Response, ApiError> {
    let started = Date::now().as_millis();
    let outcome = db::ping(&cx.env).await;
    let latency_ms = Date::now().as_millis().saturating_sub(started);
    match outcome {
        Ok(()) => http::json(
            200,
            &json!({ "status": "ok", "database": { "status": "up", "latency_ms": latency_ms } }),
        ),
        Err(_) => http::json(
            503,
            &json!({
                "status": "unavailable",
                "database": { "status": "down", "latency_ms": latency_ms,
                              "message": "the catalog database cannot be reached" },
            }),
        ),
    }
}

/// `GET /health/live`: the Worker runs (no dependency is asked).
pub async fn live(_cx: &mut Cx) -> Result<Response, ApiError> {
    http::text(200, "ok\n")
}
