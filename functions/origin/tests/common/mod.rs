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
/// The environment the test origins run as, and the audience requests are signed for.
pub const ENVIRONMENT: &str = "development";

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
        environment: ENVIRONMENT.into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.to_owned(),
        pool_size: 40,
        pool_timeouts: origin::pool::PoolTimeouts::default(),
        signing_key: SigningKey::parse(SECRET).unwrap(),
        payment,
        email,
        email_from: "Orders <orders@alpha.test>".into(),
        provider_timeout: Duration::from_secs(2),
        job_poll: Duration::from_millis(50),
        reservation_ttl_s: 900,
        webhook_schedule: vec![0, 1, 1],
        webhook_timeout: Duration::from_secs(1),
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
        origin::http::serve(listener, app).await.unwrap();
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
    let sig = key.sign(ENVIRONMENT, method, path, ts, &nonce, body);
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
            customer: None,
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

// ------------------------------------------------------------------ Stripe, Resend

/// The secret key the Stripe fake accepts and the origin is configured with.
pub const STRIPE_KEY: &str = "sk_test_origin_tests";
/// The webhook endpoint secret the Stripe fake signs its events with.
pub const WEBHOOK_SECRET: &str = "whsec_origin_tests";
/// The API key the Resend fake accepts.
pub const RESEND_KEY: &str = "re_test_origin_tests";

pub fn stripe_payment(fake: &provider_fakes::FakeStripe) -> PaymentConfig {
    PaymentConfig::Stripe {
        base_url: fake.base_url().to_owned(),
        secret_key: STRIPE_KEY.into(),
        webhook_secret: WEBHOOK_SECRET.into(),
    }
}

/// One webhook delivery the relay passed on, with the origin's answer.
#[derive(Debug, Clone)]
pub struct RelayAnswer {
    pub event_id: String,
    pub event_type: String,
    pub status: u16,
    pub body: Value,
}

struct RelayState {
    origin_base: String,
    key: SigningKey,
    http: reqwest::Client,
    open: tokio::sync::watch::Receiver<bool>,
    waiting: std::sync::atomic::AtomicUsize,
    answers: std::sync::Mutex<Vec<RelayAnswer>>,
}

/// The Stripe fake's webhook endpoint in a test: receives the fake's POST and passes
/// body and `Stripe-Signature` on to the origin's `/v1/webhooks/stripe`, signed like
/// the edge signs, answering with the origin's status and body. [`Relay::hold`] makes
/// deliveries wait at the relay until [`Relay::release`].
pub struct Relay {
    pub url: String,
    gate: tokio::sync::watch::Sender<bool>,
    state: std::sync::Arc<RelayState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn relay_delivery(
    axum::extract::State(state): axum::extract::State<std::sync::Arc<RelayState>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, String) {
    use std::sync::atomic::Ordering;
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    state.waiting.fetch_add(1, Ordering::SeqCst);
    let mut open = state.open.clone();
    let _ = open.wait_for(|is_open| *is_open).await;
    state.waiting.fetch_sub(1, Ordering::SeqCst);
    let mut request = signed(
        &state.http,
        &state.key,
        &state.origin_base,
        "POST",
        commerce::checkout::STRIPE_WEBHOOK_PATH,
        &body,
    );
    if let Some(signature) = headers.get("stripe-signature") {
        request = request.header("stripe-signature", signature.clone());
    }
    let (status, text) = match request.send().await {
        Ok(res) => (res.status().as_u16(), res.text().await.unwrap_or_default()),
        Err(e) => (502, e.to_string()),
    };
    state.answers.lock().unwrap().push(RelayAnswer {
        event_id: event["id"].as_str().unwrap_or_default().to_owned(),
        event_type: event["type"].as_str().unwrap_or_default().to_owned(),
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text.clone())),
    });
    (
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_GATEWAY),
        text,
    )
}

