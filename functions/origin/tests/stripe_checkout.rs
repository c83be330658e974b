//! Checkouts through Stripe (the provider fake on 127.0.0.1) with the origin's own
//! webhook endpoint reached through a relay, as the edge would pass it on: a visa
//! payment captured once with idempotency keys, a decline, 3-D Secure confirmed by the
//! webhook alone, the webhook storm racing the shopper's own confirmation, forged or
//! stale webhooks, and the provider failing before, during and after an
//! authorization.

mod common;

use std::future::Future;
use std::time::Duration;

use commerce::cart::Cart;
use common::{
    intent_events, spawn_stripe_origin, spawn_stripe_origin_with, wait_deliveries,
    wait_intent_events_delivered, Fault, FlakyStripe, Origin, StripeOrigin, STRIPE_KEY,
    WEBHOOK_SECRET,
};
use origin::config::PaymentConfig;
use origin::payment::stripe::sign_webhook;
use serde_json::{json, Value};

const VISA: &str = "pm_card_visa";
const DECLINED: &str = "pm_card_chargeDeclined";
const THREE_DS: &str = "pm_card_authenticationRequired";

/// Runs a test body, failing it if it takes longer than `secs`.
async fn within<T>(secs: u64, body: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), body)
        .await
        .unwrap_or_else(|_| panic!("the test did not finish within {secs} s"))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The PaymentIntent of the session that pays order `order_id`.
async fn intent_of(o: &Origin, order_id: &str) -> String {
    o.db.query_one(
        "SELECT reference FROM payment_sessions WHERE order_id = $1 AND reference IS NOT NULL
         ORDER BY created_at DESC LIMIT 1",
        &[&order_id],
    )
    .await
    .unwrap()
    .get(0)
}

async fn count_for(o: &Origin, sql: &str, id: &str) -> i64 {
    o.db.query_one(sql, &[&id]).await.unwrap().get(0)
}

