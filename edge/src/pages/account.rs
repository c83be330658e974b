//! The customer's account pages (`/account...`), by forms: sign in and out, sign up,
//! the forgotten password, the profile, the address book, the orders, the address's
//! confirmation. The session is the cookie `POST /auth/session` sets too; every page is
//! personal (never cached). A page that needs the customer sends a signed-out shopper
//! to sign in first, then back.

use std::collections::HashMap;

use commerce::cart_api::CartOp;
use commerce::customer::{self, AddressInput, Customer, Principal, Profile, ProfileBody};
use commerce::ids::CustomerId;
use commerce::order::{self, History, Order};
use commerce::params::Page;
use commerce::staff::Token;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::{Map, Value};
use storefront::account::{account_page, safe_next, AccountPage, Values};
use storefront::checkout::FieldError;
use storefront::pages::error_page;
use tokio_postgres::Client;
use worker::Response;

use super::{page_request, personal};
use crate::context::Cx;
use crate::http::{self, cookies};
use crate::limit::Rule;
use crate::store_api::auth::{mail_link, Link};
use crate::store_api::customers::cart_customer;

/// Renders `page` for this shopper with the request's database connection.
async fn show(cx: &Cx, page: AccountPage<'_>, status: u16) -> Result<Response, ApiError> {
    let shopper = cx.shopper()?;
    let origin = cx.site_origin();
    let path = cx.url.path().to_owned();
    let req = page_request(shopper, &origin, &path);
    let rendered = cx
        .with_db(async |client: &Client| account_page(client, &req, page, status).await)
        .await
        .unwrap_or_else(|err| {
            cx.log_failure(&err);
            error_page(Some(&req), &err)
        });
    personal(rendered, shopper.cart_count, &[])
}

/// A redirect that sets the customer's session cookie (`None` clears it).
fn see_other_with_session(cx: &Cx, to: &str, token: Option<&Token>) -> Result<Response, ApiError> {
    let cookie = cookies::customer(
        &cx.url,
        token.map(Token::as_str),
        customer::SESSION_TTL_S.unsigned_abs(),
    );
    let mut response = http::see_other(to)?;
    cookies::set(response.headers_mut(), &[cookie]).map_err(http::internal)?;
    Ok(response)
}

/// The customer of the session cookie in this shop's store, if any.
async fn signed_in(cx: &Cx) -> Result<Option<Principal>, ApiError> {
    let Some(token) = cx.cookies.customer.as_deref().and_then(Token::parse) else {
        return Ok(None);
    };
    let store = cx.shopper()?.site.store.id.clone();
    cx.with_db(async |client: &Client| customer::session(client, &store, &token).await)
        .await
}

/// The signed-in customer, or the way to the sign-in page (then back here).
async fn me(cx: &Cx) -> Result<Result<CustomerId, Response>, ApiError> {
    match signed_in(cx).await? {
        Some(Principal {
            customer: Some(id), ..
        }) => Ok(Ok(id)),
        _ => {
            let next = safe_next(cx.url.path());
            http::see_other(&format!("/account/sign-in?next={next}")).map(Err)
        }
    }
}

/// Answers the sign-in redirect when signed out; else the customer's id.
macro_rules! me_or_sign_in {
    ($cx:expr) => {
        match me($cx).await? {
            Ok(id) => id,
            Err(redirect) => return Ok(redirect),
        }
    };
}

fn store(cx: &Cx) -> Result<commerce::ids::StoreId, ApiError> {
    Ok(cx.shopper()?.site.store.id.clone())
}

async fn load(cx: &Cx, id: &CustomerId) -> Result<Customer, ApiError> {
    let store = store(cx)?;
    cx.with_db(async |client: &Client| customer::customer(client, &store, id).await)
        .await
}

/// The refusals of `err` as form errors; another error is the page's failure.
fn field_errors(err: ApiError) -> Result<Vec<FieldError>, ApiError> {
    match FieldError::from_api(&err) {
        Some(e) => Ok(vec![e]),
        None => Err(err),
    }
}

