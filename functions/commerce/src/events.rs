//! The payloads of the domain events, one type per topic (`outbox::Topic`): what every
//! event's `payload` carries, in the outbox's envelope and in a webhook's `data`. The
//! writers build these types, so the JSON Schemas generated from them
//! (`event-schemas.json` beside this crate, served at `/webhooks/schemas.json` and
//! kept current by a test) describe exactly what is sent.

use serde::Serialize;
use serde_json::Value;

/// The JSON Schemas of every payload, by topic (generated from the types below by
/// `schemas_are_current`; `UPDATE_EVENT_SCHEMAS=1 cargo test -p commerce --lib` rewrites
/// the file after a payload changed).
pub const SCHEMAS: &str = include_str!("../event-schemas.json");

/// Amounts are integers in the currency's minor units (cents).
type Minor = i64;

/// `product.created`
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ProductCreated {
    pub product_id: String,
    pub handle: String,
    pub title: String,
    /// draft, published or archived.
    pub status: String,
}

/// `product.updated`
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ProductUpdated {
    pub product_id: String,
    /// Each changed field: `[before, after]` (long texts by their length).
    pub changes: serde_json::Map<String, Value>,
}

/// A variant and a quantity.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct VariantQuantity {
    pub variant_id: String,
    pub quantity: i64,
}

/// `inventory.reserved`: an order holds its stock until it is paid or expires.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct InventoryReserved {
    pub order_id: String,
    pub cart_id: String,
    pub items: Vec<VariantQuantity>,
}

/// `inventory.released`: an order's held stock is free again.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct InventoryReleased {
    pub order_id: String,
    /// What released it: fail or cancel.
    pub reason: String,
}

/// `inventory.insufficient`: a checkout found too little stock.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct InventoryInsufficient {
    pub cart_id: String,
    pub items: Vec<VariantQuantity>,
    pub message: String,
}

/// `inventory.adjusted`: a count set or adjusted by staff, an API key or a receipt.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct InventoryAdjusted {
    pub variant_id: String,
    pub location_id: String,
    pub reason: String,
    pub note: String,
    pub stocked_before: i64,
    pub stocked_after: i64,
    pub delta: i64,
    pub reserved: i64,
    pub version: i64,
    pub ledger_id: i64,
    pub user_id: Option<String>,
    pub api_key_id: Option<String>,
    pub purchase_order_id: Option<String>,
}

/// `order.created` (placed and paid), `order.canceled`, `order.fulfilled` (packed),
/// `order.shipped` and `order.delivered`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct OrderChanged {
    pub order_id: String,
    pub display_id: i64,
    pub email: String,
    pub total: Minor,
    pub currency_code: String,
    /// The parcels this change packed or shipped.
    pub fulfillment_ids: Vec<String>,
}

/// `shipping.label.created`: a parcel handed to its carrier with a tracking number.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct ShippingLabelCreated {
    pub order_id: String,
    pub fulfillment_id: String,
    pub carrier: String,
    pub tracking_number: String,
    pub tracking_url: Option<String>,
}

/// `payment.created`: a payment session with a provider (written by SQL with the
/// session, `payment::insert_session`; the origin's checkout test reads one back into
/// this type, every field and no other).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PaymentCreated {
    pub payment_session_id: String,
    pub payment_collection_id: String,
    pub provider_id: String,
    pub amount: Minor,
    pub currency_code: String,
}

/// `payment.succeeded`
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PaymentSucceeded {
    pub order_id: String,
    pub session_id: String,
    pub provider_id: String,
    pub amount: Minor,
    pub currency_code: String,
}

/// `payment.failed`
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PaymentFailed {
    pub order_id: String,
    pub session_id: String,
    pub provider_id: String,
    pub reason: String,
}

/// `payment.refunded`
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PaymentRefunded {
    pub order_id: String,
    pub refund_id: String,
    pub amount: Minor,
}

