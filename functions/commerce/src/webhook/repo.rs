//! Webhook endpoints and deliveries in PostgreSQL. The edge keeps the endpoints (the
//! admin API); the trigger of migration 0032 writes deliveries with each event; the
//! origin's delivery runner [`claim`]s due ones and [`record`]s each attempt.

use serde_json::Value;
use tokio_postgres::types::{Json, Type};
use tokio_postgres::Row;

use super::{
    Attempt, Endpoint, EndpointId, EndpointStatus, Next, Secret, MAX_ENDPOINTS, ROTATION_OVERLAP_S,
};
use crate::db::{col, first, Param, Sql};
use crate::error::ApiError;
use crate::ids::StoreId;
use crate::outbox::Topic;

const ENDPOINT_COLUMNS: &str = "id, store_id, url, description, topics, status, disabled_reason,
    api_ts(failing_since) AS failing_since,
    CASE WHEN previous_secret_until > now() THEN api_ts(previous_secret_until) END
        AS previous_secret_until,
    api_ts(created_at) AS created_at, api_ts(updated_at) AS updated_at";

fn endpoint(row: &Row) -> Result<Endpoint, ApiError> {
    let topics: Vec<String> = col(row, "topics")?;
    let status: String = col(row, "status")?;
    Ok(Endpoint {
        id: col(row, "id")?,
        store_id: col(row, "store_id")?,
        url: col(row, "url")?,
        description: col(row, "description")?,
        // A topic this build does not know (kept by a newer one) is left out.
        topics: topics.iter().filter_map(|t| Topic::parse(t)).collect(),
        status: EndpointStatus::parse(&status)
            .ok_or_else(|| ApiError::internal(format!("webhook endpoint status '{status}'")))?,
        disabled_reason: col(row, "disabled_reason")?,
        failing_since: col(row, "failing_since")?,
        previous_secret_until: col(row, "previous_secret_until")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn not_found(id: &EndpointId) -> ApiError {
    ApiError::not_found("Webhook endpoint", "id", id.as_str())
}

/// The endpoint a statement of one row answered; not found without it.
fn found(rows: Vec<Row>, id: &EndpointId) -> Result<Endpoint, ApiError> {
    first(rows)
        .map(|r| endpoint(&r))
        .transpose()?
        .ok_or_else(|| not_found(id))
}

fn topic_names(topics: &[Topic]) -> Vec<&'static str> {
    topics.iter().map(|t| t.as_str()).collect()
}

/// Registers an endpoint (its URL, description and topics already checked); the
/// secret is answered this once.
pub async fn create<C: Sql>(
    client: &C,
    store: &StoreId,
    url: &str,
    description: &str,
    topics: &[Topic],
) -> Result<(Endpoint, Secret), ApiError> {
    let params: [Param<'_>; 1] = [(store, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT count(*) AS n FROM webhook_endpoints WHERE store_id = $1",
            &params,
        )
        .await?;
    let n: i64 = first(rows).map(|r| col(&r, "n")).transpose()?.unwrap_or(0);
    if n >= MAX_ENDPOINTS {
        return Err(ApiError::invalid(
            "url",
            format!("A store has at most {MAX_ENDPOINTS} webhook endpoints; delete one first."),
        ));
    }
    let (id, secret) = (EndpointId::generate(), Secret::generate());
    let names = topic_names(topics);
    let sql = format!(
        "INSERT INTO webhook_endpoints (id, store_id, url, description, topics, secret)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ENDPOINT_COLUMNS}"
    );
    let secret_text = secret.reveal();
    let params: [Param<'_>; 6] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (&url, Type::TEXT),
        (&description, Type::TEXT),
        (&names, Type::TEXT_ARRAY),
        (&secret_text, Type::TEXT),
    ];
    let rows = client.query_typed(&sql, &params).await?;
    let row = first(rows).ok_or_else(|| ApiError::internal("insert returned no row"))?;
    Ok((endpoint(&row)?, secret))
}

/// The store's endpoints, oldest first.
pub async fn list<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<Endpoint>, ApiError> {
    let sql = format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE store_id = $1
         ORDER BY created_at, id"
    );
    let params: [Param<'_>; 1] = [(store, Type::TEXT)];
    let rows = client.query_typed(&sql, &params).await?;
    rows.iter().map(endpoint).collect()
}

/// One endpoint of the store.
pub async fn get<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &EndpointId,
) -> Result<Endpoint, ApiError> {
    let sql =
        format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE store_id = $1 AND id = $2");
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let rows = client.query_typed(&sql, &params).await?;
    found(rows, id)
}

/// What an operator changes of an endpoint (each checked); `None` keeps it.
#[derive(Debug, Default, Clone)]
pub struct Change {
    pub url: Option<String>,
    pub description: Option<String>,
    pub topics: Option<Vec<Topic>>,
    /// Pausing, or making active again (also after a 410 or a dead delivery).
    pub status: Option<EndpointStatus>,
}

/// Changes an endpoint. Making it active clears why it was disabled and its failing
/// flag.
pub async fn update<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &EndpointId,
    change: &Change,
) -> Result<Endpoint, ApiError> {
    let names = change.topics.as_deref().map(topic_names);
    let status = change.status.map(EndpointStatus::as_str);
    let sql = format!(
        "UPDATE webhook_endpoints SET
             url = coalesce($3, url),
             description = coalesce($4, description),
             topics = coalesce($5, topics),
             status = coalesce($6, status),
             disabled_reason = CASE WHEN $6 = 'active' THEN NULL ELSE disabled_reason END,
             failing_since = CASE WHEN $6 = 'active' THEN NULL ELSE failing_since END,
             updated_at = now()
         WHERE store_id = $1 AND id = $2 RETURNING {ENDPOINT_COLUMNS}"
    );
    let params: [Param<'_>; 6] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&change.url, Type::TEXT),
        (&change.description, Type::TEXT),
        (&names, Type::TEXT_ARRAY),
        (&status, Type::TEXT),
    ];
    let rows = client.query_typed(&sql, &params).await?;
    found(rows, id)
}

