//! Placing orders and moving them through the state machine against a real PostgreSQL
//! (the two-store fixture): re-pricing, stock held per location in rank order,
//! refusals, release and consumption, the ledger's once-only rows and the outbox.

mod common;

use commerce::cart::Cart;
use commerce::cart_api::{apply, CartOp};
use commerce::email::Email;
use commerce::ids::{CartId, OrderId, StockLocationId};
use commerce::money::MinorUnits;
use commerce::order::{self, OrderAction, OrderStatus, Shipment};
use commerce::outbox;
use commerce::store::{self, HostName, Store};
use common::test_db;
use serde_json::json;
use tokio_postgres::Client;

fn email(address: &str) -> Email {
    Email::parse(address).unwrap()
}

async fn alpha(db: &Client) -> Store {
    store::by_host(db, &HostName::parse("alpha.test").unwrap())
        .await
        .unwrap()
}

/// A cart of `store` ready to order: `items` (variant, quantity), an email, an
/// address in Germany and Standard shipping.
async fn ready_cart(db: &Client, store: &Store, items: &[(&str, u32)]) -> Cart {
    let id = CartId::generate();
    let mut cart = None;
    let ops = [CartOp::Create {
        customer: None,
        body: json!({"region_id": "reg_AEU", "email": "buyer@example.com",
                     "shipping_address": {"first_name": "Ada", "last_name": "L", "address_1": "Main 1",
                                          "city": "Berlin", "postal_code": "10115", "country_code": "de"}}),
    }]
    .into_iter()
    .chain(items.iter().map(|(v, q)| CartOp::AddItem {
        body: json!({"variant_id": v, "quantity": q}),
    }))
    .chain([CartOp::AddShippingMethod {
        body: json!({"option_id": "so_AEUSTD"}),
    }]);
    for op in ops {
        let out = apply(db, store, &id, cart.clone(), op, 1_000, "/images/")
            .await
            .unwrap();
        cart = Some(out.save.unwrap_or(out.cart));
    }
    cart.unwrap()
}

async fn levels(db: &Client, variant: &str) -> Vec<(String, i32, i32)> {
    db.query(
        "SELECT location_id, stocked, reserved FROM inventory_levels WHERE variant_id = $1 ORDER BY location_id",
        &[&variant],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

async fn place(
    db: &mut Client,
    store: &Store,
    cart: &Cart,
) -> Result<order::Order, commerce::ApiError> {
    let tx = db.transaction().await.unwrap();
    let placed = order::place(
        &tx,
        &store.id,
        cart,
        Some("0af7651916cd43dd8448eb211c80319c"),
        2_000,
        order::RESERVATION_TTL_SECONDS,
    )
    .await?
    .hold_stock(&tx)
    .await?;
    tx.commit().await.unwrap();
    Ok(placed)
}

#[tokio::test]
async fn an_order_is_priced_from_the_database_and_holds_stock_in_rank_order() {
    let mut db = test_db().await;
    let store = alpha(&db).await;
    // A1S: sloc_A1 has 10 - 3 = 7 available, sloc_A2 has 5.
    db.execute(
        "UPDATE stock_locations SET rank = 1 WHERE id = 'sloc_A1'",
        &[],
    )
    .await
    .unwrap();
    let cart = ready_cart(&db, &store, &[("variant_A1S", 9)]).await;
    let order = place(&mut db, &store, &cart).await.unwrap();
    assert_eq!(order.status, OrderStatus::Pending);
    assert_eq!(order.items.len(), 1);
    assert_eq!(order.items[0].quantity, 9);
    assert_eq!(
        order.total,
        order.item_total.get() + order.shipping_total.get()
    );
    assert_eq!(order.shipping.amount, 495);
    // sloc_A2 (rank 0) gives its 5 first, then 4 from sloc_A1.
    assert_eq!(
        levels(&db, "variant_A1S").await,
        vec![("sloc_A1".into(), 10, 7), ("sloc_A2".into(), 5, 5)]
    );
    let loaded = order::load(&db, &store.id, &order.id).await.unwrap();
    assert_eq!(loaded.items, order.items);
    assert_eq!(loaded.total, order.total);
    assert!(order.display_id > 1000);
    let events = db
        .query("SELECT topic FROM outbox ORDER BY id", &[])
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].get::<_, String>(0), "inventory.reserved");
}

