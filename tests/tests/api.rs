//! The Store API, health, images, trace context and bad input, over HTTP against
//! `wrangler dev` serving the demo catalog.

use e2e::{url, HARBOR_KEY, LUMEN_KEY};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

const VALID_TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn get(path: &str, key: Option<&str>) -> Response {
    let mut req = Client::new().get(url(path));
    if let Some(key) = key {
        req = req.header("x-publishable-api-key", key);
    }
    req.send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

async fn json(path: &str, key: Option<&str>) -> (StatusCode, Value) {
    let res = get(path, key).await;
    let status = res.status();
    let body = res.text().await.unwrap();
    let value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"));
    (status, value)
}

async fn harbor(path: &str) -> (StatusCode, Value) {
    json(path, Some(HARBOR_KEY)).await
}

fn assert_invalid(status: StatusCode, body: &Value, param: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["type"], "invalid_data", "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(param),
        "message does not name {param}: {message}"
    );
}

#[tokio::test]
async fn health_reports_the_database() {
    let (status, body) = json("/health", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["status"], "up");
}

#[tokio::test]
async fn a_valid_traceparent_is_kept_and_others_replaced() {
    let res = Client::new()
        .get(url("/health"))
        .header("traceparent", VALID_TRACEPARENT)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["traceparent"], VALID_TRACEPARENT);

    for sent in [None, Some("00-zzzz-bad-01")] {
        let mut req = Client::new().get(url("/store/products?limit=1"));
        if let Some(tp) = sent {
            req = req.header("traceparent", tp);
        }
        let res = req
            .header("x-publishable-api-key", HARBOR_KEY)
            .send()
            .await
            .unwrap();
        let tp = res.headers()["traceparent"].to_str().unwrap().to_owned();
        let parts: Vec<&str> = tp.split('-').collect();
        assert_eq!(parts.len(), 4, "{tp}");
        assert_eq!(
            (parts[0], parts[1].len(), parts[2].len()),
            ("00", 32, 16),
            "{tp}"
        );
        assert_ne!(parts[1], "0".repeat(32));
    }
}

#[tokio::test]
async fn the_publishable_key_is_required_and_checked() {
    let (status, body) = json("/store/products", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["type"], "not_allowed");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("x-publishable-api-key"));
    for key in ["pk_not_a_real_key_123", "garbage"] {
        let (status, body) = json("/store/products", Some(key)).await;
        assert_eq!(status, 400, "{key}");
        assert_eq!(
            body["message"],
            "A valid publishable key is required to proceed with the request"
        );
    }
}

#[tokio::test]
async fn products_list_with_prices_in_the_region_currency() {
    let (status, body) = harbor("/store/products?limit=5&offset=0&region_id=reg_HPUS").await;
    assert_eq!(status, 200, "{body}");
    assert!(body["count"].as_i64().unwrap() >= 60, "{}", body["count"]);
    assert_eq!(
        (body["limit"].as_i64(), body["offset"].as_i64()),
        (Some(5), Some(0))
    );
    let products = body["products"].as_array().unwrap();
    assert_eq!(products.len(), 5);
    for p in products {
        assert!(p["id"].as_str().unwrap().starts_with("prod_"));
        let variants = p["variants"].as_array().unwrap();
        assert!(
            (2..=4).contains(&variants.len()),
            "{} has {} variants",
            p["handle"],
            variants.len()
        );
        for v in variants {
            let price = &v["calculated_price"];
            assert_eq!(price["currency_code"], "usd", "{v}");
            let amount = price["calculated_amount"].as_f64().unwrap();
            assert!(
                amount > 1.0 && amount < 1000.0,
                "major units expected, got {amount}"
            );
            assert!(price["calculated_amount_with_tax"].as_f64().unwrap() > amount);
        }
        assert!(p["thumbnail"]
            .as_str()
            .unwrap()
            .contains("/images/products/"));
    }
    // The next page starts where this one ended.
    let (_, next) = harbor("/store/products?limit=5&offset=5").await;
    assert_ne!(next["products"][0]["id"], products[0]["id"]);
}

