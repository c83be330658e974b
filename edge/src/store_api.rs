//! `/store/*`: the Medusa-compatible Store API. Routes are matched before any
//! database work; the store comes from the publishable key (kept in the isolate's
//! memo); responses go through the edge cache like pages; each route calls one
//! function of `commerce::store_api`.

use std::rc::Rc;

use commerce::params::QueryParams;
use commerce::store::{self, PublishableKey, Store};
use commerce::store_api::{self, ApiContext};
use commerce::ApiError;
use serde_json::Value;
use tokio_postgres::Client;
use worker::{Context, Env, Headers, Method, Response, ResponseBuilder, Url};

use crate::config::Config;
use crate::db;
use crate::edge_cache::{self, Entry};
use crate::memo::{self, Memo};

thread_local! {
    static STORES: Memo<Store> = Memo::default();
}

/// The read endpoints, by path.
#[derive(Clone)]
enum Route {
    Regions,
    Region(String),
    Products,
    Product(String),
    Categories,
    Category(String),
    Collections,
    Collection(String),
}

fn route(segments: &[&str]) -> Option<Route> {
    let id = |s: &str| s.to_owned();
    Some(match segments {
        ["regions"] => Route::Regions,
        ["regions", i] => Route::Region(id(i)),
        ["products"] => Route::Products,
        ["products", i] => Route::Product(id(i)),
        ["product-categories"] => Route::Categories,
        ["product-categories", i] => Route::Category(id(i)),
        ["collections"] => Route::Collections,
        ["collections", i] => Route::Collection(id(i)),
        _ => return None,
    })
}

/// One API call, owned so that a background revalidation can run it again.
struct Call {
    env: Env,
    store: Rc<Store>,
    route: Route,
    params: QueryParams,
    image_base: String,
}

impl Call {
    async fn run(&self) -> Result<Value, ApiError> {
        let ctx = ApiContext {
            store: &self.store,
            image_base: &self.image_base,
        };
        let params = &self.params;
        db::with_client(&self.env, async |client: &Client| match &self.route {
            Route::Regions => store_api::list_regions(client, &ctx, params).await,
            Route::Region(id) => store_api::get_region(client, &ctx, id, params).await,
            Route::Products => store_api::list_products(client, &ctx, params).await,
            Route::Product(id) => store_api::get_product(client, &ctx, id, params).await,
            Route::Categories => store_api::list_categories(client, &ctx, params).await,
            Route::Category(id) => store_api::get_category(client, &ctx, id, params).await,
            Route::Collections => store_api::list_collections(client, &ctx, params).await,
            Route::Collection(id) => store_api::get_collection(client, &ctx, id, params).await,
        })
        .await
    }

    async fn entry(&self) -> Result<Entry, ApiError> {
        let body = self.run().await?;
        Ok(Entry {
            status: 200,
            content_type: "application/json; charset=utf-8".into(),
            body: serde_json::to_vec(&body).map_err(|e| ApiError::Internal {
                detail: e.to_string(),
            })?,
        })
    }
}

/// The store of a publishable key, from the isolate's memo when it has one.
pub(crate) async fn store_for(
    env: &Env,
    ctx: &Context,
    config: &Config,
    key: &PublishableKey,
) -> Result<Rc<Store>, ApiError> {
    let (env, owned_key) = (env.clone(), key.clone());
    memo::get(&STORES, key.as_str(), config.site_ttl_ms, ctx, move || {
        let (env, key) = (env.clone(), owned_key.clone());
        async move {
            db::with_client(&env, async |client: &Client| {
                store::by_publishable_key(client, &key).await
            })
            .await
        }
    })
    .await
}

/// Serves one Store API request. `segments` is the path after `/store/`.
pub async fn handle(
    env: &Env,
    ctx: &Context,
    config: &Config,
    method: &Method,
    url: &Url,
    publishable_key: Option<&str>,
    segments: &[&str],
) -> Result<Response, ApiError> {
    let Some(route) = route(segments) else {
        return Err(ApiError::RouteNotFound {
            method: method.to_string(),
            path: url.path().to_owned(),
        });
    };
    if !matches!(method, Method::Get | Method::Head) {
        return Err(ApiError::MethodNotAllowed {
            method: method.to_string(),
            path: url.path().to_owned(),
        });
    }
    let key = PublishableKey::parse(publishable_key)?;
    let store = store_for(env, ctx, config, &key).await?;
    let origin = url.origin().ascii_serialization();
    let cache_key = format!(
        "{origin}/__edge-cache/api/{}/{}/v{}{}?{}",
        storefront::RENDER_HASH,
        store.id.as_str(),
        store.catalog_version,
        url.path(),
        url.query().unwrap_or_default(),
    );
    let call = Call {
        env: env.clone(),
        store,
        route,
        params: QueryParams::from_pairs(url.query_pairs()),
        image_base: format!("{origin}/images/"),
    };
    let render = move || async move { call.entry().await };
    let served = edge_cache::serve(
        ctx,
        cache_key,
        config.page_fresh_ms,
        config.page_lifetime_s,
        render,
    );
    let (entry, state) = served.await?;
    let internal = |e: worker::Error| ApiError::Internal {
        detail: e.to_string(),
    };
    let headers = Headers::new();
    headers
        .set("content-type", &entry.content_type)
        .map_err(internal)?;
    headers.set("x-cache", state).map_err(internal)?;
    // Clients revalidate every time; the shared copy lives in the edge cache.
    headers.set("cache-control", "no-cache").map_err(internal)?;
    headers
        .set("vary", "x-publishable-api-key")
        .map_err(internal)?;
    Ok(ResponseBuilder::new()
        .with_status(entry.status)
        .with_headers(headers)
        .fixed(entry.body))
}
