//! A store's outbound webhook endpoints at `/admin/webhooks` (permission
//! `settings:write`), as pages and as JSON: register one (its secret shown once),
//! change its URL, topics or description, pause and resume it, rotate its secret,
//! delete it; see its deliveries and send one or every dead one again. Every change is
//! in the audit log. The rules are `commerce::webhook`'s; the origin delivers.

use std::collections::BTreeMap;

use commerce::outbox::Topic;
use commerce::staff::audit::{self, Entry};
use commerce::webhook::json::{
    Deleted, DeliveryList, DeliveryShape, EndpointList, EndpointResponse, EndpointShape, Resent,
};
use commerce::webhook::repo::{self, Change};
use commerce::webhook::{self, Endpoint, EndpointId, EndpointStatus, Secret};
use commerce::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use storefront::admin::webhooks::{webhook_page, webhooks_page, WebhookNotice, WebhooksNotice};
use tokio_postgres::Client;
use worker::Response;

use super::{api_json, page, shell};
use crate::context::Cx;
use crate::http;

fn endpoint_id(cx: &Cx) -> Result<EndpointId, ApiError> {
    let raw = cx.param(0);
    EndpointId::parse(raw).map_err(|_| ApiError::not_found("Webhook endpoint", "id", raw))
}

fn production(cx: &Cx) -> bool {
    cx.config.environment == "production"
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

/// The form of the pages: fields, and a `topic.<name>` box per topic.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EndpointForm {
    url: String,
    description: String,
    status: String,
    confirm: String,
    #[serde(flatten)]
    boxes: BTreeMap<String, String>,
}

impl EndpointForm {
    fn topics(&self) -> Vec<String> {
        self.boxes
            .iter()
            .filter(|(_, v)| v.as_str() == "yes")
            .filter_map(|(k, _)| k.strip_prefix("topic."))
            .map(str::to_owned)
            .collect()
    }
}

/// The refused field of an invalid form, for the page to mark.
fn refused(err: &ApiError) -> Option<(String, Option<String>)> {
    match err {
        ApiError::InvalidParam { .. } => {
            Some((err.reason().to_owned(), err.param().map(str::to_owned)))
        }
        _ => None,
    }
}

/// `GET /webhooks/schemas.json`: the JSON Schema of every event topic's payload, for
/// the developers of receivers (public: it says nothing of any store).
pub async fn schemas(_cx: &mut Cx) -> Result<Response, ApiError> {
    let mut response = http::bytes(
        200,
        "application/json",
        commerce::events::SCHEMAS.as_bytes().to_vec(),
    )?;
    response
        .headers_mut()
        .set("cache-control", "public, max-age=3600")
        .map_err(http::internal)?;
    Ok(response)
}

// ------------------------------------------------------------------ the list

/// The list page with `notice`, at `status`.
async fn list_view(cx: &Cx, notice: WebhooksNotice<'_>, status: u16) -> Result<Response, ApiError> {
    let member = cx.member()?;
    let rendered = cx
        .with_db(async |client: &Client| {
            let shell = shell(client, member, "/admin/webhooks").await?;
            let endpoints = repo::list(client, &member.store_id).await?;
            webhooks_page(&shell, &endpoints, notice, status)
        })
        .await?;
    page(rendered, &[])
}

/// `GET /admin/webhooks`: the page, or the endpoints and the topics they may ask for.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    if !cx.wants_json() {
        return list_view(cx, WebhooksNotice::default(), 200).await;
    }
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

/// A new endpoint as an API client posts it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEndpoint {
    url: String,
    topics: Vec<String>,
    #[serde(default)]
    description: String,
}

