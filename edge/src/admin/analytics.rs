//! The analytics dashboard at `/admin/analytics` (a range of days, last 30 by
//! default), the same figures as JSON (`/admin/analytics/stats`) and as CSV
//! (`/admin/analytics.csv`). The figures come from `commerce::analytics::metrics`.

use commerce::analytics::metrics::{daily_metrics, range_ending, Metrics};
use commerce::ApiError;
use serde::Deserialize;
use storefront::admin::analytics::{analytics_csv, analytics_page, RangeForm};
use tokio_postgres::Client;
use worker::Response;

use super::{api_json, render};
use crate::context::Cx;
use crate::http;

/// Top products listed per chart.
const TOP: i64 = 10;

#[derive(Deserialize, Default)]
#[serde(default)]
struct RangeQuery {
    from: String,
    to: String,
}

/// The asked range, or the last 30 days.
fn range(cx: &Cx) -> Result<(String, String), ApiError> {
    let q: RangeQuery = cx.query_as()?;
    let (from, to) = range_ending(crate::analytics::now_ms(), 29);
    let pick = |typed: String, default: String| match typed.trim() {
        "" => default,
        t => t.to_owned(),
    };
    Ok((pick(q.from, from), pick(q.to, to)))
}

async fn metrics(cx: &Cx, from: &str, to: &str) -> Result<Metrics, ApiError> {
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| daily_metrics(client, &store, from, to, TOP).await)
        .await
}

/// `GET /admin/analytics`: the dashboard; a refused range is shown beside the form.
pub async fn page(cx: &mut Cx) -> Result<Response, ApiError> {
    let (from, to) = range(cx)?;
    let (found, status, error) = match metrics(cx, &from, &to).await {
        Ok(m) => (Some(m), 200, None),
        Err(err @ ApiError::InvalidParam { .. }) => (None, 400, Some(err.reason())),
        Err(err) => return Err(err),
    };
    let form = RangeForm { from, to, error };
    render(cx, async |_, member, shell| {
        analytics_page(shell, member, form, found.as_ref(), status)
    })
    .await
}

/// `GET /admin/analytics/stats`: the figures as JSON.
pub async fn stats(cx: &mut Cx) -> Result<Response, ApiError> {
    let (from, to) = range(cx)?;
    api_json(&metrics(cx, &from, &to).await?)
}

/// `GET /admin/analytics.csv`: one row per day.
pub async fn csv(cx: &mut Cx) -> Result<Response, ApiError> {
    let (from, to) = range(cx)?;
    let figures = metrics(cx, &from, &to).await?;
    let mut response = http::bytes(
        200,
        "text/csv; charset=utf-8",
        analytics_csv(&figures).into_bytes(),
    )?;
    let headers = response.headers_mut();
    let name = format!("attachment; filename=\"analytics-{from}-{to}.csv\"");
    headers
        .set("content-disposition", &name)
        .map_err(http::internal)?;
    headers
        .set("cache-control", "no-store")
        .map_err(http::internal)?;
    Ok(response)
}
