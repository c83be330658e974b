//! Carts through GraphQL: `cart(sessionId)` and the mutations a client makes before
//! paying (`addToCart`, `updateCartItem`, `setCartEmail`, `setShippingAddress`,
//! `selectShippingMethod`). Each is one operation of `cart_api` ([`CartOp`]), run by
//! the cart's only writer through the [`Shop`] port (the cart's object in the Worker),
//! with the Store API's bodies and therefore its rules and refusals. The mutations
//! that pay (`startPayment`, `createOrder`) are [`super::order`]'s.

use std::marker::PhantomData;

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use serde_json::json;

use super::errors::api;
use super::order::{self, OrderResult, PaymentInput, PaymentSessionNode};
use super::{Reader, Shop};
use crate::cart::{applicable, totals, Cart, CartTotals, ShippingOption};
use crate::cart_api::{CartOp, CartOutcome};
use crate::db::Sql;
use crate::ids::CartId;
use crate::money::Money;
use crate::ApiError;

/// The root of mutations.
pub struct Mutation<C>(PhantomData<fn() -> C>);

impl<C> Default for Mutation<C> {
    fn default() -> Self {
        Mutation(PhantomData)
    }
}

/// A shipping address as the Store API takes it; absent fields stay empty.
#[derive(InputObject, Default)]
struct AddressInput {
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    address_1: Option<String>,
    address_2: Option<String>,
    city: Option<String>,
    province: Option<String>,
    postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, in the cart's region.
    country_code: Option<String>,
    phone: Option<String>,
}

#[Object(name = "Mutation")]
impl<C: Sql + Send + Sync + 'static> Mutation<C> {
    /// Adds `quantity` of a variant; without `sessionId`, to a new cart (in `regionId`,
    /// or the store's default region), whose id is the answer's `id`.
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        session_id: Option<String>,
        variant_id: ID,
        quantity: i32,
        region_id: Option<ID>,
    ) -> async_graphql::Result<CartNode> {
        let line = json!({"variant_id": variant_id.as_str(), "quantity": quantity});
        match session_id {
            Some(id) => run::<C>(ctx, &id, CartOp::AddItem { body: line }).await,
            None => {
                let mut body = json!({"items": [line]});
                if let Some(region) = region_id {
                    body["region_id"] = json!(region.as_str());
                }
                let op = CartOp::Create {
                    body,
                    customer: None,
                };
                run_on(reader::<C>(ctx), CartId::generate(), op).await
            }
        }
    }

    /// Sets a line's quantity; 0 removes the line.
    async fn update_cart_item(
        &self,
        ctx: &Context<'_>,
        session_id: String,
        line_id: ID,
        quantity: i32,
    ) -> async_graphql::Result<CartNode> {
        let line_id = line_id.to_string();
        let op = if quantity == 0 {
            CartOp::RemoveItem { line_id }
        } else {
            CartOp::UpdateItem {
                line_id,
                body: json!({"quantity": quantity}),
            }
        };
        run::<C>(ctx, &session_id, op).await
    }

    /// The e-mail the order confirmation goes to.
    async fn set_cart_email(
        &self,
        ctx: &Context<'_>,
        session_id: String,
        email: String,
    ) -> async_graphql::Result<CartNode> {
        let op = CartOp::Update {
            body: json!({"email": email}),
        };
        run::<C>(ctx, &session_id, op).await
    }

    /// Where the order is shipped (its country chooses among the region's countries).
    async fn set_shipping_address(
        &self,
        ctx: &Context<'_>,
        session_id: String,
        address: AddressInput,
    ) -> async_graphql::Result<CartNode> {
        let AddressInput {
            first_name,
            last_name,
            company,
            address_1,
            address_2,
            city,
            province,
            postal_code,
            country_code,
            phone,
        } = address;
        let op = CartOp::Update {
            body: json!({"shipping_address": {
                "first_name": first_name, "last_name": last_name, "company": company,
                "address_1": address_1, "address_2": address_2, "city": city,
                "province": province, "postal_code": postal_code,
                "country_code": country_code, "phone": phone,
            }}),
        };
        run::<C>(ctx, &session_id, op).await
    }

    /// Starts paying with `payment`'s provider: the cart's payment collection (made
    /// once, for the cart's total) and a new session in it, earlier unused ones
    /// canceled. A Stripe client confirms the answer's `clientSecret`; then
    /// `createOrder` without `payment` completes with this session.
    async fn start_payment(
        &self,
        ctx: &Context<'_>,
        session_id: String,
        payment: PaymentInput,
    ) -> async_graphql::Result<PaymentSessionNode> {
        let reader = reader::<C>(ctx);
        order::start_payment(reader, cart_id(reader, &session_id)?, payment).await
    }

    /// Places the order: the cart is priced again, the stock held and the payment made,
    /// with `payment` (`pp_system_default` takes the test cards' `cardNumber`; Stripe a
    /// confirmed `paymentMethod`) or with the session `startPayment` made. The answer
    /// is the order, or why it could not be placed (the cart stays as it was); a cart
    /// already ordered answers its order.
    async fn create_order(
        &self,
        ctx: &Context<'_>,
        session_id: String,
        payment: Option<PaymentInput>,
    ) -> async_graphql::Result<OrderResult> {
        let reader = reader::<C>(ctx);
        order::create(reader, cart_id(reader, &session_id)?, payment).await
    }

    /// One of the cart's `shippingOptions`.
    async fn select_shipping_method(
        &self,
        ctx: &Context<'_>,
        session_id: String,
        option_id: ID,
    ) -> async_graphql::Result<CartNode> {
        let op = CartOp::AddShippingMethod {
            body: json!({"option_id": option_id.as_str()}),
        };
        run::<C>(ctx, &session_id, op).await
    }
}

