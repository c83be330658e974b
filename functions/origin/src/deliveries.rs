//! The webhook delivery runner: a loop beside the job runner that claims due
//! deliveries (`commerce::webhook::repo::claim`: a lease, so a stopped origin loses
//! none), posts each as the Standard Webhooks specification says (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature`), and records what came of it. Endpoints
//! are served side by side, each one's deliveries one at a time in the order their
//! events were written, and the runner claims more for the others while one is still
//! sending, so one slow endpoint holds up only itself. In production,
//! deliveries go only to public addresses: the client's resolver refuses a host that
//! resolves to a private, loopback or link-local address, and connects only to the
//! addresses it checked (no second lookup to rebind).

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use commerce::webhook::repo::{self, Due, Outcome};
use commerce::webhook::{self, sign, Attempt, Next};
use commerce::ApiError;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::task::JoinSet;

use crate::app::{now_s, App};

/// Deliveries claimed per round, and of one endpoint.
const ROUND: i64 = 50;
const PER_ENDPOINT: i64 = 10;
/// The most of an answer's body kept (and read).
const RESPONSE_LIMIT: usize = 1_024;

/// Runs until the process ends: claims due deliveries of the endpoints it is not
/// sending to already, and starts a lane per endpoint without waiting for the others,
/// so a slow endpoint (ten deliveries of ten seconds each) holds up only itself.
pub async fn run(app: App) {
    let client = match client(&app) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook deliveries cannot start");
            return;
        }
    };
    let busy: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut lanes = JoinSet::new();
    loop {
        while let Some(done) = lanes.try_join_next() {
            log_lane(done);
        }
        let sending: Vec<String> = busy
            .lock()
            .map(|b| b.iter().cloned().collect())
            .unwrap_or_default();
        let claimed = match claim(&app, &sending).await {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(
                    detail = e.log_detail().unwrap_or(&e.to_string()),
                    "webhook deliveries"
                );
                BTreeMap::new()
            }
        };
        if claimed.is_empty() {
            tokio::time::sleep(app.config.job_poll).await;
            continue;
        }
        for (endpoint, list) in claimed {
            if let Ok(mut b) = busy.lock() {
                b.insert(endpoint.clone());
            }
            let (app, client, busy) = (app.clone(), client.clone(), busy.clone());
            lanes.spawn(async move {
                let sent = lane(&app, &client, list).await;
                if let Ok(mut b) = busy.lock() {
                    b.remove(&endpoint);
                }
                sent
            });
        }
    }
}

/// Logs a lane that failed.
fn log_lane(done: Result<Result<(), ApiError>, tokio::task::JoinError>) {
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(
            detail = e.log_detail().unwrap_or(&e.to_string()),
            "webhook delivery"
        ),
        Err(e) => tracing::error!(error = %e, "webhook delivery lane"),
    }
}

/// Due deliveries, by endpoint, leaving out the endpoints in `busy`.
async fn claim(app: &App, busy: &[String]) -> Result<BTreeMap<String, Vec<Due>>, ApiError> {
    let lease = app.config.webhook_timeout.as_secs_f64() * PER_ENDPOINT as f64 + 60.0;
    let conn = app.pool.get().await?;
    let due = repo::claim(&conn, ROUND, PER_ENDPOINT, lease, busy).await?;
    let mut by_endpoint: BTreeMap<String, Vec<Due>> = BTreeMap::new();
    for d in due {
        by_endpoint
            .entry(d.endpoint_id.to_string())
            .or_default()
            .push(d);
    }
    Ok(by_endpoint)
}

/// One endpoint's claimed deliveries, one at a time in sequence order; after a 410
/// the rest is not sent (its lease runs out, and the endpoint is disabled by then).
async fn lane(app: &App, client: &reqwest::Client, list: Vec<Due>) -> Result<(), ApiError> {
    for due in list {
        if deliver(app, client, &due).await? == Next::Disable {
            break;
        }
    }
    Ok(())
}

/// The HTTP client of deliveries: no redirects (a 3xx is a failed attempt, and a
/// redirect could lead anywhere), the attempt's timeout, and in production the
/// resolver that refuses private addresses.
pub fn client(app: &App) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(app.config.webhook_timeout)
        .connect_timeout(app.config.webhook_timeout)
        .user_agent("edgeshop-webhooks/1");
    if app.config.webhooks_public_only() {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder.build()
}

/// A resolver that answers only public addresses, and fails when a name has any other.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let addrs: Addrs = Box::new(public_addresses(name.as_str()).await?.into_iter());
            Ok(addrs)
        })
    }
}

