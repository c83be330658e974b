//! Completing a cart, as a saga of steps each of which can be undone:
//! 1. under a session lock per cart (a second completion of the same cart meanwhile is
//!    a 409), find the cart's order: a paid one is answered again (idempotent), a
//!    pending one is resumed;
//! 2. otherwise place the order in one transaction (re-priced, stock held, outbox);
//! 3. authorize the payment with the provider (outside any transaction);
//! 4. settle: capture and confirm (see [`settle`](crate::settle)), or, if declined,
//!    fail the order and release its stock (the compensation of step 2).
//!
//! If the provider does not answer, the order stays pending with its stock held
//! until its reservation expires (the job runner then releases it) or the shopper
//! retries, which resumes at step 3 with the same idempotency keys.

use commerce::cart::{self, Cart};
use commerce::checkout::{
    CollectionRequest, CompleteRequest, CompleteResponse, PaymentAction, PaymentChoice,
    SessionRequest,
};
use commerce::ids::{CartId, PaymentCollectionId, PaymentSessionId, StoreId};
use commerce::money::MinorUnits;
use commerce::order::{self, Order, OrderStatus};
use commerce::outbox::{self, Topic};
use commerce::payment::{self, Collection, Session, SessionStatus};
use commerce::ApiError;
use serde_json::{json, Value};

use crate::app::{log, now_ms, App};
use crate::payment::{Authorization, AuthorizeRequest, InitiateRequest};
use crate::pool::Conn;
use crate::settle::{self, provider_error, Paid};

/// Runs `work` while holding the cart's completion lock (a PostgreSQL session
/// advisory lock on this connection). Another completion of the same cart meanwhile
/// is refused with 409, as Medusa does.
async fn with_cart_lock<T>(
    conn: &mut Conn,
    store: &StoreId,
    cart: &CartId,
    work: impl AsyncFnOnce(&mut Conn) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let key = format!("complete/{store}/{cart}");
    let row = conn
        .query_one(
            "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
            &[&key],
        )
        .await?;
    if !row.get::<_, bool>(0) {
        return Err(ApiError::conflict(
            commerce::ErrorCode::CartCompleting,
            "This cart is already being completed. Please wait a moment and reload.",
        ));
    }
    // Until unlocked, the connection must not go back to the pool holding the lock.
    conn.hold_session_lock();
    let result = work(conn).await;
    if conn
        .execute(
            "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
            &[&key],
        )
        .await
        .is_ok()
    {
        conn.release_session_lock();
    }
    result
}

/// `POST /v1/carts/complete`.
pub async fn complete(
    app: &App,
    req: CompleteRequest,
    trace_id: Option<&str>,
) -> Result<CompleteResponse, ApiError> {
    let store = req.cart.store_id.clone();
    let mut conn = app.pool.get().await?;
    let cart = req.cart.id.clone();
    with_cart_lock(&mut conn, &store, &cart, async |conn| {
        complete_locked(app, conn, &store, req, trace_id).await
    })
    .await
}

async fn complete_locked(
    app: &App,
    conn: &mut Conn,
    store: &StoreId,
    req: CompleteRequest,
    trace_id: Option<&str>,
) -> Result<CompleteResponse, ApiError> {
    if let Some(order) = order::by_cart(&*conn, store, &req.cart.id).await? {
        if order.status != OrderStatus::Pending {
            return Ok(CompleteResponse::Order {
                order: Box::new(order),
            });
        }
        let session = order_session(conn, store, &order).await?;
        let session = match req.payment {
            // A new card for the pending order: a new session for it.
            Some(choice)
                if session.status != SessionStatus::RequiresMore || choice.data != Value::Null =>
            {
                let collection = session.collection_id.clone();
                new_session_for_order(app, conn, &order, collection, &choice, trace_id).await?
            }
            _ => session,
        };
        return pay(app, conn, store, &order, session, &req.return_url).await;
    }

    // The session to pay with: the one a page chose now, else the newest of the cart's
    // payment collection (created by the Store API's payment-sessions call).
    let total = MinorUnits::new(cart::totals(&req.cart)?.total);
    let session = match &req.payment {
        Some(choice) => {
            let collection = payment::collection_for_cart(
                &*conn,
                store,
                &req.cart.id,
                req.cart.region.currency,
                total,
            )
            .await?;
            create_session(app, conn, &collection, choice, trace_id).await?
        }
        None => latest_session(conn, store, &req.cart).await?,
    };

    let tx = conn.transaction().await?;
    let ttl = app.config.reservation_ttl_s;
    let mut session = session;
    // The order, its lines and events, the session's link to it, and the stock last:
    // from the stock hold to the commit, the stock rows stay locked.
    let placed = async {
        let placed = order::place(&tx, store, &req.cart, trace_id, now_ms(), ttl).await?;
        session.order_id = Some(placed.order_id().clone());
        payment::save_session(&tx, &session).await?;
        placed.hold_stock(&tx).await
    };
    let order = match placed.await {
        Ok(order) => order,
        Err(err) => {
            drop(tx);
            if let ApiError::NotAllowed {
                code: commerce::ErrorCode::InsufficientInventory,
                message,
            } = &err
            {
                insufficient(conn, store, &req.cart, message, trace_id).await;
            }
            return Err(err);
        }
    };
    tx.commit().await?;
    pay(app, conn, store, &order, session, &req.return_url).await
}