async fn ledger(o: &Origin, order_id: &str) -> Vec<(String, i64, String)> {
    o.db.query(
        "SELECT kind, amount, reference FROM order_transactions WHERE order_id = $1
         ORDER BY created_at, id",
        &[&order_id],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

async fn outbox_topics(o: &Origin, topic: &str) -> i64 {
    count_for(o, "SELECT count(*) FROM outbox WHERE topic = $1", topic).await
}

/// Everything a webhook could change, to compare before and after one that must change
/// nothing (the webhook_events table aside, which records every new event id).
#[derive(Debug, PartialEq)]
struct Snapshot {
    orders: Vec<(String, String, Option<String>)>,
    sessions: Vec<(String, String, Option<String>)>,
    ledger: Vec<(String, String, i64)>,
    outbox: Vec<String>,
    reservations: Vec<(String, i32)>,
    stock: (i64, i64),
    intents: Vec<(String, String, u32, i64)>,
}

impl Snapshot {
    async fn take(o: &StripeOrigin) -> Snapshot {
        let rows = |sql: &'static str| async move { o.db.query(sql, &[]).await.unwrap() };
        Snapshot {
            orders: rows("SELECT id, status, failure_reason FROM orders ORDER BY id")
                .await
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect(),
            sessions: rows("SELECT id, status, order_id FROM payment_sessions ORDER BY id")
                .await
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect(),
            ledger: rows("SELECT order_id, kind, amount FROM order_transactions ORDER BY id")
                .await
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect(),
            outbox: rows("SELECT topic FROM outbox ORDER BY id")
                .await
                .iter()
                .map(|r| r.get(0))
                .collect(),
            reservations: rows(
                "SELECT state, quantity FROM order_reservations ORDER BY order_id, item_id",
            )
            .await
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect(),
            stock: o.stock("variant_A1S").await,
            intents: o
                .stripe
                .intents()
                .into_iter()
                .map(|i| (i.id, i.status, i.capture_count, i.amount_received))
                .collect(),
        }
    }
}

/// The shopper answers the fake bank's 3-D Secure page.
async fn answer_3ds(redirect_url: &str, outcome: &str) {
    let res = reqwest::Client::new()
        .post(format!("{redirect_url}?outcome={outcome}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// Completes `cart` with the 3-D Secure card: the answer asks for the bank's step.
/// Returns (order id, PaymentIntent id, redirect URL).
async fn complete_needing_3ds(o: &StripeOrigin, cart: &Cart) -> (String, String, String) {
    let (status, body) = o.complete_stripe(cart, Some(THREE_DS)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "cart", "{body}");
    assert_eq!(
        body["error"]["type"], "payment_requires_more_error",
        "{body}"
    );
    let redirect = body["action"]["redirect_url"].as_str().unwrap().to_owned();
    let (order_id, status) = o.live_order(cart).await.expect("a pending order");
    assert_eq!(status, "pending");
    let pi = intent_of(o, &order_id).await;
    assert_eq!(
        redirect,
        format!("{}/_fake/3ds/{pi}", o.stripe.base_url()),
        "the shopper is sent to the bank's page of the PaymentIntent"
    );
    assert_eq!(o.stripe.intent(&pi).unwrap().status, "requires_action");
    (order_id, pi, redirect)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visa_payment_is_authorized_captured_once_and_confirmed() {
    within(60, async {
        let o = spawn_stripe_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 2)]).await;
        let before = o.stock("variant_A1S").await;
        let (status, body) = o.complete_stripe(&cart, Some(VISA)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["type"], "order", "{body}");
        let order = &body["order"];
        assert_eq!(order["status"], "confirmed");
        let order_id = order["id"].as_str().unwrap().to_owned();
        let total = order["total"].as_i64().unwrap();
        assert!(total > 0);
        let kinds: Vec<&str> = order["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["authorization", "capture"]);
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 2));

        // The webhooks that follow (created, authorized, captured) are applied without
        // effect: they all answer 200 and nothing is captured twice.
        let pi = intent_of(&o, &order_id).await;
        let events = wait_intent_events_delivered(&o.stripe, &pi, 10).await;
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "payment_intent.created",
                "payment_intent.amount_capturable_updated",
                "payment_intent.succeeded"
            ]
        );
        assert!(events.iter().all(|e| e.deliveries == [200]), "{events:?}");
        let intent = o.stripe.intent(&pi).unwrap();
        assert_eq!(intent.capture_method, "manual");
        assert_eq!(intent.status, "succeeded");
        assert_eq!(intent.amount, total);
        assert_eq!(intent.amount_received, total);
        assert_eq!(intent.confirm_count, 1);
        assert_eq!(intent.capture_count, 1);
        assert_eq!(
            ledger(&o, &order_id).await,
            [
                ("authorization".to_owned(), total, pi.clone()),
                ("capture".to_owned(), total, pi.clone())
            ]
        );
        assert_eq!(o.order_status(&order_id).await, "confirmed");

        // Every call that moves money carried an Idempotency-Key; the capture's, sent
        // again, is answered from Stripe's record and captures nothing more.
        let requests = o.stripe.requests();
        let posts: Vec<_> = requests.iter().filter(|r| r.method == "POST").collect();
        assert!(
            posts.iter().all(|r| r.idempotency_key.is_some()),
            "{posts:?}"
        );
        let captures: Vec<_> = posts
            .iter()
            .filter(|r| r.path == format!("/v1/payment_intents/{pi}/capture"))
            .collect();
        assert_eq!(captures.len(), 1, "{requests:?}");
        let key = captures[0].idempotency_key.clone().unwrap();
        let replay = reqwest::Client::new()
            .post(format!(
                "{}/v1/payment_intents/{pi}/capture",
                o.stripe.base_url()
            ))
            .bearer_auth(STRIPE_KEY)
            .header("Idempotency-Key", &key)
            .form(&[("amount_to_capture", total.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status(), 200);
        assert!(replay.headers().contains_key("idempotent-replayed"));
        assert_eq!(o.stripe.intent(&pi).unwrap().capture_count, 1);

        // Completing again answers the same order; nothing is charged again.
        let (status, again) = o.complete_stripe(&cart, Some(VISA)).await;
        assert_eq!(status, 200);
        assert_eq!(again["order"]["id"], order_id.as_str());
        assert_eq!(o.stripe.intents().len(), 1);
        assert_eq!(o.stripe.intent(&pi).unwrap().capture_count, 1);
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 2));
        assert_eq!(outbox_topics(&o, "payment.succeeded").await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_fails_the_order_releases_stock_and_leaves_the_cart_payable() {
    within(60, async {
        let o = spawn_stripe_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
        let before = o.stock("variant_A1S").await;
        let (status, body) = o.complete_stripe(&cart, Some(DECLINED)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["type"], "cart", "{body}");
        assert_eq!(body["error"]["type"], "payment_authorization_error");
        assert_eq!(body["error"]["message"], "Your card was declined.");
        assert_eq!(
            o.stock("variant_A1S").await,
            before,
            "the held unit went back"
        );
        assert_eq!(o.live_order(&cart).await, None);
        let failed =
            o.db.query_one(
                "SELECT id, failure_reason FROM orders WHERE cart_id = $1 AND status = 'failed'",
                &[&cart.id.as_str()],
            )
            .await
            .unwrap();
        let (order_id, reason): (String, Option<String>) = (failed.get(0), failed.get(1));
        assert_eq!(reason.as_deref(), Some("Your card was declined."));
        let pi = intent_of(&o, &order_id).await;
        // The payment_failed webhook arrives too and changes nothing more.
        let events = wait_intent_events_delivered(&o.stripe, &pi, 10).await;
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            ["payment_intent.created", "payment_intent.payment_failed"]
        );
        assert!(events.iter().all(|e| e.deliveries == [200]), "{events:?}");
        assert_eq!(o.stripe.intent(&pi).unwrap().capture_count, 0);
        assert!(ledger(&o, &order_id).await.is_empty());
        assert_eq!(outbox_topics(&o, "payment.failed").await, 1);
        assert_eq!(outbox_topics(&o, "inventory.released").await, 1);
        assert_eq!(outbox_topics(&o, "order.created").await, 0);
        assert_eq!(o.stock("variant_A1S").await, before);

        // Another card pays for the same cart.
        let (status, body) = o.complete_stripe(&cart, Some(VISA)).await;
        assert_eq!(status, 200);
        assert_eq!(body["type"], "order", "{body}");
        assert_eq!(body["order"]["status"], "confirmed");
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_d_secure_is_confirmed_by_the_webhook_alone() {
    within(60, async {
        let o = spawn_stripe_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
        let before = o.stock("variant_A1S").await;
        let (order_id, pi, redirect) = complete_needing_3ds(&o, &cart).await;
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));
        wait_intent_events_delivered(&o.stripe, &pi, 10).await;

        // The shopper approves at the bank and never comes back to the shop: Stripe's
        // event is what confirms the order.
        answer_3ds(&redirect, "approve").await;
        let authorized = intent_events(&o.stripe, &pi)
            .into_iter()
            .find(|e| e.event_type == "payment_intent.amount_capturable_updated")
            .expect("the fake emits amount_capturable_updated");
        let answers = o.relay.wait_answers(&authorized.id, 1, 10).await;
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].status, 200, "{:?}", answers[0]);
        assert_eq!(answers[0].body["applied"], true, "{:?}", answers[0]);
        assert_eq!(
            o.wait_order_status(&order_id, "confirmed", 10).await,
            "confirmed"
        );
        let events = wait_intent_events_delivered(&o.stripe, &pi, 10).await;
        assert!(events.iter().all(|e| e.deliveries == [200]), "{events:?}");
        let intent = o.stripe.intent(&pi).unwrap();
        assert_eq!(intent.status, "succeeded");
        assert_eq!(intent.capture_count, 1);
        let kinds: Vec<String> = ledger(&o, &order_id)
            .await
            .into_iter()
            .map(|l| l.0)
            .collect();
        assert_eq!(kinds, ["authorization", "capture"]);
        assert_eq!(outbox_topics(&o, "payment.succeeded").await, 1);
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));

        // When the shopper does come back, completion answers the confirmed order.
        let (status, body) = o.complete_stripe(&cart, None).await;
        assert_eq!(status, 200);
        assert_eq!(body["type"], "order", "{body}");
        assert_eq!(body["order"]["id"], order_id.as_str());
        assert_eq!(o.stripe.intent(&pi).unwrap().capture_count, 1);
    })
    .await;
}

