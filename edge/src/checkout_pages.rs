//! Checkout as pages, without JavaScript: `GET /checkout` shows the step the cart is
//! at (contact and address, delivery, payment and review), each form posts back and
//! is answered with a redirect (post-redirect-get) or, when refused, with the page and
//! the message in place. Paying goes to the origin (see `checkout_api::complete`);
//! errors (declined card, stock gone, origin unreachable) leave the cart as it was.
//! Orders are shown at `/orders/:id` and found again with `/orders/lookup`.

use commerce::cart::check_contact;
use commerce::cart_api::{CartOp, CartOutcome};
use commerce::checkout::{
    AuthenticateRequest, CompleteResponse, LookupRequest, OrderResponse, PaymentChoice,
    LOOKUP_PATH, SESSIONS_PATH,
};
use commerce::ids::{CartId, OrderId};
use commerce::order::Order;
use commerce::ApiError;
use serde_json::{json, Value};
use storefront::checkout::{
    checkout_page, order_lookup_page, order_page, CheckoutForm, CheckoutStep, CheckoutView,
    FieldError, LookupForm,
};
use storefront::pages::{error_page, Rendered};
use worker::{Context, Env, Headers, Request, Response, ResponseBuilder, Url};

use crate::cart_pages::{cart_cookie, cart_cookies};
use crate::carts::{self, Refused};
use crate::checkout_api::{self, fetch_order};
use crate::config::Config;
use crate::pages::{
    entry, form_field, personalize, read_form, render_personal, respond_entry, shopper, Shopper,
};
use crate::{log_error, origin, Hop};

/// The test-card provider the pages pay with (a card form needs no script).
const PAGE_PROVIDER: &str = "pp_system_default";

fn see(location: &str) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("location", location)?;
    headers.set("cache-control", "no-store")?;
    Ok(ResponseBuilder::new()
        .with_status(303)
        .with_headers(headers)
        .empty())
}

/// A personal page: never cached, the header's count from the cookie.
fn personal(
    rendered: Rendered,
    count: Option<u32>,
    cookies: &[String],
) -> worker::Result<Response> {
    let mut response = respond_entry(personalize(entry(rendered), count), None, "BYPASS")?;
    let headers = response.headers_mut();
    headers.set("cache-control", "no-store")?;
    headers.set("x-robots-tag", "noindex")?;
    for c in cookies {
        headers.append("set-cookie", c)?;
    }
    Ok(response)
}

fn image_base(url: &Url) -> String {
    format!("{}/images/", url.origin().ascii_serialization())
}

/// What a refused cart operation says, and the form field it names, if any.
/// (Medusa's `Invalid request: shipping_address.city: reason` is shown as the reason,
/// next to the `city` field.) A missing payment session, which a shopper cannot know
/// about, asks them to pay again.
fn refusal_parts(body: &Value) -> (String, Option<String>) {
    let message = body["message"]
        .as_str()
        .unwrap_or("The checkout could not continue.");
    if body["code"] == "payment_session_missing" {
        return ("Please enter your card details to pay.".to_owned(), None);
    }
    match message
        .strip_prefix("Invalid request: ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((param, reason)) => (
            reason.to_owned(),
            Some(param.rsplit('.').next().unwrap_or(param).to_owned()),
        ),
        None => (message.to_owned(), None),
    }
}

/// [`refusal_parts`] of an error raised here.
fn problem(err: &ApiError) -> (String, Option<String>) {
    refusal_parts(&serde_json::to_value(err.body()).unwrap_or(Value::Null))
}

/// The page of a cart at `step`, with what went wrong if anything.
#[allow(clippy::too_many_arguments)]
async fn show_cart(
    env: &Env,
    shopper: &Shopper,
    url: &Url,
    outcome: CartOutcome,
    step: CheckoutStep,
    form: Option<CheckoutForm>,
    problem: Option<(String, Option<String>)>,
    authenticate: Option<String>,
    status: u16,
) -> worker::Result<Response> {
    let count = outcome.cart.item_count();
    let (error, errors) = match problem {
        Some((message, Some(field))) => (
            None,
            vec![FieldError {
                field,
                message: message.clone(),
            }],
        ),
        Some((message, None)) => (Some(message), Vec::new()),
        None => (None, Vec::new()),
    };
    let view = CheckoutView {
        form: form.unwrap_or_else(|| CheckoutForm::from_cart(&outcome.cart)),
        cart: outcome.cart,
        shipping: outcome.shipping,
        step,
        errors,
        error,
        notices: outcome.notices,
        authenticate,
    };
    let rendered = render_personal(env, shopper, url, "/checkout", async |client, req| {
        checkout_page(client, req, view, status).await
    })
    .await;
    personal(rendered, Some(count), &[])
}