impl Relay {
    /// A relay on 127.0.0.1 to the origin at `origin_base`, open.
    pub async fn spawn(origin_base: &str) -> Relay {
        let (gate, open) = tokio::sync::watch::channel(true);
        let state = std::sync::Arc::new(RelayState {
            origin_base: origin_base.to_owned(),
            key: SigningKey::parse(SECRET).unwrap(),
            http: reqwest::Client::new(),
            open,
            waiting: std::sync::atomic::AtomicUsize::new(0),
            answers: std::sync::Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .route("/stripe", axum::routing::post(relay_delivery))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/stripe", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Relay {
            url,
            gate,
            state,
            task,
        }
    }

    /// Deliveries wait at the relay from now on.
    pub fn hold(&self) {
        self.gate.send_replace(false);
    }

    /// Lets waiting and later deliveries through.
    pub fn release(&self) {
        self.gate.send_replace(true);
    }

    /// Deliveries waiting at the relay now.
    pub fn waiting(&self) -> usize {
        self.state.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits (at most `secs`) until `n` deliveries wait at the relay.
    pub async fn wait_waiting(&self, n: usize, secs: u64) -> usize {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        while self.waiting() < n && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.waiting()
    }

    /// Every delivery passed on so far, with the origin's answer, oldest first.
    pub fn answers(&self) -> Vec<RelayAnswer> {
        self.state.answers.lock().unwrap().clone()
    }

    /// The origin's answers to deliveries of event `id`.
    pub fn answers_for(&self, id: &str) -> Vec<RelayAnswer> {
        self.answers()
            .into_iter()
            .filter(|a| a.event_id == id)
            .collect()
    }

    /// Waits (at most `secs`) until the origin has answered `n` deliveries of event
    /// `id`; returns those answers.
    pub async fn wait_answers(&self, id: &str, n: usize, secs: u64) -> Vec<RelayAnswer> {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let answers = self.answers_for(id);
            if answers.len() >= n || std::time::Instant::now() > deadline {
                return answers;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// An origin paying through the Stripe fake, whose webhooks reach the origin through
/// a [`Relay`]. Derefs to the [`Origin`].
pub struct StripeOrigin {
    pub origin: Origin,
    pub stripe: provider_fakes::FakeStripe,
    pub relay: Relay,
}

impl std::ops::Deref for StripeOrigin {
    type Target = Origin;
    fn deref(&self) -> &Origin {
        &self.origin
    }
}

/// [`spawn_stripe_origin_with`] with the default test configuration.
pub async fn spawn_stripe_origin() -> StripeOrigin {
    spawn_stripe_origin_with(|_| {}).await
}

/// An origin over a fresh database paying through a new Stripe fake (webhooks on,
/// relayed), with the local mailbox; `adjust` may change the configuration first.
pub async fn spawn_stripe_origin_with(adjust: impl FnOnce(&mut Config)) -> StripeOrigin {
    let url = fresh_database().await;
    let stripe =
        provider_fakes::spawn_stripe(provider_fakes::StripeFakeConfig::new(STRIPE_KEY)).await;
    let mut cfg = config(&url, stripe_payment(&stripe), EmailConfig::Local);
    adjust(&mut cfg);
    let origin = serve(cfg).await;
    let relay = Relay::spawn(&origin.base).await;
    stripe.set_webhook(Some(provider_fakes::WebhookTarget {
        url: relay.url.clone(),
        secret: WEBHOOK_SECRET.into(),
    }));
    StripeOrigin {
        origin,
        stripe,
        relay,
    }
}

/// Waits (at most `secs`) until the fake has recorded `n` delivery attempts of event
/// `id`; returns their statuses.
pub async fn wait_deliveries(
    fake: &provider_fakes::FakeStripe,
    id: &str,
    n: usize,
    secs: u64,
) -> Vec<u16> {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let deliveries = fake
            .events()
            .into_iter()
            .find(|e| e.id == id)
            .map(|e| e.deliveries)
            .unwrap_or_default();
        if deliveries.len() >= n || std::time::Instant::now() > deadline {
            return deliveries;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The fake's events about PaymentIntent `pi`, oldest first.
pub fn intent_events(
    fake: &provider_fakes::FakeStripe,
    pi: &str,
) -> Vec<provider_fakes::FakeEvent> {
    fake.events()
        .into_iter()
        .filter(|e| {
            let object = &e.payload["data"]["object"];
            object["id"] == pi || object["payment_intent"] == pi
        })
        .collect()
}

/// Waits (at most `secs`) until every event the fake emitted about `pi` has been
/// delivered at least once; returns the events.
pub async fn wait_intent_events_delivered(
    fake: &provider_fakes::FakeStripe,
    pi: &str,
    secs: u64,
) -> Vec<provider_fakes::FakeEvent> {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let events = intent_events(fake, pi);
        if events.iter().all(|e| !e.deliveries.is_empty()) || std::time::Instant::now() > deadline {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Origin {
    /// `POST /v1/carts/complete` paying through Stripe with `payment_method`
    /// (`None`: the cart's own session).
    pub async fn complete_stripe(&self, cart: &Cart, payment_method: Option<&str>) -> (u16, Value) {
        let payment = payment_method
            .map(|pm| json!({"provider_id": "pp_stripe_stripe", "data": {"payment_method": pm}}));
        self.call(
            "POST",
            "/v1/carts/complete",
            Some(json!({"cart": cart, "payment": payment, "return_url": "http://alpha.test/checkout"})),
        )
        .await
    }

    /// The Store API's way: the cart's payment collection, then a Stripe session with
    /// `payment_method`. Returns the PaymentIntent's id.
    pub async fn stripe_session(&self, cart: &Cart, payment_method: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/v1/payment-collections",
                Some(json!({"cart": cart})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let id = body["payment_collection"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = self
            .call(
                "POST",
                &format!("/v1/payment-collections/{id}/payment-sessions"),
                Some(json!({"store_id": cart.store_id, "payment": {
                    "provider_id": "pp_stripe_stripe", "data": {"payment_method": payment_method}}})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let session = &body["payment_collection"]["payment_sessions"][0];
        assert_eq!(session["status"], "pending", "{body}");
        session["data"]["id"].as_str().unwrap().to_owned()
    }

    /// `POST /v1/webhooks/stripe` with `body` and, if given, `signature` as its
    /// `Stripe-Signature` header (signed by the edge like every /v1 call).
    pub async fn stripe_webhook(&self, body: &[u8], signature: Option<&str>) -> (u16, Value) {
        let mut request = signed(
            &self.http,
            &self.key,
            &self.base,
            "POST",
            commerce::checkout::STRIPE_WEBHOOK_PATH,
            body,
        );
        if let Some(signature) = signature {
            request = request.header("stripe-signature", signature);
        }
        let res = request.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// The single order of `cart` that has not failed: (id, status).
    pub async fn live_order(&self, cart: &Cart) -> Option<(String, String)> {
        self.db
            .query_opt(
                "SELECT id, status FROM orders WHERE cart_id = $1 AND status <> 'failed'",
                &[&cart.id.as_str()],
            )
            .await
            .unwrap()
            .map(|r| (r.get(0), r.get(1)))
    }

    /// The status of order `id`.
    pub async fn order_status(&self, id: &str) -> String {
        self.db
            .query_one("SELECT status FROM orders WHERE id = $1", &[&id])
            .await
            .unwrap()
            .get(0)
    }

    /// Waits (at most `secs`) until order `id` has `status`; returns its last status.
    pub async fn wait_order_status(&self, id: &str, status: &str, secs: u64) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let now = self.order_status(id).await;
            if now == status || std::time::Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// What a [`FlakyStripe`] rule does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer 500 without passing the request on (Stripe never saw it).
    Refuse,
    /// Pass it on, then answer 500 instead of Stripe's answer (the answer was lost).
    LoseAnswer,
    /// Pass it on at once (Stripe acts on it), but answer only after this many ms.
    HoldAnswer(u64),
}

struct FlakyState {
    upstream: std::sync::OnceLock<String>,
    http: reqwest::Client,
    /// (path suffix, fault, how many more times).
    rules: std::sync::Mutex<Vec<(String, Fault, u32)>>,
    faulted: std::sync::Mutex<Vec<String>>,
}

/// A proxy in front of the Stripe fake that fails requests to one endpoint (say every
/// `/confirm`), which the fake's own `fail_next` (the next N calls, whatever they
/// are) cannot single out. Its upstream is set once, by [`FlakyStripe::set_upstream`].
pub struct FlakyStripe {
    pub url: String,
    state: std::sync::Arc<FlakyState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FlakyStripe {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn flaky_forward(
    axum::extract::State(state): axum::extract::State<std::sync::Arc<FlakyState>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> (
    axum::http::StatusCode,
    axum::http::HeaderMap,
    axum::body::Bytes,
) {
    let path = uri.path().to_owned();
    let fault = {
        let mut rules = state.rules.lock().unwrap();
        rules
            .iter_mut()
            .find(|(suffix, _, left)| *left > 0 && path.ends_with(suffix.as_str()))
            .map(|(_, fault, left)| {
                *left -= 1;
                *fault
            })
    };
    let failure = || {
        let mut h = axum::http::HeaderMap::new();
        h.insert("content-type", "application/json".parse().unwrap());
        let body = json!({"error": {"type": "api_error", "message": "injected by the test proxy"}});
        (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            h,
            axum::body::Bytes::from(body.to_string()),
        )
    };
    if let Some(fault) = fault {
        state
            .faulted
            .lock()
            .unwrap()
            .push(format!("{fault:?} {path}"));
    }
    if fault == Some(Fault::Refuse) {
        return failure();
    }
    let upstream = state.upstream.get().expect("upstream set");
    let url = format!(
        "{upstream}{}",
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut request = state.http.request(method, url).body(body);
    for name in [
        "authorization",
        "idempotency-key",
        "stripe-version",
        "content-type",
    ] {
        if let Some(v) = headers.get(name) {
            request = request.header(name, v.clone());
        }
    }
    let res = request.send().await.expect("the fake answers");
    let status = res.status();
    let mut out = axum::http::HeaderMap::new();
    for (name, value) in res.headers() {
        if name.as_str() == "content-type" || name.as_str() == "idempotent-replayed" {
            out.insert(name.clone(), value.clone());
        }
    }
    let bytes = res.bytes().await.unwrap_or_default();
    match fault {
        Some(Fault::LoseAnswer) => failure(),
        Some(Fault::HoldAnswer(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            (status, out, bytes)
        }
        _ => (status, out, bytes),
    }
}

impl FlakyStripe {
    pub async fn spawn() -> FlakyStripe {
        let state = std::sync::Arc::new(FlakyState {
            upstream: std::sync::OnceLock::new(),
            http: reqwest::Client::new(),
            rules: std::sync::Mutex::new(Vec::new()),
            faulted: std::sync::Mutex::new(Vec::new()),
        });
        let app = axum::Router::new()
            .fallback(flaky_forward)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FlakyStripe { url, state, task }
    }

    /// Where requests are passed on to (the fake's base URL); set once.
    pub fn set_upstream(&self, base_url: &str) {
        self.state.upstream.set(base_url.to_owned()).unwrap();
    }

    /// The next `times` requests whose path ends with `suffix` meet `fault`.
    pub fn fail(&self, suffix: &str, fault: Fault, times: u32) {
        self.state
            .rules
            .lock()
            .unwrap()
            .push((suffix.to_owned(), fault, times));
    }

    /// The requests that met a fault so far: "<fault> <path>".
    pub fn faulted(&self) -> Vec<String> {
        self.state.faulted.lock().unwrap().clone()
    }
}
