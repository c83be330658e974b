//! Purchase orders against a real PostgreSQL (the two-store fixture): a draft written,
//! placed (incoming stock), received in two deliveries; the receiving saga failing at
//! each step in turn and leaving stock and received counts exactly as they were; a
//! delivery's key received twice, one after the other and at once, applying once;
//! over-receipt asked first; refused transitions; another store's never reached; what
//! is incoming per variant and the deliveries' log as the admin pages read them.

mod common;

use commerce::ids::{PurchaseOrderId, StoreId, VariantId};
use commerce::inventory::Actor;
use commerce::purchase_order::receive::DeliveredLine;
use commerce::purchase_order::repo::{self, LineInput};
use commerce::purchase_order::{receive, receive_with_fault, Delivery, PoInput, PoStatus, Step};
use commerce::ErrorCode;
use common::{second_connection, test_db_and_url};
use tokio_postgres::Client;

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

fn eur() -> commerce::money::CurrencyCode {
    commerce::money::CurrencyCode::parse("eur").unwrap()
}

/// A placed purchase order of 10 `A1-S` and 4 `A2` into `sloc_A1`.
async fn placed(db: &Client) -> PurchaseOrderId {
    let store = alpha();
    let fields = PoInput {
        supplier_name: "Linen Mill".into(),
        location_id: "sloc_A1".into(),
        expected_on: "2027-03-31".into(),
        ..PoInput::default()
    }
    .check()
    .unwrap();
    let id = repo::create(db, &store, &fields, None).await.unwrap();
    for (sku, quantity, cost) in [("A1-S", "10", "8.50"), ("A2", "4", "60")] {
        let line = LineInput {
            variant: sku.into(),
            quantity: quantity.into(),
            unit_cost: cost.into(),
        }
        .check(eur())
        .unwrap();
        repo::set_line(db, &store, &id, &line).await.unwrap();
    }
    repo::place(db, &store, &id, Some("t")).await.unwrap();
    id
}

fn delivery(key: &str, lines: &[(&str, i32)]) -> Delivery {
    Delivery {
        key: key.into(),
        lines: lines
            .iter()
            .map(|(v, q)| DeliveredLine {
                variant_id: VariantId::parse(v).unwrap(),
                quantity: *q,
            })
            .collect(),
        over_receipt_confirmed: false,
    }
}

/// Stocked units at `sloc_A1` of A1-S and A2, and the lines' received counts.
async fn counts(db: &Client, id: &PurchaseOrderId) -> (i32, i32, i32, i32) {
    let row = db
        .query_one(
            "SELECT (SELECT stocked FROM inventory_levels WHERE variant_id = 'variant_A1S' AND location_id = 'sloc_A1'),
                    (SELECT stocked FROM inventory_levels WHERE variant_id = 'variant_A2' AND location_id = 'sloc_A1'),
                    (SELECT received FROM purchase_order_lines WHERE purchase_order_id = $1 AND variant_id = 'variant_A1S'),
                    (SELECT received FROM purchase_order_lines WHERE purchase_order_id = $1 AND variant_id = 'variant_A2')",
            &[&id.as_str()],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3))
}

