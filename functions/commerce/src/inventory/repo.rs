//! The SQL of stock management: a variant's levels, a change with its ledger row and
//! event, the ledger of a variant.

use tokio_postgres::types::Type;
use tokio_postgres::Row;

use super::{apply, LedgerEntry, Level, Reason, StockChange, VariantInfo, VariantStock};
use crate::db::{col, list_page, ListQuery, Param, Sql};
use crate::error::ApiError;
use crate::ids::{PurchaseOrderId, StockLocationId, StoreId, VariantId};
use crate::outbox::{self, Topic};
use crate::params::{Page, SearchText};

/// Who makes a change, as the ledger records it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor<'a> {
    pub user_id: Option<&'a str>,
    pub api_key_id: Option<&'a str>,
    /// The role they had (its audit name).
    pub role: Option<&'a str>,
    pub trace_id: Option<&'a str>,
}

/// A change as written: the level before and after, and its ledger row's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub before: Level,
    pub after: Level,
    pub ledger_id: i64,
}

const VARIANT_SQL: &str = "
    SELECT v.id, v.title, v.sku, v.manage_inventory, api_ts(v.created_at) AS created_at,
           p.id AS product_id, p.title AS product_title, t.threshold
    FROM product_variants v JOIN products p ON p.id = v.product_id
    LEFT JOIN variant_stock_thresholds t ON t.variant_id = v.id
    WHERE v.store_id = $1 AND v.id = $2";

/// Every location of the store with the variant's level there (none yet: zeros and
/// version 0), in the locations' order.
const LEVELS_SQL: &str = "
    SELECT l.id AS location_id, l.name AS location_name,
           coalesce(il.stocked, 0) AS stocked, coalesce(il.reserved, 0) AS reserved,
           coalesce(il.version, 0) AS version, api_ts(il.updated_at) AS updated_at
    FROM stock_locations l
    LEFT JOIN inventory_levels il ON il.location_id = l.id AND il.variant_id = $2
    WHERE l.store_id = $1
    ORDER BY l.rank, l.id";

