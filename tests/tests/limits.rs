//! Abuse limits and request bodies through `wrangler dev`: order lookups limited per
//! client address and per e-mail (the rate-limit binding, counted per clock minute),
//! payment attempts per cart (the exact limiter object), bodies cut off while they
//! stream, Stripe webhooks with a malformed signature header refused at the edge.
//! Client addresses are set with `CF-Connecting-IP`, as Cloudflare sets it; each test
//! uses addresses of its own.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use e2e::{client, url, HARBOR_KEY};
use reqwest::{Body, Response, StatusCode};
use serde_json::{json, Value};

/// A client address for `CF-Connecting-IP` that no other test uses (`range` differs
/// per use) and an earlier run within the same minute likely did not (the clock).
fn address(range: u8) -> String {
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("198.18.{range}.{}", (n / 1000) % 250 + 1)
}

async fn lookup(ip: &str, email: &str) -> Response {
    client()
        .post(url("/orders/lookup"))
        .header("cf-connecting-ip", ip)
        .form(&[("email", email), ("number", "987654321")])
        .send()
        .await
        .unwrap()
}

/// Waits until at least `margin` is left of the current clock minute, so that a
/// burst of requests falls into one window of the binding.
async fn inside_one_window(margin: Duration) {
    let into = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 60_000;
    let left = Duration::from_millis(60_000 - into as u64);
    if left < margin {
        tokio::time::sleep(left + Duration::from_millis(200)).await;
    }
}

fn retry_after(res: &Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn order_lookups_are_limited_per_client_until_the_window_passes() {
    inside_one_window(Duration::from_secs(15)).await;
    let ip = address(113);
    for i in 0..10 {
        let res = lookup(&ip, &format!("ip-{i}-{ip}@example.com")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "lookup {i}");
    }
    let res = lookup(&ip, &format!("ip-10-{ip}@example.com")).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&res);
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Please wait a moment"),
        "a friendly page: {page}"
    );

    // Another client is not affected.
    let other = address(114);
    let res = lookup(&other, &format!("other-{other}@example.com")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Once the window has passed, the first client is let in again.
    tokio::time::sleep(Duration::from_secs(wait) + Duration::from_millis(500)).await;
    let res = lookup(&ip, &format!("ip-again-{ip}@example.com")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn order_lookups_are_limited_per_email() {
    inside_one_window(Duration::from_secs(15)).await;
    let email = format!("limited-{}@example.com", address(1));
    for i in 0..10 {
        let res = lookup(&address(100 + i), &email).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "lookup {i}");
    }
    // The same address in other letters is the same e-mail.
    let res = lookup(&address(120), &email.to_uppercase()).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("Too many requests"));
}

async fn store_call(method: &str, path: &str, body: Value) -> (StatusCode, Value, Option<String>) {
    let res = client()
        .request(method.parse().unwrap(), url(path))
        .header("x-publishable-api-key", HARBOR_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, res.json().await.unwrap_or(Value::Null), retry)
}

#[tokio::test]
async fn completion_attempts_per_cart_are_counted_exactly() {
    let (status, body, _) = store_call("POST", "/store/carts", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cart = body["cart"]["id"].as_str().unwrap().to_owned();
    // An empty cart cannot be completed: each attempt is refused, and counted.
    let path = format!("/store/carts/{cart}/complete");
    let attempts =
        futures_util::future::join_all((0..10).map(|_| store_call("POST", &path, json!({})))).await;
    for (status, body, _) in &attempts {
        assert_ne!(*status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    }
    let (status, body, retry) = store_call("POST", &path, json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "too_many_requests");
    assert_eq!(body["type"], "not_allowed");
    assert!(retry.is_some_and(|s| s.parse::<u32>().is_ok_and(|s| (1..=60).contains(&s))));
    // Another cart is not affected.
    let (_, other, _) = store_call("POST", "/store/carts", json!({})).await;
    let other = other["cart"]["id"].as_str().unwrap().to_owned();
    let (status, _, _) =
        store_call("POST", &format!("/store/carts/{other}/complete"), json!({})).await;
    assert_ne!(status, StatusCode::TOO_MANY_REQUESTS);
}

/// A 1 MB body sent in chunks, without a length.
fn chunked_megabyte() -> Body {
    let chunks = (0..64).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 16 * 1024]));
    Body::wrap_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn chunked_bodies_are_cut_off_at_their_limit() {
    let started = Instant::now();
    let res = client()
        .post(url("/store/carts"))
        .header("x-publishable-api-key", HARBOR_KEY)
        .header("content-type", "application/json")
        .body(chunked_megabyte())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["param"], "body", "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("larger than 64 KB"));

    let res = client()
        .post(url("/orders/lookup"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(chunked_megabyte())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().await.unwrap().contains("This form is too large"));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn webhooks_without_a_stripe_signature_shape_stop_at_the_edge() {
    let unsigned = format!("v1={}", "a".repeat(64));
    for header in ["", "t=1,v1=short", unsigned.as_str()] {
        let res = client()
            .post(url("/webhooks/stripe"))
            .header("stripe-signature", header)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{header}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["param"], "stripe-signature");
    }
}