#[tokio::test]
async fn a_tampered_price_or_changed_catalog_is_refused() {
    let mut db = test_db().await;
    let store = alpha(&db).await;
    let mut cart = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
    cart.items[0].unit_price = MinorUnits::new(1);
    let err = place(&mut db, &store, &cart).await.unwrap_err();
    assert_eq!(err.body().code, "cart_changed");
    assert!(
        err.body().message.contains("price"),
        "{}",
        err.body().message
    );
    assert_eq!(levels(&db, "variant_A1S").await[0].2, 3, "nothing was held");
}

#[tokio::test]
async fn incomplete_carts_are_refused_naming_what_is_missing() {
    let mut db = test_db().await;
    let store = alpha(&db).await;
    let mut cart = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
    cart.shipping_method = None;
    let err = place(&mut db, &store, &cart).await.unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.body().message.contains("shipping method"));
    cart.email = None;
    let err = place(&mut db, &store, &cart).await.unwrap_err();
    assert!(err.body().message.contains("email"));
}

#[tokio::test]
async fn stock_that_ran_out_after_the_cart_was_filled_is_insufficient_inventory() {
    let mut db = test_db().await;
    let store = alpha(&db).await;
    let cart = ready_cart(&db, &store, &[("variant_A1S", 12)]).await;
    db.execute("UPDATE inventory_levels SET reserved = 8 WHERE variant_id = 'variant_A1S' AND location_id = 'sloc_A1'", &[])
        .await
        .unwrap();
    let err = place(&mut db, &store, &cart).await.unwrap_err();
    assert_eq!(err.body().code, "insufficient_inventory");
    assert_eq!(
        order::by_cart(&db, &store.id, &cart.id).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn backorder_is_allowed_only_where_the_variant_allows_it() {
    let mut db = test_db().await;
    let store = alpha(&db).await;
    // A1M: 0 in stock, backorder allowed.
    let cart = ready_cart(&db, &store, &[("variant_A1M", 2)]).await;
    place(&mut db, &store, &cart).await.unwrap();
    assert_eq!(
        levels(&db, "variant_A1M").await,
        vec![("sloc_A1".into(), 0, 2)]
    );
}

#[tokio::test]
async fn failing_releases_stock_once_and_shipping_consumes_it() {
    let mut db = test_db().await;
    let store = alpha(&db).await;
    let cart = ready_cart(&db, &store, &[("variant_A1S", 2)]).await;
    let order = place(&mut db, &store, &cart).await.unwrap();
    assert_eq!(
        levels(&db, "variant_A1S").await[0],
        ("sloc_A1".into(), 10, 5)
    );

    let failed = order::apply_action(
        &db,
        &store.id,
        &order.id,
        OrderAction::Fail,
        Some("declined"),
    )
    .await
    .unwrap();
    assert_eq!(failed.order.status, OrderStatus::Failed);
    assert_eq!(failed.order.failure_reason.as_deref(), Some("declined"));
    assert_eq!(
        levels(&db, "variant_A1S").await[0],
        ("sloc_A1".into(), 10, 3)
    );
    let again = order::apply_action(&db, &store.id, &order.id, OrderAction::Fail, None).await;
    assert_eq!(again.unwrap_err().status(), 409);
    assert_eq!(order::release(&db, &order.id).await.unwrap(), 0);
    assert_eq!(
        levels(&db, "variant_A1S").await[0],
        ("sloc_A1".into(), 10, 3)
    );

    // A failed order frees the cart for another attempt.
    let second = place(&mut db, &store, &cart).await.unwrap();
    for action in [OrderAction::Pay, OrderAction::Fulfill, OrderAction::Ship] {
        order::apply_action(&db, &store.id, &second.id, action, None)
            .await
            .unwrap();
    }
    assert_eq!(
        levels(&db, "variant_A1S").await[0],
        ("sloc_A1".into(), 8, 3)
    );
    // The payment recorded the analytics' purchase, once, with the order's figures.
    let purchase = db
        .query_one(
            "SELECT actor, metadata FROM analytics_events WHERE name = 'purchase'",
            &[],
        )
        .await
        .unwrap();
    let metadata: serde_json::Value = purchase.get(1);
    assert_eq!(purchase.get::<_, String>(0), second.cart_id.as_str());
    assert_eq!(metadata["order_id"], second.id.as_str());
    assert_eq!(metadata["value"], second.total.get());
    assert_eq!(metadata["items"][0]["quantity"], 2);
    let topics: Vec<String> = db
        .query("SELECT topic FROM outbox ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        topics,
        [
            "inventory.reserved",
            "inventory.released",
            "inventory.reserved",
            "order.created",
            "order.fulfilled",
            "order.shipped"
        ]
    );
}

#[tokio::test]
async fn one_live_order_per_cart() {
    let mut db = test_db().await;
    let store = alpha(&db).await;
    let cart = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
    place(&mut db, &store, &cart).await.unwrap();
    let err = place(&mut db, &store, &cart).await.unwrap_err();
    assert_eq!(
        err.status(),
        409,
        "the unique index refuses a second live order: {err:?}"
    );
    assert_eq!(err.body().code, "cart_completed");
    let found = order::by_cart(&db, &store.id, &cart.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.cart_id, cart.id);
}

#[tokio::test]
async fn lookup_needs_the_number_and_the_email() {
    let mut db = test_db().await;
    let store = alpha(&db).await;
    let cart = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
    let order = place(&mut db, &store, &cart).await.unwrap();
    let found = order::lookup(
        &db,
        &store.id,
        &email(" Buyer@Example.com "),
        order.display_id,
    )
    .await
    .unwrap();
    assert_eq!(found.id, order.id);
    let miss = order::lookup(
        &db,
        &store.id,
        &email("other@example.com"),
        order.display_id,
    )
    .await;
    assert_eq!(miss.unwrap_err().status(), 404);
    let beta = store::by_host(&db, &HostName::parse("beta.test").unwrap())
        .await
        .unwrap();
    assert!(
        order::lookup(&db, &beta.id, &email("buyer@example.com"), order.display_id)
            .await
            .is_err()
    );
    assert!(order::load(&db, &beta.id, &order.id).await.is_err());
    assert!(order::load(&db, &store.id, &OrderId::generate())
        .await
        .is_err());
}

#[tokio::test]
async fn outbox_jobs_are_claimed_once_and_dead_lettered_after_their_attempts() {
    let (mut db, url) = common::test_db_and_url().await;
    let store = alpha(&db).await;
    outbox::enqueue(
        &db,
        &store.id,
        outbox::Topic::PaymentFailed,
        json!({"x": 1}),
        Some("t1"),
    )
    .await
    .unwrap();
    let tx = db.transaction().await.unwrap();
    // Claimed by its own kind's lane only.
    assert!(outbox::claim(&tx, outbox::JobKind::Mail, 10)
        .await
        .unwrap()
        .is_empty());
    let jobs = outbox::claim(&tx, outbox::JobKind::Order, 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind, outbox::JobKind::Order);
    assert_eq!(jobs[0].envelope.topic, outbox::Topic::PaymentFailed);
    assert_eq!(jobs[0].envelope.trace_id.as_deref(), Some("t1"));
    assert_eq!(jobs[0].envelope.payload, json!({"x": 1}));
    // A second runner skips the locked row.
    let other = common::second_connection(&url).await;
    assert!(outbox::claim(&other, outbox::JobKind::Order, 10)
        .await
        .unwrap()
        .is_empty());
    let retry = outbox::failed(&tx, &jobs[0], "smtp down", true)
        .await
        .unwrap();
    assert_eq!(retry, outbox::Retry::After(1_000));
    tx.commit().await.unwrap();
    // An order job's third attempt is its last (orders: 3 attempts).
    let last = outbox::Job {
        attempts: 2,
        ..jobs[0].clone()
    };
    assert!(last.last_attempt());
    let dead = outbox::failed(&db, &last, "smtp down", true).await.unwrap();
    assert_eq!(dead, outbox::Retry::Dead);
    let row = db
        .query_one("SELECT status, attempts FROM outbox", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "dead");
    assert_eq!(row.get::<_, i32>(1), 2);
}

#[tokio::test]
async fn one_email_holds_at_most_three_pending_orders() {
    let mut db = test_db().await;
    let store = alpha(&db).await;
    assert_eq!(order::MAX_PENDING_ORDERS_PER_EMAIL, 3);
    let mut placed = Vec::new();
    for address in [
        "buyer@example.com",
        "Buyer@Example.com",
        " buyer@example.com",
    ] {
        let mut cart = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
        cart.email = Some(email(address));
        placed.push(place(&mut db, &store, &cart).await.unwrap());
    }
    let held = levels(&db, "variant_A1S").await;

    // A fourth cart of the same shopper (the case of the address does not matter).
    let mut fourth = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
    fourth.email = Some(email("BUYER@example.com"));
    let err = place(&mut db, &store, &fourth).await.unwrap_err();
    assert_eq!(err.status(), 409);
    assert_eq!(err.body().code, "too_many_pending_orders");
    assert!(err.body().message.contains("waiting for payment"));
    assert_eq!(levels(&db, "variant_A1S").await, held, "nothing more held");
    assert_eq!(
        order::by_cart(&db, &store.id, &fourth.id).await.unwrap(),
        None
    );

    // Another shopper is not affected.
    let mut other = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
    other.email = Some(email("other@example.com"));
    place(&mut db, &store, &other).await.unwrap();

    // A pending order whose hold has expired does not count, nor does a failed one.
    db.execute(
        "UPDATE orders SET reservation_expires_at = now() - interval '1 second' WHERE id = $1",
        &[&placed[0].id.as_str()],
    )
    .await
    .unwrap();
    order::apply_action(&db, &store.id, &placed[1].id, OrderAction::Fail, None)
        .await
        .unwrap();
    place(&mut db, &store, &fourth).await.unwrap();
    let mut fifth = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
    fifth.email = Some(email("buyer@example.com"));
    place(&mut db, &store, &fifth).await.unwrap();
    let mut sixth = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
    sixth.email = Some(email("buyer@example.com"));
    let err = place(&mut db, &store, &sixth).await.unwrap_err();
    assert_eq!(err.body().code, "too_many_pending_orders");

    // Paying one frees a place.
    order::apply_action(&db, &store.id, &placed[2].id, OrderAction::Pay, None)
        .await
        .unwrap();
    place(&mut db, &store, &sixth).await.unwrap();
}

#[tokio::test]
async fn a_cart_holds_one_pending_order() {
    let mut db = test_db().await;
    let store = alpha(&db).await;
    assert_eq!(order::MAX_PENDING_ORDERS_PER_CART, 1);
    let cart = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
    let first = place(&mut db, &store, &cart).await.unwrap();
    let err = place(&mut db, &store, &cart).await.unwrap_err();
    assert_eq!(err.status(), 409);
    assert_eq!(err.body().code, "cart_completed");
    let resumed = order::by_cart(&db, &store.id, &cart.id).await.unwrap();
    assert_eq!(resumed.map(|o| o.id), Some(first.id));
}

#[tokio::test]
async fn staff_list_orders_by_status_payment_number_and_email_within_their_store() {
    use commerce::order::list::{self, Day, OrderFilter, PaymentStatus};
    use commerce::params::Page;
    let mut db = test_db().await;
    let store = alpha(&db).await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        let cart = ready_cart(&db, &store, &[("variant_A1S", 1)]).await;
        orders.push(place(&mut db, &store, &cart).await.unwrap());
    }
    order::apply_action(&db, &store.id, &orders[1].id, OrderAction::Pay, None)
        .await
        .unwrap();
    db.execute(
        "INSERT INTO order_transactions
             (id, order_id, store_id, kind, amount, currency_code, provider_id, session_id, reference)
         VALUES ('ordtx_1', $1, 'store_ALPHA', 'capture', $2, 'eur', 'pp_system_default', 'payses_1', 'r1')",
        &[&orders[1].id.as_str(), &orders[1].total.get()],
    )
    .await
    .unwrap();
    order::apply_action(&db, &store.id, &orders[2].id, OrderAction::Fail, None)
        .await
        .unwrap();

    let page = Page {
        limit: 2,
        offset: 0,
    };
    let all = OrderFilter::default();
    let (rows, total) = list::list(&db, &store.id, &all, page).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].id, orders[2].id, "newest first");
    assert_eq!(rows[0].items, 1);
    assert!(
        rows[0].created_at.contains('T') && rows[0].created_at.ends_with('Z'),
        "{}",
        rows[0].created_at
    );
    let (rest, total) = list::list(
        &db,
        &store.id,
        &all,
        Page {
            limit: 2,
            offset: 2,
        },
    )
    .await
    .unwrap();
    assert_eq!((rest.len(), total), (1, 3));

    let filter = |f: OrderFilter| {
        let db = &db;
        let store = &store;
        async move {
            let (rows, _) = list::list(
                db,
                &store.id,
                &f,
                Page {
                    limit: 10,
                    offset: 0,
                },
            )
            .await
            .unwrap();
            rows.into_iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };
    let confirmed = OrderFilter {
        status: Some(OrderStatus::Confirmed),
        ..OrderFilter::default()
    };
    assert_eq!(filter(confirmed).await, [orders[1].id.clone()]);
    let paid = OrderFilter {
        payment: Some(PaymentStatus::Captured),
        ..OrderFilter::default()
    };
    assert_eq!(filter(paid).await, [orders[1].id.clone()]);
    let by_number = OrderFilter {
        q: Some(format!("#{}", orders[0].display_id)),
        ..OrderFilter::default()
    };
    assert_eq!(filter(by_number).await, [orders[0].id.clone()]);
    let by_email = OrderFilter {
        q: Some("BUYER@".into()),
        ..OrderFilter::default()
    };
    assert_eq!(filter(by_email).await.len(), 3);
    let wildcard = OrderFilter {
        q: Some("%".into()),
        ..OrderFilter::default()
    };
    assert!(
        filter(wildcard).await.is_empty(),
        "% is a character, not a wildcard"
    );
    let tomorrow = OrderFilter {
        from: Some(Day::parse("2999-01-01", "from").unwrap()),
        ..OrderFilter::default()
    };
    assert!(filter(tomorrow).await.is_empty());

    // Another store's staff see none of them.
    let beta = commerce::ids::StoreId::parse("store_BETA").unwrap();
    let (rows, total) = list::list(&db, &beta, &all, page).await.unwrap();
    assert_eq!((rows.len(), total), (0, 0));

    let today = list::today(&db, &store.id).await.unwrap();
    assert_eq!(today.len(), 1);
    assert_eq!((today[0].orders, today[0].revenue), (1, orders[1].total));
    assert!(list::today(&db, &beta).await.unwrap().is_empty());
}

