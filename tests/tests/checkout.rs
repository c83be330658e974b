//! Checkout over HTTP against `wrangler dev` and the origin (test cards): the Medusa
//! checkout endpoints (payment collection, session, complete, order), idempotent
//! completion, a declined card with the cart intact, the checkout pages as a browser
//! without JavaScript uses them, the order lookup, and a race for scarce stock through
//! the edge. scripts/test sets DATABASE_URL for choosing variants and reading stock.

use std::sync::Arc;

use e2e::checkout::{available, call, pay_with, ready_cart, stocked_variant};
use e2e::{client, db, url};
use serde_json::json;

#[tokio::test]
async fn the_medusa_checkout_flow_places_one_order_per_cart() {
    let variant = stocked_variant(5, 0).await;
    let before = available(&variant).await;
    let cart = ready_cart(&variant, 2).await;
    let (status, body) = call("GET", "/store/payment-providers?region_id=reg_HPEU", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["payment_providers"][0]["id"], "pp_system_default");

    let (status, body) = pay_with(&cart, json!({"card_number": "4242424242424242"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "order", "{body}");
    let order = &body["order"];
    assert_eq!(order["payment_status"], "captured");
    assert_eq!(order["items"][0]["variant_id"], variant.as_str());
    assert_eq!(order["items"][0]["quantity"], 2);
    assert_eq!(available(&variant).await, before - 2);

    // Idempotent: the same order again; the cart no longer changes.
    let (status, again) = call("POST", &format!("/store/carts/{cart}/complete"), None).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["order"]["id"], order["id"]);
    let (status, refused) = call(
        "POST",
        &format!("/store/carts/{cart}/line-items"),
        Some(json!({"variant_id": variant, "quantity": 1})),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["code"], "cart_completed");
    let (_, read) = call("GET", &format!("/store/carts/{cart}"), None).await;
    assert!(read["cart"]["completed_at"].is_string(), "{read}");

    let id = order["id"].as_str().unwrap();
    let (status, fetched) = call("GET", &format!("/store/orders/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(fetched["order"]["total"], order["total"]);
    let (status, _) = call("GET", "/store/orders/order_NOSUCHORDER", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_declined_card_answers_the_cart_with_an_error_and_keeps_it() {
    let variant = stocked_variant(5, 1).await;
    let before = available(&variant).await;
    let cart = ready_cart(&variant, 1).await;
    let (status, body) = pay_with(&cart, json!({"card_number": "4000000000000002"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["type"], "cart");
    assert_eq!(body["error"]["type"], "payment_authorization_error");
    assert_eq!(body["cart"]["id"], cart.as_str());
    assert_eq!(available(&variant).await, before);
    let (status, body) = pay_with(&cart, json!({"card_number": "4242424242424242"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["type"], "order", "{body}");
}

#[tokio::test]
async fn completing_without_a_payment_session_or_address_is_refused_clearly() {
    let variant = stocked_variant(5, 2).await;
    let (_, body) = call(
        "POST",
        "/store/carts",
        Some(json!({"region_id": "reg_HPEU", "items": [{"variant_id": variant, "quantity": 1}]})),
    )
    .await;
    let cart = body["cart"]["id"].as_str().unwrap().to_owned();
    let (status, body) = call("POST", &format!("/store/carts/{cart}/complete"), None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["type"], "not_allowed");
    let (status, _) = call("POST", "/store/carts/cart_NOSUCHCART/complete", None).await;
    assert_eq!(status, 404);
}

/// Thirty buyers through the edge for five units: five orders, the rest refused.
#[tokio::test]
async fn thirty_buyers_for_five_units_through_the_edge() {
    let variant = stocked_variant(5, 3).await;
    let db = db().await;
    db.execute(
        "UPDATE inventory_levels SET stocked = reserved + CASE WHEN location_id = (
             SELECT min(location_id) FROM inventory_levels WHERE variant_id = $1) THEN 5 ELSE 0 END
         WHERE variant_id = $1",
        &[&variant],
    )
    .await
    .unwrap();
    let mut carts = Vec::new();
    for _ in 0..30 {
        carts.push(ready_cart(&variant, 1).await);
    }
    let variant = Arc::new(variant);
    let tasks: Vec<_> = carts
        .into_iter()
        .map(|cart| {
            tokio::spawn(async move {
                pay_with(&cart, json!({"card_number": "4242424242424242"})).await
            })
        })
        .collect();
    let (mut orders, mut refused) = (0, 0);
    for t in tasks {
        let (status, body) = t.await.unwrap();
        if status == 200 && body["type"] == "order" {
            orders += 1;
        } else {
            assert_eq!(status, 400, "{body}");
            assert_eq!(body["code"], "insufficient_inventory", "{body}");
            refused += 1;
        }
    }
    assert_eq!((orders, refused), (5, 25));
    assert_eq!(available(&variant).await, 0);
}

/// A browser without JavaScript: product form, cart, checkout steps, payment, order
/// page, lookup.
#[tokio::test]
async fn the_checkout_pages_take_a_shopper_from_cart_to_order() {
    let variant = stocked_variant(5, 4).await;
    let http = client();
    let form = |path: &str, jar: &str, fields: &[(&str, &str)]| {
        http.post(url(path))
            .header("cookie", jar.to_owned())
            .header("origin", e2e::base_url())
            .form(fields)
    };
    let res = form(
        "/cart/line-items",
        "region=reg_HPEU",
        &[("variant_id", &variant), ("quantity", "1")],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let cart_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("cart_id="))
        .unwrap();
    let jar = format!(
        "region=reg_HPEU; {}",
        cart_cookie.split(';').next().unwrap()
    );

    let page = |path: &str| http.get(url(path)).header("cookie", jar.clone()).send();
    let res = page("/checkout").await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("name=\"email\""), "the contact step is open");

    // A bad e-mail is refused in place.
    let res = form(
        "/checkout/contact",
        &jar,
        &[
            ("email", "not-an-email"),
            ("first_name", "Ada"),
            ("last_name", "L"),
            ("address_1", "Main 1"),
            ("city", "Berlin"),
            ("postal_code", "10115"),
            ("country_code", "de"),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 400);
    assert!(
        res.text().await.unwrap().contains("not-an-email"),
        "the form keeps what was typed"
    );

    let res = form(
        "/checkout/contact",
        &jar,
        &[
            ("email", "pages@example.com"),
            ("first_name", "Ada"),
            ("last_name", "L"),
            ("address_1", "Main 1"),
            ("city", "Berlin"),
            ("postal_code", "10115"),
            ("country_code", "de"),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let html = page("/checkout").await.unwrap().text().await.unwrap();
    let option = html
        .split("name=\"option_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a delivery option")
        .to_owned();
    let res = form("/checkout/shipping", &jar, &[("option_id", &option)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = page("/checkout").await.unwrap().text().await.unwrap();
    assert!(
        html.contains("name=\"card_number\""),
        "the payment step is open"
    );

    // Declined: in place, the cart intact.
    let res = form(
        "/checkout/pay",
        &jar,
        &[
            ("card_number", "4000 0000 0000 0002"),
            ("card_holder", "Ada L"),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 402);
    let html = res.text().await.unwrap();
    assert!(html.contains("declined"), "{html}");
    assert!(html.contains("role=\"alert\""));

    // Needs confirmation: the bank step, approved.
    let res = form(
        "/checkout/pay",
        &jar,
        &[
            ("card_number", "4000 0025 0000 3155"),
            ("card_holder", "Ada L"),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/checkout?authenticate=payses_"),
        "{location}"
    );
    let session = location.split('=').nth(1).unwrap().to_owned();
    let html = page(&location).await.unwrap().text().await.unwrap();
    assert!(html.contains(&session));
    let res = form(
        "/checkout/authenticate",
        &jar,
        &[("session", &session), ("approve", "true")],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/orders/order_") && location.ends_with("?placed=1"),
        "{location}"
    );
    let cleared = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("cart_id=;"));
    assert!(cleared, "the ordered cart's cookie is cleared");
    let res = page(&location).await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let order_id = location
        .trim_start_matches("/orders/")
        .trim_end_matches("?placed=1")
        .to_owned();
    let row = db()
        .await
        .query_one(
            "SELECT display_id, status FROM orders WHERE id = $1",
            &[&order_id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(1), "confirmed");
    let number: i64 = row.get(0);
    assert!(
        html.contains(&number.to_string()),
        "the page shows the order number"
    );

    // Looked up again by number and e-mail; a wrong e-mail finds nothing.
    let res = form(
        "/orders/lookup",
        "",
        &[
            ("email", "PAGES@example.com"),
            ("number", &format!("#{number}")),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains(&number.to_string()));
    let res = form(
        "/orders/lookup",
        "",
        &[
            ("email", "other@example.com"),
            ("number", &number.to_string()),
        ],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(res.status(), 404);

    // Going back to checkout with the old cart leads to its order.
    let res = page("/checkout").await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/orders/order_"));
}
