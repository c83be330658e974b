//! The checkout and order pages: the checkout page in three steps (contact and
//! shipping address, delivery, payment and review), an order's confirmation and detail
//! page, and the order lookup form. Plain forms that post to the edge, which redirects
//! back (post-redirect-get); nothing here needs JavaScript. Personal pages: never
//! indexed, never cached.

use askama::Template;
use commerce::cart::{self, Address, Cart, ShippingOption};
use commerce::email::Email;
use commerce::money::{CurrencyCode, Money};
use commerce::order::{Order, OrderStatus};
use commerce::region::Country;
use commerce::ApiError;
use tokio_postgres::GenericClient;

use crate::format::money;
use crate::pages::{categories, html, image, layout, meta, PageRequest, Rendered};
use crate::views::{Image, Layout, Meta};

const ROBOTS: &str = "noindex, nofollow";

/// The sections of the checkout page, in the order a shopper completes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum CheckoutStep {
    /// 1: e-mail and shipping address.
    #[default]
    Contact,
    /// 2: shipping method.
    Delivery,
    /// 3: card, review and "Place order".
    Payment,
}

impl CheckoutStep {
    pub const ALL: [CheckoutStep; 3] = [
        CheckoutStep::Contact,
        CheckoutStep::Delivery,
        CheckoutStep::Payment,
    ];

    /// The name used in `/checkout?step=`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutStep::Contact => "contact",
            CheckoutStep::Delivery => "delivery",
            CheckoutStep::Payment => "payment",
        }
    }

    /// A step named in `?step=`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    fn number(self) -> u8 {
        match self {
            CheckoutStep::Contact => 1,
            CheckoutStep::Delivery => 2,
            CheckoutStep::Payment => 3,
        }
    }

    /// The furthest step the cart has reached: contact until it has an e-mail and a
    /// shipping address, delivery until it has a shipping method, then payment (what
    /// an order needs, as `commerce::order::place` checks it).
    pub fn furthest(cart: &Cart) -> Self {
        let contact_done = cart.contact_complete();
        if !contact_done {
            CheckoutStep::Contact
        } else if cart.shipping_method.is_none() {
            CheckoutStep::Delivery
        } else {
            CheckoutStep::Payment
        }
    }

    /// The step to open for `?step=` (its value, if given): the one asked for, but
    /// never one the cart has not reached; without a valid one, the furthest.
    pub fn requested(step: Option<&str>, cart: &Cart) -> Self {
        let furthest = Self::furthest(cart);
        step.and_then(Self::parse)
            .map_or(furthest, |asked| asked.min(furthest))
    }
}

/// A refusal of one form field, shown next to the field and listed at the top.
/// `field` is the form's name for it (`email`, `city`, `country_code`, `option_id`,
/// `card_number`, `card_holder`); the Store API's `shipping_address.city` names the
/// same field as `city`. A field the page does not show is listed at the top only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The field error of a refused parameter (`ApiError::InvalidParam`); `None` for
    /// any other error.
    pub fn from_api(err: &ApiError) -> Option<Self> {
        match err {
            ApiError::InvalidParam { param, reason } => Some(FieldError::new(param, reason)),
            _ => None,
        }
    }

    /// The form field's name: `shipping_address.city` is `city`.
    fn name(&self) -> &str {
        self.field
            .strip_prefix("shipping_address.")
            .unwrap_or(&self.field)
    }
}

/// What the checkout forms show in their fields: what the shopper last sent (after a
/// refusal), or the cart's values ([`CheckoutForm::from_cart`]). The card number is
/// never shown again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckoutForm {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub address_1: String,
    pub address_2: String,
    pub city: String,
    pub postal_code: String,
    pub province: String,
    /// ISO 3166-1 alpha-2, lower case like the region's countries.
    pub country_code: String,
    pub phone: String,
    /// The shipping option chosen.
    pub option_id: String,
    pub card_holder: String,
}

impl CheckoutForm {
    /// The cart's e-mail, shipping address and shipping option.
    pub fn from_cart(cart: &Cart) -> Self {
        let a = cart.shipping_address.clone().unwrap_or_default();
        let text = |v: Option<String>| v.unwrap_or_default();
        CheckoutForm {
            email: text(cart.email.as_deref().map(str::to_owned)),
            first_name: text(a.first_name),
            last_name: text(a.last_name),
            address_1: text(a.address_1),
            address_2: text(a.address_2),
            city: text(a.city),
            postal_code: text(a.postal_code),
            province: text(a.province),
            country_code: text(a.country_code),
            phone: text(a.phone),
            option_id: cart
                .shipping_method
                .as_ref()
                .map(|m| m.option_id.as_str().to_owned())
                .unwrap_or_default(),
            card_holder: String::new(),
        }
    }

