//! The outbox: follow-up work written in the same transaction as the change that
//! caused it, so that an order and its confirmation e-mail can never disagree. Each
//! row is an [`Envelope`] (one typed shape for every topic, carrying the trace id).
//! The origin's job runner [`claim`]s due rows with `FOR UPDATE SKIP LOCKED` (several
//! runners never take the same row), and marks each [`done`] or [`failed`]: a failure
//! is retried with exponential backoff and becomes `dead` after [`MAX_ATTEMPTS`].

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::types::{Json, Type};

use crate::db::{col, json_col, Param, Sql};
use crate::error::ApiError;
use crate::ids::StoreId;

/// Attempts before a job is dead-lettered.
pub const MAX_ATTEMPTS: i32 = 8;
/// The first retry waits this long; each later one twice as long as the one before.
pub const BASE_BACKOFF_MS: i64 = 1_000;
/// No retry waits longer than this.
pub const MAX_BACKOFF_MS: i64 = 15 * 60 * 1000;

/// The topics of the platform's domain events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    #[serde(rename = "product.created")]
    ProductCreated,
    #[serde(rename = "product.updated")]
    ProductUpdated,
    #[serde(rename = "order.created")]
    OrderCreated,
    #[serde(rename = "order.canceled")]
    OrderCanceled,
    #[serde(rename = "order.shipped")]
    OrderShipped,
    #[serde(rename = "inventory.reserved")]
    InventoryReserved,
    #[serde(rename = "inventory.released")]
    InventoryReleased,
    #[serde(rename = "inventory.insufficient")]
    InventoryInsufficient,
    #[serde(rename = "inventory.adjusted")]
    InventoryAdjusted,
    #[serde(rename = "payment.succeeded")]
    PaymentSucceeded,
    #[serde(rename = "payment.failed")]
    PaymentFailed,
    #[serde(rename = "payment.refunded")]
    PaymentRefunded,
    #[serde(rename = "purchase_order.placed")]
    PurchaseOrderPlaced,
    #[serde(rename = "purchase_order.received")]
    PurchaseOrderReceived,
    /// Work, not news: a confirmed catalog import has products left to write.
    #[serde(rename = "catalog.import.requested")]
    CatalogImportRequested,
}

impl Topic {
    pub const ALL: [Topic; 15] = [
        Topic::ProductCreated,
        Topic::ProductUpdated,
        Topic::OrderCreated,
        Topic::OrderCanceled,
        Topic::OrderShipped,
        Topic::InventoryReserved,
        Topic::InventoryReleased,
        Topic::InventoryInsufficient,
        Topic::InventoryAdjusted,
        Topic::PaymentSucceeded,
        Topic::PaymentFailed,
        Topic::PaymentRefunded,
        Topic::PurchaseOrderPlaced,
        Topic::PurchaseOrderReceived,
        Topic::CatalogImportRequested,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::ProductCreated => "product.created",
            Topic::ProductUpdated => "product.updated",
            Topic::OrderCreated => "order.created",
            Topic::OrderCanceled => "order.canceled",
            Topic::OrderShipped => "order.shipped",
            Topic::InventoryReserved => "inventory.reserved",
            Topic::InventoryReleased => "inventory.released",
            Topic::InventoryInsufficient => "inventory.insufficient",
            Topic::InventoryAdjusted => "inventory.adjusted",
            Topic::PurchaseOrderPlaced => "purchase_order.placed",
            Topic::PurchaseOrderReceived => "purchase_order.received",
            Topic::PaymentSucceeded => "payment.succeeded",
            Topic::PaymentFailed => "payment.failed",
            Topic::PaymentRefunded => "payment.refunded",
            Topic::CatalogImportRequested => "catalog.import.requested",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The one shape of every domain event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub topic: Topic,
    pub payload: Value,
    /// When it happened: ISO 8601 UTC, set by the database at write time.
    pub timestamp: String,
    /// The W3C trace id of the request that caused it.
    pub trace_id: Option<String>,
}

const ENQUEUE_SQL: &str = "
    INSERT INTO outbox (store_id, topic, payload, trace_id)
    VALUES ($1, $2, jsonb_build_object('topic', $2::text, 'payload', $3::jsonb,
            'timestamp', api_ts(now()), 'trace_id', $4::text), $4)";

/// Writes an event for the job runner in `client`'s transaction.
pub async fn enqueue<C: Sql>(
    client: &C,
    store: &StoreId,
    topic: Topic,
    payload: Value,
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    let name = topic.as_str();
    let payload = Json(payload);
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (&name, Type::TEXT),
        (&payload, Type::JSONB),
        (&trace_id, Type::TEXT),
    ];
    client.execute_typed(ENQUEUE_SQL, &params).await?;
    Ok(())
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub store_id: StoreId,
    pub envelope: Envelope,
    /// Attempts made before this one.
    pub attempts: i32,
}