#[tokio::test]
async fn a_purchase_order_is_placed_then_received_in_two_deliveries() {
    let (db, _) = test_db_and_url().await;
    let store = alpha();
    let id = placed(&db).await;
    let a1s = VariantId::parse("variant_A1S").unwrap();
    assert_eq!(repo::incoming(&db, &store, &a1s).await.unwrap(), 10);
    let po = repo::load(&db, &store, &id).await.unwrap();
    assert_eq!(
        (po.reference(), po.total()),
        ("PO-1".to_owned(), 10 * 850 + 4 * 6000)
    );
    // A placed one is not changed any more.
    let line = LineInput {
        variant: "A1-M".into(),
        quantity: "1".into(),
        unit_cost: "1".into(),
    }
    .check(eur())
    .unwrap();
    let err = repo::set_line(&db, &store, &id, &line).await.unwrap_err();
    assert_eq!(err.body().code, ErrorCode::InvalidPurchaseOrderState);

    let first = delivery("delivery-1", &[("variant_A1S", 6), ("variant_A2", 4)]);
    let got = receive(&db, &store, &id, &first, Actor::default())
        .await
        .unwrap();
    assert_eq!(got.status, PoStatus::PartiallyReceived);
    assert_eq!(counts(&db, &id).await, (16, 6, 6, 4));
    assert_eq!(repo::incoming(&db, &store, &a1s).await.unwrap(), 4);
    // The same delivery again: nothing changes.
    let again = receive(&db, &store, &id, &first, Actor::default())
        .await
        .unwrap();
    assert!(again.repeated);
    assert_eq!(counts(&db, &id).await, (16, 6, 6, 4));
    // More than is still expected is asked first.
    let over = delivery("delivery-2", &[("variant_A1S", 5)]);
    let err = receive(&db, &store, &id, &over, Actor::default())
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::OverReceipt);
    assert!(
        err.to_string().contains("1 more of Linen Shirt / S / Red"),
        "{err}"
    );
    let rest = delivery("delivery-2", &[("variant_A1S", 4)]);
    let got = receive(&db, &store, &id, &rest, Actor::default())
        .await
        .unwrap();
    assert_eq!(got.status, PoStatus::Received);
    assert_eq!(counts(&db, &id).await, (20, 6, 10, 4));
    // The ledger points at the purchase order; both events are out.
    let ledger: i64 = db
        .query_one(
            "SELECT count(*) FROM inventory_ledger WHERE purchase_order_id = $1 AND reason = 'received'",
            &[&id.as_str()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(ledger, 3);
    let events: Vec<String> = db
        .query(
            "SELECT topic FROM outbox WHERE topic LIKE 'purchase_order.%' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        events,
        [
            "purchase_order.placed",
            "purchase_order.received",
            "purchase_order.received"
        ]
    );
    // Received: no more deliveries, no cancel.
    let late = delivery("delivery-3", &[("variant_A2", 1)]);
    let err = receive(&db, &store, &id, &late, Actor::default())
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::InvalidPurchaseOrderState);
    let err = repo::cancel(&db, &store, &id).await.unwrap_err();
    assert_eq!(err.status(), 409);
    // Another store's purchase order is not found.
    let beta = StoreId::parse("store_BETA").unwrap();
    assert_eq!(repo::load(&db, &beta, &id).await.unwrap_err().status(), 404);
}

