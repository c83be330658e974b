//! Product collections: curated groups of products (a season, a theme).

use tokio_postgres::types::Type;

use crate::db::{col, count_matches, first, id_strs, list_page, ListQuery, Param, Sql};
use crate::error::ApiError;
use crate::ids::{CollectionId, StoreId};
use crate::params::{Direction, Handle, Page, SearchText};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub id: CollectionId,
    pub title: String,
    pub handle: String,
    /// Shown on the storefront's home page.
    pub featured: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionSort {
    Title,
    Handle,
    CreatedAt,
}

impl CollectionSort {
    pub const FIELDS: &'static [(&'static str, CollectionSort)] = &[
        ("title", CollectionSort::Title),
        ("handle", CollectionSort::Handle),
        ("created_at", CollectionSort::CreatedAt),
    ];

    fn sql(self) -> &'static str {
        match self {
            CollectionSort::Title => "c.title",
            CollectionSort::Handle => "c.handle",
            CollectionSort::CreatedAt => "c.created_at",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CollectionFilter {
    pub ids: Option<Vec<CollectionId>>,
    pub handles: Option<Vec<Handle>>,
    pub q: Option<SearchText>,
    /// Only collections featured on the home page (`Some(true)`) or only the others.
    pub featured: Option<bool>,
}

/// $1 store, $2 ids, $3 handles, $4 title pattern, $5 featured.
const LIST_WHERE: &str = "c.store_id = $1
    AND ($2::text[] IS NULL OR c.id = ANY($2))
    AND ($3::text[] IS NULL OR c.handle = ANY($3))
    AND ($4::text IS NULL OR lower(c.title) LIKE $4)
    AND ($5::bool IS NULL OR c.featured = $5)";

const COLLECTION_SELECT: &str = "
    SELECT c.id, c.title, c.handle, c.featured,
           api_ts(c.created_at) AS created_at, api_ts(c.updated_at) AS updated_at,
           count(*) OVER () AS total
    FROM product_collections c";

fn collection_from_row(row: &tokio_postgres::Row) -> Result<Collection, ApiError> {
    Ok(Collection {
        id: col(row, "id")?,
        title: col(row, "title")?,
        handle: col(row, "handle")?,
        featured: col(row, "featured")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

pub async fn list<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &CollectionFilter,
    sort: Option<(CollectionSort, Direction)>,
    page: Page,
) -> Result<(Vec<Collection>, i64), ApiError> {
    let (field, dir) = sort.unwrap_or((CollectionSort::Title, Direction::Asc));
    let sql = format!(
        "{COLLECTION_SELECT} WHERE {LIST_WHERE} ORDER BY {} {}, c.id LIMIT $6 OFFSET $7",
        field.sql(),
        dir.sql()
    );
    let ids = id_strs(&filter.ids);
    let handles = id_strs(&filter.handles);
    let q = filter.q.as_ref().map(SearchText::like_pattern);
    let filter_params: [Param<'_>; 5] = [
        (store, Type::TEXT),
        (&ids, Type::TEXT_ARRAY),
        (&handles, Type::TEXT_ARRAY),
        (&q, Type::TEXT),
        (&filter.featured, Type::BOOL),
    ];
    let count = count_matches("product_collections c", LIST_WHERE);
    let query = ListQuery {
        sql: &sql,
        count: &count,
        filter_params: &filter_params,
        extra: &[],
    };
    let (rows, total) = list_page(client, query, page).await?;
    let collections = rows
        .iter()
        .map(collection_from_row)
        .collect::<Result<_, _>>()?;
    Ok((collections, total))
}

pub async fn get<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CollectionId,
) -> Result<Collection, ApiError> {
    let sql = format!("{COLLECTION_SELECT} WHERE c.store_id = $1 AND c.id = $2");
    match first(
        client
            .query_typed(&sql, &[(store, Type::TEXT), (id, Type::TEXT)])
            .await?,
    ) {
        Some(row) => collection_from_row(&row),
        None => Err(ApiError::not_found("Collection", "id", id.as_str())),
    }
}
