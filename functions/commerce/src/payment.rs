//! Payment records: a cart's payment collection (what it will be paid with), its
//! sessions (one attempt through one provider each), and the order's ledger of money
//! movements. A session's row is the lock under which its payment is settled, so a
//! capture happens once however many webhooks and confirmations race for it. The
//! providers themselves are the origin's; this module only keeps the records and
//! their Medusa shapes.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_postgres::types::{Json, Type};
use tokio_postgres::Row;

use crate::db::{col, json_col, Param, Sql};
use crate::error::ApiError;
use crate::ids::{
    CartId, OrderId, OrderTransactionId, PaymentCollectionId, PaymentSessionId, StoreId,
};
use crate::money::{CurrencyCode, MinorUnits};
use crate::order::{Order, TransactionKind};
use crate::outbox::{self, Topic};
use crate::wire::Major;

/// Where a payment session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Created; not yet tried.
    Pending,
    /// The shopper must confirm (3-D Secure) before it can be authorized.
    RequiresMore,
    Authorized,
    Captured,
    /// Declined or failed.
    Error,
    Canceled,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Pending => "pending",
            SessionStatus::RequiresMore => "requires_more",
            SessionStatus::Authorized => "authorized",
            SessionStatus::Captured => "captured",
            SessionStatus::Error => "error",
            SessionStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ApiError> {
        Ok(match s {
            "pending" => SessionStatus::Pending,
            "requires_more" => SessionStatus::RequiresMore,
            "authorized" => SessionStatus::Authorized,
            "captured" => SessionStatus::Captured,
            "error" => SessionStatus::Error,
            "canceled" => SessionStatus::Canceled,
            other => {
                return Err(ApiError::Internal {
                    detail: format!("unknown payment session status '{other}'"),
                })
            }
        })
    }
}

/// A cart's payment collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub id: PaymentCollectionId,
    pub store_id: StoreId,
    pub cart_id: CartId,
    pub currency: CurrencyCode,
    pub amount: MinorUnits,
    pub order_id: Option<OrderId>,
}

/// One attempt to pay a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: PaymentSessionId,
    pub collection_id: PaymentCollectionId,
    pub store_id: StoreId,
    pub provider_id: String,
    pub status: SessionStatus,
    pub amount: MinorUnits,
    pub currency: CurrencyCode,
    /// What the shopper chose and the provider keeps (never a full card number).
    pub data: Value,
    /// The provider's id of the payment (a Stripe PaymentIntent).
    pub reference: Option<String>,
    pub action_url: Option<String>,
    pub order_id: Option<OrderId>,
}

fn currency(row: &Row) -> Result<CurrencyCode, ApiError> {
    let code: String = col(row, "currency_code")?;
    CurrencyCode::parse(&code).map_err(|e| ApiError::Internal {
        detail: format!("payment currency: {e}"),
    })
}

fn collection_from_row(row: &Row) -> Result<Collection, ApiError> {
    Ok(Collection {
        id: col(row, "id")?,
        store_id: col(row, "store_id")?,
        cart_id: col(row, "cart_id")?,
        currency: currency(row)?,
        amount: col(row, "amount")?,
        order_id: col(row, "order_id")?,
    })
}

fn session_from_row(row: &Row) -> Result<Session, ApiError> {
    let status: String = col(row, "status")?;
    Ok(Session {
        id: col(row, "id")?,
        collection_id: col(row, "collection_id")?,
        store_id: col(row, "store_id")?,
        provider_id: col(row, "provider_id")?,
        status: SessionStatus::parse(&status)?,
        amount: col(row, "amount")?,
        currency: currency(row)?,
        data: json_col(row, "data")?,
        reference: col(row, "reference")?,
        action_url: col(row, "action_url")?,
        order_id: col(row, "order_id")?,
    })
}

const COLLECTION_COLUMNS: &str = "id, store_id, cart_id, currency_code, amount, order_id";
const SESSION_COLUMNS: &str =
    "id, collection_id, store_id, provider_id, status, amount, currency_code, data, reference, action_url, order_id";

