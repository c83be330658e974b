//! The payment and email provider clients against the local fakes of Stripe and
//! Resend (provider-fakes) on 127.0.0.1, Stripe webhook verification, the fake's
//! signed webhooks checked by `verify_webhook`, and the test-card provider.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use commerce::money::{CurrencyCode, MinorUnits};
use origin::email::resend::ResendMailer;
use origin::email::{Email, EmailError};
use origin::payment::stripe::{
    sign_webhook, verify_webhook, PaymentEventKind, StripeProvider, WebhookError, WebhookEvent,
};
use origin::payment::test_card::TestCardProvider;
use origin::payment::{
    Authorization, AuthorizeRequest, InitiateRequest, Initiated, Provider, ProviderError,
};
use provider_fakes::{
    spawn_resend, spawn_stripe, FakeResend, FakeStripe, ResendFakeConfig, StripeFakeConfig,
};
use serde_json::{json, Value};

const STRIPE_KEY: &str = "sk_test_providers";
const WEBHOOK_SECRET: &str = "whsec_providers";
const RESEND_KEY: &str = "re_test_providers";
const RETURN_URL: &str = "https://shop.test/checkout/return";

fn eur() -> CurrencyCode {
    CurrencyCode::parse("eur").expect("eur is a currency")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

fn stripe_client(fake: &FakeStripe, key: &str, timeout: Duration) -> Provider {
    Provider::Stripe(StripeProvider::new(fake.base_url(), key, timeout))
}

async fn stripe() -> (FakeStripe, Provider) {
    let fake = spawn_stripe(StripeFakeConfig::new(STRIPE_KEY)).await;
    let provider = stripe_client(&fake, STRIPE_KEY, Duration::from_secs(5));
    (fake, provider)
}

async fn initiate(
    provider: &Provider,
    session_id: &str,
    amount: i64,
    data: Value,
) -> Result<Initiated, ProviderError> {
    provider
        .initiate(&InitiateRequest {
            session_id,
            amount: MinorUnits::new(amount),
            currency: eur(),
            data: &data,
        })
        .await
}

async fn authorize(
    provider: &Provider,
    session_id: &str,
    initiated: &Initiated,
    amount: i64,
) -> Result<Authorization, ProviderError> {
    provider
        .authorize(&AuthorizeRequest {
            session_id,
            reference: initiated.reference.as_deref(),
            data: &initiated.data,
            amount: MinorUnits::new(amount),
            currency: eur(),
            return_url: RETURN_URL,
        })
        .await
}

fn reference(initiated: &Initiated) -> String {
    initiated
        .reference
        .clone()
        .expect("stripe gives a reference")
}

// ---------------------------------------------------------------- Stripe client

#[tokio::test]
async fn stripe_visa_is_created_with_manual_capture_and_authorized() {
    let (fake, provider) = stripe().await;
    let initiated = initiate(
        &provider,
        "payses_visa",
        2500,
        json!({"payment_method": "pm_card_visa"}),
    )
    .await
    .expect("initiate");
    let pi = reference(&initiated);
    assert!(pi.starts_with("pi_"), "{pi}");
    assert_eq!(initiated.data["id"], json!(pi));
    assert_eq!(initiated.data["payment_method"], "pm_card_visa");
    assert!(initiated.data["client_secret"]
        .as_str()
        .is_some_and(|s| s.starts_with(&format!("{pi}_secret_"))));

    let created = fake.intent(&pi).expect("intent exists");
    assert_eq!(created.amount, 2500);
    assert_eq!(created.currency, "eur");
    assert_eq!(created.capture_method, "manual");
    assert_eq!(created.status, "requires_confirmation");
    assert_eq!(
        created.metadata.get("session_id").map(String::as_str),
        Some("payses_visa")
    );

    let authorization = authorize(&provider, "payses_visa", &initiated, 2500)
        .await
        .expect("authorize");
    assert_eq!(
        authorization,
        Authorization::Authorized {
            reference: pi.clone()
        }
    );
    let held = fake.intent(&pi).expect("intent");
    assert_eq!(held.status, "requires_capture");
    assert_eq!(held.amount_capturable, 2500);
    assert_eq!(held.return_url.as_deref(), Some(RETURN_URL));

    // Authorizing again reads the intent and does not confirm a second time.
    let again = authorize(&provider, "payses_visa", &initiated, 2500)
        .await
        .expect("authorize again");
    assert_eq!(again, authorization);
    assert_eq!(fake.intent(&pi).expect("intent").confirm_count, 1);

    // Every POST carried an idempotency key; the confirmation's names the session.
    let requests = fake.requests();
    let posts: Vec<_> = requests.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 2, "{requests:?}");
    assert!(
        posts.iter().all(|r| r.idempotency_key.is_some()),
        "{posts:?}"
    );
    assert!(posts[1].path.ends_with("/confirm"));
    assert!(posts[1]
        .idempotency_key
        .as_deref()
        .is_some_and(|k| k.starts_with("confirm-payses_visa-2500-")));
}

