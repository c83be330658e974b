//! Placing an order: a cart snapshot from the edge becomes a pending order inside the
//! caller's transaction. Nothing the edge says about money is trusted: the region
//! (currency, tax), every unit price and the shipping amount are read again here, and
//! a cart whose prices or stock moved is refused with what changed, so that a shopper
//! never pays an amount they did not see. The order, its lines and an
//! `inventory.reserved` outbox row are written, then (last, by [`Placed::hold_stock`])
//! the stock is held in one statement ([`stock`](super::stock)), all in the caller's
//! transaction, so either all of it happens or none.

use tokio_postgres::types::{Json, Type};

use super::stock::{self, Need, Shortage};
use super::{Order, OrderItem, OrderShipping, OrderStatus};
use crate::cart::{self, Cart, CartNotice, CartRegion, RemovalReason};
use crate::catalog::variant::{self, CartVariant};
use crate::db::{col, Param, Sql};
use crate::email::Email;
use crate::error::ApiError;
use crate::ids::{OrderId, OrderItemId, StoreId};
use crate::money::MinorUnits;
use crate::outbox::{self, Topic};
use crate::region;
use crate::shipping_option;

/// How long a pending order holds its stock while the shopper pays (and confirms
/// with their bank), unless configured otherwise. Past it the job runner fails the
/// order and releases the stock.
pub const RESERVATION_TTL_SECONDS: i64 = 15 * 60;

/// Most orders one e-mail address may have waiting for payment (pending, their stock
/// held and their hold not yet expired) in one store. Payments a bank has still to
/// confirm hold stock for up to [`RESERVATION_TTL_SECONDS`]; without a cap one shopper
/// could hoard a variant's stock with carts left unpaid. A further order is refused
/// with `too_many_pending_orders` (409) until one of them is paid or expires.
pub const MAX_PENDING_ORDERS_PER_EMAIL: i64 = 3;

/// Most pending orders of one cart. The schema allows one order per cart that has not
/// failed (`orders_live_cart_idx`), so a second placing is refused with
/// `cart_completed` (409); the checkout saga resumes the cart's pending order instead
/// of placing another.
pub const MAX_PENDING_ORDERS_PER_CART: i64 = 1;

/// A new pending order, written with its lines and its `inventory.reserved` event,
/// whose stock is still to hold: [`Placed::hold_stock`] is the transaction's last
/// statement before the commit, because the stock rows it locks stay locked until
/// then, and a hot variant's buyers wait on each other for exactly that long.
#[derive(Debug)]
#[must_use = "the order holds no stock until hold_stock"]
pub struct Placed {
    order: Order,
    holds: Vec<Need>,
}

impl Placed {
    /// The new order's id (to link a payment session before the stock is held).
    pub fn order_id(&self) -> &OrderId {
        &self.order.id
    }

    /// Holds the lines' stock (one statement); the order, once it holds it. Refused
    /// with `insufficient_inventory` when a line cannot be served: the caller rolls
    /// back, and nothing of the order stays.
    pub async fn hold_stock<C: Sql>(self, client: &C) -> Result<Order, ApiError> {
        if let Err(shortages) =
            stock::hold(client, &self.order.store_id, &self.order.id, &self.holds).await?
        {
            return Err(Shortage::error(&shortages));
        }
        Ok(self.order)
    }
}

fn incomplete(what: &str) -> ApiError {
    ApiError::not_allowed(
        crate::ErrorCode::CartIncomplete,
        format!("The cart cannot be completed yet: {what}."),
    )
}

/// What a checkout needs before anything is read: lines, an e-mail, a shipping
/// address and a shipping method.
fn check_complete(cart: &Cart) -> Result<(), ApiError> {
    if cart.items.is_empty() {
        return Err(incomplete("it is empty"));
    }
    if cart.email.as_deref().is_none_or(str::is_empty) {
        return Err(incomplete("an email address is needed"));
    }
    match &cart.shipping_address {
        Some(a) if a.is_complete_for_shipping() => {}
        Some(a) if !a.is_empty() => {
            let missing: Vec<&str> = a.missing_for_shipping().iter().map(|m| m.1).collect();
            return Err(incomplete(&format!(
                "the shipping address needs its {}",
                missing.join(", ")
            )));
        }
        _ => return Err(incomplete("a shipping address is needed")),
    }
    if cart.shipping_method.is_none() {
        return Err(incomplete("a shipping method is needed"));
    }
    Ok(())
}

/// Whether a notice is about stock (then the answer is insufficient inventory).
fn is_stock(notice: &CartNotice) -> bool {
    matches!(
        notice,
        CartNotice::QuantityReduced { .. }
            | CartNotice::Removed {
                reason: RemovalReason::SoldOut,
                ..
            }
    )
}

