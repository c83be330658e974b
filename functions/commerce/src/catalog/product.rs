//! Products with their options, variants, prices in one currency, stock and images:
//! the query every reader of the catalog uses (Store API, storefront pages, carts).
//! A page of products is read in one round trip; child rows arrive as JSON arrays.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tokio_postgres::types::Type;

use crate::catalog::attribute::AttributeKind;
use crate::db::{col, first, id_strs, json_col, list_page, ListQuery, Param, Sql};
use crate::error::ApiError;
use crate::ids::{
    CategoryId, CollectionId, ImageId, OptionId, OptionValueId, PriceId, ProductId, StoreId,
    VariantId,
};
use crate::money::CurrencyCode;
use crate::params::{Direction, Handle, Page, SearchText};

/// Whether shoppers see a product; only `Published` products are ever read by shoppers
/// and the Store API. Stored as its name; an unknown stored value is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// Only staff see it.
    Draft,
    /// Shoppers and the Store API see it.
    Published,
    /// No longer sold, kept for its orders: hidden like a draft, and left out of the
    /// admin list unless asked for.
    Archived,
}

impl ProductStatus {
    pub const ALL: [ProductStatus; 3] = [
        ProductStatus::Draft,
        ProductStatus::Published,
        ProductStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Published => "published",
            ProductStatus::Archived => "archived",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProductStatus::Draft => "Draft (only staff see it)",
            ProductStatus::Published => "Published",
            ProductStatus::Archived => "Archived (no longer sold)",
        }
    }

    /// A status as a request names it.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub(crate) fn stored(s: &str) -> Result<Self, ApiError> {
        Self::parse(s).ok_or_else(|| {
            ApiError::internal(format!("unknown product status '{s}' in the database"))
        })
    }
}

/// One of a product's attribute values, with the attribute's label and kind, in the
/// store's order of its attributes (see [`crate::catalog::attribute`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AttributeValue {
    pub key: String,
    pub label: String,
    pub kind: AttributeKind,
    /// A string, a number or a boolean, as the kind says.
    pub value: serde_json::Value,
}

impl AttributeValue {
    /// The value as shoppers read it ("Yes", "250", "linen").
    pub fn display(&self) -> String {
        match &self.value {
            serde_json::Value::Bool(true) => "Yes".to_owned(),
            serde_json::Value::Bool(false) => "No".to_owned(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CollectionRef {
    pub id: CollectionId,
    pub title: String,
    pub handle: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CategoryRef {
    pub id: CategoryId,
    pub name: String,
    pub handle: String,
    pub parent_category_id: Option<CategoryId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OptionValueRow {
    pub id: OptionValueId,
    pub value: String,
    pub option_id: OptionId,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OptionRow {
    pub id: OptionId,
    pub title: String,
    pub values: Vec<OptionValueRow>,
}

/// A variant's price in the currency the query asked for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PriceRow {
    pub id: PriceId,
    /// Minor units of the queried currency.
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VariantRow {
    pub id: VariantId,
    pub title: String,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub weight_g: Option<i32>,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    pub rank: i32,
    /// The option values this variant is made of.
    pub options: Vec<OptionValueRow>,
    /// `None` when no currency was asked for or the variant has no price in it.
    pub price: Option<PriceRow>,
    /// Stocked minus reserved, summed over all stock locations.
    pub inventory_quantity: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl VariantRow {
    /// Whether a shopper can buy at least one unit now.
    pub fn purchasable(&self) -> bool {
        !self.manage_inventory || self.allow_backorder || self.inventory_quantity > 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ImageRow {
    pub id: ImageId,
    pub r2_key: String,
    pub alt: String,
    pub rank: i32,
    pub width: i32,
    pub height: i32,
}

/// A product as every catalog reader sees it: its kept document (`product_docs`) with
/// prices in one currency and live stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub handle: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub description: String,
    pub status: ProductStatus,
    pub thumbnail_key: Option<String>,
    pub collection: Option<CollectionRef>,
    pub categories: Vec<CategoryRef>,
    pub options: Vec<OptionRow>,
    pub variants: Vec<VariantRow>,
    pub images: Vec<ImageRow>,
    pub attributes: Vec<AttributeValue>,
    /// Rich text ([`crate::catalog::rich_text`]), as typed; empty when there is none.
    pub educational_content: String,
    pub created_at: String,
    pub updated_at: String,
}

/// What a product list can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductSort {
    Title,
    Handle,
    CreatedAt,
    UpdatedAt,
    /// The lowest variant price in the list's currency; products without a price in it
    /// come last either way.
    Price,
}

impl ProductSort {
    /// The fields the Store API's `order` parameter accepts.
    pub const FIELDS: &'static [(&'static str, ProductSort)] = &[
        ("title", ProductSort::Title),
        ("handle", ProductSort::Handle),
        ("created_at", ProductSort::CreatedAt),
        ("updated_at", ProductSort::UpdatedAt),
    ];

    fn sql(self) -> &'static str {
        match self {
            ProductSort::Title => "p.title",
            ProductSort::Handle => "p.handle",
            ProductSort::CreatedAt => "p.created_at",
            ProductSort::UpdatedAt => "p.updated_at",
            ProductSort::Price => {
                "(SELECT min(vp.amount) FROM variant_prices vp
                  JOIN product_variants v ON v.id = vp.variant_id
                  WHERE v.product_id = p.id AND vp.currency_code = $7)"
            }
        }
    }

    /// Only the price can be NULL; the other orders keep their index's NULL placement
    /// so that a page is still picked by an index walk.
    fn nulls(self) -> &'static str {
        match self {
            ProductSort::Price => "NULLS LAST",
            _ => "",
        }
    }
}

/// Shoppers' choice among one option's values ("Size" is "M" or "L"), or one
/// attribute's (its key, "material" is "Linen" or "Wool"). Names and values compare
/// case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionFilter {
    pub name: String,
    pub values: Vec<String>,
}

/// Which published products to list; absent fields do not filter.
///
/// The variant conditions (`price_*`, `in_stock`, `options`) must all hold for one and
/// the same variant: "size M, in stock, under 50" lists a product only if its M is in
/// stock and costs under 50. Values of one option combine with OR, options with AND.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub ids: Option<Vec<ProductId>>,
    pub handles: Option<Vec<Handle>>,
    pub category_ids: Option<Vec<CategoryId>>,
    pub collection_ids: Option<Vec<CollectionId>>,
    pub q: Option<SearchText>,
    /// `q`'s words resolved against the store's vocabulary ([`ProductFilter::resolve`]),
    /// so that the reads of one page (the list, its facets) resolve them once; without
    /// it each read resolves `q` itself.
    pub search: Option<crate::search::Resolved>,
    /// Lowest price in minor units of the list's currency, inclusive.
    pub price_min: Option<i64>,
    /// Highest price in minor units of the list's currency, inclusive.
    pub price_max: Option<i64>,
    /// Only variants that can ship now: stock on hand, or inventory not managed.
    pub in_stock: bool,
    pub options: Vec<OptionFilter>,
    /// By attribute key; values as text (`true`, `250`, `Linen`). Values of one
    /// attribute combine with OR, attributes with AND.
    pub attributes: Vec<OptionFilter>,
}

impl ProductFilter {
    /// Resolves `q`'s words once for the reads that follow (one statement).
    pub async fn resolve<C: Sql>(&mut self, client: &C, store: &StoreId) -> Result<(), ApiError> {
        if let (Some(q), None) = (self.q.as_ref().filter(|q| !q.is_empty()), &self.search) {
            self.search = Some(crate::search::repo::resolve(client, store, q).await?);
        }
        Ok(())
    }

