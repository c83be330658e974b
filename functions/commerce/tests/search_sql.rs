//! Product search in SQL: the words kept current in the transaction of each catalog
//! change (a title, publishing, unpublishing, deleting), accents ignored, a store's
//! synonyms, and stores kept apart.

mod common;

use commerce::catalog::product;
use commerce::ids::StoreId;
use commerce::money::CurrencyCode;
use commerce::params::{Page, SearchText};
use commerce::search;
use commerce::search::synonyms::SynonymGroups;
use common::{second_connection, test_db, test_db_and_url};
use tokio_postgres::Client;

const PAGE: Page = Page {
    limit: 50,
    offset: 0,
};

fn eur() -> Option<CurrencyCode> {
    CurrencyCode::parse("eur").ok()
}

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

async fn found(db: &Client, store: &StoreId, q: &str) -> Vec<String> {
    let filter = product::ProductFilter {
        q: Some(SearchText::parse(q).unwrap()),
        ..Default::default()
    };
    let page = Page {
        limit: 50,
        offset: 0,
    };
    let (products, count) = product::list(db, store, &filter, None, page, None)
        .await
        .unwrap();
    assert_eq!(usize::try_from(count).unwrap(), products.len());
    products
        .into_iter()
        .map(|p| p.id.as_str().to_owned())
        .collect()
}

