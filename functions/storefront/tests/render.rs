//! Pages rendered natively against a real PostgreSQL (the two-store fixture of the
//! commerce tests), without workerd: what the edge serves, minus the edge.

#[path = "../../commerce/tests/common/mod.rs"]
mod common;

use commerce::store::HostName;
use commerce::ApiError;
use common::test_db;
use storefront::pages::{cache_key, error_page, render, PageRequest, Rendered};
use storefront::{page_route, PageRoute, Site};

async fn site(db: &tokio_postgres::Client) -> Site {
    Site::load(db, &HostName::parse("alpha.test").unwrap())
        .await
        .unwrap()
}

fn query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

async fn get(
    db: &tokio_postgres::Client,
    site: &Site,
    region: &str,
    path: &str,
    q: &str,
) -> Result<Rendered, ApiError> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let route = page_route(&segments).expect("a page route");
    let query = query(q);
    let region = site.pick_region(Some(region), None).unwrap();
    let req = PageRequest {
        site,
        region,
        origin: "https://alpha.test",
        path,
        query: &query,
    };
    render(db, &req, &route).await
}

#[tokio::test]
async fn home_listing_and_product_pages_render() {
    let db = test_db().await;
    let site = site(&db).await;
    let home = get(&db, &site, "reg_AEU", "/", "").await.unwrap();
    assert_eq!(home.status, 200);
    assert!(home.body.contains("<title>Alpha</title>"));
    assert!(home
        .body
        .contains(r#"href="/collections/summer">Summer</a>"#));
    assert!(
        !home.body.contains("Secret Draft"),
        "drafts are never shown"
    );

    let list = get(&db, &site, "reg_AEU", "/products", "sort=price_desc")
        .await
        .unwrap();
    let coat = list.body.find("Wool Coat").unwrap();
    let bag = list.body.find("Canvas Bag").unwrap();
    assert!(coat < bag, "price high to low");
    assert!(list.body.contains("€199.00"));
    // Each menu count is read out with its noun, singular for one.
    assert!(list
        .body
        .contains(r#"2<span class="sr-only"> products)</span>"#));
    assert!(list
        .body
        .contains(r#"1<span class="sr-only"> product)</span>"#));

    let shirts = get(&db, &site, "reg_AEU", "/categories/clothes", "")
        .await
        .unwrap();
    assert!(
        shirts.body.contains("Linen Shirt"),
        "subcategories' products are listed"
    );
    assert!(shirts
        .body
        .contains(r#"href="/categories/shirts">Shirts</a>"#));

    let shirt = get(
        &db,
        &site,
        "reg_AEU",
        "/products/linen-shirt",
        "variant=variant_A1M",
    )
    .await
    .unwrap();
    assert!(shirt.body.contains(r#"<p class="price">€24.50</p>"#));
    assert!(shirt.body.contains("Available on backorder"));
    assert!(shirt
        .body
        .contains(r#""availability":"https://schema.org/BackOrder""#));
    assert!(shirt.body.contains(
        r#"<a href="/products/linen-shirt?variant=variant_A1M" aria-current="true">M</a>"#
    ));
    // In the US region only the S variant has a price.
    let us = get(&db, &site, "reg_AUS", "/products/linen-shirt", "")
        .await
        .unwrap();
    assert!(us.body.contains(r#"<p class="price">$26.00</p>"#));
    assert!(us.body.contains("Plus 10% sales tax"));
}

#[tokio::test]
async fn user_text_is_escaped_everywhere_it_is_shown() {
    let db = test_db().await;
    db.execute(
        "UPDATE products SET title = '<img src=x onerror=alert(1)>', description = '</script><b>x' WHERE id = 'prod_A2'",
        &[],
    )
    .await
    .unwrap();
    let site = site(&db).await;
    let page = get(&db, &site, "reg_AEU", "/products/wool-coat", "")
        .await
        .unwrap();
    assert!(!page.body.contains("<img src=x"));
    assert!(page.body.contains("&#60;img src=x onerror=alert(1)&#62;"));
    // In JSON-LD the markup is JSON-escaped and cannot close the script element.
    assert!(!page.body.contains("</script><b>"));
    assert!(page.body.contains(r#"\u003c/script\u003e\u003cb\u003ex"#));
    let list = get(&db, &site, "reg_AEU", "/products", "q=%3Cb%3E")
        .await
        .unwrap();
    assert!(!list.body.contains("<b>"));
}

#[tokio::test]
async fn missing_things_are_not_found_and_errors_keep_the_layout() {
    let db = test_db().await;
    let site = site(&db).await;
    for (path, q) in [
        ("/products/secret-draft", ""),
        ("/categories/hidden", ""),
        ("/collections/nope", ""),
        ("/products", "page=5"),
    ] {
        let err = get(&db, &site, "reg_AEU", path, q).await.unwrap_err();
        assert_eq!(err.status(), 404, "{path}?{q}");
    }
    let region = &site.regions[0];
    let req = PageRequest {
        site: &site,
        region,
        origin: "https://alpha.test",
        path: "/products",
        query: &[],
    };
    let down = error_page(
        Some(&req),
        &ApiError::DatabaseUnavailable {
            detail: "connection refused on 10.0.0.5".into(),
        },
    );
    assert_eq!(down.status, 503);
    assert!(down.body.contains("We will be right back"));
    assert!(!down.body.contains("10.0.0.5"), "details stay in the log");
    assert!(down.body.contains(r#"<a class="brand" href="/">Alpha</a>"#));
}

#[test]
fn cache_keys_keep_only_what_changes_the_page() {
    let route = page_route(&["products"]).unwrap();
    assert_eq!(route, PageRoute::AllProducts);
    let fixture_region = commerce::region::Region {
        id: commerce::ids::RegionId::parse("reg_X").unwrap(),
        name: "X".into(),
        currency: commerce::money::CurrencyCode::parse("eur").unwrap(),
        tax_rate: commerce::money::TaxRate::from_basis_points(0).unwrap(),
        tax_inclusive: true,
        countries: Vec::new(),
        created_at: String::new(),
        updated_at: String::new(),
    };
    let site = Site {
        store: commerce::store::Store {
            id: commerce::ids::StoreId::parse("store_X").unwrap(),
            name: "X".into(),
            default_currency: fixture_region.currency,
            default_region: None,
            catalog_version: 1,
        },
        regions: vec![fixture_region.clone()],
    };
    let key = |q: &str| {
        let query = query(q);
        cache_key(
            &route,
            &PageRequest {
                site: &site,
                region: &fixture_region,
                origin: "https://x",
                path: "/products",
                query: &query,
            },
        )
    };
    assert_eq!(key("utm_source=a&sort=title"), "/products?sort=title");
    assert_eq!(key("sort=title&gclid=1"), key("sort=title"));
    assert_eq!(key("page=1"), "/products");
    assert_ne!(
        key("sort=bogus"),
        key(""),
        "a page that names an ignored parameter"
    );
}
