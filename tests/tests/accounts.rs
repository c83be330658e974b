//! Customer accounts through `wrangler dev`, by the account pages' forms: the session
//! cookie's attributes and personal pages never cached; orders placed as a guest joining
//! the history once the address is confirmed by the mailed link (and not before); one
//! customer's address pages are not found for another; a guest's order confirmation
//! offers an account with its e-mail address.

use std::time::{SystemTime, UNIX_EPOCH};

use e2e::checkout::{call, pay_with, ready_cart, stocked_variant};
use e2e::{base_url, client, mailbox_with, url, HARBOR_KEY};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn stamp() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

const PASSWORD: &str = "a long and unusual passphrase";

/// A form post from the shop's own pages, from client address `ip`, with `cookie`.
async fn post_form(
    path: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
    ip: &str,
) -> reqwest::Response {
    let mut req = client()
        .post(url(path))
        .header("origin", base_url())
        .header("cf-connecting-ip", ip)
        .form(form);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.unwrap()
}

async fn get(path: &str, cookie: &str) -> reqwest::Response {
    client()
        .get(url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// Signs up through the page: the session cookie (`name=value`) and its Set-Cookie.
async fn sign_up(email: &str, ip: &str) -> (String, String) {
    let res = post_form(
        "/account/register",
        &[
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", email),
            ("password", PASSWORD),
        ],
        None,
        ip,
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/account?done=welcome"
    );
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("customer_session="))
        .expect("the session cookie");
    (set.split(';').next().unwrap().to_owned(), set)
}

/// The token of the first `/account/<kind>?token=` link in `mail` after `to`.
fn token_after(mail: &str, to: &str, kind: &str) -> String {
    let from = mail.find(to).expect("the mail");
    let marker = format!("/account/{kind}?token=");
    let at = mail[from..].find(&marker).expect("the link") + from + marker.len();
    mail[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// A guest's order of one unit, placed with `email`.
async fn guest_order(email: &str) -> Value {
    let variant = stocked_variant(20, 7).await;
    let cart = ready_cart(&variant, 1).await;
    let (status, body) = call(
        "POST",
        &format!("/store/carts/{cart}"),
        Some(json!({ "email": email })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = pay_with(&cart, json!({"card_number": "4242424242424242"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "order", "{body}");
    body["order"].clone()
}

async fn store_orders(cookie: &str) -> Value {
    let res = client()
        .get(url("/store/orders"))
        .header("x-publishable-api-key", HARBOR_KEY)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn guest_orders_join_the_history_once_the_address_is_confirmed_by_its_link() {
    let email = format!("guest-then-account-{}@example.test", stamp());
    let order = guest_order(&email).await;
    let order_id = order["id"].as_str().unwrap().to_owned();
    assert_eq!(order["customer_id"], Value::Null);

    // The confirmation page offers an account with the order's address.
    let page = client()
        .get(url(&format!("/orders/{order_id}?placed=1")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Save your details for next time"), "{page}");
    assert!(page.contains("/account/register?email=guest-then-account-"));

    let (cookie, set) = sign_up(&email, "203.0.113.101").await;
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Lax"), "{set}");
    assert!(
        !set.contains("Secure"),
        "plain http keeps the cookie: {set}"
    );

    // Not in the history before the address is confirmed.
    let before = store_orders(&cookie).await;
    assert_eq!(before["count"], 0, "{before}");
    let page = get("/account/orders", &cookie).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(!page.text().await.unwrap().contains(&order_id));

    let mail = mailbox_with(&email).await.expect("E2E_ORIGIN_URL");
    let token = token_after(&mail, &email, "verify");
    assert_eq!(token.len(), 52);
    let confirmed = client()
        .get(url(&format!("/account/verify?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(confirmed.text().await.unwrap().contains("is confirmed"));
    let again = client()
        .get(url(&format!("/account/verify?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND, "a link works once");

    let after = store_orders(&cookie).await;
    assert_eq!(after["count"], 1, "{after}");
    assert_eq!(after["orders"][0]["id"], order_id.as_str());
    let page = get("/account/orders", &cookie).await.text().await.unwrap();
    assert!(page.contains(&format!("/orders/{order_id}")), "{page}");
}

#[tokio::test]
async fn a_customers_address_pages_are_not_found_for_another() {
    let n = stamp();
    let (ada, _) = sign_up(&format!("ada-{n}@example.test"), "203.0.113.102").await;
    let (bob, _) = sign_up(&format!("bob-{n}@example.test"), "203.0.113.102").await;
    let address = [
        ("address_name", "Home"),
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("address_1", "Hafenstraße 12"),
        ("city", "Hamburg"),
        ("postal_code", "20457"),
        ("country_code", "de"),
        ("is_default_shipping", "on"),
    ];
    let res = post_form("/account/addresses", &address, Some(&ada), "203.0.113.102").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = get("/account/addresses", &ada).await.text().await.unwrap();
    let at = page
        .find("/account/addresses/cuaddr_")
        .expect("the address's link");
    let id: String = page[at + "/account/addresses/".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(id.starts_with("cuaddr_"), "{id}");

    for path in [
        format!("/account/addresses/{id}"),
        format!("/account/addresses/{id}/delete"),
    ] {
        assert_eq!(
            get(&path, &bob).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(get(&path, &ada).await.status(), StatusCode::OK, "{path}");
    }
    let res = post_form(
        &format!("/account/addresses/{id}/delete"),
        &[],
        Some(&bob),
        "203.0.113.102",
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = post_form(
        &format!("/account/addresses/{id}"),
        &address,
        Some(&bob),
        "203.0.113.102",
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(get("/account/addresses", &ada)
        .await
        .text()
        .await
        .unwrap()
        .contains(&id));

    // Signed out, the pages ask to sign in first and come back.
    let res = client()
        .get(url("/account/addresses"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/account/sign-in?next=/account/addresses"
    );
    // A cross-site form post is refused.
    let mut headers = HeaderMap::new();
    headers.insert("origin", HeaderValue::from_static("https://evil.test"));
    headers.insert("cookie", HeaderValue::from_str(&ada).unwrap());
    let res = client()
        .post(url(&format!("/account/addresses/{id}/delete")))
        .headers(headers)
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

/// `orders(userEmail: email)` through `/graphql`, with the session `cookie` if any.
async fn graphql_orders(email: &str, cookie: Option<&str>) -> Value {
    let mut req = client()
        .post(url("/graphql"))
        .header("x-publishable-api-key", HARBOR_KEY)
        .json(&json!({
            "query": "query($e: String!) { orders(userEmail: $e) { id displayId email total { amount } } }",
            "variables": {"e": email},
        }));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    res.json().await.unwrap()
}

fn graphql_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
}

#[tokio::test]
async fn graphql_orders_are_only_the_signed_in_customers_own() {
    let n = stamp();
    let email = format!("graphql-orders-{n}@example.test");
    let order = guest_order(&email).await;
    let (cookie, _) = sign_up(&email, "203.0.113.103").await;

    let anonymous = graphql_orders(&email, None).await;
    assert_eq!(graphql_code(&anonymous), "not_signed_in", "{anonymous}");
    let unconfirmed = graphql_orders(&email, Some(&cookie)).await;
    assert_eq!(graphql_code(&unconfirmed), "forbidden", "{unconfirmed}");

    let mail = mailbox_with(&email).await.expect("E2E_ORIGIN_URL");
    let token = token_after(&mail, &email, "verify");
    let confirmed = client()
        .get(url(&format!("/account/verify?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);

    let own = graphql_orders(&email, Some(&cookie)).await;
    assert!(own["errors"].is_null(), "{own}");
    assert_eq!(own["data"]["orders"][0]["id"], order["id"], "{own}");
    assert_eq!(own["data"]["orders"][0]["email"], email.as_str());
    // Another shopper, signed in, asking for this one's orders: refused.
    let (other, _) = sign_up(&format!("graphql-other-{n}@example.test"), "203.0.113.103").await;
    let refused = graphql_orders(&email, Some(&other)).await;
    assert_eq!(graphql_code(&refused), "forbidden", "{refused}");
    assert!(refused["data"].is_null(), "{refused}");
    // A session cookie that is not one is no one.
    let forged = graphql_orders(&email, Some("customer_session=not-a-session")).await;
    assert_eq!(graphql_code(&forged), "not_signed_in", "{forged}");
}
