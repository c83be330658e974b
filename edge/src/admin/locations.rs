//! Stock locations at `/admin/stock-locations`: the page, and Medusa's stock location
//! paths of the admin API on the same routes. Every change is audited in the same
//! transaction.

use commerce::ids::StockLocationId;
use commerce::inventory::location::{self, location_json, AddressInput, Location, Move};
use commerce::staff::audit::Entry;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use storefront::admin::settings::{location_page, LocationFormNotice};
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

fn find(all: Vec<Location>, id: &StockLocationId) -> Result<Location, ApiError> {
    all.into_iter()
        .find(|l| &l.id == id)
        .ok_or_else(|| ApiError::not_found("Stock location", "id", id.as_str()))
}

/// The location's page with `notice`, at `status`.
async fn one_page(
    cx: &Cx,
    id: &StockLocationId,
    notice: Option<LocationFormNotice>,
    status: u16,
) -> Result<Response, ApiError> {
    let saved = (cx.query("saved").as_deref() == Some("saved")).then_some("Saved.");
    render(cx, async |client, member, shell| {
        let found = find(location::locations(client, &member.store_id).await?, id)?;
        location_page(shell, member, &found, notice, saved, status)
    })
    .await
}

/// `GET /admin/stock-locations/:id`: its page (name and address), or Medusa's
/// `{stock_location}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = location_id(cx)?;
    if cx.wants_json() {
        return api_json(&one(cx, &id).await?);
    }
    one_page(cx, &id, None, 200).await
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

/// A location's form (its page) or Medusa's body: `name`, and the address (a form's
/// fields, Medusa's `address` object); absent ones stay. The list's rename form sends
/// the name alone.
#[derive(Deserialize, Default)]
#[serde(default)]
struct LocationPost {
    name: Option<String>,
    address_1: Option<String>,
    address_2: Option<String>,
    city: Option<String>,
    postal_code: Option<String>,
    province: Option<String>,
    country_code: Option<String>,
    /// Medusa's `address` (`null`: none).
    #[serde(deserialize_with = "some_address")]
    address: Option<Option<AddressInput>>,
}

fn some_address<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<AddressInput>>, D::Error> {
    Option::<AddressInput>::deserialize(d).map(Some)
}

impl LocationPost {
    /// The address this post sets, if it sets one (`Some(empty)`: none).
    fn address(&self) -> Option<AddressInput> {
        if let Some(a) = &self.address {
            return Some(a.clone().unwrap_or_default());
        }
        let typed = [
            &self.address_1,
            &self.address_2,
            &self.city,
            &self.postal_code,
            &self.province,
            &self.country_code,
        ];
        typed.iter().any(|f| f.is_some()).then(|| AddressInput {
            address_1: self.address_1.clone().unwrap_or_default(),
            address_2: self.address_2.clone().unwrap_or_default(),
            city: self.city.clone().unwrap_or_default(),
            postal_code: self.postal_code.clone().unwrap_or_default(),
            province: self.province.clone().unwrap_or_default(),
            country_code: self.country_code.clone().unwrap_or_default(),
        })
    }
}

/// `POST /admin/stock-locations/:id`: renames it and sets its address (from its page
/// or Medusa's body), or renames it (the list's form).
pub async fn rename(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = location_id(cx)?;
    let posted: LocationPost = if cx.wants_json() {
        cx.json_as().await?
    } else {
        cx.form().await?
    };
    let typed_address = posted.address();
    let checked = match &typed_address {
        None => Ok(None),
        Some(a) => a.check().map(Some),
    };
    let store = cx.member()?.store_id.clone();
    let changed = match &checked {
        Err(errors) => Err(errors.clone().into_error()),
        Ok(address) => {
            audited(cx, async |tx: &Client| {
                let mut change = serde_json::Map::new();
                if let Some(name) = &posted.name {
                    let before = location::rename_location(tx, &store, &id, name).await?;
                    change.insert("name".into(), json!([before, name.trim()]));
                }
                if let Some(address) = address {
                    let before = location::set_address(tx, &store, &id, address.as_ref()).await?;
                    change.insert("address".into(), json!([before, address]));
                }
                let entry = Entry {
                    action: "stock_location.update",
                    target_id: Some(id.as_str()),
                    change: Value::Object(change),
                };
                Ok(((), entry))
            })
            .await
        }
    };
    let from_page = typed_address.is_some();
    match changed {
        Ok(()) if cx.wants_json() => api_json(&one(cx, &id).await?),
        Ok(()) if from_page => http::see_other(&format!(
            "/admin/stock-locations/{}?saved=saved",
            id.as_str()
        )),
        Ok(()) => http::see_other("/admin/stock-locations"),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. }))
            if !cx.wants_json() && from_page =>
        {
            let errors = match checked {
                Err(errors) => errors,
                Ok(_) => {
                    let field = match err.param() {
                        Some("country_code") => "country_code",
                        _ => "name",
                    };
                    commerce::catalog::edit::FieldErrors(vec![(field, err.reason())])
                }
            };
            let notice = LocationFormNotice {
                name: posted.name.clone().unwrap_or_default(),
                address: typed_address.unwrap_or_default(),
                errors,
                message: None,
            };
            one_page(cx, &id, Some(notice), err.status()).await
        }
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