    /// `email` and a saved address, as the contact step sends them.
    pub fn from_saved(email: &str, a: &Address) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        CheckoutForm {
            email: email.to_owned(),
            first_name: text(&a.first_name),
            last_name: text(&a.last_name),
            address_1: text(&a.address_1),
            address_2: text(&a.address_2),
            city: text(&a.city),
            postal_code: text(&a.postal_code),
            province: text(&a.province),
            country_code: text(&a.country_code),
            phone: text(&a.phone),
            ..CheckoutForm::default()
        }
    }

    /// Takes the posted fields this form knows (decoded name/value pairs) over the
    /// values it has; others, and `card_number`, are ignored.
    pub fn fill<'a>(&mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
        for (name, value) in pairs {
            let slot = match name {
                "email" => &mut self.email,
                "first_name" => &mut self.first_name,
                "last_name" => &mut self.last_name,
                "address_1" => &mut self.address_1,
                "address_2" => &mut self.address_2,
                "city" => &mut self.city,
                "postal_code" => &mut self.postal_code,
                "province" => &mut self.province,
                "country_code" => &mut self.country_code,
                "phone" => &mut self.phone,
                "option_id" => &mut self.option_id,
                "card_holder" => &mut self.card_holder,
                _ => continue,
            };
            value.clone_into(slot);
        }
    }

    fn value(&self, name: &str) -> &str {
        match name {
            "email" => &self.email,
            "first_name" => &self.first_name,
            "last_name" => &self.last_name,
            "address_1" => &self.address_1,
            "address_2" => &self.address_2,
            "city" => &self.city,
            "postal_code" => &self.postal_code,
            "province" => &self.province,
            "country_code" => &self.country_code,
            "phone" => &self.phone,
            "option_id" => &self.option_id,
            "card_holder" => &self.card_holder,
            _ => "",
        }
    }
}

/// What the checkout page shows. The cart is not empty (the edge sends an empty cart
/// to `/cart`).
#[derive(Debug, Clone)]
pub struct CheckoutView {
    pub cart: Cart,
    /// The region's shipping options; those [`cart::applicable`] to the cart are
    /// offered with their price for it.
    pub shipping: Vec<ShippingOption>,
    /// The section that is open; those before it are shown as summaries.
    pub step: CheckoutStep,
    pub form: CheckoutForm,
    pub errors: Vec<FieldError>,
    /// A message about the whole checkout (a declined card, stock gone while paying,
    /// the origin unreachable), shown at the top.
    pub error: Option<String>,
    /// What changed in the cart since the shopper last saw it.
    pub notices: Vec<String>,
    /// A payment session waiting for the shopper's confirmation with the (test) bank:
    /// the payment section asks for it instead of a card.
    pub authenticate: Option<String>,
    /// The signed-in customer's address book, offered at the contact step (each with
    /// their e-mail address); empty for a guest.
    pub saved: Vec<(String, CheckoutForm)>,
}

impl CheckoutView {
    /// The page for `cart` at `step`, its forms filled from the cart, nothing refused.
    pub fn new(cart: Cart, shipping: Vec<ShippingOption>, step: CheckoutStep) -> Self {
        CheckoutView {
            form: CheckoutForm::from_cart(&cart),
            cart,
            shipping,
            step,
            errors: Vec::new(),
            error: None,
            notices: Vec::new(),
            authenticate: None,
            saved: Vec::new(),
        }
    }
}

/// What the order lookup form was sent with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookupForm {
    pub email: String,
    /// As typed: `1042` or `#1042`.
    pub number: String,
}

impl LookupForm {
    /// The order number typed (`1042`, `#1042`, ` # 1042 `), if it is one.
    pub fn display_id(&self) -> Option<i64> {
        let n = self.number.trim();
        let n = n.strip_prefix('#').unwrap_or(n).trim();
        if n.is_empty() || n.len() > 15 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n.parse().ok().filter(|n| *n > 0)
    }

