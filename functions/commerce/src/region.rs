//! Regions: a currency, a tax rate and whether prices include it, and the countries
//! served. The queries every caller uses to read them.

use serde::Deserialize;
use tokio_postgres::types::Type;

use crate::db::{col, count_matches, first, id_strs, json_col, list_page, ListQuery, Param, Sql};
use crate::error::ApiError;
use crate::ids::{RegionId, StoreId};
use crate::money::{CurrencyCode, TaxRate};
use crate::params::{Direction, Page, SearchText};

/// A country as the Store API shows it inside a region.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Country {
    pub iso_2: String,
    pub iso_3: String,
    pub num_code: String,
    pub name: String,
    pub display_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub id: RegionId,
    pub name: String,
    pub currency: CurrencyCode,
    pub tax_rate: TaxRate,
    /// Whether catalog prices in this region already contain the tax.
    pub tax_inclusive: bool,
    pub countries: Vec<Country>,
    pub created_at: String,
    pub updated_at: String,
}

/// What `GET /store/regions` can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionSort {
    Name,
    CreatedAt,
}

impl RegionSort {
    pub const FIELDS: &'static [(&'static str, RegionSort)] = &[
        ("name", RegionSort::Name),
        ("created_at", RegionSort::CreatedAt),
    ];

    fn sql(self) -> &'static str {
        match self {
            RegionSort::Name => "r.name",
            RegionSort::CreatedAt => "r.created_at",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RegionFilter {
    pub ids: Option<Vec<RegionId>>,
    pub currency: Option<CurrencyCode>,
    pub q: Option<SearchText>,
}

const REGION_SELECT: &str = "
    SELECT r.id, r.name, r.currency_code, r.tax_rate_bp, r.tax_inclusive,
           api_ts(r.created_at) AS created_at, api_ts(r.updated_at) AS updated_at,
           coalesce((SELECT jsonb_agg(jsonb_build_object(
                        'iso_2', c.iso_2, 'iso_3', c.iso_3, 'num_code', c.num_code::text,
                        'name', c.name, 'display_name', c.display_name) ORDER BY c.iso_2)
                     FROM region_countries rc JOIN countries c ON c.iso_2 = rc.iso_2
                     WHERE rc.region_id = r.id), '[]'::jsonb) AS countries,
           count(*) OVER () AS total
    FROM regions r";

/// The list filter: $1 store, $2 ids, $3 currency, $4 name pattern.
const LIST_WHERE: &str = "r.store_id = $1
    AND ($2::text[] IS NULL OR r.id = ANY($2))
    AND ($3::text IS NULL OR r.currency_code = $3)
    AND ($4::text IS NULL OR lower(r.name) LIKE $4)";

fn internal(e: impl ToString) -> ApiError {
    ApiError::Internal {
        detail: e.to_string(),
    }
}

fn region_from_row(row: &tokio_postgres::Row) -> Result<Region, ApiError> {
    let currency: String = col(row, "currency_code")?;
    Ok(Region {
        id: col(row, "id")?,
        name: col(row, "name")?,
        currency: CurrencyCode::parse(&currency).map_err(internal)?,
        tax_rate: TaxRate::from_basis_points(col(row, "tax_rate_bp")?).map_err(internal)?,
        tax_inclusive: col(row, "tax_inclusive")?,
        countries: json_col(row, "countries")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// A page of the store's regions and the total count matching the filter.
pub async fn list<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &RegionFilter,
    sort: Option<(RegionSort, Direction)>,
    page: Page,
) -> Result<(Vec<Region>, i64), ApiError> {
    let (field, dir) = sort.unwrap_or((RegionSort::Name, Direction::Asc));
    let sql = format!(
        "{REGION_SELECT} WHERE {LIST_WHERE} ORDER BY {} {}, r.id LIMIT $5 OFFSET $6",
        field.sql(),
        dir.sql()
    );
    let ids = id_strs(&filter.ids);
    let currency = filter.currency.map(|c| c.as_str().to_owned());
    let q = filter.q.as_ref().map(SearchText::like_pattern);
    let filter_params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (&ids, Type::TEXT_ARRAY),
        (&currency, Type::TEXT),
        (&q, Type::TEXT),
    ];
    let count = count_matches("regions r", LIST_WHERE);
    let query = ListQuery {
        sql: &sql,
        count: &count,
        filter_params: &filter_params,
        extra: &[],
    };
    let (rows, total) = list_page(client, query, page).await?;
    let regions = rows.iter().map(region_from_row).collect::<Result<_, _>>()?;
    Ok((regions, total))
}

/// One region of the store; another store's region is not found.
pub async fn get<C: Sql>(client: &C, store: &StoreId, id: &RegionId) -> Result<Region, ApiError> {
    let sql = format!("{REGION_SELECT} WHERE r.store_id = $1 AND r.id = $2");
    match first(
        client
            .query_typed(&sql, &[(store, Type::TEXT), (id, Type::TEXT)])
            .await?,
    ) {
        Some(row) => region_from_row(&row),
        None => Err(ApiError::not_found("Region", "id", id.as_str())),
    }
}

/// Every region of the store (at most 200), in name order.
pub async fn all<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<Region>, ApiError> {
    let page = Page {
        limit: 200,
        offset: 0,
    };
    Ok(list(client, store, &RegionFilter::default(), None, page)
        .await?
        .0)
}

/// The region of the store that serves a country (ISO 3166-1 alpha-2), if any.
pub async fn for_country<C: Sql>(
    client: &C,
    store: &StoreId,
    iso_2: &str,
) -> Result<Option<Region>, ApiError> {
    let sql = format!(
        "{REGION_SELECT} JOIN region_countries rc ON rc.region_id = r.id
         WHERE r.store_id = $1 AND rc.store_id = $1 AND rc.iso_2 = lower($2)"
    );
    first(
        client
            .query_typed(&sql, &[(store, Type::TEXT), (&iso_2, Type::TEXT)])
            .await?,
    )
    .as_ref()
    .map(region_from_row)
    .transpose()
}