#[tokio::test]
async fn parcels_pack_some_units_where_staff_choose_and_ship_one_by_one() {
    use commerce::order::{ParcelLine, ParcelRequest};
    let mut db = test_db().await;
    let store = alpha(&db).await;
    let a2 = StockLocationId::parse("sloc_A2").unwrap();
    // 3 of A1S, held at sloc_A1 (10 stocked, 3 reserved before).
    let cart = ready_cart(&db, &store, &[("variant_A1S", 3)]).await;
    let order = place(&mut db, &store, &cart).await.unwrap();
    order::apply_action(&db, &store.id, &order.id, OrderAction::Pay, None)
        .await
        .unwrap();
    let item = order.items[0].id.clone();
    let one_at_a2 = ParcelRequest {
        location_id: Some(a2.clone()),
        items: vec![ParcelLine {
            item_id: item.clone(),
            quantity: 1,
        }],
    };

    // One unit packed at sloc_A2: its hold moves there.
    let (packed, first) = order::pack(&db, &store.id, &order.id, &one_at_a2, None)
        .await
        .unwrap();
    assert_eq!(packed.order.status, OrderStatus::PartiallyFulfilled);
    assert_eq!(first.len(), 1);
    assert_eq!(packed.order.fulfillments[0].location_name, "A two");
    assert_eq!(
        levels(&db, "variant_A1S").await,
        vec![("sloc_A1".into(), 10, 5), ("sloc_A2".into(), 5, 1)]
    );
    // The rest where it is held.
    let (packed, second) = order::pack(&db, &store.id, &order.id, &ParcelRequest::default(), None)
        .await
        .unwrap();
    assert_eq!(packed.order.status, OrderStatus::Fulfilled);
    assert_eq!(packed.order.fulfillments[1].units(), 2);
    let err = order::pack(&db, &store.id, &order.id, &one_at_a2, None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 409, "everything is packed");

    // The first parcel ships alone; then the order can no longer be canceled.
    let dhl = Shipment::new("DHL", "JD014600", "").unwrap();
    let (shipped, _) = order::ship_parcels(&db, &store.id, &order.id, Some(&first[0]), Some(&dhl))
        .await
        .unwrap();
    assert_eq!(shipped.order.status, OrderStatus::PartiallyShipped);
    assert_eq!(shipped.order.fulfillments[0].shipment.as_ref(), Some(&dhl));
    assert_eq!(
        levels(&db, "variant_A1S").await,
        vec![("sloc_A1".into(), 10, 5), ("sloc_A2".into(), 4, 0)]
    );
    let again = order::ship_parcels(&db, &store.id, &order.id, Some(&first[0]), None).await;
    assert_eq!(again.unwrap_err().status(), 409);
    let cancel = order::apply_action(&db, &store.id, &order.id, OrderAction::Cancel, None).await;
    assert_eq!(cancel.unwrap_err().status(), 409);
    let (done, _) = order::ship_parcels(&db, &store.id, &order.id, None, None)
        .await
        .unwrap();
    assert_eq!(done.order.status, OrderStatus::Shipped);
    assert_eq!(done.order.fulfillments[1].id, second[0]);
    assert_eq!(
        levels(&db, "variant_A1S").await,
        vec![("sloc_A1".into(), 8, 3), ("sloc_A2".into(), 4, 0)]
    );
    // Each shipment's event names its parcel (each gets its own e-mail).
    let shipped_events: Vec<serde_json::Value> = db
        .query(
            "SELECT payload -> 'payload' FROM outbox WHERE topic = 'order.shipped' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(shipped_events.len(), 2);
    assert_eq!(shipped_events[0]["fulfillment_ids"], json!([first[0]]));
    assert_eq!(shipped_events[1]["fulfillment_ids"], json!([second[0]]));
}

#[tokio::test]
async fn packing_where_too_few_are_free_changes_nothing_and_cancel_unpacks() {
    use commerce::order::{ParcelLine, ParcelRequest};
    let mut db = test_db().await;
    let store = alpha(&db).await;
    // 5 of A1S held at sloc_A1; sloc_A2 has only 5 free, sloc_A1 none left.
    let cart = ready_cart(&db, &store, &[("variant_A1S", 5)]).await;
    let order = place(&mut db, &store, &cart).await.unwrap();
    order::apply_action(&db, &store.id, &order.id, OrderAction::Pay, None)
        .await
        .unwrap();
    db.execute(
        "UPDATE inventory_levels SET stocked = 4 WHERE variant_id = 'variant_A1S' AND location_id = 'sloc_A2'",
        &[],
    )
    .await
    .unwrap();
    let before = levels(&db, "variant_A1S").await;
    let all_at_a2 = ParcelRequest {
        location_id: Some(StockLocationId::parse("sloc_A2").unwrap()),
        items: vec![ParcelLine {
            item_id: order.items[0].id.clone(),
            quantity: 5,
        }],
    };
    let tx = db.transaction().await.unwrap();
    let err = order::pack(&tx, &store.id, &order.id, &all_at_a2, None)
        .await
        .unwrap_err();
    drop(tx);
    assert_eq!(err.status(), 400);
    assert_eq!(err.code().as_str(), "insufficient_inventory");
    assert!(err.to_string().contains("Only 4 of"), "{err}");
    assert_eq!(levels(&db, "variant_A1S").await, before, "nothing moved");

    // Another store's location is refused by name.
    let elsewhere = ParcelRequest {
        location_id: Some(StockLocationId::parse("sloc_B1").unwrap()),
        ..all_at_a2.clone()
    };
    let err = order::pack(&db, &store.id, &order.id, &elsewhere, None)
        .await
        .unwrap_err();
    assert_eq!(err.param(), Some("location_id"));

    // Two units packed, then the order is canceled: everything goes back.
    let two = ParcelRequest {
        location_id: None,
        items: vec![ParcelLine {
            item_id: order.items[0].id.clone(),
            quantity: 2,
        }],
    };
    order::pack(&db, &store.id, &order.id, &two, None)
        .await
        .unwrap();
    let canceled = order::apply_action(&db, &store.id, &order.id, OrderAction::Cancel, None)
        .await
        .unwrap();
    assert_eq!(canceled.order.status, OrderStatus::Canceled);
    assert!(canceled.order.fulfillments[0].canceled_at_ms.is_some());
    assert_eq!(
        levels(&db, "variant_A1S").await,
        vec![("sloc_A1".into(), 10, 3), ("sloc_A2".into(), 4, 0)]
    );
}
