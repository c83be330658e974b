//! Stock locations at `/admin/stock-locations`: the page, and Medusa's stock location
//! paths of the admin API on the same routes. Every change is audited in the same
//! transaction.

use commerce::ids::StockLocationId;
use commerce::inventory::location::{self, location_json, Move};
use commerce::staff::audit::Entry;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use storefront::admin::stock::{stock_locations_page, LocationNotice};
use tokio_postgres::Client;
use worker::Response;

use super::{api_json, audited, render};
use crate::context::Cx;
use crate::http;

/// The location of the path's `:id`; a malformed id is not found.
fn location_id(cx: &Cx) -> Result<StockLocationId, ApiError> {
    let raw = cx.param(0);
    StockLocationId::parse(raw)
        .map_err(|_| ApiError::not_found("Stock location", "id", raw.to_owned()))
}

/// The page with `notice`, at `status`.
async fn view(cx: &Cx, notice: LocationNotice<'_>, status: u16) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let all = location::locations(client, &member.store_id).await?;
        stock_locations_page(shell, member, &all, notice, status)
    })
    .await
}

/// A refusal shown at the top of the page.
async fn refused(cx: &Cx, err: &ApiError) -> Result<Response, ApiError> {
    let notice = LocationNotice {
        message: Some(err.to_string()),
        ..LocationNotice::default()
    };
    view(cx, notice, err.status()).await
}

/// `GET /admin/stock-locations`: the page, or Medusa's list for API clients.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let store = &cx.member()?.store_id;
        let all = cx
            .with_db(async |client: &Client| location::locations(client, store).await)
            .await?;
        let shapes: Vec<_> = all.iter().map(location_json).collect();
        let count = shapes.len();
        return api_json(&json!({
            "stock_locations": shapes, "count": count, "offset": 0, "limit": count,
        }));
    }
    view(cx, LocationNotice::default(), 200).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NamePost {
    name: String,
}

/// The posted name: a form from the page, JSON from an API client.
async fn posted_name(cx: &mut Cx) -> Result<NamePost, ApiError> {
    if cx.wants_json() {
        cx.json_as().await
    } else {
        cx.form().await
    }
}

/// The location `id` as Medusa answers it.
async fn one(cx: &Cx, id: &StockLocationId) -> Result<Value, ApiError> {
    let store = &cx.member()?.store_id;
    let all = cx
        .with_db(async |client: &Client| location::locations(client, store).await)
        .await?;
    let found = all
        .iter()
        .find(|l| &l.id == id)
        .ok_or_else(|| ApiError::not_found("Stock location", "id", id.as_str()))?;
    Ok(json!({ "stock_location": location_json(found) }))
}

/// `GET /admin/stock-locations/:id` (Medusa's): `{stock_location}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = location_id(cx)?;
    api_json(&one(cx, &id).await?)
}

/// `POST /admin/stock-locations` (`name`): a new location, held from last.
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted = posted_name(cx).await?;
    let store = cx.member()?.store_id.clone();
    let made = audited(cx, async |tx: &Client| {
        let made = location::create_location(tx, &store, &posted.name).await?;
        let entry = Entry {
            action: "stock_location.create",
            target_id: None,
            change: json!({ "id": made.id, "name": [null, made.name] }),
        };
        Ok((made, entry))
    })
    .await;
    match made {
        Ok(made) if cx.wants_json() => api_json(&one(cx, &made.id).await?),
        Ok(_) => http::see_other("/admin/stock-locations"),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. }))
            if !cx.wants_json() =>
        {
            let reason = err.reason();
            let notice = LocationNotice {
                message: None,
                new_name: &posted.name,
                new_name_error: Some(reason),
            };
            view(cx, notice, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/stock-locations/:id` (`name`): renames it.
pub async fn rename(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = location_id(cx)?;
    let posted = posted_name(cx).await?;
    let store = cx.member()?.store_id.clone();
    let renamed = audited(cx, async |tx: &Client| {
        let before = location::rename_location(tx, &store, &id, &posted.name).await?;
        let entry = Entry {
            action: "stock_location.update",
            target_id: Some(id.as_str()),
            change: json!({ "name": [before, posted.name.trim()] }),
        };
        Ok(((), entry))
    })
    .await;
    match renamed {
        Ok(()) if cx.wants_json() => api_json(&one(cx, &id).await?),
        Ok(()) => http::see_other("/admin/stock-locations"),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. }))
            if !cx.wants_json() =>
        {
            refused(cx, &err).await
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MovePost {
    direction: String,
}

/// `POST /admin/stock-locations/:id/move` (`direction`: up or down).
pub async fn reorder(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = location_id(cx)?;
    let posted: MovePost = cx.form().await?;
    let way = match posted.direction.as_str() {
        "up" => Move::Up,
        "down" => Move::Down,
        _ => return Err(ApiError::invalid("direction", "must be up or down")),
    };
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| {
        location::move_location(tx, &store, &id, way).await?;
        let entry = Entry {
            action: "stock_location.move",
            target_id: Some(id.as_str()),
            change: json!({ "direction": posted.direction }),
        };
        Ok(((), entry))
    })
    .await?;
    http::see_other("/admin/stock-locations")
}

/// Deletes the location if nothing is or was ever there.
async fn remove(cx: &Cx, id: &StockLocationId) -> Result<(), ApiError> {
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| {
        let name = location::delete_location(tx, &store, id).await?;
        let entry = Entry {
            action: "stock_location.delete",
            target_id: Some(id.as_str()),
            change: json!({ "name": [name, null] }),
        };
        Ok(((), entry))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeletePost {
    confirm: String,
}

/// `POST /admin/stock-locations/:id/delete` (the page's form, with its confirmation
/// box).
pub async fn delete_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = location_id(cx)?;
    let posted: DeletePost = cx.form().await?;
    if posted.confirm != "yes" {
        let err = ApiError::invalid("confirm", "Please tick the box to confirm.");
        return refused(cx, &err).await;
    }
    match remove(cx, &id).await {
        Ok(()) => http::see_other("/admin/stock-locations"),
        Err(err @ ApiError::Conflict { .. }) => refused(cx, &err).await,
        Err(err) => Err(err),
    }
}

/// `DELETE /admin/stock-locations/:id` (Medusa's): `{id, object, deleted}`.
pub async fn delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = location_id(cx)?;
    remove(cx, &id).await?;
    api_json(&json!({ "id": id, "object": "stock_location", "deleted": true }))
}
