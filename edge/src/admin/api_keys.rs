//! The store's secret API keys at `/admin/api-keys` (Medusa's paths): the page, or for
//! an API client Medusa's JSON. Making and revoking a key is in the audit log.

use commerce::ids::ApiKeyId;
use commerce::staff::api_key::{self, ApiKey, Secret};
use commerce::staff::audit::{self, Entry};
use commerce::staff::json::{ApiKeyList, ApiKeyResponse, ApiKeyShape};
use commerce::staff::Role;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::json;
use storefront::admin::{api_keys_page, ApiKeyNotice};
use tokio_postgres::Client;
use worker::Response;

use super::{api_json, page, shell};
use crate::context::Cx;
use crate::http;

/// The keys page with `notice`, at `status`.
async fn view(cx: &Cx, notice: ApiKeyNotice<'_>, status: u16) -> Result<Response, ApiError> {
    let member = cx.member()?;
    let rendered = cx
        .with_db(async |client: &Client| {
            let shell = shell(client, member, "/admin/api-keys").await?;
            let keys = api_key::list(client, &member.store_id).await?;
            api_keys_page(&shell, member, &keys, notice, status)
        })
        .await?;
    page(rendered, &[])
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    #[serde(rename = "type")]
    kind: String,
}

/// `GET /admin/api-keys`: the page, or Medusa's `{api_keys, count, offset, limit}`.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    if !cx.wants_json() {
        return view(cx, ApiKeyNotice::default(), 200).await;
    }
    let query: ListQuery = cx.query_as()?;
    if !matches!(query.kind.as_str(), "" | "secret") {
        return Err(ApiError::invalid(
            "type",
            "Only secret keys are listed here; the store's publishable key is part of its settings.",
        ));
    }
    let store = cx.member()?.store_id.clone();
    let keys = cx
        .with_db(async |client: &Client| api_key::list(client, &store).await)
        .await?;
    let shapes: Vec<ApiKeyShape<'_>> = keys.iter().map(|k| ApiKeyShape::of(k, None)).collect();
    api_json(&ApiKeyList {
        count: shapes.len(),
        offset: 0,
        limit: shapes.len(),
        api_keys: shapes,
    })
}

/// A new key as posted: the page's form, or Medusa's `{title, type}` with an optional
/// `role` (an admin key when absent, as Medusa's keys are).
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewKey {
    title: String,
    #[serde(rename = "type")]
    kind: String,
    role: String,
}

/// `POST /admin/api-keys`: makes a key; its token is shown this once.
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    let api = cx.wants_json();
    let posted: NewKey = if api {
        cx.json_as().await?
    } else {
        cx.form().await?
    };
    match make(cx, &posted, api).await {
        Ok((key, secret)) if api => {
            let token = secret.reveal();
            api_json(&ApiKeyResponse {
                api_key: ApiKeyShape::of(&key, Some(&token)),
            })
        }
        Ok((key, secret)) => {
            let token = secret.reveal();
            let notice = ApiKeyNotice {
                made: Some((&key.title, &token)),
                ..ApiKeyNotice::default()
            };
            view(cx, notice, 200).await
        }
        Err(err @ ApiError::InvalidParam { .. }) if !api => {
            let notice = ApiKeyNotice {
                title: &posted.title,
                message: Some(err.reason()),
                ..ApiKeyNotice::default()
            };
            view(cx, notice, 400).await
        }
        Err(err) => Err(err),
    }
}

async fn make(cx: &Cx, posted: &NewKey, api: bool) -> Result<(ApiKey, Secret), ApiError> {
    if !matches!(posted.kind.as_str(), "" | "secret") {
        return Err(ApiError::invalid(
            "type",
            "Only secret keys are made here; the store's publishable key is part of its settings.",
        ));
    }
    let role = match posted.role.as_str() {
        "" if api => Role::Admin,
        text => {
            Role::parse(text).ok_or_else(|| ApiError::invalid("role", "Please choose a role."))?
        }
    };
    let member = cx.member()?;
    cx.with_db(async |client: &Client| {
        let (key, secret) = api_key::create(client, member, &posted.title, role).await?;
        let entry = Entry {
            action: "api_key.create",
            target_id: Some(key.id.as_str()),
            change: json!({ "title": [null, &key.title], "role": [null, role.as_str()] }),
        };
        audit::record(client, member, &cx.client(), &cx.trace_id, entry).await?;
        Ok((key, secret))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevokePost {
    confirm: String,
}

/// `POST /admin/api-keys/:id/revoke`: the key stops working at once.
pub async fn revoke(cx: &mut Cx) -> Result<Response, ApiError> {
    let raw = cx.param(0).to_owned();
    let id = ApiKeyId::parse(&raw).map_err(|_| ApiError::not_found("API key", "id", raw))?;
    let api = cx.wants_json();
    if !api {
        let posted: RevokePost = cx.form().await?;
        if posted.confirm != "yes" {
            let notice = ApiKeyNotice {
                message: Some("Please tick the box to confirm the revocation.".to_owned()),
                ..ApiKeyNotice::default()
            };
            return view(cx, notice, 400).await;
        }
    }
    let member = cx.member()?;
    let key = cx
        .with_db(async |client: &Client| {
            let key = api_key::revoke(client, &member.store_id, &id, &member.user_id).await?;
            let entry = Entry {
                action: "api_key.revoke",
                target_id: Some(id.as_str()),
                change: json!({ "title": &key.title }),
            };
            audit::record(client, member, &cx.client(), &cx.trace_id, entry).await?;
            Ok(key)
        })
        .await?;
    if api {
        return api_json(&ApiKeyResponse {
            api_key: ApiKeyShape::of(&key, None),
        });
    }
    http::see_other("/admin/api-keys")
}
