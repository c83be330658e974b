//! The stock an order holds. Every change is an atomic conditional update inside the
//! caller's transaction, with the rows locked first in one fixed order (variant, then
//! location) so that two orders never wait on each other in a cycle.
//!
//! A line takes its units from the store's locations that stock the variant, in the
//! locations' rank order, never from a location without a stock row. Only a variant
//! that allows backorder may take more than is available; the excess is held at its
//! first location (its available count goes below zero until a restock).

use tokio_postgres::types::Type;

use crate::db::{col, Param, Sql};
use crate::error::ApiError;
use crate::ids::{FulfillmentId, OrderId, OrderItemId, StockLocationId, StoreId, VariantId};

/// A line that cannot be served: how many were asked for and how many are left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    pub variant_id: VariantId,
    pub title: String,
    pub requested: u32,
    pub available: i64,
}

impl Shortage {
    pub fn message(&self) -> String {
        if self.available <= 0 {
            format!("{} is sold out", self.title)
        } else {
            format!(
                "only {} of {} available, {} requested",
                self.available, self.title, self.requested
            )
        }
    }

    /// The error a buyer gets for these shortages (Medusa answers insufficient
    /// inventory with a not_allowed error).
    pub fn error(shortages: &[Shortage]) -> ApiError {
        let list: Vec<String> = shortages.iter().map(Shortage::message).collect();
        ApiError::not_allowed(
            crate::ErrorCode::InsufficientInventory,
            format!(
                "Not enough stock to complete the order: {}. Your cart is unchanged.",
                list.join("; ")
            ),
        )
    }
}

/// What to hold for one line.
#[derive(Debug)]
pub(super) struct Need {
    pub item_id: OrderItemId,
    pub variant_id: VariantId,
    pub title: String,
    pub quantity: u32,
    pub allow_backorder: bool,
}

/// The lines' stock held in one call (migration 0007: rows locked, units taken,
/// reservations recorded); answers the lines that cannot be served.
const HOLD_SQL: &str = "SELECT variant_id, available FROM hold_order_stock($1, $2, $3, $4, $5, $6)";

/// Holds stock for every line (callers pass lines sorted by variant id), recording
/// where each unit was taken, in one statement. Returns the shortages instead when any
/// line cannot be served; the caller then rolls the transaction back.
pub(super) async fn hold<C: Sql>(
    client: &C,
    store: &StoreId,
    order: &OrderId,
    needs: &[Need],
) -> Result<Result<(), Vec<Shortage>>, ApiError> {
    if needs.is_empty() {
        return Ok(Ok(()));
    }
    let items: Vec<&str> = needs.iter().map(|n| n.item_id.as_str()).collect();
    let variants: Vec<&str> = needs.iter().map(|n| n.variant_id.as_str()).collect();
    let quantities: Vec<i32> = needs
        .iter()
        .map(|n| i32::try_from(n.quantity).unwrap_or(i32::MAX))
        .collect();
    let backorder: Vec<bool> = needs.iter().map(|n| n.allow_backorder).collect();
    let params: [Param<'_>; 6] = [
        (store, Type::TEXT),
        (order, Type::TEXT),
        (&items, Type::TEXT_ARRAY),
        (&variants, Type::TEXT_ARRAY),
        (&quantities, Type::INT4_ARRAY),
        (&backorder, Type::BOOL_ARRAY),
    ];
    let rows = client.query_typed(HOLD_SQL, &params).await?;
    if rows.is_empty() {
        return Ok(Ok(()));
    }
    let mut shortages = Vec::with_capacity(rows.len());
    for row in &rows {
        let variant: String = col(row, "variant_id")?;
        let need = needs
            .iter()
            .find(|n| n.variant_id.as_str() == variant)
            .ok_or_else(|| ApiError::internal(format!("hold answered unknown {variant}")))?;
        shortages.push(Shortage {
            variant_id: need.variant_id.clone(),
            title: need.title.clone(),
            requested: need.quantity,
            available: col(row, "available")?,
        });
    }
    Ok(Err(shortages))
}

