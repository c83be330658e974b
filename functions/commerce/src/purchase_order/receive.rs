//! Receiving a delivery: a saga of three steps, each its own transaction, logged in
//! `purchase_order_deliveries` under the delivery's key:
//!
//! 1. [`Step::Record`]: the received quantities go onto the lines;
//! 2. [`Step::Stock`]: the stock at the purchase order's location rises, a ledger row
//!    per line (reason "received", pointing at the purchase order);
//! 3. [`Step::Status`]: the status moves (partially received, or received).
//!
//! A step that fails undoes the ones before it, in reverse (the stock taken back with
//! ledger rows saying so, the quantities taken off the lines), so stock and received
//! counts never disagree, and the delivery is left `compensated`: it may be sent again
//! with the same key. A delivery whose key is done changes nothing again; one still
//! under way (another request) is refused with 409. The claim of a key locks the
//! purchase order's row, so two receipts of the same delivery at once apply once.

use serde::{Deserialize, Serialize};
use tokio_postgres::types::{Json, Type};
use tokio_postgres::GenericClient;

use super::repo::{load, lock};
use super::{transition, PoAction, PoStatus};
use crate::db::{atomically, col, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{PurchaseOrderId, StoreId, VariantId};
use crate::inventory::{self, Actor, Change, Reason, StockChange};
use crate::outbox::{self, Topic};

/// A step of receiving, for the log and for faults injected by tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Record,
    Stock,
    Status,
}

/// One line of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveredLine {
    pub variant_id: VariantId,
    pub quantity: i32,
}

/// A delivery as received: its key (the same key, the same delivery), its lines, and
/// whether receiving more than was ordered is confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub key: String,
    pub lines: Vec<DeliveredLine>,
    pub over_receipt_confirmed: bool,
}

/// What receiving did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub status: PoStatus,
    /// The key was received before: nothing changed.
    pub repeated: bool,
}

/// Receives `delivery` on purchase order `id`.
pub async fn receive<C: GenericClient + Sync>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    delivery: &Delivery,
    actor: Actor<'_>,
) -> Result<Received, ApiError> {
    receive_with_fault(client, store, id, delivery, actor, None).await
}

fn fault(at: Step) -> ApiError {
    ApiError::internal(format!("injected fault at {at:?}"))
}

/// [`receive`], failing at the start of step `fault` (tests prove the compensation).
pub async fn receive_with_fault<C: GenericClient + Sync>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    delivery: &Delivery,
    actor: Actor<'_>,
    fault_at: Option<Step>,
) -> Result<Received, ApiError> {
    if let Some(done) = atomically(client, async |tx| {
        claim(tx, store, id, delivery, actor).await
    })
    .await?
    {
        return Ok(done);
    }
    let key = delivery.key.as_str();
    let record = atomically(client, async |tx| {
        if fault_at == Some(Step::Record) {
            return Err(fault(Step::Record));
        }
        move_received(tx, store, id, &delivery.lines, 1).await?;
        log_state(tx, id, key, "recorded", None).await
    })
    .await;
    if let Err(err) = record {
        return Err(undo(client, store, id, delivery, actor, Step::Record, err).await);
    }
    let stock = atomically(client, async |tx| {
        if fault_at == Some(Step::Stock) {
            return Err(fault(Step::Stock));
        }
        move_stock(tx, store, id, delivery, actor, 1).await?;
        log_state(tx, id, key, "stocked", None).await
    })
    .await;
    if let Err(err) = stock {
        return Err(undo(client, store, id, delivery, actor, Step::Stock, err).await);
    }
    let status = atomically(client, async |tx| {
        if fault_at == Some(Step::Status) {
            return Err(fault(Step::Status));
        }
        let status = move_status(tx, store, id, delivery, actor).await?;
        log_state(tx, id, key, "done", None).await?;
        Ok(status)
    })
    .await;
    match status {
        Ok(status) => Ok(Received {
            status,
            repeated: false,
        }),
        Err(err) => Err(undo(client, store, id, delivery, actor, Step::Status, err).await),
    }
}

