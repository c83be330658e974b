//! Carts over HTTP against `wrangler dev`: the Medusa cart endpoints, the cart pages and
//! forms, concurrency, expiry and analytics events. scripts/test runs the Worker with
//! CART_LIFETIME_SECONDS=20 (E2E_CART_LIFETIME_SECONDS says so) and sets DATABASE_URL (for picking variants by stock and
//! reading the stored events).

use std::time::{Duration, Instant};

use e2e::{client, db, url, HARBOR_KEY, LUMEN_KEY};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A Harbor & Pine variant matching `condition` (SQL over `v` and its stock `avail`).
async fn variant_where(condition: &str) -> String {
    let sql = format!(
        "SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id
         CROSS JOIN LATERAL (SELECT coalesce(sum(stocked - reserved), 0) AS avail
                             FROM inventory_levels il WHERE il.variant_id = v.id) s
         WHERE p.store_id = 'store_HARBORPINE' AND p.status = 'published' AND {condition}
         ORDER BY v.id LIMIT 1"
    );
    db().await.query_one(&sql, &[]).await.unwrap().get(0)
}

async fn in_stock(min: i64) -> String {
    variant_where(&format!(
        "v.manage_inventory AND NOT v.allow_backorder AND s.avail >= {min}"
    ))
    .await
}

async fn call(method: &str, path: &str, key: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = client()
        .request(method.parse().unwrap(), url(path))
        .header("x-publishable-api-key", key);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
    (status, value)
}

async fn post(path: &str, body: Value) -> (StatusCode, Value) {
    call("POST", path, HARBOR_KEY, Some(body)).await
}

async fn new_cart(region: &str) -> String {
    let (status, body) = post("/store/carts", json!({ "region_id": region })).await;
    assert_eq!(status, 200, "{body}");
    body["cart"]["id"].as_str().unwrap().to_owned()
}

fn assert_invalid(status: StatusCode, body: &Value, field: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["type"], "invalid_data", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains(field),
        "message does not name {field}: {body}"
    );
}