/// Records that a buyer found too little stock (analytics, through the outbox).
async fn insufficient(
    conn: &Conn,
    store: &StoreId,
    cart: &Cart,
    message: &str,
    trace_id: Option<&str>,
) {
    let payload = commerce::events::value(&commerce::events::InventoryInsufficient {
        cart_id: cart.id.to_string(),
        items: cart
            .items
            .iter()
            .map(|l| commerce::events::VariantQuantity {
                variant_id: l.variant_id.to_string(),
                quantity: i64::from(l.quantity),
            })
            .collect(),
        message: message.to_owned(),
    });
    let written =
        outbox::enqueue(conn, store, Topic::InventoryInsufficient, payload, trace_id).await;
    if let Err(e) = written {
        log(
            json!({"level": "error", "msg": "could not record inventory.insufficient", "detail": e.to_string()}),
        );
    }
}

/// The newest session of the cart's collection that can still pay.
async fn latest_session(conn: &Conn, store: &StoreId, cart: &Cart) -> Result<Session, ApiError> {
    let missing = || {
        ApiError::not_allowed(
            commerce::ErrorCode::PaymentSessionMissing,
            "The cart has no payment session: create a payment collection and a payment session first.",
        )
    };
    let collection = payment::collection_by_cart(conn, store, &cart.id)
        .await?
        .ok_or_else(missing)?;
    payment::sessions(conn, &collection.id)
        .await?
        .into_iter()
        .find(|s| {
            matches!(
                s.status,
                SessionStatus::Pending | SessionStatus::RequiresMore | SessionStatus::Authorized
            )
        })
        .ok_or_else(missing)
}

async fn order_session(conn: &Conn, store: &StoreId, order: &Order) -> Result<Session, ApiError> {
    let collection = payment::collection_by_cart(conn, store, &order.cart_id)
        .await?
        .ok_or_else(|| ApiError::Internal {
            detail: format!("pending order {} has no payment collection", order.id),
        })?;
    payment::sessions(conn, &collection.id)
        .await?
        .into_iter()
        .find(|s| s.order_id.as_ref() == Some(&order.id))
        .ok_or_else(|| ApiError::Internal {
            detail: format!("pending order {} has no payment session", order.id),
        })
}

/// A new session through the chosen provider for `collection`.
async fn create_session(
    app: &App,
    conn: &Conn,
    collection: &Collection,
    choice: &PaymentChoice,
    trace_id: Option<&str>,
) -> Result<Session, ApiError> {
    let provider = app.provider(&choice.provider_id)?;
    let id = PaymentSessionId::generate();
    let initiated = provider
        .initiate(&InitiateRequest {
            session_id: id.as_str(),
            amount: collection.amount,
            currency: collection.currency,
            data: &choice.data,
        })
        .await
        .map_err(provider_error)?;
    let session = Session {
        id,
        collection_id: collection.id.clone(),
        store_id: collection.store_id.clone(),
        provider_id: choice.provider_id.clone(),
        status: SessionStatus::Pending,
        amount: collection.amount,
        currency: collection.currency,
        data: initiated.data,
        reference: initiated.reference,
        action_url: None,
        order_id: None,
    };
    payment::insert_session(conn, &session, trace_id).await?;
    Ok(session)
}

async fn new_session_for_order(
    app: &App,
    conn: &mut Conn,
    order: &Order,
    collection_id: PaymentCollectionId,
    choice: &PaymentChoice,
    trace_id: Option<&str>,
) -> Result<Session, ApiError> {
    let collection = payment::collection(&*conn, &order.store_id, &collection_id).await?;
    let mut session = create_session(app, conn, &collection, choice, trace_id).await?;
    // The old session of the order stops counting: the order is paid by the new one.
    let tx = conn.transaction().await?;
    payment::cancel_unpaid_sessions_of_order(&tx, &order.id).await?;
    session.order_id = Some(order.id.clone());
    payment::save_session(&tx, &session).await?;
    tx.commit().await?;
    Ok(session)
}

