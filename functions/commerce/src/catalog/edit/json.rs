//! A product in the shape of Medusa's Admin API (`AdminProduct`), with the fields this
//! store keeps.

use serde::Serialize;

use super::{AdminProduct, AdminVariant};
use crate::money::Money;

/// Medusa's price of a variant: `amount` in major units.
#[derive(Debug, Clone, Serialize)]
pub struct AdminPriceJson {
    pub currency_code: String,
    pub amount: serde_json::Number,
}

/// Medusa's option value as a variant carries it.
#[derive(Debug, Clone, Serialize)]
pub struct AdminOptionValueJson {
    pub id: String,
    pub value: String,
    pub option_id: String,
}

/// Medusa's `AdminProductOption`.
#[derive(Debug, Clone, Serialize)]
pub struct AdminOptionJson {
    pub id: String,
    pub title: String,
    pub product_id: String,
    pub values: Vec<AdminOptionValueJson>,
}

/// Medusa's `AdminProductVariant`, as far as this store keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct AdminVariantJson {
    pub id: String,
    pub title: String,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub product_id: String,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    pub weight: Option<i32>,
    pub inventory_quantity: i64,
    pub prices: Vec<AdminPriceJson>,
    pub options: Vec<AdminOptionValueJson>,
}

/// `v` of product `product_id` as the admin API answers it.
pub fn admin_variant_json(product_id: &str, v: &AdminVariant) -> AdminVariantJson {
    AdminVariantJson {
        id: v.id.as_str().to_owned(),
        title: v.title.clone(),
        sku: v.sku.clone(),
        barcode: v.barcode.clone(),
        product_id: product_id.to_owned(),
        manage_inventory: v.manage_inventory,
        allow_backorder: v.allow_backorder,
        weight: v.weight_g,
        inventory_quantity: v.stocked - v.reserved,
        prices: v
            .prices
            .iter()
            .map(|(c, a)| AdminPriceJson {
                currency_code: c.as_str().to_owned(),
                amount: Money::new(*a, *c).to_major_number(),
            })
            .collect(),
        options: v
            .options
            .iter()
            .map(|o| AdminOptionValueJson {
                id: o.value_id.as_str().to_owned(),
                value: o.value.clone(),
                option_id: o.option_id.as_str().to_owned(),
            })
            .collect(),
    }
}

/// Medusa's product image.
#[derive(Debug, Clone, Serialize)]
pub struct AdminImageJson {
    pub id: String,
    pub url: String,
    pub rank: usize,
    pub alt: String,
    pub width: i32,
    pub height: i32,
}

/// Medusa's `AdminProduct`, as far as this store keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct AdminProductJson {
    pub id: String,
    pub title: String,
    pub handle: String,
    pub subtitle: Option<String>,
    pub description: String,
    /// Rich text as typed (not in Medusa's shape).
    pub educational_content: String,
    pub status: &'static str,
    pub is_giftcard: bool,
    pub discountable: bool,
    pub thumbnail: Option<String>,
    pub images: Vec<AdminImageJson>,
    pub options: Vec<AdminOptionJson>,
    pub variants: Vec<AdminVariantJson>,
    /// The store's own typed facts by attribute key (not in Medusa's shape).
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub created_at: String,
    pub updated_at: String,
    pub metadata: Option<()>,
}

/// `p` as the admin API answers it; `image_base` (ending in `/images/`) makes the
/// images' URLs.
pub fn admin_product_json(p: &AdminProduct, image_base: &str) -> AdminProductJson {
    AdminProductJson {
        id: p.id.as_str().to_owned(),
        title: p.title.clone(),
        handle: p.handle.clone(),
        subtitle: p.subtitle.clone(),
        description: p.description.clone(),
        educational_content: p.educational_content.clone(),
        status: p.status.as_str(),
        is_giftcard: false,
        discountable: true,
        thumbnail: p.thumbnail_key.as_ref().map(|k| format!("{image_base}{k}")),
        images: p
            .images
            .iter()
            .enumerate()
            .map(|(rank, i)| AdminImageJson {
                id: i.id.as_str().to_owned(),
                url: format!("{image_base}{}", i.key),
                rank,
                alt: i.alt.clone(),
                width: i.width,
                height: i.height,
            })
            .collect(),
        options: p
            .options
            .iter()
            .map(|o| AdminOptionJson {
                id: o.id.as_str().to_owned(),
                title: o.title.clone(),
                product_id: p.id.as_str().to_owned(),
                values: o
                    .values
                    .iter()
                    .map(|(id, value)| AdminOptionValueJson {
                        id: id.as_str().to_owned(),
                        value: value.clone(),
                        option_id: o.id.as_str().to_owned(),
                    })
                    .collect(),
            })
            .collect(),
        variants: p
            .variants
            .iter()
            .map(|v| admin_variant_json(p.id.as_str(), v))
            .collect(),
        attributes: p.attributes.clone(),
        created_at: p.created_at.clone(),
        updated_at: p.updated_at.clone(),
        metadata: None,
    }
}
