//! The Store API's checkout endpoints, relayed to the origin: payment collections and
//! sessions, payment providers, cart completion and orders, in Medusa's shapes. The
//! cart is read from its Durable Object (which refreshes it against the catalog) and
//! sent as a snapshot; the origin prices it again. A completed cart is marked in its
//! object so that it refuses later changes and a repeated completion answers the same
//! order.

use commerce::cart::Cart;
use commerce::cart_api::CartOp;
use commerce::checkout::{
    CollectionRequest, CompleteRequest, CompleteResponse, OrderResponse, PaymentChoice,
    SessionRequest, COLLECTIONS_PATH, COMPLETE_PATH, ORDERS_PATH, PROVIDERS_PATH,
};
use commerce::ids::{CartId, OrderId, PaymentCollectionId};
use commerce::order::order_json;
use commerce::store::{PublishableKey, Store};
use commerce::ApiError;
use serde_json::{json, Value};
use worker::{Context, Env, Method, Request, Response, Url};

use crate::carts::{self, json_body, Refused};
use crate::config::Config;
use crate::origin::{self, Reply};
use crate::{http, store_api};

fn internal(e: impl ToString) -> ApiError {
    ApiError::Internal {
        detail: e.to_string(),
    }
}

/// The cart exactly as its object holds it (the origin prices it again).
pub async fn snapshot(
    env: &Env,
    store: &Store,
    id: &CartId,
    image_base: &str,
) -> Result<Result<(Cart, Value), Refused>, ApiError> {
    Ok(carts::call(env, store, id, CartOp::Snapshot, image_base)
        .await?
        .map(|outcome| (outcome.cart, outcome.body)))
}

/// Marks the cart ordered in its object (a failure is logged: the order stands).
pub async fn mark_completed(env: &Env, store: &Store, cart: &CartId, order: &OrderId) {
    let op = CartOp::MarkCompleted {
        order_id: order.clone(),
    };
    match carts::call(env, store, cart, op, "/images/").await {
        Ok(Ok(_)) => {}
        Ok(Err(refused)) => crate::log_error(&internal(format!(
            "marking cart {cart} completed: {} {}",
            refused.status, refused.body
        ))),
        Err(e) => crate::log_error(&e),
    }
}

/// Relays a refusal of the origin (4xx with Medusa's error body) as it came.
/// A refusal of the origin (4xx with Medusa's error body) as it came; a failure of
/// the origin itself (5xx) is the upstream's error.
fn refused(reply: &Reply) -> Result<Refused, ApiError> {
    let refusal = reply.error();
    if refusal.status >= 500 {
        return Err(ApiError::UpstreamUnavailable {
            message: refusal.message,
            detail: format!("origin answered {}: {}", refusal.status, refusal.code),
        });
    }
    Ok(Refused {
        status: refusal.status,
        body: refusal.body,
    })
}

fn respond(refused: &Refused) -> Result<Response, ApiError> {
    http::json(refused.status, &refused.body).map_err(internal)
}

/// Relays a refusal of the origin as it came.
fn relay(reply: &Reply) -> Result<Response, ApiError> {
    respond(&refused(reply)?)
}

fn with_cookies(mut response: Response, reply: &Reply) -> Result<Response, ApiError> {
    for cookie in &reply.cookies {
        response
            .headers_mut()
            .append("set-cookie", cookie)
            .map_err(internal)?;
    }
    Ok(response)
}

/// The origin's JSON answer as it came: its body and cookies when it succeeded, its
/// refusal otherwise.
fn relay_json(reply: &Reply) -> Result<Response, ApiError> {
    if !reply.ok() {
        return relay(reply);
    }
    let body: Value = reply.json()?;
    with_cookies(http::json(200, &body).map_err(internal)?, reply)
}

/// A cart id from a path or body; a malformed one names nothing.
fn cart_id(raw: &str) -> Result<CartId, ApiError> {
    CartId::parse(raw).map_err(|_| ApiError::not_found("Cart", "id", raw))
}

