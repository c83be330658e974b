//! The shopper's e-mails about their order (the confirmation, and the news that it
//! shipped): their text and HTML (every value escaped), and sending them through the
//! configured mailer. The local mailer keeps mail in the
//! database (`local_mailbox`), viewable at the origin's `/dev/mail`.

use askama::Template;
use commerce::order::{Fulfillment, Order};
use commerce::ApiError;
use tokio_postgres::GenericClient;

use crate::email::{Email, EmailError, Mailer};

/// One line of the order in the confirmation.
struct Row {
    quantity: u32,
    title: String,
    total: String,
}

/// The confirmation's values; both its HTML and its text are rendered from them.
/// Every value is escaped in the HTML (askama escapes `.html` templates); the text
/// template is not escaped.
#[derive(Template)]
#[template(path = "email/confirmation.html")]
struct ConfirmationHtml<'a> {
    name: Option<&'a str>,
    display_id: i64,
    store_name: &'a str,
    rows: &'a [Row],
    shipping_name: &'a str,
    shipping_total: String,
    tax_total: String,
    total: String,
}

#[derive(Template)]
#[template(path = "email/confirmation.txt")]
struct ConfirmationText<'a> {
    inner: &'a ConfirmationHtml<'a>,
}

impl<'a> std::ops::Deref for ConfirmationText<'a> {
    type Target = ConfirmationHtml<'a>;
    fn deref(&self) -> &ConfirmationHtml<'a> {
        self.inner
    }
}

fn money(minor: impl Into<i64>, order: &Order) -> String {
    let m = commerce::money::Money::new(minor.into(), order.currency);
    format!(
        "{} {}",
        m.to_decimal_string(),
        order.currency.as_str().to_uppercase()
    )
}

/// The confirmation of a placed order, greeting the shopper by the first name of the
/// shipping address if there is one.
pub fn confirmation(order: &Order, store_name: &str, from: &str) -> Email {
    let rows = rows(order);
    let values = ConfirmationHtml {
        name: first_name(order),
        display_id: order.display_id,
        store_name,
        rows: &rows,
        shipping_name: &order.shipping.name,
        shipping_total: money(order.shipping_total, order),
        tax_total: money(order.tax_total, order),
        total: money(order.total, order),
    };
    // Rendering only fails on a formatting error of a value, which these cannot have.
    let html = values.render().unwrap_or_default();
    let text = ConfirmationText { inner: &values }
        .render()
        .unwrap_or_default();
    Email {
        from: from.to_owned(),
        to: order.email.to_string(),
        subject: format!("Your order #{} at {store_name}", order.display_id),
        html,
        text,
    }
}

#[derive(Template)]
#[template(path = "email/shipped.html")]
struct ShippedHtml<'a> {
    name: Option<&'a str>,
    display_id: i64,
    store_name: &'a str,
    rows: &'a [Row],
    shipment: Option<&'a commerce::order::Shipment>,
    /// Only part of the order is in this parcel.
    partial: bool,
}

#[derive(Template)]
#[template(path = "email/shipped.txt")]
struct ShippedText<'a> {
    inner: &'a ShippedHtml<'a>,
}

impl<'a> std::ops::Deref for ShippedText<'a> {
    type Target = ShippedHtml<'a>;
    fn deref(&self) -> &ShippedHtml<'a> {
        self.inner
    }
}

/// The shopper's first name from the shipping address, if any.
fn first_name(order: &Order) -> Option<&str> {
    order
        .shipping_address
        .first_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

/// The parcel's units of each line, each at its share of the line's total.
fn parcel_rows(order: &Order, parcel: &Fulfillment) -> Vec<Row> {
    parcel
        .items
        .iter()
        .filter_map(|l| {
            let item = order.items.iter().find(|i| i.id == l.item_id)?;
            let share = item.total.get() * i64::from(l.quantity) / i64::from(item.quantity.max(1));
            Some(Row {
                quantity: l.quantity,
                title: item.display_title(),
                total: money(share, order),
            })
        })
        .collect()
}

fn rows(order: &Order) -> Vec<Row> {
    order
        .items
        .iter()
        .map(|item| Row {
            quantity: item.quantity,
            title: item.display_title(),
            total: money(item.total, order),
        })
        .collect()
}

/// The news that a parcel of an order is on its way (`parcel`; `None`: the whole
/// order), with the carrier and the tracking link when staff gave them.
pub fn shipped(order: &Order, parcel: Option<&Fulfillment>, store_name: &str, from: &str) -> Email {
    let (rows, shipment, partial) = match parcel {
        Some(parcel) => (
            parcel_rows(order, parcel),
            parcel.shipment.as_ref(),
            parcel.units() < order.item_count(),
        ),
        None => (rows(order), order.shipment.as_ref(), false),
    };
    let values = ShippedHtml {
        name: first_name(order),
        display_id: order.display_id,
        store_name,
        rows: &rows,
        shipment,
        partial,
    };
    let html = values.render().unwrap_or_default();
    let text = ShippedText { inner: &values }.render().unwrap_or_default();
    Email {
        from: from.to_owned(),
        to: order.email.to_string(),
        subject: if partial {
            format!(
                "A parcel of your order #{} from {store_name} is on its way",
                order.display_id
            )
        } else {
            format!(
                "Your order #{} from {store_name} is on its way",
                order.display_id
            )
        },
        html,
        text,
    }
}

/// Sends `email` once per `key` (a retried job does not send twice), and records it
/// (about `order`, when it is) for the order's page.
pub async fn send<C: GenericClient + Sync>(
    mailer: &Mailer,
    client: &C,
    store: Option<&str>,
    order: Option<&str>,
    email: &Email,
    key: &str,
) -> Result<(), EmailError> {
    let (provider, provider_id) = match mailer {
        Mailer::Resend(resend) => ("resend", Some(resend.send(email, key).await?)),
        Mailer::Local => {
            client
                .execute(
                    "INSERT INTO local_mailbox (store_id, to_address, from_address, subject, html,
                         text_body, idempotency_key)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING",
                    &[
                        &store,
                        &email.to,
                        &email.from,
                        &email.subject,
                        &email.html,
                        &email.text,
                        &key,
                    ],
                )
                .await
                .map_err(|e| EmailError::Retryable(e.to_string()))?;
            ("local", None)
        }
    };
    client
        .execute(
            "INSERT INTO sent_emails (key, store_id, order_id, to_address, subject, provider,
                 provider_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO NOTHING",
            &[
                &key,
                &store,
                &order,
                &email.to,
                &email.subject,
                &provider,
                &provider_id,
            ],
        )
        .await
        .map(|_| ())
        .map_err(|e| EmailError::Retryable(e.to_string()))
}

