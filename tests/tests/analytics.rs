//! Analytics through the running Worker: a storefront's events answered 202 and stored
//! through the Queue, malformed or oversized ones refused with 400 and nothing stored;
//! product pages (also from the edge cache) and Store API reads recorded as views,
//! lists and searches; a checkout opened counted once per cart.

use std::time::{Duration, Instant};

use e2e::{client, db, url, HARBOR_KEY};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A trace id of its own per test, to find its events.
fn trace() -> String {
    format!("{:032x}", rand_part())
}

fn rand_part() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        | 1
}

fn traceparent(trace: &str) -> String {
    format!("00-{trace}-00f067aa0ba902b7-01")
}

/// The events stored under `trace`, once there are at least `n` (20 s at most).
async fn events_of(trace: &str, n: usize) -> Vec<(String, String, Value)> {
    let db = db().await;
    let started = Instant::now();
    loop {
        let rows = db
            .query(
                "SELECT name, actor, metadata FROM analytics_events WHERE trace_id = $1 ORDER BY id",
                &[&trace],
            )
            .await
            .unwrap();
        if rows.len() >= n {
            return rows
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{} of {n} events stored",
            rows.len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn a_storefronts_events_are_taken_at_once_and_bad_ones_refused() {
    let trace = trace();
    let post = |body: Value| {
        client()
            .post(url("/analytics/events"))
            .header("x-publishable-api-key", HARBOR_KEY)
            .header("traceparent", traceparent(&trace))
            .json(&body)
            .send()
    };
    let res = post(json!({"events": [
        {"name": "view_promotion", "metadata": {"promotion": "winter"}},
        {"name": "add_to_wishlist", "actor": "cus_e2e", "event_key": format!("wish-{trace}")},
        {"name": "add_to_wishlist", "actor": "cus_e2e", "event_key": format!("wish-{trace}")}
    ]}))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(res.json::<Value>().await.unwrap()["accepted"], 3);
    let stored = events_of(&trace, 2).await;
    let names: Vec<&str> = stored.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["view_promotion", "add_to_wishlist"],
        "the same key once"
    );
    assert!(
        stored[0].1.starts_with("v_"),
        "an anonymous visitor: {}",
        stored[0].1
    );
    assert_eq!(stored[1].1, "cus_e2e");
    // Refused whole, with the field named; nothing of it is stored.
    for (body, param) in [
        (
            json!({"events": [{"name": "view_item"}, {"name": "Not A Name"}]}),
            "events[1].name",
        ),
        (json!({"events": [{"name": "purchase"}]}), "events[0].name"),
        (
            json!({"events": [{"name": "x", "occurred_at": 1000}]}),
            "events[0].occurred_at",
        ),
        (json!({"events": []}), "events"),
    ] {
        let res = post(body).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["param"], param, "{err}");
    }
    let huge = json!({"events": [{"name": "x", "metadata": {"pad": "y".repeat(70_000)}}]});
    assert_eq!(post(huge).await.unwrap().status(), StatusCode::BAD_REQUEST);
    let res = client()
        .post(url("/analytics/events"))
        .json(&json!({"events": [{"name": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "the key names the store"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(events_of(&trace, 2).await.len(), 2);
}

#[tokio::test]
async fn pages_and_store_api_reads_are_recorded_as_views() {
    let trace = trace();
    let get = |path: String, key: bool| {
        let mut req = client()
            .get(url(&path))
            .header("traceparent", traceparent(&trace))
            .header("user-agent", "analytics-e2e");
        if key {
            req = req.header("x-publishable-api-key", HARBOR_KEY);
        }
        req.send()
    };
    // The same page twice: the second from the edge cache, recorded all the same.
    for _ in 0..2 {
        let res = get("/products/linen-camp-shirt".into(), false)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = get("/store/products/prod_HP0001".into(), true)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = get(format!("/store/products?q=linen&fields=a{trace}"), true)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let hits = res.json::<Value>().await.unwrap()["count"]
        .as_i64()
        .unwrap();
    let stored = events_of(&trace, 4).await;
    let names: Vec<&str> = stored.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["view_item", "view_item", "view_item", "search"]);
    assert_eq!(stored[0].2["handle"], "linen-camp-shirt");
    assert_eq!(stored[2].2["product_id"], "prod_HP0001");
    assert_eq!(stored[3].2["q"], "linen");
    assert_eq!(stored[3].2["hits"], hits);
    assert!(
        stored.iter().all(|(_, actor, _)| actor == &stored[0].1),
        "one visitor"
    );
}

/// Under load an isolate's events leave in batches (one sender gathers them): none is
/// lost or doubled. 200 reads, 20 at a time, most of them edge-cache hits.
#[tokio::test]
async fn every_view_of_a_burst_is_stored_once() {
    let trace = trace();
    let reads = 200;
    let mut left = (0..reads).collect::<Vec<_>>();
    while !left.is_empty() {
        let wave: Vec<_> = left.drain(..left.len().min(20)).collect();
        let sent = wave.iter().map(|_| {
            client()
                .get(url("/store/products/prod_HP0002"))
                .header("x-publishable-api-key", HARBOR_KEY)
                .header("traceparent", traceparent(&trace))
                .send()
        });
        for res in futures_util::future::join_all(sent).await {
            assert_eq!(res.unwrap().status(), StatusCode::OK);
        }
    }
    let stored = events_of(&trace, reads).await;
    // A moment more: anything sent twice would arrive now.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let stored_after = events_of(&trace, reads).await;
    assert_eq!(stored.len(), reads);
    assert_eq!(stored_after.len(), reads, "no event stored twice");
    assert!(stored
        .iter()
        .all(|(name, _, meta)| name == "view_item" && meta["product_id"] == "prod_HP0002"));
}