/// THE WEBHOOK STORM: the authorization event of a pending order delivered 11 times at
/// once (Stripe's own delivery plus 10 redeliveries, all held at the relay and then
/// let go together, and made to overlap in the database by holding the order's row
/// until all are inside) while the shopper's browser completes the cart again: one capture,
/// one confirmed order, one ledger capture, one payment.succeeded, every delivery 2xx.
/// Afterwards a duplicate is acknowledged as one and changes nothing, and failure
/// events arriving out of order for the captured payment change nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_webhook_storm_and_the_shoppers_confirmation_capture_once() {
    within(90, async {
        let o = spawn_stripe_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
        let before = o.stock("variant_A1S").await;
        let (order_id, pi, redirect) = complete_needing_3ds(&o, &cart).await;
        let early = wait_intent_events_delivered(&o.stripe, &pi, 10).await;
        assert!(early.iter().all(|e| e.deliveries == [200]), "{early:?}");

        // The shopper approves; the webhook endpoint is slow, so Stripe's delivery of
        // the event waits, and 10 redeliveries of it pile up behind it.
        o.relay.hold();
        answer_3ds(&redirect, "approve").await;
        let event = intent_events(&o.stripe, &pi)
            .into_iter()
            .find(|e| e.event_type == "payment_intent.amount_capturable_updated")
            .expect("the fake emits amount_capturable_updated");
        assert_eq!(o.relay.wait_waiting(1, 10).await, 1);
        assert_eq!(o.order_status(&order_id).await, "pending");

        // To make every contender overlap, the order's row is held busy (as an
        // operator's action or the job runner would) while they are let go: all 11
        // deliveries and the completion are then inside the origin at once, waiting on
        // a lock, before any of them can settle.
        let busy = common::connect(&o.database_url).await;
        busy.batch_execute("BEGIN").await.unwrap();
        busy.execute(
            "SELECT 1 FROM orders WHERE id = $1 FOR UPDATE",
            &[&order_id],
        )
        .await
        .unwrap();
        let storm = o.stripe.redeliver(&event.id, 10);
        let shopper = async {
            assert_eq!(o.relay.wait_waiting(11, 10).await, 11);
            let (completion, waiting) = tokio::join!(o.complete_stripe(&cart, None), async {
                o.relay.release();
                // 1 delivery waits for the order, 10 for that delivery's event id, the
                // completion for the payment session (or the order).
                let waiting = o
                    .wait_count(
                        "SELECT count(*) FROM pg_stat_activity
                         WHERE datname = current_database() AND wait_event_type = 'Lock'",
                        12,
                        10,
                    )
                    .await;
                busy.batch_execute("COMMIT").await.unwrap();
                waiting
            });
            assert_eq!(
                waiting, 12,
                "not all contenders reached the database at once"
            );
            completion
        };
        let (statuses, (status, body)) = tokio::join!(storm, shopper);
        let statuses = statuses.expect("redeliver");
        assert_eq!(statuses.len(), 10);
        assert!(
            statuses.iter().all(|s| (200..300).contains(s)),
            "{statuses:?}"
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["type"], "order", "{body}");
        assert_eq!(body["order"]["id"], order_id.as_str());
        assert_eq!(body["order"]["status"], "confirmed");

        // All 11 deliveries answered; exactly one was applied, the others recognised
        // as duplicates. The capture's own event followed and was answered too.
        let deliveries = wait_deliveries(&o.stripe, &event.id, 11, 10).await;
        assert_eq!(deliveries, [200; 11]);
        let answers = o.relay.wait_answers(&event.id, 11, 10).await;
        assert_eq!(answers.len(), 11);
        assert!(answers.iter().all(|a| a.status == 200), "{answers:?}");
        let duplicates = answers
            .iter()
            .filter(|a| a.body["duplicate"] == true)
            .count();
        let applied = answers.iter().filter(|a| a.body["applied"] == true).count();
        assert_eq!((applied, duplicates), (1, 10), "{answers:?}");
        let events = wait_intent_events_delivered(&o.stripe, &pi, 10).await;
        assert!(
            events
                .iter()
                .all(|e| e.deliveries.iter().all(|s| *s == 200)),
            "{events:?}"
        );

        let intent = o.stripe.intent(&pi).unwrap();
        assert_eq!(intent.capture_count, 1);
        assert_eq!(intent.status, "succeeded");
        assert_eq!(
            count_for(
                &o,
                "SELECT count(*) FROM orders WHERE cart_id = $1",
                cart.id.as_str()
            )
            .await,
            1
        );
        assert_eq!(o.order_status(&order_id).await, "confirmed");
        let kinds: Vec<String> = ledger(&o, &order_id)
            .await
            .into_iter()
            .map(|l| l.0)
            .collect();
        assert_eq!(kinds, ["authorization", "capture"]);
        assert_eq!(outbox_topics(&o, "payment.succeeded").await, 1);
        assert_eq!(outbox_topics(&o, "order.created").await, 1);
        assert_eq!(
            count_for(
                &o,
                "SELECT count(*) FROM webhook_events WHERE event_id = $1",
                &event.id
            )
            .await,
            1
        );
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));

        // A duplicate after the fact: acknowledged as a duplicate, nothing changes.
        let snapshot = Snapshot::take(&o).await;
        assert_eq!(o.stripe.redeliver(&event.id, 1).await.unwrap(), [200]);
        let late = o.relay.wait_answers(&event.id, 12, 10).await;
        assert_eq!(late.len(), 12);
        assert_eq!(late[11].status, 200);
        assert_eq!(late[11].body["duplicate"], true, "{:?}", late[11]);
        assert_eq!(Snapshot::take(&o).await, snapshot);

        // A failure and a cancellation of the same PaymentIntent arriving late and
        // out of order (signed by Stripe, so applied): the captured payment and its
        // confirmed order stay as they are.
        for (event_type, object) in [
            (
                "payment_intent.payment_failed",
                json!({"status": "requires_payment_method",
                       "last_payment_error": {"type": "card_error",
                                              "message": "Your card was declined."}}),
            ),
            (
                "payment_intent.canceled",
                json!({"status": "canceled", "cancellation_reason": "abandoned"}),
            ),
        ] {
            let mut payload = event.payload.clone();
            payload["id"] = json!(format!("evt_late_{}", event_type.replace('.', "_")));
            payload["type"] = json!(event_type);
            for (k, v) in object.as_object().unwrap() {
                payload["data"]["object"][k] = v.clone();
            }
            let bytes = serde_json::to_vec(&payload).unwrap();
            let signature = sign_webhook(&bytes, WEBHOOK_SECRET, now());
            let (status, body) = o.stripe_webhook(&bytes, Some(&signature)).await;
            assert_eq!(status, 200, "{event_type}: {body}");
            assert_eq!(body["duplicate"], Value::Null, "{body}");
            assert_eq!(Snapshot::take(&o).await, snapshot, "{event_type}");
        }
        assert_eq!(outbox_topics(&o, "payment.failed").await, 0);
        assert_eq!(outbox_topics(&o, "inventory.released").await, 0);
        let (status, read) = o
            .call(
                "GET",
                &format!("/v1/orders/{order_id}?store_id=store_ALPHA"),
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(read["order"]["status"], "confirmed");
        assert_eq!(read["order"]["failure_reason"], Value::Null);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_tampered_stale_or_unsigned_webhooks_are_400_and_change_nothing() {
    within(60, async {
        let o = spawn_stripe_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
        let (order_id, pi, _) = complete_needing_3ds(&o, &cart).await;
        wait_intent_events_delivered(&o.stripe, &pi, 10).await;

        // The bank approves while the webhook is not delivered: its event, applied,
        // would capture and confirm; it is sent by hand below.
        o.stripe.set_webhook(None);
        o.stripe.complete_3ds(&pi, true).unwrap();
        let event = intent_events(&o.stripe, &pi)
            .into_iter()
            .find(|e| e.event_type == "payment_intent.amount_capturable_updated")
            .unwrap();
        let body = serde_json::to_vec(&event.payload).unwrap();
        let mut tampered = event.payload.clone();
        tampered["data"]["object"]["amount"] = json!(1);
        let tampered = serde_json::to_vec(&tampered).unwrap();
        let snapshot = Snapshot::take(&o).await;
        let seen = o.count("SELECT count(*) FROM webhook_events").await;
        let t = now();
        let cases: Vec<(&str, &[u8], Option<String>)> = vec![
            (
                "signed with another secret",
                &body,
                Some(sign_webhook(&body, "whsec_someone_else", t)),
            ),
            (
                "body changed after signing",
                &tampered,
                Some(sign_webhook(&body, WEBHOOK_SECRET, t)),
            ),
            (
                "timestamp 10 minutes old",
                &body,
                Some(sign_webhook(&body, WEBHOOK_SECRET, t - 600)),
            ),
            (
                "timestamp 10 minutes ahead",
                &body,
                Some(sign_webhook(&body, WEBHOOK_SECRET, t + 600)),
            ),
            ("no Stripe-Signature", &body, None),
            ("malformed header", &body, Some("v1=abc".into())),
        ];
        for (case, bytes, signature) in cases {
            let (status, answer) = o.stripe_webhook(bytes, signature.as_deref()).await;
            assert_eq!(status, 400, "{case}: {answer}");
            assert_eq!(answer["type"], "invalid_data", "{case}: {answer}");
            assert!(
                answer["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("stripe-signature"),
                "{case}: {answer}"
            );
        }
        // Stripe's valid signature alone is not enough: the edge's is required too.
        let res = o
            .http
            .post(format!("{}/v1/webhooks/stripe", o.base))
            .header("stripe-signature", sign_webhook(&body, WEBHOOK_SECRET, t))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);

        assert_eq!(
            o.count("SELECT count(*) FROM webhook_events").await,
            seen,
            "no refused event is recorded"
        );
        assert_eq!(Snapshot::take(&o).await, snapshot);
        assert_eq!(o.order_status(&order_id).await, "pending");
        assert_eq!(o.stripe.intent(&pi).unwrap().capture_count, 0);

        // The genuine delivery is applied.
        let signature = sign_webhook(&body, WEBHOOK_SECRET, now());
        let (status, answer) = o.stripe_webhook(&body, Some(&signature)).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["applied"], true, "{answer}");
        assert_eq!(o.order_status(&order_id).await, "confirmed");
        assert_eq!(o.stripe.intent(&pi).unwrap().capture_count, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_down_keeps_the_order_pending_and_a_retry_completes_it() {
    within(60, async {
        let o = spawn_stripe_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 2)]).await;
        let before = o.stock("variant_A1S").await;
        let pi = o.stripe_session(&cart, VISA).await;
        wait_intent_events_delivered(&o.stripe, &pi, 10).await;

        // Stripe answers 500 to the next two calls: two completions fail with 503.
        o.stripe.fail_next(2, 500);
        let mut pending = None;
        for attempt in 1..=2 {
            let (status, body) = o.complete_stripe(&cart, None).await;
            assert_eq!(status, 503, "attempt {attempt}: {body}");
            assert_eq!(body["code"], "upstream_unavailable", "{body}");
            assert_eq!(body["type"], "unavailable", "{body}");
            let (id, status) = o.live_order(&cart).await.expect("the order is kept");
            assert_eq!(status, "pending");
            assert_eq!(pending.get_or_insert(id.clone()), &id, "the same order");
            assert_eq!(
                o.stock("variant_A1S").await,
                (before.0, before.1 + 2),
                "the stock stays held, once"
            );
        }
        let order_id = pending.unwrap();
        assert_eq!(
            o.stripe
                .requests()
                .iter()
                .filter(|r| r.status == 500)
                .count(),
            2
        );
        let intent = o.stripe.intent(&pi).unwrap();
        assert_eq!(
            (intent.status.as_str(), intent.confirm_count),
            ("requires_confirmation", 0)
        );
        assert!(ledger(&o, &order_id).await.is_empty());

        // Stripe is back: the same order completes.
        let (status, body) = o.complete_stripe(&cart, None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["type"], "order", "{body}");
        assert_eq!(body["order"]["id"], order_id.as_str());
        assert_eq!(body["order"]["status"], "confirmed");
        assert_eq!(
            count_for(
                &o,
                "SELECT count(*) FROM orders WHERE cart_id = $1",
                cart.id.as_str()
            )
            .await,
            1
        );
        assert_eq!(o.stripe.intents().len(), 1);
        assert_eq!(o.stripe.intent(&pi).unwrap().capture_count, 1);
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 2));
        wait_intent_events_delivered(&o.stripe, &pi, 10).await;
        assert_eq!(o.stripe.intent(&pi).unwrap().capture_count, 1);
        assert_eq!(outbox_topics(&o, "payment.succeeded").await, 1);
    })
    .await;
}

