//! Carts: plain data that a Durable Object keeps as JSON, and the pure functions that
//! change it. Nothing here reads the database or the clock: callers pass the catalog's
//! view of the variants ([`CartVariant`], read live by
//! [`for_cart`](crate::catalog::variant::for_cart)) and the time in milliseconds.
//!
//! The rules every change follows:
//! - a line's price is the catalog price in the cart's currency, never the client's;
//! - stock is checked on every add and increase, against the line's new quantity;
//! - [`refresh`] brings a stored cart in line with the catalog and says what changed in
//!   [`CartNotice`]s a page can show. A caller refreshes before applying a change,
//!   reading the cart's variants and the one being added in the same query, so that a
//!   change never re-prices a line silently;
//! - every refusal is an [`ApiError`] naming the offending field.
//!
//! Amounts are integer minor units of the region's currency; [`totals`] explains the
//! tax arithmetic and its rounding.

mod address;
mod body;
mod json;
mod shipping;
mod totals;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use self::address::{
    check_contact, check_shipping_country, validate_email, Address, MAX_EMAIL_CHARS,
};
pub use self::body::{
    parse_line_id, AddShippingMethod, CreateCart, LineItemInput, UpdateCart, UpdateLineItem,
};
pub use self::json::api_time;
pub use self::json::{cart_body, shipping_options_body, NoFields};
pub use self::shipping::{
    applicable, choose_shipping, refresh_shipping, ShippingKind, ShippingMethod, ShippingOption,
    ShippingQuote,
};
pub use self::totals::{amount_totals, line_totals, totals, CartTotals, LineTotals};
pub use crate::catalog::variant::CartVariant;
pub use crate::email::Email;
use crate::error::ApiError;
use crate::ids::{
    CartId, CustomerId, LineItemId, OrderId, ProductId, RegionId, StoreId, VariantId,
};
use crate::money::{CurrencyCode, MinorUnits, Money};
use crate::region::Region;

/// Most units of one variant a cart holds.
pub const MAX_LINE_QUANTITY: u32 = 99;
/// Most lines (distinct variants) a cart holds.
pub const MAX_LINES: usize = 100;
/// Highest unit price or shipping amount a cart accepts, in minor units (ten billion
/// in a two-decimal currency). It keeps every total far inside `i64`; a catalog price
/// above it counts as no price.
pub const MAX_UNIT_PRICE: i64 = 1_000_000_000_000;

/// (De)serialises a [`CurrencyCode`] as its lower-case code, for the stored cart.
pub(crate) mod serde_currency {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::money::CurrencyCode;

