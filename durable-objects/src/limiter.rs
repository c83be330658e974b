//! `LimiterObject`: exact request counts for the abuse limits where an approximate
//! count is not good enough (payment attempts per cart: card testing). One object per
//! limited key; it keeps the key's current window in its storage, so that a restarted
//! object counts on, and an alarm forgets the key once the window has closed. The
//! rule is `commerce::limit::hit`.

use commerce::limit::{self, Decision, Limit, Window};
use commerce::ApiError;
use serde::{Deserialize, Serialize};
use worker::{durable_object, Date, DurableObject, Env, Request, Response, State};

use crate::Reply;

/// The binding of the limiters' namespace (`wrangler.toml`).
pub const BINDING: &str = "LIMITER";

const WINDOW_KEY: &str = "window";

/// One request to count under `key` against `limit`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Hit {
    pub key: String,
    pub limit: Limit,
}

/// Counts one request under `key`; `Err(TooManyRequests)` when it is over the limit.
pub async fn check(env: &Env, key: &str, limit: Limit) -> Result<(), ApiError> {
    let hit = Hit {
        key: key.to_owned(),
        limit,
    };
    let decision: Decision = crate::call(env, BINDING, key, &hit).await?;
    decision.into_result()
}

#[durable_object]
pub struct LimiterObject {
    state: State,
}

impl DurableObject for LimiterObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    /// One hit. Storage calls within one request are atomic with respect to other
    /// requests (the object's input gate), so concurrent hits are counted one by one.
    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let hit: Hit = crate::json_body(&mut req).await?;
        let now = Date::now().as_millis();
        let storage = self.state.storage();
        let stored: Option<Window> = storage.get(WINDOW_KEY).await?;
        let (window, decision) = limit::hit(stored, hit.limit, now);
        if stored != Some(window) {
            storage.put(WINDOW_KEY, window).await?;
            let closes_in = window.closes_ms(hit.limit).saturating_sub(now);
            storage
                .set_alarm(i64::try_from(closes_in).unwrap_or(i64::MAX))
                .await?;
        }
        Response::from_json(&Reply::Done(decision))
    }

    /// The window has closed: the key is forgotten.
    async fn alarm(&self) -> worker::Result<Response> {
        self.state.storage().delete_all().await?;
        Response::ok("")
    }
}
