//! The store's staff (owners invite, change roles, remove), one's own sessions, and the
//! audit log.

use commerce::email::Email;
use commerce::email::{AccountMail, AccountMailRequest};
use commerce::ids::UserId;
use commerce::staff::audit::{self, Entry};
use commerce::staff::json::{InviteList, InviteResponse, InviteShape};
use commerce::staff::{self, roles, Role, StoreRole};
use commerce::ApiError;
use serde::Deserialize;
use serde_json::json;
use storefront::admin::{
    audit_page, audit_page_of, sessions_page, staff_page, AuditQuery, StaffNotice,
};
use tokio_postgres::Client;
use worker::Response;

use super::{api_json, page, render, shell};
use crate::context::Cx;
use crate::http::{self, cookies, internal};

/// The staff page with `notice`, at `status`.
async fn staff_view(cx: &Cx, notice: StaffNotice<'_>, status: u16) -> Result<Response, ApiError> {
    let member = cx.member()?;
    let path = "/admin/staff";
    let rendered = cx
        .with_db(async |client: &Client| {
            let shell = shell(client, member, path).await?;
            let members = staff::members(client, &member.store_id).await?;
            let invites = staff::pending_invites(client, &member.store_id).await?;
            let custom: Vec<StoreRole> = roles::list(client, &member.store_id)
                .await?
                .into_iter()
                .map(|r| r.role)
                .collect();
            staff_page(&shell, member, &members, &invites, &custom, notice, status)
        })
        .await?;
    page(rendered, &[])
}

/// `GET /admin/staff`
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    staff_view(cx, StaffNotice::default(), 200).await
}

/// Records a change of the staff by the signed-in member.
async fn record(cx: &Cx, client: &Client, entry: Entry<'_>) -> Result<(), ApiError> {
    audit::record(client, cx.member()?, &cx.client(), &cx.trace_id, entry).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InvitePost {
    email: String,
    role: String,
}

/// `GET /admin/invites`: Medusa's list of open invitations (the staff page shows them
/// to browsers).
pub async fn invites(cx: &mut Cx) -> Result<Response, ApiError> {
    if !cx.wants_json() {
        return http::see_other("/admin/staff");
    }
    let store = cx.member()?.store_id.clone();
    let open = cx
        .with_db(async |client: &Client| staff::pending_invites(client, &store).await)
        .await?;
    let shapes: Vec<InviteShape<'_>> = open.iter().map(|i| InviteShape::of(i, None)).collect();
    api_json(&InviteList {
        count: shapes.len(),
        offset: 0,
        limit: shapes.len(),
        invites: shapes,
    })
}

/// `POST /admin/invites` (the staff page's form, or Medusa's `{email}` with an optional
/// `role`; read-only analyst when absent): the invitation is e-mailed, and its link
/// shown once to hand on (an API client gets Medusa's invite with its token).
pub async fn invite(cx: &mut Cx) -> Result<Response, ApiError> {
    let api = cx.wants_json();
    let posted: InvitePost = if api {
        cx.json_as().await?
    } else {
        cx.form().await?
    };
    let refused = |message: String| StaffNotice {
        invite_email: &posted.email,
        message: Some(message),
        ..StaffNotice::default()
    };
    let email = match Email::parse(&posted.email) {
        Ok(email) => email,
        Err(e) if api => return Err(ApiError::invalid("email", e.to_string())),
        Err(e) => return staff_view(cx, refused(format!("E-mail address: {e}")), 400).await,
    };
    let key = match (posted.role.as_str(), api) {
        ("", true) => Role::Analyst.as_str(),
        ("", false) => {
            return staff_view(cx, refused("Please choose a role.".to_owned()), 400).await
        }
        (text, _) => text,
    };
    let member = cx.member()?;
    let made = cx
        .with_db(async |client: &Client| {
            let role = roles::find(client, &member.store_id, key).await?;
            let token = staff::create_invite(
                client,
                &member.store_id,
                &email,
                &role,
                Some(&member.user_id),
            )
            .await?;
            let entry = Entry {
                action: "staff.invite",
                target_id: Some(&email.lookup_key()),
                change: json!({ "role": [null, role.audit_name()] }),
            };
            record(cx, client, entry).await?;
            Ok((token, role))
        })
        .await;
    let (token, role) = match made {
        Ok(made) => made,
        Err(err @ ApiError::InvalidParam { .. }) if !api => {
            return staff_view(cx, refused(format!("Role: {err}")), 400).await
        }
        Err(err) => return Err(err),
    };
    let link = format!("{}/admin/invite/{}", cx.site_origin(), token.as_str());
    cx.mail_later(AccountMailRequest {
        to: email.clone(),
        store_id: Some(member.store_id.clone()),
        key: format!("staff-invite-{}", token.hash()),
        mail: AccountMail::Invitation {
            store_name: member.store_name.clone(),
            role: role.label().to_owned(),
            link: link.clone(),
        },
    });
    if api {
        let made = staff::PendingInvite {
            id: staff::invite_id(&token),
            email: email.lookup_key(),
            role,
            expires: String::new(),
            expires_at: api_time_in(staff::INVITE_TTL_S),
            created_at: api_time_in(0),
        };
        return api_json(&InviteResponse {
            invite: InviteShape::of(&made, Some(token.as_str())),
        });
    }
    let notice = StaffNotice {
        invite_link: Some(&link),
        ..StaffNotice::default()
    };
    staff_view(cx, notice, 200).await
}

/// `DELETE /admin/invites/:id` (Medusa's), or `POST /admin/invites/:id/delete` from the
/// staff page (with the confirmation box): the invitation's link stops working.
pub async fn withdraw(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = cx.param(0).to_owned();
    let api = cx.wants_json();
    if !api {
        let posted: RemovePost = cx.form().await?;
        if posted.confirm != "yes" {
            let notice = StaffNotice {
                message: Some("Please tick the box to confirm the withdrawal.".to_owned()),
                ..StaffNotice::default()
            };
            return staff_view(cx, notice, 400).await;
        }
    }
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| {
        let email = staff::withdraw_invite(client, &store, &id).await?;
        let entry = Entry {
            action: "staff.invite.withdraw",
            target_id: Some(&email),
            change: json!({ "invite": [id, null] }),
        };
        record(cx, client, entry).await
    })
    .await?;
    if api {
        return api_json(&json!({ "id": id, "object": "invite", "deleted": true }));
    }
    http::see_other("/admin/staff")
}

