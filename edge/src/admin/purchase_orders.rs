//! Purchase orders at `/admin/purchase-orders`: the pages and the admin API's JSON
//! (`{purchase_orders, count, offset, limit}`, `{purchase_order}`). Each change of a
//! draft, placing and canceling is one transaction with its audit record;
//! `commerce::purchase_order` decides what may happen (a refused transition is 409).
//! Receiving is the domain's saga (each step its own transaction, the whole idempotent
//! by the delivery's key); its audit record follows once the delivery is in.

use commerce::ids::PurchaseOrderId;
use commerce::inventory::location::{self, Location};
use commerce::inventory::Actor;
use commerce::purchase_order::json::{PurchaseOrderJson, PurchaseOrderSummaryJson};
use commerce::purchase_order::receive::DeliveredLine;
use commerce::purchase_order::repo::{self, LineInput};
use commerce::purchase_order::{self as po, Delivery, PoInput, Received};
use commerce::staff::audit::Entry;
use commerce::{ApiError, ErrorCode};
use serde::Deserialize;
use serde_json::{json, Value};
use storefront::admin::purchase_orders::{
    po_list_filter, purchase_order_page, purchase_orders_page, PoFieldsNotice, PoListQuery,
    PoRefused, ReceiveForm,
};
use tokio_postgres::Client;
use worker::Response;

use super::variants::ConfirmPost;
use super::{api_json, audited, render, SavedQuery};
use crate::context::Cx;
use crate::http;

fn po_id(cx: &Cx) -> Result<PurchaseOrderId, ApiError> {
    let raw = cx.param(0);
    PurchaseOrderId::parse(raw)
        .map_err(|_| ApiError::not_found("Purchase order", "id", raw.to_owned()))
}

fn page_href(id: &PurchaseOrderId, saved: &str) -> String {
    format!("/admin/purchase-orders/{}?saved={saved}", id.as_str())
}

/// Whether a refusal is shown on the page beside what was typed (else the error page).
fn shown_on_page(err: &ApiError) -> bool {
    matches!(
        err,
        ApiError::InvalidParam { .. } | ApiError::Conflict { .. }
    )
}

async fn load(cx: &Cx, id: &PurchaseOrderId) -> Result<repo::PurchaseOrder, ApiError> {
    let store = &cx.member()?.store_id;
    cx.with_db(async |client: &Client| repo::load(client, store, id).await)
        .await
}

/// `{purchase_order}` as it is now.
async fn answer(cx: &Cx, id: &PurchaseOrderId) -> Result<Response, ApiError> {
    let order = load(cx, id).await?;
    api_json(&json!({ "purchase_order": PurchaseOrderJson::from(&order) }))
}

async fn locations(
    client: &Client,
    member: &commerce::staff::Member,
) -> Result<Vec<Location>, ApiError> {
    location::locations(client, &member.store_id).await
}

// ------------------------------------------------------------------ the list

async fn list_page(
    cx: &Cx,
    query: &PoListQuery,
    notice: Option<PoFieldsNotice>,
    status: u16,
) -> Result<Response, ApiError> {
    let (filter, page) = po_list_filter(query)?;
    render(cx, async |client, member, shell| {
        let (list, total) = repo::list(client, &member.store_id, filter, page).await?;
        let places = locations(client, member).await?;
        purchase_orders_page(
            shell, member, query, &list, total, page, &places, notice, status,
        )
    })
    .await
}

/// `GET /admin/purchase-orders?status=&offset=&limit=`: the page, or
/// `{purchase_orders, count, offset, limit}`.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    let query: PoListQuery = cx.query_as()?;
    if cx.wants_json() {
        let (filter, page) = po_list_filter(&query)?;
        let store = &cx.member()?.store_id;
        let (list, count) = cx
            .with_db(async |client: &Client| repo::list(client, store, filter, page).await)
            .await?;
        let shown: Vec<_> = list.iter().map(PurchaseOrderSummaryJson::from).collect();
        return api_json(&json!({
            "purchase_orders": shown, "count": count, "offset": page.offset, "limit": page.limit,
        }));
    }
    list_page(cx, &query, None, 200).await
}

