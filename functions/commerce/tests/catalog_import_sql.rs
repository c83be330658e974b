//! Importing Shopify's product CSV against a real PostgreSQL: products made with their
//! options, variants, prices, counts and images; a second import of the same file
//! writes nothing; the export of what was imported, imported into an empty store and
//! exported again, is the same file.

mod common;

use commerce::catalog::import::{self, apply_product, export_shopify_csv, Outcome};
use commerce::db::atomically;
use commerce::ids::StoreId;
use commerce::inventory::Actor;
use common::test_db;
use tokio_postgres::Client;

const FILE: &str = "\
Handle,Title,Body (HTML),Published,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Variant SKU,Variant Grams,Variant Inventory Tracker,Variant Inventory Qty,Variant Inventory Policy,Variant Price,Price / United States,Image Src,Image Alt Text,Status
deck-tee,Deck Tee,Heavy cotton.,TRUE,Size,S,Colour,Sand,DT-S-SAND,180,shopify,5,deny,24.00,26.00,uploads/known.png,Front,active
deck-tee,,,,,S,,Slate,DT-S-SLATE,180,shopify,3,continue,24.00,26.00,uploads/unknown.png,,
deck-tee,,,,,M,,Sand,DT-M-SAND,190,shopify,0,deny,25.00,27.50,,,
deck-tee,,,,,M,,Slate,DT-M-SLATE,190,shopify,x,deny,25.00,27.50,,,
mug,Enamel Mug,,FALSE,Title,Default Title,,,MUG-1,,,,,9.50,10.50,,,
";

/// A store with the two regions the file prices for, a location, and nothing else.
async fn empty_store(db: &Client, name: &str) -> StoreId {
    db.batch_execute(&format!(
        "INSERT INTO stores (id, name, publishable_key, default_currency_code)
             VALUES ('store_{name}', '{name}', 'pk_{name}', 'eur');
         INSERT INTO regions (id, store_id, name, currency_code) VALUES
             ('reg_{name}E', 'store_{name}', 'Europe', 'eur'),
             ('reg_{name}U', 'store_{name}', 'United States', 'usd');
         INSERT INTO stock_locations (id, store_id, name) VALUES ('sloc_{name}', 'store_{name}', 'Main');"
    ))
    .await
    .unwrap();
    StoreId::parse(&format!("store_{name}")).unwrap()
}

async fn import_into(db: &Client, store: &StoreId, file: &[u8]) -> Vec<Outcome> {
    let ctx = import::context(db, store).await.unwrap();
    let read = import::read_shopify_csv(file, &ctx).unwrap();
    let mut outcomes = Vec::new();
    for product in &read.products {
        let applied = atomically(db, async |tx: &Client| {
            apply_product(tx, store, product, Actor::default()).await
        })
        .await
        .unwrap();
        outcomes.push(applied.outcome);
    }
    outcomes
}

