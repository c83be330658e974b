//! The job runner: a loop in the origin that works through the outbox (claimed with
//! `FOR UPDATE SKIP LOCKED`, so several origins can run side by side), fails pending
//! orders whose stock hold expired (releasing the stock, cancelling the provider's
//! payment), and forgets nonces older than the signing window.
//!
//! Topics: `order.created` sends the confirmation e-mail; every event is also stored
//! as an analytics event (once, keyed by its outbox id). Each job kind (orders,
//! inventory, mail: `outbox::JobKind`) has a lane of its own, a loop that claims only
//! its kind, so a backlog of e-mail never delays an order's jobs. A failed job is
//! retried with exponential backoff and dead-lettered after its kind's attempts.

use std::time::{Duration, Instant};

use commerce::catalog::import::job as import_job;
use commerce::ids::{ImportId, OrderId, StoreId};
use commerce::order::{self, OrderAction, OrderStatus};
use commerce::outbox::{self, Job, JobKind, Retry, Topic};
use commerce::payment::{self, SessionStatus};
use commerce::ApiError;
use tokio_postgres::GenericClient;
use tracing::Instrument;

use crate::app::App;
use crate::email::EmailError;
use crate::mail;
use crate::settle;

/// Jobs claimed per transaction.
const BATCH: i64 = 20;

/// Runs until the process ends: one lane per job kind, side by side.
pub async fn run(app: App) {
    let lanes = JobKind::ALL.map(|kind| tokio::spawn(lane(app.clone(), kind)));
    for lane in lanes {
        if let Err(e) = lane.await {
            tracing::error!(detail = %e, "job lane stopped");
        }
    }
}

/// The loop of one job kind. The order lane also expires reservations and forgets old
/// nonces (work that must not wait behind e-mail either).
async fn lane(app: App, kind: JobKind) {
    let mut last_cleanup = Instant::now();
    loop {
        let worked = match tick(&app, kind).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(
                    detail = e.log_detail().unwrap_or(&e.to_string()),
                    "job runner"
                );
                0
            }
        };
        if kind == JobKind::Order && last_cleanup.elapsed() > Duration::from_secs(60) {
            last_cleanup = Instant::now();
            if let Err(e) = forget_nonces(&app).await {
                tracing::error!(detail = %e, "nonce cleanup");
            }
        }
        if worked < BATCH as usize {
            tokio::time::sleep(app.config.job_poll).await;
        }
    }
}

/// One round of a lane: (orders only) expired reservations, then a batch of its kind
/// of the outbox. Returns the jobs run.
pub async fn tick(app: &App, kind: JobKind) -> Result<usize, ApiError> {
    if kind == JobKind::Order {
        expire_reservations(app).await?;
    }
    let mut conn = app.pool.get().await?;
    let tx = conn.transaction().await?;
    let jobs = outbox::claim(&tx, kind, BATCH).await?;
    for job in &jobs {
        // Each job logs in a span with the trace id of the request that caused it.
        let span = tracing::info_span!(
            "job",
            trace_id = job.envelope.trace_id.as_deref().unwrap_or_default(),
            job_id = job.id,
            topic = job.envelope.topic.as_str(),
            kind = kind.as_str(),
        );
        match run_job(app, &*tx, job).instrument(span.clone()).await {
            Ok(()) => outbox::done(&tx, job.id).await?,
            Err((message, retryable)) => {
                let retry = outbox::failed(&tx, job, &message, retryable).await?;
                let _in_span = span.enter();
                let attempts = job.attempts + 1;
                if retry == Retry::Dead {
                    tracing::error!(attempts, error = %message, "job dead-lettered");
                } else {
                    tracing::warn!(attempts, error = %message, "job will be retried");
                }
            }
        }
    }
    tx.commit().await?;
    Ok(jobs.len())
}

