//! `checkout-bench`: completed checkouts per second against a running origin, over
//! loopback HTTP with signed requests, as the edge sends them. It prepares `--carts`
//! ready carts of one unit each in the store (the same cart rules the edge's objects
//! run, straight against the database), then completes them `--concurrency` at a time
//! with the test card and reports throughput and latency.
//!
//! `--hot`: every cart buys the same variant (all buyers contend for one stock row);
//! otherwise the carts spread over the store's variants. Stock is raised first so that
//! no checkout fails for lack of it: the figure is the cost of a checkout, not of a
//! refusal. Run it only on a throwaway database (scripts/bench does).
//!
//! Environment: DATABASE_URL, ORIGIN_URL, ORIGIN_SECRET.

use std::sync::Arc;
use std::time::{Duration, Instant};

use commerce::cart::Cart;
use commerce::cart_api::{apply, CartOp};
use commerce::ids::{random_body, CartId};
use commerce::signing::{SigningKey, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use commerce::store::{self, PublishableKey};
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio_postgres::NoTls;

const STORE_KEY: &str = "pk_harborpine_demo_3f9a6c2e51b84d07";
const REGION: &str = "reg_HPEU";

struct Args {
    carts: usize,
    concurrency: usize,
    hot: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        carts: 1000,
        concurrency: 10,
        hot: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{name} takes a positive number"))
        };
        match arg.as_str() {
            "--carts" => a.carts = number("--carts")?,
            "--concurrency" => a.concurrency = number("--concurrency")?,
            "--hot" => a.hot = true,
            other => {
                return Err(format!(
                    "unknown argument {other}\nusage: checkout-bench [--carts N] [--concurrency C] [--hot]"
                ))
            }
        }
    }
    Ok(a)
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("checkout-bench: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let a = args()?;
    let origin = env("ORIGIN_URL")?;
    let key = SigningKey::parse(&env("ORIGIN_SECRET")?)?;
    let (db, connection) = tokio_postgres::connect(&env("DATABASE_URL")?, NoTls)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let e = |e: commerce::ApiError| e.to_string();
    let store = store::by_publishable_key(&db, &PublishableKey::parse(Some(STORE_KEY)).map_err(e)?)
        .await
        .map_err(e)?;
    let rows = db
        .query(
            "SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id
             JOIN variant_prices vp ON vp.variant_id = v.id AND vp.currency_code = 'eur'
             WHERE v.store_id = $1 AND p.status = 'published' AND v.manage_inventory
               AND EXISTS (SELECT 1 FROM inventory_levels il WHERE il.variant_id = v.id)
             ORDER BY v.id",
            &[&store.id.as_str()],
        )
        .await
        .map_err(|e| e.to_string())?;
    let variants: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    if variants.is_empty() {
        return Err("the store has no stocked variants".into());
    }
    db.execute(
        "UPDATE inventory_levels SET stocked = reserved + 1000000 WHERE store_id = $1",
        &[&store.id.as_str()],
    )
    .await
    .map_err(|e| e.to_string())?;
    let option: String = db
        .query_one(
            "SELECT id FROM shipping_options WHERE store_id = $1 AND region_id = $2 ORDER BY rank LIMIT 1",
            &[&store.id.as_str(), &REGION],
        )
        .await
        .map_err(|e| e.to_string())?
        .get(0);

    eprint!("preparing {} carts", a.carts);
    let started = Instant::now();
    let mut carts: Vec<Cart> = Vec::with_capacity(a.carts);
    for i in 0..a.carts {
        let variant = if a.hot {
            &variants[0]
        } else {
            &variants[i % variants.len()]
        };
        let id = CartId::generate();
        let mut cart: Option<Cart> = None;
        let ops = [
            CartOp::Create {
                customer: None,
                body: json!({"region_id": REGION, "email": format!("bench-{i}@example.com"),
                    "items": [{"variant_id": variant, "quantity": 1}],
                    "shipping_address": {"first_name": "Bench", "last_name": "Mark", "address_1": "Main 1",
                                         "city": "Berlin", "postal_code": "10115", "country_code": "de"}}),
            },
            CartOp::AddShippingMethod {
                body: json!({"option_id": option}),
            },
        ];
        for op in ops {
            let out = apply(&db, &store, &id, cart.clone(), op, 1_000, "/images/")
                .await
                .map_err(e)?;
            cart = Some(out.save.unwrap_or(out.cart));
        }
        carts.extend(cart);
        if (i + 1) % (a.carts / 10).max(1) == 0 {
            eprint!(".");
        }
    }
    eprintln!(" {:.1} s", started.elapsed().as_secs_f64());

    let http = reqwest::Client::new();
    let gate = Arc::new(Semaphore::new(a.concurrency));
    let key = Arc::new(key);
    let started = Instant::now();
    let tasks: Vec<_> = carts
        .into_iter()
        .map(|cart| {
            let (http, gate, key, origin) = (http.clone(), gate.clone(), key.clone(), origin.clone());
            tokio::spawn(async move {
                let _turn = gate.acquire().await;
                let body = json!({"cart": cart, "return_url": "http://localhost/checkout",
                    "payment": {"provider_id": "pp_system_default", "data": {"card_number": "4242424242424242"}}})
                .to_string();
                let path = "/v1/carts/complete";
                let ts = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or_default();
                let nonce = random_body();
                // The origin verifies for its ENVIRONMENT (default development).
                let audience = std::env::var("ENVIRONMENT").unwrap_or_else(|_| "development".into());
                let sig = key.sign(&audience, "POST", path, ts, &nonce, body.as_bytes());
                let t0 = Instant::now();
                let res = http
                    .post(format!("{origin}{path}"))
                    .header("content-type", "application/json")
                    .header(TIMESTAMP_HEADER, ts.to_string())
                    .header(NONCE_HEADER, nonce)
                    .header(SIGNATURE_HEADER, sig)
                    .body(body)
                    .send()
                    .await;
                let ok = match res {
                    Ok(r) if r.status().is_success() => r
                        .json::<Value>()
                        .await
                        .map(|v| v["type"] == "order")
                        .unwrap_or(false),
                    _ => false,
                };
                (ok, t0.elapsed())
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (ok, took) = t.await.map_err(|e| e.to_string())?;
        if ok {
            latencies.push(took);
        } else {
            errors += 1;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    latencies.sort();
    // One line the caller parses: label|checkouts/s|p50 ms|p99 ms|errors
    println!(
        "{}|{:.0}|{:.1}|{:.1}|{}",
        if a.hot {
            "hot variant"
        } else {
            "well-stocked variants"
        },
        latencies.len() as f64 / wall,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        errors
    );
    Ok(())
}
