//! The Store API's checkout endpoints, relayed to the origin: payment collections and
//! sessions, payment providers, cart completion and orders, in Medusa's shapes. The
//! cart is read from its Durable Object and sent as a snapshot; the origin prices it
//! again. A completed cart is marked in its object so that it refuses later changes
//! and a repeated completion answers the same order. Completion and payment attempts
//! are limited per cart (card testing).

use std::rc::Rc;

use commerce::cart::Cart;
use commerce::cart_api::CartOp;
use commerce::checkout::{
    CollectionAnswer, CollectionRequest, CompleteRequest, CompleteResponse, OrderResponse,
    PaymentChoice, SessionRequest, SessionView, COLLECTIONS_PATH, COMPLETE_PATH, ORDERS_PATH,
    PROVIDERS_PATH,
};
use commerce::ids::{CartId, OrderId, PaymentCollectionId};
use commerce::order::order_json;
use commerce::store::Store;
use commerce::wire::Json;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use worker::{Env, Method, Response};

use super::carts::{self, cart_id};
use crate::config::Config;
use crate::context::Cx;
use crate::http;
use crate::limit::{self, Rule};
use crate::origin::{self, Reply};

/// The cart exactly as its object holds it (the origin prices it again), with its
/// Store API JSON.
pub async fn snapshot(
    env: &Env,
    store: &Store,
    id: &CartId,
    image_base: &str,
) -> Result<(Cart, Json), ApiError> {
    let outcome = carts::call(env, store, id, CartOp::Snapshot, image_base).await?;
    Ok((outcome.cart, outcome.body))
}

/// Marks the cart ordered in its object (a failure is logged: the order stands).
async fn mark_completed(caller: &Caller, store: &Store, cart: &CartId, order: &OrderId) {
    let op = CartOp::MarkCompleted {
        order_id: order.clone(),
    };
    if let Err(err) = carts::call(&caller.env, store, cart, op, "/images/").await {
        let err = ApiError::internal(format!("marking cart {cart} completed: {err}"));
        crate::log::failure(Some(&caller.trace_id), &err);
    }
}

/// The origin's JSON answer as it came: its body and cookies when it succeeded, its
/// error otherwise.
fn relay_json(reply: Reply) -> Result<Response, ApiError> {
    let cookies = reply.cookies.clone();
    let body: Value = reply.into_json()?;
    let mut response = http::json(200, &body)?;
    http::cookies::set(response.headers_mut(), &cookies).map_err(http::internal)?;
    Ok(response)
}

/// What a completion needs of the request that asks for it, owned (the GraphQL
/// Worker's resolvers hold it beyond the request context).
pub struct Caller {
    pub env: Env,
    pub config: Rc<Config>,
    pub trace_id: String,
    pub traceparent: String,
    /// Where the shopper comes back to after a bank's confirmation page.
    pub return_url: String,
    pub image_base: String,
}

impl Caller {
    pub fn of(cx: &Cx) -> Self {
        Caller {
            env: cx.env.clone(),
            config: cx.config.clone(),
            trace_id: cx.trace_id.clone(),
            traceparent: cx.traceparent.clone(),
            return_url: format!("{}/checkout", cx.site_origin()),
            image_base: cx.image_base(),
        }
    }

    /// [`Cx::limit`] for the caller: one more attempt against `rule` for `key`.
    async fn limit(&self, rule: Rule, key: &str) -> Result<(), ApiError> {
        limit::check(&self.env, &self.config, &self.trace_id, rule, key).await
    }
}

/// Completes the cart: what Medusa's `POST /store/carts/:id/complete` answers, with
/// the cart's JSON, or the refusal (of the cart's object or of the origin).
pub async fn complete_cart(
    cx: &Cx,
    store: &Store,
    id: &CartId,
    payment: Option<PaymentChoice>,
) -> Result<(CompleteResponse, Json), ApiError> {
    complete_cart_for(&Caller::of(cx), store, id, payment).await
}

