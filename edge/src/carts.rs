//! Carts at the edge: the Store API's cart endpoints and the calls every cart page
//! makes. Each operation goes to the cart's Durable Object (`CartObject`, addressed by
//! the cart id), which applies it alone; the Worker relays the answer and sends the
//! cart's analytics events to the events Queue without delaying the response.

use commerce::analytics::AnalyticsEvent;
use commerce::cart::CartEvent;
use commerce::cart_api::{CartOp, CartOutcome};
use commerce::ids::CartId;
use commerce::store::{PublishableKey, Store};
use commerce::ApiError;
use serde_json::{json, Value};
use worker::{Context, Env, Headers, Method, Request, RequestInit, Response, ResponseBuilder, Url};

use crate::bindings::{CART, EVENTS};
use crate::cart_object::{CartCall, CartReply, StoreRef};
use crate::config::Config;
use crate::{log_error, store_api};

/// Largest request body a cart endpoint reads.
pub const MAX_BODY: usize = 64 * 1024;

fn internal(e: impl ToString) -> ApiError {
    ApiError::Internal {
        detail: e.to_string(),
    }
}

/// An operation's failure as the object answered it.
pub struct Refused {
    pub status: u16,
    pub body: Value,
}

/// Runs `op` on cart `cart_id` of `store` in its object.
pub async fn call(
    env: &Env,
    store: &Store,
    cart_id: &CartId,
    op: CartOp,
    image_base: &str,
) -> Result<Result<CartOutcome, Refused>, ApiError> {
    let call = CartCall {
        store: StoreRef {
            id: store.id.clone(),
            name: store.name.clone(),
            default_currency: store.default_currency.as_str().to_owned(),
        },
        cart_id: cart_id.clone(),
        op,
        image_base: image_base.to_owned(),
    };
    let namespace = env.durable_object(CART).map_err(internal)?;
    let stub = namespace
        .id_from_name(cart_id.as_str())
        .and_then(|id| id.get_stub())
        .map_err(internal)?;
    let headers = Headers::new();
    headers
        .set("content-type", "application/json")
        .map_err(internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(serde_json::to_string(&call).map_err(internal)?.into()));
    let req = Request::new_with_init("https://cart.internal/", &init).map_err(internal)?;
    let mut res = stub.fetch_with_request(req).await.map_err(internal)?;
    let reply: CartReply = res.json().await.map_err(internal)?;
    Ok(match reply {
        CartReply::Done(outcome) => Ok(*outcome),
        CartReply::Failed { status, body } => Err(Refused { status, body }),
    })
}

/// Sends the events to the Queue after the response (`waitUntil`): analytics never
/// delays a shopper, and a Queue failure is only logged.
pub fn emit(
    env: &Env,
    ctx: &Context,
    events: &[CartEvent],
    trace_id: &str,
    page_url: Option<String>,
) {
    if events.is_empty() {
        return;
    }
    // Each message is the event's JSON text: a JSON object inside a Queue message
    // (structured clone through serde-wasm-bindgen) arrives as a JS Map, which reads
    // back as an empty object.
    let messages: Vec<String> = events
        .iter()
        .map(|e| AnalyticsEvent::from_cart_event(e, Some(trace_id.to_owned()), page_url.clone()))
        .filter_map(|e| serde_json::to_string(&e).ok())
        .collect();
    let env = env.clone();
    ctx.wait_until(async move {
        let sent = match env.queue(EVENTS) {
            Ok(queue) => queue.send_batch(messages).await,
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            log_error(&internal(format!("events queue: {e}")));
        }
    });
}

/// The request body as JSON, bounded; the error names `body`.
pub async fn json_body(req: &mut Request) -> Result<Value, ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(ApiError::invalid(
            "body",
            format!("larger than {} KB", MAX_BODY / 1024),
        ));
    }
    let text = req.text().await.map_err(internal)?;
    if text.len() > MAX_BODY {
        return Err(ApiError::invalid(
            "body",
            format!("larger than {} KB", MAX_BODY / 1024),
        ));
    }
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(&text)
        .map_err(|e| ApiError::invalid("body", format!("malformed JSON: {e}")))
}

