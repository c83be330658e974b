//! The admin area's pages, for a store's staff: sign-in, accepting an invitation, the
//! dashboard and the orders list. Each page shows only what the member's role allows
//! (navigation and buttons); the edge refuses everything else regardless. Never
//! cached; usable without JavaScript.

pub mod analytics;
pub mod attributes;
pub mod imports;
pub mod products;
pub mod purchase_orders;
pub mod settings;
pub mod stock;
pub mod taxonomy;
pub mod webhooks;

use askama::Template;
use commerce::money::Money;
use commerce::order::list::{DayFigures, OrderFilter, OrderRow, PaymentStatus};
use commerce::order::OrderStatus;
use commerce::params::Page;
use commerce::staff::{Invitation, Member, Membership, Permission, Role, StoreRole, MIN_PASSWORD};
use commerce::ApiError;

use crate::assets::stylesheet_href;
use crate::format::money;
use crate::pages::{html, Rendered};

/// One link of the admin navigation, shown when the member holds its permission.
const NAV: &[(&str, &str, Permission)] = &[
    ("/admin", "Dashboard", Permission::AdminRead),
    ("/admin/orders", "Orders", Permission::OrderRead),
    ("/admin/products", "Products", Permission::ProductRead),
    (
        "/admin/product-categories",
        "Categories",
        Permission::ProductRead,
    ),
    ("/admin/collections", "Collections", Permission::ProductRead),
    (
        "/admin/product-attributes",
        "Attributes",
        Permission::ProductRead,
    ),
    ("/admin/stock", "Stock", Permission::InventoryRead),
    (
        "/admin/purchase-orders",
        "Purchase orders",
        Permission::PurchaseOrderRead,
    ),
    ("/admin/analytics", "Analytics", Permission::AnalyticsRead),
    ("/admin/staff", "Staff", Permission::StaffRead),
    ("/admin/roles", "Roles", Permission::StaffRead),
    ("/admin/audit", "Audit log", Permission::AuditRead),
    ("/admin/api-keys", "API keys", Permission::ApiKeyRead),
    ("/admin/settings", "Settings", Permission::SettingsRead),
    ("/admin/webhooks", "Webhooks", Permission::SettingsWrite),
    (
        "/admin/account/sessions",
        "Your sessions",
        Permission::AccountRead,
    ),
];

/// A link of the navigation as shown.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every signed-in page shows around its content.
pub struct Shell {
    pub store_name: String,
    pub store_id: String,
    pub member_name: String,
    pub role: String,
    /// The member's stores, for the switcher (shown with two or more).
    pub stores: Vec<StoreChoice>,
    pub nav: Vec<NavLink>,
    /// The page's path, where a store switch returns.
    pub path: String,
}

pub struct StoreChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

impl Shell {
    pub fn new(member: &Member, stores: &[Membership], path: &str) -> Self {
        Shell {
            store_name: member.store_name.clone(),
            store_id: member.store_id.as_str().to_owned(),
            member_name: if member.name.is_empty() {
                member.email.clone()
            } else {
                member.name.clone()
            },
            role: member.role.label().to_owned(),
            stores: stores
                .iter()
                .map(|m| StoreChoice {
                    id: m.store_id.as_str().to_owned(),
                    label: format!("{} ({})", m.store_name, m.role.label()),
                    selected: m.store_id == member.store_id,
                })
                .collect(),
            nav: NAV
                .iter()
                .filter(|(_, _, p)| member.may(*p))
                .map(|(href, label, _)| NavLink {
                    href,
                    label,
                    current: *href == path
                        || (*href != "/admin" && path.starts_with(&format!("{href}/"))),
                })
                .collect(),
            path: path.to_owned(),
        }
    }
}

/// The document's frame: title, stylesheet, and the shell when signed in.
pub struct Frame<'a> {
    pub title: String,
    pub stylesheet: String,
    pub shell: Option<&'a Shell>,
}

impl<'a> Frame<'a> {
    fn new(title: impl Into<String>, shell: Option<&'a Shell>) -> Self {
        let title = title.into();
        let title = match shell {
            Some(s) => format!("{title} · {} admin", s.store_name),
            None => format!("{title} · Store admin"),
        };
        Frame {
            title,
            stylesheet: stylesheet_href(),
            shell,
        }
    }
}

// ------------------------------------------------------------------ sign-in

/// The sign-in form as posted (or empty).
#[derive(Debug, Clone, Default)]
pub struct SignInForm {
    pub email: String,
    /// Where to go after signing in (an `/admin` path).
    pub next: String,
}

#[derive(Template)]
#[template(path = "admin/sign_in.html")]
struct SignInPage<'a> {
    frame: Frame<'a>,
    form: SignInForm,
    message: Option<String>,
    notice: Option<&'a str>,
}

/// The sign-in page; `message` says why the last attempt failed, `notice` what just
/// happened (signed out, invitation accepted).
pub fn sign_in_page(
    form: SignInForm,
    message: Option<String>,
    notice: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    html(
        status,
        &SignInPage {
            frame: Frame::new("Sign in", None),
            form,
            message,
            notice,
        },
    )
}

/// Only paths inside the admin area are followed after sign-in.
pub fn safe_next(next: &str) -> String {
    let ok = (next == "/admin" || next.starts_with("/admin/"))
        && !next.contains("//")
        && !next.contains('\\')
        && next.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        next.to_owned()
    } else {
        "/admin".to_owned()
    }
}