fn reader<'c, C: Send + Sync + 'static>(ctx: &Context<'c>) -> &'c Reader<C> {
    ctx.data_unchecked::<Reader<C>>()
}

/// The cart `session_id` after `op` (an id that is not a cart's names no cart).
async fn run<C: Send + Sync + 'static>(
    ctx: &Context<'_>,
    session_id: &str,
    op: CartOp,
) -> async_graphql::Result<CartNode> {
    let reader = reader::<C>(ctx);
    run_on(reader, cart_id(reader, session_id)?, op).await
}

/// `session_id` as a cart's id (one that is not names no cart).
fn cart_id<C>(reader: &Reader<C>, session_id: &str) -> async_graphql::Result<CartId> {
    CartId::parse(session_id)
        .map_err(|_| api(reader, ApiError::not_found("Cart", "id", session_id)))
}

/// The shell's port, which every request of the Worker has.
pub(super) fn shop<C>(reader: &Reader<C>) -> async_graphql::Result<&dyn Shop> {
    reader
        .shop
        .as_deref()
        .ok_or_else(|| api(reader, ApiError::internal("GraphQL without its shop port")))
}

async fn run_on<C>(reader: &Reader<C>, id: CartId, op: CartOp) -> async_graphql::Result<CartNode> {
    let outcome = shop(reader)?
        .run(id, op)
        .await
        .map_err(|e| api(reader, e))?;
    CartNode::of(reader, outcome)
}

/// The cart `session_id`, or null when there is none (or it expired).
pub(super) async fn cart<C>(
    reader: &Reader<C>,
    session_id: &str,
) -> async_graphql::Result<Option<CartNode>> {
    let Ok(id) = CartId::parse(session_id) else {
        return Ok(None);
    };
    match shop(reader)?.run(id, CartOp::Get).await {
        Ok(outcome) => CartNode::of(reader, outcome).map(Some),
        Err(ApiError::NotFound { .. }) => Ok(None),
        Err(e) => Err(api(reader, e)),
    }
}

/// A cart with its amounts.
pub struct CartNode {
    cart: Cart,
    totals: CartTotals,
    notices: Vec<String>,
    /// The shipping options of the cart's region.
    shipping: Vec<ShippingOption>,
}

impl CartNode {
    fn of<C>(reader: &Reader<C>, outcome: CartOutcome) -> async_graphql::Result<Self> {
        let totals = totals(&outcome.cart).map_err(|e| api(reader, e))?;
        Ok(CartNode {
            cart: outcome.cart,
            totals,
            notices: outcome.notices,
            shipping: outcome.shipping,
        })
    }

    fn money(&self, minor: i64) -> MoneyNode {
        MoneyNode::of(Money::new(minor, self.cart.region.currency))
    }
}