/// The posted form, its fields by name.
async fn posted(cx: &mut Cx) -> Result<Values, ApiError> {
    let map: HashMap<String, String> = cx.form().await?;
    Ok(Values(map))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Query {
    next: String,
    done: String,
    email: String,
    token: String,
    offset: u32,
}

fn query(cx: &Cx) -> Query {
    cx.query_as().unwrap_or_default()
}

/// Hands the shopper's cart (the cookie's) to the customer: the order it becomes is
/// theirs. A cart that cannot be (gone, ordered, another's) is left as it is.
async fn take_cart(cx: &mut Cx, who: Principal) {
    let Some(id) = cx.cookies.cart.clone() else {
        return;
    };
    cx.customer = Some(who);
    let (Ok(owner), Ok(shopper)) = (cart_customer(cx), cx.shopper()) else {
        return;
    };
    let store = shopper.site.store.clone();
    let op = CartOp::SetCustomer { customer: owner };
    if let Err(err) = crate::store_api::carts::call(&cx.env, &store, &id, op, "").await {
        if err.status() >= 500 {
            cx.log_failure(&err);
        }
    }
}

/// Opens a session for `who` and goes on to `next`, with the shopper's cart theirs.
async fn start_session(cx: &mut Cx, who: Principal, next: &str) -> Result<Response, ApiError> {
    let token = cx
        .with_db(async |client: &Client| customer::open_session(client, &who).await)
        .await?;
    take_cart(cx, who).await;
    see_other_with_session(cx, next, Some(&token))
}

/// The signed-in customer on the checkout page, their cart made theirs (so that its
/// order is); `None` for a guest. A failure only loses the offer of their addresses.
pub(super) async fn customer_at_checkout(cx: &Cx, cart: &commerce::cart::Cart) -> Option<Customer> {
    let who = signed_in(cx).await.ok().flatten()?;
    let id = who.customer.clone()?;
    if cart.customer_id.is_none() {
        let store = cx.shopper().ok()?.site.store.clone();
        let owner = commerce::cart::CartCustomer {
            id: id.clone(),
            email: commerce::email::Email::parse(&who.email).ok()?,
        };
        let op = CartOp::SetCustomer { customer: owner };
        if let Err(err) = crate::store_api::carts::call(&cx.env, &store, &cart.id, op, "").await {
            cx.log_failure(&err);
        }
    }
    load(cx, &id).await.ok()
}

/// `GET /account`
pub async fn overview(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = me_or_sign_in!(cx);
    let customer = load(cx, &id).await?;
    let notice = match query(cx).done.as_str() {
        "welcome" => Some(
            "Welcome! Your account is ready. We sent you a link to confirm your e-mail address.",
        ),
        "verify_sent" => Some("We sent you a link to confirm your e-mail address."),
        _ => None,
    };
    let orders = history(
        cx,
        &customer,
        Page {
            limit: 5,
            offset: 0,
        },
    )
    .await?
    .0;
    show(
        cx,
        AccountPage::Overview {
            customer: &customer,
            orders: &orders,
            notice,
        },
        200,
    )
    .await
}

async fn history(cx: &Cx, customer: &Customer, page: Page) -> Result<(Vec<Order>, i64), ApiError> {
    let of = History {
        store: &customer.store_id,
        customer: &customer.id,
        verified_email: customer.email_verified.then_some(customer.email.as_str()),
    };
    cx.with_db(async |client: &Client| order::history(client, of, None, page).await)
        .await
}

/// `GET /account/sign-in`
pub async fn sign_in_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let q = query(cx);
    let notice = match q.done.as_str() {
        "signed_out" => Some("You are signed out."),
        "password_set" => Some("Your new password is set. Sign in with it."),
        _ => None,
    };
    let next = safe_next(&q.next);
    let page = AccountPage::SignIn {
        email: &q.email,
        next: &next,
        error: None,
        notice,
    };
    show(cx, page, 200).await
}

