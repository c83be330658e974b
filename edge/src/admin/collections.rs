//! Collections at `/admin/collections` (Medusa's admin paths: the pages and
//! `{collections, count, offset, limit}`, `{collection}`, the deleted answer, and
//! `{add, remove}` of products). Each change is audited in its transaction.

use commerce::catalog::edit::collection::{self, AdminCollection, CollectionInput};
use commerce::ids::CollectionId;
use commerce::staff::audit::Entry;
use commerce::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use storefront::admin::taxonomy::{collection_page, collections_page, CollectionNotice};
use tokio_postgres::Client;
use worker::Response;

use super::variants::ConfirmPost;
use super::LinkBody;
use super::{api_json, audited, render, whole_list, SavedQuery};
use crate::context::Cx;
use crate::http;

fn collection_id(cx: &Cx) -> Result<CollectionId, ApiError> {
    let raw = cx.param(0);
    CollectionId::parse(raw).map_err(|_| ApiError::not_found("Collection", "id", raw.to_owned()))
}

/// Medusa's `AdminCollection`, as far as this store keeps it.
#[derive(Serialize)]
struct CollectionJson<'a> {
    id: &'a str,
    title: &'a str,
    handle: &'a str,
    metadata: serde_json::Value,
    created_at: &'a str,
    updated_at: &'a str,
}

fn collection_json(c: &AdminCollection) -> CollectionJson<'_> {
    CollectionJson {
        id: c.id.as_str(),
        title: &c.title,
        handle: &c.handle,
        metadata: json!({ "featured": c.featured }),
        created_at: &c.created_at,
        updated_at: &c.updated_at,
    }
}

async fn all(cx: &Cx) -> Result<Vec<AdminCollection>, ApiError> {
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| collection::collections(client, &store).await)
        .await
}

async fn answer(cx: &Cx, id: &CollectionId) -> Result<Response, ApiError> {
    let list = all(cx).await?;
    api_json(&json!({ "collection": collection_json(collection::find(&list, id)?) }))
}

fn saved_text(query: &SavedQuery) -> Option<&'static str> {
    match query.saved.as_str() {
        "created" => Some("Collection added."),
        "saved" => Some("Saved. The shop shows the change within a few minutes."),
        "deleted" => Some("Collection deleted."),
        _ => None,
    }
}

async fn list_page(
    cx: &Cx,
    notice: Option<CollectionNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let list = collection::collections(client, &member.store_id).await?;
        collections_page(shell, member, &list, notice, saved, status)
    })
    .await
}

async fn one_page(
    cx: &Cx,
    id: &CollectionId,
    notice: Option<CollectionNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let list = collection::collections(client, &member.store_id).await?;
        collection_page(
            shell,
            member,
            collection::find(&list, id)?,
            notice,
            saved,
            status,
        )
    })
    .await
}

/// `GET /admin/collections`: the page, or Medusa's list.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let list = all(cx).await?;
        let shown: Vec<_> = list.iter().map(collection_json).collect();
        return whole_list("collections", &shown);
    }
    let query: SavedQuery = cx.query_as()?;
    list_page(cx, None, saved_text(&query), 200).await
}

/// `GET /admin/collections/:id`: the form, or `{collection}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = collection_id(cx)?;
    if cx.wants_json() {
        return answer(cx, &id).await;
    }
    let query: SavedQuery = cx.query_as()?;
    one_page(cx, &id, None, saved_text(&query), 200).await
}

/// Medusa's collection body; absent fields stay on an update.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CollectionBody {
    title: Option<String>,
    handle: Option<String>,
}

async fn write(
    cx: &Cx,
    id: Option<&CollectionId>,
    input: &CollectionInput,
) -> Result<CollectionId, ApiError> {
    let fields = input.check().map_err(|e| e.into_error())?;
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| match id {
        None => {
            let made = collection::create_collection(tx, &store, &fields).await?;
            let entry = Entry {
                action: "collection.create",
                target_id: None,
                change: json!({ "id": made, "title": [null, fields.title] }),
            };
            Ok((made, entry))
        }
        Some(id) => {
            let before = collection::update_collection(tx, &store, id, &fields).await?;
            let entry = Entry {
                action: "collection.update",
                target_id: Some(id.as_str()),
                change: json!({ "title": [before, fields.title] }),
            };
            Ok((id.clone(), entry))
        }
    })
    .await
}