/// Checks and registers an endpoint.
async fn register(cx: &Cx, posted: &NewEndpoint) -> Result<(Endpoint, Secret), ApiError> {
    let url = webhook::check_url(&posted.url, production(cx))?;
    let topics = webhook::check_topics(&posted.topics)?;
    let description = webhook::check_description(&posted.description)?;
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| {
        let made = repo::create(client, &store, &url, &description, &topics).await?;
        let change = json!({ "url": [null, &url], "topics": [null, &posted.topics] });
        audited(cx, client, "webhook.create", &made.0.id, change).await?;
        Ok(made)
    })
    .await
}

/// `POST /admin/webhooks`: registers an endpoint; its secret is answered this once.
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let posted: NewEndpoint = cx.json_as().await?;
        let (endpoint, secret) = register(cx, &posted).await?;
        return api_json(&EndpointResponse {
            webhook_endpoint: EndpointShape::of(&endpoint, Some(&secret)),
        });
    }
    let form: EndpointForm = cx.form().await?;
    let posted = NewEndpoint {
        url: form.url.clone(),
        topics: form.topics(),
        description: form.description.clone(),
    };
    match register(cx, &posted).await {
        Ok((endpoint, secret)) => {
            let notice = WebhooksNotice {
                made: Some((&endpoint.url, secret.reveal())),
                ..WebhooksNotice::default()
            };
            list_view(cx, notice, 200).await
        }
        Err(err) => {
            let Some((message, field)) = refused(&err) else {
                return Err(err);
            };
            let notice = WebhooksNotice {
                url: &form.url,
                description: &form.description,
                topics: posted.topics.iter().map(String::as_str).collect(),
                message: Some(message),
                field,
                made: None,
            };
            list_view(cx, notice, 400).await
        }
    }
}

// ------------------------------------------------------------------ one endpoint

/// The endpoint's page with `notice`, at `status`.
async fn endpoint_view(
    cx: &Cx,
    id: &EndpointId,
    notice: WebhookNotice<'_>,
    status: u16,
) -> Result<Response, ApiError> {
    let member = cx.member()?;
    let rendered = cx
        .with_db(async |client: &Client| {
            let shell = shell(client, member, "/admin/webhooks").await?;
            let endpoint = repo::get(client, &member.store_id, id).await?;
            let deliveries = repo::deliveries(client, &member.store_id, id, None, 50).await?;
            webhook_page(&shell, &endpoint, &deliveries, notice, status)
        })
        .await?;
    page(rendered, &[])
}

fn endpoint_page_url(id: &EndpointId) -> String {
    format!("/admin/webhooks/{}", id.as_str())
}

/// `GET /admin/webhooks/:id`: the page, or the endpoint and its latest deliveries
/// (`status`: pending, delivered or dead; `limit`, default 50, at most 200).
pub async fn get(cx: &mut Cx) -> Result<Response, ApiError> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Query {
        status: Option<String>,
        limit: Option<i64>,
    }
    let id = endpoint_id(cx)?;
    if !cx.wants_json() {
        return endpoint_view(cx, &id, WebhookNotice::default(), 200).await;
    }
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

/// Checks and applies an update.
async fn change(cx: &Cx, id: &EndpointId, posted: &Update) -> Result<Endpoint, ApiError> {
    let production = production(cx);
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
    cx.with_db(async |client: &Client| {
        let before = repo::get(client, &store, id).await?;
        let after = repo::update(client, &store, id, &change).await?;
        let diff = json!({
            "url": [&before.url, &after.url],
            "status": [before.status.as_str(), after.status.as_str()],
            "topics": [before.topics.len(), after.topics.len()],
        });
        audited(cx, client, "webhook.update", id, diff).await?;
        Ok(after)
    })
    .await
}

