//! The admin API's shapes of endpoints and deliveries.

use serde::Serialize;
use serde_json::Value;

use super::repo::Delivery;
use super::{Endpoint, Secret};

/// An endpoint; `secret` only in the answer that made or rotated it.
#[derive(Debug, Serialize)]
pub struct EndpointShape<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub url: &'a str,
    pub description: &'a str,
    pub topics: Vec<&'static str>,
    pub status: &'static str,
    pub disabled_reason: Option<&'a str>,
    pub failing_since: Option<&'a str>,
    /// Until when the previous secret still signs beside the current one.
    pub previous_secret_until: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<&'a str>,
    pub created_at: &'a str,
    pub updated_at: &'a str,
}

impl<'a> EndpointShape<'a> {
    pub fn of(e: &'a Endpoint, secret: Option<&'a Secret>) -> Self {
        EndpointShape {
            id: e.id.as_str(),
            object: "webhook_endpoint",
            url: &e.url,
            description: &e.description,
            topics: e.topics.iter().map(|t| t.as_str()).collect(),
            status: e.status.as_str(),
            disabled_reason: e.disabled_reason.as_deref(),
            failing_since: e.failing_since.as_deref(),
            previous_secret_until: e.previous_secret_until.as_deref(),
            secret: secret.map(Secret::reveal),
            created_at: &e.created_at,
            updated_at: &e.updated_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct EndpointResponse<'a> {
    pub webhook_endpoint: EndpointShape<'a>,
}

#[derive(Debug, Serialize)]
pub struct EndpointList<'a> {
    pub webhook_endpoints: Vec<EndpointShape<'a>>,
    pub count: usize,
    /// Every topic an endpoint may ask for.
    pub topics: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct DeliveryShape<'a> {
    pub id: i64,
    pub object: &'static str,
    pub event_id: &'a str,
    pub topic: &'a str,
    pub sequence: i64,
    pub status: &'a str,
    pub attempts: i32,
    pub next_attempt_at: Option<&'a str>,
    pub last_attempt_at: Option<&'a str>,
    pub last_response_status: Option<i32>,
    pub last_duration_ms: Option<i32>,
    pub last_error: Option<&'a str>,
    pub last_response_body: Option<&'a str>,
    pub delivered_at: Option<&'a str>,
    pub created_at: &'a str,
    pub body: &'a Value,
}

impl<'a> DeliveryShape<'a> {
    pub fn of(d: &'a Delivery) -> Self {
        DeliveryShape {
            id: d.id,
            object: "webhook_delivery",
            event_id: &d.event_id,
            topic: &d.topic,
            sequence: d.sequence,
            status: &d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at.as_deref(),
            last_attempt_at: d.last_attempt_at.as_deref(),
            last_response_status: d.last_status,
            last_duration_ms: d.last_duration_ms,
            last_error: d.last_error.as_deref(),
            last_response_body: d.last_response.as_deref(),
            delivered_at: d.delivered_at.as_deref(),
            created_at: &d.created_at,
            body: &d.body,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DeliveryList<'a> {
    pub webhook_endpoint: EndpointShape<'a>,
    pub deliveries: Vec<DeliveryShape<'a>>,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct Resent {
    pub resent: u64,
}

#[derive(Debug, Serialize)]
pub struct Deleted<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub deleted: bool,
}