/// Runs one job; the error says why and whether a retry can help.
async fn run_job<C: GenericClient + Sync>(
    app: &App,
    client: &C,
    job: &Job,
) -> Result<(), (String, bool)> {
    let db = |e: ApiError| (e.log_detail().unwrap_or("database").to_owned(), true);
    if job.envelope.topic == Topic::CatalogImportRequested {
        return import_batch(app, client, job).await;
    }
    if matches!(
        job.envelope.topic,
        Topic::OrderCreated | Topic::OrderShipped
    ) {
        let id = job
            .envelope
            .payload
            .get("order_id")
            .and_then(|v| v.as_str())
            .and_then(|s| OrderId::parse(s).ok())
            .ok_or_else(|| {
                let topic = job.envelope.topic.as_str();
                (format!("{topic} without an order_id"), false)
            })?;
        let order = order::load(client, &job.store_id, &id).await.map_err(db)?;
        let store_name: String = client
            .query_one(
                "SELECT name FROM stores WHERE id = $1",
                &[&job.store_id.as_str()],
            )
            .await
            .map_err(|e| (e.to_string(), true))?
            .get(0);
        // The confirmation once per order; the shipping news once per parcel (an
        // order shipped before parcels existed: once per order).
        let from = &app.config.email_from;
        let mails = match job.envelope.topic {
            Topic::OrderShipped => {
                let parcels: Vec<&commerce::order::Fulfillment> = order
                    .fulfillments
                    .iter()
                    .filter(|f| {
                        job.envelope.payload["fulfillment_ids"]
                            .as_array()
                            .is_some_and(|ids| ids.iter().any(|id| id == f.id.as_str()))
                    })
                    .collect();
                if parcels.is_empty() {
                    let key = format!("order-shipped-{}", order.id);
                    vec![(key, mail::shipped(&order, None, &store_name, from))]
                } else {
                    parcels
                        .into_iter()
                        .map(|p| {
                            let key = format!("order-shipped-{}", p.id);
                            (key, mail::shipped(&order, Some(p), &store_name, from))
                        })
                        .collect()
                }
            }
            _ => {
                let key = format!("order-confirmation-{}", order.id);
                vec![(key, mail::confirmation(&order, &store_name, from))]
            }
        };
        for (key, email) in &mails {
            let store = Some(job.store_id.as_str());
            mail::send(
                &app.mailer,
                client,
                store,
                Some(order.id.as_str()),
                email,
                key,
            )
            .await
            .map_err(|e| match e {
                EmailError::Retryable(m) => (m, true),
                EmailError::Permanent(m) => (m, false),
            })?;
        }
    }
    record_analytics(client, job)
        .await
        .map_err(|e| (e.to_string(), true))
}

/// Connections a catalog import writes on side by side (of the pool's
/// `DATABASE_POOL_SIZE`, 16 by default; checkouts keep the rest).
const IMPORT_CONNECTIONS: usize = 4;

/// Writes the next batch of a confirmed catalog import on connections of its own
/// (each product is its own transaction there), then asks for the next batch in the
/// job's transaction while products are left. The last attempt that fails marks the
/// import failed, so its page does not wait for ever.
async fn import_batch<C: GenericClient + Sync>(
    app: &App,
    client: &C,
    job: &Job,
) -> Result<(), (String, bool)> {
    let id = job
        .envelope
        .payload
        .get("import_id")
        .and_then(|v| v.as_str())
        .and_then(|s| ImportId::parse(s).ok())
        .ok_or_else(|| {
            (
                "catalog.import.requested without an import_id".to_owned(),
                false,
            )
        })?;
    let trace = job.envelope.trace_id.as_deref();
    let batch = async {
        let mut conns = Vec::with_capacity(IMPORT_CONNECTIONS);
        for _ in 0..IMPORT_CONNECTIONS {
            conns.push(app.pool.get().await?);
        }
        let clients: Vec<&tokio_postgres::Client> = conns.iter().map(|c| &**c).collect();
        import_job::run_batch(&clients, &job.store_id, &id, trace).await
    };
    match batch.await {
        Ok(true) => outbox::enqueue(
            client,
            &job.store_id,
            Topic::CatalogImportRequested,
            job.envelope.payload.clone(),
            trace,
        )
        .await
        .map_err(|e| (e.to_string(), true)),
        Ok(false) => Ok(()),
        Err(e) => {
            let detail = e.log_detail().unwrap_or(&e.to_string()).to_owned();
            if job.last_attempt() {
                let reason = format!("The import stopped: {e}");
                import_job::fail(client, &job.store_id, &id, &reason)
                    .await
                    .map_err(|e| (e.to_string(), true))?;
            }
            Err((detail, true))
        }
    }
}