fn cart_id(raw: &str) -> Result<CartId, ApiError> {
    CartId::parse(raw).map_err(|_| ApiError::not_found("Cart", "id", raw))
}

/// A cart endpoint: the cart it names (`None`: a new one) and the operation, whose
/// JSON body (if it takes one) is filled in once the request is read.
fn endpoint<'a>(method: &Method, segments: &[&'a str]) -> Option<(Option<&'a str>, CartOp)> {
    let body = json!({});
    Some(match (method, segments) {
        (Method::Post, ["carts"]) => (None, CartOp::Create { body }),
        (Method::Get, ["carts", id]) => (Some(*id), CartOp::Get),
        (Method::Post, ["carts", id]) => (Some(*id), CartOp::Update { body }),
        (Method::Post, ["carts", id, "line-items"]) => (Some(*id), CartOp::AddItem { body }),
        (Method::Post, ["carts", id, "line-items", line]) => (
            Some(*id),
            CartOp::UpdateItem {
                line_id: (*line).to_owned(),
                body,
            },
        ),
        (Method::Delete, ["carts", id, "line-items", line]) => (
            Some(*id),
            CartOp::RemoveItem {
                line_id: (*line).to_owned(),
            },
        ),
        (Method::Post, ["carts", id, "shipping-methods"]) => {
            (Some(*id), CartOp::AddShippingMethod { body })
        }
        (Method::Get, ["shipping-options"]) => (None, CartOp::ShippingOptions),
        _ => return None,
    })
}

/// The cart endpoints of `/store/*`, or `None` when the path is not one of them.
/// `segments` is the path after `/store/`.
#[allow(clippy::too_many_arguments)]
pub async fn api(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    method: &Method,
    url: &Url,
    segments: &[&str],
    trace_id: &str,
) -> Option<Result<Response, ApiError>> {
    let Some((id, op)) = endpoint(method, segments) else {
        return matches!(segments, ["carts", ..]).then(|| {
            Err(ApiError::MethodNotAllowed {
                method: method.to_string(),
                path: url.path().to_owned(),
            })
        });
    };
    Some(api_call(req, env, ctx, config, url, id, op, trace_id).await)
}

#[allow(clippy::too_many_arguments)]
async fn api_call(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
    id: Option<&str>,
    mut op: CartOp,
    trace_id: &str,
) -> Result<Response, ApiError> {
    let key = req
        .headers()
        .get("x-publishable-api-key")
        .map_err(internal)?;
    let key = PublishableKey::parse(key.as_deref())?;
    let store = store_api::store_for(env, ctx, config, &key).await?;
    if let CartOp::Create { body }
    | CartOp::Update { body }
    | CartOp::AddItem { body }
    | CartOp::UpdateItem { body, .. }
    | CartOp::AddShippingMethod { body } = &mut op
    {
        *body = json_body(req).await?;
    }
    let id = match (&op, id) {
        (CartOp::Create { .. }, _) => CartId::generate(),
        (CartOp::ShippingOptions, _) => {
            let raw = url
                .query_pairs()
                .find(|(k, _)| k == "cart_id")
                .map(|(_, v)| v.into_owned())
                .ok_or_else(|| ApiError::invalid("cart_id", "is required"))?;
            cart_id(&raw)?
        }
        (_, id) => cart_id(id.unwrap_or_default())?,
    };
    let image_base = format!("{}/images/", url.origin().ascii_serialization());
    let (status, body) = match call(env, &store, &id, op, &image_base).await? {
        Ok(outcome) => {
            let page = req.headers().get("referer").ok().flatten();
            emit(env, ctx, &outcome.events, trace_id, page);
            (200, outcome.body)
        }
        Err(refused) => (refused.status, refused.body),
    };
    let headers = Headers::new();
    headers
        .set("content-type", "application/json; charset=utf-8")
        .map_err(internal)?;
    headers.set("cache-control", "no-store").map_err(internal)?;
    let text = serde_json::to_vec(&body).map_err(internal)?;
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .fixed(text))
}
