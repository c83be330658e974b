//! The Store API's read endpoints in Medusa v2's shapes: each function parses its
//! parameters into domain types, calls one query, and shapes the JSON. Callers (the
//! edge Worker) only route and respond. Amounts leave as major-unit numbers here and
//! nowhere else.

use serde_json::{json, Value};
use tokio_postgres::GenericClient;

use crate::catalog::category::{self, Category, CategoryFilter, CategoryLink, CategorySort};
use crate::catalog::collection::{self, Collection, CollectionFilter, CollectionSort};
use crate::catalog::product::{
    self, ImageRow, OptionValueRow, Product, ProductFilter, ProductKey, ProductSort, VariantRow,
};
use crate::error::ApiError;
use crate::ids::{CategoryId, CollectionId, IdError, ProductId, RegionId};
use crate::money::{apply_tax, CurrencyCode, Money};
use crate::params::{parse_order, Page, QueryParams};
use crate::region::{self, Region, RegionFilter, RegionSort};
use crate::store::Store;

/// Page size when a list request names no `limit`.
pub const DEFAULT_LIMIT: u32 = 50;

/// Who is asking: the store chosen by the publishable key, and where images live.
#[derive(Debug, Clone)]
pub struct ApiContext<'a> {
    pub store: &'a Store,
    /// Absolute URL prefix of product images, ending in `/`: `https://shop/images/`.
    pub image_base: &'a str,
}

impl ApiContext<'_> {
    fn image_url(&self, key: &str) -> String {
        format!("{}{}", self.image_base, key)
    }
}

fn list_body(name: &str, items: Vec<Value>, count: i64, page: Page) -> Value {
    json!({ name: items, "count": count, "offset": page.offset, "limit": page.limit })
}

fn path_id<T>(raw: &str, parse: impl Fn(&str) -> Result<T, IdError>) -> Result<T, ApiError> {
    parse(raw).map_err(|e| ApiError::invalid("id", e.to_string()))
}

// ---------------------------------------------------------------- regions

/// A region in the Store API's shape (also inside carts).
pub(crate) fn region_json(r: &Region) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "currency_code": r.currency,
        "automatic_taxes": true,
        "is_tax_inclusive": r.tax_inclusive,
        "tax_rate": f64::from(r.tax_rate.basis_points()) / 100.0,
        "countries": r.countries.iter().map(|c| json!({
            "iso_2": c.iso_2, "iso_3": c.iso_3, "num_code": c.num_code,
            "name": c.name, "display_name": c.display_name,
        })).collect::<Vec<_>>(),
        "metadata": null,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "deleted_at": null,
    })
}

/// `GET /store/regions`
pub async fn list_regions<C: GenericClient + Sync>(
    client: &C,
    ctx: &ApiContext<'_>,
    params: &QueryParams,
) -> Result<Value, ApiError> {
    params.only(&["limit", "offset", "order", "q", "id", "currency_code"])?;
    let page = Page::parse(params, DEFAULT_LIMIT)?;
    let sort = parse_order(params, RegionSort::FIELDS)?;
    let filter = RegionFilter {
        ids: params.ids("id", RegionId::parse)?,
        currency: params.currency()?,
        q: params.search()?,
    };
    let (regions, count) = region::list(client, &ctx.store.id, &filter, sort, page).await?;
    Ok(list_body(
        "regions",
        regions.iter().map(region_json).collect(),
        count,
        page,
    ))
}

/// `GET /store/regions/:id`
pub async fn get_region<C: GenericClient + Sync>(
    client: &C,
    ctx: &ApiContext<'_>,
    id: &str,
    params: &QueryParams,
) -> Result<Value, ApiError> {
    params.only(&[])?;
    let id = path_id(id, RegionId::parse)?;
    let region = region::get(client, &ctx.store.id, &id).await?;
    Ok(json!({ "region": region_json(&region) }))
}

// ---------------------------------------------------------------- products

/// The pricing context of a product request: a region (currency and tax) or a bare
/// currency. Without either, variants carry no calculated price.
enum Pricing {
    None,
    Currency(CurrencyCode),
    Region(Region),
}

impl Pricing {
    async fn parse<C: GenericClient + Sync>(
        client: &C,
        ctx: &ApiContext<'_>,
        params: &QueryParams,
    ) -> Result<Self, ApiError> {
        if let Some(id) = params.id("region_id", RegionId::parse)? {
            return match region::get(client, &ctx.store.id, &id).await {
                Ok(region) => Ok(Pricing::Region(region)),
                Err(ApiError::NotFound { .. }) => Err(ApiError::invalid(
                    "region_id",
                    format!("no region {id} in this store"),
                )),
                Err(e) => Err(e),
            };
        }
        Ok(params.currency()?.map_or(Pricing::None, Pricing::Currency))
    }