    /// Whether the filter makes choices within its scope: prices, stock, options or
    /// attributes.
    pub fn chooses(&self) -> bool {
        self.price_min.is_some()
            || self.price_max.is_some()
            || self.in_stock
            || !self.options.is_empty()
            || !self.attributes.is_empty()
    }

    /// Whether the filter lists fewer than all the store's published products.
    pub fn narrows(&self) -> bool {
        let ProductFilter {
            ids,
            handles,
            category_ids,
            collection_ids,
            q,
            search: _,
            price_min,
            price_max,
            in_stock,
            options,
            attributes,
        } = self;
        ids.is_some()
            || handles.is_some()
            || category_ids.is_some()
            || collection_ids.is_some()
            || q.as_ref().is_some_and(|q| !q.is_empty())
            || price_min.is_some()
            || price_max.is_some()
            || *in_stock
            || !options.is_empty()
            || !attributes.is_empty()
    }
}

/// The number of the store's ($1) published products, kept by the catalog's triggers
/// (`store_catalog_counts`): an unfiltered list is counted without reading products.
const PUBLISHED_COUNT: &str =
    "SELECT published_products AS total FROM store_catalog_counts WHERE store_id = $1";

/// A search's matches ($6, the resolved terms), computed once per statement: every
/// statement with [`LIST_WHERE`] begins `WITH {MATCHES}`, so that its page, its count
/// and its facets read one set. Without terms `search_matches` is not called.
const MATCHES: &str = "matches AS MATERIALIZED (
    SELECT m.* FROM search_matches($1, $6) m WHERE $6::jsonb IS NOT NULL)";

/// The search condition of [`LIST_WHERE`]; a search's statements join the matches
/// instead ([`listed`]).
const SEARCH_CLAUSE: &str = "($6::jsonb IS NULL OR p.id IN (SELECT m.product_id FROM matches m))";

/// The list filter over `products p`: $1 store, $2 ids, $3 handles, $4 categories,
/// $5 collections, $6 search terms (`commerce::search`'s JSON), $7 currency, $8 lowest price, $9 highest price,
/// $10 in stock only, $11 option choices (`name<US>value`, lower case), $12 the number
/// of options chosen, $13 attribute choices (`key<US>value`, the value lower case), $14
/// the number of attributes chosen.
const LIST_WHERE: &str = "p.store_id = $1 AND p.status = 'published'
    AND ($2::text[] IS NULL OR p.id = ANY($2))
    AND ($3::text[] IS NULL OR p.handle = ANY($3))
    AND ($4::text[] IS NULL OR p.id IN (
        SELECT pc.product_id FROM product_category_products pc
        JOIN product_categories c ON c.id = pc.category_id AND c.is_active
        WHERE pc.category_id = ANY($4)))
    AND ($5::text[] IS NULL OR p.collection_id = ANY($5))
    AND ($6::jsonb IS NULL OR p.id IN (SELECT m.product_id FROM matches m))
    AND (($8::int8 IS NULL AND $9::int8 IS NULL AND NOT $10::bool AND $11::text[] IS NULL)
      OR EXISTS (
        SELECT 1 FROM product_variants v
        WHERE v.product_id = p.id
          AND (($8 IS NULL AND $9 IS NULL) OR EXISTS (
                SELECT 1 FROM variant_prices vp
                WHERE vp.variant_id = v.id AND vp.currency_code = $7
                  AND ($8 IS NULL OR vp.amount >= $8) AND ($9 IS NULL OR vp.amount <= $9)))
          AND (NOT $10 OR NOT v.manage_inventory OR (
                SELECT coalesce(sum(il.stocked - il.reserved), 0)
                FROM inventory_levels il WHERE il.variant_id = v.id) > 0)
          AND ($11 IS NULL OR (
                SELECT count(DISTINCT lower(o.title))
                FROM product_variant_option_values vov
                JOIN product_option_values ov ON ov.id = vov.option_value_id
                JOIN product_options o ON o.id = ov.option_id
                WHERE vov.variant_id = v.id
                  AND lower(o.title) || chr(31) || lower(ov.value) = ANY($11)) = $12::int4)))
    AND ($13::text[] IS NULL OR (
        SELECT count(DISTINCT a.key) FROM jsonb_each_text(p.attributes) a
        WHERE a.key || chr(31) || lower(a.value) = ANY($13)) = $14::int4)";

