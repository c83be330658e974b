//! Orders: what a completed cart becomes. [`place`] turns a cart snapshot into a
//! pending order in the caller's transaction (re-priced from the database, its stock
//! held by conditional updates); [`status`] is the state machine every later change
//! goes through ([`apply_action`]); [`fulfillment`] the parcels staff pack and ship
//! ([`pack`], [`ship_parcels`]); [`json`] is Medusa's order shape. Read with [`load`],
//! [`by_cart`] and [`lookup`].

pub mod fulfillment;
mod json;
pub mod list;
mod place;
mod repo;
pub mod shipment;
mod status;
mod stock;

use serde::{Deserialize, Serialize};

pub use self::fulfillment::{Fulfillment, ParcelLine, ParcelRequest};
pub use self::json::{order_json, payment_json};
pub use self::place::{
    place, Placed, MAX_PENDING_ORDERS_PER_CART, MAX_PENDING_ORDERS_PER_EMAIL,
    RESERVATION_TTL_SECONDS,
};
pub use self::repo::{
    apply_action, by_cart, emails_sent, expired_pending, history, load, load_for_update, lookup,
    order_of_payment, pack, ship_parcels, stock_locations, ActionOutcome, History, SentEmail,
};
pub use self::shipment::Shipment;
pub use self::status::{transition, OrderAction, OrderStatus, Progress, StockEffect, Transition};
pub use self::stock::{release, Shortage};
use crate::cart::Address;
use crate::email::Email;
use crate::ids::{
    CartId, CustomerId, OrderId, OrderItemId, OrderTransactionId, ProductId, RegionId,
    ShippingOptionId, StoreId, VariantId,
};
use crate::money::{CurrencyCode, MinorUnits};

/// The shipping method an order was placed with, priced from the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderShipping {
    pub option_id: ShippingOptionId,
    pub name: String,
    /// As priced (gross or net like the catalog), minor units.
    pub amount: MinorUnits,
}

/// One line of an order: what was bought, at the price of the moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub id: OrderItemId,
    pub variant_id: VariantId,
    pub product_id: ProductId,
    pub product_title: String,
    pub product_handle: String,
    pub variant_title: String,
    pub sku: Option<String>,
    pub thumbnail: Option<String>,
    pub quantity: u32,
    /// As priced in the catalog (gross or net like the region's prices).
    pub unit_price: MinorUnits,
    /// Net of tax.
    pub subtotal: MinorUnits,
    pub tax_total: MinorUnits,
    /// With tax.
    pub total: MinorUnits,
}

impl OrderItem {
    /// "Linen Shirt (M / Red)", as the cart line was shown.
    pub fn display_title(&self) -> String {
        crate::cart::display_title(&self.product_title, &self.variant_title)
    }
}

/// A money movement in an order's ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    Authorization,
    Capture,
    Refund,
}

impl TransactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionKind::Authorization => "authorization",
            TransactionKind::Capture => "capture",
            TransactionKind::Refund => "refund",
        }
    }

    pub fn parse(s: &str) -> Result<Self, crate::ApiError> {
        match s {
            "authorization" => Ok(TransactionKind::Authorization),
            "capture" => Ok(TransactionKind::Capture),
            "refund" => Ok(TransactionKind::Refund),
            other => Err(crate::ApiError::Internal {
                detail: format!("unknown transaction kind '{other}' in the database"),
            }),
        }
    }
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTransaction {
    pub id: OrderTransactionId,
    pub kind: TransactionKind,
    pub amount: MinorUnits,
    pub provider_id: String,
    pub reference: String,
    pub created_at_ms: u64,
}

/// An order with its lines and ledger. Amounts are minor units of `currency`;
/// `total` is the source of truth for what the shopper owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub store_id: StoreId,
    /// The number the shopper sees, counted per store.
    pub display_id: i64,
    pub cart_id: CartId,
    pub status: OrderStatus,
    pub email: Email,
    /// The customer whose cart it was; `None` for a guest's order.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    pub region_id: RegionId,
    #[serde(with = "crate::cart::serde_currency")]
    pub currency: CurrencyCode,
    pub tax_rate_bp: u32,
    pub tax_inclusive: bool,
    pub shipping_address: Address,
    pub billing_address: Option<Address>,
    pub shipping: OrderShipping,
    pub items: Vec<OrderItem>,
    pub item_total: MinorUnits,
    pub item_tax_total: MinorUnits,
    pub shipping_total: MinorUnits,
    pub shipping_tax_total: MinorUnits,
    pub tax_total: MinorUnits,
    pub total: MinorUnits,
    pub transactions: Vec<OrderTransaction>,
    pub failure_reason: Option<String>,
    /// How the order left (the last parcel shipped with a carrier).
    #[serde(default)]
    pub shipment: Option<Shipment>,
    /// The parcels it is packed in, oldest first.
    #[serde(default)]
    pub fulfillments: Vec<Fulfillment>,
    pub trace_id: Option<String>,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
}