/// Steps 3 and 4: authorize, then settle.
async fn pay(
    app: &App,
    conn: &mut Conn,
    store: &StoreId,
    order: &Order,
    mut session: Session,
    return_url: &str,
) -> Result<CompleteResponse, ApiError> {
    let provider = app.provider(&session.provider_id)?;
    let authorization = provider
        .authorize(&AuthorizeRequest {
            session_id: session.id.as_str(),
            reference: session.reference.as_deref(),
            data: &session.data,
            amount: order.total,
            currency: order.currency,
            return_url,
        })
        .await;
    let authorization = match authorization {
        Ok(a) => a,
        Err(e) => {
            let err = provider_error(e);
            if let Some(detail) = err.log_detail() {
                log(
                    json!({"level": "warn", "msg": "payment authorization did not complete",
                           "order_id": order.id, "detail": detail}),
                );
            }
            return Err(err);
        }
    };
    let tx = conn.transaction().await?;
    let response = match authorization {
        Authorization::Authorized { reference } => {
            paid(app, &tx, store, &session, &reference, Paid::Authorized).await?
        }
        Authorization::Captured { reference } => {
            paid(app, &tx, store, &session, &reference, Paid::Captured).await?
        }
        Authorization::Declined { reference, message } => {
            settle::settle_failed(
                &tx,
                store,
                &session.id,
                reference.as_deref(),
                &message,
                SessionStatus::Error,
            )
            .await?;
            CompleteResponse::declined(message)
        }
        Authorization::RequiresAction {
            reference,
            redirect_url,
        } => {
            let mut locked = payment::session_for_update(&tx, store, &session.id).await?;
            locked.status = SessionStatus::RequiresMore;
            locked.reference = Some(reference);
            locked.action_url = Some(redirect_url.clone());
            payment::save_session(&tx, &locked).await?;
            session = locked;
            CompleteResponse::requires_more(PaymentAction {
                session_id: session.id.to_string(),
                redirect_url,
            })
        }
    };
    tx.commit().await?;
    Ok(response)
}

async fn paid(
    app: &App,
    tx: &crate::pool::Tx<'_>,
    store: &StoreId,
    session: &Session,
    reference: &str,
    how: Paid,
) -> Result<CompleteResponse, ApiError> {
    let order = settle::settle_paid(app, tx, store, &session.id, reference, how)
        .await?
        .ok_or_else(|| ApiError::Internal {
            detail: format!("session {} has no order after placing", session.id),
        })?;
    Ok(match order.status {
        OrderStatus::Failed | OrderStatus::Canceled => CompleteResponse::declined(
            "The order expired before the payment arrived; the payment was returned. Please try again.",
        ),
        _ => CompleteResponse::Order {
            order: Box::new(order),
        },
    })
}

/// `POST /v1/payment-collections`: the cart's collection (created once), for the
/// cart's current total.
pub async fn collection(app: &App, req: CollectionRequest) -> Result<Value, ApiError> {
    let conn = app.pool.get().await?;
    let total = MinorUnits::new(cart::totals(&req.cart)?.total);
    let c = payment::collection_for_cart(
        &conn,
        &req.cart.store_id,
        &req.cart.id,
        req.cart.region.currency,
        total,
    )
    .await?;
    let sessions = payment::sessions(&conn, &c.id).await?;
    Ok(json!({"payment_collection": payment::collection_json(&c, &sessions)}))
}

/// `POST /v1/payment-collections/:id/payment-sessions`: a session through the chosen
/// provider for the collection's amount; earlier unused sessions are canceled. (The
/// amount is checked again against the order's total when the cart completes.)
pub async fn session(
    app: &App,
    id: &PaymentCollectionId,
    req: SessionRequest,
    trace_id: Option<&str>,
) -> Result<Value, ApiError> {
    let conn = app.pool.get().await?;
    let c = payment::collection(&conn, &req.store_id, id).await?;
    if c.order_id.is_some() {
        return Err(ApiError::not_allowed(
            commerce::ErrorCode::PaymentCollectionCompleted,
            "This payment collection has been paid already.",
        ));
    }
    payment::cancel_unused_sessions(&conn, &c.id).await?;
    create_session(app, &conn, &c, &req.payment, trace_id).await?;
    let sessions = payment::sessions(&conn, &c.id).await?;
    Ok(json!({"payment_collection": payment::collection_json(&c, &sessions)}))
}

/// `POST /v1/payment-sessions/:id/authenticate`: the shopper's answer at the test
/// bank's confirmation step, kept in the session for the next authorization. Only a
/// session of `cart`'s own payment collection is found (another cart's is a 404).
pub async fn authenticate(
    app: &App,
    store: &StoreId,
    cart: &CartId,
    id: &PaymentSessionId,
    approve: bool,
) -> Result<Value, ApiError> {
    let mut conn = app.pool.get().await?;
    let tx = conn.transaction().await?;
    let mut session = payment::session_for_update(&tx, store, id).await?;
    let collection = payment::collection(&tx, store, &session.collection_id).await?;
    if &collection.cart_id != cart {
        return Err(ApiError::not_found("PaymentSession", "id", id.as_str()));
    }
    if session.status != SessionStatus::RequiresMore {
        return Err(ApiError::conflict(
            commerce::ErrorCode::PaymentSessionState,
            format!(
                "The payment session is {}, not awaiting confirmation.",
                session.status.as_str()
            ),
        ));
    }
    if let Value::Object(map) = &mut session.data {
        map.insert(
            "authentication".into(),
            Value::from(if approve { "approved" } else { "failed" }),
        );
    }
    payment::save_session(&tx, &session).await?;
    tx.commit().await?;
    Ok(json!({"payment_session": payment::session_json(&session)}))
}
