//! The stock pages: the store's variants with their counts (found by SKU or title, or
//! those running low), one variant's counts per location with the forms that set or
//! adjust them, its low-stock threshold and the ledger of every change made by hand,
//! and the store's stock locations. Units on placed purchase orders show as incoming
//! to members who may read purchase orders.

use askama::Template;
use commerce::ids::StockLocationId;
use commerce::ids::VariantId;
use commerce::inventory::{
    Change, LedgerEntry, Reason, StockChange, StockFilter, StockRow, VariantStock,
};
use commerce::params::{Page, SearchText};
use commerce::purchase_order::repo::IncomingOrder;
use commerce::staff::{Member, Permission};
use commerce::ApiError;
use serde::Deserialize;

use super::{list_offset, Frame, Pager, Shell};
use crate::listing::encode;
use crate::pages::{html, Rendered};

/// Variants per page of the stock list.
pub const STOCK_PER_PAGE: u32 = 50;
/// Ledger rows shown on a variant's page.
pub const HISTORY_SHOWN: u32 = 50;

/// The stock list's query: `q` (SKU or title), `low` (at most this many available),
/// `offset`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StockQuery {
    pub q: String,
    pub low: String,
    /// `yes`: only variants at or under their own low-stock threshold.
    pub alerts: String,
    pub offset: String,
}

/// The query's filter and page, or the error naming the field that cannot be read.
pub fn stock_filter(query: &StockQuery) -> Result<(StockFilter, Page), ApiError> {
    let q = match query.q.trim() {
        "" => None,
        text => Some(SearchText::parse(text)?),
    };
    let available_at_most = match query.low.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .ok()
                .filter(|n| (0..=1_000_000).contains(n))
                .ok_or_else(|| ApiError::invalid("low", "must be a whole number from 0"))?,
        ),
    };
    let page = Page {
        limit: STOCK_PER_PAGE,
        offset: list_offset(&query.offset)?,
    };
    let at_threshold = query.alerts == "yes";
    Ok((
        StockFilter {
            q,
            available_at_most,
            at_threshold,
        },
        page,
    ))
}

struct StockLine {
    href: String,
    title: String,
    sku: String,
    managed: bool,
    stocked: i64,
    reserved: i64,
    available: i64,
    /// The low-stock threshold, and whether the variant is at or under it.
    threshold: String,
    low: bool,
    /// Units on placed purchase orders.
    incoming: i64,
}

#[derive(Template)]
#[template(path = "admin/stock.html")]
struct StockListPage<'a> {
    frame: Frame<'a>,
    q: &'a str,
    low: &'a str,
    alerts: bool,
    rows: Vec<StockLine>,
    pager: Pager,
    /// Whether the incoming column is shown.
    incoming: bool,
}

/// The stock list: the filter form and the variants it finds, with what is incoming of
/// each on placed purchase orders when `incoming` is given.
pub fn stock_list_page(
    shell: &Shell,
    query: &StockQuery,
    rows: &[StockRow],
    total: i64,
    page: Page,
    incoming: Option<&[(VariantId, i64)]>,
) -> Result<Rendered, ApiError> {
    let href = |offset: u32| {
        format!(
            "/admin/stock?q={}&low={}&alerts={}&offset={offset}",
            encode(query.q.trim()),
            encode(query.low.trim()),
            encode(&query.alerts)
        )
    };
    html(
        200,
        &StockListPage {
            frame: Frame::new("Stock", Some(shell)),
            q: query.q.trim(),
            low: query.low.trim(),
            alerts: query.alerts == "yes",
            rows: rows
                .iter()
                .map(|r| StockLine {
                    href: format!("/admin/stock/{}", r.variant_id.as_str()),
                    title: format!("{} · {}", r.product_title, r.variant_title),
                    sku: r.sku.clone().unwrap_or_default(),
                    managed: r.manage_inventory,
                    stocked: r.stocked,
                    reserved: r.reserved,
                    available: r.available(),
                    threshold: r.threshold.map(|t| t.to_string()).unwrap_or_default(),
                    low: r.manage_inventory
                        && r.threshold.is_some_and(|t| r.available() <= i64::from(t)),
                    incoming: incoming
                        .and_then(|all| all.iter().find(|(v, _)| v == &r.variant_id))
                        .map_or(0, |(_, n)| *n),
                })
                .collect(),
            pager: Pager::new(page, rows.len(), total, href),
            incoming: incoming.is_some(),
        },
    )
}

/// A change of one count as the page's form posts it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StockForm {
    /// `set` or `adjust`.
    pub mode: String,
    pub quantity: String,
    pub reason: String,
    pub note: String,
    /// The level's version the page showed.
    pub version: String,
}

