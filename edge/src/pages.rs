//! The storefront pages at the edge: the store from the host (memo), the shopper's
//! region (cookie, else country), then the edge cache, and only on a miss the
//! database and `storefront::render`. Also the region switch and the stylesheet.

use std::rc::Rc;

use commerce::region::Region;
use commerce::store::HostName;
use commerce::ApiError;
use storefront::pages::{cache_key, error_page, render, PageRequest, Rendered};
use storefront::site::{cookie, Site, REGION_COOKIE};
use storefront::{page_route, PageRoute};
use tokio_postgres::Client;
use worker::{Context, Env, Headers, Request, Response, ResponseBuilder, Url};

use crate::config::Config;
use crate::edge_cache::{self, Entry};
use crate::memo::{self, Memo};
use crate::{db, http, log_error};

thread_local! {
    static SITES: Memo<Site> = Memo::default();
}

/// Everything a page render needs, owned, so that a background revalidation can
/// outlive the request that started it.
struct Job {
    env: Env,
    site: Rc<Site>,
    region: Region,
    origin: String,
    path: String,
    query: Vec<(String, String)>,
    route: PageRoute,
}

impl Job {
    fn request(&self) -> PageRequest<'_> {
        PageRequest {
            site: &self.site,
            region: &self.region,
            origin: &self.origin,
            path: &self.path,
            query: &self.query,
        }
    }

    async fn render(&self) -> Rendered {
        let req = self.request();
        let result = db::with_client(&self.env, async |client: &Client| {
            render(client, &req, &self.route).await
        })
        .await;
        result.unwrap_or_else(|err| {
            log_error(&err);
            error_page(Some(&req), &err)
        })
    }
}

async fn load_site(env: &Env, host: &HostName) -> Result<Site, ApiError> {
    db::with_client(env, async |client: &Client| Site::load(client, host).await).await
}

/// The store served at `host`, from the isolate's memo when it has one.
async fn site_for(
    env: &Env,
    ctx: &Context,
    config: &Config,
    host: &HostName,
) -> Result<Rc<Site>, ApiError> {
    let loader_env = env.clone();
    let loader_host = host.clone();
    memo::get(&SITES, host.as_str(), config.site_ttl_ms, ctx, move || {
        let env = loader_env.clone();
        let host = loader_host.clone();
        async move { load_site(&env, &host).await }
    })
    .await
}

/// The shopper's country (ISO 3166-1 alpha-2) as Cloudflare saw it. In local
/// development `request.cf` is a fixed stand-in, so there a `cf-ipcountry` request
/// header (which Cloudflare itself sets in production) may choose another country.
fn shopper_country(req: &Request, config: &Config) -> worker::Result<Option<String>> {
    let header = req.headers().get("cf-ipcountry")?;
    let cf = req.cf().and_then(|cf| cf.country());
    Ok(if config.environment == "development" {
        header.or(cf)
    } else {
        cf.or(header)
    })
}

/// The store at the request's host, or the error page to answer instead.
async fn site_or_page(
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
) -> Result<Rc<Site>, worker::Result<Response>> {
    let host_text = url.host_str().unwrap_or_default();
    let Some(host) = HostName::parse(host_text) else {
        let err = ApiError::UnknownStoreHost(host_text.into());
        return Err(respond(error_page(None, &err), None, "BYPASS"));
    };
    site_for(env, ctx, config, &host).await.map_err(|err| {
        log_error(&err);
        respond(error_page(None, &err), None, "BYPASS")
    })
}

/// Who is asking: the store at the host, the shopper's region and cart size.
pub(crate) struct Shopper {
    pub site: Rc<Site>,
    pub region: Region,
    /// Units in the shopper's cart, from the cookie the cart pages keep.
    pub cart_count: Option<u32>,
}

/// The shopper of a request, or the error page to answer instead.
pub(crate) async fn shopper(
    req: &Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
) -> Result<Shopper, worker::Result<Response>> {
    let site = site_or_page(env, ctx, config, url).await?;
    let cookies = req.headers().get("cookie").ok().flatten();
    let country = shopper_country(req, config).ok().flatten();
    let Some(region) = site
        .pick_region(
            cookie(cookies.as_deref(), REGION_COOKIE),
            country.as_deref(),
        )
        .cloned()
    else {
        let err = ApiError::Internal {
            detail: format!("store {} has no region", site.store.id.as_str()),
        };
        log_error(&err);
        return Err(respond(error_page(None, &err), None, "BYPASS"));
    };
    let cart_count = cookie(cookies.as_deref(), CART_COUNT_COOKIE).and_then(|n| n.parse().ok());
    Ok(Shopper {
        site,
        region,
        cart_count,
    })
}

