//! A fake of Stripe's PaymentIntents and Refunds HTTP API on 127.0.0.1, with Stripe's
//! request and error shapes, idempotency keys, manual capture, the documented test
//! payment methods, a 3-D Secure step and signed webhook events; plus `/_fake/...`
//! control endpoints (and the same controls on [`FakeStripe`]) for tests:
//! `GET /_fake/payment_intents/{id}`, `GET /_fake/events`, `GET /_fake/requests`,
//! `POST /_fake/events/{id}/redeliver?times=N`, `POST /_fake/fail_next?count=N&status=S`,
//! `POST /_fake/delay_next?count=N&ms=M`, and `GET|POST /_fake/3ds/{pi}`.
//!
//! Test payment methods: `pm_card_visa`, `pm_card_mastercard`, `pm_card_amex` succeed;
//! `pm_card_chargeDeclined` and `pm_card_chargeDeclinedInsufficientFunds` are declined
//! (402 `card_error`); `pm_card_authenticationRequired` and
//! `pm_card_threeDSecure2Required` need the shopper to authenticate at
//! `{base}/_fake/3ds/{pi}` (approve or fail there, or with [`FakeStripe::complete_3ds`]).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::util::{now_unix, random_token, stripe_id, stripe_signature, take_count};

/// The API version the fake's objects and events follow.
pub const API_VERSION: &str = "2024-06-20";

/// Where the fake sends its signed events, and the endpoint secret it signs them with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub url: String,
    pub secret: String,
}

/// How to start a [`FakeStripe`].
#[derive(Debug, Clone, Default)]
pub struct StripeFakeConfig {
    /// The secret key every `/v1` call must carry as `Authorization: Bearer <key>`.
    pub secret_key: String,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Where events are delivered; without it events are only recorded.
    pub webhook: Option<WebhookTarget>,
}

impl StripeFakeConfig {
    pub fn new(secret_key: impl Into<String>) -> Self {
        Self {
            secret_key: secret_key.into(),
            ..Self::default()
        }
    }

    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    pub fn with_webhook(mut self, url: impl Into<String>, secret: impl Into<String>) -> Self {
        self.webhook = Some(WebhookTarget {
            url: url.into(),
            secret: secret.into(),
        });
        self
    }
}

/// A PaymentIntent as the fake holds it: Stripe's fields plus the fake's own counters
/// (`capture_count`, `confirm_count`, `amount_refunded`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FakeIntent {
    pub id: String,
    pub amount: i64,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub amount_refunded: i64,
    pub currency: String,
    pub status: String,
    pub capture_method: String,
    pub client_secret: String,
    pub metadata: BTreeMap<String, String>,
    pub payment_method: Option<String>,
    pub last_payment_error: Option<Value>,
    pub next_action: Option<Value>,
    pub latest_charge: Option<String>,
    pub return_url: Option<String>,
    pub created: i64,
    pub canceled_at: Option<i64>,
    pub cancellation_reason: Option<String>,
    /// How many captures actually happened (idempotent replays do not count).
    pub capture_count: u32,
    /// How many confirmations actually happened.
    pub confirm_count: u32,
}

impl FakeIntent {
    /// The object as Stripe's API returns it.
    pub fn to_stripe_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_capturable": self.amount_capturable,
            "amount_received": self.amount_received,
            "canceled_at": self.canceled_at,
            "cancellation_reason": self.cancellation_reason,
            "capture_method": self.capture_method,
            "client_secret": self.client_secret,
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "last_payment_error": self.last_payment_error,
            "latest_charge": self.latest_charge,
            "livemode": false,
            "metadata": self.metadata,
            "next_action": self.next_action,
            "payment_method": self.payment_method,
            "payment_method_types": ["card"],
            "status": self.status,
        })
    }
}

/// A refund the fake created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeRefund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub payment_intent: String,
    pub charge: String,
    pub status: String,
    pub reason: Option<String>,
    pub created: i64,
}

impl FakeRefund {
    pub fn to_stripe_json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "charge": self.charge,
            "created": self.created,
            "currency": self.currency,
            "metadata": {},
            "payment_intent": self.payment_intent,
            "reason": self.reason,
            "status": self.status,
        })
    }
}

/// An event the fake emitted, with the HTTP status of every delivery attempt
/// (0 when the receiver could not be reached).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FakeEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub created: i64,
    /// The event exactly as delivered: `{id, object: "event", type, created, data: {object}}`.
    pub payload: Value,
    pub deliveries: Vec<u16>,
}

/// One `/v1` request the fake answered, for tests to check what a client sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeRequest {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub status: u16,
    /// Answered from the idempotency record of an earlier request with the same key.
    pub replayed: bool,
}

struct Recorded {
    endpoint: String,
    params: Vec<(String, String)>,
    status: StatusCode,
    body: Value,
}

struct State {
    base_url: String,
    secret_key: String,
    webhook: Option<WebhookTarget>,
    intents: HashMap<String, FakeIntent>,
    refunds: Vec<FakeRefund>,
    events: Vec<FakeEvent>,
    requests: Vec<FakeRequest>,
    idempotency: HashMap<String, Recorded>,
    fail_next: Option<(u32, u16)>,
    delay_next: Option<(u32, u64)>,
    outbox: mpsc::UnboundedSender<String>,
}

