//! Analytics events: what shoppers did (a line added to a cart, one removed), sent by
//! the edge to the events Queue as JSON message bodies and written by the queue
//! consumer into `analytics_events` (migration 0004), one batch per statement.
//!
//! A message body is checked field by field before it is stored ([`AnalyticsEvent::parse`],
//! also what deserialising does), so that a malformed message is refused with a clear
//! reason instead of failing the batch it came in. Redelivered messages are harmless:
//! an event's `event_key` is stored once.

pub mod metrics;
pub mod record;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio_postgres::types::Type;

use crate::cart::{CartEvent, CartEventName};
use crate::db::{col, first, Param, Sql};
use crate::error::ApiError;
use crate::ids::StoreId;

/// Longest event name: `add_to_cart`, GA4 style.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest actor (a cart or customer id).
pub const MAX_ACTOR_CHARS: usize = 128;
/// Longest idempotency key.
pub const MAX_EVENT_KEY_CHARS: usize = 256;
/// Largest metadata object, as compact JSON.
pub const MAX_METADATA_BYTES: usize = 8 * 1024;
/// Longest page URL [`AnalyticsEvent::from_cart_event`] keeps, in bytes.
pub const MAX_PAGE_URL_BYTES: usize = 2048;
/// Latest time accepted: 9999-12-31T23:59:59.999Z, in milliseconds since the epoch.
pub const MAX_OCCURRED_AT_MS: u64 = 253_402_300_799_999;

/// One thing a shopper did, as it travels in a Queue message and as it is stored.
/// Make one with [`AnalyticsEvent::parse`] or [`AnalyticsEvent::from_cart_event`];
/// [`insert_batch`] checks the fields again before writing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawEvent")]
pub struct AnalyticsEvent {
    /// What happened: 1 to [`MAX_NAME_CHARS`] lower-case letters, digits and
    /// underscores, starting with a letter (`add_to_cart`).
    pub name: String,
    pub store_id: StoreId,
    /// The W3C trace id (32 lower-case hex digits) of the request that caused it.
    pub trace_id: Option<String>,
    /// Who acted: a cart id or a customer id (letters, digits and underscores).
    pub actor: String,
    /// A JSON object of at most [`MAX_METADATA_BYTES`]; what it holds depends on
    /// `name`. Strings in it may not contain NUL, which `jsonb` cannot store.
    pub metadata: Value,
    /// When it happened at the edge, in milliseconds since the Unix epoch.
    pub occurred_at_ms: u64,
    /// Idempotency key: an event whose key is already stored is not stored again.
    /// 1 to [`MAX_EVENT_KEY_CHARS`] printable ASCII characters without spaces.
    pub event_key: Option<String>,
}

/// The message body as sent, before its fields are checked. Any other field is an
/// unknown shape and refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "AnalyticsEvent")]
struct RawEvent {
    name: String,
    store_id: StoreId,
    #[serde(default)]
    trace_id: Option<String>,
    actor: String,
    #[serde(default = "empty_object")]
    metadata: Value,
    occurred_at_ms: u64,
    #[serde(default)]
    event_key: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

impl TryFrom<RawEvent> for AnalyticsEvent {
    type Error = ApiError;

    fn try_from(raw: RawEvent) -> Result<Self, ApiError> {
        let event = AnalyticsEvent {
            name: raw.name,
            store_id: raw.store_id,
            trace_id: raw.trace_id,
            actor: raw.actor,
            metadata: raw.metadata,
            occurred_at_ms: raw.occurred_at_ms,
            event_key: raw.event_key,
        };
        event.validate()?;
        Ok(event)
    }
}

/// What kind of JSON value this is, for error messages.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether a NUL character hides in any string or key of `value`.
fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

pub(crate) fn is_trace_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && s.bytes().any(|b| b != b'0')
}

