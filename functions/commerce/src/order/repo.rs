//! Orders as stored: reading one with its lines and ledger, finding a cart's order,
//! the shopper's lookup by e-mail and order number, and [`apply_action`], the one
//! place a status changes (through [`transition`](super::transition)).

use tokio_postgres::types::{Json, Type};
use tokio_postgres::Row;

use super::fulfillment::{self, ParcelLine, ParcelRequest};
use super::stock;
use super::{
    transition, Order, OrderAction, OrderItem, OrderStatus, OrderTransaction, Shipment, StockEffect,
};
use crate::db::{col, json_col, Param, Sql};
use crate::email::Email;
use crate::error::ApiError;
use crate::ids::{
    CartId, CustomerId, FulfillmentId, OrderId, OrderItemId, OrderTransactionId, StockLocationId,
    StoreId, UserId,
};
use crate::money::CurrencyCode;
use crate::outbox::{self, Topic};

const ORDER_COLUMNS: &str = "
    o.id, o.store_id, o.display_id, o.cart_id, o.status, o.email, o.customer_id, o.region_id,
    o.currency_code, o.tax_rate_bp, o.tax_inclusive, o.shipping_address, o.billing_address,
    o.shipping_method, o.item_total, o.item_tax_total, o.shipping_total,
    o.shipping_tax_total, o.tax_total, o.total, o.failure_reason, o.shipment, o.trace_id,
    (extract(epoch FROM o.created_at) * 1000)::int8 AS created_ms,
    (extract(epoch FROM o.updated_at) * 1000)::int8 AS updated_ms,
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'id', i.id, 'variant_id', i.variant_id, 'product_id', i.product_id,
        'product_title', i.product_title, 'product_handle', i.product_handle,
        'variant_title', i.variant_title, 'sku', i.sku, 'thumbnail', i.thumbnail,
        'quantity', i.quantity, 'unit_price', i.unit_price, 'subtotal', i.subtotal,
        'tax_total', i.tax_total, 'total', i.total) ORDER BY i.rank), '[]')
     FROM order_items i WHERE i.order_id = o.id) AS items,
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'id', t.id, 'kind', t.kind, 'amount', t.amount, 'provider_id', t.provider_id,
        'reference', t.reference,
        'created_at_ms', (extract(epoch FROM t.created_at) * 1000)::int8)
        ORDER BY t.created_at, t.id), '[]')
     FROM order_transactions t WHERE t.order_id = o.id) AS transactions,
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'id', f.id, 'location_id', f.location_id, 'location_name', sl.name,
        'shipment', f.shipment,
        'created_at_ms', (extract(epoch FROM f.created_at) * 1000)::int8,
        'shipped_at_ms', (extract(epoch FROM f.shipped_at) * 1000)::int8,
        'canceled_at_ms', (extract(epoch FROM f.canceled_at) * 1000)::int8,
        'items', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                     'item_id', fi.item_id, 'quantity', fi.quantity) ORDER BY fi.item_id), '[]')
                  FROM order_fulfillment_items fi WHERE fi.fulfillment_id = f.id))
        ORDER BY f.created_at, f.id), '[]')
     FROM order_fulfillments f
     JOIN stock_locations sl ON sl.store_id = f.store_id AND sl.id = f.location_id
     WHERE f.order_id = o.id) AS fulfillments";

