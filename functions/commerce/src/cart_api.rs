//! The cart endpoints of the Store API as one function over a cart's stored state:
//! [`apply`] reads what an operation needs from the catalog (variants with price and
//! stock in the cart's currency, the region, its shipping options), refreshes the cart
//! against it, applies the [`cart`](crate::cart) rule, and says what to answer, what to
//! store and which analytics events happened. The caller (the cart's Durable Object)
//! only loads and saves the state, one operation at a time; no cart write touches
//! PostgreSQL.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cart::{
    self, shipping_options_body, AddShippingMethod, Cart, CartCustomer, CartEvent, CartNotice,
    CartRegion, CreateCart, LineItemInput, NoFields, ShippingOption, UpdateCart, UpdateLineItem,
};
use crate::cart_catalog::{CartCatalog, Db};
use crate::catalog::variant::CartVariant;
use crate::db::Sql;
use crate::error::ApiError;
use crate::ids::{CartId, LineItemId, OrderId, RegionId, VariantId};
use crate::region::Region;
use crate::store::Store;
use crate::wire::Json;

/// One cart operation, as the edge hands it to the cart's object. Bodies are the
/// client's JSON, parsed here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CartOp {
    /// `POST /store/carts`, by a signed-in `customer` or a guest.
    Create {
        body: Value,
        #[serde(default)]
        customer: Option<CartCustomer>,
    },
    /// `GET /store/carts/:id`
    Get,
    /// `POST /store/carts/:id`
    Update { body: Value },
    /// `POST /store/carts/:id/line-items`
    AddItem { body: Value },
    /// `POST /store/carts/:id/line-items/:line_id`
    UpdateItem { line_id: String, body: Value },
    /// `DELETE /store/carts/:id/line-items/:line_id`
    RemoveItem { line_id: String },
    /// `POST /store/carts/:id/shipping-methods`
    AddShippingMethod { body: Value },
    /// `POST /store/carts/:id/customer`: the cart becomes the signed-in customer's.
    SetCustomer { customer: CartCustomer },
    /// `GET /store/shipping-options?cart_id=`
    ShippingOptions,
    /// The cart exactly as stored, without reading the catalog: what checkout sends
    /// the origin, which prices it again itself and says what changed.
    Snapshot,
    /// The cart was ordered (`POST /store/carts/:id/complete` succeeded): it is kept,
    /// answering as completed, and refuses every change.
    MarkCompleted { order_id: OrderId },
}

impl CartOp {
    /// Whether the operation may change the cart (reads only refresh it).
    pub fn writes(&self) -> bool {
        !matches!(
            self,
            CartOp::Get | CartOp::ShippingOptions | CartOp::Snapshot
        )
    }

    /// Whether the operation reads the catalog (a database client is needed).
    pub fn reads_catalog(&self) -> bool {
        !matches!(self, CartOp::Snapshot)
    }

    /// Whether the operation may run on a completed cart.
    fn allowed_when_completed(&self) -> bool {
        matches!(
            self,
            CartOp::Get | CartOp::ShippingOptions | CartOp::Snapshot | CartOp::MarkCompleted { .. }
        )
    }
}

/// What an operation came to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CartOutcome {
    /// The Store API response body (Medusa's shape), serialized once where it was
    /// made; it crosses the object's hop and leaves the edge as it is.
    pub body: Json,
    /// The cart to keep, when it changed (also by a refresh). The object's own
    /// business: it does not cross the hop to the edge.
    #[serde(skip)]
    pub save: Option<Cart>,
    /// The cart as it is now, for pages.
    pub cart: Cart,
    /// What the shopper should be told (changed prices, stock, shipping).
    pub notices: Vec<String>,
    /// Lines added or removed, for analytics.
    pub events: Vec<CartEvent>,
    /// The shipping options of the cart's region (the cart page lists those that apply).
    pub shipping: Vec<ShippingOption>,
}

fn notice_texts(notices: &[CartNotice]) -> Vec<String> {
    notices.iter().map(CartNotice::message).collect()
}

/// The store's region for a cart: the one named, else the first serving the store's
/// default currency, else the first.
async fn cart_region<K: CartCatalog>(
    catalog: &K,
    store: &Store,
    id: Option<&RegionId>,
) -> Result<Region, ApiError> {
    if let Some(id) = id {
        return match catalog.region(&store.id, id).await {
            Err(ApiError::NotFound { .. }) => Err(ApiError::invalid(
                "region_id",
                format!("no region {id} in this store"),
            )),
            other => other,
        };
    }
    let regions = catalog.regions(&store.id).await?;
    let default = regions
        .iter()
        .position(|r| r.currency == store.default_currency)
        .unwrap_or(0);
    regions
        .into_iter()
        .nth(default)
        .ok_or_else(|| ApiError::Internal {
            detail: format!("store {} has no region", store.id),
        })
}