/// The shopper's cart with its shipping options, or the response to give instead
/// (no cart: to the cart page; an ordered cart: to its order).
async fn current_cart(
    req: &Request,
    env: &Env,
    shopper: &Shopper,
    url: &Url,
) -> worker::Result<Result<(CartId, CartOutcome), Response>> {
    let Some(id) = cart_cookie(req) else {
        return see("/cart").map(Err);
    };
    let store = &shopper.site.store;
    match carts::call(env, store, &id, CartOp::ShippingOptions, &image_base(url)).await {
        Ok(Ok(outcome)) if outcome.cart.items.is_empty() => see("/cart").map(Err),
        Ok(Ok(outcome)) => match &outcome.cart.completed {
            Some(done) => {
                let mut response = see(&format!("/orders/{}", done.order_id))?;
                for c in cart_cookies(url, None, 0) {
                    response.headers_mut().append("set-cookie", &c)?;
                }
                Ok(Err(response))
            }
            None => Ok(Ok((id, outcome))),
        },
        Ok(Err(Refused { .. })) => see("/cart").map(Err),
        Err(err) => {
            log_error(&err);
            see("/cart").map(Err)
        }
    }
}

/// `GET /checkout`
pub async fn show(
    req: &Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
) -> worker::Result<Response> {
    let shopper = match shopper(req, env, ctx, config, url).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let (_, outcome) = match current_cart(req, env, &shopper, url).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let asked = query
        .iter()
        .find(|(k, _)| k == "step")
        .map(|(_, v)| v.as_str());
    let authenticate = query
        .iter()
        .find(|(k, _)| k == "authenticate")
        .map(|(_, v)| v.clone())
        .filter(|v| commerce::ids::PaymentSessionId::parse(v).is_ok());
    let step = CheckoutStep::requested(asked, &outcome.cart);
    show_cart(
        env,
        &shopper,
        url,
        outcome,
        step,
        None,
        None,
        authenticate,
        200,
    )
    .await
}

