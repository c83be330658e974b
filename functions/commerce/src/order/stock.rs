//! The stock an order holds. Every change is an atomic conditional update inside the
//! caller's transaction, with the rows locked first in one fixed order (variant, then
//! location) so that two orders never wait on each other in a cycle.
//!
//! A line takes its units from the store's locations that stock the variant, in the
//! locations' rank order, never from a location without a stock row. Only a variant
//! that allows backorder may take more than is available; the excess is held at its
//! first location (its available count goes below zero until a restock).

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use crate::db::{col, Param};
use crate::error::ApiError;
use crate::ids::{OrderId, OrderItemId, StoreId, VariantId};

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
pub(super) struct Need<'a> {
    pub item_id: &'a OrderItemId,
    pub variant_id: &'a VariantId,
    pub title: &'a str,
    pub quantity: u32,
    pub allow_backorder: bool,
}

/// $1 store, $2 variant: its stock rows, locked, in the order units are taken.
const LOCK_LEVELS_SQL: &str = "
    SELECT il.location_id, il.stocked - il.reserved AS available
    FROM inventory_levels il
    JOIN stock_locations sl ON sl.store_id = il.store_id AND sl.id = il.location_id
    WHERE il.store_id = $1 AND il.variant_id = $2
    ORDER BY sl.rank, sl.id
    FOR UPDATE OF il";

/// $1 variant, $2 location, $3 units, $4 whether more than available may be held.
const HOLD_SQL: &str = "
    UPDATE inventory_levels SET reserved = reserved + $3, updated_at = now()
    WHERE variant_id = $1 AND location_id = $2 AND (stocked - reserved >= $3 OR $4)";

const RECORD_SQL: &str = "
    INSERT INTO order_reservations (order_id, item_id, variant_id, location_id, quantity)
    SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::int4[])";

/// Holds stock for every line (callers pass lines sorted by variant id), recording
/// where each unit was taken. Returns the shortages instead when any line cannot be
/// served; the caller then rolls the transaction back.
pub(super) async fn hold<C: GenericClient + Sync>(
    client: &C,
    store: &StoreId,
    order: &OrderId,
    needs: &[Need<'_>],
) -> Result<Result<(), Vec<Shortage>>, ApiError> {
    let mut shortages = Vec::new();
    let mut taken: Vec<(&OrderItemId, &VariantId, String, i32)> = Vec::new();
    for need in needs {
        let params: [Param<'_>; 2] = [(store, Type::TEXT), (need.variant_id, Type::TEXT)];
        let rows = client.query_typed(LOCK_LEVELS_SQL, &params).await?;
        let mut levels = Vec::with_capacity(rows.len());
        for row in &rows {
            levels.push((
                col::<String>(row, "location_id")?,
                col::<i32>(row, "available")?,
            ));
        }
        let available: i64 = levels.iter().map(|(_, a)| i64::from((*a).max(0))).sum();
        let mut left = i32::try_from(need.quantity).unwrap_or(i32::MAX);
        let mut plan = Vec::new();
        for (location, avail) in &levels {
            let take = left.min((*avail).max(0));
            if take > 0 {
                plan.push((location.clone(), take));
                left -= take;
            }
        }
        if left > 0 {
            match levels.first() {
                Some((first, _)) if need.allow_backorder => {
                    match plan.iter_mut().find(|(l, _)| l == first) {
                        Some(entry) => entry.1 += left,
                        None => plan.push((first.clone(), left)),
                    }
                }
                _ => {
                    shortages.push(Shortage {
                        variant_id: need.variant_id.clone(),
                        title: need.title.to_owned(),
                        requested: need.quantity,
                        available,
                    });
                    continue;
                }
            }
        }
        for (location, qty) in plan {
            let params: [Param<'_>; 4] = [
                (need.variant_id, Type::TEXT),
                (&location, Type::TEXT),
                (&qty, Type::INT4),
                (&need.allow_backorder, Type::BOOL),
            ];
            let n = client.execute_typed(HOLD_SQL, &params).await?;
            if n != 1 {
                return Err(ApiError::Internal {
                    detail: format!(
                        "holding {qty} of {} at {location} updated {n} rows",
                        need.variant_id
                    ),
                });
            }
            taken.push((need.item_id, need.variant_id, location, qty));
        }
    }
    if !shortages.is_empty() {
        return Ok(Err(shortages));
    }
    if !taken.is_empty() {
        let items: Vec<&str> = taken.iter().map(|t| t.0.as_str()).collect();
        let variants: Vec<&str> = taken.iter().map(|t| t.1.as_str()).collect();
        let locations: Vec<&str> = taken.iter().map(|t| t.2.as_str()).collect();
        let quantities: Vec<i32> = taken.iter().map(|t| t.3).collect();
        let params: [Param<'_>; 5] = [
            (order, Type::TEXT),
            (&items, Type::TEXT_ARRAY),
            (&variants, Type::TEXT_ARRAY),
            (&locations, Type::TEXT_ARRAY),
            (&quantities, Type::INT4_ARRAY),
        ];
        client.execute_typed(RECORD_SQL, &params).await?;
    }
    Ok(Ok(()))
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

/// $1 order. The held units leave their locations.
const CONSUME_SQL: &str = "
    WITH held AS (
        UPDATE order_reservations SET state = 'consumed'
        WHERE order_id = $1 AND state = 'held'
        RETURNING variant_id, location_id, quantity)
    UPDATE inventory_levels il
    SET reserved = il.reserved - h.quantity,
        stocked = greatest(il.stocked - h.quantity, 0), updated_at = now()
    FROM (SELECT variant_id, location_id, sum(quantity)::int4 AS quantity
          FROM held GROUP BY 1, 2) h
    WHERE il.variant_id = h.variant_id AND il.location_id = h.location_id";

async fn settle_held<C: GenericClient + Sync>(
    client: &C,
    order: &OrderId,
    sql: &str,
) -> Result<u64, ApiError> {
    let params: [Param<'_>; 1] = [(order, Type::TEXT)];
    client.query_typed(LOCK_HELD_SQL, &params).await?;
    Ok(client.execute_typed(sql, &params).await?)
}

/// Gives back every unit the order still holds; a second call finds nothing held.
/// Returns the number of stock rows changed.
pub async fn release<C: GenericClient + Sync>(
    client: &C,
    order: &OrderId,
) -> Result<u64, ApiError> {
    settle_held(client, order, RELEASE_SQL).await
}

/// The units the order holds leave stock (shipment).
pub(super) async fn consume<C: GenericClient + Sync>(
    client: &C,
    order: &OrderId,
) -> Result<u64, ApiError> {
    settle_held(client, order, CONSUME_SQL).await
}