#[tokio::test]
async fn stripe_initiate_is_idempotent_per_session_and_amount() {
    let (fake, provider) = stripe().await;
    let data = json!({"payment_method": "pm_card_visa"});
    let first = initiate(&provider, "payses_same", 1000, data.clone())
        .await
        .expect("first");
    let second = initiate(&provider, "payses_same", 1000, data.clone())
        .await
        .expect("second");
    assert_eq!(first, second);
    assert_eq!(fake.intents().len(), 1);
    let other_amount = initiate(&provider, "payses_same", 1200, data)
        .await
        .expect("other amount");
    assert_ne!(other_amount.reference, first.reference);
    assert_eq!(fake.intents().len(), 2);
}

#[tokio::test]
async fn stripe_declined_card_is_a_decline_with_stripes_message() {
    let (fake, provider) = stripe().await;
    let initiated = initiate(
        &provider,
        "payses_declined",
        1800,
        json!({"payment_method": "pm_card_chargeDeclined"}),
    )
    .await
    .expect("initiate");
    let pi = reference(&initiated);
    let authorization = authorize(&provider, "payses_declined", &initiated, 1800)
        .await
        .expect("a decline is an answer, not an error");
    assert_eq!(
        authorization,
        Authorization::Declined {
            reference: Some(pi.clone()),
            message: "Your card was declined.".into()
        }
    );
    let intent = fake.intent(&pi).expect("intent");
    assert_eq!(intent.status, "requires_payment_method");
    assert_eq!(
        intent
            .last_payment_error
            .as_ref()
            .map(|e| e["decline_code"].clone()),
        Some(json!("generic_decline"))
    );

    let funds = initiate(
        &provider,
        "payses_funds",
        1800,
        json!({"payment_method": "pm_card_chargeDeclinedInsufficientFunds"}),
    )
    .await
    .expect("initiate");
    let authorization = authorize(&provider, "payses_funds", &funds, 1800)
        .await
        .expect("authorize");
    assert!(
        matches!(&authorization, Authorization::Declined { message, .. }
            if message == "Your card has insufficient funds."),
        "{authorization:?}"
    );
}

#[tokio::test]
async fn stripe_3ds_requires_action_then_approval_authorizes() {
    let (fake, provider) = stripe().await;
    let initiated = initiate(
        &provider,
        "payses_3ds",
        4200,
        json!({"payment_method": "pm_card_authenticationRequired"}),
    )
    .await
    .expect("initiate");
    let pi = reference(&initiated);
    let expected_url = format!("{}/_fake/3ds/{pi}", fake.base_url());
    let authorization = authorize(&provider, "payses_3ds", &initiated, 4200)
        .await
        .expect("authorize");
    assert_eq!(
        authorization,
        Authorization::RequiresAction {
            reference: pi.clone(),
            redirect_url: expected_url.clone()
        }
    );
    // Asked again before the shopper acts: the same step, no new confirmation.
    let pending = authorize(&provider, "payses_3ds", &initiated, 4200)
        .await
        .expect("authorize");
    assert_eq!(pending, authorization);
    assert_eq!(fake.intent(&pi).expect("intent").confirm_count, 1);

    // The shopper approves on the fake's page.
    let approved = reqwest::Client::new()
        .post(format!("{expected_url}?outcome=approve"))
        .send()
        .await
        .expect("3ds page answers");
    assert_eq!(approved.status(), 200);
    assert_eq!(fake.intent(&pi).expect("intent").status, "requires_capture");
    let authorization = authorize(&provider, "payses_3ds", &initiated, 4200)
        .await
        .expect("authorize");
    assert_eq!(authorization, Authorization::Authorized { reference: pi });
}

#[tokio::test]
async fn stripe_failed_3ds_then_a_new_attempt_confirms_again() {
    let (fake, provider) = stripe().await;
    let initiated = initiate(
        &provider,
        "payses_3ds_fail",
        4200,
        json!({"payment_method": "pm_card_authenticationRequired"}),
    )
    .await
    .expect("initiate");
    let pi = reference(&initiated);
    let first = authorize(&provider, "payses_3ds_fail", &initiated, 4200)
        .await
        .expect("authorize");
    assert!(matches!(first, Authorization::RequiresAction { .. }));
    let failed = fake.complete_3ds(&pi, false).expect("fail 3ds");
    assert_eq!(failed.status, "requires_payment_method");
    // A new attempt is a new confirmation (a fresh idempotency key), not a replay.
    let second = authorize(&provider, "payses_3ds_fail", &initiated, 4200)
        .await
        .expect("authorize");
    assert!(
        matches!(second, Authorization::RequiresAction { .. }),
        "{second:?}"
    );
    assert_eq!(fake.intent(&pi).expect("intent").confirm_count, 2);
}