fn ms(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

fn order_from_row(row: &Row) -> Result<Order, ApiError> {
    let currency: String = col(row, "currency_code")?;
    let tax_rate: i32 = col(row, "tax_rate_bp")?;
    let status: String = col(row, "status")?;
    let items: Vec<OrderItem> = json_col(row, "items")?;
    let transactions: Vec<OrderTransaction> = json_col(row, "transactions")?;
    Ok(Order {
        id: col(row, "id")?,
        store_id: col(row, "store_id")?,
        display_id: col(row, "display_id")?,
        cart_id: col(row, "cart_id")?,
        status: OrderStatus::parse(&status)?,
        email: col(row, "email")?,
        customer_id: col(row, "customer_id")?,
        region_id: col(row, "region_id")?,
        currency: CurrencyCode::parse(&currency).map_err(|e| ApiError::Internal {
            detail: format!("order currency: {e}"),
        })?,
        tax_rate_bp: u32::try_from(tax_rate).unwrap_or_default(),
        tax_inclusive: col(row, "tax_inclusive")?,
        shipping_address: json_col(row, "shipping_address")?,
        billing_address: json_col(row, "billing_address")?,
        shipping: json_col(row, "shipping_method")?,
        items,
        item_total: col(row, "item_total")?,
        item_tax_total: col(row, "item_tax_total")?,
        shipping_total: col(row, "shipping_total")?,
        shipping_tax_total: col(row, "shipping_tax_total")?,
        tax_total: col(row, "tax_total")?,
        total: col(row, "total")?,
        transactions,
        failure_reason: col(row, "failure_reason")?,
        shipment: json_col(row, "shipment")?,
        fulfillments: json_col(row, "fulfillments")?,
        trace_id: col(row, "trace_id")?,
        created_at_ms: ms(col(row, "created_ms")?),
        updated_at_ms: ms(col(row, "updated_ms")?),
    })
}

async fn one<C: Sql>(
    client: &C,
    filter: &str,
    params: &[Param<'_>],
) -> Result<Option<Order>, ApiError> {
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders o WHERE {filter}");
    let rows = client.query_typed(&sql, params).await?;
    rows.first().map(order_from_row).transpose()
}

/// Order `id` of `store`; another store's order is not found.
pub async fn load<C: Sql>(client: &C, store: &StoreId, id: &OrderId) -> Result<Order, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    one(client, "o.store_id = $1 AND o.id = $2", &params)
        .await?
        .ok_or_else(|| ApiError::not_found("Order", "id", id.as_str()))
}

/// Like [`load`], with the order's row locked for the caller's transaction: every
/// change of an order's status happens under this lock.
pub async fn load_for_update<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &OrderId,
) -> Result<Order, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let locked = client
        .query_typed(
            "SELECT 1 FROM orders WHERE store_id = $1 AND id = $2 FOR UPDATE",
            &params,
        )
        .await?;
    if locked.is_empty() {
        return Err(ApiError::not_found("Order", "id", id.as_str()));
    }
    load(client, store, id).await
}

/// The cart's order that has not failed, if any (at most one exists).
pub async fn by_cart<C: Sql>(
    client: &C,
    store: &StoreId,
    cart: &CartId,
) -> Result<Option<Order>, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (cart, Type::TEXT)];
    one(
        client,
        "o.store_id = $1 AND o.cart_id = $2 AND o.status <> 'failed'",
        &params,
    )
    .await
}

/// Whose orders a customer's history shows: the orders of their carts, and (once
/// they verified it) those placed as a guest with their e-mail address.
#[derive(Debug, Clone, Copy)]
pub struct History<'a> {
    pub store: &'a StoreId,
    pub customer: &'a CustomerId,
    /// The customer's address when verified, lower-cased.
    pub verified_email: Option<&'a str>,
}

/// A page of a customer's orders, newest first (of `status` when given; without one,
/// attempts that failed, which their cart then ordered again, are left out), and how
/// many there are.
pub async fn history<C: Sql>(
    client: &C,
    of: History<'_>,
    status: Option<OrderStatus>,
    page: crate::params::Page,
) -> Result<(Vec<Order>, i64), ApiError> {
    let filter = "o.store_id = $1
        AND (o.customer_id = $2 OR (o.customer_id IS NULL AND lower(o.email) = $3))
        AND (o.status = $4 OR ($4::text IS NULL AND o.status <> 'failed'))";
    // `total` is an order's column here: the window's count is `matches`.
    let sql = format!(
        "SELECT {ORDER_COLUMNS}, count(*) OVER () AS matches FROM orders o WHERE {filter}
         ORDER BY o.created_at DESC, o.id DESC LIMIT $5 OFFSET $6"
    );
    let status = status.map(OrderStatus::as_str);
    let (limit, offset) = (i64::from(page.limit), i64::from(page.offset));
    let filter_params: [Param<'_>; 4] = [
        (of.store, Type::TEXT),
        (of.customer, Type::TEXT),
        (&of.verified_email, Type::TEXT),
        (&status, Type::TEXT),
    ];
    let mut params = filter_params.to_vec();
    params.extend([(&limit as _, Type::INT8), (&offset as _, Type::INT8)]);
    let rows = client.query_typed(&sql, &params).await?;
    let total = match rows.first() {
        Some(row) => col(row, "matches")?,
        None => {
            let count = format!("SELECT count(*) AS matches FROM orders o WHERE {filter}");
            let counted = client.query_typed(&count, &filter_params).await?;
            counted
                .first()
                .map(|r| col(r, "matches"))
                .transpose()?
                .unwrap_or(0)
        }
    };
    let orders = rows.iter().map(order_from_row).collect::<Result<_, _>>()?;
    Ok((orders, total))
}

