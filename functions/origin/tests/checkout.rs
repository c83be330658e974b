//! The origin over HTTP with the local test-card provider: signed requests only,
//! completion (idempotent, one order per cart), declines and confirmation steps with
//! the cart left intact, the outbox's e-mail and events, order actions, and the race
//! of many buyers for a few units.

mod common;

use std::sync::Arc;

use common::{signed, spawn_origin, ENVIRONMENT, TRACE};
use serde_json::{json, Value};

const OK_CARD: &str = "4242 4242 4242 4242";
const DECLINED: &str = "4000000000000002";
const NEEDS_CONFIRMATION: &str = "4000002500003155";

#[tokio::test]
async fn unsigned_tampered_stale_and_replayed_requests_are_refused() {
    let o = spawn_origin().await;
    let path = "/v1/payment-providers";
    let res = o
        .http
        .get(format!("{}{path}", o.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "bad_signature");

    // Signed for another path.
    let res = signed(&o.http, &o.key, &o.base, "GET", "/v1/orders/x", b"")
        .build()
        .unwrap();
    let mut tampered = res.try_clone().unwrap();
    *tampered.url_mut() = format!("{}{path}", o.base).parse().unwrap();
    assert_eq!(o.http.execute(tampered).await.unwrap().status(), 401);

    // A valid request once; the very same request again is a replay.
    let first = signed(&o.http, &o.key, &o.base, "GET", path, b"")
        .build()
        .unwrap();
    let replay = first.try_clone().unwrap();
    assert_eq!(o.http.execute(first).await.unwrap().status(), 200);
    let res = o.http.execute(replay).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("replayed"));

    // A timestamp outside the window.
    let ts = "1000000000";
    let sig = o.key.sign(
        ENVIRONMENT,
        "GET",
        path,
        1_000_000_000,
        "OLDNONCE0123456789AB",
        b"",
    );
    let res = o
        .http
        .get(format!("{}{path}", o.base))
        .header("x-edge-timestamp", ts)
        .header("x-edge-nonce", "OLDNONCE0123456789AB")
        .header("x-edge-signature", sig)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Health needs no signature.
    assert_eq!(
        o.http
            .get(format!("{}/health", o.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn a_paid_order_is_confirmed_with_its_ledger_stock_email_and_events() {
    let o = spawn_origin().await;
    let cart = o.ready_cart(&[("variant_A1S", 2)]).await;
    let before = o.stock("variant_A1S").await;
    let (status, body) = o.complete(&cart, Some(OK_CARD)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "order", "{body}");
    let order = &body["order"];
    assert_eq!(order["status"], "confirmed");
    assert_eq!(order["email"], "buyer@example.com");
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
    // The job runner sends the confirmation (local mailbox) and stores the events.
    let mails = o
        .wait_count(
            "SELECT count(*) FROM local_mailbox WHERE to_address = 'buyer@example.com'",
            1,
            10,
        )
        .await;
    assert_eq!(mails, 1);
    let subject: String =
        o.db.query_one("SELECT subject FROM local_mailbox", &[])
            .await
            .unwrap()
            .get(0);
    assert!(
        subject.contains(&format!("#{}", order["display_id"])),
        "{subject}"
    );
    o.wait_count("SELECT count(*) FROM outbox WHERE status = 'done'", 3, 10)
        .await;
    let events: Vec<(String, Option<String>)> =
        o.db.query(
            "SELECT name, trace_id FROM analytics_events ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let names: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    for topic in [
        "payment.created",
        "inventory.reserved",
        "order.created",
        "payment.succeeded",
    ] {
        assert!(names.contains(&topic), "{names:?}");
    }
    // The payment session's event, written by SQL, is the documented payload.
    let created: serde_json::Value =
        o.db.query_one(
            "SELECT payload -> 'payload' FROM outbox WHERE topic = 'payment.created' LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let shape: Result<commerce::events::PaymentCreated, _> =
        serde_json::from_value(created.clone());
    assert!(shape.is_ok(), "{created}: {shape:?}");
    let trace_id = TRACE.split('-').nth(1).unwrap();
    assert!(
        events.iter().all(|e| e.1.as_deref() == Some(trace_id)),
        "{events:?}"
    );

    // Completing again answers the same order; nothing more is held or charged.
    let (status, again) = o.complete(&cart, Some(OK_CARD)).await;
    assert_eq!(status, 200);
    assert_eq!(again["order"]["id"], order["id"]);
    assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 2));
    assert_eq!(
        o.count("SELECT count(*) FROM order_transactions WHERE kind = 'capture'")
            .await,
        1
    );

    // Read back, and looked up by number and e-mail.
    let id = order["id"].as_str().unwrap();
    let (status, read) = o
        .call(
            "GET",
            &format!("/v1/orders/{id}?store_id=store_ALPHA"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(read["order"]["total"], total);
    let (status, found) = o
        .call(
            "POST",
            "/v1/orders/lookup",
            Some(json!({"store_id": "store_ALPHA", "email": "BUYER@example.com", "display_id": order["display_id"]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(found["order"]["id"], order["id"]);
    let (status, _) = o
        .call("GET", &format!("/v1/orders/{id}?store_id=store_BETA"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_declined_card_fails_the_attempt_releases_stock_and_leaves_the_cart_payable() {
    let o = spawn_origin().await;
    let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
    let before = o.stock("variant_A1S").await;
    let (status, body) = o.complete(&cart, Some(DECLINED)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "cart");
    assert_eq!(body["error"]["type"], "payment_authorization_error");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("declined"));
    assert_eq!(
        o.stock("variant_A1S").await,
        before,
        "the held unit went back"
    );
    assert_eq!(
        o.count("SELECT count(*) FROM orders WHERE status = 'failed'")
            .await,
        1
    );

    let (status, body) = o.complete(&cart, Some(OK_CARD)).await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], "order", "{body}");
    assert_eq!(o.count("SELECT count(*) FROM orders").await, 2);
    o.wait_count(
        "SELECT count(*) FROM analytics_events WHERE name = 'payment.failed'",
        1,
        10,
    )
    .await;
}

#[tokio::test]
async fn a_payment_that_needs_confirmation_waits_holding_stock_then_completes() {
    let o = spawn_origin().await;
    let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
    let before = o.stock("variant_A1S").await;
    let (status, body) = o.complete(&cart, Some(NEEDS_CONFIRMATION)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["error"]["type"], "payment_requires_more_error");
    let session = body["action"]["session_id"].as_str().unwrap().to_owned();
    assert!(body["action"]["redirect_url"]
        .as_str()
        .unwrap()
        .contains(&session));
    assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));

    // Another completion while the first is parked resumes it: still waiting.
    let (_, again) = o.complete(&cart, None).await;
    assert_eq!(
        again["error"]["type"], "payment_requires_more_error",
        "{again}"
    );

    let (status, _) = o
        .call(
            "POST",
            &format!("/v1/payment-sessions/{session}/authenticate"),
            Some(json!({"store_id": "store_ALPHA", "cart_id": cart.id, "approve": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, done) = o.complete(&cart, None).await;
    assert_eq!(status, 200);
    assert_eq!(done["type"], "order", "{done}");
    assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 1));
    assert_eq!(o.count("SELECT count(*) FROM orders").await, 1);
}

#[tokio::test]
async fn refused_transitions_are_409_and_cancel_refunds_and_releases() {
    let o = spawn_origin().await;
    let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
    let before = o.stock("variant_A1S").await;
    let (_, body) = o.complete(&cart, Some(OK_CARD)).await;
    let id = body["order"]["id"].as_str().unwrap().to_owned();
    let total = body["order"]["total"].as_i64().unwrap();
    let act = |action: &'static str| {
        let path = format!("/v1/orders/{id}/actions");
        let o = &o;
        async move {
            o.call(
                "POST",
                &path,
                Some(json!({"store_id": "store_ALPHA", "action": action})),
            )
            .await
        }
    };
    let (status, body) = act("ship").await;
    assert_eq!(status, 409, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("allowed now: fulfill, cancel, refund"));
    let (status, body) = act("cancel").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order"]["status"], "canceled");
    assert_eq!(o.stock("variant_A1S").await, before);
    let refunds = o
        .count(
            "SELECT coalesce(sum(amount), 0)::int8 FROM order_transactions WHERE kind = 'refund'",
        )
        .await;
    assert_eq!(refunds, total);
    let (status, _) = act("fulfill").await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn fulfil_ship_deliver_consumes_the_held_stock() {
    let o = spawn_origin().await;
    let cart = o.ready_cart(&[("variant_A1S", 3)]).await;
    let before = o.stock("variant_A1S").await;
    let (_, body) = o.complete(&cart, Some(OK_CARD)).await;
    let id = body["order"]["id"].as_str().unwrap().to_owned();
    for action in ["fulfill", "ship", "deliver"] {
        let (status, body) = o
            .call(
                "POST",
                &format!("/v1/orders/{id}/actions"),
                Some(json!({"store_id": "store_ALPHA", "action": action})),
            )
            .await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    assert_eq!(o.stock("variant_A1S").await, (before.0 - 3, before.1));
    let (status, body) = o
        .call(
            "POST",
            &format!("/v1/orders/{id}/actions"),
            Some(json!({"store_id": "store_ALPHA", "action": "refund", "amount": 100})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order"]["status"], "delivered");
}

/// 200 buyers, each with their own cart of one unit, for a variant with 20 units:
/// exactly 20 orders, nothing oversold, everyone else a clean out-of-stock answer.
#[tokio::test]
async fn two_hundred_buyers_for_twenty_units() {
    let o = Arc::new(spawn_origin().await);
    o.db.batch_execute(
        "UPDATE inventory_levels SET stocked = 20, reserved = 0 WHERE variant_id = 'variant_A2';",
    )
    .await
    .unwrap();
    let mut carts = Vec::new();
    for _ in 0..200 {
        carts.push(o.ready_cart(&[("variant_A2", 1)]).await);
    }
    let tasks: Vec<_> = carts
        .into_iter()
        .map(|cart| {
            let o = o.clone();
            tokio::spawn(async move { o.complete(&cart, Some(OK_CARD)).await })
        })
        .collect();
    let (mut orders, mut out_of_stock, mut other) = (0, 0, Vec::new());
    for t in tasks {
        let (status, body) = t.await.unwrap();
        match (status, body["type"].as_str(), body["code"].as_str()) {
            (200, Some("order"), _) => orders += 1,
            (400, _, Some("insufficient_inventory")) => out_of_stock += 1,
            _ => other.push((status, body)),
        }
    }
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    assert_eq!(orders, 20);
    assert_eq!(out_of_stock, 180);
    assert_eq!(o.stock("variant_A2").await, (20, 20));
    assert_eq!(
        o.count("SELECT count(*) FROM orders WHERE status = 'confirmed'")
            .await,
        20
    );
    assert_eq!(
        o.count(
            "SELECT coalesce(sum(quantity), 0)::int8 FROM order_reservations WHERE state = 'held'"
        )
        .await,
        20
    );
    o.wait_count(
        "SELECT count(*) FROM analytics_events WHERE name = 'inventory.insufficient'",
        180,
        20,
    )
    .await;
}

/// While a completion of a cart is in flight (its lock held), another completion of
/// the same cart is a 409 and changes nothing; once it ends, completion works.
#[tokio::test]
async fn a_concurrent_completion_of_the_same_cart_is_409() {
    let o = spawn_origin().await;
    let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
    let before = o.stock("variant_A1S").await;
    let holder = common::connect(&o.database_url).await;
    let key = format!("complete/store_ALPHA/{}", cart.id);
    holder
        .execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", &[&key])
        .await
        .unwrap();
    let (status, body) = o.complete(&cart, Some(OK_CARD)).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "cart_completing");
    assert_eq!(o.stock("variant_A1S").await, before);
    assert_eq!(o.count("SELECT count(*) FROM orders").await, 0);
    holder
        .execute(
            "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
            &[&key],
        )
        .await
        .unwrap();
    let (status, body) = o.complete(&cart, Some(OK_CARD)).await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], "order", "{body}");
}
