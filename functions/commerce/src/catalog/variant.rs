//! Variants as a cart needs them: what a line shows (titles, sku, thumbnail), the price
//! in the cart's currency and whether the stock allows the quantity. Read live on every
//! cart change, never from the edge cache, since stock moves with every order.

use tokio_postgres::types::Type;

use crate::db::{col, Param, Sql};
use crate::error::ApiError;
use crate::ids::{ProductId, StoreId, VariantId};
use crate::money::CurrencyCode;

/// Most variants read in one call; a cart holds fewer lines than this.
pub const MAX_IDS: usize = 200;

/// A variant of the store with what a cart line is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartVariant {
    pub id: VariantId,
    pub product_id: ProductId,
    pub product_title: String,
    pub product_handle: String,
    /// Whether the product is published; drafts cannot be bought.
    pub published: bool,
    /// The variant's own title ("M / Red").
    pub title: String,
    pub sku: Option<String>,
    /// R2 key of the product's thumbnail, or of its first image when it has none.
    pub thumbnail_key: Option<String>,
    /// The currency `price` is in: the one the query was asked for.
    pub currency: CurrencyCode,
    /// Minor units of `currency`; `None` when the variant has no price in it.
    pub price: Option<i64>,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    /// Stocked minus reserved, summed over all stock locations (may be negative).
    pub available: i64,
}

impl CartVariant {
    /// Whether stock limits how many can be bought: inventory is managed and orders
    /// cannot wait for a restock.
    pub fn stock_limited(&self) -> bool {
        self.manage_inventory && !self.allow_backorder
    }
}

/// $1 store, $2 variant ids, $3 currency. Variants of other stores are not matched.
const FOR_CART_SQL: &str = "
    SELECT v.id, v.product_id, p.title AS product_title, p.handle AS product_handle,
           p.status = 'published' AS published, v.title, v.sku,
           coalesce(p.thumbnail_key,
                    (SELECT i.r2_key FROM product_images i
                     WHERE i.product_id = p.id ORDER BY i.rank, i.id LIMIT 1)) AS thumbnail_key,
           (SELECT vp.amount FROM variant_prices vp
            WHERE vp.variant_id = v.id AND vp.currency_code = $3) AS price,
           v.manage_inventory, v.allow_backorder,
           coalesce((SELECT sum(il.stocked - il.reserved) FROM inventory_levels il
                     WHERE il.variant_id = v.id), 0)::int8 AS available
    FROM product_variants v
    JOIN products p ON p.store_id = v.store_id AND p.id = v.product_id
    WHERE v.store_id = $1 AND v.id = ANY($2)
    ORDER BY array_position($2, v.id)";

fn variant_from_row(
    row: &tokio_postgres::Row,
    currency: CurrencyCode,
) -> Result<CartVariant, ApiError> {
    Ok(CartVariant {
        id: col(row, "id")?,
        product_id: col(row, "product_id")?,
        product_title: col(row, "product_title")?,
        product_handle: col(row, "product_handle")?,
        published: col(row, "published")?,
        title: col(row, "title")?,
        sku: col(row, "sku")?,
        thumbnail_key: col(row, "thumbnail_key")?,
        currency,
        price: col(row, "price")?,
        manage_inventory: col(row, "manage_inventory")?,
        allow_backorder: col(row, "allow_backorder")?,
        available: col(row, "available")?,
    })
}

/// The requested variants of `store` with prices in `currency`, in the order asked
/// for, in one query. Ids that name no variant of this store (another store's, a
/// deleted one) are simply absent from the result; drafts are returned with
/// `published: false` so that a cart can say why a line went away.
pub async fn for_cart<C: Sql>(
    client: &C,
    store: &StoreId,
    ids: &[VariantId],
    currency: CurrencyCode,
) -> Result<Vec<CartVariant>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    if ids.len() > MAX_IDS {
        return Err(ApiError::invalid(
            "variant_id",
            format!("at most {MAX_IDS} variants can be read at once"),
        ));
    }
    let ids: Vec<&str> = ids.iter().map(VariantId::as_str).collect();
    let code = currency.as_str();
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (&ids, Type::TEXT_ARRAY),
        (&code, Type::TEXT),
    ];
    let rows = client.query_typed(FOR_CART_SQL, &params).await?;
    rows.iter()
        .map(|row| variant_from_row(row, currency))
        .collect()
}