async fn variants<K: CartCatalog>(
    catalog: &K,
    store: &Store,
    ids: &[VariantId],
    region: &CartRegion,
) -> Result<Vec<CartVariant>, ApiError> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    catalog.variants(&store.id, &ids, region.currency).await
}

fn cart_body(cart: &Cart, region: &Region, image_base: &str) -> Result<Json, ApiError> {
    cart::cart_body(cart, image_base, Some(region), "cart", NoFields {})
}

/// What `DELETE /store/carts/:id/line-items/:line_id` answers beside the cart.
#[derive(Serialize)]
struct DeletedLine<'a> {
    id: &'a LineItemId,
    object: &'static str,
    deleted: bool,
}

fn snapshot(cart: Cart, image_base: &str) -> Result<CartOutcome, ApiError> {
    Ok(CartOutcome {
        body: cart::cart_body(&cart, image_base, None, "cart", NoFields {})?,
        save: None,
        cart,
        notices: Vec::new(),
        events: Vec::new(),
        shipping: Vec::new(),
    })
}

/// [`CartOp::Snapshot`] without a database: the stored cart of `store` as it is.
pub fn apply_snapshot(
    store: &Store,
    cart_id: &CartId,
    stored: Option<Cart>,
    image_base: &str,
) -> Result<CartOutcome, ApiError> {
    let cart = stored
        .filter(|c| c.store_id == store.id)
        .ok_or_else(|| ApiError::not_found("Cart", "id", cart_id.as_str()))?;
    snapshot(cart, image_base)
}

/// Applies `op` to the cart `cart_id` of `store`, whose stored state is `stored`
/// (`None`: no such cart, or it expired). Refusals are errors with Medusa's shapes:
/// an unknown cart or one of another store is 404, bad input 400 naming the field.
pub async fn apply<C: Sql>(
    client: &C,
    store: &Store,
    cart_id: &CartId,
    stored: Option<Cart>,
    op: CartOp,
    now_ms: u64,
    image_base: &str,
) -> Result<CartOutcome, ApiError> {
    apply_with(&Db(client), store, cart_id, stored, op, now_ms, image_base).await
}