    fn currency(&self) -> Option<CurrencyCode> {
        match self {
            Pricing::None => None,
            Pricing::Currency(c) => Some(*c),
            Pricing::Region(r) => Some(r.currency),
        }
    }
}

fn calculated_price(v: &VariantRow, pricing: &Pricing) -> Value {
    let (Some(currency), Some(price)) = (pricing.currency(), v.price.as_ref()) else {
        return Value::Null;
    };
    let amount = Money::new(price.amount, currency);
    let price_ref = json!({
        "id": price.id, "price_list_id": null, "price_list_type": null,
        "min_quantity": null, "max_quantity": null,
    });
    let mut out = json!({
        "id": price.id,
        "currency_code": currency,
        "is_calculated_price_price_list": false,
        "is_calculated_price_tax_inclusive": false,
        "calculated_amount": amount.to_major_number(),
        "is_original_price_price_list": false,
        "is_original_price_tax_inclusive": false,
        "original_amount": amount.to_major_number(),
        "calculated_price": price_ref.clone(),
        "original_price": price_ref,
    });
    if let Pricing::Region(region) = pricing {
        if let Ok(taxed) = apply_tax(amount, region.tax_rate, region.tax_inclusive) {
            let fields = [
                (
                    "is_calculated_price_tax_inclusive",
                    json!(region.tax_inclusive),
                ),
                (
                    "is_original_price_tax_inclusive",
                    json!(region.tax_inclusive),
                ),
                (
                    "calculated_amount_with_tax",
                    json!(taxed.gross.to_major_number()),
                ),
                (
                    "calculated_amount_without_tax",
                    json!(taxed.net.to_major_number()),
                ),
                (
                    "original_amount_with_tax",
                    json!(taxed.gross.to_major_number()),
                ),
                (
                    "original_amount_without_tax",
                    json!(taxed.net.to_major_number()),
                ),
            ];
            for (k, val) in fields {
                out[k] = val;
            }
        }
    }
    out
}

fn option_value_json(v: &OptionValueRow, option_title: Option<&str>) -> Value {
    let mut out = json!({ "id": v.id, "value": v.value, "option_id": v.option_id });
    if let Some(title) = option_title {
        out["option"] = json!({ "id": v.option_id, "title": title });
    }
    out
}

fn image_json(ctx: &ApiContext<'_>, i: &ImageRow) -> Value {
    json!({
        "id": i.id,
        "url": ctx.image_url(&i.r2_key),
        "rank": i.rank,
        "metadata": { "alt": i.alt, "width": i.width, "height": i.height },
    })
}

fn category_ref_json(c: &product::CategoryRef) -> Value {
    json!({ "id": c.id, "name": c.name, "handle": c.handle, "parent_category_id": c.parent_category_id })
}