/// $1 order: the held rows' stock, locked in the fixed order.
const LOCK_HELD_SQL: &str = "
    SELECT 1 FROM inventory_levels il
    JOIN order_reservations r ON r.variant_id = il.variant_id AND r.location_id = il.location_id
    WHERE r.order_id = $1 AND r.state = 'held'
    ORDER BY il.variant_id, il.location_id
    FOR UPDATE OF il";

/// $1 order. Gives back what the order holds.
const RELEASE_SQL: &str = "
    WITH held AS (
        UPDATE order_reservations SET state = 'released'
        WHERE order_id = $1 AND state = 'held'
        RETURNING variant_id, location_id, quantity)
    UPDATE inventory_levels il
    SET reserved = il.reserved - h.quantity, updated_at = now()
    FROM (SELECT variant_id, location_id, sum(quantity)::int4 AS quantity
          FROM held GROUP BY 1, 2) h
    WHERE il.variant_id = h.variant_id AND il.location_id = h.location_id";

/// $1 order. The held units of its shipped parcels leave their locations.
const CONSUME_SQL: &str = "
    WITH held AS (
        UPDATE order_reservations SET state = 'consumed'
        WHERE order_id = $1 AND state = 'held' AND fulfillment_id IN (
            SELECT id FROM order_fulfillments WHERE order_id = $1 AND shipped_at IS NOT NULL)
        RETURNING variant_id, location_id, quantity)
    UPDATE inventory_levels il
    SET reserved = il.reserved - h.quantity,
        stocked = greatest(il.stocked - h.quantity, 0), updated_at = now()
    FROM (SELECT variant_id, location_id, sum(quantity)::int4 AS quantity
          FROM held GROUP BY 1, 2) h
    WHERE il.variant_id = h.variant_id AND il.location_id = h.location_id";

async fn settle_held<C: Sql>(client: &C, order: &OrderId, sql: &str) -> Result<u64, ApiError> {
    let params: [Param<'_>; 1] = [(order, Type::TEXT)];
    client.query_typed(LOCK_HELD_SQL, &params).await?;
    Ok(client.execute_typed(sql, &params).await?)
}

/// Gives back every unit the order still holds; a second call finds nothing held.
/// Returns the number of stock rows changed.
pub async fn release<C: Sql>(client: &C, order: &OrderId) -> Result<u64, ApiError> {
    settle_held(client, order, RELEASE_SQL).await
}

/// The units the order's shipped parcels hold leave stock; a second call finds
/// nothing held.
pub(super) async fn consume<C: Sql>(client: &C, order: &OrderId) -> Result<u64, ApiError> {
    settle_held(client, order, CONSUME_SQL).await
}

/// Units of one line to put in a parcel.
#[derive(Debug)]
pub(super) struct Assign<'a> {
    pub item_id: &'a OrderItemId,
    pub variant_id: &'a VariantId,
    pub title: String,
    pub quantity: u32,
}

