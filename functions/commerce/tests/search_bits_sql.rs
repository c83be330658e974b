//! Search answered from bitmaps (migration 0029) gives what search by rows gives: the
//! same page in the same order, the same total and the same menus, for common words,
//! typos, prefixes and several words, at every depth of the results; and it stays so
//! within the transaction of each catalog and stock change.

mod common;

use commerce::catalog::product::{self, Facets, ProductFilter};
use commerce::ids::{CategoryId, CollectionId, StoreId};
use commerce::money::CurrencyCode;
use commerce::params::{Page, SearchText};
use common::test_db;
use tokio_postgres::Client;

/// 1,200 products in store_ALPHA: every description says "generated" and "sturdy" or
/// "breezy" (600 each: common words), a quarter of the titles say "Sturdy" (the same
/// word in a better field), titles' other words are rare; some drafts, categories, a
/// collection, prices and stock that vary, and creation times that tie.
const CATALOG: &str = "
    INSERT INTO products (id, store_id, handle, title, description, status, collection_id,
                          created_at)
    SELECT 'prod_G' || i, 'store_ALPHA', 'generated-' || i,
           (ARRAY['Field', 'Sturdy', 'Canvas', 'Linen'])[i % 4 + 1] || ' '
               || (ARRAY['Jacket', 'Jackets', 'Shirt', 'Bag', 'Coat'])[i % 5 + 1],
           'Generated ' || (ARRAY['sturdy', 'breezy'])[i % 2 + 1]
               || CASE WHEN i % 7 = 0 THEN ' jacket' ELSE '' END,
           CASE WHEN i % 50 = 0 THEN 'draft' ELSE 'published' END,
           CASE WHEN i % 3 = 0 THEN 'pcol_ASUMMER' END,
           now() - (i % 10) * interval '1 hour'
    FROM generate_series(1, 1200) i;
    INSERT INTO product_category_products (store_id, category_id, product_id)
    SELECT 'store_ALPHA', CASE WHEN i % 2 = 0 THEN 'pcat_ASHIRTS' ELSE 'pcat_ACLOTHES' END,
           'prod_G' || i
    FROM generate_series(1, 1200) i WHERE i % 5 <> 0;
    INSERT INTO product_variants (id, store_id, product_id, title, sku, manage_inventory,
                                  allow_backorder, rank)
    SELECT 'variant_G' || i, 'store_ALPHA', 'prod_G' || i, 'One size', 'G-' || i,
           i % 4 <> 0, false, 0
    FROM generate_series(1, 1200) i;
    INSERT INTO variant_prices (id, store_id, variant_id, currency_code, amount)
    SELECT 'price_G' || i, 'store_ALPHA', 'variant_G' || i, 'eur', 500 + i * 37
    FROM generate_series(1, 1200) i;
    INSERT INTO inventory_levels (store_id, variant_id, location_id, stocked, reserved)
    SELECT 'store_ALPHA', 'variant_G' || i, 'sloc_A1', i % 3, 0
    FROM generate_series(1, 1200) i;";

/// Common words alone, with typos, as prefixes, several of them, and one rare word
/// (answered by rows on both sides).
const QUERIES: &[(&str, bool)] = &[
    ("generated", true),
    ("generatd", true),
    ("gen", true),
    ("sturdy", true),
    ("sturdi", true),
    ("generated sturdy", true),
    ("breezy gen", true),
    ("sturdy breezy", true),
    ("generated jacket", false),
];

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

/// Where the searches look: the store, a category, a collection, both, several, and an
/// inactive category (nothing).
const SCOPES: &[(&[&str], &[&str])] = &[
    (&[], &[]),
    (&["pcat_ASHIRTS"], &[]),
    (&[], &["pcol_ASUMMER"]),
    (&["pcat_ASHIRTS", "pcat_ACLOTHES"], &["pcol_ASUMMER"]),
    (&["pcat_AHIDDEN"], &[]),
];

type Listed = (Vec<String>, i64, Facets);

/// The first page of 20.
const FIRST: Page = Page {
    limit: 20,
    offset: 0,
};

/// A page of `q` with its menus, from bitmaps when `bits` (they must be able to answer
/// it when `common`) or from rows.
async fn listed(db: &Client, q: &str, common: bool, page: Page, bits: bool) -> Listed {
    listed_in(db, q, SCOPES[0], common, page, bits).await
}