// ------------------------------------------------------------------ password reset

#[derive(Template)]
#[template(path = "admin/forgot.html")]
struct ForgotPage<'a> {
    frame: Frame<'a>,
    sent: bool,
    message: Option<String>,
}

/// The forgotten-password form, or (once posted) the same answer whether or not the
/// address has an account.
pub fn forgot_page(sent: bool, message: Option<String>, status: u16) -> Result<Rendered, ApiError> {
    html(
        status,
        &ForgotPage {
            frame: Frame::new("Forgotten password", None),
            sent,
            message,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/reset.html")]
struct ResetPage<'a> {
    frame: Frame<'a>,
    open: bool,
    action: &'a str,
    message: Option<String>,
    min_password: usize,
}

/// The page of a reset link: a new password, or why the link cannot be used.
pub fn reset_page(
    open: bool,
    action: &str,
    message: Option<String>,
    status: u16,
) -> Result<Rendered, ApiError> {
    html(
        status,
        &ResetPage {
            frame: Frame::new("New password", None),
            open,
            action,
            message,
            min_password: MIN_PASSWORD,
        },
    )
}

// ------------------------------------------------------------------ invitations

#[derive(Template)]
#[template(path = "admin/invite.html")]
struct InvitePage<'a> {
    frame: Frame<'a>,
    invitation: Option<&'a Invitation>,
    role: String,
    action: String,
    name: &'a str,
    message: Option<String>,
    min_password: usize,
}

/// The page of an invitation link: set a name and password (a new account) or give
/// one's password (an existing one); an unknown or used link says so.
pub fn invite_page(
    invitation: Option<&Invitation>,
    action: &str,
    name: &str,
    message: Option<String>,
    status: u16,
) -> Result<Rendered, ApiError> {
    html(
        status,
        &InvitePage {
            frame: Frame::new("Accept invitation", None),
            invitation,
            role: invitation.map_or_else(String::new, |i| i.role.label().to_owned()),
            action: action.to_owned(),
            name,
            message,
            min_password: MIN_PASSWORD,
        },
    )
}

// ------------------------------------------------------------------ paging

/// Where a paged list stands: rows `first` to `last` of `total`, and the links to the
/// pages before and after.
pub struct Pager {
    pub first: i64,
    pub last: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `shown` rows of `page` out of `total`; `href` makes the link to an offset.
    fn new(page: Page, shown: usize, total: i64, href: impl Fn(u32) -> String) -> Self {
        let offset = i64::from(page.offset);
        let shown = i64::try_from(shown).unwrap_or(0);
        Pager {
            first: if shown == 0 { 0 } else { offset + 1 },
            last: offset + shown,
            total,
            prev: (page.offset > 0).then(|| href(page.offset.saturating_sub(page.limit))),
            next: (offset + shown < total).then(|| href(page.offset + page.limit)),
        }
    }
}

// ------------------------------------------------------------------ dashboard

pub struct Figure {
    pub currency: String,
    pub orders: i64,
    pub revenue: String,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage<'a> {
    frame: Frame<'a>,
    /// `None` when the member may not read orders.
    figures: Option<Vec<Figure>>,
    recent: Vec<OrderLine>,
}

/// The dashboard: today's paid orders and revenue per currency, and the latest orders
/// (for members who may read orders).
pub fn dashboard_page(
    shell: &Shell,
    figures: Option<&[DayFigures]>,
    recent: &[OrderRow],
) -> Result<Rendered, ApiError> {
    let figures = figures.map(|f| {
        f.iter()
            .map(|d| Figure {
                currency: d.currency.as_str().to_ascii_uppercase(),
                orders: d.orders,
                revenue: money(Money::new(d.revenue.get(), d.currency)),
            })
            .collect()
    });
    html(
        200,
        &DashboardPage {
            frame: Frame::new("Dashboard", Some(shell)),
            figures,
            recent: recent.iter().map(OrderLine::of).collect(),
        },
    )
}

// ------------------------------------------------------------------ orders

/// One order as the list shows it.
pub struct OrderLine {
    pub id: String,
    pub number: String,
    pub email: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub payment: &'static str,
    pub total: String,
    pub items: i64,
    pub placed_at: String,
}

impl OrderLine {
    fn of(o: &OrderRow) -> Self {
        OrderLine {
            id: o.id.as_str().to_owned(),
            number: format!("#{}", o.display_id),
            email: o.email.clone(),
            status: o.status.label(),
            status_class: match o.status {
                OrderStatus::Failed | OrderStatus::Canceled => "bad",
                OrderStatus::Pending => "waiting",
                _ => "good",
            },
            payment: o.payment.label(),
            total: money(Money::new(o.total.get(), o.currency)),
            items: o.items,
            placed_at: o.placed_at.clone(),
        }
    }
}

/// The orders list's filter and offset as the query string gave them, kept as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct OrderQuery {
    pub status: String,
    pub payment: String,
    pub from: String,
    pub to: String,
    pub q: String,
    pub offset: String,
    /// Rows per page (the admin API's `limit`; the page uses the default).
    pub limit: String,
}

pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin/orders.html")]
struct OrdersPage<'a> {
    frame: Frame<'a>,
    query: &'a OrderQuery,
    statuses: Vec<Choice>,
    payments: Vec<Choice>,
    orders: Vec<OrderLine>,
    pager: Pager,
}