    pub fn serialize<S: Serializer>(code: &CurrencyCode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(code.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CurrencyCode, D::Error> {
        let text = String::deserialize(d)?;
        CurrencyCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The region a cart is priced in, copied into the cart so that totals need no lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartRegion {
    pub id: RegionId,
    #[serde(with = "serde_currency")]
    pub currency: CurrencyCode,
    /// Tax rate in basis points: 2000 is 20 %.
    pub tax_rate_bp: u32,
    /// Whether catalog prices and shipping amounts in this region contain the tax.
    pub tax_inclusive: bool,
}

impl From<&Region> for CartRegion {
    fn from(r: &Region) -> Self {
        CartRegion {
            id: r.id.clone(),
            currency: r.currency,
            tax_rate_bp: r.tax_rate.basis_points(),
            tax_inclusive: r.tax_inclusive,
        }
    }
}

/// One variant in a cart, with what the page shows of it copied from the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub id: LineItemId,
    pub variant_id: VariantId,
    pub product_id: ProductId,
    pub product_title: String,
    pub product_handle: String,
    pub variant_title: String,
    pub sku: Option<String>,
    /// R2 key of the image shown beside the line.
    pub thumbnail: Option<String>,
    /// 1 to [`MAX_LINE_QUANTITY`].
    pub quantity: u32,
    /// Minor units of the cart's currency as the catalog prices the variant: gross
    /// when the region's prices include tax, net otherwise.
    pub unit_price: MinorUnits,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
}

impl LineItem {
    fn new(variant: &CartVariant, unit_price: MinorUnits, quantity: u32, now_ms: u64) -> Self {
        LineItem {
            id: LineItemId::generate(),
            variant_id: variant.id.clone(),
            product_id: variant.product_id.clone(),
            product_title: variant.product_title.clone(),
            product_handle: variant.product_handle.clone(),
            variant_title: variant.title.clone(),
            sku: variant.sku.clone(),
            thumbnail: variant.thumbnail_key.clone(),
            quantity,
            unit_price,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        }
    }

    /// Copies what the page shows of the variant (titles, sku, image), not the price.
    fn copy_catalog(&mut self, v: &CartVariant) {
        self.product_id = v.product_id.clone();
        self.product_title = v.product_title.clone();
        self.product_handle = v.product_handle.clone();
        self.variant_title = v.title.clone();
        self.sku = v.sku.clone();
        self.thumbnail = v.thumbnail_key.clone();
    }

    /// "Linen Shirt (M / Red)": the product and, when it says more, the variant.
    pub fn display_title(&self) -> String {
        display_title(&self.product_title, &self.variant_title)
    }
}

pub(crate) fn display_title(product: &str, variant: &str) -> String {
    if variant.is_empty() || variant == product {
        product.to_owned()
    } else {
        format!("{product} ({variant})")
    }
}

/// A shopper's cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cart {
    pub id: CartId,
    pub store_id: StoreId,
    pub region: CartRegion,
    pub email: Option<Email>,
    /// The customer the cart belongs to (made while signed in, or handed to them by
    /// `POST /store/carts/:id/customer`); their order is then theirs.
    #[serde(default)]
    pub customer_id: Option<CustomerId>,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub items: Vec<LineItem>,
    pub shipping_method: Option<ShippingMethod>,
    /// The order the cart became; a completed cart no longer changes.
    #[serde(default)]
    pub completed: Option<CompletedCart>,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
}

/// The signed-in customer a cart is made for or handed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartCustomer {
    pub id: CustomerId,
    pub email: Email,
}

/// When and as which order a cart was completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedCart {
    pub order_id: OrderId,
    pub at_ms: u64,
}

