//! Categories and collections as staff arrange them, against a real PostgreSQL (the
//! two-store fixture): a tree built, reordered and moved (never inside itself), a
//! category with subcategories kept, a product placed in categories and a collection
//! with its event and its document following; another store's never reached.

mod common;

use commerce::catalog::edit::category::{self, CategoryInput};
use commerce::catalog::edit::collection::{self, CollectionInput};
use commerce::ids::{CategoryId, ProductId, StoreId};
use commerce::inventory::location::Move;
use commerce::ErrorCode;
use common::test_db;

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

fn input(name: &str, parent: Option<&CategoryId>) -> category::CategoryFields {
    CategoryInput {
        name: name.into(),
        active: "yes".into(),
        parent: parent.map(|p| p.as_str().to_owned()).unwrap_or_default(),
        ..CategoryInput::default()
    }
    .check()
    .unwrap()
}

#[tokio::test]
async fn a_category_tree_is_built_ordered_and_kept_whole() {
    let db = test_db().await;
    let store = alpha();
    let knit = category::create_category(&db, &store, &input("Knitwear", None))
        .await
        .unwrap();
    let socks = category::create_category(&db, &store, &input("Wool Socks", Some(&knit)))
        .await
        .unwrap();
    let hats = category::create_category(&db, &store, &input("Hats", Some(&knit)))
        .await
        .unwrap();
    let tree = category::tree(&db, &store).await.unwrap();
    let names: Vec<(&str, i32)> = tree
        .iter()
        .filter(|c| [&knit, &socks, &hats].contains(&&c.id))
        .map(|c| (c.name.as_str(), c.depth))
        .collect();
    assert_eq!(names, [("Knitwear", 0), ("Wool Socks", 1), ("Hats", 1)]);
    category::move_category(&db, &store, &hats, Move::Up)
        .await
        .unwrap();
    let tree = category::tree(&db, &store).await.unwrap();
    let order: Vec<&str> = tree
        .iter()
        .filter(|c| c.parent.as_ref() == Some(&knit))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(order, ["Hats", "Wool Socks"]);
    // Never inside itself; a taken handle refused; kept while it has subcategories.
    let err = category::update_category(&db, &store, &knit, &input("Knitwear", Some(&socks)))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    let err = category::create_category(&db, &store, &input("Hats", None))
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::DuplicateHandle);
    let err = category::delete_category(&db, &store, &knit)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::CategoryInUse);
    // Moved to the top, it comes last there.
    category::update_category(&db, &store, &socks, &input("Wool Socks", None))
        .await
        .unwrap();
    let tree = category::tree(&db, &store).await.unwrap();
    assert_eq!(tree.last().unwrap().id, socks);

    // A product in two categories and a collection; its document follows.
    let product = ProductId::parse("prod_A1").unwrap();
    category::set_product_categories(
        &db,
        &store,
        &product,
        &[hats.clone(), socks.clone()],
        Some("t"),
    )
    .await
    .unwrap();
    let coll = collection::create_collection(
        &db,
        &store,
        &CollectionInput {
            title: "Winter".into(),
            featured: "yes".into(),
            ..Default::default()
        }
        .check()
        .unwrap(),
    )
    .await
    .unwrap();
    collection::set_product_collection(&db, &store, &product, Some(&coll), None)
        .await
        .unwrap();
    let doc: serde_json::Value = db
        .query_one(
            "SELECT doc FROM product_docs WHERE product_id = 'prod_A1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(doc["collection"]["handle"], "winter");
    assert_eq!(doc["categories"].as_array().unwrap().len(), 2, "{doc}");
    let events: i64 = db
        .query_one(
            "SELECT count(*) FROM outbox WHERE topic = 'product.updated'
             AND payload -> 'payload' ->> 'product_id' = 'prod_A1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(events, 2);
    // The same again changes nothing; a deleted collection leaves its product outside.
    category::set_product_categories(&db, &store, &product, &[socks.clone(), hats.clone()], None)
        .await
        .unwrap();
    collection::delete_collection(&db, &store, &coll)
        .await
        .unwrap();
    let all = collection::collections(&db, &store).await.unwrap();
    assert!(all.iter().all(|c| c.id != coll));

    // Another store's category or product: refused, not reached.
    let beta = StoreId::parse("store_BETA").unwrap();
    let err =
        category::set_product_categories(&db, &beta, &product, std::slice::from_ref(&hats), None)
            .await
            .unwrap_err();
    assert_eq!(err.status(), 404);
    let foreign = ProductId::parse("prod_B1").unwrap();
    let err = category::set_product_categories(&db, &store, &foreign, &[hats], None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
}
