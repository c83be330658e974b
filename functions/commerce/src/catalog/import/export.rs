//! The store's catalog as Shopify's product CSV.
//!
//! One product per handle, in handle order: its first row carries its own fields, its
//! options' names and its first variant and image; each further variant or image has a
//! row of its own. Read from the products' kept documents (migration 0006) and the
//! counts at the store's first location, so it is three statements however large the
//! catalog.

use std::collections::HashMap;

use serde::Deserialize;
use tokio_postgres::types::Type;

use super::shopify::COLUMNS;
use super::{ImportContext, DEFAULT_VARIANT};
use crate::catalog::attribute;
use crate::db::{col, Param, Sql};
use crate::error::ApiError;
use crate::ids::StoreId;
use crate::money::{CurrencyCode, Money};

#[derive(Deserialize)]
struct Doc {
    handle: String,
    title: String,
    description: String,
    status: String,
    options: Vec<DocOption>,
    variants: Vec<DocVariant>,
    images: Vec<DocImage>,
    #[serde(default)]
    attributes: Vec<DocAttribute>,
}

#[derive(Deserialize)]
struct DocAttribute {
    key: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct DocOption {
    title: String,
}

#[derive(Deserialize)]
struct DocValue {
    value: String,
}

#[derive(Deserialize)]
struct DocPrice {
    amount: i64,
}

#[derive(Deserialize)]
struct DocVariant {
    id: String,
    title: String,
    sku: Option<String>,
    #[serde(default)]
    barcode: Option<String>,
    weight_g: Option<i32>,
    manage_inventory: bool,
    allow_backorder: bool,
    options: Vec<DocValue>,
    prices: HashMap<String, DocPrice>,
}

#[derive(Deserialize)]
struct DocImage {
    r2_key: String,
    alt: String,
}

fn price(v: &DocVariant, currency: CurrencyCode) -> String {
    v.prices
        .get(currency.as_str())
        .map(|p| Money::new(p.amount, currency).to_decimal_string())
        .unwrap_or_default()
}

/// The store's catalog (drafts too) as a Shopify product CSV, for a store with `ctx`.
pub async fn export_shopify_csv<C: Sql>(
    client: &C,
    store: &StoreId,
    ctx: &ImportContext,
) -> Result<Vec<u8>, ApiError> {
    let params: [Param<'_>; 1] = [(store, Type::TEXT)];
    let docs = client
        .query_typed(
            "SELECT d.doc::text AS doc FROM product_docs d JOIN products p ON p.id = d.product_id
             WHERE d.store_id = $1 ORDER BY p.handle",
            &params,
        )
        .await?;
    let counts = client
        .query_typed(
            "SELECT il.variant_id, il.stocked FROM inventory_levels il
             WHERE il.store_id = $1 AND il.location_id = (
                 SELECT id FROM stock_locations WHERE store_id = $1 ORDER BY rank, id LIMIT 1)",
            &params,
        )
        .await?;
    let mut stocked: HashMap<String, i32> = HashMap::with_capacity(counts.len());
    for row in &counts {
        stocked.insert(col(row, "variant_id")?, col(row, "stocked")?);
    }
    let price_columns = ctx.price_columns();
    let mut out = csv::Writer::from_writer(Vec::new());
    let write_err = |e: csv::Error| ApiError::internal(format!("writing the export: {e}"));
    let mut header: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    header.extend(price_columns.iter().map(|(name, _)| name.clone()));
    header.extend(ctx.attributes.iter().map(attribute::Attribute::csv_column));
    out.write_record(&header).map_err(write_err)?;
    for row in &docs {
        let text: String = col(row, "doc")?;
        let doc: Doc = serde_json::from_str(&text)
            .map_err(|e| ApiError::internal(format!("a product document: {e}")))?;
        let lines = doc.variants.len().max(doc.images.len()).max(1);
        for i in 0..lines {
            let mut record = vec![String::new(); header.len()];
            let mut set = |name: &str, value: String| {
                if let Some(at) = header.iter().position(|h| h == name) {
                    record[at] = value;
                }
            };
            set("Handle", doc.handle.clone());
            if i == 0 {
                set("Title", doc.title.clone());
                set("Body (HTML)", doc.description.clone());
                let published = doc.status == "published";
                set(
                    "Published",
                    if published { "TRUE" } else { "FALSE" }.to_owned(),
                );
                let status = match doc.status.as_str() {
                    "published" => "active",
                    "archived" => "archived",
                    _ => "draft",
                };
                set("Status", status.to_owned());
                for a in &ctx.attributes {
                    let value = doc.attributes.iter().find(|d| d.key == a.key);
                    set(&a.csv_column(), attribute::text_of(value.map(|d| &d.value)));
                }
                for (n, option) in doc.options.iter().take(3).enumerate() {
                    set(&format!("Option{} Name", n + 1), option.title.clone());
                }
            }
            if let Some(v) = doc.variants.get(i) {
                if doc.options.is_empty() && i == 0 && v.title == DEFAULT_VARIANT {
                    set("Option1 Name", "Title".to_owned());
                    set("Option1 Value", "Default Title".to_owned());
                }
                for (n, value) in v.options.iter().take(3).enumerate() {
                    set(&format!("Option{} Value", n + 1), value.value.clone());
                }
                set("Variant SKU", v.sku.clone().unwrap_or_default());
                set("Variant Barcode", v.barcode.clone().unwrap_or_default());
                set(
                    "Variant Grams",
                    v.weight_g.map(|g| g.to_string()).unwrap_or_default(),
                );
                if v.manage_inventory {
                    set("Variant Inventory Tracker", "shopify".to_owned());
                    set(
                        "Variant Inventory Qty",
                        stocked.get(&v.id).copied().unwrap_or(0).to_string(),
                    );
                }
                let policy = if v.allow_backorder {
                    "continue"
                } else {
                    "deny"
                };
                set("Variant Inventory Policy", policy.to_owned());
                set("Variant Price", price(v, ctx.default_currency));
                set("Variant Requires Shipping", "TRUE".to_owned());
                set("Variant Taxable", "TRUE".to_owned());
                for (name, currency) in &price_columns {
                    set(name, price(v, *currency));
                }
            }
            if let Some(image) = doc.images.get(i) {
                set("Image Src", image.r2_key.clone());
                set("Image Position", (i + 1).to_string());
                set("Image Alt Text", image.alt.clone());
            }
            out.write_record(&record).map_err(write_err)?;
        }
    }
    out.into_inner()
        .map_err(|e| ApiError::internal(format!("writing the export: {e}")))
}
