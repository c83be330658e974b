//! Purchase orders: the list with its status filter and the form that starts a draft,
//! and one purchase order's page: a draft's fields and lines, placing and canceling it
//! (each asked first), receiving a delivery into a placed one (a key made when the page
//! renders, so a form sent twice is one delivery), and the deliveries' log. A refused
//! form comes back as typed, its problems beside its fields.

use std::collections::BTreeMap;

use askama::Template;
use commerce::catalog::edit::FieldErrors;
use commerce::ids::VariantId;
use commerce::inventory::location::Location;
use commerce::money::Money;
use commerce::params::Page;
use commerce::purchase_order::receive::DeliveredLine;
use commerce::purchase_order::repo::{DeliveryRecord, LineInput, PurchaseOrder};
use commerce::purchase_order::{Delivery, PoInput, PoStatus};
use commerce::staff::{Member, Permission};
use commerce::ApiError;
use serde::Deserialize;

use super::{list_limit, list_offset, Choice, Frame, Pager, Shell};
use crate::format::money;
use crate::listing::encode;
use crate::pages::{html, Rendered};

/// Purchase orders per page of the list.
pub const PO_PER_PAGE: u32 = 50;

/// The list's query: a status, the page (`limit` for API clients), what was just done.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PoListQuery {
    pub status: String,
    pub offset: String,
    pub limit: String,
}

/// The query's status and page, or the error naming the field that cannot be read.
pub fn po_list_filter(query: &PoListQuery) -> Result<(Option<PoStatus>, Page), ApiError> {
    let status = match query.status.trim() {
        "" => None,
        text => Some(
            PoStatus::parse(text)
                .ok_or_else(|| ApiError::invalid("status", "is not a purchase order status"))?,
        ),
    };
    let page = Page {
        limit: list_limit(&query.limit, PO_PER_PAGE)?,
        offset: list_offset(&query.offset)?,
    };
    Ok((status, page))
}

/// A draft's fields form as re-shown: as typed, its problems, or one message.
#[derive(Debug, Clone, Default)]
pub struct PoFieldsNotice {
    pub form: PoInput,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

impl PoFieldsNotice {
    /// The form as typed with the problems of `err` (a field's, or one message).
    pub fn of(form: PoInput, err: &ApiError) -> Self {
        let (errors, message) = field_problems(form.check().err(), err);
        PoFieldsNotice {
            form,
            errors,
            message,
        }
    }
}

/// The problems to show: the form's own check, else the refusal beside its field (an
/// unknown location, a SKU the store lacks), else one message.
fn field_problems(checked: Option<FieldErrors>, err: &ApiError) -> (FieldErrors, Option<String>) {
    const FIELDS: &[&str] = &[
        "supplier_name",
        "supplier_contact",
        "location_id",
        "expected_on",
        "notes",
        "variant",
        "quantity",
        "unit_cost",
    ];
    if let Some(errors) = checked.filter(|e| !e.is_empty()) {
        return (errors, None);
    }
    match err {
        ApiError::InvalidParam { param, reason } => {
            match FIELDS.iter().find(|f| **f == param.as_str()) {
                Some(field) => (FieldErrors(vec![(*field, reason.clone())]), None),
                None => (FieldErrors::default(), Some(reason.clone())),
            }
        }
        other => (FieldErrors::default(), Some(other.to_string())),
    }
}

/// A stock location the form offers.
struct LocationChoice {
    id: String,
    name: String,
    selected: bool,
}

fn location_choices(locations: &[Location], selected: &str) -> Vec<LocationChoice> {
    locations
        .iter()
        .map(|l| LocationChoice {
            id: l.id.as_str().to_owned(),
            name: l.name.clone(),
            selected: l.id.as_str() == selected,
        })
        .collect()
}

/// One purchase order as the list shows it.
struct PoRow {
    href: String,
    reference: String,
    supplier: String,
    location: String,
    status: &'static str,
    expected_on: String,
    lines: i64,
    ordered: i64,
    received: i64,
    created: String,
}

#[derive(Template)]
#[template(path = "admin/purchase_orders.html")]
struct PurchaseOrdersPage<'a> {
    frame: Frame<'a>,
    write: bool,
    statuses: Vec<Choice>,
    rows: Vec<PoRow>,
    pager: Pager,
    filtered: bool,
    form: PoInput,
    errors: FieldErrors,
    message: Option<String>,
    locations: Vec<LocationChoice>,
}

