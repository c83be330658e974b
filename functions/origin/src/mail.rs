//! The order confirmation e-mail: its text and HTML (every value escaped), and
//! sending it through the configured mailer. The local mailer keeps mail in the
//! database (`local_mailbox`), viewable at the origin's `/dev/mail`.

use commerce::order::Order;
use commerce::ApiError;
use tokio_postgres::GenericClient;

use crate::email::{Email, EmailError, Mailer};

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn money(minor: impl Into<i64>, order: &Order) -> String {
    let m = commerce::money::Money::new(minor.into(), order.currency);
    format!(
        "{} {}",
        m.to_decimal_string(),
        order.currency.as_str().to_uppercase()
    )
}

/// The confirmation of a placed order.
pub fn confirmation(order: &Order, store_name: &str, from: &str) -> Email {
    let mut text = format!(
        "Thank you for your order!\n\nOrder #{} at {store_name}\n\n",
        order.display_id
    );
    let mut rows = String::new();
    for item in &order.items {
        text.push_str(&format!(
            "{} x {}  {}\n",
            item.quantity,
            item.display_title(),
            money(item.total, order)
        ));
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            item.quantity,
            escape(&item.display_title()),
            escape(&money(item.total, order))
        ));
    }
    text.push_str(&format!(
        "\nShipping ({}): {}\nTax: {}\nTotal: {}\n",
        order.shipping.name,
        money(order.shipping_total, order),
        money(order.tax_total, order),
        money(order.total, order)
    ));
    let html = format!(
        "<!doctype html><html><body><h1>Thank you for your order!</h1>\
         <p>Order #{} at {}</p><table>{rows}</table>\
         <p>Shipping ({}): {}<br>Tax: {}<br><strong>Total: {}</strong></p></body></html>",
        order.display_id,
        escape(store_name),
        escape(&order.shipping.name),
        escape(&money(order.shipping_total, order)),
        escape(&money(order.tax_total, order)),
        escape(&money(order.total, order)),
    );
    Email {
        from: from.to_owned(),
        to: order.email.to_string(),
        subject: format!("Your order #{} at {store_name}", order.display_id),
        html,
        text,
    }
}

/// Sends `email` once per `key` (a retried job does not send twice).
pub async fn send<C: GenericClient + Sync>(
    mailer: &Mailer,
    client: &C,
    store: Option<&str>,
    email: &Email,
    key: &str,
) -> Result<(), EmailError> {
    match mailer {
        Mailer::Resend(resend) => resend.send(email, key).await.map(|_| ()),
        Mailer::Local => client
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
            .map(|_| ())
            .map_err(|e| EmailError::Retryable(e.to_string())),
    }
}

/// The local mailbox as a small HTML page (development only).
pub async fn mailbox_page<C: GenericClient + Sync>(client: &C) -> Result<String, ApiError> {
    let rows = client
        .query(
            "SELECT id, to_address, subject, html, sent_at::text FROM local_mailbox
             ORDER BY id DESC LIMIT 50",
            &[],
        )
        .await?;
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Local mailbox</title></head><body><h1>Local mailbox</h1>",
    );
    if rows.is_empty() {
        page.push_str("<p>No mail has been sent yet.</p>");
    }
    for row in rows {
        let id: i64 = row.get(0);
        let to: String = row.get(1);
        let subject: String = row.get(2);
        let html: String = row.get(3);
        let sent: String = row.get(4);
        page.push_str(&format!(
            "<article id=\"mail-{id}\"><h2>{}</h2><p>To {} at {}</p><iframe sandbox title=\"{}\" srcdoc=\"{}\"></iframe></article>",
            escape(&subject),
            escape(&to),
            escape(&sent),
            escape(&subject),
            escape(&html)
        ));
    }
    page.push_str("</body></html>");
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
