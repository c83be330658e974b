//! A store's outbound webhook endpoints at `/admin/webhooks` (JSON API, permission
//! `settings:write`): register one (its secret shown once), change its URL, topics or
//! description, pause and resume it, rotate its secret, delete it; see its deliveries
//! and send one or every dead one again. Every change is in the audit log. The rules
//! are `commerce::webhook`'s; the origin delivers.

use commerce::outbox::Topic;
use commerce::staff::audit::{self, Entry};
use commerce::webhook::json::{
    Deleted, DeliveryList, DeliveryShape, EndpointList, EndpointResponse, EndpointShape, Resent,
};
use commerce::webhook::repo::{self, Change};
use commerce::webhook::{self, EndpointId, EndpointStatus};
use commerce::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_postgres::Client;
use worker::Response;

use super::api_json;
use crate::context::Cx;

fn endpoint_id(cx: &Cx) -> Result<EndpointId, ApiError> {
    let raw = cx.param(0);
    EndpointId::parse(raw).map_err(|_| ApiError::not_found("Webhook endpoint", "id", raw))
}

/// Records an admin write of an endpoint in the audit log.
async fn audited(
    cx: &Cx,
    client: &Client,
    action: &str,
    id: &EndpointId,
    change: Value,
) -> Result<(), ApiError> {
    let member = cx.member()?;
    let entry = Entry {
        action,
        target_id: Some(id.as_str()),
        change,
    };
    audit::record(client, member, &cx.client(), &cx.trace_id, entry).await
}

/// `GET /admin/webhooks`: the store's endpoints and the topics they may ask for.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    let store = cx.member()?.store_id.clone();
    let endpoints = cx
        .with_db(async |client: &Client| repo::list(client, &store).await)
        .await?;
    let shapes: Vec<EndpointShape<'_>> = endpoints
        .iter()
        .map(|e| EndpointShape::of(e, None))
        .collect();
    api_json(&EndpointList {
        count: shapes.len(),
        webhook_endpoints: shapes,
        topics: webhook::offered_topics()
            .into_iter()
            .map(Topic::as_str)
            .collect(),
    })
}

/// A new endpoint as posted.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEndpoint {
    url: String,
    topics: Vec<String>,
    #[serde(default)]
    description: String,
}

/// `POST /admin/webhooks`: registers an endpoint; its secret is answered this once.
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: NewEndpoint = cx.json_as().await?;
    let production = cx.config.environment == "production";
    let url = webhook::check_url(&posted.url, production)?;
    let topics = webhook::check_topics(&posted.topics)?;
    let description = webhook::check_description(&posted.description)?;
    let store = cx.member()?.store_id.clone();
    let (endpoint, secret) = cx
        .with_db(async |client: &Client| {
            let made = repo::create(client, &store, &url, &description, &topics).await?;
            let change = json!({ "url": [null, &url], "topics": [null, &posted.topics] });
            audited(cx, client, "webhook.create", &made.0.id, change).await?;
            Ok(made)
        })
        .await?;
    api_json(&EndpointResponse {
        webhook_endpoint: EndpointShape::of(&endpoint, Some(&secret)),
    })
}

/// `GET /admin/webhooks/:id`: the endpoint and its latest deliveries (`status`:
/// pending, delivered or dead; `limit`, default 50, at most 200).
pub async fn get(cx: &mut Cx) -> Result<Response, ApiError> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Query {
        status: Option<String>,
        limit: Option<i64>,
    }
    let id = endpoint_id(cx)?;
    let query: Query = cx.query_as()?;
    if let Some(s) = query.status.as_deref() {
        if !matches!(s, "pending" | "delivered" | "dead") {
            return Err(ApiError::invalid(
                "status",
                "Use pending, delivered or dead.",
            ));
        }
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "Use a number from 1 to 200."));
    }
    let store = cx.member()?.store_id.clone();
    let (endpoint, deliveries) = cx
        .with_db(async |client: &Client| {
            let endpoint = repo::get(client, &store, &id).await?;
            let status = query.status.as_deref();
            let deliveries = repo::deliveries(client, &store, &id, status, limit).await?;
            Ok((endpoint, deliveries))
        })
        .await?;
    api_json(&DeliveryList {
        webhook_endpoint: EndpointShape::of(&endpoint, None),
        count: deliveries.len(),
        deliveries: deliveries.iter().map(DeliveryShape::of).collect(),
    })
}

