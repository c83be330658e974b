//! What the edge and the origin say to each other about checkouts: the paths of the
//! origin's API and the bodies they carry. Both sides compile these types, so the
//! protocol cannot drift. Every request is signed (see [`signing`](crate::signing)).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cart::Cart;
use crate::email::Email;
use crate::ids::{CartId, StoreId};
use crate::money::MinorUnits;
use crate::order::{Order, OrderAction};

pub const COMPLETE_PATH: &str = "/v1/carts/complete";
pub const COLLECTIONS_PATH: &str = "/v1/payment-collections";
pub const PROVIDERS_PATH: &str = "/v1/payment-providers";
pub const ORDERS_PATH: &str = "/v1/orders";
pub const LOOKUP_PATH: &str = "/v1/orders/lookup";
pub const SESSIONS_PATH: &str = "/v1/payment-sessions";
pub const STRIPE_WEBHOOK_PATH: &str = "/v1/webhooks/stripe";

/// The payment a checkout page chose (the Store API instead creates a payment
/// session first and completes without one).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentChoice {
    pub provider_id: String,
    /// Provider data: `{card_number, card_holder}` for test cards, `{payment_method}`
    /// for Stripe.
    #[serde(default)]
    pub data: Value,
}

/// `POST /v1/carts/complete`: the cart as its object holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompleteRequest {
    pub cart: Cart,
    #[serde(default)]
    pub payment: Option<PaymentChoice>,
    /// Where a shopper returns after confirming a payment with their bank.
    pub return_url: String,
}

/// Medusa's error in a `{type: "cart"}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteError {
    pub message: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A payment waiting for the shopper's confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAction {
    pub session_id: String,
    pub redirect_url: String,
}

/// What a completion came to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CompleteResponse {
    /// The order was placed and paid (or had been already: completion is idempotent).
    Order { order: Box<Order> },
    /// The payment did not go through; the cart is intact.
    Cart {
        error: CompleteError,
        #[serde(default)]
        action: Option<PaymentAction>,
    },
}

impl CompleteResponse {
    pub fn declined(message: impl Into<String>) -> Self {
        CompleteResponse::Cart {
            error: CompleteError {
                message: message.into(),
                name: "PaymentAuthorizationError".into(),
                kind: "payment_authorization_error".into(),
            },
            action: None,
        }
    }

    pub fn requires_more(action: PaymentAction) -> Self {
        CompleteResponse::Cart {
            error: CompleteError {
                message: "The payment needs to be confirmed with your bank.".into(),
                name: "PaymentRequiresMoreError".into(),
                kind: "payment_requires_more_error".into(),
            },
            action: Some(action),
        }
    }
}

/// `POST /v1/payment-collections`: the cart to be paid.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CollectionRequest {
    pub cart: Cart,
}

/// `POST /v1/payment-collections/:id/payment-sessions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRequest {
    pub store_id: StoreId,
    pub payment: PaymentChoice,
}

/// What the origin answers to either request above (Medusa's `{payment_collection}`
/// body), read as far as the edge needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct CollectionAnswer {
    pub payment_collection: CollectionView,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CollectionView {
    pub id: String,
    /// `not_paid`, `awaiting`, `authorized`, `completed`.
    pub status: String,
    /// Newest first.
    #[serde(default)]
    pub payment_sessions: Vec<SessionView>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub provider_id: String,
    /// `pending`, `requires_more`, `authorized`, `captured`, `canceled`, `error`.
    pub status: String,
    /// The provider's data for the client (Stripe: `client_secret`).
    #[serde(default)]
    pub data: Value,
}

impl SessionView {
    /// The secret a client confirms a Stripe payment with (none for test cards).
    pub fn client_secret(&self) -> Option<&str> {
        self.data.get("client_secret").and_then(Value::as_str)
    }
}

/// An order as the origin answers it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderResponse {
    pub order: Order,
}

/// `POST /v1/orders/lookup`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LookupRequest {
    pub store_id: StoreId,
    /// Refused on deserialising when it is not an e-mail address.
    pub email: Email,
    pub display_id: i64,
}

/// `POST /v1/orders/:id/actions` (operators).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActionRequest {
    pub store_id: StoreId,
    pub action: OrderAction,
    /// Refunds: the amount in minor units (default: what is left to refund).
    #[serde(default)]
    pub amount: Option<MinorUnits>,
    /// The staff member who asked (for the origin's log; the edge keeps the audit log).
    #[serde(default)]
    pub actor: Option<crate::ids::UserId>,
    /// Why (refunds and cancellations), as the member gave it.
    #[serde(default)]
    pub reason: Option<String>,
    /// Shipping: the carrier and tracking number, recorded before the order is marked
    /// shipped (the shipping e-mail carries them).
    #[serde(default)]
    pub shipment: Option<crate::order::Shipment>,
    /// Packing: which units, from which location (absent: every unit not yet packed,
    /// where it is held).
    #[serde(default)]
    pub parcel: Option<crate::order::ParcelRequest>,
    /// Shipping: the parcel that leaves (absent: every packed parcel still waiting).
    #[serde(default)]
    pub fulfillment_id: Option<crate::ids::FulfillmentId>,
}

/// `POST /v1/payment-sessions/:id/authenticate`: the shopper's answer to the test
/// bank's confirmation step. The session must belong to the payment collection of
/// `cart_id` (the shopper's own cart); any other session is not found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthenticateRequest {
    pub store_id: StoreId,
    pub cart_id: CartId,
    pub approve: bool,
}

/// A `Set-Cookie` value from the origin made first-party for the shopper's site: its
/// `Domain` attribute is removed, so the browser keeps it for the host it asked.
pub fn first_party_cookie(value: &str) -> String {
    value
        .split(';')
        .map(str::trim)
        .filter(|part| {
            !part
                .split('=')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("domain")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::first_party_cookie;

    #[test]
    fn the_domain_attribute_is_removed() {
        assert_eq!(
            first_party_cookie("sid=abc; Domain=origin.internal; Path=/; HttpOnly"),
            "sid=abc; Path=/; HttpOnly"
        );
        assert_eq!(
            first_party_cookie("a=b;domain=.x.com;Secure"),
            "a=b; Secure"
        );
        assert_eq!(first_party_cookie("a=b"), "a=b");
    }
}
