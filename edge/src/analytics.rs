//! The analytics events of requests: sent to the events Queue after the response
//! (`waitUntil`), never delaying a shopper, and stored by the queue consumer
//! (`commerce::analytics::insert_batch`). The events of an isolate's requests join
//! one pending list, and one sender per isolate hands it to the Queue in batches (see
//! [`emit`]).
//!
//! `POST /analytics/events` takes a storefront's own events (the publishable key
//! names the store) and answers 202 at once.

use std::cell::{Cell, RefCell};

use commerce::analytics::record::{self, from_client};
use commerce::analytics::AnalyticsEvent;
use commerce::ids::StoreId;
use commerce::ApiError;
use serde_json::json;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{js_sys, wasm_bindgen_futures, Context, Date, Env, Response};

use crate::bindings::EVENTS;
use crate::context::Cx;
use crate::http;

thread_local! {
    /// Events of this isolate's requests not yet handed to the Queue (their JSON text:
    /// an object inside a Queue message arrives as a JS Map and reads back empty).
    static PENDING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// When this isolate's sender last started a `sendBatch`, while one is at work.
    static SENDING_SINCE: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Most messages one `sendBatch` takes (the Queues limit).
const BATCH: usize = 100;

/// A sender that has not started a batch for this long is taken to be gone (its
/// request's `waitUntil` ended): the next request's events start another.
const STALE_MS: u64 = 30_000;

/// How long one request's `waitUntil` keeps sending before it leaves what is still
/// pending to the next request with events (a request's `waitUntil` is bounded).
const SENDER_MS: u64 = 10_000;

/// The pause after a `sendBatch` in which the isolate's next events gather (cut short
/// by nothing: a full batch waits at most this long too).
const GATHER_MS: u32 = 100;

/// Sends `events` to the Queue after the response; a Queue failure is only logged.
///
/// One sender per isolate: the request that finds none starts it in its `waitUntil`.
/// It sends what is pending at once, then pauses [`GATHER_MS`] and sends what gathered
/// meanwhile, until a pause gathers nothing. So a lone event leaves at once and, under
/// load, an isolate makes about ten `sendBatch` calls a second whatever its rate (one
/// per cached hit halved the edge cache's throughput; see the README's bench).
pub fn emit(env: &Env, ctx: &Context, events: Vec<AnalyticsEvent>, trace_id: &str) {
    if events.is_empty() {
        return;
    }
    let messages = events.iter().filter_map(|e| serde_json::to_string(e).ok());
    PENDING.with(|p| p.borrow_mut().extend(messages));
    let started = now_ms();
    let running = SENDING_SINCE
        .with(|s| s.get())
        .is_some_and(|at| started.saturating_sub(at) < STALE_MS);
    if running {
        return;
    }
    SENDING_SINCE.with(|s| s.set(Some(started)));
    let env = env.clone();
    let trace_id = trace_id.to_owned();
    ctx.wait_until(async move {
        loop {
            let pending = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
            if pending.is_empty() {
                break;
            }
            let now = now_ms();
            SENDING_SINCE.with(|s| s.set(Some(now)));
            for batch in pending.chunks(BATCH) {
                send(&env, batch, &trace_id).await;
            }
            if now.saturating_sub(started) >= SENDER_MS {
                break;
            }
            pause(GATHER_MS).await;
        }
        SENDING_SINCE.with(|s| s.set(None));
    });
}

/// Waits `ms` milliseconds on the runtime's `setTimeout` (`worker::Delay` expects the
/// number browsers return and panics on the object workerd returns).
async fn pause(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let timer = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        let scheduled =
            timer.is_some_and(|set| set.call2(&global, &resolve, &JsValue::from(ms)).is_ok());
        if !scheduled {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

async fn send(env: &Env, batch: &[String], trace_id: &str) {
    let sent = match env.queue(EVENTS) {
        Ok(queue) => queue.send_batch(batch.to_vec()).await,
        Err(e) => Err(e),
    };
    if let Err(e) = sent {
        crate::log::failure(
            Some(trace_id),
            &ApiError::internal(format!("events queue: {e} ({} events)", batch.len())),
        );
    }
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
