//! Product categories: a tree per store. Only active categories are shown to shoppers.

use serde::{Deserialize, Serialize};
use tokio_postgres::types::Type;

use crate::db::{col, count_matches, first, id_strs, json_col, list_page, ListQuery, Param, Sql};
use crate::error::ApiError;
use crate::ids::{CategoryId, StoreId};
use crate::params::{Direction, Handle, Page, SearchText};

/// A category's neighbour in the tree (parent or child), by reference.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CategoryLink {
    pub id: CategoryId,
    pub name: String,
    pub handle: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub handle: String,
    pub description: String,
    pub rank: i32,
    pub parent: Option<CategoryLink>,
    /// Active direct children, in rank order.
    pub children: Vec<CategoryLink>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategorySort {
    Name,
    Handle,
    Rank,
    CreatedAt,
}

impl CategorySort {
    pub const FIELDS: &'static [(&'static str, CategorySort)] = &[
        ("name", CategorySort::Name),
        ("handle", CategorySort::Handle),
        ("rank", CategorySort::Rank),
        ("created_at", CategorySort::CreatedAt),
    ];

    fn sql(self) -> &'static str {
        match self {
            CategorySort::Name => "c.name",
            CategorySort::Handle => "c.handle",
            CategorySort::Rank => "c.rank",
            CategorySort::CreatedAt => "c.created_at",
        }
    }
}

/// Which categories to list. `parent` is `Some(None)` for top-level categories only.
#[derive(Debug, Clone, Default)]
pub struct CategoryFilter {
    pub ids: Option<Vec<CategoryId>>,
    pub handles: Option<Vec<Handle>>,
    pub parent: Option<Option<CategoryId>>,
    pub q: Option<SearchText>,
}

/// $1 store, $2 ids, $3 handles, $4 restrict by parent, $5 parent id (NULL: roots),
/// $6 name pattern.
const LIST_WHERE: &str = "c.store_id = $1 AND c.is_active
    AND ($2::text[] IS NULL OR c.id = ANY($2))
    AND ($3::text[] IS NULL OR c.handle = ANY($3))
    AND (NOT $4::bool OR c.parent_id IS NOT DISTINCT FROM $5::text)
    AND ($6::text IS NULL OR lower(c.name) LIKE $6)";

const CATEGORY_SELECT: &str = "
    SELECT c.id, c.name, c.handle, c.description, c.rank,
           api_ts(c.created_at) AS created_at, api_ts(c.updated_at) AS updated_at,
           (SELECT jsonb_build_object('id', pc.id, 'name', pc.name, 'handle', pc.handle)
              FROM product_categories pc WHERE pc.id = c.parent_id) AS parent,
           coalesce((SELECT jsonb_agg(jsonb_build_object('id', ch.id, 'name', ch.name,
                        'handle', ch.handle) ORDER BY ch.rank, ch.id)
                     FROM product_categories ch
                     WHERE ch.parent_id = c.id AND ch.is_active), '[]'::jsonb) AS children,
           count(*) OVER () AS total
    FROM product_categories c";

fn category_from_row(row: &tokio_postgres::Row) -> Result<Category, ApiError> {
    Ok(Category {
        id: col(row, "id")?,
        name: col(row, "name")?,
        handle: col(row, "handle")?,
        description: col(row, "description")?,
        rank: col(row, "rank")?,
        parent: json_col(row, "parent")?,
        children: json_col(row, "children")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

pub async fn list<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &CategoryFilter,
    sort: Option<(CategorySort, Direction)>,
    page: Page,
) -> Result<(Vec<Category>, i64), ApiError> {
    let (field, dir) = sort.unwrap_or((CategorySort::Rank, Direction::Asc));
    let sql = format!(
        "{CATEGORY_SELECT} WHERE {LIST_WHERE}
         ORDER BY {} {}, c.id LIMIT $7 OFFSET $8",
        field.sql(),
        dir.sql()
    );
    let ids = id_strs(&filter.ids);
    let handles = id_strs(&filter.handles);
    let by_parent = filter.parent.is_some();
    let parent = filter.parent.clone().flatten();
    let q = filter.q.as_ref().map(SearchText::like_pattern);
    let filter_params: [Param<'_>; 6] = [
        (store, Type::TEXT),
        (&ids, Type::TEXT_ARRAY),
        (&handles, Type::TEXT_ARRAY),
        (&by_parent, Type::BOOL),
        (&parent, Type::TEXT),
        (&q, Type::TEXT),
    ];
    let count = count_matches("product_categories c", LIST_WHERE);
    let query = ListQuery {
        sql: &sql,
        count: &count,
        filter_params: &filter_params,
        extra: &[],
    };
    let (rows, total) = list_page(client, query, page).await?;
    let categories = rows
        .iter()
        .map(category_from_row)
        .collect::<Result<_, _>>()?;
    Ok((categories, total))
}

pub async fn get<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CategoryId,
) -> Result<Category, ApiError> {
    let sql = format!("{CATEGORY_SELECT} WHERE c.store_id = $1 AND c.is_active AND c.id = $2");
    match first(
        client
            .query_typed(&sql, &[(store, Type::TEXT), (id, Type::TEXT)])
            .await?,
    ) {
        Some(row) => category_from_row(&row),
        None => Err(ApiError::not_found("Product category", "id", id.as_str())),
    }
}
