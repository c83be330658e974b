//! Writing one imported product: found by handle (else made), its options given the
//! values the file uses, each variant found by SKU (else by its values) and changed
//! only where the file differs, its count at the store's first location set when the
//! file gives one, its images added by key, then its status. Everything through the
//! same functions as the admin pages, so every change has its event; nothing that is
//! already as the file says is written again.

use serde::Serialize;
use tokio_postgres::types::Type;

use super::{ImportProduct, ImportVariant, Problem};
use crate::catalog::attribute;
use crate::catalog::edit::images::{self, ImageFile, ImageFormat};
use crate::catalog::edit::options::{self, OptionChange, OptionFields};
use crate::catalog::edit::variant::{self, VariantFields};
use crate::catalog::edit::{self, AdminProduct, AdminVariant, ProductFields, ProductStatus};
use crate::db::{col, Param, Sql};
use crate::error::ApiError;
use crate::ids::{ProductId, StockLocationId, StoreId, VariantId};
use crate::inventory::{self, Actor, Change, Reason, StockChange};
use crate::params::Handle;

/// What an import did with one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Updated,
    /// Already as the file says: nothing written.
    Unchanged,
}

/// A product written: what happened, and what of its rows was left out (an image the
/// bucket does not have) without refusing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub outcome: Outcome,
    pub warnings: Vec<Problem>,
}

/// The store's product with `handle`, if any.
async fn by_handle<C: Sql>(
    client: &C,
    store: &StoreId,
    handle: &str,
) -> Result<Option<ProductId>, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&handle, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT id FROM products WHERE store_id = $1 AND handle = $2",
            &params,
        )
        .await?;
    rows.first().map(|r| col(r, "id")).transpose()
}

/// The width and height of the file under `key`, from any image row that uses it.
async fn dimensions<C: Sql>(client: &C, key: &str) -> Result<Option<(u32, u32)>, ApiError> {
    let params: [Param<'_>; 1] = [(&key, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT width, height FROM product_images WHERE r2_key = $1 LIMIT 1",
            &params,
        )
        .await?;
    rows.first()
        .map(|r| {
            let (w, h): (i32, i32) = (col(r, "width")?, col(r, "height")?);
            Ok((w.unsigned_abs(), h.unsigned_abs()))
        })
        .transpose()
}

/// The store's first location (where an import's counts go) and the count there of
/// each variant of `product` that has one.
async fn first_location_counts<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
) -> Result<(Option<StockLocationId>, Vec<(VariantId, i32)>), ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (product, Type::TEXT)];
    let rows = client
        .query_typed(
            "WITH first AS (SELECT id FROM stock_locations WHERE store_id = $1
                            ORDER BY rank, id LIMIT 1)
             SELECT first.id AS location_id, il.variant_id, il.stocked
             FROM first LEFT JOIN (
                 SELECT il.location_id, il.variant_id, il.stocked
                 FROM inventory_levels il JOIN product_variants v ON v.id = il.variant_id
                 WHERE v.store_id = $1 AND v.product_id = $2) il ON il.location_id = first.id",
            &params,
        )
        .await?;
    let first = rows.first().map(|r| col(r, "location_id")).transpose()?;
    let mut counts = Vec::new();
    for row in &rows {
        if let Some(variant) = col::<Option<VariantId>>(row, "variant_id")? {
            counts.push((variant, col(row, "stocked")?));
        }
    }
    Ok((first, counts))
}

fn format_of(key: &str) -> Option<ImageFormat> {
    match key.rsplit_once('.')?.1.to_ascii_lowercase().as_str() {
        "png" => Some(ImageFormat::Png),
        "jpg" | "jpeg" => Some(ImageFormat::Jpeg),
        "webp" => Some(ImageFormat::Webp),
        _ => None,
    }
}