/// The cart as the database prices it now, or why it cannot be ordered as it is.
async fn reprice<C: Sql>(
    client: &C,
    store: &StoreId,
    snapshot: &Cart,
    now_ms: u64,
) -> Result<(Cart, Vec<CartVariant>), ApiError> {
    let region = region::get(client, store, &snapshot.region.id)
        .await
        .map_err(|e| match e {
            ApiError::NotFound { .. } => incomplete("its region no longer exists"),
            other => other,
        })?;
    let mut cart = snapshot.clone();
    cart.region = CartRegion::from(&region);
    let ids = cart.variant_ids();
    let variants = variant::for_cart(client, store, &ids, cart.region.currency).await?;
    let mut notices = cart::refresh(&mut cart, &variants, now_ms)?;
    let options = shipping_option::for_region(client, store, &cart.region.id).await?;
    notices.extend(cart::refresh_shipping(&mut cart, &options, now_ms));
    let mut messages: Vec<String> = notices.iter().map(CartNotice::message).collect();
    if cart.region != snapshot.region {
        messages.push("The tax or currency of your region changed.".to_owned());
    }
    if messages.is_empty() {
        return Ok((cart, variants));
    }
    let message = format!(
        "The cart changed before it could be ordered: {} Please review it.",
        messages.join(" ")
    );
    Err(if notices.iter().any(is_stock) {
        ApiError::not_allowed(crate::ErrorCode::InsufficientInventory, message)
    } else {
        ApiError::not_allowed(crate::ErrorCode::CartChanged, message)
    })
}

const INSERT_ORDER_SQL: &str = "
    INSERT INTO orders (id, store_id, cart_id, status, email, region_id, currency_code,
        tax_rate_bp, tax_inclusive, shipping_address, billing_address, shipping_method,
        item_total, item_tax_total, shipping_total, shipping_tax_total, tax_total, total,
        reservation_expires_at, trace_id, customer_id)
    VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
        $16, $17, now() + make_interval(secs => $18), $19, $20)
    RETURNING display_id, (extract(epoch FROM created_at) * 1000)::int8 AS created_ms";

const INSERT_ITEMS_SQL: &str = "
    INSERT INTO order_items (order_id, store_id, id, variant_id, product_id, product_title,
        product_handle, variant_title, sku, thumbnail, quantity, unit_price, subtotal,
        tax_total, total, rank)
    SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
        $8::text[], $9::text[], $10::text[], $11::int4[], $12::int8[], $13::int8[],
        $14::int8[], $15::int8[], $16::int4[])";

fn internal(e: impl ToString) -> ApiError {
    ApiError::Internal {
        detail: e.to_string(),
    }
}