// ------------------------------------------------ failures at one Stripe endpoint

/// An origin whose calls to Stripe go through a [`FlakyStripe`].
async fn spawn_flaky_origin() -> (StripeOrigin, FlakyStripe) {
    let flaky = FlakyStripe::spawn().await;
    let o = spawn_stripe_origin_with(|cfg| {
        if let PaymentConfig::Stripe { base_url, .. } = &mut cfg.payment {
            flaky.set_upstream(base_url);
            *base_url = flaky.url.clone();
        }
    })
    .await;
    (o, flaky)
}

/// Stripe refuses the confirmation (500): nothing happened at Stripe, the order waits
/// with its stock; the retry confirms with the same idempotency key and completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_confirmation_keeps_the_order_pending_and_the_retry_completes_it() {
    within(60, async {
        let (o, flaky) = spawn_flaky_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
        let before = o.stock("variant_A1S").await;
        let pi = o.stripe_session(&cart, VISA).await;
        flaky.fail("/confirm", Fault::Refuse, 1);
        let (status, body) = o.complete_stripe(&cart, None).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["code"], "upstream_unavailable");
        assert_eq!(
            flaky.faulted(),
            [format!("Refuse /v1/payment_intents/{pi}/confirm")]
        );
        let (order_id, status) = o.live_order(&cart).await.unwrap();
        assert_eq!(status, "pending");
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));
        assert_eq!(o.stripe.intent(&pi).unwrap().confirm_count, 0);

        let (status, body) = o.complete_stripe(&cart, None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["order"]["id"], order_id.as_str());
        assert_eq!(body["order"]["status"], "confirmed");
        let intent = o.stripe.intent(&pi).unwrap();
        assert_eq!((intent.confirm_count, intent.capture_count), (1, 1));
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));
    })
    .await;
}