/// The listed products as `FROM … WHERE …` over `products p`. A search joins its
/// matches (`m`): as a condition (`p.id IN …`, behind `$6 IS NULL OR`), the planner
/// guessed that it kept half the store and read every variant, price and stock row of
/// the store to count the menus of a few matches.
fn listed(searching: bool) -> String {
    if searching {
        format!(
            "matches m JOIN products p ON p.id = m.product_id WHERE {}",
            LIST_WHERE.replace(SEARCH_CLAUSE, "TRUE")
        )
    } else {
        format!("products p WHERE {LIST_WHERE}")
    }
}

/// A product's kept document (SQL's `product_document`, in `product_docs`): the product
/// with its children and every currency's prices, without stock.
#[derive(Deserialize)]
struct Document {
    id: ProductId,
    handle: String,
    title: String,
    subtitle: Option<String>,
    description: String,
    status: ProductStatus,
    thumbnail_key: Option<String>,
    collection: Option<CollectionRef>,
    categories: Vec<CategoryRef>,
    options: Vec<OptionRow>,
    variants: Vec<VariantDocument>,
    images: Vec<ImageRow>,
    /// Absent from documents built before migration 0018.
    #[serde(default)]
    attributes: Vec<AttributeValue>,
    /// Absent from documents built before migration 0031.
    #[serde(default)]
    educational_content: String,
    created_at: String,
    updated_at: String,
}

#[derive(Deserialize)]
struct VariantDocument {
    id: VariantId,
    title: String,
    sku: Option<String>,
    #[serde(default)]
    barcode: Option<String>,
    weight_g: Option<i32>,
    manage_inventory: bool,
    allow_backorder: bool,
    rank: i32,
    options: Vec<OptionValueRow>,
    /// By currency code.
    prices: HashMap<String, PriceRow>,
    created_at: String,
    updated_at: String,
}

