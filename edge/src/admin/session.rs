//! Staff sign-in and sign-out, forgotten passwords, invitations, the store switch, and
//! the admin API's
//! token (`POST /auth/user/emailpass`) and `GET /admin/users/me`. Sign-in attempts are
//! limited per client (the route's rule) and per account (here); every failure reads
//! the same.

use commerce::email::{AccountMail, AccountMailRequest, Email};
use commerce::ids::StoreId;
use commerce::staff::audit::{self, Entry};
use commerce::staff::json::{TokenResponse, UserResponse, UserShape};
use commerce::staff::{self, Invitation, Member, SessionKind, Token};
use commerce::store::HostName;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::json;
use storefront::admin::{
    forgot_page, invite_page, reset_page, safe_next, sign_in_page, SignInForm,
};
use tokio_postgres::Client;
use worker::Response;

use super::page;
use crate::context::Cx;
use crate::http::{self, cookies, internal};
use crate::limit::Rule;

/// A redirect that also sets the staff cookie (`None` clears it).
fn see_other_with_session(
    cx: &Cx,
    location: &str,
    token: Option<&Token>,
) -> Result<Response, ApiError> {
    let lifetime = SessionKind::Cookie.lifetime().absolute_s.unsigned_abs();
    let cookie = cookies::staff(&cx.url, token.map(Token::as_str), lifetime);
    let mut response = http::see_other(location)?;
    cookies::set(response.headers_mut(), &[cookie]).map_err(internal)?;
    Ok(response)
}

/// The store served at this host, if any: sign-in prefers it among the member's.
async fn host_store(cx: &Cx) -> Option<StoreId> {
    let host = HostName::parse(cx.url.host_str()?)?;
    let site = crate::pages::site_for(&cx.env, &cx.ctx, &cx.config, &host)
        .await
        .ok()?;
    Some(site.store.id.clone())
}

