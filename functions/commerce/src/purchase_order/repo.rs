//! Purchase orders in PostgreSQL: written and read, their lines, placed and canceled.
//! Every change locks the purchase order's row and asks [`transition`] first; placing
//! and canceling send their events in the same transaction.

use tokio_postgres::types::Type;

use super::{transition, PoAction, PoFields, PoStatus, MAX_LINES};
use crate::catalog::edit::FieldErrors;
use crate::db::{col, list_page, ListQuery, Param, Sql};
use crate::error::ApiError;
use crate::ids::{PurchaseOrderId, StockLocationId, StoreId, VariantId};
use crate::money::{parse_major, CurrencyCode};
use crate::outbox::{self, Topic};
use crate::params::Page;

/// One line of a purchase order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoLine {
    pub id: String,
    pub variant_id: VariantId,
    pub sku: Option<String>,
    /// The product's and the variant's titles.
    pub title: String,
    pub quantity: i32,
    /// Minor units of the purchase order's currency.
    pub unit_cost: i64,
    pub received: i32,
}

impl PoLine {
    /// Units still expected.
    pub fn outstanding(&self) -> i32 {
        (self.quantity - self.received).max(0)
    }
}

/// A purchase order with its lines (none in lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurchaseOrder {
    pub id: PurchaseOrderId,
    pub number: i32,
    pub supplier_name: String,
    pub supplier_contact: String,
    pub location_id: StockLocationId,
    pub location_name: String,
    pub currency: CurrencyCode,
    pub expected_on: Option<String>,
    pub notes: String,
    pub status: PoStatus,
    pub created_at: String,
    pub placed_at: Option<String>,
    pub received_at: Option<String>,
    pub canceled_at: Option<String>,
    pub line_count: i64,
    /// Units ordered and received over every line.
    pub ordered: i64,
    pub received: i64,
    pub lines: Vec<PoLine>,
}

impl PurchaseOrder {
    /// `PO-12`.
    pub fn reference(&self) -> String {
        format!("PO-{}", self.number)
    }

    /// What it costs: the lines' quantities at their unit costs, in minor units.
    pub fn total(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| i64::from(l.quantity) * l.unit_cost)
            .sum()
    }
}

const COLUMNS: &str = "po.id, po.number, po.supplier_name, po.supplier_contact, po.location_id,
    l.name AS location_name, po.currency_code, po.expected_on::text AS expected_on, po.notes,
    po.status, api_ts(po.created_at) AS created_at, api_ts(po.placed_at) AS placed_at,
    api_ts(po.received_at) AS received_at, api_ts(po.canceled_at) AS canceled_at,
    (SELECT count(*) FROM purchase_order_lines pl WHERE pl.purchase_order_id = po.id) AS line_count,
    (SELECT coalesce(sum(pl.quantity), 0)::int8 FROM purchase_order_lines pl
     WHERE pl.purchase_order_id = po.id) AS ordered,
    (SELECT coalesce(sum(pl.received), 0)::int8 FROM purchase_order_lines pl
     WHERE pl.purchase_order_id = po.id) AS received";

const FROM: &str = "purchase_orders po JOIN stock_locations l ON l.id = po.location_id";

fn from_row(row: &tokio_postgres::Row) -> Result<PurchaseOrder, ApiError> {
    let status: String = col(row, "status")?;
    let currency: String = col(row, "currency_code")?;
    Ok(PurchaseOrder {
        id: col(row, "id")?,
        number: col(row, "number")?,
        supplier_name: col(row, "supplier_name")?,
        supplier_contact: col(row, "supplier_contact")?,
        location_id: col(row, "location_id")?,
        location_name: col(row, "location_name")?,
        currency: CurrencyCode::parse(&currency).map_err(|e| ApiError::internal(e.to_string()))?,
        expected_on: col(row, "expected_on")?,
        notes: col(row, "notes")?,
        status: PoStatus::stored(&status)?,
        created_at: col(row, "created_at")?,
        placed_at: col(row, "placed_at")?,
        received_at: col(row, "received_at")?,
        canceled_at: col(row, "canceled_at")?,
        line_count: col(row, "line_count")?,
        ordered: col(row, "ordered")?,
        received: col(row, "received")?,
        lines: Vec::new(),
    })
}