/// The query string of the list with `query` at `offset`.
fn list_href(query: &OrderQuery, offset: u32) -> String {
    let mut pairs = url_pairs(query);
    if offset > 0 {
        pairs.push(("offset", offset.to_string()));
    }
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::listing::encode(v)))
        .collect();
    if encoded.is_empty() {
        "/admin/orders".to_owned()
    } else {
        format!("/admin/orders?{}", encoded.join("&"))
    }
}

fn url_pairs(q: &OrderQuery) -> Vec<(&'static str, String)> {
    [
        ("status", &q.status),
        ("payment", &q.payment),
        ("from", &q.from),
        ("to", &q.to),
        ("q", &q.q),
        ("limit", &q.limit),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| (k, v.clone()))
    .collect()
}

/// Rows per page of the orders list.
pub const ORDERS_PER_PAGE: u32 = 50;

/// The query's page of the list, or the error naming `offset`.
pub fn order_page(q: &OrderQuery) -> Result<Page, ApiError> {
    let offset = list_offset(&q.offset)?;
    let limit = list_limit(&q.limit, ORDERS_PER_PAGE)?;
    Ok(Page { limit, offset })
}

/// A list page's `limit` as an API client sends it (empty: `default`), 1 to 100.
fn list_limit(text: &str, default: u32) -> Result<u32, ApiError> {
    match text.trim() {
        "" => Ok(default),
        text => text
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| ApiError::invalid("limit", "must be a whole number from 1 to 100")),
    }
}

/// A list page's `offset` as typed (empty: the first page).
fn list_offset(text: &str) -> Result<u32, ApiError> {
    match text.trim() {
        "" => Ok(0),
        text => text
            .parse::<u32>()
            .ok()
            .filter(|o| *o <= 10_000_000)
            .ok_or_else(|| ApiError::invalid("offset", "must be a whole number from 0")),
    }
}

/// The query's filter, or the error naming the field that cannot be read.
pub fn order_filter(q: &OrderQuery) -> Result<OrderFilter, ApiError> {
    use commerce::order::list::Day;
    let status = match q.status.as_str() {
        "" => None,
        s => Some(
            OrderStatus::ALL
                .into_iter()
                .find(|st| st.as_str() == s)
                .ok_or_else(|| ApiError::invalid("status", "is not an order status"))?,
        ),
    };
    let payment = match q.payment.as_str() {
        "" => None,
        s => Some(
            PaymentStatus::parse(s)
                .ok_or_else(|| ApiError::invalid("payment", "is not a payment status"))?,
        ),
    };
    let day = |text: &str, field| {
        (!text.trim().is_empty())
            .then(|| Day::parse(text, field))
            .transpose()
    };
    Ok(OrderFilter {
        status,
        payment,
        from: day(&q.from, "from")?,
        to: day(&q.to, "to")?,
        q: (!q.q.trim().is_empty()).then(|| q.q.trim().to_owned()),
    })
}

/// The orders list: filters, the page of orders and links to the pages around it.
pub fn orders_page(
    shell: &Shell,
    query: &OrderQuery,
    orders: &[OrderRow],
    total: i64,
    page: Page,
) -> Result<Rendered, ApiError> {
    html(
        200,
        &OrdersPage {
            frame: Frame::new("Orders", Some(shell)),
            query,
            statuses: OrderStatus::ALL
                .into_iter()
                .map(|s| Choice {
                    value: s.as_str(),
                    label: s.label(),
                    selected: query.status == s.as_str(),
                })
                .collect(),
            payments: PaymentStatus::ALL
                .into_iter()
                .map(|p| Choice {
                    value: p.as_str(),
                    label: p.label(),
                    selected: query.payment == p.as_str(),
                })
                .collect(),
            orders: orders.iter().map(OrderLine::of).collect(),
            pager: Pager::new(page, orders.len(), total, |o| list_href(query, o)),
        },
    )
}

// ------------------------------------------------------------------ errors

#[derive(Template)]
#[template(path = "admin/message.html")]
struct MessagePage<'a> {
    frame: Frame<'a>,
    heading: &'static str,
    text: String,
}

