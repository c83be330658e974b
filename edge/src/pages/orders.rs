//! Orders as pages: `/orders/:id` (the confirmation, and the link in the e-mail) and
//! `/orders/lookup` (by e-mail and order number, limited per client and per e-mail).

use commerce::checkout::{LookupRequest, OrderResponse, LOOKUP_PATH};
use commerce::ids::OrderId;
use commerce::order::Order;
use commerce::ApiError;
use serde::Deserialize;
use storefront::checkout::{order_lookup_page, order_page, LookupForm};
use worker::Response;

use super::{personal, render_personal};
use crate::context::Cx;
use crate::limit::Rule;
use crate::origin;
use crate::store_api::checkout::fetch_order;

/// `GET /orders/:id` (`?placed=1` right after paying).
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let raw = cx.param(0).to_owned();
    let placed = cx.query("placed").as_deref() == Some("1");
    let id = OrderId::parse(&raw).map_err(|_| ApiError::not_found("Order", "id", raw))?;
    let order = fetch_order(&cx.config, &cx.shopper()?.site.store, &id, &cx.traceparent).await?;
    order_response(cx, &order, placed).await
}

async fn order_response(cx: &Cx, order: &Order, placed: bool) -> Result<Response, ApiError> {
    let path = cx.url.path().to_owned();
    let rendered = render_personal(cx, &path, async |client, req| {
        order_page(client, req, order, placed).await
    })
    .await?;
    personal(rendered, cx.shopper()?.cart_count, &[])
}

/// The lookup page, with a message and its status when something went wrong.
async fn lookup_page(
    cx: &Cx,
    form: LookupForm,
    message: Option<String>,
    status: u16,
) -> Result<Response, ApiError> {
    let rendered = render_personal(cx, "/orders/lookup", async |client, req| {
        order_lookup_page(client, req, form, message, status).await
    })
    .await?;
    personal(rendered, cx.shopper()?.cart_count, &[])
}

/// `GET /orders/lookup`
pub async fn lookup_form(cx: &mut Cx) -> Result<Response, ApiError> {
    lookup_page(cx, LookupForm::default(), None, 200).await
}

/// The lookup form as posted.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Lookup {
    email: String,
    number: String,
}

/// `POST /orders/lookup`: the order with this number and e-mail, or the form again
/// saying it was not found (whichever part was wrong).
pub async fn lookup(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: Lookup = cx.form().await?;
    let form = LookupForm {
        email: posted.email.trim().to_owned(),
        number: posted.number.trim().to_owned(),
    };
    let not_found = "We could not find an order with that number and email.";
    let (Some(display_id), Some(email)) = (form.display_id(), form.email()) else {
        let message = "Please enter the email address and the order number (for example 1042).";
        return lookup_page(cx, form, Some(message.into()), 400).await;
    };
    if let Err(err) = cx.limit(Rule::LookupByEmail, email.as_str()).await {
        let message = err.to_string();
        return lookup_page(cx, form, Some(message), err.status()).await;
    }
    let body = LookupRequest {
        store_id: cx.shopper()?.site.store.id.clone(),
        email,
        display_id,
    };
    let (message, status) = match origin::post(&cx.config, LOOKUP_PATH, &body, &cx.traceparent)
        .await
    {
        Ok(reply) if reply.status == 404 => (not_found.to_owned(), 404),
        Ok(reply) => match reply.into_json::<OrderResponse>() {
            Ok(found) => return order_response(cx, &found.order, false).await,
            Err(err) if err.status() >= 500 => {
                cx.log_failure(&err);
                (
                    "Orders cannot be looked up just now. Please try again in a moment.".to_owned(),
                    503,
                )
            }
            Err(err) => (err.to_string(), err.status()),
        },
        Err(err) => {
            cx.log_failure(&err);
            (
                "Orders cannot be looked up just now. Please try again in a moment.".to_owned(),
                503,
            )
        }
    };
    lookup_page(cx, form, Some(message), status).await
}
