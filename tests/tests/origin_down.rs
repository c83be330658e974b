//! Checkout with the origin stopped (scripts/test stops it before these run): the
//! checkout page says payment cannot be reached and offers to retry, the API answers
//! 503, and the cart is intact. `--ignored`: they need the origin down.

use e2e::{url, HARBOR_KEY};
use reqwest::redirect;
use serde_json::{json, Value};

async fn call(method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method.parse().unwrap(), url(path))
        .header("x-publishable-api-key", HARBOR_KEY);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn some_variant() -> String {
    let (_, body) = call("GET", "/store/products?limit=20&region_id=reg_HPEU", None).await;
    body["products"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["variants"].as_array().cloned().unwrap_or_default())
        .find(|v| v["inventory_quantity"].as_i64().unwrap_or(0) > 2)
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .expect("a variant in stock")
}

#[tokio::test]
#[ignore]
async fn the_api_answers_503_and_the_cart_is_intact() {
    let variant = some_variant().await;
    let (status, body) = call(
        "POST",
        "/store/carts",
        Some(json!({"region_id": "reg_HPEU", "items": [{"variant_id": variant, "quantity": 1}]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let cart = body["cart"]["id"].as_str().unwrap().to_owned();
    let (status, body) = call("POST", &format!("/store/carts/{cart}/complete"), None).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "upstream_unavailable");
    assert!(body["message"].as_str().unwrap().contains("cart is saved"));
    let (status, body) = call("GET", &format!("/store/carts/{cart}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["cart"]["items"][0]["variant_id"], variant.as_str());
}

#[tokio::test]
#[ignore]
async fn the_checkout_page_says_payment_is_unreachable_and_keeps_the_cart() {
    let variant = some_variant().await;
    let http = reqwest::Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let post = |path: &str, jar: &str, fields: Vec<(&'static str, String)>| {
        http.post(url(path))
            .header("cookie", jar.to_owned())
            .header("origin", e2e::base_url())
            .form(&fields)
            .send()
    };
    let res = post(
        "/cart/line-items",
        "region=reg_HPEU",
        vec![("variant_id", variant.clone()), ("quantity", "1".into())],
    )
    .await
    .unwrap();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("cart_id="))
        .unwrap();
    let jar = format!("region=reg_HPEU; {}", cookie.split(';').next().unwrap());
    let contact = vec![
        ("email", "down@example.com".to_owned()),
        ("first_name", "Ada".into()),
        ("last_name", "L".into()),
        ("address_1", "Main 1".into()),
        ("city", "Berlin".into()),
        ("postal_code", "10115".into()),
        ("country_code", "de".into()),
    ];
    assert_eq!(
        post("/checkout/contact", &jar, contact)
            .await
            .unwrap()
            .status(),
        303
    );
    let html = http
        .get(url("/checkout"))
        .header("cookie", jar.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let option = html
        .split("name=\"option_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert_eq!(
        post("/checkout/shipping", &jar, vec![("option_id", option)])
            .await
            .unwrap()
            .status(),
        303
    );
    let res = post(
        "/checkout/pay",
        &jar,
        vec![
            ("card_number", "4242424242424242".into()),
            ("card_holder", "Ada".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 503);
    let html = res.text().await.unwrap();
    assert!(html.contains("cart is saved"), "{html}");
    assert!(
        html.contains("name=\"card_number\""),
        "the payment form is there to retry"
    );
    let cart = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("cart_id=")
        .to_owned();
    let (status, body) = call("GET", &format!("/store/carts/{cart}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["cart"]["items"][0]["variant_id"],
        variant.as_str(),
        "{body}"
    );
    assert_eq!(body["cart"]["email"], "down@example.com");
}