async fn count(db: &Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn an_import_writes_once_and_round_trips_through_the_export() {
    let db = test_db().await;
    // A file already in the bucket, known from another product's image.
    db.batch_execute(
        "INSERT INTO product_images (id, store_id, product_id, r2_key, alt, rank, width, height)
         VALUES ('img_KNOWN', 'store_ALPHA', 'prod_A1', 'uploads/known.png', '', 9, 640, 800)",
    )
    .await
    .unwrap();
    let store = empty_store(&db, "GAMMA").await;
    let ctx = import::context(&db, &store).await.unwrap();
    let read = import::read_shopify_csv(FILE.as_bytes(), &ctx).unwrap();
    assert_eq!(read.refused_rows, [5], "the count x");
    assert_eq!(
        import_into(&db, &store, FILE.as_bytes()).await,
        [Outcome::Created, Outcome::Created]
    );
    let tee = count(
        &db,
        "SELECT count(*) FROM product_variants v JOIN products p ON p.id = v.product_id
         WHERE p.store_id = 'store_GAMMA' AND p.handle = 'deck-tee'",
    )
    .await;
    assert_eq!(tee, 3);
    let published = count(
        &db,
        "SELECT count(*) FROM products WHERE store_id = 'store_GAMMA' AND status = 'published'",
    )
    .await;
    assert_eq!(published, 1, "the tee; the mug stays a draft");
    let stocked = count(
        &db,
        "SELECT coalesce(sum(stocked), 0) FROM inventory_levels WHERE store_id = 'store_GAMMA'",
    )
    .await;
    assert_eq!(stocked, 8);
    let thumbnail: Option<String> = db
        .query_one(
            "SELECT thumbnail_key FROM products WHERE store_id = 'store_GAMMA' AND handle = 'deck-tee'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(thumbnail.as_deref(), Some("uploads/known.png"));
    let usd: i64 = count(
        &db,
        "SELECT vp.amount FROM variant_prices vp JOIN product_variants v ON v.id = vp.variant_id
         WHERE v.sku = 'DT-M-SAND' AND vp.currency_code = 'usd'",
    )
    .await;
    assert_eq!(usd, 2750);

    // The same file again: nothing written, no event, no ledger row.
    let events = count(&db, "SELECT count(*) FROM outbox").await;
    let ledger = count(&db, "SELECT count(*) FROM inventory_ledger").await;
    assert_eq!(
        import_into(&db, &store, FILE.as_bytes()).await,
        [Outcome::Unchanged, Outcome::Unchanged]
    );
    assert_eq!(count(&db, "SELECT count(*) FROM outbox").await, events);
    assert_eq!(
        count(&db, "SELECT count(*) FROM inventory_ledger").await,
        ledger
    );

    // A changed price and count update the one variant.
    let changed = FILE.replace(
        "DT-M-SAND,190,shopify,0,deny,25.00",
        "DT-M-SAND,190,shopify,4,deny,25.50",
    );
    assert_eq!(
        import_into(&db, &store, changed.as_bytes()).await,
        [Outcome::Updated, Outcome::Unchanged]
    );

    // Export, import into an empty store, export again: the same file.
    let first = export_shopify_csv(&db, &store, &ctx).await.unwrap();
    let text = String::from_utf8(first.clone()).unwrap();
    assert!(text.starts_with("Handle,Title,Body (HTML)"), "{text}");
    assert!(
        text.contains("DT-M-SAND,190,shopify,4,deny,25.50"),
        "{text}"
    );
    let copy = empty_store(&db, "DELTA").await;
    import_into(&db, &copy, &first).await;
    let ctx_copy = import::context(&db, &copy).await.unwrap();
    let second = export_shopify_csv(&db, &copy, &ctx_copy).await.unwrap();
    assert_eq!(String::from_utf8(second).unwrap(), text);
}

/// A catalog file (the project's JSON) of one product whose categories, collection
/// and locations are named by the file's own ids.
const CATALOG_JSON: &str = r###"{
  "stock_locations": [
    {"id": "sloc_X1", "name": "A two"},
    {"id": "sloc_X9", "name": "Nowhere"}
  ],
  "categories": [
    {"id": "pcat_X1", "name": "Shirts", "handle": "shirts", "description": "", "parent_id": null, "rank": 0}
  ],
  "collections": [],
  "products": [
    {
      "id": "prod_X1", "handle": "json-tee", "title": "JSON Tee", "subtitle": "From a file",
      "description": "Imported.", "status": "published", "collection_id": null,
      "educational_content": "## Fit\r\nTrue to size.",
      "category_ids": ["pcat_X1"],
      "options": [{"id": "opt_X1", "title": "Size", "values": [
        {"id": "optval_X1", "value": "S"}, {"id": "optval_X2", "value": "M"}]}],
      "variants": [
        {"id": "variant_X1", "title": "S", "sku": "JSON-TEE-S", "weight_g": 200,
         "manage_inventory": true, "allow_backorder": false, "option_value_ids": ["optval_X1"],
         "prices": {"eur": 2500, "usd": 2700}, "stock": {"sloc_X1": 8, "sloc_X9": 3}},
        {"id": "variant_X2", "title": "M", "sku": "JSON-TEE-M", "weight_g": 210,
         "manage_inventory": true, "allow_backorder": false, "option_value_ids": ["optval_X2"],
         "prices": {"eur": 2500, "usd": 2700}, "stock": {}}
      ],
      "images": []
    },
    {
      "id": "prod_X2", "handle": "json-cap", "title": "JSON Cap", "subtitle": null,
      "description": "", "status": "published", "collection_id": null, "category_ids": [],
      "options": [], "images": [],
      "variants": [{"id": "variant_X3", "title": "Default", "sku": "JSON-CAP",
        "weight_g": null, "manage_inventory": false, "allow_backorder": false,
        "option_value_ids": [], "prices": {"eur": 900}, "stock": {}}]
    }
  ]
}"###;

#[tokio::test]
async fn the_projects_catalog_file_imports_into_a_store_by_handles_and_names() {
    let db = test_db().await;
    let store = StoreId::parse("store_ALPHA").unwrap();
    let ctx = import::context(&db, &store).await.unwrap();
    let checked = import::check(&db, &store, &ctx, CATALOG_JSON.as_bytes())
        .await
        .unwrap();
    // The cap has no price in USD, which the store sells in: refused whole, by path.
    assert_eq!(checked.read.refused_rows, [2]);
    assert_eq!(
        checked.read.problems[0].column,
        "products[1].variants[0].prices.usd"
    );
    assert_eq!(checked.to_create, 1);
    let tee = &checked.read.products[0];
    let applied = apply_product(&db, &store, tee, Actor::default())
        .await
        .unwrap();
    assert_eq!(applied.outcome, Outcome::Created);
    // The count at a location the store does not have is named and left out.
    assert_eq!(applied.warnings.len(), 1, "{:?}", applied.warnings);
    assert!(applied.warnings[0].message.contains("Nowhere"));
    let row = db
        .query_one(
            "SELECT p.id, p.subtitle, p.status, p.educational_content,
                    (SELECT il.stocked FROM inventory_levels il JOIN product_variants v
                     ON v.id = il.variant_id WHERE v.sku = 'JSON-TEE-S' AND il.location_id = 'sloc_A2')
                        AS stocked,
                    (SELECT count(*) FROM product_category_products pc
                     WHERE pc.product_id = p.id AND pc.category_id = 'pcat_ASHIRTS') AS in_shirts
             FROM products p WHERE p.store_id = 'store_ALPHA' AND p.handle = 'json-tee'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Option<String>>("subtitle").as_deref(),
        Some("From a file")
    );
    assert_eq!(row.get::<_, String>("status"), "published");
    assert_eq!(
        row.get::<_, String>("educational_content"),
        "## Fit\nTrue to size."
    );
    assert_eq!(row.get::<_, Option<i32>>("stocked"), Some(8));
    assert_eq!(row.get::<_, i64>("in_shirts"), 1);
    let again = apply_product(&db, &store, tee, Actor::default())
        .await
        .unwrap();
    assert_eq!(
        again.outcome,
        Outcome::Unchanged,
        "a second import writes nothing"
    );
    // Two stores in one file: refused whole, with the reason.
    let two = r#"{"stores": [{"id":"a","name":"A","publishable_key":"k","default_currency":"eur","hosts":[],"regions":[],"stock_locations":[],"categories":[],"collections":[],"products":[]},
                             {"id":"b","name":"B","publishable_key":"l","default_currency":"eur","hosts":[],"regions":[],"stock_locations":[],"categories":[],"collections":[],"products":[]}]}"#;
    let err = import::check(&db, &store, &ctx, two.as_bytes())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("2 stores"), "{err}");
}
