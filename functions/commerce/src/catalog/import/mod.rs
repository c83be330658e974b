//! Catalog import and export in Shopify's product CSV format (the file merchants
//! already have); import also from the project's own catalog file
//! ([`read_catalog_json`], [`catalog_json`]).
//!
//! An import is read and checked first ([`read_shopify_csv`]: every row's problems by
//! row and column, nothing written), then applied product by product
//! ([`apply_product`], each in its own transaction): a product is found again by its
//! handle and a variant by its SKU (else by its option values), so a second import of
//! the same file creates nothing and changes nothing. A broken row is refused with its
//! reasons and the rest goes on. Every write goes through the same functions as the
//! admin pages, with their events.
//!
//! Prices: `Variant Price` is in the store's default currency; another currency's price
//! is in a `Price / <region name>` column (Shopify's markets columns), one per region
//! whose currency differs. Stock: `Variant Inventory Qty` is the count at the store's
//! first location. Images: `Image Src` names an image uploaded with the file (by its
//! file name, or a URL ending in it) or a file already in the store's bucket by its key
//! (as the export writes it); the server fetches nothing from other sites. Attributes:
//! a column per attribute, named as Shopify names metafields
//! (`Material (product.metafields.custom.material)`).
//! [`export_shopify_csv`] writes the same format, so export, import into an empty store
//! and export again gives the same file.

mod apply;
pub mod catalog_json;
mod export;
pub mod job;
mod shopify;

use serde::{Deserialize, Serialize};
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

pub use self::apply::{apply_product, Applied, Outcome};
pub use self::catalog_json::read_catalog_json;
pub use self::export::export_shopify_csv;
pub use self::shopify::{read_shopify_csv, COLUMNS};
use crate::catalog::edit::ProductStatus;
use crate::db::{atomically, col, Param, Sql};
use crate::error::ApiError;
use crate::ids::StoreId;
use crate::inventory::Actor;
use crate::money::CurrencyCode;

/// The largest file an import reads.
pub const MAX_IMPORT_BYTES: usize = 40 * 1024 * 1024;

/// What an import needs to know of the store: its default currency and the regions
/// whose price columns it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportContext {
    pub default_currency: CurrencyCode,
    /// Region name and currency, in name order.
    pub regions: Vec<(String, CurrencyCode)>,
    /// The store's attributes: each is a metafield column of the file.
    pub attributes: Vec<crate::catalog::attribute::Attribute>,
    /// Images uploaded with the file (already in the bucket), by their file name.
    pub uploaded: Vec<UploadedImage>,
}

/// Where an imported count is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockAt {
    /// The store's first location.
    First,
    /// The store's location of this name.
    Named(String),
}

/// An image uploaded with an import's file: the file's `Image Src` names it (its file
/// name, or a URL ending in it, as Shopify's export writes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedImage {
    pub name: String,
    pub key: String,
    pub width: u32,
    pub height: u32,
}

/// The most images uploaded with one file, and their total size.
pub const MAX_IMPORT_IMAGES: usize = 200;
pub const MAX_IMPORT_IMAGE_BYTES: usize = 60 * 1024 * 1024;

impl ImportContext {
    /// Every currency a variant needs a price in, each once, in code order.
    pub fn currencies(&self) -> Vec<CurrencyCode> {
        let mut all: Vec<CurrencyCode> = self.regions.iter().map(|(_, c)| *c).collect();
        all.push(self.default_currency);
        all.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        all.dedup();
        all
    }

    /// The regions whose currency is not the default one: each has a price column.
    pub fn price_columns(&self) -> Vec<(String, CurrencyCode)> {
        let mut seen: Vec<CurrencyCode> = vec![self.default_currency];
        let mut columns = Vec::new();
        for (name, currency) in &self.regions {
            if !seen.contains(currency) {
                seen.push(*currency);
                columns.push((format!("Price / {name}"), *currency));
            }
        }
        columns
    }
}

