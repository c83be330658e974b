//! Fixtures shared by the cart's unit tests: two regions, a cart and catalog variants.

use super::{Cart, CartRegion, CartVariant, ShippingKind, ShippingOption};
use crate::error::ApiError;
use crate::ids::{CartId, ProductId, RegionId, ShippingOptionId, StoreId, VariantId};
use crate::money::CurrencyCode;

pub const T0: u64 = 1_714_566_600_000;

pub fn eur() -> CurrencyCode {
    CurrencyCode::parse("eur").unwrap()
}

pub fn usd() -> CurrencyCode {
    CurrencyCode::parse("usd").unwrap()
}

/// Europe: eur, 20 % included in prices.
pub fn region_eu() -> CartRegion {
    CartRegion {
        id: RegionId::parse("reg_EU").unwrap(),
        currency: eur(),
        tax_rate_bp: 2000,
        tax_inclusive: true,
    }
}

/// United States: usd, 10 % added on top.
pub fn region_us() -> CartRegion {
    CartRegion {
        id: RegionId::parse("reg_US").unwrap(),
        currency: usd(),
        tax_rate_bp: 1000,
        tax_inclusive: false,
    }
}

pub fn cart_in(region: CartRegion) -> Cart {
    Cart::new(
        CartId::parse("cart_TEST").unwrap(),
        StoreId::parse("store_TEST").unwrap(),
        region,
        T0,
    )
}

pub fn cart() -> Cart {
    cart_in(region_eu())
}

/// A published "Linen Shirt" variant in eur with 10 available, stock managed, no
/// backorder; `id` is the part after `variant_`.
pub fn variant(id: &str, price: i64) -> CartVariant {
    CartVariant {
        id: VariantId::parse(&format!("variant_{id}")).unwrap(),
        product_id: ProductId::parse("prod_SHIRT").unwrap(),
        product_title: "Linen Shirt".into(),
        product_handle: "linen-shirt".into(),
        published: true,
        title: id.into(),
        sku: Some(format!("SKU-{id}")),
        thumbnail_key: Some("products/shirt.png".into()),
        currency: eur(),
        price: Some(price),
        manage_inventory: true,
        allow_backorder: false,
        available: 10,
    }
}

/// The same variant read in usd.
pub fn in_usd(mut v: CartVariant, price: Option<i64>) -> CartVariant {
    v.currency = usd();
    v.price = price;
    v
}

pub fn option(id: &str, region: &CartRegion, kind: ShippingKind) -> ShippingOption {
    ShippingOption {
        id: ShippingOptionId::parse(&format!("so_{id}")).unwrap(),
        region_id: region.id.clone(),
        name: id.into(),
        kind,
    }
}

/// The parameter an error names; panics on any other error.
pub fn param_of(e: ApiError) -> String {
    match e {
        ApiError::InvalidParam { param, .. } => param,
        other => panic!("not a parameter error: {other:?}"),
    }
}