fn not_found(id: &PurchaseOrderId) -> ApiError {
    ApiError::not_found("Purchase order", "id", id.as_str())
}

/// Purchase order `id` of `store` with its lines.
pub async fn load<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
) -> Result<PurchaseOrder, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE po.store_id = $1 AND po.id = $2");
    let rows = client.query_typed(&sql, &params).await?;
    let mut po = from_row(rows.first().ok_or_else(|| not_found(id))?)?;
    let lines = client
        .query_typed(
            "SELECT pl.id, pl.variant_id, v.sku, p.title || ' / ' || v.title AS title,
                    pl.quantity, pl.unit_cost, pl.received
             FROM purchase_order_lines pl
             JOIN product_variants v ON v.id = pl.variant_id
             JOIN products p ON p.id = v.product_id
             WHERE pl.store_id = $1 AND pl.purchase_order_id = $2
             ORDER BY pl.rank, pl.id",
            &params,
        )
        .await?;
    po.lines = lines
        .iter()
        .map(|r| {
            Ok(PoLine {
                id: col(r, "id")?,
                variant_id: col(r, "variant_id")?,
                sku: col(r, "sku")?,
                title: col(r, "title")?,
                quantity: col(r, "quantity")?,
                unit_cost: col(r, "unit_cost")?,
                received: col(r, "received")?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(po)
}

/// The store's purchase orders (one status, or all), newest first.
pub async fn list<C: Sql>(
    client: &C,
    store: &StoreId,
    status: Option<PoStatus>,
    page: Page,
) -> Result<(Vec<PurchaseOrder>, i64), ApiError> {
    const WHERE: &str = "po.store_id = $1 AND ($2::text IS NULL OR po.status = $2)";
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT count(*) FROM purchase_orders po WHERE {WHERE}) AS total
         FROM {FROM} WHERE {WHERE} ORDER BY po.created_at DESC, po.id LIMIT $3 OFFSET $4"
    );
    let count = format!("SELECT count(*) AS total FROM purchase_orders po WHERE {WHERE}");
    let status = status.map(PoStatus::as_str);
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&status, Type::TEXT)];
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
    let list = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    Ok((list, total))
}

/// Locks purchase order `id` for the rest of the transaction; answers its status.
pub(super) async fn lock<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
) -> Result<PoStatus, ApiError> {
    let rows = client
        .query_typed(
            "SELECT status FROM purchase_orders WHERE store_id = $1 AND id = $2 FOR UPDATE",
            &[(store, Type::TEXT), (id, Type::TEXT)],
        )
        .await?;
    let status: String = col(rows.first().ok_or_else(|| not_found(id))?, "status")?;
    PoStatus::stored(&status)
}

fn unknown_location() -> ApiError {
    ApiError::invalid("location_id", "Choose one of the store's stock locations.")
}

/// A new draft of `store` (in the store's default currency); answers its id.
pub async fn create<C: Sql>(
    client: &C,
    store: &StoreId,
    fields: &PoFields,
    created_by: Option<&str>,
) -> Result<PurchaseOrderId, ApiError> {
    let id = PurchaseOrderId::generate();
    let params: [Param<'_>; 8] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (&fields.supplier_name, Type::TEXT),
        (&fields.supplier_contact, Type::TEXT),
        (&fields.location_id, Type::TEXT),
        (&fields.expected_on, Type::TEXT),
        (&fields.notes, Type::TEXT),
        (&created_by, Type::TEXT),
    ];
    // The store's row is locked so that two new purchase orders take two numbers.
    let rows = client
        .query_typed(
            "WITH store AS (SELECT id, default_currency_code FROM stores WHERE id = $2 FOR UPDATE),
                  made AS (
                      INSERT INTO purchase_orders
                          (id, store_id, number, supplier_name, supplier_contact, location_id,
                           currency_code, expected_on, notes, created_by)
                      SELECT $1, s.id,
                             coalesce((SELECT max(number) FROM purchase_orders WHERE store_id = $2), 0) + 1,
                             $3, $4, $5, s.default_currency_code, $6::date, $7, $8
                      FROM store s
                      WHERE EXISTS (SELECT 1 FROM stock_locations WHERE store_id = $2 AND id = $5)
                      RETURNING id)
             SELECT EXISTS (SELECT 1 FROM made) AS made",
            &params,
        )
        .await?;
    if !col::<bool>(&rows[0], "made")? {
        return Err(unknown_location());
    }
    Ok(id)
}

