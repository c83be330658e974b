//! Daily analytics against a real PostgreSQL (the two-store fixture): a scripted set of
//! shopper sessions over two days gives exactly the expected figures (visitors, funnel,
//! revenue per currency, top products); a late event moves its day's figures on the
//! next read; a redelivered event counts once; another store's events never show.

mod common;

use commerce::analytics::metrics::{daily_metrics, rollup};
use commerce::analytics::{insert_batch, AnalyticsEvent};
use commerce::ids::StoreId;
use common::test_db;
use serde_json::{json, Value};

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

/// 2026-11-01T10:00Z plus `minutes`, in milliseconds.
fn at(day: u64, minutes: u64) -> u64 {
    1_793_527_200_000 + (day - 1) * 86_400_000 + minutes * 60_000
}

fn event(
    store: &str,
    name: &str,
    actor: &str,
    metadata: Value,
    ms: u64,
    key: &str,
) -> AnalyticsEvent {
    AnalyticsEvent {
        name: name.into(),
        store_id: StoreId::parse(store).unwrap(),
        trace_id: None,
        actor: actor.into(),
        metadata,
        occurred_at_ms: ms,
        event_key: Some(key.into()),
    }
}

fn view(actor: &str, product: &str, ms: u64, key: &str) -> AnalyticsEvent {
    event(
        "store_ALPHA",
        "view_item",
        actor,
        json!({"product_id": product}),
        ms,
        key,
    )
}

#[tokio::test]
async fn scripted_sessions_give_exactly_the_expected_daily_figures() {
    let db = test_db().await;
    let store = alpha();
    let purchase = |currency: &str, product: &str, quantity: i64, total: i64| {
        json!({"order_id": format!("order_{product}"), "currency": currency, "value": total,
               "items": [{"product_id": product, "quantity": quantity, "total": total}]})
    };
    let events = vec![
        // Day 1: one session buys, one searches and looks, one only browses a list.
        view("sess_1", "prod_A1", at(1, 0), "k1"),
        view("sess_1", "prod_A1", at(1, 1), "k2"),
        event(
            "store_ALPHA",
            "add_to_cart",
            "sess_1",
            json!({"product_id": "prod_A1", "quantity": 2}),
            at(1, 2),
            "k3",
        ),
        event(
            "store_ALPHA",
            "begin_checkout",
            "sess_1",
            json!({}),
            at(1, 3),
            "k4",
        ),
        event(
            "store_ALPHA",
            "purchase",
            "sess_1",
            purchase("eur", "prod_A1", 2, 4900),
            at(1, 4),
            "k5",
        ),
        event(
            "store_ALPHA",
            "search",
            "sess_2",
            json!({"q": "wool", "hits": 1}),
            at(1, 5),
            "k6",
        ),
        view("sess_2", "prod_A2", at(1, 6), "k7"),
        event(
            "store_ALPHA",
            "view_item_list",
            "sess_3",
            json!({}),
            at(1, 7),
            "k8",
        ),
        // Day 2: another buys in dollars.
        view("sess_4", "prod_A1", at(2, 0), "k9"),
        event(
            "store_ALPHA",
            "add_to_cart",
            "sess_4",
            json!({"product_id": "prod_A3", "quantity": 1}),
            at(2, 1),
            "k10",
        ),
        event(
            "store_ALPHA",
            "begin_checkout",
            "sess_4",
            json!({}),
            at(2, 2),
            "k11",
        ),
        event(
            "store_ALPHA",
            "purchase",
            "sess_4",
            purchase("usd", "prod_A3", 1, 1600),
            at(2, 3),
            "k12",
        ),
        // Another store's events never show.
        event(
            "store_BETA",
            "view_item",
            "sess_9",
            json!({"product_id": "prod_B1"}),
            at(1, 0),
            "k13",
        ),
    ];
    assert_eq!(insert_batch(&db, &events).await.unwrap(), 13);
    let m = daily_metrics(&db, &store, "2026-11-01", "2026-11-03", 10)
        .await
        .unwrap();
    type Row<'a> = (&'a str, i64, i64, i64, i64, i64, i64, i64);
    let shown: Vec<Row> = m
        .days
        .iter()
        .map(|d| {
            (
                d.day.as_str(),
                d.visitors,
                d.product_views,
                d.list_views,
                d.searches,
                d.adds_to_cart,
                d.checkouts,
                d.orders,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("2026-11-01", 3, 3, 1, 1, 1, 1, 1),
            ("2026-11-02", 1, 1, 0, 0, 1, 1, 1),
            ("2026-11-03", 0, 0, 0, 0, 0, 0, 0),
        ]
    );
    assert_eq!(m.days[0].revenue[0].currency, "eur");
    assert_eq!(m.days[0].revenue[0].revenue, 4900);
    let totals: Vec<(&str, i64, i64, i64)> = m
        .totals
        .revenue
        .iter()
        .map(|r| (r.currency.as_str(), r.orders, r.revenue, r.average()))
        .collect();
    assert_eq!(totals, [("eur", 1, 4900, 4900), ("usd", 1, 1600, 1600)]);
    let funnel: Vec<(&str, i64, Option<f64>)> = m
        .funnel
        .iter()
        .map(|s| (s.step, s.count, s.conversion))
        .collect();
    assert_eq!(
        funnel,
        [
            ("visitors", 4, None),
            ("product views", 4, Some(1.0)),
            ("adds to cart", 2, Some(0.5)),
            ("checkouts begun", 2, Some(1.0)),
            ("orders", 2, Some(1.0)),
        ]
    );
    let top = |list: &[commerce::analytics::metrics::TopProduct]| -> Vec<(String, i64)> {
        list.iter().map(|p| (p.title.clone(), p.value)).collect()
    };
    assert_eq!(
        top(&m.top_by_views),
        [("Linen Shirt".to_owned(), 3), ("Wool Coat".to_owned(), 1)]
    );
    assert_eq!(
        top(&m.top_by_adds),
        [("Linen Shirt".to_owned(), 2), ("Canvas Bag".to_owned(), 1)]
    );
    assert_eq!(m.revenue_currency, "eur");
    assert_eq!(top(&m.top_by_revenue), [("Linen Shirt".to_owned(), 4900)]);

    // Nothing dirty: a second read rolls up nothing. A late event moves its day; a
    // redelivered one counts once.
    assert_eq!(rollup(&db, &store).await.unwrap(), 0);
    let late = vec![
        view("sess_5", "prod_A2", at(1, 30), "k14"),
        view("sess_1", "prod_A1", at(1, 0), "k1"),
    ];
    assert_eq!(insert_batch(&db, &late).await.unwrap(), 1);
    let m = daily_metrics(&db, &store, "2026-11-01", "2026-11-01", 10)
        .await
        .unwrap();
    assert_eq!((m.days[0].visitors, m.days[0].product_views), (4, 4));

    // Bad ranges are refused with the reason.
    let err = daily_metrics(&db, &store, "2026-11-03", "2026-11-01", 10)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    let err = daily_metrics(&db, &store, "2025-01-01", "2026-11-01", 10)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("at most 400 days"), "{err}");
    assert_eq!(
        daily_metrics(&db, &store, "yesterday", "2026-11-01", 10)
            .await
            .unwrap_err()
            .status(),
        400
    );
}