/// [`complete_cart`] for a [`Caller`].
pub async fn complete_cart_for(
    caller: &Caller,
    store: &Store,
    id: &CartId,
    payment: Option<PaymentChoice>,
) -> Result<(CompleteResponse, Json), ApiError> {
    let (env, config) = (&caller.env, &caller.config);
    caller.limit(Rule::CheckoutPerCart, id.as_str()).await?;
    let (cart, cart_body) = snapshot(env, store, id, &caller.image_base).await?;
    let request = CompleteRequest {
        cart,
        payment,
        return_url: caller.return_url.clone(),
    };
    let reply = origin::post(config, COMPLETE_PATH, &request, &caller.traceparent).await?;
    let response: CompleteResponse = reply.into_json()?;
    if let CompleteResponse::Order { order } = &response {
        mark_completed(caller, store, id, &order.id).await;
    }
    Ok((response, cart_body))
}

/// `POST /store/carts/:id/complete`
pub async fn complete(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = cart_id(cx.param(0))?;
    let store = cx.store()?;
    let image_base = cx.image_base();
    let body = match complete_cart(cx, &store, &id, None).await? {
        (CompleteResponse::Order { order }, _) => {
            json!({"type": "order", "order": order_json(&order, &image_base)})
        }
        (CompleteResponse::Cart { error, action }, cart_body) => {
            let mut error = serde_json::to_value(error).map_err(ApiError::internal)?;
            if let Some(action) = action {
                error["action"] = serde_json::to_value(action).map_err(ApiError::internal)?;
            }
            /// The cart out of its body `{"cart": ...}`, as it is.
            #[derive(Deserialize)]
            struct CartOnly {
                cart: Json,
            }
            let CartOnly { cart } =
                serde_json::from_str(cart_body.get()).map_err(ApiError::internal)?;
            json!({"type": "cart", "cart": cart, "error": error})
        }
    };
    http::json(200, &body)
}

/// The body of `POST /store/payment-collections`.
#[derive(Deserialize)]
struct NewCollection {
    cart_id: Option<String>,
}

/// `POST /store/payment-collections`
pub async fn create_collection(cx: &mut Cx) -> Result<Response, ApiError> {
    let store = cx.store()?;
    let body: NewCollection = cx.json_as().await?;
    let raw = body
        .cart_id
        .ok_or_else(|| ApiError::invalid("cart_id", "is required"))?;
    let (cart, _) = snapshot(&cx.env, &store, &cart_id(&raw)?, &cx.image_base()).await?;
    let begun = commerce::analytics::record::begin_checkout(
        &store.id,
        cart.id.as_str(),
        &cx.trace_id,
        crate::analytics::now_ms(),
    );
    crate::analytics::record(cx, begun);
    relay_json(collection_for(&cx.config, &cx.traceparent, cart).await?)
}

/// The cart's payment collection at the origin (made once, for the cart's total).
async fn collection_for(config: &Config, traceparent: &str, cart: Cart) -> Result<Reply, ApiError> {
    let request = CollectionRequest { cart };
    origin::post(config, COLLECTIONS_PATH, &request, traceparent).await
}

/// A new payment session in collection `id` of `store`; payment attempts count
/// against the collection (one per cart).
async fn session_for(
    caller: &Caller,
    store: &Store,
    id: &PaymentCollectionId,
    payment: PaymentChoice,
) -> Result<Reply, ApiError> {
    caller.limit(Rule::CheckoutPerCart, id.as_str()).await?;
    let request = SessionRequest {
        store_id: store.id.clone(),
        payment,
    };
    let path = format!("{COLLECTIONS_PATH}/{id}/payment-sessions");
    origin::post(&caller.config, &path, &request, &caller.traceparent).await
}

/// Starts paying cart `id` with `payment`: its collection, then a new session in it
/// (what a Store API client does in two requests). The new session.
pub async fn start_payment_for(
    caller: &Caller,
    store: &Store,
    id: &CartId,
    payment: PaymentChoice,
) -> Result<SessionView, ApiError> {
    let (cart, _) = snapshot(&caller.env, store, id, &caller.image_base).await?;
    let collection = collection_for(&caller.config, &caller.traceparent, cart)
        .await?
        .into_json::<CollectionAnswer>()?
        .payment_collection;
    let collection_id = PaymentCollectionId::parse(&collection.id).map_err(ApiError::internal)?;
    session_for(caller, store, &collection_id, payment)
        .await?
        .into_json::<CollectionAnswer>()?
        .payment_collection
        .payment_sessions
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal(format!("no session in collection {collection_id}")))
}