/// `prefix.name`, or `name` alone at the top of a body.
fn field(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn internal(detail: String) -> ApiError {
    ApiError::Internal { detail }
}

impl Cart {
    /// An empty cart.
    pub fn new(id: CartId, store_id: StoreId, region: CartRegion, now_ms: u64) -> Self {
        Cart {
            id,
            store_id,
            region,
            email: None,
            customer_id: None,
            shipping_address: None,
            billing_address: None,
            items: Vec::new(),
            shipping_method: None,
            completed: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        }
    }

    /// A cart made from a create request, in `region` (which the caller chose from
    /// `body.region_id` or the store's default). `variants` are the catalog's view of
    /// the body's items in the region's currency; items are added in order, so the same
    /// variant twice makes one line. Errors name the item: `items[1].quantity`.
    pub fn create(
        id: CartId,
        store_id: StoreId,
        region: CartRegion,
        body: &CreateCart,
        variants: &[CartVariant],
        now_ms: u64,
    ) -> Result<(Cart, Vec<CartEvent>), ApiError> {
        let mut cart = Cart::new(id, store_id, region, now_ms);
        cart.email.clone_from(&body.email);
        cart.shipping_address.clone_from(&body.shipping_address);
        cart.billing_address.clone_from(&body.billing_address);
        let mut events = Vec::with_capacity(body.items.len());
        for (i, item) in body.items.iter().enumerate() {
            let prefix = format!("items[{i}]");
            let variant = find_variant(variants, &item.variant_id, &field(&prefix, "variant_id"))?;
            events.push(add(&mut cart, variant, item.quantity, now_ms, &prefix)?);
        }
        Ok((cart, events))
    }

    /// Makes the cart `customer`'s, with their e-mail address. A cart of another
    /// customer is not found for them.
    pub fn assign(&mut self, customer: &CartCustomer, now_ms: u64) -> Result<(), ApiError> {
        if self
            .customer_id
            .as_ref()
            .is_some_and(|owner| owner != &customer.id)
        {
            return Err(ApiError::not_found("Cart", "id", self.id.as_str()));
        }
        self.customer_id = Some(customer.id.clone());
        self.email = Some(customer.email.clone());
        self.updated_at_ms = now_ms;
        Ok(())
    }

    /// The line with this id; an unknown id is not found.
    pub fn line(&self, id: &LineItemId) -> Result<&LineItem, ApiError> {
        self.items
            .iter()
            .find(|l| &l.id == id)
            .ok_or_else(|| ApiError::not_found("Line item", "id", id.as_str()))
    }

    fn line_index(&self, id: &LineItemId) -> Result<usize, ApiError> {
        self.items
            .iter()
            .position(|l| &l.id == id)
            .ok_or_else(|| ApiError::not_found("Line item", "id", id.as_str()))
    }

    /// The variants of every line, for [`for_cart`](crate::catalog::variant::for_cart).
    pub fn variant_ids(&self) -> Vec<VariantId> {
        self.items.iter().map(|l| l.variant_id.clone()).collect()
    }

    /// When the cart expires if nothing changes it: `lifetime_ms` after its last change.
    pub fn expires_at_ms(&self, lifetime_ms: u64) -> u64 {
        self.updated_at_ms.saturating_add(lifetime_ms)
    }

    /// Whether the cart has been idle for its whole lifetime at `now_ms` (an expired
    /// cart is deleted and its id answers like an unknown one).
    pub fn expired(&self, now_ms: u64, lifetime_ms: u64) -> bool {
        self.expires_at_ms(lifetime_ms) <= now_ms
    }

    /// Whether checkout's contact step is done: an e-mail and an address a parcel can
    /// be sent to (what placing an order requires of them).
    pub fn contact_complete(&self) -> bool {
        self.email.as_deref().is_some_and(|e| !e.is_empty())
            && self
                .shipping_address
                .as_ref()
                .is_some_and(Address::is_complete_for_shipping)
    }

    /// Units in the cart, over all lines.
    pub fn item_count(&self) -> u32 {
        self.items
            .iter()
            .fold(0u32, |n, l| n.saturating_add(l.quantity))
    }

    /// Applies the e-mail and addresses of an update request. Its `region_id` is for
    /// [`change_region`], which needs the new region's prices.
    pub fn apply_update(&mut self, body: &UpdateCart, now_ms: u64) {
        let mut changed = false;
        if let Some(email) = &body.email {
            changed |= &self.email != email;
            self.email.clone_from(email);
        }
        if let Some(address) = &body.shipping_address {
            changed |= &self.shipping_address != address;
            self.shipping_address.clone_from(address);
        }
        if let Some(address) = &body.billing_address {
            changed |= &self.billing_address != address;
            self.billing_address.clone_from(address);
        }
        if changed {
            self.updated_at_ms = now_ms;
        }
    }

    /// Σ unit price × quantity: the catalog prices of the lines added up, what
    /// free-shipping thresholds compare with. Saturates (lines are bounded far below).
    pub(crate) fn item_amount(&self) -> i64 {
        let sum: i128 = self
            .items
            .iter()
            .map(|l| i128::from(l.unit_price.get()) * i128::from(l.quantity))
            .sum();
        i64::try_from(sum).unwrap_or(i64::MAX)
    }

    /// Records a change: the time, and a shipping amount that may follow the items.
    fn changed(&mut self, now_ms: u64) -> Option<CartNotice> {
        self.updated_at_ms = now_ms;
        shipping::reprice(self)
    }
}

/// The variant with this id among those the catalog returned; a missing one (another
/// store's, deleted) is refused naming `field_name`.
pub fn find_variant<'a>(
    variants: &'a [CartVariant],
    id: &VariantId,
    field_name: &str,
) -> Result<&'a CartVariant, ApiError> {
    variants
        .iter()
        .find(|v| &v.id == id)
        .ok_or_else(|| ApiError::invalid(field_name, format!("no variant {id} in this store")))
}

