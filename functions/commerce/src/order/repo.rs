//! Orders as stored: reading one with its lines and ledger, finding a cart's order,
//! the shopper's lookup by e-mail and order number, and [`apply_action`], the one
//! place a status changes (through [`transition`](super::transition)).

use serde_json::json;
use tokio_postgres::types::Type;
use tokio_postgres::Row;

use super::stock;
use super::{
    transition, Order, OrderAction, OrderItem, OrderStatus, OrderTransaction, StockEffect,
};
use crate::db::{col, json_col, Param, Sql};
use crate::email::Email;
use crate::error::ApiError;
use crate::ids::{CartId, OrderId, StoreId};
use crate::money::CurrencyCode;
use crate::outbox::{self, Topic};

const ORDER_COLUMNS: &str = "
    o.id, o.store_id, o.display_id, o.cart_id, o.status, o.email, o.region_id,
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
     FROM order_transactions t WHERE t.order_id = o.id) AS transactions";

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
pub async fn apply_action<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &OrderId,
    action: OrderAction,
    reason: Option<&str>,
) -> Result<ActionOutcome, ApiError> {
    let order = load_for_update(client, store, id).await?;
    let step = transition(order.status, action)?;
    match step.stock {
        StockEffect::None => {}
        StockEffect::Release => {
            if stock::release(client, id).await? > 0 {
                outbox::enqueue(
                    client,
                    store,
                    Topic::InventoryReleased,
                    json!({"order_id": id, "reason": action.as_str()}),
                    order.trace_id.as_deref(),
                )
                .await?;
            }
        }
        StockEffect::Consume => {
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
    let topic = match action {
        OrderAction::Pay => Some(Topic::OrderCreated),
        OrderAction::Cancel => Some(Topic::OrderCanceled),
        OrderAction::Ship => Some(Topic::OrderShipped),
        _ => None,
    };
    if let Some(topic) = topic {
        outbox::enqueue(
            client,
            store,
            topic,
            json!({"order_id": id, "display_id": order.display_id, "email": order.email,
                   "total": order.total, "currency_code": order.currency.as_str()}),
            order.trace_id.as_deref(),
        )
        .await?;
    }
    let from = order.status;
    let order = load(client, store, id).await?;
    Ok(ActionOutcome { order, from })
}
