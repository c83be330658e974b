//! An import as the admin area runs it: the checked file kept with its dry run
//! ([`create`]), confirmed by a member ([`confirm`]: it becomes work for the origin's job
//! runner through the outbox), then written batch by batch ([`run_batch`]), each batch
//! recording its progress, until done. A batch that fails is retried by the job runner
//! and starts where the last recorded progress stopped; a product written twice is
//! unchanged the second time.

use serde::Serialize;
use serde_json::json;
use tokio_postgres::types::{Json, Type};
use tokio_postgres::GenericClient;

use super::{apply_all, check, context, Checked, Problem, Summary, UploadedImage};
use crate::db::{col, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{ImportId, StoreId};
use crate::inventory::Actor;
use crate::outbox::{self, Topic};

/// Problems kept with an import (the count is kept whole).
pub const KEPT_PROBLEMS: usize = 1_000;
/// Products one batch writes before handing back to the job runner.
pub const BATCH_PRODUCTS: usize = 200;
/// Products between two progress records within a batch.
const PROGRESS_EVERY: usize = 25;

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// The dry run is done; nothing written; waiting for a member to confirm.
    Checked,
    Importing,
    Done,
    Failed,
}

impl ImportStatus {
    fn stored(s: &str) -> Result<Self, ApiError> {
        Ok(match s {
            "checked" => ImportStatus::Checked,
            "importing" => ImportStatus::Importing,
            "done" => ImportStatus::Done,
            "failed" => ImportStatus::Failed,
            other => return Err(ApiError::internal(format!("import status '{other}'"))),
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportStatus::Checked => "Checked: waiting for confirmation",
            ImportStatus::Importing => "Importing",
            ImportStatus::Done => "Done",
            ImportStatus::Failed => "Failed",
        }
    }
}

/// An import as its page shows it (the file itself stays in the database).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Import {
    pub id: ImportId,
    pub file_name: String,
    pub status: ImportStatus,
    pub rows: i32,
    pub products: i32,
    pub to_create: i32,
    pub to_update: i32,
    pub refused_rows: i32,
    pub problem_count: i32,
    pub problems: Vec<Problem>,
    pub done: i32,
    pub summary: Option<Summary>,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

const COLUMNS: &str = "id, file_name, status, rows, products, to_create, to_update, refused_rows,
    problem_count, problems::text AS problems, done, summary::text AS summary, error,
    api_ts(created_at) AS created_at, api_ts(finished_at) AS finished_at";

fn import_from_row(row: &tokio_postgres::Row, with_problems: bool) -> Result<Import, ApiError> {
    let status: String = col(row, "status")?;
    let json_err = |e: serde_json::Error| ApiError::internal(format!("an import's record: {e}"));
    let problems = if with_problems {
        serde_json::from_str(&col::<String>(row, "problems")?).map_err(json_err)?
    } else {
        Vec::new()
    };
    let summary = col::<Option<String>>(row, "summary")?
        .map(|s| serde_json::from_str(&s).map_err(json_err))
        .transpose()?;
    Ok(Import {
        id: col(row, "id")?,
        file_name: col(row, "file_name")?,
        status: ImportStatus::stored(&status)?,
        rows: col(row, "rows")?,
        products: col(row, "products")?,
        to_create: col(row, "to_create")?,
        to_update: col(row, "to_update")?,
        refused_rows: col(row, "refused_rows")?,
        problem_count: col(row, "problem_count")?,
        problems,
        done: col(row, "done")?,
        summary,
        error: col(row, "error")?,
        created_at: col(row, "created_at")?,
        finished_at: col(row, "finished_at")?,
    })
}

/// Keeps a checked file and its dry run; answers the import's id.
pub async fn create<C: Sql>(
    client: &C,
    store: &StoreId,
    file_name: &str,
    bytes: &[u8],
    checked: &Checked,
    uploaded: &[UploadedImage],
    created_by: Option<&str>,
) -> Result<ImportId, ApiError> {
    let id = ImportId::generate();
    let name: String = file_name.chars().take(255).collect();
    let kept: Vec<&Problem> = checked.read.problems.iter().take(KEPT_PROBLEMS).collect();
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let (rows, products) = (count(checked.read.rows), count(checked.read.products.len()));
    let (to_create, to_update) = (count(checked.to_create), count(checked.to_update));
    let refused = count(checked.read.refused_rows.len());
    let problem_count = count(checked.read.problems.len());
    let problems = Json(&kept);
    let images = Json(uploaded);
    let params: [Param<'_>; 13] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (&name, Type::TEXT),
        (&bytes, Type::BYTEA),
        (&rows, Type::INT4),
        (&products, Type::INT4),
        (&to_create, Type::INT4),
        (&to_update, Type::INT4),
        (&refused, Type::INT4),
        (&problem_count, Type::INT4),
        (&problems, Type::JSONB),
        (&created_by, Type::TEXT),
        (&images, Type::JSONB),
    ];
    client
        .execute_typed(
            "INSERT INTO catalog_imports (id, store_id, file_name, file, rows, products, to_create,
                 to_update, refused_rows, problem_count, problems, created_by, images)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            &params,
        )
        .await?;
    Ok(id)
}