/// The variant's price if `total` units of it may be in a cart priced in `currency`,
/// `existing` of which are there already; otherwise why not, naming the field under
/// `prefix`.
fn check_purchase(
    currency: CurrencyCode,
    v: &CartVariant,
    existing: u32,
    total: u32,
    prefix: &str,
) -> Result<MinorUnits, ApiError> {
    if v.currency != currency {
        return Err(internal(format!(
            "variant {} was read in {}, the cart is in {currency}",
            v.id, v.currency
        )));
    }
    let title = display_title(&v.product_title, &v.title);
    let variant_field = field(prefix, "variant_id");
    let quantity_field = field(prefix, "quantity");
    let held = if existing > 0 {
        format!("; your cart already holds {existing}")
    } else {
        String::new()
    };
    if !v.published {
        return Err(ApiError::invalid(
            variant_field,
            format!("{title} is not available for purchase"),
        ));
    }
    let Some(price) = v.price.filter(|p| (0..=MAX_UNIT_PRICE).contains(p)) else {
        return Err(ApiError::invalid(
            variant_field,
            format!(
                "{title} has no price in {}",
                currency.as_str().to_ascii_uppercase()
            ),
        ));
    };
    if total > MAX_LINE_QUANTITY {
        return Err(ApiError::invalid(
            quantity_field,
            format!("at most {MAX_LINE_QUANTITY} of one item fit in a cart{held}"),
        ));
    }
    if v.stock_limited() {
        if v.available <= 0 {
            return Err(ApiError::invalid(
                variant_field,
                format!("{title} is sold out"),
            ));
        }
        if i64::from(total) > v.available {
            return Err(ApiError::invalid(
                quantity_field,
                format!("only {} of {title} available{held}", v.available),
            ));
        }
    }
    Ok(MinorUnits::new(price))
}

fn add(
    cart: &mut Cart,
    variant: &CartVariant,
    quantity: u32,
    now_ms: u64,
    prefix: &str,
) -> Result<CartEvent, ApiError> {
    if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
        return Err(ApiError::invalid(
            field(prefix, "quantity"),
            format!("must be a whole number from 1 to {MAX_LINE_QUANTITY}"),
        ));
    }
    let index = cart.items.iter().position(|l| l.variant_id == variant.id);
    if index.is_none() && cart.items.len() >= MAX_LINES {
        return Err(ApiError::invalid(
            field(prefix, "variant_id"),
            format!("a cart holds at most {MAX_LINES} different items"),
        ));
    }
    let existing = index.map_or(0, |i| cart.items[i].quantity);
    let total = existing.saturating_add(quantity);
    let price = check_purchase(cart.region.currency, variant, existing, total, prefix)?;
    let index = match index {
        Some(i) => {
            let line = &mut cart.items[i];
            line.copy_catalog(variant);
            line.unit_price = price;
            line.quantity = total;
            line.updated_at_ms = now_ms;
            i
        }
        None => {
            cart.items
                .push(LineItem::new(variant, price, quantity, now_ms));
            cart.items.len() - 1
        }
    };
    let event = CartEvent::new(
        CartEventName::AddToCart,
        cart,
        &cart.items[index],
        quantity,
        now_ms,
    );
    cart.changed(now_ms);
    Ok(event)
}

/// Adds `quantity` units of `variant` at its catalog price; a variant already in the
/// cart increases its line, and the checks apply to the line's new quantity. Refused:
/// a quantity outside 1..=[`MAX_LINE_QUANTITY`], an unpublished variant, one without
/// a price in the cart's currency, and, when stock limits it (inventory managed and no
/// backorder), a sold-out variant or more than is available. A merged line takes the
/// current catalog price. Returns the `add_to_cart` event.
pub fn add_item(
    cart: &mut Cart,
    variant: &CartVariant,
    quantity: u32,
    now_ms: u64,
) -> Result<CartEvent, ApiError> {
    add(cart, variant, quantity, now_ms, "")
}

