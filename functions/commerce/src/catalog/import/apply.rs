//! Writing one imported product: found by handle (else made), its options given the
//! values the file uses, each variant found by SKU (else by its values) and changed
//! only where the file differs, its count at the store's first location set when the
//! file gives one, its images added by key, then its status. Everything through the
//! same functions as the admin pages, so every change has its event; nothing that is
//! already as the file says is written again.

use serde::Serialize;
use tokio_postgres::types::Type;

use super::{ImportProduct, ImportVariant, Problem, StockAt};
use crate::catalog::attribute;
use crate::catalog::edit::images::{self, ImageFile, ImageFormat};
use crate::catalog::edit::options::{self, OptionChange, OptionFields};
use crate::catalog::edit::variant::{self, VariantFields};
use crate::catalog::edit::{self, AdminProduct, AdminVariant, ProductFields, ProductStatus};
use crate::catalog::edit::{category, collection};
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

/// The store's locations in their order (the first is where a Shopify file's counts
/// go), with the count at each of every variant of `product` that has one.
async fn location_counts<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
) -> Result<
    (
        Vec<(StockLocationId, String)>,
        Vec<(VariantId, StockLocationId, i32)>,
    ),
    ApiError,
> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (product, Type::TEXT)];
    let locations = client
        .query_typed(
            "SELECT id, name FROM stock_locations WHERE store_id = $1 ORDER BY rank, id",
            &params[..1],
        )
        .await?
        .iter()
        .map(|r| Ok((col(r, "id")?, col(r, "name")?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let counts = client
        .query_typed(
            "SELECT il.variant_id, il.location_id, il.stocked
             FROM inventory_levels il JOIN product_variants v ON v.id = il.variant_id
             WHERE v.store_id = $1 AND v.product_id = $2",
            &params,
        )
        .await?
        .iter()
        .map(|r| {
            Ok((
                col(r, "variant_id")?,
                col(r, "location_id")?,
                col(r, "stocked")?,
            ))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok((locations, counts))
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
                educational_content: product.educational_content.clone().unwrap_or_default(),
                status: ProductStatus::Draft,
            };
            (edit::create(client, store, &fields, trace).await?, true)
        }
    };
    let mut current = edit::one(client, store, &id).await?;
    let own = |status: ProductStatus, current: &AdminProduct| ProductFields {
        title: product.title.clone(),
        handle: handle.clone(),
        subtitle: product
            .subtitle
            .clone()
            .or_else(|| current.subtitle.clone()),
        description: product.description.clone(),
        educational_content: product
            .educational_content
            .clone()
            .unwrap_or_else(|| current.educational_content.clone()),
        status,
    };
    let new_subtitle = product
        .subtitle
        .as_ref()
        .is_some_and(|s| current.subtitle.as_ref() != Some(s));
    let new_content = product
        .educational_content
        .as_ref()
        .is_some_and(|c| *c != current.educational_content);
    if current.title != product.title
        || current.description != product.description
        || new_subtitle
        || new_content
    {
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
    let (locations, counts) = location_counts(client, store, &id).await?;
    let mut warnings = Vec::new();
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
        for (at, quantity) in &v.stock {
            if !v.manage_inventory {
                break;
            }
            let location = match at {
                StockAt::First => locations.first(),
                StockAt::Named(name) => locations.iter().find(|(_, n)| n == name),
            };
            let Some((location, _)) = location else {
                warnings.push(Problem {
                    row: v.row,
                    column: "stock".to_owned(),
                    message: match at {
                        StockAt::First => {
                            "the store has no stock location for the count".to_owned()
                        }
                        StockAt::Named(name) => {
                            format!("the store has no stock location {name}: its count is left out")
                        }
                    },
                });
                continue;
            };
            let now = counts
                .iter()
                .find(|(id, l, _)| *id == variant_id && l == location)
                .map_or(0, |(_, _, n)| *n);
            if now != *quantity {
                let req = StockChange {
                    change: Change::Set(*quantity),
                    reason: Reason::Counted,
                    note: "Catalog import".to_owned(),
                    expected_version: None,
                };
                inventory::change(client, store, &variant_id, location, &req, actor).await?;
                changed = true;
            }
        }
    }
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
    if let Some(handles) = &product.categories {
        let tree = category::tree(client, store).await?;
        let mut ids = Vec::new();
        for handle in handles {
            match tree.iter().find(|c| &c.handle == handle) {
                Some(c) => ids.push(c.id.clone()),
                None => warnings.push(Problem {
                    row: product.row,
                    column: "category_ids".to_owned(),
                    message: format!(
                        "the store has no category {handle}: add it, then import again"
                    ),
                }),
            }
        }
        let mut now = category::product_categories(client, store, &id).await?;
        let mut wanted = ids.clone();
        now.sort();
        wanted.sort();
        if now != wanted {
            category::set_product_categories(client, store, &id, &ids, trace).await?;
            changed = true;
        }
    }
    if let Some(handle) = &product.collection {
        let target = match handle {
            None => None,
            Some(handle) => {
                let all = collection::collections(client, store).await?;
                let found = all.into_iter().find(|c| &c.handle == handle).map(|c| c.id);
                if found.is_none() {
                    warnings.push(Problem {
                        row: product.row,
                        column: "collection_id".to_owned(),
                        message: format!(
                            "the store has no collection {handle}: add it, then import again"
                        ),
                    });
                }
                found
            }
        };
        if target != current.collection_id && (handle.is_none() || target.is_some()) {
            collection::set_product_collection(client, store, &id, target.as_ref(), trace).await?;
            changed = true;
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
