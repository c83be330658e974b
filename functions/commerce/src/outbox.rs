//! The outbox: follow-up work written in the same transaction as the change that
//! caused it, so that an order and its confirmation e-mail can never disagree. Each
//! row is an [`Envelope`] (one typed shape for every topic, carrying the trace id).
//! Every row is a job of one [`JobKind`] (by its topic): order processing, inventory
//! updates or e-mail, each with its own lane and attempts. The origin's job runner
//! [`claim`]s due rows of one kind with `FOR UPDATE SKIP LOCKED` (several runners never
//! take the same row), and marks each [`done`] or [`failed`]: a failure is retried with
//! exponential backoff and becomes `dead` (the dead-letter state, kept with its last
//! error) after its kind's [`JobKind::max_attempts`].

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::types::{Json, Type};

use crate::db::{col, json_col, Param, Sql};
use crate::error::ApiError;
use crate::ids::StoreId;

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
    #[serde(rename = "order.fulfilled")]
    OrderFulfilled,
    #[serde(rename = "order.shipped")]
    OrderShipped,
    #[serde(rename = "shipping.label.created")]
    ShippingLabelCreated,
    #[serde(rename = "order.delivered")]
    OrderDelivered,
    #[serde(rename = "inventory.reserved")]
    InventoryReserved,
    #[serde(rename = "inventory.released")]
    InventoryReleased,
    #[serde(rename = "inventory.insufficient")]
    InventoryInsufficient,
    #[serde(rename = "inventory.adjusted")]
    InventoryAdjusted,
    #[serde(rename = "payment.created")]
    PaymentCreated,
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
    #[serde(rename = "customer.created")]
    CustomerCreated,
    /// Work, not news: a confirmed catalog import has products left to write.
    #[serde(rename = "catalog.import.requested")]
    CatalogImportRequested,
}

impl Topic {
    pub const ALL: [Topic; 20] = [
        Topic::ProductCreated,
        Topic::ProductUpdated,
        Topic::OrderCreated,
        Topic::OrderCanceled,
        Topic::OrderFulfilled,
        Topic::OrderShipped,
        Topic::ShippingLabelCreated,
        Topic::OrderDelivered,
        Topic::InventoryReserved,
        Topic::InventoryReleased,
        Topic::InventoryInsufficient,
        Topic::InventoryAdjusted,
        Topic::PaymentCreated,
        Topic::PaymentSucceeded,
        Topic::PaymentFailed,
        Topic::PaymentRefunded,
        Topic::PurchaseOrderPlaced,
        Topic::PurchaseOrderReceived,
        Topic::CustomerCreated,
        Topic::CatalogImportRequested,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::ProductCreated => "product.created",
            Topic::ProductUpdated => "product.updated",
            Topic::OrderCreated => "order.created",
            Topic::OrderCanceled => "order.canceled",
            Topic::OrderFulfilled => "order.fulfilled",
            Topic::OrderShipped => "order.shipped",
            Topic::ShippingLabelCreated => "shipping.label.created",
            Topic::OrderDelivered => "order.delivered",
            Topic::PaymentCreated => "payment.created",
            Topic::CustomerCreated => "customer.created",
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

/// What a job's work is: its lane in the job runner and how often it is tried. Each
/// kind is claimed by a runner loop of its own, so a backlog of one (a thousand
/// e-mails) never delays another (an order's payment news): the priorities of the
/// store's former Sidekiq queues (orders high, inventory medium, mail low) without one
/// queue's work waiting behind another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Orders and payments (high): 3 attempts.
    Order,
    /// Stock, purchase orders and the catalog (medium): 5 attempts.
    Inventory,
    /// E-mail to shoppers (low): 3 attempts.
    Mail,
}

impl JobKind {
    /// In priority order.
    pub const ALL: [JobKind; 3] = [JobKind::Order, JobKind::Inventory, JobKind::Mail];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Order => "order",
            JobKind::Inventory => "inventory",
            JobKind::Mail => "mail",
        }
    }

    fn parse(s: &str) -> Option<JobKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Attempts before a job of this kind is dead-lettered.
    pub fn max_attempts(self) -> i32 {
        match self {
            JobKind::Order => 3,
            JobKind::Inventory => 5,
            JobKind::Mail => 3,
        }
    }
}

impl Topic {
    /// The kind of job an event of this topic is.
    pub fn kind(self) -> JobKind {
        match self {
            // Their work is the shopper's e-mail (confirmation, shipping news).
            Topic::OrderCreated | Topic::OrderShipped => JobKind::Mail,
            // News for integrations and analytics, no work of their own.
            Topic::OrderFulfilled
            | Topic::ShippingLabelCreated
            | Topic::OrderDelivered
            | Topic::PaymentCreated
            | Topic::CustomerCreated => JobKind::Order,
            Topic::OrderCanceled
            | Topic::PaymentSucceeded
            | Topic::PaymentFailed
            | Topic::PaymentRefunded => JobKind::Order,
            Topic::ProductCreated
            | Topic::ProductUpdated
            | Topic::InventoryReserved
            | Topic::InventoryReleased
            | Topic::InventoryInsufficient
            | Topic::InventoryAdjusted
            | Topic::PurchaseOrderPlaced
            | Topic::PurchaseOrderReceived
            | Topic::CatalogImportRequested => JobKind::Inventory,
        }
    }
}

