//! Helpers for the end-to-end tests: the base URL of the running stack, the demo
//! stores' publishable keys, the database (DATABASE_URL), an HTTP client that does not
//! follow redirects, and a checkout through the Store API. scripts/test starts the
//! stack and sets E2E_BASE_URL and DATABASE_URL.

use reqwest::{redirect, Client};

/// The demo stores' publishable keys (from r2-assets/demo/catalog.json).
pub const HARBOR_KEY: &str = "pk_harborpine_demo_3f9a6c2e51b84d07";
pub const LUMEN_KEY: &str = "pk_lumenhome_demo_8b1e47d2c0a95f36";
pub const STEADY_KEY: &str = "pk_steadypath_demo_6d0b3f94e2a17c58";

/// Base URL of the Worker under test, without a trailing slash.
pub fn base_url() -> String {
    std::env::var("E2E_BASE_URL")
        .expect(
            "E2E_BASE_URL is not set: run scripts/test, which starts PostgreSQL and wrangler dev",
        )
        .trim_end_matches('/')
        .to_owned()
}

pub fn url(path: &str) -> String {
    format!("{}{}", base_url(), path)
}

/// The stack's database (scripts/test sets DATABASE_URL).
pub async fn db() -> tokio_postgres::Client {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL is not set: run scripts/test");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// A client that shows redirects instead of following them.
pub fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// The text of the page at `path` (a shopper's `GET`, no cookies).
pub async fn page_text(path: &str) -> String {
    client()
        .get(url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The origin's local mailbox page, polled until it holds `needle` (mail is sent after
/// the answer); `None` without E2E_ORIGIN_URL.
pub async fn mailbox_with(needle: &str) -> Option<String> {
    let origin = std::env::var("E2E_ORIGIN_URL").ok()?;
    for _ in 0..50 {
        let mail = client()
            .get(format!("{origin}/dev/mail"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if mail.contains(needle) {
            return Some(mail);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("no mail with {needle} in {origin}/dev/mail");
}

/// Staff of a store through the admin: a member joining by an invitation, and the
/// admin API called with their session.
pub mod staff {
    use commerce::email::Email;
    use commerce::ids::StoreId;
    use commerce::staff::{create_invite, StoreRole};
    use reqwest::{Method, StatusCode};
    use serde_json::Value;

    use super::{client, url};

    /// A new member of `store` as `role` with `email`, invited as an operator does and
    /// accepted over HTTP from client address `ip`: their session cookie (`name=value`).
    pub async fn member(
        db: &tokio_postgres::Client,
        store: &str,
        role: &StoreRole,
        email: &str,
        ip: &str,
    ) -> String {
        let token = create_invite(
            db,
            &StoreId::parse(store).unwrap(),
            &Email::parse(email).unwrap(),
            role,
            None,
        )
        .await
        .unwrap();
        let res = client()
            .post(url(&format!("/admin/invite/{}", token.as_str())))
            .header("cf-connecting-ip", ip)
            .form(&[
                ("name", "Test Member"),
                ("password", "test member passphrase"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "accepting as {role}");
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("staff_session=") && !v.starts_with("staff_session=;"))
            .map(|v| v.split(';').next().unwrap().to_owned())
            .expect("accepting signs in")
    }

    /// The admin API as a client asking for JSON with `cookie`: status and body.
    pub async fn api(
        method: Method,
        cookie: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = client()
            .request(method, url(path))
            .header("cookie", cookie)
            .header("accept", "application/json");
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        (res.status(), res.json::<Value>().await.unwrap())
    }
}

/// Harbor & Pine's checkout through the Medusa Store API, as a storefront drives it.
pub mod checkout {
    use reqwest::StatusCode;
    use serde_json::{json, Value};

    use super::{client, db, url, HARBOR_KEY};

    /// A Harbor & Pine variant priced in EUR with at least `min` units available and no
    /// backorder, not used by another test of this file (`skip` of them).
    pub async fn stocked_variant(min: i64, skip: i64) -> String {
        let sql = "SELECT v.id FROM product_variants v JOIN products p ON p.id = v.product_id
             JOIN variant_prices vp ON vp.variant_id = v.id AND vp.currency_code = 'eur'
             CROSS JOIN LATERAL (SELECT coalesce(sum(stocked - reserved), 0) AS avail
                                 FROM inventory_levels il WHERE il.variant_id = v.id) s
             WHERE p.store_id = 'store_HARBORPINE' AND p.status = 'published'
               AND v.manage_inventory AND NOT v.allow_backorder AND s.avail >= $1
             ORDER BY v.id DESC OFFSET $2 LIMIT 1";
        db().await
            .query_one(sql, &[&min, &skip])
            .await
            .unwrap()
            .get(0)
    }

    pub async fn available(variant: &str) -> i64 {
        db().await
            .query_one(
                "SELECT coalesce(sum(stocked - reserved), 0)::int8 FROM inventory_levels WHERE variant_id = $1",
                &[&variant],
            )
            .await
            .unwrap()
            .get(0)
    }

    pub async fn call(method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = client()
            .request(method.parse().unwrap(), url(path))
            .header("x-publishable-api-key", HARBOR_KEY);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let value =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
        (status, value)
    }

    /// A cart with `quantity` of `variant`, an e-mail, a German address and shipping.
    pub async fn ready_cart(variant: &str, quantity: u32) -> String {
        let (status, body) = call(
            "POST",
            "/store/carts",
            Some(json!({"region_id": "reg_HPEU", "email": "shopper@example.com",
                        "items": [{"variant_id": variant, "quantity": quantity}],
                        "shipping_address": {"first_name": "Ada", "last_name": "Lovelace", "address_1": "Main 1",
                                             "city": "Berlin", "postal_code": "10115", "country_code": "de"}})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let id = body["cart"]["id"].as_str().unwrap().to_owned();
        let (_, options) = call(
            "GET",
            &format!("/store/shipping-options?cart_id={id}"),
            None,
        )
        .await;
        let option = options["shipping_options"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = call(
            "POST",
            &format!("/store/carts/{id}/shipping-methods"),
            Some(json!({"option_id": option})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        id
    }

    /// The Medusa flow: collection, session, complete.
    pub async fn pay_with(cart: &str, data: Value) -> (StatusCode, Value) {
        let (status, body) = call(
            "POST",
            "/store/payment-collections",
            Some(json!({"cart_id": cart})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let collection = body["payment_collection"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body) = call(
            "POST",
            &format!("/store/payment-collections/{collection}/payment-sessions"),
            Some(json!({"provider_id": "pp_system_default", "data": data})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["payment_collection"]["payment_sessions"][0]["provider_id"],
            "pp_system_default"
        );
        call("POST", &format!("/store/carts/{cart}/complete"), None).await
    }
}