/// Changes draft `id`'s fields.
pub async fn update<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    fields: &PoFields,
) -> Result<(), ApiError> {
    transition(lock(client, store, id).await?, PoAction::Edit)?;
    let params: [Param<'_>; 7] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&fields.supplier_name, Type::TEXT),
        (&fields.supplier_contact, Type::TEXT),
        (&fields.location_id, Type::TEXT),
        (&fields.expected_on, Type::TEXT),
        (&fields.notes, Type::TEXT),
    ];
    let changed = client
        .execute_typed(
            "UPDATE purchase_orders SET supplier_name = $3, supplier_contact = $4,
                    location_id = $5, expected_on = $6::date, notes = $7, updated_at = now()
             WHERE store_id = $1 AND id = $2
               AND EXISTS (SELECT 1 FROM stock_locations WHERE store_id = $1 AND id = $5)",
            &params,
        )
        .await?;
    if changed == 0 {
        return Err(unknown_location());
    }
    Ok(())
}

/// A line as typed: the variant by SKU (or id), the quantity, the unit cost in major
/// units of the purchase order's currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct LineInput {
    pub variant: String,
    pub quantity: String,
    pub unit_cost: String,
}

/// A line that passed [`LineInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFields {
    /// A SKU or a variant id.
    pub variant: String,
    pub quantity: i32,
    pub unit_cost: i64,
}