/// The admin's page for a failed request, in the shell when the member is known.
pub fn admin_error_page(shell: Option<&Shell>, err: &ApiError) -> Rendered {
    let (heading, text) = match err {
        ApiError::Forbidden { .. } => (
            "Not allowed",
            format!("{} Ask an owner of the store if you need it.", err),
        ),
        ApiError::NotFound { .. } | ApiError::RouteNotFound { .. } => {
            ("Not found", "There is nothing at this address.".to_owned())
        }
        ApiError::InvalidParam { .. }
        | ApiError::CrossSite
        | ApiError::TooManyRequests { .. }
        | ApiError::PayloadTooLarge { .. }
        | ApiError::NotSignedIn { .. }
        | ApiError::Conflict { .. }
        | ApiError::NotAllowed { .. } => ("This did not work", err.to_string()),
        ApiError::DatabaseUnavailable { .. } | ApiError::UpstreamUnavailable { .. } => (
            "Please try again in a moment",
            "The store's database cannot be reached just now. Nothing was changed.".to_owned(),
        ),
        _ => (
            "Something went wrong",
            "An unexpected error occurred. Nothing was changed; please try again.".to_owned(),
        ),
    };
    let page = MessagePage {
        frame: Frame::new(heading, shell),
        heading,
        text,
    };
    html(err.status(), &page).unwrap_or_else(|_| Rendered {
        status: 500,
        content_type: "text/plain; charset=utf-8",
        body: "An unknown error occurred.\n".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admin_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next("/admin/orders?status=pending"),
            "/admin/orders?status=pending"
        );
        for bad in [
            "https://evil.example/admin",
            "//evil.example",
            "/admin//x",
            "/shop",
            "/admin\\x",
            "",
        ] {
            assert_eq!(safe_next(bad), "/admin", "{bad}");
        }
    }

    #[test]
    fn list_links_keep_the_filter() {
        let q = OrderQuery {
            status: "confirmed".into(),
            q: "ann@example.com".into(),
            ..OrderQuery::default()
        };
        assert_eq!(
            list_href(&q, 50),
            "/admin/orders?status=confirmed&q=ann%40example.com&offset=50"
        );
        assert_eq!(list_href(&OrderQuery::default(), 0), "/admin/orders");
    }

    #[test]
    fn the_pager_says_where_the_list_stands() {
        let href = |o: u32| format!("?offset={o}");
        let middle = Pager::new(
            Page {
                limit: 50,
                offset: 50,
            },
            50,
            120,
            href,
        );
        assert_eq!((middle.first, middle.last, middle.total), (51, 100, 120));
        assert_eq!(middle.prev.as_deref(), Some("?offset=0"));
        assert_eq!(middle.next.as_deref(), Some("?offset=100"));
        let last = Pager::new(
            Page {
                limit: 50,
                offset: 100,
            },
            20,
            120,
            href,
        );
        assert_eq!((last.first, last.last, last.next), (101, 120, None));
        let empty = Pager::new(
            Page {
                limit: 50,
                offset: 0,
            },
            0,
            0,
            href,
        );
        assert_eq!(
            (empty.first, empty.last, empty.prev, empty.next),
            (0, 0, None, None)
        );
    }

    #[test]
    fn a_bad_filter_names_its_field() {
        let q = OrderQuery {
            from: "2026-02-30".into(),
            ..OrderQuery::default()
        };
        assert_eq!(order_filter(&q).unwrap_err().param(), Some("from"));
        let q = OrderQuery {
            status: "lost".into(),
            ..OrderQuery::default()
        };
        assert_eq!(order_filter(&q).unwrap_err().param(), Some("status"));
    }
}

// ------------------------------------------------------------------ one order

/// `YYYY-MM-DD HH:MM` (UTC) of milliseconds since 1970.
fn utc_minute(ms: u64) -> String {
    let t = i64::try_from(ms / 1000)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

pub struct DetailLine {
    pub title: String,
    pub variant: String,
    pub sku: String,
    pub quantity: u32,
    pub unit_price: String,
    pub total: String,
}

pub struct LedgerLine {
    pub at: String,
    pub kind: &'static str,
    pub amount: String,
    pub provider: String,
    pub reference: String,
}

/// A status change the member may make now: a button (with a confirmation box when it
/// cannot be undone).
pub struct ActionButton {
    pub action: &'static str,
    pub label: &'static str,
    pub confirm: Option<&'static str>,
}

/// One moment of an order's life: placed, paid, packed, shipped, refunded, e-mailed,
/// or a staff action (who, and what changed).
pub struct TimelineEntry {
    /// `YYYY-MM-DD HH:MM:SS` UTC (sorts as it reads).
    pub at: String,
    pub text: String,
    /// A staff action's recorded change.
    pub change: Option<String>,
}

/// An e-mail the shopper was sent.
pub struct EmailLine {
    pub at: String,
    pub to: String,
    pub subject: String,
}

/// `YYYY-MM-DD HH:MM:SS` UTC of a time in milliseconds.
fn utc_second(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The order's life, oldest first: its own milestones, the e-mails it sent and the
/// staff actions on it.
fn timeline_of(
    order: &commerce::order::Order,
    emails: &[commerce::order::SentEmail],
    audit: &[commerce::staff::audit::Row],
    fmt: impl Fn(commerce::money::MinorUnits) -> String,
) -> Vec<TimelineEntry> {
    use commerce::order::TransactionKind;
    let entry = |ms: u64, text: String| TimelineEntry {
        at: utc_second(ms),
        text,
        change: None,
    };
    let mut all = vec![entry(order.created_at_ms, "Placed".to_owned())];
    for t in &order.transactions {
        let what = match t.kind {
            TransactionKind::Authorization => "Payment authorized",
            TransactionKind::Capture => "Payment captured",
            TransactionKind::Refund => "Refunded",
        };
        all.push(entry(t.created_at_ms, format!("{what}: {}", fmt(t.amount))));
    }
    for f in &order.fulfillments {
        let units = f.units();
        let noun = if units == 1 { "unit" } else { "units" };
        all.push(entry(
            f.created_at_ms,
            format!("Packed {units} {noun} at {}", f.location_name),
        ));
        if let Some(at) = f.shipped_at_ms {
            let with = f
                .shipment
                .as_ref()
                .map(|s| format!(" with {}, {}", s.carrier, s.tracking_number))
                .unwrap_or_default();
            all.push(entry(at, format!("Shipped {units} {noun}{with}")));
        }
    }
    for e in emails {
        all.push(entry(e.sent_at_ms, format!("E-mailed “{}”", e.subject)));
    }
    for row in audit {
        let line = AuditLine::of(row);
        all.push(TimelineEntry {
            at: line.at,
            text: format!("{}: {}", line.who, line.action),
            change: Some(line.change),
        });
    }
    all.sort_by(|a, b| a.at.cmp(&b.at));
    all
}

/// A line on the packing form: how many of it are left to pack.
pub struct PackLine {
    pub item_id: String,
    pub title: String,
    pub ordered: u32,
    pub left: u32,
}

/// A stock location to pack at.
pub struct LocationChoice {
    pub id: String,
    pub name: String,
}

/// A parcel of the order as the page shows it.
pub struct ParcelView {
    pub id: String,
    pub location: String,
    /// "2 × Linen Shirt (M), 1 × Cap".
    pub contents: String,
    pub packed_at: String,
    /// "Waiting for the carrier", "Shipped 2026-12-03 18:04", "Canceled ...".
    pub state: String,
    pub shipment: Option<commerce::order::Shipment>,
    /// The member may ship it now: the page shows its shipping form.
    pub shippable: bool,
}

/// What the member may do to the order, as the route table allows their role.
#[derive(Debug, Clone, Copy, Default)]
pub struct Allowed {
    pub write: bool,
    pub refund: bool,
}

#[derive(Template)]
#[template(path = "admin/order.html")]
struct OrderDetailPage<'a> {
    frame: Frame<'a>,
    id: String,
    number: String,
    status: &'static str,
    status_class: &'static str,
    placed_at: String,
    email: String,
    shipping_method: String,
    shipping_address: Vec<String>,
    billing_address: Vec<String>,
    lines: Vec<DetailLine>,
    item_total: String,
    shipping_total: String,
    tax_total: String,
    total: String,
    paid: String,
    refunded: String,
    ledger: Vec<LedgerLine>,
    timeline: Vec<TimelineEntry>,
    emails: Vec<EmailLine>,
    actions: Vec<ActionButton>,
    /// The packing form's lines (empty: nothing left to pack, or not allowed).
    pack: Vec<PackLine>,
    locations: Vec<LocationChoice>,
    parcels: Vec<ParcelView>,
    /// The most that can be refunded now, in major units for the field; `None` hides
    /// the refund form.
    refund_max: Option<String>,
    message: Option<String>,
    carriers: Vec<&'static str>,
}

/// What the order page shows of one order, as read for it.
pub struct OrderFacts<'a> {
    pub order: &'a commerce::order::Order,
    /// The store's stock locations, to pack at.
    pub locations: &'a [(commerce::ids::StockLocationId, String)],
    pub emails: &'a [commerce::order::SentEmail],
    /// Staff actions on the order.
    pub audit: &'a [commerce::staff::audit::Row],
}