/// The shopper's lookup without an account: the order number and the e-mail it was
/// placed with (case-insensitive) must both match. A miss is one not-found answer,
/// whichever part was wrong.
pub async fn lookup<C: Sql>(
    client: &C,
    store: &StoreId,
    email: &Email,
    display_id: i64,
) -> Result<Order, ApiError> {
    let email = email.lookup_key();
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (&display_id, Type::INT8),
        (&email, Type::TEXT),
    ];
    one(
        client,
        "o.store_id = $1 AND o.display_id = $2 AND lower(o.email) = $3 AND o.status <> 'failed'",
        &params,
    )
    .await?
    .ok_or_else(|| {
        ApiError::not_found(
            "Order",
            "number and email",
            format!("#{display_id} and the email given"),
        )
    })
}

/// Pending orders whose stock hold has expired, oldest first (for the job runner).
pub async fn expired_pending<C: Sql>(
    client: &C,
    limit: i64,
) -> Result<Vec<(StoreId, OrderId)>, ApiError> {
    let params: [Param<'_>; 1] = [(&limit, Type::INT8)];
    let rows = client
        .query_typed(
            "SELECT store_id, id FROM orders
             WHERE status = 'pending' AND reservation_expires_at <= now()
             ORDER BY reservation_expires_at LIMIT $1",
            &params,
        )
        .await?;
    rows.iter()
        .map(|r| Ok((col(r, "store_id")?, col(r, "id")?)))
        .collect()
}

/// What [`apply_action`] did.
#[derive(Debug, Clone)]
pub struct ActionOutcome {
    pub order: Order,
    pub from: OrderStatus,
}

/// Applies `action` to order `id` in `client`'s transaction: locks the order, checks
/// the transition (a refused one is a 409), moves the stock as the transition says,
/// records the new status (and `reason` for failures) and writes the outbox events.
/// Refunds are recorded in the ledger by the caller; here they only pass the check.
/// Packing packs every unit not yet packed where it is held, shipping ships every
/// parcel waiting ([`pack`] and [`ship_parcels`] choose units, location and parcel).
pub async fn apply_action<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &OrderId,
    action: OrderAction,
    reason: Option<&str>,
) -> Result<ActionOutcome, ApiError> {
    match action {
        OrderAction::Fulfill => Ok(pack(client, store, id, &ParcelRequest::default(), None)
            .await?
            .0),
        OrderAction::Ship => Ok(ship_parcels(client, store, id, None, None).await?.0),
        _ => apply(client, store, id, action, reason, &[]).await,
    }
}