/// The store's import context.
pub async fn context<C: Sql>(client: &C, store: &StoreId) -> Result<ImportContext, ApiError> {
    let params: [Param<'_>; 1] = [(store, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT s.default_currency_code, r.name, r.currency_code
             FROM stores s LEFT JOIN regions r ON r.store_id = s.id
             WHERE s.id = $1 ORDER BY r.name, r.id",
            &params,
        )
        .await?;
    let first = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Store", "id", store.as_str()))?;
    let code =
        |text: String| CurrencyCode::parse(&text).map_err(|e| ApiError::internal(e.to_string()));
    let default_currency = code(col(first, "default_currency_code")?)?;
    let mut regions = Vec::new();
    for row in &rows {
        if let Some(name) = col::<Option<String>>(row, "name")? {
            regions.push((name, code(col(row, "currency_code")?)?));
        }
    }
    Ok(ImportContext {
        default_currency,
        regions,
        attributes: crate::catalog::attribute::repo::attributes(client, store).await?,
        uploaded: Vec::new(),
    })
}

/// One problem of a file: the row as a spreadsheet numbers it (the header is row 1),
/// the column, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// A product as the file gives it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProduct {
    /// Its first row.
    pub row: usize,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub status: ProductStatus,
    /// Option names in order, each with its values in order of first use.
    pub options: Vec<(String, Vec<String>)>,
    pub variants: Vec<ImportVariant>,
    pub images: Vec<ImportImage>,
    /// Each attribute column of the file with the product's value (`None`: empty, the
    /// product has none); attributes without a column are left as they are.
    pub attributes: Vec<(String, Option<serde_json::Value>)>,
    /// The handles of its categories and its collection's, when the file says (a
    /// catalog file does; Shopify's CSV does not).
    pub categories: Option<Vec<String>>,
    pub collection: Option<Option<String>>,
    pub subtitle: Option<String>,
    /// Its educational content, checked, when the file says (a catalog file may;
    /// Shopify's CSV does not): `None` leaves it as it is.
    pub educational_content: Option<String>,
}

/// A variant as the file gives it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportVariant {
    pub row: usize,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    /// One value per option of the product, in the options' order.
    pub values: Vec<String>,
    /// Minor units, one per currency of the store.
    pub prices: Vec<(CurrencyCode, i64)>,
    pub weight_g: Option<i32>,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    /// Counts the file gives: at the store's first location (Shopify's one count), or
    /// at a location of the store named by the file.
    pub stock: Vec<(StockAt, i32)>,
}

impl ImportVariant {
    /// Its title: its values, or the one variant of a product without options.
    pub fn title(&self) -> String {
        if self.values.is_empty() {
            DEFAULT_VARIANT.to_owned()
        } else {
            self.values.join(" / ")
        }
    }
}

/// The title of the one variant of a product without options.
pub const DEFAULT_VARIANT: &str = "Default variant";

/// An image as the file gives it: a key in the store's bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportImage {
    pub row: usize,
    pub key: String,
    pub alt: String,
    /// Width and height when it was uploaded with the file (else read from the
    /// store's images that have the key).
    pub size: Option<(u32, u32)>,
}

/// A file read and checked: the products it would write, and every problem. A row with
/// a problem is refused (a product's own row: the whole product).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadFile {
    pub products: Vec<ImportProduct>,
    pub problems: Vec<Problem>,
    /// Data rows in the file.
    pub rows: usize,
    /// Rows refused, each once.
    pub refused_rows: Vec<usize>,
}

/// What an import did, product by product.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Products that could not be written, at their first row, with the reason.
    pub refused: Vec<Problem>,
    /// What was left out without refusing its product (an image not in the bucket).
    pub warnings: Vec<Problem>,
}

impl Summary {
    /// Adds `other`'s counts and problems to these.
    pub fn add(&mut self, other: Summary) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.refused.extend(other.refused);
        self.warnings.extend(other.warnings);
    }
}