/// Places `snapshot` as a pending order of `store`, in `client`'s transaction, its
/// stock held for `reservation_ttl_s` seconds.
///
/// Refusals: `cart_incomplete` (no lines, e-mail, address or shipping),
/// `cart_changed` (prices, tax or shipping moved since the shopper saw them),
/// `insufficient_inventory` (stock ran out, checked atomically per location),
/// `too_many_pending_orders` (the e-mail has [`MAX_PENDING_ORDERS_PER_EMAIL`] orders
/// waiting for payment); the
/// caller rolls the transaction back on any error. Idempotency by cart is the
/// caller's: the schema allows one order per cart that has not failed.
pub async fn place<C: Sql>(
    client: &C,
    store: &StoreId,
    snapshot: &Cart,
    trace_id: Option<&str>,
    now_ms: u64,
    reservation_ttl_s: i64,
) -> Result<Placed, ApiError> {
    if &snapshot.store_id != store {
        return Err(ApiError::not_found("Cart", "id", snapshot.id.as_str()));
    }
    check_complete(snapshot)?;
    if let Some(email) = &snapshot.email {
        check_pending_cap(client, store, email, reservation_ttl_s).await?;
    }
    let (cart, variants) = reprice(client, store, snapshot, now_ms).await?;
    check_complete(&cart)?;
    let totals = cart::totals(&cart)?;
    let method = cart
        .shipping_method
        .as_ref()
        .ok_or_else(|| incomplete("a shipping method is needed"))?;
    let email = cart
        .email
        .clone()
        .ok_or_else(|| incomplete("an email address is needed"))?;
    let shipping_address = cart.shipping_address.clone().unwrap_or_default();
    let order_id = OrderId::generate();
    let shipping = OrderShipping {
        option_id: method.option_id.clone(),
        name: method.name.clone(),
        amount: method.amount,
    };
    let items: Vec<OrderItem> = cart
        .items
        .iter()
        .zip(&totals.lines)
        .map(|(line, t)| OrderItem {
            id: OrderItemId::generate(),
            variant_id: line.variant_id.clone(),
            product_id: line.product_id.clone(),
            product_title: line.product_title.clone(),
            product_handle: line.product_handle.clone(),
            variant_title: line.variant_title.clone(),
            sku: line.sku.clone(),
            thumbnail: line.thumbnail.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            subtotal: MinorUnits::new(t.subtotal),
            tax_total: MinorUnits::new(t.tax),
            total: MinorUnits::new(t.total),
        })
        .collect();

    let currency = cart.region.currency.as_str();
    let tax_rate = i32::try_from(cart.region.tax_rate_bp).map_err(internal)?;
    let ttl = reservation_ttl_s as f64;
    let shipping_json = Json(&shipping);
    let address_json = Json(&shipping_address);
    let billing_json = cart.billing_address.as_ref().map(Json);
    let params: [Param<'_>; 20] = [
        (&order_id, Type::TEXT),
        (store, Type::TEXT),
        (&cart.id, Type::TEXT),
        (&email, Type::TEXT),
        (&cart.region.id, Type::TEXT),
        (&currency, Type::TEXT),
        (&tax_rate, Type::INT4),
        (&cart.region.tax_inclusive, Type::BOOL),
        (&address_json, Type::JSONB),
        (&billing_json, Type::JSONB),
        (&shipping_json, Type::JSONB),
        (&totals.item_total, Type::INT8),
        (&totals.item_tax, Type::INT8),
        (&totals.shipping_total, Type::INT8),
        (&totals.shipping_tax, Type::INT8),
        (&totals.tax_total, Type::INT8),
        (&totals.total, Type::INT8),
        (&ttl, Type::FLOAT8),
        (&trace_id, Type::TEXT),
        (&cart.customer_id, Type::TEXT),
    ];
    let rows = client
        .query_typed(INSERT_ORDER_SQL, &params)
        .await
        .map_err(|e| {
            let live = e
                .as_db_error()
                .and_then(|db| db.constraint())
                .is_some_and(|c| c == "orders_live_cart_idx");
            if live {
                ApiError::conflict(
                    crate::ErrorCode::CartCompleted,
                    "This cart has already been ordered or is being completed.",
                )
            } else {
                ApiError::from(e)
            }
        })?;
    let row = rows
        .first()
        .ok_or_else(|| internal("order insert returned no row"))?;
    let display_id: i64 = col(row, "display_id")?;
    let created_ms: i64 = col(row, "created_ms")?;

    insert_items(client, store, &order_id, &items).await?;

    // Stock last (`Placed::hold_stock`): its row locks are held until commit, so the
    // less work after them, the less a hot variant's buyers wait on each other.
    let mut holds: Vec<Need> = items
        .iter()
        .filter_map(|item| {
            let v = variants.iter().find(|v| v.id == item.variant_id)?;
            v.manage_inventory.then(|| Need {
                item_id: item.id.clone(),
                variant_id: item.variant_id.clone(),
                title: v.product_title.clone(),
                quantity: item.quantity,
                allow_backorder: v.allow_backorder,
            })
        })
        .collect();
    holds.sort_by(|a, b| a.variant_id.cmp(&b.variant_id));
    let reserved = crate::events::InventoryReserved {
        order_id: order_id.to_string(),
        cart_id: cart.id.to_string(),
        items: holds
            .iter()
            .map(|h| crate::events::VariantQuantity {
                variant_id: h.variant_id.to_string(),
                quantity: i64::from(h.quantity),
            })
            .collect(),
    };
    let payload = crate::events::value(&reserved);
    outbox::enqueue(client, store, Topic::InventoryReserved, payload, trace_id).await?;

    let created_at_ms = u64::try_from(created_ms).unwrap_or_default();
    Ok(Placed {
        holds,
        order: Order {
            id: order_id,
            store_id: store.clone(),
            display_id,
            cart_id: cart.id.clone(),
            status: OrderStatus::Pending,
            email,
            customer_id: cart.customer_id.clone(),
            region_id: cart.region.id.clone(),
            currency: cart.region.currency,
            tax_rate_bp: cart.region.tax_rate_bp,
            tax_inclusive: cart.region.tax_inclusive,
            shipping_address,
            billing_address: cart.billing_address.clone(),
            shipping,
            items,
            item_total: MinorUnits::new(totals.item_total),
            item_tax_total: MinorUnits::new(totals.item_tax),
            shipping_total: MinorUnits::new(totals.shipping_total),
            shipping_tax_total: MinorUnits::new(totals.shipping_tax),
            tax_total: MinorUnits::new(totals.tax_total),
            total: MinorUnits::new(totals.total),
            transactions: Vec::new(),
            failure_reason: None,
            shipment: None,
            fulfillments: Vec::new(),
            trace_id: trace_id.map(str::to_owned),
            created_at_ms,
            updated_at_ms: created_at_ms,
        },
    })
}

