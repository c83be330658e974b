//! Small read-mostly records kept in the isolate's memory (the store and its regions by
//! host, the store by publishable key), so that a warm request needs no database round
//! trip before its cache lookup. An entry older than its lifetime is still served while
//! one background refresh (`wait_until`) reads it again: stale-while-revalidate for the
//! records themselves. A failed refresh keeps the old record (the shop stays up while
//! the database is away) and is retried one lifetime later.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;
use std::thread::LocalKey;

use commerce::ApiError;
use worker::{Context, Date};

/// Entries kept at most per memo; the oldest is dropped beyond this.
const MAX_ENTRIES: usize = 256;

struct Entry<V> {
    loaded_at: u64,
    value: Rc<V>,
    refreshing: bool,
}

/// One memo: key to record.
pub struct Memo<V>(RefCell<HashMap<String, Entry<V>>>);

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Self(RefCell::new(HashMap::new()))
    }
}

fn now() -> u64 {
    Date::now().as_millis()
}

fn insert<V>(memo: &Memo<V>, key: String, value: Rc<V>) {
    let mut map = memo.0.borrow_mut();
    if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
        if let Some(oldest) = map
            .iter()
            .min_by_key(|(_, e)| e.loaded_at)
            .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
    }
    map.insert(
        key,
        Entry {
            loaded_at: now(),
            value,
            refreshing: false,
        },
    );
}

/// The record for `key`: from memory when present (refreshed in the background once
/// older than `ttl_ms`), else loaded now.
pub async fn get<V, F, Fut>(
    memo: &'static LocalKey<Memo<V>>,
    key: &str,
    ttl_ms: u64,
    ctx: &Context,
    load: F,
) -> Result<Rc<V>, ApiError>
where
    V: 'static,
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<V, ApiError>> + 'static,
{
    let cached = memo.with(|m| {
        let mut map = m.0.borrow_mut();
        let entry = map.get_mut(key)?;
        let stale = now().saturating_sub(entry.loaded_at) > ttl_ms;
        let refresh = stale && !entry.refreshing;
        if refresh {
            entry.refreshing = true;
        }
        Some((entry.value.clone(), refresh))
    });
    match cached {
        Some((value, refresh)) => {
            if refresh {
                let key = key.to_owned();
                ctx.wait_until(async move {
                    let loaded = load().await;
                    memo.with(|m| match loaded {
                        Ok(v) => insert(m, key, Rc::new(v)),
                        // Keep the old record and try again after another lifetime,
                        // not on every request while the database is away.
                        Err(_) => {
                            if let Some(e) = m.0.borrow_mut().get_mut(&key) {
                                e.refreshing = false;
                                e.loaded_at = now();
                            }
                        }
                    });
                });
            }
            Ok(value)
        }
        None => {
            let value = Rc::new(load().await?);
            memo.with(|m| insert(m, key.to_owned(), value.clone()));
            Ok(value)
        }
    }
}
