//! Checkout as pages: `GET /checkout` shows the step the cart is at (contact and
//! address, delivery, payment and review); each form posts back and is answered with
//! a redirect (post-redirect-get) or, when refused, with the page and the message next
//! to the field it names. Paying goes to the origin (`store_api::checkout`); errors
//! (declined card, stock gone, origin unreachable) leave the cart as it was.

use commerce::cart::check_contact;
use commerce::cart_api::{CartOp, CartOutcome};
use commerce::checkout::{AuthenticateRequest, CompleteResponse, PaymentChoice, SESSIONS_PATH};
use commerce::ids::{CartId, PaymentSessionId};
use commerce::{ApiError, ErrorCode};
use serde_json::json;
use storefront::checkout::{checkout_page, CheckoutForm, CheckoutStep, CheckoutView, FieldError};
use worker::Response;

use super::{personal, render_personal};
use crate::context::Cx;
use crate::http::{self, cookies};
use crate::limit::Rule;
use crate::origin;
use crate::store_api::{carts, checkout};

/// The test-card provider the pages pay with (a card form needs no script).
const PAGE_PROVIDER: &str = "pp_system_default";

/// What went wrong, for the page: the message, and the form field it is about.
struct Problem {
    message: String,
    field: Option<String>,
}

impl Problem {
    fn say(message: impl Into<String>) -> Option<Self> {
        Some(Problem {
            message: message.into(),
            field: None,
        })
    }

    /// An error as the shopper reads it: a validation error next to its field
    /// (`shipping_address.city` is the `city` field); a missing payment session, which
    /// a shopper cannot know about, asks them to pay again.
    fn of(err: &ApiError) -> Option<Self> {
        Some(match err {
            _ if err.code() == ErrorCode::PaymentSessionMissing => Problem {
                message: "Please enter your card details to pay.".into(),
                field: None,
            },
            ApiError::InvalidParam { param, reason } => Problem {
                message: reason.clone(),
                field: Some(param.rsplit('.').next().unwrap_or(param).to_owned()),
            },
            _ => Problem {
                message: err.to_string(),
                field: None,
            },
        })
    }
}

/// The page of a cart at `step`, with what went wrong if anything.
struct Show {
    outcome: CartOutcome,
    step: CheckoutStep,
    form: Option<CheckoutForm>,
    problem: Option<Problem>,
    authenticate: Option<String>,
    status: u16,
}

async fn show_cart(cx: &Cx, show: Show) -> Result<Response, ApiError> {
    let Show {
        outcome,
        step,
        form,
        problem,
        authenticate,
        status,
    } = show;
    let count = outcome.cart.item_count();
    let (error, errors) = match problem {
        Some(Problem {
            message,
            field: Some(field),
        }) => (None, vec![FieldError { field, message }]),
        Some(Problem {
            message,
            field: None,
        }) => (Some(message), Vec::new()),
        None => (None, Vec::new()),
    };
    let signed_in = super::account::customer_at_checkout(cx, &outcome.cart).await;
    let mut prefill = CheckoutForm::from_cart(&outcome.cart);
    let mut saved = Vec::new();
    if let Some(customer) = &signed_in {
        if prefill.email.is_empty() {
            prefill = match customer.default_shipping() {
                Some(a) => CheckoutForm::from_saved(&customer.email, &a.address),
                None => CheckoutForm {
                    email: customer.email.clone(),
                    ..prefill
                },
            };
        }
        if step == CheckoutStep::Contact {
            saved = customer
                .addresses
                .iter()
                .map(|a| {
                    let label = if a.address_name.is_empty() {
                        a.address.address_1.clone().unwrap_or_default()
                    } else {
                        a.address_name.clone()
                    };
                    (label, CheckoutForm::from_saved(&customer.email, &a.address))
                })
                .collect();
        }
    }
    let view = CheckoutView {
        form: form.unwrap_or(prefill),
        saved,
        cart: outcome.cart,
        shipping: outcome.shipping,
        step,
        errors,
        error,
        notices: outcome.notices,
        authenticate,
    };
    let rendered = render_personal(cx, "/checkout", async |client, req| {
        checkout_page(client, req, view, status).await
    })
    .await?;
    personal(rendered, Some(count), &[])
}

/// The shopper's cart with its shipping options, or the response to give instead
/// (no cart: to the cart page; an ordered cart: to its order).
async fn current_cart(cx: &Cx) -> Result<Result<(CartId, CartOutcome), Response>, ApiError> {
    let Some(id) = cx.cookies.cart.clone() else {
        return http::see_other("/cart").map(Err);
    };
    let store = &cx.shopper()?.site.store;
    match carts::call(
        &cx.env,
        store,
        &id,
        CartOp::ShippingOptions,
        &cx.image_base(),
    )
    .await
    {
        Ok(outcome) if outcome.cart.items.is_empty() => http::see_other("/cart").map(Err),
        Ok(outcome) => match &outcome.cart.completed {
            Some(done) => {
                let mut response = http::see_other(&format!("/orders/{}", done.order_id))?;
                cookies::set(response.headers_mut(), &cookies::cart(&cx.url, None, 0))
                    .map_err(http::internal)?;
                Ok(Err(response))
            }
            None => Ok(Ok((id, outcome))),
        },
        Err(err) => {
            cx.log_failure(&err);
            http::see_other("/cart").map(Err)
        }
    }
}