/// Refuses a new order for `email` when it has [`MAX_PENDING_ORDERS_PER_EMAIL`]
/// pending orders whose stock hold has not expired. The count is taken under a
/// transaction-scoped advisory lock on (store, e-mail), in a statement of its own
/// after the lock is granted, so two checkouts racing for the last place are counted
/// one after the other; the lock ends with the caller's transaction.
async fn check_pending_cap<C: Sql>(
    client: &C,
    store: &StoreId,
    email: &Email,
    reservation_ttl_s: i64,
) -> Result<(), ApiError> {
    let key = email.lookup_key();
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&key, Type::TEXT)];
    client
        .execute_typed(
            "SELECT pg_advisory_xact_lock(hashtextextended('pending-orders:' || $1 || ':' || $2, 0))",
            &params,
        )
        .await?;
    let rows = client
        .query_typed(
            "SELECT count(*) AS pending FROM orders
             WHERE store_id = $1 AND lower(email) = $2 AND status = 'pending'
               AND reservation_expires_at > now()",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| internal("pending order count returned no row"))?;
    let pending: i64 = col(row, "pending")?;
    if pending >= MAX_PENDING_ORDERS_PER_EMAIL {
        return Err(ApiError::conflict(
            crate::ErrorCode::TooManyPendingOrders,
            format!(
                "This e-mail address already has {pending} orders waiting for payment \
                 confirmation. Please finish paying for one of them, or wait until an \
                 unconfirmed one expires (after {} minutes), before placing another.",
                (reservation_ttl_s / 60).max(1)
            ),
        ));
    }
    Ok(())
}

async fn insert_items<C: Sql>(
    client: &C,
    store: &StoreId,
    order_id: &OrderId,
    items: &[OrderItem],
) -> Result<(), ApiError> {
    let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let variants: Vec<&str> = items.iter().map(|i| i.variant_id.as_str()).collect();
    let products: Vec<&str> = items.iter().map(|i| i.product_id.as_str()).collect();
    let titles: Vec<&str> = items.iter().map(|i| i.product_title.as_str()).collect();
    let handles: Vec<&str> = items.iter().map(|i| i.product_handle.as_str()).collect();
    let vtitles: Vec<&str> = items.iter().map(|i| i.variant_title.as_str()).collect();
    let skus: Vec<Option<&str>> = items.iter().map(|i| i.sku.as_deref()).collect();
    let thumbs: Vec<Option<&str>> = items.iter().map(|i| i.thumbnail.as_deref()).collect();
    let quantities: Vec<i32> = items
        .iter()
        .map(|i| i32::try_from(i.quantity).unwrap_or(i32::MAX))
        .collect();
    let prices: Vec<MinorUnits> = items.iter().map(|i| i.unit_price).collect();
    let subtotals: Vec<MinorUnits> = items.iter().map(|i| i.subtotal).collect();
    let taxes: Vec<MinorUnits> = items.iter().map(|i| i.tax_total).collect();
    let totals: Vec<MinorUnits> = items.iter().map(|i| i.total).collect();
    let ranks: Vec<i32> = (0..items.len())
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect();
    let params: [Param<'_>; 16] = [
        (order_id, Type::TEXT),
        (store, Type::TEXT),
        (&ids, Type::TEXT_ARRAY),
        (&variants, Type::TEXT_ARRAY),
        (&products, Type::TEXT_ARRAY),
        (&titles, Type::TEXT_ARRAY),
        (&handles, Type::TEXT_ARRAY),
        (&vtitles, Type::TEXT_ARRAY),
        (&skus, Type::TEXT_ARRAY),
        (&thumbs, Type::TEXT_ARRAY),
        (&quantities, Type::INT4_ARRAY),
        (&prices, Type::INT8_ARRAY),
        (&subtotals, Type::INT8_ARRAY),
        (&taxes, Type::INT8_ARRAY),
        (&totals, Type::INT8_ARRAY),
        (&ranks, Type::INT4_ARRAY),
    ];
    client.execute_typed(INSERT_ITEMS_SQL, &params).await?;
    Ok(())
}
