//! Stock: the pages at `/admin/stock` and Medusa's inventory paths of the admin API
//! (`/admin/inventory-items/:id/...`, the inventory item of a variant being the variant).
//! A change of a count, its ledger row, its event and its audit record are written in
//! one transaction; `commerce::inventory::apply` decides whether it may happen.

use commerce::ids::{StockLocationId, VariantId};
use commerce::inventory::{
    self, item_json, ledger_json, levels_json, Actor, Change, Changed, Reason, StockChange,
};
use commerce::params::Page;
use commerce::purchase_order;
use commerce::staff::audit::Entry;
use commerce::staff::Permission;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::json;
use storefront::admin::stock::{
    stock_filter, stock_item_page, stock_list_page, StockForm, StockQuery, StockRefusal,
    StockRefused, ThresholdForm, HISTORY_SHOWN,
};
use tokio_postgres::Client;
use worker::Response;

use super::{api_json, audited, render, SavedQuery};
use crate::context::Cx;
use crate::http;

/// The variant of the path's first parameter; a malformed id is not found.
fn variant_id(cx: &Cx) -> Result<VariantId, ApiError> {
    let raw = cx.param(0);
    VariantId::parse(raw).map_err(|_| ApiError::not_found("Inventory item", "id", raw.to_owned()))
}

/// The stock location of the path's second parameter; a malformed id is not found.
fn location_id(cx: &Cx) -> Result<StockLocationId, ApiError> {
    let raw = cx.param(1);
    StockLocationId::parse(raw)
        .map_err(|_| ApiError::not_found("Stock location", "id", raw.to_owned()))
}

/// Writes `req` to the count of `variant` at `location` with its audit record, in one
/// transaction.
async fn write(
    cx: &Cx,
    variant: &VariantId,
    location: &StockLocationId,
    req: &StockChange,
) -> Result<Changed, ApiError> {
    let member = cx.member()?;
    let actor = Actor {
        user_id: Some(member.user_id.as_str()),
        api_key_id: member.api_key.as_ref().map(|k| k.as_str()),
        role: Some(member.role.audit_name()),
        trace_id: Some(&cx.trace_id),
    };
    audited(cx, async |tx: &Client| {
        let changed =
            inventory::change(tx, &member.store_id, variant, location, req, actor).await?;
        let entry = Entry {
            action: "inventory.adjust",
            target_id: Some(variant.as_str()),
            change: json!({
                "location_id": location,
                "stocked": [changed.before.stocked, changed.after.stocked],
                "reason": req.reason.as_str(),
                "note": req.note,
            }),
        };
        Ok((changed, entry))
    })
    .await
}

// ------------------------------------------------------------------ pages

/// `GET /admin/stock?q=&low=&offset=`
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    let query: StockQuery = cx.query_as()?;
    let (filter, page) = stock_filter(&query)?;
    render(cx, async |client, member, shell| {
        let (rows, total) = inventory::list(client, &member.store_id, &filter, page).await?;
        let incoming = if member.may(Permission::PurchaseOrderRead) {
            let ids: Vec<VariantId> = rows.iter().map(|r| r.variant_id.clone()).collect();
            Some(purchase_order::repo::incoming_of(client, &member.store_id, &ids).await?)
        } else {
            None
        };
        stock_list_page(shell, &query, &rows, total, page, incoming.as_deref())
    })
    .await
}

/// A variant's page: `refused` re-shows a form as posted, `saved` names what was just
/// saved (a location's count, or `alert`).
async fn item_page(
    cx: &Cx,
    id: &VariantId,
    refused: Option<StockRefused<'_>>,
    saved: Option<String>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let stock = inventory::variant_stock(client, &member.store_id, id).await?;
        let shown = Page {
            limit: HISTORY_SHOWN,
            offset: 0,
        };
        let (history, total) = inventory::history(client, &member.store_id, id, shown).await?;
        let incoming = if member.may(Permission::PurchaseOrderRead) {
            Some(purchase_order::repo::incoming_orders(client, &member.store_id, id).await?)
        } else {
            None
        };
        let saved = match saved.as_deref() {
            Some("alert") => Some(match stock.variant.low_stock_threshold {
                Some(t) => format!("Saved: the alert is at or under {t} available."),
                None => "Saved: no low-stock alert.".to_owned(),
            }),
            Some(location) => StockLocationId::parse(location)
                .ok()
                .and_then(|l| stock.level(&l).cloned())
                .map(|l| {
                    format!(
                        "Saved: the count at {} is now {}.",
                        l.location_name, l.stocked
                    )
                }),
            None => None,
        };
        stock_item_page(
            shell,
            member,
            &stock,
            (&history, total),
            incoming.as_deref(),
            refused,
            saved,
            status,
        )
    })
    .await
}

/// `GET /admin/stock/:variant`
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = variant_id(cx)?;
    let query: SavedQuery = cx.query_as()?;
    let saved = (!query.saved.is_empty()).then_some(query.saved);
    item_page(cx, &id, None, saved, 200).await
}