#[tokio::test]
async fn a_catalog_change_is_searchable_in_its_own_transaction() {
    let db = test_db().await;
    let a = alpha();
    assert_eq!(found(&db, &a, "linen").await, ["prod_A1"]);
    assert!(found(&db, &a, "creme").await.is_empty());
    // Renamed: the new words at once, the old ones gone.
    db.batch_execute("BEGIN; UPDATE products SET title = 'Crème T-Shirt' WHERE id = 'prod_A2';")
        .await
        .unwrap();
    assert_eq!(found(&db, &a, "CREME").await, ["prod_A2"]);
    assert_eq!(found(&db, &a, "crème t-shirt").await, ["prod_A2"]);
    assert!(found(&db, &a, "wool").await.is_empty());
    db.batch_execute("COMMIT").await.unwrap();
    // A draft is not found until published, and not after it is unpublished.
    assert!(found(&db, &a, "secret").await.is_empty());
    db.batch_execute("UPDATE products SET status = 'published' WHERE id = 'prod_A4'")
        .await
        .unwrap();
    assert_eq!(found(&db, &a, "secret").await, ["prod_A4"]);
    db.batch_execute("UPDATE products SET status = 'draft' WHERE id = 'prod_A4'")
        .await
        .unwrap();
    assert!(found(&db, &a, "secret").await.is_empty());
    // Deleted: its words go with it.
    db.batch_execute("DELETE FROM products WHERE id = 'prod_A3'")
        .await
        .unwrap();
    let left: i64 = db
        .query_one(
            "SELECT count(*) FROM product_search_terms WHERE product_id = 'prod_A3'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    assert!(found(&db, &a, "canvas").await.is_empty());
}

#[tokio::test]
async fn a_stores_synonyms_widen_its_words_only() {
    let db = test_db().await;
    let a = alpha();
    db.batch_execute("UPDATE products SET title = 'Organic T-Shirt' WHERE id = 'prod_A2'")
        .await
        .unwrap();
    assert!(found(&db, &a, "tee").await.is_empty());
    let catalog_version = async |db: &Client| -> i64 {
        db.query_one(
            "SELECT catalog_version FROM stores WHERE id = 'store_ALPHA'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    };
    let before = catalog_version(&db).await;
    let groups = SynonymGroups::from_text("Tee, T-Shirt").unwrap();
    search::repo::set_synonyms(&db, &a, &groups).await.unwrap();
    assert_eq!(
        search::repo::synonyms(&db, &a).await.unwrap(),
        [vec!["tee".to_owned(), "tshirt".to_owned()]]
    );
    assert_eq!(
        search::repo::written_synonyms(&db, &a).await.unwrap(),
        [vec!["Tee".to_owned(), "T-Shirt".to_owned()]]
    );
    assert!(
        catalog_version(&db).await > before,
        "cached searches are asked afresh"
    );
    assert_eq!(found(&db, &a, "tee").await, ["prod_A2"]);
    assert_eq!(found(&db, &a, "organic tee").await, ["prod_A2"]);
    // Another store's synonyms and products are its own.
    let beta = StoreId::parse("store_BETA").unwrap();
    assert!(found(&db, &beta, "tee").await.is_empty());
    assert_eq!(found(&db, &beta, "linen").await, ["prod_B1"]);
    assert_eq!(found(&db, &a, "linen").await, ["prod_A1"]);
    // Replaced, not added to.
    search::repo::set_synonyms(&db, &a, &SynonymGroups::default())
        .await
        .unwrap();
    assert!(found(&db, &a, "tee").await.is_empty());
}

#[tokio::test]
async fn a_query_resolves_to_its_words_candidates() {
    let db = test_db().await;
    let q = SearchText::parse("Linnen coat-s bagz").unwrap();
    let r = search::repo::resolve(&db, &alpha(), &q).await.unwrap();
    assert_eq!(r.words, ["linnen", "coat", "s", "bagz"]);
    // "bagz" is too short for a typo and no word begins with it; "s" is a size.
    assert_eq!(r.unknown, ["bagz"]);
    let kept: Vec<(&str, u8)> = r.terms.iter().map(|t| (t.word.as_str(), t.typos)).collect();
    assert_eq!(kept, [("linen", 1), ("coat", 0), ("s", 0)]);
}

#[tokio::test]
async fn facet_counts_are_those_of_the_search_results() {
    let db = test_db().await;
    let a = alpha();
    for q in ["linen", "coat", "shirt linen", "bag", "s", "canvas warm"] {
        let filter = product::ProductFilter {
            q: Some(SearchText::parse(q).unwrap()),
            ..Default::default()
        };
        let ids = found(&db, &a, q).await;
        let all = product::facets(&db, &a, &filter, eur(), 100).await.unwrap();
        let facets = &all.options;
        let mut counted: Vec<(String, String, i64)> = facets
            .iter()
            .flat_map(|f| {
                f.values
                    .iter()
                    .map(|v| (f.name.clone(), v.value.to_lowercase(), v.products))
            })
            .collect();
        counted.sort();
        // By brute force: every option value of every product found, counted by hand.
        let rows = db
            .query(
                "SELECT lower(o.title), lower(ov.value), p.id FROM products p
                 JOIN product_options o ON o.product_id = p.id
                 JOIN product_option_values ov ON ov.option_id = o.id
                 WHERE p.id = ANY($1)",
                &[&ids],
            )
            .await
            .unwrap();
        let mut by_value: std::collections::BTreeMap<
            (String, String),
            std::collections::BTreeSet<String>,
        > = Default::default();
        for r in &rows {
            by_value
                .entry((r.get(0), r.get(1)))
                .or_default()
                .insert(r.get(2));
        }
        let brute: Vec<(String, String, i64)> = by_value
            .into_iter()
            .map(|((n, v), ps)| (n, v, i64::try_from(ps.len()).unwrap()))
            .collect();
        assert_eq!(counted, brute, "q={q:?} found {ids:?}");

        // Categories, collections and availability, by hand over the same products.
        let by_hand = |sql: &'static str| {
            let db = &db;
            let ids = &ids;
            async move {
                let rows = db.query(sql, &[ids]).await.unwrap();
                rows.iter()
                    .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
                    .collect::<Vec<_>>()
            }
        };
        let sorted = |values: &[product::FacetValue]| {
            let mut v: Vec<(String, i64)> = values
                .iter()
                .map(|v| (v.value.clone(), v.products))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            sorted(&all.categories),
            by_hand(
                "SELECT c.id, count(*) FROM product_category_products pc
                 JOIN product_categories c ON c.id = pc.category_id AND c.is_active
                 WHERE pc.product_id = ANY($1) GROUP BY c.id ORDER BY c.id"
            )
            .await,
            "categories of q={q:?}"
        );
        assert_eq!(
            sorted(&all.collections),
            by_hand(
                "SELECT collection_id, count(*) FROM products
                 WHERE id = ANY($1) AND collection_id IS NOT NULL
                 GROUP BY collection_id ORDER BY collection_id"
            )
            .await,
            "collections of q={q:?}"
        );
        let in_stock = by_hand(
            "SELECT 'in stock', count(*) FROM products p WHERE p.id = ANY($1) AND EXISTS (
                 SELECT 1 FROM product_variants v WHERE v.product_id = p.id
                 AND (NOT v.manage_inventory OR (SELECT sum(stocked - reserved)
                      FROM inventory_levels WHERE variant_id = v.id) > 0))",
        )
        .await;
        assert_eq!(all.in_stock, in_stock[0].1, "in stock of q={q:?}");
        // Each price range counts what its own filter lists; together they cover
        // every product found with a price in euros.
        let mut priced = std::collections::BTreeSet::new();
        for range in &all.prices {
            let narrowed = product::ProductFilter {
                price_min: Some(range.min),
                price_max: Some(range.max),
                ..filter.clone()
            };
            let (listed, total) = product::list(&db, &a, &narrowed, None, PAGE, eur())
                .await
                .unwrap();
            assert_eq!(total, range.products, "q={q:?} range {range:?}");
            priced.extend(listed.into_iter().map(|p| p.id.as_str().to_owned()));
        }
        let with_euro_price = by_hand(
            "SELECT p.id, 1::int8 FROM products p WHERE p.id = ANY($1) AND EXISTS (
                 SELECT 1 FROM product_variants v JOIN variant_prices vp ON vp.variant_id = v.id
                 WHERE v.product_id = p.id AND vp.currency_code = 'eur') ORDER BY p.id",
        )
        .await;
        assert_eq!(
            priced.into_iter().collect::<Vec<_>>(),
            with_euro_price
                .into_iter()
                .map(|(id, _)| id)
                .collect::<Vec<_>>(),
            "price ranges of q={q:?}"
        );
    }
}

