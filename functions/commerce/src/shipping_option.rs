//! Shipping options as stored (migration 0004): the ways of shipping each region
//! offers, read live for a cart in the [`ShippingOption`] shape the cart's rules use.

use tokio_postgres::types::Type;

use crate::cart::{ShippingKind, ShippingOption};
use crate::db::{col, Param, Sql};
use crate::error::ApiError;
use crate::ids::{RegionId, StoreId};

/// $1 store, $2 region. Another store's region matches nothing.
const FOR_REGION_SQL: &str = "
    SELECT o.id, o.region_id, o.name, o.kind, o.amount, o.threshold
    FROM shipping_options o
    WHERE o.store_id = $1 AND o.region_id = $2
    ORDER BY o.rank, o.id";

/// The pricing of a row: `flat` is its amount, `free_over` its amount and threshold.
/// The schema's checks make anything else impossible; should it happen anyway, the
/// row is an internal error rather than a guess.
fn kind_from_row(row: &tokio_postgres::Row) -> Result<ShippingKind, ApiError> {
    let kind: String = col(row, "kind")?;
    let amount: i64 = col(row, "amount")?;
    let threshold: Option<i64> = col(row, "threshold")?;
    match (kind.as_str(), threshold) {
        ("flat", None) => Ok(ShippingKind::Flat { amount }),
        ("free_over", Some(threshold)) => Ok(ShippingKind::FreeOver { amount, threshold }),
        _ => Err(ApiError::Internal {
            detail: format!("shipping option of kind '{kind}' with threshold {threshold:?}"),
        }),
    }
}

fn option_from_row(row: &tokio_postgres::Row) -> Result<ShippingOption, ApiError> {
    Ok(ShippingOption {
        id: col(row, "id")?,
        region_id: col(row, "region_id")?,
        name: col(row, "name")?,
        kind: kind_from_row(row)?,
    })
}

/// The shipping options `region` of `store` offers, in rank order, in one query. A
/// region of another store (or none) has no options here.
pub async fn for_region<C: Sql>(
    client: &C,
    store: &StoreId,
    region: &RegionId,
) -> Result<Vec<ShippingOption>, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (region, Type::TEXT)];
    let rows = client.query_typed(FOR_REGION_SQL, &params).await?;
    rows.iter().map(option_from_row).collect()
}
