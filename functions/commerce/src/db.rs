//! Small helpers shared by the query modules: typed column reads whose failures
//! become internal errors rather than panics.

use std::future::Future;

use tokio_postgres::types::{FromSql, Json, ToSql, Type};
use tokio_postgres::{GenericClient, Row};

use crate::error::ApiError;
use crate::params::Page;

/// A statement parameter with its PostgreSQL type. Every catalog query is sent as an
/// unnamed statement with typed parameters (`query_typed`): one round trip instead of
/// prepare + execute, and safe behind transaction-mode poolers (Hyperdrive, PgBouncer)
/// where a named prepared statement may not exist on the next server connection.
pub type Param<'a> = (&'a (dyn ToSql + Sync), Type);

/// Where the domain's statements run: a connection or a transaction. Every
/// `tokio_postgres` client is one, and sends each statement unnamed (parsed and planned
/// on every call, which any pooler passes). A caller that owns a long-lived connection
/// may instead prepare each statement once per connection and reuse its plan: the
/// origin's pool does (`origin::pool`), for the checkout's thirty-odd statements.
pub trait Sql: Sync {
    fn query_typed(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Vec<Row>, tokio_postgres::Error>> + Send;

    fn execute_typed(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<u64, tokio_postgres::Error>> + Send;
}

impl<C: GenericClient + Sync> Sql for C {
    async fn query_typed(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        GenericClient::query_typed(self, sql, params).await
    }

    async fn execute_typed(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<u64, tokio_postgres::Error> {
        GenericClient::execute_typed(self, sql, params).await
    }
}

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

/// A paged list query over one table.
pub struct ListQuery<'a> {
    /// The SELECT: its filter takes `filter_params` as $1.., then `LIMIT` and `OFFSET`
    /// as the next two parameters, then `extra`; it reports the match count in `total`
    /// (usually as the subquery `count`).
    pub sql: &'a str,
    /// A query of one row and column, `total`, over `filter_params`: the number of
    /// matches, for a page past the last (where no row carries it).
    pub count: &'a str,
    pub filter_params: &'a [Param<'a>],
    pub extra: &'a [Param<'a>],
}

/// The [`ListQuery::count`] of the rows of `from` (`table alias`) that `filter` matches.
pub fn count_matches(from: &str, filter: &str) -> String {
    format!("SELECT count(*) AS total FROM {from} WHERE {filter}")
}

/// Runs a paged list: the rows of `page` and the total number of matches. Past the last
/// page (or with limit 0) no row carries the total, so it is counted on its own.
pub async fn list_page<C: Sql>(
    client: &C,
    q: ListQuery<'_>,
    page: Page,
) -> Result<(Vec<Row>, i64), ApiError> {
    let (limit, offset) = (i64::from(page.limit), i64::from(page.offset));
    let mut params = q.filter_params.to_vec();
    params.extend([(&limit as _, Type::INT8), (&offset as _, Type::INT8)]);
    params.extend_from_slice(q.extra);
    let rows = client.query_typed(q.sql, &params).await?;
    let total = match rows.first() {
        Some(row) => col(row, "total")?,
        None => {
            let counted = client.query_typed(q.count, q.filter_params).await?;
            let row = counted.first().ok_or_else(|| ApiError::Internal {
                detail: "count returned no row".into(),
            })?;
            col(row, "total")?
        }
    };
    Ok((rows, total))
}

/// The first row of a result, if any (for single-row lookups).
pub fn first(rows: Vec<Row>) -> Option<Row> {
    rows.into_iter().next()
}

/// Runs `work` in one transaction on `client`: `BEGIN`, then `COMMIT` when `work`
/// succeeds and `ROLLBACK` when it fails. For callers that share their connection
/// (`&Client`: the edge keeps one per request), where `Client::transaction` would need
/// it exclusively. A request that ends mid-way drops its connection, and PostgreSQL
/// rolls the transaction back.
pub async fn atomically<C: GenericClient + Sync, T>(
    client: &C,
    work: impl AsyncFnOnce(&C) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    client.batch_execute("BEGIN").await?;
    match work(client).await {
        Ok(done) => {
            client.batch_execute("COMMIT").await?;
            Ok(done)
        }
        Err(err) => {
            // The error that stopped the work is the one to report; a connection that
            // cannot roll back is closed with the request anyway.
            let _ = client.batch_execute("ROLLBACK").await;
            Err(err)
        }
    }
}
