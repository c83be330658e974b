//! The webhooks pages: the store's endpoints with the form that registers one (its
//! secret shown once), and an endpoint's page (change it, pause or resume it, rotate
//! its secret, delete it, and its deliveries with the buttons that send them again).

use askama::Template;
use commerce::outbox::Topic;
use commerce::webhook::repo::Delivery;
use commerce::webhook::{offered_topics, Endpoint, EndpointStatus};
use commerce::ApiError;

use super::{shown_time, Frame, Shell};
use crate::pages::{html, Rendered};

/// A topic's box on a form.
pub struct TopicBox {
    pub name: &'static str,
    pub checked: bool,
}

fn boxes(checked: &[&str]) -> Vec<TopicBox> {
    offered_topics()
        .into_iter()
        .map(Topic::as_str)
        .map(|name| TopicBox {
            name,
            checked: checked.contains(&name),
        })
        .collect()
}

fn status_label(e: &Endpoint) -> String {
    match e.status {
        EndpointStatus::Active if e.failing_since.is_some() => "Active, failing".to_owned(),
        EndpointStatus::Active => "Active".to_owned(),
        EndpointStatus::Paused => "Paused".to_owned(),
        EndpointStatus::Disabled => "Disabled".to_owned(),
    }
}

pub struct EndpointLine {
    pub id: String,
    pub url: String,
    pub description: String,
    pub topics: String,
    pub status: String,
}

/// What the list page shows besides the endpoints: the endpoint just registered (its
/// URL and secret), the form as typed and why it was refused.
#[derive(Debug, Clone, Default)]
pub struct WebhooksNotice<'a> {
    pub made: Option<(&'a str, &'a str)>,
    pub url: &'a str,
    pub description: &'a str,
    pub topics: Vec<&'a str>,
    pub message: Option<String>,
    /// The refused field: `url`, `topics` or `description`.
    pub field: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksPage<'a> {
    frame: Frame<'a>,
    endpoints: Vec<EndpointLine>,
    topics: Vec<TopicBox>,
    notice: WebhooksNotice<'a>,
}

/// The store's endpoints and the form that registers one.
pub fn webhooks_page(
    shell: &Shell,
    endpoints: &[Endpoint],
    notice: WebhooksNotice<'_>,
    status: u16,
) -> Result<Rendered, ApiError> {
    html(
        status,
        &WebhooksPage {
            frame: Frame::new("Webhooks", Some(shell)),
            endpoints: endpoints
                .iter()
                .map(|e| EndpointLine {
                    id: e.id.as_str().to_owned(),
                    url: e.url.clone(),
                    description: e.description.clone(),
                    topics: e
                        .topics
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    status: status_label(e),
                })
                .collect(),
            topics: boxes(&notice.topics),
            notice,
        },
    )
}

pub struct DeliveryLine {
    pub id: i64,
    pub event_id: String,
    pub topic: String,
    pub sequence: i64,
    pub status: String,
    pub attempts: i32,
    /// The last answer's status and time, or why there was none.
    pub answer: String,
    pub last_attempt: String,
    pub next_attempt: String,
    pub delivered: String,
}

/// What an endpoint's page shows besides it: a secret just rotated, the change form as
/// typed and why it was refused.
#[derive(Debug, Clone, Default)]
pub struct WebhookNotice<'a> {
    pub secret: Option<&'a str>,
    pub url: Option<&'a str>,
    pub description: Option<&'a str>,
    pub topics: Option<Vec<&'a str>>,
    pub message: Option<String>,
    pub field: Option<String>,
    /// A change that worked: what it was.
    pub done: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
struct WebhookPage<'a> {
    frame: Frame<'a>,
    id: &'a str,
    url: &'a str,
    description: &'a str,
    status: String,
    paused: bool,
    active: bool,
    disabled_reason: Option<&'a str>,
    failing_since: Option<String>,
    previous_secret_until: Option<String>,
    created: String,
    topics: Vec<TopicBox>,
    deliveries: Vec<DeliveryLine>,
    dead: usize,
    notice: WebhookNotice<'a>,
}

/// One endpoint: its forms and its latest deliveries.
pub fn webhook_page<'a>(
    shell: &'a Shell,
    e: &'a Endpoint,
    deliveries: &[Delivery],
    notice: WebhookNotice<'a>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let kept: Vec<&str> = e.topics.iter().map(|t| t.as_str()).collect();
    let checked = notice.topics.clone().unwrap_or(kept);
    html(
        status,
        &WebhookPage {
            frame: Frame::new(format!("Webhook {}", e.url), Some(shell)),
            id: e.id.as_str(),
            url: notice.url.unwrap_or(&e.url),
            description: notice.description.unwrap_or(&e.description),
            status: status_label(e),
            paused: e.status == EndpointStatus::Paused,
            active: e.status == EndpointStatus::Active,
            disabled_reason: e.disabled_reason.as_deref(),
            failing_since: e.failing_since.as_deref().map(shown_time),
            previous_secret_until: e.previous_secret_until.as_deref().map(shown_time),
            created: shown_time(&e.created_at),
            topics: boxes(&checked),
            dead: deliveries.iter().filter(|d| d.status == "dead").count(),
            deliveries: deliveries
                .iter()
                .map(|d| DeliveryLine {
                    id: d.id,
                    event_id: d.event_id.clone(),
                    topic: d.topic.clone(),
                    sequence: d.sequence,
                    status: d.status.clone(),
                    attempts: d.attempts,
                    answer: match (d.last_status, &d.last_error) {
                        (Some(s), _) => {
                            format!("{s} in {} ms", d.last_duration_ms.unwrap_or_default())
                        }
                        (None, Some(e)) => e.clone(),
                        (None, None) => "not yet sent".to_owned(),
                    },
                    last_attempt: d
                        .last_attempt_at
                        .as_deref()
                        .map(shown_time)
                        .unwrap_or_default(),
                    next_attempt: d
                        .next_attempt_at
                        .as_deref()
                        .map(shown_time)
                        .unwrap_or_default(),
                    delivered: d
                        .delivered_at
                        .as_deref()
                        .map(shown_time)
                        .unwrap_or_default(),
                })
                .collect(),
            notice,
        },
    )
}
