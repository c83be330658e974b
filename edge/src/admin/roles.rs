//! The store's own roles at `/admin/roles`: owners define them from the permissions,
//! change and delete them; every change is in the audit log.

use std::collections::BTreeMap;

use commerce::ids::CustomRoleId;
use commerce::staff::audit::{self, Entry};
use commerce::staff::{roles, Permissions};
use commerce::ApiError;
use serde::Deserialize;
use serde_json::json;
use storefront::admin::{role_page, roles_page, RoleNotice};
use tokio_postgres::Client;
use worker::Response;

use super::{page, render, shell};
use crate::context::Cx;
use crate::http;

/// The roles page with `notice`, at `status`.
async fn view(cx: &Cx, notice: RoleNotice<'_>, status: u16) -> Result<Response, ApiError> {
    let member = cx.member()?;
    let rendered = cx
        .with_db(async |client: &Client| {
            let shell = shell(client, member, "/admin/roles").await?;
            let custom = roles::list(client, &member.store_id).await?;
            roles_page(&shell, member, &custom, notice, status)
        })
        .await?;
    page(rendered, &[])
}

/// One role's page with `notice` (the form as posted), at `status`.
async fn view_one(
    cx: &Cx,
    id: &CustomRoleId,
    notice: Option<RoleNotice<'_>>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let row = roles::one(client, &member.store_id, id)
            .await?
            .ok_or_else(|| ApiError::not_found("Role", "id", id.as_str()))?;
        role_page(shell, member, &row, notice, status)
    })
    .await
}

/// `GET /admin/roles`
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    view(cx, RoleNotice::default(), 200).await
}

/// The role form: a name and a `perm.<resource:operation>` box per permission.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RolePost {
    name: String,
    #[serde(flatten)]
    boxes: BTreeMap<String, String>,
}

impl RolePost {
    fn permissions(&self) -> Permissions {
        let names: Vec<&str> = self
            .boxes
            .iter()
            .filter(|(_, v)| v.as_str() == "yes")
            .filter_map(|(k, _)| k.strip_prefix("perm."))
            .collect();
        Permissions::from_names(&names)
    }
}

/// `POST /admin/roles`: defines a role; a refused one is the page saying why, the form
/// as it was posted.
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: RolePost = cx.form().await?;
    let permissions = posted.permissions();
    let member = cx.member()?;
    let made = cx
        .with_db(async |client: &Client| {
            let role = roles::create(client, &member.store_id, &posted.name, permissions).await?;
            let entry = Entry {
                action: "role.create",
                target_id: Some(role.key()),
                change: json!({ "name": [null, role.label()],
                            "permissions": [null, permissions.names()] }),
            };
            audit::record(client, member, &cx.client(), &cx.trace_id, entry).await
        })
        .await;
    match made {
        Ok(()) => http::see_other("/admin/roles"),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let notice = RoleNotice {
                name: &posted.name,
                checked: permissions,
                message: Some(err.reason()),
            };
            view(cx, notice, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// The role of the path's `:id`; a malformed id is not found.
fn role_id(cx: &Cx) -> Result<CustomRoleId, ApiError> {
    let raw = cx.param(0);
    CustomRoleId::parse(raw).map_err(|_| ApiError::not_found("Role", "id", raw.to_owned()))
}

/// `GET /admin/roles/:id`
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = role_id(cx)?;
    view_one(cx, &id, None, 200).await
}

/// `POST /admin/roles/:id`: renames and regrants the role.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = role_id(cx)?;
    let posted: RolePost = cx.form().await?;
    let permissions = posted.permissions();
    let member = cx.member()?;
    let changed = cx
        .with_db(async |client: &Client| {
            let before =
                roles::update(client, &member.store_id, &id, &posted.name, permissions).await?;
            let entry = Entry {
                action: "role.update",
                target_id: Some(id.as_str()),
                change: json!({ "name": [before.label(), posted.name.trim()],
                            "permissions": [before.permissions().names(), permissions.names()] }),
            };
            audit::record(client, member, &cx.client(), &cx.trace_id, entry).await
        })
        .await;
    match changed {
        Ok(()) => http::see_other(&format!("/admin/roles/{}", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let notice = RoleNotice {
                name: &posted.name,
                checked: permissions,
                message: Some(err.reason()),
            };
            view_one(cx, &id, Some(notice), err.status()).await
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeletePost {
    confirm: String,
}

/// `POST /admin/roles/:id/delete` (with the confirmation box): only a role nobody has.
pub async fn delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = role_id(cx)?;
    let posted: DeletePost = cx.form().await?;
    let refused = |message: String| RoleNotice {
        message: Some(message),
        ..RoleNotice::default()
    };
    if posted.confirm != "yes" {
        let notice = refused("Please tick the box to confirm.".to_owned());
        return view_one(cx, &id, Some(notice), 400).await;
    }
    let member = cx.member()?;
    let deleted = cx
        .with_db(async |client: &Client| {
            let before = roles::delete(client, &member.store_id, &id).await?;
            let entry = Entry {
                action: "role.delete",
                target_id: Some(id.as_str()),
                change: json!({ "name": [before.label(), null] }),
            };
            audit::record(client, member, &cx.client(), &cx.trace_id, entry).await
        })
        .await;
    match deleted {
        Ok(()) => http::see_other("/admin/roles"),
        Err(err @ ApiError::Conflict { .. }) => {
            view_one(cx, &id, Some(refused(err.reason())), err.status()).await
        }
        Err(err) => Err(err),
    }
}