/// The variant of `current` the file's `v` is: the one with its SKU, else the one with
/// its option values.
fn matching<'a>(
    current: &'a AdminProduct,
    product: &ImportProduct,
    v: &ImportVariant,
) -> Option<&'a AdminVariant> {
    if let Some(sku) = &v.sku {
        if let Some(found) = current
            .variants
            .iter()
            .find(|c| c.sku.as_ref() == Some(sku))
        {
            return Some(found);
        }
    }
    current.variants.iter().find(|c| {
        v.values.len() == c.options.len()
            && product
                .options
                .iter()
                .zip(&v.values)
                .all(|((name, _), value)| {
                    let option = current
                        .options
                        .iter()
                        .find(|o| o.title.eq_ignore_ascii_case(name));
                    c.options.iter().any(|co| {
                        option.is_some_and(|o| o.id == co.option_id)
                            && co.value.eq_ignore_ascii_case(value)
                    })
                })
    })
}

fn fields_of(product: &ImportProduct, v: &ImportVariant) -> VariantFields {
    VariantFields {
        title: v.title(),
        sku: v.sku.clone(),
        barcode: v.barcode.clone(),
        manage_inventory: v.manage_inventory,
        allow_backorder: v.allow_backorder,
        prices: v.prices.clone(),
        weight_g: v.weight_g,
        options: product
            .options
            .iter()
            .zip(&v.values)
            .map(|((name, _), value)| (name.clone(), value.clone()))
            .collect(),
    }
}

fn same_variant(c: &AdminVariant, f: &VariantFields) -> bool {
    c.title == f.title
        && c.sku == f.sku
        && c.barcode == f.barcode
        && c.manage_inventory == f.manage_inventory
        && c.allow_backorder == f.allow_backorder
        && c.weight_g == f.weight_g
        && f.prices.iter().all(|p| c.prices.contains(p))
}

