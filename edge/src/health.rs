//! `GET /health`: whether the Worker can reach the catalog database, and how fast.

use serde_json::json;
use worker::{Date, Env, Response};

use crate::{db, http};

/// Connects and runs `SELECT 1`; 200 when the database answers, 503 when it does not.
pub async fn check(env: &Env) -> worker::Result<Response> {
    let started = Date::now().as_millis();
    let outcome = db::ping(env).await;
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
