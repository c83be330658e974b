//! The analytics dashboard: a date range, the range's figures, revenue and orders per
//! day as line charts, the funnel and the top products as bar charts. Every chart is
//! SVG drawn here (no script, no chart library in the browser), with a title, a text
//! description and its numbers in a table beside it; the same figures download as CSV.

use askama::Template;
use commerce::analytics::metrics::{Metrics, TopProduct};
use commerce::money::{CurrencyCode, Money};
use commerce::staff::Member;
use commerce::ApiError;

use super::{Frame, Shell};
use crate::format::money;
use crate::pages::{html, Rendered};

/// The plot's size in SVG units; the figure scales to its column.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
/// Room for the axis labels.
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 28.0;

/// A line chart of one value per day.
pub struct LineChart {
    pub id: &'static str,
    pub title: String,
    pub description: String,
    /// The polyline's points.
    pub points: String,
    /// Each day's dot: x, y and its figure.
    pub dots: Vec<(f64, f64, String)>,
    /// Horizontal grid lines: y and label.
    pub ticks: Vec<(f64, String)>,
    /// Day labels along the bottom: x and label (a few, not every day).
    pub days: Vec<(f64, String)>,
    /// The table beside it: day and figure.
    pub rows: Vec<(String, String)>,
    pub column: &'static str,
}

/// A horizontal bar chart.
pub struct BarChart {
    pub id: &'static str,
    pub title: String,
    pub description: String,
    /// y, width, label and figure of each bar.
    pub bars: Vec<(f64, f64, String, String)>,
    pub height: f64,
    pub column: &'static str,
}

/// A round top for an axis at or above `max` (1, 2 or 5 times a power of ten).
fn nice_top(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|top| *top >= max)
        .unwrap_or(10.0 * power)
}

/// Draws `values` (one per day of `days`) with `label` writing a figure.
fn line_chart(
    id: &'static str,
    title: String,
    column: &'static str,
    days: &[String],
    values: &[i64],
    label: &dyn Fn(i64) -> String,
) -> LineChart {
    let max = values.iter().copied().max().unwrap_or(0).max(0) as f64;
    let top = nice_top(max);
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - BOTTOM - 8.0;
    let step = if values.len() > 1 {
        plot_w / (values.len() - 1) as f64
    } else {
        0.0
    };
    let at = |i: usize, v: i64| {
        let x = LEFT + step * i as f64;
        let y = 8.0 + plot_h - (v.max(0) as f64 / top) * plot_h;
        ((x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0)
    };
    let points = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (x, y) = at(i, *v);
            format!("{x},{y}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    let dots = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (x, y) = at(i, *v);
            (x, y, label(*v))
        })
        .collect();
    let ticks = (0..=4)
        .map(|k| {
            let value = top * f64::from(k) / 4.0;
            let y = 8.0 + plot_h - plot_h * f64::from(k) / 4.0;
            (y, label(value.round() as i64))
        })
        .collect();
    let every = days.len().div_ceil(6).max(1);
    let day_labels = days
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || *i + 1 == days.len())
        .map(|(i, d)| (at(i, 0).0, d[5..].to_owned()))
        .collect();
    let (high_i, high) = values
        .iter()
        .enumerate()
        .max_by_key(|(_, v)| **v)
        .map(|(i, v)| (i, *v))
        .unwrap_or((0, 0));
    let total: i64 = values.iter().sum();
    let description = match days.first().zip(days.last()) {
        Some((first, last)) if total > 0 => format!(
            "{title} from {first} to {last}: {} in all; the highest was {} on {}.",
            label(total),
            label(high),
            days[high_i]
        ),
        Some((first, last)) => format!("{title} from {first} to {last}: none."),
        None => format!("{title}: no days."),
    };
    LineChart {
        id,
        title,
        description,
        points,
        dots,
        ticks,
        days: day_labels,
        rows: days
            .iter()
            .zip(values)
            .map(|(d, v)| (d.clone(), label(*v)))
            .collect(),
        column,
    }
}