/// `POST /checkout/...`: contact, shipping, pay, authenticate.
pub async fn post(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
    action: &str,
    hop: Hop<'_>,
) -> worker::Result<Response> {
    let form = match read_form(&mut req, url, carts::MAX_BODY).await? {
        Ok(form) => form,
        Err(refusal) => return Ok(refusal),
    };
    let field = |name: &str| {
        form_field(&form, name)
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    let shopper = match shopper(&req, env, ctx, config, url).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let (id, current) = match current_cart(&req, env, &shopper, url).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let store = &shopper.site.store;
    let (op, step) = match action {
        "contact" => {
            let address = json!({
                "first_name": field("first_name"), "last_name": field("last_name"),
                "company": field("company"), "address_1": field("address_1"),
                "address_2": field("address_2"), "city": field("city"),
                "postal_code": field("postal_code"), "province": field("province"),
                "country_code": field("country_code").to_lowercase(), "phone": field("phone"),
            });
            // What the order will need, checked before anything is saved.
            let checked = check_contact(&field("email"), &address);
            if let Err(err) = checked {
                let mut values = CheckoutForm::from_cart(&current.cart);
                values.fill(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                let step = CheckoutStep::Contact;
                let refusal = Some(problem(&err));
                return show_cart(
                    env,
                    &shopper,
                    url,
                    current,
                    step,
                    Some(values),
                    refusal,
                    None,
                    400,
                )
                .await;
            }
            let body = json!({"email": field("email"), "shipping_address": address, "billing_address": address});
            (CartOp::Update { body }, CheckoutStep::Contact)
        }
        "shipping" => (
            CartOp::AddShippingMethod {
                body: json!({"option_id": field("option_id")}),
            },
            CheckoutStep::Delivery,
        ),
        "pay" => {
            let payment = PaymentChoice {
                provider_id: PAGE_PROVIDER.into(),
                data: json!({"card_number": field("card_number"), "card_holder": field("card_holder")}),
            };
            return pay(env, config, &shopper, url, &id, current, Some(payment), hop).await;
        }
        "authenticate" => {
            let session = field("session");
            let Ok(session) = commerce::ids::PaymentSessionId::parse(&session) else {
                return see("/checkout");
            };
            let body = AuthenticateRequest {
                store_id: store.id.clone(),
                approve: field("approve") == "true",
            };
            let path = format!("{SESSIONS_PATH}/{session}/authenticate");
            if let Err(err) = origin::post(config, &path, &body, hop.traceparent).await {
                log_error(&err);
            }
            return pay(env, config, &shopper, url, &id, current, None, hop).await;
        }
        _ => return see("/checkout"),
    };
    let mut form_values = CheckoutForm::from_cart(&current.cart);
    form_values.fill(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    match carts::call(env, store, &id, op, &image_base(url)).await {
        Ok(Ok(done)) => {
            // The cart lives on from this change: so does its cookie.
            let mut response = see("/checkout")?;
            let count = done.cart.item_count();
            for c in cart_cookies(url, Some((&id, count)), config.cart_lifetime_s) {
                response.headers_mut().append("set-cookie", &c)?;
            }
            Ok(response)
        }
        Ok(Err(refused)) => {
            let problem = refusal_parts(&refused.body);
            show_cart(
                env,
                &shopper,
                url,
                current,
                step,
                Some(form_values),
                Some(problem),
                None,
                refused.status,
            )
            .await
        }
        Err(err) => {
            log_error(&err);
            let problem = (
                "Your details could not be saved just now. Please try again.".to_owned(),
                None,
            );
            show_cart(
                env,
                &shopper,
                url,
                current,
                step,
                Some(form_values),
                Some(problem),
                None,
                503,
            )
            .await
        }
    }
}

/// Pays: the origin completes the cart. An order goes to its page (the cart cookie is
/// cleared); anything else is shown on the payment step with the cart intact.
#[allow(clippy::too_many_arguments)]
async fn pay(
    env: &Env,
    config: &Config,
    shopper: &Shopper,
    url: &Url,
    id: &CartId,
    current: CartOutcome,
    payment: Option<PaymentChoice>,
    hop: Hop<'_>,
) -> worker::Result<Response> {
    let store = &shopper.site.store;
    let return_url = format!("{}/checkout", url.origin().ascii_serialization());
    let done = checkout_api::complete(
        env,
        config,
        store,
        id,
        payment,
        return_url,
        &image_base(url),
        hop.traceparent,
    )
    .await;
    let step = CheckoutStep::Payment;
    let problem = |message: String| Some((message, None));
    match done {
        Ok(Ok((CompleteResponse::Order { order }, _))) => {
            let mut response = see(&format!("/orders/{}?placed=1", order.id))?;
            for c in cart_cookies(url, None, 0) {
                response.headers_mut().append("set-cookie", &c)?;
            }
            Ok(response)
        }
        Ok(Ok((CompleteResponse::Cart { error, action }, _))) => match action {
            Some(action) => see(&format!("/checkout?authenticate={}", action.session_id)),
            None => {
                show_cart(
                    env,
                    shopper,
                    url,
                    current,
                    step,
                    None,
                    problem(error.message),
                    None,
                    402,
                )
                .await
            }
        },
        Ok(Err(refusal)) => {
            // The origin refused (stock gone, cart changed, being completed): its
            // message, in place, with the cart as it is now.
            let status = refusal.status;
            let (message, _) = refusal_parts(&refusal.body);
            let fresh =
                carts::call(env, store, id, CartOp::ShippingOptions, &image_base(url)).await;
            let outcome = match fresh {
                Ok(Ok(outcome)) => outcome,
                _ => current,
            };
            let step = CheckoutStep::furthest(&outcome.cart);
            show_cart(
                env,
                shopper,
                url,
                outcome,
                step,
                None,
                problem(message),
                None,
                status,
            )
            .await
        }
        Err(err) => {
            log_error(&err);
            let message = match &err {
                ApiError::UpstreamUnavailable { message, .. } => message.clone(),
                _ => "The payment could not be completed just now. Your cart is saved; please try again.".into(),
            };
            show_cart(
                env,
                shopper,
                url,
                current,
                step,
                None,
                problem(message),
                None,
                503,
            )
            .await
        }
    }
}

/// `GET /orders/:id` (`?placed=1` right after paying).
pub async fn show_order(
    req: &Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
    raw_id: &str,
    hop: Hop<'_>,
) -> worker::Result<Response> {
    let shopper = match shopper(req, env, ctx, config, url).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let placed = url.query_pairs().any(|(k, v)| k == "placed" && v == "1");
    let order = match OrderId::parse(raw_id) {
        Ok(id) => fetch_order(config, &shopper.site.store, &id, hop.traceparent).await,
        Err(_) => Err(ApiError::not_found("Order", "id", raw_id)),
    };
    order_response(env, &shopper, url, order, placed).await
}

async fn order_response(
    env: &Env,
    shopper: &Shopper,
    url: &Url,
    order: Result<Order, ApiError>,
    placed: bool,
) -> worker::Result<Response> {
    let path = url.path().to_owned();
    let rendered = match order {
        Ok(order) => {
            render_personal(env, shopper, url, &path, async |client, req| {
                order_page(client, req, &order, placed).await
            })
            .await
        }
        Err(err) => {
            if err.log_detail().is_some() {
                log_error(&err);
            }
            render_personal(env, shopper, url, &path, async |_client, req| {
                Ok(error_page(Some(req), &err))
            })
            .await
        }
    };
    personal(rendered, shopper.cart_count, &[])
}

/// `GET /orders/lookup`
pub async fn lookup_form(
    req: &Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
) -> worker::Result<Response> {
    let shopper = match shopper(req, env, ctx, config, url).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let rendered = render_personal(env, &shopper, url, "/orders/lookup", async |client, req| {
        order_lookup_page(client, req, LookupForm::default(), None, 200).await
    })
    .await;
    personal(rendered, shopper.cart_count, &[])
}

/// `POST /orders/lookup`: the order with this number and e-mail, or the form again
/// saying it was not found (whichever part was wrong).
pub async fn lookup(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
    hop: Hop<'_>,
) -> worker::Result<Response> {
    let form = match read_form(&mut req, url, 8 * 1024).await? {
        Ok(form) => form,
        Err(refusal) => return Ok(refusal),
    };
    let shopper = match shopper(&req, env, ctx, config, url).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    let values = LookupForm {
        email: form_field(&form, "email")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        number: form_field(&form, "number")
            .unwrap_or_default()
            .trim()
            .to_owned(),
    };
    let number = values.display_id();
    let not_found = "We could not find an order with that number and email.";
    let (message, status) = match (number, values.email()) {
        (Some(display_id), Some(email)) => {
            let body = LookupRequest {
                store_id: shopper.site.store.id.clone(),
                email,
                display_id,
            };
            match origin::post(config, LOOKUP_PATH, &body, hop.traceparent).await {
                Ok(reply) if reply.ok() => match reply.json::<OrderResponse>() {
                    Ok(found) => {
                        return order_response(env, &shopper, url, Ok(found.order), false).await
                    }
                    Err(e) => {
                        log_error(&e);
                        (not_found.to_owned(), 503)
                    }
                },
                Ok(reply) if reply.status == 404 => (not_found.to_owned(), 404),
                Ok(reply) => (reply.error().message, reply.status),
                Err(err) => {
                    log_error(&err);
                    (
                        "Orders cannot be looked up just now. Please try again in a moment."
                            .to_owned(),
                        503,
                    )
                }
            }
        }
        _ => (
            "Please enter the email address and the order number (for example 1042).".to_owned(),
            400,
        ),
    };
    let rendered = render_personal(env, &shopper, url, "/orders/lookup", async |client, req| {
        order_lookup_page(client, req, values, Some(message), status).await
    })
    .await;
    personal(rendered, shopper.cart_count, &[])
}