impl LineInput {
    pub fn check(&self, currency: CurrencyCode) -> Result<LineFields, FieldErrors> {
        let mut errors = Vec::new();
        let variant = self.variant.trim();
        if variant.is_empty() || variant.len() > 100 {
            errors.push(("variant", "Give the variant's SKU.".to_owned()));
        }
        let quantity = match self.quantity.trim().parse::<i32>() {
            Ok(q) if (1..=1_000_000).contains(&q) => Some(q),
            _ => {
                errors.push(("quantity", "a whole number from 1 to 1,000,000".to_owned()));
                None
            }
        };
        let unit_cost = match parse_major(self.unit_cost.trim(), currency) {
            Some(c) if !self.unit_cost.trim().is_empty() => Some(c),
            _ => {
                errors.push(("unit_cost", "the unit cost, e.g. 12.50".to_owned()));
                None
            }
        };
        match (quantity, unit_cost, errors.is_empty()) {
            (Some(quantity), Some(unit_cost), true) => Ok(LineFields {
                variant: variant.to_owned(),
                quantity,
                unit_cost,
            }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

/// Adds the line's variant to draft `id`, or sets its quantity and cost when the draft
/// has it already.
pub async fn set_line<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    line: &LineFields,
) -> Result<(), ApiError> {
    transition(lock(client, store, id).await?, PoAction::Edit)?;
    let max_lines = MAX_LINES as i64;
    let params: [Param<'_>; 6] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&line.variant, Type::TEXT),
        (&line.quantity, Type::INT4),
        (&line.unit_cost, Type::INT8),
        (&max_lines, Type::INT8),
    ];
    let rows = client
        .query_typed(
            "WITH v AS (SELECT id FROM product_variants
                        WHERE store_id = $1 AND (sku = $3 OR id = $3) LIMIT 1),
                  n AS (SELECT count(*) AS lines FROM purchase_order_lines
                        WHERE purchase_order_id = $2),
                  written AS (
                      INSERT INTO purchase_order_lines
                          (id, store_id, purchase_order_id, variant_id, quantity, unit_cost, rank)
                      SELECT 'pol_' || replace(gen_random_uuid()::text, '-', ''), $1, $2, v.id, $4, $5,
                             coalesce((SELECT max(rank) + 1 FROM purchase_order_lines
                                       WHERE purchase_order_id = $2), 0)
                      FROM v, n
                      WHERE n.lines < $6 OR EXISTS (SELECT 1 FROM purchase_order_lines
                                                    WHERE purchase_order_id = $2 AND variant_id = v.id)
                      ON CONFLICT (purchase_order_id, variant_id)
                      DO UPDATE SET quantity = EXCLUDED.quantity, unit_cost = EXCLUDED.unit_cost
                      RETURNING id)
             SELECT EXISTS (SELECT 1 FROM v) AS known, EXISTS (SELECT 1 FROM written) AS written",
            &params,
        )
        .await?;
    let row = &rows[0];
    if !col::<bool>(row, "known")? {
        return Err(ApiError::invalid(
            "variant",
            format!("The store has no variant with the SKU {}.", line.variant),
        ));
    }
    if !col::<bool>(row, "written")? {
        return Err(ApiError::invalid(
            "variant",
            format!("A purchase order has at most {MAX_LINES} lines."),
        ));
    }
    Ok(())
}

/// Takes line `line` off draft `id`.
pub async fn remove_line<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    line: &str,
) -> Result<(), ApiError> {
    transition(lock(client, store, id).await?, PoAction::Edit)?;
    let gone = client
        .execute_typed(
            "DELETE FROM purchase_order_lines
             WHERE store_id = $1 AND purchase_order_id = $2 AND id = $3",
            &[(store, Type::TEXT), (id, Type::TEXT), (&line, Type::TEXT)],
        )
        .await?;
    if gone == 0 {
        return Err(ApiError::not_found("Purchase order line", "id", line));
    }
    Ok(())
}

/// Places draft `id` (it needs a line): its units become incoming stock.
pub async fn place<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    let to = transition(lock(client, store, id).await?, PoAction::Place)?;
    let po = load(client, store, id).await?;
    if po.lines.is_empty() {
        return Err(ApiError::invalid(
            "lines",
            "Add what is ordered before placing it.",
        ));
    }
    let status = to.as_str();
    client
        .execute_typed(
            "UPDATE purchase_orders SET status = $3, placed_at = now(), updated_at = now()
             WHERE store_id = $1 AND id = $2",
            &[(store, Type::TEXT), (id, Type::TEXT), (&status, Type::TEXT)],
        )
        .await?;
    let payload = crate::events::value(&crate::events::PurchaseOrderPlaced {
        purchase_order_id: id.to_string(),
        number: po.number.to_string(),
        supplier_name: po.supplier_name.clone(),
        location_id: po.location_id.to_string(),
        currency_code: po.currency.as_str().to_owned(),
        lines: po
            .lines
            .iter()
            .map(|l| crate::events::PurchaseLine {
                variant_id: l.variant_id.to_string(),
                quantity: i64::from(l.quantity),
                unit_cost: l.unit_cost,
            })
            .collect(),
    });
    outbox::enqueue(client, store, Topic::PurchaseOrderPlaced, payload, trace_id).await
}

/// Cancels draft or placed `id`.
pub async fn cancel<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
) -> Result<(), ApiError> {
    let to = transition(lock(client, store, id).await?, PoAction::Cancel)?;
    let status = to.as_str();
    client
        .execute_typed(
            "UPDATE purchase_orders SET status = $3, canceled_at = now(), updated_at = now()
             WHERE store_id = $1 AND id = $2",
            &[(store, Type::TEXT), (id, Type::TEXT), (&status, Type::TEXT)],
        )
        .await?;
    Ok(())
}