/// A page for this shopper at `path`, rendered by `render` with a database client;
/// a failure becomes the error page in the store's layout.
pub(crate) async fn render_personal(
    env: &Env,
    shopper: &Shopper,
    url: &Url,
    path: &str,
    render: impl AsyncFnOnce(&Client, &PageRequest<'_>) -> Result<Rendered, ApiError>,
) -> Rendered {
    let origin = url.origin().ascii_serialization();
    let req = PageRequest {
        site: &shopper.site,
        region: &shopper.region,
        origin: &origin,
        path,
        query: &[],
    };
    let rendered = db::with_client(env, async |client: &Client| render(client, &req).await).await;
    rendered.unwrap_or_else(|err| {
        log_error(&err);
        error_page(Some(&req), &err)
    })
}

/// The cookie holding how many units the shopper's cart has, for the header.
pub(crate) const CART_COUNT_COOKIE: &str = "cart_count";

/// The header's cart link with the shopper's count: written into a copy of the shared
/// page as it leaves, so the cached body itself never holds personal state.
pub(crate) fn personalize(mut entry: Entry, cart_count: Option<u32>) -> Entry {
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

/// A shopper's page for `GET`/`HEAD` requests that no other route took.
pub async fn serve(
    req: &Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
    segments: &[&str],
) -> worker::Result<Response> {
    let Shopper {
        site,
        region,
        cart_count,
    } = match shopper(req, env, ctx, config, url).await {
        Ok(shopper) => shopper,
        Err(page) => return page,
    };
    let headers = req.headers();
    let origin = url.origin().ascii_serialization();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let path = url.path().to_owned();
    let Some(route) = page_route(segments) else {
        let req = PageRequest {
            site: &site,
            region: &region,
            origin: &origin,
            path: &path,
            query: &query,
        };
        let err = ApiError::RouteNotFound {
            method: "GET".into(),
            path: path.clone(),
        };
        return respond(error_page(Some(&req), &err), None, "BYPASS");
    };
    let if_none_match = headers.get("if-none-match")?;
    let job = Job {
        env: env.clone(),
        site: site.clone(),
        region,
        origin,
        path,
        query,
        route,
    };
    let inm = if_none_match.as_deref();
    // build / store / catalog version / region: a deployment or a catalog change moves
    // every page to new keys.
    let region_part = if job.route.regional() {
        job.region.id.as_str()
    } else {
        "all"
    };
    let key = format!(
        "{}/__edge-cache/page/{}/{}/v{}/{}{}",
        job.origin,
        storefront::RENDER_HASH,
        site.store.id.as_str(),
        site.store.catalog_version,
        region_part,
        cache_key(&job.route, &job.request()),
    );
    let render = move || async move { Ok(entry(job.render().await)) };
    let served = edge_cache::serve(
        ctx,
        key,
        config.page_fresh_ms,
        config.page_lifetime_s,
        render,
    );
    match served.await {
        Ok((entry, state)) => respond_entry(personalize(entry, cart_count), inm, state),
        // Renders never fail (errors become pages); kept for the type's sake.
        Err(err) => respond(error_page(None, &err), inm, "BYPASS"),
    }
}

pub(crate) fn entry(rendered: Rendered) -> Entry {
    Entry {
        status: rendered.status,
        content_type: rendered.content_type.to_owned(),
        body: rendered.body.into_bytes(),
    }
}

pub(crate) fn respond(
    rendered: Rendered,
    if_none_match: Option<&str>,
    cache: &str,
) -> worker::Result<Response> {
    respond_entry(entry(rendered), if_none_match, cache)
}

/// The shopper's response: browsers revalidate every time (`no-cache`: pages vary by
/// the region cookie), and an unchanged page answers 304 by its ETag.
pub(crate) fn respond_entry(
    entry: Entry,
    if_none_match: Option<&str>,
    cache: &str,
) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", &entry.content_type)?;
    headers.set("x-cache", cache)?;
    headers.set("vary", "Cookie")?;
    let public_doc = !entry.content_type.starts_with("text/html");
    headers.set(
        "cache-control",
        if public_doc && entry.status == 200 {
            "public, max-age=3600"
        } else {
            "private, no-cache"
        },
    )?;
    if entry.status == 200 {
        let etag = edge_cache::etag(&entry.body);
        headers.set("etag", &etag)?;
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
pub fn asset(file: &str) -> worker::Result<Response> {
    match storefront::assets::get(file) {
        Some(asset) => {
            let headers = Headers::new();
            headers.set("content-type", asset.content_type)?;
            headers.set("cache-control", "public, max-age=31536000, immutable")?;
            Ok(ResponseBuilder::new()
                .with_headers(headers)
                .fixed(asset.body))
        }
        None => http::text(404, "Not found\n"),
    }
}

/// Whether a form post comes from this site's own pages: browsers send
/// `Sec-Fetch-Site` (and `Origin`) with every form post; a cross-site one is refused.
fn same_origin_post(req: &Request, url: &Url) -> worker::Result<bool> {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site")? {
        return Ok(matches!(site.as_str(), "same-origin" | "none"));
    }
    Ok(match headers.get("origin")? {
        Some(origin) => origin == url.origin().ascii_serialization(),
        // No browser signal at all (curl, old clients): accept; the cookie is SameSite=Lax.
        None => true,
    })
}

/// A form post's fields, or the response refusing it: posted from another site (403)
/// or larger than `max` bytes (413).
pub(crate) async fn read_form(
    req: &mut Request,
    url: &Url,
    max: usize,
) -> worker::Result<Result<Vec<(String, String)>, Response>> {
    if !same_origin_post(req, url)? {
        return Ok(Err(http::text(
            403,
            "Cross-site form posts are refused.\n",
        )?));
    }
    let body = req.text().await?;
    if body.len() > max {
        return Ok(Err(http::text(413, "Form too large.\n")?));
    }
    // The form body has the query string's syntax.
    Ok(Ok(Url::parse(&format!("http://form/?{body}"))?
        .query_pairs()
        .into_owned()
        .collect()))
}

/// The first value of a form field.
pub(crate) fn form_field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A path on this site to go back to: absolute path, no scheme or host, no `//`.
fn safe_return(path: &str) -> &str {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.len() <= 2000
        && !path.chars().any(char::is_control);
    if ok {
        path
    } else {
        "/"
    }
}

/// `POST /region`: stores the shopper's region choice in a first-party cookie, moves
/// their cart (if any) to it, and sends them back (303) to the page they were on.
pub async fn switch_region(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    config: &Config,
    url: &Url,
) -> worker::Result<Response> {
    let form = match read_form(&mut req, url, 4096).await? {
        Ok(form) => form,
        Err(refusal) => return Ok(refusal),
    };
    let field = |name: &str| form_field(&form, name);
    let site = match site_or_page(env, ctx, config, url).await {
        Ok(site) => site,
        Err(page) => return page,
    };
    let Some(region) =
        field("region_id").and_then(|id| site.regions.iter().find(|r| r.id.as_str() == id))
    else {
        return http::text(400, "region_id: not a region of this store.\n");
    };
    // The shopper's cart follows: re-priced in the new region's currency. A failure
    // leaves the cart where it was (the cart page still shows it, in its currency).
    if let Some(cart_id) = crate::cart_pages::cart_cookie(&req) {
        let image_base = format!("{}/images/", url.origin().ascii_serialization());
        let op = commerce::cart_api::CartOp::Update {
            body: serde_json::json!({ "region_id": region.id }),
        };
        if let Err(err) = crate::carts::call(env, &site.store, &cart_id, op, &image_base).await {
            log_error(&err);
        }
    }
    let back = safe_return(field("return_to").unwrap_or("/"));
    let secure = if url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let headers = Headers::new();
    headers.set("location", back)?;
    headers.set(
        "set-cookie",
        &format!(
            "{REGION_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}",
            region.id.as_str()
        ),
    )?;
    headers.set("cache-control", "no-store")?;
    Ok(ResponseBuilder::new()
        .with_status(303)
        .with_headers(headers)
        .empty())
}