/// Stripe confirms (the money is held) but its answer is lost: the completion answers
/// 503 and the order waits; Stripe's authorization event then confirms the order, and
/// the shopper's retry answers it. One confirmation, one capture.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_confirmation_answer_is_settled_by_the_webhook_once() {
    within(60, async {
        let (o, flaky) = spawn_flaky_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
        let before = o.stock("variant_A1S").await;
        let pi = o.stripe_session(&cart, VISA).await;
        wait_intent_events_delivered(&o.stripe, &pi, 10).await;
        o.relay.hold();
        flaky.fail("/confirm", Fault::LoseAnswer, 1);
        let (status, body) = o.complete_stripe(&cart, None).await;
        assert_eq!(status, 503, "{body}");
        let (order_id, status) = o.live_order(&cart).await.unwrap();
        assert_eq!(status, "pending");
        let intent = o.stripe.intent(&pi).unwrap();
        assert_eq!(
            (intent.status.as_str(), intent.confirm_count),
            ("requires_capture", 1),
            "Stripe did authorize"
        );

        o.relay.release();
        assert_eq!(
            o.wait_order_status(&order_id, "confirmed", 10).await,
            "confirmed"
        );
        let events = wait_intent_events_delivered(&o.stripe, &pi, 10).await;
        assert!(events.iter().all(|e| e.deliveries == [200]), "{events:?}");
        let (status, body) = o.complete_stripe(&cart, None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["order"]["id"], order_id.as_str());
        let intent = o.stripe.intent(&pi).unwrap();
        assert_eq!((intent.confirm_count, intent.capture_count), (1, 1));
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));
        let kinds: Vec<String> = ledger(&o, &order_id)
            .await
            .into_iter()
            .map(|l| l.0)
            .collect();
        assert_eq!(kinds, ["authorization", "capture"]);
    })
    .await;
}