/// Now plus `seconds`, as Medusa's API writes times.
fn api_time_in(seconds: i64) -> String {
    let later = u64::try_from(seconds)
        .unwrap_or_default()
        .saturating_mul(1000);
    commerce::cart::api_time(worker::Date::now().as_millis().saturating_add(later))
}

/// The member of the path's `:user`; a malformed id is not found.
fn user_id(cx: &Cx) -> Result<UserId, ApiError> {
    let raw = cx.param(0);
    UserId::parse(raw).map_err(|_| ApiError::not_found("Member", "id", raw.to_owned()))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RolePost {
    role: String,
}

/// `POST /admin/staff/:user/role`
pub async fn change_role(cx: &mut Cx) -> Result<Response, ApiError> {
    let user = user_id(cx)?;
    let posted: RolePost = cx.form().await?;
    let store = cx.member()?.store_id.clone();
    let changed = cx
        .with_db(async |client: &Client| {
            let role = roles::find(client, &store, &posted.role).await?;
            let before = staff::change_role(client, &store, &user, &role).await?;
            let entry = Entry {
                action: "staff.role",
                target_id: Some(user.as_str()),
                change: json!({ "role": [before, role.key()] }),
            };
            record(cx, client, entry).await
        })
        .await;
    after_change(cx, changed).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RemovePost {
    confirm: String,
}

/// `POST /admin/staff/:user/remove` (with the confirmation box): their sessions end.
pub async fn remove(cx: &mut Cx) -> Result<Response, ApiError> {
    let user = user_id(cx)?;
    let posted: RemovePost = cx.form().await?;
    if posted.confirm != "yes" {
        let notice = StaffNotice {
            message: Some("Please tick the box to confirm the removal.".to_owned()),
            ..StaffNotice::default()
        };
        return staff_view(cx, notice, 400).await;
    }
    let store = cx.member()?.store_id.clone();
    let removed = cx
        .with_db(async |client: &Client| {
            let before = staff::remove_member(client, &store, &user).await?;
            let entry = Entry {
                action: "staff.remove",
                target_id: Some(user.as_str()),
                change: json!({ "role": [before.as_str(), null] }),
            };
            record(cx, client, entry).await
        })
        .await;
    after_change(cx, removed).await
}

/// Back to the staff page; a refused change (the last owner) is the page saying why.
async fn after_change(cx: &Cx, outcome: Result<(), ApiError>) -> Result<Response, ApiError> {
    match outcome {
        Ok(()) => http::see_other("/admin/staff"),
        Err(err @ ApiError::Conflict { .. }) => {
            let notice = StaffNotice {
                message: Some(err.to_string()),
                ..StaffNotice::default()
            };
            staff_view(cx, notice, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `GET /admin/account/sessions`
pub async fn sessions(cx: &mut Cx) -> Result<Response, ApiError> {
    let current = cx.staff_token().map(|(t, _)| t.hash()).unwrap_or_default();
    render(cx, async |client, member, shell| {
        let live = staff::sessions(client, &member.user_id).await?;
        sessions_page(shell, &live, &current)
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevokePost {
    key: String,
}

/// `POST /admin/account/sessions/revoke`: ends one of one's sessions; ending this one
/// signs out here.
pub async fn revoke(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: RevokePost = cx.form().await?;
    let current = cx.staff_token().map(|(t, _)| t.hash());
    let user = cx.member()?.user_id.clone();
    let ended = cx
        .with_db(async |client: &Client| {
            let ended = staff::revoke_session(client, &user, &posted.key).await?;
            if ended {
                let entry = Entry {
                    action: "session.revoke",
                    target_id: Some(user.as_str()),
                    change: json!({}),
                };
                record(cx, client, entry).await?;
            }
            Ok(ended)
        })
        .await?;
    if !ended {
        return Err(ApiError::not_found("Session", "key", "(ended already)"));
    }
    if current.as_deref() == Some(posted.key.as_str()) {
        let mut response = http::see_other("/admin/sign-in?done=signed_out")?;
        let cookie = cookies::staff(&cx.url, None, 0);
        cookies::set(response.headers_mut(), &[cookie]).map_err(internal)?;
        return Ok(response);
    }
    http::see_other("/admin/account/sessions")
}

/// `GET /admin/audit?action=&target=&offset=`
pub async fn log(cx: &mut Cx) -> Result<Response, ApiError> {
    let query: AuditQuery = cx.query_as()?;
    let page_of = audit_page_of(&query)?;
    render(cx, async |client, member, shell| {
        let filter = audit::Filter {
            action: Some(query.action.trim()).filter(|a| !a.is_empty()),
            target: Some(query.target.trim()).filter(|t| !t.is_empty()),
        };
        let (rows, total) = audit::list(client, &member.store_id, filter, page_of).await?;
        audit_page(shell, &query, &rows, total, page_of)
    })
    .await
}