fn level_from_row(row: &Row) -> Result<Level, ApiError> {
    Ok(Level {
        location_id: col(row, "location_id")?,
        location_name: col(row, "location_name")?,
        stocked: col(row, "stocked")?,
        reserved: col(row, "reserved")?,
        version: col(row, "version")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// The variant `id` of `store` with its levels at every location of the store.
pub async fn variant_stock<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &VariantId,
) -> Result<VariantStock, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let variant = client.query_typed(VARIANT_SQL, &params).await?;
    let Some(row) = variant.first() else {
        return Err(ApiError::not_found("Variant", "id", id.as_str()));
    };
    let variant = VariantInfo {
        id: col(row, "id")?,
        title: col(row, "title")?,
        sku: col(row, "sku")?,
        product_id: col(row, "product_id")?,
        product_title: col(row, "product_title")?,
        manage_inventory: col(row, "manage_inventory")?,
        created_at: col(row, "created_at")?,
        low_stock_threshold: col(row, "threshold")?,
    };
    let levels = client.query_typed(LEVELS_SQL, &params).await?;
    let levels = levels
        .iter()
        .map(level_from_row)
        .collect::<Result<_, _>>()?;
    Ok(VariantStock { variant, levels })
}

/// The level written only if it is still the version read and still holds what orders
/// reserve: checkouts may reserve between the read and the write (that does not move
/// the version), and the count must never drop under what they hold.
const WRITE_SQL: &str = "
    UPDATE inventory_levels SET stocked = $4, updated_at = now()
    WHERE store_id = $1 AND variant_id = $2 AND location_id = $3
      AND version = $5 AND reserved <= $4
    RETURNING stocked, reserved, version, api_ts(updated_at) AS updated_at";

/// A level for a variant never stocked at the location, so that the write has a row.
const ENSURE_SQL: &str = "
    INSERT INTO inventory_levels (store_id, variant_id, location_id, version)
    VALUES ($1, $2, $3, 0) ON CONFLICT (variant_id, location_id) DO NOTHING";

const LEDGER_SQL: &str = "
    INSERT INTO inventory_ledger
        (store_id, variant_id, location_id, reason, note, stocked_before, stocked_after,
         user_id, api_key_id, role, trace_id, purchase_order_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
    RETURNING id";

/// A staff count is news for cached pages (unlike a sale): the catalog version moves,
/// unless the transaction bumps it once at its end (a catalog import, migration 0017).
const BUMP_SQL: &str = "UPDATE stores SET catalog_version = catalog_version + 1
    WHERE id = $1
      AND current_setting('edgeshop.defer_catalog_version', true) IS DISTINCT FROM 'on'";

/// How often a change is tried again when the level moved between its read and its
/// write (a checkout reserving, a shipment) and the change did not name a version.
const ATTEMPTS: usize = 3;

/// Changes the count of `variant` at `location` as `req` asks ([`apply`] decides),
/// writes its ledger row and the `inventory.adjusted` event. Run it in a transaction
/// (with the audit record): the three writes stand or fall together.
pub async fn change<C: Sql>(
    client: &C,
    store: &StoreId,
    variant: &VariantId,
    location: &StockLocationId,
    req: &StockChange,
    actor: Actor<'_>,
) -> Result<Changed, ApiError> {
    change_for(client, store, variant, location, req, actor, None).await
}

/// As [`change`], for a purchase order's delivery: the ledger row points at it.
pub async fn change_for<C: Sql>(
    client: &C,
    store: &StoreId,
    variant: &VariantId,
    location: &StockLocationId,
    req: &StockChange,
    actor: Actor<'_>,
    purchase_order: Option<&PurchaseOrderId>,
) -> Result<Changed, ApiError> {
    let stock = variant_stock(client, store, variant).await?;
    if stock.level(location).is_none() {
        return Err(ApiError::not_found(
            "Stock location",
            "id",
            location.as_str(),
        ));
    }
    let keys: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (variant, Type::TEXT),
        (location, Type::TEXT),
    ];
    client.execute_typed(ENSURE_SQL, &keys).await?;
    let mut stock = stock;
    for _ in 0..ATTEMPTS {
        let Some(before) = stock.level(location).cloned() else {
            return Err(ApiError::not_found(
                "Stock location",
                "id",
                location.as_str(),
            ));
        };
        let after = apply(&before, req)?;
        let params: [Param<'_>; 5] = [
            (store, Type::TEXT),
            (variant, Type::TEXT),
            (location, Type::TEXT),
            (&after, Type::INT4),
            (&before.version, Type::INT8),
        ];
        let written = client.query_typed(WRITE_SQL, &params).await?;
        if let Some(row) = written.first() {
            let after = Level {
                stocked: col(row, "stocked")?,
                reserved: col(row, "reserved")?,
                version: col(row, "version")?,
                updated_at: col(row, "updated_at")?,
                ..before.clone()
            };
            let ledger_id = record(
                client,
                store,
                (variant, location),
                req,
                (&before, &after),
                actor,
                purchase_order,
            )
            .await?;
            return Ok(Changed {
                before,
                after,
                ledger_id,
            });
        }
        // Moved since the read: read again, and decide again (a named version now
        // refuses; otherwise the change applies to the level as it is).
        stock = variant_stock(client, store, variant).await?;
    }
    Err(ApiError::Conflict {
        code: crate::error::ErrorCode::StaleInventoryLevel,
        message: "The stock kept changing while this change was written; please try again."
            .to_owned(),
    })
}

/// The ledger row and the event of a written change.
async fn record<C: Sql>(
    client: &C,
    store: &StoreId,
    (variant, location): (&VariantId, &StockLocationId),
    req: &StockChange,
    (before, after): (&Level, &Level),
    actor: Actor<'_>,
    purchase_order: Option<&PurchaseOrderId>,
) -> Result<i64, ApiError> {
    let reason = req.reason.as_str();
    let params: [Param<'_>; 12] = [
        (store, Type::TEXT),
        (variant, Type::TEXT),
        (location, Type::TEXT),
        (&reason, Type::TEXT),
        (&req.note, Type::TEXT),
        (&before.stocked, Type::INT4),
        (&after.stocked, Type::INT4),
        (&actor.user_id, Type::TEXT),
        (&actor.api_key_id, Type::TEXT),
        (&actor.role, Type::TEXT),
        (&actor.trace_id, Type::TEXT),
        (&purchase_order, Type::TEXT),
    ];
    let rows = client.query_typed(LEDGER_SQL, &params).await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::internal("the ledger row was not written"))?;
    let ledger_id: i64 = col(row, "id")?;
    let payload = crate::events::value(&crate::events::InventoryAdjusted {
        variant_id: variant.to_string(),
        location_id: location.to_string(),
        reason: reason.to_owned(),
        note: req.note.clone(),
        stocked_before: i64::from(before.stocked),
        stocked_after: i64::from(after.stocked),
        delta: i64::from(after.stocked) - i64::from(before.stocked),
        reserved: i64::from(after.reserved),
        version: after.version,
        ledger_id,
        user_id: actor.user_id.map(str::to_owned),
        api_key_id: actor.api_key_id.map(str::to_owned),
        purchase_order_id: purchase_order.map(|p| p.to_string()),
    });
    outbox::enqueue(
        client,
        store,
        Topic::InventoryAdjusted,
        payload,
        actor.trace_id,
    )
    .await?;
    // Cached pages and Store API answers show stock as it was when they were stored;
    // a new catalog version moves them to new keys, so a restock shows within the
    // window in which the edge rereads the version.
    client
        .execute_typed(BUMP_SQL, &[(store, Type::TEXT)])
        .await?;
    Ok(ledger_id)
}

