//! With the database stopped, the Worker answers 503 with a clear JSON message, never
//! a panic or an HTML page. scripts/test stops PostgreSQL and runs these with --ignored.

use e2e::{url, HARBOR_KEY};
use reqwest::Client;
use serde_json::Value;

async fn get(path: &str) -> (u16, String, Value) {
    let res = Client::new()
        .get(url(path))
        .header("x-publishable-api-key", HARBOR_KEY)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    let body = res.text().await.unwrap();
    (
        status,
        content_type,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}")),
    )
}

#[tokio::test]
#[ignore = "needs the database stopped; scripts/test runs it"]
async fn health_says_the_database_is_down() {
    let (status, content_type, body) = get("/health").await;
    assert_eq!(status, 503);
    assert!(content_type.starts_with("application/json"));
    assert_eq!(body["database"]["status"], "down");
}

#[tokio::test]
#[ignore = "needs the database stopped; scripts/test runs it"]
async fn store_api_answers_503_with_a_clear_message() {
    for path in [
        "/store/products",
        "/store/products/prod_HP0001",
        "/store/regions",
    ] {
        let (status, _, body) = get(path).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(body["code"], "database_unavailable");
        assert!(body["message"].as_str().unwrap().contains("retry"));
    }
}

#[tokio::test]
#[ignore = "needs the database stopped; scripts/test runs it"]
async fn liveness_still_answers() {
    let res = Client::new().get(url("/health/live")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