/// Checks the delivery against the purchase order and claims its key (the order's row
/// locked): `Some` when the key was received already, `None` to go on.
async fn claim<C: Sql>(
    tx: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    delivery: &Delivery,
    actor: Actor<'_>,
) -> Result<Option<Received>, ApiError> {
    let status = lock(tx, store, id).await?;
    let rows = tx
        .query_typed(
            "SELECT state FROM purchase_order_deliveries WHERE purchase_order_id = $1 AND key = $2",
            &[(id, Type::TEXT), (&delivery.key, Type::TEXT)],
        )
        .await?;
    let seen: Option<String> = rows.first().map(|r| col(r, "state")).transpose()?;
    match seen.as_deref() {
        Some("done") => {
            return Ok(Some(Received {
                status,
                repeated: true,
            }))
        }
        Some("compensated") | None => {}
        Some(_) => {
            return Err(ApiError::conflict(
                ErrorCode::DeliveryInProgress,
                format!(
                    "The delivery {} is being received right now; look again in a moment.",
                    delivery.key
                ),
            ))
        }
    }
    transition(status, PoAction::Receive { complete: false })?;
    check_lines(tx, store, id, delivery).await?;
    let lines = Json(&delivery.lines);
    let params: [Param<'_>; 5] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&delivery.key, Type::TEXT),
        (&lines, Type::JSONB),
        (&actor.user_id, Type::TEXT),
    ];
    tx.execute_typed(
        "INSERT INTO purchase_order_deliveries
             (store_id, purchase_order_id, key, state, lines, received_by)
         VALUES ($1, $2, $3, 'started', $4, $5)
         ON CONFLICT (purchase_order_id, key) DO UPDATE
         SET state = 'started', lines = EXCLUDED.lines, error = NULL,
             received_by = EXCLUDED.received_by, created_at = now(), finished_at = NULL",
        &params,
    )
    .await?;
    Ok(None)
}

/// Every delivered variant is a line of the purchase order, each once, at least one
/// unit; more than is still expected only when confirmed.
async fn check_lines<C: Sql>(
    tx: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    delivery: &Delivery,
) -> Result<(), ApiError> {
    if delivery.key.trim().is_empty() || delivery.key.len() > 100 {
        return Err(ApiError::invalid(
            "key",
            "a delivery key of 1 to 100 characters",
        ));
    }
    if delivery.lines.iter().all(|l| l.quantity == 0) {
        return Err(ApiError::invalid(
            "lines",
            "Say how many units of each line came in.",
        ));
    }
    let po = load(tx, store, id).await?;
    let mut over = Vec::new();
    for (i, d) in delivery.lines.iter().enumerate() {
        if delivery.lines[..i]
            .iter()
            .any(|e| e.variant_id == d.variant_id)
        {
            return Err(ApiError::invalid("lines", "each line once"));
        }
        let Some(line) = po.lines.iter().find(|l| l.variant_id == d.variant_id) else {
            return Err(ApiError::invalid(
                "lines",
                format!("{} is not on this purchase order", d.variant_id),
            ));
        };
        if !(0..=1_000_000).contains(&d.quantity) {
            return Err(ApiError::invalid("lines", "quantities from 0 to 1,000,000"));
        }
        if d.quantity > line.outstanding() {
            over.push(format!(
                "{} more of {} than is still expected",
                d.quantity - line.outstanding(),
                line.title
            ));
        }
    }
    if !over.is_empty() && !delivery.over_receipt_confirmed {
        return Err(ApiError::conflict(
            ErrorCode::OverReceipt,
            format!("{}. Confirm to receive them anyway.", over.join("; ")),
        ));
    }
    Ok(())
}

/// Adds (`sign` 1) or takes back (-1) the delivered quantities on the lines.
async fn move_received<C: Sql>(
    tx: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    lines: &[DeliveredLine],
    sign: i32,
) -> Result<(), ApiError> {
    let variants: Vec<&str> = lines.iter().map(|l| l.variant_id.as_str()).collect();
    let quantities: Vec<i32> = lines.iter().map(|l| l.quantity * sign).collect();
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&variants, Type::TEXT_ARRAY),
        (&quantities, Type::INT4_ARRAY),
    ];
    tx.execute_typed(
        "UPDATE purchase_order_lines pl SET received = pl.received + d.quantity
         FROM unnest($3::text[], $4::int4[]) AS d(variant_id, quantity)
         WHERE pl.store_id = $1 AND pl.purchase_order_id = $2 AND pl.variant_id = d.variant_id",
        &params,
    )
    .await?;
    Ok(())
}