/// Deletes an endpoint and its deliveries.
pub async fn delete<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &EndpointId,
) -> Result<Endpoint, ApiError> {
    let sql = format!("DELETE FROM webhook_endpoints WHERE store_id = $1 AND id = $2 RETURNING {ENDPOINT_COLUMNS}");
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let rows = client.query_typed(&sql, &params).await?;
    found(rows, id)
}

/// A new secret for the endpoint, answered this once; the old one keeps signing
/// beside it for [`ROTATION_OVERLAP_S`], so that receivers can switch without
/// refusing a delivery.
pub async fn rotate<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &EndpointId,
) -> Result<(Endpoint, Secret), ApiError> {
    let secret = Secret::generate();
    let text = secret.reveal();
    let overlap = ROTATION_OVERLAP_S as f64;
    let sql = format!(
        "UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,
             previous_secret_until = now() + make_interval(secs => $4), updated_at = now()
         WHERE store_id = $1 AND id = $2 RETURNING {ENDPOINT_COLUMNS}"
    );
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&text, Type::TEXT),
        (&overlap, Type::FLOAT8),
    ];
    let rows = client.query_typed(&sql, &params).await?;
    Ok((found(rows, id)?, secret))
}

/// One delivery of an event to an endpoint, as operators see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: EndpointId,
    pub event_id: String,
    pub topic: String,
    pub sequence: i64,
    /// pending, delivered or dead.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub last_status: Option<i32>,
    pub last_duration_ms: Option<i32>,
    pub last_error: Option<String>,
    /// The start of the last answer's body.
    pub last_response: Option<String>,
    pub delivered_at: Option<String>,
    pub created_at: String,
    /// What is posted.
    pub body: Value,
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, event_id, topic, sequence, status, attempts,
    CASE WHEN status = 'pending' THEN api_ts(next_attempt_at) END AS next_attempt_at,
    api_ts(last_attempt_at) AS last_attempt_at, last_status, last_duration_ms, last_error,
    last_response, api_ts(delivered_at) AS delivered_at, api_ts(created_at) AS created_at, body";