/// Stores the event as an analytics event, once per outbox row.
async fn record_analytics<C: GenericClient + Sync>(
    client: &C,
    job: &Job,
) -> Result<(), tokio_postgres::Error> {
    let payload = &job.envelope.payload;
    let actor = payload
        .get("order_id")
        .or_else(|| payload.get("cart_id"))
        .and_then(|v| v.as_str())
        .unwrap_or("origin")
        .to_owned();
    let key = format!("outbox-{}", job.id);
    client
        .execute(
            "INSERT INTO analytics_events (store_id, name, trace_id, actor, metadata, occurred_at, event_key)
             VALUES ($1, $2, $3, $4, $5, to_timestamp($6::float8 / 1000), $7)
             ON CONFLICT (event_key) DO NOTHING",
            &[
                &job.store_id.as_str(),
                &job.envelope.topic.as_str(),
                &job.envelope.trace_id,
                &actor,
                payload,
                &(job.envelope.timestamp as f64),
                &key,
            ],
        )
        .await
        .map(|_| ())
}

/// Fails pending orders whose hold expired: the provider's payment is cancelled
/// first (a provider that does not answer is retried next round), then the order
/// fails and its stock is released.
pub async fn expire_reservations(app: &App) -> Result<usize, ApiError> {
    let mut conn = app.pool.get().await?;
    let due = order::expired_pending(&*conn, 50).await?;
    let mut expired = 0;
    for (store, id) in due {
        match expire_one(app, &mut conn, &store, &id).await {
            Ok(true) => expired += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(
                order_id = %id,
                detail = e.log_detail().unwrap_or(&e.to_string()),
                "could not expire order"
            ),
        }
    }
    Ok(expired)
}

async fn expire_one(
    app: &App,
    conn: &mut crate::pool::Conn,
    store: &StoreId,
    id: &OrderId,
) -> Result<bool, ApiError> {
    // Locks are taken session first, then order, as settling a payment takes them:
    // an expiry racing a webhook waits instead of deadlocking.
    let tx = conn.transaction().await?;
    let current = order::load(&tx, store, id).await?;
    if current.status != OrderStatus::Pending {
        return Ok(false);
    }
    let sessions = payment::sessions_of_order(&tx, id).await?;
    let reason = "The payment was not completed in time; the items were released.";
    let mut failed = false;
    for session in sessions {
        if matches!(
            session.status,
            SessionStatus::Captured | SessionStatus::Error | SessionStatus::Canceled
        ) {
            continue;
        }
        if let Some(reference) = &session.reference {
            let provider = app.provider(&session.provider_id)?;
            provider
                .cancel(reference, &format!("expire-{}", session.id))
                .await
                .map_err(settle::provider_error)?;
        }
        settle::settle_failed(
            &tx,
            store,
            &session.id,
            None,
            reason,
            SessionStatus::Canceled,
        )
        .await?;
        failed = true;
    }
    if !failed {
        let outcome = order::apply_action(&tx, store, id, OrderAction::Fail, Some(reason)).await;
        match outcome {
            Ok(_) => {}
            // Paid or failed meanwhile by another path: nothing to expire.
            Err(ApiError::Conflict { .. }) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    tracing::info!(order_id = %id, "pending order expired, stock released");
    Ok(true)
}

async fn forget_nonces(app: &App) -> Result<(), ApiError> {
    let conn = app.pool.get().await?;
    commerce::signing::forget_old_nonces(&*conn).await?;
    Ok(())
}