/// A purchase order's line.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PurchaseLine {
    pub variant_id: String,
    pub quantity: i64,
    pub unit_cost: Minor,
}

/// `purchase_order.placed`
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PurchaseOrderPlaced {
    pub purchase_order_id: String,
    pub number: String,
    pub supplier_name: String,
    pub location_id: String,
    pub currency_code: String,
    pub lines: Vec<PurchaseLine>,
}

/// `purchase_order.received`: one delivery (its key names it).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct PurchaseOrderReceived {
    pub purchase_order_id: String,
    pub number: String,
    pub delivery_key: String,
    pub location_id: String,
    /// partially_received or received.
    pub status: String,
    pub lines: Vec<VariantQuantity>,
}

/// `customer.created`
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct CustomerCreated {
    pub customer_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

/// A payload as the envelope carries it.
pub fn value<P: Serialize>(payload: &P) -> Value {
    serde_json::to_value(payload).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use schemars::schema_for;
    use serde_json::json;

    use super::*;
    use crate::outbox::Topic;

    /// Every topic offered to webhooks, with its payload's schema.
    fn generated() -> Value {
        let schema = |topic: Topic| match topic {
            Topic::ProductCreated => schema_for!(ProductCreated),
            Topic::ProductUpdated => schema_for!(ProductUpdated),
            Topic::OrderCreated
            | Topic::OrderCanceled
            | Topic::OrderFulfilled
            | Topic::OrderShipped
            | Topic::OrderDelivered => schema_for!(OrderChanged),
            Topic::ShippingLabelCreated => schema_for!(ShippingLabelCreated),
            Topic::InventoryReserved => schema_for!(InventoryReserved),
            Topic::InventoryReleased => schema_for!(InventoryReleased),
            Topic::InventoryInsufficient => schema_for!(InventoryInsufficient),
            Topic::InventoryAdjusted => schema_for!(InventoryAdjusted),
            Topic::PaymentCreated => schema_for!(PaymentCreated),
            Topic::PaymentSucceeded => schema_for!(PaymentSucceeded),
            Topic::PaymentFailed => schema_for!(PaymentFailed),
            Topic::PaymentRefunded => schema_for!(PaymentRefunded),
            Topic::PurchaseOrderPlaced => schema_for!(PurchaseOrderPlaced),
            Topic::PurchaseOrderReceived => schema_for!(PurchaseOrderReceived),
            Topic::CustomerCreated => schema_for!(CustomerCreated),
            Topic::CatalogImportRequested => unreachable!("not offered"),
        };
        let topics: serde_json::Map<String, Value> = crate::webhook::offered_topics()
            .into_iter()
            .map(|t| {
                (
                    t.as_str().to_owned(),
                    serde_json::to_value(schema(t)).unwrap(),
                )
            })
            .collect();
        json!({
            "description": "The payload (`data` of a webhook, `payload` of the envelope) of each event topic.",
            "envelope": {"id": "evt_…, the same on every attempt (webhook-id)",
                         "topic": "the event's topic", "payload": "as below",
                         "timestamp": "milliseconds since the Unix epoch",
                         "trace_id": "the W3C trace id of the request that caused it",
                         "store_id": "the store"},
            "webhook_body": {"type": "the topic", "timestamp": "ISO 8601 UTC",
                             "sequence": "the order events were written in", "data": "the payload"},
            "topics": topics,
        })
    }

    #[test]
    fn schemas_are_current() {
        let text = serde_json::to_string_pretty(&generated()).unwrap() + "\n";
        if std::env::var_os("UPDATE_EVENT_SCHEMAS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/event-schemas.json");
            std::fs::write(path, &text).unwrap();
            return;
        }
        assert!(
            SCHEMAS == text,
            "event-schemas.json is not what the payload types generate: run \
             UPDATE_EVENT_SCHEMAS=1 cargo test -p commerce --lib events and commit the file"
        );
    }
}
