//! The catalog's pages (home, listings, products, sitemaps, robots): the edge cache
//! first, and only on a miss the database and `storefront::render`. Also the region
//! switch.

use std::rc::Rc;

use commerce::analytics::record::{self, Viewed};
use commerce::cart_api::CartOp;
use commerce::region::Region;
use commerce::ApiError;
use serde::Deserialize;
use storefront::pages::{cache_key, error_page, render, PageRequest, Rendered};
use storefront::site::Site;
use storefront::{page_route, PageRoute};
use tokio_postgres::Client;
use worker::{Env, Response};

use super::{entry, personalize, respond_entry};
use crate::context::Cx;
use crate::edge_cache;
use crate::http::{self, cookies};
use durable_objects::db;

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
    trace_id: String,
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
            crate::log::failure(Some(&self.trace_id), &err);
            error_page(Some(&req), &err)
        })
    }
}

/// A shopper's page for `GET`/`HEAD` requests that no other route took.
pub async fn serve(cx: &mut Cx) -> Result<Response, ApiError> {
    let shopper = cx.shopper()?;
    let segments: Vec<&str> = cx
        .url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let Some(route) = page_route(&segments) else {
        return Err(ApiError::RouteNotFound {
            method: "GET".into(),
            path: cx.url.path().to_owned(),
        });
    };
    // What the shopper looked at, for analytics (a page from the edge cache too).
    let store = &shopper.site.store.id;
    let seen = match &route {
        PageRoute::Product(handle) => Some(record::view_item(
            store,
            &crate::analytics::visitor(cx, store),
            Viewed::Handle(handle.as_str()),
            Some(cx.url.path()),
            &cx.trace_id,
            crate::analytics::now_ms(),
        )),
        PageRoute::AllProducts
        | PageRoute::Search
        | PageRoute::Category(_)
        | PageRoute::Collection(_) => {
            let q = cx.query("q").filter(|q| !q.trim().is_empty());
            Some(record::view_list(
                store,
                &crate::analytics::visitor(cx, store),
                q.as_deref(),
                None,
                &cx.trace_id,
                crate::analytics::now_ms(),
            ))
        }
        _ => None,
    };
    if let Some(event) = seen {
        crate::analytics::record(cx, event);
    }
    let job = Job {
        env: cx.env.clone(),
        site: shopper.site.clone(),
        region: shopper.region.clone(),
        origin: cx.site_origin(),
        path: cx.url.path().to_owned(),
        query: cx.url.query_pairs().into_owned().collect(),
        route,
        trace_id: cx.trace_id.clone(),
    };
    // build / store / catalog version / region: a deployment or a catalog change moves
    // every page to new keys.
    let region_part = if job.route.regional() {
        job.region.id.as_str()
    } else {
        "all"
    };
    let store = &shopper.site.store;
    let key = format!(
        "{}/__edge-cache/page/{}/{}/v{}/{}{}",
        job.origin,
        storefront::RENDER_HASH,
        store.id.as_str(),
        store.catalog_version,
        region_part,
        cache_key(&job.route, &job.request()),
    );
    let render = move || async move { Ok(entry(job.render().await)) };
    let config = &cx.config;
    let (entry, state) = edge_cache::serve(
        &cx.ctx,
        key,
        config.page_fresh_ms,
        config.page_lifetime_s,
        render,
    )
    .await?;
    let if_none_match = cx.header("if-none-match");
    respond_entry(
        personalize(entry, shopper.cart_count),
        if_none_match.as_deref(),
        state,
    )
}

/// The region switch form.
#[derive(Deserialize)]
struct RegionForm {
    #[serde(default)]
    region_id: String,
    #[serde(default)]
    return_to: Option<String>,
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
pub async fn switch_region(cx: &mut Cx) -> Result<Response, ApiError> {
    let form: RegionForm = cx.form().await?;
    let site = cx.shopper()?.site.clone();
    let Some(region) = site
        .regions
        .iter()
        .find(|r| r.id.as_str() == form.region_id)
    else {
        return http::text(400, "region_id: not a region of this store.\n");
    };
    // The shopper's cart follows: re-priced in the new region's currency. A failure
    // leaves the cart where it was (the cart page still shows it, in its currency).
    if let Some(cart_id) = &cx.cookies.cart {
        let op = CartOp::Update {
            body: serde_json::json!({ "region_id": region.id }),
        };
        if let Err(err) =
            crate::store_api::carts::call(&cx.env, &site.store, cart_id, op, &cx.image_base()).await
        {
            cx.log_failure(&err);
        }
    }
    let mut response = http::see_other(safe_return(form.return_to.as_deref().unwrap_or("/")))?;
    cookies::set(
        response.headers_mut(),
        &[cookies::region(&cx.url, &region.id)],
    )
    .map_err(http::internal)?;
    Ok(response)
}