/// `s` without control characters, cut to at most `max` bytes on a character boundary.
pub(crate) fn clean(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    for c in s.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

impl AnalyticsEvent {
    /// An event from a Queue message body: its JSON text, as the edge sends it (a JSON
    /// object sent as such arrives as a JS `Map` and reads back empty), or, from other
    /// producers, the object itself.
    pub fn from_message(body: &Value) -> Result<Self, ApiError> {
        match body {
            Value::String(text) => {
                let value: Value = serde_json::from_str(text)
                    .map_err(|e| ApiError::invalid("event", format!("not JSON: {e}")))?;
                Self::parse(&value)
            }
            other => Self::parse(other),
        }
    }

    /// Reads a Queue message body. Anything but an object with exactly the event's
    /// fields (`trace_id`, `metadata` and `event_key` may be left out) is refused, as
    /// is a field outside its bounds; the error names the field (`event.name`).
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        if !body.is_object() {
            return Err(ApiError::invalid(
                "event",
                format!("must be a JSON object, not {}", json_kind(body)),
            ));
        }
        let raw =
            RawEvent::deserialize(body).map_err(|e| ApiError::invalid("event", e.to_string()))?;
        Self::try_from(raw)
    }

    /// Checks every field against the bounds documented on it.
    pub fn validate(&self) -> Result<(), ApiError> {
        let name_ok = (1..=MAX_NAME_CHARS).contains(&self.name.len())
            && self.name.starts_with(|c: char| c.is_ascii_lowercase())
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return Err(ApiError::invalid(
                "event.name",
                format!(
                    "must be 1 to {MAX_NAME_CHARS} lower-case letters, digits and underscores, \
                     starting with a letter"
                ),
            ));
        }
        if self.trace_id.as_deref().is_some_and(|t| !is_trace_id(t)) {
            return Err(ApiError::invalid(
                "event.trace_id",
                "must be a W3C trace id: 32 lower-case hex digits, not all zero",
            ));
        }
        let actor_ok = (1..=MAX_ACTOR_CHARS).contains(&self.actor.len())
            && self
                .actor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !actor_ok {
            return Err(ApiError::invalid(
                "event.actor",
                format!(
                    "must be a cart or customer id: 1 to {MAX_ACTOR_CHARS} letters, digits and \
                     underscores"
                ),
            ));
        }
        if !self.metadata.is_object() {
            return Err(ApiError::invalid(
                "event.metadata",
                format!("must be a JSON object, not {}", json_kind(&self.metadata)),
            ));
        }
        if has_nul(&self.metadata) {
            return Err(ApiError::invalid(
                "event.metadata",
                "may not contain NUL characters",
            ));
        }
        if self.metadata.to_string().len() > MAX_METADATA_BYTES {
            return Err(ApiError::invalid(
                "event.metadata",
                format!("must be at most {MAX_METADATA_BYTES} bytes as JSON"),
            ));
        }
        if self.occurred_at_ms > MAX_OCCURRED_AT_MS {
            return Err(ApiError::invalid(
                "event.occurred_at_ms",
                "must be milliseconds since 1970-01-01 and before the year 10000",
            ));
        }
        let key_ok = |k: &str| {
            (1..=MAX_EVENT_KEY_CHARS).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic())
        };
        if self.event_key.as_deref().is_some_and(|k| !key_ok(k)) {
            return Err(ApiError::invalid(
                "event.event_key",
                format!(
                    "must be 1 to {MAX_EVENT_KEY_CHARS} printable ASCII characters without spaces"
                ),
            ));
        }
        Ok(())
    }

    /// The analytics event of a cart change: named like the change (`add_to_cart`,
    /// `remove_from_cart`), acted by the cart, with metadata `{variant_id, product_id,
    /// sku, price (minor units), currency, quantity, page_url}`.
    ///
    /// Its `event_key` is `<cart id>:<name>:<at_ms>:<variant id>:<quantity>:<random>`,
    /// made once when the event is made: every delivery of the message carries the same
    /// key, so a redelivery is stored once, while two changes alike in every field (50
    /// adds of one variant within a millisecond) still count one each.
    ///
    /// A `trace_id` that is not a W3C trace id is left out, and `page_url` loses its
    /// control characters and is cut to [`MAX_PAGE_URL_BYTES`], so the event always
    /// passes [`validate`](Self::validate) (given a sane clock).
    pub fn from_cart_event(
        event: &CartEvent,
        trace_id: Option<String>,
        page_url: Option<String>,
    ) -> AnalyticsEvent {
        let name = match event.name {
            CartEventName::AddToCart => "add_to_cart",
            CartEventName::RemoveFromCart => "remove_from_cart",
        };
        let metadata = json!({
            "variant_id": event.variant_id,
            "product_id": event.product_id,
            "sku": event.sku.as_deref().map(|s| clean(s, 256)),
            "price": event.price,
            "currency": event.currency.as_str(),
            "quantity": event.quantity,
            "page_url": page_url.as_deref().map(|u| clean(u, MAX_PAGE_URL_BYTES)),
        });
        let event_key = format!(
            "{}:{name}:{}:{}:{}:{}",
            event.cart_id,
            event.at_ms,
            event.variant_id,
            event.quantity,
            uuid::Uuid::new_v4().simple()
        );
        AnalyticsEvent {
            name: name.to_owned(),
            store_id: event.store_id.clone(),
            trace_id: trace_id.filter(|t| is_trace_id(t)),
            actor: event.cart_id.as_str().to_owned(),
            metadata,
            occurred_at_ms: event.at_ms,
            event_key: Some(event_key),
        }
    }
}