/// A purchase order's fields from a JSON client; absent ones stay on an update.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PoBody {
    supplier_name: Option<String>,
    supplier_contact: Option<String>,
    location_id: Option<String>,
    expected_on: Option<String>,
    notes: Option<String>,
}

impl PoBody {
    fn over(self, base: PoInput) -> PoInput {
        PoInput {
            supplier_name: self.supplier_name.unwrap_or(base.supplier_name),
            supplier_contact: self.supplier_contact.unwrap_or(base.supplier_contact),
            location_id: self.location_id.unwrap_or(base.location_id),
            expected_on: self.expected_on.unwrap_or(base.expected_on),
            notes: self.notes.unwrap_or(base.notes),
        }
    }
}

/// Writes a new draft (`id` none) or a draft's fields, with its audit record.
async fn write(
    cx: &Cx,
    id: Option<&PurchaseOrderId>,
    input: &PoInput,
) -> Result<PurchaseOrderId, ApiError> {
    let fields = input.check().map_err(|e| e.into_error())?;
    let member = cx.member()?;
    let change = json!({
        "supplier_name": fields.supplier_name, "location_id": fields.location_id,
        "expected_on": fields.expected_on,
    });
    audited(cx, async |tx: &Client| match id {
        None => {
            let by = Some(member.user_id.as_str());
            let made = repo::create(tx, &member.store_id, &fields, by).await?;
            let mut change = change;
            change["id"] = json!(made);
            let entry = Entry {
                action: "purchase_order.create",
                target_id: None,
                change,
            };
            Ok((made, entry))
        }
        Some(id) => {
            repo::update(tx, &member.store_id, id, &fields).await?;
            let entry = Entry {
                action: "purchase_order.update",
                target_id: Some(id.as_str()),
                change,
            };
            Ok((id.clone(), entry))
        }
    })
    .await
}

/// `POST /admin/purchase-orders`: a new draft (the page's form or a JSON body).
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let body: PoBody = cx.json_as().await?;
        let id = write(cx, None, &body.over(PoInput::default())).await?;
        return answer(cx, &id).await;
    }
    let form: PoInput = cx.form().await?;
    match write(cx, None, &form).await {
        Ok(id) => http::see_other(&page_href(&id, "created")),
        Err(err) if shown_on_page(&err) => {
            let notice = PoFieldsNotice::of(form, &err);
            list_page(cx, &PoListQuery::default(), Some(notice), err.status()).await
        }
        Err(err) => Err(err),
    }
}

// ------------------------------------------------------------------ one purchase order

fn saved_text(query: &SavedQuery) -> Option<&'static str> {
    match query.saved.as_str() {
        "created" => Some("Draft started: add what is ordered, then place it."),
        "saved" => Some("Saved."),
        "line" => Some("Line saved."),
        "removed" => Some("Line removed."),
        "placed" => Some("Placed: its units are incoming stock until they are received."),
        "canceled" => Some("Canceled."),
        "received" => Some("Delivery received: the stock at its location rose by its counts."),
        "repeated" => Some("That delivery was received already; nothing changed."),
        _ => None,
    }
}

async fn one_page(
    cx: &Cx,
    id: &PurchaseOrderId,
    refused: Option<PoRefused>,
    saved: Option<&str>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let order = repo::load(client, &member.store_id, id).await?;
        let places = locations(client, member).await?;
        let deliveries = repo::deliveries(client, &member.store_id, id).await?;
        purchase_order_page(
            shell,
            member,
            &order,
            &places,
            &deliveries,
            refused,
            saved,
            status,
        )
    })
    .await
}

/// `GET /admin/purchase-orders/:id`: the page, or `{purchase_order}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = po_id(cx)?;
    if cx.wants_json() {
        return answer(cx, &id).await;
    }
    let query: SavedQuery = cx.query_as()?;
    one_page(cx, &id, None, saved_text(&query), 200).await
}

