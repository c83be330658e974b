//! The shop Worker's entry (feature `entry`): its fetch handler over the one routing
//! table, the EVENTS queue's consumer and the cron. Another Worker built from this
//! crate (edge/graphql) leaves them out and brings its own fetch handler.

use serde_json::json;
use worker::{event, Context, Date, Env, MessageBatch, Request, ScheduleContext, ScheduledEvent};

use crate::{log, router, serve};

/// The shop Worker's requests: [`serve`] with the one routing table.
#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<web_sys::Response> {
    serve(req, env, ctx, router::ROUTES).await
}

/// Events from the EVENTS queue, stored in `analytics_events` one batch per
/// statement. A message that is not an event is logged and dropped (it would fail
/// forever); a database failure retries the batch (the queue redelivers, and the
/// events' keys make a redelivery harmless).
#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    let mut events = Vec::new();
    for message in batch.messages()? {
        match commerce::analytics::AnalyticsEvent::from_message(message.body()) {
            Ok(event) => events.push(event),
            Err(e) => log::write(
                "error",
                "dropped a malformed event",
                None,
                json!({ "queue": batch.queue(), "error": e.to_string() }),
            ),
        }
    }
    let stored = durable_objects::db::with_client(&env, async |client: &tokio_postgres::Client| {
        commerce::analytics::insert_batch(client, &events).await
    })
    .await;
    match stored {
        Ok(n) => {
            log::write(
                "info",
                "events stored",
                None,
                json!({ "received": events.len(), "stored": n }),
            );
            batch.ack_all();
        }
        Err(err) => {
            log::failure(None, &err);
            batch.retry_all();
        }
    }
    Ok(())
}

/// Cron: probes the catalog database so operators see its health in the logs, then
/// settles the menus' "can ship now" entries of products whose stock moved lately.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let started = Date::now().as_millis();
    let outcome = durable_objects::db::ping(&env).await;
    let up = outcome.is_ok();
    let (level, status) = match &outcome {
        Ok(()) => ("info", "up"),
        Err(_) => ("error", "down"),
    };
    log::write(
        level,
        "database probe",
        None,
        json!({
            "cron": event.cron(), "database": status,
            "detail": outcome.err().and_then(|e| e.log_detail().map(str::to_owned)),
            "duration_ms": Date::now().as_millis().saturating_sub(started),
        }),
    );
    if up {
        use commerce::search::repo::{self, STOCK_REPAIR_MINUTES};
        upkeep(&env, "stock entries settled", "corrected", async |client| {
            repo::repair_stock_entries(client, STOCK_REPAIR_MINUTES).await
        })
        .await;
        upkeep(&env, "search bitmaps settled", "stores", async |client| {
            repo::settle_bitmaps(client).await
        })
        .await;
    }
}

/// A step of the cron's database upkeep: `work` on a connection of its own, logged as
/// `message` with its count under `key` and its duration, or as a failure.
async fn upkeep(
    env: &Env,
    message: &str,
    key: &str,
    work: impl AsyncFnOnce(&tokio_postgres::Client) -> Result<i64, commerce::ApiError>,
) {
    let started = Date::now().as_millis();
    match durable_objects::db::with_client(env, work).await {
        Ok(count) => log::write(
            "info",
            message,
            None,
            json!({
                key: count,
                "duration_ms": Date::now().as_millis().saturating_sub(started),
            }),
        ),
        Err(err) => log::failure(None, &err),
    }
}