/// What an update may change.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Update {
    url: Option<String>,
    topics: Option<Vec<String>>,
    description: Option<String>,
    /// `active` or `paused`.
    status: Option<String>,
}

/// `POST /admin/webhooks/:id`: changes the URL, topics or description, pauses it
/// (`status: paused`: deliveries wait) or makes it active again (also after a 410).
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = endpoint_id(cx)?;
    let posted: Update = cx.json_as().await?;
    let production = cx.config.environment == "production";
    let change = Change {
        url: posted
            .url
            .as_deref()
            .map(|u| webhook::check_url(u, production))
            .transpose()?,
        description: posted
            .description
            .as_deref()
            .map(webhook::check_description)
            .transpose()?,
        topics: posted
            .topics
            .as_deref()
            .map(webhook::check_topics)
            .transpose()?,
        status: match posted.status.as_deref() {
            None => None,
            Some("active") => Some(EndpointStatus::Active),
            Some("paused") => Some(EndpointStatus::Paused),
            Some(_) => return Err(ApiError::invalid("status", "Use active or paused.")),
        },
    };
    let store = cx.member()?.store_id.clone();
    let endpoint = cx
        .with_db(async |client: &Client| {
            let before = repo::get(client, &store, &id).await?;
            let after = repo::update(client, &store, &id, &change).await?;
            let diff = json!({
                "url": [&before.url, &after.url],
                "status": [before.status.as_str(), after.status.as_str()],
                "topics": [before.topics.len(), after.topics.len()],
            });
            audited(cx, client, "webhook.update", &id, diff).await?;
            Ok(after)
        })
        .await?;
    api_json(&EndpointResponse {
        webhook_endpoint: EndpointShape::of(&endpoint, None),
    })
}

/// `DELETE /admin/webhooks/:id`: the endpoint and its deliveries are gone.
pub async fn delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = endpoint_id(cx)?;
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| {
        let gone = repo::delete(client, &store, &id).await?;
        audited(
            cx,
            client,
            "webhook.delete",
            &id,
            json!({ "url": &gone.url }),
        )
        .await
    })
    .await?;
    api_json(&Deleted {
        id: id.as_str(),
        object: "webhook_endpoint",
        deleted: true,
    })
}

/// `POST /admin/webhooks/:id/rotate-secret`: a new secret, answered this once; the
/// old one signs beside it for a day.
pub async fn rotate(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = endpoint_id(cx)?;
    let store = cx.member()?.store_id.clone();
    let (endpoint, secret) = cx
        .with_db(async |client: &Client| {
            let rotated = repo::rotate(client, &store, &id).await?;
            audited(cx, client, "webhook.rotate_secret", &id, json!({})).await?;
            Ok(rotated)
        })
        .await?;
    api_json(&EndpointResponse {
        webhook_endpoint: EndpointShape::of(&endpoint, Some(&secret)),
    })
}

/// `POST /admin/webhooks/:id/deliveries/:delivery/resend`: that delivery again.
pub async fn resend(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = endpoint_id(cx)?;
    let raw = cx.param(1).to_owned();
    let delivery: i64 = raw
        .parse()
        .map_err(|_| ApiError::not_found("Webhook delivery", "id", raw))?;
    resend_some(cx, id, Some(delivery)).await
}

/// `POST /admin/webhooks/:id/resend-failed`: every dead delivery of the endpoint again.
pub async fn resend_failed(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = endpoint_id(cx)?;
    resend_some(cx, id, None).await
}

async fn resend_some(cx: &Cx, id: EndpointId, delivery: Option<i64>) -> Result<Response, ApiError> {
    let store = cx.member()?.store_id.clone();
    let resent = cx
        .with_db(async |client: &Client| {
            let n = repo::resend(client, &store, &id, delivery).await?;
            audited(
                cx,
                client,
                "webhook.resend",
                &id,
                json!({ "delivery": delivery, "resent": n }),
            )
            .await?;
            Ok(n)
        })
        .await?;
    api_json(&Resent { resent })
}
