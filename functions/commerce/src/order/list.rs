//! Orders as a store's staff list them: filtered by status, payment and date, searched
//! by number or e-mail, newest first, paged; and the day's figures for the dashboard.

use tokio_postgres::types::Type;

use super::OrderStatus;
use crate::db::{col, list_page, ListQuery, Param, Sql};
use crate::error::ApiError;
use crate::ids::{OrderId, StoreId};
use crate::money::{CurrencyCode, MinorUnits};
use crate::params::Page;

/// What an order's ledger says of its payment (SQL's `order_payment_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    NotPaid,
    Authorized,
    Captured,
    PartiallyRefunded,
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 5] = [
        PaymentStatus::NotPaid,
        PaymentStatus::Authorized,
        PaymentStatus::Captured,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::NotPaid => "not_paid",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Captured => "captured",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PaymentStatus::NotPaid => "Not paid",
            PaymentStatus::Authorized => "Authorized",
            PaymentStatus::Captured => "Paid",
            PaymentStatus::PartiallyRefunded => "Partly refunded",
            PaymentStatus::Refunded => "Refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A calendar day, `YYYY-MM-DD`, checked to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(time::Date);

impl Day {
    /// Reads `YYYY-MM-DD`; the error names `field`.
    pub fn parse(text: &str, field: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::invalid(field, "must be a date written YYYY-MM-DD");
        let mut parts = text.trim().splitn(3, '-');
        let mut next = |len: usize| {
            parts
                .next()
                .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<i32>().ok())
                .ok_or_else(bad)
        };
        let (y, m, d) = (next(4)?, next(2)?, next(2)?);
        let month =
            time::Month::try_from(u8::try_from(m).map_err(|_| bad())?).map_err(|_| bad())?;
        let day = u8::try_from(d).map_err(|_| bad())?;
        time::Date::from_calendar_date(y, month, day)
            .map(Day)
            .map_err(|_| bad())
    }

    pub fn to_iso(self) -> String {
        let d = self.0;
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    }
}

/// Which orders to list; absent fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub payment: Option<PaymentStatus>,
    /// Placed on or after this day (UTC).
    pub from: Option<Day>,
    /// Placed on or before this day (UTC).
    pub to: Option<Day>,
    /// An order number (`1042` or `#1042`), else part of the e-mail address.
    pub q: Option<String>,
}

/// One order in the staff's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub id: OrderId,
    pub display_id: i64,
    pub email: String,
    pub status: OrderStatus,
    pub payment: PaymentStatus,
    pub currency: CurrencyCode,
    pub total: MinorUnits,
    /// Units ordered.
    pub items: i64,
    /// `YYYY-MM-DD HH:MM` UTC.
    pub placed_at: String,
    /// ISO 8601 with milliseconds, UTC, as the Admin API writes times.
    pub created_at: String,
}

/// The filter over `orders o`: $1 store, $2 status, $3 payment status, $4 first day,
/// $5 last day, $6 order number, $7 e-mail pattern.
const WHERE: &str = "o.store_id = $1
    AND ($2::text IS NULL OR o.status = $2)
    AND ($3::text IS NULL OR order_payment_status(o.id) = $3)
    AND ($4::date IS NULL OR o.created_at >= $4::date::timestamp AT TIME ZONE 'UTC')
    AND ($5::date IS NULL OR o.created_at < ($5::date + 1)::timestamp AT TIME ZONE 'UTC')
    AND ($6::int8 IS NULL OR o.display_id = $6)
    AND ($7::text IS NULL OR lower(o.email) LIKE $7)";

