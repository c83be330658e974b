//! The audit log: every admin write, who did it (member and role, and the API key
//! when it came through one), what (action and
//! target), the change (a short before/after), when, from where and under which
//! trace. Append-only: the table refuses updates and deletes.

use serde_json::Value;
use tokio_postgres::types::{Json, Type};

use super::{Client, Member};
use crate::db::{col, list_page, ListQuery, Param, Sql};
use crate::error::ApiError;
use crate::ids::StoreId;
use crate::params::Page;

/// One admin write to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// `sign_in`, `invite.create`, `order.fulfil`, ...
    pub action: &'a str,
    pub target_id: Option<&'a str>,
    /// A short before/after: `{"status": ["confirmed", "fulfilled"]}`.
    pub change: Value,
}

/// Records `entry` as done by `member` from `from` under `trace_id`.
pub async fn record<C: Sql>(
    client: &C,
    member: &Member,
    from: &Client,
    trace_id: &str,
    entry: Entry<'_>,
) -> Result<(), ApiError> {
    let role = member.role.audit_name();
    let change = Json(&entry.change);
    let params: [Param<'_>; 10] = [
        (&member.store_id, Type::TEXT),
        (&member.user_id, Type::TEXT),
        (&role, Type::TEXT),
        (&entry.action, Type::TEXT),
        (&entry.target_id, Type::TEXT),
        (&change, Type::JSONB),
        (&from.ip, Type::TEXT),
        (&from.user_agent, Type::TEXT),
        (&trace_id, Type::TEXT),
        (&member.api_key, Type::TEXT),
    ];
    client
        .execute_typed(
            "INSERT INTO audit_log
                 (store_id, user_id, role, action, target_id, change, ip, user_agent, trace_id,
                  api_key_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &params,
        )
        .await?;
    Ok(())
}

/// One recorded write, as the admin area lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub at: String,
    pub user_email: Option<String>,
    pub role: Option<String>,
    /// The API key the write came through (its title while it exists, else its id).
    pub api_key: Option<String>,
    pub action: String,
    pub target_id: Option<String>,
    pub change: Value,
    pub ip: String,
}

/// Which entries to list; absent fields do not filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter<'a> {
    /// Actions starting with this (`order.`).
    pub action: Option<&'a str>,
    /// Entries about this target (an order's timeline).
    pub target: Option<&'a str>,
}

/// The store's log matching `filter`, newest first.
pub async fn list<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: Filter<'_>,
    page: Page,
) -> Result<(Vec<Row>, i64), ApiError> {
    const WHERE: &str = "a.store_id = $1 AND ($2::text IS NULL OR a.action LIKE $2 || '%')
        AND ($3::text IS NULL OR a.target_id = $3)";
    let sql = format!(
        "SELECT to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS at,
                u.email AS user_email, a.role, coalesce(k.title, a.api_key_id) AS api_key,
                a.action, a.target_id, a.change, a.ip,
                (SELECT count(*) FROM audit_log a WHERE {WHERE}) AS total
         FROM audit_log a LEFT JOIN staff_users u ON u.id = a.user_id
              LEFT JOIN staff_api_keys k ON k.id = a.api_key_id
         WHERE {WHERE} ORDER BY a.created_at DESC, a.id DESC LIMIT $4 OFFSET $5"
    );
    let count = format!("SELECT count(*) AS total FROM audit_log a WHERE {WHERE}");
    let filter: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (&filter.action, Type::TEXT),
        (&filter.target, Type::TEXT),
    ];
    let (rows, total) = list_page(
        client,
        ListQuery {
            sql: &sql,
            count: &count,
            filter_params: &filter,
            extra: &[],
        },
        page,
    )
    .await?;
    let rows = rows
        .iter()
        .map(|row| {
            let change: Json<Value> = col(row, "change")?;
            Ok(Row {
                at: col(row, "at")?,
                user_email: col(row, "user_email")?,
                role: col(row, "role")?,
                api_key: col(row, "api_key")?,
                action: col(row, "action")?,
                target_id: col(row, "target_id")?,
                change: change.0,
                ip: col(row, "ip")?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok((rows, total))
}
