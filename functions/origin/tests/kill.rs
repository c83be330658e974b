//! THE KILL TEST: the real `origin` binary is SIGKILLed between the reservation and the
//! payment, once while Stripe (the fake) has not yet acted on the confirmation and
//! once after Stripe has authorized but before its answer arrived (the money is held),
//! and is started again. Nothing leaks and nothing is lost: the restarted origin's job
//! runner cancels the PaymentIntent once the order's reservation expires, fails the
//! order (which is still there, with its reason) and gives the stock back; the cart can
//! then be completed and is charged once.

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    connect, fresh_database, signed, Fault, FlakyStripe, Origin, SECRET, STRIPE_KEY, WEBHOOK_SECRET,
};
use provider_fakes::{spawn_stripe, StripeFakeConfig};
use serde_json::json;

/// Kills (SIGKILL) and reaps every origin process it holds when dropped, also when the
/// test fails half-way.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn log_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "origin-kill-{}-{name}.log",
        commerce::ids::random_body().to_lowercase()
    ))
}

/// Starts the origin binary on a free port against `database_url` and the Stripe fake;
/// waits until its health check answers. Its output goes to `log`.
async fn start_origin(
    database_url: &str,
    stripe_base: &str,
    ttl_s: u32,
    log: &PathBuf,
) -> (Child, String) {
    let port = free_port();
    let out = std::fs::File::create(log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_origin"))
        .env_clear()
        .env("ORIGIN_LISTEN", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", database_url)
        .env("DATABASE_POOL_SIZE", "8")
        .env("ORIGIN_SECRET", SECRET)
        .env("PAYMENT_PROVIDER", "stripe")
        .env("STRIPE_API_BASE", stripe_base)
        .env("STRIPE_SECRET_KEY", STRIPE_KEY)
        .env("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("EMAIL_PROVIDER", "local")
        .env("RESERVATION_TTL_SECONDS", ttl_s.to_string())
        .env("JOB_POLL_MS", "100")
        .env("PROVIDER_TIMEOUT_MS", "10000")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("the origin binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(res) = http.get(format!("{base}/health")).send().await {
            if res.status() == 200 {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the origin did not become healthy; see {}",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, base)
}

async fn origin_at(base: &str, database_url: &str) -> Origin {
    Origin {
        base: base.to_owned(),
        db: connect(database_url).await,
        database_url: database_url.to_owned(),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        key: commerce::signing::SigningKey::parse(SECRET).unwrap(),
    }
}

/// Polls `check` every 20 ms for at most `secs`; true once it held.
async fn eventually<F: std::future::Future<Output = bool>>(
    secs: u64,
    mut check: impl FnMut() -> F,
) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Where the origin is when it is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Moment {
    /// Stripe is slow to take the confirmation: it has not acted on it yet.
    StripeStillWaiting,
    /// Stripe has authorized (the money is held) but its answer has not arrived.
    StripeAuthorizedUnheard,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_stripe_is_slow_to_confirm_nothing_leaks_nothing_is_lost() {
    tokio::time::timeout(
        Duration::from_secs(120),
        kill_between_reservation_and_payment(Moment::StripeStillWaiting),
    )
    .await
    .expect("the kill test did not finish within 120 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_after_stripe_authorized_unheard_the_hold_is_cancelled() {
    tokio::time::timeout(
        Duration::from_secs(120),
        kill_between_reservation_and_payment(Moment::StripeAuthorizedUnheard),
    )
    .await
    .expect("the kill test did not finish within 120 s");
}

async fn kill_between_reservation_and_payment(moment: Moment) {
    let database_url = fresh_database().await;
    let stripe = spawn_stripe(StripeFakeConfig::new(STRIPE_KEY)).await;
    // The origin reaches Stripe through a proxy that can hold one answer back.
    let proxy = FlakyStripe::spawn().await;
    proxy.set_upstream(stripe.base_url());
    let (first_log, second_log) = (log_path("first"), log_path("second"));
    let logs = format!(
        "origin logs: {} and {}",
        first_log.display(),
        second_log.display()
    );
    let mut processes = Processes(Vec::new());

    // The first origin holds stock for 6 s: long enough to be killed before its own
    // job runner could expire the order.
    let (child, base) = start_origin(&database_url, &proxy.url, 6, &first_log).await;
    processes.0.push(child);
    let o = origin_at(&base, &database_url).await;
    let cart = o.ready_cart(&[("variant_A1S", 2)]).await;
    let before = o.stock("variant_A1S").await;
    let pi = o.stripe_session(&cart, "pm_card_visa").await;

    match moment {
        // Stripe is slow: the authorization's read of the PaymentIntent and then its
        // confirmation each wait 1.5 s before Stripe handles them.
        Moment::StripeStillWaiting => stripe.delay_next(2, 1500),
        // Stripe confirms at once, but its answer takes 30 s to come back.
        Moment::StripeAuthorizedUnheard => proxy.fail("/confirm", Fault::HoldAnswer(30_000), 1),
    }
    let body = serde_json::to_vec(&json!({"cart": cart, "payment": null,
                                          "return_url": "http://alpha.test/checkout"}))
    .unwrap();
    let request = signed(
        &o.http,
        &o.key,
        &o.base,
        "POST",
        "/v1/carts/complete",
        &body,
    );
    let completion = tokio::spawn(async move { request.send().await });

    // The order is placed and holds its stock ...
    let (first, cart_ref) = (&o, &cart);
    let placed = eventually(10, move || async move {
        first
            .live_order(cart_ref)
            .await
            .is_some_and(|(_, s)| s == "pending")
            && first.stock("variant_A1S").await == (before.0, before.1 + 2)
    })
    .await;
    assert!(placed, "no pending order holding the stock; {logs}");
    let (order_id, _) = o.live_order(&cart).await.unwrap();
    // ... the PaymentIntent has been read and the confirmation is on its way to
    // Stripe (or done there, unheard): now the origin dies.
    let (fake, pi_ref) = (&stripe, &pi);
    let reached = eventually(10, move || async move {
        match moment {
            Moment::StripeStillWaiting => fake
                .requests()
                .iter()
                .any(|r| r.method == "GET" && r.path == format!("/v1/payment_intents/{pi_ref}")),
            Moment::StripeAuthorizedUnheard => fake
                .intent(pi_ref)
                .is_some_and(|i| i.status == "requires_capture"),
        }
    })
    .await;
    assert!(
        reached,
        "the origin did not get as far as {moment:?}; {logs}"
    );
    if moment == Moment::StripeStillWaiting {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(o.order_status(&order_id).await, "pending");
    let mut killed = processes.0.pop().unwrap();
    killed.kill().expect("SIGKILL");
    let exit = killed.wait().unwrap();
    assert!(!exit.success(), "{exit:?}");
    stripe.delay_next(0, 0);
    let answer = completion.await.unwrap();
    assert!(
        answer.is_err(),
        "the killed origin answered the completion: {answer:?}"
    );
    if moment == Moment::StripeAuthorizedUnheard {
        let held = stripe.intent(&pi).unwrap();
        assert_eq!(
            (held.status.as_str(), held.amount_capturable > 0),
            ("requires_capture", true),
            "the shopper's money is held at Stripe"
        );
    }

    // Dead origin: the order is still pending and its stock held.
    assert_eq!(o.order_status(&order_id).await, "pending");
    assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 2));
    assert_eq!(
        o.count("SELECT count(*) FROM order_transactions").await,
        0,
        "nothing was recorded as paid"
    );

    // Started again (its own reservations last 2 s). Once the order's reservation has
    // expired, the job runner cancels the PaymentIntent and fails the order.
    let (child, base) = start_origin(&database_url, &proxy.url, 2, &second_log).await;
    processes.0.push(child);
    let o = origin_at(&base, &database_url).await;
    assert_eq!(
        o.wait_order_status(&order_id, "failed", 20).await,
        "failed",
        "the restarted origin did not expire the order; {logs}"
    );
    let intent = stripe.intent(&pi).unwrap();
    assert_eq!(intent.status, "canceled", "{intent:?}");
    assert_eq!(intent.capture_count, 0);
    assert_eq!(intent.amount_received, 0);
    assert_eq!(intent.amount_capturable, 0, "nothing is held any more");
    eprintln!(
        "kill test ({moment:?}): Stripe {} the confirmation sent before the kill",
        if intent.confirm_count == 1 {
            "applied"
        } else {
            "never applied"
        }
    );
    assert_eq!(
        o.stock("variant_A1S").await,
        before,
        "no stock leaked; {logs}"
    );
    let row =
        o.db.query_one(
            "SELECT status, failure_reason, cart_id FROM orders WHERE id = $1",
            &[&order_id],
        )
        .await
        .unwrap();
    let (status, reason, cart_id): (String, Option<String>, String) =
        (row.get(0), row.get(1), row.get(2));
    assert_eq!(status, "failed");
    assert!(
        reason
            .as_deref()
            .is_some_and(|r| r.contains("not completed in time")),
        "{reason:?}"
    );
    assert_eq!(cart_id, cart.id.as_str(), "the order is still there");
    assert_eq!(
        o.count("SELECT count(*) FROM order_reservations WHERE state = 'held'")
            .await,
        0
    );
    assert_eq!(
        o.count("SELECT count(*) FROM outbox WHERE topic = 'inventory.released'")
            .await,
        1
    );
    assert_eq!(
        o.count("SELECT count(*) FROM payment_sessions WHERE status = 'canceled'")
            .await,
        1
    );

    // The shopper tries again: one order confirmed, charged once.
    let (status, body) = o.complete_stripe(&cart, Some("pm_card_visa")).await;
    assert_eq!(status, 200, "{body}; {logs}");
    assert_eq!(body["type"], "order", "{body}");
    assert_eq!(body["order"]["status"], "confirmed");
    let new_id = body["order"]["id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, order_id);
    assert_eq!(
        o.count("SELECT count(*) FROM orders WHERE status = 'confirmed'")
            .await,
        1
    );
    assert_eq!(o.count("SELECT count(*) FROM orders").await, 2);
    assert_eq!(o.stock("variant_A1S").await, (before.0, before.1 + 2));
    let intents = stripe.intents();
    assert_eq!(intents.len(), 2);
    assert_eq!(
        intents.iter().map(|i| i.capture_count).sum::<u32>(),
        1,
        "{intents:?}"
    );
    assert!(intents
        .iter()
        .any(|i| i.id != pi && i.status == "succeeded"));
    drop(processes);
    // Passed: the logs are not needed.
    let _ = std::fs::remove_file(&first_log);
    let _ = std::fs::remove_file(&second_log);
}