#[Object(name = "Cart")]
impl CartNode {
    /// The cart's id: the `sessionId` of every other call.
    async fn id(&self) -> ID {
        ID(self.cart.id.as_str().to_owned())
    }
    async fn email(&self) -> Option<&str> {
        self.cart.email.as_ref().map(|e| e.as_str())
    }
    async fn region_id(&self) -> ID {
        ID(self.cart.region.id.as_str().to_owned())
    }
    async fn currency_code(&self) -> &str {
        self.cart.region.currency.as_str()
    }
    async fn items(&self) -> Vec<CartLineNode> {
        self.cart
            .items
            .iter()
            .zip(&self.totals.lines)
            .map(|(line, amounts)| CartLineNode {
                id: ID(line.id.as_str().to_owned()),
                variant_id: ID(line.variant_id.as_str().to_owned()),
                product_id: ID(line.product_id.as_str().to_owned()),
                title: line.product_title.clone(),
                variant_title: line.variant_title.clone(),
                sku: line.sku.clone(),
                quantity: i32::try_from(line.quantity).unwrap_or(i32::MAX),
                unit_price: self.money(line.unit_price.get()),
                total: self.money(amounts.total),
            })
            .collect()
    }
    /// Units over all lines.
    async fn item_count(&self) -> i32 {
        i32::try_from(self.totals.item_count).unwrap_or(i32::MAX)
    }
    async fn shipping_address(&self) -> Option<AddressNode> {
        self.cart.shipping_address.as_ref().map(|a| AddressNode {
            first_name: a.first_name.clone(),
            last_name: a.last_name.clone(),
            address_1: a.address_1.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            country_code: a.country_code.clone(),
        })
    }
    async fn shipping_method(&self) -> Option<ShippingMethodNode> {
        self.cart
            .shipping_method
            .as_ref()
            .map(|m| ShippingMethodNode {
                option_id: ID(m.option_id.as_str().to_owned()),
                name: m.name.clone(),
                amount: self.money(m.amount.get()),
            })
    }
    /// The shipping options the cart can choose (`selectShippingMethod`), with their
    /// amount for its items.
    async fn shipping_options(&self) -> Vec<ShippingMethodNode> {
        applicable(&self.shipping, &self.cart)
            .into_iter()
            .map(|quote| ShippingMethodNode {
                option_id: ID(quote.option.id.as_str().to_owned()),
                name: quote.option.name.clone(),
                amount: self.money(quote.amount),
            })
            .collect()
    }
    /// Items and shipping net of tax.
    async fn subtotal(&self) -> MoneyNode {
        self.money(self.totals.subtotal)
    }
    async fn shipping_total(&self) -> MoneyNode {
        self.money(self.totals.shipping_total)
    }
    async fn tax_total(&self) -> MoneyNode {
        self.money(self.totals.tax_total)
    }
    /// What the shopper pays.
    async fn total(&self) -> MoneyNode {
        self.money(self.totals.total)
    }
    /// What changed since the shopper last looked (prices, stock, shipping).
    async fn notices(&self) -> &[String] {
        &self.notices
    }
    /// Whether the cart became an order (it then refuses every change).
    async fn completed(&self) -> bool {
        self.cart.completed.is_some()
    }
}

#[derive(SimpleObject)]
#[graphql(name = "CartLine")]
struct CartLineNode {
    id: ID,
    variant_id: ID,
    product_id: ID,
    title: String,
    variant_title: String,
    sku: Option<String>,
    quantity: i32,
    unit_price: MoneyNode,
    /// With tax.
    total: MoneyNode,
}

#[derive(SimpleObject)]
#[graphql(name = "Address")]
struct AddressNode {
    first_name: Option<String>,
    last_name: Option<String>,
    address_1: Option<String>,
    city: Option<String>,
    postal_code: Option<String>,
    country_code: Option<String>,
}

#[derive(SimpleObject)]
#[graphql(name = "ShippingMethod")]
struct ShippingMethodNode {
    option_id: ID,
    name: String,
    amount: MoneyNode,
}

/// An amount in minor units of its currency, and as text in major units.
#[derive(SimpleObject)]
#[graphql(name = "Money")]
pub(super) struct MoneyNode {
    amount: i64,
    currency_code: String,
    display: String,
}

impl MoneyNode {
    pub(super) fn of(money: Money) -> Self {
        MoneyNode {
            amount: money.minor(),
            currency_code: money.currency().as_str().to_owned(),
            display: money.to_decimal_string(),
        }
    }
}