/// A page of the store's orders matching `filter`, newest first, and how many match.
pub async fn list<C: Sql>(
    client: &C,
    store: &StoreId,
    filter: &OrderFilter,
    page: Page,
) -> Result<(Vec<OrderRow>, i64), ApiError> {
    let status = filter.status.map(OrderStatus::as_str);
    let payment = filter.payment.map(PaymentStatus::as_str);
    let from = filter.from.map(Day::to_iso);
    let to = filter.to.map(Day::to_iso);
    let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let number: Option<i64> = q.and_then(|q| q.trim_start_matches('#').parse().ok());
    let pattern = match (q, number) {
        (Some(q), None) => Some(format!(
            "%{}%",
            q.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        )),
        _ => None,
    };
    let sql = format!(
        "SELECT o.id, o.display_id, o.email, o.status, order_payment_status(o.id) AS payment,
                o.currency_code, o.total AS order_total,
                (SELECT coalesce(sum(i.quantity), 0)::int8 FROM order_items i
                 WHERE i.order_id = o.id) AS items,
                to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS placed_at,
                to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')
                    AS created_at,
                (SELECT count(*) FROM orders o WHERE {WHERE}) AS total
         FROM orders o WHERE {WHERE}
         ORDER BY o.created_at DESC, o.id DESC LIMIT $8 OFFSET $9"
    );
    let count = format!("SELECT count(*) AS total FROM orders o WHERE {WHERE}");
    let filter_params: [Param<'_>; 7] = [
        (store, Type::TEXT),
        (&status, Type::TEXT),
        (&payment, Type::TEXT),
        (&from, Type::TEXT),
        (&to, Type::TEXT),
        (&number, Type::INT8),
        (&pattern, Type::TEXT),
    ];
    let query = ListQuery {
        sql: &sql,
        count: &count,
        filter_params: &filter_params,
        extra: &[],
    };
    let (rows, total) = list_page(client, query, page).await?;
    let orders = rows
        .iter()
        .map(|row| {
            let status: String = col(row, "status")?;
            let payment: String = col(row, "payment")?;
            let currency: String = col(row, "currency_code")?;
            Ok(OrderRow {
                id: col(row, "id")?,
                display_id: col(row, "display_id")?,
                email: col(row, "email")?,
                status: OrderStatus::parse(&status)?,
                payment: PaymentStatus::parse(&payment).ok_or_else(|| {
                    ApiError::internal(format!("unknown payment status '{payment}'"))
                })?,
                currency: CurrencyCode::parse(&currency).map_err(ApiError::internal)?,
                total: col(row, "order_total")?,
                items: col(row, "items")?,
                placed_at: col(row, "placed_at")?,
                created_at: col(row, "created_at")?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok((orders, total))
}

/// An order of the list in the Admin API (`GET /admin/orders`): Medusa's summary
/// fields, amounts in major units.
#[derive(serde::Serialize)]
pub struct OrderSummaryShape<'a> {
    id: &'a OrderId,
    display_id: i64,
    email: &'a str,
    status: &'static str,
    payment_status: &'static str,
    currency_code: &'a str,
    total: crate::wire::Major,
    item_count: i64,
    created_at: &'a str,
}

impl<'a> OrderSummaryShape<'a> {
    pub fn of(o: &'a OrderRow) -> Self {
        OrderSummaryShape {
            id: &o.id,
            display_id: o.display_id,
            email: &o.email,
            status: o.status.as_str(),
            payment_status: o.payment.as_str(),
            currency_code: o.currency.as_str(),
            total: crate::wire::Major(o.total.of(o.currency)),
            item_count: o.items,
            created_at: &o.created_at,
        }
    }
}

/// `GET /admin/orders`: Medusa's list envelope.
#[derive(serde::Serialize)]
pub struct OrderListResponse<'a> {
    pub orders: Vec<OrderSummaryShape<'a>>,
    pub count: i64,
    pub offset: u32,
    pub limit: u32,
}

/// One currency's figures of a day: orders placed and paid for, and their revenue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFigures {
    pub currency: CurrencyCode,
    pub orders: i64,
    pub revenue: MinorUnits,
}

/// Today's (UTC) paid orders and revenue of the store, per currency: orders that are
/// confirmed or further along, refunds not yet subtracted.
pub async fn today<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<DayFigures>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT currency_code, count(*) AS orders, sum(total)::int8 AS revenue
             FROM orders
             WHERE store_id = $1
               AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
               AND status NOT IN ('pending', 'failed', 'canceled')
             GROUP BY currency_code ORDER BY currency_code",
            &[(store, Type::TEXT)],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let currency: String = col(row, "currency_code")?;
            Ok(DayFigures {
                currency: CurrencyCode::parse(&currency).map_err(ApiError::internal)?,
                orders: col(row, "orders")?,
                revenue: col(row, "revenue")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_checked_dates() {
        assert_eq!(
            Day::parse("2026-02-28", "from").unwrap().to_iso(),
            "2026-02-28"
        );
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-02-01",
            "2026-2-01",
            "",
            "yesterday",
        ] {
            assert_eq!(
                Day::parse(bad, "from").unwrap_err().param(),
                Some("from"),
                "{bad}"
            );
        }
    }

    #[test]
    fn payment_statuses_read_back() {
        for p in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(p.as_str()), Some(p));
        }
    }
}