/// The cart's collection, created on first use; its amount and currency follow the
/// cart's current total.
pub async fn collection_for_cart<C: Sql>(
    client: &C,
    store: &StoreId,
    cart: &CartId,
    currency: CurrencyCode,
    amount: MinorUnits,
) -> Result<Collection, ApiError> {
    let id = PaymentCollectionId::generate();
    let code = currency.as_str();
    let params: [Param<'_>; 5] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (cart, Type::TEXT),
        (&code, Type::TEXT),
        (&amount, Type::INT8),
    ];
    let sql = format!(
        "INSERT INTO payment_collections (id, store_id, cart_id, currency_code, amount)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (store_id, cart_id) DO UPDATE
             SET currency_code = excluded.currency_code, amount = excluded.amount,
                 updated_at = now()
         RETURNING {COLLECTION_COLUMNS}"
    );
    let rows = client.query_typed(&sql, &params).await?;
    rows.first()
        .map(collection_from_row)
        .transpose()?
        .ok_or_else(|| ApiError::Internal {
            detail: "payment collection upsert returned no row".into(),
        })
}

/// Collection `id` of `store`.
pub async fn collection<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &PaymentCollectionId,
) -> Result<Collection, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let sql = format!(
        "SELECT {COLLECTION_COLUMNS} FROM payment_collections WHERE store_id = $1 AND id = $2"
    );
    let rows = client.query_typed(&sql, &params).await?;
    rows.first()
        .map(collection_from_row)
        .transpose()?
        .ok_or_else(|| ApiError::not_found("PaymentCollection", "id", id.as_str()))
}

/// The cart's collection, if it has one.
pub async fn collection_by_cart<C: Sql>(
    client: &C,
    store: &StoreId,
    cart: &CartId,
) -> Result<Option<Collection>, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (cart, Type::TEXT)];
    let sql = format!(
        "SELECT {COLLECTION_COLUMNS} FROM payment_collections WHERE store_id = $1 AND cart_id = $2"
    );
    let rows = client.query_typed(&sql, &params).await?;
    rows.first().map(collection_from_row).transpose()
}

/// The collection's sessions, newest first.
pub async fn sessions<C: Sql>(
    client: &C,
    collection: &PaymentCollectionId,
) -> Result<Vec<Session>, ApiError> {
    let params: [Param<'_>; 1] = [(collection, Type::TEXT)];
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM payment_sessions WHERE collection_id = $1
         ORDER BY created_at DESC, id DESC"
    );
    let rows = client.query_typed(&sql, &params).await?;
    rows.iter().map(session_from_row).collect()
}

/// The sessions that pay (or paid) an order, newest first.
pub async fn sessions_of_order<C: Sql>(
    client: &C,
    order: &OrderId,
) -> Result<Vec<Session>, ApiError> {
    let params: [Param<'_>; 1] = [(order, Type::TEXT)];
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM payment_sessions WHERE order_id = $1
         ORDER BY created_at DESC, id DESC"
    );
    let rows = client.query_typed(&sql, &params).await?;
    rows.iter().map(session_from_row).collect()
}

/// Writes a new session and its `payment.created` event (under `trace_id`).
pub async fn insert_session<C: Sql>(
    client: &C,
    s: &Session,
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    let code = s.currency.as_str();
    let status = s.status.as_str();
    let data = Json(&s.data);
    let params: [Param<'_>; 10] = [
        (&s.id, Type::TEXT),
        (&s.collection_id, Type::TEXT),
        (&s.store_id, Type::TEXT),
        (&s.provider_id, Type::TEXT),
        (&status, Type::TEXT),
        (&s.amount, Type::INT8),
        (&code, Type::TEXT),
        (&data, Type::JSONB),
        (&s.reference, Type::TEXT),
        (&trace_id, Type::TEXT),
    ];
    // The session and its `payment.created` event in one statement.
    let topic = crate::outbox::Topic::PaymentCreated;
    let event = crate::outbox::insert_sql(
        "$3",
        &format!("'{}'", topic.as_str()),
        "jsonb_build_object('payment_session_id', $1::text, 'payment_collection_id', $2::text,
             'provider_id', $4::text, 'amount', $6::int8, 'currency_code', $7::text)",
        "$10",
        &format!("'{}'", topic.kind().as_str()),
    );
    let sql = format!(
        "WITH made AS (
             INSERT INTO payment_sessions (id, collection_id, store_id, provider_id, status,
                 amount, currency_code, data, reference)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id)
         {event}"
    );
    client.execute_typed(&sql, &params).await?;
    Ok(())
}

