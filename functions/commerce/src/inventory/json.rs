//! Stock in Medusa's Admin API shapes (inventory items and their location levels; the
//! inventory item of a variant is the variant itself, under its id), and the ledger,
//! which Medusa does not have, in the same manner.

use serde::Serialize;

use super::{LedgerEntry, Level, VariantStock};

/// Medusa's `InventoryLevel`, with the level's `version` (send it back with a change to
/// have the change refused if the count moved meanwhile).
#[derive(Debug, Clone, Serialize)]
pub struct LevelJson {
    pub id: String,
    pub inventory_item_id: String,
    pub location_id: String,
    pub location_name: String,
    pub stocked_quantity: i32,
    pub reserved_quantity: i32,
    pub incoming_quantity: i32,
    pub available_quantity: i32,
    pub version: i64,
    pub metadata: Option<()>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// One level of `stock`'s variant.
pub fn level_json(stock: &VariantStock, level: &Level) -> LevelJson {
    let item = stock.variant.id.as_str();
    LevelJson {
        id: format!("ilev_{item}_{}", level.location_id.as_str()),
        inventory_item_id: item.to_owned(),
        location_id: level.location_id.as_str().to_owned(),
        location_name: level.location_name.clone(),
        stocked_quantity: level.stocked,
        reserved_quantity: level.reserved,
        incoming_quantity: 0,
        available_quantity: level.available(),
        version: level.version,
        metadata: None,
        created_at: level.updated_at.clone(),
        updated_at: level.updated_at.clone(),
    }
}

/// Medusa's `InventoryItem` of a variant, with its levels.
#[derive(Debug, Clone, Serialize)]
pub struct ItemJson {
    pub id: String,
    pub sku: Option<String>,
    pub title: String,
    pub requires_shipping: bool,
    pub stocked_quantity: i64,
    pub reserved_quantity: i64,
    pub location_levels: Vec<LevelJson>,
    pub metadata: Option<()>,
    pub created_at: String,
    pub updated_at: String,
}

/// The variant's levels (at every location of the store) as Medusa lists them.
pub fn levels_json(stock: &VariantStock) -> Vec<LevelJson> {
    stock.levels.iter().map(|l| level_json(stock, l)).collect()
}

/// The variant as an inventory item.
pub fn item_json(stock: &VariantStock) -> ItemJson {
    let v = &stock.variant;
    let updated = stock
        .levels
        .iter()
        .filter_map(|l| l.updated_at.clone())
        .max()
        .unwrap_or_else(|| v.created_at.clone());
    ItemJson {
        id: v.id.as_str().to_owned(),
        sku: v.sku.clone(),
        title: format!("{} · {}", v.product_title, v.title),
        requires_shipping: true,
        stocked_quantity: stock.levels.iter().map(|l| i64::from(l.stocked)).sum(),
        reserved_quantity: stock.levels.iter().map(|l| i64::from(l.reserved)).sum(),
        location_levels: levels_json(stock),
        metadata: None,
        created_at: v.created_at.clone(),
        updated_at: updated,
    }
}

/// A ledger row.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerJson {
    pub id: i64,
    pub inventory_item_id: String,
    pub location_id: String,
    pub location_name: String,
    pub reason: &'static str,
    pub note: String,
    pub stocked_before: i32,
    pub stocked_after: i32,
    pub delta: i32,
    /// The member's e-mail (their id once they are gone).
    pub by: Option<String>,
    pub api_key: Option<String>,
    pub created_at: String,
}

pub fn ledger_json(entry: &LedgerEntry) -> LedgerJson {
    LedgerJson {
        id: entry.id,
        inventory_item_id: entry.variant_id.as_str().to_owned(),
        location_id: entry.location_id.as_str().to_owned(),
        location_name: entry.location_name.clone(),
        reason: entry.reason.as_str(),
        note: entry.note.clone(),
        stocked_before: entry.stocked_before,
        stocked_after: entry.stocked_after,
        delta: entry.delta(),
        by: entry.by.clone(),
        api_key: entry.api_key.clone(),
        created_at: entry.at.clone(),
    }
}