impl StockForm {
    /// The change the form asks for, or the error naming the field to correct.
    pub fn change(&self) -> Result<StockChange, ApiError> {
        let quantity = self
            .quantity
            .trim()
            .parse::<i32>()
            .map_err(|_| ApiError::invalid("quantity", "must be a whole number"))?;
        let change = match self.mode.as_str() {
            "set" => Change::Set(quantity),
            "adjust" => Change::Adjust(quantity),
            _ => {
                return Err(ApiError::invalid(
                    "mode",
                    "choose to set or to adjust the count",
                ))
            }
        };
        let reason = Reason::parse(self.reason.trim())?;
        let expected_version = Some(self.version.trim().parse::<i64>().map_err(|_| {
            ApiError::invalid(
                "version",
                "the form is missing its version; reload the page",
            )
        })?);
        Ok(StockChange {
            change,
            reason,
            note: self.note.trim().to_owned(),
            expected_version,
        })
    }
}

/// A refused form: the location it was for, what was typed, and why.
pub struct StockRefusal<'a> {
    pub location: &'a StockLocationId,
    pub form: &'a StockForm,
    pub error: &'a ApiError,
}

struct ReasonChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// One location's row and form.
struct LevelView {
    id: String,
    name: String,
    stocked: i32,
    reserved: i32,
    available: i32,
    version: i64,
    updated: String,
    /// What the form shows: as typed when it was refused, else empty (set, counted).
    adjust: bool,
    quantity: String,
    note: String,
    reasons: Vec<ReasonChoice>,
    /// Why the form was refused, when not about one field.
    message: Option<String>,
    quantity_error: Option<String>,
    reason_error: Option<String>,
    note_error: Option<String>,
}

struct HistoryLine {
    at: String,
    location: String,
    reason: &'static str,
    before: i32,
    after: i32,
    delta: String,
    by: String,
    note: String,
}

#[derive(Template)]
#[template(path = "admin/stock_item.html")]
struct StockItemPage<'a> {
    frame: Frame<'a>,
    variant_id: &'a str,
    title: String,
    sku: String,
    managed: bool,
    write: bool,
    saved: Option<String>,
    levels: Vec<LevelView>,
    history: Vec<HistoryLine>,
    history_total: i64,
    /// The low-stock threshold as shown in its form (as typed when refused).
    threshold: String,
    threshold_error: Option<String>,
    available: i64,
    /// Placed purchase orders still expecting units (`None`: not shown to this member).
    incoming: Option<Vec<IncomingView>>,
    incoming_total: i64,
}

struct IncomingView {
    href: String,
    reference: String,
    supplier: String,
    expected_on: String,
    outstanding: i64,
}

/// The low-stock threshold as the variant's page posts it (empty: none).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ThresholdForm {
    pub threshold: String,
}

impl ThresholdForm {
    pub fn threshold(&self) -> Result<Option<i32>, ApiError> {
        match self.threshold.trim() {
            "" => Ok(None),
            text => text
                .parse::<i32>()
                .ok()
                .filter(|t| *t >= 0)
                .map(Some)
                .ok_or_else(|| {
                    ApiError::invalid(
                        "threshold",
                        "must be a whole number from 0, or empty for none",
                    )
                }),
        }
    }
}

/// What the variant's page re-shows: a refused count form, or a refused threshold.
pub enum StockRefused<'a> {
    Count(StockRefusal<'a>),
    Threshold {
        form: &'a ThresholdForm,
        error: &'a ApiError,
    },
}

fn reasons(selected: &str) -> Vec<ReasonChoice> {
    Reason::ALL
        .iter()
        .map(|r| ReasonChoice {
            value: r.as_str(),
            label: r.label(),
            selected: r.as_str() == selected,
        })
        .collect()
}

