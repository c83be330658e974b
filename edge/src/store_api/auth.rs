//! Customers' sign-in, Medusa's auth routes: register, sign in (a JWT), the session
//! cookie made from a JWT and ended, the token refreshed, the forgotten password and
//! its reset. Attempts are limited per client (the route's rule) and per account
//! (here); a failed sign-in reads the same for an unknown address and a wrong password.

use commerce::customer::json::{EmailPass, PasswordBody, ResetRequestBody, TokenResponse};
use commerce::customer::jwt::{Claims, JwtKey};
use commerce::customer::{self, Principal, SESSION_TTL_S};
use commerce::email::Email;
use commerce::email::{AccountMail, AccountMailRequest};
use commerce::staff::Token;
use commerce::store::Store;
use commerce::ApiError;
use serde_json::json;
use std::rc::Rc;
use tokio_postgres::Client;
use worker::Response;

use crate::analytics::now_ms;
use crate::config::Config;
use crate::context::Cx;
use crate::http::{self, cookies, internal};
use crate::limit::Rule;

/// The deployment's JWT secret; without one, accounts are not available.
pub fn jwt_key(config: &Config) -> Result<&JwtKey, ApiError> {
    config
        .jwt_key
        .as_ref()
        .ok_or_else(|| ApiError::UpstreamUnavailable {
            message: "Customer accounts are not configured on this deployment.".to_owned(),
            detail: "JWT_SECRET is not set (wrangler secret put JWT_SECRET)".to_owned(),
        })
}

/// A new JWT for `who`.
pub fn token_for(config: &Config, who: &Principal) -> Result<String, ApiError> {
    let now_s = i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX);
    Ok(jwt_key(config)?.sign(&Claims::new(who, now_s, config.jwt_ttl_s)))
}

fn token_response(cx: &Cx, who: &Principal) -> Result<Response, ApiError> {
    http::json(
        200,
        &TokenResponse {
            token: token_for(&cx.config, who)?,
        },
    )
}

/// Counts an attempt on the account of `email` in the request's store.
async fn limit_account(cx: &Cx, email: &str) -> Result<(), ApiError> {
    let store = cx.store()?;
    let key = format!("customer:{}:{}", store.id, email.trim().to_lowercase());
    cx.limit(Rule::SignInPerAccount, &key).await
}

/// The e-mail and password of a sign-in or sign-up, counted against the account's
/// limit, and the store they are for.
async fn credentials(cx: &mut Cx) -> Result<(EmailPass, Rc<Store>), ApiError> {
    jwt_key(&cx.config)?;
    let body: EmailPass = cx.json_as().await?;
    limit_account(cx, &body.email).await?;
    Ok((body, cx.store()?))
}

/// `POST /auth/customer/emailpass/register`: `{token}` of a new identity (its customer
/// is made next, with `POST /store/customers`).
pub async fn register(cx: &mut Cx) -> Result<Response, ApiError> {
    let (body, store) = credentials(cx).await?;
    let who = cx
        .with_db(async |client: &Client| {
            customer::register(client, &store.id, &body.email, &body.password).await
        })
        .await?;
    token_response(cx, &who)
}

/// `POST /auth/customer/emailpass`: `{token}`, or 401 "Invalid email or password".
pub async fn sign_in(cx: &mut Cx) -> Result<Response, ApiError> {
    let (body, store) = credentials(cx).await?;
    let who = cx
        .with_db(async |client: &Client| {
            customer::sign_in(client, &store.id, &body.email, &body.password).await
        })
        .await?;
    token_response(cx, &who)
}

/// `POST /auth/token/refresh`: a new JWT for the signed-in customer (with their
/// customer id once made).
pub async fn refresh(cx: &mut Cx) -> Result<Response, ApiError> {
    let who = cx.principal()?.clone();
    token_response(cx, &who)
}