/// [`listed`] within categories and collections (none: the store).
async fn listed_in(
    db: &Client,
    q: &str,
    (categories, collections): (&[&str], &[&str]),
    common: bool,
    page: Page,
    bits: bool,
) -> Listed {
    let store = alpha();
    let mut filter = ProductFilter {
        q: Some(SearchText::parse(q).unwrap()),
        category_ids: (!categories.is_empty()).then(|| {
            categories
                .iter()
                .map(|c| CategoryId::parse(c).unwrap())
                .collect()
        }),
        collection_ids: (!collections.is_empty()).then(|| {
            collections
                .iter()
                .map(|c| CollectionId::parse(c).unwrap())
                .collect()
        }),
        ..Default::default()
    };
    filter.resolve(db, &store).await.unwrap();
    let resolved = filter.search.as_mut().unwrap();
    assert_eq!(resolved.common, common, "q={q:?}");
    resolved.common &= bits;
    let (products, total, menus) = product::list_with_facets(
        db,
        &store,
        &filter,
        &filter,
        None,
        page,
        CurrencyCode::parse("eur").ok(),
        30,
    )
    .await
    .unwrap();
    let ids = products
        .into_iter()
        .map(|p| p.id.as_str().to_owned())
        .collect();
    (ids, total, menus)
}

/// Every query at several depths, in every scope: bitmaps and rows agree.
async fn both_agree(db: &Client) {
    for &(q, common) in QUERIES {
        for &scope in SCOPES {
            for offset in [0, 20, 580, 1170, 1300] {
                let page = Page { limit: 20, offset };
                let by_bits = listed_in(db, q, scope, common, page, true).await;
                let by_rows = listed_in(db, q, scope, common, page, false).await;
                assert_eq!(by_bits, by_rows, "q={q:?} scope={scope:?} offset={offset}");
            }
        }
    }
}

#[tokio::test]
async fn bitmaps_and_rows_give_the_same_pages_totals_and_menus() {
    let db = test_db().await;
    db.batch_execute(CATALOG).await.unwrap();
    let (first, total, menus) = listed(&db, "generated", true, FIRST, true).await;
    // Not an empty agreement: every published product, its menus counted.
    assert_eq!(total, 1176);
    assert_eq!(first.len(), 20);
    assert!(menus.in_stock > 0 && !menus.categories.is_empty() && !menus.prices.is_empty());
    both_agree(&db).await;
}

#[tokio::test]
async fn bitmaps_follow_catalog_and_stock_changes_in_their_transaction() {
    let db = test_db().await;
    db.batch_execute(CATALOG).await.unwrap();
    db.batch_execute(
        "BEGIN;
         -- A word leaves titles, products are unpublished, deleted, published again.
         UPDATE products SET title = 'Plain Coat' WHERE id IN ('prod_G1', 'prod_G5', 'prod_G9');
         UPDATE products SET status = 'draft' WHERE id IN ('prod_G2', 'prod_G4');
         UPDATE products SET status = 'published' WHERE id = 'prod_G50';
         DELETE FROM products WHERE id IN ('prod_G3', 'prod_G1200');
         -- Added: numbered after every other, so first among equals.
         INSERT INTO products (id, store_id, handle, title, description, status)
         VALUES ('prod_NEW', 'store_ALPHA', 'new-one', 'Sturdy Tote', 'Generated breezy', 'published');
         -- Stock sells out and comes back; a product changes collection and category.
         UPDATE inventory_levels SET stocked = 0 WHERE variant_id IN ('variant_G5', 'variant_G7');
         UPDATE inventory_levels SET stocked = 5 WHERE variant_id = 'variant_G6';
         UPDATE products SET collection_id = NULL WHERE id = 'prod_G6';
         DELETE FROM product_category_products WHERE product_id = 'prod_G8';",
    )
    .await
    .unwrap();
    let (first, total, _) = listed(&db, "generated", true, FIRST, true).await;
    // Two unpublished, one published, one published deleted (the other a draft), one added.
    assert_eq!(total, 1176 - 2 + 1 - 1 + 1);
    assert_eq!(first[0], "prod_NEW");
    both_agree(&db).await;
    db.batch_execute("COMMIT").await.unwrap();
    // Rebuilt from scratch, the bitmaps are what the triggers kept.
    let kept: Vec<(String, String)> = bitmaps(&db).await;
    db.batch_execute("SELECT search_bits_rebuild('store_ALPHA')")
        .await
        .unwrap();
    assert_eq!(bitmaps(&db).await, kept);
}

