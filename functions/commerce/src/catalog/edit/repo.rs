//! The SQL of products as staff write them: one product with its variants' stock, the
//! list, and create and update, each one statement plus its event.

use serde_json::json;
use tokio_postgres::types::Type;
use tokio_postgres::Row;

use super::{ProductFields, ProductStatus};
use crate::db::{col, list_page, ListQuery, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{CollectionId, ImageId, OptionId, OptionValueId, ProductId, StoreId, VariantId};
use crate::money::CurrencyCode;
use crate::outbox::{self, Topic};
use crate::params::{Page, SearchText};

/// A variant as the product's admin page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminVariant {
    pub id: VariantId,
    pub title: String,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    pub weight_g: Option<i32>,
    /// Over every location.
    pub stocked: i64,
    pub reserved: i64,
    /// Minor units by currency, in code order.
    pub prices: Vec<(CurrencyCode, i64)>,
    /// Its value of each of the product's options, in the options' order.
    pub options: Vec<VariantOptionValue>,
}

/// One option value of a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantOptionValue {
    pub option_id: OptionId,
    pub value_id: OptionValueId,
    pub value: String,
}

/// An image of a product, in its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminImage {
    pub id: ImageId,
    pub key: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
}

/// An option of a product (Size, Colour) with its values in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminOption {
    pub id: OptionId,
    pub title: String,
    pub values: Vec<(OptionValueId, String)>,
}

/// A product as staff see it, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminProduct {
    pub id: ProductId,
    pub title: String,
    pub handle: String,
    pub subtitle: Option<String>,
    pub description: String,
    /// Rich text ([`crate::catalog::rich_text`]); empty when there is none.
    pub educational_content: String,
    pub status: ProductStatus,
    pub thumbnail_key: Option<String>,
    pub collection_id: Option<CollectionId>,
    pub created_at: String,
    pub updated_at: String,
    pub variant_count: i64,
    /// Empty in lists.
    pub options: Vec<AdminOption>,
    /// Empty in lists.
    pub images: Vec<AdminImage>,
    /// Empty in lists.
    pub variants: Vec<AdminVariant>,
    /// Its attribute values by key (see [`crate::catalog::attribute`]).
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

const COLUMNS: &str = "p.id, p.title, p.handle, p.subtitle, p.description, p.educational_content, p.status,
    p.thumbnail_key, p.collection_id, p.attributes, api_ts(p.created_at) AS created_at, api_ts(p.updated_at) AS updated_at,
    (SELECT count(*) FROM product_variants v WHERE v.product_id = p.id) AS variant_count";

fn product_from_row(row: &Row) -> Result<AdminProduct, ApiError> {
    let status: String = col(row, "status")?;
    Ok(AdminProduct {
        id: col(row, "id")?,
        title: col(row, "title")?,
        handle: col(row, "handle")?,
        subtitle: col(row, "subtitle")?,
        description: col(row, "description")?,
        educational_content: col(row, "educational_content")?,
        status: ProductStatus::stored(&status)?,
        thumbnail_key: col(row, "thumbnail_key")?,
        collection_id: col(row, "collection_id")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
        variant_count: col(row, "variant_count")?,
        options: Vec::new(),
        images: Vec::new(),
        variants: Vec::new(),
        attributes: crate::db::json_col(row, "attributes")?,
    })
}

