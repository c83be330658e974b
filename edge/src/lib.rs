//! The edge Worker: every request passes through one pipeline (trace context, routing,
//! error mapping, CORS, one structured log line), then a thin handler that calls the
//! commerce domain. Queue and cron handlers live here too.

mod bindings;
#[path = "../../durable-objects/cart.rs"]
mod cart_object;
mod cart_pages;
mod carts;
mod checkout_api;
mod checkout_pages;
mod config;
mod db;
mod edge_cache;
mod health;
mod http;
mod images;
mod memo;
mod origin;
mod pages;
mod store_api;

use commerce::trace::TraceContext;
use commerce::ApiError;
use serde_json::json;
use worker::{
    console_log, event, Context, Date, Env, Headers, MessageBatch, Method, Request, Response,
    ScheduleContext, ScheduledEvent,
};

pub use crate::cart_object::CartObject;
use crate::config::Config;

/// Request headers a browser storefront may send to the Store API.
const CORS_ALLOW_HEADERS: &str = "content-type, authorization, x-publishable-api-key, traceparent";

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    let started = Date::now().as_millis();
    let config = Config::from_env(&env);
    let trace = TraceContext::from_header(req.headers().get("traceparent")?.as_deref());
    let method = req.method();
    let url = req.url()?;
    let origin = req.headers().get("origin")?;

    let country = req.cf().and_then(|cf| cf.country());
    let trace_id = trace.trace_id().to_owned();
    let traceparent = trace.outgoing_header();
    let hop = Hop {
        trace_id: &trace_id,
        traceparent: &traceparent,
    };
    let mut response = match route(req, &env, &ctx, &config, &method, &url, hop).await {
        Ok(response) => response,
        Err(err) => {
            if let Some(detail) = err.log_detail() {
                log(json!({
                    "level": "error", "msg": "request failed", "trace_id": trace.trace_id(),
                    "code": err.body().code, "detail": detail,
                }));
            }
            http::error(&err)?
        }
    };

    let headers = response.headers_mut();
    headers.set("traceparent", &trace.response_header())?;
    http::security_headers(headers)?;
    if url.path().starts_with("/store/") {
        cors(headers, &config, origin.as_deref())?;
    }

    log(json!({
        "level": "info",
        "msg": "request",
        "trace_id": trace.trace_id(),
        "span_id": trace.span_id(),
        "trace_continued": trace.continued,
        "country": country,
        "method": method.to_string(),
        "url": url.as_str(),
        "status": response.status_code(),
        "duration_ms": Date::now().as_millis().saturating_sub(started),
        "env": config.environment,
    }));
    Ok(response)
}

/// This request's trace: its id (logs, events) and the header subrequests carry.
#[derive(Clone, Copy)]
pub(crate) struct Hop<'a> {
    pub trace_id: &'a str,
    pub traceparent: &'a str,
}