/// `GET /checkout`
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let (_, outcome) = match current_cart(cx).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let authenticate = cx
        .query("authenticate")
        .filter(|v| PaymentSessionId::parse(v).is_ok());
    let step = CheckoutStep::requested(cx.query("step").as_deref(), &outcome.cart);
    let begun = commerce::analytics::record::begin_checkout(
        &outcome.cart.store_id,
        outcome.cart.id.as_str(),
        &cx.trace_id,
        crate::analytics::now_ms(),
    );
    crate::analytics::record(cx, begun);
    let show = Show {
        outcome,
        step,
        form: None,
        problem: None,
        authenticate,
        status: 200,
    };
    show_cart(cx, show).await
}

/// `POST /checkout/:step`: contact, shipping, pay, authenticate.
pub async fn post(cx: &mut Cx) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = cx.form().await?;
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let (id, current) = match current_cart(cx).await? {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let mut values = CheckoutForm::from_cart(&current.cart);
    values.fill(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (op, step) = match cx.param(0) {
        "contact" => {
            let address = json!({
                "first_name": field("first_name"), "last_name": field("last_name"),
                "company": field("company"), "address_1": field("address_1"),
                "address_2": field("address_2"), "city": field("city"),
                "postal_code": field("postal_code"), "province": field("province"),
                "country_code": field("country_code").to_lowercase(), "phone": field("phone"),
            });
            // What the order will need, checked before anything is saved.
            if let Err(err) = check_contact(&field("email"), &address) {
                let show = Show {
                    outcome: current,
                    step: CheckoutStep::Contact,
                    form: Some(values),
                    problem: Problem::of(&err),
                    authenticate: None,
                    status: 400,
                };
                return show_cart(cx, show).await;
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
            return pay(cx, &id, current, Some(payment)).await;
        }
        "authenticate" => {
            let Ok(session) = PaymentSessionId::parse(&field("session")) else {
                return http::see_other("/checkout");
            };
            cx.limit(Rule::CheckoutPerCart, id.as_str()).await?;
            let body = AuthenticateRequest {
                store_id: cx.shopper()?.site.store.id.clone(),
                cart_id: id.clone(),
                approve: field("approve") == "true",
            };
            let path = format!("{SESSIONS_PATH}/{session}/authenticate");
            if let Err(err) = origin::post(&cx.config, &path, &body, &cx.traceparent).await {
                cx.log_failure(&err);
            }
            return pay(cx, &id, current, None).await;
        }
        _ => return http::see_other("/checkout"),
    };
    let store = &cx.shopper()?.site.store;
    let problem = match carts::call(&cx.env, store, &id, op, &cx.image_base()).await {
        Ok(done) => {
            // The cart lives on from this change: so does its cookie.
            let mut response = http::see_other("/checkout")?;
            let set = cookies::cart(
                &cx.url,
                Some((&id, done.cart.item_count())),
                cx.config.cart_lifetime_s,
            );
            cookies::set(response.headers_mut(), &set).map_err(http::internal)?;
            return Ok(response);
        }
        Err(err) if err.status() >= 500 => {
            cx.log_failure(&err);
            (
                Problem::say("Your details could not be saved just now. Please try again."),
                503,
            )
        }
        Err(err) => (Problem::of(&err), err.status()),
    };
    let show = Show {
        outcome: current,
        step,
        form: Some(values),
        problem: problem.0,
        authenticate: None,
        status: problem.1,
    };
    show_cart(cx, show).await
}

/// Pays: the origin completes the cart. An order goes to its page (the cart cookie is
/// cleared); anything else is shown on the payment step with the cart intact.
async fn pay(
    cx: &Cx,
    id: &CartId,
    current: CartOutcome,
    payment: Option<PaymentChoice>,
) -> Result<Response, ApiError> {
    let store = cx.shopper()?.site.store.clone();
    let done = checkout::complete_cart(cx, &store, id, payment).await;
    let mut show = Show {
        outcome: current,
        step: CheckoutStep::Payment,
        form: None,
        problem: None,
        authenticate: None,
        status: 402,
    };
    match done {
        Ok((CompleteResponse::Order { order }, _)) => {
            let mut response = http::see_other(&format!("/orders/{}?placed=1", order.id))?;
            cookies::set(response.headers_mut(), &cookies::cart(&cx.url, None, 0))
                .map_err(http::internal)?;
            return Ok(response);
        }
        Ok((
            CompleteResponse::Cart {
                action: Some(action),
                ..
            },
            _,
        )) => {
            return http::see_other(&format!("/checkout?authenticate={}", action.session_id));
        }
        Ok((
            CompleteResponse::Cart {
                error,
                action: None,
            },
            _,
        )) => show.problem = Problem::say(error.message),
        Err(err) if err.status() >= 500 => {
            cx.log_failure(&err);
            let message = match &err {
                ApiError::UpstreamUnavailable { message, .. } => message.clone(),
                _ => "The payment could not be completed just now. Your cart is saved; please try again.".into(),
            };
            show.problem = Problem::say(message);
            show.status = 503;
        }
        Err(err) => {
            // Refused (stock gone, cart changed, being completed, too many attempts):
            // the message, in place, with the cart as it is now.
            show.status = err.status();
            show.problem = Problem::of(&err).map(|p| Problem { field: None, ..p });
            if let Ok(fresh) = carts::call(
                &cx.env,
                &store,
                id,
                CartOp::ShippingOptions,
                &cx.image_base(),
            )
            .await
            {
                show.outcome = fresh;
            }
            show.step = CheckoutStep::furthest(&show.outcome.cart);
        }
    }
    show_cart(cx, show).await
}
