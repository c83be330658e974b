//! The storefront pages over HTTP against `wrangler dev`: what a shopper's browser
//! receives (status, headers, escaped HTML), bad input, regions and the edge cache's
//! keys. Browser-level checks (rendering, accessibility) are in tests/browser.

use e2e::url;
use reqwest::header::HeaderMap;
use reqwest::{redirect, Client, StatusCode};

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

async fn fetch(path: &str, headers: &[(&str, &str)]) -> Page {
    let mut req = Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
        .get(url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    Page {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

async fn page(path: &str) -> Page {
    fetch(path, &[]).await
}

/// Every HTML response's security headers.
fn assert_secure(p: &Page) {
    let csp = p.header("content-security-policy");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(p
        .header("strict-transport-security")
        .starts_with("max-age="));
    assert_eq!(p.header("x-content-type-options"), "nosniff");
    assert_eq!(
        p.header("referrer-policy"),
        "strict-origin-when-cross-origin"
    );
    assert!(p.header("content-type").starts_with("text/html"));
}

#[tokio::test]
async fn home_page_shows_the_store_and_its_catalog() {
    let p = page("/").await;
    assert_eq!(p.status, 200);
    assert_secure(&p);
    assert!(p.body.contains("<h1>Welcome to Harbor &#38; Pine</h1>"));
    assert!(p.body.contains("New arrivals"));
    assert!(p.body.contains(r#"href="/categories/clothing""#));
    assert!(
        p.body.contains(r#"href="/collections/autumn-layers""#),
        "featured collection"
    );
    assert!(p.body.contains(r#"<link rel="canonical" href="http"#));
    assert!(p.body.contains(r#"<meta property="og:title""#));
    // Images carry their size and alt text; the first row loads eagerly, the rest lazily.
    assert!(p.body.contains(r#"width="640" height="800""#));
    assert_eq!(
        p.body.matches(r#"fetchpriority="high""#).count(),
        1,
        "one main image"
    );
    assert!(p.body.contains(r#"loading="lazy""#));
    assert!(!p.body.contains("<script>"), "no script in pages");
    assert_eq!(p.header("cache-control"), "private, no-cache");
}

#[tokio::test]
async fn the_stylesheet_is_content_addressed_and_immutable() {
    let p = page("/").await;
    let start = p.body.find("/assets/style.").unwrap();
    let href = &p.body[start..start + p.body[start..].find('"').unwrap()];
    let css = page(href).await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
    assert_eq!(
        css.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(page("/assets/style.0123456789abcdef.css").await.status, 404);
}

#[tokio::test]
async fn listings_filter_sort_and_page() {
    let all = page("/products").await;
    assert_eq!(all.status, 200);
    assert!(
        all.body.contains("Showing 1–24 of 64 products"),
        "64 published products"
    );
    assert!(all.body.contains(r#"rel="next""#));
    let p2 = page("/products?page=2").await;
    assert!(p2.body.contains("Showing 25–48 of 64 products"));
    assert!(
        p2.body.contains(r#"<link rel="canonical" href="http"#)
            && p2.body.contains("/products?page=2\">")
    );

    // Filters combine: size M, in stock, under a price, sorted by price.
    let f = page("/categories/shirts?opt_size=M&in_stock=1&sort=price_asc&max=80").await;
    assert_eq!(f.status, 200);
    assert!(f.body.contains("<h1>Shirts &#38; Tops</h1>"));
    assert!(f.body.contains("Remove filter Size: M"));
    assert!(f.body.contains("Remove filter in stock only"));
    assert!(f.body.contains(r#"<option value="price_asc" selected>"#));
    assert!(f.body.contains(r#"name="in_stock" value="1" checked"#));
    assert!(f
        .body
        .contains(r#"<meta name="robots" content="noindex, follow">"#));
    // Removing one filter keeps the others.
    assert!(f.body.contains(r#"href="/categories/shirts?max=80&#38;in_stock=1&#38;sort=price_asc">Remove filter Size: M"#), "{}", f.body);
    let prices = displayed_prices(&f.body);
    assert!(!prices.is_empty(), "some shirts match");
    assert!(
        prices.windows(2).all(|w| w[0] <= w[1]),
        "ascending: {prices:?}"
    );
    assert!(prices.iter().all(|p| *p <= 8000), "max 80: {prices:?}");

    let desc = page("/products?sort=price_desc").await;
    let prices = displayed_prices(&desc.body);
    assert!(
        prices.windows(2).all(|w| w[0] >= w[1]),
        "descending: {prices:?}"
    );
}

/// The card prices of a listing, in minor units ("$74.50" or "From $59.00").
fn displayed_prices(body: &str) -> Vec<i64> {
    body.split(r#"<span class="card-price">"#)
        .skip(1)
        .map(|rest| {
            let text = &rest[..rest.find('<').unwrap()];
            let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
            digits.parse().unwrap()
        })
        .collect()
}

#[tokio::test]
async fn product_page_selects_variants_with_plain_links() {
    let p = page("/products/linen-camp-shirt").await;
    assert_eq!(p.status, 200);
    assert_secure(&p);
    assert!(p.body.contains("<h1>Linen Camp Shirt</h1>"));
    assert!(
        p.body.contains(r#"<p class="price">$74.50</p>"#),
        "US region by default"
    );
    assert!(p.body.contains("sales tax, added at checkout"));
    assert!(p.body.contains(r#"<nav class="crumbs""#));
    assert!(p.body.contains(r#""@type":"Product""#));
    assert!(p.body.contains(r#""@type":"BreadcrumbList""#));
    assert!(p.body.contains(r#""priceCurrency":"USD""#));
    assert!(p
        .body
        .contains(r#"<form class="buy" method="post" action="/cart/line-items">"#));
    assert!(p.body.contains("More from Shirts &#38; Tops"));
    // Choosing L keeps the colour: the link goes to L / Rust.
    assert!(p
        .body
        .contains(r#"href="/products/linen-camp-shirt?variant=variant_HP00012""#));
    let l = page("/products/linen-camp-shirt?variant=variant_HP00012").await;
    assert!(l.body.contains(r#"<a href="/products/linen-camp-shirt?variant=variant_HP00012" aria-current="true">L</a>"#), "{}", l.body);
    assert!(l
        .body
        .contains(r#"name="variant_id" value="variant_HP00012""#));
    // Another product's or a malformed variant id falls back to the default variant.
    let other = page("/products/linen-camp-shirt?variant=variant_LH00010").await;
    assert_eq!(other.status, 200);
    assert!(other
        .body
        .contains(r#"name="variant_id" value="variant_HP00010""#));
    assert_eq!(
        page("/products/linen-camp-shirt?variant=%3Cb%3E")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn regions_come_from_the_cookie_else_the_country() {
    let gb = fetch("/products/linen-camp-shirt", &[("cf-ipcountry", "GB")]).await;
    assert!(
        gb.body.contains(r#"<p class="price">£59.50</p>"#),
        "GB shopper sees pounds"
    );
    assert!(gb.body.contains("Includes 20% VAT."));
    let eu = fetch(
        "/products/linen-camp-shirt",
        &[
            ("cf-ipcountry", "GB"),
            ("cookie", "theme=dark; region=reg_HPEU"),
        ],
    )
    .await;
    assert!(
        eu.body.contains(r#"<p class="price">€69.00</p>"#),
        "the cookie wins"
    );
    // A region of another store in the cookie is ignored.
    let other = fetch(
        "/products/linen-camp-shirt",
        &[("cookie", "region=reg_LHEU"), ("cf-ipcountry", "GB")],
    )
    .await;
    assert!(other.body.contains("£59.50"));
    // The cached copies never cross: each request got its own region's page.
    let us = fetch("/products/linen-camp-shirt", &[("cf-ipcountry", "US")]).await;
    assert!(us.body.contains("$74.50") && !us.body.contains("£59.50"));
}

#[tokio::test]
async fn the_region_switch_sets_a_first_party_cookie_and_returns() {
    let client = Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    let res = client
        .post(url("/region"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("region_id=reg_HPGB&return_to=%2Fproducts%3Fsort%3Dtitle")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/products?sort=title");
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("region=reg_HPGB; Path=/;"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    // An open redirect is refused: the shopper goes home instead.
    let res = client
        .post(url("/region"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("region_id=reg_HPGB&return_to=%2F%2Fevil.example%2F")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/");
    // Cross-site posts and unknown regions are refused.
    let res = client
        .post(url("/region"))
        .header("sec-fetch-site", "cross-site")
        .body("region_id=reg_HPGB")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = client
        .post(url("/region"))
        .body("region_id=reg_LHEU")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn unknown_pages_are_404_pages_in_the_store_layout() {
    for path in [
        "/products/no-such-product",
        "/categories/no-such-category",
        "/collections/no-such-collection",
        "/products/Not%20A%20Handle",
        "/no/such/page",
        "/products?page=9",
    ] {
        let p = page(path).await;
        assert_eq!(p.status, 404, "{path}");
        assert_secure(&p);
        assert!(p.body.contains("<h1>Page not found</h1>"), "{path}");
        assert!(
            p.body
                .contains(r#"<a class="brand" href="/">Harbor &#38; Pine</a>"#),
            "{path}"
        );
        assert!(p.body.contains(r#"content="noindex"#), "{path}");
    }
}

#[tokio::test]
async fn bad_parameters_are_ignored_named_and_escaped() {
    let hostile = "/products?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&sort=%22%3E%3Cimg&page=-1&min=abc&opt_%3Cb%3E=1&in_stock=%3Cx%3E";
    let p = page(hostile).await;
    assert_eq!(p.status, 200);
    assert!(!p.body.contains("<script>alert"), "search text is escaped");
    assert!(!p.body.contains("<img&") && !p.body.contains("<b>"));
    assert!(p.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(
        p.body.contains(
            "could not be used and were ignored: sort, page, min, opt_&#60;b&#62;, in_stock"
        ),
        "{}",
        p.body
    );
    for path in [
        "/products?page=99999999999999999999",
        "/products?page=abc",
        "/products?min=-5&max=1e9",
        "/products?opt_size=",
        "/categories/shirts?sort=",
    ] {
        let p = page(path).await;
        assert_eq!(p.status, 200, "{path}");
    }
}

#[tokio::test]
async fn sitemaps_and_robots_list_the_published_catalog() {
    let robots = page("/robots.txt").await;
    assert_eq!(robots.status, 200);
    assert!(robots.body.contains("Sitemap: http") && robots.body.contains("/sitemap.xml"));
    let index = page("/sitemap.xml").await;
    assert!(index.header("content-type").starts_with("application/xml"));
    assert!(index.body.contains("/sitemap-pages.xml</loc>"));
    assert!(index.body.contains("/sitemap-products-1.xml</loc>"));
    let products = page("/sitemap-products-1.xml").await;
    assert_eq!(
        products.body.matches("<url>").count(),
        64,
        "published products only"
    );
    assert!(products.body.contains("/products/linen-camp-shirt</loc>"));
    let pages = page("/sitemap-pages.xml").await;
    assert!(pages.body.contains("/categories/shirts</loc>"));
    assert!(pages.body.contains("/collections/autumn-layers</loc>"));
    assert_eq!(page("/sitemap-products-2.xml").await.status, 404);
    let lumen = fetch("/sitemap-products-1.xml", &[("host", "lumen.localhost")]).await;
    assert_eq!(
        lumen.body.matches("<url>").count(),
        24,
        "each store its own"
    );
}

#[tokio::test]
async fn the_edge_cache_serves_repeat_views_and_ignores_tracking_tags() {
    let path = "/collections/autumn-layers?sort=title";
    let mut state = String::new();
    for _ in 0..40 {
        state = page(path).await.header("x-cache").to_owned();
        if state == "HIT" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state, "HIT");
    let tagged = page("/collections/autumn-layers?utm_source=mail&sort=title&fbclid=x").await;
    assert_eq!(tagged.header("x-cache"), "HIT", "same page, same entry");
    // Revalidation by ETag.
    let etag = tagged.header("etag").to_owned();
    let again = fetch(path, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    // The cart is personal: never from the cache.
    assert_eq!(page("/cart").await.header("x-cache"), "BYPASS");
}