/// Sets a line's quantity; 0 removes the line. An increase is checked like
/// [`add_item`] (the line takes the current catalog price); a decrease is always
/// allowed. `variant` is the catalog's view of the line's variant. Returns the
/// `add_to_cart` or `remove_from_cart` event of the difference, or `None` when the
/// quantity is unchanged.
pub fn update_item(
    cart: &mut Cart,
    line_id: &LineItemId,
    quantity: u32,
    variant: &CartVariant,
    now_ms: u64,
) -> Result<Option<CartEvent>, ApiError> {
    let index = cart.line_index(line_id)?;
    if quantity > MAX_LINE_QUANTITY {
        return Err(ApiError::invalid(
            "quantity",
            format!("must be a whole number from 0 to {MAX_LINE_QUANTITY}"),
        ));
    }
    if quantity == 0 {
        return remove_item(cart, line_id, now_ms).map(Some);
    }
    if variant.id != cart.items[index].variant_id {
        return Err(internal(format!(
            "line {line_id} holds {}, not {}",
            cart.items[index].variant_id, variant.id
        )));
    }
    let old = cart.items[index].quantity;
    let (name, delta) = match quantity.cmp(&old) {
        std::cmp::Ordering::Equal => return Ok(None),
        std::cmp::Ordering::Less => (CartEventName::RemoveFromCart, old - quantity),
        std::cmp::Ordering::Greater => {
            let price = check_purchase(cart.region.currency, variant, 0, quantity, "")?;
            let line = &mut cart.items[index];
            line.copy_catalog(variant);
            line.unit_price = price;
            (CartEventName::AddToCart, quantity - old)
        }
    };
    let line = &mut cart.items[index];
    line.quantity = quantity;
    line.updated_at_ms = now_ms;
    let event = CartEvent::new(name, cart, &cart.items[index], delta, now_ms);
    cart.changed(now_ms);
    Ok(Some(event))
}

/// Removes a line; an unknown id is not found. Returns the `remove_from_cart` event.
pub fn remove_item(
    cart: &mut Cart,
    line_id: &LineItemId,
    now_ms: u64,
) -> Result<CartEvent, ApiError> {
    let index = cart.line_index(line_id)?;
    let line = cart.items.remove(index);
    let event = CartEvent::new(
        CartEventName::RemoveFromCart,
        cart,
        &line,
        line.quantity,
        now_ms,
    );
    cart.changed(now_ms);
    Ok(event)
}

/// Brings the cart in line with the catalog (`variants`: its lines' variants in the
/// cart's currency, read live). Lines whose variant is gone, unpublished, without a
/// price, or sold out are removed; quantities above the stock now available are
/// lowered (unless backorder is allowed or inventory is not managed); changed prices
/// are taken; titles and images follow the catalog silently. The shipping amount is
/// re-evaluated. Returns what the shopper should be told, in line order.
pub fn refresh(
    cart: &mut Cart,
    variants: &[CartVariant],
    now_ms: u64,
) -> Result<Vec<CartNotice>, ApiError> {
    reconcile(cart, variants, now_ms, true)
}

/// Moves the cart to another region: every line is re-priced in the new currency
/// (`variants` are the lines' variants in it), lines the new region cannot sell are
/// removed with a notice, and the shipping method is cleared, since options belong to
/// a region. Moving to the cart's own region is a [`refresh`].
pub fn change_region(
    cart: &mut Cart,
    region: CartRegion,
    variants: &[CartVariant],
    now_ms: u64,
) -> Result<Vec<CartNotice>, ApiError> {
    if region.id == cart.region.id {
        cart.region = region;
        return reconcile(cart, variants, now_ms, true);
    }
    if let Some(v) = variants.iter().find(|v| v.currency != region.currency) {
        return Err(internal(format!(
            "variant {} was read in {}, the new region is in {}",
            v.id, v.currency, region.currency
        )));
    }
    let same_currency = region.currency == cart.region.currency;
    cart.region = region;
    cart.updated_at_ms = now_ms;
    let mut notices = Vec::new();
    if let Some(method) = cart.shipping_method.take() {
        notices.push(CartNotice::ShippingRemoved { name: method.name });
    }
    notices.extend(reconcile(cart, variants, now_ms, same_currency)?);
    Ok(notices)
}

