//! The admin area through `wrangler dev`: the authorization matrix (every admin route of
//! the routing table, times every built-in role, a role of the store's own and an API
//! key of each role, a member
//! of another store, no session, a signed-out and an expired session and a revoked key,
//! each against the intended policy), secret API keys, a store's
//! staff seeing only their store's orders, order operations on an order placed through
//! the Store API (packed and shipped by a fulfilment member, refunded in part by an
//! owner, with the ledger and the audit log), bearer tokens, sign-in limits and refused
//! cross-site posts. scripts/test sets DATABASE_URL, where invitations are made as an
//! operator makes them (`seed invite`); members accept them over HTTP.

use std::time::{SystemTime, UNIX_EPOCH};

use commerce::email::Email;
use commerce::ids::StoreId;
use commerce::staff::{self, Permission, Role, StoreRole};
use e2e::checkout::{pay_with, ready_cart, stocked_variant};
use e2e::{client, db, mailbox_with, url};
use edge::router::{Access, Answer, Verb, ROUTES};
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

const HARBOR: &str = "store_HARBORPINE";
const LUMEN: &str = "store_LUMENHOME";
const PASSWORD: &str = "matrix test passphrase";

/// A suffix no earlier run used.
fn stamp() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// A client address of its own for each caller (sign-in is limited per address).
fn address(n: u8) -> String {
    format!("198.19.{n}.{}", (stamp() / 1000) % 250 + 1)
}

/// The session cookie (`name=value`) a response sets.
fn session_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("staff_session=") && !v.starts_with("staff_session=;"))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// A new member of `store` as `role`: invited as an operator does, accepted over HTTP.
/// Answers the session cookie accepting signed them in with.
async fn member(
    db: &tokio_postgres::Client,
    store: &str,
    role: Role,
    ip: &str,
) -> (String, String) {
    member_as(db, store, &StoreRole::builtin(role), ip).await
}

