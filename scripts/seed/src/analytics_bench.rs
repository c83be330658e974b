//! `seed analytics-bench <events> --store <id>`: fills a store with generated shopper
//! events over the year before today (UTC), then times the figures as the dashboard
//! reads them: the first read (every day of the year rolled up), a read with nothing
//! new, and a read after one more day of events (that day alone rolled up).

use std::time::Instant;

use commerce::analytics::metrics::{daily_metrics, range_ending};
use commerce::ids::StoreId;
use tokio_postgres::Client;

/// Events inserted per statement.
const CHUNK: i64 = 250_000;

/// Inserts `n` events spread over `days` days ending `end_offset` days before today
/// began (-1: ending now):
/// sessions of about six events (views, lists, searches, adds, checkouts, purchases).
async fn generate(
    client: &Client,
    store: &StoreId,
    n: i64,
    days: i64,
    end_offset: i64,
    tag: &str,
) -> Result<(), String> {
    let products: Vec<String> = client
        .query(
            "SELECT id FROM products WHERE store_id = $1 ORDER BY id LIMIT 200",
            &[&store.as_str()],
        )
        .await
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut done = 0;
    while done < n {
        let count = CHUNK.min(n - done);
        client
            .execute(
                "INSERT INTO analytics_events (store_id, name, actor, metadata, occurred_at, event_key)
                 SELECT $1,
                        CASE WHEN r < 0.60 THEN 'view_item' WHEN r < 0.70 THEN 'view_item_list'
                             WHEN r < 0.75 THEN 'search' WHEN r < 0.90 THEN 'add_to_cart'
                             WHEN r < 0.97 THEN 'begin_checkout' ELSE 'purchase' END,
                        'v_' || (i / 6)::text,
                        CASE WHEN r < 0.60 OR (r >= 0.75 AND r < 0.90)
                             THEN jsonb_build_object('product_id', ($2::text[])[1 + (i % cardinality($2::text[]))], 'quantity', 1)
                             WHEN r >= 0.97
                             THEN jsonb_build_object('currency', 'eur', 'value', 4900, 'items',
                                  jsonb_build_array(jsonb_build_object('product_id',
                                      ($2::text[])[1 + (i % cardinality($2::text[]))], 'quantity', 1, 'total', 4900)))
                             ELSE '{}'::jsonb END,
                        CASE WHEN $5::int < 0 THEN now()
                             ELSE date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                                  - make_interval(days => $5::int) END
                            - ((i % ($4::int8 * 86400)) * interval '1 second'),
                        $6 || i::text
                 FROM (SELECT i, random() AS r FROM generate_series($3::int8, $3::int8 + $7::int8 - 1) AS i) g",
                &[&store.as_str(), &products, &done, &days, &(end_offset as i32), &tag, &count],
            )
            .await
            .map_err(|e| match e.as_db_error() {
                Some(db) => format!("generating events: {}", db.message()),
                None => e.to_string(),
            })?;
        done += count;
        crate::progress("analytics: generating", done as usize, n as usize);
    }
    Ok(())
}

pub async fn run(client: &Client, store: &str, n: i64) -> Result<(), String> {
    let store = StoreId::parse(store).map_err(|e| e.to_string())?;
    let fail = |e: commerce::ApiError| format!("{e:?}");
    let started = Instant::now();
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_nanos();
    generate(client, &store, n, 365, 1, &format!("bench-{run}:")).await?;
    let generated = started.elapsed().as_secs_f64();
    let now_ms = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_millis(),
    )
    .unwrap_or(0);
    let (from, to) = range_ending(now_ms, 365);
    let timed = async |label: &str| -> Result<f64, String> {
        let t = Instant::now();
        let m = daily_metrics(client, &store, &from, &to, 10)
            .await
            .map_err(fail)?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        eprintln!(
            "analytics: {label}: {ms:.0} ms ({} days, {} product views, {} orders)",
            m.days.len(),
            m.totals.product_views,
            m.totals.orders
        );
        Ok(ms)
    };
    let first = timed("first read of the year (every day rolled up)").await?;
    let again = timed("read again, nothing new").await?;
    // Today's events so far (at most a day's worth, seconds apart, ending now).
    let day = (n / 365).clamp(1, 20_000);
    generate(client, &store, day, 1, -1, &format!("bench-today-{run}:")).await?;
    let after = timed("read after a day's events (that day rolled up)").await?;
    println!(
        "analytics: {n} events over a year generated in {generated:.0} s; a year's figures: first read {:.1} s (365 days rolled up), then {again:.0} ms; after a new day of {day} events {after:.0} ms",
        first / 1000.0
    );
    Ok(())
}
