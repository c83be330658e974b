//! Options and the variants made from them against a real PostgreSQL (the two-store
//! fixture): two options generate four variants priced in every currency, once; an
//! option added later gives existing variants its first value; removing a value asks
//! first, names the variants that go and never takes stock orders hold; an option goes
//! only once down to one value; variants are changed and removed with their rules.

mod common;

use commerce::catalog::edit::options::{
    self, split_values, GenerateInput, OptionEdit, OptionInput,
};
use commerce::catalog::edit::variant::{self, VariantInput};
use commerce::catalog::edit::{self, ProductInput};
use commerce::ids::{ProductId, StoreId};
use commerce::money::CurrencyCode;
use commerce::ErrorCode;
use common::test_db;
use tokio_postgres::Client;

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

async fn draft(db: &Client, title: &str) -> ProductId {
    let fields = ProductInput {
        title: title.into(),
        status: "draft".into(),
        ..ProductInput::default()
    }
    .check()
    .unwrap();
    edit::create(db, &alpha(), &fields, None).await.unwrap()
}

async fn add(db: &Client, product: &ProductId, title: &str, values: &str) {
    let fields = OptionInput {
        title: title.into(),
        values: split_values(values),
    }
    .check()
    .unwrap();
    options::add_option(db, &alpha(), product, &fields, None)
        .await
        .unwrap();
}

fn prices(currencies: &[CurrencyCode], amount: &str) -> Vec<(String, String)> {
    currencies
        .iter()
        .map(|c| (c.as_str().to_owned(), amount.to_owned()))
        .collect()
}