/// The routing table.
async fn route(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    method: &Method,
    url: &worker::Url,
    hop: Hop<'_>,
) -> Result<Response, ApiError> {
    let trace_id = hop.trace_id;
    let internal = |e: worker::Error| ApiError::Internal {
        detail: e.to_string(),
    };
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let read = matches!(method, Method::Get | Method::Head);
    match (method, segments.as_slice()) {
        (Method::Options, ["store", ..]) => preflight().map_err(internal),
        (_, ["store", rest @ ..]) => {
            let checkout = checkout_api::api(
                &mut req,
                env,
                ctx,
                config,
                method,
                url,
                rest,
                hop.traceparent,
            )
            .await;
            if let Some(answer) = checkout {
                return answer;
            }
            let cart = carts::api(&mut req, env, ctx, config, method, url, rest, trace_id).await;
            if let Some(answer) = cart {
                return answer;
            }
            let key = req
                .headers()
                .get("x-publishable-api-key")
                .map_err(internal)?;
            store_api::handle(env, ctx, config, method, url, key.as_deref(), rest).await
        }
        (Method::Post, ["webhooks", "stripe"]) => {
            checkout_api::stripe_webhook(req, config, hop.traceparent).await
        }
        (_, ["images", key @ ..]) if read => {
            let if_none_match = req.headers().get("if-none-match").map_err(internal)?;
            images::serve(env, key, if_none_match.as_deref()).await
        }
        (_, ["assets", file]) if read => pages::asset(file).map_err(internal),
        (_, ["health"]) if read => health::check(env).await.map_err(internal),
        (_, ["health", "live"]) if read => http::text(200, "ok\n").map_err(internal),
        (Method::Post, ["region"]) => pages::switch_region(req, env, ctx, config, url)
            .await
            .map_err(internal),
        (Method::Post, ["cart", ..]) => {
            cart_pages::post(req, env, ctx, config, url, &segments, trace_id)
                .await
                .map_err(internal)
        }
        (Method::Post, ["checkout"]) => cart_pages::checkout().map_err(internal),
        (Method::Post, ["checkout", action]) => {
            checkout_pages::post(req, env, ctx, config, url, action, hop)
                .await
                .map_err(internal)
        }
        (_, ["checkout"]) if read => checkout_pages::show(&req, env, ctx, config, url)
            .await
            .map_err(internal),
        (Method::Post, ["orders", "lookup"]) => {
            checkout_pages::lookup(req, env, ctx, config, url, hop)
                .await
                .map_err(internal)
        }
        (_, ["orders", "lookup"]) if read => {
            checkout_pages::lookup_form(&req, env, ctx, config, url)
                .await
                .map_err(internal)
        }
        (_, ["orders", id]) if read => {
            checkout_pages::show_order(&req, env, ctx, config, url, id, hop)
                .await
                .map_err(internal)
        }
        (_, ["cart"]) if read => cart_pages::show(&req, env, ctx, config, url)
            .await
            .map_err(internal),
        _ if read => pages::serve(&req, env, ctx, config, url, &segments)
            .await
            .map_err(internal),
        _ => Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            path: url.path().to_owned(),
        }),
    }
}

fn preflight() -> worker::Result<Response> {
    let mut response = Response::empty()?.with_status(204);
    let headers = response.headers_mut();
    headers.set(
        "access-control-allow-methods",
        "GET, HEAD, POST, DELETE, OPTIONS",
    )?;
    headers.set("access-control-allow-headers", CORS_ALLOW_HEADERS)?;
    headers.set("access-control-max-age", "86400")?;
    Ok(response)
}

/// Allows the configured storefront origins to read Store API responses.
fn cors(headers: &mut Headers, config: &Config, origin: Option<&str>) -> worker::Result<()> {
    headers.append("vary", "Origin")?;
    if let Some(origin) = origin.filter(|o| config.store_cors.iter().any(|a| a == o)) {
        headers.set("access-control-allow-origin", origin)?;
        headers.set("access-control-allow-credentials", "true")?;
        headers.set("access-control-expose-headers", "traceparent")?;
    }
    Ok(())
}

/// One structured log line.
fn log(line: serde_json::Value) {
    console_log!("{}", line);
}

/// Logs what an operator needs to know about a failure (nothing for client errors).
pub(crate) fn log_error(err: &ApiError) {
    if let Some(detail) = err.log_detail() {
        log(json!({
            "level": "error", "msg": "request failed",
            "code": err.body().code, "detail": detail,
        }));
    }
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
            Err(e) => log(json!({
                "level": "error", "msg": "dropped a malformed event", "queue": batch.queue(),
                "error": e.to_string(),
            })),
        }
    }
    let stored = db::with_client(&env, async |client: &tokio_postgres::Client| {
        commerce::analytics::insert_batch(client, &events).await
    })
    .await;
    match stored {
        Ok(n) => {
            log(
                json!({ "level": "info", "msg": "events stored", "received": events.len(), "stored": n }),
            );
            batch.ack_all();
        }
        Err(err) => {
            log_error(&err);
            batch.retry_all();
        }
    }
    Ok(())
}

/// Cron: probes the catalog database so operators see its health in the logs.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let started = Date::now().as_millis();
    let outcome = db::ping(&env).await;
    let (level, status) = match &outcome {
        Ok(()) => ("info", "up"),
        Err(_) => ("error", "down"),
    };
    log(json!({
        "level": level, "msg": "database probe", "cron": event.cron(), "database": status,
        "detail": outcome.err().and_then(|e| e.log_detail().map(str::to_owned)),
        "duration_ms": Date::now().as_millis().saturating_sub(started),
    }));
}
