//! Orders after checkout: reading one, the shopper's lookup, and operators' actions
//! (pack some or all units in a parcel at a location, ship a parcel with the carrier's
//! tracking, deliver, cancel, refund) through the state machine. Cancelling a
//! paid order refunds what was captured; a refund goes through the provider first and
//! is then recorded in the ledger once.

use commerce::checkout::ActionRequest;
use commerce::email::Email;
use commerce::ids::{OrderId, StoreId};
use commerce::order::{self, Order, OrderAction};
use commerce::payment::{self, SessionStatus};
use commerce::ApiError;

use crate::app::App;
use crate::settle::provider_error;

pub async fn get(app: &App, store: &StoreId, id: &OrderId) -> Result<Order, ApiError> {
    let conn = app.pool.get().await?;
    order::load(&conn, store, id).await
}

pub async fn lookup(
    app: &App,
    store: &StoreId,
    email: &Email,
    number: i64,
) -> Result<Order, ApiError> {
    let conn = app.pool.get().await?;
    order::lookup(&conn, store, email, number).await
}

/// Applies an operator's action.
pub async fn act(app: &App, id: &OrderId, req: &ActionRequest) -> Result<Order, ApiError> {
    let store = &req.store_id;
    tracing::info!(
        order = id.as_str(),
        action = req.action.as_str(),
        actor = req.actor.as_ref().map(|a| a.as_str()),
        reason = req.reason.as_deref(),
        "order action"
    );
    let mut conn = app.pool.get().await?;
    let tx = conn.transaction().await?;
    let current = order::load_for_update(&tx, store, id).await?;
    order::transition(current.status, req.action, current.progress())?;
    let refund = current.refund_for(req.action, req.amount)?;
    if refund.is_positive() {
        let session = payment::sessions_of_order(&tx, id)
            .await?
            .into_iter()
            .find(|s| s.status == SessionStatus::Captured)
            .ok_or_else(|| ApiError::Internal {
                detail: format!("order {id} was paid but has no captured session"),
            })?;
        let reference = session.reference.clone().unwrap_or_default();
        let provider = app.provider(&session.provider_id)?;
        let key = format!("refund-{id}-{}", current.transactions.len());
        let refund_id = provider
            .refund(&reference, refund, &key)
            .await
            .map_err(provider_error)?;
        payment::record_refund(&tx, &current, &session, &refund_id, refund).await?;
    }
    let outcome = match req.action {
        OrderAction::Fulfill => {
            let parcel = req.parcel.clone().unwrap_or_default();
            order::pack(&tx, store, id, &parcel, req.actor.as_ref())
                .await?
                .0
        }
        OrderAction::Ship => {
            let parcel = req.fulfillment_id.as_ref();
            order::ship_parcels(&tx, store, id, parcel, req.shipment.as_ref())
                .await?
                .0
        }
        _ => order::apply_action(&tx, store, id, req.action, None).await?,
    };
    tx.commit().await?;
    Ok(outcome.order)
}