/// The one shape of every domain event, as the outbox keeps it and the job runner
/// reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// `evt_` and the outbox row's number: unique, and the same on every retry and to
    /// every webhook endpoint (its `webhook-id`).
    pub id: String,
    pub topic: Topic,
    pub payload: Value,
    /// When it happened, in milliseconds since the Unix epoch: the database's clock
    /// when the change was written (the transaction's time).
    pub timestamp: i64,
    /// The W3C trace id of the request that caused it.
    pub trace_id: Option<String>,
    pub store_id: StoreId,
}

/// The statement that writes an event, from SQL expressions for its store, topic,
/// payload, trace id and job kind: an `INSERT` that may stand alone or end a `WITH`
/// (an event written by the same statement as its change). The row's id is drawn
/// first, so that the envelope can carry it.
pub fn insert_sql(store: &str, topic: &str, payload: &str, trace: &str, kind: &str) -> String {
    format!(
        "INSERT INTO outbox (id, store_id, topic, payload, trace_id, kind)
         SELECT n.id, {store}, {topic},
                jsonb_build_object('id', 'evt_' || n.id, 'topic', ({topic})::text,
                                   'payload', ({payload})::jsonb, 'timestamp', n.ms,
                                   'trace_id', ({trace})::text, 'store_id', ({store})::text),
                {trace}, {kind}
           FROM (SELECT nextval(pg_get_serial_sequence('outbox', 'id')) AS id,
                        (extract(epoch FROM now()) * 1000)::int8 AS ms) n"
    )
}

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
    let kind = topic.kind().as_str();
    let params: [Param<'_>; 5] = [
        (store, Type::TEXT),
        (&name, Type::TEXT),
        (&payload, Type::JSONB),
        (&trace_id, Type::TEXT),
        (&kind, Type::TEXT),
    ];
    let sql = insert_sql("$1", "$2", "$3", "$4", "$5");
    client.execute_typed(&sql, &params).await?;
    Ok(())
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub store_id: StoreId,
    pub envelope: Envelope,
    pub kind: JobKind,
    /// Attempts made before this one.
    pub attempts: i32,
}

impl Job {
    /// Whether this attempt is the job's last: a failure dead-letters it.
    pub fn last_attempt(&self) -> bool {
        self.attempts + 1 >= self.kind.max_attempts()
    }
}

/// Rows written before envelopes carried their id, store and a timestamp in
/// milliseconds (an ISO 8601 text then) read in today's shape.
const CLAIM_SQL: &str = "
    SELECT id, store_id, attempts, kind,
           payload || jsonb_build_object('id', 'evt_' || id, 'store_id', store_id,
               'timestamp', CASE WHEN jsonb_typeof(payload -> 'timestamp') = 'number'
                   THEN payload -> 'timestamp'
                   ELSE to_jsonb((extract(epoch FROM (payload ->> 'timestamp')::timestamptz)
                                  * 1000)::int8) END) AS payload
      FROM outbox
     WHERE status = 'pending' AND kind = $2 AND next_attempt_at <= now()
     ORDER BY next_attempt_at, id
     LIMIT $1
       FOR UPDATE SKIP LOCKED";

/// Up to `limit` due jobs of `kind`, the longest due first, locked for `client`'s
/// transaction (other runners skip them). The caller runs each and marks it before
/// committing.
pub async fn claim<C: Sql>(client: &C, kind: JobKind, limit: i64) -> Result<Vec<Job>, ApiError> {
    let name = kind.as_str();
    let params: [Param<'_>; 2] = [(&limit, Type::INT8), (&name, Type::TEXT)];
    let rows = client.query_typed(CLAIM_SQL, &params).await?;
    rows.iter()
        .map(|row| {
            let stored: String = col(row, "kind")?;
            Ok(Job {
                id: col(row, "id")?,
                store_id: col(row, "store_id")?,
                envelope: json_col(row, "payload")?,
                kind: JobKind::parse(&stored).ok_or_else(|| {
                    ApiError::internal(format!("unknown job kind '{stored}' in the outbox"))
                })?,
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

/// Records a failed attempt of `job`: retried later with backoff, or dead when its
/// kind's attempts run out or `retryable` is false.
pub async fn failed<C: Sql>(
    client: &C,
    job: &Job,
    error: &str,
    retryable: bool,
) -> Result<Retry, ApiError> {
    let (id, made) = (job.id, job.attempts + 1);
    let retry = if retryable && !job.last_attempt() {
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
    fn each_kind_has_its_attempts() {
        let attempts: Vec<i32> = JobKind::ALL.iter().map(|k| k.max_attempts()).collect();
        assert_eq!(attempts, [3, 5, 3]);
        assert_eq!(Topic::OrderCreated.kind(), JobKind::Mail);
        assert_eq!(Topic::PaymentSucceeded.kind(), JobKind::Order);
        assert_eq!(Topic::InventoryReserved.kind(), JobKind::Inventory);
    }

    #[test]
    fn topics_are_named_like_the_events() {
        for t in Topic::ALL {
            let json = serde_json::to_value(t).unwrap();
            assert_eq!(json, t.as_str());
            assert_eq!(Topic::parse(t.as_str()), Some(t));
            assert_eq!(JobKind::parse(t.kind().as_str()), Some(t.kind()));
        }
        assert_eq!(Topic::parse("order.exploded"), None);
    }
}
