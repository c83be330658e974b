//! The analytics events of requests: sent to the events Queue after the response
//! (`waitUntil`), never delaying a shopper, and stored by the queue consumer
//! (`commerce::analytics::insert_batch`). The events of an isolate's requests join
//! one pending list and leave together: under load those of requests answered
//! meanwhile go in the same `sendBatch` (one was 4 % of an add to cart's isolate
//! time), and a request whose events another took sends nothing.
//!
//! `POST /analytics/events` takes a storefront's own events (the publishable key
//! names the store) and answers 202 at once.

use std::cell::RefCell;

use commerce::analytics::record::{self, from_client};
use commerce::analytics::AnalyticsEvent;
use commerce::ids::StoreId;
use commerce::ApiError;
use serde_json::json;
use worker::{Context, Date, Env, Response};

use crate::bindings::EVENTS;
use crate::context::Cx;
use crate::http;

thread_local! {
    /// Events of this isolate's requests not yet handed to the Queue (their JSON text:
    /// an object inside a Queue message arrives as a JS Map and reads back empty).
    static PENDING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Most messages one `sendBatch` takes (the Queues limit).
const BATCH: usize = 100;

/// Sends `events` to the Queue after the response; a Queue failure is only logged.
pub fn emit(env: &Env, ctx: &Context, events: Vec<AnalyticsEvent>, trace_id: &str) {
    if events.is_empty() {
        return;
    }
    let messages = events.iter().filter_map(|e| serde_json::to_string(e).ok());
    PENDING.with(|p| p.borrow_mut().extend(messages));
    let env = env.clone();
    let trace_id = trace_id.to_owned();
    ctx.wait_until(async move {
        let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
        for batch in pending.chunks(BATCH) {
            let sent = match env.queue(EVENTS) {
                Ok(queue) => queue.send_batch(batch.to_vec()).await,
                Err(e) => Err(e),
            };
            if let Err(e) = sent {
                crate::log::failure(
                    Some(&trace_id),
                    &ApiError::internal(format!("events queue: {e} ({} events)", batch.len())),
                );
            }
        }
    });
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// The request's anonymous visitor in `store` (a daily hash; no cookie).
pub fn visitor(cx: &Cx, store: &StoreId) -> String {
    let agent = cx.header("user-agent").unwrap_or_default();
    record::visitor_id(store, &cx.client_ip(), &agent, now_ms())
}

/// Records one event of the platform's own for this request.
pub fn record(cx: &Cx, event: AnalyticsEvent) {
    emit(&cx.env, &cx.ctx, vec![event], &cx.trace_id);
}

/// `POST /analytics/events` (`{events: [...]}`, the store of the publishable key):
/// checked whole, then 202 `{accepted}`; stored through the Queue.
pub async fn ingest(cx: &mut Cx) -> Result<Response, ApiError> {
    let store = cx.store()?;
    let body = cx.json_body().await?;
    let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::internal(e.to_string()))?;
    let visitor = visitor(cx, &store.id);
    let events = from_client(&store.id, &bytes, &visitor, &cx.trace_id, now_ms())?;
    let accepted = events.len();
    emit(&cx.env, &cx.ctx, events, &cx.trace_id);
    http::json(202, &json!({ "accepted": accepted }))
}