/// The addresses `host` resolves to, all public; an error when any is not (a name
/// with one private address among public ones is refused whole: which one a
/// connection would take is not ours to choose).
pub async fn public_addresses(
    host: &str,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    if found.is_empty() || found.iter().any(|a| !webhook::is_public(a.ip())) {
        return Err(format!(
            "{host} resolves to a private, loopback or link-local address; deliveries go to public addresses only"
        )
        .into());
    }
    Ok(found)
}

/// One round, waited for: claim, deliver by endpoint side by side, record. Answers
/// the deliveries attempted (for tests and tools; [`run`] does not wait for a round).
pub async fn round(app: &App, client: &reqwest::Client) -> Result<usize, ApiError> {
    let claimed = claim(app, &[]).await?;
    let n = claimed.values().map(Vec::len).sum();
    let mut lanes = JoinSet::new();
    for (_, list) in claimed {
        let (app, client) = (app.clone(), client.clone());
        lanes.spawn(async move { lane(&app, &client, list).await });
    }
    while let Some(done) = lanes.join_next().await {
        log_lane(done);
    }
    Ok(n)
}

/// One attempt of `due`, recorded.
async fn deliver(app: &App, client: &reqwest::Client, due: &Due) -> Result<Next, ApiError> {
    let started = Instant::now();
    let (attempt, error, response) = post(app, client, due).await;
    let made = usize::try_from(due.attempts).unwrap_or(0) + 1;
    let next = webhook::after(&attempt, made, &app.config.webhook_schedule);
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let outcome = Outcome {
        attempt: &attempt,
        next,
        duration_ms,
        error: error.as_deref(),
        response: response.as_deref(),
    };
    let mut conn = app.pool.get().await?;
    let tx = conn.transaction().await?;
    // Not worth a flush to disk per delivery: a record lost in a crash only means the
    // delivery is sent again when its lease ends, and receivers drop a webhook-id they
    // have seen (at-least-once, as the specification has it).
    tx.batch_execute("SET LOCAL synchronous_commit TO off")
        .await?;
    repo::record(&tx, due, &outcome).await?;
    tx.commit().await?;
    let status = match &attempt {
        Attempt::Delivered { status } => Some(*status),
        Attempt::Gone => Some(410),
        Attempt::Failed { status, .. } => *status,
    };
    match next {
        Next::Delivered => tracing::info!(
            delivery = due.id, event = %due.event_id, endpoint = %due.endpoint_id,
            status, attempt = made, duration_ms, "webhook delivered"
        ),
        Next::RetryIn(s) => tracing::warn!(
            delivery = due.id, event = %due.event_id, endpoint = %due.endpoint_id, status,
            attempt = made, retry_in_s = s, error = error.as_deref().unwrap_or_default(),
            "webhook delivery failed; will retry"
        ),
        Next::Dead | Next::Disable => tracing::error!(
            delivery = due.id, event = %due.event_id, endpoint = %due.endpoint_id, status,
            attempt = made, gone = next == Next::Disable,
            error = error.as_deref().unwrap_or_default(), "webhook delivery dead"
        ),
    }
    Ok(next)
}

/// Posts `due` once: what came of it, why it failed without an answer, and the start
/// of the answer's body.
async fn post(
    app: &App,
    client: &reqwest::Client,
    due: &Due,
) -> (Attempt, Option<String>, Option<String>) {
    let failed = |why: String| {
        let attempt = Attempt::Failed {
            status: None,
            retry_after_s: None,
        };
        (attempt, Some(why), None)
    };
    // A host written as an address is not resolved: check it here.
    if let Err(e) = webhook::check_url(&due.url, app.config.webhooks_public_only()) {
        return failed(e.reason());
    }
    let timestamp = now_s();
    let signature = sign::header(&due.secrets, &due.event_id, timestamp, due.body.as_bytes());
    let sent = client
        .post(&due.url)
        .header("content-type", "application/json")
        .header("webhook-id", &due.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(due.body.clone())
        .send()
        .await;
    let mut res = match sent {
        Ok(res) => res,
        Err(e) if e.is_timeout() => {
            let ms = app.config.webhook_timeout.as_millis();
            return failed(format!("no answer within {ms} ms"));
        }
        Err(e) => return failed(error_chain(&e)),
    };
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(webhook::retry_after);
    let mut body = Vec::new();
    // At most RESPONSE_LIMIT bytes are read; the rest is never asked for.
    while body.len() < RESPONSE_LIMIT {
        match tokio::time::timeout(Duration::from_secs(2), res.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(RESPONSE_LIMIT);
    let text = String::from_utf8_lossy(&body).into_owned();
    let attempt = Attempt::from_status(status, retry_after);
    (attempt, None, Some(text).filter(|t| !t.is_empty()))
}

/// An error with its causes (reqwest's own message is only the outermost).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
