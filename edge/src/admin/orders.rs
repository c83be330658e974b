//! The dashboard, the orders list, one order, and the order actions (through the
//! origin, which moves the stock and the money; recorded here in the audit log).

use commerce::checkout::{ActionRequest, OrderResponse, ORDERS_PATH};
use commerce::ids::{FulfillmentId, OrderId, OrderItemId, OrderTransactionId, StockLocationId};
use commerce::money::MinorUnits;
use commerce::order::list::{self, OrderFilter, OrderListResponse, OrderSummaryShape};
use commerce::order::{self, OrderAction, ParcelLine, ParcelRequest, Shipment};
use commerce::params::Page;
use commerce::staff::audit::{self, Entry};
use commerce::staff::{self, Permission};
use commerce::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use storefront::admin::{
    dashboard_page, order_detail_page, order_filter, order_page, orders_page, Allowed, OrderFacts,
    OrderQuery,
};
use storefront::format::parse_major;
use tokio_postgres::Client;
use worker::Response;

use super::{api_json, render};
use crate::context::Cx;
use crate::{http, origin};

/// Orders on the dashboard.
const RECENT: u32 = 10;

/// `GET /admin`: today's figures and the latest orders, for members who read orders.
pub async fn dashboard(cx: &mut Cx) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        if !member.may(Permission::OrderRead) {
            return dashboard_page(shell, None, &[]);
        }
        let figures = list::today(client, &member.store_id).await?;
        let page = Page {
            limit: RECENT,
            offset: 0,
        };
        let (recent, _) =
            list::list(client, &member.store_id, &OrderFilter::default(), page).await?;
        dashboard_page(shell, Some(&figures), &recent)
    })
    .await
}

/// `GET /admin/orders?status=&payment=&from=&to=&q=&offset=`: the page, or Medusa's
/// list for API clients.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    let query: OrderQuery = cx.query_as()?;
    let filter = order_filter(&query)?;
    let page = order_page(&query)?;
    if cx.wants_json() {
        let store = &cx.member()?.store_id;
        let (orders, count) = cx
            .with_db(async |client: &Client| list::list(client, store, &filter, page).await)
            .await?;
        let body = OrderListResponse {
            orders: orders.iter().map(OrderSummaryShape::of).collect(),
            count,
            offset: page.offset,
            limit: page.limit,
        };
        return api_json(&body);
    }
    render(cx, async |client, member, shell| {
        let (orders, total) = list::list(client, &member.store_id, &filter, page).await?;
        orders_page(shell, &query, &orders, total, page)
    })
    .await
}

/// The order of the path's `:id`; a malformed id is not found.
fn order_id(cx: &Cx) -> Result<OrderId, ApiError> {
    let raw = cx.param(0);
    OrderId::parse(raw).map_err(|_| ApiError::not_found("Order", "id", raw.to_owned()))
}

/// Entries of an order's timeline shown.
const TIMELINE: u32 = 100;

/// The order page with `message` (why an action was refused) at `status`.
async fn detail(
    cx: &Cx,
    id: &OrderId,
    message: Option<String>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let order = order::load(client, &member.store_id, id).await?;
        let locations = order::stock_locations(client, &member.store_id).await?;
        let emails = order::emails_sent(client, &member.store_id, id).await?;
        let filter = audit::Filter {
            action: None,
            target: Some(id.as_str()),
        };
        let page = Page {
            limit: TIMELINE,
            offset: 0,
        };
        let (timeline, _) = audit::list(client, &member.store_id, filter, page).await?;
        let allowed = Allowed {
            write: member.may(Permission::OrderWrite),
            refund: member.may(Permission::RefundWrite),
        };
        let facts = OrderFacts {
            order: &order,
            locations: &locations,
            emails: &emails,
            audit: &timeline,
        };
        order_detail_page(shell, facts, allowed, message, status)
    })
    .await
}

/// `GET /admin/orders/:id`: the page, or Medusa's order for API clients.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = order_id(cx)?;
    if cx.wants_json() {
        let store = &cx.member()?.store_id;
        let order = cx
            .with_db(async |client: &Client| order::load(client, store, &id).await)
            .await?;
        return api_json(&json!({ "order": order::order_json(&order, &cx.image_base()) }));
    }
    detail(cx, &id, None, 200).await
}

