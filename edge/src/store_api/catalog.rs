//! The Store API's catalog reads (regions, products, categories, collections, search
//! suggestions), each one function of `commerce::store_api`, served through the edge
//! cache like pages.

use std::rc::Rc;

use commerce::analytics::record::{self, Viewed};
use commerce::params::QueryParams;
use commerce::region::Region;
use commerce::store::Store;
use commerce::store_api::{self, ApiContext, Fragments};
use commerce::wire::Json;
use commerce::ApiError;
use tokio_postgres::Client;
use worker::{Env, Headers, Response, ResponseBuilder};

use crate::context::Cx;
use crate::edge_cache::{self, Entry};
use crate::http::internal;
use durable_objects::db;

/// Bytes of products this isolate keeps written in the Store API's shape
/// ([`Fragments`]): about 1,300 products of the demo stores' size.
const FRAGMENT_BYTES: usize = 8 * 1024 * 1024;

thread_local! {
    /// The isolate's written products, shared by its requests (one thread).
    static FRAGMENTS: &'static Fragments = Box::leak(Box::new(Fragments::new(FRAGMENT_BYTES)));
}

/// The read endpoints.
#[derive(Clone)]
enum Read {
    Regions,
    Region(String),
    Products,
    Product(String),
    Categories,
    Category(String),
    Collections,
    Collection(String),
    Suggestions,
}

impl Read {
    /// The read of a path the routing table sent here (`/store/<what>[/<id>]`).
    fn of(path: &str) -> Option<Read> {
        let mut parts = path.trim_start_matches("/store/").split('/');
        let what = parts.next()?;
        let id = parts.next().map(str::to_owned);
        Some(match (what, id) {
            ("regions", None) => Read::Regions,
            ("regions", Some(i)) => Read::Region(i),
            ("products", None) => Read::Products,
            ("products", Some(i)) => Read::Product(i),
            ("product-categories", None) => Read::Categories,
            ("product-categories", Some(i)) => Read::Category(i),
            ("collections", None) => Read::Collections,
            ("collections", Some(i)) => Read::Collection(i),
            ("search", Some(s)) if s == "suggestions" => Read::Suggestions,
            _ => return None,
        })
    }
}

/// One API call, owned so that a background revalidation can run it again.
struct Call {
    env: Env,
    store: Rc<Store>,
    regions: Rc<[Region]>,
    read: Read,
    params: QueryParams,
    image_base: String,
}

impl Call {
    /// The response body.
    async fn run(&self) -> Result<Vec<u8>, ApiError> {
        let ctx = ApiContext {
            store: &self.store,
            regions: &self.regions,
            image_base: &self.image_base,
            fragments: FRAGMENTS.with(|f| *f),
        };
        let params = &self.params;
        let bytes = |json: Json| Box::<str>::from(json).into_boxed_bytes().into_vec();
        db::with_client(&self.env, async |client: &Client| {
            Ok(match &self.read {
                Read::Regions => bytes(store_api::list_regions(client, &ctx, params).await?),
                Read::Region(id) => bytes(store_api::get_region(client, &ctx, id, params).await?),
                Read::Products => store_api::list_products(client, &ctx, params)
                    .await?
                    .into_bytes(),
                Read::Product(id) => store_api::get_product(client, &ctx, id, params)
                    .await?
                    .into_bytes(),
                Read::Categories => bytes(store_api::list_categories(client, &ctx, params).await?),
                Read::Category(id) => {
                    bytes(store_api::get_category(client, &ctx, id, params).await?)
                }
                Read::Collections => {
                    bytes(store_api::list_collections(client, &ctx, params).await?)
                }
                Read::Collection(id) => {
                    bytes(store_api::get_collection(client, &ctx, id, params).await?)
                }
                Read::Suggestions => {
                    bytes(store_api::search_suggestions(client, &ctx, params).await?)
                }
            })
        })
        .await
    }

    async fn entry(&self) -> Result<Entry, ApiError> {
        Ok(Entry {
            status: 200,
            content_type: "application/json; charset=utf-8".into(),
            body: self.run().await?,
        })
    }
}

/// `GET /store/{regions,products,product-categories,collections}[/:id]`.
pub async fn read(cx: &mut Cx) -> Result<Response, ApiError> {
    let read = Read::of(cx.url.path()).ok_or_else(|| ApiError::RouteNotFound {
        method: cx.method.to_string(),
        path: cx.url.path().to_owned(),
    })?;
    let store = cx.store()?;
    let viewed = match &read {
        Read::Product(id) => Some(Seen::Product(id.clone())),
        Read::Products => Some(Seen::List(cx.query("q"))),
        _ => None,
    };
    let cache_key = format!(
        "{}/__edge-cache/api/{}/{}/v{}{}?{}",
        cx.site_origin(),
        storefront::RENDER_HASH,
        store.id.as_str(),
        store.catalog_version,
        cx.url.path(),
        cx.url.query().unwrap_or_default(),
    );
    let call = Call {
        env: cx.env.clone(),
        store,
        regions: cx.regions.clone(),
        read,
        params: QueryParams::from_pairs(cx.url.query_pairs()),
        image_base: cx.image_base(),
    };
    let render = move || async move { call.entry().await };
    let config = &cx.config;
    let served = edge_cache::serve(
        &cx.ctx,
        cache_key,
        config.page_fresh_ms,
        config.page_lifetime_s,
        render,
    );
    let (entry, state) = served.await?;
    if let (Some(seen), 200) = (viewed, entry.status) {
        record_read(cx, seen, &entry.body);
    }
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(internal);
    set("content-type", &entry.content_type)?;
    set("x-cache", state)?;
    // Clients revalidate every time; the shared copy lives in the edge cache.
    set("cache-control", "no-cache")?;
    set("vary", "x-publishable-api-key")?;
    Ok(ResponseBuilder::new()
        .with_status(entry.status)
        .with_headers(headers)
        .fixed(entry.body))
}

/// What a Store API read showed a shopper, for analytics.
enum Seen {
    Product(String),
    /// A list, with its query when it searched.
    List(Option<String>),
}

/// Records `view_item`, `view_item_list` or `search` (with the list's `count`, read
/// from the end of its body, cached or not) for the read.
fn record_read(cx: &Cx, seen: Seen, body: &[u8]) {
    let store = match cx.store() {
        Ok(store) => store,
        Err(_) => return,
    };
    let visitor = crate::analytics::visitor(cx, &store.id);
    let now = crate::analytics::now_ms();
    let event = match seen {
        Seen::Product(id) => record::view_item(
            &store.id,
            &visitor,
            Viewed::Id(&id),
            None,
            &cx.trace_id,
            now,
        ),
        Seen::List(q) => {
            let q = q.filter(|q| !q.trim().is_empty());
            record::view_list(
                &store.id,
                &visitor,
                q.as_deref(),
                Some(list_count(body)),
                &cx.trace_id,
                now,
            )
        }
    };
    crate::analytics::record(cx, event);
}

/// The `count` of a list body (`...],"count":N,"offset":...}`), 0 when not found.
fn list_count(body: &[u8]) -> i64 {
    let tail = &body[body.len().saturating_sub(120)..];
    let text = String::from_utf8_lossy(tail);
    text.rsplit_once("\"count\":")
        .and_then(|(_, rest)| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}
