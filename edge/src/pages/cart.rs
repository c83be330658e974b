//! The cart as pages: `GET /cart`, and the forms that change it (`POST
//! /cart/line-items` from the product page, quantity, remove, shipping), each answered
//! with a redirect back to the cart (post-redirect-get). The cart id lives in a
//! first-party cookie (see `http::cookies`); forms posted from other sites are refused.

use commerce::cart_api::{CartOp, CartOutcome};
use commerce::ids::CartId;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use storefront::pages::{cart_page, CartView, Rendered};
use worker::Response;

use super::{personal, render_personal};
use crate::context::Cx;
use crate::http::{self, cookies};
use crate::limit::Rule;
use crate::store_api::carts;

/// The cart page, rendered for this shopper (never cached).
async fn render(cx: &Cx, view: CartView, status: u16) -> Result<Rendered, ApiError> {
    render_personal(cx, "/cart", async |client, req| {
        cart_page(client, req, view, status).await
    })
    .await
}

/// A view that shows only a message.
fn message_view(error: Option<String>) -> CartView {
    CartView {
        error,
        ..CartView::default()
    }
}

/// What a shopper reads when the cart could not be reached at all.
fn trouble(err: &ApiError, doing: &str) -> Option<String> {
    Some(if err.status() >= 500 {
        format!("Your cart cannot be {doing} right now. Please try again.")
    } else {
        err.to_string()
    })
}

/// `GET /cart`
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let lifetime = cx.config.cart_lifetime_s;
    let Some(id) = cx.cookies.cart.clone() else {
        return personal(render(cx, message_view(None), 200).await?, None, &[]);
    };
    let store = cx.shopper()?.site.store.clone();
    match carts::call(
        &cx.env,
        &store,
        &id,
        CartOp::ShippingOptions,
        &cx.image_base(),
    )
    .await
    {
        Ok(outcome) => {
            let count = outcome.cart.item_count();
            let view = CartView {
                cart: Some(outcome.cart),
                shipping: outcome.shipping,
                notices: outcome.notices,
                error: None,
            };
            let set = cookies::cart(&cx.url, Some((&id, count)), lifetime);
            personal(render(cx, view, 200).await?, Some(count), &set)
        }
        // Expired or unknown: an empty cart, and the stale cookie goes.
        Err(err) if err.status() == 404 => {
            let set = cookies::cart(&cx.url, None, 0);
            personal(render(cx, message_view(None), 200).await?, None, &set)
        }
        Err(err) => {
            cx.log_failure(&err);
            let status = if err.status() >= 500 {
                503
            } else {
                err.status()
            };
            let count = if status == 503 {
                cx.cookies.cart_count
            } else {
                None
            };
            personal(
                render(cx, message_view(trouble(&err, "shown")), status).await?,
                count,
                &[],
            )
        }
    }
}

/// The fields of the cart's forms.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CartForm {
    variant_id: Option<String>,
    quantity: Option<String>,
    option_id: Option<String>,
}

/// A form field as a JSON integer when it is one, else as the text (the cart rules
/// then refuse it, naming the field).
fn number(text: Option<&str>) -> Value {
    match text.map(str::trim) {
        Some(t) => t.parse::<i64>().map_or_else(|_| json!(t), |n| json!(n)),
        None => Value::Null,
    }
}

/// `POST /cart/...`: the cart's forms.
pub async fn post(cx: &mut Cx) -> Result<Response, ApiError> {
    let form: CartForm = cx.form().await?;
    let region_id = cx.shopper()?.region.id.clone();
    let existing = cx.cookies.cart.clone();
    let rest = cx.param(0).to_owned();
    let segments: Vec<&str> = rest.split('/').collect();
    let item =
        || json!({ "variant_id": form.variant_id, "quantity": number(form.quantity.as_deref()) });
    let create = |item: Value| CartOp::Create {
        customer: None,
        body: json!({ "region_id": region_id, "items": [item] }),
    };
    let (id, op) = match (segments.as_slice(), existing) {
        (["line-items"], Some(id)) => (id, CartOp::AddItem { body: item() }),
        (["line-items"], None) => {
            cx.limit(Rule::CartCreateByIp, &cx.client_ip()).await?;
            (CartId::generate(), create(item()))
        }
        (["line-items", line] | ["line-items", line, "update"], Some(id)) => (
            id,
            CartOp::UpdateItem {
                line_id: (*line).to_owned(),
                body: json!({ "quantity": number(form.quantity.as_deref()) }),
            },
        ),
        (["line-items", line, "delete"], Some(id)) => (
            id,
            CartOp::RemoveItem {
                line_id: (*line).to_owned(),
            },
        ),
        (["shipping"], Some(id)) => (
            id,
            CartOp::AddShippingMethod {
                body: json!({ "option_id": form.option_id }),
            },
        ),
        (["line-items", ..] | ["shipping"], None) => return http::see_other("/cart"),
        _ => {
            return Err(ApiError::RouteNotFound {
                method: "POST".into(),
                path: cx.url.path().to_owned(),
            })
        }
    };
    let store = cx.shopper()?.site.store.clone();
    let image_base = cx.image_base();
    let answer = carts::call(&cx.env, &store, &id, op.clone(), &image_base).await;
    // The cookie's cart expired: adding starts a new one.
    if let (Err(err), CartOp::AddItem { body }) = (&answer, &op) {
        if err.status() == 404 {
            let fresh = CartId::generate();
            let answer =
                carts::call(&cx.env, &store, &fresh, create(body.clone()), &image_base).await;
            return finish(cx, &fresh, answer).await;
        }
    }
    finish(cx, &id, answer).await
}

/// After a cart form: to the cart (with the renewed cookie), or the cart page with the
/// refusal in place and the cart as it is.
async fn finish(
    cx: &Cx,
    id: &CartId,
    answer: Result<CartOutcome, ApiError>,
) -> Result<Response, ApiError> {
    let err = match answer {
        Ok(outcome) => {
            carts::emit(
                &cx.env,
                &cx.ctx,
                &outcome.events,
                &cx.trace_id,
                Some(cx.url.as_str().to_owned()),
            );
            let mut response = http::see_other("/cart")?;
            let set = cookies::cart(
                &cx.url,
                Some((id, outcome.cart.item_count())),
                cx.config.cart_lifetime_s,
            );
            cookies::set(response.headers_mut(), &set).map_err(http::internal)?;
            return Ok(response);
        }
        Err(err) => err,
    };
    cx.log_failure(&err);
    let mut view = message_view(trouble(&err, "changed"));
    let mut count = cx.cookies.cart_count;
    let status = if err.status() >= 500 {
        503
    } else {
        err.status()
    };
    if status != 503 {
        let store = &cx.shopper()?.site.store;
        if let Ok(current) = carts::call(
            &cx.env,
            store,
            id,
            CartOp::ShippingOptions,
            &cx.image_base(),
        )
        .await
        {
            count = Some(current.cart.item_count());
            view.cart = Some(current.cart);
            view.shipping = current.shipping;
        }
    }
    personal(render(cx, view, status).await?, count, &[])
}

/// `POST /checkout` (the cart page's button): to the checkout pages.
pub async fn to_checkout(_cx: &mut Cx) -> Result<Response, ApiError> {
    http::see_other("/checkout")
}