fn delivery(row: &Row) -> Result<Delivery, ApiError> {
    let Json(body): Json<Value> = col(row, "body")?;
    Ok(Delivery {
        id: col(row, "id")?,
        endpoint_id: col(row, "endpoint_id")?,
        event_id: col(row, "event_id")?,
        topic: col(row, "topic")?,
        sequence: col(row, "sequence")?,
        status: col(row, "status")?,
        attempts: col(row, "attempts")?,
        next_attempt_at: col(row, "next_attempt_at")?,
        last_attempt_at: col(row, "last_attempt_at")?,
        last_status: col(row, "last_status")?,
        last_duration_ms: col(row, "last_duration_ms")?,
        last_error: col(row, "last_error")?,
        last_response: col(row, "last_response")?,
        delivered_at: col(row, "delivered_at")?,
        created_at: col(row, "created_at")?,
        body,
    })
}

/// The endpoint's latest deliveries, newest first (at most `limit`, `status` when
/// given: pending, delivered or dead).
pub async fn deliveries<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &EndpointId,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>, ApiError> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
         WHERE store_id = $1 AND endpoint_id = $2 AND ($3::text IS NULL OR status = $3)
         ORDER BY id DESC LIMIT $4"
    );
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&status, Type::TEXT),
        (&limit, Type::INT8),
    ];
    let rows = client.query_typed(&sql, &params).await?;
    rows.iter().map(delivery).collect()
}

/// Sends a delivery again (a new round of the schedule), or every dead one of the
/// endpoint when `delivery` is `None`. Answers how many will be sent.
pub async fn resend<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &EndpointId,
    delivery: Option<i64>,
) -> Result<u64, ApiError> {
    get(client, store, id).await?;
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&delivery, Type::INT8),
    ];
    let n = client
        .execute_typed(
            "UPDATE webhook_deliveries SET status = 'pending', attempts = 0,
                 next_attempt_at = now()
             WHERE store_id = $1 AND endpoint_id = $2
               AND CASE WHEN $3::bigint IS NULL THEN status = 'dead' ELSE id = $3 END",
            &params,
        )
        .await?;
    if n == 0 {
        if let Some(one) = delivery {
            return Err(ApiError::not_found(
                "Webhook delivery",
                "id",
                one.to_string(),
            ));
        }
    }
    Ok(n)
}

/// A due delivery, claimed for one attempt.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub endpoint_id: EndpointId,
    pub url: String,
    pub event_id: String,
    pub sequence: i64,
    /// The body's bytes as they are signed and sent.
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i32,
    /// The secrets that sign now, the current one first.
    pub secrets: Vec<Secret>,
}

