//! The order in Medusa v2's Store API shape (`GET /store/orders/:id`, and the order of
//! `POST /store/carts/:id/complete`). Medusa's `status`, `payment_status` and
//! `fulfillment_status` are derived from the one status of the state machine, which
//! is also given as it is in `metadata.status`.

use serde_json::{json, Value};

use super::{Order, OrderStatus, TransactionKind};
use crate::cart::api_time;
use crate::cart::Address;
use crate::ids::OrderTransactionId;
use crate::money::MinorUnits;
use crate::wire::Major;

fn address_json(order: &Order, a: Option<&Address>, role: &str) -> Value {
    let Some(a) = a else {
        return Value::Null;
    };
    let body = order.id.as_str().strip_prefix("order_").unwrap_or_default();
    json!({
        "id": format!("ordaddr_{body}{role}"),
        "first_name": a.first_name, "last_name": a.last_name, "company": a.company,
        "address_1": a.address_1, "address_2": a.address_2, "city": a.city,
        "province": a.province, "postal_code": a.postal_code,
        "country_code": a.country_code, "phone": a.phone, "metadata": null,
    })
}

/// Medusa's (status, fulfillment_status) for a status of the state machine.
fn medusa_statuses(status: OrderStatus) -> (&'static str, &'static str) {
    match status {
        OrderStatus::Pending => ("requires_action", "not_fulfilled"),
        OrderStatus::Confirmed => ("pending", "not_fulfilled"),
        OrderStatus::PartiallyFulfilled => ("pending", "partially_fulfilled"),
        OrderStatus::Fulfilled => ("pending", "fulfilled"),
        OrderStatus::PartiallyShipped => ("pending", "partially_shipped"),
        OrderStatus::Shipped => ("pending", "shipped"),
        OrderStatus::Delivered => ("completed", "delivered"),
        OrderStatus::Failed | OrderStatus::Canceled => ("canceled", "canceled"),
    }
}