struct Inner {
    state: Mutex<State>,
    http: reqwest::Client,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

type Shared = Arc<Inner>;

/// A running Stripe fake. Dropping it stops the server.
pub struct FakeStripe {
    inner: Shared,
    base_url: String,
    addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts the fake on 127.0.0.1 (port from the config, 0 for any free port).
///
/// # Panics
/// When the port cannot be bound; use [`try_spawn_stripe`] to handle that.
pub async fn spawn_stripe(cfg: StripeFakeConfig) -> FakeStripe {
    try_spawn_stripe(cfg)
        .await
        .expect("the Stripe fake could not bind its port")
}

/// Starts the fake on 127.0.0.1, failing when the port cannot be bound.
pub async fn try_spawn_stripe(cfg: StripeFakeConfig) -> std::io::Result<FakeStripe> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port)).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let (outbox, rx) = mpsc::unbounded_channel();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(std::io::Error::other)?;
    let inner = Arc::new(Inner {
        state: Mutex::new(State {
            base_url: base_url.clone(),
            secret_key: cfg.secret_key,
            webhook: cfg.webhook,
            intents: HashMap::new(),
            refunds: Vec::new(),
            events: Vec::new(),
            requests: Vec::new(),
            idempotency: HashMap::new(),
            fail_next: None,
            delay_next: None,
            outbox,
        }),
        http,
    });
    let router = Router::new()
        .route("/v1/{*rest}", any(api))
        .route("/_fake/payment_intents/{id}", get(control_intent))
        .route("/_fake/events", get(control_events))
        .route("/_fake/requests", get(control_requests))
        .route("/_fake/events/{id}/redeliver", post(control_redeliver))
        .route("/_fake/fail_next", post(control_fail_next))
        .route("/_fake/delay_next", post(control_delay_next))
        .route(
            "/_fake/3ds/{id}",
            get(three_ds_page).post(three_ds_complete),
        )
        .with_state(inner.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let worker = tokio::spawn(deliver_in_order(inner.clone(), rx));
    Ok(FakeStripe {
        inner,
        base_url,
        addr,
        tasks: vec![server, worker],
    })
}

impl FakeStripe {
    /// `http://127.0.0.1:<port>`: the value to configure as the Stripe API base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn intent(&self, id: &str) -> Option<FakeIntent> {
        self.inner.lock().intents.get(id).cloned()
    }

    pub fn intents(&self) -> Vec<FakeIntent> {
        let mut all: Vec<FakeIntent> = self.inner.lock().intents.values().cloned().collect();
        all.sort_by_key(|i| (i.created, i.id.clone()));
        all
    }

    pub fn refunds(&self) -> Vec<FakeRefund> {
        self.inner.lock().refunds.clone()
    }

    /// Every event emitted so far, oldest first.
    pub fn events(&self) -> Vec<FakeEvent> {
        self.inner.lock().events.clone()
    }

    /// Every `/v1` request answered so far, oldest first.
    pub fn requests(&self) -> Vec<FakeRequest> {
        self.inner.lock().requests.clone()
    }

    /// Delivers the event `times` times concurrently (freshly signed) and returns the
    /// statuses received, in no particular order.
    pub async fn redeliver(&self, event_id: &str, times: usize) -> Result<Vec<u16>, String> {
        redeliver(&self.inner, event_id, times).await
    }

    /// The next `count` `/v1` calls answer `status` with a Stripe-shaped error.
    pub fn fail_next(&self, count: u32, status: u16) {
        self.inner.lock().fail_next = Some((count, status));
    }

    /// The next `count` `/v1` calls wait `ms` milliseconds before being handled.
    pub fn delay_next(&self, count: u32, ms: u64) {
        self.inner.lock().delay_next = Some((count, ms));
    }

    /// Completes the 3-D Secure step of an intent in `requires_action`, as the shopper
    /// would on the page at `next_action.redirect_to_url.url`.
    pub fn complete_3ds(&self, id: &str, approve: bool) -> Result<FakeIntent, String> {
        complete_3ds(&mut self.inner.lock(), id, approve).map_err(|reply| reply.body.to_string())
    }

    pub fn set_webhook(&self, target: Option<WebhookTarget>) {
        self.inner.lock().webhook = target;
    }
}

