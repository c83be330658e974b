//! A product in the shape of Medusa's Admin API (`AdminProduct`), with the fields this
//! store keeps.

use serde::Serialize;

use super::AdminProduct;

#[derive(Debug, Clone, Serialize)]
pub struct AdminVariantJson {
    pub id: String,
    pub title: String,
    pub sku: Option<String>,
    pub manage_inventory: bool,
    pub inventory_quantity: i64,
}

/// Medusa's `AdminProduct`, as far as this store keeps it.
#[derive(Debug, Clone, Serialize)]
pub struct AdminProductJson {
    pub id: String,
    pub title: String,
    pub handle: String,
    pub subtitle: Option<String>,
    pub description: String,
    pub status: &'static str,
    pub is_giftcard: bool,
    pub discountable: bool,
    pub thumbnail: Option<String>,
    pub variants: Vec<AdminVariantJson>,
    pub created_at: String,
    pub updated_at: String,
    pub metadata: Option<()>,
}

/// `p` as the admin API answers it; `image_base` makes the thumbnail's URL.
pub fn admin_product_json(p: &AdminProduct, image_base: &str) -> AdminProductJson {
    AdminProductJson {
        id: p.id.as_str().to_owned(),
        title: p.title.clone(),
        handle: p.handle.clone(),
        subtitle: p.subtitle.clone(),
        description: p.description.clone(),
        status: p.status.as_str(),
        is_giftcard: false,
        discountable: true,
        thumbnail: p
            .thumbnail_key
            .as_ref()
            .map(|k| format!("{image_base}/images/{k}")),
        variants: p
            .variants
            .iter()
            .map(|v| AdminVariantJson {
                id: v.id.as_str().to_owned(),
                title: v.title.clone(),
                sku: v.sku.clone(),
                manage_inventory: v.manage_inventory,
                inventory_quantity: v.stocked - v.reserved,
            })
            .collect(),
        created_at: p.created_at.clone(),
        updated_at: p.updated_at.clone(),
        metadata: None,
    }
}