async fn generate(db: &Client, product: &ProductId, prefix: &str) -> usize {
    let currencies = variant::store_currencies(db, &alpha()).await.unwrap();
    let input = GenerateInput {
        sku_prefix: prefix.into(),
        manage_inventory: true,
        allow_backorder: false,
        prices: prices(&currencies, "25.00"),
    };
    let template = input.check(&currencies).unwrap();
    options::generate_variants(db, &alpha(), product, &template, None)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn two_options_generate_four_priced_variants_once() {
    let db = test_db().await;
    let id = draft(&db, "Camp Tee").await;
    add(&db, &id, "Size", "S, M").await;
    add(&db, &id, "Colour", "Blue, Red").await;
    assert_eq!(generate(&db, &id, "TEE").await, 4);
    assert_eq!(
        generate(&db, &id, "TEE").await,
        0,
        "every combination exists"
    );
    let product = edit::one(&db, &alpha(), &id).await.unwrap();
    let titles: Vec<&str> = product.variants.iter().map(|v| v.title.as_str()).collect();
    assert_eq!(titles, ["S / Blue", "S / Red", "M / Blue", "M / Red"]);
    assert_eq!(product.variants[3].sku.as_deref(), Some("TEE-M-RED"));
    let currencies = variant::store_currencies(&db, &alpha()).await.unwrap();
    assert!(currencies.len() >= 2, "the fixture sells in two currencies");
    assert!(product
        .variants
        .iter()
        .all(|v| v.prices.len() == currencies.len() && v.prices.iter().all(|(_, a)| *a == 2500)));
    assert_eq!(product.variants[1].options.len(), 2);
    assert_eq!(product.variants[1].options[1].value, "Red");
    // The product's document carries the options and each variant's values.
    let doc: serde_json::Value = db
        .query_one(
            "SELECT doc FROM product_docs WHERE product_id = $1",
            &[&id.as_str()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(doc["options"].as_array().unwrap().len(), 2);
    assert_eq!(doc["variants"][2]["options"][0]["value"], "M");

    // A second option of the same name is refused, whatever its case.
    let again = OptionInput {
        title: "size".into(),
        values: split_values("XL"),
    }
    .check()
    .unwrap();
    let err = options::add_option(&db, &alpha(), &id, &again, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::DuplicateOption);
    // A variant whose values another has is refused; one without all options too.
    let manual = |opts: Vec<(&str, &str)>, sku: &str| VariantInput {
        title: "Manual".into(),
        sku: sku.into(),
        prices: prices(&currencies, "30"),
        options: opts
            .into_iter()
            .map(|(o, v)| (o.into(), v.into()))
            .collect(),
        ..VariantInput::default()
    };
    let twin = manual(vec![("Size", "s"), ("Colour", "Blue")], "TEE-X")
        .check(&currencies)
        .unwrap();
    let err = variant::add_variant(&db, &alpha(), &id, &twin, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::DuplicateVariant);
    let half = manual(vec![("Size", "S")], "TEE-Y")
        .check(&currencies)
        .unwrap();
    let err = variant::add_variant(&db, &alpha(), &id, &half, None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.to_string().contains("Colour"), "{err}");
}

#[tokio::test]
async fn removing_values_asks_first_and_keeps_what_orders_hold() {
    let db = test_db().await;
    let id = draft(&db, "Linen Trousers").await;
    add(&db, &id, "Size", "S, M, L").await;
    assert_eq!(generate(&db, &id, "").await, 3);
    // An option added now gives the three variants its first value.
    add(&db, &id, "Fit", "Regular, Wide").await;
    let product = edit::one(&db, &alpha(), &id).await.unwrap();
    assert!(product
        .variants
        .iter()
        .all(|v| v.options.len() == 2 && v.options[1].value == "Regular"));
    assert!(product.variants.iter().all(|v| v.sku.is_none()));
    assert_eq!(generate(&db, &id, "").await, 3, "the Wide ones");

    let size = &product.options[0];
    let value = |text: &str| {
        size.values
            .iter()
            .find(|(_, v)| v == text)
            .unwrap()
            .0
            .clone()
    };
    let edit_of = |s: &str, m: &str, l: &str, added: &str| OptionEdit {
        title: "Size".into(),
        values: vec![
            (value("S"), s.into()),
            (value("M"), m.into()),
            (value("L"), l.into()),
        ],
        added: split_values(added),
    };
    // Dropping M without confirming is refused and names its variants.
    let change = edit_of("Small", "", "L", "XL").check().unwrap();
    let going = options::update_removes(&db, &alpha(), &change)
        .await
        .unwrap();
    let titles: Vec<&str> = going.iter().map(|v| v.title.as_str()).collect();
    assert_eq!(titles, ["M", "M / Wide"]);
    let err = options::update_option(&db, &alpha(), &id, &size.id, &change, false, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::OptionInUse);
    // Orders hold stock of one of them: refused even when confirmed.
    db.batch_execute(&format!(
        "INSERT INTO inventory_levels (store_id, variant_id, location_id, stocked, reserved)
         VALUES ('store_ALPHA', '{}', 'sloc_A1', 5, 2)",
        going[0].id.as_str()
    ))
    .await
    .unwrap();
    let err = options::update_option(&db, &alpha(), &id, &size.id, &change, true, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::StockHeld);
    db.batch_execute(&format!(
        "UPDATE inventory_levels SET reserved = 0 WHERE variant_id = '{}'",
        going[0].id.as_str()
    ))
    .await
    .unwrap();
    let gone = options::update_option(&db, &alpha(), &id, &size.id, &change, true, Some("t9"))
        .await
        .unwrap();
    assert_eq!(gone.len(), 2);
    let product = edit::one(&db, &alpha(), &id).await.unwrap();
    let values: Vec<&str> = product.options[0]
        .values
        .iter()
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(values, ["Small", "L", "XL"]);
    assert_eq!(product.variants.len(), 4);
    assert!(product
        .variants
        .iter()
        .any(|v| v.options[0].value == "Small"));

    // An option goes only once it is down to one value.
    let fit = product.options[1].clone();
    let err = options::remove_option(&db, &alpha(), &id, &fit.id, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::OptionInUse);
    let keep_regular = OptionEdit {
        title: "Fit".into(),
        values: vec![
            (fit.values[0].0.clone(), "Regular".into()),
            (fit.values[1].0.clone(), String::new()),
        ],
        added: vec![],
    }
    .check()
    .unwrap();
    options::update_option(&db, &alpha(), &id, &fit.id, &keep_regular, true, None)
        .await
        .unwrap();
    options::remove_option(&db, &alpha(), &id, &fit.id, None)
        .await
        .unwrap();
    let product = edit::one(&db, &alpha(), &id).await.unwrap();
    assert_eq!(product.options.len(), 1);
    assert_eq!(product.variants.len(), 2, "Small and L, Regular ones");
    assert!(product.variants.iter().all(|v| v.options.len() == 1));

    // Another store's product: not found.
    let foreign = ProductId::parse("prod_B1").unwrap();
    let fields = OptionInput {
        title: "Size".into(),
        values: split_values("S"),
    }
    .check()
    .unwrap();
    let err = options::add_option(&db, &alpha(), &foreign, &fields, None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
}

#[tokio::test]
async fn a_variant_is_changed_and_removed_by_its_rules() {
    let db = test_db().await;
    let id = draft(&db, "Wool Socks").await;
    add(&db, &id, "Size", "39-42, 43-46").await;
    assert_eq!(generate(&db, &id, "SOCK").await, 2);
    let currencies = variant::store_currencies(&db, &alpha()).await.unwrap();
    let product = edit::one(&db, &alpha(), &id).await.unwrap();
    let first = product.variants[0].clone();
    let changed = VariantInput {
        title: "Small".into(),
        sku: "SOCK-S".into(),
        manage_inventory: true,
        allow_backorder: true,
        weight: "120".into(),
        prices: prices(&currencies, "12.50"),
        ..VariantInput::default()
    };
    let before = variant::update_variant(
        &db,
        &alpha(),
        &id,
        &first.id,
        &changed.check(&currencies).unwrap(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(before.1.as_deref(), Some("SOCK-39-42"));
    let product = edit::one(&db, &alpha(), &id).await.unwrap();
    let now = &product.variants[0];
    assert_eq!(
        (now.title.as_str(), now.weight_g, now.allow_backorder),
        ("Small", Some(120), true)
    );
    assert!(now.prices.iter().all(|(_, a)| *a == 1250));
    assert_eq!(now.options, first.options, "its option values stay");
    // The other's SKU is refused.
    let taken = VariantInput {
        sku: "SOCK-43-46".into(),
        ..changed.clone()
    };
    let err = variant::update_variant(
        &db,
        &alpha(),
        &id,
        &first.id,
        &taken.check(&currencies).unwrap(),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::DuplicateSku);

    // Published with two variants: one may go, the last may not.
    let publish = ProductInput {
        title: "Wool Socks".into(),
        handle: "wool-socks".into(),
        status: "published".into(),
        ..ProductInput::default()
    }
    .check()
    .unwrap();
    edit::update(&db, &alpha(), &id, &publish, None)
        .await
        .unwrap();
    let title = variant::remove_variant(&db, &alpha(), &id, &first.id, None)
        .await
        .unwrap();
    assert_eq!(title, "Small");
    let last = &product.variants[1];
    let err = variant::remove_variant(&db, &alpha(), &id, &last.id, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::LastVariant);
    let events: i64 = db
        .query_one(
            "SELECT count(*) FROM outbox WHERE topic = 'product.updated'
             AND payload -> 'payload' ->> 'product_id' = $1",
            &[&id.as_str()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(events, 5, "option, generation, change, publish, removal");
}