/// Bars of `items` (label, value), the longest the largest.
fn bar_chart(
    id: &'static str,
    title: String,
    column: &'static str,
    items: Vec<(String, i64)>,
    label: &dyn Fn(i64) -> String,
) -> BarChart {
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let row = 30.0;
    let room = WIDTH - 260.0;
    let bars = items
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let width = ((*value).max(0) as f64 / max * room * 10.0).round() / 10.0;
            (row * i as f64 + 4.0, width, name.clone(), label(*value))
        })
        .collect::<Vec<_>>();
    let description = match items.first() {
        Some((first, value)) => format!(
            "{title}: {} bars; the largest is {first} with {}.",
            items.len(),
            label(*value)
        ),
        None => format!("{title}: nothing in this range."),
    };
    BarChart {
        id,
        title,
        description,
        height: (row * items.len().max(1) as f64 + 8.0).max(40.0),
        bars,
        column,
    }
}

/// The range form's values and its problem.
#[derive(Debug, Clone, Default)]
pub struct RangeForm {
    pub from: String,
    pub to: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/analytics.html")]
struct AnalyticsPage<'a> {
    frame: Frame<'a>,
    form: RangeForm,
    csv_href: String,
    summary: Vec<(String, String)>,
    lines: Vec<LineChart>,
    bars: Vec<BarChart>,
    has_figures: bool,
}

fn percent(conversion: Option<f64>) -> String {
    match conversion {
        Some(c) => format!("{:.1} %", c * 100.0),
        None => "–".to_owned(),
    }
}

fn tops(list: &[TopProduct]) -> Vec<(String, i64)> {
    list.iter().map(|p| (p.title.clone(), p.value)).collect()
}

/// The dashboard for `metrics` (none when the range was refused: `form` says why).
pub fn analytics_page(
    shell: &Shell,
    _member: &Member,
    form: RangeForm,
    metrics: Option<&Metrics>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let csv_href = format!("/admin/analytics.csv?from={}&to={}", form.from, form.to);
    let (summary, lines, bars) = match metrics {
        None => (Vec::new(), Vec::new(), Vec::new()),
        Some(m) => {
            let currency = CurrencyCode::parse(&m.revenue_currency).ok();
            let in_currency = |minor: i64| match currency {
                Some(c) => money(Money::new(minor, c)),
                None => minor.to_string(),
            };
            let count = |n: i64| n.to_string();
            let days: Vec<String> = m.days.iter().map(|d| d.day.clone()).collect();
            let revenue_of = |d: &commerce::analytics::metrics::Day| {
                d.revenue
                    .iter()
                    .find(|r| r.currency == m.revenue_currency)
                    .map_or(0, |r| r.revenue)
            };
            let mut summary = vec![
                ("Visitors".to_owned(), count(m.totals.visitors)),
                ("Product views".to_owned(), count(m.totals.product_views)),
                ("Orders".to_owned(), count(m.totals.orders)),
            ];
            for r in &m.totals.revenue {
                let shown = |minor: i64| match CurrencyCode::parse(&r.currency) {
                    Ok(c) => money(Money::new(minor, c)),
                    Err(_) => minor.to_string(),
                };
                let code = r.currency.to_ascii_uppercase();
                summary.push((format!("Revenue ({code})"), shown(r.revenue)));
                summary.push((format!("Average order ({code})"), shown(r.average())));
            }
            let code = m.revenue_currency.to_ascii_uppercase();
            let lines = vec![
                line_chart(
                    "revenue",
                    format!("Revenue per day ({code})"),
                    "Revenue",
                    &days,
                    &m.days.iter().map(revenue_of).collect::<Vec<_>>(),
                    &in_currency,
                ),
                line_chart(
                    "orders",
                    "Orders per day".to_owned(),
                    "Orders",
                    &days,
                    &m.days.iter().map(|d| d.orders).collect::<Vec<_>>(),
                    &count,
                ),
            ];
            let funnel = m
                .funnel
                .iter()
                .map(|s| (format!("{} ({})", s.step, percent(s.conversion)), s.count))
                .collect();
            let bars = vec![
                bar_chart(
                    "funnel",
                    "The funnel (conversion from the step before)".to_owned(),
                    "Events",
                    funnel,
                    &count,
                ),
                bar_chart(
                    "top-views",
                    "Top products by views".to_owned(),
                    "Views",
                    tops(&m.top_by_views),
                    &count,
                ),
                bar_chart(
                    "top-adds",
                    "Top products by units added to carts".to_owned(),
                    "Units",
                    tops(&m.top_by_adds),
                    &count,
                ),
                bar_chart(
                    "top-revenue",
                    format!("Top products by revenue ({code})"),
                    "Revenue",
                    tops(&m.top_by_revenue),
                    &in_currency,
                ),
            ];
            (summary, lines, bars)
        }
    };
    html(
        status,
        &AnalyticsPage {
            frame: Frame::new("Analytics", Some(shell)),
            has_figures: metrics.is_some(),
            form,
            csv_href,
            summary,
            lines,
            bars,
        },
    )
}