/// What an API operation answers, and whether Stripe would keep it for replay under the
/// request's idempotency key (not for parameter errors).
struct Reply {
    status: StatusCode,
    body: Value,
    store: bool,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body,
            store: true,
        }
    }

    fn error(
        status: StatusCode,
        kind: &str,
        code: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        let mut error = json!({ "type": kind, "message": message.into() });
        if let Some(code) = code {
            error["code"] = json!(code);
            error["doc_url"] = json!(format!("https://stripe.com/docs/error-codes/{code}"));
        }
        Self {
            status,
            body: json!({ "error": error }),
            store: true,
        }
    }

    /// A 400 `invalid_request_error` about a parameter, never kept for replay.
    fn param(code: &str, param: &str, message: impl Into<String>) -> Self {
        let mut reply = Self::error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some(code),
            message,
        );
        reply.body["error"]["param"] = json!(param);
        reply.store = false;
        reply
    }

    fn with_error_field(mut self, key: &str, value: Value) -> Self {
        self.body["error"][key] = value;
        self
    }

    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Refuses parameters the endpoint does not know, as Stripe does. Entries of
    /// `allowed` ending in `[` admit every nested key under that name.
    fn check_known(&self, allowed: &[&str]) -> Result<(), Reply> {
        for (key, _) in &self.0 {
            let known = allowed.iter().any(|a| {
                if a.ends_with('[') {
                    key.starts_with(a)
                } else {
                    key == a
                }
            });
            if !known {
                return Err(Reply::param(
                    "parameter_unknown",
                    key,
                    format!("Received unknown parameter: {key}"),
                ));
            }
        }
        Ok(())
    }

    fn amount(&self, name: &str) -> Result<Option<i64>, Reply> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match raw.parse::<i64>() {
            Ok(v) if v >= 1 => Ok(Some(v)),
            Ok(_) => Err(Reply::param(
                "amount_too_small",
                name,
                "Amount must be at least 1.",
            )),
            Err(_) => Err(Reply::param(
                "parameter_invalid_integer",
                name,
                format!("Invalid integer: {raw}"),
            )),
        }
    }

    fn boolean(&self, name: &str) -> Result<bool, Reply> {
        match self.get(name) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(Reply::param(
                "parameter_invalid_boolean",
                name,
                format!("Invalid boolean: {other}"),
            )),
        }
    }

    fn metadata(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .filter_map(|(k, v)| {
                let inner = k.strip_prefix("metadata[")?.strip_suffix(']')?;
                Some((inner.to_string(), v.clone()))
            })
            .collect()
    }
}

enum CardBehaviour {
    Succeeds,
    Declines {
        decline_code: &'static str,
        message: &'static str,
    },
    Authenticates,
}

fn test_payment_method(id: &str) -> Option<CardBehaviour> {
    match id {
        "pm_card_visa" | "pm_card_mastercard" | "pm_card_amex" | "pm_card_visa_debit" => {
            Some(CardBehaviour::Succeeds)
        }
        "pm_card_chargeDeclined" => Some(CardBehaviour::Declines {
            decline_code: "generic_decline",
            message: "Your card was declined.",
        }),
        "pm_card_chargeDeclinedInsufficientFunds" => Some(CardBehaviour::Declines {
            decline_code: "insufficient_funds",
            message: "Your card has insufficient funds.",
        }),
        "pm_card_authenticationRequired" | "pm_card_threeDSecure2Required" => {
            Some(CardBehaviour::Authenticates)
        }
        _ => None,
    }
}

fn payment_method_json(id: &str) -> Value {
    json!({ "id": id, "object": "payment_method", "type": "card" })
}

fn no_such_payment_method(id: &str) -> Reply {
    Reply::param(
        "resource_missing",
        "payment_method",
        format!("No such PaymentMethod: '{id}'"),
    )
}

fn no_such_intent(id: &str) -> Reply {
    let mut reply = Reply::error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        Some("resource_missing"),
        format!("No such payment_intent: '{id}'"),
    );
    reply.body["error"]["param"] = json!("intent");
    reply.store = false;
    reply
}

fn unexpected_state(intent: &FakeIntent, message: String) -> Reply {
    Reply::error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        Some("payment_intent_unexpected_state"),
        message,
    )
    .with_error_field("payment_intent", intent.to_stripe_json())
}

fn emit(st: &mut State, event_type: &str, object: Value) {
    let id = stripe_id("evt");
    let created = now_unix();
    let payload = json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": { "object": object },
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": event_type,
    });
    st.events.push(FakeEvent {
        id: id.clone(),
        event_type: event_type.to_string(),
        created,
        payload,
        deliveries: Vec::new(),
    });
    let _ = st.outbox.send(id);
}

fn emit_intent(st: &mut State, event_type: &str, id: &str) {
    if let Some(object) = st.intents.get(id).map(FakeIntent::to_stripe_json) {
        emit(st, event_type, object);
    }
}

fn charge_json(st: &State, intent: &FakeIntent) -> Value {
    let refunds: Vec<Value> = st
        .refunds
        .iter()
        .rev()
        .filter(|r| r.payment_intent == intent.id)
        .map(FakeRefund::to_stripe_json)
        .collect();
    let charge = intent.latest_charge.clone().unwrap_or_default();
    json!({
        "id": charge,
        "object": "charge",
        "amount": intent.amount,
        "amount_captured": intent.amount_received,
        "amount_refunded": intent.amount_refunded,
        "captured": intent.amount_received > 0,
        "created": intent.created,
        "currency": intent.currency,
        "livemode": false,
        "paid": true,
        "payment_intent": intent.id,
        "payment_method": intent.payment_method,
        "refunded": intent.amount_received > 0 && intent.amount_refunded >= intent.amount_received,
        "refunds": {
            "object": "list",
            "data": refunds,
            "has_more": false,
            "total_count": refunds.len(),
            "url": format!("/v1/charges/{charge}/refunds"),
        },
        "status": "succeeded",
    })
}

