//! The origin's job runner against the Resend fake: the confirmation e-mail sent once
//! with an idempotency key, retried with backoff after server errors, dead-lettered
//! after a permanent refusal without holding up other jobs; and pending orders whose
//! reservation expired failed with their stock released.

mod common;

use std::future::Future;
use std::time::Duration;

use commerce::cart::Cart;
use common::{config, fresh_database, serve, Origin, RESEND_KEY};
use origin::config::{EmailConfig, PaymentConfig};
use provider_fakes::{spawn_resend, FakeResend, ResendFakeConfig};
use serde_json::{json, Value};

const OK_CARD: &str = "4242 4242 4242 4242";
const NEEDS_CONFIRMATION: &str = "4000002500003155";

/// Runs a test body, failing it if it takes longer than `secs`.
async fn within<T>(secs: u64, body: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), body)
        .await
        .unwrap_or_else(|_| panic!("the test did not finish within {secs} s"))
}

/// An origin with test cards whose e-mail goes to a new Resend fake; `ttl_s` is the
/// reservation TTL.
async fn spawn_mailing_origin(ttl_s: i64) -> (Origin, FakeResend) {
    let resend = spawn_resend(ResendFakeConfig::new(RESEND_KEY)).await;
    let url = fresh_database().await;
    let mut cfg = config(
        &url,
        PaymentConfig::TestCards,
        EmailConfig::Resend {
            base_url: resend.base_url().to_owned(),
            api_key: RESEND_KEY.into(),
        },
    );
    cfg.reservation_ttl_s = ttl_s;
    (serve(cfg).await, resend)
}

/// Places and pays an order for one unit; returns the cart and the order.
async fn paid_order(o: &Origin) -> (Cart, Value) {
    let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
    let (status, body) = o.complete(&cart, Some(OK_CARD)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "order", "{body}");
    (cart, body["order"].clone())
}

