//! The edge cache (Workers Cache API) for rendered pages and Store API responses, with
//! stale-while-revalidate done here: each entry records when it was stored; a fresh
//! entry is served as is, a stale one is served at once while the caller renders a new
//! copy in the background. Entries hold only what every shopper may see: the keys name
//! store, catalog version and region, and no personal state is ever stored.

use std::cell::RefCell;
use std::collections::HashSet;
use std::future::Future;

use commerce::ApiError;

use worker::{console_error, Cache, Context, Date, Headers, Response, ResponseBuilder};

const STORED_AT: &str = "x-edge-stored-at";

/// A cached body.
#[derive(Clone)]
pub struct Entry {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

enum Lookup {
    Fresh(Entry),
    Stale(Entry),
    Miss,
}

thread_local! {
    /// Keys being revalidated by this isolate, so a burst of stale hits renders once.
    static REVALIDATING: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// Looks `key` (a URL) up; entries older than `fresh_ms` are stale. Cache failures are
/// misses: the cache only ever speeds a request up.
async fn lookup(key: &str, fresh_ms: u64) -> Lookup {
    let Ok(Some(mut response)) = Cache::default().get(key, true).await else {
        return Lookup::Miss;
    };
    let headers = response.headers();
    let stored_at = headers
        .get(STORED_AT)
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    let content_type = headers
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    let status = response.status_code();
    let Ok(body) = response.bytes().await else {
        return Lookup::Miss;
    };
    let entry = Entry {
        status,
        content_type,
        body,
    };
    if Date::now().as_millis().saturating_sub(stored_at) > fresh_ms {
        Lookup::Stale(entry)
    } else {
        Lookup::Fresh(entry)
    }
}

/// Stores a body under `key` for `lifetime_s` seconds (fresh plus stale time).
async fn store(key: &str, entry: &Entry, lifetime_s: u64) -> worker::Result<()> {
    let headers = Headers::new();
    headers.set("content-type", &entry.content_type)?;
    headers.set("cache-control", &format!("public, max-age={lifetime_s}"))?;
    headers.set(STORED_AT, &Date::now().as_millis().to_string())?;
    let response: Response = ResponseBuilder::new()
        .with_status(entry.status)
        .with_headers(headers)
        .fixed(entry.body.clone());
    Cache::default().put(key, response).await
}

/// [`store`], with a failure only logged: a cache that cannot keep an entry only
/// makes the next request slower.
async fn put(key: &str, entry: &Entry, lifetime_s: u64) {
    if let Err(e) = store(key, entry, lifetime_s).await {
        console_error!(
            r#"{{"level":"error","msg":"edge cache put failed","error":{}}}"#,
            serde_json::Value::from(e.to_string())
        );
    }
}

/// Claims the revalidation of `key` for this isolate; false if one is under way.
fn claim(key: &str) -> bool {
    REVALIDATING.with(|r| r.borrow_mut().insert(key.to_owned()))
}

fn release(key: &str) {
    REVALIDATING.with(|r| r.borrow_mut().remove(key));
}

/// How an answer was found: `HIT`, `STALE` (served while a new copy renders) or `MISS`.
pub type CacheState = &'static str;

/// The entry under `key`, with stale-while-revalidate: a fresh entry as it is; a stale
/// one at once, while `render` makes a new copy after the response (`waitUntil`, one
/// per key and isolate); none, `render` now. Only 200 answers are kept, for
/// `lifetime_s` seconds. A failed background render is logged and the old entry stays.
pub async fn serve<F, Fut>(
    ctx: &Context,
    key: String,
    fresh_ms: u64,
    lifetime_s: u64,
    render: F,
) -> Result<(Entry, CacheState), ApiError>
where
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = Result<Entry, ApiError>> + 'static,
{
    match lookup(&key, fresh_ms).await {
        Lookup::Fresh(entry) => Ok((entry, "HIT")),
        Lookup::Stale(entry) => {
            if claim(&key) {
                ctx.wait_until(async move {
                    match render().await {
                        Ok(fresh) if fresh.status == 200 => put(&key, &fresh, lifetime_s).await,
                        Ok(_) => {}
                        Err(err) => console_error!(
                            r#"{{"level":"error","msg":"revalidation failed","detail":{}}}"#,
                            serde_json::Value::from(err.log_detail().unwrap_or_default())
                        ),
                    }
                    release(&key);
                });
            }
            Ok((entry, "STALE"))
        }
        Lookup::Miss => {
            let entry = render().await?;
            if entry.status == 200 {
                let copy = entry.clone();
                ctx.wait_until(async move { put(&key, &copy, lifetime_s).await });
            }
            Ok((entry, "MISS"))
        }
    }
}

/// A strong validator for a body: FNV-1a, 64 bits, quoted.
pub fn etag(body: &[u8]) -> String {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}