/// The price ranges of a listing's menus as (lowest, highest, products).
fn ranges(menus: &product::Facets) -> Vec<(i64, i64, i64)> {
    menus
        .prices
        .iter()
        .map(|r| (r.min, r.max, r.products))
        .collect()
}

#[tokio::test]
async fn price_ranges_step_by_one_two_and_five() {
    let db = test_db().await;
    // Euro prices of store alpha's published products: 24.50 (two sizes), 199.00, 15.00.
    let all = product::facets(&db, &alpha(), &product::ProductFilter::default(), eur(), 30)
        .await
        .unwrap();
    assert_eq!(
        ranges(&all),
        [(1000, 1999, 1), (2000, 4999, 1), (10000, 19999, 1)]
    );
    // Without a currency there are no prices to range.
    let none = product::facets(&db, &alpha(), &product::ProductFilter::default(), None, 30)
        .await
        .unwrap();
    assert!(none.prices.is_empty());
}

#[tokio::test]
async fn menus_follow_a_catalog_change_in_its_own_transaction() {
    let db = test_db().await;
    let menus = async |db: &Client| {
        product::facets(db, &alpha(), &product::ProductFilter::default(), eur(), 30)
            .await
            .unwrap()
    };
    db.batch_execute(
        "BEGIN;
         UPDATE variant_prices SET amount = 55000 WHERE id = 'price_A2EUR';
         DELETE FROM product_category_products WHERE product_id = 'prod_A2';
         INSERT INTO product_category_products (store_id, category_id, product_id)
           VALUES ('store_ALPHA', 'pcat_ASHIRTS', 'prod_A2');",
    )
    .await
    .unwrap();
    let changed = menus(&db).await;
    assert_eq!(
        ranges(&changed),
        [(1000, 1999, 1), (2000, 4999, 1), (50000, 99999, 1)]
    );
    let shirts = changed
        .categories
        .iter()
        .find(|c| c.value == "pcat_ASHIRTS")
        .map(|c| c.products);
    assert_eq!(shirts, Some(2));
    db.batch_execute("ROLLBACK").await.unwrap();
    // Unpublished: gone from the menus too.
    db.batch_execute("UPDATE products SET status = 'draft' WHERE id = 'prod_A3'")
        .await
        .unwrap();
    let after = menus(&db).await;
    assert!(
        after.collections.iter().all(|c| c.products == 1),
        "{after:?}"
    );
    assert_eq!(
        after.prices.iter().map(|r| r.min).collect::<Vec<_>>(),
        [2000, 10000]
    );
}

