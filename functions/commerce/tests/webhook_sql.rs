//! Outbound webhooks against a real PostgreSQL (the two-store fixture): every event
//! written to the outbox becomes a delivery for each endpoint of its store that wants
//! its topic, in the same transaction; the runner's claims lease deliveries by
//! endpoint in the order events were written; attempts retry on the schedule, die
//! after it (the endpoint flagged), and a 410 disables the endpoint; resending and
//! rotating work; another store's endpoints are not found.

mod common;

use commerce::ids::StoreId;
use commerce::outbox::{self, Topic};
use commerce::webhook::repo::{self, Change, Due, Outcome};
use commerce::webhook::{self, Attempt, EndpointId, EndpointStatus, Next};
use commerce::{ApiError, ErrorCode};
use common::test_db;
use serde_json::{json, Value};
use tokio_postgres::Client;

fn store(id: &str) -> StoreId {
    StoreId::parse(id).unwrap()
}

async fn event(db: &Client, store_id: &str, topic: Topic, n: i64) {
    let payload = json!({ "product_id": format!("prod_{n}"), "n": n });
    outbox::enqueue(db, &store(store_id), topic, payload, Some("trace-1"))
        .await
        .unwrap();
}

async fn claim_all(db: &Client) -> Vec<Due> {
    repo::claim(db, 100, 10, 60.0, &[]).await.unwrap()
}

async fn record(db: &Client, due: &Due, attempt: Attempt, schedule: &[u64]) -> Next {
    let made = usize::try_from(due.attempts).unwrap() + 1;
    let next = webhook::after(&attempt, made, schedule);
    let outcome = Outcome {
        attempt: &attempt,
        next,
        duration_ms: 3,
        error: None,
        response: Some("ok"),
    };
    repo::record(db, due, &outcome).await.unwrap();
    next
}