/// The store's product `id` with its variants and their stock.
pub async fn one<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &ProductId,
) -> Result<AdminProduct, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let rows = client
        .query_typed(
            &format!("SELECT {COLUMNS} FROM products p WHERE p.store_id = $1 AND p.id = $2"),
            &params,
        )
        .await?;
    let Some(row) = rows.first() else {
        return Err(ApiError::not_found("Product", "id", id.as_str()));
    };
    let mut product = product_from_row(row)?;
    product.options = options(client, &params).await?;
    let images = client
        .query_typed(
            "SELECT id, r2_key, alt, width, height FROM product_images
             WHERE store_id = $1 AND product_id = $2 ORDER BY rank, id",
            &params,
        )
        .await?;
    product.images = images
        .iter()
        .map(|row| {
            Ok(AdminImage {
                id: col(row, "id")?,
                key: col(row, "r2_key")?,
                alt: col(row, "alt")?,
                width: col(row, "width")?,
                height: col(row, "height")?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let variants = client
        .query_typed(
            "SELECT v.id, v.title, v.sku, v.barcode, v.manage_inventory, v.allow_backorder,
                    v.weight_g, coalesce(sum(il.stocked), 0)::int8 AS stocked,
                    coalesce(sum(il.reserved), 0)::int8 AS reserved
             FROM product_variants v LEFT JOIN inventory_levels il ON il.variant_id = v.id
             WHERE v.store_id = $1 AND v.product_id = $2
             GROUP BY v.id ORDER BY v.rank, v.id",
            &params,
        )
        .await?;
    product.variants = variants
        .iter()
        .map(|row| {
            Ok(AdminVariant {
                id: col(row, "id")?,
                title: col(row, "title")?,
                sku: col(row, "sku")?,
                barcode: col(row, "barcode")?,
                manage_inventory: col(row, "manage_inventory")?,
                allow_backorder: col(row, "allow_backorder")?,
                weight_g: col(row, "weight_g")?,
                stocked: col(row, "stocked")?,
                reserved: col(row, "reserved")?,
                prices: Vec::new(),
                options: Vec::new(),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let prices = client
        .query_typed(
            "SELECT vp.variant_id, vp.currency_code, vp.amount
             FROM variant_prices vp JOIN product_variants v ON v.id = vp.variant_id
             WHERE v.store_id = $1 AND v.product_id = $2 ORDER BY vp.currency_code",
            &params,
        )
        .await?;
    for row in &prices {
        let variant: VariantId = col(row, "variant_id")?;
        let code: String = col(row, "currency_code")?;
        let code = CurrencyCode::parse(&code).map_err(|e| ApiError::internal(e.to_string()))?;
        if let Some(v) = product.variants.iter_mut().find(|v| v.id == variant) {
            v.prices.push((code, col(row, "amount")?));
        }
    }
    let values = client
        .query_typed(
            "SELECT vov.variant_id, ov.option_id, ov.id AS value_id, ov.value
             FROM product_variants v
             JOIN product_variant_option_values vov ON vov.variant_id = v.id
             JOIN product_option_values ov ON ov.id = vov.option_value_id
             JOIN product_options o ON o.id = ov.option_id
             WHERE v.store_id = $1 AND v.product_id = $2 ORDER BY o.rank, o.id",
            &params,
        )
        .await?;
    for row in &values {
        let variant: VariantId = col(row, "variant_id")?;
        if let Some(v) = product.variants.iter_mut().find(|v| v.id == variant) {
            v.options.push(VariantOptionValue {
                option_id: col(row, "option_id")?,
                value_id: col(row, "value_id")?,
                value: col(row, "value")?,
            });
        }
    }
    Ok(product)
}

/// The options of the product `params` name (store, product), with their values.
pub(super) async fn options<C: Sql>(
    client: &C,
    params: &[Param<'_>],
) -> Result<Vec<AdminOption>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT o.id, o.title, ov.id AS value_id, ov.value
             FROM product_options o LEFT JOIN product_option_values ov ON ov.option_id = o.id
             WHERE o.store_id = $1 AND o.product_id = $2
             ORDER BY o.rank, o.id, ov.rank, ov.id",
            params,
        )
        .await?;
    let mut options: Vec<AdminOption> = Vec::new();
    for row in &rows {
        let id: OptionId = col(row, "id")?;
        if options.last().is_none_or(|o| o.id != id) {
            options.push(AdminOption {
                id,
                title: col(row, "title")?,
                values: Vec::new(),
            });
        }
        let value: Option<OptionValueId> = col(row, "value_id")?;
        if let (Some(value), Some(option)) = (value, options.last_mut()) {
            option.values.push((value, col(row, "value")?));
        }
    }
    Ok(options)
}

/// Which products the admin list shows; absent fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct AdminProductFilter {
    /// Text in the title, subtitle or handle.
    pub q: Option<SearchText>,
    /// One status; without it every product but the archived ones.
    pub status: Option<ProductStatus>,
}

/// The store's products matching `filter`, newest changes first.
pub async fn list<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &AdminProductFilter,
    page: Page,
) -> Result<(Vec<AdminProduct>, i64), ApiError> {
    const WHERE: &str = "p.store_id = $1 AND ($2::text IS NULL OR p.search_text LIKE $2)
        AND (p.status = $3 OR $3::text IS NULL AND p.status <> 'archived')";
    let sql = format!(
        "SELECT {COLUMNS}, (SELECT count(*) FROM products p WHERE {WHERE}) AS total
         FROM products p WHERE {WHERE}
         ORDER BY p.updated_at DESC, p.id LIMIT $4 OFFSET $5"
    );
    let count = format!("SELECT count(*) AS total FROM products p WHERE {WHERE}");
    let pattern = filter.q.as_ref().map(SearchText::like_pattern);
    let status = filter.status.map(ProductStatus::as_str);
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (&pattern, Type::TEXT),
        (&status, Type::TEXT),
    ];
    let (rows, total) = list_page(
        client,
        ListQuery {
            sql: &sql,
            count: &count,
            filter_params: &params,
            extra: &[],
        },
        page,
    )
    .await?;
    let products = rows
        .iter()
        .map(product_from_row)
        .collect::<Result<_, _>>()?;
    Ok((products, total))
}

/// Shoppers cannot buy a product without a variant: it waits as a draft.
fn no_variants() -> ApiError {
    ApiError::invalid(
        "status",
        "A product is published once it has a variant to sell; save it as a draft until then.",
    )
}

fn handle_taken(handle: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::DuplicateHandle,
        format!("The handle {handle} is taken by another product of this store; choose another."),
    )
}

/// A new product of `store` with `fields`, and its `product.created` event.
pub async fn create<C: Sql>(
    client: &C,
    store: &StoreId,
    fields: &ProductFields,
    trace_id: Option<&str>,
) -> Result<ProductId, ApiError> {
    if fields.status == ProductStatus::Published {
        return Err(no_variants());
    }
    let id = ProductId::generate();
    let handle = fields.handle.as_str();
    let status = fields.status.as_str();
    let params: [Param<'_>; 8] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (&handle, Type::TEXT),
        (&fields.title, Type::TEXT),
        (&fields.subtitle, Type::TEXT),
        (&fields.description, Type::TEXT),
        (&status, Type::TEXT),
        (&fields.educational_content, Type::TEXT),
    ];
    let made = client
        .execute_typed(
            "INSERT INTO products (id, store_id, handle, title, subtitle, description, status,
                                   educational_content)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (store_id, handle) DO NOTHING",
            &params,
        )
        .await?;
    if made == 0 {
        return Err(handle_taken(handle));
    }
    let payload = crate::events::value(&crate::events::ProductCreated {
        product_id: id.to_string(),
        handle: handle.to_owned(),
        title: fields.title.clone(),
        status: status.to_owned(),
    });
    outbox::enqueue(client, store, Topic::ProductCreated, payload, trace_id).await?;
    Ok(id)
}

/// Changes product `id`'s own fields to `fields`; answers the product before, and sends
/// `product.updated` with the fields that changed (none changed: no event).
pub async fn update<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &ProductId,
    fields: &ProductFields,
    trace_id: Option<&str>,
) -> Result<AdminProduct, ApiError> {
    let before = one(client, store, id).await?;
    if fields.status == ProductStatus::Published && before.variant_count == 0 {
        return Err(no_variants());
    }
    let handle = fields.handle.as_str();
    let status = fields.status.as_str();
    let params: [Param<'_>; 8] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&handle, Type::TEXT),
        (&fields.title, Type::TEXT),
        (&fields.subtitle, Type::TEXT),
        (&fields.description, Type::TEXT),
        (&status, Type::TEXT),
        (&fields.educational_content, Type::TEXT),
    ];
    let changed = client
        .execute_typed(
            "UPDATE products SET handle = $3, title = $4, subtitle = $5, description = $6,
                    status = $7, educational_content = $8, updated_at = now()
             WHERE store_id = $1 AND id = $2
               AND NOT EXISTS (SELECT 1 FROM products o
                               WHERE o.store_id = $1 AND o.handle = $3 AND o.id <> $2)
               AND (handle, title, coalesce(subtitle, ''), description, status, educational_content)
                   IS DISTINCT FROM ($3, $4, coalesce($5, ''), $6, $7, $8)",
            &params,
        )
        .await?;
    let same = before.handle == handle
        && before.title == fields.title
        && before.subtitle == fields.subtitle
        && before.description == fields.description
        && before.educational_content == fields.educational_content
        && before.status == fields.status;
    if changed == 0 && !same {
        return Err(handle_taken(handle));
    }
    if changed > 0 {
        let mut changes = serde_json::Map::new();
        let mut note = |name: &str, was: serde_json::Value, now: serde_json::Value| {
            if was != now {
                changes.insert(name.to_owned(), json!([was, now]));
            }
        };
        note("handle", json!(before.handle), json!(handle));
        note("title", json!(before.title), json!(fields.title));
        note("subtitle", json!(before.subtitle), json!(fields.subtitle));
        note(
            "description",
            json!(before.description.len()),
            json!(fields.description.len()),
        );
        note(
            "educational_content",
            json!(before.educational_content.len()),
            json!(fields.educational_content.len()),
        );
        note("status", json!(before.status.as_str()), json!(status));
        let payload = crate::events::value(&crate::events::ProductUpdated {
            product_id: id.to_string(),
            changes,
        });
        outbox::enqueue(client, store, Topic::ProductUpdated, payload, trace_id).await?;
    }
    Ok(before)
}
