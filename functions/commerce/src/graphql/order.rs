//! Paying and orders through GraphQL: `startPayment` and `createOrder` through the
//! [`Shop`](super::Shop) port (the origin, as the Store API's payment-collection and
//! `complete` routes reach it), `order(id)` as `GET /store/orders/:id` allows it, and
//! `orders(userEmail)`: the history of the signed-in customer, only for that customer's
//! own confirmed address (never a way to read another's orders).

use async_graphql::{InputObject, Object, SimpleObject, ID};

use super::cart::{shop, MoneyNode};
use super::errors::api;
use super::Reader;
use crate::cart::api_time;
use crate::checkout::{CompleteResponse, PaymentChoice, SessionView};
use crate::customer;
use crate::db::Sql;
use crate::ids::{CartId, OrderId};
use crate::money::Money;
use crate::order::{self, History, Order};
use crate::params::Page;
use crate::{ApiError, ErrorCode};

/// How an order is paid.
#[derive(InputObject)]
pub(super) struct PaymentInput {
    /// `pp_system_default` (test cards) or `pp_stripe_stripe`.
    provider_id: String,
    /// Test cards: `4242 4242 4242 4242` pays, `4000 0000 0000 0002` is declined.
    card_number: Option<String>,
    card_holder: Option<String>,
    /// Stripe: the payment method the client confirmed.
    payment_method: Option<String>,
}

impl From<PaymentInput> for PaymentChoice {
    fn from(input: PaymentInput) -> Self {
        let PaymentInput {
            provider_id,
            card_number,
            card_holder,
            payment_method,
        } = input;
        let data: serde_json::Map<String, serde_json::Value> = [
            ("card_number", card_number),
            ("card_holder", card_holder),
            ("payment_method", payment_method),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value?.into())))
        .collect();
        PaymentChoice {
            provider_id,
            data: data.into(),
        }
    }
}

pub(super) async fn start_payment<C>(
    reader: &Reader<C>,
    cart: CartId,
    payment: PaymentInput,
) -> async_graphql::Result<PaymentSessionNode> {
    let session = shop(reader)?
        .start_payment(cart, payment.into())
        .await
        .map_err(|e| api(reader, e))?;
    Ok(PaymentSessionNode(session))
}

pub(super) async fn create<C>(
    reader: &Reader<C>,
    cart: CartId,
    payment: Option<PaymentInput>,
) -> async_graphql::Result<OrderResult> {
    let answer = shop(reader)?
        .complete(cart, payment.map(PaymentChoice::from))
        .await
        .map_err(|e| api(reader, e))?;
    Ok(match answer {
        CompleteResponse::Order { order } => OrderResult {
            order: Some(OrderNode(order)),
            error: None,
        },
        CompleteResponse::Cart { error, action } => OrderResult {
            order: None,
            error: Some(CheckoutErrorNode {
                message: error.message,
                name: error.name,
                confirmation_url: action.map(|a| a.redirect_url),
            }),
        },
    })
}

/// The order `id` of the reader's store; null when there is none.
pub(super) async fn by_id<C>(
    reader: &Reader<C>,
    id: &str,
) -> async_graphql::Result<Option<OrderNode>> {
    let Ok(id) = OrderId::parse(id) else {
        return Ok(None);
    };
    match shop(reader)?.order(id).await {
        Ok(order) => Ok(Some(OrderNode(Box::new(order)))),
        Err(ApiError::NotFound { .. }) => Ok(None),
        Err(e) => Err(api(reader, e)),
    }
}

