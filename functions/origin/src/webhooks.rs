//! Stripe's webhooks: the signature is checked first (a bad one is a 400 and nothing
//! happens); then, in one transaction, the event id is recorded (a redelivered event
//! finds it and is acknowledged without being applied) and the event is applied
//! through [`settle`](crate::settle), under the payment session's lock.

use commerce::order::{self, OrderAction};
use commerce::payment::{self, SessionStatus};
use commerce::ApiError;
use serde_json::{json, Value};

use crate::app::{now_s, App};
use crate::config::PaymentConfig;
use crate::payment::stripe::{verify_webhook, PaymentEventKind};
use crate::settle::{self, Paid};

/// Seconds a webhook's timestamp may be away from now (Stripe's default).
const TOLERANCE_S: i64 = 300;

/// `POST /v1/webhooks/stripe`.
pub async fn stripe(app: &App, body: &[u8], signature: Option<&str>) -> Result<Value, ApiError> {
    let PaymentConfig::Stripe { webhook_secret, .. } = &app.config.payment else {
        return Err(ApiError::not_found(
            "Webhook endpoint",
            "provider",
            "stripe",
        ));
    };
    let signature = signature.ok_or_else(|| ApiError::invalid("stripe-signature", "is missing"))?;
    let event = verify_webhook(body, signature, webhook_secret, now_s(), TOLERANCE_S)
        .map_err(|e| ApiError::invalid("stripe-signature", e.to_string()))?;
    let provider_id = app.provider.id();
    let mut conn = app.pool.get().await?;
    let tx = conn.transaction().await?;
    let fresh = payment::first_delivery(&tx, provider_id, &event.id, &event.event_type).await?;
    if !fresh {
        tx.commit().await?;
        return Ok(json!({"received": true, "duplicate": true}));
    }
    let session =
        payment::session_by_reference_for_update(&tx, provider_id, &event.reference).await?;
    let Some(session) = session else {
        // Not ours (another integration on the same account) or not yet recorded.
        tx.commit().await?;
        tracing::info!(
            event_id = %event.id,
            reference = %event.reference,
            "webhook for an unknown payment"
        );
        return Ok(json!({"received": true, "applied": false}));
    };
    let store = session.store_id.clone();
    match &event.kind {
        PaymentEventKind::Authorized => {
            settle::settle_paid(
                app,
                &tx,
                &store,
                &session.id,
                &event.reference,
                Paid::Authorized,
            )
            .await?;
        }
        PaymentEventKind::Captured => {
            settle::settle_paid(
                app,
                &tx,
                &store,
                &session.id,
                &event.reference,
                Paid::Captured,
            )
            .await?;
        }
        PaymentEventKind::Failed { message } => {
            settle::settle_failed(
                &tx,
                &store,
                &session.id,
                Some(&event.reference),
                message,
                SessionStatus::Error,
            )
            .await?;
        }
        PaymentEventKind::Canceled => {
            settle::settle_failed(
                &tx,
                &store,
                &session.id,
                Some(&event.reference),
                "The payment was canceled.",
                SessionStatus::Canceled,
            )
            .await?;
        }
        PaymentEventKind::Refunded { refund_id, amount } => {
            if let Some(order_id) = &session.order_id {
                let order = order::load_for_update(&tx, &store, order_id).await?;
                order::transition(order.status, OrderAction::Refund, order.progress())?;
                payment::record_refund(&tx, &order, &session, refund_id, *amount).await?;
            }
        }
        PaymentEventKind::Ignored => {}
    }
    tx.commit().await?;
    Ok(json!({"received": true, "applied": true}))
}