fn product_json(ctx: &ApiContext<'_>, p: &Product, pricing: &Pricing) -> Value {
    let option_title = |id: &crate::ids::OptionId| {
        p.options
            .iter()
            .find(|o| &o.id == id)
            .map(|o| o.title.as_str())
    };
    let variants: Vec<Value> = p
        .variants
        .iter()
        .map(|v| {
            json!({
                "id": v.id,
                "title": v.title,
                "sku": v.sku,
                "barcode": null, "ean": null, "upc": null,
                "allow_backorder": v.allow_backorder,
                "manage_inventory": v.manage_inventory,
                "inventory_quantity": v.inventory_quantity.max(0),
                "weight": v.weight_g,
                "length": null, "height": null, "width": null,
                "hs_code": null, "origin_country": null, "mid_code": null, "material": null,
                "variant_rank": v.rank,
                "product_id": p.id,
                "options": v.options.iter()
                    .map(|o| option_value_json(o, option_title(&o.option_id)))
                    .collect::<Vec<_>>(),
                "calculated_price": calculated_price(v, pricing),
                "metadata": null,
                "created_at": v.created_at,
                "updated_at": v.updated_at,
                "deleted_at": null,
            })
        })
        .collect();
    json!({
        "id": p.id,
        "title": p.title,
        "subtitle": p.subtitle,
        "description": p.description,
        "handle": p.handle,
        "status": p.status.as_str(),
        "is_giftcard": false,
        "discountable": true,
        "thumbnail": p.thumbnail_key.as_deref().map(|k| ctx.image_url(k)),
        "collection_id": p.collection.as_ref().map(|c| &c.id),
        "collection": p.collection.as_ref().map(|c| json!({ "id": c.id, "title": c.title, "handle": c.handle })),
        "type_id": null, "type": null, "tags": [],
        "categories": p.categories.iter().map(category_ref_json).collect::<Vec<_>>(),
        "options": p.options.iter().map(|o| json!({
            "id": o.id,
            "title": o.title,
            "product_id": p.id,
            "values": o.values.iter().map(|v| option_value_json(v, None)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "variants": variants,
        "images": p.images.iter().map(|i| image_json(ctx, i)).collect::<Vec<_>>(),
        "weight": null, "length": null, "height": null, "width": null,
        "hs_code": null, "origin_country": null, "mid_code": null, "material": null,
        "external_id": null,
        "metadata": null,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "deleted_at": null,
    })
}

/// `GET /store/products`
pub async fn list_products<C: GenericClient + Sync>(
    client: &C,
    ctx: &ApiContext<'_>,
    params: &QueryParams,
) -> Result<Value, ApiError> {
    params.only(&[
        "limit",
        "offset",
        "order",
        "q",
        "id",
        "handle",
        "category_id",
        "collection_id",
        "region_id",
        "currency_code",
    ])?;
    let page = Page::parse(params, DEFAULT_LIMIT)?;
    let sort = parse_order(params, ProductSort::FIELDS)?;
    let filter = ProductFilter {
        ids: params.ids("id", ProductId::parse)?,
        handles: params.handles("handle")?,
        category_ids: params.ids("category_id", CategoryId::parse)?,
        collection_ids: params.ids("collection_id", CollectionId::parse)?,
        q: params.search()?,
        ..ProductFilter::default()
    };
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
    let items = products
        .iter()
        .map(|p| product_json(ctx, p, &pricing))
        .collect();
    Ok(list_body("products", items, count, page))
}

/// `GET /store/products/:id`
pub async fn get_product<C: GenericClient + Sync>(
    client: &C,
    ctx: &ApiContext<'_>,
    id: &str,
    params: &QueryParams,
) -> Result<Value, ApiError> {
    params.only(&["region_id", "currency_code"])?;
    let key = ProductKey::Id(path_id(id, ProductId::parse)?);
    let pricing = Pricing::parse(client, ctx, params).await?;
    let product = product::get(client, &ctx.store.id, &key, pricing.currency()).await?;
    Ok(json!({ "product": product_json(ctx, &product, &pricing) }))
}

// ---------------------------------------------------------------- categories

fn link_json(l: &CategoryLink) -> Value {
    json!({ "id": l.id, "name": l.name, "handle": l.handle })
}

fn category_json(c: &Category) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "description": c.description,
        "handle": c.handle,
        "rank": c.rank,
        "parent_category_id": c.parent.as_ref().map(|p| &p.id),
        "parent_category": c.parent.as_ref().map(link_json),
        "category_children": c.children.iter().map(link_json).collect::<Vec<_>>(),
        "metadata": null,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "deleted_at": null,
    })
}

/// `GET /store/product-categories`
pub async fn list_categories<C: GenericClient + Sync>(
    client: &C,
    ctx: &ApiContext<'_>,
    params: &QueryParams,
) -> Result<Value, ApiError> {
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
    Ok(list_body(
        "product_categories",
        categories.iter().map(category_json).collect(),
        count,
        page,
    ))
}

/// `GET /store/product-categories/:id`
pub async fn get_category<C: GenericClient + Sync>(
    client: &C,
    ctx: &ApiContext<'_>,
    id: &str,
    params: &QueryParams,
) -> Result<Value, ApiError> {
    params.only(&[])?;
    let id = path_id(id, CategoryId::parse)?;
    let c = category::get(client, &ctx.store.id, &id).await?;
    Ok(json!({ "product_category": category_json(&c) }))
}

// ---------------------------------------------------------------- collections

fn collection_json(c: &Collection) -> Value {
    json!({
        "id": c.id,
        "title": c.title,
        "handle": c.handle,
        "metadata": { "featured": c.featured },
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "deleted_at": null,
    })
}

/// `GET /store/collections`
pub async fn list_collections<C: GenericClient + Sync>(
    client: &C,
    ctx: &ApiContext<'_>,
    params: &QueryParams,
) -> Result<Value, ApiError> {
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
    Ok(list_body(
        "collections",
        collections.iter().map(collection_json).collect(),
        count,
        page,
    ))
}

/// `GET /store/collections/:id`
pub async fn get_collection<C: GenericClient + Sync>(
    client: &C,
    ctx: &ApiContext<'_>,
    id: &str,
    params: &QueryParams,
) -> Result<Value, ApiError> {
    params.only(&[])?;
    let id = path_id(id, CollectionId::parse)?;
    let c = collection::get(client, &ctx.store.id, &id).await?;
    Ok(json!({ "collection": collection_json(&c) }))
}