#[tokio::test]
async fn a_failing_step_undoes_the_ones_before_it_and_the_key_may_come_again() {
    let (db, _) = test_db_and_url().await;
    let store = alpha();
    let id = placed(&db).await;
    let before = counts(&db, &id).await;
    for step in [Step::Record, Step::Stock, Step::Status] {
        let d = delivery("truck-7", &[("variant_A1S", 3), ("variant_A2", 1)]);
        let err = receive_with_fault(&db, &store, &id, &d, Actor::default(), Some(step))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, commerce::ApiError::Internal { detail } if detail.contains("injected fault")),
            "{step:?}: {err:?}"
        );
        assert_eq!(
            counts(&db, &id).await,
            before,
            "{step:?} left nothing behind"
        );
        let state: String = db
            .query_one(
                "SELECT state FROM purchase_order_deliveries WHERE key = 'truck-7'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(state, "compensated");
        let status = repo::load(&db, &store, &id).await.unwrap().status;
        assert_eq!(status, PoStatus::Placed);
    }
    // The ledger says what was undone: for the status step, the rise and its undoing.
    let moves: Vec<i32> = db
        .query(
            "SELECT stocked_after - stocked_before FROM inventory_ledger
             WHERE purchase_order_id = $1 AND variant_id = 'variant_A1S' ORDER BY id",
            &[&id.as_str()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(moves, [3, -3]);
    // Sent again without a fault, the same key goes through once.
    let d = delivery("truck-7", &[("variant_A1S", 3), ("variant_A2", 1)]);
    let got = receive(&db, &store, &id, &d, Actor::default())
        .await
        .unwrap();
    assert_eq!(got.status, PoStatus::PartiallyReceived);
    assert_eq!(counts(&db, &id).await, (13, 3, 3, 1));
}

#[tokio::test]
async fn the_same_delivery_received_twice_at_once_applies_once() {
    let (db, url) = test_db_and_url().await;
    let other = second_connection(&url).await;
    let store = alpha();
    let id = placed(&db).await;
    let d = delivery("pallet-1", &[("variant_A1S", 2)]);
    let (a, b) = tokio::join!(
        receive(&db, &store, &id, &d, Actor::default()),
        receive(&other, &store, &id, &d, Actor::default()),
    );
    let outcomes = [&a, &b];
    let applied = outcomes
        .iter()
        .filter(|r| matches!(r, Ok(got) if !got.repeated))
        .count();
    assert_eq!(applied, 1, "{a:?} {b:?}");
    for r in outcomes {
        if let Err(err) = r {
            assert_eq!(err.body().code, ErrorCode::DeliveryInProgress, "{err}");
        }
    }
    assert_eq!(counts(&db, &id).await, (12, 2, 2, 0));
}

#[tokio::test]
async fn a_draft_is_checked_edited_and_canceled() {
    let (db, _) = test_db_and_url().await;
    let store = alpha();
    let bad = PoInput {
        supplier_name: "Mill".into(),
        location_id: "sloc_B1".into(),
        ..PoInput::default()
    }
    .check()
    .unwrap();
    let err = repo::create(&db, &store, &bad, None).await.unwrap_err();
    assert_eq!(err.status(), 400, "another store's location");
    let fields = PoInput {
        supplier_name: "Mill".into(),
        location_id: "sloc_A2".into(),
        ..PoInput::default()
    }
    .check()
    .unwrap();
    let id = repo::create(&db, &store, &fields, None).await.unwrap();
    let err = repo::place(&db, &store, &id, None).await.unwrap_err();
    assert_eq!(err.status(), 400, "nothing to place");
    let unknown = LineInput {
        variant: "B1".into(),
        quantity: "1".into(),
        unit_cost: "1".into(),
    }
    .check(eur())
    .unwrap();
    let err = repo::set_line(&db, &store, &id, &unknown)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no variant with the SKU B1"),
        "{err}"
    );
    let bad_line = LineInput {
        variant: "A2".into(),
        quantity: "0".into(),
        unit_cost: "cheap".into(),
    }
    .check(eur())
    .unwrap_err();
    assert_eq!(bad_line.0.len(), 2);
    let second = repo::create(&db, &store, &fields, None).await.unwrap();
    assert_eq!(repo::load(&db, &store, &second).await.unwrap().number, 2);
    repo::cancel(&db, &store, &id).await.unwrap();
    let (list, total) = repo::list(
        &db,
        &store,
        Some(PoStatus::Canceled),
        commerce::params::Page {
            limit: 10,
            offset: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!((list.len(), total), (1, 1));
}

#[tokio::test]
async fn incoming_units_and_the_deliveries_are_read_back() {
    let (db, _) = test_db_and_url().await;
    let store = alpha();
    let id = placed(&db).await;
    let a1s = VariantId::parse("variant_A1S").unwrap();
    let a2 = VariantId::parse("variant_A2").unwrap();
    let a1m = VariantId::parse("variant_A1M").unwrap();
    let orders = repo::incoming_orders(&db, &store, &a1s).await.unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(
        (&orders[0].id, orders[0].number, orders[0].outstanding),
        (&id, 1, 10)
    );
    assert_eq!(orders[0].expected_on.as_deref(), Some("2027-03-31"));
    let mut many = repo::incoming_of(&db, &store, &[a1s.clone(), a2.clone(), a1m])
        .await
        .unwrap();
    many.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    assert_eq!(many, [(a1s.clone(), 10), (a2.clone(), 4)]);

    let first = delivery("crate-1", &[("variant_A1S", 6), ("variant_A2", 4)]);
    receive(&db, &store, &id, &first, Actor::default())
        .await
        .unwrap();
    let many = repo::incoming_of(&db, &store, &[a1s.clone(), a2.clone()])
        .await
        .unwrap();
    assert_eq!(many, [(a1s.clone(), 4)], "A2 came in whole");
    let log = repo::deliveries(&db, &store, &id).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].key.as_str(), log[0].state.as_str()),
        ("crate-1", "done")
    );
    assert_eq!(log[0].lines, first.lines);
    assert!(log[0].finished_at.is_some() && log[0].error.is_none());
    // Canceled or another store's: nothing incoming, no deliveries to read.
    let beta = StoreId::parse("store_BETA").unwrap();
    assert!(repo::deliveries(&db, &beta, &id).await.unwrap().is_empty());
    assert!(repo::incoming_of(&db, &beta, std::slice::from_ref(&a1s))
        .await
        .unwrap()
        .is_empty());
    let rest = delivery("crate-2", &[("variant_A1S", 4)]);
    receive(&db, &store, &id, &rest, Actor::default())
        .await
        .unwrap();
    assert!(repo::incoming_orders(&db, &store, &a1s)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(repo::deliveries(&db, &store, &id).await.unwrap().len(), 2);
}