    /// The e-mail address typed, if it is one.
    pub fn email(&self) -> Option<Email> {
        Email::parse(&self.email).ok()
    }
}

// ------------------------------------------------------------------ shared helpers

pub(crate) fn amount(minor: impl Into<i64>, currency: CurrencyCode) -> String {
    money(Money::new(minor.into(), currency))
}

/// A shipping amount: "Free" when nothing is charged.
fn shipping_amount(minor: impl Into<i64>, currency: CurrencyCode) -> String {
    let minor = minor.into();
    if minor == 0 {
        "Free".to_owned()
    } else {
        amount(minor, currency)
    }
}

fn tax_label(rate_bp: u32, inclusive: bool) -> String {
    let rate = f64::from(rate_bp) / 100.0;
    if inclusive {
        format!("Included tax ({rate}%)")
    } else {
        format!("Tax ({rate}%)")
    }
}

pub(crate) fn page_meta(req: &PageRequest<'_>, title: &str, description: &str) -> Meta {
    let mut m = meta(req, title, description, true);
    m.title = format!("{title} — {}", req.site.store.name);
    m.robots = Some(ROBOTS);
    m
}

fn country_name(code: &str, countries: &[Country]) -> String {
    countries
        .iter()
        .find(|c| c.iso_2 == code)
        .map_or_else(|| code.to_ascii_uppercase(), |c| c.display_name.clone())
}

/// An address as it is written on a parcel, one line each, empty lines left out.
pub(crate) fn address_lines(a: &Address, countries: &[Country]) -> Vec<String> {
    let join = |parts: &[&Option<String>]| {
        parts
            .iter()
            .filter_map(|p| p.as_deref())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let lines = [
        join(&[&a.first_name, &a.last_name]),
        join(&[&a.company]),
        join(&[&a.address_1]),
        join(&[&a.address_2]),
        join(&[&a.postal_code, &a.city]),
        join(&[&a.province]),
        a.country_code
            .as_deref()
            .map(|c| country_name(c, countries))
            .unwrap_or_default(),
        join(&[&a.phone]),
    ];
    lines.into_iter().filter(|l| !l.is_empty()).collect()
}

/// `(2026-05-09, 9 May 2026)`: a UTC day of milliseconds since 1970, for `<time>`.
/// Days past the year 9999 (which no clock gives) show as its last day.
pub(crate) fn day(ms: u64) -> (String, String) {
    let date = i64::try_from(ms / 1000)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .map_or(time::Date::MAX, |t| t.date());
    let (y, month, d) = (date.year(), date.month(), date.day());
    let m = u8::from(month);
    (format!("{y:04}-{m:02}-{d:02}"), format!("{d} {month} {y}"))
}

// ------------------------------------------------------------------ checkout page

/// An input (or, with `choices`, a select) of a checkout form.
pub(crate) struct FieldView {
    /// The form name, also the element's id.
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    pub(crate) input_type: &'static str,
    pub(crate) autocomplete: &'static str,
    pub(crate) inputmode: Option<&'static str>,
    pub(crate) max: usize,
    pub(crate) required: bool,
    /// Spans the form's whole width.
    pub(crate) wide: bool,
    pub(crate) value: String,
    pub(crate) choices: Option<Vec<Choice>>,
    /// Ids of the elements describing it (hints, its error).
    pub(crate) described_by: Option<String>,
    pub(crate) error: Option<String>,
}

pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

/// A form field: name, label, type, autocomplete, longest length, required, wide.
pub(crate) type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
    bool,
    bool,
);