#[tokio::test]
async fn suggestions_offer_titles_first_in_the_words_order() {
    let db = test_db().await;
    let a = alpha();
    let suggest = async |db: &Client, q: &str, limit: i64| -> Vec<String> {
        let (products, _) = search::repo::suggest(db, &a, &SearchText::parse(q).unwrap(), limit)
            .await
            .unwrap();
        products.into_iter().map(|p| p.title).collect()
    };
    db.batch_execute(
        "BEGIN;
         INSERT INTO products (id, store_id, handle, title, description, status) VALUES
           ('prod_S1', 'store_ALPHA', 'cotton-coat', 'Cotton Coat', 'Long', 'published'),
           ('prod_S2', 'store_ALPHA', 'coral-scarf', 'Coral Scarf', 'Soft', 'published'),
           ('prod_S3', 'store_ALPHA', 'cotton-tee', 'Cotton Tee', 'Short', 'published'),
           ('prod_S4', 'store_ALPHA', 'wool-wrap', 'Wool Wrap', 'Cotton lined', 'published'),
           ('prod_S5', 'store_ALPHA', 'cotton-draft', 'Cotton Draft', '', 'draft'),
           ('prod_S6', 'store_BETA', 'cotton-cap', 'Cotton Cap', '', 'published');",
    )
    .await
    .unwrap();
    // Titles with a word beginning "co" by word (coat, coral, cotton), then products
    // carrying one in their descriptions ("cool", "cotton"); never a draft or another
    // store's.
    assert_eq!(
        suggest(&db, "co", 6).await,
        [
            "Wool Coat",
            "Cotton Coat",
            "Coral Scarf",
            "Cotton Tee",
            "Linen Shirt",
            "Wool Wrap"
        ]
    );
    assert_eq!(suggest(&db, "co", 2).await, ["Wool Coat", "Cotton Coat"]);
    // Every word, the earlier ones with their typos; the title carrying both first.
    assert_eq!(
        suggest(&db, "cottn co", 6).await,
        ["Cotton Coat", "Cotton Tee", "Wool Wrap"]
    );
    // The word typed whole before the words it begins.
    assert_eq!(suggest(&db, "wool", 6).await, ["Wool Coat", "Wool Wrap"]);
    assert!(suggest(&db, "zzz", 6).await.is_empty());
    db.batch_execute("ROLLBACK").await.unwrap();
}

#[tokio::test]
async fn the_in_stock_count_follows_stock_in_its_own_transaction() {
    let db = test_db().await;
    // A1 (12 of size S free) and A3 (stock not tracked) can ship; A2 has its 2 reserved.
    assert_eq!(in_stock(&db).await, (2, 2));
    db.batch_execute("BEGIN").await.unwrap();
    let steps = [
        // A checkout holds the last free units of A1's size S (size M has none).
        (
            "UPDATE inventory_levels SET reserved = stocked WHERE variant_id = 'variant_A1S'",
            1,
        ),
        // A2 receives three; then a location of A1 gets one back.
        (
            "UPDATE inventory_levels SET stocked = 5 WHERE variant_id = 'variant_A2'",
            2,
        ),
        (
            "INSERT INTO stock_locations (id, store_id, name)
               VALUES ('sloc_A9', 'store_ALPHA', 'Annex');
             INSERT INTO inventory_levels (store_id, variant_id, location_id, stocked, reserved)
               VALUES ('store_ALPHA', 'variant_A1M', 'sloc_A9', 1, 0)",
            3,
        ),
        // A3 starts tracking stock it has none of; A2's level goes.
        (
            "UPDATE product_variants SET manage_inventory = true WHERE id = 'variant_A3'",
            2,
        ),
        (
            "DELETE FROM inventory_levels WHERE variant_id = 'variant_A2'",
            1,
        ),
        // Nothing changes when stock moves without crossing zero.
        (
            "UPDATE inventory_levels SET stocked = 4 WHERE variant_id = 'variant_A1M'",
            1,
        ),
    ];
    for (sql, expected) in steps {
        db.batch_execute(sql).await.unwrap();
        assert_eq!(in_stock(&db).await, (expected, expected), "after {sql}");
    }
    db.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(in_stock(&db).await, (2, 2));
}

