//! The cart operations against a real PostgreSQL (the two-store fixture): what the
//! cart's Durable Object runs, minus the object.

mod common;

use commerce::cart::Cart;
use commerce::cart_api::{apply, CartOp, CartOutcome};
use commerce::ids::CartId;
use commerce::store::{self, HostName, Store};
use commerce::wire::to_value;
use commerce::ApiError;
use common::test_db;
use serde_json::json;

async fn alpha(db: &tokio_postgres::Client) -> Store {
    store::by_host(db, &HostName::parse("alpha.test").unwrap())
        .await
        .unwrap()
}

async fn run(
    db: &tokio_postgres::Client,
    store: &Store,
    stored: Option<Cart>,
    op: CartOp,
) -> Result<CartOutcome, ApiError> {
    let id = stored
        .as_ref()
        .map_or_else(|| CartId::parse("cart_TEST1").unwrap(), |c| c.id.clone());
    apply(
        db,
        store,
        &id,
        stored,
        op,
        1_000,
        "https://alpha.test/images/",
    )
    .await
}

#[tokio::test]
async fn create_add_and_see_a_price_change() {
    let db = test_db().await;
    let store = alpha(&db).await;
    let created = run(
        &db,
        &store,
        None,
        CartOp::Create {
            customer: None,
            body: json!({ "region_id": "reg_AEU" }),
        },
    )
    .await
    .unwrap();
    let cart = created.save.unwrap();
    assert_eq!(cart.region.id.as_str(), "reg_AEU");

    let added = run(
        &db,
        &store,
        Some(cart),
        CartOp::AddItem {
            body: json!({ "variant_id": "variant_A1S", "quantity": 2, "unit_price": 1 }),
        },
    )
    .await
    .unwrap();
    assert_eq!(added.events.len(), 1);
    let cart = added.save.unwrap();
    assert_eq!(cart.items[0].unit_price, 2450, "the catalog's price");
    assert_eq!(
        to_value(&added.body).unwrap()["cart"]["items"][0]["quantity"],
        2
    );

    // The catalog changes; the next read re-prices and says so.
    db.execute(
        "UPDATE variant_prices SET amount = 2990 WHERE id = 'price_A1SEUR'",
        &[],
    )
    .await
    .unwrap();
    let read = run(&db, &store, Some(cart), CartOp::Get).await.unwrap();
    assert_eq!(read.cart.items[0].unit_price, 2990);
    assert_eq!(read.notices.len(), 1, "{:?}", read.notices);
    assert!(read.notices[0].contains("29.90"), "{:?}", read.notices);
    assert!(read.save.is_some(), "the refreshed cart is kept");

    // Shipping options of the region, one chosen.
    let options = run(&db, &store, read.save.clone(), CartOp::ShippingOptions)
        .await
        .unwrap();
    let body = to_value(&options.body).unwrap();
    let list = body["shipping_options"].as_array().unwrap();
    assert!(!list.is_empty());
    let id = list[0]["id"].as_str().unwrap();
    let shipped = run(
        &db,
        &store,
        read.save,
        CartOp::AddShippingMethod {
            body: json!({ "option_id": id }),
        },
    )
    .await
    .unwrap();
    assert_eq!(shipped.cart.shipping_method.unwrap().option_id.as_str(), id);
}

#[tokio::test]
async fn refusals_change_nothing_and_other_stores_carts_are_not_found() {
    let db = test_db().await;
    let store = alpha(&db).await;
    let cart = run(
        &db,
        &store,
        None,
        CartOp::Create {
            body: json!({}),
            customer: None,
        },
    )
    .await
    .unwrap()
    .save
    .unwrap();
    // 12 available: 13 is refused, not clamped.
    let err = run(
        &db,
        &store,
        Some(cart.clone()),
        CartOp::AddItem {
            body: json!({ "variant_id": "variant_A1S", "quantity": 13 }),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 400, "{err}");
    // The other store's variant is unknown here.
    let err = run(
        &db,
        &store,
        Some(cart.clone()),
        CartOp::AddItem {
            body: json!({ "variant_id": "variant_B1", "quantity": 1 }),
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("variant_id"), "{err}");
    // A cart read with another store is not found.
    let beta = store::by_host(&db, &HostName::parse("beta.test").unwrap())
        .await
        .unwrap();
    let err = run(&db, &beta, Some(cart), CartOp::Get).await.unwrap_err();
    assert_eq!(err.status(), 404);
    let err = run(&db, &store, None, CartOp::Get).await.unwrap_err();
    assert_eq!(err.status(), 404);
}