#[tokio::test]
async fn a_cart_takes_lines_prices_from_the_catalog_and_totals() {
    let variant = in_stock(5).await;
    let cart = new_cart("reg_HPUS").await;
    // A price sent by the client is ignored.
    let (status, body) = post(
        &format!("/store/carts/{cart}/line-items"),
        json!({ "variant_id": variant, "quantity": 2, "unit_price": 1 }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let c = &body["cart"];
    assert_eq!(c["currency_code"], "usd");
    assert_eq!(c["items"].as_array().unwrap().len(), 1);
    let line = &c["items"][0];
    assert_eq!(line["quantity"], 2);
    assert_ne!(line["unit_price"], 1);
    let unit = line["unit_price"].as_f64().unwrap();
    // US prices are net: tax is added on top.
    assert!((c["item_subtotal"].as_f64().unwrap() - 2.0 * unit).abs() < 1e-9);
    assert!(c["tax_total"].as_f64().unwrap() > 0.0);

    // The same variant again increases its line.
    let (_, body) = post(
        &format!("/store/carts/{cart}/line-items"),
        json!({ "variant_id": variant, "quantity": 1 }),
    )
    .await;
    let items = body["cart"]["items"].as_array().unwrap();
    assert_eq!((items.len(), items[0]["quantity"].as_i64()), (1, Some(3)));
    let line_id = items[0]["id"].as_str().unwrap().to_owned();

    let (status, body) = post(
        &format!("/store/carts/{cart}/line-items/{line_id}"),
        json!({ "quantity": 1 }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cart"]["items"][0]["quantity"], 1);

    // Shipping: the region's options, then one chosen.
    let (status, options) = call(
        "GET",
        &format!("/store/shipping-options?cart_id={cart}"),
        HARBOR_KEY,
        None,
    )
    .await;
    assert_eq!(status, 200, "{options}");
    let list = options["shipping_options"].as_array().unwrap();
    assert!(list.len() >= 2, "flat and free-over: {options}");
    let option = list[0]["id"].as_str().unwrap();
    let (status, body) = post(
        &format!("/store/carts/{cart}/shipping-methods"),
        json!({ "option_id": option }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["cart"]["shipping_methods"][0]["shipping_option_id"],
        option
    );
    let c = &body["cart"];
    let parts = c["item_total"].as_f64().unwrap() + c["shipping_total"].as_f64().unwrap();
    assert!((c["total"].as_f64().unwrap() - parts).abs() < 1e-6, "{c}");

    // Quantity 0 removes; DELETE removes.
    let (_, body) = post(
        &format!("/store/carts/{cart}/line-items/{line_id}"),
        json!({ "quantity": 0 }),
    )
    .await;
    assert!(body["cart"]["items"].as_array().unwrap().is_empty());
    let (_, body) = post(
        &format!("/store/carts/{cart}/line-items"),
        json!({ "variant_id": variant, "quantity": 1 }),
    )
    .await;
    let line_id = body["cart"]["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = call(
        "DELETE",
        &format!("/store/carts/{cart}/line-items/{line_id}"),
        HARBOR_KEY,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted"], true);
    assert!(body["parent"]["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn changing_the_region_reprices_in_its_currency() {
    let variant = in_stock(2).await;
    let cart = new_cart("reg_HPUS").await;
    post(
        &format!("/store/carts/{cart}/line-items"),
        json!({ "variant_id": variant, "quantity": 1 }),
    )
    .await;
    let (status, body) = post(
        &format!("/store/carts/{cart}"),
        json!({ "region_id": "reg_HPEU", "email": "shopper@example.com" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cart"]["currency_code"], "eur");
    assert_eq!(body["cart"]["email"], "shopper@example.com");
    let (_, again) = call("GET", &format!("/store/carts/{cart}"), HARBOR_KEY, None).await;
    assert_eq!(again["cart"]["region_id"], "reg_HPEU");
}

#[tokio::test]
async fn refusals_are_clear_and_change_nothing() {
    let cart = new_cart("reg_HPEU").await;
    let lines = format!("/store/carts/{cart}/line-items");
    let sold_out =
        variant_where("v.manage_inventory AND NOT v.allow_backorder AND s.avail <= 0").await;
    let (status, body) = post(&lines, json!({ "variant_id": sold_out, "quantity": 1 })).await;
    assert!(status.is_client_error(), "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("sold out"),
        "{body}"
    );
    let few =
        variant_where("v.manage_inventory AND NOT v.allow_backorder AND s.avail BETWEEN 1 AND 40")
            .await;
    let (status, body) = post(&lines, json!({ "variant_id": few, "quantity": 99 })).await;
    assert!(status.is_client_error(), "not clamped: {body}");
    for (quantity, why) in [
        (json!(0), "zero"),
        (json!(-1), "negative"),
        (json!(1_000_000), "huge"),
        (json!("two"), "not a number"),
        (json!(1.5), "fraction"),
    ] {
        let (status, body) = post(&lines, json!({ "variant_id": few, "quantity": quantity })).await;
        assert_invalid(status, &body, "quantity");
        let _ = why;
    }
    let (status, body) = post(
        &lines,
        json!({ "variant_id": "variant_NOPE", "quantity": 1 }),
    )
    .await;
    assert_invalid(status, &body, "variant_id");
    // Another store's variant is unknown here.
    let lumen: String = db()
        .await
        .query_one(
            "SELECT v.id FROM product_variants v WHERE v.store_id = 'store_LUMENHOME' LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let (status, body) = post(&lines, json!({ "variant_id": lumen, "quantity": 1 })).await;
    assert_invalid(status, &body, "variant_id");
    // Malformed and oversized bodies.
    let res = client()
        .post(url(&lines))
        .header("x-publishable-api-key", HARBOR_KEY)
        .header("content-type", "application/json")
        .body("{\"variant_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = client()
        .post(url(&lines))
        .header("x-publishable-api-key", HARBOR_KEY)
        .body(format!("{{\"pad\": \"{}\"}}", "x".repeat(70_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // Nothing changed.
    let (_, body) = call("GET", &format!("/store/carts/{cart}"), HARBOR_KEY, None).await;
    assert!(body["cart"]["items"].as_array().unwrap().is_empty());

    // Unknown carts, and a cart seen through another store's key, are 404.
    let (status, body) = call("GET", "/store/carts/cart_DOESNOTEXIST", HARBOR_KEY, None).await;
    assert_eq!(
        (status.as_u16(), body["type"].as_str()),
        (404, Some("not_found"))
    );
    let (status, _) = call("GET", &format!("/store/carts/{cart}"), LUMEN_KEY, None).await;
    assert_eq!(status, 404);
    let (status, _) = call("GET", "/store/carts/not-a-cart", HARBOR_KEY, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn fifty_parallel_adds_are_all_counted() {
    let variant = in_stock(60).await;
    let cart = new_cart("reg_HPEU").await;
    let path = format!("/store/carts/{cart}/line-items");
    let adds = (0..50).map(|_| {
        let (path, variant) = (path.clone(), variant.clone());
        tokio::spawn(async move {
            post(&path, json!({ "variant_id": variant, "quantity": 1 }))
                .await
                .0
        })
    });
    for add in adds {
        assert_eq!(add.await.unwrap(), 200);
    }
    let (_, body) = call("GET", &format!("/store/carts/{cart}"), HARBOR_KEY, None).await;
    let items = body["cart"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["quantity"], 50, "no lost update");
}

#[tokio::test]
async fn an_idle_cart_expires() {
    let cart = new_cart("reg_HPEU").await;
    let (status, _) = call("GET", &format!("/store/carts/{cart}"), HARBOR_KEY, None).await;
    assert_eq!(status, 200);
    // scripts/test runs the Worker with this CART_LIFETIME_SECONDS.
    let lifetime: u64 = std::env::var("E2E_CART_LIFETIME_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    tokio::time::sleep(Duration::from_secs(lifetime + 1)).await;
    let (status, body) = call("GET", &format!("/store/carts/{cart}"), HARBOR_KEY, None).await;
    assert_eq!(status, 404, "{body}");
}

/// A shopper's browser without JavaScript: form posts, redirects, cookies.
#[tokio::test]
async fn the_cart_pages_work_with_forms_alone() {
    let variant = in_stock(3).await;
    let c = client();
    let res = c
        .post(url("/cart/line-items"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", "region=reg_HPGB")
        .body(format!("variant_id={variant}&quantity=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/cart");
    let cookies: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let cart_cookie = cookies.iter().find(|c| c.starts_with("cart_id=")).unwrap();
    assert!(cart_cookie.contains("HttpOnly") && cart_cookie.contains("SameSite=Lax"));
    let id = cart_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("cart_id=")
        .to_owned();
    let jar = format!("region=reg_HPGB; cart_id={id}; cart_count=2");

    let page = c
        .get(url("/cart"))
        .header("cookie", &jar)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Your cart</h1>"));
    assert!(
        html.contains(r#"name="quantity" type="number" min="0" max="99" value="2""#),
        "{html}"
    );
    assert!(html.contains("£"), "priced in the shopper's region");
    assert!(html.contains("Choose shipping"));

    // The header shows the count on cached pages, per shopper.
    let product = c
        .get(url("/products"))
        .header("cookie", &jar)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(product.contains(r#"Cart (2<span class="sr-only"> items</span>)"#));
    let anonymous = c
        .get(url("/products"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(anonymous.contains(r#"<a class="cart-link" href="/cart">Cart</a>"#));

    // A sold-out add is refused in place, the cart intact.
    let sold_out =
        variant_where("v.manage_inventory AND NOT v.allow_backorder AND s.avail <= 0").await;
    let res = c
        .post(url("/cart/line-items"))
        .header("cookie", &jar)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("variant_id={sold_out}&quantity=1"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let html = res.text().await.unwrap();
    assert!(html.contains("sold out"), "{html}");
    assert!(html.contains(r#"value="2""#), "the cart is still shown");

    // Switching the region moves the cart: re-priced in dollars.
    let res = c
        .post(url("/region"))
        .header("cookie", &jar)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("region_id=reg_HPUS&return_to=%2Fcart")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = c
        .get(url("/cart"))
        .header("cookie", format!("region=reg_HPUS; cart_id={id}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("$") && !html.contains("£"), "{html}");

    // A form posted from another site is refused.
    let res = c
        .post(url("/cart/line-items"))
        .header("cookie", &jar)
        .header("sec-fetch-site", "cross-site")
        .body(format!("variant_id={variant}&quantity=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn adds_and_removes_reach_the_analytics_table() {
    let variant = in_stock(2).await;
    let cart = new_cart("reg_HPEU").await;
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let res = client()
        .post(url(&format!("/store/carts/{cart}/line-items")))
        .header("x-publishable-api-key", HARBOR_KEY)
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&json!({ "variant_id": variant, "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let db = db().await;
    let started = Instant::now();
    loop {
        let rows = db
            .query(
                "SELECT name, trace_id, metadata FROM analytics_events WHERE actor = $1",
                &[&cart],
            )
            .await
            .unwrap();
        if let Some(row) = rows.first() {
            let name: String = row.get(0);
            let trace_id: Option<String> = row.get(1);
            let metadata: Value = row.get(2);
            assert_eq!(name, "add_to_cart");
            assert_eq!(trace_id.as_deref(), Some(trace));
            assert_eq!(metadata["variant_id"], variant);
            assert_eq!(metadata["currency"], "eur");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no event stored"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
