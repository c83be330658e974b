//! Products written by staff against a real PostgreSQL (the two-store fixture): made
//! with a handle from the title, a taken handle refused, changes with their event and
//! the catalog's own follow-ups (the kept document, the catalog version), publishing
//! only with a variant, another store's product not found; educational content kept as
//! typed and read by every reader.

mod common;

use commerce::catalog::edit::{self, AdminProductFilter, ProductInput, ProductStatus};
use commerce::ids::{ProductId, StoreId};
use commerce::params::{Page, SearchText};
use commerce::ErrorCode;
use common::test_db;
use tokio_postgres::Client;

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

fn fields(title: &str, handle: &str, status: &str) -> edit::ProductFields {
    ProductInput {
        title: title.into(),
        handle: handle.into(),
        status: status.into(),
        description: "Woven in Portugal.".into(),
        ..ProductInput::default()
    }
    .check()
    .unwrap()
}

async fn scalar(db: &Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.unwrap().get(0)
}

const VERSION: &str = "SELECT catalog_version FROM stores WHERE id = 'store_ALPHA'";

#[tokio::test]
async fn a_product_is_made_as_a_draft_and_its_handle_must_be_free() {
    let db = test_db().await;
    let version = scalar(&db, VERSION).await;
    let id = edit::create(
        &db,
        &alpha(),
        &fields("Wool Throw", "", "draft"),
        Some("t1"),
    )
    .await
    .unwrap();
    let made = edit::one(&db, &alpha(), &id).await.unwrap();
    assert_eq!(
        (made.handle.as_str(), made.status),
        ("wool-throw", ProductStatus::Draft)
    );
    assert_eq!(made.description, "Woven in Portugal.");
    assert!(made.variants.is_empty());
    assert!(
        scalar(&db, VERSION).await > version,
        "the catalog version moved"
    );
    let event: serde_json::Value = db
        .query_one(
            "SELECT payload FROM outbox WHERE topic = 'product.created'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(event["payload"]["product_id"], id.as_str());
    assert_eq!(event["payload"]["handle"], "wool-throw");
    assert_eq!(event["trace_id"], "t1");

    let again = edit::create(&db, &alpha(), &fields("Wool Throw", "", "draft"), None).await;
    let err = again.unwrap_err();
    assert_eq!(err.status(), 409);
    assert_eq!(err.body().code, ErrorCode::DuplicateHandle);
    // Another store may use the same handle.
    let beta = StoreId::parse("store_BETA").unwrap();
    edit::create(&db, &beta, &fields("Wool Throw", "", "draft"), None)
        .await
        .unwrap();
    // Nothing to sell yet: not published.
    let published = edit::create(&db, &alpha(), &fields("Rug", "", "published"), None).await;
    assert_eq!(
        published.unwrap_err().body().param.as_deref(),
        Some("status")
    );
}

#[tokio::test]
async fn a_change_moves_the_document_and_says_what_changed() {
    let db = test_db().await;
    let id = ProductId::parse("prod_A1").unwrap();
    let before = edit::one(&db, &alpha(), &id).await.unwrap();
    assert!(!before.variants.is_empty());
    let revision = "SELECT revision FROM product_docs WHERE product_id = 'prod_A1'";
    let old_revision = scalar(&db, revision).await;
    let mut changed = fields("Linen Shirt, washed", &before.handle, "published");
    changed.description = before.description.clone();
    changed.subtitle = Some("Soft from the first day".into());
    let was = edit::update(&db, &alpha(), &id, &changed, None)
        .await
        .unwrap();
    assert_eq!(was.title, before.title);
    let doc: serde_json::Value = db
        .query_one(
            "SELECT doc FROM product_docs WHERE product_id = 'prod_A1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(doc["title"], "Linen Shirt, washed");
    assert!(scalar(&db, revision).await > old_revision);
    let event: serde_json::Value = db
        .query_one(
            "SELECT payload FROM outbox WHERE topic = 'product.updated'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let changes = &event["payload"]["changes"];
    assert_eq!(changes["title"][1], "Linen Shirt, washed");
    assert_eq!(changes["subtitle"][1], "Soft from the first day");
    assert!(
        changes.get("handle").is_none() && changes.get("status").is_none(),
        "{changes}"
    );

    // The same again changes nothing and sends nothing.
    edit::update(&db, &alpha(), &id, &changed, None)
        .await
        .unwrap();
    let events = scalar(
        &db,
        "SELECT count(*) FROM outbox WHERE topic = 'product.updated'",
    )
    .await;
    assert_eq!(events, 1);

    // Another product's handle is refused; another store's product is not found.
    let other = edit::one(&db, &alpha(), &ProductId::parse("prod_A2").unwrap())
        .await
        .unwrap();
    let mut taken = changed.clone();
    taken.handle = commerce::params::Handle::parse(&other.handle).unwrap();
    let err = edit::update(&db, &alpha(), &id, &taken, None)
        .await
        .unwrap_err();
    assert_eq!(err.body().code, ErrorCode::DuplicateHandle);
    let foreign = ProductId::parse("prod_B1").unwrap();
    let err = edit::update(&db, &alpha(), &foreign, &changed, None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
}

#[tokio::test]
async fn the_admin_list_finds_drafts_too() {
    let db = test_db().await;
    let id = edit::create(
        &db,
        &alpha(),
        &fields("Quiet Draft Lamp", "", "draft"),
        None,
    )
    .await
    .unwrap();
    let page = Page {
        limit: 20,
        offset: 0,
    };
    let filter = AdminProductFilter {
        q: Some(SearchText::parse("draft lamp").unwrap()),
        status: Some(ProductStatus::Draft),
    };
    let (rows, total) = edit::list(&db, &alpha(), &filter, page).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(rows[0].id, id);
    assert_eq!(rows[0].variant_count, 0);
    let (all, _) = edit::list(&db, &alpha(), &AdminProductFilter::default(), page)
        .await
        .unwrap();
    assert_eq!(all[0].id, id, "the latest change first");
    assert!(
        all.iter().all(|p| p.id.as_str() != "prod_B1"),
        "only the store's own"
    );
}

#[tokio::test]
async fn a_variant_with_prices_makes_a_draft_publishable() {
    use commerce::catalog::edit::variant::{self, VariantInput};
    let db = test_db().await;
    let id = edit::create(&db, &alpha(), &fields("Wool Throw", "", "draft"), None)
        .await
        .unwrap();
    let currencies = variant::store_currencies(&db, &alpha()).await.unwrap();
    assert!(!currencies.is_empty());
    let priced = |sku: &str| VariantInput {
        title: "Oat".into(),
        sku: sku.into(),
        manage_inventory: true,
        prices: currencies
            .iter()
            .map(|c| (c.as_str().to_owned(), "59.00".to_owned()))
            .collect(),
        ..VariantInput::default()
    };
    let taken = variant::add_variant(
        &db,
        &alpha(),
        &id,
        &priced("A1-M").check(&currencies).unwrap(),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(taken.body().code, ErrorCode::DuplicateSku);
    let made = variant::add_variant(
        &db,
        &alpha(),
        &id,
        &priced("THROW-OAT").check(&currencies).unwrap(),
        Some("t2"),
    )
    .await
    .unwrap();
    let product = edit::one(&db, &alpha(), &id).await.unwrap();
    assert_eq!(product.variants.len(), 1);
    assert_eq!(product.variants[0].id, made);
    let prices = scalar(
        &db,
        &format!(
            "SELECT count(*) FROM variant_prices WHERE variant_id = '{}' AND amount = 5900",
            made.as_str()
        ),
    )
    .await;
    assert_eq!(prices, currencies.len() as i64);
    // Now it may be published, and its document carries the variant.
    edit::update(
        &db,
        &alpha(),
        &id,
        &fields("Wool Throw", "wool-throw", "published"),
        None,
    )
    .await
    .unwrap();
    let doc: serde_json::Value = db
        .query_one(
            "SELECT doc FROM product_docs WHERE product_id = $1",
            &[&id.as_str()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(doc["variants"][0]["sku"], "THROW-OAT");
    assert_eq!(doc["status"], "published");
    // Not to another store's product.
    let foreign = ProductId::parse("prod_B1").unwrap();
    let err = variant::add_variant(
        &db,
        &alpha(),
        &foreign,
        &priced("X-1").check(&currencies).unwrap(),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 404);
}

#[tokio::test]
async fn images_are_added_ordered_and_removed_and_the_first_is_the_list_image() {
    use commerce::catalog::edit::images::{self, ImageFile, ImageFormat};
    use commerce::inventory::location::Move;
    let db = test_db().await;
    let id = edit::create(&db, &alpha(), &fields("Wool Throw", "", "draft"), None)
        .await
        .unwrap();
    let file = |key: &str| ImageFile {
        format: ImageFormat::Png,
        width: 800,
        height: 600,
        key: key.into(),
    };
    let front = images::add_image(&db, &alpha(), &id, &file("uploads/a.png"), "Front", None)
        .await
        .unwrap();
    let back = images::add_image(&db, &alpha(), &id, &file("uploads/b.png"), "", None)
        .await
        .unwrap();
    assert_eq!(thumbnail(&db, &id).await.as_deref(), Some("uploads/a.png"));
    images::move_image(&db, &alpha(), &id, &back, Move::Up, None)
        .await
        .unwrap();
    assert_eq!(thumbnail(&db, &id).await.as_deref(), Some("uploads/b.png"));
    images::set_alt(&db, &alpha(), &id, &back, "Back", None)
        .await
        .unwrap();
    let product = edit::one(&db, &alpha(), &id).await.unwrap();
    let shown: Vec<(&str, &str)> = product
        .images
        .iter()
        .map(|i| (i.key.as_str(), i.alt.as_str()))
        .collect();
    assert_eq!(
        shown,
        [("uploads/b.png", "Back"), ("uploads/a.png", "Front")]
    );
    let doc: serde_json::Value = db
        .query_one(
            "SELECT doc FROM product_docs WHERE product_id = $1",
            &[&id.as_str()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(doc["images"].as_array().unwrap().len(), 2);

    // The same file on another product: removing one image keeps the stored file.
    let other = edit::create(&db, &alpha(), &fields("Wool Rug", "", "draft"), None)
        .await
        .unwrap();
    images::add_image(&db, &alpha(), &other, &file("uploads/a.png"), "", None)
        .await
        .unwrap();
    let removed = images::remove_image(&db, &alpha(), &id, &front, None)
        .await
        .unwrap();
    assert!(removed.still_used);
    let removed = images::remove_image(&db, &alpha(), &id, &back, None)
        .await
        .unwrap();
    assert_eq!(
        (removed.key.as_str(), removed.still_used),
        ("uploads/b.png", false)
    );
    assert_eq!(thumbnail(&db, &id).await, None, "no image, no list image");
    // Another store's product: not found.
    let foreign = ProductId::parse("prod_B1").unwrap();
    let err = images::add_image(&db, &alpha(), &foreign, &file("uploads/c.png"), "", None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
}

async fn thumbnail(db: &Client, id: &ProductId) -> Option<String> {
    edit::one(db, &alpha(), id).await.unwrap().thumbnail_key
}

#[tokio::test]
async fn educational_content_is_kept_as_typed_and_read_with_the_product() {
    use commerce::catalog::product::{self, ProductKey};
    let db = test_db().await;
    let id = ProductId::parse("prod_A1").unwrap();
    let before = edit::one(&db, &alpha(), &id).await.unwrap();
    assert_eq!(before.educational_content, "");
    let typed = "## Care\r\nWash **cold**.\r\n\r\n- Line dry\r\n<script>x</script>\r\n";
    let mut changed = fields(&before.title, &before.handle, before.status.as_str());
    changed.description = before.description.clone();
    changed.subtitle = before.subtitle.clone();
    changed.educational_content = ProductInput {
        title: "x".into(),
        educational_content: typed.into(),
        ..ProductInput::default()
    }
    .check()
    .unwrap()
    .educational_content;
    edit::update(&db, &alpha(), &id, &changed, None)
        .await
        .unwrap();
    let kept = "## Care\nWash **cold**.\n\n- Line dry\n<script>x</script>";
    assert_eq!(
        edit::one(&db, &alpha(), &id)
            .await
            .unwrap()
            .educational_content,
        kept
    );
    // The shoppers' read (the kept document) has it; the HTML escapes what was typed.
    let read = product::get(&db, &alpha(), &ProductKey::Id(id.clone()), None)
        .await
        .unwrap();
    assert_eq!(read.educational_content, kept);
    let html = commerce::catalog::rich_text::to_html(&read.educational_content);
    assert_eq!(
        html,
        "<h3>Care</h3>\n<p>Wash <strong>cold</strong>.</p>\n<ul>\n<li>Line dry</li>\n</ul>\n<p>&lt;script&gt;x&lt;/script&gt;</p>\n"
    );
    let event: serde_json::Value = db
        .query_one(
            "SELECT payload FROM outbox WHERE topic = 'product.updated'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        event["payload"]["changes"]["educational_content"],
        serde_json::json!([0, kept.len()])
    );
}