/// An action's form (or JSON body): cancel and refund need the confirmation box
/// ticked on the page; a refund names its amount (major units) and reason; packing
/// names the units (`qty.<line>` fields on the page, Medusa's `items` in JSON) and the
/// location; shipping names the parcel and may name the carrier and tracking number
/// (or Medusa's `labels`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ActionPost {
    confirm: String,
    reason: String,
    /// Text in a form, a number or text in JSON.
    amount: Option<Value>,
    carrier: String,
    tracking_number: String,
    tracking_url: String,
    /// Medusa's refund note (the reason).
    note: String,
    location_id: String,
    fulfillment_id: String,
    items: Vec<ItemPost>,
    labels: Vec<LabelPost>,
    /// The page's `qty.<line id>` fields.
    #[serde(flatten)]
    rest: std::collections::BTreeMap<String, Value>,
}

/// Medusa's `{id, quantity}` of an order line.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ItemPost {
    id: String,
    quantity: u32,
}

/// Medusa's shipment label.
#[derive(Deserialize, Default)]
#[serde(default)]
struct LabelPost {
    tracking_number: String,
    tracking_url: String,
}

impl ActionPost {
    /// The units and location to pack.
    fn parcel(&self) -> Result<ParcelRequest, ApiError> {
        let location_id = match self.location_id.trim() {
            "" => None,
            text => Some(StockLocationId::parse(text).map_err(|_| {
                ApiError::invalid("location_id", "is not a stock location of this store")
            })?),
        };
        let line = |id: &str, quantity: u32| {
            OrderItemId::parse(id)
                .map(|item_id| ParcelLine { item_id, quantity })
                .map_err(|_| {
                    ApiError::invalid("items", format!("{id} is not a line of this order."))
                })
        };
        let mut items = Vec::new();
        for item in &self.items {
            items.push(line(&item.id, item.quantity)?);
        }
        for (key, value) in &self.rest {
            let Some(id) = key.strip_prefix("qty.") else {
                continue;
            };
            let text = match value {
                Value::String(text) => text.trim().to_owned(),
                other => other.to_string(),
            };
            let quantity = match text.as_str() {
                "" => 0,
                text => text.parse::<u32>().map_err(|_| {
                    ApiError::invalid("items", "Quantities to pack are whole numbers from 0.")
                })?,
            };
            items.push(line(id, quantity)?);
        }
        Ok(ParcelRequest { location_id, items })
    }

    /// The parcel to ship, when one is named.
    fn parcel_id(&self, from_path: Option<&str>) -> Result<Option<FulfillmentId>, ApiError> {
        match from_path.unwrap_or(self.fulfillment_id.trim()) {
            "" => Ok(None),
            text => FulfillmentId::parse(text)
                .map(Some)
                .map_err(|_| ApiError::not_found("Fulfillment", "id", text.to_owned())),
        }
    }

    /// How the parcel leaves: the carrier and tracking number as typed, or Medusa's
    /// first label (its carrier, when not given, is the tracking link's host).
    fn shipment(&self) -> Result<Option<Shipment>, ApiError> {
        let label = self.labels.first();
        let number = match (self.tracking_number.trim(), label) {
            ("", Some(l)) => l.tracking_number.as_str(),
            (typed, _) => typed,
        };
        let link = match (self.tracking_url.trim(), label) {
            ("", Some(l)) => l.tracking_url.as_str(),
            (typed, _) => typed,
        };
        let carrier = match self.carrier.trim() {
            "" => worker::Url::parse(link)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default(),
            typed => typed.to_owned(),
        };
        if carrier.is_empty() {
            return Ok(None);
        }
        Shipment::new(&carrier, number, link).map(Some)
    }
}

/// `POST /admin/orders/:id/{fulfill,ship,deliver,cancel,refund}`: the action through
/// the origin (which moves stock and money), recorded in the audit log; then the order
/// again, or for an API client Medusa's `{order}`. A refused action is the order page
/// saying why (an API client gets the error).
pub async fn act(cx: &mut Cx) -> Result<Response, ApiError> {
    let name = cx
        .url
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let action = OrderAction::parse(&name, "action")?;
    run(cx, action).await
}

/// `POST /admin/orders/:id/fulfillments` (Medusa's): packs `items` at `location_id`.
pub async fn fulfillments(cx: &mut Cx) -> Result<Response, ApiError> {
    run(cx, OrderAction::Fulfill).await
}

/// `POST /admin/orders/:id/fulfillments/:fid/shipments` (Medusa's): ships the parcel
/// with its `labels`.
pub async fn shipments(cx: &mut Cx) -> Result<Response, ApiError> {
    run(cx, OrderAction::Ship).await
}

