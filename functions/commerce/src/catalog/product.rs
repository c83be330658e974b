//! Products with their options, variants, prices in one currency, stock and images:
//! the query every reader of the catalog uses (Store API, storefront pages, carts).
//! A page of products is read in one round trip; child rows arrive as JSON arrays.

use serde::Deserialize;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use crate::db::{col, first, id_strs, json_col, list_page, ListQuery, Param};
use crate::error::ApiError;
use crate::ids::{
    CategoryId, CollectionId, ImageId, OptionId, OptionValueId, PriceId, ProductId, StoreId,
    VariantId,
};
use crate::money::CurrencyCode;
use crate::params::{Direction, Handle, Page, SearchText};

/// Publication state; only `Published` products are ever read by shoppers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductStatus {
    Draft,
    Published,
}

impl ProductStatus {
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "draft" => Ok(ProductStatus::Draft),
            "published" => Ok(ProductStatus::Published),
            other => Err(ApiError::Internal {
                detail: format!("unknown product status '{other}'"),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Published => "published",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CollectionRef {
    pub id: CollectionId,
    pub title: String,
    pub handle: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

/// A product as every catalog reader sees it.
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
}

impl ProductSort {
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
        }
    }
}

/// Which published products to list; absent fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub ids: Option<Vec<ProductId>>,
    pub handles: Option<Vec<Handle>>,
    pub category_ids: Option<Vec<CategoryId>>,
    pub collection_ids: Option<Vec<CollectionId>>,
    pub q: Option<SearchText>,
}

/// The list filter over `products p`: $1 store, $2 ids, $3 handles, $4 categories,
/// $5 collections, $6 search pattern.
const LIST_WHERE: &str = "p.store_id = $1 AND p.status = 'published'
    AND ($2::text[] IS NULL OR p.id = ANY($2))
    AND ($3::text[] IS NULL OR p.handle = ANY($3))
    AND ($4::text[] IS NULL OR p.id IN (
        SELECT pc.product_id FROM product_category_products pc
        JOIN product_categories c ON c.id = pc.category_id AND c.is_active
        WHERE pc.category_id = ANY($4)))
    AND ($5::text[] IS NULL OR p.collection_id = ANY($5))
    AND ($6::text IS NULL OR p.search_text LIKE $6)";

/// The columns of one product with its children; `$cur` is the parameter holding the
/// currency whose prices are read.
fn product_columns(cur: &str) -> String {
    format!(
        "p.id, p.handle, p.title, p.subtitle, p.description, p.status, p.thumbnail_key,
         api_ts(p.created_at) AS created_at, api_ts(p.updated_at) AS updated_at,
         (SELECT jsonb_build_object('id', col.id, 'title', col.title, 'handle', col.handle)
            FROM product_collections col WHERE col.id = p.collection_id) AS collection,
         coalesce((SELECT jsonb_agg(jsonb_build_object('id', c.id, 'name', c.name,
                      'handle', c.handle, 'parent_category_id', c.parent_id) ORDER BY c.rank, c.id)
                   FROM product_category_products pc
                   JOIN product_categories c ON c.id = pc.category_id AND c.is_active
                   WHERE pc.product_id = p.id), '[]'::jsonb) AS categories,
         coalesce((SELECT jsonb_agg(jsonb_build_object('id', o.id, 'title', o.title,
                      'values', coalesce((SELECT jsonb_agg(jsonb_build_object('id', ov.id,
                                    'value', ov.value, 'option_id', ov.option_id) ORDER BY ov.rank, ov.id)
                                 FROM product_option_values ov WHERE ov.option_id = o.id), '[]'::jsonb))
                      ORDER BY o.rank, o.id)
                   FROM product_options o WHERE o.product_id = p.id), '[]'::jsonb) AS options,
         coalesce((SELECT jsonb_agg(jsonb_build_object('id', v.id, 'title', v.title, 'sku', v.sku,
                      'weight_g', v.weight_g, 'manage_inventory', v.manage_inventory,
                      'allow_backorder', v.allow_backorder, 'rank', v.rank,
                      'created_at', api_ts(v.created_at), 'updated_at', api_ts(v.updated_at),
                      'options', coalesce((SELECT jsonb_agg(jsonb_build_object('id', ov.id,
                                    'value', ov.value, 'option_id', ov.option_id) ORDER BY o.rank, o.id)
                                 FROM product_variant_option_values vov
                                 JOIN product_option_values ov ON ov.id = vov.option_value_id
                                 JOIN product_options o ON o.id = ov.option_id
                                 WHERE vov.variant_id = v.id), '[]'::jsonb),
                      'price', (SELECT jsonb_build_object('id', vp.id, 'amount', vp.amount)
                                FROM variant_prices vp
                                WHERE vp.variant_id = v.id AND vp.currency_code = {cur}),
                      'inventory_quantity', coalesce((SELECT sum(il.stocked - il.reserved)
                                FROM inventory_levels il WHERE il.variant_id = v.id), 0))
                      ORDER BY v.rank, v.id)
                   FROM product_variants v WHERE v.product_id = p.id), '[]'::jsonb) AS variants,
         coalesce((SELECT jsonb_agg(jsonb_build_object('id', i.id, 'r2_key', i.r2_key,
                      'alt', i.alt, 'rank', i.rank, 'width', i.width, 'height', i.height)
                      ORDER BY i.rank, i.id)
                   FROM product_images i WHERE i.product_id = p.id), '[]'::jsonb) AS images"
    )
}