/// The fields of the checkout forms. Lengths are those `commerce::cart::Address`
/// accepts.
pub(crate) const CONTACT_FIELDS: &[Spec] = &[(
    "email",
    "E-mail address",
    "email",
    "email",
    cart::MAX_EMAIL_CHARS,
    true,
    true,
)];
pub(crate) const ADDRESS_FIELDS: &[Spec] = &[
    (
        "first_name",
        "First name",
        "text",
        "given-name",
        100,
        true,
        false,
    ),
    (
        "last_name",
        "Last name",
        "text",
        "family-name",
        100,
        true,
        false,
    ),
    (
        "address_1",
        "Address",
        "text",
        "address-line1",
        200,
        true,
        true,
    ),
    (
        "address_2",
        "Apartment, suite, etc.",
        "text",
        "address-line2",
        200,
        false,
        true,
    ),
    ("city", "City", "text", "address-level2", 100, true, false),
    (
        "postal_code",
        "Postal code",
        "text",
        "postal-code",
        20,
        true,
        false,
    ),
    (
        "province",
        "State / province",
        "text",
        "address-level1",
        100,
        false,
        false,
    ),
    (
        "country_code",
        "Country",
        "select",
        "country",
        2,
        true,
        false,
    ),
    ("phone", "Phone", "tel", "tel", 32, false, false),
];
const PAYMENT_FIELDS: &[Spec] = &[
    (
        "card_number",
        "Card number",
        "text",
        "cc-number",
        23,
        true,
        true,
    ),
    (
        "card_holder",
        "Name on card",
        "text",
        "cc-name",
        100,
        true,
        true,
    ),
];
const OTHER_LABELS: &[(&str, &str)] = &[("option_id", "Delivery method")];

fn label_of(name: &str) -> Option<&'static str> {
    CONTACT_FIELDS
        .iter()
        .chain(ADDRESS_FIELDS)
        .chain(PAYMENT_FIELDS)
        .map(|f| (f.0, f.1))
        .chain(OTHER_LABELS.iter().copied())
        .find(|(n, _)| *n == name)
        .map(|(_, label)| label)
}

/// "must be …" as a sentence: "Must be …".
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) fn error_for(errors: &[FieldError], name: &str) -> Option<String> {
    let messages: Vec<String> = errors
        .iter()
        .filter(|e| e.name() == name)
        .map(|e| sentence(&e.message))
        .collect();
    (!messages.is_empty()).then(|| messages.join(" "))
}

/// The views of the fields of `spec`, each with its value (`value` of its name) and
/// its refusal; a select offers `countries`.
pub(crate) fn fields<'v>(
    spec: &[Spec],
    value: impl Fn(&str) -> &'v str,
    errors: &[FieldError],
    countries: &[Country],
) -> Vec<FieldView> {
    spec.iter()
        .map(
            |&(name, label, input_type, autocomplete, max, required, wide)| {
                let value = value(name).to_owned();
                let choices = (input_type == "select").then(|| {
                    let mut choices: Vec<Choice> = countries
                        .iter()
                        .map(|c| Choice {
                            value: c.iso_2.clone(),
                            label: c.display_name.clone(),
                            selected: c.iso_2.eq_ignore_ascii_case(&value),
                        })
                        .collect();
                    choices.sort_by(|a, b| a.label.cmp(&b.label));
                    choices
                });
                let error = error_for(errors, name);
                let mut described = Vec::new();
                if name == "card_number" {
                    described.push("test-cards".to_owned());
                }
                if error.is_some() {
                    described.push(format!("{name}-error"));
                }
                FieldView {
                    name,
                    label,
                    input_type,
                    autocomplete,
                    inputmode: (name == "card_number").then_some("numeric"),
                    max,
                    required,
                    wide,
                    value,
                    choices,
                    described_by: (!described.is_empty()).then(|| described.join(" ")),
                    error,
                }
            },
        )
        .collect()
}

/// A refusal listed at the top, linked to its field when the open form shows it.
struct Problem {
    href: Option<String>,
    text: String,
}

struct DeliveryChoice {
    id: String,
    name: String,
    amount: String,
    selected: bool,
}

struct SummaryLine {
    title: String,
    variant: String,
    image: Option<Image>,
    quantity: u32,
    total: String,
}