/// The list of purchase orders (filtered by status), and the form that starts a draft
/// (`notice` re-shows it as typed).
#[allow(clippy::too_many_arguments)]
pub fn purchase_orders_page(
    shell: &Shell,
    member: &Member,
    query: &PoListQuery,
    list: &[PurchaseOrder],
    total: i64,
    page: Page,
    locations: &[Location],
    notice: Option<PoFieldsNotice>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let notice = notice.unwrap_or_else(|| PoFieldsNotice {
        form: PoInput {
            location_id: locations
                .first()
                .map(|l| l.id.as_str().to_owned())
                .unwrap_or_default(),
            ..PoInput::default()
        },
        ..PoFieldsNotice::default()
    });
    let href = |offset: u32| {
        let status = query.status.trim();
        match (status, offset) {
            ("", 0) => "/admin/purchase-orders".to_owned(),
            ("", o) => format!("/admin/purchase-orders?offset={o}"),
            (s, o) => format!("/admin/purchase-orders?status={}&offset={o}", encode(s)),
        }
    };
    html(
        status,
        &PurchaseOrdersPage {
            frame: Frame::new("Purchase orders", Some(shell)),
            write: member.may(Permission::PurchaseOrderWrite),
            statuses: PoStatus::ALL
                .into_iter()
                .map(|s| Choice {
                    value: s.as_str(),
                    label: s.label(),
                    selected: query.status.trim() == s.as_str(),
                })
                .collect(),
            rows: list
                .iter()
                .map(|po| PoRow {
                    href: format!("/admin/purchase-orders/{}", po.id.as_str()),
                    reference: po.reference(),
                    supplier: po.supplier_name.clone(),
                    location: po.location_name.clone(),
                    status: po.status.label(),
                    expected_on: po.expected_on.clone().unwrap_or_default(),
                    lines: po.line_count,
                    ordered: po.ordered,
                    received: po.received,
                    created: minute(&po.created_at),
                })
                .collect(),
            pager: Pager::new(page, list.len(), total, href),
            filtered: !query.status.trim().is_empty(),
            locations: location_choices(locations, notice.form.location_id.trim()),
            form: notice.form,
            errors: notice.errors,
            message: notice.message,
        },
    )
}

/// `YYYY-MM-DD HH:MM` of the API's timestamp (UTC).
fn minute(ts: &str) -> String {
    ts.replace('T', " ").chars().take(16).collect()
}

/// The receiving form as posted: the delivery's key, `qty.<variant id>` per line, and
/// whether receiving more than is expected is confirmed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReceiveForm {
    pub key: String,
    pub confirm_over_receipt: String,
    /// The `qty.<variant id>` fields (and anything else posted).
    #[serde(flatten)]
    pub fields: BTreeMap<String, String>,
}

impl ReceiveForm {
    /// The delivery the form describes (an empty quantity is none of that line).
    pub fn delivery(&self) -> Result<Delivery, ApiError> {
        let mut lines = Vec::new();
        for (name, typed) in &self.fields {
            let Some(variant) = name.strip_prefix("qty.") else {
                continue;
            };
            let variant_id = VariantId::parse(variant)
                .map_err(|_| ApiError::invalid("lines", format!("{variant} is not a variant")))?;
            let quantity = match typed.trim() {
                "" => 0,
                text => text
                    .parse::<i32>()
                    .ok()
                    .filter(|q| *q >= 0)
                    .ok_or_else(|| {
                        ApiError::invalid("lines", "Quantities received are whole numbers from 0.")
                    })?,
            };
            lines.push(DeliveredLine {
                variant_id,
                quantity,
            });
        }
        Ok(Delivery {
            key: self.key.trim().to_owned(),
            lines,
            over_receipt_confirmed: self.confirm_over_receipt == "yes",
        })
    }

    fn typed(&self, variant: &str) -> Option<&str> {
        self.fields.get(&format!("qty.{variant}")).map(|s| s.trim())
    }
}