/// The authorization went through: held (manual capture) or taken (automatic).
fn authorize_succeeded(st: &mut State, id: &str) {
    let Some(intent) = st.intents.get_mut(id) else {
        return;
    };
    intent.last_payment_error = None;
    intent.next_action = None;
    if intent.latest_charge.is_none() {
        intent.latest_charge = Some(stripe_id("ch"));
    }
    let event = if intent.capture_method == "manual" {
        intent.status = "requires_capture".into();
        intent.amount_capturable = intent.amount;
        "payment_intent.amount_capturable_updated"
    } else {
        intent.status = "succeeded".into();
        intent.amount_received = intent.amount;
        "payment_intent.succeeded"
    };
    emit_intent(st, event, id);
}

fn confirm(
    st: &mut State,
    id: &str,
    payment_method: Option<&str>,
    return_url: Option<&str>,
) -> Reply {
    let Some(intent) = st.intents.get_mut(id) else {
        return no_such_intent(id);
    };
    if !matches!(
        intent.status.as_str(),
        "requires_payment_method" | "requires_confirmation" | "requires_action"
    ) {
        let message = format!(
            "You cannot confirm this PaymentIntent because it has a status of {}. Only a \
             PaymentIntent with one of the following statuses may be confirmed: \
             requires_confirmation, requires_action, requires_payment_method.",
            intent.status
        );
        return unexpected_state(intent, message);
    }
    let Some(pm) = payment_method
        .map(str::to_string)
        .or_else(|| intent.payment_method.clone())
    else {
        return Reply::param(
            "parameter_missing",
            "payment_method",
            "You cannot confirm this PaymentIntent because it's missing a payment method. \
             Specify a payment method when confirming.",
        );
    };
    let Some(behaviour) = test_payment_method(&pm) else {
        return no_such_payment_method(&pm);
    };
    intent.confirm_count += 1;
    if let Some(url) = return_url {
        intent.return_url = Some(url.to_string());
    }
    match behaviour {
        CardBehaviour::Succeeds => {
            intent.payment_method = Some(pm);
            authorize_succeeded(st, id);
            Reply::ok(st.intents[id].to_stripe_json())
        }
        CardBehaviour::Declines {
            decline_code,
            message,
        } => {
            let error = json!({
                "type": "card_error",
                "code": "card_declined",
                "decline_code": decline_code,
                "message": message,
                "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                "payment_method": payment_method_json(&pm),
            });
            intent.status = "requires_payment_method".into();
            intent.payment_method = None;
            intent.next_action = None;
            intent.last_payment_error = Some(error.clone());
            let object = intent.to_stripe_json();
            emit(st, "payment_intent.payment_failed", object.clone());
            let mut body = json!({ "error": error });
            body["error"]["payment_intent"] = object;
            Reply {
                status: StatusCode::PAYMENT_REQUIRED,
                body,
                store: true,
            }
        }
        CardBehaviour::Authenticates => {
            intent.status = "requires_action".into();
            intent.payment_method = Some(pm);
            intent.last_payment_error = None;
            intent.next_action = Some(json!({
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": format!("{}/_fake/3ds/{id}", st.base_url),
                    "return_url": intent.return_url,
                },
            }));
            emit_intent(st, "payment_intent.requires_action", id);
            Reply::ok(st.intents[id].to_stripe_json())
        }
    }
}

fn complete_3ds(st: &mut State, id: &str, approve: bool) -> Result<FakeIntent, Reply> {
    let Some(intent) = st.intents.get_mut(id) else {
        return Err(no_such_intent(id));
    };
    if intent.status != "requires_action" {
        let message = format!(
            "This PaymentIntent has a status of {}; only one in requires_action can be \
             authenticated.",
            intent.status
        );
        return Err(unexpected_state(intent, message));
    }
    if approve {
        authorize_succeeded(st, id);
    } else {
        let pm = intent.payment_method.take().unwrap_or_default();
        intent.status = "requires_payment_method".into();
        intent.next_action = None;
        intent.last_payment_error = Some(json!({
            "type": "invalid_request_error",
            "code": "payment_intent_authentication_failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide \
                        payment_method_data or a new PaymentMethod to attempt to fulfill this \
                        PaymentIntent again.",
            "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
            "payment_method": payment_method_json(&pm),
        }));
        emit_intent(st, "payment_intent.payment_failed", id);
    }
    Ok(st.intents[id].clone())
}

