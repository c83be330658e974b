//! The events the platform records itself, and those a storefront sends to
//! `POST /analytics/events`, made into [`AnalyticsEvent`]s.
//!
//! A visitor without a cart is known by [`visitor_id`]: a hash of the address, the
//! browser and the day, different in every store and every day, so nothing about a
//! shopper is kept and no cookie is needed (pages served from the edge cache stay the
//! same for everyone).

use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{clean, AnalyticsEvent, MAX_PAGE_URL_BYTES};
use crate::error::ApiError;
use crate::ids::StoreId;

/// The most events one `POST /analytics/events` carries.
pub const MAX_CLIENT_EVENTS: usize = 50;
/// The largest body it takes, in bytes.
pub const MAX_CLIENT_BODY: usize = 64 * 1024;
/// How far back a client may date an event (a page left open), in milliseconds.
pub const MAX_AGE_MS: u64 = 24 * 3600 * 1000;
/// How far ahead (clocks differ), in milliseconds.
pub const MAX_AHEAD_MS: u64 = 5 * 60 * 1000;

/// The anonymous id of a visitor of `store` on the UTC day of `now_ms`: `v_` and 24 hex
/// digits of SHA-256 over the store, the day, the address and the user agent.
pub fn visitor_id(store: &StoreId, ip: &str, user_agent: &str, now_ms: u64) -> String {
    let day = now_ms / 86_400_000;
    let mut hash = Sha256::new();
    for part in [store.as_str(), &day.to_string(), ip, user_agent] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    let digest = hash.finalize();
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("v_{hex}")
}