/// Assigns `line`'s units to `parcel` at `location`, from what the line holds and no
/// parcel has: first what is held there, then what is held elsewhere, which moves
/// there (given back where it was, taken where the parcel is packed: 409 when that
/// location has too few free). A line that holds nothing (its variant's stock is not
/// managed) has nothing to assign. Lines are assigned in variant order, as they were
/// held.
pub(super) async fn assign<C: Sql>(
    client: &C,
    order: &OrderId,
    line: &Assign<'_>,
    location: &StockLocationId,
    location_name: &str,
    parcel: &FulfillmentId,
) -> Result<(), ApiError> {
    let held = client
        .query_typed(
            "SELECT r.id, r.location_id, r.quantity
             FROM order_reservations r
             JOIN stock_locations sl ON sl.id = r.location_id
             WHERE r.order_id = $1 AND r.item_id = $2 AND r.state = 'held'
               AND r.fulfillment_id IS NULL
             ORDER BY r.location_id = $3 DESC, sl.rank, sl.id",
            &[
                (order, Type::TEXT),
                (line.item_id, Type::TEXT),
                (location, Type::TEXT),
            ],
        )
        .await?;
    if held.is_empty() {
        return Ok(());
    }
    // The stock rows of every location involved, locked in location order.
    let mut locations: Vec<String> = held
        .iter()
        .map(|r| col(r, "location_id"))
        .collect::<Result<_, _>>()?;
    locations.push(location.as_str().to_owned());
    locations.sort();
    locations.dedup();
    client
        .query_typed(
            "SELECT 1 FROM inventory_levels WHERE variant_id = $1 AND location_id = ANY($2)
             ORDER BY location_id FOR UPDATE",
            &[
                (line.variant_id, Type::TEXT),
                (&locations, Type::TEXT_ARRAY),
            ],
        )
        .await?;
    let mut wanted = i32::try_from(line.quantity).unwrap_or(i32::MAX);
    let mut moved = 0;
    for row in &held {
        if wanted == 0 {
            break;
        }
        let id: i64 = col(row, "id")?;
        let at: String = col(row, "location_id")?;
        let quantity: i32 = col(row, "quantity")?;
        let take = quantity.min(wanted);
        wanted -= take;
        let cut = if take == quantity {
            "DELETE FROM order_reservations WHERE id = $1 AND $2::int4 IS NOT NULL"
        } else {
            "UPDATE order_reservations SET quantity = quantity - $2 WHERE id = $1"
        };
        client
            .execute_typed(cut, &[(&id, Type::INT8), (&take, Type::INT4)])
            .await?;
        if at != location.as_str() {
            moved += take;
            client
                .execute_typed(
                    "UPDATE inventory_levels SET reserved = reserved - $3, updated_at = now()
                     WHERE variant_id = $1 AND location_id = $2",
                    &[
                        (line.variant_id, Type::TEXT),
                        (&at, Type::TEXT),
                        (&take, Type::INT4),
                    ],
                )
                .await?;
        }
    }
    if wanted > 0 {
        return Err(ApiError::internal(format!(
            "{} holds {} unit(s) fewer than it has left to pack",
            line.item_id, wanted
        )));
    }
    if moved > 0 {
        let free = client
            .query_typed(
                "UPDATE inventory_levels SET reserved = reserved + $3, updated_at = now()
                 WHERE variant_id = $1 AND location_id = $2 AND stocked - reserved >= $3
                 RETURNING 1",
                &[
                    (line.variant_id, Type::TEXT),
                    (location, Type::TEXT),
                    (&moved, Type::INT4),
                ],
            )
            .await?;
        if free.is_empty() {
            let level = client
                .query_typed(
                    "SELECT greatest(stocked - reserved, 0)::int8 AS free FROM inventory_levels
                     WHERE variant_id = $1 AND location_id = $2",
                    &[(line.variant_id, Type::TEXT), (location, Type::TEXT)],
                )
                .await?;
            let message = match level.first() {
                None => format!("{} is not stocked at {location_name}.", line.title),
                Some(row) => {
                    let free: i64 = col(row, "free")?;
                    format!(
                        "Only {free} of {} are free at {location_name}, and {moved} would have \
                         to move there. Choose another location, or pack fewer.",
                        line.title
                    )
                }
            };
            return Err(ApiError::not_allowed(
                crate::ErrorCode::InsufficientInventory,
                message,
            ));
        }
    }
    let quantity = i32::try_from(line.quantity).unwrap_or(i32::MAX);
    client
        .execute_typed(
            "INSERT INTO order_reservations
                 (order_id, item_id, variant_id, location_id, quantity, fulfillment_id)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                (order, Type::TEXT),
                (line.item_id, Type::TEXT),
                (line.variant_id, Type::TEXT),
                (location, Type::TEXT),
                (&quantity, Type::INT4),
                (parcel, Type::TEXT),
            ],
        )
        .await?;
    Ok(())
}
