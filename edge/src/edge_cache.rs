//! The edge cache (Workers Cache API) for rendered pages and Store API responses, with
//! stale-while-revalidate done here: each entry records when it was stored; a fresh
//! entry is served as is, a stale one is served at once while the caller renders a new
//! copy in the background. Entries hold only what every shopper may see: the keys name
//! store, catalog version and region, and no personal state is ever stored.
//!
//! In front of the Cache API, each isolate keeps the entries it served last in memory
//! (at most [`HOT_BYTES`], the oldest stored dropped first), under the same keys and
//! with the same freshness and lifetime: a hot product list is answered without a
//! Cache API read and its copy of the body.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::rc::Rc;

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
    /// The isolate's copies of entries it served.
    static HOT: RefCell<Hot> = RefCell::new(Hot::default());
}

/// Bytes of bodies (and keys) the isolate keeps in memory: a few dozen product lists.
/// Workers give an isolate 128 MB.
const HOT_BYTES: usize = 8 << 20;

struct HotEntry {
    stored_at: u64,
    expires_at: u64,
    entry: Rc<Entry>,
}

/// The in-memory tier: entries by key, and keys in the order they were stored.
#[derive(Default)]
struct Hot {
    entries: HashMap<String, HotEntry>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Hot {
    fn size(key: &str, entry: &Entry) -> usize {
        key.len() + entry.body.len() + entry.content_type.len()
    }

    fn get(&self, key: &str, now: u64) -> Option<(u64, Rc<Entry>)> {
        let hot = self.entries.get(key)?;
        (now < hot.expires_at).then(|| (hot.stored_at, hot.entry.clone()))
    }

    fn insert(&mut self, key: &str, stored_at: u64, lifetime_s: u64, entry: Rc<Entry>) {
        let size = Self::size(key, &entry);
        if size > HOT_BYTES / 4 {
            return;
        }
        if let Some(old) = self.entries.remove(key) {
            self.bytes -= Self::size(key, &old.entry);
            self.order.retain(|k| k != key);
        }
        while self.bytes + size > HOT_BYTES {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(old) = self.entries.remove(&oldest) {
                self.bytes -= Self::size(&oldest, &old.entry);
            }
        }
        let expires_at = stored_at.saturating_add(lifetime_s.saturating_mul(1000));
        self.bytes += size;
        self.order.push_back(key.to_owned());
        self.entries.insert(
            key.to_owned(),
            HotEntry {
                stored_at,
                expires_at,
                entry,
            },
        );
    }
}

/// Fresh or stale by the time it was stored.
fn by_age(stored_at: u64, fresh_ms: u64, entry: Entry) -> Lookup {
    if Date::now().as_millis().saturating_sub(stored_at) > fresh_ms {
        Lookup::Stale(entry)
    } else {
        Lookup::Fresh(entry)
    }
}

/// Looks `key` (a URL) up, in the isolate's memory first; entries older than
/// `fresh_ms` are stale. Cache failures are misses: the cache only ever speeds a
/// request up. A Cache API hit is kept in memory for the rest of its `lifetime_s`.
async fn lookup(key: &str, fresh_ms: u64, lifetime_s: u64) -> Lookup {
    let now = Date::now().as_millis();
    if let Some((stored_at, entry)) = HOT.with(|h| h.borrow().get(key, now)) {
        return by_age(stored_at, fresh_ms, Entry::clone(&entry));
    }
    let Ok(Some(response)) = Cache::default().get(key, true).await else {
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
    let Ok(body) = durable_objects::body_bytes(response).await else {
        return Lookup::Miss;
    };
    let entry = Entry {
        status,
        content_type,
        body,
    };
    if stored_at > 0 {
        let kept = Rc::new(entry.clone());
        HOT.with(|h| h.borrow_mut().insert(key, stored_at, lifetime_s, kept));
    }
    by_age(stored_at, fresh_ms, entry)
}

/// Stores a body under `key` for `lifetime_s` seconds (fresh plus stale time), in the
/// isolate's memory and in the Cache API.
async fn store(key: &str, entry: Entry, lifetime_s: u64) -> worker::Result<()> {
    let now = Date::now().as_millis();
    let headers = Headers::new();
    headers.set("content-type", &entry.content_type)?;
    headers.set("cache-control", &format!("public, max-age={lifetime_s}"))?;
    headers.set(STORED_AT, &now.to_string())?;
    let kept = Rc::new(entry);
    HOT.with(|h| h.borrow_mut().insert(key, now, lifetime_s, kept.clone()));
    let init = ResponseBuilder::new()
        .with_status(kept.status)
        .with_headers(headers);
    let response = crate::http::js_response(init, &kept.body)?;
    Cache::default().put(key, Response::from(response)).await
}

/// [`store`], with a failure only logged: a cache that cannot keep an entry only
/// makes the next request slower.
async fn put(key: &str, entry: Entry, lifetime_s: u64) {
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
    match lookup(&key, fresh_ms, lifetime_s).await {
        Lookup::Fresh(entry) => Ok((entry, "HIT")),
        Lookup::Stale(entry) => {
            if claim(&key) {
                ctx.wait_until(async move {
                    match render().await {
                        Ok(fresh) if fresh.status == 200 => put(&key, fresh, lifetime_s).await,
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
                ctx.wait_until(async move { put(&key, copy, lifetime_s).await });
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
