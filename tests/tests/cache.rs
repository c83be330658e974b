//! How catalog changes reach the edge cache, against `wrangler dev` and its PostgreSQL
//! (DATABASE_URL). scripts/test starts the Worker with short cache times
//! (SITE_TTL_SECONDS=1, PAGE_FRESH_SECONDS=2) and runs this file alone, one test at a
//! time, since each test changes the catalog and puts it back.

use std::time::{Duration, Instant};

use e2e::{db, url};
use reqwest::Client;

const LUMEN: &str = "lumen.localhost";

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

/// A Store API call to Harbor & Pine: (status, JSON body).
async fn harbor(
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = Client::new()
        .request(method.parse().unwrap(), url(path))
        .header("x-publishable-api-key", e2e::HARBOR_KEY);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// A Harbor & Pine variant priced in eur, stock managed and not backordered, with at
/// least 3 available, away from those the other tests pick: (variant, product).
async fn harbor_variant(db: &tokio_postgres::Client) -> (String, String) {
    let row = db
        .query_one(
            "SELECT v.id, v.product_id FROM product_variants v JOIN products p ON p.id = v.product_id
             JOIN variant_prices vp ON vp.variant_id = v.id AND vp.currency_code = 'eur'
             WHERE p.store_id = 'store_HARBORPINE' AND p.status = 'published'
               AND v.manage_inventory AND NOT v.allow_backorder
               AND (SELECT sum(stocked - reserved) FROM inventory_levels WHERE variant_id = v.id) >= 3
             ORDER BY v.id DESC OFFSET 20 LIMIT 1",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// The variant's eur price in minor units and its stock, as the database has them.
async fn price_and_stock(db: &tokio_postgres::Client, variant: &str) -> (i64, i64) {
    let row = db
        .query_one(
            "SELECT (SELECT amount FROM variant_prices WHERE variant_id = $1 AND currency_code = 'eur'),
                    (SELECT sum(stocked - reserved)::int8 FROM inventory_levels WHERE variant_id = $1)",
            &[&variant],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// The variant as the Store API shows it in product `product` (`fields` given: a new
/// cache key, so uncached; absent: through the edge cache).
async fn api_variant(
    product: &str,
    variant: &str,
    fields: Option<u32>,
) -> Option<serde_json::Value> {
    let extra = fields.map(|n| format!("&fields=t{n}")).unwrap_or_default();
    let (status, body) = harbor(
        "GET",
        &format!("/store/products/{product}?region_id=reg_HPEU{extra}"),
        None,
    )
    .await;
    if status == 404 {
        return None;
    }
    assert_eq!(status, 200, "{body}");
    body["product"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == variant)
        .cloned()
}

/// Price, stock and publication changes reach the uncached Store API with the next
/// request, and the cached one within the configured window.
#[tokio::test]
async fn catalog_changes_reach_uncached_reads_at_once_and_cached_ones_within_the_window() {
    let db = db().await;
    let (variant, product) = harbor_variant(&db).await;
    let (price, stock) = price_and_stock(&db, &variant).await;
    let mut n = std::process::id() * 1000;
    let mut fresh = || {
        n += 1;
        Some(n)
    };
    let cached = api_variant(&product, &variant, None).await.unwrap();
    assert_eq!(cached["inventory_quantity"], stock);

    // Price: uncached at once; cached within SITE_TTL_SECONDS (the catalog version).
    db.execute(
        "UPDATE variant_prices SET amount = amount + 100 WHERE variant_id = $1 AND currency_code = 'eur'",
        &[&variant],
    )
    .await
    .unwrap();
    let now = api_variant(&product, &variant, fresh()).await.unwrap();
    // Major units as the API writes them (20.5 for 2050; 162 for 16200).
    let major = |minor: i64| Some(minor as f64 / 100.0);
    let amount = |v: &serde_json::Value| v["calculated_price"]["calculated_amount"].as_f64();
    assert_eq!(amount(&now), major(price + 100));
    let started = Instant::now();
    loop {
        let seen = api_variant(&product, &variant, None).await.unwrap();
        if amount(&seen) == major(price + 100) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "cached price not updated"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    // Stock set: uncached at once (cached pages follow by revalidation, tested above).
    db.execute(
        "UPDATE inventory_levels SET stocked = stocked + 7 WHERE variant_id = $1
           AND location_id = (SELECT min(location_id) FROM inventory_levels WHERE variant_id = $1)",
        &[&variant],
    )
    .await
    .unwrap();
    let now = api_variant(&product, &variant, fresh()).await.unwrap();
    assert_eq!(now["inventory_quantity"], stock + 7);

    // Unpublished: gone from the uncached reads at once, and from the cached within the
    // window; published again: back.
    db.execute(
        "UPDATE products SET status = 'draft' WHERE id = $1",
        &[&product],
    )
    .await
    .unwrap();
    assert!(api_variant(&product, &variant, fresh()).await.is_none());
    let started = Instant::now();
    while api_variant(&product, &variant, None).await.is_some() {
        assert!(started.elapsed() < Duration::from_secs(8), "still served");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    db.execute(
        "UPDATE products SET status = 'published' WHERE id = $1",
        &[&product],
    )
    .await
    .unwrap();
    assert!(api_variant(&product, &variant, fresh()).await.is_some());

    db.batch_execute(&format!(
        "UPDATE variant_prices SET amount = {price} WHERE variant_id = '{variant}' AND currency_code = 'eur';
         UPDATE inventory_levels SET stocked = stocked - 7 WHERE variant_id = '{variant}'
           AND location_id = (SELECT min(location_id) FROM inventory_levels WHERE variant_id = '{variant}')"
    ))
    .await
    .unwrap();
}

/// A cart keeps what it read of the catalog for a bounded time, but an order is always
/// priced by the catalog as it is: a changed price refuses the checkout with
/// `cart_changed` until the cart shows the new price, and the order then carries it.
#[tokio::test]
async fn a_cart_is_never_charged_a_price_the_catalog_no_longer_has() {
    let db = db().await;
    let (variant, _) = harbor_variant(&db).await;
    let (price, _) = price_and_stock(&db, &variant).await;
    let (status, body) = harbor(
        "POST",
        "/store/carts",
        Some(serde_json::json!({"region_id": "reg_HPEU", "email": "fresh@example.com",
            "items": [{"variant_id": variant, "quantity": 1}],
            "shipping_address": {"first_name": "Ada", "last_name": "Lovelace", "address_1": "Main 1",
                                 "city": "Berlin", "postal_code": "10115", "country_code": "de"}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let cart = body["cart"]["id"].as_str().unwrap().to_owned();
    let (_, options) = harbor(
        "GET",
        &format!("/store/shipping-options?cart_id={cart}"),
        None,
    )
    .await;
    let option = options["shipping_options"][0]["id"].clone();
    let (status, body) = harbor(
        "POST",
        &format!("/store/carts/{cart}/shipping-methods"),
        Some(serde_json::json!({ "option_id": option })),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let raised = price + 300;
    db.execute(
        "UPDATE variant_prices SET amount = $2 WHERE variant_id = $1 AND currency_code = 'eur'",
        &[&variant, &raised],
    )
    .await
    .unwrap();

    let started = Instant::now();
    let order = loop {
        let (status, body) = harbor(
            "POST",
            "/store/payment-collections",
            Some(serde_json::json!({ "cart_id": cart })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let collection = body["payment_collection"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = harbor(
            "POST",
            &format!("/store/payment-collections/{collection}/payment-sessions"),
            Some(serde_json::json!({"provider_id": "pp_system_default",
                                    "data": {"card_number": "4242424242424242"}})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = harbor("POST", &format!("/store/carts/{cart}/complete"), None).await;
        if status == 200 && body["type"] == "order" {
            break body["order"].clone();
        }
        // Refused as a whole (400) or answered with the cart and its error.
        let code = if body["code"].is_string() {
            &body["code"]
        } else {
            &body["error"]["code"]
        };
        assert_eq!(code, "cart_changed", "{status} {body}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the cart never caught up"
        );
        // The shopper looks at the cart again (it re-reads the catalog once its memo
        // entry is older than CART_CATALOG_TTL_SECONDS or the catalog version moved).
        harbor("GET", &format!("/store/carts/{cart}"), None).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
    };
    assert_eq!(
        order["items"][0]["unit_price"].as_f64(),
        Some(raised as f64 / 100.0),
        "{order}"
    );

    db.execute(
        "UPDATE variant_prices SET amount = $2 WHERE variant_id = $1 AND currency_code = 'eur'",
        &[&variant, &price],
    )
    .await
    .unwrap();
}
