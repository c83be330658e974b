//! The customer's account pages, without JavaScript: sign in, sign up, the forgotten
//! password and its reset, the overview, the profile, the address book and the order
//! history. Personal: the edge never caches them. Forms show what was sent after a
//! refusal, each refusal beside its field and listed at the top.

use std::collections::HashMap;

use askama::Template;
use commerce::customer::{Customer, CustomerAddress};
use commerce::order::Order;
use commerce::params::Page;
use commerce::ApiError;
use tokio_postgres::GenericClient;

use crate::checkout::{
    address_lines, amount, day, error_for, fields, page_meta, FieldError, FieldView, Spec,
    ADDRESS_FIELDS,
};
use crate::pages::{categories, html, layout, PageRequest, Rendered};
use crate::views::Layout;

/// Where a page may send the shopper on after signing in: one of the account's pages
/// or the checkout, as a plain path; `/account` for anything else.
pub fn safe_next(next: &str) -> String {
    let ok = (next.starts_with("/account") || next == "/checkout" || next == "/cart")
        && !next.contains("//")
        && !next.contains('\\')
        && next
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b));
    if ok && !next.starts_with("/account/sign-") {
        next.to_owned()
    } else {
        "/account".to_owned()
    }
}

/// What a form shows in its fields, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(pub HashMap<String, String>);

impl Values {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_owned(), value.into());
    }

    /// Whether the checkbox `name` was ticked.
    pub fn ticked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "1")
    }

    /// A customer's profile as its form shows it.
    pub fn of_profile(c: &Customer) -> Self {
        let mut v = Values::default();
        v.set("first_name", &c.first_name);
        v.set("last_name", &c.last_name);
        v.set("phone", &c.phone);
        v.set("company_name", &c.company_name);
        v
    }

    /// An address of the book as its form shows it.
    pub fn of_address(a: &CustomerAddress) -> Self {
        let mut v = Values::default();
        let p = &a.address;
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        v.set("address_name", &a.address_name);
        v.set("first_name", text(&p.first_name));
        v.set("last_name", text(&p.last_name));
        v.set("company", text(&p.company));
        v.set("address_1", text(&p.address_1));
        v.set("address_2", text(&p.address_2));
        v.set("city", text(&p.city));
        v.set("postal_code", text(&p.postal_code));
        v.set("province", text(&p.province));
        v.set("country_code", text(&p.country_code));
        v.set("phone", text(&p.phone));
        if a.is_default_shipping {
            v.set("is_default_shipping", "on");
        }
        if a.is_default_billing {
            v.set("is_default_billing", "on");
        }
        v
    }
}

const REGISTER_FIELDS: &[Spec] = &[
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
    ("email", "E-mail address", "email", "email", 254, true, true),
    (
        "password",
        "Password (at least 12 characters)",
        "password",
        "new-password",
        128,
        true,
        true,
    ),
];
const PROFILE_FIELDS: &[Spec] = &[
    (
        "first_name",
        "First name",
        "text",
        "given-name",
        100,
        false,
        false,
    ),
    (
        "last_name",
        "Last name",
        "text",
        "family-name",
        100,
        false,
        false,
    ),
    ("phone", "Phone", "tel", "tel", 40, false, false),
    (
        "company_name",
        "Company",
        "text",
        "organization",
        200,
        false,
        false,
    ),
];
const ADDRESS_NAME: &[Spec] = &[(
    "address_name",
    "Name of this address (Home, Office…)",
    "text",
    "off",
    100,
    false,
    true,
)];
const COMPANY: &[Spec] = &[(
    "company",
    "Company",
    "text",
    "organization",
    100,
    false,
    true,
)];
const NEW_PASSWORD: &[Spec] = &[(
    "password",
    "New password (at least 12 characters)",
    "password",
    "new-password",
    128,
    true,
    true,
)];

/// A page of the account area.
pub enum AccountPage<'a> {
    SignIn {
        email: &'a str,
        next: &'a str,
        error: Option<String>,
        notice: Option<&'a str>,
    },
    Register {
        values: &'a Values,
        errors: &'a [FieldError],
        next: &'a str,
    },
    /// The forgotten password form; `sent` once asked (the same whatever the address).
    Forgot {
        sent: bool,
        error: Option<String>,
    },
    /// The new password form of a reset link; `open` is false for a used or old link.
    Reset {
        token: &'a str,
        open: bool,
        errors: &'a [FieldError],
    },
    Overview {
        customer: &'a Customer,
        orders: &'a [Order],
        notice: Option<&'a str>,
    },
    Profile {
        customer: &'a Customer,
        values: &'a Values,
        errors: &'a [FieldError],
        saved: bool,
    },
    Addresses {
        customer: &'a Customer,
        notice: Option<&'a str>,
    },
    /// A new address (`id` None) or one of the book being changed.
    AddressForm {
        id: Option<&'a str>,
        values: &'a Values,
        errors: &'a [FieldError],
    },
    DeleteAddress {
        address: &'a CustomerAddress,
    },
    Orders {
        orders: &'a [Order],
        count: i64,
        page: Page,
    },
    /// The address's verification link followed: `email` when it was good.
    Verified {
        email: Option<&'a str>,
    },
}