/// A product looked at: by its id (a Store API read) or its handle (a page, also one
/// served from the edge cache, which knows no more); the rollup finds the product.
pub enum Viewed<'a> {
    Id(&'a str),
    Handle(&'a str),
}

fn made(
    store: &StoreId,
    name: &str,
    actor: &str,
    metadata: Value,
    trace_id: &str,
    now_ms: u64,
) -> AnalyticsEvent {
    AnalyticsEvent {
        name: name.to_owned(),
        store_id: store.clone(),
        trace_id: super::is_trace_id(trace_id).then(|| trace_id.to_owned()),
        actor: actor.to_owned(),
        metadata,
        occurred_at_ms: now_ms,
        event_key: Some(format!("{name}:{}", uuid::Uuid::new_v4().simple())),
    }
}

/// `view_item`: a product page or a product read through the Store API.
pub fn view_item(
    store: &StoreId,
    actor: &str,
    product: Viewed<'_>,
    page_url: Option<&str>,
    trace_id: &str,
    now_ms: u64,
) -> AnalyticsEvent {
    let mut metadata = Map::new();
    match product {
        Viewed::Id(id) => metadata.insert("product_id".into(), clean(id, 128).into()),
        Viewed::Handle(h) => metadata.insert("handle".into(), clean(h, 128).into()),
    };
    if let Some(url) = page_url {
        metadata.insert("page_url".into(), clean(url, MAX_PAGE_URL_BYTES).into());
    }
    made(
        store,
        "view_item",
        actor,
        Value::Object(metadata),
        trace_id,
        now_ms,
    )
}

/// `view_item_list`, or `search` when the list answers a query, with its number of
/// products when known (a page from the edge cache does not know it).
pub fn view_list(
    store: &StoreId,
    actor: &str,
    query: Option<&str>,
    hits: Option<i64>,
    trace_id: &str,
    now_ms: u64,
) -> AnalyticsEvent {
    match query {
        Some(q) => made(
            store,
            "search",
            actor,
            json!({ "q": clean(q, 200), "hits": hits }),
            trace_id,
            now_ms,
        ),
        None => made(
            store,
            "view_item_list",
            actor,
            json!({ "count": hits }),
            trace_id,
            now_ms,
        ),
    }
}

/// `begin_checkout`: a cart's checkout started (its checkout page, or a payment
/// collection asked for through the Store API); counted once per cart.
pub fn begin_checkout(store: &StoreId, cart: &str, trace_id: &str, now_ms: u64) -> AnalyticsEvent {
    AnalyticsEvent {
        // Once per cart, however often its checkout is opened.
        event_key: Some(format!("begin_checkout:{cart}")),
        ..made(store, "begin_checkout", cart, json!({}), trace_id, now_ms)
    }
}

/// `purchase`: order `order` confirmed (paid), recorded in the same transaction; its
/// key is the order's, so it counts once. The actor is the order's cart.
pub fn purchase(order: &crate::order::Order, now_ms: u64) -> AnalyticsEvent {
    let items: Vec<Value> = order
        .items
        .iter()
        .map(|i| {
            json!({ "product_id": i.product_id, "variant_id": i.variant_id,
                    "sku": i.sku, "quantity": i.quantity, "total": i.total.get() })
        })
        .collect();
    AnalyticsEvent {
        name: "purchase".to_owned(),
        store_id: order.store_id.clone(),
        trace_id: order.trace_id.clone().filter(|t| super::is_trace_id(t)),
        actor: order.cart_id.as_str().to_owned(),
        metadata: json!({
            "order_id": order.id, "display_id": order.display_id,
            "currency": order.currency.as_str(), "value": order.total.get(), "items": items,
        }),
        occurred_at_ms: now_ms,
        event_key: Some(format!("purchase:{}", order.id.as_str())),
    }
}

/// One event as a storefront sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientEvent {
    name: String,
    #[serde(default)]
    actor: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
    /// Milliseconds since the epoch; absent: now.
    #[serde(default)]
    occurred_at: Option<u64>,
    /// Absent: the event is stored once however often its message is delivered, but two
    /// sends of it are two events.
    #[serde(default)]
    event_key: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientBody {
    events: Vec<ClientEvent>,
}

/// The events of a `POST /analytics/events` body for `store`: `{events: [{name,
/// actor?, metadata?, occurred_at?, event_key?}]}`, at most [`MAX_CLIENT_EVENTS`],
/// dated within a day back and five minutes ahead; an event without an actor is the
/// request's `visitor`. Any problem refuses the whole body with the field named
/// (`events[2].occurred_at`); nothing is stored from a refused body. Purchases are
/// recorded by the platform itself, never taken from a client.
pub fn from_client(
    store: &StoreId,
    body: &[u8],
    visitor: &str,
    trace_id: &str,
    now_ms: u64,
) -> Result<Vec<AnalyticsEvent>, ApiError> {
    if body.len() > MAX_CLIENT_BODY {
        return Err(ApiError::invalid(
            "events",
            format!("the body is over {} KB", MAX_CLIENT_BODY / 1024),
        ));
    }
    let parsed: ClientBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid("events", format!("expected {{\"events\": [...]}}: {e}")))?;
    if parsed.events.is_empty() || parsed.events.len() > MAX_CLIENT_EVENTS {
        return Err(ApiError::invalid(
            "events",
            format!("1 to {MAX_CLIENT_EVENTS} events"),
        ));
    }
    parsed
        .events
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let at = |field: &str| format!("events[{i}].{field}");
            if e.name == "purchase" {
                return Err(ApiError::invalid(
                    at("name"),
                    "purchases are recorded by the store itself",
                ));
            }
            let occurred_at_ms = e.occurred_at.unwrap_or(now_ms);
            if occurred_at_ms + MAX_AGE_MS < now_ms || occurred_at_ms > now_ms + MAX_AHEAD_MS {
                return Err(ApiError::invalid(
                    at("occurred_at"),
                    "milliseconds since the epoch, within the last day",
                ));
            }
            let event = AnalyticsEvent {
                name: e.name,
                store_id: store.clone(),
                trace_id: super::is_trace_id(trace_id).then(|| trace_id.to_owned()),
                actor: e.actor.unwrap_or_else(|| visitor.to_owned()),
                metadata: e.metadata.unwrap_or_else(|| Value::Object(Map::new())),
                occurred_at_ms,
                event_key: Some(match e.event_key {
                    Some(key) => format!("client:{}:{key}", store.as_str()),
                    None => format!("client:{}", uuid::Uuid::new_v4().simple()),
                }),
            };
            event.validate().map_err(|err| match err {
                ApiError::InvalidParam { param, reason } => {
                    ApiError::invalid(param.replacen("event", &format!("events[{i}]"), 1), reason)
                }
                other => other,
            })?;
            Ok(event)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_793_527_200_000;
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    fn store() -> StoreId {
        StoreId::parse("store_ALPHA").unwrap()
    }

    #[test]
    fn a_visitor_is_the_same_all_day_and_another_the_next() {
        let a = visitor_id(&store(), "1.2.3.4", "Firefox", NOW);
        assert_eq!(
            a,
            visitor_id(&store(), "1.2.3.4", "Firefox", NOW + 3_600_000)
        );
        assert_ne!(
            a,
            visitor_id(&store(), "1.2.3.4", "Firefox", NOW + 86_400_000)
        );
        assert_ne!(a, visitor_id(&store(), "1.2.3.5", "Firefox", NOW));
        assert!(a.starts_with("v_") && a.len() == 26);
        let other = StoreId::parse("store_BETA").unwrap();
        assert_ne!(a, visitor_id(&other, "1.2.3.4", "Firefox", NOW));
    }

    #[test]
    fn a_clients_events_are_checked_whole() {
        let body = br#"{"events": [
            {"name": "view_item", "metadata": {"product_id": "prod_1"}},
            {"name": "add_to_wishlist", "actor": "cus_1", "occurred_at": 1793527100000, "event_key": "w1"}
        ]}"#;
        let events = from_client(&store(), body, "v_abc", TRACE, NOW).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].actor, "v_abc");
        assert_eq!(
            events[1].event_key.as_deref(),
            Some("client:store_ALPHA:w1")
        );
        let refused = |body: &[u8]| from_client(&store(), body, "v_abc", TRACE, NOW).unwrap_err();
        let err = refused(br#"{"events": [{"name": "view_item"}, {"name": "Bad Name"}]}"#);
        assert_eq!(err.body().param.as_deref(), Some("events[1].name"));
        let err = refused(br#"{"events": [{"name": "purchase"}]}"#);
        assert_eq!(err.body().param.as_deref(), Some("events[0].name"));
        let err = refused(br#"{"events": [{"name": "view_item", "occurred_at": 1000}]}"#);
        assert_eq!(err.body().param.as_deref(), Some("events[0].occurred_at"));
        assert_eq!(refused(br#"{"events": []}"#).status(), 400);
        assert_eq!(refused(b"not json").status(), 400);
        assert_eq!(
            refused(br#"{"events": [{"name": "x", "extra": 1}]}"#).status(),
            400
        );
        let big = format!(
            r#"{{"events": [{{"name": "view_item", "metadata": {{"pad": "{}"}}}}]}}"#,
            "x".repeat(MAX_CLIENT_BODY)
        );
        assert_eq!(refused(big.as_bytes()).status(), 400);
    }

    #[test]
    fn the_platforms_own_events_are_valid() {
        let s = store();
        for e in [
            view_item(
                &s,
                "v_1",
                Viewed::Handle("linen-shirt"),
                Some("/products/linen-shirt"),
                TRACE,
                NOW,
            ),
            view_item(&s, "v_1", Viewed::Id("prod_1"), None, "not-a-trace", NOW),
            view_list(&s, "v_1", Some("linen"), Some(3), TRACE, NOW),
            view_list(&s, "v_1", None, None, TRACE, NOW),
            begin_checkout(&s, "cart_1", TRACE, NOW),
        ] {
            e.validate().unwrap();
        }
    }
}