/// `POST /admin/payments/:id/refund` (Medusa's, for API clients): refunds `amount`
/// (major units; default all that is left) of the order the payment paid, with its
/// `note` as the reason; answers Medusa's payment.
pub async fn refund_payment(cx: &mut Cx) -> Result<Response, ApiError> {
    let raw = cx.param(0).to_owned();
    let payment = OrderTransactionId::parse(&raw)
        .map_err(|_| ApiError::not_found("Payment", "id", raw.clone()))?;
    let store = cx.member()?.store_id.clone();
    let id = cx
        .with_db(async |client: &Client| order::order_of_payment(client, &store, &payment).await)
        .await?;
    let mut posted: ActionPost = cx.json_as().await?;
    if posted.reason.trim().is_empty() {
        posted.reason = std::mem::take(&mut posted.note);
    }
    let after = perform(cx, &id, OrderAction::Refund, posted, true).await?;
    api_json(&json!({ "payment": order::payment_json(&after, &payment) }))
}

async fn run(cx: &mut Cx, action: OrderAction) -> Result<Response, ApiError> {
    let id = order_id(cx)?;
    let api = cx.wants_json();
    let posted: ActionPost = if api {
        cx.json_as().await?
    } else {
        cx.form().await?
    };
    match perform(cx, &id, action, posted, api).await {
        Ok(after) if api => {
            api_json(&json!({ "order": order::order_json(&after, &cx.image_base()) }))
        }
        Ok(_) => http::see_other(&format!("/admin/orders/{}", id.as_str())),
        Err(err)
            if !api
                && err.status() < 500
                && !matches!(err, ApiError::Forbidden { .. } | ApiError::NotFound { .. }) =>
        {
            detail(cx, &id, Some(err.reason()), err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// Checks and performs the action; the order as it is after it.
async fn perform(
    cx: &Cx,
    id: &OrderId,
    action: OrderAction,
    posted: ActionPost,
    api: bool,
) -> Result<order::Order, ApiError> {
    let member = cx.member()?;
    let before = cx
        .with_db(async |client: &Client| order::load(client, &member.store_id, id).await)
        .await?;
    let needed = staff::order_action_permission(action, &before);
    if !member.may(needed) {
        return Err(ApiError::Forbidden {
            permission: needed.as_str().to_owned(),
        });
    }
    if !api
        && matches!(action, OrderAction::Cancel | OrderAction::Refund)
        && posted.confirm != "yes"
    {
        return Err(ApiError::invalid(
            "confirm",
            "Please tick the box to confirm.",
        ));
    }
    let reason = Some(posted.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let amount = match action {
        OrderAction::Refund => {
            if reason.is_none() {
                return Err(ApiError::invalid(
                    "reason",
                    "Please give the reason for the refund.",
                ));
            }
            let text = match &posted.amount {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            let minor = parse_major(&text, before.currency).ok_or_else(|| {
                ApiError::invalid(
                    "amount",
                    "The refund amount is not a number (for example 12.50).",
                )
            })?;
            Some(MinorUnits::new(minor))
        }
        _ => None,
    };
    // Shipping with a carrier records it for the shipping e-mail; without one the
    // parcel is marked shipped all the same.
    let (shipment, fulfillment_id) = match action {
        OrderAction::Ship => (
            posted.shipment()?,
            posted.parcel_id(cx.params.get(1).map(String::as_str))?,
        ),
        _ => (None, None),
    };
    let parcel = match action {
        OrderAction::Fulfill => Some(posted.parcel()?),
        _ => None,
    };
    let req = ActionRequest {
        store_id: member.store_id.clone(),
        action,
        amount,
        actor: Some(member.user_id.clone()),
        reason: reason.clone(),
        shipment: shipment.clone(),
        parcel: parcel.clone(),
        fulfillment_id: fulfillment_id.clone(),
    };
    let path = format!("{ORDERS_PATH}/{}/actions", id.as_str());
    let after = origin::post(&cx.config, &path, &req, &cx.traceparent)
        .await?
        .into_json::<OrderResponse>()?
        .order;
    let from = cx.client();
    let mut change = json!({
            "status": [before.status.as_str(), after.status.as_str()],
            "refunded": [before.refunded_total().get(), after.refunded_total().get()],
            "reason": reason,
            "shipment": shipment,
            "packed": after.fulfillments.iter()
                .filter(|f| !before.fulfillments.iter().any(|b| b.id == f.id))
                .map(|f| json!({"id": f.id, "location": f.location_name, "items": f.items}))
                .collect::<Vec<_>>(),
            "fulfillment_id": fulfillment_id,
    });
    // Only what this action is about: no empty fields.
    if let Value::Object(fields) = &mut change {
        fields.retain(|_, v| !(v.is_null() || v.as_array().is_some_and(Vec::is_empty)));
    }
    let entry = Entry {
        action: &format!("order.{}", action.as_str()),
        target_id: Some(id.as_str()),
        change,
    };
    cx.with_db(async |client: &Client| {
        audit::record(client, member, &from, &cx.trace_id, entry).await
    })
    .await?;
    Ok(after)
}