/// Completes the cart: what Medusa's `POST /store/carts/:id/complete` answers, with
/// the cart's JSON, or the refusal (of the cart's object or of the origin).
#[allow(clippy::too_many_arguments)]
pub async fn complete(
    env: &Env,
    config: &Config,
    store: &Store,
    id: &CartId,
    payment: Option<PaymentChoice>,
    return_url: String,
    image_base: &str,
    traceparent: &str,
) -> Result<Result<(CompleteResponse, Value), Refused>, ApiError> {
    let (cart, cart_body) = match snapshot(env, store, id, image_base).await? {
        Ok(found) => found,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let request = CompleteRequest {
        cart,
        payment,
        return_url,
    };
    let reply = origin::post(config, COMPLETE_PATH, &request, traceparent).await?;
    if !reply.ok() {
        return Ok(Err(refused(&reply)?));
    }
    let response: CompleteResponse = reply.json()?;
    if let CompleteResponse::Order { order } = &response {
        mark_completed(env, store, id, &order.id).await;
    }
    Ok(Ok((response, cart_body)))
}

/// The Store API endpoints of checkout, or `None` when the path is not one of them.
#[allow(clippy::too_many_arguments)]
pub async fn api(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    method: &Method,
    url: &Url,
    segments: &[&str],
    traceparent: &str,
) -> Option<Result<Response, ApiError>> {
    let known = matches!(
        (method, segments),
        (Method::Post, ["payment-collections"])
            | (Method::Post, ["payment-collections", _, "payment-sessions"])
            | (Method::Get, ["payment-providers"])
            | (Method::Post, ["carts", _, "complete"])
            | (Method::Get, ["orders", _])
    );
    if !known {
        return None;
    }
    Some(handle(req, env, ctx, config, method, url, segments, traceparent).await)
}

#[allow(clippy::too_many_arguments)]
async fn handle(
    req: &mut Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    method: &Method,
    url: &Url,
    segments: &[&str],
    traceparent: &str,
) -> Result<Response, ApiError> {
    let key = req
        .headers()
        .get("x-publishable-api-key")
        .map_err(internal)?;
    let key = PublishableKey::parse(key.as_deref())?;
    let store = store_api::store_for(env, ctx, config, &key).await?;
    let site = url.origin().ascii_serialization();
    let image_base = format!("{site}/images/");
    match (method, segments) {
        (Method::Post, ["payment-collections"]) => {
            let body = json_body(req).await?;
            let raw = body
                .get("cart_id")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid("cart_id", "is required"))?;
            let (cart, _) = match snapshot(env, &store, &cart_id(raw)?, &image_base).await? {
                Ok(found) => found,
                Err(refusal) => return respond(&refusal),
            };
            let reply = origin::post(
                config,
                COLLECTIONS_PATH,
                &CollectionRequest { cart },
                traceparent,
            )
            .await?;
            relay_json(&reply)
        }
        (Method::Post, ["payment-collections", id, "payment-sessions"]) => {
            let id = PaymentCollectionId::parse(id)
                .map_err(|_| ApiError::not_found("PaymentCollection", "id", *id))?;
            let body = json_body(req).await?;
            let provider_id = body
                .get("provider_id")
                .and_then(Value::as_str)
                .filter(|p| !p.is_empty())
                .ok_or_else(|| ApiError::invalid("provider_id", "is required"))?;
            let request = SessionRequest {
                store_id: store.id.clone(),
                payment: PaymentChoice {
                    provider_id: provider_id.to_owned(),
                    data: body.get("data").cloned().unwrap_or(json!({})),
                },
            };
            let path = format!("{COLLECTIONS_PATH}/{id}/payment-sessions");
            let reply = origin::post(config, &path, &request, traceparent).await?;
            relay_json(&reply)
        }
        (Method::Get, ["payment-providers"]) => {
            let region = url.query_pairs().find(|(k, _)| k == "region_id");
            if region.is_none() {
                return Err(ApiError::invalid("region_id", "is required"));
            }
            let reply = origin::get(config, PROVIDERS_PATH, traceparent).await?;
            relay_json(&reply)
        }
        (Method::Post, ["carts", id, "complete"]) => {
            let id = cart_id(id)?;
            let return_url = format!("{site}/checkout");
            let done = complete(
                env,
                config,
                &store,
                &id,
                None,
                return_url,
                &image_base,
                traceparent,
            )
            .await?;
            let (response, cart_body) = match done {
                Ok(done) => done,
                Err(refusal) => return respond(&refusal),
            };
            let body = match response {
                CompleteResponse::Order { order } => {
                    json!({"type": "order", "order": order_json(&order, &image_base)})
                }
                CompleteResponse::Cart { error, action } => {
                    let mut error = serde_json::to_value(error).map_err(internal)?;
                    if let Some(action) = action {
                        error["action"] = serde_json::to_value(action).map_err(internal)?;
                    }
                    json!({"type": "cart", "cart": cart_body.get("cart").cloned().unwrap_or(Value::Null), "error": error})
                }
            };
            http::json(200, &body).map_err(internal)
        }
        (Method::Get, ["orders", id]) => {
            let id = OrderId::parse(id).map_err(|_| ApiError::not_found("Order", "id", *id))?;
            let order = fetch_order(config, &store, &id, traceparent).await?;
            http::json(200, &json!({"order": order_json(&order, &image_base)})).map_err(internal)
        }
        _ => Err(ApiError::RouteNotFound {
            method: method.to_string(),
            path: url.path().to_owned(),
        }),
    }
}

/// Order `id` of `store` from the origin; a refusal becomes the matching error.
pub async fn fetch_order(
    config: &Config,
    store: &Store,
    id: &OrderId,
    traceparent: &str,
) -> Result<commerce::order::Order, ApiError> {
    let path = format!("{ORDERS_PATH}/{id}?store_id={}", store.id);
    let reply = origin::get(config, &path, traceparent).await?;
    if reply.status == 404 {
        return Err(ApiError::not_found("Order", "id", id.as_str()));
    }
    if !reply.ok() {
        let refusal = reply.error();
        return Err(ApiError::UpstreamUnavailable {
            message: refusal.message,
            detail: format!("origin answered {}", refusal.status),
        });
    }
    Ok(reply.json::<OrderResponse>()?.order)
}

/// `POST /webhooks/stripe`: Stripe's webhook, relayed with its signature header to
/// the origin, which verifies it.
pub async fn stripe_webhook(
    mut req: Request,
    config: &Config,
    traceparent: &str,
) -> Result<Response, ApiError> {
    let signature = req.headers().get("stripe-signature").map_err(internal)?;
    let Some(signature) = signature else {
        return Err(ApiError::invalid("stripe-signature", "is missing"));
    };
    let body = req.bytes().await.map_err(internal)?;
    if body.len() > 256 * 1024 {
        return Err(ApiError::invalid("body", "larger than 256 KB"));
    }
    let reply = origin::send(
        config,
        Method::Post,
        commerce::checkout::STRIPE_WEBHOOK_PATH,
        Some(body),
        traceparent,
        &[("stripe-signature", &signature)],
    )
    .await?;
    let status = reply.status;
    let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    http::json(status, &body).map_err(internal)
}