/// [`apply`], reading the catalog through `catalog` (the cart's object puts its memo
/// in front of the database).
pub async fn apply_with<K: CartCatalog>(
    catalog: &K,
    store: &Store,
    cart_id: &CartId,
    stored: Option<Cart>,
    op: CartOp,
    now_ms: u64,
    image_base: &str,
) -> Result<CartOutcome, ApiError> {
    let not_found = || ApiError::not_found("Cart", "id", cart_id.as_str());
    if let CartOp::Create { body, customer } = &op {
        if stored.is_some() {
            return Err(ApiError::Internal {
                detail: format!("cart {cart_id} exists already"),
            });
        }
        let body = CreateCart::parse(body)?;
        let region = cart_region(catalog, store, body.region_id.as_ref()).await?;
        let cart_region = CartRegion::from(&region);
        let ids: Vec<VariantId> = body.items.iter().map(|i| i.variant_id.clone()).collect();
        let found = variants(catalog, store, &ids, &cart_region).await?;
        if let Some(address) = &body.shipping_address {
            cart::check_shipping_country(address, &region)?;
        }
        let (mut cart, events) = Cart::create(
            cart_id.clone(),
            store.id.clone(),
            cart_region,
            &body,
            &found,
            now_ms,
        )?;
        if let Some(customer) = customer {
            cart.assign(customer, now_ms)?;
        }
        return Ok(CartOutcome {
            body: cart_body(&cart, &region, image_base)?,
            save: Some(cart.clone()),
            cart,
            notices: Vec::new(),
            events,
            shipping: Vec::new(),
        });
    }

    let mut cart = stored
        .filter(|c| c.store_id == store.id)
        .ok_or_else(not_found)?;
    if let CartOp::Snapshot = op {
        return snapshot(cart, image_base);
    }
    let before = cart.clone();
    let mut region = cart_region(catalog, store, Some(&cart.region.id)).await?;
    if let CartOp::MarkCompleted { order_id } = &op {
        if cart.completed.is_none() {
            cart.completed = Some(cart::CompletedCart {
                order_id: order_id.clone(),
                at_ms: now_ms,
            });
            cart.updated_at_ms = now_ms;
        }
    }
    if cart.completed.is_some() {
        // An ordered cart is a record: not refreshed against the catalog, not changed.
        if !op.allowed_when_completed() {
            return Err(ApiError::not_allowed(
                crate::ErrorCode::CartCompleted,
                "This cart has been ordered already and can no longer change.",
            ));
        }
        return Ok(CartOutcome {
            body: cart_body(&cart, &region, image_base)?,
            save: (cart != before).then(|| cart.clone()),
            cart,
            notices: Vec::new(),
            events: Vec::new(),
            shipping: Vec::new(),
        });
    }

    // Parse first: bad input changes nothing.
    let mut wanted = cart.variant_ids();
    let add = match &op {
        CartOp::AddItem { body } => {
            let input = LineItemInput::parse(body)?;
            wanted.push(input.variant_id.clone());
            Some(input)
        }
        _ => None,
    };
    let update = match &op {
        CartOp::Update { body } => Some(UpdateCart::parse(body)?),
        _ => None,
    };

    let mut notices = Vec::new();
    let mut events = Vec::new();
    // A region change re-prices in the new currency instead of refreshing in the old:
    // the variants are read once, in the currency the cart ends up in.
    let moving = update
        .as_ref()
        .and_then(|u| u.region_id.clone())
        .filter(|id| *id != cart.region.id);
    if let Some(new_id) = &moving {
        region = cart_region(catalog, store, Some(new_id)).await?;
    }
    let priced_in = CartRegion::from(&region);
    let found = variants(catalog, store, &wanted, &priced_in).await?;
    if moving.is_some() {
        notices.extend(cart::change_region(&mut cart, priced_in, &found, now_ms)?);
    } else {
        notices.extend(cart::refresh(&mut cart, &found, now_ms)?);
    }
    let options = catalog.shipping_options(&store.id, &cart.region.id).await?;
    notices.extend(cart::refresh_shipping(&mut cart, &options, now_ms));

    let body = match op {
        CartOp::Create { .. } | CartOp::MarkCompleted { .. } | CartOp::Snapshot => {
            unreachable!("handled above")
        }
        CartOp::Get => cart_body(&cart, &region, image_base)?,
        CartOp::SetCustomer { customer } => {
            cart.assign(&customer, now_ms)?;
            cart_body(&cart, &region, image_base)?
        }
        CartOp::ShippingOptions => shipping_options_body(&cart, &options)?,
        CartOp::Update { .. } => {
            let update = update.unwrap_or_default();
            let ship_to = update.shipping_address.as_ref().and_then(Option::as_ref);
            if let Some(address) = ship_to {
                cart::check_shipping_country(address, &region)?;
            }
            cart.apply_update(&update, now_ms);
            cart_body(&cart, &region, image_base)?
        }
        CartOp::AddItem { .. } => {
            let input = add.ok_or_else(|| ApiError::Internal {
                detail: "line item input lost".into(),
            })?;
            let v = cart::find_variant(&found, &input.variant_id, "variant_id")?;
            events.push(cart::add_item(&mut cart, v, input.quantity, now_ms)?);
            cart_body(&cart, &region, image_base)?
        }
        CartOp::UpdateItem { line_id, body } => {
            let line_id = cart::parse_line_id(&line_id)?;
            let input = UpdateLineItem::parse(&body)?;
            let variant_id = cart.line(&line_id)?.variant_id.clone();
            if input.quantity == 0 {
                events.push(cart::remove_item(&mut cart, &line_id, now_ms)?);
            } else {
                let v = cart::find_variant(&found, &variant_id, "quantity")?;
                events.extend(cart::update_item(
                    &mut cart,
                    &line_id,
                    input.quantity,
                    v,
                    now_ms,
                )?);
            }
            cart_body(&cart, &region, image_base)?
        }
        CartOp::RemoveItem { line_id } => {
            let line_id = cart::parse_line_id(&line_id)?;
            events.push(cart::remove_item(&mut cart, &line_id, now_ms)?);
            let deleted = DeletedLine {
                id: &line_id,
                object: "line-item",
                deleted: true,
            };
            cart::cart_body(&cart, image_base, Some(&region), "parent", deleted)?
        }
        CartOp::AddShippingMethod { body } => {
            let input = AddShippingMethod::parse(&body)?;
            cart::choose_shipping(&mut cart, &options, &input.option_id, now_ms)?;
            cart_body(&cart, &region, image_base)?
        }
    };
    Ok(CartOutcome {
        body,
        save: (cart != before).then(|| cart.clone()),
        cart,
        notices: notice_texts(&notices),
        events,
        shipping: options,
    })
}