/// `POST /admin/webhooks/:id`: changes the URL, topics or description, pauses it
/// (`status: paused`: deliveries wait) or makes it active again (also after a 410).
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = endpoint_id(cx)?;
    if cx.wants_json() {
        let posted: Update = cx.json_as().await?;
        let endpoint = change(cx, &id, &posted).await?;
        return api_json(&EndpointResponse {
            webhook_endpoint: EndpointShape::of(&endpoint, None),
        });
    }
    let form: EndpointForm = cx.form().await?;
    // The page's forms: a status button, or the change form.
    let posted = if form.status.is_empty() {
        Update {
            url: Some(form.url.clone()),
            topics: Some(form.topics()),
            description: Some(form.description.clone()),
            status: None,
        }
    } else {
        Update {
            status: Some(form.status.clone()),
            ..Update::default()
        }
    };
    match change(cx, &id, &posted).await {
        Ok(_) => http::see_other(&endpoint_page_url(&id)),
        Err(err) => {
            let Some((message, field)) = refused(&err) else {
                return Err(err);
            };
            let topics = posted
                .topics
                .as_ref()
                .map(|t| t.iter().map(String::as_str).collect());
            let notice = WebhookNotice {
                url: posted.url.as_deref(),
                description: posted.description.as_deref(),
                topics,
                message: Some(message),
                field,
                ..WebhookNotice::default()
            };
            endpoint_view(cx, &id, notice, 400).await
        }
    }
}

/// A page's form whose box must be ticked; `Some(page)` when it was not.
async fn unconfirmed(
    cx: &mut Cx,
    id: &EndpointId,
    what: &str,
) -> Result<Option<Response>, ApiError> {
    let form: EndpointForm = cx.form().await?;
    if form.confirm == "yes" {
        return Ok(None);
    }
    let notice = WebhookNotice {
        message: Some(format!("Please tick the box to confirm {what}.")),
        ..WebhookNotice::default()
    };
    endpoint_view(cx, id, notice, 400).await.map(Some)
}

async fn remove(cx: &Cx, id: &EndpointId) -> Result<(), ApiError> {
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| {
        let gone = repo::delete(client, &store, id).await?;
        audited(
            cx,
            client,
            "webhook.delete",
            id,
            json!({ "url": &gone.url }),
        )
        .await
    })
    .await
}

/// `DELETE /admin/webhooks/:id`: the endpoint and its deliveries are gone.
pub async fn delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = endpoint_id(cx)?;
    remove(cx, &id).await?;
    api_json(&Deleted {
        id: id.as_str(),
        object: "webhook_endpoint",
        deleted: true,
    })
}

/// `POST /admin/webhooks/:id/delete`: the page's delete, once its box is ticked.
pub async fn delete_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = endpoint_id(cx)?;
    if let Some(page) = unconfirmed(cx, &id, "the deletion").await? {
        return Ok(page);
    }
    remove(cx, &id).await?;
    http::see_other("/admin/webhooks")
}

/// `POST /admin/webhooks/:id/rotate-secret`: a new secret, answered (or shown) this
/// once; the old one signs beside it for a day.
pub async fn rotate(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = endpoint_id(cx)?;
    let api = cx.wants_json();
    if !api {
        if let Some(page) = unconfirmed(cx, &id, "a new secret").await? {
            return Ok(page);
        }
    }
    let store = cx.member()?.store_id.clone();
    let (endpoint, secret) = cx
        .with_db(async |client: &Client| {
            let rotated = repo::rotate(client, &store, &id).await?;
            audited(cx, client, "webhook.rotate_secret", &id, json!({})).await?;
            Ok(rotated)
        })
        .await?;
    if api {
        return api_json(&EndpointResponse {
            webhook_endpoint: EndpointShape::of(&endpoint, Some(&secret)),
        });
    }
    let notice = WebhookNotice {
        secret: Some(secret.reveal()),
        ..WebhookNotice::default()
    };
    endpoint_view(cx, &id, notice, 200).await
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
            let change = json!({ "delivery": delivery, "resent": n });
            audited(cx, client, "webhook.resend", &id, change).await?;
            Ok(n)
        })
        .await?;
    if cx.wants_json() {
        return api_json(&Resent { resent });
    }
    http::see_other(&endpoint_page_url(&id))
}
