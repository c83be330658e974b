//! The Stripe path against the local Stripe fake, with its webhooks relayed to the
//! origin the way the edge relays them (signed): the webhook storm of the issue (the
//! same event ten times at once plus the storefront's own confirmation: one capture,
//! one order, one ledger capture row), and a failure event arriving out of order.

mod common;

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{config, fresh_database, serve, signed, Origin, SECRET};
use origin::config::{EmailConfig, PaymentConfig};
use provider_fakes::{spawn_stripe, FakeStripe, StripeFakeConfig, WebhookTarget};
use serde_json::json;

const STRIPE_KEY: &str = "sk_test_storm";
const WEBHOOK_SECRET: &str = "whsec_storm_0123456789";

/// A relay on 127.0.0.1 that does what the edge's `/webhooks/stripe` does: forward the
/// body and `Stripe-Signature` to the origin, signed. Returns its URL.
async fn relay(origin_base: String) -> String {
    let http = reqwest::Client::new();
    let key = commerce::signing::SigningKey::parse(SECRET).unwrap();
    let app = axum::Router::new().route(
        "/",
        post(move |headers: HeaderMap, body: Bytes| {
            let (http, key, base) = (http.clone(), key.clone(), origin_base.clone());
            async move {
                let sig = headers
                    .get("stripe-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let res = signed(&http, &key, &base, "POST", "/v1/webhooks/stripe", &body)
                    .header("stripe-signature", sig)
                    .send()
                    .await;
                match res {
                    Ok(r) => StatusCode::from_u16(r.status().as_u16()).unwrap(),
                    Err(_) => StatusCode::BAD_GATEWAY,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/")
}

/// An origin paying through the Stripe fake; the fake's webhooks are not delivered
/// until the test says so.
async fn stripe_origin() -> (Origin, FakeStripe, String) {
    let fake = spawn_stripe(StripeFakeConfig::new(STRIPE_KEY)).await;
    let url = fresh_database().await;
    let payment = PaymentConfig::Stripe {
        base_url: fake.base_url().to_owned(),
        secret_key: STRIPE_KEY.into(),
        webhook_secret: WEBHOOK_SECRET.into(),
    };
    let o = serve(config(&url, payment, EmailConfig::Local)).await;
    let relay_url = relay(o.base.clone()).await;
    (o, fake, relay_url)
}

async fn complete_with(
    o: &Origin,
    cart: &commerce::cart::Cart,
    pm: Option<&str>,
) -> (u16, serde_json::Value) {
    let payment =
        pm.map(|pm| json!({"provider_id": "pp_stripe_stripe", "data": {"payment_method": pm}}));
    o.call(
        "POST",
        "/v1/carts/complete",
        Some(json!({"cart": cart, "payment": payment, "return_url": "http://alpha.test/checkout"})),
    )
    .await
}

#[tokio::test]
async fn ten_deliveries_and_the_storefront_confirmation_capture_once() {
    let (o, fake, relay_url) = stripe_origin().await;
    let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
    let before = o.stock("variant_A1S").await;

    // 3-D Secure: the order waits, pending, with its stock held.
    let (status, body) = complete_with(&o, &cart, Some("pm_card_authenticationRequired")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["error"]["type"], "payment_requires_more_error",
        "{body}"
    );
    let pi: String =
        o.db.query_one(
            "SELECT reference FROM payment_sessions WHERE reference IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));

    // The shopper confirms at the bank; the event is recorded but not yet delivered.
    fake.complete_3ds(&pi, true).unwrap();
    let event = fake
        .events()
        .into_iter()
        .find(|e| e.event_type == "payment_intent.amount_capturable_updated")
        .expect("the fake recorded the authorization event");
    fake.set_webhook(Some(WebhookTarget {
        url: relay_url,
        secret: WEBHOOK_SECRET.into(),
    }));

    // The storm: the same event ten times at once, and the storefront's completion.
    let fake = Arc::new(fake);
    let storm = {
        let (fake, id) = (fake.clone(), event.id.clone());
        tokio::spawn(async move { fake.redeliver(&id, 10).await })
    };
    let (status, done) = complete_with(&o, &cart, None).await;
    let statuses = storm.await.unwrap().unwrap();
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["type"], "order", "{done}");
    assert_eq!(statuses.len(), 10);
    assert!(
        statuses.iter().all(|s| (200..300).contains(s)),
        "{statuses:?}"
    );

    assert_eq!(
        fake.intent(&pi).unwrap().capture_count,
        1,
        "one capture at Stripe"
    );
    assert_eq!(o.count("SELECT count(*) FROM orders").await, 1);
    assert_eq!(
        o.count("SELECT count(*) FROM orders WHERE status = 'confirmed'")
            .await,
        1
    );
    assert_eq!(
        o.count("SELECT count(*) FROM order_transactions WHERE kind = 'capture'")
            .await,
        1
    );
    assert_eq!(
        o.count("SELECT count(*) FROM order_transactions WHERE kind = 'authorization'")
            .await,
        1
    );
    assert_eq!(
        o.count("SELECT count(*) FROM outbox WHERE topic = 'payment.succeeded'")
            .await,
        1
    );
    assert_eq!(
        o.count("SELECT count(*) FROM outbox WHERE topic = 'order.created'")
            .await,
        1
    );
    assert_eq!(
        o.stock("variant_A1S").await,
        (before.0, before.1 + 1),
        "held once"
    );
    let recorded = o
        .count(&format!(
            "SELECT count(*) FROM webhook_events WHERE event_id = '{}'",
            event.id
        ))
        .await;
    assert_eq!(recorded, 1, "the storm's event is recorded as applied");

    // Later deliveries are acknowledged as duplicates and change nothing.
    let again = fake.redeliver(&event.id, 2).await.unwrap();
    assert!(again.iter().all(|s| *s == 200), "{again:?}");
    assert_eq!(fake.intent(&pi).unwrap().capture_count, 1);
    assert_eq!(
        o.count("SELECT count(*) FROM order_transactions WHERE kind = 'capture'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_visa_payment_captures_once_and_a_late_failure_event_changes_nothing() {
    let (o, fake, relay_url) = stripe_origin().await;
    fake.set_webhook(Some(WebhookTarget {
        url: relay_url,
        secret: WEBHOOK_SECRET.into(),
    }));
    let cart = o.ready_cart(&[("variant_A1S", 2)]).await;
    let (status, body) = complete_with(&o, &cart, Some("pm_card_visa")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "order", "{body}");
    let pi: String =
        o.db.query_one(
            "SELECT reference FROM payment_sessions WHERE status = 'captured'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(fake.intent(&pi).unwrap().capture_count, 1);
    // Every write carried an idempotency key.
    let writes: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert!(!writes.is_empty());
    assert!(
        writes.iter().all(|r| r.idempotency_key.is_some()),
        "{writes:?}"
    );

    // The fake's own events (authorized, captured) arrive and change nothing more.
    o.wait_count("SELECT count(*) FROM webhook_events", 2, 10)
        .await;
    assert_eq!(
        o.count("SELECT count(*) FROM order_transactions WHERE kind = 'capture'")
            .await,
        1
    );

    // A failure event for the same intent, out of order, after the capture.
    let forged = json!({"id": "evt_latefailure0001", "object": "event", "type": "payment_intent.payment_failed",
        "created": 1, "data": {"object": {"id": pi, "object": "payment_intent", "status": "requires_payment_method",
        "last_payment_error": {"message": "Your card was declined."}}}});
    let payload = forged.to_string();
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let sig = origin::payment::stripe::sign_webhook(payload.as_bytes(), WEBHOOK_SECRET, t);
    let res = signed(
        &o.http,
        &o.key,
        &o.base,
        "POST",
        "/v1/webhooks/stripe",
        payload.as_bytes(),
    )
    .header("stripe-signature", sig)
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        o.count("SELECT count(*) FROM orders WHERE status = 'confirmed'")
            .await,
        1
    );
    // A bad signature is refused and applies nothing.
    let res = signed(
        &o.http,
        &o.key,
        &o.base,
        "POST",
        "/v1/webhooks/stripe",
        payload.as_bytes(),
    )
    .header("stripe-signature", format!("t={t},v1=00"))
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
}
