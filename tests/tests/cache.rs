//! How catalog changes reach the edge cache, against `wrangler dev` and its PostgreSQL
//! (DATABASE_URL). scripts/test starts the Worker with short cache times
//! (SITE_TTL_SECONDS=1, PAGE_FRESH_SECONDS=2) and runs this file alone, one test at a
//! time, since each test changes the catalog and puts it back.

use std::time::{Duration, Instant};

use e2e::url;
use reqwest::Client;
use tokio_postgres::NoTls;

const LUMEN: &str = "lumen.localhost";

async fn db() -> tokio_postgres::Client {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL is not set: run scripts/test");
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// (x-cache, body) of a Lumen Home page.
async fn lumen(path: &str) -> (String, String) {
    let res = Client::new()
        .get(url(path))
        .header("host", LUMEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let state = res.headers()["x-cache"].to_str().unwrap().to_owned();
    (state, res.text().await.unwrap())
}

/// Polls `path` until `done` holds for the body, for at most `limit`; returns the
/// x-cache states seen on the way.
async fn until(path: &str, limit: Duration, done: impl Fn(&str, &str) -> bool) -> Vec<String> {
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        let (state, body) = lumen(path).await;
        seen.push(state.clone());
        if done(&state, &body) {
            return seen;
        }
        assert!(
            started.elapsed() < limit,
            "not within {limit:?}; states {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn catalog_version(db: &tokio_postgres::Client) -> i64 {
    db.query_one(
        "SELECT catalog_version FROM stores WHERE id = 'store_LUMENHOME'",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn a_catalog_change_moves_pages_to_new_cache_keys() {
    let db = db().await;
    let row = db
        .query_one(
            "SELECT id, handle, title FROM products WHERE store_id = 'store_LUMENHOME' AND status = 'published' ORDER BY id LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    let (id, handle, title): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    let path = format!("/products/{handle}");
    until(&path, Duration::from_secs(5), |state, _| state == "HIT").await;

    let before = catalog_version(&db).await;
    let renamed = format!("{title} Renamed");
    db.execute(
        "UPDATE products SET title = $2 WHERE id = $1",
        &[&id, &renamed],
    )
    .await
    .unwrap();
    assert_eq!(
        catalog_version(&db).await,
        before + 1,
        "one bump per statement"
    );

    // Within the site record's lifetime (1 s here) plus a render, the page is new.
    let seen = until(&path, Duration::from_secs(8), |_, body| {
        body.contains(&format!("<h1>{renamed}</h1>"))
    })
    .await;
    assert_eq!(seen.last().map(String::as_str), Some("MISS"), "{seen:?}");
    // Listings moved with it.
    let (_, list) = lumen("/products?sort=title").await;
    assert!(list.contains(&renamed));

    db.execute(
        "UPDATE products SET title = $2 WHERE id = $1",
        &[&id, &title],
    )
    .await
    .unwrap();
    until(&path, Duration::from_secs(8), |_, body| {
        body.contains(&format!("<h1>{title}</h1>"))
    })
    .await;
}

#[tokio::test]
async fn stale_pages_are_served_at_once_and_revalidated_behind() {
    let db = db().await;
    // Stock does not bump the catalog version: it reaches pages by revalidation.
    let row = db
        .query_one(
            "SELECT p.id, p.handle FROM products p
             WHERE p.store_id = 'store_LUMENHOME' AND p.status = 'published'
               AND NOT EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id
                               AND (NOT v.manage_inventory OR v.allow_backorder))
               AND EXISTS (SELECT 1 FROM product_variants v JOIN inventory_levels il ON il.variant_id = v.id
                           WHERE v.product_id = p.id AND il.stocked > il.reserved)
             ORDER BY p.id LIMIT 1",
            &[],
        )
        .await
        .expect("a product whose stock is managed and not backordered");
    let (product, handle): (String, String) = (row.get(0), row.get(1));
    let path = format!("/products/{handle}");
    let levels = "SELECT il.variant_id, il.location_id, il.stocked FROM inventory_levels il
                  JOIN product_variants v ON v.id = il.variant_id WHERE v.product_id = $1";
    let saved: Vec<(String, String, i32)> = db
        .query(levels, &[&product])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    until(&path, Duration::from_secs(5), |state, body| {
        state == "HIT" && body.contains(r#"class="stock in""#)
    })
    .await;
    let before = catalog_version(&db).await;
    db.execute(
        "UPDATE inventory_levels SET stocked = reserved
         WHERE variant_id IN (SELECT id FROM product_variants WHERE product_id = $1)",
        &[&product],
    )
    .await
    .unwrap();
    assert_eq!(
        catalog_version(&db).await,
        before,
        "stock does not bump the version"
    );

    // Once the entry is older than PAGE_FRESH_SECONDS (2 s) it is served stale at
    // once, and the next views get the re-rendered page.
    let seen = until(&path, Duration::from_secs(10), |_, body| {
        body.contains("Sold out")
    })
    .await;
    assert!(seen.iter().any(|s| s == "STALE"), "{seen:?}");
    assert!(
        !seen.iter().any(|s| s == "MISS"),
        "never waited for the database: {seen:?}"
    );

    for (variant, location, stocked) in saved {
        db.execute(
            "UPDATE inventory_levels SET stocked = $3 WHERE variant_id = $1 AND location_id = $2",
            &[&variant, &location, &stocked],
        )
        .await
        .unwrap();
    }
}