impl Document {
    /// The product with its prices in `currency` (none without one) and `stock` (per
    /// variant id; a variant without stock rows has 0).
    fn into_product(self, currency: Option<CurrencyCode>, stock: &HashMap<String, i64>) -> Product {
        let variants = self
            .variants
            .into_iter()
            .map(|mut v| VariantRow {
                price: currency.and_then(|c| v.prices.remove(c.as_str())),
                inventory_quantity: stock.get(v.id.as_str()).copied().unwrap_or(0),
                id: v.id,
                title: v.title,
                sku: v.sku,
                barcode: v.barcode,
                weight_g: v.weight_g,
                manage_inventory: v.manage_inventory,
                allow_backorder: v.allow_backorder,
                rank: v.rank,
                options: v.options,
                created_at: v.created_at,
                updated_at: v.updated_at,
            })
            .collect();
        Product {
            id: self.id,
            handle: self.handle,
            title: self.title,
            subtitle: self.subtitle,
            description: self.description,
            status: self.status,
            thumbnail_key: self.thumbnail_key,
            collection: self.collection,
            categories: self.categories,
            options: self.options,
            variants,
            images: self.images,
            attributes: self.attributes,
            educational_content: self.educational_content,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A row of `doc` (a product's document) and `stock` (its variants' available units by
/// id, null without variants) as a product priced in `currency`.
fn product_from_row(
    row: &tokio_postgres::Row,
    currency: Option<CurrencyCode>,
) -> Result<Product, ApiError> {
    let doc: Document = json_col(row, "doc")?;
    let stock: Option<HashMap<String, i64>> = json_col(row, "stock")?;
    Ok(doc.into_product(currency, &stock.unwrap_or_default()))
}

/// Available units (stocked minus reserved over all locations) per variant of the
/// products `products` (a relation with `id`), as `stock (product_id, stock)`.
const STOCK_OF: &str = "SELECT s.product_id, json_object_agg(s.id, s.available) AS stock
    FROM (SELECT v.product_id, v.id, coalesce(sum(il.stocked - il.reserved), 0) AS available
          FROM {products} JOIN product_variants v ON v.product_id = {products}.id
          LEFT JOIN inventory_levels il ON il.variant_id = v.id
          GROUP BY v.product_id, v.id) s
    GROUP BY s.product_id";

/// A filter's choices as `name<US>value` (the name lower case too when `lower_names`;
/// attribute keys are lower case already), `None` without any, and how many names.
fn choices(filters: &[OptionFilter], lower_names: bool) -> (Option<Vec<String>>, i32) {
    if filters.is_empty() {
        return (None, 0);
    }
    let name_of = |f: &OptionFilter| {
        if lower_names {
            f.name.to_lowercase()
        } else {
            f.name.clone()
        }
    };
    let pairs = filters
        .iter()
        .flat_map(|f| {
            let name = name_of(f);
            f.values
                .iter()
                .map(move |v| format!("{name}\u{1f}{}", v.to_lowercase()))
        })
        .collect();
    let mut names: Vec<String> = filters.iter().map(name_of).collect();
    names.sort();
    names.dedup();
    (Some(pairs), i32::try_from(names.len()).unwrap_or(i32::MAX))
}

/// The parameters of [`LIST_WHERE`], borrowed from a filter.
struct FilterParams<'a> {
    store: &'a StoreId,
    ids: Option<Vec<&'a str>>,
    handles: Option<Vec<&'a str>>,
    categories: Option<Vec<&'a str>>,
    collections: Option<Vec<&'a str>>,
    search: Option<serde_json::Value>,
    /// Every word of the search has a common candidate (`Resolved::common`).
    common: bool,
    currency: Option<String>,
    price_min: Option<i64>,
    price_max: Option<i64>,
    in_stock: bool,
    options: Option<Vec<String>>,
    option_count: i32,
    attributes: Option<Vec<String>>,
    attribute_count: i32,
}

impl<'a> FilterParams<'a> {
    /// The parameters of `filter`, its search text resolved against the store's
    /// vocabulary first (one statement more when there is one).
    async fn resolve<C: Sql>(
        client: &C,
        store: &'a StoreId,
        filter: &'a ProductFilter,
        currency: Option<CurrencyCode>,
    ) -> Result<Self, ApiError> {
        let (search, common) = match filter.q.as_ref().filter(|q| !q.is_empty()) {
            // Text without words (only punctuation) finds nothing, as text no product
            // carries does.
            Some(q) => match &filter.search {
                Some(resolved) => (Some(resolved.terms_json()), resolved.common),
                None => {
                    let resolved = crate::search::repo::resolve(client, store, q).await?;
                    (Some(resolved.terms_json()), resolved.common)
                }
            },
            None => (None, false),
        };
        Ok(Self::new(store, filter, currency, search, common))
    }

    fn new(
        store: &'a StoreId,
        filter: &'a ProductFilter,
        currency: Option<CurrencyCode>,
        search: Option<serde_json::Value>,
        common: bool,
    ) -> Self {
        let (options, option_count) = choices(&filter.options, true);
        let (attributes, attribute_count) = choices(&filter.attributes, false);
        Self {
            store,
            ids: id_strs(&filter.ids),
            handles: id_strs(&filter.handles),
            categories: id_strs(&filter.category_ids),
            collections: id_strs(&filter.collection_ids),
            search,
            common,
            currency: currency.map(|c| c.as_str().to_owned()),
            price_min: filter.price_min,
            price_max: filter.price_max,
            in_stock: filter.in_stock,
            options,
            option_count,
            attributes,
            attribute_count,
        }
    }

    fn params(&self) -> [Param<'_>; 14] {
        [
            (self.store, Type::TEXT),
            (&self.ids, Type::TEXT_ARRAY),
            (&self.handles, Type::TEXT_ARRAY),
            (&self.categories, Type::TEXT_ARRAY),
            (&self.collections, Type::TEXT_ARRAY),
            (&self.search, Type::JSONB),
            (&self.currency, Type::TEXT),
            (&self.price_min, Type::INT8),
            (&self.price_max, Type::INT8),
            (&self.in_stock, Type::BOOL),
            (&self.options, Type::TEXT_ARRAY),
            (&self.option_count, Type::INT4),
            (&self.attributes, Type::TEXT_ARRAY),
            (&self.attribute_count, Type::INT4),
        ]
    }
}

/// A page of published products matching `filter`, with prices in `currency`, and the
/// total number matching. Price filters and the price order need a currency; without
/// one no product has a price, so a price filter matches nothing.
pub async fn list<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &ProductFilter,
    sort: Option<(ProductSort, Direction)>,
    page: Page,
    currency: Option<CurrencyCode>,
) -> Result<(Vec<Product>, i64), ApiError> {
    let (rows, total) =
        list_rows(client, store, filter, sort, page, currency, "d.doc", false).await?;
    Ok((products_from_rows(&rows, currency)?, total))
}

/// The products of [`list_rows`]' rows read with their documents (`d.doc`).
fn products_from_rows(
    rows: &[tokio_postgres::Row],
    currency: Option<CurrencyCode>,
) -> Result<Vec<Product>, ApiError> {
    rows.iter()
        .map(|row| product_from_row(row, currency))
        .collect()
}

/// [`list`] and the [`facets`] of `scope` (the listing's scope, its choices aside), at
/// most `max_values` values each. When the scope is the list's search alone, one
/// statement computes the matches once for both (the menus come with the page's first
/// row); otherwise the menus are a statement of their own. Past the last page (no
/// product at an offset) the menus are empty.
#[allow(clippy::too_many_arguments)]
pub async fn list_with_facets<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &ProductFilter,
    scope: &ProductFilter,
    sort: Option<(ProductSort, Direction)>,
    page: Page,
    currency: Option<CurrencyCode>,
    max_values: usize,
) -> Result<(Vec<Product>, i64, Facets), ApiError> {
    let shared = search_alone(scope)
        && filter.search.is_some()
        && scope.search.as_ref().map(|r| r.terms_json())
            == filter.search.as_ref().map(|r| r.terms_json());
    let (rows, total) =
        list_rows(client, store, filter, sort, page, currency, "d.doc", shared).await?;
    let products = products_from_rows(&rows, currency)?;
    let menus = match rows.first() {
        Some(row) if shared => facets_from_row(row, max_values)?,
        // Past the last page there is no page to show them on.
        None if page.offset > 0 => Facets::default(),
        _ => facets(client, store, scope, currency, max_values).await?,
    };
    Ok((products, total, menus))
}

/// The rows of a page of products with `columns` of their kept documents (`d`), their
/// stock (`stock`) and the total, in the page's order; with `menus`, the first row also
/// carries the [`MENU_COLUMNS`] of the search's matches.
#[allow(clippy::too_many_arguments)]
async fn list_rows<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &ProductFilter,
    sort: Option<(ProductSort, Direction)>,
    page: Page,
    currency: Option<CurrencyCode>,
    columns: &str,
    menus: bool,
) -> Result<(Vec<tokio_postgres::Row>, i64), ApiError> {
    let params = FilterParams::resolve(client, store, filter, currency).await?;
    // A search ranked by relevance, within categories or collections at most, is
    // answered from the store's bitmaps when they can (migration 0029), whatever it
    // matches.
    if sort.is_none() && !filter.chooses() && bits_scope(filter, &params) {
        if let Some(mut rows) = by_bits(client, &params, page, menus).await? {
            let total = rows
                .first()
                .map(|r| col(r, "total"))
                .transpose()?
                .unwrap_or(0);
            rows.retain(|r| matches!(col::<Option<serde_json::Value>>(r, "doc"), Ok(Some(_))));
            return Ok((rows, total));
        }
    }
    let listed = listed(params.search.is_some());
    // Without a filter the total is the kept count; with one, the matches are counted.
    // (Inside the page's statement the count reads the statement's matches; on its own,
    // past the last page, it computes them.)
    let search_only = params.search.is_some()
        && !ProductFilter {
            q: None,
            search: None,
            ..filter.clone()
        }
        .narrows();
    let count = if search_only {
        // Only published products of the store have words.
        "SELECT count(*) AS total FROM matches".to_owned()
    } else if filter.narrows() {
        format!("SELECT count(*) AS total FROM {listed}")
    } else {
        PUBLISHED_COUNT.to_owned()
    };
    let count_alone = if filter.narrows() {
        format!("WITH {MATCHES} {count}")
    } else {
        count.clone()
    };
    let (page_sql, dir, nulls) = match sort {
        // A search without a chosen order ranks by relevance: the matches' typos, then
        // their fields, then exact words over prefixes; among equals the product added
        // last first (its number, migration 0029, as the bitmaps rank).
        // (The page is chosen first, so that only its rows are numbered: a top-N sort
        // of the matches rather than a sort of them all.)
        None if params.search.is_some() => (
            format!(
                "SELECT x.id, row_number() OVER (
                     ORDER BY x.typos, x.field, x.exact DESC, x.num DESC) AS sort_key
                 FROM (SELECT p.id, m.typos, m.field, m.exact,
                              (SELECT pn.n FROM product_numbers pn WHERE pn.product_id = p.id) AS num
                       FROM {listed}
                       ORDER BY m.typos, m.field, m.exact DESC, num DESC
                       LIMIT $15 OFFSET $16) x"
            ),
            "ASC",
            "",
        ),
        _ => {
            let (field, dir) = sort.unwrap_or((ProductSort::CreatedAt, Direction::Desc));
            let sql = format!(
                "SELECT p.id, {field} AS sort_key FROM {listed}
                 ORDER BY {field} {dir} {nulls}, p.id LIMIT $15 OFFSET $16",
                field = field.sql(),
                dir = dir.sql(),
                nulls = field.nulls(),
            );
            (sql, dir.sql(), field.nulls())
        }
    };
    let (menu_ctes, menu_columns, menu_join) = if menus {
        (
            format!(
                ", {}, menus AS MATERIALIZED (SELECT {MENU_COLUMNS})",
                menu_ctes(MATCHES_SCOPE)
            ),
            ", menus.*",
            format!(
                "LEFT JOIN menus ON page.id = (
                     SELECT f.id FROM page f ORDER BY f.sort_key {dir} {nulls}, f.id LIMIT 1)"
            ),
        )
    } else {
        (String::new(), "", String::new())
    };
    let sql = format!(
        // The page is chosen with ORDER BY + LIMIT (an index walk, not a sort of every
        // match, for the indexed orders); then its kept documents and its stock are
        // read by key; the total is one uncorrelated subquery.
        "WITH {MATCHES},
         page AS MATERIALIZED ({page_sql}),
         stock AS MATERIALIZED ({stock}){menu_ctes}
         SELECT ({count}) AS total, {columns}, stock.stock{menu_columns}
         FROM page JOIN product_docs d ON d.product_id = page.id
         LEFT JOIN stock ON stock.product_id = page.id
         {menu_join}
         ORDER BY page.sort_key {dir} {nulls}, page.id",
        stock = STOCK_OF.replace("{products}", "page"),
    );
    let filter_params = params.params();
    let query = ListQuery {
        sql: &sql,
        count: &count_alone,
        filter_params: &filter_params,
        extra: &[],
    };
    list_page(client, query, page).await
}