/// Saves a session's status, amount, data, reference, action URL and order.
pub async fn save_session<C: Sql>(client: &C, s: &Session) -> Result<(), ApiError> {
    let status = s.status.as_str();
    let data = Json(&s.data);
    let params: [Param<'_>; 7] = [
        (&s.id, Type::TEXT),
        (&status, Type::TEXT),
        (&s.amount, Type::INT8),
        (&data, Type::JSONB),
        (&s.reference, Type::TEXT),
        (&s.action_url, Type::TEXT),
        (&s.order_id, Type::TEXT),
    ];
    client
        .execute_typed(
            "UPDATE payment_sessions SET status = $2, amount = $3, data = $4, reference = $5,
                 action_url = $6, order_id = $7, updated_at = now()
             WHERE id = $1",
            &params,
        )
        .await?;
    Ok(())
}

/// Session `id` of `store`, its row locked for the caller's transaction: the lock
/// under which the session's payment is settled.
pub async fn session_for_update<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &PaymentSessionId,
) -> Result<Session, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM payment_sessions WHERE store_id = $1 AND id = $2 FOR UPDATE"
    );
    let rows = client.query_typed(&sql, &params).await?;
    rows.first()
        .map(session_from_row)
        .transpose()?
        .ok_or_else(|| ApiError::not_found("PaymentSession", "id", id.as_str()))
}