/// [`apply_action`], naming the parcels the action packed or shipped in its event.
async fn apply<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &OrderId,
    action: OrderAction,
    reason: Option<&str>,
    parcels: &[FulfillmentId],
) -> Result<ActionOutcome, ApiError> {
    let order = load_for_update(client, store, id).await?;
    let step = transition(order.status, action, order.progress())?;
    match step.stock {
        StockEffect::None => {}
        StockEffect::Release => {
            // Parcels not yet gone are unpacked: their units go back too.
            client
                .execute_typed(
                    "UPDATE order_fulfillments SET canceled_at = now()
                     WHERE order_id = $1 AND shipped_at IS NULL AND canceled_at IS NULL",
                    &[(id, Type::TEXT)],
                )
                .await?;
            if stock::release(client, id).await? > 0 {
                let released = crate::events::value(&crate::events::InventoryReleased {
                    order_id: id.to_string(),
                    reason: action.as_str().to_owned(),
                });
                let trace = order.trace_id.as_deref();
                outbox::enqueue(client, store, Topic::InventoryReleased, released, trace).await?;
            }
        }
        StockEffect::ConsumeParcels => {
            stock::consume(client, id).await?;
        }
    }
    if step.to != step.from || reason.is_some() {
        let status = step.to.as_str();
        let params: [Param<'_>; 4] = [
            (store, Type::TEXT),
            (id, Type::TEXT),
            (&status, Type::TEXT),
            (&reason, Type::TEXT),
        ];
        client
            .execute_typed(
                "UPDATE orders SET status = $3, updated_at = now(),
                     failure_reason = coalesce($4, failure_reason),
                     reservation_expires_at = CASE WHEN $3 = 'pending'
                         THEN reservation_expires_at END
                 WHERE store_id = $1 AND id = $2",
                &params,
            )
            .await?;
    }
    if action == OrderAction::Ship {
        // Each parcel handed over with a carrier's label: its carrier and number.
        for parcel in order
            .fulfillments
            .iter()
            .filter(|f| parcels.contains(&f.id))
        {
            if let Some(label) = &parcel.shipment {
                let payload = crate::events::value(&crate::events::ShippingLabelCreated {
                    order_id: id.to_string(),
                    fulfillment_id: parcel.id.to_string(),
                    carrier: label.carrier.clone(),
                    tracking_number: label.tracking_number.clone(),
                    tracking_url: label.tracking_url.clone(),
                });
                let trace = order.trace_id.as_deref();
                outbox::enqueue(client, store, Topic::ShippingLabelCreated, payload, trace).await?;
            }
        }
    }
    let topic = match action {
        OrderAction::Pay => Some(Topic::OrderCreated),
        OrderAction::Cancel => Some(Topic::OrderCanceled),
        OrderAction::Fulfill => Some(Topic::OrderFulfilled),
        OrderAction::Ship => Some(Topic::OrderShipped),
        OrderAction::Deliver => Some(Topic::OrderDelivered),
        OrderAction::Fail | OrderAction::Refund => None,
    };
    if let Some(topic) = topic {
        let payload = crate::events::value(&crate::events::OrderChanged {
            order_id: id.to_string(),
            display_id: order.display_id,
            email: order.email.as_str().to_owned(),
            total: order.total.get(),
            currency_code: order.currency.as_str().to_owned(),
            fulfillment_ids: parcels.iter().map(ToString::to_string).collect(),
        });
        outbox::enqueue(client, store, topic, payload, order.trace_id.as_deref()).await?;
    }
    let from = order.status;
    let order = load(client, store, id).await?;
    if action == OrderAction::Pay {
        // The analytics' purchase, with the payment (its key is the order's), at the
        // database's time (this code also builds for wasm, which has no clock of its own).
        let rows = client
            .query_typed(
                "SELECT (extract(epoch FROM now()) * 1000)::int8 AS now_ms",
                &[],
            )
            .await?;
        let now_ms = u64::try_from(col::<i64>(&rows[0], "now_ms")?).unwrap_or(0);
        let event = crate::analytics::record::purchase(&order, now_ms);
        crate::analytics::insert_batch(client, &[event]).await?;
    }
    Ok(ActionOutcome { order, from })
}