impl Order {
    /// Captured minus refunded, in minor units. Saturates: a ledger's rows are each
    /// at most an order total, far inside `i64`.
    pub fn paid_total(&self) -> MinorUnits {
        self.transactions
            .iter()
            .fold(MinorUnits::ZERO, |sum, t| match t.kind {
                TransactionKind::Capture => sum.saturating_add(t.amount),
                TransactionKind::Refund => sum.saturating_sub(t.amount),
                TransactionKind::Authorization => sum,
            })
    }

    /// Refunded so far.
    pub fn refunded_total(&self) -> MinorUnits {
        self.transactions
            .iter()
            .filter(|t| t.kind == TransactionKind::Refund)
            .fold(MinorUnits::ZERO, |sum, t| sum.saturating_add(t.amount))
    }

    /// Medusa's payment_status of the order, from the ledger.
    pub fn payment_status(&self) -> &'static str {
        let has = |k| self.transactions.iter().any(|t| t.kind == k);
        let refunded = self.refunded_total();
        if refunded.is_positive() && refunded >= self.total {
            "refunded"
        } else if refunded.is_positive() {
            "partially_refunded"
        } else if has(TransactionKind::Capture) {
            "captured"
        } else if has(TransactionKind::Authorization) {
            "authorized"
        } else {
            "not_paid"
        }
    }

    /// What `action` gives back to the shopper: a refund of `requested` (default: all
    /// that is left), which must be from 1 to what was paid and not yet refunded; a
    /// cancel gives back everything captured; other actions nothing.
    pub fn refund_for(
        &self,
        action: OrderAction,
        requested: Option<MinorUnits>,
    ) -> Result<MinorUnits, crate::ApiError> {
        let left = self.paid_total();
        match action {
            OrderAction::Refund => {
                let amount = requested.unwrap_or(left);
                if !amount.is_positive() || amount > left {
                    return Err(crate::ApiError::invalid(
                        "amount",
                        format!("must be from 1 to {left} (what was paid and not yet refunded)"),
                    ));
                }
                Ok(amount)
            }
            OrderAction::Cancel => Ok(left.max(MinorUnits::ZERO)),
            _ => Ok(MinorUnits::ZERO),
        }
    }

    /// Units over all lines.
    pub fn item_count(&self) -> u32 {
        self.items.iter().map(|i| i.quantity).sum()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A paid order in `status` with a line of each quantity (ids `ordli_1`, ...).
    pub fn sample_order(status: OrderStatus, quantities: &[u32]) -> Order {
        let items = quantities
            .iter()
            .enumerate()
            .map(|(n, q)| OrderItem {
                id: OrderItemId::parse(&format!("ordli_{}", n + 1)).unwrap(),
                variant_id: VariantId::parse(&format!("variant_{}", n + 1)).unwrap(),
                product_id: ProductId::parse("prod_1").unwrap(),
                product_title: format!("Product {}", n + 1),
                product_handle: format!("product-{}", n + 1),
                variant_title: "One size".into(),
                sku: None,
                thumbnail: None,
                quantity: *q,
                unit_price: MinorUnits::new(1000),
                subtotal: MinorUnits::new(1000 * i64::from(*q)),
                tax_total: MinorUnits::ZERO,
                total: MinorUnits::new(1000 * i64::from(*q)),
            })
            .collect();
        Order {
            id: OrderId::parse("order_1").unwrap(),
            store_id: StoreId::parse("store_1").unwrap(),
            display_id: 1,
            cart_id: CartId::parse("cart_1").unwrap(),
            status,
            email: Email::parse("ada@example.com").unwrap(),
            customer_id: None,
            region_id: RegionId::parse("reg_1").unwrap(),
            currency: CurrencyCode::parse("eur").unwrap(),
            tax_rate_bp: 0,
            tax_inclusive: true,
            shipping_address: Address::default(),
            billing_address: None,
            shipping: OrderShipping {
                option_id: ShippingOptionId::parse("so_1").unwrap(),
                name: "Standard".into(),
                amount: MinorUnits::ZERO,
            },
            items,
            item_total: MinorUnits::ZERO,
            item_tax_total: MinorUnits::ZERO,
            shipping_total: MinorUnits::ZERO,
            shipping_tax_total: MinorUnits::ZERO,
            tax_total: MinorUnits::ZERO,
            total: MinorUnits::ZERO,
            transactions: Vec::new(),
            failure_reason: None,
            shipment: None,
            fulfillments: Vec::new(),
            trace_id: None,
            created_at_ms: 0,
            updated_at_ms: 0,
        }
    }
}