/// An address of the book, as listed.
struct AddressCard {
    id: String,
    name: String,
    lines: Vec<String>,
    badges: Vec<&'static str>,
}

fn address_card(a: &CustomerAddress, req: &PageRequest<'_>) -> AddressCard {
    let mut badges = Vec::new();
    if a.is_default_shipping {
        badges.push("Default shipping address");
    }
    if a.is_default_billing {
        badges.push("Default billing address");
    }
    AddressCard {
        id: a.id.as_str().to_owned(),
        name: if a.address_name.is_empty() {
            "Address".to_owned()
        } else {
            a.address_name.clone()
        },
        lines: address_lines(&a.address, &all_countries(req)),
        badges,
    }
}

/// Every country of the store's regions (an address book is not one region's).
fn all_countries(req: &PageRequest<'_>) -> Vec<commerce::region::Country> {
    let mut countries: Vec<_> = req
        .site
        .regions
        .iter()
        .flat_map(|r| r.countries.iter().cloned())
        .collect();
    countries.sort_by(|a, b| a.iso_2.cmp(&b.iso_2));
    countries.dedup_by(|a, b| a.iso_2 == b.iso_2);
    countries
}

/// An order, as its list shows it.
struct OrderRow {
    id: String,
    number: i64,
    placed_iso: String,
    placed_on: String,
    status: &'static str,
    total: String,
    items: usize,
}

fn order_row(o: &Order) -> OrderRow {
    let (placed_iso, placed_on) = day(o.created_at_ms);
    OrderRow {
        id: o.id.as_str().to_owned(),
        number: o.display_id,
        placed_iso,
        placed_on,
        status: o.status.label(),
        total: amount(o.total, o.currency),
        items: o.items.iter().map(|i| i.quantity as usize).sum(),
    }
}

/// The refusals listed at the top: (field id, message).
fn problems(errors: &[FieldError]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| {
            (
                e.field.clone(),
                error_for(errors, &e.field).unwrap_or_default(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_shops_own_account_and_checkout_paths_are_followed() {
        assert_eq!(safe_next("/account/addresses"), "/account/addresses");
        assert_eq!(safe_next("/checkout"), "/checkout");
        for bad in [
            "",
            "https://evil.test/account",
            "//evil.test",
            "/account/../admin",
            "/account?x=<script>",
            "/admin",
            "/account/sign-out",
        ] {
            assert_eq!(safe_next(bad), "/account", "{bad}");
        }
    }
}

#[derive(Template)]
#[template(path = "account/sign_in.html")]
struct SignInView<'a> {
    layout: Layout,
    email: &'a str,
    next: &'a str,
    error: Option<String>,
    notice: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "account/register.html")]
struct RegisterView<'a> {
    layout: Layout,
    fields: Vec<FieldView>,
    problems: Vec<(String, String)>,
    next: &'a str,
}

#[derive(Template)]
#[template(path = "account/forgot.html")]
struct ForgotView {
    layout: Layout,
    sent: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "account/reset.html")]
struct ResetView<'a> {
    layout: Layout,
    token: &'a str,
    open: bool,
    fields: Vec<FieldView>,
    problems: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "account/overview.html")]
struct OverviewView<'a> {
    layout: Layout,
    name: String,
    email: &'a str,
    verified: bool,
    notice: Option<&'a str>,
    orders: Vec<OrderRow>,
    default_address: Option<AddressCard>,
}

#[derive(Template)]
#[template(path = "account/profile.html")]
struct ProfileView<'a> {
    layout: Layout,
    email: &'a str,
    fields: Vec<FieldView>,
    problems: Vec<(String, String)>,
    saved: bool,
}

#[derive(Template)]
#[template(path = "account/addresses.html")]
struct AddressesView<'a> {
    layout: Layout,
    addresses: Vec<AddressCard>,
    notice: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "account/address_form.html")]
struct AddressFormView {
    layout: Layout,
    action: String,
    heading: &'static str,
    fields: Vec<FieldView>,
    problems: Vec<(String, String)>,
    default_shipping: bool,
    default_billing: bool,
}