/// One order for staff: lines, addresses, totals, the payment ledger, the e-mails
/// sent, the timeline of its life, its parcels, and the actions the member may take now
/// (packing some or all units at one of the locations, shipping each waiting parcel).
pub fn order_detail_page(
    shell: &Shell,
    facts: OrderFacts<'_>,
    allowed: Allowed,
    message: Option<String>,
    status: u16,
) -> Result<Rendered, ApiError> {
    use commerce::order::{transition, OrderAction};
    let OrderFacts {
        order,
        locations,
        emails,
        audit,
    } = facts;
    let cur = order.currency;
    let fmt = |m: commerce::money::MinorUnits| money(Money::new(m.get(), cur));
    let possible = |a: OrderAction| transition(order.status, a, order.progress()).is_ok();
    let pack: Vec<PackLine> = if allowed.write && possible(OrderAction::Fulfill) {
        order
            .items
            .iter()
            .map(|i| PackLine {
                item_id: i.id.as_str().to_owned(),
                title: i.display_title(),
                ordered: i.quantity,
                left: i.quantity.saturating_sub(order.packed(&i.id)),
            })
            .filter(|l| l.left > 0)
            .collect()
    } else {
        Vec::new()
    };
    let shippable = allowed.write && possible(OrderAction::Ship);
    let parcels = order
        .fulfillments
        .iter()
        .map(|f| ParcelView {
            id: f.id.as_str().to_owned(),
            location: f.location_name.clone(),
            contents: f
                .items
                .iter()
                .map(|l| {
                    let title = order
                        .items
                        .iter()
                        .find(|i| i.id == l.item_id)
                        .map_or_else(|| l.item_id.to_string(), |i| i.display_title());
                    format!("{} × {title}", l.quantity)
                })
                .collect::<Vec<_>>()
                .join(", "),
            packed_at: utc_minute(f.created_at_ms),
            state: match (f.shipped_at_ms, f.canceled_at_ms) {
                (Some(at), _) => format!("Shipped {}", utc_minute(at)),
                (None, Some(at)) => format!("Unpacked {} (order canceled)", utc_minute(at)),
                (None, None) => "Waiting for the carrier".to_owned(),
            },
            shipment: f.shipment.clone(),
            shippable: shippable && f.is_waiting(),
        })
        .collect();
    let mut actions = Vec::new();
    if allowed.write {
        for (action, label, confirm) in [
            (OrderAction::Deliver, "Mark delivered", None),
            (
                OrderAction::Cancel,
                "Cancel order",
                Some("Yes, cancel this order, release its stock and refund what was paid"),
            ),
        ] {
            if possible(action) {
                actions.push(ActionButton {
                    action: action.as_str(),
                    label,
                    confirm,
                });
            }
        }
    }
    let left = order.paid_total();
    let refund_max = (allowed.refund && left.is_positive() && possible(OrderAction::Refund))
        .then(|| crate::format::major_input(left.get(), cur));
    let page = OrderDetailPage {
        frame: Frame::new(format!("Order #{}", order.display_id), Some(shell)),
        id: order.id.as_str().to_owned(),
        number: format!("#{}", order.display_id),
        status: order.status.label(),
        status_class: match order.status {
            OrderStatus::Failed | OrderStatus::Canceled => "bad",
            OrderStatus::Pending => "waiting",
            _ => "good",
        },
        placed_at: utc_minute(order.created_at_ms),
        email: order.email.to_string(),
        shipping_method: format!("{} ({})", order.shipping.name, fmt(order.shipping.amount)),
        shipping_address: crate::checkout::address_lines(&order.shipping_address, &[]),
        billing_address: order
            .billing_address
            .as_ref()
            .map(|a| crate::checkout::address_lines(a, &[]))
            .unwrap_or_default(),
        lines: order
            .items
            .iter()
            .map(|i| DetailLine {
                title: i.product_title.clone(),
                variant: i.variant_title.clone(),
                sku: i.sku.clone().unwrap_or_default(),
                quantity: i.quantity,
                unit_price: fmt(i.unit_price),
                total: fmt(i.total),
            })
            .collect(),
        item_total: fmt(order.item_total),
        shipping_total: fmt(order.shipping_total),
        tax_total: fmt(order.tax_total),
        total: fmt(order.total),
        paid: fmt(order.paid_total()),
        refunded: fmt(order.refunded_total()),
        ledger: order
            .transactions
            .iter()
            .map(|t| LedgerLine {
                at: utc_minute(t.created_at_ms),
                kind: t.kind.as_str(),
                amount: fmt(t.amount),
                provider: t.provider_id.clone(),
                reference: t.reference.clone(),
            })
            .collect(),
        timeline: timeline_of(order, emails, audit, fmt),
        emails: emails
            .iter()
            .map(|e| EmailLine {
                at: utc_minute(e.sent_at_ms),
                to: e.to.clone(),
                subject: e.subject.clone(),
            })
            .collect(),
        actions,
        pack,
        locations: locations
            .iter()
            .map(|(id, name)| LocationChoice {
                id: id.as_str().to_owned(),
                name: name.clone(),
            })
            .collect(),
        parcels,
        refund_max,
        message,
        carriers: commerce::order::shipment::CARRIERS
            .iter()
            .map(|(name, _)| *name)
            .collect(),
    };
    html(status, &page)
}