/// What a purchase order's page re-shows after a refusal.
#[derive(Debug, Clone)]
pub enum PoRefused {
    /// The draft's fields form.
    Fields(PoFieldsNotice),
    /// The form that adds a line.
    Line {
        form: LineInput,
        errors: FieldErrors,
        message: Option<String>,
    },
    /// The receiving form as typed; `over_receipt` asks to confirm more than expected.
    Receive {
        form: ReceiveForm,
        message: String,
        over_receipt: bool,
    },
    /// Placing, canceling or removing a line: why not.
    Action(String),
}

impl PoRefused {
    /// The line form as typed with the problems of `err`.
    pub fn line(form: LineInput, checked: Option<FieldErrors>, err: &ApiError) -> Self {
        let (errors, message) = field_problems(checked, err);
        PoRefused::Line {
            form,
            errors,
            message,
        }
    }
}

struct LineView {
    id: String,
    variant_id: String,
    stock_href: String,
    sku: String,
    title: String,
    quantity: i32,
    unit_cost: String,
    line_total: String,
    received: i32,
    outstanding: i32,
    /// The receiving form's value: what is outstanding, or as typed.
    receive: String,
}

struct DeliveryView {
    key: String,
    state: &'static str,
    when: String,
    by: String,
    lines: String,
    error: String,
}

#[derive(Template)]
#[template(path = "admin/purchase_order.html")]
struct PurchaseOrderPage<'a> {
    frame: Frame<'a>,
    id: &'a str,
    reference: String,
    status: &'static str,
    po: &'a PurchaseOrder,
    currency: String,
    total: String,
    write: bool,
    draft: bool,
    receivable: bool,
    cancelable: bool,
    saved: Option<&'a str>,
    lines: Vec<LineView>,
    locations: Vec<LocationChoice>,
    form: PoInput,
    errors: FieldErrors,
    fields_message: Option<String>,
    line_form: LineInput,
    line_errors: FieldErrors,
    line_message: Option<String>,
    delivery_key: String,
    receive_message: Option<String>,
    over_receipt: bool,
    action_message: Option<String>,
    deliveries: Vec<DeliveryView>,
    placed_at: String,
    received_at: String,
    canceled_at: String,
}