/// The session a provider's reference (a PaymentIntent id) belongs to, locked.
pub async fn session_by_reference_for_update<C: Sql>(
    client: &C,
    provider_id: &str,
    reference: &str,
) -> Result<Option<Session>, ApiError> {
    let params: [Param<'_>; 2] = [(&provider_id, Type::TEXT), (&reference, Type::TEXT)];
    let sql = format!(
        "SELECT {SESSION_COLUMNS} FROM payment_sessions
         WHERE provider_id = $1 AND reference = $2 FOR UPDATE"
    );
    let rows = client.query_typed(&sql, &params).await?;
    rows.first().map(session_from_row).transpose()
}

/// Cancels the collection's sessions that were created but never used for an order
/// (a new session replaces them).
pub async fn cancel_unused_sessions<C: Sql>(
    client: &C,
    collection: &PaymentCollectionId,
) -> Result<(), ApiError> {
    let params: [Param<'_>; 1] = [(collection, Type::TEXT)];
    client
        .execute_typed(
            "UPDATE payment_sessions SET status = 'canceled', updated_at = now()
             WHERE collection_id = $1 AND status = 'pending' AND order_id IS NULL",
            &params,
        )
        .await?;
    Ok(())
}

/// Detaches the order's sessions that have not paid (pending, awaiting
/// confirmation) and cancels them: the order is paid by a new session.
pub async fn cancel_unpaid_sessions_of_order<C: Sql>(
    client: &C,
    order: &OrderId,
) -> Result<(), ApiError> {
    let params: [Param<'_>; 1] = [(order, Type::TEXT)];
    client
        .execute_typed(
            "UPDATE payment_sessions SET status = 'canceled', order_id = NULL, updated_at = now()
             WHERE order_id = $1 AND status IN ('pending', 'requires_more')",
            &params,
        )
        .await?;
    Ok(())
}

/// Records that the collection paid `order`.
pub async fn mark_collection_paid<C: Sql>(
    client: &C,
    collection: &PaymentCollectionId,
    order: &OrderId,
) -> Result<(), ApiError> {
    let params: [Param<'_>; 2] = [(collection, Type::TEXT), (order, Type::TEXT)];
    client
        .execute_typed(
            "UPDATE payment_collections SET order_id = $2, updated_at = now() WHERE id = $1",
            &params,
        )
        .await?;
    Ok(())
}

/// Records a provider's webhook event as applied, in the caller's transaction.
/// Returns false when it was recorded before (a redelivery): the caller acknowledges
/// it without applying it again. A concurrent delivery of the same event waits here
/// until the first one's transaction ends.
pub async fn first_delivery<C: Sql>(
    client: &C,
    provider: &str,
    event_id: &str,
    event_type: &str,
) -> Result<bool, ApiError> {
    let params: [Param<'_>; 3] = [
        (&provider, Type::TEXT),
        (&event_id, Type::TEXT),
        (&event_type, Type::TEXT),
    ];
    let n = client
        .execute_typed(
            "INSERT INTO webhook_events (provider, event_id, event_type) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &params,
        )
        .await?;
    Ok(n == 1)
}

/// One movement for the ledger.
pub struct Movement<'a> {
    pub store: &'a StoreId,
    pub order: &'a OrderId,
    pub session: &'a Session,
    pub kind: TransactionKind,
    pub amount: MinorUnits,
    pub reference: &'a str,
}

/// Records a movement once: a second authorization or capture of the same session,
/// or a second row for the same provider refund, is not written. Returns whether it
/// was written.
pub async fn record<C: Sql>(client: &C, m: &Movement<'_>) -> Result<bool, ApiError> {
    let id = OrderTransactionId::generate();
    let kind = m.kind.as_str();
    let code = m.session.currency.as_str();
    let params: [Param<'_>; 9] = [
        (&id, Type::TEXT),
        (m.order, Type::TEXT),
        (m.store, Type::TEXT),
        (&kind, Type::TEXT),
        (&m.amount, Type::INT8),
        (&code, Type::TEXT),
        (&m.session.provider_id, Type::TEXT),
        (&m.session.id, Type::TEXT),
        (&m.reference, Type::TEXT),
    ];
    let n = client
        .execute_typed(
            // clock_timestamp(): rows of one transaction keep the order they were
            // written in (now() is the same for all of them).
            "INSERT INTO order_transactions (id, order_id, store_id, kind, amount,
                 currency_code, provider_id, session_id, reference, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, clock_timestamp())
             ON CONFLICT DO NOTHING",
            &params,
        )
        .await?;
    Ok(n == 1)
}

/// Records a refund of `amount` (the provider's `refund_id`) of `order`, paid by
/// `session`, in the ledger and announces it (`payment.refunded`), once per provider
/// refund: a refund seen again (our own call, then its webhook) is not recorded
/// twice. Returns whether it was new.
pub async fn record_refund<C: Sql>(
    client: &C,
    order: &Order,
    session: &Session,
    refund_id: &str,
    amount: MinorUnits,
) -> Result<bool, ApiError> {
    let written = record(
        client,
        &Movement {
            store: &order.store_id,
            order: &order.id,
            session,
            kind: TransactionKind::Refund,
            amount,
            reference: refund_id,
        },
    )
    .await?;
    if written {
        outbox::enqueue(
            client,
            &order.store_id,
            Topic::PaymentRefunded,
            crate::events::value(&crate::events::PaymentRefunded {
                order_id: order.id.to_string(),
                refund_id: refund_id.to_owned(),
                amount: amount.get(),
            }),
            order.trace_id.as_deref(),
        )
        .await?;
    }
    Ok(written)
}

/// Medusa's payment session shape.
pub fn session_json(s: &Session) -> Value {
    json!({
        "id": s.id,
        "amount": Major::of(s.amount, s.currency),
        "currency_code": s.currency.as_str(),
        "provider_id": s.provider_id,
        "payment_collection_id": s.collection_id,
        "data": s.data,
        "status": s.status.as_str(),
        "context": {},
    })
}

/// Medusa's payment collection shape, with its sessions (newest first).
pub fn collection_json(c: &Collection, sessions: &[Session]) -> Value {
    let status = if sessions.iter().any(|s| s.status == SessionStatus::Captured) {
        "completed"
    } else if sessions
        .iter()
        .any(|s| s.status == SessionStatus::Authorized)
    {
        "authorized"
    } else if sessions
        .iter()
        .any(|s| s.status == SessionStatus::RequiresMore)
    {
        "awaiting"
    } else {
        "not_paid"
    };
    json!({
        "id": c.id,
        "currency_code": c.currency.as_str(),
        "amount": Major::of(c.amount, c.currency),
        "status": status,
        "payment_providers": [],
        "payment_sessions": sessions.iter().map(session_json).collect::<Vec<_>>(),
    })
}
