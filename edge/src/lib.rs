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
pub mod bindings;
pub mod config;
pub mod context;
pub mod edge_cache;
#[cfg(feature = "entry")]
mod entry;
pub mod health;
pub mod http;
mod images;
pub mod limit;
pub mod log;
mod memo;
mod origin;
pub mod pages;
pub mod router;
mod services;
pub mod store_api;

use commerce::ApiError;
use serde_json::json;
use worker::{Context, Date, Env, Request, Response};

#[cfg(feature = "entry")]
pub use durable_objects::{CartObject, LimiterObject};

use crate::context::Cx;
use crate::router::{Access, Answer, Miss, Route};

/// A request through the pipeline with `routes`: the shop Worker's table, or another
/// Worker's built from this crate (the GraphQL Worker, `edge/graphql`).
pub async fn serve(
    req: Request,
    env: Env,
    ctx: Context,
    routes: &'static [Route],
) -> worker::Result<web_sys::Response> {
    let started = Date::now().as_millis();
    let country = req.cf().and_then(|cf| cf.country());
    let origin = req.headers().get("origin")?;
    let mut cx = Cx::new(req, env, ctx)?;
    let (answer, result) = dispatch(&mut cx, routes).await;
    let mut response = match result {
        Ok(response) => response,
        Err(err) => match answer {
            Answer::Json => {
                cx.log_failure(&err);
                http::error(&err)
            }
            Answer::Page => pages::error_response(&cx, &err),
            Answer::Admin => admin::error_response(&cx, &err),
            Answer::Graphql => {
                cx.log_failure(&err);
                http::graphql_error(&err)
            }
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
async fn dispatch(cx: &mut Cx, routes: &'static [Route]) -> (Answer, Result<Response, ApiError>) {
    let path = cx.url.path().to_owned();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match router::find(routes, &cx.method, &segments) {
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