// ------------------------------------------------------------------ staff

pub struct StaffLine {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub since: String,
    pub roles: Vec<RoleChoice>,
    /// The member looking is this one.
    pub me: bool,
}

pub struct InviteLine {
    pub email: String,
    pub role: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "admin/staff.html")]
struct StaffPage<'a> {
    frame: Frame<'a>,
    members: Vec<StaffLine>,
    invites: Vec<InviteLine>,
    /// Owners may invite, change roles and remove.
    manage: bool,
    roles: Vec<RoleChoice>,
    invite_email: &'a str,
    /// The link of the invitation just made, to hand to the person.
    invite_link: Option<&'a str>,
    message: Option<String>,
}

/// A role to choose in a form: a built-in one or the store's own.
pub struct RoleChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The built-in roles, then the store's own (`custom`), `selected` marked.
fn role_choices(custom: &[StoreRole], selected: Option<&StoreRole>) -> Vec<RoleChoice> {
    Role::ALL
        .iter()
        .map(|r| StoreRole::builtin(*r))
        .chain(custom.iter().cloned())
        .map(|r| RoleChoice {
            selected: selected.is_some_and(|s| s.key() == r.key()),
            value: r.key().to_owned(),
            label: r.label().to_owned(),
        })
        .collect()
}

/// What the staff page shows besides the members: a fresh invitation's link, the
/// invite form's address as typed, and why the last change was refused.
#[derive(Debug, Clone, Default)]
pub struct StaffNotice<'a> {
    pub invite_link: Option<&'a str>,
    pub invite_email: &'a str,
    pub message: Option<String>,
}

/// The store's staff and open invitations; for owners, the forms that change them.
pub fn staff_page(
    shell: &Shell,
    me: &Member,
    members: &[commerce::staff::StaffRow],
    invites: &[commerce::staff::PendingInvite],
    custom: &[StoreRole],
    notice: StaffNotice<'_>,
    status: u16,
) -> Result<Rendered, ApiError> {
    html(
        status,
        &StaffPage {
            frame: Frame::new("Staff", Some(shell)),
            members: members
                .iter()
                .map(|m| StaffLine {
                    user_id: m.user_id.as_str().to_owned(),
                    name: m.name.clone(),
                    email: m.email.clone(),
                    role: m.role.label().to_owned(),
                    since: m.since.clone(),
                    roles: role_choices(custom, Some(&m.role)),
                    me: m.user_id == me.user_id,
                })
                .collect(),
            invites: invites
                .iter()
                .map(|i| InviteLine {
                    email: i.email.clone(),
                    role: i.role.label().to_owned(),
                    expires: i.expires.clone(),
                })
                .collect(),
            manage: me.may(Permission::StaffWrite),
            roles: role_choices(custom, None),
            invite_email: notice.invite_email,
            invite_link: notice.invite_link,
            message: notice.message,
        },
    )
}

