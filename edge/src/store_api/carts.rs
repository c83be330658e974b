//! Carts at the edge: the Store API's cart endpoints and the calls every cart page
//! makes. Each operation goes to the cart's Durable Object (`CartObject`, addressed by
//! the cart id), which applies it alone; its refusal comes back as the same
//! `ApiError`. The cart's analytics events go to the events Queue without delaying
//! the response.

use commerce::analytics::AnalyticsEvent;
use commerce::cart::CartEvent;
use commerce::cart_api::{CartOp, CartOutcome};
use commerce::ids::CartId;
use commerce::store::Store;
use commerce::ApiError;
use durable_objects::cart::{CartCall, StoreRef};
use worker::{Context, Env, Response};

use crate::context::Cx;
use crate::http;

/// Runs `op` on cart `cart_id` of `store` in its object.
pub async fn call(
    env: &Env,
    store: &Store,
    cart_id: &CartId,
    op: CartOp,
    image_base: &str,
) -> Result<CartOutcome, ApiError> {
    let call = CartCall {
        store: StoreRef {
            id: store.id.clone(),
            name: store.name.clone(),
            default_currency: store.default_currency.as_str().to_owned(),
            catalog_version: store.catalog_version,
        },
        cart_id: cart_id.clone(),
        op,
        image_base: image_base.to_owned(),
    };
    durable_objects::cart::call(env, &call).await
}

/// Sends the cart's events to the Queue after the response ([`crate::analytics::emit`]).
pub fn emit(
    env: &Env,
    ctx: &Context,
    events: &[CartEvent],
    trace_id: &str,
    page_url: Option<String>,
) {
    let events = events
        .iter()
        .map(|e| AnalyticsEvent::from_cart_event(e, Some(trace_id.to_owned()), page_url.clone()))
        .collect();
    crate::analytics::emit(env, ctx, events, trace_id);
}

/// A cart id from a path, query or body; a malformed one names nothing.
pub fn cart_id(raw: &str) -> Result<CartId, ApiError> {
    CartId::parse(raw).map_err(|_| ApiError::not_found("Cart", "id", raw))
}

/// Runs `op` on `id` for the request's store and answers the cart's JSON.
pub(super) async fn run(cx: &mut Cx, id: CartId, op: CartOp) -> Result<Response, ApiError> {
    let store = cx.store()?;
    let outcome = call(&cx.env, &store, &id, op, &cx.image_base()).await?;
    emit(
        &cx.env,
        &cx.ctx,
        &outcome.events,
        &cx.trace_id,
        cx.header("referer"),
    );
    let mut response = http::json(200, &outcome.body)?;
    response
        .headers_mut()
        .set("cache-control", "no-store")
        .map_err(http::internal)?;
    Ok(response)
}

/// The cart of the path's `:id`.
pub(super) fn path_cart(cx: &Cx) -> Result<CartId, ApiError> {
    cart_id(cx.param(0))
}

/// `POST /store/carts`: a signed-in customer's cart is theirs (a token that is not
/// good here makes a guest's cart).
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    let body = cx.json_body().await?;
    let customer = match cx.signed_in().await {
        Ok(Some(who)) => {
            cx.customer = Some(who);
            super::customers::cart_customer(cx).ok()
        }
        Ok(None) | Err(ApiError::NotSignedIn { .. }) => None,
        Err(err) => return Err(err),
    };
    run(cx, CartId::generate(), CartOp::Create { body, customer }).await
}

/// `GET /store/carts/:id`
pub async fn get(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = path_cart(cx)?;
    run(cx, id, CartOp::Get).await
}

/// `POST /store/carts/:id`
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = path_cart(cx)?;
    let body = cx.json_body().await?;
    run(cx, id, CartOp::Update { body }).await
}

/// `POST /store/carts/:id/line-items`
pub async fn add_item(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = path_cart(cx)?;
    let body = cx.json_body().await?;
    run(cx, id, CartOp::AddItem { body }).await
}

/// `POST /store/carts/:id/line-items/:line`
pub async fn update_item(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = path_cart(cx)?;
    let line_id = cx.param(1).to_owned();
    let body = cx.json_body().await?;
    run(cx, id, CartOp::UpdateItem { line_id, body }).await
}

/// `DELETE /store/carts/:id/line-items/:line`
pub async fn remove_item(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = path_cart(cx)?;
    let line_id = cx.param(1).to_owned();
    run(cx, id, CartOp::RemoveItem { line_id }).await
}

/// `POST /store/carts/:id/shipping-methods`
pub async fn add_shipping(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = path_cart(cx)?;
    let body = cx.json_body().await?;
    run(cx, id, CartOp::AddShippingMethod { body }).await
}

/// `GET /store/shipping-options?cart_id=`
pub async fn shipping_options(cx: &mut Cx) -> Result<Response, ApiError> {
    let raw = cx
        .query("cart_id")
        .ok_or_else(|| ApiError::invalid("cart_id", "is required"))?;
    run(cx, cart_id(&raw)?, CartOp::ShippingOptions).await
}