/// The statement of [`by_bits`]: `search_bits_listing` (migration 0029) with the
/// filter's parameters ($1 store, $6 search terms, $7 currency, $15 limit, $16 offset,
/// $17 the categories' and collections' menu entries, [`within_entries`]), then the
/// page's documents and stock as [`list_rows`] reads them, and with
/// `menus` the [`MENU_COLUMNS`] on the first row. Always one row at least: `instead`
/// (why rows answer better, when they do) and `total` on every row, `doc` null when the
/// page is empty.
fn bits_sql(menus: bool) -> String {
    let (menu_ctes, menu_columns, menu_join) = if menus {
        (
            format!(
                "counted AS MATERIALIZED (
                     SELECT r.key AS e, r.value AS products FROM r WHERE r.kind = 'entry'),
                 {MENUS_OF_COUNTED},
                 menus AS MATERIALIZED (SELECT {MENU_COLUMNS}),"
            ),
            ", menus.*",
            "LEFT JOIN menus ON page.sort_key IS NOT DISTINCT FROM (SELECT min(f.sort_key) FROM page f)",
        )
    } else {
        (String::new(), "", "")
    };
    format!(
        "WITH r AS MATERIALIZED (
             SELECT * FROM search_bits_listing($1, $6, $7, $15::int4, $16::int4, {menus}, $17)),
         page AS MATERIALIZED (
             SELECT r.key AS id, r.value AS sort_key FROM r WHERE r.kind = 'page'),
         stock AS MATERIALIZED ({stock}),
         {menu_ctes}
         head AS (SELECT (SELECT r.key FROM r WHERE r.kind = 'rows') AS instead,
                         (SELECT r.value FROM r WHERE r.kind = 'total') AS total)
         SELECT head.instead, head.total, d.doc, stock.stock{menu_columns}
         FROM head LEFT JOIN page ON true
         LEFT JOIN product_docs d ON d.product_id = page.id
         LEFT JOIN stock ON stock.product_id = page.id
         {menu_join}
         ORDER BY page.sort_key",
        stock = STOCK_OF.replace("{products}", "page"),
    )
}

