//! Product attributes, archived products and barcodes against a real PostgreSQL (the
//! two-store fixture): values checked against the store's definitions, kept in the
//! product's document with their labels, filtered and counted for listings; a removed
//! choice, a new key and a deleted attribute ask first and then change every product;
//! an archived product leaves the shoppers' list and the admin's default list; a
//! barcode is unique in its store.

mod common;

use std::collections::BTreeMap;

use commerce::catalog::attribute::{self, repo, AttributeInput};
use commerce::catalog::edit::variant::{self, VariantInput};
use commerce::catalog::edit::{self, AdminProductFilter, ProductStatus};
use commerce::catalog::import::{self, apply_product, export_shopify_csv, Outcome};
use commerce::catalog::product::{self, OptionFilter, ProductFilter};
use commerce::ids::{ProductId, StoreId, VariantId};
use commerce::inventory::Actor;
use commerce::params::Page;
use commerce::ErrorCode;
use common::test_db;

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

fn page() -> Page {
    Page {
        limit: 50,
        offset: 0,
    }
}

fn material() -> AttributeInput {
    AttributeInput {
        label: "Material".into(),
        kind: "choice".into(),
        choices: "Linen\nWool\nCanvas".into(),
        filterable: "yes".into(),
        ..AttributeInput::default()
    }
}

async fn listed(db: &tokio_postgres::Client, attributes: Vec<OptionFilter>) -> Vec<String> {
    let filter = ProductFilter {
        attributes,
        ..ProductFilter::default()
    };
    let (products, total) = product::list(db, &alpha(), &filter, None, page(), None)
        .await
        .unwrap();
    assert_eq!(total, products.len() as i64);
    let mut ids: Vec<String> = products.iter().map(|p| p.id.as_str().to_owned()).collect();
    ids.sort();
    ids
}