/// Raises (`sign` 1) or lowers (-1) the stock at the purchase order's location by the
/// delivered quantities, a ledger row per line pointing at the purchase order.
async fn move_stock<C: Sql>(
    tx: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    delivery: &Delivery,
    actor: Actor<'_>,
    sign: i32,
) -> Result<(), ApiError> {
    let po = load(tx, store, id).await?;
    let note = match sign {
        1 => format!("{}, delivery {}", po.reference(), delivery.key),
        _ => format!(
            "Undone: {}, delivery {} failed",
            po.reference(),
            delivery.key
        ),
    };
    for line in delivery.lines.iter().filter(|l| l.quantity > 0) {
        let req = StockChange {
            change: Change::Adjust(line.quantity * sign),
            reason: Reason::Received,
            note: note.chars().take(500).collect(),
            expected_version: None,
        };
        inventory::change_for(
            tx,
            store,
            &line.variant_id,
            &po.location_id,
            &req,
            actor,
            Some(id),
        )
        .await?;
    }
    Ok(())
}

/// The status the received counts lead to, with `purchase_order.received`.
async fn move_status<C: Sql>(
    tx: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    delivery: &Delivery,
    actor: Actor<'_>,
) -> Result<PoStatus, ApiError> {
    let from = lock(tx, store, id).await?;
    let po = load(tx, store, id).await?;
    let complete = po.lines.iter().all(|l| l.outstanding() == 0);
    let to = transition(from, PoAction::Receive { complete })?;
    let status = to.as_str();
    tx.execute_typed(
        "UPDATE purchase_orders SET status = $3, updated_at = now(),
                received_at = CASE WHEN $3 = 'received' THEN now() ELSE received_at END
         WHERE store_id = $1 AND id = $2",
        &[(store, Type::TEXT), (id, Type::TEXT), (&status, Type::TEXT)],
    )
    .await?;
    let payload = crate::events::value(&crate::events::PurchaseOrderReceived {
        purchase_order_id: id.to_string(),
        number: po.number.to_string(),
        delivery_key: delivery.key.clone(),
        location_id: po.location_id.to_string(),
        status: status.to_owned(),
        lines: delivery
            .lines
            .iter()
            .map(|l| crate::events::VariantQuantity {
                variant_id: l.variant_id.to_string(),
                quantity: i64::from(l.quantity),
            })
            .collect(),
    });
    outbox::enqueue(
        tx,
        store,
        Topic::PurchaseOrderReceived,
        payload,
        actor.trace_id,
    )
    .await?;
    Ok(to)
}

async fn log_state<C: Sql>(
    tx: &C,
    id: &PurchaseOrderId,
    key: &str,
    state: &str,
    error: Option<&str>,
) -> Result<(), ApiError> {
    tx.execute_typed(
        "UPDATE purchase_order_deliveries SET state = $3, error = $4,
                finished_at = CASE WHEN $3 IN ('done', 'compensated') THEN now() END
         WHERE purchase_order_id = $1 AND key = $2",
        &[
            (id, Type::TEXT),
            (&key, Type::TEXT),
            (&state, Type::TEXT),
            (&error, Type::TEXT),
        ],
    )
    .await?;
    Ok(())
}

/// Undoes the steps before `failed` in reverse and logs the delivery `compensated`;
/// answers the error to report (the step's, or the compensation's when that failed
/// too: the log then keeps the step the delivery stopped at).
async fn undo<C: GenericClient + Sync>(
    client: &C,
    store: &StoreId,
    id: &PurchaseOrderId,
    delivery: &Delivery,
    actor: Actor<'_>,
    failed: Step,
    err: ApiError,
) -> ApiError {
    let key = delivery.key.as_str();
    let reason = err.to_string();
    let undone = atomically(client, async |tx| {
        if failed == Step::Status {
            move_stock(tx, store, id, delivery, actor, -1).await?;
        }
        if matches!(failed, Step::Stock | Step::Status) {
            move_received(tx, store, id, &delivery.lines, -1).await?;
        }
        log_state(tx, id, key, "compensated", Some(&reason)).await
    })
    .await;
    match undone {
        Ok(()) => err,
        Err(also) => ApiError::internal(format!(
            "receiving delivery {key} failed ({reason}) and undoing it failed too ({also}); \
             its log keeps where it stopped"
        )),
    }
}