#[derive(Template)]
#[template(path = "account/delete_address.html")]
struct DeleteAddressView {
    layout: Layout,
    address: AddressCard,
}

#[derive(Template)]
#[template(path = "account/orders.html")]
struct OrdersView {
    layout: Layout,
    orders: Vec<OrderRow>,
    count: i64,
    shown_from: i64,
    shown_to: i64,
    previous: Option<String>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "account/verified.html")]
struct VerifiedView<'a> {
    layout: Layout,
    email: Option<&'a str>,
}

/// Renders `page` with status `status`.
pub async fn account_page<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
    page: AccountPage<'_>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let cats = categories(client, req).await?;
    let shell = |title: &str| layout(req, &cats, page_meta(req, title, "Your account."));
    match page {
        AccountPage::SignIn {
            email,
            next,
            error,
            notice,
        } => html(
            status,
            &SignInView {
                layout: shell("Sign in"),
                email,
                next,
                error,
                notice,
            },
        ),
        AccountPage::Register {
            values,
            errors,
            next,
        } => html(
            status,
            &RegisterView {
                layout: shell("Create an account"),
                fields: fields(REGISTER_FIELDS, |n| values.get(n), errors, &[]),
                problems: problems(errors),
                next,
            },
        ),
        AccountPage::Forgot { sent, error } => html(
            status,
            &ForgotView {
                layout: shell("Forgotten password"),
                sent,
                error,
            },
        ),
        AccountPage::Reset {
            token,
            open,
            errors,
        } => html(
            status,
            &ResetView {
                layout: shell("Set a new password"),
                token,
                open,
                fields: fields(NEW_PASSWORD, |_| "", errors, &[]),
                problems: problems(errors),
            },
        ),
        AccountPage::Overview {
            customer,
            orders,
            notice,
        } => html(
            status,
            &OverviewView {
                layout: shell("Your account"),
                name: customer.display_name(),
                email: &customer.email,
                verified: customer.email_verified,
                notice,
                orders: orders.iter().map(order_row).collect(),
                default_address: customer.default_shipping().map(|a| address_card(a, req)),
            },
        ),
        AccountPage::Profile {
            customer,
            values,
            errors,
            saved,
        } => html(
            status,
            &ProfileView {
                layout: shell("Your profile"),
                email: &customer.email,
                fields: fields(PROFILE_FIELDS, |n| values.get(n), errors, &[]),
                problems: problems(errors),
                saved,
            },
        ),
        AccountPage::Addresses { customer, notice } => html(
            status,
            &AddressesView {
                layout: shell("Your addresses"),
                addresses: customer
                    .addresses
                    .iter()
                    .map(|a| address_card(a, req))
                    .collect(),
                notice,
            },
        ),
        AccountPage::AddressForm { id, values, errors } => {
            let countries = all_countries(req);
            let mut all = fields(ADDRESS_NAME, |n| values.get(n), errors, &countries);
            all.extend(fields(
                ADDRESS_FIELDS,
                |n| values.get(n),
                errors,
                &countries,
            ));
            all.extend(fields(COMPANY, |n| values.get(n), errors, &countries));
            html(
                status,
                &AddressFormView {
                    layout: shell(if id.is_some() {
                        "Change an address"
                    } else {
                        "Add an address"
                    }),
                    action: id.map_or_else(
                        || "/account/addresses".to_owned(),
                        |id| format!("/account/addresses/{id}"),
                    ),
                    heading: if id.is_some() {
                        "Change this address"
                    } else {
                        "Add an address"
                    },
                    fields: all,
                    problems: problems(errors),
                    default_shipping: values.ticked("is_default_shipping"),
                    default_billing: values.ticked("is_default_billing"),
                },
            )
        }
        AccountPage::DeleteAddress { address } => html(
            status,
            &DeleteAddressView {
                layout: shell("Delete an address"),
                address: address_card(address, req),
            },
        ),
        AccountPage::Orders {
            orders,
            count,
            page,
        } => {
            let (offset, limit) = (i64::from(page.offset), i64::from(page.limit));
            let link = |offset: i64| format!("/account/orders?offset={offset}");
            html(
                status,
                &OrdersView {
                    layout: shell("Your orders"),
                    orders: orders.iter().map(order_row).collect(),
                    count,
                    shown_from: (offset + 1).min(count),
                    shown_to: (offset + orders.len() as i64).min(count),
                    previous: (offset > 0).then(|| link((offset - limit).max(0))),
                    next: (offset + limit < count).then(|| link(offset + limit)),
                },
            )
        }
        AccountPage::Verified { email } => html(
            status,
            &VerifiedView {
                layout: shell("Your e-mail address"),
                email,
            },
        ),
    }
}