/// One statement for the whole batch: the events as parallel arrays, kept only where
/// their store exists, and skipped where their key is already stored (by an earlier
/// delivery, or earlier in this batch). Reports how many rows it inserted.
const INSERT_BATCH_SQL: &str = "
    WITH inserted AS (
        INSERT INTO analytics_events
            (store_id, name, trace_id, actor, metadata, occurred_at, event_key)
        SELECT e.store_id, e.name, e.trace_id, e.actor, e.metadata,
               timestamptz 'epoch' + e.occurred_at_ms * interval '1 millisecond', e.event_key
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[],
                    $6::int8[], $7::text[])
             WITH ORDINALITY
             AS e(store_id, name, trace_id, actor, metadata, occurred_at_ms, event_key, n)
        JOIN stores s ON s.id = e.store_id
        ORDER BY e.n
        ON CONFLICT (event_key) DO NOTHING
        RETURNING 1)
    SELECT count(*) AS inserted FROM inserted";

/// Stores a batch of events in one statement and returns how many rows it added.
/// Events of a store that does not exist (deleted since they were sent) are skipped,
/// as are events whose `event_key` is stored already; neither fails the batch. An
/// event that does not [`validate`](AnalyticsEvent::validate) refuses the whole batch,
/// naming it (`events[3].name`), before anything is written.
pub async fn insert_batch<C: Sql>(client: &C, events: &[AnalyticsEvent]) -> Result<u64, ApiError> {
    if events.is_empty() {
        return Ok(0);
    }
    for (i, event) in events.iter().enumerate() {
        event.validate().map_err(|e| match e {
            ApiError::InvalidParam { param, reason } => {
                ApiError::invalid(param.replacen("event", &format!("events[{i}]"), 1), reason)
            }
            other => other,
        })?;
    }
    let stores: Vec<&str> = events.iter().map(|e| e.store_id.as_str()).collect();
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    let traces: Vec<Option<&str>> = events.iter().map(|e| e.trace_id.as_deref()).collect();
    let actors: Vec<&str> = events.iter().map(|e| e.actor.as_str()).collect();
    let metadata: Vec<&Value> = events.iter().map(|e| &e.metadata).collect();
    // validate() bounds the times far below i64::MAX.
    let times: Vec<i64> = events
        .iter()
        .map(|e| i64::try_from(e.occurred_at_ms).unwrap_or(i64::MAX))
        .collect();
    let keys: Vec<Option<&str>> = events.iter().map(|e| e.event_key.as_deref()).collect();
    let params: [Param<'_>; 7] = [
        (&stores, Type::TEXT_ARRAY),
        (&names, Type::TEXT_ARRAY),
        (&traces, Type::TEXT_ARRAY),
        (&actors, Type::TEXT_ARRAY),
        (&metadata, Type::JSONB_ARRAY),
        (&times, Type::INT8_ARRAY),
        (&keys, Type::TEXT_ARRAY),
    ];
    let row = first(client.query_typed(INSERT_BATCH_SQL, &params).await?).ok_or_else(|| {
        ApiError::Internal {
            detail: "insert of analytics events returned no row".into(),
        }
    })?;
    let inserted: i64 = col(&row, "inserted")?;
    Ok(u64::try_from(inserted).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CartId, ProductId, VariantId};
    use crate::money::CurrencyCode;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    fn body() -> Value {
        json!({
            "name": "add_to_cart",
            "store_id": "store_ALPHA",
            "trace_id": TRACE,
            "actor": "cart_01J0ABC",
            "metadata": { "variant_id": "variant_A1S", "quantity": 2 },
            "occurred_at_ms": 1_714_566_600_000_u64,
            "event_key": "cart_01J0ABC:add_to_cart:1714566600000:variant_A1S:2",
        })
    }

    fn with(field: &str, value: Value) -> Value {
        let mut b = body();
        b[field] = value;
        b
    }

    fn without(field: &str) -> Value {
        let mut b = body();
        b.as_object_mut().unwrap().remove(field);
        b
    }

    /// The refused field and the reason.
    fn refusal(body: &Value) -> (String, String) {
        match AnalyticsEvent::parse(body).unwrap_err() {
            ApiError::InvalidParam { param, reason } => (param, reason),
            other => panic!("not an invalid param: {other:?}"),
        }
    }

    fn cart_event(name: CartEventName, quantity: u32) -> CartEvent {
        CartEvent {
            name,
            store_id: StoreId::parse("store_ALPHA").unwrap(),
            cart_id: CartId::parse("cart_01J0ABC").unwrap(),
            variant_id: VariantId::parse("variant_A1S").unwrap(),
            product_id: ProductId::parse("prod_A1").unwrap(),
            sku: Some("A1-S".into()),
            price: crate::money::MinorUnits::new(2450),
            currency: CurrencyCode::parse("eur").unwrap(),
            quantity,
            at_ms: 1_714_566_600_000,
        }
    }

    #[test]
    fn a_well_formed_body_parses() {
        let e = AnalyticsEvent::parse(&body()).unwrap();
        assert_eq!(e.name, "add_to_cart");
        assert_eq!(e.store_id.as_str(), "store_ALPHA");
        assert_eq!(e.trace_id.as_deref(), Some(TRACE));
        assert_eq!(e.actor, "cart_01J0ABC");
        assert_eq!(e.metadata["quantity"], 2);
        assert_eq!(e.occurred_at_ms, 1_714_566_600_000);
        assert!(e.event_key.is_some());
    }

    #[test]
    fn optional_fields_may_be_left_out_or_null() {
        for field in ["trace_id", "event_key"] {
            let e = AnalyticsEvent::parse(&without(field)).unwrap();
            let again = AnalyticsEvent::parse(&with(field, Value::Null)).unwrap();
            assert_eq!(e, again);
        }
        let e = AnalyticsEvent::parse(&without("metadata")).unwrap();
        assert_eq!(e.metadata, json!({}));
    }

    #[test]
    fn unknown_shapes_are_refused_clearly() {
        let (param, reason) = refusal(&with("colour", json!("red")));
        assert_eq!(param, "event");
        assert!(reason.contains("unknown field `colour`"), "{reason}");
        let (_, reason) = refusal(&without("actor"));
        assert!(reason.contains("missing field `actor`"), "{reason}");
        let (_, reason) = refusal(&with("occurred_at_ms", json!("yesterday")));
        assert!(reason.contains("invalid type"), "{reason}");
        let (_, reason) = refusal(&with("occurred_at_ms", json!(-1)));
        assert!(reason.contains("invalid value"), "{reason}");
        for not_object in [json!([body()]), json!("add_to_cart"), Value::Null] {
            let (param, reason) = refusal(&not_object);
            assert_eq!(param, "event");
            assert!(reason.starts_with("must be a JSON object, not"), "{reason}");
        }
        let (_, reason) = refusal(&with("store_id", json!("prod_A1")));
        assert!(reason.contains("not a valid store id"), "{reason}");
    }

    #[test]
    fn fields_out_of_bounds_are_refused_by_name() {
        let cases = [
            ("name", json!("")),
            ("name", json!("Add To Cart")),
            ("name", json!("1st")),
            ("name", json!("a".repeat(MAX_NAME_CHARS + 1))),
            ("trace_id", json!("abc")),
            ("trace_id", json!(TRACE.to_uppercase())),
            ("trace_id", json!("0".repeat(32))),
            ("actor", json!("")),
            ("actor", json!("cart 1")),
            ("actor", json!("a".repeat(MAX_ACTOR_CHARS + 1))),
            ("metadata", json!([1, 2])),
            ("metadata", Value::Null),
            ("metadata", json!({ "page_url": "a\u{0}b" })),
            ("metadata", json!({ "x": "y".repeat(MAX_METADATA_BYTES) })),
            ("occurred_at_ms", json!(MAX_OCCURRED_AT_MS + 1)),
            ("event_key", json!("")),
            ("event_key", json!("has space")),
            ("event_key", json!("k".repeat(MAX_EVENT_KEY_CHARS + 1))),
        ];
        for (field, value) in cases {
            let (param, reason) = refusal(&with(field, value.clone()));
            assert_eq!(
                param,
                format!("event.{field}"),
                "{field} = {value}: {reason}"
            );
        }
        assert!(AnalyticsEvent::parse(&with("occurred_at_ms", json!(MAX_OCCURRED_AT_MS))).is_ok());
        assert!(AnalyticsEvent::parse(&with("name", json!("a".repeat(MAX_NAME_CHARS)))).is_ok());
    }

    #[test]
    fn deserialising_checks_the_fields_too() {
        let bad = with("name", json!("Bad Name"));
        let err = serde_json::from_value::<AnalyticsEvent>(bad).unwrap_err();
        assert!(err.to_string().contains("event.name"), "{err}");
        let text = serde_json::to_string(&body()).unwrap();
        let e: AnalyticsEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(e, AnalyticsEvent::parse(&body()).unwrap());
    }

    #[test]
    fn cart_events_become_analytics_events() {
        let e = AnalyticsEvent::from_cart_event(
            &cart_event(CartEventName::AddToCart, 2),
            Some(TRACE.into()),
            Some("https://harbor.localhost/products/linen-shirt".into()),
        );
        assert_eq!(e.name, "add_to_cart");
        assert_eq!(e.store_id.as_str(), "store_ALPHA");
        assert_eq!(e.actor, "cart_01J0ABC");
        assert_eq!(e.trace_id.as_deref(), Some(TRACE));
        assert_eq!(e.occurred_at_ms, 1_714_566_600_000);
        assert_eq!(
            e.metadata,
            json!({
                "variant_id": "variant_A1S", "product_id": "prod_A1", "sku": "A1-S",
                "price": 2450, "currency": "eur", "quantity": 2,
                "page_url": "https://harbor.localhost/products/linen-shirt",
            })
        );
        let key = e.event_key.as_deref().unwrap();
        assert!(
            key.starts_with("cart_01J0ABC:add_to_cart:1714566600000:variant_A1S:2:"),
            "{key}"
        );
        e.validate().unwrap();
        // As a Queue message body and back.
        let sent = serde_json::to_value(&e).unwrap();
        assert_eq!(AnalyticsEvent::parse(&sent).unwrap(), e);
    }

    #[test]
    fn queue_messages_are_read_as_text_or_object() {
        let e =
            AnalyticsEvent::from_cart_event(&cart_event(CartEventName::AddToCart, 1), None, None);
        let object = serde_json::to_value(&e).unwrap();
        let text = Value::String(object.to_string());
        assert_eq!(AnalyticsEvent::from_message(&text).unwrap(), e);
        assert_eq!(AnalyticsEvent::from_message(&object).unwrap(), e);
        assert!(AnalyticsEvent::from_message(&json!("{not json")).is_err());
    }

    #[test]
    fn each_cart_event_gets_its_own_key() {
        // Two changes alike in every field (parallel adds within one millisecond) are
        // two events; a redelivered message carries the key it was made with.
        let event = cart_event(CartEventName::AddToCart, 1);
        let a = AnalyticsEvent::from_cart_event(&event, None, None);
        let b = AnalyticsEvent::from_cart_event(&event, None, None);
        assert_ne!(a.event_key, b.event_key);
        let redelivered = AnalyticsEvent::parse(&serde_json::to_value(&a).unwrap()).unwrap();
        assert_eq!(redelivered.event_key, a.event_key);
    }

    #[test]
    fn cart_events_always_make_valid_analytics_events() {
        let mut event = cart_event(CartEventName::RemoveFromCart, 99);
        event.sku = None;
        let url = format!(
            "https://x.test/{}\u{0}\n{}",
            "é".repeat(900),
            "z".repeat(3000)
        );
        let e = AnalyticsEvent::from_cart_event(&event, Some("not-a-trace".into()), Some(url));
        e.validate().unwrap();
        assert_eq!(e.name, "remove_from_cart");
        assert_eq!(e.trace_id, None, "an invalid trace id is left out");
        assert_eq!(e.metadata["sku"], Value::Null);
        let page = e.metadata["page_url"].as_str().unwrap();
        assert!(page.len() <= MAX_PAGE_URL_BYTES);
        assert!(!page.contains('\0') && !page.contains('\n'));
        assert!(page.starts_with("https://x.test/é"));
        let e = AnalyticsEvent::from_cart_event(&event, None, None);
        assert_eq!(e.metadata["page_url"], Value::Null);
    }
}