/// A purchase order's page: what it is and its lines; for a draft the forms that
/// change it, add and remove lines, place and cancel it; for a placed one the
/// receiving form (a new delivery key each time it renders) and cancel; and the
/// deliveries received.
#[allow(clippy::too_many_arguments)]
pub fn purchase_order_page(
    shell: &Shell,
    member: &Member,
    po: &PurchaseOrder,
    locations: &[Location],
    deliveries: &[DeliveryRecord],
    refused: Option<PoRefused>,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let mut fields = PoFieldsNotice {
        form: PoInput {
            supplier_name: po.supplier_name.clone(),
            supplier_contact: po.supplier_contact.clone(),
            location_id: po.location_id.as_str().to_owned(),
            expected_on: po.expected_on.clone().unwrap_or_default(),
            notes: po.notes.clone(),
        },
        ..PoFieldsNotice::default()
    };
    let (mut line_form, mut line_errors, mut line_message) = Default::default();
    let (mut receive_form, mut receive_message, mut over_receipt) = (None, None, false);
    let mut action_message = None;
    match refused {
        Some(PoRefused::Fields(notice)) => fields = notice,
        Some(PoRefused::Line {
            form,
            errors,
            message,
        }) => (line_form, line_errors, line_message) = (form, errors, message),
        Some(PoRefused::Receive {
            form,
            message,
            over_receipt: over,
        }) => {
            receive_form = Some(form);
            receive_message = Some(message);
            over_receipt = over;
        }
        Some(PoRefused::Action(message)) => action_message = Some(message),
        None => {}
    }
    // A form the page no longer shows (the order moved on meanwhile) says why on top.
    if !po.status.incoming() {
        action_message = action_message.or(receive_message.take());
    }
    if po.status != PoStatus::Draft {
        action_message = action_message
            .or(line_message.take())
            .or(fields.message.take());
    }
    let cost = |minor: i64| money(Money::new(minor, po.currency));
    let lines = po
        .lines
        .iter()
        .map(|l| LineView {
            id: l.id.clone(),
            variant_id: l.variant_id.as_str().to_owned(),
            stock_href: format!("/admin/stock/{}", l.variant_id.as_str()),
            sku: l.sku.clone().unwrap_or_default(),
            title: l.title.clone(),
            quantity: l.quantity,
            unit_cost: cost(l.unit_cost),
            line_total: cost(i64::from(l.quantity) * l.unit_cost),
            received: l.received,
            outstanding: l.outstanding(),
            receive: receive_form
                .as_ref()
                .and_then(|f| f.typed(l.variant_id.as_str()))
                .map_or_else(|| l.outstanding().to_string(), str::to_owned),
        })
        .collect();
    let named = |v: &VariantId| {
        po.lines.iter().find(|l| &l.variant_id == v).map_or_else(
            || v.as_str().to_owned(),
            |l| l.sku.clone().unwrap_or_else(|| l.title.clone()),
        )
    };
    let delivery_key = receive_form
        .as_ref()
        .map(|f| f.key.trim().to_owned())
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| format!("dlv_{}", commerce::ids::random_body()));
    html(
        status,
        &PurchaseOrderPage {
            frame: Frame::new(po.reference(), Some(shell)),
            id: po.id.as_str(),
            reference: po.reference(),
            status: po.status.label(),
            po,
            currency: po.currency.as_str().to_ascii_uppercase(),
            total: cost(po.total()),
            write: member.may(Permission::PurchaseOrderWrite),
            draft: po.status == PoStatus::Draft,
            receivable: po.status.incoming(),
            cancelable: matches!(po.status, PoStatus::Draft | PoStatus::Placed),
            saved,
            lines,
            locations: location_choices(locations, fields.form.location_id.trim()),
            form: fields.form,
            errors: fields.errors,
            fields_message: fields.message,
            line_form,
            line_errors,
            line_message,
            delivery_key,
            receive_message,
            over_receipt,
            action_message,
            deliveries: deliveries
                .iter()
                .map(|d| DeliveryView {
                    key: d.key.clone(),
                    state: match d.state.as_str() {
                        "done" => "Received",
                        "compensated" => "Undone (may be sent again)",
                        _ => "Being received",
                    },
                    when: minute(d.finished_at.as_deref().unwrap_or(&d.created_at)),
                    by: d.received_by.clone().unwrap_or_default(),
                    lines: d
                        .lines
                        .iter()
                        .filter(|l| l.quantity > 0)
                        .map(|l| format!("{} × {}", l.quantity, named(&l.variant_id)))
                        .collect::<Vec<_>>()
                        .join(", "),
                    error: d.error.clone().unwrap_or_default(),
                })
                .collect(),
            placed_at: po.placed_at.as_deref().map(minute).unwrap_or_default(),
            received_at: po.received_at.as_deref().map(minute).unwrap_or_default(),
            canceled_at: po.canceled_at.as_deref().map(minute).unwrap_or_default(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_receiving_form_reads_a_quantity_per_line() {
        let fields = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let form = ReceiveForm {
            key: "dlv_1".into(),
            confirm_over_receipt: "yes".into(),
            fields: fields(&[("qty.variant_A", "3"), ("qty.variant_B", ""), ("x", "1")]),
        };
        let d = form.delivery().unwrap();
        assert_eq!(d.key, "dlv_1");
        assert!(d.over_receipt_confirmed);
        let got: Vec<(&str, i32)> = d
            .lines
            .iter()
            .map(|l| (l.variant_id.as_str(), l.quantity))
            .collect();
        assert_eq!(got, [("variant_A", 3), ("variant_B", 0)]);
        let bad = ReceiveForm {
            fields: fields(&[("qty.variant_A", "-1")]),
            ..ReceiveForm::default()
        };
        assert_eq!(bad.delivery().unwrap_err().param(), Some("lines"));
    }

    #[test]
    fn a_bad_status_names_its_field() {
        let q = PoListQuery {
            status: "lost".into(),
            ..PoListQuery::default()
        };
        assert_eq!(po_list_filter(&q).unwrap_err().param(), Some("status"));
        let q = PoListQuery {
            status: "placed".into(),
            ..PoListQuery::default()
        };
        let (status, page) = po_list_filter(&q).unwrap();
        assert_eq!((status, page.limit), (Some(PoStatus::Placed), PO_PER_PAGE));
    }
}