/// `POST /admin/purchase-orders/:id`: changes a draft's fields.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = po_id(cx)?;
    if cx.wants_json() {
        let body: PoBody = cx.json_as().await?;
        let current = load(cx, &id).await?;
        let base = PoInput {
            supplier_name: current.supplier_name,
            supplier_contact: current.supplier_contact,
            location_id: current.location_id.as_str().to_owned(),
            expected_on: current.expected_on.unwrap_or_default(),
            notes: current.notes,
        };
        write(cx, Some(&id), &body.over(base)).await?;
        return answer(cx, &id).await;
    }
    let form: PoInput = cx.form().await?;
    match write(cx, Some(&id), &form).await {
        Ok(_) => http::see_other(&page_href(&id, "saved")),
        Err(err) if shown_on_page(&err) => {
            let refused = match err {
                ApiError::Conflict { ref message, .. } => PoRefused::Action(message.clone()),
                _ => PoRefused::Fields(PoFieldsNotice::of(form, &err)),
            };
            one_page(cx, &id, Some(refused), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// A line from a JSON client: the variant by SKU or id, numbers or text.
#[derive(Deserialize, Default)]
#[serde(default)]
struct LineBody {
    variant: String,
    quantity: Value,
    unit_cost: Value,
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Adds (or sets) a line of draft `id`, with its audit record.
async fn set_line(cx: &Cx, id: &PurchaseOrderId, input: &LineInput) -> Result<(), ApiError> {
    let currency = load(cx, id).await?.currency;
    let line = input.check(currency).map_err(|e| e.into_error())?;
    let store = &cx.member()?.store_id;
    audited(cx, async |tx: &Client| {
        repo::set_line(tx, store, id, &line).await?;
        let entry = Entry {
            action: "purchase_order.line",
            target_id: Some(id.as_str()),
            change: json!({
                "variant": line.variant, "quantity": line.quantity, "unit_cost": line.unit_cost,
            }),
        };
        Ok(((), entry))
    })
    .await
}

/// `POST /admin/purchase-orders/:id/lines`: adds a line by SKU (or sets the quantity and
/// unit cost of one the draft has).
pub async fn add_line(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = po_id(cx)?;
    if cx.wants_json() {
        let body: LineBody = cx.json_as().await?;
        let input = LineInput {
            variant: body.variant,
            quantity: text(&body.quantity),
            unit_cost: text(&body.unit_cost),
        };
        set_line(cx, &id, &input).await?;
        return answer(cx, &id).await;
    }
    let form: LineInput = cx.form().await?;
    match set_line(cx, &id, &form).await {
        Ok(()) => http::see_other(&page_href(&id, "line")),
        Err(err) if shown_on_page(&err) => {
            let refused = match err {
                ApiError::Conflict { ref message, .. } => PoRefused::Action(message.clone()),
                _ => {
                    let currency = load(cx, &id).await?.currency;
                    let checked = form.check(currency).err();
                    PoRefused::line(form, checked, &err)
                }
            };
            one_page(cx, &id, Some(refused), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

async fn remove_line(cx: &Cx, id: &PurchaseOrderId) -> Result<(), ApiError> {
    let line = cx.param(1).to_owned();
    let store = &cx.member()?.store_id;
    audited(cx, async |tx: &Client| {
        repo::remove_line(tx, store, id, &line).await?;
        let entry = Entry {
            action: "purchase_order.line",
            target_id: Some(id.as_str()),
            change: json!({ "removed": line }),
        };
        Ok(((), entry))
    })
    .await
}

/// `DELETE /admin/purchase-orders/:id/lines/:line_id`: `{purchase_order}` without it.
pub async fn delete_line(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = po_id(cx)?;
    remove_line(cx, &id).await?;
    answer(cx, &id).await
}

/// `POST /admin/purchase-orders/:id/lines/:line_id/delete` (the page's button).
pub async fn delete_line_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = po_id(cx)?;
    match remove_line(cx, &id).await {
        Ok(()) => http::see_other(&page_href(&id, "removed")),
        Err(err @ ApiError::Conflict { .. }) => {
            let refused = PoRefused::Action(err.to_string());
            one_page(cx, &id, Some(refused), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// Which of the two steps that end a draft's editing.
#[derive(Clone, Copy)]
enum Step {
    Place,
    Cancel,
}

/// Places or cancels `id` with its audit record (the status before and after).
async fn take(cx: &Cx, id: &PurchaseOrderId, step: Step) -> Result<(), ApiError> {
    let store = &cx.member()?.store_id;
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let before = repo::load(tx, store, id).await?.status;
        let action = match step {
            Step::Place => {
                repo::place(tx, store, id, Some(&trace)).await?;
                "purchase_order.place"
            }
            Step::Cancel => {
                repo::cancel(tx, store, id).await?;
                "purchase_order.cancel"
            }
        };
        let after = repo::load(tx, store, id).await?.status;
        let entry = Entry {
            action,
            target_id: Some(id.as_str()),
            change: json!({ "status": [before, after] }),
        };
        Ok(((), entry))
    })
    .await
}

/// Placing or canceling: no box for a JSON client; the page's box must be ticked.
async fn step(cx: &mut Cx, step: Step) -> Result<Response, ApiError> {
    let id = po_id(cx)?;
    if cx.wants_json() {
        take(cx, &id, step).await?;
        return answer(cx, &id).await;
    }
    let posted: ConfirmPost = cx.form().await?;
    let done = if posted.confirm == "yes" {
        take(cx, &id, step).await
    } else {
        Err(ApiError::invalid(
            "confirm",
            "Please tick the box to confirm.",
        ))
    };
    match done {
        Ok(()) => {
            let saved = match step {
                Step::Place => "placed",
                Step::Cancel => "canceled",
            };
            http::see_other(&page_href(&id, saved))
        }
        Err(err) if shown_on_page(&err) => {
            let refused = PoRefused::Action(err.reason());
            one_page(cx, &id, Some(refused), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/purchase-orders/:id/place`: its units become incoming stock.
pub async fn place(cx: &mut Cx) -> Result<Response, ApiError> {
    step(cx, Step::Place).await
}

/// `POST /admin/purchase-orders/:id/cancel`: a draft or a placed one nothing came in of.
pub async fn cancel(cx: &mut Cx) -> Result<Response, ApiError> {
    step(cx, Step::Cancel).await
}

/// A delivery from a JSON client.
#[derive(Deserialize)]
struct ReceiveBody {
    key: String,
    lines: Vec<DeliveredLine>,
    #[serde(default)]
    confirm_over_receipt: bool,
}

/// Receives `delivery` as the member (the ledger rows name them); a delivery not
/// received before is then recorded in the audit log.
async fn receive(cx: &Cx, id: &PurchaseOrderId, delivery: &Delivery) -> Result<Received, ApiError> {
    let member = cx.member()?;
    let actor = Actor {
        user_id: Some(member.user_id.as_str()),
        api_key_id: member.api_key.as_ref().map(|k| k.as_str()),
        role: Some(member.role.audit_name()),
        trace_id: Some(&cx.trace_id),
    };
    let received = cx
        .with_db(async |client: &Client| {
            po::receive(client, &member.store_id, id, delivery, actor).await
        })
        .await?;
    if !received.repeated {
        audited(cx, async |_tx: &Client| {
            let entry = Entry {
                action: "purchase_order.receive",
                target_id: Some(id.as_str()),
                change: json!({
                    "key": delivery.key, "lines": delivery.lines, "status": received.status,
                    "over_receipt_confirmed": delivery.over_receipt_confirmed,
                }),
            };
            Ok(((), entry))
        })
        .await?;
    }
    Ok(received)
}

/// `POST /admin/purchase-orders/:id/receive`: a delivery (the page's counts per line,
/// or `{key, lines: [{variant_id, quantity}], confirm_over_receipt}`). More than is
/// still expected is 409 `over_receipt` until confirmed; the same key again changes
/// nothing.
pub async fn receive_delivery(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = po_id(cx)?;
    if cx.wants_json() {
        let body: ReceiveBody = cx.json_as().await?;
        let delivery = Delivery {
            key: body.key.trim().to_owned(),
            lines: body.lines,
            over_receipt_confirmed: body.confirm_over_receipt,
        };
        receive(cx, &id, &delivery).await?;
        return answer(cx, &id).await;
    }
    let form: ReceiveForm = cx.form().await?;
    let done = match form.delivery() {
        Ok(delivery) => receive(cx, &id, &delivery).await,
        Err(err) => Err(err),
    };
    match done {
        Ok(r) => http::see_other(&page_href(
            &id,
            if r.repeated { "repeated" } else { "received" },
        )),
        Err(err) if shown_on_page(&err) => {
            let refused = PoRefused::Receive {
                message: err.reason(),
                over_receipt: err.code() == ErrorCode::OverReceipt,
                form,
            };
            one_page(cx, &id, Some(refused), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}