/// Whether the store's bitmaps may answer `filter` (ranked by relevance, its choices
/// aside): a search whose every word has a common candidate, within categories and
/// collections at most (menu entries of their own), none of them an empty list.
fn bits_scope(filter: &ProductFilter, params: &FilterParams<'_>) -> bool {
    params.common
        && filter.ids.is_none()
        && filter.handles.is_none()
        && !filter.category_ids.as_ref().is_some_and(Vec::is_empty)
        && !filter.collection_ids.as_ref().is_some_and(Vec::is_empty)
}

/// The menu entries (`product_facet_entries`, migration 0025) of `params`' categories
/// and collections, as `search_bits_listing` reads its `p_within`.
fn within_entries(params: &FilterParams<'_>) -> Vec<String> {
    let entries = |kind: char, ids: &Option<Vec<&str>>| -> Vec<String> {
        ids.iter()
            .flatten()
            .map(|id| format!("{kind}\u{1f}{id}"))
            .collect()
    };
    let mut within = entries('c', &params.categories);
    within.extend(entries('l', &params.collections));
    within
}

/// The rows of [`bits_sql`] for a search ranked by relevance within [`bits_scope`],
/// answered from the store's bitmaps: `None` when they cannot answer it or rows answer
/// it better (a rare part too large, a store whose menus have too many entries:
/// `search_bits_listing` says which), and the caller reads rows instead.
async fn by_bits<C: Sql>(
    client: &C,
    params: &FilterParams<'_>,
    page: Page,
    menus: bool,
) -> Result<Option<Vec<tokio_postgres::Row>>, ApiError> {
    let (limit, offset) = (i64::from(page.limit), i64::from(page.offset));
    let within = within_entries(params);
    let mut all = params.params().to_vec();
    all.extend([
        (&limit as _, Type::INT8),
        (&offset as _, Type::INT8),
        (&within as _, Type::TEXT_ARRAY),
    ]);
    let rows = client.query_typed(&bits_sql(menus), &all).await?;
    let head = rows.first().ok_or_else(|| ApiError::Internal {
        detail: "search by bitmaps returned no row".into(),
    })?;
    Ok(col::<Option<String>>(head, "instead")?
        .is_none()
        .then_some(rows))
}

/// A product as a reader that keeps what it wrote of products sees it: which revision
/// of its kept document is current, and its live stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRef {
    pub id: ProductId,
    /// Moves whenever the document is rebuilt (`product_docs.revision`).
    pub revision: i64,
    /// Available units per variant id (stocked minus reserved; absent: 0).
    pub stock: HashMap<String, i64>,
}

fn ref_from_row(row: &tokio_postgres::Row) -> Result<ProductRef, ApiError> {
    let stock: Option<HashMap<String, i64>> = json_col(row, "stock")?;
    Ok(ProductRef {
        id: col(row, "product_id")?,
        revision: col(row, "revision")?,
        stock: stock.unwrap_or_default(),
    })
}

/// [`list`] without the documents: the page's products as references, and the total.
pub async fn list_refs<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &ProductFilter,
    sort: Option<(ProductSort, Direction)>,
    page: Page,
    currency: Option<CurrencyCode>,
) -> Result<(Vec<ProductRef>, i64), ApiError> {
    let columns = "d.product_id, d.revision";
    let (rows, total) =
        list_rows(client, store, filter, sort, page, currency, columns, false).await?;
    let refs = rows.iter().map(ref_from_row).collect::<Result<_, _>>()?;
    Ok((refs, total))
}

/// Kept documents of the store's products `ids` (any order; ids not found are left
/// out), priced in `currency`, each with its revision. Stock is not read: every
/// variant has 0.
pub async fn revisions<C: Sql>(
    client: &C,
    store: &StoreId,
    ids: &[&ProductId],
    currency: Option<CurrencyCode>,
) -> Result<Vec<(i64, Product)>, ApiError> {
    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let rows = client
        .query_typed(
            "SELECT d.revision, d.doc FROM product_docs d
             WHERE d.store_id = $1 AND d.product_id = ANY($2)",
            &[(store, Type::TEXT), (&ids, Type::TEXT_ARRAY)],
        )
        .await?;
    let no_stock = HashMap::new();
    rows.iter()
        .map(|row| {
            let doc: Document = json_col(row, "doc")?;
            Ok((col(row, "revision")?, doc.into_product(currency, &no_stock)))
        })
        .collect()
}

/// One value of an option or attribute across the listed products, for filter menus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetValue {
    /// As a filter takes it.
    pub value: String,
    /// As shoppers read it (a boolean attribute's `true` is "Yes").
    pub label: String,
    /// Products offering this value.
    pub products: i64,
}

/// An option shared by the listed products ("Size") and the values they offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facet {
    /// Lower case, as [`OptionFilter::name`] takes it.
    pub name: String,
    /// As the catalog spells it.
    pub title: String,
    pub values: Vec<FacetValue>,
}

/// A range of prices in a listing's currency, in minor units: `min` to `max` inclusive.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PriceRange {
    pub min: i64,
    pub max: i64,
    /// Products with a variant priced within the range.
    pub products: i64,
}