/// Claims up to `limit` due deliveries of active endpoints (at most `per_endpoint`
/// of one endpoint, so one endpoint's backlog never fills a round), in sequence order,
/// leaving out the endpoints in `busy` (the runner is still sending to them: one at a
/// time per endpoint). A claim is a lease: the deliveries are due again after
/// `lease_s` unless [`record`]ed, so a runner that stops halfway loses nothing.
pub async fn claim<C: Sql>(
    client: &C,
    limit: i64,
    per_endpoint: i64,
    lease_s: f64,
    busy: &[String],
) -> Result<Vec<Due>, ApiError> {
    let params: [Param<'_>; 4] = [
        (&limit, Type::INT8),
        (&per_endpoint, Type::INT8),
        (&lease_s, Type::FLOAT8),
        (&busy, Type::TEXT_ARRAY),
    ];
    let rows = client
        .query_typed(
            "WITH ranked AS (
                 SELECT d.id, row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.sequence, d.id) AS n
                   FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                  WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.status = 'active'
                    AND NOT (d.endpoint_id = ANY ($4))
             ), due AS (
                 -- By key from an array, not a join: with statistics taken while
                 -- little was pending, a join was planned as a nested loop whose cost
                 -- grew with the square of a burst's backlog (16 s for 20,000).
                 SELECT d.id FROM webhook_deliveries d
                  WHERE d.id = ANY (ARRAY(SELECT id FROM ranked WHERE n <= $2))
                    AND d.status = 'pending' AND d.next_attempt_at <= now()
                  ORDER BY d.next_attempt_at, d.id LIMIT $1
                  FOR UPDATE OF d SKIP LOCKED
             )
             UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => $3)
               FROM due, webhook_endpoints e
              WHERE d.id = due.id AND e.id = d.endpoint_id
             RETURNING d.id, d.endpoint_id, e.url, d.event_id, d.sequence, d.body::text AS body,
                       d.attempts, e.secret,
                       CASE WHEN e.previous_secret_until > now() THEN e.previous_secret END
                           AS previous_secret",
            &params,
        )
        .await?;
    let mut due = rows
        .iter()
        .map(|row| {
            let mut secrets = vec![Secret::from_stored(col(row, "secret")?)];
            if let Some(old) = col::<Option<String>>(row, "previous_secret")? {
                secrets.push(Secret::from_stored(old));
            }
            Ok(Due {
                id: col(row, "id")?,
                endpoint_id: col(row, "endpoint_id")?,
                url: col(row, "url")?,
                event_id: col(row, "event_id")?,
                sequence: col(row, "sequence")?,
                body: col(row, "body")?,
                attempts: col(row, "attempts")?,
                secrets,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    due.sort_by_key(|d| (d.endpoint_id.clone(), d.sequence, d.id));
    Ok(due)
}

/// How one attempt went, for the record.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    pub attempt: &'a Attempt,
    pub next: Next,
    pub duration_ms: i32,
    /// Why it failed, when it did without an answer (timeout, refused address).
    pub error: Option<&'a str>,
    /// The start of the answer's body.
    pub response: Option<&'a str>,
}

/// Records an attempt of `due`: delivered, due again later, or dead; a 410 disables
/// the endpoint, a death flags it, a success clears the flag.
pub async fn record<C: Sql>(client: &C, due: &Due, outcome: &Outcome<'_>) -> Result<(), ApiError> {
    let (status, wait_s) = match outcome.next {
        Next::Delivered => ("delivered", 0.0),
        Next::RetryIn(s) => ("pending", s as f64),
        Next::Dead | Next::Disable => ("dead", 0.0),
    };
    let http_status: Option<i32> = match outcome.attempt {
        Attempt::Delivered { status } => Some(i32::from(*status)),
        Attempt::Gone => Some(410),
        Attempt::Failed { status, .. } => status.map(i32::from),
    };
    let error: Option<String> = outcome.error.map(|e| e.chars().take(500).collect());
    let response: Option<String> = outcome.response.map(|r| r.chars().take(1_000).collect());
    let params: [Param<'_>; 7] = [
        (&due.id, Type::INT8),
        (&status, Type::TEXT),
        (&wait_s, Type::FLOAT8),
        (&http_status, Type::INT4),
        (&outcome.duration_ms, Type::INT4),
        (&error, Type::TEXT),
        (&response, Type::TEXT),
    ];
    client
        .execute_typed(
            "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1,
                 next_attempt_at = now() + make_interval(secs => $3), last_attempt_at = now(),
                 last_status = $4, last_duration_ms = $5, last_error = $6, last_response = $7,
                 delivered_at = CASE WHEN $2 = 'delivered' THEN now() END
             WHERE id = $1",
            &params,
        )
        .await?;
    let endpoint_change = match outcome.next {
        Next::Delivered => Some(
            "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
        ),
        Next::Dead => Some(
            "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, now()) WHERE id = $1",
        ),
        Next::Disable => Some(
            "UPDATE webhook_endpoints SET status = 'disabled', updated_at = now(),
                 disabled_reason = 'The endpoint answered 410 Gone.'
             WHERE id = $1 AND status <> 'disabled'",
        ),
        Next::RetryIn(_) => None,
    };
    if let Some(sql) = endpoint_change {
        let params: [Param<'_>; 1] = [(&due.endpoint_id, Type::TEXT)];
        client.execute_typed(sql, &params).await?;
    }
    Ok(())
}