const CLAIM_SQL: &str = "
    SELECT id, store_id, payload, attempts FROM outbox
    WHERE status = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED";

/// Up to `limit` due jobs, locked for `client`'s transaction (other runners skip
/// them). The caller runs each and marks it before committing.
pub async fn claim<C: Sql>(client: &C, limit: i64) -> Result<Vec<Job>, ApiError> {
    let params: [Param<'_>; 1] = [(&limit, Type::INT8)];
    let rows = client.query_typed(CLAIM_SQL, &params).await?;
    rows.iter()
        .map(|row| {
            Ok(Job {
                id: col(row, "id")?,
                store_id: col(row, "store_id")?,
                envelope: json_col(row, "payload")?,
                attempts: col(row, "attempts")?,
            })
        })
        .collect()
}

/// Marks a job done.
pub async fn done<C: Sql>(client: &C, id: i64) -> Result<(), ApiError> {
    let params: [Param<'_>; 1] = [(&id, Type::INT8)];
    client
        .execute_typed(
            "UPDATE outbox SET status = 'done', attempts = attempts + 1, done_at = now(),
                 last_error = NULL WHERE id = $1",
            &params,
        )
        .await?;
    Ok(())
}

/// How long to wait before attempt `attempts + 1`, after `attempts` failures.
pub fn backoff_ms(attempts: i32) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 30) - 1).unwrap_or(0);
    BASE_BACKOFF_MS
        .saturating_mul(1_i64 << exp)
        .min(MAX_BACKOFF_MS)
}

/// What happened to a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Tried again after this many milliseconds.
    After(i64),
    /// Out of attempts (or the failure cannot be retried): dead-lettered.
    Dead,
}

/// Records a failed attempt of job `id` (which had `attempts` before it): retried
/// later with backoff, or dead when attempts run out or `retryable` is false.
pub async fn failed<C: Sql>(
    client: &C,
    id: i64,
    attempts: i32,
    error: &str,
    retryable: bool,
) -> Result<Retry, ApiError> {
    let made = attempts + 1;
    let retry = if retryable && made < MAX_ATTEMPTS {
        Retry::After(backoff_ms(made))
    } else {
        Retry::Dead
    };
    let (status, wait_ms) = match retry {
        Retry::After(ms) => ("pending", ms),
        Retry::Dead => ("dead", 0),
    };
    let error: String = error.chars().take(2000).collect();
    let wait = wait_ms as f64 / 1000.0;
    let params: [Param<'_>; 4] = [
        (&id, Type::INT8),
        (&status, Type::TEXT),
        (&error, Type::TEXT),
        (&wait, Type::FLOAT8),
    ];
    client
        .execute_typed(
            "UPDATE outbox SET status = $2, attempts = attempts + 1, last_error = $3,
                 next_attempt_at = now() + make_interval(secs => $4) WHERE id = $1",
            &params,
        )
        .await?;
    Ok(retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_ceiling() {
        assert_eq!(backoff_ms(1), 1_000);
        assert_eq!(backoff_ms(2), 2_000);
        assert_eq!(backoff_ms(3), 4_000);
        assert_eq!(backoff_ms(7), 64_000);
        assert_eq!(backoff_ms(30), MAX_BACKOFF_MS);
    }

    #[test]
    fn topics_are_named_like_the_events() {
        for t in Topic::ALL {
            let json = serde_json::to_value(t).unwrap();
            assert_eq!(json, t.as_str());
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
        assert_eq!(Topic::parse("order.exploded"), None);
    }
}