/// The range's figures as CSV: one row per day, revenue per currency in major units.
pub fn analytics_csv(m: &Metrics) -> String {
    let mut currencies: Vec<&str> = m
        .totals
        .revenue
        .iter()
        .map(|r| r.currency.as_str())
        .collect();
    currencies.sort_unstable();
    let mut out = String::from(
        "day,visitors,product_views,list_views,searches,adds_to_cart,checkouts_begun,orders",
    );
    for c in &currencies {
        out.push_str(&format!(",revenue_{c},average_order_{c}"));
    }
    out.push('\n');
    for d in &m.days {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}",
            d.day,
            d.visitors,
            d.product_views,
            d.list_views,
            d.searches,
            d.adds_to_cart,
            d.checkouts,
            d.orders
        ));
        for c in &currencies {
            let r = d.revenue.iter().find(|r| r.currency == *c);
            let major = |minor: i64| match CurrencyCode::parse(c) {
                Ok(code) => Money::new(minor, code).to_decimal_string(),
                Err(_) => minor.to_string(),
            };
            out.push_str(&format!(
                ",{},{}",
                major(r.map_or(0, |r| r.revenue)),
                major(r.map_or(0, |r| r.average()))
            ));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_figures() {
        assert_eq!(nice_top(0.0), 1.0);
        assert_eq!(nice_top(7.0), 10.0);
        assert_eq!(nice_top(12.0), 20.0);
        assert_eq!(nice_top(4_900.0), 5_000.0);
        assert_eq!(nice_top(50_001.0), 100_000.0);
    }

    #[test]
    fn a_line_chart_says_in_words_what_it_shows() {
        let days: Vec<String> = ["2026-11-01", "2026-11-02", "2026-11-03"]
            .map(String::from)
            .to_vec();
        let chart = line_chart(
            "orders",
            "Orders per day".into(),
            "Orders",
            &days,
            &[1, 4, 0],
            &|n| n.to_string(),
        );
        assert_eq!(
            chart.description,
            "Orders per day from 2026-11-01 to 2026-11-03: 5 in all; the highest was 4 on 2026-11-02."
        );
        assert_eq!(chart.dots.len(), 3);
        assert_eq!(chart.points.split(' ').count(), 3);
        // The highest point is the top of the plot area less its share (4 of 5).
        assert!(chart.dots[1].1 < chart.dots[0].1 && chart.dots[2].1 > chart.dots[0].1);
        assert_eq!(chart.ticks.last().unwrap().1, "5");
        let bars = bar_chart(
            "f",
            "Funnel".into(),
            "Events",
            vec![("a".into(), 10), ("b".into(), 5)],
            &|n| n.to_string(),
        );
        assert_eq!(bars.bars[1].1 * 2.0, bars.bars[0].1);
    }
}