struct MailboxRow {
    id: i64,
    to: String,
    subject: String,
    html: String,
    sent: String,
}

#[derive(Template)]
#[template(path = "email/mailbox.html")]
struct MailboxPage {
    mails: Vec<MailboxRow>,
}

/// The local mailbox as a small HTML page (development only); each mail is shown
/// in a sandboxed frame.
pub async fn mailbox_page<C: GenericClient + Sync>(client: &C) -> Result<String, ApiError> {
    let rows = client
        .query(
            "SELECT id, to_address, subject, html, sent_at::text FROM local_mailbox
             ORDER BY id DESC LIMIT 50",
            &[],
        )
        .await?;
    let mails = rows
        .iter()
        .map(|row| MailboxRow {
            id: row.get(0),
            to: row.get(1),
            subject: row.get(2),
            html: row.get(3),
            sent: row.get(4),
        })
        .collect();
    MailboxPage { mails }
        .render()
        .map_err(|e| ApiError::Internal {
            detail: format!("mailbox page: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mailbox_page_escapes_markup() {
        let page = MailboxPage {
            mails: vec![MailboxRow {
                id: 7,
                to: "a@example.com".into(),
                subject: "<a href=\"x\">&'".into(),
                html: "<p>Hi</p>".into(),
                sent: "2026-11-29".into(),
            }],
        }
        .render()
        .unwrap();
        assert!(
            page.contains("<h2>&#60;a href=&#34;x&#34;&#62;&#38;&#39;</h2>"),
            "{page}"
        );
        assert!(
            page.contains("srcdoc=\"&#60;p&#62;Hi&#60;/p&#62;\""),
            "{page}"
        );
        assert!(!page.contains("<a href"), "{page}");
        let empty = MailboxPage { mails: vec![] }.render().unwrap();
        assert!(empty.contains("No mail has been sent yet."));
    }
}

#[derive(Template)]
#[template(path = "email/staff_reset.html")]
struct StaffResetHtml<'a> {
    name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/staff_reset.txt")]
struct StaffResetText<'a> {
    name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/staff_invite.html")]
struct StaffInviteHtml<'a> {
    store_name: &'a str,
    role: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/staff_invite.txt")]
struct StaffInviteText<'a> {
    store_name: &'a str,
    role: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/customer_reset.html")]
struct CustomerResetHtml<'a> {
    store_name: &'a str,
    name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/customer_reset.txt")]
struct CustomerResetText<'a> {
    store_name: &'a str,
    name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/customer_verify.html")]
struct CustomerVerifyHtml<'a> {
    store_name: &'a str,
    name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/customer_verify.txt")]
struct CustomerVerifyText<'a> {
    store_name: &'a str,
    name: &'a str,
    link: &'a str,
}

/// An account e-mail (a staff or customer password reset link, an invitation, an
/// address to confirm) to `to`.
pub fn account(mail: &commerce::email::AccountMail, to: &str, from: &str) -> Email {
    use commerce::email::AccountMail;
    let (subject, html, text) = match mail {
        AccountMail::PasswordReset { name, link } => (
            "Set a new password for the store admin".to_owned(),
            StaffResetHtml { name, link }.render(),
            StaffResetText { name, link }.render(),
        ),
        AccountMail::Invitation {
            store_name,
            role,
            link,
        } => (
            format!("You are invited to {store_name}"),
            StaffInviteHtml {
                store_name,
                role,
                link,
            }
            .render(),
            StaffInviteText {
                store_name,
                role,
                link,
            }
            .render(),
        ),
        AccountMail::CustomerReset {
            store_name,
            name,
            link,
        } => (
            format!("Set a new password for your account at {store_name}"),
            CustomerResetHtml {
                store_name,
                name,
                link,
            }
            .render(),
            CustomerResetText {
                store_name,
                name,
                link,
            }
            .render(),
        ),
        AccountMail::CustomerVerify {
            store_name,
            name,
            link,
        } => (
            format!("Confirm your e-mail address at {store_name}"),
            CustomerVerifyHtml {
                store_name,
                name,
                link,
            }
            .render(),
            CustomerVerifyText {
                store_name,
                name,
                link,
            }
            .render(),
        ),
    };
    Email {
        from: from.to_owned(),
        to: to.to_owned(),
        subject,
        html: html.unwrap_or_default(),
        text: text.unwrap_or_default(),
    }
}
