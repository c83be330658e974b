//! `spawn_origin()`: an origin service on 127.0.0.1 for one test, over a fresh database
//! of the throwaway cluster named by TEST_DATABASE_URL (migrated and loaded with the
//! two-store fixture), with its job runner; `Origin::call` signs requests like the
//! edge does. Carts are built with the same cart rules the edge's objects run.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use commerce::cart::Cart;
use commerce::cart_api::{apply, CartOp};
use commerce::ids::{random_body, CartId};
use commerce::signing::{SigningKey, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use commerce::store::{self, HostName, Store};
use origin::app::App;
use origin::config::{Config, EmailConfig, PaymentConfig};
use serde_json::{json, Value};
use tokio_postgres::{Client, NoTls};

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const TRACE: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// A fresh database with the schema and the fixture; returns its URL.
pub async fn fresh_database() -> String {
    let admin_url = std::env::var("TEST_DATABASE_URL").expect(
        "TEST_DATABASE_URL is not set: run scripts/test, which starts a throwaway PostgreSQL",
    );
    let admin = connect(&admin_url).await;
    let name = format!("o_{}", random_body().to_lowercase());
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    let url = format!(
        "{}/{name}",
        admin_url.rsplit_once('/').expect("a database part").0
    );
    let mut client = connect(&url).await;
    commerce::migrate::run(&mut client)
        .await
        .expect("migrations");
    client
        .batch_execute(include_str!(
            "../../../commerce/tests/fixtures/two_stores.sql"
        ))
        .await
        .expect("fixture");
    url
}

pub fn config(database_url: &str, payment: PaymentConfig, email: EmailConfig) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.to_owned(),
        pool_size: 40,
        signing_key: SigningKey::parse(SECRET).unwrap(),
        payment,
        email,
        email_from: "Orders <orders@alpha.test>".into(),
        provider_timeout: Duration::from_secs(2),
        job_poll: Duration::from_millis(50),
        reservation_ttl_s: 900,
    }
}

pub struct Origin {
    pub base: String,
    pub db: Client,
    pub database_url: String,
    pub http: reqwest::Client,
    pub key: SigningKey,
}

/// Serves `config` on a free port with its job runner.
pub async fn serve(config: Config) -> Origin {
    let database_url = config.database_url.clone();
    let app = App::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(origin::jobs::run(app.clone()));
    tokio::spawn(async move {
        axum::serve(listener, origin::http::router(app))
            .await
            .unwrap();
    });
    Origin {
        base: format!("http://{addr}"),
        db: connect(&database_url).await,
        database_url,
        http: reqwest::Client::new(),
        key: SigningKey::parse(SECRET).unwrap(),
    }
}

/// An origin with test cards and the local mailbox over a fresh database.
pub async fn spawn_origin() -> Origin {
    let url = fresh_database().await;
    serve(config(&url, PaymentConfig::TestCards, EmailConfig::Local)).await
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A request to the origin signed like the edge signs it.
pub fn signed(
    http: &reqwest::Client,
    key: &SigningKey,
    base: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> reqwest::RequestBuilder {
    let ts = now_s();
    let nonce = random_body();
    let sig = key.sign(method, path, ts, &nonce, body);
    http.request(method.parse().unwrap(), format!("{base}{path}"))
        .header("content-type", "application/json")
        .header("traceparent", TRACE)
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(NONCE_HEADER, nonce)
        .header(SIGNATURE_HEADER, sig)
        .body(body.to_vec())
}

impl Origin {
    /// A signed JSON call: (status, body).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let res = signed(&self.http, &self.key, &self.base, method, path, &bytes)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn alpha(&self) -> Store {
        store::by_host(&self.db, &HostName::parse("alpha.test").unwrap())
            .await
            .unwrap()
    }

    /// A cart ready to complete: `items` (variant, quantity), e-mail, German address,
    /// Standard shipping.
    pub async fn ready_cart(&self, items: &[(&str, u32)]) -> Cart {
        let store = self.alpha().await;
        let id = CartId::generate();
        let mut cart: Option<Cart> = None;
        let mut ops = vec![CartOp::Create {
            body: json!({"region_id": "reg_AEU", "email": "buyer@example.com",
                "shipping_address": {"first_name": "Ada", "last_name": "Lovelace", "address_1": "Main 1",
                                     "city": "Berlin", "postal_code": "10115", "country_code": "de"}}),
        }];
        ops.extend(items.iter().map(|(v, q)| CartOp::AddItem {
            body: json!({"variant_id": v, "quantity": q}),
        }));
        ops.push(CartOp::AddShippingMethod {
            body: json!({"option_id": "so_AEUSTD"}),
        });
        for op in ops {
            let out = apply(&self.db, &store, &id, cart.clone(), op, 1_000, "/images/")
                .await
                .unwrap();
            cart = Some(out.save.unwrap_or(out.cart));
        }
        cart.unwrap()
    }

    /// `POST /v1/carts/complete` paying with a test card (`None`: the cart's session).
    pub async fn complete(&self, cart: &Cart, card: Option<&str>) -> (u16, Value) {
        let payment =
            card.map(|c| json!({"provider_id": "pp_system_default", "data": {"card_number": c}}));
        self.call(
            "POST",
            "/v1/carts/complete",
            Some(json!({"cart": cart, "payment": payment, "return_url": "http://alpha.test/checkout"})),
        )
        .await
    }

    /// (stocked, reserved) of a variant over its locations.
    pub async fn stock(&self, variant: &str) -> (i64, i64) {
        let row = self
            .db
            .query_one(
                "SELECT coalesce(sum(stocked), 0)::int8, coalesce(sum(reserved), 0)::int8
                 FROM inventory_levels WHERE variant_id = $1",
                &[&variant],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.db.query_one(sql, &[]).await.unwrap().get(0)
    }

    /// Waits (at most `secs`) until `sql` counts at least `want`; returns the count.
    pub async fn wait_count(&self, sql: &str, want: i64, secs: u64) -> i64 {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let n = self.count(sql).await;
            if n >= want || std::time::Instant::now() > deadline {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