/// `POST /auth/session`: the JWT of the `Authorization` header becomes a session
/// cookie (HttpOnly, SameSite=Lax).
pub async fn open_session(cx: &mut Cx) -> Result<Response, ApiError> {
    let who = cx.principal()?.clone();
    let token = cx
        .with_db(async |client: &Client| customer::open_session(client, &who).await)
        .await?;
    let mut response = http::json(
        200,
        &json!({ "user": {
            "auth_identity_id": who.identity,
            "actor_id": who.customer,
            "actor_type": "customer",
        }}),
    )?;
    let cookie = cookies::customer(&cx.url, Some(token.as_str()), SESSION_TTL_S.unsigned_abs());
    cookies::set(response.headers_mut(), &[cookie]).map_err(internal)?;
    Ok(response)
}

/// `DELETE /auth/session`: ends the session of the cookie and clears it.
pub async fn end_session(cx: &mut Cx) -> Result<Response, ApiError> {
    if let Some(token) = cx.cookies.customer.as_deref().and_then(Token::parse) {
        cx.with_db(async |client: &Client| customer::end_session(client, &token).await)
            .await?;
    }
    let mut response = http::json(200, &json!({ "success": true }))?;
    let cookie = cookies::customer(&cx.url, None, 0);
    cookies::set(response.headers_mut(), &[cookie]).map_err(internal)?;
    Ok(response)
}

/// `POST /auth/customer/emailpass/reset-password`: 201 whether or not the address has
/// an account; when it has, a reset link goes to it by e-mail.
pub async fn reset_request(cx: &mut Cx) -> Result<Response, ApiError> {
    let body: ResetRequestBody = cx.json_as().await?;
    let email = body.identifier.trim().to_lowercase();
    Email::parse(&email).map_err(|e| e.for_field("identifier"))?;
    limit_account(cx, &email).await?;
    let store = cx.store()?;
    let reset = cx
        .with_db(async |client: &Client| customer::request_reset(client, &store.id, &email).await)
        .await?;
    if let Some(reset) = reset {
        mail_link(cx, &store, reset, Link::Reset);
    }
    Response::empty()
        .map(|r| r.with_status(201))
        .map_err(internal)
}

/// What a mailed link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// `/account/reset-password?token=`: a new password.
    Reset,
    /// `/account/verify?token=`: the address confirmed.
    Verify,
}

/// Mails `link` to its account after the answer has gone; links point at the store's
/// own account pages on this host.
pub fn mail_link(cx: &Cx, store: &Store, link: customer::Reset, kind: Link) {
    let (path, key) = match kind {
        Link::Reset => ("reset-password", "customer-reset"),
        Link::Verify => ("verify", "customer-verify"),
    };
    let url = format!(
        "{}/account/{path}?token={}",
        cx.site_origin(),
        link.token.as_str()
    );
    let (store_name, name) = (store.name.clone(), link.first_name);
    let mail = match kind {
        Link::Reset => AccountMail::CustomerReset {
            store_name,
            name,
            link: url,
        },
        Link::Verify => AccountMail::CustomerVerify {
            store_name,
            name,
            link: url,
        },
    };
    let Ok(to) = Email::parse(&link.email) else {
        return;
    };
    cx.mail_later(AccountMailRequest {
        to,
        store_id: Some(store.id.clone()),
        key: format!("{key}-{}", link.token.hash()),
        mail,
    });
}

/// `POST /auth/customer/emailpass/update`: a new password through the reset token
/// (`Authorization: Bearer`, or `?token=` as older servers took it). The token works
/// once; every session and JWT of the account ends.
pub async fn reset(cx: &mut Cx) -> Result<Response, ApiError> {
    let refused = || ApiError::NotSignedIn {
        message: "This reset link was used or has expired; ask for a new one.".to_owned(),
    };
    let sent = cx.bearer().or_else(|| cx.query("token"));
    let token = sent.as_deref().and_then(Token::parse).ok_or_else(refused)?;
    let body: PasswordBody = cx.json_as().await?;
    let store = cx.store()?;
    cx.with_db(async |client: &Client| {
        customer::reset_password(client, &store.id, &token, &body.password).await
    })
    .await?;
    http::json(200, &json!({ "success": true }))
}