/// The signed-in customer's orders, newest first, when `user_email` is that customer's
/// own confirmed address: what `GET /store/orders` lists (with guest orders placed
/// under that address). Anyone else is refused, whatever the address.
pub(super) async fn history<C: Sql>(
    reader: &Reader<C>,
    user_email: &str,
    page: Page,
) -> async_graphql::Result<Vec<OrderNode>> {
    let refuse = |e: ApiError| api(reader, e);
    let id = reader.customer.as_ref().ok_or_else(|| {
        refuse(ApiError::NotSignedIn {
            message: "Sign in to see your orders.".to_owned(),
        })
    })?;
    let store = &reader.store.id;
    let me = customer::customer(&reader.client, store, id)
        .await
        .map_err(refuse)?;
    let own = me.email.trim().eq_ignore_ascii_case(user_email.trim());
    if !own || !me.email_verified {
        let message = if own {
            "Confirm your e-mail address (the link we sent) to see the orders placed with it."
        } else {
            "Only your own orders are shown: userEmail is the address you signed in with."
        };
        return Err(refuse(ApiError::NotAllowed {
            code: ErrorCode::Forbidden,
            message: message.to_owned(),
        }));
    }
    let email = me.email.to_lowercase();
    let of = History {
        store,
        customer: id,
        verified_email: Some(&email),
    };
    let (orders, _) = order::history(&reader.client, of, None, page)
        .await
        .map_err(refuse)?;
    Ok(orders.into_iter().map(|o| OrderNode(Box::new(o))).collect())
}

/// A payment session `startPayment` made.
pub(super) struct PaymentSessionNode(SessionView);

#[Object(name = "PaymentSession")]
impl PaymentSessionNode {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn provider_id(&self) -> &str {
        &self.0.provider_id
    }
    /// `pending` until the order is placed (`requires_more` while the bank asks).
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// What a Stripe client confirms the payment with (none for test cards).
    async fn client_secret(&self) -> Option<&str> {
        self.0.client_secret()
    }
}

/// What `createOrder` came to: the order, or why it was not placed.
#[derive(SimpleObject)]
pub(super) struct OrderResult {
    order: Option<OrderNode>,
    error: Option<CheckoutErrorNode>,
}

/// Why an order was not placed; the cart is as it was.
#[derive(SimpleObject)]
#[graphql(name = "CheckoutError")]
struct CheckoutErrorNode {
    message: String,
    /// `PaymentAuthorizationError`, `PaymentRequiresMoreError`…
    name: String,
    /// Where the shopper confirms the payment with their bank, when it asks.
    confirmation_url: Option<String>,
}

/// A placed order.
pub(super) struct OrderNode(Box<Order>);

impl OrderNode {
    fn money(&self, minor: i64) -> MoneyNode {
        MoneyNode::of(Money::new(minor, self.0.currency))
    }
}

#[Object(name = "Order")]
impl OrderNode {
    async fn id(&self) -> ID {
        ID(self.0.id.as_str().to_owned())
    }
    /// The number the shopper sees.
    async fn display_id(&self) -> i64 {
        self.0.display_id
    }
    async fn status(&self) -> &str {
        self.0.status.as_str()
    }
    async fn email(&self) -> &str {
        self.0.email.as_str()
    }
    async fn items(&self) -> Vec<OrderLineNode> {
        self.0
            .items
            .iter()
            .map(|i| OrderLineNode {
                variant_id: ID(i.variant_id.as_str().to_owned()),
                title: i.product_title.clone(),
                variant_title: i.variant_title.clone(),
                quantity: i32::try_from(i.quantity).unwrap_or(i32::MAX),
                total: self.money(i.total.get()),
            })
            .collect()
    }
    async fn shipping_total(&self) -> MoneyNode {
        self.money(self.0.shipping_total.get())
    }
    async fn tax_total(&self) -> MoneyNode {
        self.money(self.0.tax_total.get())
    }
    async fn total(&self) -> MoneyNode {
        self.money(self.0.total.get())
    }
    /// ISO 8601, UTC.
    async fn created_at(&self) -> String {
        api_time(self.0.created_at_ms)
    }
}

#[derive(SimpleObject)]
#[graphql(name = "OrderLine")]
struct OrderLineNode {
    variant_id: ID,
    title: String,
    variant_title: String,
    quantity: i32,
    /// With tax.
    total: MoneyNode,
}
