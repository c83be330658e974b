//! The webhook delivery runner against real PostgreSQL and a local receiver: in
//! development a delivery reaches a receiver on loopback, signed; in production
//! configuration an endpoint on a private or loopback address is refused without a
//! connection being made (the literal address, and a name that resolves to one); a
//! slow endpoint holds up only itself.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use commerce::ids::StoreId;
use commerce::outbox::{self, Topic};
use commerce::webhook::{repo, EndpointId};
use common::{config, connect, fresh_database};
use origin::app::App;
use origin::config::{EmailConfig, PaymentConfig};
use origin::deliveries;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A receiver that answers 204 to anything and counts connections and signed requests.
async fn receiver() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    receiver_after(std::time::Duration::ZERO).await
}

/// [`receiver`], answering each request after `delay`.
async fn receiver_after(
    delay: std::time::Duration,
) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (connections, signed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, s) = (connections.clone(), signed.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let s = s.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
                if head.contains("webhook-signature: v1,") && head.contains("webhook-id: evt_") {
                    s.fetch_add(1, Ordering::SeqCst);
                }
                tokio::time::sleep(delay).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (format!("127.0.0.1:{}", addr.port()), connections, signed)
}

async fn status_of(db: &tokio_postgres::Client) -> (String, i32, Option<String>) {
    let row = db
        .query_one(
            "SELECT status, attempts, last_error FROM webhook_deliveries",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// An endpoint of store_ALPHA at `url` for `order.created`, and one such event.
async fn endpoint_with_event(db: &tokio_postgres::Client, url: &str, n: u32) -> EndpointId {
    let alpha = StoreId::parse("store_ALPHA").unwrap();
    let (endpoint, _) = repo::create(db, &alpha, url, "", &[Topic::OrderCreated])
        .await
        .unwrap();
    let payload = json!({"order_id": format!("order_{n}")});
    outbox::enqueue(db, &alpha, Topic::OrderCreated, payload, None)
        .await
        .unwrap();
    endpoint.id
}

#[tokio::test]
async fn development_delivers_to_loopback_and_production_refuses_private_addresses() {
    let url = fresh_database().await;
    let db = connect(&url).await;
    let alpha = StoreId::parse("store_ALPHA").unwrap();
    let (address, connections, signed) = receiver().await;

    // Development: delivered to the receiver on loopback, signed.
    let dev = App::new(config(&url, PaymentConfig::TestCards, EmailConfig::Local));
    let client = deliveries::client(&dev).unwrap();
    let dev_endpoint = endpoint_with_event(&db, &format!("http://{address}/in"), 1).await;
    assert_eq!(deliveries::round(&dev, &client).await.unwrap(), 1);
    assert_eq!(status_of(&db).await.0, "delivered");
    assert_eq!(signed.load(Ordering::SeqCst), 1);
    repo::delete(&db, &alpha, &dev_endpoint).await.unwrap();

    // Production: the same receiver by address, and by a name that resolves to it.
    let mut prod_config = config(&url, PaymentConfig::TestCards, EmailConfig::Local);
    prod_config.environment = "production".into();
    let prod = App::new(prod_config);
    let client = deliveries::client(&prod).unwrap();
    let before = connections.load(Ordering::SeqCst);
    // Registered before the rule (the admin API refuses it in production).
    endpoint_with_event(&db, &format!("https://{address}/in"), 2).await;
    assert_eq!(deliveries::round(&prod, &client).await.unwrap(), 1);
    let (status, attempts, error) = status_of(&db).await;
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    assert!(error.unwrap().contains("public addresses only"));
    assert_eq!(
        connections.load(Ordering::SeqCst),
        before,
        "no connection was made"
    );

    let refused = deliveries::public_addresses("localhost").await.unwrap_err();
    assert!(
        refused.to_string().contains("public addresses only"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_slow_endpoint_holds_up_only_itself() {
    let url = fresh_database().await;
    let db = connect(&url).await;
    let alpha = StoreId::parse("store_ALPHA").unwrap();
    // Each attempt to the slow one runs into the one-second timeout of the tests' config.
    let (slow, _, _) = receiver_after(std::time::Duration::from_secs(3)).await;
    let (fast, _, _) = receiver().await;
    let (slow_endpoint, _) = repo::create(
        &db,
        &alpha,
        &format!("http://{slow}/in"),
        "",
        &[Topic::ProductUpdated],
    )
    .await
    .unwrap();
    for n in 0..5 {
        outbox::enqueue(
            &db,
            &alpha,
            Topic::ProductUpdated,
            json!({"product_id": format!("prod_{n}")}),
            None,
        )
        .await
        .unwrap();
    }
    let app = App::new(config(&url, PaymentConfig::TestCards, EmailConfig::Local));
    let runner = tokio::spawn(deliveries::run(app));
    // The slow endpoint's lane has started; then the fast one gets an event.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (fast_endpoint, _) = repo::create(
        &db,
        &alpha,
        &format!("http://{fast}/in"),
        "",
        &[Topic::OrderCreated],
    )
    .await
    .unwrap();
    outbox::enqueue(
        &db,
        &alpha,
        Topic::OrderCreated,
        json!({"order_id": "order_9"}),
        None,
    )
    .await
    .unwrap();
    let delivered = |id: EndpointId| {
        let db = &db;
        async move {
            let row = db
                .query_one(
                    "SELECT count(*) FILTER (WHERE status = 'delivered'),
                            count(*) FILTER (WHERE attempts = 0)
                       FROM webhook_deliveries WHERE endpoint_id = $1",
                    &[&id.as_str()],
                )
                .await
                .unwrap();
            (row.get::<_, i64>(0), row.get::<_, i64>(1))
        }
    };
    let mut fast_done = false;
    for _ in 0..100 {
        if delivered(fast_endpoint.id.clone()).await.0 == 1 {
            fast_done = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(fast_done, "the fast endpoint got its delivery");
    // ... while the slow one's round (five attempts of a second each) is not through.
    let (_, untried) = delivered(slow_endpoint.id.clone()).await;
    assert!(
        untried >= 2,
        "the fast delivery waited for the slow lane ({untried} untried left)"
    );
    runner.abort();
}