fn reconcile(
    cart: &mut Cart,
    variants: &[CartVariant],
    now_ms: u64,
    announce_prices: bool,
) -> Result<Vec<CartNotice>, ApiError> {
    let currency = cart.region.currency;
    if let Some(v) = variants.iter().find(|v| v.currency != currency) {
        return Err(internal(format!(
            "variant {} was read in {}, the cart is in {currency}",
            v.id, v.currency
        )));
    }
    let mut notices = Vec::new();
    let mut changed = false;
    let mut kept = Vec::with_capacity(cart.items.len());
    for mut line in std::mem::take(&mut cart.items) {
        let variant = variants.iter().find(|v| v.id == line.variant_id);
        let removal = match variant {
            None => Some(RemovalReason::Discontinued),
            Some(v) if !v.published => Some(RemovalReason::Discontinued),
            Some(v) if !v.price.is_some_and(|p| (0..=MAX_UNIT_PRICE).contains(&p)) => {
                Some(RemovalReason::NotPriced)
            }
            Some(v) if v.stock_limited() && v.available <= 0 => Some(RemovalReason::SoldOut),
            Some(_) => None,
        };
        let Some(v) = variant.filter(|_| removal.is_none()) else {
            if let Some(v) = variant {
                line.copy_catalog(v);
            }
            notices.push(CartNotice::Removed {
                line_id: line.id,
                variant_id: line.variant_id,
                product_title: line.product_title,
                variant_title: line.variant_title,
                reason: removal.unwrap_or(RemovalReason::Discontinued),
            });
            changed = true;
            continue;
        };
        let before = line.clone();
        line.copy_catalog(v);
        if v.stock_limited() && i64::from(line.quantity) > v.available {
            // available is positive here and below the quantity, so it fits in u32.
            let new_quantity = u32::try_from(v.available).unwrap_or(line.quantity);
            notices.push(CartNotice::QuantityReduced {
                line_id: line.id.clone(),
                variant_id: line.variant_id.clone(),
                product_title: line.product_title.clone(),
                variant_title: line.variant_title.clone(),
                old_quantity: line.quantity,
                new_quantity,
            });
            line.quantity = new_quantity;
        }
        let price = v.price.map_or(line.unit_price, MinorUnits::new);
        if price != line.unit_price {
            if announce_prices {
                notices.push(CartNotice::PriceChanged {
                    line_id: line.id.clone(),
                    variant_id: line.variant_id.clone(),
                    product_title: line.product_title.clone(),
                    variant_title: line.variant_title.clone(),
                    currency,
                    old_price: line.unit_price,
                    new_price: price,
                });
            }
            line.unit_price = price;
        }
        if line != before {
            line.updated_at_ms = now_ms;
            changed = true;
        }
        kept.push(line);
    }
    cart.items = kept;
    let shipping = shipping::reprice(cart);
    if changed || shipping.is_some() {
        cart.updated_at_ms = now_ms;
    }
    notices.extend(shipping);
    Ok(notices)
}

/// Why [`refresh`] or [`change_region`] took a line out of the cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// The variant was deleted or its product unpublished.
    Discontinued,
    /// The variant has no price in the cart's currency.
    NotPriced,
    /// Stock is gone and the variant cannot be backordered.
    SoldOut,
}

/// Something the catalog changed in a cart that the shopper should be told about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CartNotice {
    PriceChanged {
        line_id: LineItemId,
        variant_id: VariantId,
        product_title: String,
        variant_title: String,
        #[serde(with = "serde_currency")]
        currency: CurrencyCode,
        /// Unit prices in minor units.
        old_price: MinorUnits,
        new_price: MinorUnits,
    },
    QuantityReduced {
        line_id: LineItemId,
        variant_id: VariantId,
        product_title: String,
        variant_title: String,
        old_quantity: u32,
        new_quantity: u32,
    },
    Removed {
        line_id: LineItemId,
        variant_id: VariantId,
        product_title: String,
        variant_title: String,
        reason: RemovalReason,
    },
    /// The chosen shipping method costs something else now (a free-shipping threshold
    /// was crossed, or the option's price changed).
    ShippingChanged {
        name: String,
        #[serde(with = "serde_currency")]
        currency: CurrencyCode,
        old_amount: MinorUnits,
        new_amount: MinorUnits,
    },
    /// The chosen shipping method was dropped; another must be chosen.
    ShippingRemoved { name: String },
}

