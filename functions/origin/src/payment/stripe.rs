//! Stripe (`pp_stripe_stripe`): PaymentIntents with manual capture over Stripe's
//! form-encoded HTTP API, and verification of Stripe's signed webhook events.
//!
//! Every POST carries an `Idempotency-Key`; the keys the caller gives are prefixed with
//! the operation (`capture-`, `cancel-`, `refund-`) so one caller key can serve several
//! operations without Stripe refusing its reuse on another endpoint. PaymentIntent
//! statuses are parsed into [`IntentStatus`]; an unknown status is an error.

use std::time::Duration;

use commerce::money::MinorUnits;
use hmac::{KeyInit, Mac};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Digest;

use super::{
    header_safe_key, Authorization, AuthorizeRequest, InitiateRequest, Initiated, ProviderError,
};

/// Medusa's id of its Stripe provider.
pub const PROVIDER_ID: &str = "pp_stripe_stripe";
/// Stripe's API, used unless the configuration names another base URL (a fake).
pub const DEFAULT_BASE_URL: &str = "https://api.stripe.com";
/// The API version requests are made with, so that answers keep one shape.
pub const API_VERSION: &str = "2024-06-20";

const GENERIC_DECLINE: &str = "Your card was declined.";

/// A PaymentIntent's status, mirrored from Stripe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
}

/// The fields of a PaymentIntent this integration reads.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub amount: MinorUnits,
    #[serde(default)]
    pub amount_capturable: MinorUnits,
    pub status: IntentStatus,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// An id, or the expanded object.
    #[serde(default)]
    payment_method: Option<Value>,
    #[serde(default)]
    next_action: Option<NextAction>,
    #[serde(default)]
    last_payment_error: Option<StripeApiError>,
}

impl PaymentIntent {
    pub fn payment_method_id(&self) -> Option<&str> {
        match self.payment_method.as_ref()? {
            Value::String(id) => Some(id),
            other => other.get("id")?.as_str(),
        }
    }

    /// `next_action.redirect_to_url.url`, where the shopper authenticates.
    pub fn redirect_url(&self) -> Option<&str> {
        self.next_action
            .as_ref()?
            .redirect_to_url
            .as_ref()?
            .url
            .as_deref()
    }

    /// `last_payment_error.message`, the reason of the last failed attempt.
    pub fn last_error_message(&self) -> Option<&str> {
        self.last_payment_error
            .as_ref()
            .map(|e| e.message.as_str())
            .filter(|m| !m.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize)]
struct NextAction {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    redirect_to_url: Option<RedirectToUrl>,
}

#[derive(Debug, Clone, Deserialize)]
struct RedirectToUrl {
    #[serde(default)]
    url: Option<String>,
}

/// Stripe's error object: `{"error": {"type", "code", "decline_code", "message"}}`.
#[derive(Debug, Clone, Default, Deserialize)]
struct StripeApiError {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    decline_code: Option<String>,
    #[serde(default)]
    message: String,
    /// The PaymentIntent the error is about, when Stripe includes it.
    #[serde(default)]
    payment_intent: Option<Value>,
}

impl StripeApiError {
    fn intent_status(&self) -> Option<IntentStatus> {
        let status = self.payment_intent.as_ref()?.get("status")?.clone();
        serde_json::from_value(status).ok()
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: StripeApiError,
}

#[derive(Deserialize)]
struct Refund {
    id: String,
    #[serde(default)]
    status: Option<String>,
}

/// A failed call: no usable answer, or Stripe's error answer to a 4xx.
enum CallError {
    Unavailable(String),
    Api {
        what: String,
        status: u16,
        error: StripeApiError,
    },
}

impl From<CallError> for ProviderError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Unavailable(detail) => ProviderError::Unavailable(detail),
            CallError::Api {
                what,
                status,
                error,
            } => ProviderError::Rejected(describe(&what, status, &error)),
        }
    }
}

fn describe(what: &str, status: u16, error: &StripeApiError) -> String {
    let mut kind = error.kind.clone();
    for part in [&error.code, &error.decline_code].into_iter().flatten() {
        kind.push('/');
        kind.push_str(part);
    }
    format!("stripe {what}: {status} {kind}: {}", error.message)
}

/// Stripe object ids are `[A-Za-z0-9_]`; anything else is not put into a URL path.
fn checked_id(id: &str) -> Result<&str, ProviderError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(id)
    } else {
        Err(ProviderError::Rejected(format!(
            "'{}' is not a Stripe object id",
            id.chars().take(64).collect::<String>()
        )))
    }
}

