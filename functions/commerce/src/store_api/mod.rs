//! The Store API's read endpoints in Medusa v2's shapes: each function parses its
//! parameters into domain types, calls one query, and shapes the JSON. Callers (the
//! edge Worker) only route and respond. Amounts leave as major-unit numbers here and
//! nowhere else.

use std::fmt::Write as _;

use crate::catalog::category::{self, CategoryFilter, CategorySort};
use crate::catalog::collection::{self, CollectionFilter, CollectionSort};
use crate::catalog::product::{self, OptionFilter, ProductFilter, ProductKey, ProductSort};
use crate::db::Sql;
use crate::error::ApiError;
use crate::ids::{CategoryId, CollectionId, IdError, ProductId, RegionId, StoreId};
use crate::money::CurrencyCode;
use crate::params::{parse_order, Direction, Page, QueryParams};
use crate::region::{self, Region, RegionFilter, RegionSort};
use crate::store::Store;
use crate::wire::{to_json, Json, ListPage, Named};

mod fragments;
mod shape;

pub use self::fragments::Fragments;
pub use self::shape::{CategoryShape, CollectionShape, ProductShape, RegionShape};

/// Page size when a list request names no `limit`.
pub const DEFAULT_LIMIT: u32 = 50;

/// Who is asking: the store chosen by the publishable key, and where images live.
#[derive(Debug, Clone)]
pub struct ApiContext<'a> {
    pub store: &'a Store,
    /// The store's regions as the caller last read them (empty if it did not): a
    /// `region_id` found here needs no query; one not found is looked up.
    pub regions: &'a [Region],
    /// Absolute URL prefix of product images, ending in `/`: `https://shop/images/`.
    pub image_base: &'a str,
    /// Products this reader has already written in the API's shape.
    pub fragments: &'a Fragments,
}

impl ApiContext<'_> {
    fn image_url(&self, key: &str) -> String {
        format!("{}{}", self.image_base, key)
    }
}

fn list_body<T: serde::Serialize>(
    name: &'static str,
    items: &[T],
    count: i64,
    page: Page,
) -> Result<Json, ApiError> {
    to_json(&ListPage {
        name,
        items,
        count,
        page,
    })
}

fn path_id<T>(raw: &str, parse: impl Fn(&str) -> Result<T, IdError>) -> Result<T, ApiError> {
    parse(raw).map_err(|e| ApiError::invalid("id", e.to_string()))
}

// ---------------------------------------------------------------- regions

/// `GET /store/regions`
pub async fn list_regions<C: Sql>(
    client: &C,
    ctx: &ApiContext<'_>,
    params: &QueryParams,
) -> Result<Json, ApiError> {
    params.only(&["limit", "offset", "order", "q", "id", "currency_code"])?;
    let page = Page::parse(params, DEFAULT_LIMIT)?;
    let sort = parse_order(params, RegionSort::FIELDS)?;
    let filter = RegionFilter {
        ids: params.ids("id", RegionId::parse)?,
        currency: params.currency()?,
        q: params.search()?,
    };
    let (regions, count) = region::list(client, &ctx.store.id, &filter, sort, page).await?;
    let items: Vec<_> = regions.iter().map(RegionShape::of).collect();
    list_body("regions", &items, count, page)
}

/// `GET /store/regions/:id`
pub async fn get_region<C: Sql>(
    client: &C,
    ctx: &ApiContext<'_>,
    id: &str,
    params: &QueryParams,
) -> Result<Json, ApiError> {
    params.only(&[])?;
    let id = path_id(id, RegionId::parse)?;
    let region = region::get(client, &ctx.store.id, &id).await?;
    to_json(&Named("region", &RegionShape::of(&region)))
}

// ---------------------------------------------------------------- products

/// The pricing context of a product request: a region (currency and tax) or a bare
/// currency. Without either, variants carry no calculated price.
#[derive(Debug, Clone)]
pub enum Pricing {
    None,
    Currency(CurrencyCode),
    Region(Region),
}

impl Pricing {
    async fn parse<C: Sql>(
        client: &C,
        ctx: &ApiContext<'_>,
        params: &QueryParams,
    ) -> Result<Self, ApiError> {
        let region = params.id("region_id", RegionId::parse)?;
        let currency = params.currency()?;
        Pricing::resolve(client, &ctx.store.id, ctx.regions, region, currency).await
    }

    /// The region's pricing (`regions`, the caller's copy of the store's regions, saves
    /// its read), else the currency's, else none. A region of another store is invalid.
    pub async fn resolve<C: Sql>(
        client: &C,
        store: &StoreId,
        regions: &[Region],
        region: Option<RegionId>,
        currency: Option<CurrencyCode>,
    ) -> Result<Self, ApiError> {
        if let Some(id) = region {
            if let Some(known) = regions.iter().find(|r| r.id == id) {
                return Ok(Pricing::Region(known.clone()));
            }
            return match region::get(client, store, &id).await {
                Ok(region) => Ok(Pricing::Region(region)),
                Err(ApiError::NotFound { .. }) => Err(ApiError::invalid(
                    "region_id",
                    format!("no region {id} in this store"),
                )),
                Err(e) => Err(e),
            };
        }
        Ok(currency.map_or(Pricing::None, Pricing::Currency))
    }

