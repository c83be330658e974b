//! `seed webhooks-bench <events> --store <id> [--endpoints <n>]`: events through the
//! outbox and their webhook deliveries, against an origin that runs on the same
//! database (its job runner and delivery runner do the work; this only writes and
//! watches). It starts a receiver on 127.0.0.1 (a free port) that answers every signed
//! POST with 204 and counts them, registers `n` endpoints of the store there (default
//! 4) subscribed to `product.updated`, and writes `events` such events as the platform
//! does (`commerce::outbox::enqueue`, a transaction per [`BATCH`]), each fanned out by
//! migration 0032's trigger into one delivery per endpoint. Then it waits until the
//! job runner has taken every event to done and every delivery is delivered, and
//! prints one line: the write rate, the events per second to done and the deliveries
//! per second (both from the first write, by the database's clock), and the
//! deliveries' latency from written to delivered. A failed attempt (of a job or a
//! delivery) or a minute and a half without progress ends it with an error. The
//! endpoints (and their deliveries) are deleted again at the end.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use commerce::ids::{EndpointId, StoreId};
use commerce::outbox::{self, Topic};
use commerce::webhook::repo;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_postgres::Client;

/// The topic written and subscribed to.
const TOPIC: Topic = Topic::ProductUpdated;
/// Events written per transaction: few enough that an event waits little for its
/// commit (its deliveries' `created_at` is the transaction's start).
const BATCH: i64 = 100;
/// How long to wait without any event done or delivery delivered.
const STALL: Duration = Duration::from_secs(90);
/// How long pending events of earlier writes (the catalog's) may keep the origin busy
/// before the run starts.
const SETTLE: Duration = Duration::from_secs(60);

fn db(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("database: {}", d.message()),
        None => format!("database: {e}"),
    }
}

fn api(e: commerce::ApiError) -> String {
    format!(
        "{e}{}",
        e.log_detail()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    )
}

pub async fn run(client: &mut Client, store: &str, n: i64, endpoints: usize) -> Result<(), String> {
    let store = StoreId::parse(store).map_err(|e| e.to_string())?;
    if n < 1 {
        return Err("the number of events is at least 1".into());
    }
    let limit = usize::try_from(commerce::webhook::MAX_ENDPOINTS).unwrap_or(20);
    if !(1..=limit).contains(&endpoints) {
        return Err(format!("--endpoints takes 1 to {limit}"));
    }
    let existing: i64 = client
        .query_one(
            "SELECT count(*) FROM webhook_endpoints WHERE store_id = $1",
            &[&store.as_str()],
        )
        .await
        .map_err(db)?
        .get(0);
    if existing > 0 {
        return Err(format!(
            "{store} already has {existing} webhook endpoints; the bench wants a store without any (a database of its own)"
        ));
    }
    settle(client).await?;

    let received = Arc::new(AtomicU64::new(0));
    let address = receiver(received.clone())?;
    let mut made = Vec::new();
    for i in 0..endpoints {
        let url = format!("http://{address}/hooks/{i}");
        match repo::create(&*client, &store, &url, "webhooks-bench", &[TOPIC]).await {
            Ok((endpoint, _secret)) => made.push(endpoint.id),
            Err(e) => {
                forget(client, &store, &made).await;
                return Err(api(e));
            }
        }
    }
    let ids: Vec<String> = made.iter().map(|id| id.to_string()).collect();
    let result = measure(client, &store, n, &ids, &received).await;
    forget(client, &store, &made).await;
    println!("{}", result?);
    Ok(())
}