/// Units of `variant` still expected on the store's placed purchase orders.
pub async fn incoming<C: Sql>(
    client: &C,
    store: &StoreId,
    variant: &VariantId,
) -> Result<i64, ApiError> {
    let rows = client
        .query_typed(
            "SELECT coalesce(sum(greatest(pl.quantity - pl.received, 0)), 0)::int8 AS incoming
             FROM purchase_order_lines pl JOIN purchase_orders po ON po.id = pl.purchase_order_id
             WHERE pl.store_id = $1 AND pl.variant_id = $2
               AND po.status IN ('placed', 'partially_received')",
            &[(store, Type::TEXT), (variant, Type::TEXT)],
        )
        .await?;
    col(&rows[0], "incoming")
}

/// A purchase order that brings units of a variant: how many are still expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingOrder {
    pub id: PurchaseOrderId,
    pub number: i32,
    pub supplier_name: String,
    pub expected_on: Option<String>,
    pub outstanding: i64,
}

/// The store's placed purchase orders that still expect units of `variant`, the
/// earliest expected first.
pub async fn incoming_orders<C: Sql>(
    client: &C,
    store: &StoreId,
    variant: &VariantId,
) -> Result<Vec<IncomingOrder>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT po.id, po.number, po.supplier_name, po.expected_on::text AS expected_on,
                    (pl.quantity - pl.received)::int8 AS outstanding
             FROM purchase_order_lines pl JOIN purchase_orders po ON po.id = pl.purchase_order_id
             WHERE pl.store_id = $1 AND pl.variant_id = $2
               AND po.status IN ('placed', 'partially_received') AND pl.quantity > pl.received
             ORDER BY po.expected_on NULLS LAST, po.number",
            &[(store, Type::TEXT), (variant, Type::TEXT)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(IncomingOrder {
                id: col(r, "id")?,
                number: col(r, "number")?,
                supplier_name: col(r, "supplier_name")?,
                expected_on: col(r, "expected_on")?,
                outstanding: col(r, "outstanding")?,
            })
        })
        .collect()
}

/// Units still expected on the store's placed purchase orders of each of `variants`
/// (those with none are left out): one query for a page of variants.
pub async fn incoming_of<C: Sql>(
    client: &C,
    store: &StoreId,
    variants: &[VariantId],
) -> Result<Vec<(VariantId, i64)>, ApiError> {
    let ids: Vec<&str> = variants.iter().map(VariantId::as_str).collect();
    let rows = client
        .query_typed(
            "SELECT pl.variant_id, sum(pl.quantity - pl.received)::int8 AS incoming
             FROM purchase_order_lines pl JOIN purchase_orders po ON po.id = pl.purchase_order_id
             WHERE pl.store_id = $1 AND pl.variant_id = ANY($2)
               AND po.status IN ('placed', 'partially_received') AND pl.quantity > pl.received
             GROUP BY pl.variant_id",
            &[(store, Type::TEXT), (&ids, Type::TEXT_ARRAY)],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((col(r, "variant_id")?, col(r, "incoming")?)))
        .collect()
}

/// A delivery of a purchase order as the receiving saga's log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub key: String,
    /// `started`, `recorded`, `stocked`, `done` or `compensated` (undone; may come again).
    pub state: String,
    pub lines: Vec<super::receive::DeliveredLine>,
    /// The e-mail of the member who received it, when known.
    pub received_by: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// The deliveries of purchase order `id` of `store`, oldest first.
pub async fn deliveries<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
) -> Result<Vec<DeliveryRecord>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT d.key, d.state, d.lines, u.email AS received_by, d.error,
                    api_ts(d.created_at) AS created_at, api_ts(d.finished_at) AS finished_at
             FROM purchase_order_deliveries d
             LEFT JOIN staff_users u ON u.id = d.received_by
             WHERE d.store_id = $1 AND d.purchase_order_id = $2
             ORDER BY d.created_at, d.key",
            &[(store, Type::TEXT), (id, Type::TEXT)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryRecord {
                key: col(r, "key")?,
                state: col(r, "state")?,
                lines: crate::db::json_col(r, "lines")?,
                received_by: col(r, "received_by")?,
                error: col(r, "error")?,
                created_at: col(r, "created_at")?,
                finished_at: col(r, "finished_at")?,
            })
        })
        .collect()
}
