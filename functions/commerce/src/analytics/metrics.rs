//! Daily figures of a store, from its analytics events: visitors, the funnel (product
//! views, adds to cart, checkouts begun, orders), revenue and average order value per
//! currency, and the top products by views, adds and revenue.
//!
//! What the events say (their `metadata`): `view_item` and `add_to_cart` name a
//! `product_id` (a page view served from the edge cache its `handle`; an add its
//! `quantity`); `purchase` (one per confirmed order) its
//! `currency`, `value` (minor units) and `items` (`product_id`, `quantity`, `total`).
//! `view_item_list`, `search` and `begin_checkout` are counted. A visitor is a distinct
//! actor (a session, a cart or a customer). The funnel counts events of each step;
//! its conversion is each step over the one before.
//!
//! The figures are kept per UTC day in rollup tables (migration 0021): an insert of
//! events marks its days dirty, and [`daily_metrics`] first recomputes the store's
//! dirty days from their own events (one day's events each, by index), then reads the
//! rollups. A year's figures are a few hundred rows whatever the store's traffic.

use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use crate::db::{atomically, col, Param};
use crate::error::ApiError;
use crate::ids::StoreId;

/// The longest range read at once, in days.
pub const MAX_DAYS: i64 = 400;

/// One day's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub visitors: i64,
    pub product_views: i64,
    pub list_views: i64,
    pub searches: i64,
    pub adds_to_cart: i64,
    pub checkouts: i64,
    pub orders: i64,
    /// Per currency (lower-case code), in minor units.
    pub revenue: Vec<Revenue>,
}

/// Orders and revenue in one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Revenue {
    pub currency: String,
    pub orders: i64,
    /// Minor units.
    pub revenue: i64,
}

impl Revenue {
    /// Average order value in minor units (0 without orders).
    pub fn average(&self) -> i64 {
        if self.orders == 0 {
            0
        } else {
            self.revenue / self.orders
        }
    }
}

/// One step of the funnel over the range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelStep {
    pub step: &'static str,
    pub count: i64,
    /// This step over the one before, 0 to 1 (none for the first, or after 0).
    pub conversion: Option<f64>,
}

/// A product among the top ones of the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopProduct {
    pub product_id: String,
    /// Its title now (or its id when it is gone).
    pub title: String,
    /// Views, units added, or revenue in minor units of `currency`.
    pub value: i64,
}

/// The figures of a range of days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub from: String,
    pub to: String,
    /// Every day of the range, in order (days without events are zeros).
    pub days: Vec<Day>,
    /// Over the range: visitors summed per day.
    pub totals: Day,
    pub funnel: Vec<FunnelStep>,
    pub top_by_views: Vec<TopProduct>,
    pub top_by_adds: Vec<TopProduct>,
    /// In `revenue_currency` (the store's default currency).
    pub top_by_revenue: Vec<TopProduct>,
    pub revenue_currency: String,
}