fn create_intent(st: &mut State, p: &Params) -> Reply {
    if let Err(reply) = p.check_known(&[
        "amount",
        "currency",
        "capture_method",
        "confirm",
        "payment_method",
        "return_url",
        "description",
        "metadata[",
        "automatic_payment_methods[",
        "payment_method_types[",
    ]) {
        return reply;
    }
    let amount = match p.amount("amount") {
        Ok(Some(amount)) => amount,
        Ok(None) => {
            return Reply::param(
                "parameter_missing",
                "amount",
                "Missing required param: amount.",
            )
        }
        Err(reply) => return reply,
    };
    let currency = match p.get("currency") {
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            c.to_ascii_lowercase()
        }
        Some(c) => {
            return Reply::param(
                "parameter_invalid_string",
                "currency",
                format!("Invalid currency: {c}"),
            )
        }
        None => {
            return Reply::param(
                "parameter_missing",
                "currency",
                "Missing required param: currency.",
            )
        }
    };
    let capture_method = p.get("capture_method").unwrap_or("automatic").to_string();
    if !matches!(
        capture_method.as_str(),
        "automatic" | "automatic_async" | "manual"
    ) {
        return Reply::param(
            "parameter_invalid_string",
            "capture_method",
            "Invalid capture_method: must be one of automatic, automatic_async, or manual",
        );
    }
    let confirm_now = match p.boolean("confirm") {
        Ok(v) => v,
        Err(reply) => return reply,
    };
    if p.get("return_url").is_some() && !confirm_now {
        return Reply::param(
            "parameter_invalid_string",
            "return_url",
            "You can only pass return_url when confirm=true.",
        );
    }
    let payment_method = p.get("payment_method").map(str::to_string);
    if let Some(pm) = &payment_method {
        if test_payment_method(pm).is_none() {
            return no_such_payment_method(pm);
        }
    }
    let id = stripe_id("pi");
    let intent = FakeIntent {
        client_secret: format!("{id}_secret_{}", random_token(25)),
        id: id.clone(),
        amount,
        amount_capturable: 0,
        amount_received: 0,
        amount_refunded: 0,
        currency,
        status: if payment_method.is_some() {
            "requires_confirmation".into()
        } else {
            "requires_payment_method".into()
        },
        capture_method,
        metadata: p.metadata(),
        payment_method,
        last_payment_error: None,
        next_action: None,
        latest_charge: None,
        return_url: None,
        created: now_unix(),
        canceled_at: None,
        cancellation_reason: None,
        capture_count: 0,
        confirm_count: 0,
    };
    st.intents.insert(id.clone(), intent);
    emit_intent(st, "payment_intent.created", &id);
    if confirm_now {
        confirm(st, &id, None, p.get("return_url"))
    } else {
        Reply::ok(st.intents[&id].to_stripe_json())
    }
}

fn update_intent(st: &mut State, id: &str, p: &Params) -> Reply {
    if let Err(reply) = p.check_known(&["amount", "metadata[", "payment_method", "description"]) {
        return reply;
    }
    let amount = match p.amount("amount") {
        Ok(amount) => amount,
        Err(reply) => return reply,
    };
    let payment_method = p.get("payment_method");
    if let Some(pm) = payment_method {
        if test_payment_method(pm).is_none() {
            return no_such_payment_method(pm);
        }
    }
    let Some(intent) = st.intents.get_mut(id) else {
        return no_such_intent(id);
    };
    if !matches!(
        intent.status.as_str(),
        "requires_payment_method" | "requires_confirmation" | "requires_action"
    ) {
        let message = format!(
            "You cannot update this PaymentIntent because it has a status of {}. Updates are \
             only allowed when the PaymentIntent has a status of requires_payment_method, \
             requires_confirmation, or requires_action.",
            intent.status
        );
        return unexpected_state(intent, message);
    }
    if let Some(amount) = amount {
        intent.amount = amount;
    }
    if let Some(pm) = payment_method {
        intent.payment_method = Some(pm.to_string());
    }
    intent.metadata.extend(p.metadata());
    if intent.status == "requires_action" && (amount.is_some() || payment_method.is_some()) {
        intent.next_action = None;
        intent.status = "requires_confirmation".into();
    } else if intent.status == "requires_payment_method" && intent.payment_method.is_some() {
        intent.status = "requires_confirmation".into();
    }
    Reply::ok(intent.to_stripe_json())
}

fn capture_intent(st: &mut State, id: &str, p: &Params) -> Reply {
    if let Err(reply) = p.check_known(&["amount_to_capture", "metadata["]) {
        return reply;
    }
    let requested = match p.amount("amount_to_capture") {
        Ok(amount) => amount,
        Err(reply) => return reply,
    };
    let Some(intent) = st.intents.get_mut(id) else {
        return no_such_intent(id);
    };
    if intent.status != "requires_capture" {
        let message = format!(
            "This PaymentIntent could not be captured because it has a status of {}. Only a \
             PaymentIntent with one of the following statuses may be captured: \
             requires_capture.",
            intent.status
        );
        return unexpected_state(intent, message);
    }
    let amount = requested.unwrap_or(intent.amount_capturable);
    if amount > intent.amount_capturable {
        return Reply::param(
            "amount_too_large",
            "amount_to_capture",
            format!(
                "The amount to capture ({amount}) is greater than the amount capturable ({}).",
                intent.amount_capturable
            ),
        );
    }
    intent.status = "succeeded".into();
    intent.amount_received = amount;
    intent.amount_capturable = 0;
    intent.capture_count += 1;
    intent.metadata.extend(p.metadata());
    emit_intent(st, "payment_intent.succeeded", id);
    Reply::ok(st.intents[id].to_stripe_json())
}