/// `POST /account/sign-in`: the session and on to `next`; or the form again saying why
/// (the same words for an unknown address and a wrong password).
pub async fn sign_in(cx: &mut Cx) -> Result<Response, ApiError> {
    let form = posted(cx).await?;
    let (email, next) = (
        form.get("email").trim().to_owned(),
        safe_next(form.get("next")),
    );
    let store = store(cx)?;
    let attempt = async {
        cx.limit(
            Rule::SignInPerAccount,
            &format!("customer:{store}:{}", email.to_lowercase()),
        )
        .await?;
        let password = form.get("password");
        cx.with_db(async |client: &Client| {
            let who = customer::sign_in(client, &store, &email, password).await?;
            if who.customer.is_some() {
                return Ok(who);
            }
            // Registered through the API without its customer: made now.
            customer::create_customer(client, &who, &Profile::default()).await?;
            customer::sign_in(client, &store, &email, password).await
        })
        .await
    };
    match attempt.await {
        Ok(who) => start_session(cx, who, &next).await,
        Err(err @ (ApiError::NotSignedIn { .. } | ApiError::TooManyRequests { .. })) => {
            let status = err.status();
            let page = AccountPage::SignIn {
                email: &email,
                next: &next,
                error: Some(err.to_string()),
                notice: None,
            };
            let mut response = show(cx, page, status).await?;
            http::retry_after(&mut response, &err)?;
            Ok(response)
        }
        Err(err) => Err(err),
    }
}

/// `POST /account/sign-out`: ends the session and clears its cookie.
pub async fn sign_out(cx: &mut Cx) -> Result<Response, ApiError> {
    let _ = posted(cx).await?;
    if let Some(token) = cx.cookies.customer.as_deref().and_then(Token::parse) {
        cx.with_db(async |client: &Client| customer::end_session(client, &token).await)
            .await?;
    }
    see_other_with_session(cx, "/account/sign-in?done=signed_out", None)
}

/// `GET /account/register` (`?email=` fills the address in, as the order confirmation
/// offers).
pub async fn register_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let q = query(cx);
    let mut values = Values::default();
    values.set("email", q.email.trim());
    let next = safe_next(&q.next);
    let page = AccountPage::Register {
        values: &values,
        errors: &[],
        next: &next,
    };
    show(cx, page, 200).await
}

/// `POST /account/register`: the account, its customer and a session in one go, and a
/// link to confirm the address by e-mail.
pub async fn register(cx: &mut Cx) -> Result<Response, ApiError> {
    let mut form = posted(cx).await?;
    let next = match safe_next(form.get("next")).as_str() {
        "/account" => "/account?done=welcome".to_owned(),
        other => other.to_owned(),
    };
    let store = cx.shopper()?.site.store.clone();
    let email = form.get("email").trim().to_lowercase();
    let mut errors = Vec::new();
    for (name, label) in [("first_name", "first name"), ("last_name", "last name")] {
        if form.get(name).trim().is_empty() {
            errors.push(FieldError::new(name, format!("Please enter your {label}.")));
        }
    }
    let made = if errors.is_empty() {
        let limited = cx
            .limit(
                Rule::SignInPerAccount,
                &format!("customer:{}:{email}", store.id),
            )
            .await;
        let body = ProfileBody {
            first_name: Some(form.get("first_name").to_owned()),
            last_name: Some(form.get("last_name").to_owned()),
            ..ProfileBody::default()
        };
        let password = form.get("password").to_owned();
        match limited {
            Err(err) => Err(err),
            Ok(()) => {
                cx.with_db(async |client: &Client| {
                    let profile = Profile::parse(&body, &email)?;
                    let who = customer::register(client, &store.id, &email, &password).await?;
                    customer::create_customer(client, &who, &profile).await?;
                    let who = customer::sign_in(client, &store.id, &email, &password).await?;
                    let link = customer::verification_link(client, &who).await?;
                    Ok((who, link))
                })
                .await
            }
        }
    } else {
        Err(ApiError::invalid("form", "incomplete"))
    };
    match made {
        Ok((who, link)) => {
            if let Some(link) = link {
                mail_link(cx, &store, link, Link::Verify);
            }
            start_session(cx, who, &next).await
        }
        Err(err) => {
            // An address with an account is a refusal of the form's field.
            let status = match err {
                ApiError::NotSignedIn { .. } => 400,
                ref other => other.status(),
            };
            match err {
                ApiError::NotSignedIn { .. } => errors.push(FieldError::new(
                    "email",
                    "An account with this address exists already: sign in, or set a new password if you forgot it.",
                )),
                ApiError::TooManyRequests { .. } => {
                    errors.push(FieldError::new("email", err.to_string()))
                }
                ApiError::InvalidParam { ref param, .. } if param == "form" => {}
                other => errors.extend(field_errors(other)?),
            }
            form.set("password", "");
            let page = AccountPage::Register {
                values: &form,
                errors: &errors,
                next: &next,
            };
            show(cx, page, status.max(400)).await
        }
    }
}

