//! Shipping options as carts read them, and analytics events as the queue consumer
//! stores them, against a real PostgreSQL.

mod common;

use commerce::analytics::{self, AnalyticsEvent};
use commerce::cart::ShippingKind;
use commerce::ids::{RegionId, StoreId};
use commerce::shipping_option;
use commerce::ApiError;
use common::test_db;
use serde_json::{json, Value};

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

fn beta() -> StoreId {
    StoreId::parse("store_BETA").unwrap()
}

fn region(id: &str) -> RegionId {
    RegionId::parse(id).unwrap()
}

async fn options(db: &tokio_postgres::Client, store: &StoreId, region_id: &str) -> Vec<String> {
    shipping_option::for_region(db, store, &region(region_id))
        .await
        .unwrap()
        .iter()
        .map(|o| o.id.to_string())
        .collect()
}

async fn version(db: &tokio_postgres::Client, store: &str) -> i64 {
    db.query_one(
        "SELECT catalog_version FROM stores WHERE id = $1",
        &[&store],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn a_regions_options_come_in_rank_order_with_their_pricing() {
    let db = test_db().await;
    let got = shipping_option::for_region(&db, &alpha(), &region("reg_AEU"))
        .await
        .unwrap();
    let summary: Vec<(&str, &str, &str, ShippingKind)> = got
        .iter()
        .map(|o| (o.id.as_str(), o.region_id.as_str(), o.name.as_str(), o.kind))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "so_AEUSTD",
                "reg_AEU",
                "Standard",
                ShippingKind::Flat { amount: 495 }
            ),
            (
                "so_AEUFREE",
                "reg_AEU",
                "Free shipping over €75",
                ShippingKind::FreeOver {
                    amount: 495,
                    threshold: 7500
                }
            ),
            (
                "so_AEUEXP",
                "reg_AEU",
                "Express",
                ShippingKind::Flat { amount: 1295 }
            ),
        ]
    );
    assert_eq!(options(&db, &alpha(), "reg_AUS").await, ["so_AUSSTD"]);

    // Re-ranking changes the order; equal ranks fall back to the id.
    db.batch_execute("UPDATE shipping_options SET rank = 0 WHERE region_id = 'reg_AEU'")
        .await
        .unwrap();
    assert_eq!(
        options(&db, &alpha(), "reg_AEU").await,
        ["so_AEUEXP", "so_AEUFREE", "so_AEUSTD"]
    );
}

#[tokio::test]
async fn another_stores_options_are_absent() {
    let db = test_db().await;
    assert!(options(&db, &beta(), "reg_AEU").await.is_empty());
    assert!(options(&db, &alpha(), "reg_BEU").await.is_empty());
    assert_eq!(options(&db, &beta(), "reg_BEU").await, ["so_BEUSTD"]);
    assert!(options(&db, &alpha(), "reg_NOPE").await.is_empty());
}

#[tokio::test]
async fn the_schema_refuses_inconsistent_options() {
    let db = test_db().await;
    let insert = |region: &str, store: &str, kind: &str, amount: i64, threshold: Option<i64>| {
        format!(
            "INSERT INTO shipping_options (id, store_id, region_id, name, kind, amount, threshold)
             VALUES ('so_X', '{store}', '{region}', 'X', '{kind}', {amount}, {})",
            threshold.map_or("NULL".to_owned(), |t| t.to_string())
        )
    };
    for bad in [
        // Another store's region.
        insert("reg_BEU", "store_ALPHA", "flat", 100, None),
        insert("reg_AEU", "store_ALPHA", "flat", 100, Some(5000)),
        insert("reg_AEU", "store_ALPHA", "free_over", 100, None),
        insert("reg_AEU", "store_ALPHA", "free_over", 100, Some(-1)),
        insert("reg_AEU", "store_ALPHA", "flat", -1, None),
        insert("reg_AEU", "store_ALPHA", "pickup", 0, None),
    ] {
        assert!(db.batch_execute(&bad).await.is_err(), "accepted: {bad}");
    }
    db.batch_execute(&insert("reg_AEU", "store_ALPHA", "free_over", 0, Some(0)))
        .await
        .unwrap();
    // Deleting the region takes its options with it.
    db.batch_execute("DELETE FROM regions WHERE id = 'reg_AUS'")
        .await
        .unwrap();
    assert!(options(&db, &alpha(), "reg_AUS").await.is_empty());
}

#[tokio::test]
async fn shipping_option_changes_bump_the_store_version() {
    let db = test_db().await;
    let (a, b) = (
        version(&db, "store_ALPHA").await,
        version(&db, "store_BETA").await,
    );
    db.batch_execute(
        "UPDATE shipping_options SET amount = amount + 100 WHERE store_id = 'store_ALPHA'",
    )
    .await
    .unwrap();
    assert_eq!(
        version(&db, "store_ALPHA").await,
        a + 1,
        "once per statement"
    );
    db.batch_execute(
        "INSERT INTO shipping_options (id, store_id, region_id, name, kind, amount, rank)
         VALUES ('so_AUSEXP', 'store_ALPHA', 'reg_AUS', 'Express', 'flat', 1500, 1)",
    )
    .await
    .unwrap();
    assert_eq!(version(&db, "store_ALPHA").await, a + 2);
    db.batch_execute("DELETE FROM shipping_options WHERE id = 'so_BEUSTD'")
        .await
        .unwrap();
    assert_eq!(version(&db, "store_BETA").await, b + 1);
    assert_eq!(version(&db, "store_ALPHA").await, a + 2);
    let got = shipping_option::for_region(&db, &alpha(), &region("reg_AUS"))
        .await
        .unwrap();
    assert_eq!(got[0].kind, ShippingKind::Flat { amount: 695 });
    assert_eq!(got[1].id.as_str(), "so_AUSEXP");
}