/// A saved address the contact step offers: one button sends it.
struct SavedChoice {
    label: String,
    lines: Vec<String>,
    hidden: Vec<(&'static str, String)>,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage {
    layout: Layout,
    /// The open step: 1, 2 or 3.
    step_no: u8,
    saved: Vec<SavedChoice>,
    error: Option<String>,
    problems: Vec<Problem>,
    notices: Vec<String>,
    contact_fields: Vec<FieldView>,
    address_fields: Vec<FieldView>,
    contact_summary: Vec<String>,
    delivery: Vec<DeliveryChoice>,
    delivery_error: Option<String>,
    delivery_summary: String,
    payment_fields: Vec<FieldView>,
    authenticate: Option<String>,
    review_email: String,
    ship_to: String,
    lines: Vec<SummaryLine>,
    item_total: String,
    shipping_total: String,
    tax_label: String,
    tax_total: String,
    total: String,
}

/// The checkout page (personal: never cached or indexed). `status` is the response's
/// (a refused form is 4xx, the origin unreachable 503).
pub async fn checkout_page<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
    view: CheckoutView,
    status: u16,
) -> Result<Rendered, ApiError> {
    let cats = categories(client, req).await?;
    let mut m = page_meta(req, "Checkout", "Checkout: address, delivery and payment.");
    m.canonical = format!("{}/checkout", req.origin);
    let layout = layout(req, &cats, m);

    let cart = &view.cart;
    let currency = cart.region.currency;
    let t = cart::totals(cart)?;
    let countries = &req.region.countries;
    // A payment waiting for the bank is on the payment step, whatever was asked.
    let step = if view.authenticate.is_some() {
        CheckoutStep::Payment
    } else {
        view.step
    };
    let form = &view.form;

    let shown: Vec<&str> = match step {
        CheckoutStep::Contact => CONTACT_FIELDS
            .iter()
            .chain(ADDRESS_FIELDS)
            .map(|f| f.0)
            .collect(),
        CheckoutStep::Delivery => vec!["option_id"],
        CheckoutStep::Payment if view.authenticate.is_none() => {
            PAYMENT_FIELDS.iter().map(|f| f.0).collect()
        }
        CheckoutStep::Payment => Vec::new(),
    };
    let problems = view
        .errors
        .iter()
        .map(|e| {
            let name = e.name();
            let message = sentence(&e.message);
            let shown_here = shown.contains(&name);
            let href = if !shown_here {
                None
            } else if name == "option_id" {
                Some("#delivery-options".to_owned())
            } else {
                Some(format!("#{name}"))
            };
            let text = match label_of(name) {
                Some(label) => format!("{label}: {message}"),
                None => message,
            };
            Problem { href, text }
        })
        .collect();

    let chosen = if form.option_id.is_empty() {
        cart.shipping_method
            .as_ref()
            .map(|m| m.option_id.as_str())
            .unwrap_or_default()
    } else {
        form.option_id.as_str()
    };
    let delivery = cart::applicable(&view.shipping, cart)
        .into_iter()
        .map(|q| DeliveryChoice {
            id: q.option.id.as_str().to_owned(),
            name: q.option.name.clone(),
            amount: shipping_amount(q.amount, currency),
            selected: q.option.id.as_str() == chosen,
        })
        .collect();
    let delivery_summary = match &cart.shipping_method {
        Some(m) => format!(
            "{}: {}",
            m.name,
            shipping_amount(t.shipping_amount, currency)
        ),
        None => "Not chosen yet".to_owned(),
    };

    let address = cart.shipping_address.clone().unwrap_or_default();
    let email = cart.email.as_deref().unwrap_or_default().to_owned();
    let mut contact_summary = vec![email.clone()];
    contact_summary.extend(address_lines(&address, countries));
    contact_summary.retain(|l| !l.is_empty());
    let ship_to = address_lines(
        &Address {
            phone: None,
            ..address.clone()
        },
        countries,
    )
    .join(", ");

    let lines = cart
        .items
        .iter()
        .map(|l| SummaryLine {
            title: l.product_title.clone(),
            variant: if l.variant_title == l.product_title {
                String::new()
            } else {
                l.variant_title.clone()
            },
            image: l.thumbnail.as_ref().map(|k| image(k, "", (64, 80), 1, 0)),
            quantity: l.quantity,
            total: amount(l.unit_price.saturating_mul(i64::from(l.quantity)), currency),
        })
        .collect();

    let saved = view
        .saved
        .iter()
        .map(|(label, f)| {
            let mut shipping = Address::default();
            let names = CONTACT_FIELDS.iter().chain(ADDRESS_FIELDS).map(|f| f.0);
            let hidden: Vec<(&'static str, String)> =
                names.map(|n| (n, f.value(n).to_owned())).collect();
            for (n, v) in &hidden {
                let slot = match *n {
                    "first_name" => &mut shipping.first_name,
                    "last_name" => &mut shipping.last_name,
                    "address_1" => &mut shipping.address_1,
                    "address_2" => &mut shipping.address_2,
                    "city" => &mut shipping.city,
                    "postal_code" => &mut shipping.postal_code,
                    "province" => &mut shipping.province,
                    "country_code" => &mut shipping.country_code,
                    "phone" => &mut shipping.phone,
                    _ => continue,
                };
                *slot = Some(v.clone()).filter(|v| !v.is_empty());
            }
            SavedChoice {
                label: label.clone(),
                lines: address_lines(&shipping, countries),
                hidden,
            }
        })
        .collect();
    let page = CheckoutPage {
        layout,
        saved,
        step_no: step.number(),
        error: view.error,
        problems,
        notices: view.notices,
        contact_fields: fields(CONTACT_FIELDS, |n| form.value(n), &view.errors, countries),
        address_fields: fields(ADDRESS_FIELDS, |n| form.value(n), &view.errors, countries),
        contact_summary,
        delivery,
        delivery_error: error_for(&view.errors, "option_id"),
        delivery_summary,
        payment_fields: fields(PAYMENT_FIELDS, |n| form.value(n), &view.errors, countries),
        authenticate: view.authenticate,
        review_email: email,
        ship_to,
        lines,
        item_total: amount(t.item_amount, currency),
        shipping_total: match &cart.shipping_method {
            Some(_) => shipping_amount(t.shipping_amount, currency),
            None => "Chosen in step 2".to_owned(),
        },
        tax_label: tax_label(cart.region.tax_rate_bp, cart.region.tax_inclusive),
        tax_total: amount(t.tax_total, currency),
        total: amount(t.total, currency),
    };
    html(status, &page)
}

// ------------------------------------------------------------------ order page

struct ProgressStep {
    label: &'static str,
    done: bool,
    current: bool,
}

struct OrderLineView {
    href: String,
    title: String,
    variant: String,
    image: Option<Image>,
    unit_price: String,
    quantity: u32,
    total: String,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    layout: Layout,
    heading: String,
    lead: Option<String>,
    /// Why the order will not be shipped (failed, canceled).
    problem: Option<String>,
    number: String,
    status_label: &'static str,
    status_class: &'static str,
    placed_iso: String,
    placed_on: String,
    email: String,
    progress: Vec<ProgressStep>,
    /// The parcels that have left, with how to follow them.
    parcels: Vec<ParcelNews>,
    lines: Vec<OrderLineView>,
    item_total: String,
    shipping_name: String,
    shipping_total: String,
    tax_label: String,
    tax_total: String,
    total: String,
    paid: String,
    refunded: Option<String>,
    address: Vec<String>,
    placed_now: bool,
    /// Right after a guest's order: the sign-up page with their e-mail address.
    account_offer: Option<String>,
}

/// A parcel that has left, as its shopper follows it.
struct ParcelNews {
    /// "2 × Linen Shirt (M)".
    contents: String,
    carrier: Option<String>,
    tracking_number: Option<String>,
    tracking_url: Option<String>,
}

fn parcels_of(order: &Order) -> Vec<ParcelNews> {
    order
        .fulfillments
        .iter()
        .filter(|f| f.shipped_at_ms.is_some())
        .map(|f| ParcelNews {
            contents: f
                .items
                .iter()
                .filter_map(|l| {
                    let item = order.items.iter().find(|i| i.id == l.item_id)?;
                    Some(format!("{} × {}", l.quantity, item.display_title()))
                })
                .collect::<Vec<_>>()
                .join(", "),
            carrier: f.shipment.as_ref().map(|s| s.carrier.clone()),
            tracking_number: f.shipment.as_ref().map(|s| s.tracking_number.clone()),
            tracking_url: f.shipment.as_ref().and_then(|s| s.tracking_url.clone()),
        })
        .collect()
}

/// Where an order is on its way, for the progress list: how many of Confirmed,
/// Packed, Shipped, Delivered it has reached; `None` when it never will.
fn progress_of(status: OrderStatus) -> Option<usize> {
    match status {
        OrderStatus::Pending => Some(0),
        // Part of it packed or gone: the step fully reached is the one before.
        OrderStatus::Confirmed | OrderStatus::PartiallyFulfilled => Some(1),
        OrderStatus::Fulfilled | OrderStatus::PartiallyShipped => Some(2),
        OrderStatus::Shipped => Some(3),
        OrderStatus::Delivered => Some(4),
        OrderStatus::Failed | OrderStatus::Canceled => None,
    }
}

/// An order's page (personal: never cached or indexed): its confirmation right after
/// checkout (`placed_now`), otherwise its details and progress.
pub async fn order_page<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
    order: &Order,
    placed_now: bool,
) -> Result<Rendered, ApiError> {
    let cats = categories(client, req).await?;
    let number = format!("#{}", order.display_id);
    let m = page_meta(
        req,
        &format!("Order {number}"),
        &format!("Order {number} at {}.", req.site.store.name),
    );
    let layout = layout(req, &cats, m);
    let currency = order.currency;
    let email = order.email.to_string();
    let paid = order.paid_total();
    let refunded = order.refunded_total();

    let (heading, lead, problem) = match order.status {
        OrderStatus::Failed => {
            let mut text =
                "The payment for this order did not go through, so it will not be shipped."
                    .to_owned();
            if !paid.is_positive() {
                text.push_str(" You have not been charged.");
            }
            (
                format!("Payment failed for order {number}"),
                None,
                Some(text),
            )
        }
        OrderStatus::Canceled => {
            let mut text = "This order was canceled and will not be shipped.".to_owned();
            if refunded.is_positive() {
                text.push_str(&format!(" {} was refunded.", amount(refunded, currency)));
            }
            (format!("Order {number} was canceled"), None, Some(text))
        }
        OrderStatus::Pending if placed_now => (
            "Thank you!".to_owned(),
            Some(format!(
                "Order {number} was received and is awaiting payment. We will send a confirmation to {email} once the payment is through."
            )),
            None,
        ),
        _ if placed_now => (
            "Thank you!".to_owned(),
            Some(format!(
                "Order {number} is confirmed. A confirmation was sent to {email}."
            )),
            None,
        ),
        _ => (format!("Order {number}"), None, None),
    };

    let progress = match progress_of(order.status) {
        Some(reached) => ["Confirmed", "Packed", "Shipped", "Delivered"]
            .into_iter()
            .enumerate()
            .map(|(i, label)| ProgressStep {
                label,
                done: i + 1 < reached,
                current: i + 1 == reached,
            })
            .collect(),
        None => Vec::new(),
    };
    let status_class = match order.status {
        OrderStatus::Failed | OrderStatus::Canceled => "bad",
        OrderStatus::Pending => "waiting",
        _ => "good",
    };

    let lines = order
        .items
        .iter()
        .map(|i| OrderLineView {
            href: format!(
                "/products/{}?variant={}",
                i.product_handle,
                i.variant_id.as_str()
            ),
            title: i.product_title.clone(),
            variant: if i.variant_title == i.product_title {
                String::new()
            } else {
                i.variant_title.clone()
            },
            image: i.thumbnail.as_ref().map(|k| image(k, "", (64, 80), 1, 0)),
            unit_price: amount(i.unit_price, currency),
            quantity: i.quantity,
            total: amount(i.unit_price.saturating_mul(i64::from(i.quantity)), currency),
        })
        .collect();
    // Amounts as priced, like the cart: gross where prices include tax, net otherwise.
    let (item_total, shipping_total) = if order.tax_inclusive {
        (order.item_total, order.shipping_total)
    } else {
        (
            order.item_total.saturating_sub(order.item_tax_total),
            order
                .shipping_total
                .saturating_sub(order.shipping_tax_total),
        )
    };
    let (placed_iso, placed_on) = day(order.created_at_ms);

    let page = OrderPage {
        layout,
        heading,
        lead,
        problem,
        number,
        status_label: order.status.label(),
        status_class,
        placed_iso,
        placed_on,
        email,
        progress,
        parcels: parcels_of(order),
        lines,
        item_total: amount(item_total, currency),
        shipping_name: order.shipping.name.clone(),
        shipping_total: shipping_amount(shipping_total, currency),
        tax_label: tax_label(order.tax_rate_bp, order.tax_inclusive),
        tax_total: amount(order.tax_total, currency),
        total: amount(order.total, currency),
        paid: amount(paid, currency),
        refunded: refunded.is_positive().then(|| amount(refunded, currency)),
        address: address_lines(&order.shipping_address, &req.region.countries),
        placed_now,
        account_offer: (placed_now && order.customer_id.is_none()).then(|| {
            crate::listing::with_query(
                "/account/register",
                &[("email".to_owned(), order.email.as_str().to_owned())],
            )
        }),
    };
    html(200, &page)
}