fn notice_of(form: CollectionInput, err: &ApiError) -> CollectionNotice {
    match (form.check(), err) {
        (Err(errors), _) => CollectionNotice {
            form,
            errors,
            message: None,
        },
        (Ok(_), ApiError::Conflict { message, .. }) => CollectionNotice {
            form,
            errors: commerce::catalog::edit::FieldErrors(vec![("handle", message.clone())]),
            message: None,
        },
        (Ok(_), other) => CollectionNotice {
            form,
            errors: Default::default(),
            message: Some(other.reason()),
        },
    }
}

/// `POST /admin/collections` (Medusa's path): a new collection.
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let body: CollectionBody = cx.json_as().await?;
        let input = CollectionInput {
            title: body.title.unwrap_or_default(),
            handle: body.handle.unwrap_or_default(),
            featured: String::new(),
        };
        let id = write(cx, None, &input).await?;
        return answer(cx, &id).await;
    }
    let form: CollectionInput = cx.form().await?;
    match write(cx, None, &form).await {
        Ok(_) => http::see_other("/admin/collections?saved=created"),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            list_page(cx, Some(notice_of(form, &err)), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/collections/:id` (Medusa's path): changes it.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = collection_id(cx)?;
    if cx.wants_json() {
        let body: CollectionBody = cx.json_as().await?;
        let list = all(cx).await?;
        let current = collection::find(&list, &id)?;
        let input = CollectionInput {
            title: body.title.unwrap_or_else(|| current.title.clone()),
            handle: body.handle.unwrap_or_else(|| current.handle.clone()),
            featured: if current.featured { "yes" } else { "" }.to_owned(),
        };
        write(cx, Some(&id), &input).await?;
        return answer(cx, &id).await;
    }
    let form: CollectionInput = cx.form().await?;
    match write(cx, Some(&id), &form).await {
        Ok(_) => http::see_other(&format!("/admin/collections/{}?saved=saved", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            one_page(cx, &id, Some(notice_of(form, &err)), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

async fn remove(cx: &Cx, id: &CollectionId) -> Result<(), ApiError> {
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| {
        let title = collection::delete_collection(tx, &store, id).await?;
        let entry = Entry {
            action: "collection.delete",
            target_id: Some(id.as_str()),
            change: json!({ "title": [title, null] }),
        };
        Ok(((), entry))
    })
    .await
}

/// `POST /admin/collections/:id/delete` (the page's form, with its box).
pub async fn delete_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = collection_id(cx)?;
    let posted: ConfirmPost = cx.form().await?;
    if posted.confirm != "yes" {
        let err = ApiError::invalid("confirm", "Please tick the box to confirm.");
        let notice = CollectionNotice {
            message: Some(err.reason()),
            ..CollectionNotice::default()
        };
        return one_page(cx, &id, Some(notice), None, err.status()).await;
    }
    remove(cx, &id).await?;
    http::see_other("/admin/collections?saved=deleted")
}

/// `DELETE /admin/collections/:id` (Medusa's): `{id, object, deleted}`.
pub async fn delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = collection_id(cx)?;
    remove(cx, &id).await?;
    api_json(&json!({ "id": id, "object": "collection", "deleted": true }))
}

/// `POST /admin/collections/:id/products` (Medusa's): puts products in the collection
/// or takes them out of it.
pub async fn products(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = collection_id(cx)?;
    let body: LinkBody = cx.json_as().await?;
    let (add, take) = body.products()?;
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        collection::link_products(tx, &store, &id, &add, &take, Some(&trace)).await?;
        let entry = Entry {
            action: "collection.products",
            target_id: Some(id.as_str()),
            change: json!({ "add": body.add, "remove": body.remove }),
        };
        Ok(((), entry))
    })
    .await?;
    answer(cx, &id).await
}