/// The ledger of `variant` (all locations), newest first.
pub async fn history<C: Sql>(
    client: &C,
    store: &StoreId,
    variant: &VariantId,
    page: Page,
) -> Result<(Vec<LedgerEntry>, i64), ApiError> {
    const WHERE: &str = "g.store_id = $1 AND g.variant_id = $2";
    let sql = format!(
        "SELECT g.id, g.variant_id, g.location_id, l.name AS location_name, g.reason, g.note,
                g.stocked_before, g.stocked_after, coalesce(u.email, g.user_id) AS by,
                coalesce(k.title, g.api_key_id) AS api_key, api_ts(g.created_at) AS at,
                (SELECT count(*) FROM inventory_ledger g WHERE {WHERE}) AS total
         FROM inventory_ledger g
         JOIN stock_locations l ON l.id = g.location_id
         LEFT JOIN staff_users u ON u.id = g.user_id
         LEFT JOIN staff_api_keys k ON k.id = g.api_key_id
         WHERE {WHERE} ORDER BY g.id DESC LIMIT $3 OFFSET $4"
    );
    let count = format!("SELECT count(*) AS total FROM inventory_ledger g WHERE {WHERE}");
    let filter: [Param<'_>; 2] = [(store, Type::TEXT), (variant, Type::TEXT)];
    let (rows, total) = list_page(
        client,
        ListQuery {
            sql: &sql,
            count: &count,
            filter_params: &filter,
            extra: &[],
        },
        page,
    )
    .await?;
    let entries = rows
        .iter()
        .map(|row| {
            let reason: String = col(row, "reason")?;
            Ok(LedgerEntry {
                id: col(row, "id")?,
                variant_id: col(row, "variant_id")?,
                location_id: col(row, "location_id")?,
                location_name: col(row, "location_name")?,
                reason: Reason::stored(&reason)?,
                note: col(row, "note")?,
                stocked_before: col(row, "stocked_before")?,
                stocked_after: col(row, "stocked_after")?,
                by: col(row, "by")?,
                api_key: col(row, "api_key")?,
                at: col(row, "at")?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok((entries, total))
}

/// Which variants the stock list shows; absent fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct StockFilter {
    /// Text in the SKU, the product's or the variant's title.
    pub q: Option<SearchText>,
    /// Only variants whose stock is managed and of which at most this many can still be
    /// sold.
    pub available_at_most: Option<i64>,
    /// Only variants at or under their own low-stock threshold (the low-stock view).
    pub at_threshold: bool,
}

/// A variant in the stock list, with its counts over every location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRow {
    pub variant_id: VariantId,
    pub product_title: String,
    pub variant_title: String,
    pub sku: Option<String>,
    pub manage_inventory: bool,
    pub stocked: i64,
    pub reserved: i64,
    pub threshold: Option<i32>,
}

impl StockRow {
    pub fn available(&self) -> i64 {
        self.stocked - self.reserved
    }
}

/// The store's variants matching `filter` with their counts, by product title.
pub async fn list<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &StockFilter,
    page: Page,
) -> Result<(Vec<StockRow>, i64), ApiError> {
    const FROM: &str = "product_variants v JOIN products p ON p.id = v.product_id
        LEFT JOIN LATERAL (
            SELECT sum(il.stocked)::int8 AS stocked, sum(il.reserved)::int8 AS reserved
            FROM inventory_levels il WHERE il.variant_id = v.id) s ON true
        LEFT JOIN variant_stock_thresholds t ON t.variant_id = v.id
        WHERE v.store_id = $1
          AND ($2::text IS NULL OR lower(coalesce(v.sku, '')) LIKE $2
               OR lower(p.title) LIKE $2 OR lower(v.title) LIKE $2)
          AND ($3::int8 IS NULL OR (v.manage_inventory
               AND coalesce(s.stocked, 0) - coalesce(s.reserved, 0) <= $3))
          AND (NOT $4::bool OR (v.manage_inventory
               AND coalesce(s.stocked, 0) - coalesce(s.reserved, 0) <= t.threshold))";
    let sql = format!(
        "SELECT v.id, p.title AS product_title, v.title AS variant_title, v.sku,
                v.manage_inventory, coalesce(s.stocked, 0) AS stocked,
                coalesce(s.reserved, 0) AS reserved, t.threshold,
                (SELECT count(*) FROM {FROM}) AS total
         FROM {FROM}
         ORDER BY p.title, p.id, v.rank, v.id LIMIT $5 OFFSET $6"
    );
    let count = format!("SELECT count(*) AS total FROM {FROM}");
    let pattern = filter.q.as_ref().map(SearchText::like_pattern);
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (&pattern, Type::TEXT),
        (&filter.available_at_most, Type::INT8),
        (&filter.at_threshold, Type::BOOL),
    ];
    let (rows, total) = list_page(
        client,
        ListQuery {
            sql: &sql,
            count: &count,
            filter_params: &params,
            extra: &[],
        },
        page,
    )
    .await?;
    let rows = rows
        .iter()
        .map(|row| {
            Ok(StockRow {
                variant_id: col(row, "id")?,
                product_title: col(row, "product_title")?,
                variant_title: col(row, "variant_title")?,
                sku: col(row, "sku")?,
                manage_inventory: col(row, "manage_inventory")?,
                stocked: col(row, "stocked")?,
                reserved: col(row, "reserved")?,
                threshold: col(row, "threshold")?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok((rows, total))
}

/// Sets (or with `None` removes) the low-stock threshold of `variant`; answers the one
/// before.
pub async fn set_threshold<C: Sql>(
    client: &C,
    store: &StoreId,
    variant: &VariantId,
    threshold: Option<i32>,
) -> Result<Option<i32>, ApiError> {
    if threshold.is_some_and(|t| !(0..=super::MAX_STOCK).contains(&t)) {
        return Err(ApiError::invalid(
            "threshold",
            "must be a whole number from 0",
        ));
    }
    let before = variant_stock(client, store, variant)
        .await?
        .variant
        .low_stock_threshold;
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (variant, Type::TEXT),
        (&threshold, Type::INT4),
    ];
    client
        .execute_typed(
            "WITH gone AS (DELETE FROM variant_stock_thresholds
                           WHERE variant_id = $2 AND store_id = $1 AND $3::int4 IS NULL)
             INSERT INTO variant_stock_thresholds (variant_id, store_id, threshold)
             SELECT $2, $1, $3 WHERE $3::int4 IS NOT NULL
             ON CONFLICT (variant_id) DO UPDATE SET threshold = EXCLUDED.threshold",
            &params,
        )
        .await?;
    Ok(before)
}