fn by(key: &str, values: &[&str]) -> OptionFilter {
    OptionFilter {
        name: key.into(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

#[tokio::test]
async fn attributes_are_typed_kept_filtered_and_counted() {
    let db = test_db().await;
    let store = alpha();
    let mat = repo::create_attribute(&db, &store, &material().check().unwrap())
        .await
        .unwrap();
    let organic = AttributeInput {
        label: "Organic".into(),
        kind: "boolean".into(),
        filterable: "yes".into(),
        ..AttributeInput::default()
    };
    repo::create_attribute(&db, &store, &organic.check().unwrap())
        .await
        .unwrap();
    let err = repo::create_attribute(&db, &store, &material().check().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::DuplicateName);

    let all = repo::attributes(&db, &store).await.unwrap();
    let set = |typed: &[(&str, &str)]| {
        let typed: BTreeMap<String, String> = typed
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        attribute::values_from_text(&all, &typed)
    };
    let errors = set(&[("material", "silk")]).unwrap_err();
    assert!(errors.0[0].1.contains("Linen, Wool, Canvas"), "{errors:?}");
    let shirt = ProductId::parse("prod_A1").unwrap();
    let coat = ProductId::parse("prod_A2").unwrap();
    let bag = ProductId::parse("prod_A3").unwrap();
    for (product, values) in [
        (&shirt, set(&[("material", "linen"), ("organic", "yes")])),
        (&coat, set(&[("material", "Wool"), ("organic", "no")])),
        (&bag, set(&[("material", "Canvas"), ("organic", "")])),
    ] {
        assert!(
            repo::set_product_values(&db, &store, product, &values.unwrap(), Some("t"))
                .await
                .unwrap()
        );
    }
    // The same values again change nothing.
    let again = set(&[("material", "Linen"), ("organic", "yes")]).unwrap();
    assert!(!repo::set_product_values(&db, &store, &shirt, &again, None)
        .await
        .unwrap());

    // Kept in the document with labels, in the store's order of its attributes.
    let doc: serde_json::Value = db
        .query_one(
            "SELECT doc FROM product_docs WHERE product_id = 'prod_A1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(doc["attributes"][0]["label"], "Material");
    assert_eq!(doc["attributes"][0]["value"], "Linen");
    assert_eq!(doc["attributes"][1]["value"], true);

    // Filters: values of one attribute are alternatives, attributes combine.
    assert_eq!(
        listed(&db, vec![by("material", &["linen"])]).await,
        ["prod_A1"]
    );
    assert_eq!(
        listed(&db, vec![by("material", &["linen", "wool"])]).await,
        ["prod_A1", "prod_A2"]
    );
    assert_eq!(
        listed(
            &db,
            vec![
                by("material", &["linen", "wool"]),
                by("organic", &["false"])
            ]
        )
        .await,
        ["prod_A2"]
    );
    assert!(listed(&db, vec![by("colour", &["red"])]).await.is_empty());

    let facets = product::facets(&db, &store, &ProductFilter::default(), None, 30)
        .await
        .unwrap()
        .attributes;
    type Shown<'a> = Vec<(&'a str, &'a str, i64)>;
    let shown: Vec<(&str, Shown)> = facets
        .iter()
        .map(|f| {
            (
                f.title.as_str(),
                f.values
                    .iter()
                    .map(|v| (v.value.as_str(), v.label.as_str(), v.products))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "Material",
                vec![
                    ("Linen", "Linen", 1),
                    ("Wool", "Wool", 1),
                    ("Canvas", "Canvas", 1)
                ]
            ),
            ("Organic", vec![("true", "Yes", 1), ("false", "No", 1)]),
        ]
    );

    // A removed choice that products have asks first, then removes their values.
    let fewer = AttributeInput {
        choices: "Linen\nCanvas".into(),
        ..material()
    }
    .check()
    .unwrap();
    let err = repo::update_attribute(&db, &store, &mat, &fewer, false, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::AttributeInUse);
    assert!(
        err.to_string().contains("1 products have the choice Wool"),
        "{err}"
    );
    repo::update_attribute(&db, &store, &mat, &fewer, true, Some("t"))
        .await
        .unwrap();
    let coat_values = repo::product_values(&db, &store, &coat).await.unwrap();
    assert_eq!(coat_values.get("material"), None);
    assert_eq!(coat_values["organic"], false);

    // A new key moves in every product (after a confirmation); a new kind is refused.
    let renamed = AttributeInput {
        key: "fabric".into(),
        label: "Fabric".into(),
        ..AttributeInput {
            choices: "Linen\nCanvas".into(),
            ..material()
        }
    }
    .check()
    .unwrap();
    let err = repo::update_attribute(&db, &store, &mat, &renamed, false, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::AttributeInUse);
    repo::update_attribute(&db, &store, &mat, &renamed, true, None)
        .await
        .unwrap();
    assert_eq!(
        listed(&db, vec![by("fabric", &["canvas"])]).await,
        ["prod_A3"]
    );
    let doc: serde_json::Value = db
        .query_one(
            "SELECT doc FROM product_docs WHERE product_id = 'prod_A3'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(doc["attributes"][0]["label"], "Fabric", "{doc}");
    let as_text = AttributeInput {
        kind: "text".into(),
        filterable: String::new(),
        ..AttributeInput {
            key: "fabric".into(),
            label: "Fabric".into(),
            ..material()
        }
    }
    .check()
    .unwrap();
    let err = repo::update_attribute(&db, &store, &mat, &as_text, true, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::AttributeInUse);

    // Deleting asks first, then takes the values along, each product with its event.
    let err = repo::delete_attribute(&db, &store, &mat, false, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::AttributeInUse);
    repo::delete_attribute(&db, &store, &mat, true, Some("t"))
        .await
        .unwrap();
    let left: i64 = db
        .query_one(
            "SELECT count(*) FROM products WHERE attributes ? 'fabric'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);

    // Another store's attributes are not this one's.
    let beta = StoreId::parse("store_BETA").unwrap();
    assert!(repo::attributes(&db, &beta).await.unwrap().is_empty());
    let err = repo::delete_attribute(&db, &beta, &mat, true, None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
}

#[tokio::test]
async fn an_archived_product_is_hidden_and_a_barcode_is_unique() {
    let db = test_db().await;
    let store = alpha();
    let coat = ProductId::parse("prod_A2").unwrap();
    let current = edit::one(&db, &store, &coat).await.unwrap();
    let archived = edit::ProductInput {
        title: current.title.clone(),
        handle: current.handle.clone(),
        description: current.description.clone(),
        status: "archived".into(),
        ..edit::ProductInput::default()
    }
    .check()
    .unwrap();
    assert_eq!(archived.status, ProductStatus::Archived);
    edit::update(&db, &store, &coat, &archived, None)
        .await
        .unwrap();
    let (products, total) =
        product::list(&db, &store, &ProductFilter::default(), None, page(), None)
            .await
            .unwrap();
    assert!(products.iter().all(|p| p.id != coat));
    assert_eq!(total, products.len() as i64, "the kept count follows");
    let (admin, _) = edit::list(&db, &store, &AdminProductFilter::default(), page())
        .await
        .unwrap();
    assert!(admin.iter().all(|p| p.id != coat), "left out unless asked");
    let only_archived = AdminProductFilter {
        status: Some(ProductStatus::Archived),
        ..AdminProductFilter::default()
    };
    let (admin, _) = edit::list(&db, &store, &only_archived, page())
        .await
        .unwrap();
    assert_eq!(admin.len(), 1);

    // Barcodes: checked, kept in the document, unique in the store.
    let currencies = variant::store_currencies(&db, &store).await.unwrap();
    let priced = |barcode: &str, sku: &str| VariantInput {
        title: format!("Coat {sku}"),
        sku: sku.into(),
        barcode: barcode.into(),
        manage_inventory: true,
        prices: currencies
            .iter()
            .map(|c| (c.as_str().to_owned(), "10.00".to_owned()))
            .collect(),
        ..VariantInput::default()
    };
    let bad = priced("12 34", "COAT-X").check(&currencies).unwrap_err();
    assert_eq!(bad.0[0].0, "barcode");
    let first: VariantId = variant::add_variant(
        &db,
        &store,
        &coat,
        &priced("4006381333931", "COAT-1")
            .check(&currencies)
            .unwrap(),
        None,
    )
    .await
    .unwrap();
    let err = variant::add_variant(
        &db,
        &store,
        &coat,
        &priced("4006381333931", "COAT-2")
            .check(&currencies)
            .unwrap(),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::DuplicateBarcode);
    let doc: serde_json::Value = db
        .query_one(
            "SELECT doc FROM product_docs WHERE product_id = 'prod_A2'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let kept = doc["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == first.as_str())
        .unwrap();
    assert_eq!(kept["barcode"], "4006381333931");
}

#[tokio::test]
async fn attribute_values_go_out_and_come_back_as_metafield_columns() {
    let db = test_db().await;
    let store = alpha();
    repo::create_attribute(&db, &store, &material().check().unwrap())
        .await
        .unwrap();
    let all = repo::attributes(&db, &store).await.unwrap();
    let shirt = ProductId::parse("prod_A1").unwrap();
    let typed = BTreeMap::from([("material".to_owned(), "Linen".to_owned())]);
    let values = attribute::values_from_text(&all, &typed).unwrap();
    repo::set_product_values(&db, &store, &shirt, &values, None)
        .await
        .unwrap();
    let ctx = import::context(&db, &store).await.unwrap();
    let file = export_shopify_csv(&db, &store, &ctx).await.unwrap();
    let text = String::from_utf8(file.clone()).unwrap();
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with(",Material (product.metafields.custom.material)"),
        "{text}"
    );
    // The value lost here comes back from the file; the rest is as it was.
    repo::set_product_values(&db, &store, &shirt, &serde_json::Map::new(), None)
        .await
        .unwrap();
    let read = import::read_shopify_csv(&file, &ctx).unwrap();
    // (The fixture leaves some variants without a price in every currency: those
    // products are refused; the shirt is whole.)
    let shirt_row = read
        .products
        .iter()
        .find(|p| p.handle == "linen-shirt")
        .unwrap();
    let applied = apply_product(&db, &store, shirt_row, Actor::default())
        .await
        .unwrap();
    assert_eq!(applied.outcome, Outcome::Updated);
    let back = repo::product_values(&db, &store, &shirt).await.unwrap();
    assert_eq!(back["material"], "Linen");
    let again = apply_product(&db, &store, shirt_row, Actor::default())
        .await
        .unwrap();
    assert_eq!(again.outcome, Outcome::Unchanged);
}