#[tokio::test]
async fn products_filter_by_handle_category_collection_and_text() {
    let (_, body) = harbor("/store/products?handle=linen-camp-shirt").await;
    assert_eq!(body["count"], 1);
    let product = &body["products"][0];
    assert_eq!(product["title"], "Linen Camp Shirt");
    let id = product["id"].as_str().unwrap().to_owned();

    let (_, body) = harbor("/store/products?category_id[]=pcat_HPSHIRTS&limit=50").await;
    let n = body["count"].as_i64().unwrap();
    assert!(n >= 8, "{n}");
    for p in body["products"].as_array().unwrap() {
        let cats: Vec<&str> = p["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert!(cats.contains(&"pcat_HPSHIRTS"), "{cats:?}");
    }
    let (_, body) = harbor("/store/products?collection_id=pcol_HPAUTUMNLAYERS&q=shirt").await;
    for p in body["products"].as_array().unwrap() {
        assert_eq!(p["collection_id"], "pcol_HPAUTUMNLAYERS");
        // Search covers title, subtitle and handle.
        let text = format!("{} {} {}", p["title"], p["subtitle"], p["handle"]).to_lowercase();
        assert!(text.contains("shirt"), "{text}");
    }
    let (_, body) = harbor("/store/products?order=title&limit=3").await;
    let titles: Vec<&str> = body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted);

    let (status, body) = harbor(&format!("/store/products/{id}?region_id=reg_HPEU")).await;
    assert_eq!(status, 200);
    assert_eq!(body["product"]["handle"], "linen-camp-shirt");
    assert_eq!(
        body["product"]["variants"][0]["calculated_price"]["currency_code"],
        "eur"
    );
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let (status, body) = harbor("/store/products/prod_DOESNOTEXIST").await;
    assert_eq!(status, 404);
    assert_eq!(body["type"], "not_found");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("prod_DOESNOTEXIST"));
    let (status, body) = harbor("/store/products/not-an-id").await;
    assert_invalid(status, &body, "id");
    for path in [
        "/store/regions/reg_NOPE",
        "/store/product-categories/pcat_NOPE",
        "/store/collections/pcol_NOPE",
    ] {
        let (status, body) = harbor(path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["type"], "not_found");
    }
    let (status, body) = harbor("/store/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "unknown_route");
}

#[tokio::test]
async fn bad_parameters_are_named() {
    for (query, param) in [
        ("limit=-1", "limit"),
        ("limit=1000000", "limit"),
        ("limit=ten", "limit"),
        ("offset=-3", "offset"),
        ("order=secret_column", "order"),
        ("order=title;DROP TABLE products", "order"),
        ("id[]=variant_x", "id"),
        ("region_id=reg_LHEU", "region_id"),
        ("bogus=1", "bogus"),
    ] {
        let (status, body) = harbor(&format!("/store/products?{query}")).await;
        assert_invalid(status, &body, param);
    }
    let (status, body) = harbor(&format!("/store/products?q={}", "x".repeat(300))).await;
    assert_invalid(status, &body, "q");
    // Hostile text is just text: its words are searched ("table" is a typo away from
    // the Fisherman Cable Knit), and the products are still there after.
    let (status, body) = harbor("/store/products?q=%27%3B%20DROP%20TABLE%20products%3B--").await;
    assert_eq!(status.as_u16(), 200);
    assert!(body["count"].as_i64().is_some_and(|n| n <= 1), "{body}");
    let (_, all) = harbor("/store/products?limit=1").await;
    assert!(all["count"].as_i64().is_some_and(|n| n > 50));
}