/// Packs units of order `id` in parcels, in `client`'s transaction: what `request`
/// asks ([`fulfillment::plan`]), at its location (the held stock moves there) or,
/// without one, where the stock is held (a parcel per location). `by` is the staff
/// member packing. Answers the order after it and the new parcels.
pub async fn pack<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &OrderId,
    request: &ParcelRequest,
    by: Option<&UserId>,
) -> Result<(ActionOutcome, Vec<FulfillmentId>), ApiError> {
    let order = load_for_update(client, store, id).await?;
    transition(order.status, OrderAction::Fulfill, order.progress())?;
    let mut lines = fulfillment::plan(&order, request)?;
    let item = |line: &ParcelLine| {
        order
            .items
            .iter()
            .find(|i| i.id == line.item_id)
            .ok_or_else(|| ApiError::internal("a planned line is not in the order"))
    };
    // Lines in variant order, as their stock was held (locks in one order).
    lines.sort_by(|a, b| {
        let va = item(a).map(|i| i.variant_id.clone()).ok();
        let vb = item(b).map(|i| i.variant_id.clone()).ok();
        va.cmp(&vb)
    });
    let parcels_at: Vec<(StockLocationId, String, Vec<ParcelLine>)> = match &request.location_id {
        Some(location) => {
            let name = location_name(client, store, location).await?;
            vec![(location.clone(), name, lines)]
        }
        None => where_held(client, store, id, &lines).await?,
    };
    let mut made = Vec::with_capacity(parcels_at.len());
    for (location, name, lines) in &parcels_at {
        let parcel = FulfillmentId::generate();
        client
            .execute_typed(
                "INSERT INTO order_fulfillments (id, store_id, order_id, location_id, created_by)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    (&parcel, Type::TEXT),
                    (store, Type::TEXT),
                    (id, Type::TEXT),
                    (location, Type::TEXT),
                    (&by, Type::TEXT),
                ],
            )
            .await?;
        for line in lines {
            let item = item(line)?;
            let assign = stock::Assign {
                item_id: &item.id,
                variant_id: &item.variant_id,
                title: item.display_title(),
                quantity: line.quantity,
            };
            stock::assign(client, id, &assign, location, name, &parcel).await?;
            let quantity = i32::try_from(line.quantity).unwrap_or(i32::MAX);
            client
                .execute_typed(
                    "INSERT INTO order_fulfillment_items (fulfillment_id, item_id, quantity)
                     VALUES ($1, $2, $3)",
                    &[
                        (&parcel, Type::TEXT),
                        (&item.id, Type::TEXT),
                        (&quantity, Type::INT4),
                    ],
                )
                .await?;
        }
        made.push(parcel);
    }
    let outcome = apply(client, store, id, OrderAction::Fulfill, None, &made).await?;
    Ok((outcome, made))
}

/// The order a payment (Medusa's; here the order's capture in the ledger) belongs
/// to; a payment of another store is not found.
pub async fn order_of_payment<C: Sql>(
    client: &C,
    store: &StoreId,
    payment: &OrderTransactionId,
) -> Result<OrderId, ApiError> {
    let rows = client
        .query_typed(
            "SELECT o.id FROM order_transactions t JOIN orders o ON o.id = t.order_id
             WHERE t.id = $1 AND t.kind = 'capture' AND o.store_id = $2",
            &[(payment, Type::TEXT), (store, Type::TEXT)],
        )
        .await?;
    match rows.first() {
        Some(row) => col(row, "id"),
        None => Err(ApiError::not_found("Payment", "id", payment.as_str())),
    }
}

/// An e-mail the shopper was sent about an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub sent_at_ms: u64,
}

/// The e-mails sent about order `id` of `store`, oldest first.
pub async fn emails_sent<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &OrderId,
) -> Result<Vec<SentEmail>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT to_address, subject, (extract(epoch FROM sent_at) * 1000)::int8 AS sent_ms
             FROM sent_emails WHERE store_id = $1 AND order_id = $2 ORDER BY sent_at, key",
            &[(store, Type::TEXT), (id, Type::TEXT)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(SentEmail {
                to: col(r, "to_address")?,
                subject: col(r, "subject")?,
                sent_at_ms: ms(col(r, "sent_ms")?),
            })
        })
        .collect()
}

/// The store's stock locations (id, name) in rank order: where staff may pack.
pub async fn stock_locations<C: Sql>(
    client: &C,
    store: &StoreId,
) -> Result<Vec<(StockLocationId, String)>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT id, name FROM stock_locations WHERE store_id = $1 ORDER BY rank, id",
            &[(store, Type::TEXT)],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((col(r, "id")?, col(r, "name")?)))
        .collect()
}

/// The name of `location` of `store`; 400 naming `location_id` for any other.
async fn location_name<C: Sql>(
    client: &C,
    store: &StoreId,
    location: &StockLocationId,
) -> Result<String, ApiError> {
    let rows = client
        .query_typed(
            "SELECT name FROM stock_locations WHERE store_id = $1 AND id = $2",
            &[(store, Type::TEXT), (location, Type::TEXT)],
        )
        .await?;
    match rows.first() {
        Some(row) => col(row, "name"),
        None => Err(ApiError::invalid(
            "location_id",
            "is not a stock location of this store",
        )),
    }
}