/// Waits until no event of the outbox is pending (the demo catalog's, say), so that
/// the run measures only its own; an origin that takes none is named.
async fn settle(client: &Client) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let pending: i64 = client
            .query_one(
                "SELECT count(*) FROM outbox WHERE status = 'pending' AND next_attempt_at <= now()",
                &[],
            )
            .await
            .map_err(db)?
            .get(0);
        if pending == 0 {
            return Ok(());
        }
        if started.elapsed() > SETTLE {
            return Err(format!(
                "{pending} events of the outbox are still pending after {} s: is an origin running on this database?",
                SETTLE.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Deletes the bench's endpoints and their deliveries (best effort: the receiver is
/// gone when this process ends, and the origin would retry into nothing). A delivery
/// runner's claim that holds their rows makes it give up after a few seconds.
async fn forget(client: &Client, store: &StoreId, ids: &[EndpointId]) {
    let deleted = async {
        client
            .batch_execute("SET lock_timeout = '5s'")
            .await
            .map_err(db)?;
        for id in ids {
            repo::delete(client, store, id).await.map_err(api)?;
        }
        Ok::<(), String>(())
    };
    if let Err(e) = deleted.await {
        eprintln!("webhooks: the bench's webhook endpoints were left in place: {e}");
    }
}

/// Writes the events, waits for the origin, and answers the summary line.
async fn measure(
    client: &mut Client,
    store: &StoreId,
    n: i64,
    ids: &[String],
    received: &AtomicU64,
) -> Result<String, String> {
    let products: Vec<String> = client
        .query(
            "SELECT id FROM products WHERE store_id = $1 ORDER BY id LIMIT 200",
            &[&store.as_str()],
        )
        .await
        .map_err(db)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if products.is_empty() {
        return Err(format!(
            "{store} has no products (seed load the catalog first)"
        ));
    }
    // The run's own W3C trace id: its events are the ones after `after` with it.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_nanos();
    let trace = format!("{nanos:032x}");
    let row = client
        .query_one(
            "SELECT coalesce(max(id), 0), extract(epoch FROM clock_timestamp())::float8 FROM outbox",
            &[],
        )
        .await
        .map_err(db)?;
    let (after, first_write): (i64, f64) = (row.get(0), row.get(1));

    let started = Instant::now();
    let mut written = 0;
    while written < n {
        let tx = client.transaction().await.map_err(db)?;
        for i in written..(written + BATCH).min(n) {
            let product = &products[usize::try_from(i).unwrap_or(0) % products.len()];
            let payload = json!({
                "product_id": product,
                "changes": { "title": [format!("Title {i}"), format!("Title {}", i + 1)] }
            });
            outbox::enqueue(&tx, store, TOPIC, payload, Some(&trace))
                .await
                .map_err(api)?;
        }
        tx.commit().await.map_err(db)?;
        written = (written + BATCH).min(n);
        crate::progress("webhooks: writing", written as usize, n as usize);
    }
    let write_s = started.elapsed().as_secs_f64();

    let deliveries = n * ids.len() as i64;
    let mut last = (-1, -1);
    let mut progressed = Instant::now();
    loop {
        let job = client
            .query_one(
                "SELECT count(*) FILTER (WHERE status = 'done'),
                        coalesce(sum(attempts), 0) - count(*) FILTER (WHERE status = 'done')
                   FROM outbox WHERE id > $1 AND trace_id = $2",
                &[&after, &trace],
            )
            .await
            .map_err(db)?;
        let (done, failed_jobs): (i64, i64) = (job.get(0), job.get(1));
        let sent = client
            .query_one(
                "SELECT count(*) FILTER (WHERE status = 'delivered'),
                        coalesce(sum(attempts), 0) - count(*) FILTER (WHERE status = 'delivered'),
                        count(*)
                   FROM webhook_deliveries WHERE endpoint_id = ANY($1)",
                &[&ids],
            )
            .await
            .map_err(db)?;
        let (delivered, failed, made): (i64, i64, i64) = (sent.get(0), sent.get(1), sent.get(2));
        if made != deliveries {
            return Err(format!(
                "{n} events to {} endpoints made {made} deliveries, not {deliveries}",
                ids.len()
            ));
        }
        if failed_jobs > 0 {
            let why: Option<String> = client
                .query_one(
                    "SELECT min(last_error) FROM outbox
                      WHERE id > $1 AND trace_id = $2 AND last_error IS NOT NULL",
                    &[&after, &trace],
                )
                .await
                .map_err(db)?
                .get(0);
            return Err(format!(
                "{failed_jobs} job attempts of the bench's events failed ({})",
                why.unwrap_or_default()
            ));
        }
        if failed > 0 {
            let why = client
                .query_one(
                    "SELECT min(last_status), min(last_error) FROM webhook_deliveries
                      WHERE endpoint_id = ANY($1) AND status <> 'delivered' AND attempts > 0",
                    &[&ids],
                )
                .await
                .map_err(db)?;
            let (status, error): (Option<i32>, Option<String>) = (why.get(0), why.get(1));
            return Err(format!(
                "{failed} webhook delivery attempts failed (status {}, {})",
                status.map_or("none".into(), |s| s.to_string()),
                error.unwrap_or_else(|| "no error text".into())
            ));
        }
        crate::progress(
            "webhooks: delivering",
            delivered as usize,
            deliveries as usize,
        );
        if done == n && delivered == deliveries {
            break;
        }
        if (done, delivered) != last {
            last = (done, delivered);
            progressed = Instant::now();
        } else if progressed.elapsed() > STALL {
            return Err(format!(
                "nothing moved for {} s: {done} of {n} events done, {delivered} of {deliveries} deliveries delivered; {}",
                STALL.as_secs(),
                busiest(client).await?
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let jobs_s: f64 = client
        .query_one(
            "SELECT extract(epoch FROM max(done_at))::float8 - $3 FROM outbox
              WHERE id > $1 AND trace_id = $2",
            &[&after, &trace, &first_write],
        )
        .await
        .map_err(db)?
        .get(0);
    let row = client
        .query_one(
            "SELECT extract(epoch FROM max(delivered_at))::float8 - $2,
                    percentile_cont(ARRAY[0.5, 0.99]::float8[]) WITHIN GROUP
                        (ORDER BY extract(epoch FROM delivered_at - created_at)::float8)
               FROM webhook_deliveries WHERE endpoint_id = ANY($1)",
            &[&ids, &first_write],
        )
        .await
        .map_err(db)?;
    let (deliver_s, latency): (f64, Vec<f64>) = (row.get(0), row.get(1));
    let answered = received.load(Ordering::Relaxed);
    if answered != deliveries as u64 {
        return Err(format!(
            "the receiver answered {answered} requests for {deliveries} deliveries"
        ));
    }
    let endpoints = ids.len();
    Ok(format!(
        "webhooks: {n} events ({}, {BATCH} a transaction, each fanned out to {endpoints} endpoints) written in {write_s:.1} s ({:.0}/s); the job runner took them to done at {:.0} events/s ({jobs_s:.1} s from the first write); {deliveries} deliveries to a receiver on 127.0.0.1 delivered at {:.0}/s ({deliver_s:.1} s from the first write), 0 failed; latency written to delivered p50 {}, p99 {}",
        TOPIC.as_str(),
        n as f64 / write_s,
        n as f64 / jobs_s,
        deliveries as f64 / deliver_s,
        seconds(latency.first().copied().unwrap_or(0.0)),
        seconds(latency.get(1).copied().unwrap_or(0.0)),
    ))
}

/// What the database is busy with: its longest running statement (of another
/// connection to this database), for a run that stopped moving.
async fn busiest(client: &Client) -> Result<String, String> {
    let row = client
        .query_opt(
            "SELECT extract(epoch FROM now() - query_start)::float8,
                    left(regexp_replace(query, '\\s+', ' ', 'g'), 160)
               FROM pg_stat_activity
              WHERE state = 'active' AND pid <> pg_backend_pid()
                AND datname = current_database()
              ORDER BY query_start LIMIT 1",
            &[],
        )
        .await
        .map_err(db)?;
    Ok(match row {
        Some(r) => format!(
            "the database's longest running statement has run for {:.0} s: {}",
            r.get::<_, f64>(0),
            r.get::<_, String>(1)
        ),
        None => "no statement is running (is an origin running on this database?)".into(),
    })
}

/// `850 ms`, `12.3 s`.
fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.1} s")
    }
}

/// Starts the receiver on its own thread and runtime (so that the writing and
/// watching here never delay an answer): a minimal HTTP/1.1 server on 127.0.0.1, a
/// free port, keeping connections alive. A POST with the Standard Webhooks headers is
/// answered 204 and counted; anything else 400.
fn receiver(count: Arc<AtomicU64>) -> Result<SocketAddr, String> {
    let fail = |e: std::io::Error| format!("webhook receiver: {e}");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(fail)?;
    listener.set_nonblocking(true).map_err(fail)?;
    let address = listener.local_addr().map_err(fail)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(fail)?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let listener = match tokio::net::TcpListener::from_std(listener) {
                Ok(l) => l,
                Err(e) => return eprintln!("webhook receiver: {e}"),
            };
            loop {
                match listener.accept().await {
                    Ok((socket, _)) => {
                        let count = count.clone();
                        tokio::spawn(async move {
                            let _ = serve(socket, &count).await;
                        });
                    }
                    Err(e) => {
                        // Out of file descriptors, say: not in a busy loop.
                        eprintln!("webhook receiver: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
    });
    Ok(address)
}

/// The largest request head read.
const HEAD_LIMIT: usize = 64 * 1024;

/// Serves one connection's requests in turn until the client closes it.
async fn serve(mut socket: TcpStream, count: &AtomicU64) -> std::io::Result<()> {
    let _ = socket.set_nodelay(true);
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > HEAD_LIMIT {
                return Ok(());
            }
            buf.reserve(8 * 1024);
            if socket.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let mut lines = head.split("\r\n");
        let post = lines.next().is_some_and(|l| l.starts_with("post "));
        let (mut length, mut chunked, mut signed) = (0, false, 0);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            match name.trim() {
                "content-length" => length = value.trim().parse().unwrap_or(usize::MAX),
                "transfer-encoding" => chunked = true,
                "webhook-id" | "webhook-timestamp" | "webhook-signature" => signed += 1,
                _ => {}
            }
        }
        if chunked || length > 16 * 1024 * 1024 {
            socket
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await?;
            return Ok(());
        }
        while buf.len() < head_end + length {
            buf.reserve(head_end + length - buf.len());
            if socket.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        }
        buf.drain(..head_end + length);
        let answer: &[u8] = if post && signed == 3 {
            count.fetch_add(1, Ordering::Relaxed);
            b"HTTP/1.1 204 No Content\r\n\r\n"
        } else {
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"
        };
        socket.write_all(answer).await?;
    }
}