/// What the products of a listing's scope offer, each with its number of products: a
/// listing page's menus. Each count is what its filter would list within the scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// Options and their values, in rank order.
    pub options: Vec<Facet>,
    /// Filterable attributes and their values, in the store's order of its attributes
    /// (a list's values in its order).
    pub attributes: Vec<Facet>,
    /// Active categories the products are in (by id), the most products first.
    pub categories: Vec<FacetValue>,
    /// Collections (by id), the most products first.
    pub collections: Vec<FacetValue>,
    /// Prices in steps of 1, 2 and 5 (1.00-1.99, 2.00-4.99, 5.00-9.99, 10.00-19.99…), the
    /// cheapest first; empty without a currency.
    pub prices: Vec<PriceRange>,
    /// Products with a variant that can ship now.
    pub in_stock: i64,
}

/// A facet's value as the facets statement returns it.
#[derive(Deserialize)]
struct FacetRow {
    name: String,
    title: String,
    kind: Option<String>,
    value: String,
    products: i64,
}

/// The menus' common table expressions over `scope` (a query of product `id`s), for a
/// statement that begins `WITH {MATCHES},`; [`MENU_COLUMNS`] selects them.
fn menu_ctes(scope: &str) -> String {
    format!(
        "scope AS MATERIALIZED ({scope}),
         -- The scope's menu entries (`product_facet_entries`, migrations 0025 and
         -- 0026: `s` when the product can ship now), each with its number of products.
         counted AS MATERIALIZED (
             SELECT e, count(*) AS products FROM scope s
             JOIN product_facet_entries f ON f.product_id = s.id
             CROSS JOIN LATERAL unnest(f.entries) e
             GROUP BY e),
         {MENUS_OF_COUNTED}"
    )
}

/// The menus' common table expressions over `counted` (each menu entry with its number
/// of products, `e` and `products`); $1 is the store, $7 the currency.
const MENUS_OF_COUNTED: &str = "options AS (
             SELECT o[1] AS name, min(o[3]) AS title, NULL::text AS kind, min(o[4]) AS value,
                    sum(x.products) AS products, min(o[5]::int) AS o_rank,
                    min(o[6]::int) AS v_rank, o[2] AS v_key
             FROM counted x CROSS JOIN LATERAL string_to_array(substr(x.e, 3), chr(31)) o
             WHERE starts_with(x.e, 'o' || chr(31))
             GROUP BY o[1], o[2]),
         attributes AS (
             SELECT a.key AS name, a.label AS title, a.kind, split_part(x.e, chr(31), 3) AS value,
                    x.products, a.rank,
                    array_position(a.choices, split_part(x.e, chr(31), 3)) AS v_rank
             FROM counted x
             JOIN product_attributes a
               ON a.store_id = $1 AND a.filterable AND a.key = split_part(x.e, chr(31), 2)
             WHERE starts_with(x.e, 'a' || chr(31))),
         categories AS (
             SELECT c.id AS value, c.name AS title, x.products
             FROM counted x JOIN product_categories c ON c.id = substr(x.e, 3) AND c.is_active
             WHERE starts_with(x.e, 'c' || chr(31))),
         collections AS (
             SELECT pl.id AS value, pl.title, x.products
             FROM counted x JOIN product_collections pl ON pl.id = substr(x.e, 3)
             WHERE starts_with(x.e, 'l' || chr(31))),
         prices AS (
             SELECT split_part(x.e, chr(31), 3)::int8 AS min,
                    split_part(x.e, chr(31), 4)::int8 AS max, x.products
             FROM counted x WHERE starts_with(x.e, 'p' || chr(31) || $7 || chr(31)))";

/// The menus as JSON columns (`options`, `attributes`, `categories`, `collections`,
/// `prices`) and the number in stock (`in_stock`), read by [`facets_from_row`].
const MENU_COLUMNS: &str =
    "(SELECT coalesce(json_agg(x ORDER BY x.o_rank, x.name, x.v_rank, x.v_key), '[]')
              FROM options x) AS options,
             (SELECT coalesce(json_agg(x ORDER BY x.rank, x.name, x.v_rank, x.value DESC), '[]')
              FROM attributes x) AS attributes,
             (SELECT coalesce(json_agg(json_build_object('name', 'category', 'title', x.title,
                         'value', x.value, 'products', x.products)
                     ORDER BY x.products DESC, x.title, x.value), '[]')
              FROM categories x) AS categories,
             (SELECT coalesce(json_agg(json_build_object('name', 'collection', 'title', x.title,
                         'value', x.value, 'products', x.products)
                     ORDER BY x.products DESC, x.title, x.value), '[]')
              FROM collections x) AS collections,
             (SELECT coalesce(json_agg(x ORDER BY x.min), '[]') FROM prices x) AS prices,
             coalesce((SELECT x.products FROM counted x WHERE x.e = 's'), 0) AS in_stock";

/// Whether `filter` narrows the store's products by its search words alone (its
/// choices aside: prices, stock, options, attributes).
fn search_alone(filter: &ProductFilter) -> bool {
    filter.q.as_ref().is_some_and(|q| !q.is_empty())
        && filter.ids.is_none()
        && filter.handles.is_none()
        && filter.category_ids.is_none()
        && filter.collection_ids.is_none()
}

/// The scope of a search alone: its matches (only published products of the store have
/// words).
const MATCHES_SCOPE: &str = "SELECT m.product_id AS id FROM matches m";