fn cancel_intent(st: &mut State, id: &str, p: &Params) -> Reply {
    if let Err(reply) = p.check_known(&["cancellation_reason"]) {
        return reply;
    }
    let Some(intent) = st.intents.get_mut(id) else {
        return no_such_intent(id);
    };
    if !matches!(
        intent.status.as_str(),
        "requires_payment_method"
            | "requires_capture"
            | "requires_confirmation"
            | "requires_action"
            | "processing"
    ) {
        let message = format!(
            "You cannot cancel this PaymentIntent because it has a status of {}. Only a \
             PaymentIntent with one of the following statuses may be canceled: \
             requires_payment_method, requires_capture, requires_confirmation, \
             requires_action, processing.",
            intent.status
        );
        return unexpected_state(intent, message);
    }
    intent.status = "canceled".into();
    intent.amount_capturable = 0;
    intent.next_action = None;
    intent.canceled_at = Some(now_unix());
    intent.cancellation_reason = p.get("cancellation_reason").map(str::to_string);
    emit_intent(st, "payment_intent.canceled", id);
    Reply::ok(st.intents[id].to_stripe_json())
}

fn create_refund(st: &mut State, p: &Params) -> Reply {
    if let Err(reply) =
        p.check_known(&["payment_intent", "charge", "amount", "reason", "metadata["])
    {
        return reply;
    }
    let requested = match p.amount("amount") {
        Ok(amount) => amount,
        Err(reply) => return reply,
    };
    let intent_id = match (p.get("payment_intent"), p.get("charge")) {
        (Some(pi), _) => pi.to_string(),
        (None, Some(charge)) => {
            match st
                .intents
                .values()
                .find(|i| i.latest_charge.as_deref() == Some(charge))
            {
                Some(intent) => intent.id.clone(),
                None => {
                    return Reply::param(
                        "resource_missing",
                        "charge",
                        format!("No such charge: '{charge}'"),
                    )
                }
            }
        }
        (None, None) => {
            return Reply::param(
                "parameter_missing",
                "payment_intent",
                "One of the following params should be provided for this request: \
                 payment_intent or charge.",
            )
        }
    };
    let Some(intent) = st.intents.get(&intent_id) else {
        return Reply::param(
            "resource_missing",
            "payment_intent",
            format!("No such payment_intent: '{intent_id}'"),
        );
    };
    if intent.status != "succeeded" {
        return unexpected_state(
            intent,
            format!(
                "This PaymentIntent ({intent_id}) does not have a successful charge to refund \
                 (status {}).",
                intent.status
            ),
        );
    }
    let remaining = intent.amount_received - intent.amount_refunded;
    let charge = intent.latest_charge.clone().unwrap_or_default();
    if remaining <= 0 {
        return Reply::error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("charge_already_refunded"),
            format!("Charge {charge} has already been refunded."),
        );
    }
    let amount = requested.unwrap_or(remaining);
    if amount > remaining {
        return Reply::param(
            "amount_too_large",
            "amount",
            format!(
                "Refund amount ({amount}) is greater than unrefunded amount on charge \
                 ({remaining})"
            ),
        );
    }
    let refund = FakeRefund {
        id: stripe_id("re"),
        amount,
        currency: intent.currency.clone(),
        payment_intent: intent_id.clone(),
        charge,
        status: "succeeded".into(),
        reason: p.get("reason").map(str::to_string),
        created: now_unix(),
    };
    let body = refund.to_stripe_json();
    st.refunds.push(refund);
    if let Some(intent) = st.intents.get_mut(&intent_id) {
        intent.amount_refunded += amount;
    }
    let charge_object = charge_json(st, &st.intents[&intent_id]);
    emit(st, "charge.refunded", charge_object);
    Reply::ok(body)
}

fn route(st: &mut State, method: &Method, segments: &[&str], p: &Params) -> Reply {
    match (method.as_str(), segments) {
        ("POST", ["payment_intents"]) => create_intent(st, p),
        ("GET", ["payment_intents", id]) => match st.intents.get(*id) {
            Some(intent) => Reply::ok(intent.to_stripe_json()),
            None => no_such_intent(id),
        },
        ("POST", ["payment_intents", id]) => update_intent(st, id, p),
        ("POST", ["payment_intents", id, "confirm"]) => {
            if let Err(reply) = p.check_known(&["payment_method", "return_url"]) {
                return reply;
            }
            confirm(st, id, p.get("payment_method"), p.get("return_url"))
        }
        ("POST", ["payment_intents", id, "capture"]) => capture_intent(st, id, p),
        ("POST", ["payment_intents", id, "cancel"]) => cancel_intent(st, id, p),
        ("POST", ["refunds"]) => create_refund(st, p),
        ("GET", ["refunds", id]) => match st.refunds.iter().find(|r| r.id == *id) {
            Some(refund) => Reply::ok(refund.to_stripe_json()),
            None => Reply::error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                Some("resource_missing"),
                format!("No such refund: '{id}'"),
            ),
        },
        _ => {
            let mut reply = Reply::error(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                None,
                format!(
                    "Unrecognized request URL ({method}: /v1/{}).",
                    segments.join("/")
                ),
            );
            reply.store = false;
            reply
        }
    }
}