/// The store's bitmaps as text, by key.
async fn bitmaps(db: &Client) -> Vec<(String, String)> {
    db.query(
        "SELECT 'w' || field || word AS key, bits::text AS bits FROM search_word_bits
         WHERE store_id = 'store_ALPHA' AND bit_count(bits) > 0
         UNION ALL
         SELECT 'e' || entry, bits::text FROM search_entry_bits
         WHERE store_id = 'store_ALPHA' AND bit_count(bits) > 0
         ORDER BY 1",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn a_store_reads_only_its_own_bitmaps() {
    let db = test_db().await;
    db.batch_execute(CATALOG).await.unwrap();
    let beta = StoreId::parse("store_BETA").unwrap();
    let mut filter = ProductFilter {
        q: Some(SearchText::parse("generated").unwrap()),
        ..Default::default()
    };
    filter.resolve(&db, &beta).await.unwrap();
    assert!(!filter.search.as_ref().unwrap().common);
    let (products, total) = product::list(&db, &beta, &filter, None, FIRST, None)
        .await
        .unwrap();
    assert_eq!((products.len(), total), (0, 0));
}

/// Whether `search_bits_listing` answers `q` with its menus in store_ALPHA (rather than
/// saying rows should).
async fn bits_answer(db: &Client, q: &str) -> bool {
    let mut filter = ProductFilter {
        q: Some(SearchText::parse(q).unwrap()),
        ..Default::default()
    };
    filter.resolve(db, &alpha()).await.unwrap();
    let terms = filter.search.unwrap().terms_json();
    let row = db
        .query_one(
            "SELECT count(*) FROM search_bits_listing('store_ALPHA', $1, 'eur', 20, 0, true, NULL)
             WHERE kind = 'rows'",
            &[&terms],
        )
        .await
        .unwrap();
    row.get::<_, i64>(0) == 0
}

#[tokio::test]
async fn a_store_over_the_entries_bound_is_searched_by_rows_until_the_cron_settles_it() {
    let db = test_db().await;
    db.batch_execute(CATALOG).await.unwrap();
    assert!(bits_answer(&db, "generated").await);
    // The bound lowered to what the store has: one entry more goes over it.
    let entries: i64 = db
        .query_one(
            "SELECT count(*) FROM search_entry_bits WHERE store_id = 'store_ALPHA'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let bound = |n: i64| {
        format!(
            "CREATE OR REPLACE FUNCTION search_bits_entries_max() RETURNS integer
             LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT {n}'"
        )
    };
    db.batch_execute(&bound(entries)).await.unwrap();
    db.batch_execute(
        "INSERT INTO product_categories (id, store_id, parent_id, name, handle, rank, is_active)
         VALUES ('pcat_ANEW', 'store_ALPHA', NULL, 'New', 'new', 2, true);
         INSERT INTO product_category_products (store_id, category_id, product_id)
         VALUES ('store_ALPHA', 'pcat_ANEW', 'prod_G1');",
    )
    .await
    .unwrap();
    assert!(!bits_answer(&db, "generated").await);
    // Answered by rows meanwhile, the new entry counted.
    let (_, total, menus) = listed(&db, "generated", true, FIRST, true).await;
    assert_eq!(total, 1176);
    assert!(menus
        .categories
        .iter()
        .any(|c| c.value == "pcat_ANEW" && c.products == 1));
    // Still over: the cron leaves it; under again: the cron settles it.
    assert_eq!(
        commerce::search::repo::settle_bitmaps(&db).await.unwrap(),
        0
    );
    db.batch_execute(&bound(4000)).await.unwrap();
    assert_eq!(
        commerce::search::repo::settle_bitmaps(&db).await.unwrap(),
        1
    );
    assert!(bits_answer(&db, "generated").await);
    both_agree(&db).await;
}