/// `€12.00`, `$0.99`, `¥1500`, `CHF 12.00`: a plain rendering for notices; pages pass
/// their own formatter to [`CartNotice::message_with`].
fn plain_money(amount: Money) -> String {
    let symbol = match amount.currency().as_str() {
        "eur" => "€",
        "usd" => "$",
        "gbp" => "£",
        "jpy" => "¥",
        _ => "",
    };
    let number = amount.to_decimal_string();
    let (sign, digits) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number.as_str()),
    };
    if symbol.is_empty() {
        format!(
            "{sign}{} {digits}",
            amount.currency().as_str().to_ascii_uppercase()
        )
    } else {
        format!("{sign}{symbol}{digits}")
    }
}

impl CartNotice {
    /// The sentence a page shows, with amounts written by `money`.
    pub fn message_with(&self, money: impl Fn(Money) -> String) -> String {
        match self {
            CartNotice::PriceChanged {
                product_title,
                variant_title,
                currency,
                old_price,
                new_price,
                ..
            } => format!(
                "The price of {} changed from {} to {}.",
                display_title(product_title, variant_title),
                money(old_price.of(*currency)),
                money(new_price.of(*currency)),
            ),
            CartNotice::QuantityReduced {
                product_title,
                variant_title,
                old_quantity,
                new_quantity,
                ..
            } => format!(
                "Only {new_quantity} of {} can be ordered now, so its quantity went from \
                 {old_quantity} to {new_quantity}.",
                display_title(product_title, variant_title),
            ),
            CartNotice::Removed {
                product_title,
                variant_title,
                reason,
                ..
            } => {
                let title = display_title(product_title, variant_title);
                match reason {
                    RemovalReason::Discontinued => {
                        format!("{title} is no longer available and was removed from your cart.")
                    }
                    RemovalReason::NotPriced => {
                        format!(
                            "{title} is not sold in this region and was removed from your cart."
                        )
                    }
                    RemovalReason::SoldOut => {
                        format!("{title} is sold out and was removed from your cart.")
                    }
                }
            }
            CartNotice::ShippingChanged {
                name,
                currency,
                old_amount,
                new_amount,
            } => {
                let show = |amount: &MinorUnits| {
                    if amount.is_zero() {
                        "free".to_owned()
                    } else {
                        money(amount.of(*currency))
                    }
                };
                format!(
                    "Shipping ({name}) changed from {} to {}.",
                    show(old_amount),
                    show(new_amount)
                )
            }
            CartNotice::ShippingRemoved { name } => format!(
                "The shipping method {name} is not available for this cart any more; please \
                 choose one again."
            ),
        }
    }

    /// The sentence with amounts in a plain form (`€12.00`).
    pub fn message(&self) -> String {
        self.message_with(plain_money)
    }
}

impl fmt::Display for CartNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// Which way a cart event went, named as analytics tools (GA4) name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CartEventName {
    AddToCart,
    RemoveFromCart,
}

/// A change of a line for analytics, sent by the edge to the events queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartEvent {
    pub name: CartEventName,
    pub store_id: StoreId,
    pub cart_id: CartId,
    pub variant_id: VariantId,
    pub product_id: ProductId,
    pub sku: Option<String>,
    /// Unit price in minor units of `currency`.
    pub price: MinorUnits,
    #[serde(with = "serde_currency")]
    pub currency: CurrencyCode,
    /// Units added or removed by this change (not the line's new quantity).
    pub quantity: u32,
    pub at_ms: u64,
}

impl CartEvent {
    fn new(name: CartEventName, cart: &Cart, line: &LineItem, quantity: u32, now_ms: u64) -> Self {
        CartEvent {
            name,
            store_id: cart.store_id.clone(),
            cart_id: cart.id.clone(),
            variant_id: line.variant_id.clone(),
            product_id: line.product_id.clone(),
            sku: line.sku.clone(),
            price: line.unit_price,
            currency: cart.region.currency,
            quantity,
            at_ms: now_ms,
        }
    }
}

#[cfg(test)]
pub(crate) mod testing;

#[cfg(test)]
mod tests;