/// Writes `product` for `store` (run it in a transaction: the product is written whole
/// or not at all, and its document is rebuilt once, at the end). Answers whether it was created, updated or already so.
pub async fn apply_product<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ImportProduct,
    actor: Actor<'_>,
) -> Result<Applied, ApiError> {
    let trace = actor.trace_id;
    let handle = Handle::parse(&product.handle).map_err(|r| ApiError::invalid("Handle", r))?;
    // The product's document is rebuilt, and the store's catalog version bumped, once
    // at the end, not after each of the dozens of statements below (migrations 0006,
    // 0017).
    client
        .execute_typed(
            "SELECT set_config('edgeshop.defer_product_docs', 'on', true),
                    set_config('edgeshop.defer_catalog_version', 'on', true)",
            &[],
        )
        .await?;
    let mut changed = false;
    let (id, created) = match by_handle(client, store, &product.handle).await? {
        Some(id) => (id, false),
        None => {
            let fields = ProductFields {
                title: product.title.clone(),
                handle: handle.clone(),
                subtitle: None,
                description: product.description.clone(),
                status: ProductStatus::Draft,
            };
            (edit::create(client, store, &fields, trace).await?, true)
        }
    };
    let mut current = edit::one(client, store, &id).await?;
    let own = |status: ProductStatus, current: &AdminProduct| ProductFields {
        title: product.title.clone(),
        handle: handle.clone(),
        subtitle: current.subtitle.clone(),
        description: product.description.clone(),
        status,
    };
    if current.title != product.title || current.description != product.description {
        edit::update(client, store, &id, &own(current.status, &current), trace).await?;
        changed = true;
    }
    let mut options_changed = false;
    for (name, values) in &product.options {
        match current
            .options
            .iter()
            .find(|o| o.title.eq_ignore_ascii_case(name))
        {
            Some(o) => {
                let added: Vec<String> = values
                    .iter()
                    .filter(|v| !o.values.iter().any(|(_, t)| t.eq_ignore_ascii_case(v)))
                    .cloned()
                    .collect();
                if !added.is_empty() {
                    let change = OptionChange {
                        title: o.title.clone(),
                        kept: o.values.clone(),
                        removed: Vec::new(),
                        added,
                    };
                    options::update_option(client, store, &id, &o.id, &change, false, trace)
                        .await?;
                    options_changed = true;
                }
            }
            None => {
                let fields = OptionFields {
                    title: name.clone(),
                    values: values.clone(),
                };
                options::add_option(client, store, &id, &fields, trace).await?;
                options_changed = true;
            }
        }
    }
    if options_changed {
        changed = true;
        current = edit::one(client, store, &id).await?;
    }
    let (first, counts) = first_location_counts(client, store, &id).await?;
    for v in &product.variants {
        let fields = fields_of(product, v);
        let variant_id: VariantId = match matching(&current, product, v) {
            Some(c) if same_variant(c, &fields) => c.id.clone(),
            Some(c) => {
                variant::update_variant(client, store, &id, &c.id, &fields, trace).await?;
                changed = true;
                c.id.clone()
            }
            None => {
                changed = true;
                variant::add_variant(client, store, &id, &fields, trace).await?
            }
        };
        if let (Some(quantity), true, Some(location)) = (v.quantity, v.manage_inventory, &first) {
            let now = counts
                .iter()
                .find(|(id, _)| *id == variant_id)
                .map_or(0, |(_, n)| *n);
            if now != quantity {
                let req = StockChange {
                    change: Change::Set(quantity),
                    reason: Reason::Counted,
                    note: "Catalog import".to_owned(),
                    expected_version: None,
                };
                inventory::change(client, store, &variant_id, location, &req, actor).await?;
                changed = true;
            }
        }
    }
    let mut warnings = Vec::new();
    for image in &product.images {
        match current.images.iter().find(|i| i.key == image.key) {
            Some(i) if i.alt == image.alt => {}
            Some(i) => {
                images::set_alt(client, store, &id, &i.id, &image.alt, trace).await?;
                changed = true;
            }
            None => match (
                format_of(&image.key),
                match image.size {
                    Some(size) => Some(size),
                    None => dimensions(client, &image.key).await?,
                },
            ) {
                (Some(format), Some((width, height))) => {
                    let file = ImageFile {
                        format,
                        width,
                        height,
                        key: image.key.clone(),
                    };
                    images::add_image(client, store, &id, &file, &image.alt, trace).await?;
                    changed = true;
                }
                _ => warnings.push(Problem {
                    row: image.row,
                    column: "Image Src".to_owned(),
                    message: format!(
                        "no image {} is in the store's bucket: upload it on the product's page",
                        image.key
                    ),
                }),
            },
        }
    }
    if !product.attributes.is_empty() {
        let mut values = current.attributes.clone();
        for (key, value) in &product.attributes {
            match value {
                Some(v) => values.insert(key.clone(), v.clone()),
                None => values.remove(key),
            };
        }
        changed |= attribute::repo::set_product_values(client, store, &id, &values, trace).await?;
    }
    if current.status != product.status {
        edit::update(client, store, &id, &own(product.status, &current), trace).await?;
        changed = true;
    }
    client
        .execute_typed(
            "SELECT set_config('edgeshop.defer_product_docs', 'off', true),
                    set_config('edgeshop.defer_catalog_version', 'off', true)",
            &[],
        )
        .await?;
    if changed || created {
        let ids = vec![id.as_str()];
        let params: [Param<'_>; 2] = [(&ids, Type::TEXT_ARRAY), (store, Type::TEXT)];
        client
            .execute_typed(
                "WITH docs AS (SELECT refresh_product_docs($1::text[]))
                 UPDATE stores SET catalog_version = catalog_version + 1
                 WHERE id = $2 AND EXISTS (SELECT 1 FROM docs)",
                &params,
            )
            .await?;
    }
    let outcome = match (created, changed) {
        (true, _) => Outcome::Created,
        (false, true) => Outcome::Updated,
        (false, false) => Outcome::Unchanged,
    };
    Ok(Applied { outcome, warnings })
}
