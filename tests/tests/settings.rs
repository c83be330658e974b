//! A store's settings through `wrangler dev`, in a store of its own made for the test
//! (so no other test's shop changes): an owner renames it and picks its default
//! region, adds and removes hostnames (another store's refused), makes a region (a
//! country another region serves refused, the form kept as typed), changes its tax
//! rate through Medusa's path (its currency fixed), gives it shipping options through
//! the page and the API (ordered, the last one kept), and gives a stock location an
//! address, and sets the search synonyms (a bad line named, the text kept as typed;
//! the Store API's search using them); each change audited, shipping and synonym
//! changes moving the catalog version.

use std::time::{SystemTime, UNIX_EPOCH};

use commerce::staff::{Role, StoreRole};
use e2e::staff::api;
use e2e::{client, db, url};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn stamp() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// A store of its own with one region (Germany), one shipping option and a location;
/// answers its id, region, location, host and an owner's session cookie and e-mail.
async fn own_store(
    db: &tokio_postgres::Client,
) -> (String, String, String, String, String, String) {
    let n = stamp();
    let store = format!("store_SETTINGS{n}");
    let region = format!("reg_SET{n}");
    let location = format!("sloc_SET{n}");
    let host = format!("settings-{n}.test");
    db.batch_execute(&format!(
        "INSERT INTO stores (id, name, publishable_key, default_currency_code)
           VALUES ('{store}', 'Settings test', 'pk_settings_{n}', 'eur');
         INSERT INTO store_hosts (hostname, store_id) VALUES ('{host}', '{store}');
         INSERT INTO regions (id, store_id, name, currency_code, tax_rate_bp, tax_inclusive)
           VALUES ('{region}', '{store}', 'Home', 'eur', 2000, true);
         INSERT INTO region_countries (store_id, region_id, iso_2) VALUES ('{store}', '{region}', 'de');
         INSERT INTO shipping_options (id, store_id, region_id, name, kind, amount, threshold, rank)
           VALUES ('so_SET{n}', '{store}', '{region}', 'Standard', 'flat', 495, NULL, 0);
         INSERT INTO stock_locations (id, store_id, name) VALUES ('{location}', '{store}', 'Depot');"
    ))
    .await
    .unwrap();
    let email = format!("owner-{n}@settings.test");
    let ip = format!("198.18.7.{}", n % 250 + 1);
    let owner = StoreRole::builtin(Role::Owner);
    let cookie = e2e::staff::member(db, &store, &owner, &email, &ip).await;
    (store, region, location, host, cookie, email)
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

async fn version(db: &tokio_postgres::Client, store: &str) -> i64 {
    db.query_one(
        "SELECT catalog_version FROM stores WHERE id = $1",
        &[&store],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn an_owner_names_the_store_picks_its_default_region_and_keeps_its_hostnames() {
    let db = db().await;
    let (store, region, _, host, cookie, email) = own_store(&db).await;
    let html = page(&cookie, "/admin/settings").await;
    assert!(
        html.contains("Store settings") && html.contains(&host),
        "{html}"
    );
    assert!(html.contains(r#"href="/admin/settings" aria-current="page""#));

    // A refused form keeps what was typed, the problem beside its field.
    let (status, html) = post_form(
        &cookie,
        "/admin/settings",
        &[("name", " "), ("default_region_id", region.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Give the store a name"), "{html}");
    assert!(
        html.contains(&format!(r#"value="{region}" selected"#)),
        "{html}"
    );
    let before = version(&db, &store).await;
    let (status, to) = post_form(
        &cookie,
        "/admin/settings",
        &[
            ("name", "Settings & Sons"),
            ("default_region_id", region.as_str()),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/admin/settings?saved=store")
    );
    assert!(
        version(&db, &store).await > before,
        "the shop shows the name"
    );
    let (_, body) = api(
        Method::GET,
        &cookie,
        &format!("/admin/stores/{store}"),
        None,
    )
    .await;
    assert_eq!(body["store"]["name"], "Settings & Sons");
    assert_eq!(body["store"]["default_region_id"], region.as_str());

    // Hostnames: another store's refused, a port refused, one added and removed.
    let (status, html) = post_form(
        &cookie,
        "/admin/settings/hosts",
        &[("hostname", "harbor.localhost")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("serves another store") && html.contains(r#"value="harbor.localhost""#));
    let (status, html) = post_form(
        &cookie,
        "/admin/settings/hosts",
        &[("hostname", "shop.test:8443")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("without a port"), "{html}");
    let extra = format!("WWW.{host}");
    let (status, _) = post_form(
        &cookie,
        "/admin/settings/hosts",
        &[("hostname", extra.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let lower = extra.to_lowercase();
    let (status, html) = post_form(
        &cookie,
        "/admin/settings/hosts/delete",
        &[("hostname", lower.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "asked first");
    assert!(html.contains("tick the box"));
    let (status, _) = post_form(
        &cookie,
        "/admin/settings/hosts/delete",
        &[("hostname", lower.as_str()), ("confirm", "yes")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = post_form(
        &cookie,
        "/admin/settings/hosts/delete",
        &[("hostname", host.as_str()), ("confirm", "yes")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("only hostname"), "{html}");

    // Medusa's paths: only the member's own store; null clears the default region.
    let (status, _) = api(Method::GET, &cookie, "/admin/stores/store_HARBORPINE", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = api(
        Method::POST,
        &cookie,
        &format!("/admin/stores/{store}"),
        Some(json!({"default_region_id": null})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["store"]["default_region_id"], Value::Null);
    assert_eq!(body["store"]["name"], "Settings & Sons");
    let (_, body) = api(Method::GET, &cookie, "/admin/stores", None).await;
    assert_eq!(body["stores"].as_array().unwrap().len(), 1);
    let actions: Vec<String> = db
        .query(
            "SELECT a.action FROM audit_log a JOIN staff_users u ON u.id = a.user_id
             WHERE u.email = $1 AND starts_with(a.action, 'store.') ORDER BY a.id",
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
            "store.update",
            "store.host_add",
            "store.host_remove",
            "store.update"
        ]
    );
}

#[tokio::test]
async fn an_owner_makes_a_region_sets_its_tax_and_its_shipping_options() {
    let db = db().await;
    let (store, _, location, _, cookie, _) = own_store(&db).await;
    // Germany is Home's: refused beside the countries, the form as typed.
    let (status, html) = post_form(
        &cookie,
        "/admin/regions",
        &[
            ("name", "North"),
            ("currency_code", "sek"),
            ("tax_rate", "25"),
            ("countries", "se, de"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains("Germany (de) is served by the region Home"),
        "{html}"
    );
    assert!(html.contains(r#"value="North""#) && html.contains(r#"value="se, de""#));
    let (status, to) = post_form(
        &cookie,
        "/admin/regions",
        &[
            ("name", "North"),
            ("currency_code", "sek"),
            ("tax_rate", "25"),
            ("countries", "se, no"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let north = to
        .strip_prefix("/admin/regions/")
        .and_then(|r| r.split('?').next())
        .unwrap()
        .to_owned();
    let html = page(&cookie, &format!("/admin/regions/{north}")).await;
    assert!(html.contains("Sells in SEK") && html.contains("fixed once it exists"));

    // Medusa's path: the rate in percent; the currency stays.
    let path = format!("/admin/regions/{north}");
    let (status, body) = api(
        Method::POST,
        &cookie,
        &path,
        Some(json!({"currency_code": "usd"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = api(
        Method::POST,
        &cookie,
        &path,
        Some(json!({"tax_rate": 12.5, "is_tax_inclusive": false})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["region"]["tax_rate"], json!(12.5));
    assert_eq!(body["region"]["currency_code"], "sek");
    assert_eq!(body["region"]["countries"].as_array().unwrap().len(), 2);
    let bp: i32 = db
        .query_one("SELECT tax_rate_bp FROM regions WHERE id = $1", &[&north])
        .await
        .unwrap()
        .get(0);
    assert_eq!(bp, 1250);

    // Shipping options: a threshold is needed for free over one; then through the API.
    let (status, html) = post_form(
        &cookie,
        "/admin/shipping-options",
        &[
            ("region_id", north.as_str()),
            ("name", "Posten"),
            ("kind", "free_over"),
            ("amount", "49"),
            ("threshold", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("from which shipping is free") && html.contains(r#"value="Posten""#));
    let before = version(&db, &store).await;
    let (status, _) = post_form(
        &cookie,
        "/admin/shipping-options",
        &[
            ("region_id", north.as_str()),
            ("name", "Posten"),
            ("kind", "free_over"),
            ("amount", "49"),
            ("threshold", "500"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        version(&db, &store).await > before,
        "checkout shows shipping"
    );
    let (status, body) = api(
        Method::POST,
        &cookie,
        "/admin/shipping-options",
        Some(
            json!({"name": "Express", "region_id": north, "price_type": "flat",
                    "prices": [{"currency_code": "sek", "amount": 99}]}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let express = body["shipping_option"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["shipping_option"]["prices"][0]["amount"], json!(99));
    let (status, _) = post_form(
        &cookie,
        &format!("/admin/shipping-options/{express}/move"),
        &[("direction", "up")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, body) = api(
        Method::GET,
        &cookie,
        &format!("/admin/shipping-options?region_id={north}"),
        None,
    )
    .await;
    let names: Vec<&str> = body["shipping_options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Express", "Posten"]);
    let posten = body["shipping_options"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        body["shipping_options"][1]["prices"][1]["price_rules"][0]["value"],
        json!(500)
    );
    let (status, _) = api(
        Method::DELETE,
        &cookie,
        &format!("/admin/shipping-options/{posten}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, html) = post_form(
        &cookie,
        &format!("/admin/shipping-options/{express}/delete"),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("only way of shipping in North"), "{html}");

    // A location's address: half of one refused beside its fields, then kept.
    let path = format!("/admin/stock-locations/{location}");
    let (status, html) = post_form(
        &cookie,
        &path,
        &[
            ("name", "Depot"),
            ("address_1", "Hamngatan 1"),
            ("address_2", ""),
            ("city", ""),
            ("postal_code", "111 47"),
            ("province", ""),
            ("country_code", "se"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("Type the city.") && html.contains(r#"value="Hamngatan 1""#));
    let (status, to) = post_form(
        &cookie,
        &path,
        &[
            ("name", "Depot"),
            ("address_1", "Hamngatan 1"),
            ("address_2", ""),
            ("city", "Stockholm"),
            ("postal_code", "111 47"),
            ("province", ""),
            ("country_code", "se"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (_, body) = api(Method::GET, &cookie, &path, None).await;
    assert_eq!(body["stock_location"]["address"]["city"], "Stockholm");
    assert_eq!(body["stock_location"]["address"]["country_code"], "se");
    let html = page(&cookie, "/admin/stock-locations").await;
    assert!(html.contains("Hamngatan 1, 111 47 Stockholm, SE"), "{html}");
}

/// [`searched`] until it answers `want` (the edge cache answers from its old copy
/// while it asks afresh), for at most ten seconds.
async fn searched_until(key: &str, q: &str, want: &[&str]) -> Vec<String> {
    let mut got = Vec::new();
    for _ in 0..50 {
        got = searched(key, q).await;
        if got == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    got
}

/// Titles of what the Store API's search finds in the store of publishable key `key`.
async fn searched(key: &str, q: &str) -> Vec<String> {
    let res = client()
        .get(url(&format!("/store/products?q={q}")))
        .header("x-publishable-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_owner_sets_search_synonyms_the_shops_searches_use() {
    let db = db().await;
    let (store, _, _, _, cookie, _) = own_store(&db).await;
    let key = format!("pk_settings_{}", store.trim_start_matches("store_SETTINGS"));
    db.batch_execute(&format!(
        "INSERT INTO products (id, store_id, handle, title, description, status)
         VALUES ('prod_SYN{n}', '{store}', 'organic-tshirt', 'Organic T-Shirt', 'Soft', 'published')",
        n = stamp()
    ))
    .await
    .unwrap();
    assert!(searched(&key, "tee").await.is_empty());

    // A line of one term is refused, the text kept as typed and the line named.
    let typed = "tee, T-Shirt\nhoodie";
    let (status, html) =
        post_form(&cookie, "/admin/settings/synonyms", &[("synonyms", typed)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("Line 2: a group needs at least two different terms"),
        "{html}"
    );
    assert!(html.contains("tee, T-Shirt\nhoodie</textarea>"), "{html}");
    assert!(searched(&key, "tee").await.is_empty(), "nothing kept");

    let before = version(&db, &store).await;
    let (status, location) = post_form(
        &cookie,
        "/admin/settings/synonyms",
        &[("synonyms", "tee, T-Shirt\n\nhoodie, sweatshirt")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    assert!(
        version(&db, &store).await > before,
        "cached searches are asked afresh"
    );
    assert_eq!(
        searched_until(&key, "tee", &["Organic T-Shirt"]).await,
        ["Organic T-Shirt"]
    );
    let html = page(&cookie, "/admin/settings?saved=synonyms").await;
    assert!(html.contains("Synonyms saved."));
    assert!(
        html.contains("tee, T-Shirt\nhoodie, sweatshirt</textarea>"),
        "{html}"
    );

    // The admin API: the groups as written; a bad group refused with its place.
    let (status, body) = api(Method::GET, &cookie, "/admin/search/synonyms", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["synonyms"],
        json!([["tee", "T-Shirt"], ["hoodie", "sweatshirt"]])
    );
    let (status, body) = api(
        Method::POST,
        &cookie,
        "/admin/search/synonyms",
        Some(json!({"synonyms": [["tee", "t-shirt"], ["solo"]]})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("group 2"),
        "{body}"
    );
    let (status, body) = api(
        Method::POST,
        &cookie,
        "/admin/search/synonyms",
        Some(json!({"synonyms": []})),
    )
    .await;
    assert_eq!(
        (status, body["synonyms"].clone()),
        (StatusCode::OK, json!([]))
    );
    assert!(searched_until(&key, "tee", &[]).await.is_empty());
    let audited: i64 = db
        .query_one(
            "SELECT count(*) FROM audit_log WHERE store_id = $1 AND action = 'search.synonyms_set'",
            &[&store],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(audited, 2);
}