/// `GET /account/forgot`
pub async fn forgot_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let page = AccountPage::Forgot {
        sent: false,
        error: None,
    };
    show(cx, page, 200).await
}

/// `POST /account/forgot`: a reset link by e-mail when the address has an account; the
/// same answer either way.
pub async fn forgot(cx: &mut Cx) -> Result<Response, ApiError> {
    let form = posted(cx).await?;
    let email = form.get("email").trim().to_lowercase();
    let refused = |error: String| AccountPage::Forgot {
        sent: false,
        error: Some(error),
    };
    if commerce::email::Email::parse(&email).is_err() {
        return show(cx, refused("Please enter an e-mail address.".into()), 400).await;
    }
    let store = cx.shopper()?.site.store.clone();
    if let Err(err) = cx
        .limit(
            Rule::SignInPerAccount,
            &format!("customer:{}:{email}", store.id),
        )
        .await
    {
        let mut response = show(cx, refused(err.to_string()), err.status()).await?;
        http::retry_after(&mut response, &err)?;
        return Ok(response);
    }
    let reset = cx
        .with_db(async |client: &Client| customer::request_reset(client, &store.id, &email).await)
        .await?;
    if let Some(reset) = reset {
        mail_link(cx, &store, reset, Link::Reset);
    }
    let page = AccountPage::Forgot {
        sent: true,
        error: None,
    };
    show(cx, page, 200).await
}

/// The reset link's token, and whether it is still open.
async fn reset_token(cx: &Cx) -> Result<(String, Option<Token>), ApiError> {
    let raw = query(cx).token;
    let store = store(cx)?;
    let token = match Token::parse(&raw) {
        Some(token) => {
            let open = cx
                .with_db(async |client: &Client| {
                    customer::reset_is_open(client, &store, &token).await
                })
                .await?;
            open.then_some(token)
        }
        None => None,
    };
    Ok((raw, token))
}

/// `GET /account/reset-password?token=`
pub async fn reset_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let (raw, token) = reset_token(cx).await?;
    let open = token.is_some();
    let page = AccountPage::Reset {
        token: &raw,
        open,
        errors: &[],
    };
    show(cx, page, if open { 200 } else { 404 }).await
}

/// `POST /account/reset-password?token=`: the new password, then sign in with it.
pub async fn reset(cx: &mut Cx) -> Result<Response, ApiError> {
    let form = posted(cx).await?;
    let (raw, token) = reset_token(cx).await?;
    let Some(token) = token else {
        let page = AccountPage::Reset {
            token: &raw,
            open: false,
            errors: &[],
        };
        return show(cx, page, 404).await;
    };
    let store = store(cx)?;
    let password = form.get("password").to_owned();
    let set = cx
        .with_db(async |client: &Client| {
            customer::reset_password(client, &store, &token, &password).await
        })
        .await;
    match set {
        Ok(_) => http::see_other("/account/sign-in?done=password_set"),
        Err(err) => {
            let status = err.status();
            let errors = field_errors(err)?;
            let page = AccountPage::Reset {
                token: &raw,
                open: true,
                errors: &errors,
            };
            show(cx, page, status).await
        }
    }
}