/// Store alpha's "in stock" count in its menus, and the same count by hand over its
/// published products.
async fn in_stock(db: &Client) -> (i64, i64) {
    let menus = product::facets(db, &alpha(), &product::ProductFilter::default(), eur(), 30)
        .await
        .unwrap();
    let by_hand: i64 = db
        .query_one(
            "SELECT count(*) FROM products p
             WHERE p.store_id = 'store_ALPHA' AND p.status = 'published' AND EXISTS (
                 SELECT 1 FROM product_variants v WHERE v.product_id = p.id
                 AND (NOT v.manage_inventory OR (SELECT coalesce(sum(stocked - reserved), 0)
                      FROM inventory_levels WHERE variant_id = v.id) > 0))",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    (menus.in_stock, by_hand)
}

#[tokio::test]
async fn the_scheduled_repair_settles_what_two_concurrent_sell_outs_leave() {
    let (db, url) = test_db_and_url().await;
    let other = second_connection(&url).await;
    // A1's two sizes both have a unit free.
    db.batch_execute("UPDATE inventory_levels SET stocked = 1 WHERE variant_id = 'variant_A1M'")
        .await
        .unwrap();
    assert_eq!(in_stock(&db).await, (2, 2));
    // Two checkouts take the last of each size at the same moment: each sees the other
    // size still free, so neither removes A1's entry.
    db.batch_execute(
        "BEGIN; UPDATE inventory_levels SET reserved = stocked WHERE variant_id = 'variant_A1S'",
    )
    .await
    .unwrap();
    other
        .batch_execute(
            "BEGIN; UPDATE inventory_levels SET reserved = stocked WHERE variant_id = 'variant_A1M'",
        )
        .await
        .unwrap();
    db.batch_execute("COMMIT").await.unwrap();
    other.batch_execute("COMMIT").await.unwrap();
    assert_eq!(in_stock(&db).await, (2, 1), "the race's leftover");
    // The cron's repair looks at products whose stock moved lately: A1 is corrected.
    assert_eq!(
        search::repo::repair_stock_entries(&db, search::repo::STOCK_REPAIR_MINUTES)
            .await
            .unwrap(),
        1
    );
    assert_eq!(in_stock(&db).await, (1, 1));
    assert_eq!(
        search::repo::repair_stock_entries(&db, search::repo::STOCK_REPAIR_MINUTES)
            .await
            .unwrap(),
        0
    );
    // Stock that moved before the window is not read.
    db.batch_execute(
        "UPDATE inventory_levels SET updated_at = now() - interval '1 hour';
         UPDATE product_facet_entries SET entries = array_append(entries, 's')
         WHERE product_id = 'prod_A1'",
    )
    .await
    .unwrap();
    assert_eq!(
        search::repo::repair_stock_entries(&db, search::repo::STOCK_REPAIR_MINUTES)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_page_with_its_menus_equals_the_two_asked_apart() {
    use commerce::catalog::product::ProductSort;
    use commerce::params::Direction;
    let db = test_db().await;
    let a = alpha();
    let sorts = [None, Some((ProductSort::Title, Direction::Asc))];
    for q in ["linen", "s", "coat", "bag", "zzzz", "shirt linen"] {
        for sort in sorts {
            let mut scope = product::ProductFilter {
                q: Some(SearchText::parse(q).unwrap()),
                ..Default::default()
            };
            scope.resolve(&db, &a).await.unwrap();
            // A choice narrows the page, not the menus.
            let filter = product::ProductFilter {
                price_min: Some(1000),
                ..scope.clone()
            };
            let (together, total, menus) =
                product::list_with_facets(&db, &a, &filter, &scope, sort, PAGE, eur(), 30)
                    .await
                    .unwrap();
            let (apart, apart_total) = product::list(&db, &a, &filter, sort, PAGE, eur())
                .await
                .unwrap();
            let apart_menus = product::facets(&db, &a, &scope, eur(), 30).await.unwrap();
            let ids = |ps: &[product::Product]| -> Vec<String> {
                ps.iter().map(|p| p.id.as_str().to_owned()).collect()
            };
            assert_eq!(
                (ids(&together), total),
                (ids(&apart), apart_total),
                "q={q:?}"
            );
            assert_eq!(menus, apart_menus, "q={q:?} sort={sort:?}");
        }
    }
    // Past the last page: nothing listed, the total kept, no menus to show.
    let all = product::ProductFilter::default();
    let past = Page {
        limit: 20,
        offset: 40,
    };
    let (products, total, menus) =
        product::list_with_facets(&db, &a, &all, &all, None, past, eur(), 30)
            .await
            .unwrap();
    assert_eq!((products.len(), total), (0, 3));
    assert_eq!(menus, product::Facets::default());
}
