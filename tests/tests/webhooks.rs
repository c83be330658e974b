//! Outbound webhooks through the whole stack: an owner of a store made for the test
//! registers endpoints on a local receiver (`tests/lib/webhook-receiver.mjs`, which
//! verifies every delivery with the `standardwebhooks` package, an independent
//! implementation of the specification); catalog edits through the admin API become
//! events, the events deliveries. The origin runs with a shortened schedule
//! (scripts/test: `WEBHOOK_RETRY_SCHEDULE_SECONDS=0,1,1`, `WEBHOOK_TIMEOUT_MS=1000`):
//! a receiver that fails twice gets each event three times and keeps it once; one too
//! slow, or failing, has its deliveries dead after the schedule and is flagged; a 410
//! disables its endpoint; a rotated secret signs beside the old one; dead deliveries
//! can be sent again.

use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use commerce::staff::{Role, StoreRole};
use e2e::staff::{self, api};
use e2e::{client, db, url};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn stamp() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The receiver, stopped when dropped.
struct Receiver {
    _child: Child,
    base: String,
}

impl Receiver {
    async fn start() -> Receiver {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/lib/webhook-receiver.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the webhook receiver");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the receiver starts")
            .unwrap()
            .unwrap();
        let port = first.strip_prefix("listening ").expect("listening PORT");
        Receiver {
            _child: child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    fn url(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    async fn secret(&self, name: &str, secret: &str) {
        let res = client()
            .put(format!("{}/_secret/{name}", self.base))
            .body(secret.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }

    async fn log(&self, name: &str) -> Vec<Value> {
        let res = client()
            .get(format!("{}/_log/{name}", self.base))
            .send()
            .await
            .unwrap();
        res.json().await.unwrap()
    }

    /// Waits (at most 30 s) until `name`'s log satisfies `done`.
    async fn until(&self, name: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let log = self.log(name).await;
            if done(&log) {
                return log;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{name} did not get what was expected; it got {log:#?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A store of its own and an owner's session cookie.
async fn own_store(db: &tokio_postgres::Client) -> (String, String) {
    let n = stamp();
    let store = format!("store_HOOKS{n}");
    db.batch_execute(&format!(
        "INSERT INTO stores (id, name, publishable_key, default_currency_code)
           VALUES ('{store}', 'Webhook test', 'pk_hooks_{n}', 'eur');
         INSERT INTO store_hosts (hostname, store_id) VALUES ('hooks-{n}.test', '{store}');"
    ))
    .await
    .unwrap();
    let cookie = owner_of(db, &store).await;
    (store, cookie)
}

/// A new owner of `store`: their session cookie.
async fn owner_of(db: &tokio_postgres::Client, store: &str) -> String {
    let n = stamp();
    let email = format!("owner-{n}@hooks.test");
    let ip = format!("198.18.9.{}", n % 250 + 1);
    staff::member(db, store, &StoreRole::builtin(Role::Owner), &email, &ip).await
}

/// Registers `name` on the receiver for `topics`; answers the endpoint's id.
async fn register(cookie: &str, receiver: &Receiver, name: &str, topics: &[&str]) -> String {
    let body = json!({"url": receiver.url(name), "topics": topics, "description": name});
    let (status, made) = api(Method::POST, cookie, "/admin/webhooks", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let endpoint = &made["webhook_endpoint"];
    let secret = endpoint["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{endpoint}");
    receiver.secret(name, secret).await;
    endpoint["id"].as_str().unwrap().to_owned()
}

/// The endpoint and its deliveries as the admin API shows them.
async fn endpoint(cookie: &str, id: &str) -> Value {
    let (status, body) = api(Method::GET, cookie, &format!("/admin/webhooks/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Waits (at most 30 s) until the endpoint's deliveries satisfy `done`.
async fn deliveries_until(cookie: &str, id: &str, done: impl Fn(&[Value]) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let body = endpoint(cookie, id).await;
        if done(body["deliveries"].as_array().unwrap()) {
            return body;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{body:#}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn all(deliveries: &[Value], n: usize, status: &str) -> bool {
    deliveries.len() == n && deliveries.iter().all(|d| d["status"] == status)
}

#[tokio::test]
async fn deliveries_are_signed_retried_dead_lettered_and_sent_again() {
    let receiver = Receiver::start().await;
    let db = db().await;
    let (_store, owner) = own_store(&db).await;
    let topics = ["product.created", "product.updated"];
    let ok = register(&owner, &receiver, "ok-main", &topics).await;
    let flaky = register(&owner, &receiver, "flaky-main", &topics).await;
    let slow = register(&owner, &receiver, "slow-main", &["product.created"]).await;
    let gone = register(&owner, &receiver, "gone-main", &topics).await;
    let down = register(&owner, &receiver, "down-main", &["product.updated"]).await;
    let orders = register(&owner, &receiver, "ok-orders", &["order.created"]).await;

    // Two products made and one renamed: three events, in this order.
    let mut products = Vec::new();
    for title in ["Hook Lamp", "Hook Chair"] {
        let body = json!({"title": format!("{title} {}", stamp() % 1_000_000)});
        let (status, made) = api(Method::POST, &owner, "/admin/products", Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{made}");
        products.push(made["product"]["id"].as_str().unwrap().to_owned());
    }
    let rename = json!({"title": "Hook Lamp, renamed"});
    let path = format!("/admin/products/{}", products[0]);
    let (status, body) = api(Method::POST, &owner, &path, Some(rename)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Delivered once each, verified, in the order they happened.
    let log = receiver.until("ok-main", |l| l.len() >= 3).await;
    assert_eq!(log.len(), 3, "{log:#?}");
    assert!(log.iter().all(|d| d["verified"] == true), "{log:#?}");
    let types: Vec<&str> = log.iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["product.created", "product.created", "product.updated"]
    );
    let seqs: Vec<i64> = log
        .iter()
        .map(|d| d["sequence"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(
        log[2]["data"]["product_id"],
        json!(products[0]),
        "{:#}",
        log[2]
    );
    let shown = deliveries_until(&owner, &ok, |d| all(d, 3, "delivered")).await;
    let first = &shown["deliveries"][2];
    assert_eq!(
        (
            first["attempts"].clone(),
            first["last_response_status"].clone()
        ),
        (json!(1), json!(204))
    );

    // Two 500s, then success: three attempts of each event, delivered once.
    let log = receiver.until("flaky-main", |l| l.len() >= 9).await;
    assert!(log.iter().all(|d| d["verified"] == true), "{log:#?}");
    let shown = deliveries_until(&owner, &flaky, |d| all(d, 3, "delivered")).await;
    assert!(
        shown["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["attempts"] == 3),
        "{shown:#}"
    );
    let ids: std::collections::HashSet<&str> =
        log.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3, "the same webhook-id on every attempt");

    // Too slow: each attempt times out; dead after the schedule, the endpoint flagged.
    let shown = deliveries_until(&owner, &slow, |d| all(d, 2, "dead")).await;
    let dead = &shown["deliveries"][0];
    assert_eq!(dead["attempts"], 3, "{dead:#}");
    assert!(
        dead["last_error"]
            .as_str()
            .unwrap()
            .contains("no answer within"),
        "{dead:#}"
    );
    assert!(
        shown["webhook_endpoint"]["failing_since"].is_string(),
        "{shown:#}"
    );

    // 410: dead at once, the endpoint disabled, nothing more sent to it.
    let shown = deliveries_until(&owner, &gone, |d| d.iter().any(|x| x["status"] == "dead")).await;
    assert_eq!(shown["webhook_endpoint"]["status"], "disabled", "{shown:#}");
    let gone_log = receiver.log("gone-main").await;
    assert_eq!(gone_log.len(), 1, "{gone_log:#?}");

    // Failing with Retry-After: dead after three attempts; sent again on request.
    let shown = deliveries_until(&owner, &down, |d| all(d, 1, "dead")).await;
    assert_eq!(shown["deliveries"][0]["last_response_status"], 500);
    let (status, resent) = api(
        Method::POST,
        &owner,
        &format!("/admin/webhooks/{down}/resend-failed"),
        None,
    )
    .await;
    assert_eq!(
        (status, resent["resent"].clone()),
        (StatusCode::OK, json!(1))
    );
    receiver.until("down-main", |l| l.len() >= 6).await;
    deliveries_until(&owner, &down, |d| {
        all(d, 1, "dead") && d[0]["attempts"] == 3
    })
    .await;

    // Nothing for an endpoint that wants other topics.
    assert!(receiver.log("ok-orders").await.is_empty());
    assert_eq!(endpoint(&owner, &orders).await["count"], 0);

    // Rotation: the receiver still has the old secret, and still verifies, because the
    // old secret signs beside the new one for the overlap.
    let (status, rotated) = api(
        Method::POST,
        &owner,
        &format!("/admin/webhooks/{ok}/rotate-secret"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert!(rotated["webhook_endpoint"]["secret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));
    assert!(rotated["webhook_endpoint"]["previous_secret_until"].is_string());
    let (status, _) = api(
        Method::POST,
        &owner,
        &path,
        Some(json!({"title": "Hook Lamp, again"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let log = receiver.until("ok-main", |l| l.len() >= 4).await;
    assert_eq!(
        (log[3]["verified"].clone(), log[3]["signatures"].clone()),
        (json!(true), json!(2)),
        "{:#}",
        log[3]
    );

    // Paused: deliveries wait; resumed: they go.
    let pause = json!({"status": "paused"});
    let (status, paused) = api(
        Method::POST,
        &owner,
        &format!("/admin/webhooks/{ok}"),
        Some(pause),
    )
    .await;
    assert_eq!(
        (status, paused["webhook_endpoint"]["status"].clone()),
        (StatusCode::OK, json!("paused"))
    );
    api(
        Method::POST,
        &owner,
        &path,
        Some(json!({"title": "Hook Lamp, paused"})),
    )
    .await;
    deliveries_until(&owner, &ok, |d| d.len() == 5).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.log("ok-main").await.len(),
        4,
        "nothing sent while paused"
    );
    let resume = json!({"status": "active"});
    api(
        Method::POST,
        &owner,
        &format!("/admin/webhooks/{ok}"),
        Some(resume),
    )
    .await;
    receiver.until("ok-main", |l| l.len() == 5).await;

    // Deleting an endpoint; what an operator may not register.
    let (status, _) = api(
        Method::DELETE,
        &owner,
        &format!("/admin/webhooks/{orders}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api(
        Method::GET,
        &owner,
        &format!("/admin/webhooks/{orders}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (body, param) in [
        (
            json!({"url": receiver.url("x"), "topics": ["catalog.import.requested"]}),
            "topics",
        ),
        (json!({"url": receiver.url("x"), "topics": []}), "topics"),
        (
            json!({"url": "ftp://example.com/in", "topics": ["order.created"]}),
            "url",
        ),
    ] {
        let (status, refused) = api(Method::POST, &owner, "/admin/webhooks", Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert_eq!(refused["param"], param, "{refused}");
    }
    let (status, listed) = api(Method::GET, &owner, "/admin/webhooks", None).await;
    assert_eq!(
        (status, listed["count"].clone()),
        (StatusCode::OK, json!(5))
    );
    assert!(listed["webhook_endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e.get("secret").is_none()));
    assert!(listed["topics"]
        .as_array()
        .unwrap()
        .contains(&json!("order.created")));
}

/// What `log` received about one entity (`key` in the data equal to `id`): types in
/// the order they arrived.
fn about(log: &[Value], key: &str, id: &str) -> Vec<String> {
    log.iter()
        .filter(|d| d["data"][key] == id)
        .map(|d| d["type"].as_str().unwrap().to_owned())
        .collect()
}

/// A day of the demo store through its APIs: a product made and renamed, stock
/// counted, an order paid, packed, shipped with a label, delivered and refunded in
/// part, a purchase order placed and received, a customer signing up. Each yields
/// exactly its events, each once, in the order they happened per entity.
#[tokio::test]
async fn a_day_of_the_store_yields_each_event_once_in_order_per_entity() {
    use e2e::checkout::{pay_with, ready_cart, stocked_variant};
    const HARBOR: &str = "store_HARBORPINE";
    let receiver = Receiver::start().await;
    let db = db().await;
    let owner = owner_of(&db, HARBOR).await;
    let (status, listed) = api(Method::GET, &owner, "/admin/webhooks", None).await;
    assert_eq!(status, StatusCode::OK);
    let every: Vec<&str> = listed["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let name = format!("ok-day{}", stamp() % 1_000_000);
    let endpoint = register(&owner, &receiver, &name, &every).await;

    // Catalog: a product made and renamed.
    let title = format!("Day Lantern {}", stamp() % 1_000_000);
    let (status, made) = api(
        Method::POST,
        &owner,
        "/admin/products",
        Some(json!({"title": title})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let product = made["product"]["id"].as_str().unwrap().to_owned();
    let path = format!("/admin/products/{product}");
    let (status, _) = api(
        Method::POST,
        &owner,
        &path,
        Some(json!({"title": format!("{title}, renamed")})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // An order: paid with the test card, packed, shipped with a label, delivered, and
    // refunded in part.
    let variant = stocked_variant(5, 3).await;
    let cart = ready_cart(&variant, 1).await;
    let (status, paid) = pay_with(&cart, json!({"card_number": "4242424242424242"})).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    let order = paid["order"]["id"].as_str().unwrap().to_owned();
    let session: String = db
        .query_one(
            "SELECT id FROM payment_sessions WHERE order_id = $1",
            &[&order],
        )
        .await
        .unwrap()
        .get(0);
    let post = |path: String, body: Value| {
        let owner = &owner;
        async move { api(Method::POST, owner, &path, Some(body)).await }
    };
    let (status, packed) = post(format!("/admin/orders/{order}/fulfillments"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{packed}");
    let parcel = packed["order"]["fulfillments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tracking = format!("DAY{}", stamp() % 10_000_000_000);
    let label = json!({"labels": [{"tracking_number": tracking,
        "tracking_url": format!("https://parcels.example/{tracking}"), "label_url": ""}]});
    let (status, shipped) = post(
        format!("/admin/orders/{order}/fulfillments/{parcel}/shipments"),
        label,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shipped}");
    let (status, delivered) = post(format!("/admin/orders/{order}/deliver"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{delivered}");
    let capture = delivered["order"]["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "capture")
        .expect("a capture")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, refunded) = post(
        format!("/admin/payments/{capture}/refund"),
        json!({"amount": 1.5, "note": "scratched box"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refunded}");

    // A purchase order placed and received in full.
    let location: String = db
        .query_one(
            "SELECT id FROM stock_locations WHERE store_id = $1 ORDER BY rank, id LIMIT 1",
            &[&HARBOR],
        )
        .await
        .unwrap()
        .get(0);
    let (status, po) = post(
        "/admin/purchase-orders".into(),
        json!({"supplier_name": "Day Supplies", "location_id": location}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{po}");
    let po = po["purchase_order"]["id"].as_str().unwrap().to_owned();
    let po_path = format!("/admin/purchase-orders/{po}");
    let line = json!({"variant": variant, "quantity": 2, "unit_cost": 4});
    let (status, body) = post(format!("{po_path}/lines"), line).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = post(format!("{po_path}/place"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let receipt = json!({"key": format!("day-{}", stamp()), "lines": [{"variant_id": variant, "quantity": 2}]});
    let (status, body) = post(format!("{po_path}/receive"), receipt).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A shopper signs up.
    let email = format!("day-{}@hooks.test", stamp());
    let res = client()
        .post(url("/account/register"))
        .header("origin", e2e::base_url())
        .header(
            "cf-connecting-ip",
            format!("198.18.10.{}", stamp() % 250 + 1),
        )
        .form(&[
            ("first_name", "Day"),
            ("last_name", "Shopper"),
            ("email", email.as_str()),
            ("password", "a day of webhooks passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Everything arrived (the customer last), verified, each event once; a moment more
    // for anything sent twice to show.
    receiver
        .until(&name, |l| {
            l.iter().any(|d| d["data"]["email"] == email.as_str())
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let log = receiver
        .log(&name)
        .await
        .into_iter()
        .filter(|d| d["verified"] == true)
        .collect::<Vec<_>>();
    let ids: std::collections::HashSet<&str> =
        log.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), log.len(), "each event once: {log:#?}");
    assert_eq!(
        about(&log, "product_id", &product),
        ["product.created", "product.updated"]
    );
    assert_eq!(
        about(&log, "payment_session_id", &session),
        ["payment.created"]
    );
    assert_eq!(
        about(&log, "order_id", &order),
        [
            "inventory.reserved",
            "order.created",
            "payment.succeeded",
            "order.fulfilled",
            "shipping.label.created",
            "order.shipped",
            "order.delivered",
            "payment.refunded",
        ],
        "{log:#?}"
    );
    let label_event = log
        .iter()
        .find(|d| d["type"] == "shipping.label.created")
        .unwrap();
    assert_eq!(label_event["data"]["tracking_number"], tracking.as_str());
    assert_eq!(
        label_event["data"]["carrier"], "parcels.example",
        "{label_event:#}"
    );
    assert_eq!(
        about(&log, "purchase_order_id", &po),
        [
            "purchase_order.placed",
            "inventory.adjusted",
            "purchase_order.received"
        ]
    );
    assert_eq!(about(&log, "email", &email), ["customer.created"]);
    // In the order they were written: the sequence grows along the log.
    let seqs: Vec<i64> = log
        .iter()
        .map(|d| d["sequence"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // Every payload has exactly the properties its published schema names.
    let res = client()
        .get(url("/webhooks/schemas.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let schemas: Value = res.json().await.unwrap();
    for topic in &every {
        assert!(
            schemas["topics"][topic]["properties"].is_object(),
            "{topic} has no schema"
        );
    }
    for d in &log {
        let schema = &schemas["topics"][d["type"].as_str().unwrap()];
        let names: std::collections::BTreeSet<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let sent: std::collections::BTreeSet<&str> = d["data"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert!(
            sent.is_subset(&names),
            "{} sent {sent:?}, its schema names {names:?}",
            d["type"]
        );
        for required in schema["required"].as_array().into_iter().flatten() {
            assert!(
                sent.contains(required.as_str().unwrap()),
                "{} lacks {required}",
                d["type"]
            );
        }
    }
    let (status, _) = api(
        Method::DELETE,
        &owner,
        &format!("/admin/webhooks/{endpoint}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}