/// Import `id` of `store`, with its kept problems.
pub async fn load<C: Sql>(client: &C, store: &StoreId, id: &ImportId) -> Result<Import, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let rows = client
        .query_typed(
            &format!("SELECT {COLUMNS} FROM catalog_imports WHERE store_id = $1 AND id = $2"),
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Import", "id", id.as_str()))?;
    import_from_row(row, true)
}

/// The store's latest imports, newest first, without their problems.
pub async fn recent<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<Import>, ApiError> {
    let params: [Param<'_>; 1] = [(store, Type::TEXT)];
    let rows = client
        .query_typed(
            &format!(
                "SELECT {COLUMNS} FROM catalog_imports WHERE store_id = $1
                 ORDER BY created_at DESC, id LIMIT 20"
            ),
            &params,
        )
        .await?;
    rows.iter().map(|r| import_from_row(r, false)).collect()
}

/// Starts writing a checked import (once): it becomes the job runner's work.
pub async fn confirm<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &ImportId,
    actor: Actor<'_>,
) -> Result<(), ApiError> {
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&actor.user_id, Type::TEXT),
        (&actor.role, Type::TEXT),
    ];
    let started = client
        .execute_typed(
            "UPDATE catalog_imports SET status = 'importing', started_at = now(),
                    confirmed_by = $3, confirmed_role = $4
             WHERE store_id = $1 AND id = $2 AND status = 'checked'",
            &params,
        )
        .await?;
    if started == 0 {
        let current = load(client, store, id).await?;
        return Err(ApiError::conflict(
            ErrorCode::InvalidImportState,
            format!(
                "This import is {}: only a checked import is started, once.",
                current.status.label().to_lowercase()
            ),
        ));
    }
    outbox::enqueue(
        client,
        store,
        Topic::CatalogImportRequested,
        json!({ "import_id": id }),
        actor.trace_id,
    )
    .await
}

/// Writes the next batch of import `id` on `clients` (connections of its own: each
/// product is its own transaction, several written side by side), recording progress
/// as it goes. Answers whether products
/// are left (the caller asks for another batch).
pub async fn run_batch<C: GenericClient + Sync>(
    clients: &[&C],
    store: &StoreId,
    id: &ImportId,
    trace_id: Option<&str>,
) -> Result<bool, ApiError> {
    let client = *clients
        .first()
        .ok_or_else(|| ApiError::internal("an import batch needs a connection"))?;
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT status, file, done, summary::text AS summary, confirmed_by, confirmed_role,
                    images
             FROM catalog_imports WHERE store_id = $1 AND id = $2",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Import", "id", id.as_str()))?;
    if col::<String>(row, "status")? != "importing" {
        return Ok(false);
    }
    let file: Vec<u8> = col(row, "file")?;
    let mut done = col::<i32>(row, "done")?.max(0) as usize;
    let mut summary: Summary = col::<Option<String>>(row, "summary")?
        .map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(|e| ApiError::internal(format!("an import's summary: {e}")))?
        .unwrap_or_default();
    let user: Option<String> = col(row, "confirmed_by")?;
    let role: Option<String> = col(row, "confirmed_role")?;
    let actor = Actor {
        user_id: user.as_deref(),
        api_key_id: None,
        role: role.as_deref(),
        trace_id,
    };
    let mut ctx = context(client, store).await?;
    ctx.uploaded = crate::db::json_col(row, "images")?;
    let checked = check(client, store, &ctx, &file).await?;
    let products = &checked.read.products;
    let end = (done + BATCH_PRODUCTS).min(products.len());
    while done < end {
        let next = (done + PROGRESS_EVERY).min(end);
        let part = apply_all(clients, store, &products[done..next], actor, |_, _| {}).await?;
        summary.add(part);
        done = next;
        record(client, store, id, done, &summary, done >= products.len()).await?;
    }
    if products.is_empty() {
        record(client, store, id, 0, &summary, true).await?;
    }
    Ok(done < products.len())
}

async fn record<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &ImportId,
    done: usize,
    summary: &Summary,
    finished: bool,
) -> Result<(), ApiError> {
    let done = i32::try_from(done).unwrap_or(i32::MAX);
    let summary = Json(summary);
    let params: [Param<'_>; 5] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&done, Type::INT4),
        (&summary, Type::JSONB),
        (&finished, Type::BOOL),
    ];
    client
        .execute_typed(
            "UPDATE catalog_imports SET done = $3, summary = $4,
                    status = CASE WHEN $5 THEN 'done' ELSE status END,
                    finished_at = CASE WHEN $5 THEN now() ELSE finished_at END
             WHERE store_id = $1 AND id = $2",
            &params,
        )
        .await?;
    Ok(())
}

/// Marks import `id` failed with `error` (a batch that cannot succeed).
pub async fn fail<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &ImportId,
    error: &str,
) -> Result<(), ApiError> {
    let params: [Param<'_>; 3] = [(store, Type::TEXT), (id, Type::TEXT), (&error, Type::TEXT)];
    client
        .execute_typed(
            "UPDATE catalog_imports SET status = 'failed', error = $3, finished_at = now()
             WHERE store_id = $1 AND id = $2 AND status = 'importing'",
            &params,
        )
        .await?;
    Ok(())
}