#[tokio::test]
async fn stripe_capture_twice_with_one_key_captures_once() {
    let (fake, provider) = stripe().await;
    let initiated = initiate(
        &provider,
        "payses_cap",
        3000,
        json!({"payment_method": "pm_card_visa"}),
    )
    .await
    .expect("initiate");
    let pi = reference(&initiated);
    authorize(&provider, "payses_cap", &initiated, 3000)
        .await
        .expect("authorize");
    provider
        .capture(&pi, MinorUnits::new(3000), "order_1")
        .await
        .expect("capture");
    provider
        .capture(&pi, MinorUnits::new(3000), "order_1")
        .await
        .expect("replayed capture");
    let captures: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/capture"))
        .collect();
    assert_eq!(captures.len(), 2);
    assert_eq!(captures[0].idempotency_key, captures[1].idempotency_key);
    assert_eq!(
        (captures[0].replayed, captures[1].replayed),
        (false, true),
        "the second capture is Stripe's replay of the first"
    );
    let captured = fake.intent(&pi).expect("intent");
    assert_eq!(captured.status, "succeeded");
    assert_eq!(captured.amount_received, 3000);
    assert_eq!(captured.capture_count, 1);

    // Another key on a captured intent: Stripe refuses (unexpected state); the
    // client treats "already captured" as captured.
    provider
        .capture(&pi, MinorUnits::new(3000), "order_1_other")
        .await
        .expect("already captured counts as captured");
    assert_eq!(fake.intent(&pi).expect("intent").capture_count, 1);
}

#[tokio::test]
async fn stripe_capture_of_an_unauthorized_intent_is_rejected() {
    let (_fake, provider) = stripe().await;
    let initiated = initiate(&provider, "payses_nocap", 3000, json!({}))
        .await
        .expect("initiate");
    let result = provider
        .capture(&reference(&initiated), MinorUnits::new(3000), "k")
        .await;
    assert!(
        matches!(&result, Err(ProviderError::Rejected(m)) if m.contains("payment_intent_unexpected_state")),
        "{result:?}"
    );
}

#[tokio::test]
async fn stripe_amount_change_updates_the_intent_before_confirming() {
    let (fake, provider) = stripe().await;
    let initiated = initiate(
        &provider,
        "payses_amount",
        1000,
        json!({"payment_method": "pm_card_visa"}),
    )
    .await
    .expect("initiate");
    let pi = reference(&initiated);
    let authorization = authorize(&provider, "payses_amount", &initiated, 1450)
        .await
        .expect("authorize");
    assert_eq!(
        authorization,
        Authorization::Authorized {
            reference: pi.clone()
        }
    );
    let intent = fake.intent(&pi).expect("intent");
    assert_eq!(intent.amount, 1450);
    assert_eq!(intent.amount_capturable, 1450);

    // Already held for less than a grown total: released and declined.
    let short = authorize(&provider, "payses_amount", &initiated, 2000)
        .await
        .expect("authorize");
    assert!(matches!(short, Authorization::Declined { .. }), "{short:?}");
    assert_eq!(fake.intent(&pi).expect("intent").status, "canceled");
}

#[tokio::test]
async fn stripe_cancel_and_refund() {
    let (fake, provider) = stripe().await;
    let held = initiate(
        &provider,
        "payses_cancel",
        900,
        json!({"payment_method": "pm_card_visa"}),
    )
    .await
    .expect("initiate");
    authorize(&provider, "payses_cancel", &held, 900)
        .await
        .expect("authorize");
    let pi = reference(&held);
    provider.cancel(&pi, "expire-1").await.expect("cancel");
    assert_eq!(fake.intent(&pi).expect("intent").status, "canceled");
    provider
        .cancel(&pi, "expire-2")
        .await
        .expect("canceling a canceled intent counts as canceled");

    let paid = initiate(
        &provider,
        "payses_refund",
        5000,
        json!({"payment_method": "pm_card_visa"}),
    )
    .await
    .expect("initiate");
    authorize(&provider, "payses_refund", &paid, 5000)
        .await
        .expect("authorize");
    let pi = reference(&paid);
    provider
        .capture(&pi, MinorUnits::new(5000), "cap")
        .await
        .expect("capture");
    let refund_id = provider
        .refund(&pi, MinorUnits::new(1200), "order_9-1")
        .await
        .expect("refund");
    assert!(refund_id.starts_with("re_"), "{refund_id}");
    let same = provider
        .refund(&pi, MinorUnits::new(1200), "order_9-1")
        .await
        .expect("replayed refund");
    assert_eq!(same, refund_id);
    assert_eq!(fake.refunds().len(), 1);
    assert_eq!(fake.intent(&pi).expect("intent").amount_refunded, 1200);
    let too_much = provider
        .refund(&pi, MinorUnits::new(4000), "order_9-2")
        .await;
    assert!(
        matches!(&too_much, Err(ProviderError::Rejected(m)) if m.contains("amount_too_large")),
        "{too_much:?}"
    );
}