/// The order as a Medusa storefront reads it; `image_base` prefixes thumbnails' keys.
pub fn order_json(order: &Order, image_base: &str) -> Value {
    let c = order.currency;
    let m = |v: MinorUnits| Major::of(v, c);
    let created = api_time(order.created_at_ms);
    let updated = api_time(order.updated_at_ms);
    let items: Vec<Value> = order
        .items
        .iter()
        .map(|i| {
            let shipped: u32 = order
                .fulfillments
                .iter()
                .filter(|f| f.shipped_at_ms.is_some())
                .flat_map(|f| &f.items)
                .filter(|l| l.item_id == i.id)
                .map(|l| l.quantity)
                .sum();
            json!({
                "id": i.id, "title": i.display_title(), "subtitle": i.variant_title,
                "detail": {
                    "quantity": i.quantity,
                    "fulfilled_quantity": order.packed(&i.id),
                    "shipped_quantity": shipped,
                    "delivered_quantity":
                        if order.status == OrderStatus::Delivered { i.quantity } else { 0 },
                },
                "thumbnail": i.thumbnail.as_ref().map(|k| format!("{image_base}{k}")),
                "variant_id": i.variant_id, "product_id": i.product_id,
                "product_title": i.product_title, "product_handle": i.product_handle,
                "variant_title": i.variant_title, "variant_sku": i.sku,
                "quantity": i.quantity, "unit_price": m(i.unit_price),
                "is_tax_inclusive": order.tax_inclusive,
                "subtotal": m(i.subtotal), "tax_total": m(i.tax_total), "total": m(i.total),
                "original_total": m(i.total), "discount_total": 0,
                "created_at": created, "updated_at": updated, "metadata": null,
            })
        })
        .collect();
    let item_subtotal = order.item_total.saturating_sub(order.item_tax_total);
    let shipping_subtotal = order
        .shipping_total
        .saturating_sub(order.shipping_tax_total);
    let (status, fulfillment_status) = medusa_statuses(order.status);
    let fulfillments: Vec<Value> = order
        .fulfillments
        .iter()
        .map(|f| {
            let items: Vec<Value> = f
                .items
                .iter()
                .map(|l| {
                    let item = order.items.iter().find(|i| i.id == l.item_id);
                    json!({
                        "id": format!("{}-{}", f.id, l.item_id),
                        "line_item_id": l.item_id,
                        "title": item.map(|i| i.display_title()),
                        "sku": item.and_then(|i| i.sku.clone()),
                        "quantity": l.quantity,
                    })
                })
                .collect();
            let labels: Vec<Value> = f
                .shipment
                .iter()
                .map(|s| {
                    json!({"tracking_number": s.tracking_number,
                           "tracking_url": s.tracking_url, "label_url": null,
                           "carrier": s.carrier})
                })
                .collect();
            let delivered = (order.status == OrderStatus::Delivered).then_some(updated.clone());
            json!({
                "id": f.id, "location_id": f.location_id, "location_name": f.location_name,
                "packed_at": api_time(f.created_at_ms),
                "shipped_at": f.shipped_at_ms.map(api_time),
                "delivered_at": delivered.filter(|_| f.shipped_at_ms.is_some()),
                "canceled_at": f.canceled_at_ms.map(api_time),
                "items": items, "labels": labels,
                "created_at": api_time(f.created_at_ms),
            })
        })
        .collect();
    let transactions: Vec<Value> = order
        .transactions
        .iter()
        .map(|t| {
            json!({
                "id": t.id, "kind": t.kind.as_str(), "amount": m(t.amount),
                "currency_code": c.as_str(), "provider_id": t.provider_id,
                "reference": t.reference, "created_at": api_time(t.created_at_ms),
            })
        })
        .collect();
    json!({
        "id": order.id,
        "object": "order",
        "display_id": order.display_id,
        "status": status,
        "payment_status": order.payment_status(),
        "fulfillment_status": fulfillment_status,
        "email": order.email,
        "currency_code": c.as_str(),
        "region_id": order.region_id,
        "customer_id": order.customer_id,
        "sales_channel_id": null,
        "items": items,
        "shipping_address": address_json(order, Some(&order.shipping_address), "s"),
        "billing_address": address_json(order, order.billing_address.as_ref(), "b"),
        "shipping_methods": [{
            "id": format!("ordsm_{}", order.id.as_str().strip_prefix("order_").unwrap_or_default()),
            "name": order.shipping.name,
            "shipping_option_id": order.shipping.option_id,
            "amount": m(order.shipping.amount),
            "is_tax_inclusive": order.tax_inclusive,
            "subtotal": m(shipping_subtotal),
            "tax_total": m(order.shipping_tax_total),
            "total": m(order.shipping_total),
        }],
        "transactions": transactions,
        "fulfillments": fulfillments,
        "item_total": m(order.item_total),
        "item_subtotal": m(item_subtotal),
        "item_tax_total": m(order.item_tax_total),
        "shipping_total": m(order.shipping_total),
        "shipping_subtotal": m(shipping_subtotal),
        "shipping_tax_total": m(order.shipping_tax_total),
        "original_item_total": m(order.item_total),
        "original_shipping_total": m(order.shipping_total),
        "subtotal": m(item_subtotal.saturating_add(shipping_subtotal)),
        "tax_total": m(order.tax_total),
        "total": m(order.total),
        "original_total": m(order.total),
        "discount_total": 0,
        "discount_tax_total": 0,
        "gift_card_total": 0,
        "summary": {
            "paid_total": m(order.paid_total()),
            "refunded_total": m(order.refunded_total()),
            "pending_difference": m(order.total.saturating_sub(order.paid_total())),
            "current_order_total": m(order.total),
            "original_order_total": m(order.total),
        },
        "metadata": {"status": order.status.as_str()},
        "created_at": created,
        "updated_at": updated,
    })
}

/// Medusa's payment (`POST /admin/payments/:id/refund`): the order's capture `payment`
/// with the order's refunds.
pub fn payment_json(order: &Order, payment: &OrderTransactionId) -> Value {
    let c = order.currency;
    let m = |v: MinorUnits| Major::of(v, c);
    let capture = order.transactions.iter().find(|t| t.id == *payment);
    let refunds: Vec<Value> = order
        .transactions
        .iter()
        .filter(|t| t.kind == TransactionKind::Refund)
        .map(|t| {
            json!({"id": t.id, "amount": m(t.amount), "note": null,
                   "created_at": api_time(t.created_at_ms)})
        })
        .collect();
    json!({
        "id": payment,
        "order_id": order.id,
        "amount": capture.map(|t| m(t.amount)),
        "currency_code": c.as_str(),
        "provider_id": capture.map(|t| t.provider_id.as_str()),
        "captured_at": capture.map(|t| api_time(t.created_at_ms)),
        "captures": capture.map(|t| vec![json!({"id": t.id, "amount": m(t.amount),
                                                 "created_at": api_time(t.created_at_ms)})]),
        "refunds": refunds,
        "created_at": capture.map(|t| api_time(t.created_at_ms)),
    })
}
