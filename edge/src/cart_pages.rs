//! The cart as pages, without JavaScript: `GET /cart`, and the forms that change it
//! (`POST /cart/line-items` from the product page, quantity, remove, shipping), each
//! answered with a redirect back to the cart (post-redirect-get). The cart id lives in
//! an HttpOnly, SameSite=Lax, first-party cookie (Secure except over plain http on
//! localhost); forms posted from other sites are refused.

use commerce::cart_api::{CartOp, CartOutcome};
use commerce::ids::CartId;
use serde_json::{json, Value};
use storefront::pages::{cart_page, CartView, Rendered};
use storefront::site::cookie;
use worker::{Context, Env, Headers, Request, Response, ResponseBuilder, Url};

use crate::carts::{self, Refused};
use crate::config::Config;
use crate::pages::{
    entry, form_field, personalize, read_form, render_personal, respond_entry, shopper, Shopper,
    CART_COUNT_COOKIE,
};
use crate::{http, log_error};

/// The cookie holding the shopper's cart id.
pub const CART_COOKIE: &str = "cart_id";

/// The cart id of the shopper's cookie, if well formed.
pub(crate) fn cart_cookie(req: &Request) -> Option<CartId> {
    let cookies = req.headers().get("cookie").ok().flatten();
    cookie(cookies.as_deref(), CART_COOKIE).and_then(|v| CartId::parse(v).ok())
}

/// `Set-Cookie` values for the cart id and its count; `None` clears both.
pub(crate) fn cart_cookies(
    url: &Url,
    cart: Option<(&CartId, u32)>,
    lifetime_s: u64,
) -> [String; 2] {
    let secure = if url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let attrs = |age: u64| format!("; Path=/; Max-Age={age}; HttpOnly; SameSite=Lax{secure}");
    match cart {
        Some((id, count)) => [
            format!("{CART_COOKIE}={}{}", id.as_str(), attrs(lifetime_s)),
            format!("{CART_COUNT_COOKIE}={count}{}", attrs(lifetime_s)),
        ],
        None => [
            format!("{CART_COOKIE}={}", attrs(0)),
            format!("{CART_COUNT_COOKIE}={}", attrs(0)),
        ],
    }
}

/// The cart page, rendered for this shopper (never cached).
async fn render(env: &Env, shopper: &Shopper, url: &Url, view: CartView, status: u16) -> Rendered {
    render_personal(env, shopper, url, "/cart", async |client, req| {
        cart_page(client, req, view, status).await
    })
    .await
}

/// The page with the header's count of `count` units (what the cart holds now).
fn page(
    rendered: Rendered,
    count: Option<u32>,
    set_cookies: Option<[String; 2]>,
) -> worker::Result<Response> {
    let mut response = respond_entry(personalize(entry(rendered), count), None, "BYPASS")?;
    let headers = response.headers_mut();
    headers.set("cache-control", "no-store")?;
    for c in set_cookies.into_iter().flatten() {
        headers.append("set-cookie", &c)?;
    }
    Ok(response)
}

/// `GET /cart`
pub async fn show(
    req: &Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
) -> worker::Result<Response> {
    show_with(req, env, ctx, config, url, None).await
}

/// The cart page, with a message and its status when something was refused.
async fn show_with(
    req: &Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
    refusal: Option<(&str, u16)>,
) -> worker::Result<Response> {
    let error = refusal.map(|(text, _)| text.to_owned());
    let status = refusal.map_or(200, |(_, status)| status);
    let shopper = match shopper(req, env, ctx, config, url).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let Some(id) = cart_cookie(req) else {
        let view = CartView {
            error,
            ..CartView::default()
        };
        return page(render(env, &shopper, url, view, status).await, None, None);
    };
    let image_base = format!("{}/images/", url.origin().ascii_serialization());
    match carts::call(
        env,
        &shopper.site.store,
        &id,
        CartOp::ShippingOptions,
        &image_base,
    )
    .await
    {
        Ok(Ok(outcome)) => {
            let count = outcome.cart.item_count();
            let view = CartView {
                cart: Some(outcome.cart),
                shipping: outcome.shipping,
                notices: outcome.notices,
                error,
            };
            let set = cart_cookies(url, Some((&id, count)), config.cart_lifetime_s);
            page(
                render(env, &shopper, url, view, status).await,
                Some(count),
                Some(set),
            )
        }
        // Expired or unknown: an empty cart, and the stale cookie goes.
        Ok(Err(Refused { status: 404, .. })) => {
            let set = cart_cookies(url, None, 0);
            let view = CartView {
                error,
                ..CartView::default()
            };
            page(
                render(env, &shopper, url, view, status).await,
                None,
                Some(set),
            )
        }
        Ok(Err(refused)) => {
            let view = CartView {
                error: Some(message(&refused.body)),
                ..CartView::default()
            };
            page(
                render(env, &shopper, url, view, refused.status).await,
                None,
                None,
            )
        }
        Err(err) => {
            log_error(&err);
            let view = CartView {
                error: Some("Your cart cannot be shown right now. Please try again.".into()),
                ..CartView::default()
            };
            page(
                render(env, &shopper, url, view, 503).await,
                shopper.cart_count,
                None,
            )
        }
    }
}