// ------------------------------------------------------------------ order lookup

#[derive(Template)]
#[template(path = "order_lookup.html")]
struct LookupPage {
    layout: Layout,
    email: String,
    number: String,
    error: Option<String>,
}

/// The form that finds an order by its number and the e-mail it was placed with.
/// `error` ("We could not find an order with that number and email.") is shown above
/// the form and marks both fields.
pub async fn order_lookup_page<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
    form: LookupForm,
    error: Option<String>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let cats = categories(client, req).await?;
    let m = page_meta(
        req,
        "Find your order",
        "Find an order by its number and e-mail address.",
    );
    let page = LookupPage {
        layout: layout(req, &cats, m),
        email: form.email,
        number: form.number,
        error,
    };
    html(status, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_civil_dates() {
        assert_eq!(day(0), ("1970-01-01".into(), "1 January 1970".into()));
        assert_eq!(
            day(1_714_566_600_000),
            ("2024-05-01".into(), "1 May 2024".into())
        );
        assert_eq!(
            day(1_709_164_800_000),
            ("2024-02-29".into(), "29 February 2024".into())
        );
    }

    #[test]
    fn order_numbers_are_read_with_or_without_the_hash() {
        let n = |s: &str| {
            LookupForm {
                email: String::new(),
                number: s.into(),
            }
            .display_id()
        };
        assert_eq!(n("1042"), Some(1042));
        assert_eq!(n(" #1042 "), Some(1042));
        assert_eq!(n("# 7"), Some(7));
        for bad in [
            "",
            "#",
            "0",
            "-3",
            "10 42",
            "1e3",
            "abc",
            "9999999999999999",
        ] {
            assert_eq!(n(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn steps_never_open_beyond_what_the_cart_has() {
        let mut cart = Cart::new(
            commerce::ids::CartId::parse("cart_T").unwrap(),
            commerce::ids::StoreId::parse("store_T").unwrap(),
            cart::CartRegion {
                id: commerce::ids::RegionId::parse("reg_T").unwrap(),
                currency: CurrencyCode::parse("eur").unwrap(),
                tax_rate_bp: 2000,
                tax_inclusive: true,
            },
            0,
        );
        assert_eq!(CheckoutStep::furthest(&cart), CheckoutStep::Contact);
        assert_eq!(
            CheckoutStep::requested(Some("payment"), &cart),
            CheckoutStep::Contact
        );
        cart.email = Some(Email::parse("a@example.com").unwrap());
        cart.shipping_address = Some(Address {
            city: Some("Berlin".into()),
            ..Address::default()
        });
        // An address a parcel cannot be sent to keeps the contact step open.
        assert_eq!(CheckoutStep::furthest(&cart), CheckoutStep::Contact);
        cart.shipping_address = Some(Address {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            address_1: Some("Main 1".into()),
            city: Some("Berlin".into()),
            postal_code: Some("10115".into()),
            country_code: Some("de".into()),
            ..Address::default()
        });
        assert_eq!(CheckoutStep::furthest(&cart), CheckoutStep::Delivery);
        assert_eq!(
            CheckoutStep::requested(Some("payment"), &cart),
            CheckoutStep::Delivery
        );
        assert_eq!(
            CheckoutStep::requested(Some("contact"), &cart),
            CheckoutStep::Contact
        );
        assert_eq!(
            CheckoutStep::requested(Some("bogus"), &cart),
            CheckoutStep::Delivery
        );
        assert_eq!(CheckoutStep::requested(None, &cart), CheckoutStep::Delivery);
    }

    #[test]
    fn posted_fields_fill_the_form_but_never_the_card_number() {
        let mut form = CheckoutForm {
            city: "Paris".into(),
            ..CheckoutForm::default()
        };
        form.fill([
            ("email", "a@example.com"),
            ("card_number", "4242424242424242"),
            ("card_holder", "Ada"),
            ("bogus", "x"),
        ]);
        assert_eq!(form.email, "a@example.com");
        assert_eq!(form.city, "Paris");
        assert_eq!(form.card_holder, "Ada");
        assert!(!format!("{form:?}").contains("4242"));
    }

    #[test]
    fn api_refusals_become_field_errors_of_the_form() {
        let e = FieldError::from_api(&ApiError::invalid(
            "shipping_address.city",
            "at most 100 characters are accepted",
        ))
        .unwrap();
        assert_eq!(e.name(), "city");
        assert_eq!(sentence(&e.message), "At most 100 characters are accepted");
        assert!(FieldError::from_api(&ApiError::Internal { detail: "x".into() }).is_none());
    }
}