#[tokio::test]
async fn stripe_500_and_429_are_unavailable_and_nothing_changes() {
    let (fake, provider) = stripe().await;
    fake.fail_next(1, 500);
    let result = initiate(&provider, "payses_500", 1000, json!({})).await;
    assert!(
        matches!(&result, Err(ProviderError::Unavailable(m)) if m.contains("500")),
        "{result:?}"
    );
    assert!(fake.intents().is_empty());
    fake.fail_next(1, 429);
    let result = initiate(&provider, "payses_500", 1000, json!({})).await;
    assert!(
        matches!(result, Err(ProviderError::Unavailable(_))),
        "{result:?}"
    );
    initiate(&provider, "payses_500", 1000, json!({}))
        .await
        .expect("works once the failures are spent");
    assert_eq!(fake.intents().len(), 1);
}

#[tokio::test]
async fn stripe_timeout_and_refused_connection_are_unavailable() {
    let fake = spawn_stripe(StripeFakeConfig::new(STRIPE_KEY)).await;
    let impatient = stripe_client(&fake, STRIPE_KEY, Duration::from_millis(300));
    fake.delay_next(1, 2_000);
    let result = initiate(&impatient, "payses_slow", 1000, json!({})).await;
    assert!(
        matches!(&result, Err(ProviderError::Unavailable(m)) if m.contains("timed out")),
        "{result:?}"
    );

    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let nowhere = Provider::Stripe(StripeProvider::new(
        format!("http://{closed}"),
        STRIPE_KEY,
        Duration::from_secs(2),
    ));
    let result = initiate(&nowhere, "payses_nowhere", 1000, json!({})).await;
    assert!(
        matches!(result, Err(ProviderError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn stripe_wrong_key_is_rejected() {
    let fake = spawn_stripe(StripeFakeConfig::new(STRIPE_KEY)).await;
    let wrong = stripe_client(&fake, "sk_test_wrong", Duration::from_secs(5));
    let result = initiate(&wrong, "payses_key", 1000, json!({})).await;
    assert!(
        matches!(&result, Err(ProviderError::Rejected(m)) if m.contains("401") && m.contains("Invalid API Key")),
        "{result:?}"
    );
    assert!(!format!("{result:?}").contains("sk_test_wrong"));
    assert!(fake.intents().is_empty());
}

#[tokio::test]
async fn stripe_fake_refuses_a_reused_key_with_other_parameters() {
    let fake = spawn_stripe(StripeFakeConfig::new(STRIPE_KEY)).await;
    let http = reqwest::Client::new();
    let create = |amount: &'static str| {
        http.post(format!("{}/v1/payment_intents", fake.base_url()))
            .bearer_auth(STRIPE_KEY)
            .header("Idempotency-Key", "same-key")
            .form(&[("amount", amount), ("currency", "eur")])
            .send()
    };
    let first = create("1000").await.expect("first");
    assert_eq!(first.status(), 200);
    let replay = create("1000").await.expect("replay");
    assert_eq!(replay.status(), 200);
    assert_eq!(
        replay
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let other = create("2000").await.expect("other");
    assert_eq!(other.status(), 400);
    let body: Value = other.json().await.expect("json");
    assert_eq!(body["error"]["type"], "idempotency_error");
    assert_eq!(fake.intents().len(), 1);
}

#[tokio::test]
async fn stripe_fake_control_endpoints_over_http() {
    let (fake, provider) = stripe().await;
    let http = reqwest::Client::new();
    let base = fake.base_url().to_string();
    let initiated = initiate(
        &provider,
        "payses_ctl",
        700,
        json!({"payment_method": "pm_card_visa"}),
    )
    .await
    .expect("initiate");
    let pi = reference(&initiated);
    authorize(&provider, "payses_ctl", &initiated, 700)
        .await
        .expect("authorize");
    provider
        .capture(&pi, MinorUnits::new(700), "ctl")
        .await
        .expect("capture");
    let state: Value = http
        .get(format!("{base}/_fake/payment_intents/{pi}"))
        .send()
        .await
        .expect("control answers")
        .json()
        .await
        .expect("json");
    assert_eq!(state["status"], "succeeded");
    assert_eq!(state["capture_count"], 1);

    let events: Value = http
        .get(format!("{base}/_fake/events"))
        .send()
        .await
        .expect("events")
        .json()
        .await
        .expect("json");
    let types: Vec<&str> = events
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(
        types.contains(&"payment_intent.amount_capturable_updated"),
        "{types:?}"
    );
    assert!(types.contains(&"payment_intent.succeeded"), "{types:?}");

    let set = http
        .post(format!("{base}/_fake/fail_next?count=2&status=503"))
        .send()
        .await
        .expect("fail_next");
    assert_eq!(set.status(), 200);
    for _ in 0..2 {
        let result = provider.cancel(&pi, "ctl-cancel").await;
        assert!(
            matches!(result, Err(ProviderError::Unavailable(_))),
            "{result:?}"
        );
    }
    let result = provider.cancel(&pi, "ctl-cancel").await;
    assert!(
        matches!(&result, Err(ProviderError::Rejected(m)) if m.contains("succeeded")),
        "a captured intent cannot be canceled: {result:?}"
    );
}

// ---------------------------------------------------------------- webhooks

fn sample_event(event_type: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "id": "evt_1", "object": "event", "type": event_type, "created": 1_700_000_000,
        "data": {"object": {"id": "pi_123", "object": "payment_intent", "status": "requires_capture"}}
    }))
    .expect("json")
}

#[test]
fn webhook_with_a_valid_signature_is_accepted() {
    let body = sample_event("payment_intent.amount_capturable_updated");
    let t = 1_700_000_000;
    let header = sign_webhook(&body, WEBHOOK_SECRET, t);
    let event = verify_webhook(&body, &header, WEBHOOK_SECRET, t + 10, 300).expect("valid");
    assert_eq!(
        event,
        WebhookEvent {
            id: "evt_1".into(),
            kind: PaymentEventKind::Authorized,
            reference: "pi_123".into(),
            event_type: "payment_intent.amount_capturable_updated".into(),
        }
    );
}

#[test]
fn webhook_with_a_tampered_body_or_wrong_secret_is_refused() {
    let body = sample_event("payment_intent.succeeded");
    let t = 1_700_000_000;
    let header = sign_webhook(&body, WEBHOOK_SECRET, t);
    let mut tampered = body.clone();
    let at = tampered.len() - 3;
    tampered[at] ^= 1;
    assert_eq!(
        verify_webhook(&tampered, &header, WEBHOOK_SECRET, t, 300),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify_webhook(&body, &header, "whsec_other", t, 300),
        Err(WebhookError::BadSignature)
    );
    // The timestamp is signed too.
    let moved = header.replacen("t=1700000000", "t=1700000001", 1);
    assert_eq!(
        verify_webhook(&body, &moved, WEBHOOK_SECRET, t, 300),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn webhook_outside_the_tolerance_is_refused() {
    let body = sample_event("payment_intent.succeeded");
    let t = 1_700_000_000;
    let header = sign_webhook(&body, WEBHOOK_SECRET, t);
    assert!(verify_webhook(&body, &header, WEBHOOK_SECRET, t + 300, 300).is_ok());
    assert_eq!(
        verify_webhook(&body, &header, WEBHOOK_SECRET, t + 301, 300),
        Err(WebhookError::OutsideTolerance {
            timestamp: t,
            now: t + 301,
            tolerance_s: 300
        })
    );
    assert!(matches!(
        verify_webhook(&body, &header, WEBHOOK_SECRET, t - 301, 300),
        Err(WebhookError::OutsideTolerance { .. })
    ));
}

#[test]
fn webhook_header_with_two_v1_signatures_is_accepted_if_one_matches() {
    let body = sample_event("payment_intent.canceled");
    let t = 1_700_000_000;
    let good = sign_webhook(&body, WEBHOOK_SECRET, t);
    let good_v1 = good.split("v1=").nth(1).expect("v1");
    let old_v1 = sign_webhook(&body, "whsec_rolled_over", t);
    let old_v1 = old_v1.split("v1=").nth(1).expect("v1");
    let both = format!("t={t},v1={old_v1},v1={good_v1},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39");
    let event = verify_webhook(&body, &both, WEBHOOK_SECRET, t, 300).expect("one matches");
    assert_eq!(event.kind, PaymentEventKind::Canceled);
    let neither = format!("t={t},v1={old_v1},v1=zz");
    assert_eq!(
        verify_webhook(&body, &neither, WEBHOOK_SECRET, t, 300),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn malformed_signature_headers_are_refused_as_malformed() {
    let body = sample_event("payment_intent.succeeded");
    let valid = sign_webhook(&body, WEBHOOK_SECRET, 1_700_000_000);
    let v1 = valid.split("v1=").nth(1).expect("v1");
    for header in [
        String::new(),
        "garbage".to_string(),
        format!("v1={v1}"),
        "t=1700000000".to_string(),
        format!("t=soon,v1={v1}"),
        format!("t=1700000000,t=1700000000,v1={v1}"),
        "t=1700000000,v0=abc".to_string(),
    ] {
        assert!(
            matches!(
                verify_webhook(&body, &header, WEBHOOK_SECRET, 1_700_000_000, 300),
                Err(WebhookError::MalformedHeader(_))
            ),
            "{header:?}"
        );
    }
}

#[test]
fn webhook_with_a_valid_signature_but_unreadable_body_is_a_payload_error() {
    let body = br#"{"id": "evt_1", "type": "payment_intent.succeeded"}"#;
    let header = sign_webhook(body, WEBHOOK_SECRET, 1_700_000_000);
    assert!(matches!(
        verify_webhook(body, &header, WEBHOOK_SECRET, 1_700_000_000, 300),
        Err(WebhookError::Payload(_))
    ));
}

type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A tiny webhook endpoint that records every delivery's signature header and body.
async fn spawn_receiver() -> (String, Received, tokio::task::JoinHandle<()>) {
    async fn receive(State(got): State<Received>, headers: HeaderMap, body: Bytes) -> StatusCode {
        let signature = headers
            .get("stripe-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        got.lock().expect("lock").push((signature, body.to_vec()));
        StatusCode::OK
    }
    let got: Received = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route("/webhooks/stripe", post(receive))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/webhooks/stripe",
        listener.local_addr().expect("addr")
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, got, task)
}

/// Waits until the receiver holds at least `n` deliveries, and verifies them all.
async fn verified(got: &Received, n: usize) -> Vec<WebhookEvent> {
    for _ in 0..100 {
        let deliveries = got.lock().expect("lock").clone();
        if deliveries.len() >= n {
            return deliveries
                .iter()
                .map(|(signature, body)| {
                    verify_webhook(body, signature, WEBHOOK_SECRET, now(), 300)
                        .unwrap_or_else(|e| panic!("fake's webhook does not verify: {e}"))
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "expected {n} deliveries, got {}",
        got.lock().expect("lock").len()
    );
}

#[tokio::test]
async fn fake_webhooks_are_signed_so_that_verify_webhook_accepts_them() {
    let (url, got, _receiver) = spawn_receiver().await;
    let fake =
        spawn_stripe(StripeFakeConfig::new(STRIPE_KEY).with_webhook(url, WEBHOOK_SECRET)).await;
    let provider = stripe_client(&fake, STRIPE_KEY, Duration::from_secs(5));
    let initiated = initiate(
        &provider,
        "payses_hook",
        6400,
        json!({"payment_method": "pm_card_visa"}),
    )
    .await
    .expect("initiate");
    let pi = reference(&initiated);
    authorize(&provider, "payses_hook", &initiated, 6400)
        .await
        .expect("authorize");
    provider
        .capture(&pi, MinorUnits::new(6400), "hook")
        .await
        .expect("capture");
    let refund_id = provider
        .refund(&pi, MinorUnits::new(400), "hook-r")
        .await
        .expect("refund");

    // created, amount_capturable_updated, succeeded, charge.refunded
    let events = verified(&got, 4).await;
    let kinds: Vec<(&str, &PaymentEventKind, &str)> = events
        .iter()
        .map(|e| (e.event_type.as_str(), &e.kind, e.reference.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                "payment_intent.created",
                &PaymentEventKind::Ignored,
                pi.as_str()
            ),
            (
                "payment_intent.amount_capturable_updated",
                &PaymentEventKind::Authorized,
                pi.as_str()
            ),
            (
                "payment_intent.succeeded",
                &PaymentEventKind::Captured,
                pi.as_str()
            ),
            (
                "charge.refunded",
                &PaymentEventKind::Refunded {
                    refund_id,
                    amount: MinorUnits::new(400)
                },
                pi.as_str()
            ),
        ]
    );
    // A receiver with another secret would refuse them.
    let (signature, body) = got.lock().expect("lock")[0].clone();
    assert_eq!(
        verify_webhook(&body, &signature, "whsec_other", now(), 300),
        Err(WebhookError::BadSignature)
    );
    // The fake lists what it sent and how each delivery went (recorded once the
    // receiver has answered).
    let mut listed = fake.events();
    for _ in 0..40 {
        if listed.iter().all(|e| !e.deliveries.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        listed = fake.events();
    }
    assert_eq!(listed.len(), 4);
    assert!(listed.iter().all(|e| e.deliveries == [200]), "{listed:?}");
}

#[tokio::test]
async fn fake_webhooks_for_failures_and_redelivery_of_one_event() {
    let (url, got, _receiver) = spawn_receiver().await;
    let fake =
        spawn_stripe(StripeFakeConfig::new(STRIPE_KEY).with_webhook(url, WEBHOOK_SECRET)).await;
    let provider = stripe_client(&fake, STRIPE_KEY, Duration::from_secs(5));
    let initiated = initiate(
        &provider,
        "payses_hook_fail",
        900,
        json!({"payment_method": "pm_card_chargeDeclined"}),
    )
    .await
    .expect("initiate");
    let pi = reference(&initiated);
    authorize(&provider, "payses_hook_fail", &initiated, 900)
        .await
        .expect("authorize");
    let events = verified(&got, 2).await;
    let failed = &events[1];
    assert_eq!(
        failed.kind,
        PaymentEventKind::Failed {
            message: "Your card was declined.".into()
        }
    );
    assert_eq!(failed.reference, pi);

    let statuses = fake.redeliver(&failed.id, 3).await.expect("redeliver");
    assert_eq!(statuses, [200, 200, 200]);
    let all = verified(&got, 5).await;
    assert_eq!(all.iter().filter(|e| e.id == failed.id).count(), 4);

    // The same over the control endpoint.
    let answer: Value = reqwest::Client::new()
        .post(format!(
            "{}/_fake/events/{}/redeliver?times=2",
            fake.base_url(),
            failed.id
        ))
        .send()
        .await
        .expect("redeliver endpoint")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["statuses"], json!([200, 200]));
    verified(&got, 7).await;
}

#[tokio::test]
async fn fake_webhook_for_3ds_approval_is_an_authorization() {
    let (url, got, _receiver) = spawn_receiver().await;
    let fake =
        spawn_stripe(StripeFakeConfig::new(STRIPE_KEY).with_webhook(url, WEBHOOK_SECRET)).await;
    let provider = stripe_client(&fake, STRIPE_KEY, Duration::from_secs(5));
    let initiated = initiate(
        &provider,
        "payses_hook_3ds",
        1100,
        json!({"payment_method": "pm_card_authenticationRequired"}),
    )
    .await
    .expect("initiate");
    let pi = reference(&initiated);
    authorize(&provider, "payses_hook_3ds", &initiated, 1100)
        .await
        .expect("authorize");
    fake.complete_3ds(&pi, true).expect("approve");
    // created, requires_action, amount_capturable_updated
    let events = verified(&got, 3).await;
    assert_eq!(events[1].event_type, "payment_intent.requires_action");
    assert_eq!(events[1].kind, PaymentEventKind::Ignored);
    assert_eq!(events[2].kind, PaymentEventKind::Authorized);
    assert_eq!(events[2].reference, pi);
}

// ---------------------------------------------------------------- test cards

async fn test_card(card: Option<&str>, return_url: &str) -> (Initiated, Authorization) {
    let provider = Provider::TestCard(TestCardProvider::new());
    assert_eq!(provider.id(), "pp_system_default");
    let data = card.map_or(json!({}), |c| json!({"card_number": c}));
    let initiated = initiate(&provider, "payses_card", 1000, data)
        .await
        .expect("initiate");
    let authorization = provider
        .authorize(&AuthorizeRequest {
            session_id: "payses_card",
            reference: initiated.reference.as_deref(),
            data: &initiated.data,
            amount: MinorUnits::new(1000),
            currency: eur(),
            return_url,
        })
        .await
        .expect("test cards always answer");
    (initiated, authorization)
}

#[tokio::test]
async fn test_card_outcomes() {
    let reference = "test_payses_card".to_string();
    let (initiated, ok) = test_card(Some("4242 4242 4242 4242"), RETURN_URL).await;
    assert_eq!(
        ok,
        Authorization::Authorized {
            reference: reference.clone()
        }
    );
    assert_eq!(initiated.data["last4"], "4242");
    assert_eq!(initiated.data["brand"], "visa");
    assert!(!initiated.data.to_string().contains("4242424242424242"));

    let declined = |message: &str| Authorization::Declined {
        reference: Some(reference.clone()),
        message: message.into(),
    };
    assert_eq!(
        test_card(Some("4000000000000002"), RETURN_URL).await.1,
        declined("Your card was declined.")
    );
    assert_eq!(
        test_card(Some("4000000000009995"), RETURN_URL).await.1,
        declined("Your card has insufficient funds.")
    );
    assert_eq!(
        test_card(Some("4242424242424241"), RETURN_URL).await.1,
        declined("Your card number is not valid.")
    );
    assert_eq!(
        test_card(Some("4242"), RETURN_URL).await.1,
        declined("Your card number is not valid.")
    );
    assert_eq!(
        test_card(Some("4000002500003155"), "https://shop.test/pay?step=2")
            .await
            .1,
        Authorization::RequiresAction {
            reference: reference.clone(),
            redirect_url: "https://shop.test/pay?step=2&authenticate=payses_card".into()
        }
    );
    assert_eq!(
        test_card(None, RETURN_URL).await.1,
        Authorization::Authorized { reference }
    );
}

#[tokio::test]
async fn test_card_capture_cancel_and_refund_succeed() {
    let provider = Provider::TestCard(TestCardProvider::new());
    provider
        .capture("test_payses_card", MinorUnits::new(1000), "k")
        .await
        .expect("capture");
    provider
        .cancel("test_payses_card", "k")
        .await
        .expect("cancel");
    let refund = provider
        .refund("test_payses_card", MinorUnits::new(500), "k")
        .await
        .expect("refund");
    assert!(refund.starts_with("testre_"), "{refund}");
}

// ---------------------------------------------------------------- Resend

fn email(subject: &str) -> Email {
    Email {
        from: "Shop <orders@shop.test>".into(),
        to: "ada@example.com".into(),
        subject: subject.into(),
        html: "<p>Thank you</p>".into(),
        text: "Thank you".into(),
    }
}

async fn resend() -> (FakeResend, ResendMailer) {
    let fake = spawn_resend(ResendFakeConfig::new(RESEND_KEY)).await;
    let mailer = ResendMailer::new(fake.base_url(), RESEND_KEY, Duration::from_secs(5));
    (fake, mailer)
}

#[tokio::test]
async fn resend_sends_and_a_repeated_key_sends_once() {
    let (fake, mailer) = resend().await;
    let id = mailer
        .send(&email("Your order #1"), "order_1-confirmation")
        .await
        .expect("sent");
    assert!(!id.is_empty());
    let again = mailer
        .send(&email("Your order #1"), "order_1-confirmation")
        .await
        .expect("repeat");
    assert_eq!(again, id);
    let emails = fake.emails();
    assert_eq!(emails.len(), 1);
    let sent = &emails[0];
    assert_eq!(sent.id, id);
    assert_eq!(sent.from, "Shop <orders@shop.test>");
    assert_eq!(sent.to, ["ada@example.com"]);
    assert_eq!(sent.subject, "Your order #1");
    assert_eq!(sent.html.as_deref(), Some("<p>Thank you</p>"));
    assert_eq!(sent.text.as_deref(), Some("Thank you"));
    assert_eq!(
        sent.idempotency_key.as_deref(),
        Some("order_1-confirmation")
    );

    let other = mailer
        .send(&email("Your order #2"), "order_2-confirmation")
        .await
        .expect("another");
    assert_ne!(other, id);
    assert_eq!(fake.emails().len(), 2);
}

#[tokio::test]
async fn resend_server_errors_and_rate_limits_are_retryable() {
    let (fake, mailer) = resend().await;
    fake.fail_next(1, 500);
    let result = mailer.send(&email("Hi"), "k1").await;
    assert!(
        matches!(&result, Err(EmailError::Retryable(m)) if m.contains("500")),
        "{result:?}"
    );
    fake.fail_next(1, 429);
    let result = mailer.send(&email("Hi"), "k1").await;
    assert!(
        matches!(&result, Err(EmailError::Retryable(m)) if m.contains("rate_limit_exceeded")),
        "{result:?}"
    );
    assert!(fake.emails().is_empty());
    mailer.send(&email("Hi"), "k1").await.expect("then sent");
    assert_eq!(fake.emails().len(), 1);
}

#[tokio::test]
async fn resend_timeout_is_retryable() {
    let fake = spawn_resend(ResendFakeConfig::new(RESEND_KEY)).await;
    let mailer = ResendMailer::new(fake.base_url(), RESEND_KEY, Duration::from_millis(300));
    fake.delay_next(1, 2_000);
    let result = mailer.send(&email("Hi"), "slow").await;
    assert!(
        matches!(&result, Err(EmailError::Retryable(m)) if m.contains("timed out")),
        "{result:?}"
    );
}

#[tokio::test]
async fn resend_validation_errors_are_permanent_with_resends_message() {
    let (fake, mailer) = resend().await;
    let mut bad = email("Hi");
    bad.from = "not an address".into();
    let result = mailer.send(&bad, "bad-from").await;
    assert!(
        matches!(&result, Err(EmailError::Permanent(m)) if m.contains("422") && m.contains("validation_error") && m.contains("`from`")),
        "{result:?}"
    );
    // The same key with another message is refused, not sent.
    mailer.send(&email("First"), "reused").await.expect("sent");
    let result = mailer.send(&email("Second"), "reused").await;
    assert!(
        matches!(&result, Err(EmailError::Permanent(m)) if m.contains("invalid_idempotent_request")),
        "{result:?}"
    );
    assert_eq!(fake.emails().len(), 1);
}

#[tokio::test]
async fn resend_wrong_key_is_permanent() {
    let fake = spawn_resend(ResendFakeConfig::new(RESEND_KEY)).await;
    let mailer = ResendMailer::new(fake.base_url(), "re_wrong", Duration::from_secs(5));
    let result = mailer.send(&email("Hi"), "k").await;
    assert!(
        matches!(&result, Err(EmailError::Permanent(m)) if m.contains("invalid_api_key")),
        "{result:?}"
    );
    assert!(fake.emails().is_empty());
}

#[tokio::test]
async fn resend_html_only_email_omits_text() {
    let (fake, mailer) = resend().await;
    let mut html_only = email("Hi");
    html_only.text.clear();
    mailer.send(&html_only, "html-only").await.expect("sent");
    assert_eq!(fake.emails()[0].text, None);
}