/// Makes every pending delivery due now (the schedule's waits elapsed).
async fn time_passes(db: &Client) {
    db.batch_execute(
        "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending'",
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn events_fan_out_to_the_endpoints_that_want_them_in_the_same_transaction() {
    let db = test_db().await;
    let alpha = store("store_ALPHA");
    let topics = [Topic::ProductCreated, Topic::ProductUpdated];
    let (orders, _) = repo::create(
        &db,
        &alpha,
        "http://127.0.0.1:9/orders",
        "",
        &[Topic::OrderCreated],
    )
    .await
    .unwrap();
    let (products, secret) =
        repo::create(&db, &alpha, "http://127.0.0.1:9/products", "ERP", &topics)
            .await
            .unwrap();
    assert!(secret.reveal().starts_with("whsec_"));
    let (paused, _) = repo::create(&db, &alpha, "http://127.0.0.1:9/paused", "", &topics)
        .await
        .unwrap();
    let change = Change {
        status: Some(EndpointStatus::Paused),
        ..Change::default()
    };
    repo::update(&db, &alpha, &paused.id, &change)
        .await
        .unwrap();
    let (beta, _) = repo::create(
        &db,
        &store("store_BETA"),
        "http://127.0.0.1:9/beta",
        "",
        &topics,
    )
    .await
    .unwrap();

    // A rolled-back change leaves neither its event nor a delivery.
    db.batch_execute("BEGIN").await.unwrap();
    event(&db, "store_ALPHA", Topic::ProductCreated, 0).await;
    db.batch_execute("ROLLBACK").await.unwrap();
    event(&db, "store_ALPHA", Topic::ProductCreated, 1).await;
    event(&db, "store_ALPHA", Topic::ProductUpdated, 2).await;
    event(&db, "store_ALPHA", Topic::InventoryAdjusted, 3).await;

    let of = |id: &EndpointId| {
        let id = id.clone();
        let db = &db;
        async move {
            repo::deliveries(db, &alpha_id(), &id, None, 50)
                .await
                .unwrap()
        }
    };
    fn alpha_id() -> StoreId {
        StoreId::parse("store_ALPHA").unwrap()
    }
    let delivered = of(&products.id).await;
    assert_eq!(delivered.len(), 2, "product.created and product.updated");
    assert_eq!(delivered[1].topic, "product.created");
    assert_eq!(delivered[1].body["type"], "product.created");
    assert_eq!(
        delivered[1].body["data"],
        json!({"product_id": "prod_1", "n": 1})
    );
    assert!(delivered[1].body["timestamp"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert!(delivered[0].sequence > delivered[1].sequence);
    assert_eq!(delivered[0].body["sequence"], json!(delivered[0].sequence));
    assert!(delivered[1].event_id.starts_with("evt_"));
    assert!(of(&orders.id).await.is_empty());
    assert_eq!(
        of(&paused.id).await.len(),
        2,
        "a paused endpoint's deliveries wait"
    );
    let beta_deliveries = repo::deliveries(&db, &store("store_BETA"), &beta.id, None, 50)
        .await
        .unwrap();
    assert!(
        beta_deliveries.is_empty(),
        "another store's events are not theirs"
    );

    // The runner claims only active endpoints' deliveries, in sequence order.
    let due = claim_all(&db).await;
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|d| d.endpoint_id == products.id));
    assert!(due[0].sequence < due[1].sequence);
    assert_eq!(due[0].secrets, vec![secret.clone()]);
    let body: Value = serde_json::from_str(&due[0].body).unwrap();
    assert_eq!(body["type"], "product.created");
    // Claimed deliveries are leased: not claimed again meanwhile.
    assert!(claim_all(&db).await.is_empty());
}

#[tokio::test]
async fn attempts_retry_on_the_schedule_die_after_it_and_a_410_disables() {
    let db = test_db().await;
    let alpha = store("store_ALPHA");
    let (flaky, _) = repo::create(
        &db,
        &alpha,
        "http://127.0.0.1:9/a",
        "",
        &[Topic::ProductCreated],
    )
    .await
    .unwrap();
    event(&db, "store_ALPHA", Topic::ProductCreated, 1).await;
    let schedule = [0, 1, 1];
    let failed = || Attempt::Failed {
        status: Some(500),
        retry_after_s: None,
    };

    let due = claim_all(&db).await;
    assert_eq!(
        record(&db, &due[0], failed(), &schedule).await,
        Next::RetryIn(1)
    );
    time_passes(&db).await;
    let due = claim_all(&db).await;
    assert_eq!(due[0].attempts, 1);
    assert_eq!(
        record(&db, &due[0], failed(), &schedule).await,
        Next::RetryIn(1)
    );
    time_passes(&db).await;
    let due = claim_all(&db).await;
    assert_eq!(record(&db, &due[0], failed(), &schedule).await, Next::Dead);
    let endpoint = repo::get(&db, &alpha, &flaky.id).await.unwrap();
    assert!(
        endpoint.failing_since.is_some(),
        "a dead delivery flags its endpoint"
    );
    assert_eq!(endpoint.status, EndpointStatus::Active);
    let dead = repo::deliveries(&db, &alpha, &flaky.id, Some("dead"), 10)
        .await
        .unwrap();
    assert_eq!(
        (dead.len(), dead[0].attempts, dead[0].last_status),
        (1, 3, Some(500))
    );
    assert!(claim_all(&db).await.is_empty());

    // Resending every dead one: a new round, delivered; the flag is cleared.
    assert_eq!(repo::resend(&db, &alpha, &flaky.id, None).await.unwrap(), 1);
    let due = claim_all(&db).await;
    assert_eq!(due[0].attempts, 0);
    let ok = Attempt::Delivered { status: 204 };
    assert_eq!(record(&db, &due[0], ok, &schedule).await, Next::Delivered);
    let endpoint = repo::get(&db, &alpha, &flaky.id).await.unwrap();
    assert!(endpoint.failing_since.is_none());
    let done = repo::deliveries(&db, &alpha, &flaky.id, Some("delivered"), 10)
        .await
        .unwrap();
    assert_eq!(done.len(), 1);
    assert!(done[0].delivered_at.is_some() && done[0].next_attempt_at.is_none());
    let missing = repo::resend(&db, &alpha, &flaky.id, Some(999_999))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);

    // 410: dead at once, the endpoint disabled; no new deliveries until it is active.
    event(&db, "store_ALPHA", Topic::ProductCreated, 2).await;
    let due = claim_all(&db).await;
    assert_eq!(
        record(&db, &due[0], Attempt::Gone, &schedule).await,
        Next::Disable
    );
    let endpoint = repo::get(&db, &alpha, &flaky.id).await.unwrap();
    assert_eq!(endpoint.status, EndpointStatus::Disabled);
    assert!(endpoint.disabled_reason.unwrap().contains("410"));
    event(&db, "store_ALPHA", Topic::ProductCreated, 3).await;
    assert_eq!(
        repo::deliveries(&db, &alpha, &flaky.id, None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    let change = Change {
        status: Some(EndpointStatus::Active),
        ..Change::default()
    };
    let endpoint = repo::update(&db, &alpha, &flaky.id, &change).await.unwrap();
    assert!(endpoint.disabled_reason.is_none());
    event(&db, "store_ALPHA", Topic::ProductCreated, 4).await;
    assert_eq!(
        repo::deliveries(&db, &alpha, &flaky.id, None, 10)
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn one_endpoints_backlog_never_fills_a_round() {
    let db = test_db().await;
    let alpha = store("store_ALPHA");
    let topics = [Topic::ProductUpdated];
    let (busy, _) = repo::create(&db, &alpha, "http://127.0.0.1:9/busy", "", &topics)
        .await
        .unwrap();
    for n in 0..30 {
        event(&db, "store_ALPHA", Topic::ProductUpdated, n).await;
    }
    let (quiet, _) = repo::create(&db, &alpha, "http://127.0.0.1:9/quiet", "", &topics)
        .await
        .unwrap();
    event(&db, "store_ALPHA", Topic::ProductUpdated, 99).await;
    let busy_only = [busy.id.to_string()];
    let others = repo::claim(&db, 12, 10, 60.0, &busy_only).await.unwrap();
    assert!(others.iter().all(|d| d.endpoint_id == quiet.id) && others.len() == 1);
    time_passes(&db).await;
    let due = repo::claim(&db, 12, 10, 60.0, &[]).await.unwrap();
    let busy_n = due.iter().filter(|d| d.endpoint_id == busy.id).count();
    let quiet_n = due.iter().filter(|d| d.endpoint_id == quiet.id).count();
    assert_eq!((busy_n, quiet_n), (10, 1));
    let seqs: Vec<i64> = due
        .iter()
        .filter(|d| d.endpoint_id == busy.id)
        .map(|d| d.sequence)
        .collect();
    let mut sorted = seqs.clone();
    sorted.sort();
    assert_eq!(seqs, sorted, "in the order the events were written");
}

#[tokio::test]
async fn rotation_signs_with_both_secrets_for_the_overlap_and_stores_are_apart() {
    let db = test_db().await;
    let alpha = store("store_ALPHA");
    let (e, old) = repo::create(
        &db,
        &alpha,
        "http://127.0.0.1:9/r",
        "",
        &[Topic::OrderCreated],
    )
    .await
    .unwrap();
    let (rotated, new) = repo::rotate(&db, &alpha, &e.id).await.unwrap();
    assert_ne!(old, new);
    assert!(rotated.previous_secret_until.is_some());
    event(&db, "store_ALPHA", Topic::OrderCreated, 1).await;
    let due = claim_all(&db).await;
    assert_eq!(due[0].secrets, vec![new, old]);
    // After the overlap only the new one signs.
    db.batch_execute(
        "UPDATE webhook_endpoints SET previous_secret_until = now() - interval '1 second'",
    )
    .await
    .unwrap();
    event(&db, "store_ALPHA", Topic::OrderCreated, 2).await;
    let due = claim_all(&db).await;
    assert_eq!(due[0].secrets.len(), 1);

    let beta = store("store_BETA");
    let not_found = |r: Result<_, ApiError>| matches!(r, Err(e) if e.code() == ErrorCode::NotFound);
    assert!(not_found(repo::get(&db, &beta, &e.id).await.map(|_| ())));
    assert!(not_found(repo::rotate(&db, &beta, &e.id).await.map(|_| ())));
    assert!(not_found(
        repo::update(&db, &beta, &e.id, &Change::default())
            .await
            .map(|_| ())
    ));
    assert!(not_found(repo::delete(&db, &beta, &e.id).await.map(|_| ())));
    assert!(not_found(
        repo::resend(&db, &beta, &e.id, None).await.map(|_| ())
    ));
    assert!(repo::list(&db, &beta).await.unwrap().is_empty());
    repo::delete(&db, &alpha, &e.id).await.unwrap();
    assert!(repo::list(&db, &alpha).await.unwrap().is_empty());
    let left: i64 = db
        .query_one("SELECT count(*) FROM webhook_deliveries", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "an endpoint's deliveries go with it");
}

#[tokio::test]
async fn every_event_has_one_envelope_whose_id_is_its_deliveries_webhook_id() {
    let db = test_db().await;
    let alpha = store("store_ALPHA");
    let (endpoint, _) = repo::create(
        &db,
        &alpha,
        "http://127.0.0.1:9/e",
        "",
        &[Topic::InventoryAdjusted],
    )
    .await
    .unwrap();
    let before_ms: i64 = db
        .query_one("SELECT (extract(epoch FROM now()) * 1000)::int8", &[])
        .await
        .unwrap()
        .get(0);
    event(&db, "store_ALPHA", Topic::InventoryAdjusted, 7).await;
    // A row written before envelopes carried id, store and milliseconds reads the same.
    db.batch_execute(
        "INSERT INTO outbox (store_id, topic, payload, trace_id, kind)
         SELECT 'store_ALPHA', 'inventory.adjusted',
                jsonb_build_object('topic', 'inventory.adjusted', 'timestamp', api_ts(now()),
                                   'trace_id', NULL, 'payload', '{}'::jsonb), NULL, 'inventory'",
    )
    .await
    .unwrap();
    let jobs = outbox::claim(&db, outbox::JobKind::Inventory, 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 2);
    for job in &jobs {
        let e = &job.envelope;
        assert_eq!(e.id, format!("evt_{}", job.id));
        assert_eq!(e.store_id, alpha);
        assert!(
            (before_ms - 5_000..before_ms + 60_000).contains(&e.timestamp),
            "{}",
            e.timestamp
        );
    }
    assert_eq!(jobs[0].envelope.trace_id.as_deref(), Some("trace-1"));
    assert_eq!(jobs[0].envelope.payload["n"], 7);
    let shown = repo::deliveries(&db, &alpha, &endpoint.id, None, 10)
        .await
        .unwrap();
    let ids: Vec<&str> = shown.iter().rev().map(|d| d.event_id.as_str()).collect();
    let envelope_ids: Vec<&str> = jobs.iter().map(|j| j.envelope.id.as_str()).collect();
    assert_eq!(ids, envelope_ids);
    let json = serde_json::to_value(&jobs[0].envelope).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "id",
            "payload",
            "store_id",
            "timestamp",
            "topic",
            "trace_id"
        ]
    );
}