// ------------------------------------------------------------------ roles

/// A permission as a checkbox of the role form.
pub struct PermissionBox {
    pub name: &'static str,
    pub checked: bool,
}

/// A role as the roles page lists it.
pub struct RoleLine {
    pub id: String,
    pub label: String,
    pub permissions: String,
    /// Members and open invitations with it (the store's own roles).
    pub members: Option<i64>,
}

/// The permissions a store's own role may be given: all but staff:write and what
/// every member has anyway.
fn grantable() -> impl Iterator<Item = Permission> {
    Permission::ALL
        .iter()
        .copied()
        .filter(|p| !p.is_everyones() && *p != Permission::StaffWrite)
}

fn permission_boxes(checked: commerce::staff::Permissions) -> Vec<PermissionBox> {
    grantable()
        .map(|p| PermissionBox {
            name: p.as_str(),
            checked: checked.contains(p),
        })
        .collect()
}

fn permission_list(set: commerce::staff::Permissions) -> String {
    let shown: Vec<&str> = set
        .iter()
        .filter(|p| !p.is_everyones())
        .map(Permission::as_str)
        .collect();
    shown.join(", ")
}

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage<'a> {
    frame: Frame<'a>,
    builtin: Vec<RoleLine>,
    custom: Vec<RoleLine>,
    manage: bool,
    name: &'a str,
    boxes: Vec<PermissionBox>,
    message: Option<String>,
}

/// What the role forms show besides the roles: the name and boxes as posted, and why
/// the post was refused.
#[derive(Debug, Clone, Default)]
pub struct RoleNotice<'a> {
    pub name: &'a str,
    pub checked: commerce::staff::Permissions,
    pub message: Option<String>,
}

/// The built-in roles and the store's own with what each grants; for owners, the form
/// that defines a new one.
pub fn roles_page(
    shell: &Shell,
    me: &Member,
    custom: &[commerce::staff::roles::RoleRow],
    notice: RoleNotice<'_>,
    status: u16,
) -> Result<Rendered, ApiError> {
    html(
        status,
        &RolesPage {
            frame: Frame::new("Roles", Some(shell)),
            builtin: Role::ALL
                .iter()
                .map(|r| RoleLine {
                    id: r.as_str().to_owned(),
                    label: r.label().to_owned(),
                    permissions: permission_list(commerce::staff::Permissions::of_role(*r)),
                    members: None,
                })
                .collect(),
            custom: custom
                .iter()
                .map(|r| RoleLine {
                    id: r.role.key().to_owned(),
                    label: r.role.label().to_owned(),
                    permissions: permission_list(r.role.permissions()),
                    members: Some(r.members),
                })
                .collect(),
            manage: me.may(Permission::StaffWrite),
            name: notice.name,
            boxes: permission_boxes(notice.checked),
            message: notice.message,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/role.html")]
struct RolePage<'a> {
    frame: Frame<'a>,
    id: String,
    label: String,
    members: i64,
    manage: bool,
    name: &'a str,
    boxes: Vec<PermissionBox>,
    message: Option<String>,
}

/// One of the store's own roles: for owners, the form that changes it and the one that
/// deletes it.
pub fn role_page(
    shell: &Shell,
    me: &Member,
    row: &commerce::staff::roles::RoleRow,
    notice: Option<RoleNotice<'_>>,
    status: u16,
) -> Result<Rendered, ApiError> {
    // A refused form shows what was posted; a refusal without one (a delete), the role.
    let (name, checked, message) = match notice {
        Some(n) if !n.name.is_empty() || n.checked != Default::default() => {
            (n.name, n.checked, n.message)
        }
        Some(n) => (row.role.label(), row.role.permissions(), n.message),
        None => (row.role.label(), row.role.permissions(), None),
    };
    html(
        status,
        &RolePage {
            frame: Frame::new(format!("Role {}", row.role.label()), Some(shell)),
            id: row.role.key().to_owned(),
            label: row.role.label().to_owned(),
            members: row.members,
            manage: me.may(Permission::StaffWrite),
            name,
            boxes: permission_boxes(checked),
            message,
        },
    )
}

// ------------------------------------------------------------------ API keys

pub struct ApiKeyLine {
    pub id: String,
    pub title: String,
    pub role: &'static str,
    pub redacted: String,
    pub made_by: String,
    pub made: String,
    pub last_used: String,
    /// When it was revoked; empty while it works.
    pub revoked: String,
}

/// `2026-12-03T18:04:05Z` as the admin's tables show times: `2026-12-03 18:04`.
fn shown_time(iso: &str) -> String {
    iso.replace('T', " ").chars().take(16).collect()
}

#[derive(Template)]
#[template(path = "admin/api_keys.html")]
struct ApiKeysPage<'a> {
    frame: Frame<'a>,
    keys: Vec<ApiKeyLine>,
    /// Owners and admins make and revoke keys.
    manage: bool,
    roles: Vec<Choice>,
    title: &'a str,
    /// The key just made: its title and whole token, shown this once.
    made: Option<(&'a str, &'a str)>,
    message: Option<String>,
}

/// What the keys page shows besides the list: the key just made (title and token),
/// the form's title as typed, and why the last change was refused.
#[derive(Debug, Clone, Default)]
pub struct ApiKeyNotice<'a> {
    pub made: Option<(&'a str, &'a str)>,
    pub title: &'a str,
    pub message: Option<String>,
}