/// Writes `products` one transaction each, spread over `clients` (each its own
/// connection: products are written side by side, one per connection at a time),
/// calling `progress(done, total)` after each. A product the store refuses (a taken
/// SKU, a count below what orders hold) is refused with the reason at its first row
/// and the rest go on; a failure of the database itself stops the import.
pub async fn apply_all<C: GenericClient + Sync>(
    clients: &[&C],
    store: &StoreId,
    products: &[ImportProduct],
    actor: Actor<'_>,
    progress: impl Fn(usize, usize) + Sync,
) -> Result<Summary, ApiError> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let lanes = clients.iter().enumerate().map(|(lane, client)| {
        let (done, progress) = (&done, &progress);
        async move {
            let mut summary = Summary::default();
            for product in products.iter().skip(lane).step_by(clients.len()) {
                let applied = atomically(*client, async |tx: &C| {
                    apply_product(tx, store, product, actor).await
                })
                .await;
                match applied {
                    Ok(applied) => {
                        match applied.outcome {
                            Outcome::Created => summary.created += 1,
                            Outcome::Updated => summary.updated += 1,
                            Outcome::Unchanged => summary.unchanged += 1,
                        }
                        summary.warnings.extend(applied.warnings);
                    }
                    Err(
                        err @ (ApiError::InvalidParam { .. }
                        | ApiError::Conflict { .. }
                        | ApiError::NotAllowed { .. }
                        | ApiError::NotFound { .. }),
                    ) => summary.refused.push(Problem {
                        row: product.row,
                        column: "Handle".to_owned(),
                        message: format!("{}: {}", product.handle, err.reason()),
                    }),
                    Err(err) => return Err(err),
                }
                let now = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(now, products.len());
            }
            Ok(summary)
        }
    });
    let mut summary = Summary::default();
    for lane in futures_util::future::try_join_all(lanes).await? {
        summary.add(lane);
    }
    summary.refused.sort_by_key(|p| p.row);
    summary.warnings.sort_by_key(|p| p.row);
    Ok(summary)
}

/// A file checked against the store: what reading it found, plus the SKUs that belong
/// to another of the store's products (those rows are refused too), and how many
/// products the import would create and update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    pub read: ReadFile,
    pub to_create: usize,
    pub to_update: usize,
}

/// Reads `bytes` for `store` and checks it against what the store has (the dry run):
/// nothing is written.
pub async fn check<C: Sql>(
    client: &C,
    store: &StoreId,
    ctx: &ImportContext,
    bytes: &[u8],
) -> Result<Checked, ApiError> {
    let mut read = if catalog_json::looks_like_json(bytes) {
        read_catalog_json(bytes, ctx)?
    } else {
        read_shopify_csv(bytes, ctx)?
    };
    let skus: Vec<String> = read
        .products
        .iter()
        .flat_map(|p| &p.variants)
        .filter_map(|v| v.sku.clone())
        .collect();
    let handles: Vec<String> = read.products.iter().map(|p| p.handle.clone()).collect();
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&skus, Type::TEXT_ARRAY)];
    let owners = client
        .query_typed(
            "SELECT v.sku, p.handle FROM product_variants v JOIN products p ON p.id = v.product_id
             WHERE v.store_id = $1 AND v.sku = ANY($2)",
            &params,
        )
        .await?;
    let mut owner_of = std::collections::HashMap::with_capacity(owners.len());
    for row in &owners {
        owner_of.insert(col::<String>(row, "sku")?, col::<String>(row, "handle")?);
    }
    let mut refused: std::collections::BTreeSet<usize> =
        read.refused_rows.iter().copied().collect();
    for product in &mut read.products {
        let handle = product.handle.clone();
        product.variants.retain(|v| {
            let Some(owner) = v.sku.as_ref().and_then(|s| owner_of.get(s)) else {
                return true;
            };
            if *owner == handle {
                return true;
            }
            read.problems.push(Problem {
                row: v.row,
                column: "Variant SKU".to_owned(),
                message: format!(
                    "{} is the SKU of the store's product {owner}",
                    v.sku.as_deref().unwrap_or_default()
                ),
            });
            refused.insert(v.row);
            false
        });
    }
    read.problems.sort_by_key(|p| p.row);
    read.refused_rows = refused.into_iter().collect();
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&handles, Type::TEXT_ARRAY)];
    let existing = client
        .query_typed(
            "SELECT count(*) AS n FROM products WHERE store_id = $1 AND handle = ANY($2)",
            &params,
        )
        .await?;
    let to_update = existing
        .first()
        .map(|r| col::<i64>(r, "n"))
        .transpose()?
        .unwrap_or(0) as usize;
    Ok(Checked {
        to_create: read.products.len() - to_update,
        to_update,
        read,
    })
}
