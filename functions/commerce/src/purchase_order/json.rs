//! The admin API's shape of a purchase order (`/admin/purchase-orders`).

use serde::Serialize;

use super::repo::PurchaseOrder;
use super::PoStatus;
use crate::money::Money;

#[derive(Debug, Clone, Serialize)]
pub struct PoLineJson {
    pub id: String,
    pub variant_id: String,
    pub sku: Option<String>,
    pub title: String,
    pub quantity: i32,
    /// Major units of the purchase order's currency.
    pub unit_cost: serde_json::Number,
    pub received: i32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PurchaseOrderJson {
    pub id: String,
    pub number: i32,
    pub reference: String,
    pub supplier_name: String,
    pub supplier_contact: String,
    pub location_id: String,
    pub currency_code: String,
    pub expected_on: Option<String>,
    pub notes: String,
    pub status: PoStatus,
    pub total: serde_json::Number,
    pub ordered: i64,
    pub received: i64,
    pub lines: Vec<PoLineJson>,
    pub created_at: String,
    pub placed_at: Option<String>,
    pub received_at: Option<String>,
    pub canceled_at: Option<String>,
}

impl From<&PurchaseOrder> for PurchaseOrderJson {
    fn from(po: &PurchaseOrder) -> Self {
        let major = |minor: i64| Money::new(minor, po.currency).to_major_number();
        PurchaseOrderJson {
            id: po.id.as_str().to_owned(),
            number: po.number,
            reference: po.reference(),
            supplier_name: po.supplier_name.clone(),
            supplier_contact: po.supplier_contact.clone(),
            location_id: po.location_id.as_str().to_owned(),
            currency_code: po.currency.as_str().to_owned(),
            expected_on: po.expected_on.clone(),
            notes: po.notes.clone(),
            status: po.status,
            total: major(po.total()),
            ordered: po.ordered,
            received: po.received,
            lines: po
                .lines
                .iter()
                .map(|l| PoLineJson {
                    id: l.id.clone(),
                    variant_id: l.variant_id.as_str().to_owned(),
                    sku: l.sku.clone(),
                    title: l.title.clone(),
                    quantity: l.quantity,
                    unit_cost: major(l.unit_cost),
                    received: l.received,
                })
                .collect(),
            created_at: po.created_at.clone(),
            placed_at: po.placed_at.clone(),
            received_at: po.received_at.clone(),
            canceled_at: po.canceled_at.clone(),
        }
    }
}

/// A purchase order as the admin API's list shows it: without its lines, with their
/// count and units.
#[derive(Debug, Clone, Serialize)]
pub struct PurchaseOrderSummaryJson {
    pub id: String,
    pub number: i32,
    pub reference: String,
    pub supplier_name: String,
    pub location_id: String,
    pub currency_code: String,
    pub expected_on: Option<String>,
    pub status: PoStatus,
    pub line_count: i64,
    pub ordered: i64,
    pub received: i64,
    pub created_at: String,
    pub placed_at: Option<String>,
    pub received_at: Option<String>,
    pub canceled_at: Option<String>,
}

impl From<&PurchaseOrder> for PurchaseOrderSummaryJson {
    fn from(po: &PurchaseOrder) -> Self {
        PurchaseOrderSummaryJson {
            id: po.id.as_str().to_owned(),
            number: po.number,
            reference: po.reference(),
            supplier_name: po.supplier_name.clone(),
            location_id: po.location_id.as_str().to_owned(),
            currency_code: po.currency.as_str().to_owned(),
            expected_on: po.expected_on.clone(),
            status: po.status,
            line_count: po.line_count,
            ordered: po.ordered,
            received: po.received,
            created_at: po.created_at.clone(),
            placed_at: po.placed_at.clone(),
            received_at: po.received_at.clone(),
            canceled_at: po.canceled_at.clone(),
        }
    }
}