/// [`member`] with any role of the store, a built-in one or the store's own.
async fn member_as(
    db: &tokio_postgres::Client,
    store: &str,
    role: &StoreRole,
    ip: &str,
) -> (String, String) {
    let email = format!("{}-{}@matrix.test", role.key(), stamp());
    let token = staff::create_invite(
        db,
        &StoreId::parse(store).unwrap(),
        &Email::parse(&email).unwrap(),
        role,
        None,
    )
    .await
    .unwrap();
    let res = client()
        .post(url(&format!("/admin/invite/{}", token.as_str())))
        .header("cf-connecting-ip", ip)
        .form(&[("name", "Matrix Member"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "accepting as {role}");
    let cookie = session_cookie(&res).expect("accepting signs the member in");
    (email, cookie)
}

/// A concrete request path for a route pattern.
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| match s {
            "*" => "matrix-probe",
            s if s.starts_with(':') => "matrix_probe",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn method(verb: Verb) -> Method {
    match verb {
        Verb::Get | Verb::Any => Method::GET,
        Verb::Post => Method::POST,
        Verb::Delete => Method::DELETE,
        Verb::Options => Method::OPTIONS,
    }
}

/// Calls `path` with a secret API key, as a program would (JSON).
async fn call_with_key(route_method: Method, path: &str, key: &str) -> Response {
    let mut req = client()
        .request(route_method.clone(), url(path))
        .bearer_auth(key);
    if route_method == Method::POST {
        req = req.header("content-type", "application/json").body("{}");
    }
    req.send().await.unwrap()
}

/// A secret API key of `role` made by the owner of `cookie` through the admin API.
async fn make_key(cookie: &str, title: &str, role: Role) -> (String, String) {
    let res = client()
        .post(url("/admin/api-keys"))
        .header("cookie", cookie)
        .header("accept", "application/json")
        .json(&json!({"title": title, "type": "secret", "role": role.as_str()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "making a {role} key");
    let body: Value = res.json().await.unwrap();
    let key = &body["api_key"];
    assert_eq!(key["role"], role.as_str());
    (
        key["id"].as_str().unwrap().to_owned(),
        key["token"].as_str().unwrap().to_owned(),
    )
}

async fn call(route_method: Method, path: &str, cookie: Option<&str>) -> Response {
    let mut req = client()
        .request(route_method.clone(), url(path))
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if route_method == Method::POST {
        req = req.body("");
    }
    req.send().await.unwrap()
}

/// Whether a response refuses for want of a session: the sign-in page (pages) or 401
/// (the admin API).
fn wants_sign_in(res: &Response, answer: Answer) -> bool {
    match answer {
        Answer::Admin => {
            res.status() == StatusCode::SEE_OTHER
                && res.headers()["location"]
                    .to_str()
                    .unwrap()
                    .starts_with("/admin/sign-in")
        }
        _ => res.status() == StatusCode::UNAUTHORIZED,
    }
}

#[tokio::test]
async fn every_admin_route_answers_exactly_the_roles_its_permission_allows() {
    let db = db().await;
    let ip = address(1);
    let mut members = Vec::new();
    for role in Role::ALL {
        let (_, cookie) = member(&db, HARBOR, *role, &ip).await;
        members.push((StoreRole::builtin(*role), cookie));
    }
    // And a role of the store's own: reads orders and refunds, nothing else.
    let own = commerce::staff::roles::create(
        &db,
        &StoreId::parse(HARBOR).unwrap(),
        &format!("Refund desk {}", stamp() % 1_000_000),
        commerce::staff::Permissions::of(OWN_ROLE),
    )
    .await
    .unwrap();
    let (_, own_cookie) = member_as(&db, HARBOR, &own, &ip).await;
    members.push((own, own_cookie));
    let (_, other_store) = member(&db, LUMEN, Role::Owner, &ip).await;
    let (_, signed_out) = member(&db, HARBOR, Role::Owner, &ip).await;
    let res = call(Method::POST, "/admin/sign-out", Some(&signed_out)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A key of every role a key can have, and one revoked.
    let owner = &members[0].1;
    let mut keys = Vec::new();
    for role in Role::ALL.iter().filter(|r| **r != Role::Owner) {
        let (_, token) = make_key(owner, &format!("matrix {role}"), *role).await;
        keys.push((*role, token));
    }
    let (revoked_id, revoked_key) = make_key(owner, "matrix revoked", Role::Admin).await;
    let res = client()
        .post(url(&format!("/admin/api-keys/{revoked_id}/revoke")))
        .header("cookie", owner)
        .form(&[("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (expired_email, expired) = member(&db, HARBOR, Role::Owner, &ip).await;
    db.execute(
        "UPDATE staff_sessions SET expires_at = now() - interval '1 second'
         WHERE user_id = (SELECT id FROM staff_users WHERE email = $1)",
        &[&expired_email],
    )
    .await
    .unwrap();

    let staff_routes: Vec<_> = ROUTES
        .iter()
        .filter_map(|r| match r.access {
            Access::Staff(p) => Some((r, p)),
            _ => None,
        })
        .collect();
    assert!(staff_routes.len() >= 5, "the table has its admin routes");
    let mut cells = 0;
    for (route, permission) in staff_routes {
        let path = concrete(route.path);
        let m = method(route.verb);
        let at = format!("{m} {path} ({permission})");
        for (role, cookie) in &members {
            let res = call(m.clone(), &path, Some(cookie)).await;
            let status = res.status();
            if role.allows(permission) {
                assert!(
                    status != StatusCode::FORBIDDEN && !wants_sign_in(&res, route.answer),
                    "{at}: {role} is allowed, got {status}"
                );
                assert!(status.as_u16() < 500, "{at}: {role} got {status}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{at}: {role} is not allowed");
            }
            cells += 1;
        }
        // A key may what its role may, but never the personal permissions.
        for (role, key) in &keys {
            let res = call_with_key(m.clone(), &path, key).await;
            let status = res.status();
            if role.allows(permission) && !permission.is_personal() {
                assert!(
                    !matches!(status.as_u16(), 401 | 403) && status.as_u16() < 500,
                    "{at}: a {role} key is allowed, got {status}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{at}: a {role} key");
            }
            cells += 1;
        }
        let res = call_with_key(m.clone(), &path, &revoked_key).await;
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{at}: a revoked key"
        );
        // The other store's owner works in their own store: allowed, with their data.
        let res = call(m.clone(), &path, Some(&other_store)).await;
        assert!(
            !wants_sign_in(&res, route.answer) && res.status() != StatusCode::FORBIDDEN,
            "{at}"
        );
        for (who, cookie) in [
            ("no session", None),
            ("signed out", Some(&signed_out)),
            ("expired", Some(&expired)),
        ] {
            let res = call(m.clone(), &path, cookie.map(String::as_str)).await;
            assert!(
                wants_sign_in(&res, route.answer),
                "{at}: {who} got {}",
                res.status()
            );
            cells += 1;
        }
    }
    assert!(cells > 40);
}

#[tokio::test]
async fn staff_see_their_own_stores_orders_and_nothing_of_another() {
    let db = db().await;
    let ip = address(2);
    let cart = ready_cart(&stocked_variant(1, 4).await, 1).await;
    let (status, body) = pay_with(&cart, json!({"card_number": "4242424242424242"})).await;
    assert_eq!(status, 200, "{body}");
    let order = body["order"]["id"].as_str().unwrap().to_owned();
    let number = body["order"]["display_id"].as_i64().unwrap();
    let search = format!("/admin/orders?q=%23{number}");
    // The order as a row of the list (the search field shows the number too).
    let listed = format!("<a href=\"/admin/orders/{order}\">#{number}</a>");

    let (_, harbor) = member(&db, HARBOR, Role::Fulfilment, &ip).await;
    let res = call(Method::GET, &search, Some(&harbor)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    assert!(page.contains(&listed), "{page}");
    let detail = call(
        Method::GET,
        &format!("/admin/orders/{order}"),
        Some(&harbor),
    )
    .await;
    assert_eq!(detail.status(), StatusCode::OK);

    let (_, lumen) = member(&db, LUMEN, Role::Owner, &ip).await;
    let page = call(Method::GET, &search, Some(&lumen))
        .await
        .text()
        .await
        .unwrap();
    // Nor is the order found by its id.
    let detail = call(Method::GET, &format!("/admin/orders/{order}"), Some(&lumen)).await;
    assert_eq!(detail.status(), StatusCode::NOT_FOUND);
    assert!(
        page.contains("No orders match") && !page.contains(&listed),
        "{page}"
    );
    // Nor can the session be moved into a store its user does not work for.
    let res = client()
        .post(url("/admin/store"))
        .header("cookie", &lumen)
        .form(&[("store_id", HARBOR), ("return_to", "/admin/orders")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = call(Method::GET, &search, Some(&lumen))
        .await
        .text()
        .await
        .unwrap();
    // Nor is the order found by its id.
    let detail = call(Method::GET, &format!("/admin/orders/{order}"), Some(&lumen)).await;
    assert_eq!(detail.status(), StatusCode::NOT_FOUND);
    assert!(!page.contains(&listed));
}

#[tokio::test]
async fn the_admin_api_takes_bearer_tokens_and_one_answer_for_every_failed_sign_in() {
    let db = db().await;
    let ip = address(3);
    let (email, _) = member(&db, HARBOR, Role::Analyst, &ip).await;
    let sign_in = |email: String, password: &'static str| {
        let ip = ip.clone();
        async move {
            client()
                .post(url("/auth/user/emailpass"))
                .header("cf-connecting-ip", ip)
                .json(&serde_json::json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    let res = sign_in(email.to_uppercase(), PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = |path: String| {
        let token = token.clone();
        async move {
            let res = client()
                .get(url(&path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let (_, me) = api("/admin/users/me".into()).await;
    assert_eq!(me["user"]["email"], email.as_str());
    assert_eq!(me["user"]["role"], "analyst");
    assert_eq!(me["user"]["store_id"], HARBOR);
    // The admin API's orders: Medusa's list envelope and order, for API clients.
    let (_, list) = api("/admin/orders?status=confirmed".into()).await;
    assert_eq!(list["limit"], 50);
    assert!(list["count"].as_i64().unwrap() >= list["orders"].as_array().unwrap().len() as i64);
    if let Some(first) = list["orders"].get(0) {
        assert_eq!(first["status"], "confirmed");
        let id = first["id"].as_str().unwrap();
        let (_, one) = api(format!("/admin/orders/{id}")).await;
        assert_eq!(one["order"]["id"], id);
    }
    let (status, missing) = api("/admin/orders/order_NOSUCH".into()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["type"], "not_found");
    // Without a token an API client gets 401 in JSON, not the sign-in page.
    let res = client()
        .get(url("/admin/orders"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], "not_signed_in");

    let wrong = sign_in(email.clone(), "not the passphrase").await;
    let unknown = sign_in(format!("nobody-{}@matrix.test", stamp()), PASSWORD).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.json::<Value>().await.unwrap(),
        unknown.json::<Value>().await.unwrap()
    );
    // A made-up token is no session.
    let res = client()
        .get(url("/admin/users/me"))
        .bearer_auth("A".repeat(52))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn password_guessing_is_limited_per_account() {
    let db = db().await;
    let (email, _) = member(&db, HARBOR, Role::Support, &address(4)).await;
    let mut statuses = Vec::new();
    // From changing addresses: the account's own limit (10 in ten minutes) stops it.
    for i in 0..12u8 {
        let res = client()
            .post(url("/admin/sign-in"))
            .header("cf-connecting-ip", address(100 + i))
            .form(&[("email", email.as_str()), ("password", "guess guess guess")])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(&statuses[10..], &[429, 429]);
    // Even the right password waits out the window.
    let res = client()
        .post(url("/admin/sign-in"))
        .header("cf-connecting-ip", address(120))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn admin_forms_posted_from_another_site_are_refused() {
    let db = db().await;
    let (_, cookie) = member(&db, HARBOR, Role::Owner, &address(5)).await;
    for path in ["/admin/sign-out", "/admin/store", "/admin/sign-in"] {
        let res = client()
            .post(url(path))
            .header("cookie", &cookie)
            .header("origin", "https://attacker.example")
            .header("sec-fetch-site", "cross-site")
            .form(&[("store_id", LUMEN)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // The session survived the forged sign-out.
    let res = call(Method::GET, "/admin", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// The permissions of the store's own role in the matrix: it reads orders and refunds.
const OWN_ROLE: [Permission; 2] = [Permission::OrderRead, Permission::RefundWrite];

/// The matrix sees every admin route both granted and refused: some built-in role holds
/// each permission, and some role of the matrix (built-in, or the store's own role
/// above, for what every built-in role holds, such as reading products) lacks each
/// one that is not everyone's.
#[test]
fn every_admin_permission_is_held_by_some_role_and_refused_to_another() {
    for (route, permission) in ROUTES.iter().filter_map(|r| match r.access {
        Access::Staff(p) => Some((r, p)),
        _ => None,
    }) {
        assert!(
            Role::ALL.iter().any(|r| r.allows(permission)),
            "{}",
            route.path
        );
        if !permission.is_everyones() {
            assert!(
                Role::ALL.iter().any(|r| !r.allows(permission)) || !OWN_ROLE.contains(&permission),
                "{}",
                route.path
            );
        }
    }
}

/// A new member invited by the owner of `cookie` on the staff page, who accepts the
/// link the page shows; answers their session cookie.
async fn invited_by(cookie: &str, role: Role, ip: &str) -> String {
    let email = format!("invited-{}@matrix.test", stamp());
    let res = client()
        .post(url("/admin/invites"))
        .header("cookie", cookie)
        .form(&[("email", email.as_str()), ("role", role.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let start = page
        .find("/admin/invite/")
        .expect("the page shows the link");
    let path: String = page[start..].chars().take_while(|c| *c != '<').collect();
    let res = client()
        .post(url(&path))
        .header("cf-connecting-ip", ip)
        .form(&[("name", "Invited Member"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The invitation was e-mailed too.
    mailbox_with(&email).await;
    session_cookie(&res).expect("accepting signs in")
}

/// Posts an order action's form as the member of `cookie`.
async fn act(cookie: &str, order: &str, action: &str, form: &[(&str, &str)]) -> Response {
    client()
        .post(url(&format!("/admin/orders/{order}/{action}")))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// An order of `quantity` units of a stocked variant (`min`, `skip` as
/// [`stocked_variant`]) placed and paid through the Store API: Medusa's order.
async fn paid_order(min: i64, skip: i64, quantity: u32) -> Value {
    let cart = ready_cart(&stocked_variant(min, skip).await, quantity).await;
    let (status, body) = pay_with(&cart, json!({"card_number": "4242424242424242"})).await;
    assert_eq!(status, 200, "{body}");
    body["order"].clone()
}

/// A JSON call with a bearer token or secret key: the status and the body.
async fn with_bearer(
    method: Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client().request(method, url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.json::<Value>().await.unwrap())
}

/// The audit log's actions starting with `prefix` done by the member `email`, oldest
/// first.
async fn audited_actions(db: &tokio_postgres::Client, email: &str, prefix: &str) -> Vec<String> {
    db.query(
        "SELECT a.action FROM audit_log a JOIN staff_users u ON u.id = a.user_id
         WHERE u.email = $1 AND starts_with(a.action, $2) ORDER BY a.id",
        &[&email, &prefix],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// An admin API call as a signed-in member's JSON client (the session cookie).
async fn with_cookie(
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

async fn order_page(cookie: &str, order: &str) -> String {
    let res = call(Method::GET, &format!("/admin/orders/{order}"), Some(cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.text().await.unwrap()
}

#[tokio::test]
async fn an_owner_invites_fulfilment_who_packs_and_ships_and_only_the_owner_refunds() {
    let db = db().await;
    let ip = address(6);
    let variant = stocked_variant(1, 3).await;
    let cart = ready_cart(&variant, 1).await;
    let (status, body) = pay_with(&cart, json!({"card_number": "4242424242424242"})).await;
    assert_eq!(status, 200, "{body}");
    let order = body["order"]["id"].as_str().unwrap().to_owned();
    let (_, owner) = member(&db, HARBOR, Role::Owner, &ip).await;
    let packer = invited_by(&owner, Role::Fulfilment, &ip).await;

    let res = act(&packer, &order, "fulfill", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A tracking number that cannot be one is refused, naming the field; nothing moves.
    let bad = [("carrier", "DHL"), ("tracking_number", "<b>")];
    let res = act(&packer, &order, "ship", &bad).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let tracking = format!("JD{}", stamp() % 10_000_000_000);
    let ship = [("carrier", "dhl"), ("tracking_number", tracking.as_str())];
    let res = act(&packer, &order, "ship", &ship).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = order_page(&packer, &order).await;
    assert!(page.contains(">Shipped<"), "{page}");
    assert!(
        page.contains(&format!("tracking-id={tracking}")),
        "the page links the parcel"
    );
    // The shopper hears of it, with the tracking link (the origin's local mailbox).
    if let Some(mail) = mailbox_with(&tracking).await {
        assert!(mail.contains("is on its way"));
    }
    assert!(
        !page.contains("refund-amount"),
        "no refund form for fulfilment"
    );
    // A refused transition is the order page saying why, not an error.
    let res = act(&packer, &order, "fulfill", &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("role=\"alert\""));
    // Refunds move money: not for fulfilment, whatever they post.
    let refund = [
        ("amount", "1.00"),
        ("reason", "damaged box"),
        ("confirm", "yes"),
    ];
    let res = act(&packer, &order, "refund", &refund).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The owner must confirm, then refunds part.
    let unconfirmed = [("amount", "1.00"), ("reason", "damaged box")];
    let res = act(&owner, &order, "refund", &unconfirmed).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = act(&owner, &order, "refund", &refund).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = order_page(&owner, &order).await;
    assert!(
        page.contains("<td>refund</td>") && page.contains("€1.00"),
        "{page}"
    );
    for entry in ["order.fulfill", "order.ship", "order.refund"] {
        assert!(page.contains(entry), "the timeline shows {entry}");
    }
    // The same actions answer API clients in JSON: Medusa's order.
    let res = client()
        .post(url(&format!("/admin/orders/{order}/deliver")))
        .header("cookie", &packer)
        .header("accept", "application/json")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["order"]["id"], order.as_str());
    assert_eq!(body["order"]["metadata"]["status"], "delivered");
    let rows = db
        .query(
            "SELECT action, role FROM audit_log WHERE target_id = $1 ORDER BY id",
            &[&order],
        )
        .await
        .unwrap();
    let log: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        log,
        [
            ("order.fulfill".into(), "fulfilment".into()),
            ("order.ship".into(), "fulfilment".into()),
            ("order.refund".into(), "owner".into()),
            ("order.deliver".into(), "fulfilment".into()),
        ]
    );
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_the_mailed_link_and_unknown_addresses_read_the_same() {
    if std::env::var("E2E_ORIGIN_URL").is_err() {
        eprintln!("skipped: E2E_ORIGIN_URL (the origin's local mailbox) is not set");
        return;
    }
    let db = db().await;
    let ip = address(7);
    let (email, session) = member(&db, HARBOR, Role::Catalog, &ip).await;
    let ask = |email: String| {
        let ip = ip.clone();
        async move {
            let res = client()
                .post(url("/admin/forgot"))
                .header("cf-connecting-ip", ip)
                .form(&[("email", email.as_str())])
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let known = ask(email.clone()).await;
    let unknown = ask(format!("nobody-{}@matrix.test", stamp())).await;
    assert_eq!(
        known, unknown,
        "the same answer whether the address has an account"
    );
    assert_eq!(known.0, StatusCode::OK);

    let mail = mailbox_with(&email).await.unwrap();
    let at = mail.find("/admin/reset/").expect("the mail has the link");
    let path: String = mail[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '/' || *c == '-')
        .collect();
    let form = client().get(url(&path)).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let new = "a freshly chosen passphrase";
    let res = client()
        .post(url(&path))
        .header("cf-connecting-ip", &ip)
        .form(&[("password", new)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Every session ended; the old password no longer works, the new one does; the link
    // is used up.
    let res = call(Method::GET, "/admin", Some(&session)).await;
    assert!(wants_sign_in(&res, Answer::Admin));
    let sign_in = |password: &'static str| {
        let (email, ip) = (email.clone(), ip.clone());
        async move {
            client()
                .post(url("/admin/sign-in"))
                .header("cf-connecting-ip", ip)
                .form(&[("email", email.as_str()), ("password", password)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(sign_in(PASSWORD).await, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(new).await, StatusCode::SEE_OTHER);
    let again = client().get(url(&path)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_program_works_with_a_secret_key_until_it_is_revoked() {
    let db = db().await;
    let ip = address(8);
    let (_, owner) = member(&db, HARBOR, Role::Owner, &ip).await;
    // Made on the page: the token is shown once, then only its ends.
    let title = format!("Warehouse {}", stamp());
    let res = client()
        .post(url("/admin/api-keys"))
        .header("cookie", &owner)
        .form(&[("title", title.as_str()), ("role", "fulfilment")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let made = res.text().await.unwrap();
    let start = made
        .find("invite-link\">sk_")
        .expect("the page shows the new key")
        + 13;
    let token: String = made[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert_eq!(token.len(), 55, "{token}");
    let listed = call(Method::GET, "/admin/api-keys", Some(&owner))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        listed.contains(&title) && !listed.contains(&token),
        "shown once"
    );

    // Medusa's Basic form works as Bearer does; the key reads orders as fulfilment.
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{token}:"))
    };
    let res = client()
        .get(url("/admin/orders?limit=1"))
        .header("authorization", format!("Basic {basic}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.json::<Value>().await.unwrap()["orders"].is_array());

    // It packs an order, cannot refund it, and the audit log names it.
    let order = paid_order(1, 2, 1).await["id"].as_str().unwrap().to_owned();
    let post = |path: String, body: Value| {
        let token = &token;
        async move { with_bearer(Method::POST, token, &path, Some(body)).await }
    };
    let (status, packed) = post(format!("/admin/orders/{order}/fulfill"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{packed}");
    assert_eq!(packed["order"]["fulfillment_status"], "fulfilled");
    let (status, refused) = post(
        format!("/admin/orders/{order}/refund"),
        json!({"amount": 1, "reason": "goodwill"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    // Nor can it make keys, whatever its role.
    let (status, _) = post("/admin/api-keys".into(), json!({"title": "more"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let audit = call(
        Method::GET,
        &format!("/admin/audit?target={order}"),
        Some(&owner),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        audit.contains("order.fulfill") && audit.contains(&title),
        "{audit}"
    );

    // An owner key is refused; revoking asks first, then the key stops at once.
    let res = client()
        .post(url("/admin/api-keys"))
        .header("cookie", &owner)
        .header("accept", "application/json")
        .json(&json!({"title": "root", "role": "owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let keys: Value = client()
        .get(url("/admin/api-keys"))
        .header("cookie", &owner)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = keys["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["title"] == title.as_str())
        .expect("listed")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        keys["api_keys"][0].get("token").is_none(),
        "never listed again"
    );
    let revoke = |confirm: &'static str| {
        let req = client()
            .post(url(&format!("/admin/api-keys/{id}/revoke")))
            .header("cookie", &owner)
            .form(&[("confirm", confirm)]);
        async move { req.send().await.unwrap().status() }
    };
    let orders_with_key = || {
        let req = client().get(url("/admin/orders")).bearer_auth(&token);
        async move { req.send().await.unwrap().status() }
    };
    assert_eq!(revoke("").await, StatusCode::BAD_REQUEST);
    assert_eq!(
        orders_with_key().await,
        StatusCode::OK,
        "not revoked without the box ticked"
    );
    assert_eq!(revoke("yes").await, StatusCode::SEE_OTHER);
    assert_eq!(orders_with_key().await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_order_leaves_in_two_parcels_through_medusas_paths_and_the_page() {
    let db = db().await;
    let ip = address(9);
    let placed = paid_order(2, 5, 2).await;
    let order = placed["id"].as_str().unwrap().to_owned();
    let line = placed["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, owner) = member(&db, HARBOR, Role::Owner, &ip).await;
    let (_, key) = make_key(&owner, "parcel robot", Role::Fulfilment).await;
    let held_at: String = db
        .query_one(
            "SELECT location_id FROM order_reservations WHERE order_id = $1 LIMIT 1",
            &[&order],
        )
        .await
        .unwrap()
        .get(0);
    let post = |path: String, body: Value| {
        let key = &key;
        async move { with_bearer(Method::POST, key, &path, Some(body)).await }
    };

    // One of the two units, in Medusa's shape: a parcel at the location.
    let (status, packed) = post(
        format!("/admin/orders/{order}/fulfillments"),
        json!({"items": [{"id": line, "quantity": 1}], "location_id": held_at}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{packed}");
    assert_eq!(packed["order"]["fulfillment_status"], "partially_fulfilled");
    assert_eq!(
        packed["order"]["items"][0]["detail"]["fulfilled_quantity"],
        1
    );
    let parcel = packed["order"]["fulfillments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // More than is left is refused, naming the field.
    let (status, refused) = post(
        format!("/admin/orders/{order}/fulfillments"),
        json!({"items": [{"id": line, "quantity": 2}]}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("Only 1 of"),
        "{refused}"
    );

    // It ships with Medusa's label; its carrier is the tracking link's host.
    let tracking = format!("PK{}", stamp() % 10_000_000_000);
    let (status, shipped) = post(
        format!("/admin/orders/{order}/fulfillments/{parcel}/shipments"),
        json!({"items": [{"id": line, "quantity": 1}],
               "labels": [{"tracking_number": tracking,
                           "tracking_url": format!("https://parcels.example/{tracking}"),
                           "label_url": ""}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{shipped}");
    assert_eq!(shipped["order"]["fulfillment_status"], "partially_shipped");
    let label = &shipped["order"]["fulfillments"][0]["labels"][0];
    assert_eq!(label["carrier"], "parcels.example");
    assert_eq!(label["tracking_number"], tracking.as_str());
    if let Some(mail) = mailbox_with(&tracking).await {
        assert!(mail.contains("A parcel of order"), "{mail}");
    }

    // The rest on the page: the packing form's quantity, then the parcel's own form.
    let page = order_page(&owner, &order).await;
    assert!(page.contains("Partly shipped"), "{page}");
    assert!(
        page.contains(&format!("name=\"qty.{line}\"")),
        "the packing form"
    );
    let qty = format!("qty.{line}");
    let res = act(
        &owner,
        &order,
        "fulfill",
        &[(qty.as_str(), "1"), ("location_id", "")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let order_now: Value = client()
        .get(url(&format!("/admin/orders/{order}")))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = order_now["order"]["fulfillments"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = act(
        &owner,
        &order,
        "ship",
        &[
            ("fulfillment_id", second.as_str()),
            ("carrier", "UPS"),
            ("tracking_number", "1Z999AA10123456784"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = order_page(&owner, &order).await;
    assert!(page.contains(">Shipped<"), "{page}");
    assert!(!page.contains("name=\"qty."), "nothing left to pack");
    // The timeline tells the order's life, with the e-mails its shopper was sent.
    assert!(page.contains("Packed 1 unit at"), "{page}");
    assert!(page.contains(&format!("Shipped 1 unit with parcels.example, {tracking}")));
    if mailbox_with(&tracking).await.is_some() {
        assert!(page.contains("E-mailed “A parcel of your order"), "{page}");
    }
    // A parcel cannot ship twice.
    let (status, _) = post(
        format!("/admin/orders/{order}/fulfillments/{parcel}/shipments"),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn medusas_invite_and_payment_refund_paths_work_for_an_owners_token() {
    let db = db().await;
    let ip = address(10);
    let (email, _) = member(&db, HARBOR, Role::Owner, &ip).await;
    let res = client()
        .post(url("/auth/user/emailpass"))
        .header("cf-connecting-ip", &ip)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = res.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = |method: Method, path: String, body: Option<Value>| {
        let token = &token;
        async move { with_bearer(method, token, &path, body).await }
    };

    // The API's OpenAPI document names each operation's permission.
    let (status, doc) = api(Method::GET, "/admin/openapi.json".into(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["paths"]["/admin/payments/{id}/refund"]["post"]["x-permission"],
        "refund:write"
    );

    // Invites: made with Medusa's body (read-only analyst unless a role is given).
    let invitee = format!("invitee-{}@matrix.test", stamp());
    let (status, made) = api(
        Method::POST,
        "/admin/invites".into(),
        Some(json!({"email": invitee})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    assert_eq!(made["invite"]["role"], "analyst");
    assert_eq!(made["invite"]["token"].as_str().unwrap().len(), 52);
    let (_, listed) = api(Method::GET, "/admin/invites".into(), None).await;
    let found = listed["invites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == invitee.as_str())
        .expect("listed");
    assert_eq!(found["id"], made["invite"]["id"]);
    assert!(found.get("token").is_none(), "never listed again");
    // Withdrawn, it is gone and its link no longer works.
    let id = found["id"].as_str().unwrap().to_owned();
    let (status, gone) = api(Method::DELETE, format!("/admin/invites/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert_eq!(gone["deleted"], true);
    let (_, listed) = api(Method::GET, "/admin/invites".into(), None).await;
    assert!(!listed.to_string().contains(&invitee), "{listed}");
    let link = format!(
        "/admin/invite/{}",
        made["invite"]["token"].as_str().unwrap()
    );
    assert_ne!(
        client().get(url(&link)).send().await.unwrap().status(),
        StatusCode::OK
    );
    let (status, _) = api(Method::DELETE, format!("/admin/invites/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api(
        Method::POST,
        "/admin/invites".into(),
        Some(json!({"email": "not-an-address"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A payment (the order's capture) refunded in part, with Medusa's note.
    let order = paid_order(1, 6, 1).await["id"].as_str().unwrap().to_owned();
    let (_, one) = api(Method::GET, format!("/admin/orders/{order}"), None).await;
    let capture = one["order"]["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "capture")
        .expect("a capture")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refund = format!("/admin/payments/{capture}/refund");
    let (status, refused) = api(Method::POST, refund.clone(), Some(json!({"amount": 1}))).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a refund gives its reason: {refused}"
    );
    let (status, paid) = api(
        Method::POST,
        refund.clone(),
        Some(json!({"amount": 1.5, "note": "scratched box"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["payment"]["id"], capture.as_str());
    assert_eq!(paid["payment"]["refunds"][0]["amount"], 1.5);
    let (_, after) = api(Method::GET, format!("/admin/orders/{order}"), None).await;
    assert_eq!(after["order"]["payment_status"], "partially_refunded");
    let (status, _) = api(
        Method::POST,
        "/admin/payments/ordtx_NOSUCH/refund".into(),
        Some(json!({"amount": 1, "note": "x"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn owners_define_a_role_give_it_to_a_member_and_cannot_delete_it_while_used() {
    let db = db().await;
    let ip = address(11);
    let (_, owner) = member(&db, HARBOR, Role::Owner, &ip).await;
    let name = format!("Packers {}", stamp() % 1_000_000);
    let post = |path: &str, form: Vec<(&str, String)>| {
        let req = client()
            .post(url(path))
            .header("cookie", &owner)
            .form(&form);
        async move { req.send().await.unwrap() }
    };
    // staff:write is refused, saying why; the form keeps what was posted.
    let res = post(
        "/admin/roles",
        vec![("name", name.clone()), ("perm.staff:write", "yes".into())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Only owners manage staff") && page.contains(&name),
        "{page}"
    );
    let res = post(
        "/admin/roles",
        vec![
            ("name", name.clone()),
            ("perm.order:read", "yes".into()),
            ("perm.order:write", "yes".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id: String = db
        .query_one(
            "SELECT id FROM store_roles WHERE store_id = $1 AND name = $2",
            &[&HARBOR, &name],
        )
        .await
        .unwrap()
        .get(0);
    // The staff page offers it; a member given it reads orders but not staff.
    let (email, analyst) = member(&db, HARBOR, Role::Analyst, &ip).await;
    let staff_page = call(Method::GET, "/admin/staff", Some(&owner))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        staff_page.contains(&format!("value=\"{id}\"")),
        "offered in the role choice"
    );
    let user: String = db
        .query_one("SELECT id FROM staff_users WHERE email = $1", &[&email])
        .await
        .unwrap()
        .get(0);
    let res = post(
        &format!("/admin/staff/{user}/role"),
        vec![("role", id.clone())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = call(Method::GET, "/admin/orders", Some(&analyst)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = call(Method::GET, "/admin/analytics-nothing", Some(&analyst)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = call(Method::GET, "/admin/staff", Some(&analyst)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Used, it stays; the audit log has the role's making and the change of role.
    let res = post(
        &format!("/admin/roles/{id}/delete"),
        vec![("confirm", "yes".into())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("give them another role first"));
    let audit = call(Method::GET, "/admin/audit?action=role.", Some(&owner))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        audit.contains("role.create") && audit.contains(&name),
        "{audit}"
    );
}

/// The `skip`th of the Harbor & Pine variants no other test works with (they take
/// theirs from the other end), with its product id: one of the demo catalog's (its ids
/// start `variant_HP`), never one a test running alongside made and publishes for a
/// moment (their ids are random and may sort first).
async fn quiet_variant(db: &tokio_postgres::Client, skip: i64) -> (String, String) {
    let row = db
        .query_one(
            "SELECT v.id, v.product_id FROM product_variants v JOIN products p ON p.id = v.product_id
             WHERE p.store_id = $1 AND p.status = 'published' AND v.manage_inventory
               AND starts_with(v.id, 'variant_HP')
             ORDER BY v.id OFFSET $2 LIMIT 1",
            &[&HARBOR, &skip],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn an_inventory_member_restocks_through_medusas_paths_and_an_older_count_is_refused() {
    let db = db().await;
    let ip = address(12);
    let (email, cookie) = member(&db, HARBOR, Role::Inventory, &ip).await;
    let (variant, product) = quiet_variant(&db, 0).await;
    let api = |m: Method, path: String, body: Option<Value>| {
        let cookie = cookie.clone();
        async move { with_cookie(m, &cookie, &path, body).await }
    };
    let levels_path = format!("/admin/inventory-items/{variant}/location-levels");
    let (status, body) = api(Method::GET, levels_path.clone(), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let level = body["inventory_levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["stocked_quantity"].as_i64().unwrap() > 0)
        .expect("stocked somewhere")
        .clone();
    let location = level["location_id"].as_str().unwrap().to_owned();
    let stocked = level["stocked_quantity"].as_i64().unwrap();
    let version = level["version"].as_i64().unwrap();
    assert_eq!(level["inventory_item_id"], variant.as_str());

    // Restocked by five, from the version read.
    let level_path = format!("{levels_path}/{location}");
    let (status, body) = api(
        Method::POST,
        level_path.clone(),
        Some(
            json!({"stocked_quantity": stocked + 5, "version": version, "reason": "received",
                    "note": "Delivery from the weaver"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = body["inventory_item"]["location_levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location_id"] == location.as_str())
        .unwrap()
        .clone();
    assert_eq!(after["stocked_quantity"].as_i64(), Some(stocked + 5));
    assert!(after["version"].as_i64().unwrap() > version);

    // The same edit again, from the version read before: refused, the count as it is.
    let (status, body) = api(
        Method::POST,
        level_path.clone(),
        Some(json!({"stocked_quantity": stocked + 1, "version": version})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "stale_inventory_level");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("now {}", stocked + 5)),
        "{body}"
    );
    // Impossible counts name their field; nothing changes.
    let (status, body) = api(
        Method::POST,
        format!("{level_path}/adjustments"),
        Some(json!({"adjustment": -(stocked + 100), "reason": "damaged"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("adjustment"),
        "{body}"
    );
    // Back to where it was, by an adjustment.
    let (status, body) = api(
        Method::POST,
        format!("{level_path}/adjustments"),
        Some(json!({"adjustment": -5, "reason": "counted", "note": "Recount"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The ledger says who, why, before and after, newest first; so does the audit log.
    let (status, body) = api(
        Method::GET,
        format!("/admin/inventory-items/{variant}/history?limit=2"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries = body["entries"].as_array().unwrap();
    assert_eq!(entries[0]["reason"], "counted");
    assert_eq!(entries[0]["delta"], -5);
    assert_eq!(entries[1]["reason"], "received");
    assert_eq!(entries[1]["stocked_before"].as_i64(), Some(stocked));
    assert_eq!(entries[1]["stocked_after"].as_i64(), Some(stocked + 5));
    assert_eq!(entries[1]["note"], "Delivery from the weaver");
    assert_eq!(entries[1]["by"], email.as_str());
    let audited: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_log a JOIN staff_users u ON u.id = a.user_id
             WHERE u.email = $1 AND a.action = 'inventory.adjust' AND a.target_id = $2",
            &[&email, &variant],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(audited, 2);
    let events: i64 = db
        .query_one(
            "SELECT count(*) FROM outbox WHERE topic = 'inventory.adjusted'
             AND payload->'payload'->>'variant_id' = $1",
            &[&variant],
        )
        .await
        .unwrap()
        .get(0);
    assert!(events >= 2);

    // The Store API reads stock live (a new cache key: no stored answer).
    let res = client()
        .get(url(&format!(
            "/store/products/{product}?region_id=reg_HPEU&fields=stock{}",
            stamp()
        )))
        .header("x-publishable-api-key", e2e::HARBOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let shown = body["product"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == variant.as_str())
        .unwrap()["inventory_quantity"]
        .as_i64()
        .unwrap();
    let available: i64 = db
        .query_one(
            "SELECT coalesce(sum(stocked - reserved), 0)::int8 FROM inventory_levels WHERE variant_id = $1",
            &[&variant],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(shown, available);

    // Another store's member does not find this store's variant.
    let (_, lumen) = member(&db, LUMEN, Role::Inventory, &ip).await;
    let (status, _) = with_cookie(Method::GET, &lumen, &levels_path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let foreign = json!({"stocked_quantity": 1});
    let (status, _) = with_cookie(Method::POST, &lumen, &level_path, Some(foreign)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A member who may only read stock is refused the write; the page reads.
    let (_, analyst) = member(&db, HARBOR, Role::Analyst, &ip).await;
    let res = client()
        .post(url(&level_path))
        .header("cookie", &analyst)
        .header("accept", "application/json")
        .json(&json!({"stocked_quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = call(
        Method::GET,
        &format!("/admin/stock/{variant}"),
        Some(&analyst),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        page.contains("Delivery from the weaver") && !page.contains("<form class=\"stock-form\"")
    );
}

#[tokio::test]
async fn the_stock_page_keeps_a_refused_count_beside_its_reason() {
    let db = db().await;
    let ip = address(13);
    let (_, cookie) = member(&db, HARBOR, Role::Inventory, &ip).await;
    let (variant, _) = quiet_variant(&db, 1).await;
    let sku: String = db
        .query_one(
            "SELECT sku FROM product_variants WHERE id = $1",
            &[&variant],
        )
        .await
        .unwrap()
        .get(0);
    let list = call(
        Method::GET,
        &format!("/admin/stock?q={sku}&low="),
        Some(&cookie),
    )
    .await;
    assert_eq!(list.status(), StatusCode::OK);
    assert!(list
        .text()
        .await
        .unwrap()
        .contains(&format!("/admin/stock/{variant}")));
    let row = db
        .query_one(
            "SELECT location_id, version FROM inventory_levels WHERE variant_id = $1
             ORDER BY location_id LIMIT 1",
            &[&variant],
        )
        .await
        .unwrap();
    let (location, version): (String, i64) = (row.get(0), row.get(1));
    let post = |form: Vec<(&'static str, String)>| {
        let req = client()
            .post(url(&format!("/admin/stock/{variant}/{location}")))
            .header("cookie", &cookie)
            .form(&form);
        async move { req.send().await.unwrap() }
    };
    let res = post(vec![
        ("mode", "set".into()),
        ("quantity", "-4".into()),
        ("reason", "counted".into()),
        ("note", "Shelf B".into()),
        ("version", version.to_string()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("must be 0 or more") && page.contains("value=\"-4\""),
        "{page}"
    );
    assert!(page.contains("value=\"Shelf B\"") && page.contains("aria-invalid=\"true\""));
    // From an older version: 409 and the page with the count as it is now.
    let res = post(vec![
        ("mode", "adjust".into()),
        ("quantity", "1".into()),
        ("reason", "returned".into()),
        ("version", (version - 1).to_string()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("changed since this count was read"));

    // Its low-stock alert: refused as typed, then set, listed, and removed.
    let alert = |threshold: &str| {
        let req = client()
            .post(url(&format!("/admin/stock/{variant}")))
            .header("cookie", &cookie)
            .form(&[("threshold", threshold)]);
        async move { req.send().await.unwrap() }
    };
    let res = alert("a few").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("must be a whole number") && page.contains("value=\"a few\""));
    assert_eq!(alert("1000000").await.status(), StatusCode::SEE_OTHER);
    let alerts = format!("/admin/stock?q={sku}&alerts=yes");
    let listed = call(Method::GET, &alerts, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains(&format!("/admin/stock/{variant}")) && listed.contains("(low)"));
    assert_eq!(alert("").await.status(), StatusCode::SEE_OTHER);
    let listed = call(Method::GET, &alerts, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(listed.contains("No variants match."), "{listed}");
}

#[tokio::test]
async fn stock_locations_are_added_renamed_ordered_and_kept_while_used() {
    let db = db().await;
    let ip = address(14);
    let (email, owner) = member(&db, HARBOR, Role::Owner, &ip).await;
    let api = |m: Method, path: String, body: Option<Value>| {
        let cookie = owner.clone();
        async move { with_cookie(m, &cookie, &path, body).await }
    };
    let name = format!("Pop-up {}", stamp() % 1_000_000);
    let (status, body) = api(
        Method::POST,
        "/admin/stock-locations".into(),
        Some(json!({"name": name})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["stock_location"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["stock_location"]["name"], name.as_str());
    let (status, body) = api(
        Method::POST,
        "/admin/stock-locations".into(),
        Some(json!({"name": name.to_uppercase()})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "duplicate_name");
    let renamed = format!("{name} shop");
    let (status, body) = api(
        Method::POST,
        format!("/admin/stock-locations/{id}"),
        Some(json!({"name": renamed})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stock_location"]["name"], renamed.as_str());

    // Held from last; one step earlier from the page's form.
    let order = || async {
        let (_, body) = api(Method::GET, "/admin/stock-locations".into(), None).await;
        body["stock_locations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let before = order().await;
    assert_eq!(before.last(), Some(&id));
    let res = client()
        .post(url(&format!("/admin/stock-locations/{id}/move")))
        .header("cookie", &owner)
        .form(&[("direction", "up")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let after = order().await;
    let at = after.iter().position(|l| l == &id).unwrap();
    assert_eq!(at, before.len() - 2, "{after:?}");
    assert_eq!(after[at + 1], before[before.len() - 2], "the one it passed");

    // A location with stock stays (409, saying why); the page asks to confirm.
    let (status, body) = api(
        Method::DELETE,
        "/admin/stock-locations/sloc_HPROTTERDAM".into(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "location_in_use");
    let res = client()
        .post(url(&format!("/admin/stock-locations/{id}/delete")))
        .header("cookie", &owner)
        .form(&[("confirm", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("tick the box"));
    let (status, body) = api(Method::DELETE, format!("/admin/stock-locations/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["deleted"], true);
    assert!(!order().await.contains(&id));
    let actions = audited_actions(&db, &email, "stock_location.").await;
    assert_eq!(
        actions,
        [
            "stock_location.create",
            "stock_location.update",
            "stock_location.move",
            "stock_location.delete"
        ]
    );
}

#[tokio::test]
async fn a_catalog_member_makes_a_draft_product_that_waits_for_a_variant_to_be_published() {
    let db = db().await;
    let ip = address(15);
    let (email, catalog) = member(&db, HARBOR, Role::Catalog, &ip).await;
    let n = stamp() % 1_000_000_000;
    let title = format!("Harbour Test Throw {n}");
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        "/admin/products",
        Some(json!({"title": title, "description": "Waffle cotton."})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let product = &body["product"];
    let id = product["id"].as_str().unwrap().to_owned();
    let handle = product["handle"].as_str().unwrap().to_owned();
    assert_eq!(handle, format!("harbour-test-throw-{n}"));
    assert_eq!(product["status"], "draft");

    // Shoppers do not see a draft.
    let res = client()
        .get(url(&format!("/store/products?handle={handle}&fields=d{n}")))
        .header("x-publishable-api-key", e2e::HARBOR_KEY)
        .send()
        .await
        .unwrap();
    let listed: Value = res.json().await.unwrap();
    assert_eq!(listed["count"], 0, "{listed}");

    // Published only with a variant; a taken handle is refused; a change is kept.
    let path = format!("/admin/products/{id}");
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &path,
        Some(json!({"status": "published"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("variant"),
        "{body}"
    );
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &path,
        Some(json!({"handle": "linen-camp-shirt"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "duplicate_handle");
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &path,
        Some(json!({"subtitle": "For the reading chair"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["product"]["subtitle"], "For the reading chair");
    assert_eq!(
        body["product"]["title"],
        title.as_str(),
        "absent fields stay"
    );
    let (status, body) = with_cookie(Method::GET, &catalog, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["product"]["subtitle"], "For the reading chair");

    // A variant priced in every currency of the store's regions (Medusa's path), stock
    // from an inventory member, then published: shoppers find it and can buy it.
    let currencies: Vec<String> = db
        .query(
            "SELECT DISTINCT currency_code FROM regions WHERE store_id = $1",
            &[&HARBOR],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let variants = format!("{path}/variants");
    let one_price = json!([{"currency_code": currencies[0], "amount": 59}]);
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &variants,
        Some(json!({"title": "Oat", "sku": format!("HTT-{n}"), "prices": one_price})),
    )
    .await;
    if currencies.len() > 1 {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["message"]
            .as_str()
            .unwrap()
            .contains("a price is needed"));
    }
    let prices: Vec<Value> = currencies
        .iter()
        .map(|c| json!({"currency_code": c, "amount": 59.5}))
        .collect();
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &variants,
        Some(json!({"title": "Oat", "sku": format!("HTT-{n}-OAT"), "prices": prices})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let variant = body["product"]["variants"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, stocker) = member(&db, HARBOR, Role::Inventory, &ip).await;
    let (_, levels) = with_cookie(
        Method::GET,
        &stocker,
        &format!("/admin/inventory-items/{variant}/location-levels"),
        None,
    )
    .await;
    let location = levels["inventory_levels"][0]["location_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = with_cookie(
        Method::POST,
        &stocker,
        &format!("/admin/inventory-items/{variant}/location-levels/{location}"),
        Some(json!({"stocked_quantity": 7, "reason": "received"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &path,
        Some(json!({"status": "published"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = client()
        .get(url(&format!(
            "/store/products?handle={handle}&region_id=reg_HPEU&fields=p{n}"
        )))
        .header("x-publishable-api-key", e2e::HARBOR_KEY)
        .send()
        .await
        .unwrap();
    let listed: Value = res.json().await.unwrap();
    assert_eq!(listed["count"], 1, "{listed}");
    let shown = &listed["products"][0]["variants"][0];
    assert_eq!(shown["inventory_quantity"], 7);
    assert_eq!(
        shown["calculated_price"]["calculated_amount"].as_f64(),
        Some(59.5)
    );
    let (status, body) = e2e::checkout::call(
        "POST",
        "/store/carts",
        Some(json!({"region_id": "reg_HPEU", "items": [{"variant_id": variant, "quantity": 2}]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cart"]["items"][0]["quantity"], 2);
    // Back to a draft, so that the shared demo catalog stays as the other tests know it.
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &path,
        Some(json!({"status": "draft"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The pages: found in the list, a refused form keeps what was typed.
    let list = call(
        Method::GET,
        &format!("/admin/products?q=harbour+test+throw+{n}&status=draft"),
        Some(&catalog),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(list.contains(&path), "{list}");
    let res = client()
        .post(url("/admin/products"))
        .header("cookie", &catalog)
        .form(&[
            ("title", ""),
            ("handle", "Bad Handle"),
            ("description", "Kept"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(page.contains("Give the product a title.") && page.contains("lower-case letters"));
    assert!(page.contains(">Kept</textarea>") && page.contains("value=\"Bad Handle\""));

    // The audit log and the events.
    let actions = audited_actions(&db, &email, "product.").await;
    assert_eq!(
        actions,
        [
            "product.create",
            "product.update",
            "product.variant.create",
            "product.update",
            "product.update"
        ]
    );
    let events: Vec<String> = db
        .query(
            "SELECT topic FROM outbox WHERE payload->'payload'->>'product_id' = $1 ORDER BY id",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        events,
        [
            "product.created",
            "product.updated",
            "product.updated",
            "product.updated",
            "product.updated"
        ]
    );

    // An analyst reads products and writes none.
    let (_, analyst) = member(&db, HARBOR, Role::Analyst, &ip).await;
    let (status, _) = with_cookie(Method::GET, &analyst, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = with_cookie(
        Method::POST,
        &analyst,
        &path,
        Some(json!({"title": "Mine now"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A form posted to an admin page as a signed-in member: the status and the page (or
/// the redirect's target).
async fn post_form(cookie: &str, path: &str, form: &[(String, String)]) -> (StatusCode, String) {
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

#[tokio::test]
async fn a_catalog_member_makes_four_variants_from_two_options_and_changes_them() {
    let db = db().await;
    let ip = address(16);
    let (email, catalog) = member(&db, HARBOR, Role::Catalog, &ip).await;
    let n = stamp() % 1_000_000_000;
    // Medusa's create: the product with its two options.
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        "/admin/products",
        Some(json!({
            "title": format!("Harbour Deck Tee {n}"),
            "options": [{"title": "Size", "values": ["S", "M"]},
                        {"title": "Colour", "values": ["Sand", "Slate"]}],
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["product"]["id"].as_str().unwrap().to_owned();
    let handle = body["product"]["handle"].as_str().unwrap().to_owned();
    assert_eq!(body["product"]["options"][1]["values"][1]["value"], "Slate");
    let path = format!("/admin/products/{id}");

    // The page says four combinations have no variant; its form makes them.
    let page = call(Method::GET, &path, Some(&catalog))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Make 4 variants"), "{page}");
    let currencies: Vec<String> = db
        .query(
            "SELECT DISTINCT currency_code FROM regions WHERE store_id = $1 ORDER BY 1",
            &[&HARBOR],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        currencies.len() >= 2,
        "the demo store sells in two currencies or more"
    );
    let mut form: Vec<(String, String)> = currencies
        .iter()
        .map(|c| (format!("price.{c}"), "24.00".to_owned()))
        .collect();
    form.push(("sku_prefix".into(), format!("HDT{n}")));
    form.push(("manage_inventory".into(), "yes".into()));
    // A price missing: refused, the form keeps the prefix, nothing made.
    let (status, page) =
        post_form(&catalog, &format!("{path}/generate-variants"), &form[1..]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("a price is needed in") && page.contains(&format!("value=\"HDT{n}\"")));
    let (status, location) = post_form(&catalog, &format!("{path}/generate-variants"), &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert_eq!(location, format!("{path}?saved=generated"));
    let (_, body) = with_cookie(Method::GET, &catalog, &path, None).await;
    let variants = body["product"]["variants"].as_array().unwrap().clone();
    let titles: Vec<&str> = variants
        .iter()
        .map(|v| v["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["S / Sand", "S / Slate", "M / Sand", "M / Slate"]);
    assert_eq!(variants[3]["sku"], format!("HDT{n}-M-SLATE"));
    assert_eq!(
        variants[0]["prices"].as_array().unwrap().len(),
        currencies.len()
    );
    assert_eq!(variants[0]["prices"][0]["amount"], 24);

    // One variant's own page: a refused weight keeps what was typed; a new price saves.
    let first = variants[0]["id"].as_str().unwrap().to_owned();
    let variant_path = format!("{path}/variants/{first}");
    let page = call(Method::GET, &variant_path, Some(&catalog))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("S / Sand") && page.contains("Stock of S / Sand"));
    let mut change: Vec<(String, String)> = currencies
        .iter()
        .map(|c| (format!("price.{c}"), "26.50".to_owned()))
        .collect();
    change.push(("title".into(), "S / Sand".into()));
    change.push(("sku".into(), format!("HDT{n}-S-SAND")));
    change.push(("manage_inventory".into(), "yes".into()));
    change.push(("weight".into(), "heavy".into()));
    let (status, page) = post_form(&catalog, &variant_path, &change).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("whole grams") && page.contains("value=\"heavy\""));
    change.last_mut().unwrap().1 = "180".into();
    let (status, location) = post_form(&catalog, &variant_path, &change).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (status, body) = with_cookie(Method::GET, &catalog, &variant_path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["variant"]["weight"], 180);
    assert_eq!(body["variant"]["prices"][0]["amount"], 26.5);
    assert_eq!(body["variant"]["options"][0]["value"], "S");

    // Removing the value M asks first and names the two variants that go.
    let size = &body_of(&catalog, &path).await["product"]["options"][0];
    let size_id = size["id"].as_str().unwrap().to_owned();
    let mut edit: Vec<(String, String)> = size["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let text = v["value"].as_str().unwrap();
            (
                format!("value.{}", v["id"].as_str().unwrap()),
                if text == "M" {
                    String::new()
                } else {
                    text.to_owned()
                },
            )
        })
        .collect();
    edit.push(("title".into(), "Size".into()));
    let option_path = format!("{path}/options/{size_id}");
    let (status, page) = post_form(&catalog, &option_path, &edit).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Saving removes these variants"), "{page}");
    assert!(page.contains("<li>M / Sand</li>") && page.contains("<li>M / Slate</li>"));
    edit.push(("confirm".into(), "yes".into()));
    let (status, _) = post_form(&catalog, &option_path, &edit).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let body = body_of(&catalog, &path).await;
    assert_eq!(body["product"]["variants"].as_array().unwrap().len(), 2);
    // An option of two values is not removed; a variant is (Medusa's paths).
    let colour = body["product"]["options"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, answer) = with_cookie(
        Method::DELETE,
        &catalog,
        &format!("{path}/options/{colour}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["code"], "option_in_use");
    let slate = body["product"]["variants"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, answer) = with_cookie(
        Method::DELETE,
        &catalog,
        &format!("{path}/variants/{slate}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["deleted"].as_bool(), answer["object"].as_str()),
        (Some(true), Some("variant"))
    );
    assert_eq!(answer["parent"]["variants"].as_array().unwrap().len(), 1);

    // Published, the Store API shows the options and the variant's new price.
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &path,
        Some(json!({"status": "published"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let res = client()
        .get(url(&format!(
            "/store/products?handle={handle}&region_id=reg_HPEU&fields=o{n}"
        )))
        .header("x-publishable-api-key", e2e::HARBOR_KEY)
        .send()
        .await
        .unwrap();
    let listed: Value = res.json().await.unwrap();
    let shown = &listed["products"][0];
    assert_eq!(shown["options"].as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(
        shown["variants"][0]["calculated_price"]["calculated_amount"].as_f64(),
        Some(26.5)
    );
    assert_eq!(shown["variants"][0]["weight"], 180);
    let (status, _) = with_cookie(
        Method::POST,
        &catalog,
        &path,
        Some(json!({"status": "draft"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let actions = audited_actions(&db, &email, "product.").await;
    assert_eq!(
        actions,
        [
            "product.create",
            "product.variant.generate",
            "product.variant.update",
            "product.option.update",
            "product.variant.delete",
            "product.update",
            "product.update"
        ]
    );
}

async fn body_of(cookie: &str, path: &str) -> Value {
    let (status, body) = with_cookie(Method::GET, cookie, path, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_catalog_member_uploads_images_whose_type_is_read_from_their_bytes() {
    use reqwest::multipart::{Form, Part};
    let db = db().await;
    let ip = address(17);
    let (email, catalog) = member(&db, HARBOR, Role::Catalog, &ip).await;
    let n = stamp() % 1_000_000_000;
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        "/admin/products",
        Some(json!({"title": format!("Harbour Image Tee {n}")})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["product"]["id"].as_str().unwrap().to_owned();
    let path = format!("/admin/products/{id}");
    let upload = |bytes: Vec<u8>, name: &str, alt: &str| {
        let form = Form::new()
            .part("image", Part::bytes(bytes).file_name(name.to_owned()))
            .text("alt", alt.to_owned());
        client()
            .post(url(&format!("{path}/images")))
            .header("cookie", &catalog)
            .multipart(form)
            .send()
    };
    // Text named .png is refused for what it is; the page says so beside the field.
    let res = upload(b"not an image at all".to_vec(), "fake.png", "Fake")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Only JPEG, PNG and WebP images are accepted."),
        "{page}"
    );
    // A real PNG is stored under a key made from its content and served from there.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../r2-assets/demo/products");
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    files.sort();
    let (first, second) = (
        std::fs::read(&files[0]).unwrap(),
        std::fs::read(&files[1]).unwrap(),
    );
    let res = upload(first.clone(), "front.png", "Folded, front")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = upload(second, "back.png", "").await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let body = body_of(&catalog, &path).await;
    let shown = body["product"]["images"].as_array().unwrap().clone();
    assert_eq!(shown.len(), 2, "{body}");
    assert_eq!(shown[0]["alt"], "Folded, front");
    assert!(shown[0]["width"].as_i64().unwrap() > 0);
    let image_url = shown[0]["url"].as_str().unwrap().to_owned();
    assert!(image_url.contains("/images/uploads/"), "{image_url}");
    assert_eq!(
        body["product"]["thumbnail"],
        image_url.as_str(),
        "the first is the list image"
    );
    let res = client()
        .get(url(&image_url[image_url.find("/images/").unwrap()..]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().len(), first.len());

    // The second moves first; its alt text is set; the first is removed.
    let second_id = shown[1]["id"].as_str().unwrap().to_owned();
    let (status, _) = post_form(
        &catalog,
        &format!("{path}/images/{second_id}/move"),
        &[("direction".into(), "up".into())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &format!("{path}/images/{second_id}"),
        Some(json!({"alt": "Folded, back"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["product"]["images"][0]["alt"], "Folded, back");
    assert_eq!(
        body["product"]["thumbnail"],
        body["product"]["images"][0]["url"]
    );
    let first_id = shown[0]["id"].as_str().unwrap();
    let (status, body) = with_cookie(
        Method::DELETE,
        &catalog,
        &format!("{path}/images/{first_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body = body_of(&catalog, &path).await;
    assert_eq!(body["product"]["images"].as_array().unwrap().len(), 1);

    let actions = audited_actions(&db, &email, "product.image").await;
    assert_eq!(
        actions,
        [
            "product.image.create",
            "product.image.create",
            "product.image.move",
            "product.image.update",
            "product.image.delete"
        ]
    );
}

#[tokio::test]
async fn a_shopify_csv_is_checked_then_imported_in_the_background_and_exported() {
    use reqwest::multipart::{Form, Part};
    let db = db().await;
    let ip = address(18);
    let (email, catalog) = member(&db, HARBOR, Role::Catalog, &ip).await;
    let n = stamp() % 1_000_000_000;
    let regions: Vec<(String, String)> = db
        .query(
            "SELECT name, currency_code FROM regions WHERE store_id = $1 ORDER BY name",
            &[&HARBOR],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let default: String = db
        .query_one(
            "SELECT default_currency_code FROM stores WHERE id = $1",
            &[&HARBOR],
        )
        .await
        .unwrap()
        .get(0);
    let mut others: Vec<&(String, String)> = Vec::new();
    for r in &regions {
        if r.1 != default && !others.iter().any(|o| o.1 == r.1) {
            others.push(r);
        }
    }
    let mut file = String::from(
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Inventory Tracker,Variant Inventory Qty,Variant Price",
    );
    for (name, _) in &others {
        file.push_str(&format!(",Price / {name}"));
    }
    file.push_str(",Image Src\n");
    let extra = ",12.00".repeat(others.len());
    for i in 0..3 {
        // The first sock's image is uploaded with the file, named as Shopify's CDN would.
        let image = match i {
            0 => format!("https://cdn.shopify.com/s/files/1/sock-{n}.png?v=3"),
            _ => String::new(),
        };
        file.push_str(&format!(
            "csv-{n}-{i},CSV Sock {n} {i},Size,S,CSV{n}-{i}-S,shopify,4,10.00{extra},{image}\n"
        ));
        file.push_str(&format!(
            "csv-{n}-{i},,,M,CSV{n}-{i}-M,shopify,2,10.00{extra},\n"
        ));
    }
    // One broken row: its price is no number.
    file.push_str(&format!("csv-{n}-2,,,L,CSV{n}-2-L,shopify,1,ten{extra},\n"));
    let png = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../r2-assets/demo/products"
    ))
    .unwrap()
    .map(|e| e.unwrap().path())
    .find(|p| p.extension().is_some_and(|x| x == "png"))
    .unwrap();
    let png = std::fs::read(png).unwrap();
    let upload = |accept_json: bool| {
        let form = Form::new()
            .part(
                "file",
                Part::bytes(file.clone().into_bytes()).file_name("socks.csv"),
            )
            .part(
                "images",
                Part::bytes(png.clone())
                    .file_name(format!("sock-{n}.png"))
                    .mime_str("image/png")
                    .unwrap(),
            );
        let mut req = client()
            .post(url("/admin/products/import"))
            .header("cookie", &catalog)
            .multipart(form);
        if accept_json {
            req = req.header("accept", "application/json");
        }
        req.send()
    };
    // The JSON client gets Medusa's dry run: nothing written yet.
    let res = upload(true).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let checked: Value = res.json().await.unwrap();
    assert_eq!(checked["summary"]["toCreate"], 3, "{checked}");
    assert_eq!(checked["refused_rows"], 1);
    assert_eq!(checked["problems"][0]["row"], 8);
    assert_eq!(checked["problems"][0]["column"], "Variant Price");
    let made: i64 = db
        .query_one(
            "SELECT count(*) FROM products WHERE handle LIKE $1",
            &[&format!("csv-{n}-%")],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(made, 0, "a dry run writes nothing");

    // The page: checked, the problem by row and column, then confirmed.
    let res = upload(false).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page_path = res.headers()["location"].to_str().unwrap().to_owned();
    let page = call(Method::GET, &page_path, Some(&catalog))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Import 3 products") && page.contains("a price in"),
        "{page}"
    );
    let (status, location) = post_form(&catalog, &format!("{page_path}/confirm"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    // The origin's job runner writes it; the page's JSON says how far it is.
    let mut import = Value::Null;
    for _ in 0..100 {
        import = body_of(&catalog, &page_path).await["import"].clone();
        if import["status"] == "done" || import["status"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(import["status"], "done", "{import}");
    assert_eq!(
        (
            import["done"].as_i64(),
            import["summary"]["created"].as_i64()
        ),
        (Some(3), Some(3))
    );
    let variants: i64 = db
        .query_one(
            "SELECT count(*) FROM product_variants v JOIN products p ON p.id = v.product_id
             WHERE p.handle LIKE $1 AND p.status = 'published'",
            &[&format!("csv-{n}-%")],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(variants, 6, "the broken row left out");
    let image: String = db
        .query_one(
            "SELECT i.r2_key FROM product_images i JOIN products p ON p.id = i.product_id
             WHERE p.handle = $1",
            &[&format!("csv-{n}-0")],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        image.starts_with("uploads/") && image.ends_with(".png"),
        "{image}"
    );
    let served = client()
        .get(url(&format!("/images/{image}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        served.status(),
        StatusCode::OK,
        "the uploaded image is in the bucket"
    );
    // Confirming again is refused; the export has the products.
    let (status, _) = post_form(&catalog, &format!("{page_path}/confirm"), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let res = call(Method::GET, "/admin/products/export.csv", Some(&catalog)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("Handle,Title,Body (HTML)"));
    assert!(csv.contains(&format!("csv-{n}-1,CSV Sock {n} 1,")));
    // Back to drafts, so that the shared demo catalog stays as the other tests know it.
    db.execute(
        "UPDATE products SET status = 'draft' WHERE handle LIKE $1",
        &[&format!("csv-{n}-%")],
    )
    .await
    .unwrap();
    let actions = audited_actions(&db, &email, "product.import").await;
    assert_eq!(
        actions,
        [
            "product.import.check",
            "product.import.check",
            "product.import.confirm"
        ]
    );
}

#[tokio::test]
async fn a_catalog_member_arranges_categories_and_collections_and_places_a_product() {
    let db = db().await;
    let ip = address(19);
    let (email, catalog) = member(&db, HARBOR, Role::Catalog, &ip).await;
    let n = stamp() % 1_000_000_000;
    // Medusa's paths: a category inside another, a collection.
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        "/admin/product-categories",
        Some(json!({"name": format!("Outerwear {n}")})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let outer = body["product_category"]["id"].as_str().unwrap().to_owned();
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        "/admin/product-categories",
        Some(json!({"name": format!("Rain Jackets {n}"), "parent_category_id": outer})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rain = body["product_category"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        body["product_category"]["parent_category_id"],
        outer.as_str()
    );
    // Never inside its own subcategory; kept while it has one.
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &format!("/admin/product-categories/{outer}"),
        Some(json!({"parent_category_id": rain})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = with_cookie(
        Method::DELETE,
        &catalog,
        &format!("/admin/product-categories/{outer}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "category_in_use");
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        "/admin/collections",
        Some(json!({"title": format!("Storm Season {n}")})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let storm = body["collection"]["id"].as_str().unwrap().to_owned();

    // The page: a taken handle is refused beside its field and the form keeps the name.
    let (status, page) = post_form(
        &catalog,
        "/admin/product-categories",
        &[
            ("name".into(), "Kept name".into()),
            ("handle".into(), format!("outerwear-{n}")),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("is another category") && page.contains("value=\"Kept name\""));

    // A new product placed in the subcategory and the collection from its page.
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        "/admin/products",
        Some(json!({"title": format!("Harbour Rain Jacket {n}")})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let product = body["product"]["id"].as_str().unwrap().to_owned();
    let page = call(
        Method::GET,
        &format!("/admin/products/{product}"),
        Some(&catalog),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        page.contains(&format!("Rain Jackets {n}")),
        "the page offers the category"
    );
    let (status, _) = post_form(
        &catalog,
        &format!("/admin/products/{product}/organize"),
        &[
            (format!("category.{rain}"), "yes".into()),
            ("collection_id".into(), storm.clone()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let doc: Value = db
        .query_one(
            "SELECT doc::jsonb FROM product_docs WHERE product_id = $1",
            &[&product],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(doc["collection"]["id"], storm.as_str());
    assert_eq!(doc["categories"][0]["id"], rain.as_str());
    // Taken out through Medusa's path; the subcategory goes, then its parent may.
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &format!("/admin/product-categories/{rain}/products"),
        Some(json!({"remove": [product]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for id in [&rain, &outer] {
        let (status, body) = with_cookie(
            Method::DELETE,
            &catalog,
            &format!("/admin/product-categories/{id}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _) = with_cookie(
        Method::DELETE,
        &catalog,
        &format!("/admin/collections/{storm}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let actions = audited_actions(&db, &email, "product_category.").await;
    assert_eq!(
        actions,
        [
            "product_category.create",
            "product_category.create",
            "product_category.products",
            "product_category.delete",
            "product_category.delete"
        ]
    );
}

#[tokio::test]
async fn a_catalog_member_describes_products_with_attributes_that_shoppers_filter_by() {
    let db = db().await;
    let ip = address(23);
    let (_, catalog) = member(&db, HARBOR, Role::Catalog, &ip).await;
    let n = stamp() % 1_000_000_000;
    let key = format!("fabric_{n}");
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        "/admin/product-attributes",
        Some(
            json!({"label": format!("Fabric {n}"), "key": key, "kind": "choice",
                    "choices": ["Linen", "Wool"], "filterable": true}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let attribute = body["product_attribute"]["id"].as_str().unwrap().to_owned();
    // A free-text attribute cannot be a filter; the page says so beside the box.
    let (status, page) = post_form(
        &catalog,
        "/admin/product-attributes",
        &[
            ("label".into(), format!("Care {n}")),
            ("kind".into(), "text".into()),
            ("filterable".into(), "yes".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Only yes-or-no and list attributes")
            && page.contains(&format!("value=\"Care {n}\""))
    );

    // A published product with one variant, priced in every currency, and a barcode.
    let currencies: Vec<String> = db
        .query(
            "SELECT DISTINCT currency_code FROM regions WHERE store_id = $1",
            &[&HARBOR],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let prices: Vec<Value> = currencies
        .iter()
        .map(|c| json!({"currency_code": c, "amount": 30}))
        .collect();
    let handle = format!("linen-apron-{n}");
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        "/admin/products",
        Some(
            json!({"title": format!("Linen Apron {n}"), "handle": handle, "status": "published",
                    "variants": [{"title": "One size", "sku": format!("APRON-{n}"),
                                  "barcode": format!("{n}"), "manage_inventory": false,
                                  "prices": prices}]}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let product = body["product"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["product"]["variants"][0]["barcode"], format!("{n}"));

    // Its value from the product's page: a wrong one is refused and kept as typed.
    let (status, page) = post_form(
        &catalog,
        &format!("/admin/products/{product}/attributes"),
        &[(format!("attr.{key}"), "Silk".into())],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("one of: Linen, Wool"), "{page}");
    let (status, location) = post_form(
        &catalog,
        &format!("/admin/products/{product}/attributes"),
        &[(format!("attr.{key}"), "linen".into())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let body = body_of(&catalog, &format!("/admin/products/{product}")).await;
    assert_eq!(body["product"]["attributes"][&key], "Linen");

    // The Store API filters by it at once (uncached: a new fields= value) and shows it.
    let store_list = |filter: String| async move {
        let res = client()
            .get(url(&format!(
                "/store/products?{filter}&fields=a{}",
                stamp()
            )))
            .header("x-publishable-api-key", e2e::HARBOR_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<Value>().await.unwrap()
    };
    let listed = store_list(format!("attributes[{key}]=Linen")).await;
    assert_eq!(listed["count"], 1, "{listed}");
    assert_eq!(listed["products"][0]["handle"], handle.as_str());
    assert_eq!(listed["products"][0]["attributes"][0]["value"], "Linen");
    let listed = store_list(format!("attributes[{key}]=Wool")).await;
    assert_eq!(listed["count"], 0, "{listed}");
    // The shop: the product's details, and the listing's filter with its count.
    let html = |path: String| async move {
        let res = client().get(url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.text().await.unwrap()
    };
    let shown = html(format!("/products/{handle}")).await;
    assert!(
        shown.contains(&format!("<dt>Fabric {n}</dt><dd>Linen</dd>")),
        "{shown}"
    );
    let listing = html(format!("/products?attr_{key}=Linen")).await;
    assert!(listing.contains(&format!("Linen Apron {n}")), "{listing}");
    assert!(listing.contains(&format!("<legend>Fabric {n}</legend>")));
    assert!(
        listing.contains(&format!("Fabric {n}: Linen")),
        "the filter's chip"
    );
    let refused = client()
        .get(url("/store/products?attributes=Linen"))
        .header("x-publishable-api-key", e2e::HARBOR_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // Removing the choice the product has asks first, then takes its value.
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &format!("/admin/product-attributes/{attribute}"),
        Some(json!({"choices": ["Wool"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "attribute_in_use");
    let (status, page) = post_form(
        &catalog,
        &format!("/admin/product-attributes/{attribute}"),
        &[
            ("label".into(), format!("Fabric {n}")),
            ("key".into(), key.clone()),
            ("kind".into(), "choice".into()),
            ("choices".into(), "Wool".into()),
            ("filterable".into(), "yes".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Yes, change those products"), "{page}");
    let (status, _) = with_cookie(
        Method::DELETE,
        &catalog,
        &format!("/admin/product-attributes/{attribute}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = with_cookie(
        Method::DELETE,
        &catalog,
        &format!("/admin/product-attributes/{attribute}?confirm=true"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body = body_of(&catalog, &format!("/admin/products/{product}")).await;
    assert_eq!(body["product"]["attributes"], json!({}));

    // Archived, it leaves the shop and the admin's list, and comes back when asked.
    let (status, body) = with_cookie(
        Method::POST,
        &catalog,
        &format!("/admin/products/{product}"),
        Some(json!({"status": "archived"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed = store_list(format!("handle={handle}")).await;
    assert_eq!(listed["count"], 0, "{listed}");
    let list = body_of(&catalog, &format!("/admin/products?q=apron+{n}")).await;
    assert_eq!(list["count"], 0, "{list}");
    let list = body_of(
        &catalog,
        &format!("/admin/products?q=apron+{n}&status=archived"),
    )
    .await;
    assert_eq!(list["count"], 1, "{list}");
}

#[tokio::test]
async fn an_analyst_reads_the_days_figures_as_charts_json_and_csv() {
    let db = db().await;
    let ip = address(24);
    let (_, analyst) = member(&db, HARBOR, Role::Analyst, &ip).await;
    // A scripted day (2020-01-01, which no other test touches; fixed keys, so a second
    // run adds nothing): two visitors, two views, an add, a checkout, a purchase.
    let today: String = db
        .query_one("SELECT (now() AT TIME ZONE 'UTC')::date::text", &[])
        .await
        .unwrap()
        .get(0);
    for (key, name, actor, metadata) in [
        (
            "e2e-2020-1",
            "view_item",
            "v_e2e_a",
            json!({"product_id": "prod_HP0001"}),
        ),
        (
            "e2e-2020-2",
            "view_item",
            "v_e2e_b",
            json!({"product_id": "prod_HP0001"}),
        ),
        (
            "e2e-2020-3",
            "add_to_cart",
            "v_e2e_b",
            json!({"product_id": "prod_HP0001", "quantity": 1}),
        ),
        ("e2e-2020-4", "begin_checkout", "v_e2e_b", json!({})),
        (
            "e2e-2020-5",
            "purchase",
            "v_e2e_b",
            json!({"currency": "eur", "value": 1234,
            "items": [{"product_id": "prod_HP0001", "quantity": 1, "total": 1234}]}),
        ),
    ] {
        db.execute(
            "INSERT INTO analytics_events (store_id, name, actor, metadata, occurred_at, event_key)
             VALUES ($1, $2, $3, $4, timestamptz '2020-01-01 12:00:00Z', $5)
             ON CONFLICT (event_key) DO NOTHING",
            &[&HARBOR, &name, &actor, &metadata, &key],
        )
        .await
        .unwrap();
    }
    let stats = body_of(
        &analyst,
        "/admin/analytics/stats?from=2020-01-01&to=2020-01-01",
    )
    .await;
    let day = &stats["days"][0];
    assert_eq!(
        (
            &day["visitors"],
            &day["product_views"],
            &day["adds_to_cart"],
            &day["checkouts"],
            &day["orders"]
        ),
        (&json!(2), &json!(2), &json!(1), &json!(1), &json!(1)),
        "{stats}"
    );
    assert_eq!(
        day["revenue"][0],
        json!({"currency": "eur", "orders": 1, "revenue": 1234})
    );
    assert_eq!(
        stats["funnel"][2]["conversion"], 0.5,
        "an add per two views"
    );
    assert_eq!(stats["top_by_revenue"][0]["value"], 1234);
    // The page draws those numbers and lists them beside each chart.
    let page = call(
        Method::GET,
        "/admin/analytics?from=2020-01-01&to=2020-01-01",
        Some(&analyst),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains("12.34"), "the revenue");
    assert!(
        page.contains("adds to cart (50.0 %)"),
        "the funnel's conversion"
    );
    assert!(page.contains("Linen Camp Shirt"), "the top product");
    let default = body_of(&analyst, "/admin/analytics/stats").await;
    assert_eq!(
        default["days"].as_array().unwrap().len(),
        30,
        "the last 30 days"
    );
    assert_eq!(default["to"], today.as_str());
    // The page: charts with their titles, descriptions and tables.
    let page = call(Method::GET, "/admin/analytics", Some(&analyst))
        .await
        .text()
        .await
        .unwrap();
    for needle in [
        "<svg",
        "Revenue per day (EUR)",
        "Orders per day",
        "The funnel",
        "<desc id=\"orders-desc\">",
    ] {
        assert!(page.contains(needle), "{needle}");
    }
    let refused = call(
        Method::GET,
        &format!("/admin/analytics?from={today}&to=2020-01-01"),
        Some(&analyst),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("the range ends before it begins"));
    let res = call(
        Method::GET,
        &format!("/admin/analytics.csv?from={today}&to={today}"),
        Some(&analyst),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with(
        "day,visitors,product_views,list_views,searches,adds_to_cart,checkouts_begun,orders,"
    ));
    assert!(csv.lines().nth(1).unwrap().starts_with(&today));
}