fn product_from_row(row: &tokio_postgres::Row) -> Result<Product, ApiError> {
    let status: String = col(row, "status")?;
    Ok(Product {
        id: col(row, "id")?,
        handle: col(row, "handle")?,
        title: col(row, "title")?,
        subtitle: col(row, "subtitle")?,
        description: col(row, "description")?,
        status: ProductStatus::parse(&status)?,
        thumbnail_key: col(row, "thumbnail_key")?,
        collection: json_col::<Option<CollectionRef>>(row, "collection")?,
        categories: json_col(row, "categories")?,
        options: json_col(row, "options")?,
        variants: json_col(row, "variants")?,
        images: json_col(row, "images")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// A page of published products matching `filter`, with prices in `currency`, and the
/// total number matching.
pub async fn list<C: GenericClient + Sync>(
    client: &C,
    store: &StoreId,
    filter: &ProductFilter,
    sort: Option<(ProductSort, Direction)>,
    page: Page,
    currency: Option<CurrencyCode>,
) -> Result<(Vec<Product>, i64), ApiError> {
    let (field, dir) = sort.unwrap_or((ProductSort::CreatedAt, Direction::Desc));
    let sql = format!(
        // The page is chosen with ORDER BY + LIMIT (an index walk, not a sort of every
        // match); the total is one uncorrelated count, evaluated once.
        "WITH page AS MATERIALIZED (
             SELECT p.id FROM products p WHERE {LIST_WHERE}
             ORDER BY {field} {dir}, p.id LIMIT $7 OFFSET $8)
         SELECT (SELECT count(*) FROM products p WHERE {LIST_WHERE}) AS total, {columns}
         FROM page JOIN products p ON p.id = page.id
         ORDER BY {field} {dir}, p.id",
        field = field.sql(),
        dir = dir.sql(),
        columns = product_columns("$9"),
    );
    let ids = id_strs(&filter.ids);
    let handles = id_strs(&filter.handles);
    let categories = id_strs(&filter.category_ids);
    let collections = id_strs(&filter.collection_ids);
    let q = filter
        .q
        .as_ref()
        .filter(|q| !q.is_empty())
        .map(SearchText::like_pattern);
    let currency = currency.map(|c| c.as_str().to_owned());
    let filter_params: [Param<'_>; 6] = [
        (store, Type::TEXT),
        (&ids, Type::TEXT_ARRAY),
        (&handles, Type::TEXT_ARRAY),
        (&categories, Type::TEXT_ARRAY),
        (&collections, Type::TEXT_ARRAY),
        (&q, Type::TEXT),
    ];
    let query = ListQuery {
        sql: &sql,
        from: "products p",
        filter: LIST_WHERE,
        filter_params: &filter_params,
        extra: &[(&currency, Type::TEXT)],
    };
    let (rows, total) = list_page(client, query, page).await?;
    let products = rows
        .iter()
        .map(product_from_row)
        .collect::<Result<_, _>>()?;
    Ok((products, total))
}

/// Which product to read: by id or by handle.
#[derive(Debug, Clone)]
pub enum ProductKey {
    Id(ProductId),
    Handle(Handle),
}

/// One published product of the store with prices in `currency`; drafts and other
/// stores' products are not found.
pub async fn get<C: GenericClient + Sync>(
    client: &C,
    store: &StoreId,
    key: &ProductKey,
    currency: Option<CurrencyCode>,
) -> Result<Product, ApiError> {
    let (column, value, shown) = match key {
        ProductKey::Id(id) => ("p.id", id.as_str(), "id"),
        ProductKey::Handle(h) => ("p.handle", h.as_str(), "handle"),
    };
    let sql = format!(
        "SELECT {columns} FROM products p
         WHERE p.store_id = $1 AND p.status = 'published' AND {column} = $2",
        columns = product_columns("$3"),
    );
    let currency = currency.map(|c| c.as_str().to_owned());
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (&value, Type::TEXT),
        (&currency, Type::TEXT),
    ];
    match first(client.query_typed(&sql, &params).await?) {
        Some(row) => product_from_row(&row),
        None => Err(ApiError::not_found("Product", shown, value)),
    }
}