fn event(store: &str, name: &str, key: Option<&str>, metadata: Value) -> AnalyticsEvent {
    AnalyticsEvent::parse(&json!({
        "name": name,
        "store_id": store,
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "actor": "cart_01J0ABC",
        "metadata": metadata,
        "occurred_at_ms": 1_714_566_600_250_u64,
        "event_key": key,
    }))
    .unwrap()
}

async fn stored(db: &tokio_postgres::Client) -> Vec<(String, String, Option<String>)> {
    db.query(
        "SELECT store_id, name, event_key FROM analytics_events ORDER BY id",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

#[tokio::test]
async fn a_batch_is_stored_in_one_statement_with_its_fields() {
    let db = test_db().await;
    let metadata = json!({
        "variant_id": "variant_A1S", "price": 2450, "quantity": 2,
        "page_url": "https://alpha.test/products/linen-shirt?x=\"1\"&y=é",
        "nested": { "list": [1, null, true, 2.5] },
    });
    let batch = [
        event("store_ALPHA", "add_to_cart", Some("k1"), metadata.clone()),
        event("store_BETA", "remove_from_cart", Some("k2"), json!({})),
        event("store_ALPHA", "add_to_cart", None, json!({})),
    ];
    assert_eq!(analytics::insert_batch(&db, &batch).await.unwrap(), 3);
    assert_eq!(
        stored(&db).await,
        [
            (
                "store_ALPHA".into(),
                "add_to_cart".into(),
                Some("k1".into())
            ),
            (
                "store_BETA".into(),
                "remove_from_cart".into(),
                Some("k2".into())
            ),
            ("store_ALPHA".into(), "add_to_cart".into(), None),
        ]
    );
    let row = db
        .query_one(
            "SELECT metadata, trace_id, actor,
                    to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') AS at,
                    created_at > now() - interval '1 minute' AS fresh
             FROM analytics_events WHERE event_key = 'k1'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Value>("metadata"),
        metadata,
        "JSONB round trip"
    );
    assert_eq!(
        row.get::<_, Option<String>>("trace_id").as_deref(),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert_eq!(row.get::<_, String>("actor"), "cart_01J0ABC");
    assert_eq!(row.get::<_, String>("at"), "2024-05-01T12:30:00.250");
    assert!(row.get::<_, bool>("fresh"));
    assert_eq!(analytics::insert_batch(&db, &[]).await.unwrap(), 0);
}

#[tokio::test]
async fn a_redelivered_event_is_stored_once() {
    let db = test_db().await;
    let first = [
        event("store_ALPHA", "add_to_cart", Some("k1"), json!({ "n": 1 })),
        event("store_ALPHA", "add_to_cart", Some("k2"), json!({})),
    ];
    assert_eq!(analytics::insert_batch(&db, &first).await.unwrap(), 2);
    // The whole batch again, plus one new event and a key repeated inside the batch.
    let again = [
        event("store_ALPHA", "add_to_cart", Some("k1"), json!({ "n": 2 })),
        event("store_ALPHA", "add_to_cart", Some("k2"), json!({})),
        event("store_ALPHA", "add_to_cart", Some("k3"), json!({})),
        event("store_ALPHA", "add_to_cart", Some("k3"), json!({})),
        event("store_ALPHA", "add_to_cart", None, json!({})),
        event("store_ALPHA", "add_to_cart", None, json!({})),
    ];
    assert_eq!(analytics::insert_batch(&db, &again).await.unwrap(), 3);
    let keys: Vec<Option<String>> = stored(&db).await.into_iter().map(|r| r.2).collect();
    assert_eq!(
        keys,
        [
            Some("k1".into()),
            Some("k2".into()),
            Some("k3".into()),
            None,
            None
        ]
    );
    let kept: Value = db
        .query_one(
            "SELECT metadata FROM analytics_events WHERE event_key = 'k1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, json!({ "n": 1 }), "the first delivery stays");
}

#[tokio::test]
async fn events_of_unknown_stores_are_skipped_without_failing_the_rest() {
    let db = test_db().await;
    let batch = [
        event("store_GONE", "add_to_cart", Some("k1"), json!({})),
        event("store_ALPHA", "add_to_cart", Some("k2"), json!({})),
        event("store_GONE", "add_to_cart", None, json!({})),
    ];
    assert_eq!(analytics::insert_batch(&db, &batch).await.unwrap(), 1);
    assert_eq!(
        stored(&db).await,
        [(
            "store_ALPHA".into(),
            "add_to_cart".into(),
            Some("k2".into())
        )]
    );
    // A deleted store takes its events with it.
    db.batch_execute("DELETE FROM stores WHERE id = 'store_ALPHA'")
        .await
        .unwrap();
    assert!(stored(&db).await.is_empty());
}

#[tokio::test]
async fn an_invalid_event_refuses_the_batch_before_writing() {
    let db = test_db().await;
    let mut bad = event("store_ALPHA", "add_to_cart", Some("k2"), json!({}));
    bad.metadata = json!({ "text": "nul \u{0} inside" });
    let batch = [
        event("store_ALPHA", "add_to_cart", Some("k1"), json!({})),
        bad,
    ];
    match analytics::insert_batch(&db, &batch).await.unwrap_err() {
        ApiError::InvalidParam { param, .. } => assert_eq!(param, "events[1].metadata"),
        other => panic!("{other:?}"),
    }
    assert!(stored(&db).await.is_empty());
}