/// `lines` split by where their units are held and no parcel has them, in the
/// locations' rank order. Units not held anywhere (stock not managed) go to the
/// location of the line's first held units, else the store's first location.
async fn where_held<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &OrderId,
    lines: &[ParcelLine],
) -> Result<Vec<(StockLocationId, String, Vec<ParcelLine>)>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT r.item_id, r.location_id, sl.name, r.quantity
             FROM order_reservations r
             JOIN stock_locations sl ON sl.store_id = $1 AND sl.id = r.location_id
             WHERE r.order_id = $2 AND r.state = 'held' AND r.fulfillment_id IS NULL
             ORDER BY sl.rank, sl.id",
            &[(store, Type::TEXT), (id, Type::TEXT)],
        )
        .await?;
    type Parcels = Vec<(StockLocationId, String, Vec<ParcelLine>)>;
    fn put(parcels: &mut Parcels, location: StockLocationId, name: String, line: ParcelLine) {
        match parcels.iter_mut().find(|(l, _, _)| *l == location) {
            Some((_, _, lines)) => lines.push(line),
            None => parcels.push((location, name, vec![line])),
        }
    }
    let mut parcels: Parcels = Vec::new();
    let mut unheld = Vec::new();
    for line in lines {
        let mut left = line.quantity;
        for row in &rows {
            let item: OrderItemId = col(row, "item_id")?;
            if left == 0 || item != line.item_id {
                continue;
            }
            let held: i32 = col(row, "quantity")?;
            let take = left.min(u32::try_from(held).unwrap_or_default());
            left -= take;
            put(
                &mut parcels,
                col(row, "location_id")?,
                col(row, "name")?,
                ParcelLine {
                    item_id: item,
                    quantity: take,
                },
            );
        }
        if left > 0 {
            unheld.push(ParcelLine {
                item_id: line.item_id.clone(),
                quantity: left,
            });
        }
    }
    if !unheld.is_empty() {
        let (location, name) = match parcels.first() {
            Some((l, n, _)) => (l.clone(), n.clone()),
            None => {
                let first = client
                    .query_typed(
                        "SELECT id, name FROM stock_locations WHERE store_id = $1
                         ORDER BY rank, id LIMIT 1",
                        &[(store, Type::TEXT)],
                    )
                    .await?;
                let row = first.first().ok_or_else(|| {
                    ApiError::invalid("location_id", "the store has no stock location")
                })?;
                (col(row, "id")?, col(row, "name")?)
            }
        };
        for line in unheld {
            put(&mut parcels, location.clone(), name.clone(), line);
        }
    }
    Ok(parcels)
}

/// Ships parcel `parcel` of order `id` (none named: every packed parcel still waiting)
/// with `shipment`, in `client`'s transaction: the parcels' held stock leaves, the
/// order moves on, and the shipping event names the parcels (each gets its e-mail).
pub async fn ship_parcels<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &OrderId,
    parcel: Option<&FulfillmentId>,
    shipment: Option<&Shipment>,
) -> Result<(ActionOutcome, Vec<FulfillmentId>), ApiError> {
    let order = load_for_update(client, store, id).await?;
    transition(order.status, OrderAction::Ship, order.progress())?;
    let targets: Vec<FulfillmentId> = match parcel {
        Some(p) => {
            let found = order
                .fulfillments
                .iter()
                .find(|f| f.id == *p)
                .ok_or_else(|| ApiError::not_found("Fulfillment", "id", p.as_str()))?;
            if !found.is_waiting() {
                return Err(ApiError::conflict(
                    crate::ErrorCode::InvalidOrderTransition,
                    "This parcel has shipped already.",
                ));
            }
            vec![p.clone()]
        }
        None => order
            .fulfillments
            .iter()
            .filter(|f| f.is_waiting())
            .map(|f| f.id.clone())
            .collect(),
    };
    if targets.is_empty() {
        return Err(ApiError::conflict(
            crate::ErrorCode::InvalidOrderTransition,
            "No packed parcel is waiting to ship.",
        ));
    }
    let value = shipment.map(Json);
    client
        .execute_typed(
            "UPDATE order_fulfillments SET shipped_at = now(), shipment = $2
             WHERE id = ANY($1)",
            &[(&targets, Type::TEXT_ARRAY), (&value, Type::JSONB)],
        )
        .await?;
    if let Some(shipment) = shipment {
        super::shipment::record(client, store, id, shipment).await?;
    }
    let outcome = apply(client, store, id, OrderAction::Ship, None, &targets).await?;
    Ok((outcome, targets))
}