/// The capture fails (500) after the authorization: nothing is recorded (the ledger's
/// authorization row is rolled back with it), the order waits; the authorization
/// webhook that fails the same way is answered 503 and not marked as seen, so its
/// redelivery is applied and captures once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_capture_is_retried_by_the_webhooks_redelivery() {
    within(60, async {
        let (o, flaky) = spawn_flaky_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
        let before = o.stock("variant_A1S").await;
        let pi = o.stripe_session(&cart, VISA).await;
        wait_intent_events_delivered(&o.stripe, &pi, 10).await;
        o.relay.hold();
        flaky.fail("/capture", Fault::Refuse, 2);
        let (status, body) = o.complete_stripe(&cart, None).await;
        assert_eq!(status, 503, "{body}");
        let (order_id, status) = o.live_order(&cart).await.unwrap();
        assert_eq!(status, "pending");
        assert!(ledger(&o, &order_id).await.is_empty());
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));

        // Stripe's authorization event meets the second failed capture.
        let event = intent_events(&o.stripe, &pi)
            .into_iter()
            .find(|e| e.event_type == "payment_intent.amount_capturable_updated")
            .unwrap();
        o.relay.release();
        assert_eq!(wait_deliveries(&o.stripe, &event.id, 1, 10).await, [503]);
        assert_eq!(flaky.faulted().len(), 2);
        assert_eq!(o.order_status(&order_id).await, "pending");
        assert_eq!(
            count_for(
                &o,
                "SELECT count(*) FROM webhook_events WHERE event_id = $1",
                &event.id
            )
            .await,
            0,
            "a webhook that was not applied is not recorded as seen"
        );

        // Stripe retries the delivery: applied now.
        assert_eq!(o.stripe.redeliver(&event.id, 1).await.unwrap(), [200]);
        assert_eq!(o.order_status(&order_id).await, "confirmed");
        let intent = o.stripe.intent(&pi).unwrap();
        assert_eq!(intent.capture_count, 1);
        let kinds: Vec<String> = ledger(&o, &order_id)
            .await
            .into_iter()
            .map(|l| l.0)
            .collect();
        assert_eq!(kinds, ["authorization", "capture"]);
        let (status, body) = o.complete_stripe(&cart, None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["order"]["id"], order_id.as_str());
        assert_eq!(o.stripe.intent(&pi).unwrap().capture_count, 1);
    })
    .await;
}

