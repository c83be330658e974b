//! Settling a payment: the one place where an authorized payment is captured and its
//! order confirmed, and where a failed one fails its order. Each function runs inside
//! the caller's transaction and starts by locking the payment session's row, so the
//! storefront's own confirmation and any number of webhook deliveries for the same
//! PaymentIntent are applied one after the other: the first captures, records the
//! ledger rows and confirms the order; the others find the session captured and do
//! nothing.

use crate::pool::Tx;
use commerce::events;
use commerce::ids::{PaymentSessionId, StoreId};
use commerce::order::{self, Order, OrderAction, OrderStatus, TransactionKind};
use commerce::outbox::{self, Topic};
use commerce::payment::{self, Movement, Session, SessionStatus};
use commerce::ApiError;
use serde_json::json;

use crate::app::{log, App};
use crate::payment::ProviderError;

/// How the payment came to be known as authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paid {
    /// Authorized, still to capture.
    Authorized,
    /// Captured by the provider already (automatic capture, or a capture elsewhere).
    Captured,
}

pub fn provider_error(e: ProviderError) -> ApiError {
    match e {
        ProviderError::Unavailable(detail) => ApiError::UpstreamUnavailable {
            message: "The payment provider did not answer. Your cart is saved; please try again in a moment.".into(),
            detail,
        },
        ProviderError::Rejected(detail) => ApiError::Internal {
            detail: format!("payment provider refused a request: {detail}"),
        },
    }
}

async fn session_order(tx: &Tx<'_>, session: &Session) -> Result<Option<Order>, ApiError> {
    match &session.order_id {
        Some(id) => Ok(Some(
            order::load_for_update(tx, &session.store_id, id).await?,
        )),
        None => Ok(None),
    }
}

/// Captures (unless `paid` says it is captured already) and confirms the order of
/// `session`, once. Returns the order as it is afterwards.
pub async fn settle_paid(
    app: &App,
    tx: &Tx<'_>,
    store: &StoreId,
    session_id: &PaymentSessionId,
    reference: &str,
    paid: Paid,
) -> Result<Option<Order>, ApiError> {
    let mut session = payment::session_for_update(tx, store, session_id).await?;
    let Some(order) = session_order(tx, &session).await? else {
        match session.status {
            // A session that was replaced (another card paid) or failed: whatever the
            // provider now holds for it goes back to the shopper.
            SessionStatus::Canceled | SessionStatus::Error => {
                let provider = app.provider(&session.provider_id)?;
                let key = format!("late-{}", session.id);
                let undone = match paid {
                    Paid::Authorized => provider.cancel(reference, &key).await.map(|_| ()),
                    Paid::Captured => provider
                        .refund(reference, session.amount, &key)
                        .await
                        .map(|_| ()),
                };
                log(
                    json!({"level": "warn", "msg": "payment arrived for a replaced session",
                           "session_id": session.id, "undone": undone.is_ok()}),
                );
                undone.map_err(provider_error)?;
            }
            // Authorized before any order was placed (a client confirmed early): the
            // completion that follows settles it.
            SessionStatus::Pending | SessionStatus::RequiresMore | SessionStatus::Authorized => {
                session.status = SessionStatus::Authorized;
                session.reference = Some(reference.to_owned());
                payment::save_session(tx, &session).await?;
            }
            SessionStatus::Captured => {}
        }
        return Ok(None);
    };
    if session.status == SessionStatus::Captured {
        return Ok(Some(order));
    }
    if order.status != OrderStatus::Pending {
        // The order failed (expired, declined) before this payment arrived: give the
        // money back rather than confirm an order whose stock was released.
        let provider = app.provider(&session.provider_id)?;
        let key = format!("late-{}", session.id);
        let undone = match paid {
            Paid::Authorized => provider.cancel(reference, &key).await.map(|_| ()),
            Paid::Captured => provider
                .refund(reference, order.total, &key)
                .await
                .map(|_| ()),
        };
        log(
            json!({"level": "warn", "msg": "payment arrived for an order that is not pending",
                   "order_id": order.id, "status": order.status.as_str(),
                   "session_id": session.id, "undone": undone.is_ok()}),
        );
        undone.map_err(provider_error)?;
        session.status = SessionStatus::Canceled;
        payment::save_session(tx, &session).await?;
        return Ok(Some(order));
    }
    let movement = |kind| Movement {
        store,
        order: &order.id,
        session: &session,
        kind,
        amount: order.total,
        reference,
    };
    payment::record(tx, &movement(TransactionKind::Authorization)).await?;
    if paid == Paid::Authorized && order.total.is_positive() {
        let provider = app.provider(&session.provider_id)?;
        provider
            .capture(reference, order.total, &format!("capture-{}", session.id))
            .await
            .map_err(provider_error)?;
    }
    if order.total.is_positive() {
        payment::record(tx, &movement(TransactionKind::Capture)).await?;
    }
    session.status = SessionStatus::Captured;
    session.reference = Some(reference.to_owned());
    session.amount = order.total;
    payment::save_session(tx, &session).await?;
    let confirmed = order::apply_action(tx, store, &order.id, OrderAction::Pay, None).await?;
    outbox::enqueue(
        tx,
        store,
        Topic::PaymentSucceeded,
        events::value(&events::PaymentSucceeded {
            order_id: order.id.to_string(),
            session_id: session.id.to_string(),
            provider_id: session.provider_id.clone(),
            amount: order.total.get(),
            currency_code: order.currency.as_str().to_owned(),
        }),
        order.trace_id.as_deref(),
    )
    .await?;
    payment::mark_collection_paid(tx, &session.collection_id, &order.id).await?;
    Ok(Some(confirmed.order))
}

/// The payment of `session` failed (declined, canceled at the provider, expired):
/// its pending order fails and releases its stock, once. A session already captured
/// is left alone (an out-of-order failure event after a success).
pub async fn settle_failed(
    tx: &Tx<'_>,
    store: &StoreId,
    session_id: &PaymentSessionId,
    reference: Option<&str>,
    reason: &str,
    status: SessionStatus,
) -> Result<Option<Order>, ApiError> {
    let mut session = payment::session_for_update(tx, store, session_id).await?;
    if matches!(
        session.status,
        SessionStatus::Captured | SessionStatus::Error | SessionStatus::Canceled
    ) {
        return session_order(tx, &session).await;
    }
    session.status = status;
    if let Some(r) = reference {
        session.reference = Some(r.to_owned());
    }
    payment::save_session(tx, &session).await?;
    let Some(order) = session_order(tx, &session).await? else {
        return Ok(None);
    };
    if order.status != OrderStatus::Pending {
        return Ok(Some(order));
    }
    let failed = order::apply_action(tx, store, &order.id, OrderAction::Fail, Some(reason)).await?;
    outbox::enqueue(
        tx,
        store,
        Topic::PaymentFailed,
        events::value(&events::PaymentFailed {
            order_id: order.id.to_string(),
            session_id: session.id.to_string(),
            provider_id: session.provider_id.clone(),
            reason: reason.to_owned(),
        }),
        order.trace_id.as_deref(),
    )
    .await?;
    Ok(Some(failed.order))
}