fn check_key(st: &State, headers: &HeaderMap) -> Result<(), Reply> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(key) if key == st.secret_key => Ok(()),
        Some(key) => {
            let tail: String = key
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            Err(Reply::error(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                None,
                format!("Invalid API Key provided: sk_test_****{tail}"),
            ))
        }
        None => Err(Reply::error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            "You did not provide an API key. You need to provide your API key in the \
             Authorization header, using Bearer auth (e.g. 'Authorization: Bearer \
             YOUR_SECRET_KEY').",
        )),
    }
}

async fn api(
    AxumState(inner): AxumState<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let path = uri.path().to_string();
    let response = handle_api(&inner, method.clone(), uri, headers, body).await;
    let replayed = response.headers().contains_key("idempotent-replayed");
    inner.lock().requests.push(FakeRequest {
        method: method.to_string(),
        path,
        idempotency_key,
        status: response.status().as_u16(),
        replayed,
    });
    response
}

async fn handle_api(
    inner: &Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delay = take_count(&mut inner.lock().delay_next);
    if let Some(ms) = delay {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let failure = take_count(&mut inner.lock().fail_next);
    if let Some(status) = failure {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let reply = if status == StatusCode::TOO_MANY_REQUESTS {
            Reply::error(
                status,
                "invalid_request_error",
                Some("rate_limit"),
                "Request rate limit exceeded.",
            )
        } else {
            Reply::error(
                status,
                "api_error",
                None,
                "An injected failure occurred (provider-fakes fail_next).",
            )
        };
        return reply.into_response();
    }

    let raw = if method == Method::POST {
        body.to_vec()
    } else {
        uri.query().unwrap_or_default().as_bytes().to_vec()
    };
    let params = match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&raw) {
        Ok(params) => Params(params),
        Err(e) => {
            return Reply::param(
                "parameter_invalid_string",
                "",
                format!("Invalid form-encoded body: {e}"),
            )
            .into_response()
        }
    };
    let path = uri.path().to_string();
    let segments: Vec<&str> = path
        .trim_start_matches("/v1/")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);

    let mut st = inner.lock();
    if let Err(reply) = check_key(&st, &headers) {
        return reply.into_response();
    }
    let endpoint = format!("{method} {path}");
    let mut sorted = params.0.clone();
    sorted.sort();
    if let (Some(key), true) = (&key, method == Method::POST) {
        if let Some(recorded) = st.idempotency.get(key) {
            if recorded.endpoint != endpoint || recorded.params != sorted {
                let reason = if recorded.endpoint != endpoint {
                    "the same endpoint"
                } else {
                    "the same parameters"
                };
                return Reply::error(
                    StatusCode::BAD_REQUEST,
                    "idempotency_error",
                    None,
                    format!(
                        "Keys for idempotent requests can only be used with {reason} they were \
                         first used with. Try using a key other than '{key}' if you meant to \
                         execute a different request."
                    ),
                )
                .into_response();
            }
            let mut response = (recorded.status, Json(recorded.body.clone())).into_response();
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return response;
        }
    }
    let reply = route(&mut st, &method, &segments, &params);
    if let (Some(key), true, true) = (key, method == Method::POST, reply.store) {
        st.idempotency.insert(
            key,
            Recorded {
                endpoint,
                params: sorted,
                status: reply.status,
                body: reply.body.clone(),
            },
        );
    }
    drop(st);
    reply.into_response()
}

/// One delivery attempt of a recorded event; `None` when there is no such event or no
/// webhook target.
async fn deliver(inner: &Shared, event_id: &str) -> Option<u16> {
    let (target, payload) = {
        let st = inner.lock();
        let target = st.webhook.clone()?;
        let event = st.events.iter().find(|e| e.id == event_id)?;
        (target, serde_json::to_vec(&event.payload).ok()?)
    };
    let signature = stripe_signature(&payload, &target.secret, now_unix());
    let status = match inner
        .http
        .post(&target.url)
        .header("Stripe-Signature", signature)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(payload)
        .send()
        .await
    {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    };
    if let Some(event) = inner.lock().events.iter_mut().find(|e| e.id == event_id) {
        event.deliveries.push(status);
    }
    Some(status)
}

async fn deliver_in_order(inner: Shared, mut rx: mpsc::UnboundedReceiver<String>) {
    while let Some(event_id) = rx.recv().await {
        deliver(&inner, &event_id).await;
    }
}

async fn redeliver(inner: &Shared, event_id: &str, times: usize) -> Result<Vec<u16>, String> {
    {
        let st = inner.lock();
        if st.webhook.is_none() {
            return Err("no webhook target is configured".into());
        }
        if !st.events.iter().any(|e| e.id == event_id) {
            return Err(format!("no such event: {event_id}"));
        }
    }
    let attempts: Vec<JoinHandle<Option<u16>>> = (0..times)
        .map(|_| {
            let inner = inner.clone();
            let event_id = event_id.to_string();
            tokio::spawn(async move { deliver(&inner, &event_id).await })
        })
        .collect();
    let mut statuses = Vec::with_capacity(times);
    for attempt in attempts {
        statuses.push(attempt.await.ok().flatten().unwrap_or(0));
    }
    Ok(statuses)
}

