//! Purchase orders through `wrangler dev`: an inventory member starts a draft with the
//! page's forms (a refused one kept as typed) and another through the admin API, adds
//! lines by SKU, places them (the page asks first), receives deliveries (one sent twice
//! rises the stock once; more than expected is asked first), and the Store API, the
//! variant's stock page, the ledger and the audit log show it; members whose role lacks
//! the permissions are refused. Two quiet demo variants of Harbor & Pine are used (no
//! other test takes them), and only their stock rises.

use std::time::{SystemTime, UNIX_EPOCH};

use commerce::staff::{Role, StoreRole};
use e2e::staff::api;
use e2e::{client, db, url, HARBOR_KEY};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const HARBOR: &str = "store_HARBORPINE";

fn stamp() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// A new member of Harbor & Pine as `role` (invited as an operator does, accepted over
/// HTTP): their e-mail and session cookie.
async fn member(db: &tokio_postgres::Client, role: Role, n: u8) -> (String, String) {
    let email = format!("{}-{}@purchase-orders.test", role.as_str(), stamp());
    let ip = format!("198.18.14.{n}");
    let cookie = e2e::staff::member(db, HARBOR, &StoreRole::builtin(role), &email, &ip).await;
    (email, cookie)
}

/// The `skip`th demo variant of Harbor & Pine with a SKU that no other test takes
/// (admin.rs takes the first two; checkout tests take theirs from the other end): its
/// id, SKU and product.
async fn quiet_variant(db: &tokio_postgres::Client, skip: i64) -> (String, String, String) {
    let row = db
        .query_one(
            "SELECT v.id, v.sku, v.product_id FROM product_variants v
             JOIN products p ON p.id = v.product_id
             WHERE p.store_id = $1 AND p.status = 'published' AND v.manage_inventory
               AND v.sku IS NOT NULL AND starts_with(v.id, 'variant_HP')
             ORDER BY v.id OFFSET $2 LIMIT 1",
            &[&HARBOR, &skip],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// A form posted as the page posts it: the status and the redirect or the page.
async fn post_form(cookie: &str, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let res = client()
        .post(url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let text = res.text().await.unwrap();
    (status, location.unwrap_or(text))
}

async fn page(cookie: &str, path: &str) -> String {
    let res = client()
        .get(url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

/// Units stocked of `variant` at `location`.
async fn stocked(db: &tokio_postgres::Client, variant: &str, location: &str) -> i32 {
    db.query_opt(
        "SELECT stocked FROM inventory_levels WHERE variant_id = $1 AND location_id = $2",
        &[&variant, &location],
    )
    .await
    .unwrap()
    .map_or(0, |r| r.get(0))
}

/// The value of the hidden input `name` of `html`.
fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in the page"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn an_inventory_member_orders_places_and_receives_a_delivery_once() {
    let db = db().await;
    let (email, cookie) = member(&db, Role::Inventory, 21).await;
    let (a, a_sku, product) = quiet_variant(&db, 4).await;
    let (b, b_sku, _) = quiet_variant(&db, 5).await;
    let location: String = db
        .query_one(
            "SELECT id FROM stock_locations WHERE store_id = $1 ORDER BY rank, id LIMIT 1",
            &[&HARBOR],
        )
        .await
        .unwrap()
        .get(0);

    // The list, in the navigation; a draft without a supplier is kept as typed.
    let html = page(&cookie, "/admin/purchase-orders").await;
    assert!(
        html.contains(r#"href="/admin/purchase-orders" aria-current="page""#),
        "{html}"
    );
    assert!(html.contains("Start a purchase order"));
    let (status, html) = post_form(
        &cookie,
        "/admin/purchase-orders",
        &[
            ("supplier_name", ""),
            ("supplier_contact", "orders@linen-mill.test"),
            ("location_id", &location),
            ("expected_on", "2027-02-30"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Name the supplier") && html.contains("a date, e.g."));
    assert!(
        html.contains(r#"value="orders@linen-mill.test""#),
        "kept as typed"
    );

    // A draft through the page's forms, lines by SKU.
    let (status, to) = post_form(
        &cookie,
        "/admin/purchase-orders",
        &[
            ("supplier_name", "Linen Mill"),
            ("supplier_contact", "orders@linen-mill.test"),
            ("location_id", &location),
            ("expected_on", "2027-03-31"),
            ("notes", "Spring restock"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let path = to.split('?').next().unwrap().to_owned();
    let id = path.rsplit('/').next().unwrap().to_owned();
    assert!(id.starts_with("po_"), "{to}");
    for (sku, quantity, cost) in [(&a_sku, "5", "4.20"), (&b_sku, "2", "10")] {
        let (status, to) = post_form(
            &cookie,
            &format!("{path}/lines"),
            &[
                ("variant", sku),
                ("quantity", quantity),
                ("unit_cost", cost),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    }
    let (status, html) = post_form(
        &cookie,
        &format!("{path}/lines"),
        &[
            ("variant", "NO-SUCH-SKU"),
            ("quantity", "1"),
            ("unit_cost", "1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("no variant with the SKU NO-SUCH-SKU"),
        "{html}"
    );
    assert!(html.contains(r#"value="NO-SUCH-SKU""#));
    let html = page(&cookie, &path).await;
    assert!(
        html.contains("Linen Mill") && html.contains("€41.00"),
        "{html}"
    );

    // Placing asks first.
    let (status, html) = post_form(&cookie, &format!("{path}/place"), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("tick the box"));
    let (status, _) = post_form(&cookie, &format!("{path}/place"), &[("confirm", "yes")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // A placed one is not changed any more: 409 with the domain's reason.
    let (status, body) = api(
        Method::POST,
        &cookie,
        &format!("{path}/lines"),
        Some(json!({"variant": a_sku, "quantity": 1, "unit_cost": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "invalid_purchase_order_state");

    // The variant's stock page says what is incoming, with the link.
    let html = page(&cookie, &format!("/admin/stock/{a}")).await;
    assert!(html.contains("on placed purchase orders"), "{html}");
    assert!(html.contains(&format!("href=\"{path}\"")));

    // The first delivery: the form starts at what is outstanding; sent twice, it
    // counts once.
    let (a0, b0) = (
        stocked(&db, &a, &location).await,
        stocked(&db, &b, &location).await,
    );
    let html = page(&cookie, &path).await;
    let key = hidden(&html, "key");
    assert!(html.contains(&format!(r#"name="qty.{a}" type="number" min="0" max="1000000" step="1" inputmode="numeric" value="5""#)));
    let qty_a = format!("qty.{a}");
    let qty_b = format!("qty.{b}");
    let first = [
        ("key", key.as_str()),
        (qty_a.as_str(), "3"),
        (qty_b.as_str(), "2"),
    ];
    let (status, to) = post_form(&cookie, &format!("{path}/receive"), &first).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert!(to.ends_with("saved=received"), "{to}");
    let (status, to) = post_form(&cookie, &format!("{path}/receive"), &first).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(to.ends_with("saved=repeated"), "{to}");
    assert_eq!(stocked(&db, &a, &location).await, a0 + 3);
    assert_eq!(stocked(&db, &b, &location).await, b0 + 2);

    // More than is still expected is asked first, the form kept as typed.
    let html = page(&cookie, &path).await;
    assert!(html.contains("Partially received"));
    let key = hidden(&html, "key");
    let over = [
        ("key", key.as_str()),
        (qty_a.as_str(), "4"),
        (qty_b.as_str(), "0"),
    ];
    let (status, html) = post_form(&cookie, &format!("{path}/receive"), &over).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("Confirm to receive them anyway"), "{html}");
    assert!(html.contains(r#"name="confirm_over_receipt""#));
    assert_eq!(hidden(&html, "key"), key, "the same delivery");
    assert_eq!(stocked(&db, &a, &location).await, a0 + 3);
    let confirmed = [
        ("key", key.as_str()),
        (qty_a.as_str(), "4"),
        (qty_b.as_str(), "0"),
        ("confirm_over_receipt", "yes"),
    ];
    let (status, to) = post_form(&cookie, &format!("{path}/receive"), &confirmed).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert_eq!(stocked(&db, &a, &location).await, a0 + 7);
    let html = page(&cookie, &path).await;
    assert!(html.contains("Status: <strong>Received</strong>"), "{html}");
    assert!(html.contains(&email) && html.contains(&format!("4 × {a_sku}")));
    assert!(!html.contains("Receive a delivery") && !html.contains("Cancel the order"));

    // The Store API shows the higher count (an uncached request).
    let res = client()
        .get(url(&format!(
            "/store/products/{product}?region_id=reg_HPEU&fields=po{}",
            stamp()
        )))
        .header("x-publishable-api-key", HARBOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let shown = body["product"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == a.as_str())
        .unwrap()["inventory_quantity"]
        .as_i64()
        .unwrap();
    let available: i64 = db
        .query_one(
            "SELECT coalesce(sum(stocked - reserved), 0)::int8 FROM inventory_levels WHERE variant_id = $1",
            &[&a],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(shown, available);

    // The ledger names who received it, and why; the audit log has each step.
    let (status, body) = api(
        Method::GET,
        &cookie,
        &format!("/admin/inventory-items/{a}/history?limit=1"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entry = &body["entries"][0];
    assert_eq!(
        (&entry["reason"], &entry["delta"], &entry["by"]),
        (&json!("received"), &json!(4), &json!(email))
    );
    assert!(entry["note"].as_str().unwrap().contains(&key), "{entry}");
    let actions: Vec<String> = db
        .query(
            "SELECT a.action FROM audit_log a JOIN staff_users u ON u.id = a.user_id
             WHERE u.email = $1 AND starts_with(a.action, 'purchase_order.') ORDER BY a.id",
            &[&email],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        actions,
        [
            "purchase_order.create",
            "purchase_order.line",
            "purchase_order.line",
            "purchase_order.place",
            "purchase_order.receive",
            "purchase_order.receive",
        ]
    );
}

#[tokio::test]
async fn a_program_writes_places_receives_and_cancels_through_the_admin_api() {
    let db = db().await;
    let (_, cookie) = member(&db, Role::Inventory, 22).await;
    let (a, a_sku, _) = quiet_variant(&db, 6).await;
    let (b, _, _) = quiet_variant(&db, 7).await;
    let location: String = db
        .query_one(
            "SELECT id FROM stock_locations WHERE store_id = $1 ORDER BY rank, id LIMIT 1",
            &[&HARBOR],
        )
        .await
        .unwrap()
        .get(0);
    let (status, body) = api(
        Method::POST,
        &cookie,
        "/admin/purchase-orders",
        Some(json!({"supplier_name": "Harbour Ropes", "location_id": location})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let order = &body["purchase_order"];
    assert_eq!(
        (&order["status"], &order["lines"]),
        (&json!("draft"), &json!([]))
    );
    let path = format!("/admin/purchase-orders/{}", order["id"].as_str().unwrap());
    // Lines by SKU and by id; absent fields of an update stay.
    for line in [
        json!({"variant": a_sku, "quantity": 6, "unit_cost": 3.5}),
        json!({"variant": b, "quantity": "1", "unit_cost": "20"}),
    ] {
        let (status, body) = api(Method::POST, &cookie, &format!("{path}/lines"), Some(line)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = api(
        Method::POST,
        &cookie,
        &path,
        Some(json!({"notes": "Call before delivery"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let order = &body["purchase_order"];
    assert_eq!(order["supplier_name"], "Harbour Ropes");
    assert_eq!(order["total"].as_f64(), Some(41.0));
    let b_line = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["variant_id"] == b.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = api(
        Method::DELETE,
        &cookie,
        &format!("{path}/lines/{b_line}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["purchase_order"]["lines"].as_array().unwrap().len(), 1);
    let (status, body) = api(Method::POST, &cookie, &format!("{path}/place"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["purchase_order"]["status"], "placed");
    let (status, body) = api(
        Method::GET,
        &cookie,
        "/admin/purchase-orders?status=placed",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["purchase_orders"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| path.ends_with(o["id"].as_str().unwrap()) && o["ordered"] == 6));

    // Over-receipt is 409 until confirmed; a key sent again changes nothing.
    let before = stocked(&db, &a, &location).await;
    let key = format!("truck-{}", stamp());
    let delivery = |quantity: i32, confirm: bool| {
        json!({"key": key, "lines": [{"variant_id": a, "quantity": quantity}],
               "confirm_over_receipt": confirm})
    };
    let (status, body) = api(
        Method::POST,
        &cookie,
        &format!("{path}/receive"),
        Some(delivery(7, false)),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "over_receipt");
    for _ in 0..2 {
        let (status, body) = api(
            Method::POST,
            &cookie,
            &format!("{path}/receive"),
            Some(delivery(2, false)),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["purchase_order"]["status"], "partially_received");
        assert_eq!(body["purchase_order"]["received"], 2);
    }
    assert_eq!(stocked(&db, &a, &location).await, before + 2);
    // Units came in: canceling is refused with the domain's reason.
    let (status, body) = api(Method::POST, &cookie, &format!("{path}/cancel"), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("came in already"),
        "{body}"
    );

    // A draft is canceled on the page after ticking the box.
    let (_, body) = api(
        Method::POST,
        &cookie,
        "/admin/purchase-orders",
        Some(json!({"supplier_name": "Never Mind", "location_id": location})),
    )
    .await;
    let draft = format!(
        "/admin/purchase-orders/{}",
        body["purchase_order"]["id"].as_str().unwrap()
    );
    let (status, _) = post_form(&cookie, &format!("{draft}/cancel"), &[("confirm", "yes")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, body) = api(Method::GET, &cookie, &draft, None).await;
    assert_eq!(body["purchase_order"]["status"], "canceled");
}

#[tokio::test]
async fn members_without_the_permissions_are_refused() {
    let db = db().await;
    let (_, analyst) = member(&db, Role::Analyst, 23).await;
    let (_, catalog) = member(&db, Role::Catalog, 24).await;
    // An analyst reads purchase orders but writes none.
    let html = page(&analyst, "/admin/purchase-orders").await;
    assert!(!html.contains("Start a purchase order"));
    let (status, _) = api(
        Method::POST,
        &analyst,
        "/admin/purchase-orders",
        Some(json!({"supplier_name": "Nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A catalog member reads stock but not purchase orders: no incoming shown either.
    let (status, _) = api(Method::GET, &catalog, "/admin/purchase-orders", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (a, _, _) = quiet_variant(&db, 4).await;
    let html = page(&catalog, &format!("/admin/stock/{a}")).await;
    assert!(!html.contains("on placed purchase orders") && !html.contains("Purchase orders</a>"));
}