#[tokio::test]
async fn one_stores_key_never_sees_another_stores_rows() {
    let (_, harbor_list) = harbor("/store/products?limit=200").await;
    let (_, lumen_list) = json("/store/products?limit=200", Some(LUMEN_KEY)).await;
    let ids = |v: &Value| -> Vec<String> {
        v["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (h, l) = (ids(&harbor_list), ids(&lumen_list));
    assert!(!h.is_empty() && !l.is_empty());
    assert!(h.iter().all(|id| !l.contains(id)));
    let (status, _) = json(&format!("/store/products/{}", h[0]), Some(LUMEN_KEY)).await;
    assert_eq!(status, 404);
    let (status, _) = json("/store/regions/reg_HPEU", Some(LUMEN_KEY)).await;
    assert_eq!(status, 404);
    let (status, _) = json("/store/product-categories/pcat_HPSHIRTS", Some(LUMEN_KEY)).await;
    assert_eq!(status, 404);
    let (_, regions) = json("/store/regions", Some(LUMEN_KEY)).await;
    let names: Vec<&str> = regions["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(names.iter().all(|id| id.starts_with("reg_LH")), "{names:?}");
}

#[tokio::test]
async fn regions_categories_and_collections() {
    let (status, body) = harbor("/store/regions").await;
    assert_eq!(status, 200);
    assert_eq!(body["count"], 3);
    let eu = body["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "reg_HPEU")
        .unwrap();
    assert_eq!(eu["currency_code"], "eur");
    assert!(eu["countries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["iso_2"] == "de" && c["display_name"] == "Germany"));
    let (_, body) = harbor("/store/regions/reg_HPGB").await;
    assert_eq!(body["region"]["currency_code"], "gbp");

    let (_, body) = harbor("/store/product-categories?parent_category_id=null").await;
    let roots: Vec<&str> = body["product_categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["handle"].as_str().unwrap())
        .collect();
    assert_eq!(roots, ["clothing", "accessories", "footwear"]);
    let (_, body) = harbor("/store/product-categories/pcat_HPCLOTHING").await;
    assert_eq!(
        body["product_category"]["category_children"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let (_, body) = harbor("/store/collections?handle=the-linen-edit").await;
    assert_eq!(body["count"], 1);
    assert_eq!(body["collections"][0]["title"], "The Linen Edit");
}

#[tokio::test]
async fn images_stream_from_r2_with_caching_headers() {
    let (_, body) = harbor("/store/products?limit=1").await;
    let image = body["products"][0]["images"][0].clone();
    let path = image["url"]
        .as_str()
        .unwrap()
        .split_once("/images/")
        .map(|(_, k)| format!("/images/{k}"))
        .unwrap();
    let res = get(&path, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // Width and height in the PNG header match the catalog.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!(
        (Some(u64::from(width)), Some(u64::from(height))),
        (
            image["metadata"]["width"].as_u64(),
            image["metadata"]["height"].as_u64()
        )
    );

    let res = Client::new()
        .get(url(&path))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(
        get("/images/products/missing-00000000.png", None)
            .await
            .status(),
        404
    );
    assert_eq!(
        get("/images/..%2F..%2Fetc%2Fpasswd", None).await.status(),
        404
    );
}

#[tokio::test]
async fn browsers_on_allowed_origins_may_call_the_store_api() {
    let res = Client::new()
        .request(reqwest::Method::OPTIONS, url("/store/products"))
        .header("origin", "http://localhost:8000")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost:8000"
    );
    assert!(res.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("x-publishable-api-key"));
    let res = Client::new()
        .get(url("/store/regions"))
        .header("origin", "https://evil.example")
        .header("x-publishable-api-key", HARBOR_KEY)
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

async fn home(host: &str) -> (StatusCode, String) {
    let res = Client::new()
        .get(url("/"))
        .header("host", host)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn the_host_name_selects_the_store() {
    let (status, body) = home("localhost").await;
    assert_eq!(status, 200);
    assert!(
        body.contains(r#"<a class="brand" href="/">Harbor &#38; Pine</a>"#),
        "{body}"
    );
    let (status, body) = home("lumen.localhost:8787").await;
    assert_eq!(status, 200);
    assert!(
        body.contains(r#"<a class="brand" href="/">Lumen Home</a>"#),
        "{body}"
    );
    let (status, body) = home("unknown.localhost").await;
    assert_eq!(status, 404);
    assert!(body.contains("<h1>Page not found</h1>"), "{body}");
}

#[tokio::test]
async fn liveness_needs_no_database() {
    let res = get("/health/live", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok\n");
}
