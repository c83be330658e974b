//! The storefront's pages at the edge, without JavaScript: the shared shell here (the
//! store at the host, rendering with a database client, personal and cached answers,
//! the error page), then one module per feature.

pub mod account;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod orders;

use std::rc::Rc;

use commerce::store::HostName;
use commerce::ApiError;
use storefront::pages::{error_page, PageRequest, Rendered};
use storefront::site::Site;
use tokio_postgres::Client;
use worker::{Context, Env, Headers, Response, ResponseBuilder};

use crate::config::Config;
use crate::context::{Cx, Shopper};
use crate::edge_cache::{self, Entry};
use crate::http::{self, internal};
use crate::memo::{self, Memo};
use durable_objects::db;

thread_local! {
    static SITES: Memo<Site> = Memo::default();
}

/// The store served at `host`, from the isolate's memo when it has one.
pub async fn site_for(
    env: &Env,
    ctx: &Context,
    config: &Config,
    host: &HostName,
) -> Result<Rc<Site>, ApiError> {
    let (env, host_key) = (env.clone(), host.clone());
    memo::get(&SITES, host.as_str(), config.site_ttl_ms, ctx, move || {
        let (env, host) = (env.clone(), host_key.clone());
        async move {
            db::with_client(&env, async |client: &Client| {
                Site::load(client, &host).await
            })
            .await
        }
    })
    .await
}

/// A page for this shopper at `path`, rendered by `render` with a database client;
/// a failure becomes the error page in the store's layout.
pub async fn render_personal(
    cx: &Cx,
    path: &str,
    render: impl AsyncFnOnce(&Client, &PageRequest<'_>) -> Result<Rendered, ApiError>,
) -> Result<Rendered, ApiError> {
    let shopper = cx.shopper()?;
    let origin = cx.site_origin();
    let req = page_request(shopper, &origin, path);
    let rendered =
        db::with_client(&cx.env, async |client: &Client| render(client, &req).await).await;
    Ok(rendered.unwrap_or_else(|err| {
        cx.log_failure(&err);
        error_page(Some(&req), &err)
    }))
}

pub(super) fn page_request<'a>(
    shopper: &'a Shopper,
    origin: &'a str,
    path: &'a str,
) -> PageRequest<'a> {
    PageRequest {
        site: &shopper.site,
        region: &shopper.region,
        origin,
        path,
        query: &[],
    }
}

/// The store's error page for `err`, in its layout when the shopper is known; never
/// cached. (The one mapping of errors to HTML.)
pub fn error_response(cx: &Cx, err: &ApiError) -> Result<Response, ApiError> {
    cx.log_failure(err);
    let origin = cx.site_origin();
    let path = cx.url.path().to_owned();
    let rendered = match &cx.shopper {
        Some(shopper) => error_page(Some(&page_request(shopper, &origin, &path)), err),
        None => error_page(None, err),
    };
    let count = cx.shopper.as_ref().and_then(|s| s.cart_count);
    let mut response = personal(rendered, count, &[])?;
    http::retry_after(&mut response, err)?;
    Ok(response)
}

/// The header's cart link with the shopper's count: written into a copy of the shared
/// page as it leaves, so the cached body itself never holds personal state.
pub fn personalize(mut entry: Entry, cart_count: Option<u32>) -> Entry {
    const LINK: &str = r#"<a class="cart-link" href="/cart">Cart</a>"#;
    if let Some(n) = cart_count.filter(|n| *n > 0) {
        if entry.content_type.starts_with("text/html") {
            if let Ok(text) = std::str::from_utf8(&entry.body) {
                let link = format!(
                    r#"<a class="cart-link" href="/cart">Cart ({n}<span class="sr-only"> items</span>)</a>"#
                );
                entry.body = text.replacen(LINK, &link, 1).into_bytes();
            }
        }
    }
    entry
}

pub fn entry(rendered: Rendered) -> Entry {
    Entry {
        status: rendered.status,
        content_type: rendered.content_type.to_owned(),
        body: rendered.body.into_bytes(),
    }
}

/// A personal page: never cached anywhere, not indexed, the header's count of
/// `count` units, and the cookies to set.
pub fn personal(
    rendered: Rendered,
    count: Option<u32>,
    cookies: &[String],
) -> Result<Response, ApiError> {
    let mut response = respond_entry(personalize(entry(rendered), count), None, "BYPASS")?;
    let headers = response.headers_mut();
    headers.set("cache-control", "no-store").map_err(internal)?;
    headers.set("x-robots-tag", "noindex").map_err(internal)?;
    http::cookies::set(headers, cookies).map_err(internal)?;
    Ok(response)
}

/// The shopper's response: browsers revalidate every time (`no-cache`: pages vary by
/// the region cookie), and an unchanged page answers 304 by its ETag.
pub fn respond_entry(
    entry: Entry,
    if_none_match: Option<&str>,
    cache: &str,
) -> Result<Response, ApiError> {
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(internal);
    set("content-type", &entry.content_type)?;
    set("x-cache", cache)?;
    set("vary", "Cookie")?;
    let public_doc = !entry.content_type.starts_with("text/html");
    set(
        "cache-control",
        if public_doc && entry.status == 200 {
            "public, max-age=3600"
        } else {
            "private, no-cache"
        },
    )?;
    if entry.status == 200 {
        let etag = edge_cache::etag(&entry.body);
        set("etag", &etag)?;
        if if_none_match.is_some_and(|v| v.split(',').any(|t| t.trim() == etag)) {
            return Ok(ResponseBuilder::new()
                .with_status(304)
                .with_headers(headers)
                .empty());
        }
    }
    Ok(ResponseBuilder::new()
        .with_status(entry.status)
        .with_headers(headers)
        .fixed(entry.body))
}

/// `GET /assets/<name>.<hash>.<ext>`: the embedded stylesheet, immutable for a year.
pub async fn asset(cx: &mut Cx) -> Result<Response, ApiError> {
    match storefront::assets::get(cx.param(0)) {
        Some(asset) => {
            let mut response = http::bytes(200, asset.content_type, asset.body)?;
            response
                .headers_mut()
                .set("cache-control", "public, max-age=31536000, immutable")
                .map_err(internal)?;
            Ok(response)
        }
        None => http::text(404, "Not found\n"),
    }
}
