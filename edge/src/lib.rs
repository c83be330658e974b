//! The edge Worker: every request passes through one pipeline (trace context, routing,
//! error mapping, CORS, one structured log line), then a thin handler that calls the
//! commerce domain. Queue and cron handlers live here too.

mod bindings;
mod config;
mod db;
mod health;
mod http;
mod images;
mod store_api;

use commerce::store::{self, HostName};
use commerce::trace::TraceContext;
use commerce::ApiError;
use serde_json::json;
use worker::{
    console_log, event, Context, Date, Env, Headers, MessageBatch, Method, Request, Response,
    ScheduleContext, ScheduledEvent,
};

use crate::config::Config;

/// Request headers a browser storefront may send to the Store API.
const CORS_ALLOW_HEADERS: &str = "content-type, authorization, x-publishable-api-key, traceparent";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started = Date::now().as_millis();
    let config = Config::from_env(&env);
    let trace = TraceContext::from_header(req.headers().get("traceparent")?.as_deref());
    let method = req.method();
    let url = req.url()?;
    let origin = req.headers().get("origin")?;

    let mut response = match route(&req, &env, &method, &url).await {
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
    if url.path().starts_with("/store/") {
        cors(headers, &config, origin.as_deref())?;
    }

    log(json!({
        "level": "info",
        "msg": "request",
        "trace_id": trace.trace_id(),
        "span_id": trace.span_id(),
        "trace_continued": trace.continued,
        "country": req.cf().and_then(|cf| cf.country()),
        "method": method.to_string(),
        "url": url.as_str(),
        "status": response.status_code(),
        "duration_ms": Date::now().as_millis().saturating_sub(started),
        "env": config.environment,
    }));
    Ok(response)
}

/// The routing table.
async fn route(
    req: &Request,
    env: &Env,
    method: &Method,
    url: &worker::Url,
) -> Result<Response, ApiError> {
    let internal = |e: worker::Error| ApiError::Internal {
        detail: e.to_string(),
    };
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    match (method, segments.as_slice()) {
        (Method::Options, ["store", ..]) => preflight().map_err(internal),
        (_, ["store", rest @ ..]) => {
            let key = req
                .headers()
                .get("x-publishable-api-key")
                .map_err(internal)?;
            store_api::handle(env, method, url, key.as_deref(), rest).await
        }
        (Method::Get | Method::Head, ["images", key @ ..]) => {
            let if_none_match = req.headers().get("if-none-match").map_err(internal)?;
            images::serve(env, key, if_none_match.as_deref()).await
        }
        (Method::Get | Method::Head, ["health"]) => health::check(env).await.map_err(internal),
        (Method::Get | Method::Head, ["health", "live"]) => {
            http::text(200, "ok\n").map_err(internal)
        }
        (Method::Get | Method::Head, []) => home(env, url).await,
        _ => Err(ApiError::RouteNotFound {
            method: method.to_string(),
            path: url.path().to_owned(),
        }),
    }
}

/// `GET /`: the store chosen by the request's host, and where its catalog is served.
/// The storefront pages replace this.
async fn home(env: &Env, url: &worker::Url) -> Result<Response, ApiError> {
    let host = url.host_str().unwrap_or_default();
    let host = HostName::parse(host).ok_or_else(|| ApiError::UnknownStoreHost(host.to_owned()))?;
    let store = db::with_client(env, async |client: &tokio_postgres::Client| {
        store::by_host(client, &host).await
    })
    .await?;
    let body = format!(
        "{}\n\nThe catalog is served through the Store API:\n  \
         GET /store/products, /store/product-categories, /store/collections, /store/regions\n  \
         (send the store's publishable key in the x-publishable-api-key header)\n\
         Database status: GET /health\n",
        store.name
    );
    http::text(200, &body).map_err(|e| ApiError::Internal {
        detail: e.to_string(),
    })
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

/// Events from the EVENTS queue. Until the analytics store lands, each event is
/// written to the log as a structured line (visible with `wrangler tail`) and acked.
#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    _env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    for message in batch.messages()? {
        log(
            json!({ "level": "info", "msg": "event", "queue": batch.queue(), "event": message.body() }),
        );
    }
    batch.ack_all();
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