    pub fn currency(&self) -> Option<CurrencyCode> {
        match self {
            Pricing::None => None,
            Pricing::Currency(c) => Some(*c),
            Pricing::Region(r) => Some(r.currency),
        }
    }

    /// Everything of the pricing a written product depends on.
    fn key(&self) -> String {
        match self {
            Pricing::None => String::new(),
            Pricing::Currency(c) => c.as_str().to_owned(),
            Pricing::Region(r) => format!(
                "{}/{}/{}/{}",
                r.id,
                r.currency.as_str(),
                r.tax_rate.basis_points(),
                r.tax_inclusive
            ),
        }
    }
}

/// What `GET /store/products` asks for.
struct ProductListing {
    page: Page,
    sort: Option<(ProductSort, Direction)>,
    filter: ProductFilter,
}

impl ProductListing {
    fn parse(params: &QueryParams) -> Result<Self, ApiError> {
        params.only(&[
            "limit",
            "offset",
            "order",
            "q",
            "id",
            "handle",
            "category_id",
            "collection_id",
            "attributes",
            "region_id",
            "currency_code",
        ])?;
        Ok(ProductListing {
            page: Page::parse(params, DEFAULT_LIMIT)?,
            sort: parse_order(params, ProductSort::FIELDS)?,
            filter: ProductFilter {
                ids: params.ids("id", ProductId::parse)?,
                handles: params.handles("handle")?,
                category_ids: params.ids("category_id", CategoryId::parse)?,
                collection_ids: params.ids("collection_id", CollectionId::parse)?,
                q: params.search()?,
                attributes: attribute_filters(params)?,
                ..ProductFilter::default()
            },
        })
    }
}

/// `attributes[<key>]=<value>`, repeated: values of one key are alternatives.
fn attribute_filters(params: &QueryParams) -> Result<Vec<OptionFilter>, ApiError> {
    let mut filters: Vec<OptionFilter> = Vec::new();
    for (key, value) in params.keyed("attributes")? {
        if key.len() > 40 || value.chars().count() > 100 {
            return Err(ApiError::invalid(
                "attributes",
                "keys up to 40 characters, values up to 100",
            ));
        }
        match filters.iter_mut().find(|f| f.name == key) {
            Some(f) => f.values.push(value.to_owned()),
            None => filters.push(OptionFilter {
                name: key.to_owned(),
                values: vec![value.to_owned()],
            }),
        }
    }
    Ok(filters)
}

/// What `GET /store/search/suggestions` answers.
#[derive(serde::Serialize)]
struct SuggestionsBody<'a> {
    q: &'a str,
    products: Vec<crate::search::repo::ProductSuggestion>,
    product_categories: Vec<crate::search::repo::CategorySuggestion>,
}

/// Most suggestions of each kind.
const SUGGESTIONS: i64 = 6;

/// `GET /store/search/suggestions?q=`: products and categories to offer while a
/// shopper types (`q` empty: none).
pub async fn search_suggestions<C: Sql>(
    client: &C,
    ctx: &ApiContext<'_>,
    params: &QueryParams,
) -> Result<Json, ApiError> {
    params.only(&["q"])?;
    let q = params.search()?.filter(|q| !q.is_empty());
    let (products, product_categories) = match &q {
        Some(q) => crate::search::repo::suggest(client, &ctx.store.id, q, SUGGESTIONS).await?,
        None => (Vec::new(), Vec::new()),
    };
    to_json(&SuggestionsBody {
        q: q.as_ref().map_or("", |q| q.as_str()),
        products,
        product_categories,
    })
}

/// `GET /store/products`
pub async fn list_products<C: Sql>(
    client: &C,
    ctx: &ApiContext<'_>,
    params: &QueryParams,
) -> Result<JsonText, ApiError> {
    let ProductListing { page, sort, filter } = ProductListing::parse(params)?;
    let pricing = Pricing::parse(client, ctx, params).await?;
    let currency = pricing.currency();
    let (refs, count) =
        product::list_refs(client, &ctx.store.id, &filter, sort, page, currency).await?;
    let products = ctx.fragments.of(client, ctx, refs, &pricing).await?;
    // `ListPage`'s shape, written around the products' kept text.
    let mut body = String::with_capacity(products.iter().map(|(_, f)| f.len() + 8).sum());
    body.push_str("{\"products\":[");
    for (i, (r, fragment)) in products.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        fragment.write_with_stock(&r.stock, &mut body);
    }
    let _ = write!(
        body,
        "],\"count\":{count},\"offset\":{},\"limit\":{}}}",
        page.offset, page.limit
    );
    Ok(JsonText(body))
}

