//! Small helpers shared by the query modules: typed column reads whose failures
//! become internal errors rather than panics.

use tokio_postgres::types::{FromSql, Json, ToSql, Type};
use tokio_postgres::{GenericClient, Row};

use crate::error::ApiError;

/// A statement parameter with its PostgreSQL type. Every catalog query is sent as an
/// unnamed statement with typed parameters (`query_typed`): one round trip instead of
/// prepare + execute, and safe behind transaction-mode poolers (Hyperdrive, PgBouncer)
/// where a named prepared statement may not exist on the next server connection.
pub type Param<'a> = (&'a (dyn ToSql + Sync), Type);

/// Reads a column, turning a type or decoding mismatch into an internal error.
pub fn col<'a, T: FromSql<'a>>(row: &'a Row, name: &str) -> Result<T, ApiError> {
    row.try_get(name).map_err(|e| ApiError::Internal {
        detail: format!("column {name}: {e}"),
    })
}

/// Reads a JSON column produced by `jsonb_build_object`/`jsonb_agg` into `T`; SQL
/// NULL reads as JSON null (so `Option<T>` columns may be NULL).
/// Decodes straight from the column's bytes into `T`, without an intermediate tree.
pub fn json_col<T: serde::de::DeserializeOwned>(row: &Row, name: &str) -> Result<T, ApiError> {
    match col::<Option<Json<T>>>(row, name)? {
        Some(Json(value)) => Ok(value),
        None => serde_json::from_value(serde_json::Value::Null).map_err(|e| ApiError::Internal {
            detail: format!("column {name}: {e}"),
        }),
    }
}

/// Borrowed string views of typed ids, for `text[]` parameters.
pub fn id_strs<T: AsRef<str>>(ids: &Option<Vec<T>>) -> Option<Vec<&str>> {
    ids.as_ref().map(|v| v.iter().map(AsRef::as_ref).collect())
}

/// The total a paged list query reports in its `total` column.
/// Past the last page (or with limit 0) no row carries it, so it is counted directly
/// with the list's own filter: `SELECT count(*) FROM {from} WHERE {filter}`.
pub async fn list_total<C: GenericClient + Sync>(
    client: &C,
    rows: &[Row],
    from: &str,
    filter: &str,
    params: &[Param<'_>],
) -> Result<i64, ApiError> {
    if let Some(row) = rows.first() {
        return col(row, "total");
    }
    let sql = format!("SELECT count(*) FROM {from} WHERE {filter}");
    let rows = client.query_typed(&sql, params).await?;
    let row = rows.first().ok_or_else(|| ApiError::Internal {
        detail: "count returned no row".into(),
    })?;
    col(row, "count")
}

/// The first row of a result, if any (for single-row lookups).
pub fn first(rows: Vec<Row>) -> Option<Row> {
    rows.into_iter().next()
}