/// The menus of the products `filter` lists, priced in `currency`; at most
/// `max_values` values per facet. Only the scope of `filter` counts (ids, handles,
/// categories, collections, search): its choices (prices, stock, options, attributes)
/// are left out, so that a menu keeps every value of its scope. One statement, which
/// reads a search's matches once.
pub async fn facets<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &ProductFilter,
    currency: Option<CurrencyCode>,
    max_values: usize,
) -> Result<Facets, ApiError> {
    let scope = ProductFilter {
        price_min: None,
        price_max: None,
        in_stock: false,
        options: Vec::new(),
        attributes: Vec::new(),
        ..filter.clone()
    };
    let params = FilterParams::resolve(client, store, &scope, currency).await?;
    if bits_scope(&scope, &params) {
        let none = Page {
            limit: 0,
            offset: 0,
        };
        if let Some(rows) = by_bits(client, &params, none, true).await? {
            if let Some(row) = rows.first() {
                return facets_from_row(row, max_values);
            }
        }
    }
    let scope = match (&params.search, search_alone(&scope)) {
        (Some(_), true) => MATCHES_SCOPE.to_owned(),
        (searching, _) => format!("SELECT p.id FROM {}", listed(searching.is_some())),
    };
    let sql = format!(
        "WITH {MATCHES}, {} SELECT {MENU_COLUMNS}",
        menu_ctes(&scope)
    );
    let row = first(client.query_typed(&sql, &params.params()).await?).ok_or_else(|| {
        ApiError::Internal {
            detail: "facets returned no row".into(),
        }
    })?;
    facets_from_row(&row, max_values)
}

/// The menus of a row with [`MENU_COLUMNS`], at most `max_values` values each.
fn facets_from_row(row: &tokio_postgres::Row, max_values: usize) -> Result<Facets, ApiError> {
    let grouped = |rows: Vec<FacetRow>| {
        let mut facets: Vec<Facet> = Vec::new();
        for r in rows {
            let label = match (r.kind.as_deref(), r.value.as_str()) {
                (Some("boolean"), "true") => "Yes".to_owned(),
                (Some("boolean"), "false") => "No".to_owned(),
                _ => r.value.clone(),
            };
            let value = FacetValue {
                value: r.value,
                label,
                products: r.products,
            };
            match facets.last_mut() {
                Some(f) if f.name == r.name => {
                    if f.values.len() < max_values {
                        f.values.push(value);
                    }
                }
                _ => facets.push(Facet {
                    name: r.name,
                    title: r.title,
                    values: vec![value],
                }),
            }
        }
        facets
    };
    let flat = |rows: Vec<FacetRow>| -> Vec<FacetValue> {
        rows.into_iter()
            .take(max_values)
            .map(|r| FacetValue {
                value: r.value,
                label: r.title,
                products: r.products,
            })
            .collect()
    };
    Ok(Facets {
        options: grouped(json_col(row, "options")?),
        attributes: grouped(json_col(row, "attributes")?),
        categories: flat(json_col(row, "categories")?),
        collections: flat(json_col(row, "collections")?),
        prices: json_col(row, "prices")?,
        in_stock: col(row, "in_stock")?,
    })
}

/// A published product's address and last change, for sitemaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductLoc {
    pub handle: String,
    /// `YYYY-MM-DD`.
    pub updated: String,
}

/// The store's published products in id order, `limit` from `offset`, and how many
/// there are in all.
pub async fn locations<C: Sql>(
    client: &C,
    store: &StoreId,
    page: Page,
) -> Result<(Vec<ProductLoc>, i64), ApiError> {
    let sql = format!(
        "SELECT p.handle, to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS updated,
                ({PUBLISHED_COUNT}) AS total
         FROM products p WHERE p.store_id = $1 AND p.status = 'published'
         ORDER BY p.id LIMIT $2 OFFSET $3"
    );
    let query = ListQuery {
        sql: &sql,
        count: PUBLISHED_COUNT,
        filter_params: &[(store, Type::TEXT)],
        extra: &[],
    };
    let (rows, total) = list_page(client, query, page).await?;
    let locs = rows
        .iter()
        .map(|row| {
            Ok(ProductLoc {
                handle: col(row, "handle")?,
                updated: col(row, "updated")?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok((locs, total))
}

/// Which product to read: by id or by handle.
#[derive(Debug, Clone)]
pub enum ProductKey {
    Id(ProductId),
    Handle(Handle),
}

/// One published product of the store with prices in `currency`; drafts and other
/// stores' products are not found.
pub async fn get<C: Sql>(
    client: &C,
    store: &StoreId,
    key: &ProductKey,
    currency: Option<CurrencyCode>,
) -> Result<Product, ApiError> {
    let row = one_row(client, store, key, "d.doc").await?;
    product_from_row(&row, currency)
}

/// [`get`] without the document: the product as a reference.
pub async fn get_ref<C: Sql>(
    client: &C,
    store: &StoreId,
    key: &ProductKey,
) -> Result<ProductRef, ApiError> {
    ref_from_row(&one_row(client, store, key, "d.product_id, d.revision").await?)
}

/// The row of one published product with `columns` of its kept document (`d`) and its
/// stock (`stock`); not found as the Store API says it.
async fn one_row<C: Sql>(
    client: &C,
    store: &StoreId,
    key: &ProductKey,
    columns: &str,
) -> Result<tokio_postgres::Row, ApiError> {
    let (column, value, shown) = match key {
        ProductKey::Id(id) => ("p.id", id.as_str(), "id"),
        ProductKey::Handle(h) => ("p.handle", h.as_str(), "handle"),
    };
    let sql = format!(
        "WITH one AS MATERIALIZED (
             SELECT p.id FROM products p
             WHERE p.store_id = $1 AND p.status = 'published' AND {column} = $2),
         stock AS MATERIALIZED ({stock})
         SELECT {columns}, stock.stock FROM one JOIN product_docs d ON d.product_id = one.id
         LEFT JOIN stock ON stock.product_id = one.id",
        stock = STOCK_OF.replace("{products}", "one"),
    );
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&value, Type::TEXT)];
    first(client.query_typed(&sql, &params).await?)
        .ok_or_else(|| ApiError::not_found("Product", shown, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ranked_page_can_take_the_search_out_of_the_filter() {
        assert!(LIST_WHERE.contains(SEARCH_CLAUSE));
    }
}