/// `GET /account/profile` (`?done=saved` after a change)
pub async fn profile_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = me_or_sign_in!(cx);
    let customer = load(cx, &id).await?;
    let values = Values::of_profile(&customer);
    let saved = query(cx).done == "saved";
    let page = AccountPage::Profile {
        customer: &customer,
        values: &values,
        errors: &[],
        saved,
    };
    show(cx, page, 200).await
}

/// `POST /account/profile`
pub async fn profile(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = me_or_sign_in!(cx);
    let form = posted(cx).await?;
    let customer = load(cx, &id).await?;
    let body = ProfileBody {
        first_name: Some(form.get("first_name").to_owned()),
        last_name: Some(form.get("last_name").to_owned()),
        phone: Some(form.get("phone").to_owned()),
        company_name: Some(form.get("company_name").to_owned()),
        ..ProfileBody::default()
    };
    let store = store(cx)?;
    let changed = cx
        .with_db(async |client: &Client| {
            let profile = Profile::parse(&body, &customer.email)?;
            customer::update_customer(client, &store, &id, &profile).await
        })
        .await;
    match changed {
        Ok(_) => http::see_other("/account/profile?done=saved"),
        Err(err) => {
            let status = err.status();
            let errors = field_errors(err)?;
            let page = AccountPage::Profile {
                customer: &customer,
                values: &form,
                errors: &errors,
                saved: false,
            };
            show(cx, page, status).await
        }
    }
}

/// `GET /account/addresses`
pub async fn addresses(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = me_or_sign_in!(cx);
    let customer = load(cx, &id).await?;
    let notice = match query(cx).done.as_str() {
        "added" => Some("The address is added."),
        "saved" => Some("The address is saved."),
        "deleted" => Some("The address is deleted."),
        _ => None,
    };
    show(
        cx,
        AccountPage::Addresses {
            customer: &customer,
            notice,
        },
        200,
    )
    .await
}

/// `GET /account/addresses/new`
pub async fn address_new(cx: &mut Cx) -> Result<Response, ApiError> {
    let _ = me_or_sign_in!(cx);
    let mut values = Values::default();
    values.set(
        "country_code",
        cx.shopper()?
            .region
            .countries
            .first()
            .map_or("", |c| c.iso_2.as_str()),
    );
    let page = AccountPage::AddressForm {
        id: None,
        values: &values,
        errors: &[],
    };
    show(cx, page, 200).await
}

/// The posted address form as the book takes it: every field named (an emptied one is
/// cleared), the boxes as ticked.
fn address_input(form: &Values) -> Result<AddressInput, ApiError> {
    let mut body = Map::new();
    for name in commerce::cart::Address::FIELDS
        .iter()
        .chain(&["address_name"])
    {
        body.insert((*name).to_owned(), Value::String(form.get(name).to_owned()));
    }
    for name in ["is_default_shipping", "is_default_billing"] {
        body.insert(name.to_owned(), Value::Bool(form.ticked(name)));
    }
    let input = AddressInput::parse(&Value::Object(body))?;
    input.address.check_shipping("")?;
    Ok(input)
}