fn short_hash(parts: &[&str]) -> String {
    let mut hasher = sha2::Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(hasher.finalize())[..16].to_string()
}

type Form = Vec<(&'static str, String)>;

/// The Stripe client. Holds the secret key; never logs it.
pub struct StripeProvider {
    http: reqwest::Client,
    base_url: String,
    secret_key: String,
}

impl StripeProvider {
    /// `base_url` is [`DEFAULT_BASE_URL`] in production; `timeout` bounds each request.
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (as `reqwest::Client::new` does).
    pub fn new(
        base_url: impl Into<String>,
        secret_key: impl Into<String>,
        timeout: Duration,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .expect("the HTTP client for Stripe could not be built");
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            secret_key: secret_key.into(),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        form: Option<&Form>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, CallError> {
        let what = format!("{method} {path}");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(&self.secret_key)
            .header("Stripe-Version", API_VERSION);
        if let Some(form) = form {
            request = request.form(form);
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", header_safe_key(key));
        }
        let response = request.send().await.map_err(|e| {
            let why = if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                format!("could not connect: {e}")
            } else {
                e.to_string()
            };
            CallError::Unavailable(format!("stripe {what}: {why}"))
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            CallError::Unavailable(format!("stripe {what}: reading the answer: {e}"))
        })?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                CallError::Unavailable(format!("stripe {what}: unreadable answer: {e}"))
            });
        }
        let error = serde_json::from_slice::<ErrorBody>(&body)
            .map(|b| b.error)
            .unwrap_or_else(|_| StripeApiError {
                message: String::from_utf8_lossy(&body).chars().take(200).collect(),
                ..StripeApiError::default()
            });
        let status = status.as_u16();
        // 409: a request with the same idempotency key is still in flight.
        if status == 429 || status == 409 || status >= 500 {
            return Err(CallError::Unavailable(describe(&what, status, &error)));
        }
        Err(CallError::Api {
            what,
            status,
            error,
        })
    }

    async fn post(&self, path: &str, form: &Form, key: &str) -> Result<Value, CallError> {
        self.call(Method::POST, path, Some(form), Some(key)).await
    }

    fn parse_intent(value: Value) -> Result<PaymentIntent, ProviderError> {
        serde_json::from_value(value).map_err(|e| {
            ProviderError::Rejected(format!("stripe answered an unexpected PaymentIntent: {e}"))
        })
    }

    /// `GET /v1/payment_intents/:id`.
    pub async fn retrieve(&self, id: &str) -> Result<PaymentIntent, ProviderError> {
        let path = format!("/v1/payment_intents/{}", checked_id(id)?);
        Self::parse_intent(self.call(Method::GET, &path, None, None).await?)
    }

    /// Creates a PaymentIntent with manual capture for the session.
    pub async fn initiate(&self, req: &InitiateRequest<'_>) -> Result<Initiated, ProviderError> {
        let payment_method = match req.data.get("payment_method") {
            None | Some(Value::Null) => None,
            Some(Value::String(pm)) => Some(checked_id(pm)?.to_string()),
            Some(_) => {
                return Err(ProviderError::Rejected(
                    "payment_method must be a string".into(),
                ))
            }
        };
        let mut form: Form = vec![
            ("amount", req.amount.to_string()),
            ("currency", req.currency.as_str().to_string()),
            ("capture_method", "manual".into()),
            ("metadata[session_id]", req.session_id.to_string()),
        ];
        if let Some(pm) = &payment_method {
            form.push(("payment_method", pm.clone()));
        }
        let fingerprint: Vec<&str> = form.iter().map(|(_, v)| v.as_str()).collect();
        let key = format!("initiate-{}-{}", req.session_id, short_hash(&fingerprint));
        let pi = Self::parse_intent(self.post("/v1/payment_intents", &form, &key).await?)?;
        Ok(Initiated {
            reference: Some(pi.id.clone()),
            data: json!({
                "id": pi.id,
                "client_secret": pi.client_secret,
                "payment_method": pi.payment_method_id(),
            }),
        })
    }

    /// Brings the PaymentIntent to the order total and confirms it when it is not
    /// confirmed yet; otherwise reports where it stands.
    pub async fn authorize(
        &self,
        req: &AuthorizeRequest<'_>,
    ) -> Result<Authorization, ProviderError> {
        let Some(id) = req
            .reference
            .or_else(|| req.data.get("id").and_then(Value::as_str))
        else {
            return Err(ProviderError::Rejected(format!(
                "payment session {} has no PaymentIntent",
                req.session_id
            )));
        };
        let mut pi = self.retrieve(id).await?;
        match pi.status {
            IntentStatus::RequiresPaymentMethod | IntentStatus::RequiresConfirmation => {}
            IntentStatus::RequiresAction if pi.amount != req.amount => {}
            _ => return self.standing(pi, req).await,
        }
        if pi.amount != req.amount {
            let path = format!("/v1/payment_intents/{}", pi.id);
            let form: Form = vec![("amount", req.amount.to_string())];
            let key = format!("update-{}-{}", pi.id, req.amount);
            pi = Self::parse_intent(self.post(&path, &form, &key).await?)?;
        }
        let payment_method = pi
            .payment_method_id()
            .or_else(|| req.data.get("payment_method").and_then(Value::as_str))
            .map(str::to_string);
        let Some(payment_method) = payment_method else {
            return Ok(Authorization::Declined {
                reference: Some(pi.id),
                message: "No payment method was given for this payment.".into(),
            });
        };
        let mut form: Form = vec![("payment_method", payment_method.clone())];
        if !req.return_url.is_empty() {
            form.push(("return_url", req.return_url.to_string()));
        }
        // A failed attempt leaves a last_payment_error; a new attempt after it gets a
        // new key, while repeats of the same attempt share one.
        let attempt = pi
            .last_payment_error
            .as_ref()
            .map(|e| short_hash(&[&e.kind, e.code.as_deref().unwrap_or(""), &e.message]))
            .unwrap_or_else(|| "first".into());
        let key = format!(
            "confirm-{}-{}-{}-{attempt}",
            req.session_id, req.amount, payment_method
        );
        let path = format!("/v1/payment_intents/{}/confirm", pi.id);
        match self.post(&path, &form, &key).await {
            Ok(value) => self.standing(Self::parse_intent(value)?, req).await,
            Err(CallError::Api { error, .. }) if error.kind == "card_error" => {
                let message = if error.message.is_empty() {
                    GENERIC_DECLINE.to_string()
                } else {
                    error.message
                };
                Ok(Authorization::Declined {
                    reference: Some(pi.id),
                    message,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// What a PaymentIntent's status means for the authorization of `req.amount`.
    async fn standing(
        &self,
        pi: PaymentIntent,
        req: &AuthorizeRequest<'_>,
    ) -> Result<Authorization, ProviderError> {
        match pi.status {
            IntentStatus::RequiresCapture if req.amount <= pi.amount_capturable => {
                Ok(Authorization::Authorized { reference: pi.id })
            }
            IntentStatus::RequiresCapture => {
                // Held for less than the order total: release it; the shopper pays anew.
                let key = format!("short-{}-{}", pi.id, req.amount);
                let _ = self.cancel(&pi.id, &key).await;
                Ok(Authorization::Declined {
                    reference: Some(pi.id),
                    message: "The amount authorized does not cover the order total. Please pay \
                              again."
                        .into(),
                })
            }
            IntentStatus::Succeeded => Ok(Authorization::Captured { reference: pi.id }),
            IntentStatus::RequiresAction => match pi.redirect_url() {
                Some(url) => Ok(Authorization::RequiresAction {
                    redirect_url: url.to_string(),
                    reference: pi.id,
                }),
                None => Err(ProviderError::Rejected(format!(
                    "PaymentIntent {} requires an action of type '{}' that has no redirect URL",
                    pi.id,
                    pi.next_action.as_ref().map_or("", |a| a.kind.as_str())
                ))),
            },
            IntentStatus::RequiresPaymentMethod => Ok(Authorization::Declined {
                message: pi
                    .last_error_message()
                    .unwrap_or(GENERIC_DECLINE)
                    .to_string(),
                reference: Some(pi.id),
            }),
            IntentStatus::Canceled => Ok(Authorization::Declined {
                reference: Some(pi.id),
                message: "This payment was canceled. Please pay again.".into(),
            }),
            IntentStatus::Processing => Err(ProviderError::Unavailable(format!(
                "PaymentIntent {} is processing",
                pi.id
            ))),
            IntentStatus::RequiresConfirmation => Err(ProviderError::Rejected(format!(
                "PaymentIntent {} still requires confirmation",
                pi.id
            ))),
        }
    }

    /// Captures `amount`; a PaymentIntent that has succeeded already counts as captured.
    pub async fn capture(
        &self,
        reference: &str,
        amount: MinorUnits,
        idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        let path = format!("/v1/payment_intents/{}/capture", checked_id(reference)?);
        let form: Form = vec![("amount_to_capture", amount.to_string())];
        let key = format!("capture-{idempotency_key}");
        match self.post(&path, &form, &key).await {
            Ok(value) => match Self::parse_intent(value)?.status {
                IntentStatus::Succeeded => Ok(()),
                other => Err(ProviderError::Rejected(format!(
                    "capture of {reference} left it {other:?}"
                ))),
            },
            Err(CallError::Api { error, .. })
                if error.intent_status() == Some(IntentStatus::Succeeded) =>
            {
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Cancels the PaymentIntent; one that is canceled already counts as canceled.
    pub async fn cancel(
        &self,
        reference: &str,
        idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        let path = format!("/v1/payment_intents/{}/cancel", checked_id(reference)?);
        let key = format!("cancel-{idempotency_key}");
        match self.post(&path, &Form::new(), &key).await {
            Ok(_) => Ok(()),
            Err(CallError::Api { error, .. })
                if error.intent_status() == Some(IntentStatus::Canceled) =>
            {
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Refunds `amount` of the PaymentIntent's charge; returns the refund id (`re_...`).
    pub async fn refund(
        &self,
        reference: &str,
        amount: MinorUnits,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        let form: Form = vec![
            ("payment_intent", checked_id(reference)?.to_string()),
            ("amount", amount.to_string()),
        ];
        let key = format!("refund-{idempotency_key}");
        let value = self.post("/v1/refunds", &form, &key).await?;
        let refund: Refund = serde_json::from_value(value).map_err(|e| {
            ProviderError::Rejected(format!("stripe answered an unexpected refund: {e}"))
        })?;
        match refund.status.as_deref() {
            Some("failed" | "canceled") => Err(ProviderError::Rejected(format!(
                "refund {} of {reference} {}",
                refund.id,
                refund.status.unwrap_or_default()
            ))),
            _ => Ok(refund.id),
        }
    }
}

/// What a verified Stripe event means for a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentEventKind {
    /// `payment_intent.amount_capturable_updated`: the money is held.
    Authorized,
    /// `payment_intent.succeeded`: the money is taken.
    Captured,
    /// `payment_intent.payment_failed`, with `last_payment_error.message`.
    Failed { message: String },
    /// `payment_intent.canceled`.
    Canceled,
    /// `charge.refunded`: the latest refund of the charge (`data.object.refunds.data[0]`,
    /// Stripe lists newest first). An event whose charge does not list its refunds
    /// (API versions since 2022-11-15 leave the list out unless expanded) is `Ignored`,
    /// since the refund it reports cannot be told apart from earlier ones.
    Refunded {
        refund_id: String,
        amount: MinorUnits,
    },
    /// Any other event type; verified, nothing to apply.
    Ignored,
}

/// A verified Stripe event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// `evt_...`: the same on every delivery of the event.
    pub id: String,
    pub kind: PaymentEventKind,
    /// The PaymentIntent id (for `charge.refunded`, the charge's `payment_intent`);
    /// empty for an ignored event about no PaymentIntent.
    pub reference: String,
    /// Stripe's `type`, e.g. `payment_intent.succeeded`.
    pub event_type: String,
}

/// Why a webhook was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("malformed Stripe-Signature header: {0}")]
    MalformedHeader(&'static str),
    #[error("no v1 signature matches the payload")]
    BadSignature,
    #[error(
        "the signature's timestamp {timestamp} is more than {tolerance_s} s away from now ({now})"
    )]
    OutsideTolerance {
        timestamp: i64,
        now: i64,
        tolerance_s: i64,
    },
    #[error("unreadable event: {0}")]
    Payload(String),
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn signer(secret: &str, t: &str, payload: &[u8]) -> HmacSha256 {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The `Stripe-Signature` header value Stripe would send for `payload` at time `t`:
/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`.
pub fn sign_webhook(payload: &[u8], secret: &str, t: i64) -> String {
    let mac = signer(secret, &t.to_string(), payload);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Verifies a webhook as Stripe documents it and parses the event: the header's
/// `t` and `v1` values (several `v1` are allowed, other schemes such as `v0` are
/// ignored); one `v1` must equal HMAC-SHA256(secret, "<t>.<payload>") (compared in
/// constant time) and `t` must be within `tolerance_s` seconds of `now_unix`.
pub fn verify_webhook(
    payload: &[u8],
    signature_header: &str,
    secret: &str,
    now_unix: i64,
    tolerance_s: i64,
) -> Result<WebhookEvent, WebhookError> {
    let mut timestamp: Option<&str> = None;
    let mut signatures = Vec::new();
    for item in signature_header.split(',') {
        let (key, value) = item
            .trim()
            .split_once('=')
            .ok_or(WebhookError::MalformedHeader("an item is not key=value"))?;
        match key {
            "t" if timestamp.is_some() => {
                return Err(WebhookError::MalformedHeader("more than one timestamp"))
            }
            "t" => timestamp = Some(value),
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let t_text = timestamp.ok_or(WebhookError::MalformedHeader("no timestamp"))?;
    let t: i64 = t_text
        .parse()
        .map_err(|_| WebhookError::MalformedHeader("the timestamp is not an integer"))?;
    if signatures.is_empty() {
        return Err(WebhookError::MalformedHeader("no v1 signature"));
    }
    let mac = signer(secret, t_text, payload);
    let matched = signatures.iter().any(|candidate| {
        hex::decode(candidate).is_ok_and(|bytes| mac.clone().verify_slice(&bytes).is_ok())
    });
    if !matched {
        return Err(WebhookError::BadSignature);
    }
    if now_unix.saturating_sub(t).saturating_abs() > tolerance_s.max(0) {
        return Err(WebhookError::OutsideTolerance {
            timestamp: t,
            now: now_unix,
            tolerance_s,
        });
    }
    parse_event(payload)
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: Value,
}

fn id_of(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::String(id) => Some(id),
        other => other.get("id")?.as_str(),
    }
}

fn parse_event(payload: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let raw: RawEvent =
        serde_json::from_slice(payload).map_err(|e| WebhookError::Payload(e.to_string()))?;
    let object = &raw.data.object;
    let intent_id = || {
        id_of(object.get("id")).map(str::to_string).ok_or_else(|| {
            WebhookError::Payload(format!("{} without data.object.id", raw.event_type))
        })
    };
    let (kind, reference) = match raw.event_type.as_str() {
        "payment_intent.amount_capturable_updated" => (PaymentEventKind::Authorized, intent_id()?),
        "payment_intent.succeeded" => (PaymentEventKind::Captured, intent_id()?),
        "payment_intent.canceled" => (PaymentEventKind::Canceled, intent_id()?),
        "payment_intent.payment_failed" => {
            let message = object
                .pointer("/last_payment_error/message")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .unwrap_or("The payment failed.")
                .to_string();
            (PaymentEventKind::Failed { message }, intent_id()?)
        }
        "charge.refunded" => {
            let reference = id_of(object.get("payment_intent"))
                .unwrap_or_default()
                .to_string();
            let latest = object.pointer("/refunds/data/0");
            let refund_id = latest.and_then(|r| r.get("id")).and_then(Value::as_str);
            let amount = latest
                .and_then(|r| r.get("amount"))
                .and_then(Value::as_i64)
                .map(MinorUnits::new);
            match (refund_id, amount) {
                (Some(refund_id), Some(amount)) if !reference.is_empty() => (
                    PaymentEventKind::Refunded {
                        refund_id: refund_id.to_string(),
                        amount,
                    },
                    reference,
                ),
                _ => (PaymentEventKind::Ignored, reference),
            }
        }
        _ => {
            let reference = id_of(object.get("payment_intent"))
                .or_else(|| id_of(object.get("id")).filter(|id| id.starts_with("pi_")))
                .unwrap_or_default()
                .to_string();
            (PaymentEventKind::Ignored, reference)
        }
    };
    Ok(WebhookEvent {
        id: raw.id,
        kind,
        reference,
        event_type: raw.event_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, object: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "id": "evt_1", "object": "event", "type": event_type, "created": 1,
            "data": {"object": object}
        }))
        .expect("json")
    }

    #[test]
    fn statuses_parse_and_unknown_ones_are_errors() {
        let pi: PaymentIntent = serde_json::from_value(
            json!({"id": "pi_1", "amount": 5, "status": "requires_capture"}),
        )
        .expect("known status");
        assert_eq!(pi.status, IntentStatus::RequiresCapture);
        let unknown = serde_json::from_value::<PaymentIntent>(
            json!({"id": "pi_1", "amount": 5, "status": "requires_source"}),
        );
        assert!(unknown.is_err());
        assert!(StripeProvider::parse_intent(
            json!({"id": "pi_1", "amount": 5, "status": "mystery"})
        )
        .is_err_and(|e| matches!(e, ProviderError::Rejected(_))));
    }

    #[test]
    fn payment_method_may_be_an_id_or_expanded() {
        let plain: PaymentIntent = serde_json::from_value(json!(
            {"id": "pi_1", "amount": 5, "status": "succeeded", "payment_method": "pm_1"}
        ))
        .expect("pi");
        assert_eq!(plain.payment_method_id(), Some("pm_1"));
        let expanded: PaymentIntent = serde_json::from_value(json!(
            {"id": "pi_1", "amount": 5, "status": "succeeded", "payment_method": {"id": "pm_2"}}
        ))
        .expect("pi");
        assert_eq!(expanded.payment_method_id(), Some("pm_2"));
    }

    #[test]
    fn event_types_map_to_kinds() {
        let pi = json!({"id": "pi_9", "object": "payment_intent",
                        "last_payment_error": {"message": "Your card was declined."}});
        let parse = |t: &str, o: &Value| parse_event(&event(t, o.clone())).expect("event");
        assert_eq!(
            parse("payment_intent.amount_capturable_updated", &pi).kind,
            PaymentEventKind::Authorized
        );
        assert_eq!(
            parse("payment_intent.succeeded", &pi).kind,
            PaymentEventKind::Captured
        );
        assert_eq!(
            parse("payment_intent.canceled", &pi).kind,
            PaymentEventKind::Canceled
        );
        let failed = parse("payment_intent.payment_failed", &pi);
        assert_eq!(
            failed.kind,
            PaymentEventKind::Failed {
                message: "Your card was declined.".into()
            }
        );
        assert_eq!(failed.reference, "pi_9");
        assert_eq!(failed.id, "evt_1");
        assert_eq!(failed.event_type, "payment_intent.payment_failed");
        let created = parse("payment_intent.created", &pi);
        assert_eq!(
            (created.kind, created.reference.as_str()),
            (PaymentEventKind::Ignored, "pi_9")
        );
    }

    #[test]
    fn refunds_take_the_latest_listed_refund_or_are_ignored() {
        let charge = json!({"id": "ch_1", "object": "charge", "payment_intent": "pi_9",
            "amount_refunded": 700,
            "refunds": {"object": "list", "data": [
                {"id": "re_2", "amount": 200}, {"id": "re_1", "amount": 500}]}});
        let refunded = parse_event(&event("charge.refunded", charge)).expect("event");
        assert_eq!(
            refunded.kind,
            PaymentEventKind::Refunded {
                refund_id: "re_2".into(),
                amount: MinorUnits::new(200)
            }
        );
        assert_eq!(refunded.reference, "pi_9");
        let unlisted = json!({"id": "ch_1", "object": "charge", "payment_intent": "pi_9",
                              "amount_refunded": 700});
        let ignored = parse_event(&event("charge.refunded", unlisted)).expect("event");
        assert_eq!(ignored.kind, PaymentEventKind::Ignored);
        assert_eq!(ignored.reference, "pi_9");
    }

    #[test]
    fn events_without_what_they_need_are_payload_errors() {
        assert!(matches!(
            parse_event(&event(
                "payment_intent.succeeded",
                json!({"object": "payment_intent"})
            )),
            Err(WebhookError::Payload(_))
        ));
        assert!(matches!(
            parse_event(b"not json"),
            Err(WebhookError::Payload(_))
        ));
    }

    #[test]
    fn sign_webhook_matches_an_independent_hmac() {
        // Computed with Python: hmac.new(b"whsec_test", b"1700000000.{}", sha256).
        assert_eq!(
            sign_webhook(b"{}", "whsec_test", 1_700_000_000),
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }

    #[test]
    fn ids_that_do_not_look_like_stripes_stay_out_of_paths() {
        assert!(checked_id("pi_3MtwBwLkdIwHu7ix28a3tqPa").is_ok());
        assert!(checked_id("pi_1/../refunds").is_err());
        assert!(checked_id("").is_err());
    }
}