/// `GET /store/products` as it was written before products were kept written
/// ([`Fragments`]): every product parsed, shaped and serialized. The tests compare the
/// two.
pub async fn list_products_afresh<C: Sql>(
    client: &C,
    ctx: &ApiContext<'_>,
    params: &QueryParams,
) -> Result<Json, ApiError> {
    let ProductListing { page, sort, filter } = ProductListing::parse(params)?;
    let pricing = Pricing::parse(client, ctx, params).await?;
    let (products, count) = product::list(
        client,
        &ctx.store.id,
        &filter,
        sort,
        page,
        pricing.currency(),
    )
    .await?;
    let items: Vec<_> = products
        .iter()
        .map(|p| ProductShape::of(ctx, p, &pricing))
        .collect();
    list_body("products", &items, count, page)
}

/// `GET /store/products/:id`
pub async fn get_product<C: Sql>(
    client: &C,
    ctx: &ApiContext<'_>,
    id: &str,
    params: &QueryParams,
) -> Result<JsonText, ApiError> {
    params.only(&["region_id", "currency_code"])?;
    let key = ProductKey::Id(path_id(id, ProductId::parse)?);
    let pricing = Pricing::parse(client, ctx, params).await?;
    let found = product::get_ref(client, &ctx.store.id, &key).await?;
    let written = ctx.fragments.of(client, ctx, vec![found], &pricing).await?;
    let Some((r, fragment)) = written.first() else {
        return Err(ApiError::not_found("Product", "id", id));
    };
    // `Named`'s shape around the product's kept text.
    let mut body = String::with_capacity(fragment.len() + 16);
    body.push_str("{\"product\":");
    fragment.write_with_stock(&r.stock, &mut body);
    body.push('}');
    Ok(JsonText(body))
}

/// A response body written from pieces that are JSON (kept products between the
/// brackets and keys of their envelope), not parsed again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(String);

impl JsonText {
    pub fn get(&self) -> &str {
        &self.0
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0.into_bytes()
    }
}

// ---------------------------------------------------------------- categories

/// `GET /store/product-categories`
pub async fn list_categories<C: Sql>(
    client: &C,
    ctx: &ApiContext<'_>,
    params: &QueryParams,
) -> Result<Json, ApiError> {
    params.only(&[
        "limit",
        "offset",
        "order",
        "q",
        "id",
        "handle",
        "parent_category_id",
    ])?;
    let page = Page::parse(params, DEFAULT_LIMIT)?;
    let sort = parse_order(params, CategorySort::FIELDS)?;
    let parent = match params.single("parent_category_id")? {
        None => None,
        Some("null") | Some("") => Some(None),
        Some(raw) => {
            Some(Some(CategoryId::parse(raw).map_err(|e| {
                ApiError::invalid("parent_category_id", e.to_string())
            })?))
        }
    };
    let filter = CategoryFilter {
        ids: params.ids("id", CategoryId::parse)?,
        handles: params.handles("handle")?,
        parent,
        q: params.search()?,
    };
    let (categories, count) = category::list(client, &ctx.store.id, &filter, sort, page).await?;
    let items: Vec<_> = categories.iter().map(CategoryShape::of).collect();
    list_body("product_categories", &items, count, page)
}

/// `GET /store/product-categories/:id`
pub async fn get_category<C: Sql>(
    client: &C,
    ctx: &ApiContext<'_>,
    id: &str,
    params: &QueryParams,
) -> Result<Json, ApiError> {
    params.only(&[])?;
    let id = path_id(id, CategoryId::parse)?;
    let c = category::get(client, &ctx.store.id, &id).await?;
    to_json(&Named("product_category", &CategoryShape::of(&c)))
}

// ---------------------------------------------------------------- collections

/// `GET /store/collections`
pub async fn list_collections<C: Sql>(
    client: &C,
    ctx: &ApiContext<'_>,
    params: &QueryParams,
) -> Result<Json, ApiError> {
    params.only(&["limit", "offset", "order", "q", "id", "handle"])?;
    let page = Page::parse(params, DEFAULT_LIMIT)?;
    let sort = parse_order(params, CollectionSort::FIELDS)?;
    let filter = CollectionFilter {
        ids: params.ids("id", CollectionId::parse)?,
        handles: params.handles("handle")?,
        q: params.search()?,
        featured: None,
    };
    let (collections, count) = collection::list(client, &ctx.store.id, &filter, sort, page).await?;
    let items: Vec<_> = collections.iter().map(CollectionShape::of).collect();
    list_body("collections", &items, count, page)
}

/// `GET /store/collections/:id`
pub async fn get_collection<C: Sql>(
    client: &C,
    ctx: &ApiContext<'_>,
    id: &str,
    params: &QueryParams,
) -> Result<Json, ApiError> {
    params.only(&[])?;
    let id = path_id(id, CollectionId::parse)?;
    let c = collection::get(client, &ctx.store.id, &id).await?;
    to_json(&Named("collection", &CollectionShape::of(&c)))
}