/// Recomputes the store's dirty days from their events; answers how many. One rollup
/// of a store at a time (an advisory lock); events arriving meanwhile mark their day
/// dirty again for the next.
pub async fn rollup<C: GenericClient + Sync>(client: &C, store: &StoreId) -> Result<u64, ApiError> {
    atomically(client, async |tx| {
        let params: [Param<'_>; 1] = [(store, Type::TEXT)];
        tx.execute_typed(
            "SELECT pg_advisory_xact_lock(hashtext('analytics:' || $1))",
            &params,
        )
        .await?;
        // The rollup's statements are estimated far above what a day's events cost,
        // and compiling them (JIT) took longer than running them: 0.8 s for a day.
        tx.execute_typed("SET LOCAL jit = off", &[]).await?;
        let rows = tx
            .query_typed(
                "DELETE FROM analytics_dirty_days WHERE store_id = $1 RETURNING day::text AS day",
                &params,
            )
            .await?;
        let days: Vec<String> = rows
            .iter()
            .map(|r| col(r, "day"))
            .collect::<Result<_, _>>()?;
        if days.is_empty() {
            return Ok(0);
        }
        let params: [Param<'_>; 2] = [(store, Type::TEXT), (&days, Type::TEXT_ARRAY)];
        for sql in ROLLUP_SQL {
            tx.execute_typed(&sql.replace("{DAY_EVENTS}", DAY_EVENTS), &params)
                .await?;
        }
        Ok(days.len() as u64)
    })
    .await
}

/// The events of the days `$2` (dates as text) of store `$1`, with their day: each
/// day's events by the (store_id, occurred_at) index, a day at a time (the lateral
/// join keeps the planner from scanning every event when it misjudges the days);
/// `{DAY_EVENTS}` in [`ROLLUP_SQL`].
const DAY_EVENTS: &str = "SELECT d.day, e.name, e.actor, e.metadata
    FROM unnest($2::text[]::date[]) AS d(day)
    CROSS JOIN LATERAL (
        SELECT name, actor, metadata FROM analytics_events
        WHERE store_id = $1
          AND occurred_at >= d.day::timestamp AT TIME ZONE 'UTC'
          AND occurred_at < (d.day + 1)::timestamp AT TIME ZONE 'UTC') e";

const ROLLUP_SQL: [&str; 6] = [
    "DELETE FROM analytics_days WHERE store_id = $1 AND day = ANY($2::text[]::date[])",
    "DELETE FROM analytics_day_revenue WHERE store_id = $1 AND day = ANY($2::text[]::date[])",
    "DELETE FROM analytics_day_products WHERE store_id = $1 AND day = ANY($2::text[]::date[])",
    // Per day: visitors and each step's events.
    "INSERT INTO analytics_days (store_id, day, visitors, product_views, list_views, searches,
                                 adds_to_cart, checkouts, orders)
     SELECT $1, ev.day, count(DISTINCT ev.actor),
            count(*) FILTER (WHERE ev.name = 'view_item'),
            count(*) FILTER (WHERE ev.name = 'view_item_list'),
            count(*) FILTER (WHERE ev.name = 'search'),
            count(*) FILTER (WHERE ev.name = 'add_to_cart'),
            count(*) FILTER (WHERE ev.name = 'begin_checkout'),
            count(*) FILTER (WHERE ev.name = 'purchase')
     FROM ({DAY_EVENTS}) ev
     GROUP BY ev.day",
    // Orders and revenue per currency.
    "INSERT INTO analytics_day_revenue (store_id, day, currency, orders, revenue)
     SELECT $1, ev.day, lower(ev.metadata ->> 'currency'), count(*),
            sum(analytics_int(ev.metadata -> 'value'))
     FROM ({DAY_EVENTS}) ev
     WHERE ev.name = 'purchase' AND ev.metadata ->> 'currency' ~ '^[A-Za-z]{3}$'
     GROUP BY ev.day, lower(ev.metadata ->> 'currency')",
    // Per product: views, units added, units sold and revenue per currency.
    "WITH ev AS ({DAY_EVENTS} WHERE e.name IN ('view_item', 'add_to_cart', 'purchase')),
          lines AS (
              SELECT day,
                     coalesce(metadata ->> 'product_id',
                              (SELECT p.id FROM products p
                               WHERE p.store_id = $1 AND p.handle = metadata ->> 'handle'))
                         AS product_id,
                     (name = 'view_item')::int AS views,
                     CASE WHEN name = 'add_to_cart'
                          THEN greatest(analytics_int(metadata -> 'quantity'), 1) ELSE 0 END AS adds,
                     0::bigint AS units, NULL::text AS currency, 0::bigint AS revenue
              FROM ev WHERE name IN ('view_item', 'add_to_cart')
              UNION ALL
              SELECT ev.day, i ->> 'product_id', 0, 0, analytics_int(i -> 'quantity'),
                     lower(ev.metadata ->> 'currency'), analytics_int(i -> 'total')
              FROM ev CROSS JOIN LATERAL jsonb_array_elements(
                  CASE WHEN jsonb_typeof(ev.metadata -> 'items') = 'array'
                       THEN ev.metadata -> 'items' ELSE '[]' END) i
              WHERE ev.name = 'purchase'),
          known AS (SELECT * FROM lines WHERE product_id IS NOT NULL AND length(product_id) <= 128),
          money AS (SELECT day, product_id, jsonb_object_agg(currency, revenue) AS revenue
                    FROM (SELECT day, product_id, currency, sum(revenue) AS revenue FROM known
                          WHERE currency ~ '^[a-z]{3}$' GROUP BY 1, 2, 3) c
                    GROUP BY day, product_id)
     INSERT INTO analytics_day_products (store_id, day, product_id, views, adds, units, revenue)
     SELECT $1, k.day, k.product_id, sum(k.views), sum(k.adds), sum(k.units),
            coalesce(min(m.revenue::text)::jsonb, '{}')
     FROM known k LEFT JOIN money m ON m.day = k.day AND m.product_id = k.product_id
     GROUP BY k.day, k.product_id",
];

/// The UTC day of `ms` (milliseconds since the epoch) and the day `back` days before
/// it, as `YYYY-MM-DD`: a default range ending today.
pub fn range_ending(ms: u64, back: i64) -> (String, String) {
    let secs = i64::try_from(ms / 1000).unwrap_or(0);
    let today = time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .date();
    let first = today
        .checked_sub(time::Duration::days(back))
        .unwrap_or(today);
    let show = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    (show(first), show(today))
}

/// Whether `s` is a date `YYYY-MM-DD`.
fn date_ok(s: &str) -> bool {
    s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

/// The figures of `store` from `from` to `to` (UTC days, both included), with the
/// `top` products of each list. Rolls up the store's dirty days first.
pub async fn daily_metrics<C: GenericClient + Sync>(
    client: &C,
    store: &StoreId,
    from: &str,
    to: &str,
    top: i64,
) -> Result<Metrics, ApiError> {
    for (name, value) in [("from", from), ("to", to)] {
        if !date_ok(value) {
            return Err(ApiError::invalid(name, "a date, e.g. 2026-11-01"));
        }
    }
    let params: [Param<'_>; 3] = [
        (&from, Type::TEXT),
        (&to, Type::TEXT),
        (&MAX_DAYS, Type::INT8),
    ];
    let range = client
        .query_typed(
            "SELECT ($1::date IS NOT NULL AND $2::date IS NOT NULL) AS dates,
                    ($2::date - $1::date) AS span",
            &params[..2],
        )
        .await
        .map_err(|_| ApiError::invalid("from", "a date, e.g. 2026-11-01"))?;
    let span: i32 = col(&range[0], "span")?;
    if span < 0 {
        return Err(ApiError::invalid("to", "the range ends before it begins"));
    }
    if i64::from(span) >= MAX_DAYS {
        return Err(ApiError::invalid(
            "to",
            format!("at most {MAX_DAYS} days at once"),
        ));
    }
    rollup(client, store).await?;
    let params: [Param<'_>; 3] = [(store, Type::TEXT), (&from, Type::TEXT), (&to, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT g.day::date::text AS day,
                    coalesce(a.visitors, 0)::int8 AS visitors,
                    coalesce(a.product_views, 0)::int8 AS product_views,
                    coalesce(a.list_views, 0)::int8 AS list_views,
                    coalesce(a.searches, 0)::int8 AS searches,
                    coalesce(a.adds_to_cart, 0)::int8 AS adds_to_cart,
                    coalesce(a.checkouts, 0)::int8 AS checkouts,
                    coalesce(a.orders, 0)::int8 AS orders
             FROM generate_series($2::date, $3::date, interval '1 day') AS g(day)
             LEFT JOIN analytics_days a ON a.store_id = $1 AND a.day = g.day::date
             ORDER BY g.day",
            &params,
        )
        .await?;
    let mut days: Vec<Day> = rows
        .iter()
        .map(|r| {
            Ok(Day {
                day: col(r, "day")?,
                visitors: col(r, "visitors")?,
                product_views: col(r, "product_views")?,
                list_views: col(r, "list_views")?,
                searches: col(r, "searches")?,
                adds_to_cart: col(r, "adds_to_cart")?,
                checkouts: col(r, "checkouts")?,
                orders: col(r, "orders")?,
                revenue: Vec::new(),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let revenue = client
        .query_typed(
            "SELECT day::text AS day, currency, orders::int8 AS orders, revenue
             FROM analytics_day_revenue
             WHERE store_id = $1 AND day BETWEEN $2::date AND $3::date
             ORDER BY day, currency",
            &params,
        )
        .await?;
    for r in &revenue {
        let day: String = col(r, "day")?;
        if let Some(d) = days.iter_mut().find(|d| d.day == day) {
            d.revenue.push(Revenue {
                currency: col(r, "currency")?,
                orders: col(r, "orders")?,
                revenue: col(r, "revenue")?,
            });
        }
    }
    let mut totals = Day {
        day: format!("{from}/{to}"),
        ..Day::default()
    };
    for d in &days {
        totals.visitors += d.visitors;
        totals.product_views += d.product_views;
        totals.list_views += d.list_views;
        totals.searches += d.searches;
        totals.adds_to_cart += d.adds_to_cart;
        totals.checkouts += d.checkouts;
        totals.orders += d.orders;
        for r in &d.revenue {
            match totals.revenue.iter_mut().find(|t| t.currency == r.currency) {
                Some(t) => {
                    t.orders += r.orders;
                    t.revenue += r.revenue;
                }
                None => totals.revenue.push(r.clone()),
            }
        }
    }
    let steps = [
        ("visitors", totals.visitors),
        ("product views", totals.product_views),
        ("adds to cart", totals.adds_to_cart),
        ("checkouts begun", totals.checkouts),
        ("orders", totals.orders),
    ];
    let funnel = steps
        .iter()
        .enumerate()
        .map(|(i, (step, count))| FunnelStep {
            step,
            count: *count,
            conversion: match i {
                0 => None,
                _ if steps[i - 1].1 == 0 => None,
                _ => Some(*count as f64 / steps[i - 1].1 as f64),
            },
        })
        .collect();
    let currency_rows = client
        .query_typed(
            "SELECT default_currency_code FROM stores WHERE id = $1",
            &[(store, Type::TEXT)],
        )
        .await?;
    let currency: String = currency_rows
        .first()
        .map(|r| col(r, "default_currency_code"))
        .transpose()?
        .ok_or_else(|| ApiError::not_found("Store", "id", store.as_str()))?;
    let top_by = |measure: &'static str| {
        format!(
            "SELECT p.product_id, coalesce(pr.title, p.product_id) AS title, p.value
             FROM (SELECT product_id, sum({measure})::int8 AS value FROM analytics_day_products
                   WHERE store_id = $1 AND day BETWEEN $2::date AND $3::date
                   GROUP BY product_id) p
             LEFT JOIN products pr ON pr.store_id = $1 AND pr.id = p.product_id
             WHERE p.value > 0
             ORDER BY p.value DESC, p.product_id LIMIT $4"
        )
    };
    let revenue_measure = "coalesce((revenue ->> $5)::int8, 0)";
    let top_params: [Param<'_>; 5] = [
        (store, Type::TEXT),
        (&from, Type::TEXT),
        (&to, Type::TEXT),
        (&top, Type::INT8),
        (&currency, Type::TEXT),
    ];
    let read_top = async |sql: String, params: &[Param<'_>]| -> Result<Vec<TopProduct>, ApiError> {
        client
            .query_typed(&sql, params)
            .await?
            .iter()
            .map(|r| {
                Ok(TopProduct {
                    product_id: col(r, "product_id")?,
                    title: col(r, "title")?,
                    value: col(r, "value")?,
                })
            })
            .collect()
    };
    let top_by_views = read_top(top_by("views"), &top_params[..4]).await?;
    let top_by_adds = read_top(top_by("adds"), &top_params[..4]).await?;
    let top_by_revenue = read_top(top_by(revenue_measure), &top_params).await?;
    Ok(Metrics {
        from: from.to_owned(),
        to: to.to_owned(),
        days,
        totals,
        funnel,
        top_by_views,
        top_by_adds,
        top_by_revenue,
        revenue_currency: currency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_range_ends_today() {
        // 2026-11-01T10:00Z
        assert_eq!(
            range_ending(1_793_527_200_000, 29),
            ("2026-10-03".to_owned(), "2026-11-01".to_owned())
        );
        assert!(date_ok("2026-11-01") && !date_ok("2026-1-01") && !date_ok("2026/11/01"));
    }
}
