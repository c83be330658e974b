//! The origin's hardening: security headers on every response, request bodies capped
//! while they stream, `/dev/mail` for loopback peers of a development origin only,
//! requests signed for another environment refused, the bank's confirmation step
//! limited to the shopper's own cart, the pool closing a connection that may still
//! hold a session lock. (Log lines: `tests/logging.rs`.)

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::connect_info::MockConnectInfo;
use commerce::signing::{SigningKey, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use common::{config, fresh_database, serve, signed, spawn_origin, SECRET};
use origin::app::App;
use origin::config::{EmailConfig, PaymentConfig};
use origin::pool::{Pool, PoolTimeouts};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NEEDS_CONFIRMATION: &str = "4000002500003155";

fn assert_security_headers(res: &reqwest::Response) {
    for (name, value) in commerce::http::SECURITY_HEADERS {
        assert_eq!(
            res.headers().get(*name).and_then(|v| v.to_str().ok()),
            Some(*value),
            "{name} on {} {}",
            res.status(),
            res.url()
        );
    }
}

#[tokio::test]
async fn every_origin_response_carries_the_security_headers() {
    let o = spawn_origin().await;
    // Served, unknown, unsigned and signed answers alike.
    let health = o
        .http
        .get(format!("{}/health", o.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_security_headers(&health);
    let unknown = o
        .http
        .get(format!("{}/nowhere", o.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_security_headers(&unknown);
    let unsigned = o
        .http
        .get(format!("{}/v1/payment-providers", o.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_security_headers(&unsigned);
    let ok = signed(
        &o.http,
        &o.key,
        &o.base,
        "GET",
        "/v1/payment-providers",
        b"",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    assert_security_headers(&ok);
}

/// Sends a chunked body of `total` bytes to `path` over a raw connection; returns the
/// response's head (status line and headers) as soon as it arrives.
async fn chunked_post(addr: &str, path: &str, total: usize) -> String {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        let chunk = vec![b'a'; 16 * 1024];
        let mut sent = 0;
        while sent < total {
            wr.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            wr.write_all(&chunk).await?;
            wr.write_all(b"\r\n").await?;
            sent += chunk.len();
        }
        wr.write_all(b"0\r\n\r\n").await?;
        Ok::<_, std::io::Error>(sent)
    });
    let read = async {
        let mut buf = Vec::new();
        let mut part = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            match rd.read(&mut part).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&part[..n]),
            }
        }
        String::from_utf8_lossy(&buf).into_owned()
    };
    let response = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("an answer within 10 s");
    writer.abort();
    response
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_is_refused_with_413_while_it_streams() {
    let o = spawn_origin().await;
    let addr = o.base.trim_start_matches("http://").to_owned();
    let started = Instant::now();
    let head = chunked_post(&addr, "/v1/carts/complete", 1024 * 1024).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        head.to_ascii_lowercase()
            .contains("x-content-type-options: nosniff"),
        "{head}"
    );

    // A declared length over the cap is refused before the body is read.
    let res = o
        .http
        .post(format!("{}/v1/carts/complete", o.base))
        .body(vec![b'a'; origin::http::MAX_BODY + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);

    // A chunked body under the cap still reaches the signature check.
    let head = chunked_post(&addr, "/v1/carts/complete", 64 * 1024).await;
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
}

#[tokio::test]
async fn the_mailbox_is_served_in_development_to_loopback_peers_only() {
    let url = fresh_database().await;
    let o = serve(config(&url, PaymentConfig::TestCards, EmailConfig::Local)).await;
    let res = o
        .http
        .get(format!("{}/dev/mail", o.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_security_headers(&res);
    assert!(res.text().await.unwrap().contains("Local mailbox"));

    // The same origin seen from another machine (the peer address a proxy or a
    // public interface would give).
    let remote: SocketAddr = "203.0.113.7:40000".parse().unwrap();
    let cfg = config(&url, PaymentConfig::TestCards, EmailConfig::Local);
    let router = origin::http::router(App::new(cfg)).layer(MockConnectInfo(remote));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let res = o
        .http
        .get(format!("http://{addr}/dev/mail"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(!res.text().await.unwrap().contains("Local mailbox"));

    // A staging origin has no mailbox page, even for loopback.
    let mut cfg = config(&url, PaymentConfig::TestCards, EmailConfig::Local);
    cfg.environment = "staging".into();
    let staging = serve(cfg).await;
    let res = staging
        .http
        .get(format!("{}/dev/mail", staging.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_request_signed_for_another_environment_is_refused() {
    let o = spawn_origin().await;
    let path = "/v1/payment-providers";
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let key = SigningKey::parse(SECRET).unwrap();
    for (audience, want) in [("staging", 401), ("production", 401), ("development", 200)] {
        let nonce = commerce::ids::random_body();
        let sig = key.sign(audience, "GET", path, ts, &nonce, b"");
        let res = o
            .http
            .get(format!("{}{path}", o.base))
            .header(TIMESTAMP_HEADER, ts.to_string())
            .header(NONCE_HEADER, nonce)
            .header(SIGNATURE_HEADER, sig)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), want, "signed for {audience}");
    }
}

#[tokio::test]
async fn the_bank_confirmation_only_accepts_the_shoppers_own_cart() {
    let o = spawn_origin().await;
    let cart = o.ready_cart(&[("variant_A1S", 1)]).await;
    let (status, body) = o.complete(&cart, Some(NEEDS_CONFIRMATION)).await;
    assert_eq!(status, 200, "{body}");
    let session = body["action"]["session_id"].as_str().unwrap().to_owned();
    let other = o.ready_cart(&[("variant_A1S", 1)]).await;
    let path = format!("/v1/payment-sessions/{session}/authenticate");

    // Another shopper's cart naming this session: not found, nothing recorded.
    let (status, answer) = o
        .call(
            "POST",
            &path,
            Some(json!({"store_id": "store_ALPHA", "cart_id": other.id, "approve": true})),
        )
        .await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["type"], "not_found", "{answer}");
    let data: Value =
        o.db.query_one(
            "SELECT data FROM payment_sessions WHERE id = $1",
            &[&session.as_str()],
        )
        .await
        .unwrap()
        .get(0);
    assert!(data.get("authentication").is_none(), "{data}");

    // Without a cart the request is refused as malformed.
    let (status, _) = o
        .call(
            "POST",
            &path,
            Some(json!({"store_id": "store_ALPHA", "approve": true})),
        )
        .await;
    assert_eq!(status, 400);

    // The shopper's own cart: accepted, and the order completes.
    let (status, answer) = o
        .call(
            "POST",
            &path,
            Some(json!({"store_id": "store_ALPHA", "cart_id": cart.id, "approve": true})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, done) = o.complete(&cart, None).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["type"], "order", "{done}");
}

#[tokio::test]
async fn a_connection_that_may_hold_a_session_lock_is_closed_not_reused() {
    let url = fresh_database().await;
    let pool = Pool::new(&url, 2, PoolTimeouts::default());

    // Released: the connection goes back to the pool.
    let mut conn = pool.get().await.unwrap();
    conn.execute("SELECT pg_advisory_lock(4242)", &[])
        .await
        .unwrap();
    conn.hold_session_lock();
    conn.execute("SELECT pg_advisory_unlock(4242)", &[])
        .await
        .unwrap();
    conn.release_session_lock();
    drop(conn);
    assert_eq!(pool.status(), (1, 1));

    // Never released (a cancelled completion): closed, and the lock goes with it.
    let mut conn = pool.get().await.unwrap();
    conn.execute("SELECT pg_advisory_lock(4242)", &[])
        .await
        .unwrap();
    conn.hold_session_lock();
    drop(conn);
    assert_eq!(pool.status(), (0, 0));
    let other = common::connect(&url).await;
    lock_becomes_free(&other, 4242).await;

    // A cancelled holder: the future is dropped mid-way, the guard with it.
    let pool2 = pool.clone();
    let task = tokio::spawn(async move {
        let mut conn = pool2.get().await.unwrap();
        conn.execute("SELECT pg_advisory_lock(77)", &[])
            .await
            .unwrap();
        conn.hold_session_lock();
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    task.abort();
    let _ = task.await;
    assert_eq!(
        pool.status().0,
        0,
        "the cancelled holder's connection was kept"
    );
    let conn = pool.get().await.unwrap();
    lock_becomes_free(&conn, 77).await;
}

#[tokio::test]
async fn the_confirmation_email_escapes_what_the_shopper_typed() {
    use commerce::cart::Cart;
    use commerce::cart_api::{apply, CartOp};
    use commerce::ids::CartId;

    let o = spawn_origin().await;
    let store = o.alpha().await;
    let name = "<script>alert('x')</script> & \"Ada\"";
    let id = CartId::generate();
    let mut cart: Option<Cart> = None;
    for op in [
        CartOp::Create {
            customer: None,
            body: json!({"region_id": "reg_AEU", "email": "buyer@example.com",
                "shipping_address": {"first_name": name, "last_name": "Lovelace", "address_1": "Main 1",
                                     "city": "Berlin", "postal_code": "10115", "country_code": "de"}}),
        },
        CartOp::AddItem {
            body: json!({"variant_id": "variant_A1S", "quantity": 1}),
        },
        CartOp::AddShippingMethod {
            body: json!({"option_id": "so_AEUSTD"}),
        },
    ] {
        let out = apply(&o.db, &store, &id, cart.clone(), op, 1_000, "/images/")
            .await
            .unwrap();
        cart = Some(out.save.unwrap_or(out.cart));
    }
    let cart = cart.unwrap();
    let (status, body) = o.complete(&cart, Some("4242 4242 4242 4242")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        o.wait_count("SELECT count(*) FROM local_mailbox", 1, 10)
            .await,
        1
    );
    let row =
        o.db.query_one("SELECT html, text_body FROM local_mailbox", &[])
            .await
            .unwrap();
    let (html, text): (String, String) = (row.get(0), row.get(1));
    assert!(!html.contains("<script>"), "{html}");
    // askama's HTML escaper writes numeric character references.
    assert!(
        html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; &#34;Ada&#34;"),
        "{html}"
    );
    assert!(html.contains("<h1>Thank you for your order"), "{html}");
    // The text part is plain text: the name as typed.
    assert!(text.contains(name), "{text}");

    // The local mailbox page shows it inside a sandboxed frame, escaped once more.
    let page = o
        .http
        .get(format!("{}/dev/mail", o.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<iframe sandbox"), "{page}");
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&#38;#60;script&#38;#62;"), "{page}");
}

#[test]
fn the_binary_refuses_to_start_in_production_with_development_providers() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_origin"))
        .env_clear()
        .env("ENVIRONMENT", "production")
        .env("ORIGIN_SECRET", SECRET)
        .env("ORIGIN_LISTEN", "127.0.0.1:0")
        // Never reached: the configuration is refused first.
        .env("DATABASE_URL", "postgres://u:p@127.0.0.1:9/db")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("origin cannot start"), "{stderr}");
    assert!(stderr.contains("PAYMENT_PROVIDER=stripe"), "{stderr}");
    assert!(stderr.contains("EMAIL_PROVIDER=resend"), "{stderr}");
}

/// Waits (at most 5 s) until advisory lock `key` can be taken: the session that held
/// it has ended.
async fn lock_becomes_free(client: &tokio_postgres::Client, key: i64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let free: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await
            .unwrap()
            .get(0);
        if free {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the lock outlived its connection"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