/// The bank fails the 3-D Secure step: Stripe's payment_failed event fails the order
/// and releases its stock; the shopper pays again with another card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_3d_secure_step_fails_the_order_through_the_webhook() {
    within(60, async {
        let o = spawn_stripe_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
        let before = o.stock("variant_A1S").await;
        let (order_id, pi, redirect) = complete_needing_3ds(&o, &cart).await;
        answer_3ds(&redirect, "fail").await;
        assert_eq!(o.wait_order_status(&order_id, "failed", 10).await, "failed");
        assert_eq!(o.stock("variant_A1S").await, before);
        let events = wait_intent_events_delivered(&o.stripe, &pi, 10).await;
        assert!(events.iter().all(|e| e.deliveries == [200]), "{events:?}");
        assert_eq!(outbox_topics(&o, "payment.failed").await, 1);

        let (status, body) = o.complete_stripe(&cart, Some(VISA)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["order"]["status"], "confirmed", "{body}");
        assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));
        assert_eq!(o.stripe.intent(&pi).unwrap().capture_count, 0);
    })
    .await;
}

/// The shopper leaves the bank's 3-D Secure page open, pays with another card instead
/// (a new session and PaymentIntent for the same order), then approves on the old page
/// after all. The first PaymentIntent's hold must not be left on the shopper's card:
/// it is released (cancelled at Stripe), when the session is replaced or when its late
/// authorization arrives. One capture in all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_payment_authorized_late_does_not_keep_the_shoppers_money_held() {
    within(60, async {
        let o = spawn_stripe_origin().await;
        let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
        let (order_id, first_pi, redirect) = complete_needing_3ds(&o, &cart).await;

        let (status, body) = o.complete_stripe(&cart, Some(VISA)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["type"], "order", "{body}");
        assert_eq!(body["order"]["id"], order_id.as_str());
        assert_eq!(body["order"]["status"], "confirmed");
        let second_pi = intent_of(&o, &order_id).await;
        assert_ne!(second_pi, first_pi);

        // Approving the first payment after all (the page may refuse if it was
        // cancelled meanwhile, which is the other acceptable outcome).
        let _ = reqwest::Client::new()
            .post(format!("{redirect}?outcome=approve"))
            .send()
            .await
            .unwrap();
        wait_intent_events_delivered(&o.stripe, &first_pi, 10).await;
        let answers: Vec<_> = o
            .relay
            .answers()
            .into_iter()
            .filter(|a| a.event_type == "payment_intent.amount_capturable_updated")
            .collect();
        assert!(answers.iter().all(|a| a.status == 200), "{answers:?}");

        let first = o.stripe.intent(&first_pi).unwrap();
        let second = o.stripe.intent(&second_pi).unwrap();
        assert_eq!((first.capture_count, second.capture_count), (0, 1));
        assert_eq!(o.order_status(&order_id).await, "confirmed");
        assert_eq!(
            (first.status.as_str(), first.amount_capturable),
            ("canceled", 0),
            "the replaced PaymentIntent {first_pi} still holds the shopper's money: {first:?}; \
             its session is now {:?}",
            o.db.query_one(
                "SELECT status FROM payment_sessions WHERE reference = $1",
                &[&first_pi]
            )
            .await
            .unwrap()
            .get::<_, String>(0)
        );
    })
    .await;
}