/// Signs in and records it: the session's token and member.
async fn open_session(
    cx: &Cx,
    email: &str,
    password: &str,
    kind: SessionKind,
) -> Result<(Token, Member), ApiError> {
    cx.limit(Rule::SignInPerAccount, &email.trim().to_lowercase())
        .await?;
    let prefer = host_store(cx).await;
    let from = cx.client();
    cx.with_db(async |client: &Client| {
        let (token, member) =
            staff::sign_in(client, email, password, prefer.as_ref(), kind, &from).await?;
        let entry = Entry {
            action: "session.sign_in",
            target_id: Some(member.user_id.as_str()),
            change: json!({ "kind": kind.as_str() }),
        };
        audit::record(client, &member, &from, &cx.trace_id, entry).await?;
        Ok((token, member))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInQuery {
    next: String,
    done: String,
}

/// `GET /admin/sign-in`
pub async fn sign_in_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let query: SignInQuery = cx.query_as().unwrap_or_default();
    let notice = match query.done.as_str() {
        "signed_out" => Some("You are signed out."),
        "password_set" => Some("Your new password is set. Sign in with it."),
        _ => None,
    };
    let form = SignInForm {
        email: String::new(),
        next: safe_next(&query.next),
    };
    page(sign_in_page(form, None, notice, 200)?, &[])
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignInPost {
    email: String,
    password: String,
    next: String,
}

/// `POST /admin/sign-in`: the session cookie and on to `next`; or the form again
/// saying why (the same words for an unknown e-mail and a wrong password).
pub async fn sign_in(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: SignInPost = cx.form().await?;
    let form = SignInForm {
        email: posted.email.trim().to_owned(),
        next: safe_next(&posted.next),
    };
    match open_session(cx, &posted.email, &posted.password, SessionKind::Cookie).await {
        Ok((token, _)) => see_other_with_session(cx, &form.next, Some(&token)),
        Err(err @ (ApiError::NotSignedIn { .. } | ApiError::TooManyRequests { .. })) => {
            let mut response = page(
                sign_in_page(form, Some(err.to_string()), None, err.status())?,
                &[],
            )?;
            http::retry_after(&mut response, &err)?;
            Ok(response)
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/sign-out`: ends the session at once and clears the cookie.
pub async fn sign_out(cx: &mut Cx) -> Result<Response, ApiError> {
    let _: NoFields = cx.form().await?;
    if let Some((token, kind)) = cx.staff_token() {
        let from = cx.client();
        cx.with_db(async |client: &Client| {
            if let Some(member) = staff::session(client, &token, kind).await? {
                let entry = Entry {
                    action: "session.sign_out",
                    target_id: Some(member.user_id.as_str()),
                    change: json!({}),
                };
                audit::record(client, &member, &from, &cx.trace_id, entry).await?;
            }
            staff::revoke(client, &token).await
        })
        .await?;
    }
    see_other_with_session(cx, "/admin/sign-in?done=signed_out", None)
}

/// A form whose only content is that it was posted from this site.
#[derive(Deserialize)]
struct NoFields {}

/// `GET /admin/invite/:token`
pub async fn invite_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let invitation = match Token::parse(cx.param(0)) {
        Some(token) => {
            cx.with_db(async |client: &Client| staff::invitation(client, &token).await)
                .await?
        }
        None => None,
    };
    let status = if invitation.is_some() { 200 } else { 404 };
    let rendered = invite_page(invitation.as_ref(), cx.url.path(), "", None, status)?;
    page(rendered, &[])
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AcceptPost {
    name: String,
    password: String,
}

/// What accepting an invitation came to.
enum Accepted {
    /// Signed in with this session.
    Joined(Token),
    /// The link is used, expired or unknown.
    Gone,
    /// The form again, saying what to correct.
    Refused(Invitation, ApiError),
}

/// `POST /admin/invite/:token`: makes the membership, signs the member in, and on to
/// the dashboard; or the form again saying what to correct.
pub async fn accept_invite(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: AcceptPost = cx.form().await?;
    let Some(token) = Token::parse(cx.param(0)) else {
        return page(invite_page(None, cx.url.path(), "", None, 404)?, &[]);
    };
    let from = cx.client();
    let accepted = cx
        .with_db(async |client: &Client| {
            let Some(invitation) = staff::invitation(client, &token).await? else {
                return Ok(Accepted::Gone);
            };
            match staff::accept_invite(client, &token, &posted.name, &posted.password).await {
                Ok((_, store)) => {
                    let (session, member) = staff::sign_in(
                        client,
                        &invitation.email,
                        &posted.password,
                        Some(&store),
                        SessionKind::Cookie,
                        &from,
                    )
                    .await?;
                    let entry = Entry {
                        action: "staff.invite_accept",
                        target_id: Some(member.user_id.as_str()),
                        change: json!({ "role": [null, member.role.audit_name()] }),
                    };
                    audit::record(client, &member, &from, &cx.trace_id, entry).await?;
                    Ok(Accepted::Joined(session))
                }
                Err(err @ ApiError::InvalidParam { .. }) => Ok(Accepted::Refused(invitation, err)),
                Err(ApiError::NotFound { .. }) => Ok(Accepted::Gone),
                Err(err) => Err(err),
            }
        })
        .await?;
    let path = cx.url.path().to_owned();
    match accepted {
        Accepted::Joined(session) => see_other_with_session(cx, "/admin", Some(&session)),
        Accepted::Gone => page(invite_page(None, &path, "", None, 404)?, &[]),
        Accepted::Refused(invitation, err) => {
            let rendered = invite_page(
                Some(&invitation),
                &path,
                &posted.name,
                Some(err.to_string()),
                err.status(),
            )?;
            page(rendered, &[])
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SwitchPost {
    store_id: String,
    return_to: String,
}

/// `POST /admin/store`: the session works in another of the member's stores.
pub async fn switch_store(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: SwitchPost = cx.form().await?;
    let store = StoreId::parse(&posted.store_id)
        .map_err(|e| ApiError::invalid("store_id", e.to_string()))?;
    let (token, _) = cx
        .staff_token()
        .ok_or_else(|| ApiError::internal("staff route without a token"))?;
    let member = cx.member()?;
    let from = cx.client();
    let switched = cx
        .with_db(async |client: &Client| {
            let switched = staff::switch_store(client, &token, &store).await?;
            if switched {
                let entry = Entry {
                    action: "session.switch_store",
                    target_id: Some(store.as_str()),
                    change: json!({ "store_id": [member.store_id.as_str(), store.as_str()] }),
                };
                audit::record(client, member, &from, &cx.trace_id, entry).await?;
            }
            Ok(switched)
        })
        .await?;
    if !switched {
        return Err(ApiError::not_found("Store", "id", store.as_str()));
    }
    http::see_other(&safe_next(&posted.return_to))
}

#[derive(Deserialize)]
struct EmailPass {
    email: String,
    password: String,
}

/// `POST /auth/user/emailpass` (Medusa's route): `{token}` for `Authorization: Bearer`
/// on the admin API.
pub async fn token(cx: &mut Cx) -> Result<Response, ApiError> {
    let body: EmailPass = cx.json_as().await?;
    let (token, _) = open_session(cx, &body.email, &body.password, SessionKind::Bearer).await?;
    http::json(
        200,
        &TokenResponse {
            token: token.as_str(),
        },
    )
}

/// `GET /admin/users/me`
pub async fn me(cx: &mut Cx) -> Result<Response, ApiError> {
    let member = cx.member()?;
    super::api_json(&UserResponse {
        user: UserShape::of(member),
    })
}

/// `GET /admin/forgot`
pub async fn forgot_form(_cx: &mut Cx) -> Result<Response, ApiError> {
    page(forgot_page(false, None, 200)?, &[])
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ForgotPost {
    email: String,
}

/// `POST /admin/forgot`: a reset link by e-mail when the address has an account; the
/// same answer either way.
pub async fn forgot(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: ForgotPost = cx.form().await?;
    let email = posted.email.trim().to_lowercase();
    let Ok(to) = Email::parse(&email) else {
        let message = "Please enter an e-mail address.".to_owned();
        return page(forgot_page(false, Some(message), 400)?, &[]);
    };
    if let Err(err) = cx.limit(Rule::SignInPerAccount, &email).await {
        let mut response = page(
            forgot_page(false, Some(err.to_string()), err.status())?,
            &[],
        )?;
        http::retry_after(&mut response, &err)?;
        return Ok(response);
    }
    let reset = cx
        .with_db(async |client: &Client| staff::request_reset(client, &email).await)
        .await?;
    if let Some(reset) = reset {
        let link = format!("{}/admin/reset/{}", cx.site_origin(), reset.token.as_str());
        cx.mail_later(AccountMailRequest {
            to,
            store_id: None,
            key: format!("staff-reset-{}", reset.token.hash()),
            mail: AccountMail::PasswordReset {
                name: reset.name,
                link,
            },
        });
    }
    page(forgot_page(true, None, 200)?, &[])
}

/// `GET /admin/reset/:token`
pub async fn reset_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let open = match Token::parse(cx.param(0)) {
        Some(token) => {
            cx.with_db(async |client: &Client| staff::reset_is_open(client, &token).await)
                .await?
        }
        None => false,
    };
    let rendered = reset_page(open, cx.url.path(), None, if open { 200 } else { 404 })?;
    page(rendered, &[])
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetPost {
    password: String,
}

/// `POST /admin/reset/:token`: the new password, every session ended, and on to sign
/// in; or the form again saying what to correct.
pub async fn reset(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: ResetPost = cx.form().await?;
    let path = cx.url.path().to_owned();
    let Some(token) = Token::parse(cx.param(0)) else {
        return page(reset_page(false, &path, None, 404)?, &[]);
    };
    let outcome = cx
        .with_db(async |client: &Client| {
            staff::reset_password(client, &token, &posted.password).await
        })
        .await;
    match outcome {
        Ok(_) => http::see_other("/admin/sign-in?done=password_set"),
        Err(ApiError::InvalidParam { reason, .. }) => {
            let message = format!("The password {reason}.");
            page(reset_page(true, &path, Some(message), 400)?, &[])
        }
        Err(ApiError::NotFound { .. }) => page(reset_page(false, &path, None, 404)?, &[]),
        Err(err) => Err(err),
    }
}