/// The store's secret API keys; for those who may, the forms that make and revoke
/// them (a key's role is never above the maker's).
pub fn api_keys_page(
    shell: &Shell,
    me: &Member,
    keys: &[commerce::staff::api_key::ApiKey],
    notice: ApiKeyNotice<'_>,
    status: u16,
) -> Result<Rendered, ApiError> {
    html(
        status,
        &ApiKeysPage {
            frame: Frame::new("API keys", Some(shell)),
            keys: keys
                .iter()
                .map(|k| ApiKeyLine {
                    id: k.id.as_str().to_owned(),
                    title: k.title.clone(),
                    role: k.role.label(),
                    redacted: k.redacted.clone(),
                    made_by: k.created_by_email.clone(),
                    made: shown_time(&k.created_at),
                    last_used: k
                        .last_used_at
                        .as_deref()
                        .map_or_else(|| "never".to_owned(), shown_time),
                    revoked: k.revoked_at.as_deref().map(shown_time).unwrap_or_default(),
                })
                .collect(),
            manage: me.may(Permission::ApiKeyWrite),
            roles: Role::ALL
                .iter()
                .filter(|r| {
                    **r != Role::Owner
                        && me
                            .role
                            .may_grant(commerce::staff::Permissions::of_role(**r))
                })
                .map(|r| Choice {
                    value: r.as_str(),
                    label: r.label(),
                    selected: false,
                })
                .collect(),
            title: notice.title,
            made: notice.made,
            message: notice.message,
        },
    )
}

// ------------------------------------------------------------------ own sessions

pub struct SessionLine {
    pub key: String,
    pub store_name: String,
    pub kind: &'static str,
    pub signed_in: String,
    pub last_seen: String,
    pub ip: String,
    pub user_agent: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "admin/sessions.html")]
struct SessionsPage<'a> {
    frame: Frame<'a>,
    sessions: Vec<SessionLine>,
}

/// The member's own live sessions in every store, each with a revoke button; the
/// current one is marked (revoking it signs out here).
pub fn sessions_page(
    shell: &Shell,
    sessions: &[commerce::staff::SessionRow],
    current_key: &str,
) -> Result<Rendered, ApiError> {
    html(
        200,
        &SessionsPage {
            frame: Frame::new("Your sessions", Some(shell)),
            sessions: sessions
                .iter()
                .map(|s| SessionLine {
                    key: s.key.clone(),
                    store_name: s.store_name.clone(),
                    kind: s.kind,
                    signed_in: s.signed_in.clone(),
                    last_seen: s.last_seen.clone(),
                    ip: s.ip.clone(),
                    user_agent: s.user_agent.clone(),
                    current: s.key == current_key,
                })
                .collect(),
        },
    )
}

// ------------------------------------------------------------------ audit log

/// The audit page's query as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub action: String,
    pub target: String,
    pub offset: String,
}

/// One entry of the audit log, as its page and an order's timeline show it.
pub struct AuditLine {
    pub at: String,
    pub who: String,
    pub action: String,
    pub target: String,
    pub change: String,
    pub ip: String,
}

impl AuditLine {
    fn of(r: &commerce::staff::audit::Row) -> Self {
        AuditLine {
            at: r.at.clone(),
            who: match (&r.user_email, &r.role, &r.api_key) {
                (_, Some(role), Some(key)) => format!("API key “{key}” ({role})"),
                (Some(e), Some(role), None) => format!("{e} ({role})"),
                (Some(e), None, _) => e.clone(),
                _ => "operator".to_owned(),
            },
            action: r.action.clone(),
            target: r.target_id.clone().unwrap_or_default(),
            change: r.change.to_string(),
            ip: r.ip.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage<'a> {
    frame: Frame<'a>,
    query: &'a AuditQuery,
    rows: Vec<AuditLine>,
    pager: Pager,
}

/// Rows per page of the audit log.
pub const AUDIT_PER_PAGE: u32 = 50;

fn audit_href(q: &AuditQuery, offset: u32) -> String {
    let mut pairs: Vec<(String, String)> = [("action", &q.action), ("target", &q.target)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
    if offset > 0 {
        pairs.push(("offset".to_owned(), offset.to_string()));
    }
    crate::listing::with_query("/admin/audit", &pairs)
}

/// The page of the audit log the query asks for.
pub fn audit_page_of(q: &AuditQuery) -> Result<Page, ApiError> {
    let offset = match q.offset.trim() {
        "" => 0,
        text => text
            .parse::<u32>()
            .map_err(|_| ApiError::invalid("offset", "must be a whole number from 0"))?,
    };
    Ok(Page {
        limit: AUDIT_PER_PAGE,
        offset,
    })
}

/// The store's audit log, newest first, filtered by action prefix and target.
pub fn audit_page(
    shell: &Shell,
    query: &AuditQuery,
    rows: &[commerce::staff::audit::Row],
    total: i64,
    page: Page,
) -> Result<Rendered, ApiError> {
    html(
        200,
        &AuditPage {
            frame: Frame::new("Audit log", Some(shell)),
            query,
            rows: rows.iter().map(AuditLine::of).collect(),
            pager: Pager::new(page, rows.len(), total, |o| audit_href(query, o)),
        },
    )
}
