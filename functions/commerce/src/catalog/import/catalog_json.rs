//! The project's own catalog file: a JSON description of stores, their regions and
//! their catalog (`r2-assets/demo/catalog.json` is one; `seed load` writes a whole file
//! into an empty database), and its products read as an import into an existing store
//! ([`read_catalog_json`]): the same checks and the same writing as a Shopify CSV's.
//! A product's categories, collection and stock locations are named by the file's own
//! ids and found in the store by their handles and names, so a file moves between
//! stores.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ImportContext, ImportImage, ImportProduct, ImportVariant, Problem, ReadFile, StockAt};
use crate::catalog::edit::variant::MAX_WEIGHT_G;
use crate::catalog::edit::{ProductStatus, MAX_DESCRIPTION, MAX_TITLE};
use crate::catalog::rich_text;
use crate::error::ApiError;
use crate::params::Handle;

#[derive(Debug, Serialize, Deserialize)]
pub struct CatalogFile {
    pub stores: Vec<StoreSpec>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct StoreSpec {
    pub id: String,
    pub name: String,
    pub publishable_key: String,
    pub default_currency: String,
    pub hosts: Vec<String>,
    pub regions: Vec<RegionSpec>,
    pub stock_locations: Vec<LocationSpec>,
    pub categories: Vec<CategorySpec>,
    pub collections: Vec<CollectionSpec>,
    /// The attributes its products are described with (`catalog::attribute`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeSpec>,
    pub products: Vec<ProductSpec>,
}

/// An attribute of a store: its key (what filters and the APIs name it), the label
/// shoppers read, its kind (`text`, `number`, `boolean`, `choice` with its choices),
/// and whether the storefront's listings offer it as a filter.
#[derive(Debug, Serialize, Deserialize)]
pub struct AttributeSpec {
    pub id: String,
    pub key: String,
    pub label: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(default)]
    pub filterable: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RegionSpec {
    pub id: String,
    pub name: String,
    pub currency: String,
    pub tax_rate_bp: i32,
    pub tax_inclusive: bool,
    pub countries: Vec<String>,
    /// The ways of shipping the region offers, in the order shoppers see them. Files
    /// written before shipping options existed have none.
    #[serde(default)]
    pub shipping_options: Vec<ShippingOptionSpec>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ShippingOptionSpec {
    pub id: String,
    pub name: String,
    /// `flat` (always `amount`) or `free_over` (`amount`, nothing from `threshold` on).
    pub kind: String,
    /// Minor units of the region's currency.
    pub amount: i64,
    /// Minor units; set for `free_over` only.
    pub threshold: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct LocationSpec {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CategorySpec {
    pub id: String,
    pub name: String,
    pub handle: String,
    pub description: String,
    pub parent_id: Option<String>,
    pub rank: i32,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CollectionSpec {
    pub id: String,
    pub title: String,
    pub handle: String,
    pub featured: bool,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ProductSpec {
    pub id: String,
    pub handle: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub description: String,
    pub status: String,
    pub collection_id: Option<String>,
    pub category_ids: Vec<String>,
    pub options: Vec<OptionSpec>,
    pub variants: Vec<VariantSpec>,
    pub images: Vec<ImageSpec>,
    /// Values by attribute key (`{"glp1_stage": "active"}`), each checked against the
    /// store's attribute of that key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Rich text ([`crate::catalog::rich_text`]); absent leaves an imported product's as
    /// it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub educational_content: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct OptionSpec {
    pub id: String,
    pub title: String,
    pub values: Vec<OptionValueSpec>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct OptionValueSpec {
    pub id: String,
    pub value: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct VariantSpec {
    pub id: String,
    pub title: String,
    pub sku: String,
    pub weight_g: Option<i32>,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    pub option_value_ids: Vec<String>,
    /// Minor units per lower-case currency code.
    pub prices: BTreeMap<String, i64>,
    /// Units on hand per stock location id.
    pub stock: BTreeMap<String, i32>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ImageSpec {
    pub id: String,
    /// R2 object key; the file lives at `<catalog dir>/<key>`.
    pub key: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
}

/// A catalog file as an import reads it: a whole file of one store, or a store's
/// products with the categories, collections and locations they name.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ImportFile {
    Stores(CatalogFile),
    Products(ProductsFile),
}

/// The part of a store's description an import uses; absent lists are empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProductsFile {
    stock_locations: Vec<LocationSpec>,
    categories: Vec<CategorySpec>,
    collections: Vec<CollectionSpec>,
    products: Vec<ProductSpec>,
}

/// Whether `bytes` are a JSON document (else a CSV is read).
pub fn looks_like_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

/// Reads a catalog file's products for a store with `ctx`, checked as a CSV's are. A
/// product's "row" is its place in the file (1 first); a problem anywhere in a product
/// refuses it whole, named by its path (`products[2].variants[0].prices.usd`).
pub fn read_catalog_json(bytes: &[u8], ctx: &ImportContext) -> Result<ReadFile, ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let file: ImportFile = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::invalid(
            "file",
            format!("not a catalog file (the project's JSON, or Shopify's product CSV): {e}"),
        )
    })?;
    let part = match file {
        ImportFile::Products(part) => part,
        ImportFile::Stores(mut whole) => {
            if whole.stores.len() != 1 {
                return Err(ApiError::invalid(
                    "file",
                    format!(
                        "the file describes {} stores: import one store's file at a time",
                        whole.stores.len()
                    ),
                ));
            }
            let s = whole.stores.remove(0);
            ProductsFile {
                stock_locations: s.stock_locations,
                categories: s.categories,
                collections: s.collections,
                products: s.products,
            }
        }
    };
    let category_handle: BTreeMap<&str, &str> = part
        .categories
        .iter()
        .map(|c| (c.id.as_str(), c.handle.as_str()))
        .collect();
    let collection_handle: BTreeMap<&str, &str> = part
        .collections
        .iter()
        .map(|c| (c.id.as_str(), c.handle.as_str()))
        .collect();
    let location_name: BTreeMap<&str, &str> = part
        .stock_locations
        .iter()
        .map(|l| (l.id.as_str(), l.name.as_str()))
        .collect();
    let mut read = ReadFile {
        rows: part.products.len(),
        ..ReadFile::default()
    };
    let mut handles = BTreeMap::new();
    for (i, spec) in part.products.iter().enumerate() {
        let row = i + 1;
        let mut problems = Vec::new();
        let mut problem = |column: String, message: String| {
            problems.push(Problem {
                row,
                column,
                message,
            })
        };
        let at = |path: &str| format!("products[{i}].{path}");
        let product = product_of(
            spec,
            row,
            ctx,
            &Names {
                categories: &category_handle,
                collections: &collection_handle,
                locations: &location_name,
            },
            &mut |path, message| problem(at(path), message),
        );
        if let Some(first) = handles.insert(spec.handle.clone(), row) {
            problem(
                at("handle"),
                format!("{} is already product {first}'s handle", spec.handle),
            );
        }
        if problems.is_empty() {
            read.products.extend(product);
        } else {
            read.refused_rows.push(row);
            read.problems.extend(problems);
        }
    }
    Ok(read)
}

/// The file's own ids of categories, collections and locations, and what the store
/// knows them by.
struct Names<'a> {
    categories: &'a BTreeMap<&'a str, &'a str>,
    collections: &'a BTreeMap<&'a str, &'a str>,
    locations: &'a BTreeMap<&'a str, &'a str>,
}

/// One product of the file, or its problems through `problem(path, message)`.
fn product_of(
    spec: &ProductSpec,
    row: usize,
    ctx: &ImportContext,
    names: &Names<'_>,
    problem: &mut dyn FnMut(&str, String),
) -> Option<ImportProduct> {
    let title = spec.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        problem("title", format!("a title of 1 to {MAX_TITLE} characters"));
    }
    if let Err(reason) = Handle::parse(&spec.handle) {
        problem("handle", reason);
    }
    if spec.description.chars().count() > MAX_DESCRIPTION {
        problem("description", format!("up to {MAX_DESCRIPTION} characters"));
    }
    let educational_content = match spec.educational_content.as_deref().map(rich_text::check) {
        None => None,
        Some(Ok(text)) => Some(text),
        Some(Err(reason)) => {
            problem("educational_content", reason);
            None
        }
    };
    let status = ProductStatus::parse(&spec.status);
    if status.is_none() {
        problem("status", "draft, published or archived".to_owned());
    }
    let mut categories = Vec::new();
    for id in &spec.category_ids {
        match names.categories.get(id.as_str()) {
            Some(handle) => categories.push((*handle).to_owned()),
            None => problem(
                "category_ids",
                format!("{id} is not among the file's categories"),
            ),
        }
    }
    let collection = match &spec.collection_id {
        None => None,
        Some(id) => match names.collections.get(id.as_str()) {
            Some(handle) => Some((*handle).to_owned()),
            None => {
                problem(
                    "collection_id",
                    format!("{id} is not among the file's collections"),
                );
                None
            }
        },
    };
    if spec.options.len() > 3 {
        problem("options", "a product has at most three options".to_owned());
    }
    let value_of: BTreeMap<&str, (usize, &str)> = spec
        .options
        .iter()
        .enumerate()
        .flat_map(|(o, option)| {
            option
                .values
                .iter()
                .map(move |v| (v.id.as_str(), (o, v.value.as_str())))
        })
        .collect();
    let currencies = ctx.currencies();
    let mut variants = Vec::new();
    for (n, v) in spec.variants.iter().enumerate() {
        let path = |field: &str| format!("variants[{n}].{field}");
        let mut values = vec![String::new(); spec.options.len()];
        for id in &v.option_value_ids {
            match value_of.get(id.as_str()) {
                Some((o, value)) => values[*o] = (*value).to_owned(),
                None => problem(
                    &path("option_value_ids"),
                    format!("{id} is not a value of the product's options"),
                ),
            }
        }
        if values.iter().any(String::is_empty) {
            problem(
                &path("option_value_ids"),
                "one value of each of the product's options".to_owned(),
            );
        }
        let mut prices = Vec::new();
        for currency in &currencies {
            match v.prices.get(currency.as_str()) {
                Some(amount) if *amount >= 0 => prices.push((*currency, *amount)),
                _ => problem(
                    &path(&format!("prices.{}", currency.as_str())),
                    format!(
                        "a price in {} (minor units) is needed: the store sells in it",
                        currency.as_str().to_ascii_uppercase()
                    ),
                ),
            }
        }
        let mut stock = Vec::new();
        for (location, count) in &v.stock {
            match names.locations.get(location.as_str()) {
                Some(name) if *count >= 0 => {
                    stock.push((StockAt::Named((*name).to_owned()), *count))
                }
                Some(_) => problem(&path("stock"), "counts are 0 or more".to_owned()),
                None => problem(
                    &path("stock"),
                    format!("{location} is not among the file's stock locations"),
                ),
            }
        }
        let sku = v.sku.trim();
        if sku.chars().count() > 100 || sku.chars().any(|c| c.is_control() || c.is_whitespace()) {
            problem(
                &path("sku"),
                "up to 100 characters without spaces".to_owned(),
            );
        }
        if v.weight_g.is_some_and(|g| !(0..=MAX_WEIGHT_G).contains(&g)) {
            problem(
                &path("weight_g"),
                format!("whole grams from 0 to {MAX_WEIGHT_G}"),
            );
        }
        variants.push(ImportVariant {
            row,
            sku: (!sku.is_empty()).then(|| sku.to_owned()),
            barcode: None,
            values,
            prices,
            weight_g: v.weight_g,
            manage_inventory: v.manage_inventory,
            allow_backorder: v.allow_backorder,
            stock,
        });
    }
    let images = spec
        .images
        .iter()
        .map(|i| ImportImage {
            row,
            key: i.key.clone(),
            alt: i.alt.chars().take(300).collect(),
            size: Some((i.width.unsigned_abs(), i.height.unsigned_abs())),
        })
        .collect();
    Some(ImportProduct {
        row,
        handle: spec.handle.clone(),
        title: title.to_owned(),
        description: spec.description.clone(),
        status: status?,
        options: spec
            .options
            .iter()
            .map(|o| {
                (
                    o.title.clone(),
                    o.values.iter().map(|v| v.value.clone()).collect(),
                )
            })
            .collect(),
        variants,
        images,
        attributes: spec
            .attributes
            .iter()
            .map(|(key, value)| (key.clone(), Some(value.clone())))
            .collect(),
        categories: Some(categories),
        collection: Some(collection),
        subtitle: spec.subtitle.clone(),
        educational_content,
    })
}