/// `POST /admin/stock/:variant/:location`: sets or adjusts the count; a refused change
/// is the page again with the form as typed and the reason beside its field.
pub async fn change(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = variant_id(cx)?;
    let location = location_id(cx)?;
    let form: StockForm = cx.form().await?;
    let written = match form.change() {
        Ok(req) => write(cx, &id, &location, &req).await.map(|_| ()),
        Err(err) => Err(err),
    };
    match written {
        Ok(()) => http::see_other(&format!(
            "/admin/stock/{}?saved={}",
            id.as_str(),
            location.as_str()
        )),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let refused = StockRefused::Count(StockRefusal {
                location: &location,
                form: &form,
                error: &err,
            });
            item_page(cx, &id, Some(refused), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/stock/:variant`: sets (empty: removes) the variant's low-stock alert.
pub async fn set_alert(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = variant_id(cx)?;
    let form: ThresholdForm = cx.form().await?;
    let written = match form.threshold() {
        Ok(threshold) => {
            let store = cx.member()?.store_id.clone();
            audited(cx, async |tx: &Client| {
                let before = inventory::set_threshold(tx, &store, &id, threshold).await?;
                let entry = Entry {
                    action: "inventory.alert",
                    target_id: Some(id.as_str()),
                    change: json!({ "threshold": [before, threshold] }),
                };
                Ok(((), entry))
            })
            .await
        }
        Err(err) => Err(err),
    };
    match written {
        Ok(()) => http::see_other(&format!("/admin/stock/{}?saved=alert", id.as_str())),
        Err(err @ ApiError::InvalidParam { .. }) => {
            let refused = StockRefused::Threshold {
                form: &form,
                error: &err,
            };
            item_page(cx, &id, Some(refused), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

// ------------------------------------------------------------------ admin API

/// The variant's stock as Medusa's inventory item.
async fn item_answer(cx: &Cx, id: &VariantId) -> Result<Response, ApiError> {
    let store = &cx.member()?.store_id;
    let stock = cx
        .with_db(async |client: &Client| inventory::variant_stock(client, store, id).await)
        .await?;
    api_json(&json!({ "inventory_item": item_json(&stock) }))
}

/// `GET /admin/inventory-items/:id`
pub async fn item(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = variant_id(cx)?;
    item_answer(cx, &id).await
}

/// `GET /admin/inventory-items/:id/location-levels`: the levels at every location of
/// the store (a location where the variant was never stocked reads 0).
pub async fn levels(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = variant_id(cx)?;
    let store = &cx.member()?.store_id;
    let stock = cx
        .with_db(async |client: &Client| inventory::variant_stock(client, store, &id).await)
        .await?;
    let levels = levels_json(&stock);
    let count = levels.len();
    api_json(&json!({
        "inventory_levels": levels, "count": count, "offset": 0, "limit": count,
    }))
}

/// Medusa's level update, with what the ledger records: `reason` (default `counted`),
/// `note`, and the `version` the caller read (absent: the count as it is now).
#[derive(Deserialize)]
struct LevelPost {
    stocked_quantity: i32,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: String,
}

/// `POST /admin/inventory-items/:id/location-levels/:location_id`: sets the count.
pub async fn set_level(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = variant_id(cx)?;
    let location = location_id(cx)?;
    let posted: LevelPost = cx.json_as().await?;
    let req = StockChange {
        change: Change::Set(posted.stocked_quantity),
        reason: match posted.reason.as_deref() {
            Some(r) => Reason::parse(r)?,
            None => Reason::Counted,
        },
        note: posted.note.trim().to_owned(),
        expected_version: posted.version,
    };
    write(cx, &id, &location, &req).await?;
    item_answer(cx, &id).await
}

/// A signed change of a count, with its reason.
#[derive(Deserialize)]
struct AdjustPost {
    adjustment: i32,
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    version: Option<i64>,
}

/// `POST /admin/inventory-items/:id/location-levels/:location_id/adjustments`: moves
/// the count by `adjustment`.
pub async fn adjust_level(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = variant_id(cx)?;
    let location = location_id(cx)?;
    let posted: AdjustPost = cx.json_as().await?;
    let req = StockChange {
        change: Change::Adjust(posted.adjustment),
        reason: Reason::parse(posted.reason.trim())?,
        note: posted.note.trim().to_owned(),
        expected_version: posted.version,
    };
    write(cx, &id, &location, &req).await?;
    item_answer(cx, &id).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HistoryQuery {
    offset: Option<u32>,
    limit: Option<u32>,
}

/// `GET /admin/inventory-items/:id/history?offset=&limit=`: the ledger, newest first.
pub async fn history(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = variant_id(cx)?;
    let query: HistoryQuery = cx.query_as()?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            "must be a whole number from 1 to 200",
        ));
    }
    let page = Page {
        limit,
        offset: query.offset.unwrap_or(0).min(10_000_000),
    };
    let store = &cx.member()?.store_id;
    let (entries, count) = cx
        .with_db(async |client: &Client| {
            // An unknown variant is not found rather than an empty ledger.
            inventory::variant_stock(client, store, &id).await?;
            inventory::history(client, store, &id, page).await
        })
        .await?;
    let entries: Vec<_> = entries.iter().map(ledger_json).collect();
    api_json(&json!({
        "entries": entries, "count": count, "offset": page.offset, "limit": page.limit,
    }))
}