/// `POST /account/addresses` and `POST /account/addresses/:id`: the address added or
/// changed, or the form again with its refusals.
pub async fn address_save(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = me_or_sign_in!(cx);
    let form = posted(cx).await?;
    let address_id = cx.params.first().cloned();
    let store = store(cx)?;
    let saved = match address_input(&form) {
        Ok(input) => {
            cx.with_db(async |client: &Client| match &address_id {
                Some(a) => customer::update_address(client, &store, &id, a, &input).await,
                None => customer::add_address(client, &store, &id, &input).await,
            })
            .await
        }
        Err(err) => Err(err),
    };
    match saved {
        Ok(_) => http::see_other(if address_id.is_some() {
            "/account/addresses?done=saved"
        } else {
            "/account/addresses?done=added"
        }),
        Err(err) => {
            let status = err.status();
            let errors = field_errors(err)?;
            let page = AccountPage::AddressForm {
                id: address_id.as_deref(),
                values: &form,
                errors: &errors,
            };
            show(cx, page, status).await
        }
    }
}

/// `GET /account/addresses/:id`
pub async fn address_edit(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = me_or_sign_in!(cx);
    let (store, address_id) = (store(cx)?, cx.param(0).to_owned());
    let address = cx
        .with_db(async |client: &Client| customer::address(client, &store, &id, &address_id).await)
        .await?;
    let values = Values::of_address(&address);
    let page = AccountPage::AddressForm {
        id: Some(&address_id),
        values: &values,
        errors: &[],
    };
    show(cx, page, 200).await
}

/// `GET /account/addresses/:id/delete`: asks first.
pub async fn address_delete_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = me_or_sign_in!(cx);
    let (store, address_id) = (store(cx)?, cx.param(0).to_owned());
    let address = cx
        .with_db(async |client: &Client| customer::address(client, &store, &id, &address_id).await)
        .await?;
    show(cx, AccountPage::DeleteAddress { address: &address }, 200).await
}

/// `POST /account/addresses/:id/delete`
pub async fn address_delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = me_or_sign_in!(cx);
    let _ = posted(cx).await?;
    let (store, address_id) = (store(cx)?, cx.param(0).to_owned());
    cx.with_db(async |client: &Client| {
        customer::delete_address(client, &store, &id, &address_id).await
    })
    .await?;
    http::see_other("/account/addresses?done=deleted")
}

/// `GET /account/orders` (`?offset=`)
pub async fn orders(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = me_or_sign_in!(cx);
    let customer = load(cx, &id).await?;
    let page = Page {
        limit: 20,
        offset: query(cx).offset.min(100_000),
    };
    let (orders, count) = history(cx, &customer, page).await?;
    show(
        cx,
        AccountPage::Orders {
            orders: &orders,
            count,
            page,
        },
        200,
    )
    .await
}

/// `POST /account/verify`: a new link to confirm the address.
pub async fn verify_send(cx: &mut Cx) -> Result<Response, ApiError> {
    let _ = posted(cx).await?;
    let Some(who) = signed_in(cx).await? else {
        return http::see_other("/account/sign-in?next=/account");
    };
    let store = cx.shopper()?.site.store.clone();
    cx.limit(
        Rule::SignInPerAccount,
        &format!("customer:{}:{}", store.id, who.email),
    )
    .await?;
    let link = cx
        .with_db(async |client: &Client| customer::verification_link(client, &who).await)
        .await?;
    if let Some(link) = link {
        mail_link(cx, &store, link, Link::Verify);
    }
    http::see_other("/account?done=verify_sent")
}

/// `GET /account/verify?token=`: the address confirmed (the link works once).
pub async fn verify(cx: &mut Cx) -> Result<Response, ApiError> {
    let store = store(cx)?;
    let confirmed = match Token::parse(&query(cx).token) {
        Some(token) => {
            match cx
                .with_db(async |client: &Client| {
                    customer::verify_email(client, &store, &token).await
                })
                .await
            {
                Ok(email) => Some(email),
                Err(ApiError::NotFound { .. }) => None,
                Err(err) => return Err(err),
            }
        }
        None => None,
    };
    let status = if confirmed.is_some() { 200 } else { 404 };
    show(
        cx,
        AccountPage::Verified {
            email: confirmed.as_deref(),
        },
        status,
    )
    .await
}
