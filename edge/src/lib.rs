//! The edge Worker: every request passes through one pipeline (request context, the
//! routing table, access and limits, one mapping of errors to JSON or to the store's
//! error page, security headers, CORS, one log line), then a thin handler that calls
//! the commerce domain. Queue and cron handlers live here too.
//!
//! The tree, by feature: `router` (the one table), `context` (what a handler gets),
//! `store_api/` (catalog, carts, checkout), `pages/` (shell, catalog, cart, checkout,
//! orders), `admin/` (staff sign-in and the admin area), `http/` (responses, bodies, forms, cookies), `limit`, `origin` (the
//! signed client of the origin service), `edge_cache` and `memo`. The Durable Object
//! classes live in the `durable-objects` crate.

pub mod admin;
mod analytics;
mod bindings;
mod config;
pub mod context;
mod edge_cache;
mod health;
pub mod http;
mod images;
mod limit;
mod log;
mod memo;
mod origin;
pub mod pages;
pub mod router;
pub mod store_api;

use commerce::ApiError;
use serde_json::json;
use worker::{
    event, Context, Date, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent,
};

pub use durable_objects::{CartObject, LimiterObject};

use crate::context::Cx;
use crate::router::{Access, Answer, Miss, Route, ROUTES};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<web_sys::Response> {
    let started = Date::now().as_millis();
    let country = req.cf().and_then(|cf| cf.country());
    let origin = req.headers().get("origin")?;
    let mut cx = Cx::new(req, env, ctx)?;
    let (answer, result) = dispatch(&mut cx).await;
    let mut response = match result {
        Ok(response) => response,
        Err(err) => match answer {
            Answer::Json => {
                cx.log_failure(&err);
                http::error(&err)
            }
            Answer::Page => pages::error_response(&cx, &err),
            Answer::Admin => admin::error_response(&cx, &err),
        }
        .or_else(|e| {
            cx.log_failure(&e);
            http::text(500, "An unknown error occurred.\n")
        })
        .map_err(|e| worker::Error::RustError(e.to_string()))?,
    };

    let headers = response.headers_mut();
    headers.set("traceparent", &cx.trace.response_header())?;
    http::security_headers(headers)?;
    if router::storefront_api(cx.url.path()) {
        http::cors(headers, &cx.config.store_cors, origin.as_deref())?;
    }
    log::write(
        "info",
        "request",
        Some(&cx.trace_id),
        json!({
            "span_id": cx.trace.span_id(),
            "trace_continued": cx.trace.continued,
            "country": country,
            "method": cx.method.to_string(),
            "url": log::redact(&cx.url),
            "status": response.status_code(),
            "duration_ms": Date::now().as_millis().saturating_sub(started),
            "env": cx.config.environment,
        }),
    );
    http::into_js(response)
}

/// Finds the route, resolves who is asking, counts the client's limit, runs the
/// handler. Answers how an error is to be shown, and the handler's result.
async fn dispatch(cx: &mut Cx) -> (Answer, Result<Response, ApiError>) {
    let path = cx.url.path().to_owned();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match router::find(ROUTES, &cx.method, &segments) {
        Ok((route, params)) => {
            cx.params = params;
            (route.answer, run(cx, route).await)
        }
        Err(miss) => {
            let err = match miss {
                Miss::Method(_) => ApiError::MethodNotAllowed {
                    method: cx.method.to_string(),
                    path: path.clone(),
                },
                Miss::Path => ApiError::RouteNotFound {
                    method: cx.method.to_string(),
                    path: path.clone(),
                },
            };
            (Answer::Json, Err(err))
        }
    }
}

async fn run(cx: &mut Cx, route: &Route) -> Result<Response, ApiError> {
    match route.access {
        Access::Public => {}
        Access::PublishableKey => cx.resolve_store().await?,
        Access::Shopper => cx.resolve_shopper().await?,
        Access::Customer => cx.resolve_customer().await?,
        Access::Staff(permission) => cx.resolve_member(permission).await?,
    }
    if let Some(rule) = route.limit {
        cx.limit(rule, &cx.client_ip()).await?;
    }
    (route.handler)(cx).await
}

/// Events from the EVENTS queue, stored in `analytics_events` one batch per
/// statement. A message that is not an event is logged and dropped (it would fail
/// forever); a database failure retries the batch (the queue redelivers, and the
/// events' keys make a redelivery harmless).
#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    let mut events = Vec::new();
    for message in batch.messages()? {
        match commerce::analytics::AnalyticsEvent::from_message(message.body()) {
            Ok(event) => events.push(event),
            Err(e) => log::write(
                "error",
                "dropped a malformed event",
                None,
                json!({ "queue": batch.queue(), "error": e.to_string() }),
            ),
        }
    }
    let stored = durable_objects::db::with_client(&env, async |client: &tokio_postgres::Client| {
        commerce::analytics::insert_batch(client, &events).await
    })
    .await;
    match stored {
        Ok(n) => {
            log::write(
                "info",
                "events stored",
                None,
                json!({ "received": events.len(), "stored": n }),
            );
            batch.ack_all();
        }
        Err(err) => {
            log::failure(None, &err);
            batch.retry_all();
        }
    }
    Ok(())
}

/// Cron: probes the catalog database so operators see its health in the logs, then
/// settles the menus' "can ship now" entries of products whose stock moved lately.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let started = Date::now().as_millis();
    let outcome = durable_objects::db::ping(&env).await;
    let up = outcome.is_ok();
    let (level, status) = match &outcome {
        Ok(()) => ("info", "up"),
        Err(_) => ("error", "down"),
    };
    log::write(
        level,
        "database probe",
        None,
        json!({
            "cron": event.cron(), "database": status,
            "detail": outcome.err().and_then(|e| e.log_detail().map(str::to_owned)),
            "duration_ms": Date::now().as_millis().saturating_sub(started),
        }),
    );
    if up {
        use commerce::search::repo::{self, STOCK_REPAIR_MINUTES};
        upkeep(&env, "stock entries settled", "corrected", async |client| {
            repo::repair_stock_entries(client, STOCK_REPAIR_MINUTES).await
        })
        .await;
        upkeep(&env, "search bitmaps settled", "stores", async |client| {
            repo::settle_bitmaps(client).await
        })
        .await;
    }
}

/// A step of the cron's database upkeep: `work` on a connection of its own, logged as
/// `message` with its count under `key` and its duration, or as a failure.
async fn upkeep(
    env: &Env,
    message: &str,
    key: &str,
    work: impl AsyncFnOnce(&tokio_postgres::Client) -> Result<i64, commerce::ApiError>,
) {
    let started = Date::now().as_millis();
    match durable_objects::db::with_client(env, work).await {
        Ok(count) => log::write(
            "info",
            message,
            None,
            json!({
                key: count,
                "duration_ms": Date::now().as_millis().saturating_sub(started),
            }),
        ),
        Err(err) => log::failure(None, &err),
    }
}