/// A variant's counts per location, the forms that change them (for members who may),
/// its ledger, and the placed purchase orders bringing more (`incoming`, for members who
/// may read them). `refused` re-shows one form as it was posted, with its errors.
#[allow(clippy::too_many_arguments)]
pub fn stock_item_page(
    shell: &Shell,
    member: &Member,
    stock: &VariantStock,
    history: (&[LedgerEntry], i64),
    incoming: Option<&[IncomingOrder]>,
    refused: Option<StockRefused<'_>>,
    saved: Option<String>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let v = &stock.variant;
    let (refused, threshold_refused) = match refused {
        Some(StockRefused::Count(r)) => (Some(r), None),
        Some(StockRefused::Threshold { form, error }) => (None, Some((form, error))),
        None => (None, None),
    };
    let levels = stock
        .levels
        .iter()
        .map(|l| {
            let mut view = LevelView {
                id: l.location_id.as_str().to_owned(),
                name: l.location_name.clone(),
                stocked: l.stocked,
                reserved: l.reserved,
                available: l.available(),
                version: l.version,
                updated: l.updated_at.clone().unwrap_or_else(|| "never".to_owned()),
                adjust: false,
                quantity: String::new(),
                note: String::new(),
                reasons: reasons(Reason::Counted.as_str()),
                message: None,
                quantity_error: None,
                reason_error: None,
                note_error: None,
            };
            if let Some(r) = refused.as_ref().filter(|r| r.location == &l.location_id) {
                view.adjust = r.form.mode == "adjust";
                view.quantity = r.form.quantity.trim().to_owned();
                view.note = r.form.note.clone();
                view.reasons = reasons(r.form.reason.trim());
                match r.error {
                    ApiError::InvalidParam { param, reason } => match param.as_str() {
                        "quantity" | "stocked_quantity" | "adjustment" | "mode" => {
                            view.quantity_error = Some(reason.clone());
                        }
                        "reason" => view.reason_error = Some(reason.clone()),
                        "note" => view.note_error = Some(reason.clone()),
                        _ => view.message = Some(r.error.to_string()),
                    },
                    other => view.message = Some(other.to_string()),
                }
            }
            view
        })
        .collect();
    let (entries, history_total) = history;
    html(
        status,
        &StockItemPage {
            frame: Frame::new(format!("Stock of {}", v.product_title), Some(shell)),
            variant_id: v.id.as_str(),
            title: format!("{} · {}", v.product_title, v.title),
            sku: v.sku.clone().unwrap_or_default(),
            managed: v.manage_inventory,
            write: member.may(Permission::InventoryWrite),
            saved,
            levels,
            history: entries
                .iter()
                .map(|e| HistoryLine {
                    at: e.at.replace('T', " ").trim_end_matches('Z').to_owned(),
                    location: e.location_name.clone(),
                    reason: e.reason.label(),
                    before: e.stocked_before,
                    after: e.stocked_after,
                    delta: format!("{:+}", e.delta()),
                    by: match (&e.by, &e.api_key) {
                        (Some(by), Some(key)) => format!("{by} (key {key})"),
                        (Some(by), None) => by.clone(),
                        (None, Some(key)) => format!("key {key}"),
                        (None, None) => String::new(),
                    },
                    note: e.note.clone(),
                })
                .collect(),
            history_total,
            threshold: match threshold_refused {
                Some((form, _)) => form.threshold.trim().to_owned(),
                None => v
                    .low_stock_threshold
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
            },
            threshold_error: threshold_refused.map(|(_, e)| e.reason()),
            available: stock.levels.iter().map(|l| i64::from(l.available())).sum(),
            incoming_total: incoming.map_or(0, |all| all.iter().map(|o| o.outstanding).sum()),
            incoming: incoming.map(|all| {
                all.iter()
                    .map(|o| IncomingView {
                        href: format!("/admin/purchase-orders/{}", o.id.as_str()),
                        reference: format!("PO-{}", o.number),
                        supplier: o.supplier_name.clone(),
                        expected_on: o.expected_on.clone().unwrap_or_default(),
                        outstanding: o.outstanding,
                    })
                    .collect()
            }),
        },
    )
}

struct LocationLine {
    id: String,
    name: String,
    place: String,
    stocked: i64,
    first: bool,
    last: bool,
}

#[derive(Template)]
#[template(path = "admin/stock_locations.html")]
struct LocationsPage<'a> {
    frame: Frame<'a>,
    write: bool,
    locations: Vec<LocationLine>,
    message: Option<String>,
    new_name: &'a str,
    new_name_error: Option<String>,
}

/// What the locations page re-shows: why a change was refused, and the new location's
/// name as typed.
#[derive(Debug, Clone, Default)]
pub struct LocationNotice<'a> {
    pub message: Option<String>,
    pub new_name: &'a str,
    pub new_name_error: Option<String>,
}

/// The store's stock locations in the order checkout holds stock from them, with the
/// forms that add, rename, move and delete them (for members who may).
pub fn stock_locations_page(
    shell: &Shell,
    member: &Member,
    locations: &[commerce::inventory::location::Location],
    notice: LocationNotice<'_>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let last = locations.len().saturating_sub(1);
    html(
        status,
        &LocationsPage {
            frame: Frame::new("Stock locations", Some(shell)),
            write: member.may(Permission::InventoryWrite),
            locations: locations
                .iter()
                .enumerate()
                .map(|(i, l)| LocationLine {
                    id: l.id.as_str().to_owned(),
                    name: l.name.clone(),
                    place: super::settings::place_of(l),
                    stocked: l.stocked,
                    first: i == 0,
                    last: i == last,
                })
                .collect(),
            message: notice.message,
            new_name: notice.new_name,
            new_name_error: notice.new_name_error,
        },
    )
}