/// The outbox row of `topic` for order `order_id`: (status, attempts, last_error,
/// seconds from its creation to done).
async fn job(o: &Origin, topic: &str, order_id: &str) -> (String, i32, Option<String>, f64) {
    let row =
        o.db.query_one(
            "SELECT status, attempts, last_error,
                    coalesce(extract(epoch FROM done_at - created_at), -1)::float8
             FROM outbox WHERE topic = $1 AND payload->'payload'->>'order_id' = $2",
            &[&topic, &order_id],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

/// Waits (at most `secs`) until the `topic` row of `order_id` has `status`.
async fn wait_job(
    o: &Origin,
    topic: &str,
    order_id: &str,
    status: &str,
    secs: u64,
) -> (String, i32, Option<String>, f64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let now = job(o, topic, order_id).await;
        if now.0 == status || std::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_confirmation_email_reaches_resend_once_with_the_order_number() {
    within(60, async {
        let (o, resend) = spawn_mailing_origin(900).await;
        let (cart, order) = paid_order(&o).await;
        let id = order["id"].as_str().unwrap();
        let (status, attempts, error, _) = wait_job(&o, "order.created", id, "done", 10).await;
        assert_eq!((status.as_str(), attempts, error), ("done", 1, None));
        let emails = resend.emails();
        assert_eq!(emails.len(), 1, "{emails:?}");
        let email = &emails[0];
        assert_eq!(email.to, ["buyer@example.com"]);
        assert_eq!(email.from, "Orders <orders@alpha.test>");
        assert_eq!(
            email.subject,
            format!("Your order #{} at Alpha", order["display_id"])
        );
        assert!(email
            .text
            .as_deref()
            .is_some_and(|t| t.contains(&format!("Order #{}", order["display_id"]))));
        let key = email
            .idempotency_key
            .as_deref()
            .expect("an Idempotency-Key");
        assert!(key.contains(id), "{key}");
        // Every job of the order ran.
        o.wait_count("SELECT count(*) FROM outbox WHERE status = 'done'", 3, 10)
            .await;
        assert_eq!(
            o.count("SELECT count(*) FROM outbox WHERE status <> 'done'")
                .await,
            0
        );

        // Completing the cart again answers the order and sends nothing more.
        let (status, again) = o.complete(&cart, Some(OK_CARD)).await;
        assert_eq!(status, 200);
        assert_eq!(again["order"]["id"], id);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(resend.emails().len(), 1);
        assert_eq!(
            o.count("SELECT count(*) FROM outbox WHERE topic = 'order.created'")
                .await,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_failing_mail_provider_is_retried_with_backoff_then_sent_once() {
    within(60, async {
        let (o, resend) = spawn_mailing_origin(900).await;
        resend.fail_next(2, 500);
        let (_, order) = paid_order(&o).await;
        let id = order["id"].as_str().unwrap();

        // After the first failure the job waits for its retry, with the error kept.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let first = loop {
            let now = job(&o, "order.created", id).await;
            if now.1 >= 1 || std::time::Instant::now() > deadline {
                break now;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(first.0, "pending", "{first:?}");
        assert_eq!(first.1, 1, "{first:?}");
        assert!(
            first.2.as_deref().is_some_and(|e| e.contains("500")),
            "{first:?}"
        );
        assert!(resend.emails().is_empty());

        let (status, attempts, error, took) = wait_job(&o, "order.created", id, "done", 20).await;
        assert_eq!((status.as_str(), attempts), ("done", 3));
        assert_eq!(error, None, "the error is cleared once it is sent");
        // Backoff: 1 s after the first failure, 2 s after the second.
        assert!(
            took >= 2.9,
            "sent {took} s after the order: retried without backoff"
        );
        assert!(took < 10.0, "sent only after {took} s");
        let emails = resend.emails();
        assert_eq!(emails.len(), 1, "{emails:?}");
        assert!(emails[0]
            .subject
            .contains(&format!("#{}", order["display_id"])));
    })
    .await;
}

#[tokio::test]
async fn a_permanently_refused_email_is_dead_after_one_attempt_and_others_flow() {
    within(60, async {
        let (o, resend) = spawn_mailing_origin(900).await;
        resend.fail_next(1, 422);
        let (_, first) = paid_order(&o).await;
        let first_id = first["id"].as_str().unwrap();
        let (status, attempts, error, _) =
            wait_job(&o, "order.created", first_id, "dead", 10).await;
        assert_eq!((status.as_str(), attempts), ("dead", 1));
        let error = error.expect("last_error is kept");
        assert!(error.contains("422"), "{error}");
        assert!(resend.emails().is_empty());
        // The order's other jobs ran.
        for topic in ["inventory.reserved", "payment.succeeded"] {
            let (status, ..) = wait_job(&o, topic, first_id, "done", 10).await;
            assert_eq!(status, "done", "{topic}");
        }

        // The next order's e-mail goes out; the dead job is not tried again.
        let (_, second) = paid_order(&o).await;
        let second_id = second["id"].as_str().unwrap();
        let (status, attempts, ..) = wait_job(&o, "order.created", second_id, "done", 10).await;
        assert_eq!((status.as_str(), attempts), ("done", 1));
        let emails = resend.emails();
        assert_eq!(emails.len(), 1, "{emails:?}");
        assert!(emails[0]
            .subject
            .contains(&format!("#{}", second["display_id"])));
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (status, attempts, ..) = job(&o, "order.created", first_id).await;
        assert_eq!((status.as_str(), attempts), ("dead", 1));
        assert_eq!(resend.emails().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn an_expired_reservation_fails_the_order_and_releases_the_stock() {
    within(60, async {
        let (o, resend) = spawn_mailing_origin(1).await;
        let cart = o.ready_cart(&[("variant_A1S", 2)]).await;
        let before = o.stock("variant_A1S").await;
        let (status, body) = o.complete(&cart, Some(NEEDS_CONFIRMATION)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["error"]["type"], "payment_requires_more_error");
        let session = body["action"]["session_id"].as_str().unwrap().to_owned();
        let (order_id, status) = o.live_order(&cart).await.expect("a pending order");
        assert_eq!(status, "pending");
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 2));

        // The shopper never confirms: the job runner fails the order after 1 s.
        assert_eq!(o.wait_order_status(&order_id, "failed", 10).await, "failed");
        assert_eq!(o.stock("variant_A1S").await, before, "the stock is back");
        let row =
            o.db.query_one(
                "SELECT failure_reason, reservation_expires_at IS NULL FROM orders WHERE id = $1",
                &[&order_id],
            )
            .await
            .unwrap();
        let reason: Option<String> = row.get(0);
        assert!(
            reason
                .as_deref()
                .is_some_and(|r| r.contains("not completed in time")),
            "{reason:?}"
        );
        assert!(row.get::<_, bool>(1), "a failed order holds nothing");
        assert_eq!(
            o.count(
                "SELECT count(*) FROM order_reservations WHERE state = 'held' AND order_id IN
                 (SELECT id FROM orders WHERE status = 'failed')"
            )
            .await,
            0
        );
        let released =
            o.db.query(
                "SELECT payload->'payload' FROM outbox WHERE topic = 'inventory.released'",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(released.len(), 1);
        let payload: Value = released[0].get(0);
        assert_eq!(payload["order_id"], order_id.as_str());
        assert_eq!(
            o.count("SELECT count(*) FROM payment_sessions WHERE status = 'canceled'")
                .await,
            1
        );
        // The bank's answer after the fact finds nothing to confirm.
        let (status, answer) = o
            .call(
                "POST",
                &format!("/v1/payment-sessions/{session}/authenticate"),
                Some(json!({"store_id": "store_ALPHA", "cart_id": cart.id, "approve": true})),
            )
            .await;
        assert_eq!(status, 409, "{answer}");

        // The cart can be completed again, holding the stock anew.
        let (status, body) = o.complete(&cart, Some(OK_CARD)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["type"], "order", "{body}");
        assert_eq!(body["order"]["status"], "confirmed");
        assert_ne!(body["order"]["id"], order_id.as_str());
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 2));
        assert_eq!(
            o.count("SELECT count(*) FROM orders WHERE status = 'failed'")
                .await,
            1
        );
        // Only the paid order is mailed.
        let id = body["order"]["id"].as_str().unwrap();
        wait_job(&o, "order.created", id, "done", 10).await;
        assert_eq!(resend.emails().len(), 1);
        // The confirmed order outlives its (short) reservation: it is not expired.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(o.order_status(id).await, "confirmed");
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 2));
    })
    .await;
}

#[tokio::test]
async fn a_flood_of_mail_never_delays_an_orders_jobs() {
    within(90, async {
        let (o, resend) = spawn_mailing_origin(900).await;
        let (_, first) = paid_order(&o).await;
        let first_id = first["id"].as_str().unwrap();
        wait_job(&o, "order.created", first_id, "done", 10).await;
        // 400 shipping e-mails of that order, the provider taking 50 ms for each: some
        // 20 s of mail ahead of anything written after them.
        resend.delay_next(400, 50);
        o.db.execute(
            "INSERT INTO outbox (store_id, topic, payload, kind)
             SELECT 'store_ALPHA', 'order.shipped',
                    jsonb_build_object('topic', 'order.shipped', 'timestamp', api_ts(now()),
                        'trace_id', NULL, 'payload', jsonb_build_object('order_id', $1::text)),
                    'mail'
             FROM generate_series(1, 400)",
            &[&first_id],
        )
        .await
        .unwrap();

        // An order placed behind them: its payment and stock jobs run in their own
        // lanes, while the mail is still mostly waiting.
        let (_, second) = paid_order(&o).await;
        let second_id = second["id"].as_str().unwrap();
        for topic in ["payment.succeeded", "inventory.reserved"] {
            let (status, attempts, ..) = wait_job(&o, topic, second_id, "done", 10).await;
            assert_eq!((status.as_str(), attempts), ("done", 1), "{topic}");
        }
        let waiting = o
            .count("SELECT count(*) FROM outbox WHERE kind = 'mail' AND status = 'pending'")
            .await;
        assert!(waiting > 200, "only {waiting} e-mails were still waiting");
        let kinds = o
            .db
            .query(
                "SELECT topic, kind FROM outbox WHERE payload->'payload'->>'order_id' = $1 ORDER BY id",
                &[&second_id],
            )
            .await
            .unwrap();
        for row in kinds {
            let (topic, kind): (String, String) = (row.get(0), row.get(1));
            let want = match topic.as_str() {
                "order.created" | "order.shipped" => "mail",
                t if t.starts_with("payment.") => "order",
                _ => "inventory",
            };
            assert_eq!(kind, want, "{topic}");
        }
    })
    .await;
}

#[tokio::test]
async fn mail_is_tried_three_times_then_dead_lettered() {
    within(60, async {
        let (o, resend) = spawn_mailing_origin(900).await;
        resend.fail_next(5, 503);
        let (_, order) = paid_order(&o).await;
        let id = order["id"].as_str().unwrap();
        let (status, attempts, error, _) = wait_job(&o, "order.created", id, "dead", 20).await;
        assert_eq!((status.as_str(), attempts), ("dead", 3));
        assert!(error.is_some_and(|e| e.contains("503")));
        assert!(resend.emails().is_empty());
    })
    .await;
}