fn message(body: &Value) -> String {
    body["message"]
        .as_str()
        .unwrap_or("The cart could not be changed.")
        .to_owned()
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
pub async fn post(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
    segments: &[&str],
    trace_id: &str,
) -> worker::Result<Response> {
    let form = match read_form(&mut req, url, carts::MAX_BODY).await? {
        Ok(form) => form,
        Err(refusal) => return Ok(refusal),
    };
    let field = |name: &str| form_field(&form, name);
    let shopper = match shopper(&req, env, ctx, config, url).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let existing = cart_cookie(&req);
    let (id, op) = match segments {
        ["cart", "line-items"] => {
            let item = json!({
                "variant_id": field("variant_id"),
                "quantity": number(field("quantity")),
            });
            match &existing {
                Some(id) => (id.clone(), CartOp::AddItem { body: item }),
                None => (
                    CartId::generate(),
                    CartOp::Create {
                        body: json!({ "region_id": shopper.region.id, "items": [item] }),
                    },
                ),
            }
        }
        ["cart", "line-items", line] | ["cart", "line-items", line, "update"] => {
            let Some(id) = existing.clone() else {
                return see_cart();
            };
            let op = CartOp::UpdateItem {
                line_id: (*line).to_owned(),
                body: json!({ "quantity": number(field("quantity")) }),
            };
            (id, op)
        }
        ["cart", "line-items", line, "delete"] => {
            let Some(id) = existing.clone() else {
                return see_cart();
            };
            let op = CartOp::RemoveItem {
                line_id: (*line).to_owned(),
            };
            (id, op)
        }
        ["cart", "shipping"] => {
            let Some(id) = existing.clone() else {
                return see_cart();
            };
            let op = CartOp::AddShippingMethod {
                body: json!({ "option_id": field("option_id") }),
            };
            (id, op)
        }
        _ => return http::text(404, "Not found\n"),
    };
    let image_base = format!("{}/images/", url.origin().ascii_serialization());
    let store = &shopper.site.store;
    let mut answer = carts::call(env, store, &id, op.clone(), &image_base).await;
    // The cookie's cart expired: adding starts a new one.
    if let (Ok(Err(Refused { status: 404, .. })), CartOp::AddItem { body }) = (&answer, &op) {
        let fresh = CartId::generate();
        let create = CartOp::Create {
            body: json!({ "region_id": shopper.region.id, "items": [body] }),
        };
        answer = carts::call(env, store, &fresh, create, &image_base).await;
        return finish(
            env,
            ctx,
            &shopper,
            url,
            &fresh,
            answer,
            trace_id,
            config.cart_lifetime_s,
        )
        .await;
    }
    finish(
        env,
        ctx,
        &shopper,
        url,
        &id,
        answer,
        trace_id,
        config.cart_lifetime_s,
    )
    .await
}

fn see_cart() -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("location", "/cart")?;
    headers.set("cache-control", "no-store")?;
    Ok(ResponseBuilder::new()
        .with_status(303)
        .with_headers(headers)
        .empty())
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    env: &Env,
    ctx: &Context,
    shopper: &Shopper,
    url: &Url,
    id: &CartId,
    answer: Result<Result<CartOutcome, Refused>, commerce::ApiError>,
    trace_id: &str,
    lifetime_s: u64,
) -> worker::Result<Response> {
    match answer {
        Ok(Ok(outcome)) => {
            carts::emit(
                env,
                ctx,
                &outcome.events,
                trace_id,
                Some(url.as_str().to_owned()),
            );
            let mut response = see_cart()?;
            let set = cart_cookies(url, Some((id, outcome.cart.item_count())), lifetime_s);
            for c in set {
                response.headers_mut().append("set-cookie", &c)?;
            }
            Ok(response)
        }
        Ok(Err(refused)) => {
            // Shown in place, with the cart as it is (unchanged).
            let view = CartView {
                error: Some(message(&refused.body)),
                ..CartView::default()
            };
            let mut view = view;
            let mut count = shopper.cart_count;
            if let Ok(Ok(current)) = carts::call(
                env,
                &shopper.site.store,
                id,
                CartOp::ShippingOptions,
                &format!("{}/images/", url.origin().ascii_serialization()),
            )
            .await
            {
                count = Some(current.cart.item_count());
                view.cart = Some(current.cart);
                view.shipping = current.shipping;
            }
            page(
                render(env, shopper, url, view, refused.status).await,
                count,
                None,
            )
        }
        Err(err) => {
            log_error(&err);
            let view = CartView {
                error: Some("Your cart cannot be changed right now. Please try again.".into()),
                ..CartView::default()
            };
            page(
                render(env, shopper, url, view, 503).await,
                shopper.cart_count,
                None,
            )
        }
    }
}

/// `POST /checkout` (the cart page's button): to the checkout pages.
pub fn checkout() -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("location", "/checkout")?;
    headers.set("cache-control", "no-store")?;
    Ok(ResponseBuilder::new()
        .with_status(303)
        .with_headers(headers)
        .empty())
}