async fn control_intent(AxumState(inner): AxumState<Shared>, Path(id): Path<String>) -> Response {
    match inner.lock().intents.get(&id) {
        Some(intent) => Json(intent.clone()).into_response(),
        None => no_such_intent(&id).into_response(),
    }
}

async fn control_requests(AxumState(inner): AxumState<Shared>) -> Json<Vec<FakeRequest>> {
    Json(inner.lock().requests.clone())
}

async fn control_events(AxumState(inner): AxumState<Shared>) -> Json<Vec<FakeEvent>> {
    Json(inner.lock().events.clone())
}

#[derive(Deserialize)]
struct TimesQuery {
    times: Option<usize>,
}

async fn control_redeliver(
    AxumState(inner): AxumState<Shared>,
    Path(id): Path<String>,
    Query(q): Query<TimesQuery>,
) -> Response {
    match redeliver(&inner, &id, q.times.unwrap_or(1)).await {
        Ok(statuses) => Json(json!({ "statuses": statuses })).into_response(),
        Err(message) => (StatusCode::NOT_FOUND, Json(json!({ "error": message }))).into_response(),
    }
}

#[derive(Deserialize)]
struct FailQuery {
    count: Option<u32>,
    status: Option<u16>,
}

async fn control_fail_next(
    AxumState(inner): AxumState<Shared>,
    Query(q): Query<FailQuery>,
) -> Json<Value> {
    let count = q.count.unwrap_or(1);
    let status = q.status.unwrap_or(500);
    inner.lock().fail_next = Some((count, status));
    Json(json!({ "count": count, "status": status }))
}

#[derive(Deserialize)]
struct DelayQuery {
    count: Option<u32>,
    ms: Option<u64>,
}

async fn control_delay_next(
    AxumState(inner): AxumState<Shared>,
    Query(q): Query<DelayQuery>,
) -> Json<Value> {
    let count = q.count.unwrap_or(1);
    let ms = q.ms.unwrap_or(1000);
    inner.lock().delay_next = Some((count, ms));
    Json(json!({ "count": count, "ms": ms }))
}

async fn three_ds_page(Path(id): Path<String>) -> Html<String> {
    let id: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>3D Secure test page</title></head><body>\
         <h1>Authenticate payment {id}</h1>\
         <form method=\"post\" action=\"/_fake/3ds/{id}?outcome=approve&amp;redirect=1\">\
         <button type=\"submit\">Complete authentication</button></form>\
         <form method=\"post\" action=\"/_fake/3ds/{id}?outcome=fail&amp;redirect=1\">\
         <button type=\"submit\">Fail authentication</button></form></body></html>"
    ))
}

#[derive(Deserialize)]
struct OutcomeQuery {
    outcome: String,
    redirect: Option<String>,
}

/// `POST /_fake/3ds/{pi}?outcome=approve|fail[&redirect=1]`: answers the intent as JSON,
/// or with `redirect=1` a 303 to the intent's `return_url` carrying Stripe's query
/// parameters (`payment_intent`, `payment_intent_client_secret`, `redirect_status`).
async fn three_ds_complete(
    AxumState(inner): AxumState<Shared>,
    Path(id): Path<String>,
    Query(q): Query<OutcomeQuery>,
) -> Response {
    let approve = match q.outcome.as_str() {
        "approve" => true,
        "fail" => false,
        other => {
            return Reply::param(
                "parameter_invalid_string",
                "outcome",
                format!("outcome must be approve or fail, not {other}"),
            )
            .into_response()
        }
    };
    let result = complete_3ds(&mut inner.lock(), &id, approve);
    match result {
        Ok(intent) => match (&q.redirect, &intent.return_url) {
            (Some(flag), Some(return_url)) if flag == "1" || flag == "true" => {
                let sep = if return_url.contains('?') { '&' } else { '?' };
                let status = if approve { "succeeded" } else { "failed" };
                let location = format!(
                    "{return_url}{sep}payment_intent={}&payment_intent_client_secret={}&redirect_status={status}",
                    intent.id, intent.client_secret
                );
                let mut response = StatusCode::SEE_OTHER.into_response();
                if let Ok(value) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, value);
                }
                response
            }
            _ => Json(intent.to_stripe_json()).into_response(),
        },
        Err(reply) => reply.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn unknown_parameters_are_refused_and_nested_keys_admitted() {
        let p = params(&[("amount", "10"), ("metadata[a]", "b")]);
        assert!(p.check_known(&["amount", "metadata["]).is_ok());
        let err = p.check_known(&["amount"]).err().map(|r| r.body);
        assert_eq!(
            err.as_ref().and_then(|b| b["error"]["code"].as_str()),
            Some("parameter_unknown")
        );
        assert_eq!(p.metadata().get("a").map(String::as_str), Some("b"));
    }

    #[test]
    fn amounts_must_be_positive_integers() {
        assert_eq!(
            params(&[("amount", "12")]).amount("amount").ok(),
            Some(Some(12))
        );
        assert!(params(&[("amount", "0")]).amount("amount").is_err());
        assert!(params(&[("amount", "1.5")]).amount("amount").is_err());
        assert_eq!(params(&[]).amount("amount").ok(), Some(None));
    }
}