/// The body of `POST /store/payment-collections/:id/payment-sessions`.
#[derive(Deserialize)]
struct NewSession {
    provider_id: Option<String>,
    #[serde(default)]
    data: Option<Value>,
}

/// `POST /store/payment-collections/:id/payment-sessions`
pub async fn create_session(cx: &mut Cx) -> Result<Response, ApiError> {
    let store = cx.store()?;
    let raw = cx.param(0).to_owned();
    let id = PaymentCollectionId::parse(&raw)
        .map_err(|_| ApiError::not_found("PaymentCollection", "id", raw.clone()))?;
    let body: NewSession = cx.json_as().await?;
    let provider_id = body
        .provider_id
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::invalid("provider_id", "is required"))?;
    let payment = PaymentChoice {
        provider_id,
        data: body.data.unwrap_or(json!({})),
    };
    relay_json(session_for(&Caller::of(cx), &store, &id, payment).await?)
}

/// `GET /store/payment-providers?region_id=`
pub async fn providers(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.query("region_id").is_none() {
        return Err(ApiError::invalid("region_id", "is required"));
    }
    relay_json(origin::get(&cx.config, PROVIDERS_PATH, &cx.traceparent).await?)
}

/// `GET /store/orders/:id`
pub async fn order(cx: &mut Cx) -> Result<Response, ApiError> {
    let raw = cx.param(0).to_owned();
    let id = OrderId::parse(&raw).map_err(|_| ApiError::not_found("Order", "id", raw))?;
    let store = cx.store()?;
    let order = fetch_order(&cx.config, &store, &id, &cx.traceparent).await?;
    http::json(200, &json!({"order": order_json(&order, &cx.image_base())}))
}

/// Order `id` of `store` from the origin.
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
    Ok(reply.into_json::<OrderResponse>()?.order)
}

/// The shape of `Stripe-Signature`: `t=<digits>` and at least one `v1=<64 hex>`.
fn stripe_signature_shape(header: &str) -> bool {
    let mut timestamp = false;
    let mut signature = false;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = !t.is_empty() && t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit())
            }
            Some(("v1", v)) => {
                signature |= v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
            }
            _ => {}
        }
    }
    header.len() <= 1024 && timestamp && signature
}

/// `POST /webhooks/stripe`: Stripe's webhook, relayed with its signature header to
/// the origin, which verifies it. A header that cannot be a signature is refused here.
pub async fn stripe_webhook(cx: &mut Cx) -> Result<Response, ApiError> {
    let Some(signature) = cx.header("stripe-signature") else {
        return Err(ApiError::invalid("stripe-signature", "is missing"));
    };
    if !stripe_signature_shape(&signature) {
        return Err(ApiError::invalid(
            "stripe-signature",
            "is not a Stripe signature",
        ));
    }
    let body = http::body::bounded(&mut cx.req, 256 * 1024)
        .await
        .map_err(|_| ApiError::invalid("body", "larger than 256 KB"))?;
    let reply = origin::send(
        &cx.config,
        Method::Post,
        commerce::checkout::STRIPE_WEBHOOK_PATH,
        Some(body),
        &cx.traceparent,
        &[("stripe-signature", &signature)],
    )
    .await?;
    let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
    http::json(reply.status, &body)
}

#[cfg(test)]
mod tests {
    use super::stripe_signature_shape;

    #[test]
    fn stripe_signatures_are_checked_for_shape() {
        let v1 = "a".repeat(64);
        assert!(stripe_signature_shape(&format!("t=1700000000,v1={v1}")));
        assert!(stripe_signature_shape(&format!(
            "t=1700000000,v1={v1},v0=abc"
        )));
        for bad in ["", "t=1", "v1=abc", "t=x,v1=", "garbage"] {
            assert!(!stripe_signature_shape(bad), "{bad}");
        }
    }
}
