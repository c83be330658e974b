//! `/store/*`: the Medusa-compatible Store API. Routes are matched before any
//! database work; the store comes from the publishable key; each route calls one
//! function of `commerce::store_api`.

use commerce::params::QueryParams;
use commerce::store::{self, PublishableKey};
use commerce::store_api::{self, ApiContext};
use commerce::ApiError;
use tokio_postgres::Client;
use worker::{Env, Method, Response, Url};

use crate::{db, http};

/// The read endpoints, by path.
enum Route<'a> {
    Regions,
    Region(&'a str),
    Products,
    Product(&'a str),
    Categories,
    Category(&'a str),
    Collections,
    Collection(&'a str),
}

fn route<'a>(segments: &[&'a str]) -> Option<Route<'a>> {
    Some(match segments {
        ["regions"] => Route::Regions,
        ["regions", id] => Route::Region(id),
        ["products"] => Route::Products,
        ["products", id] => Route::Product(id),
        ["product-categories"] => Route::Categories,
        ["product-categories", id] => Route::Category(id),
        ["collections"] => Route::Collections,
        ["collections", id] => Route::Collection(id),
        _ => return None,
    })
}

/// Serves one Store API request. `segments` is the path after `/store/`.
pub async fn handle(
    env: &Env,
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
    let params = QueryParams::from_pairs(url.query_pairs());
    let image_base = format!("{}/images/", url.origin().ascii_serialization());
    let body = db::with_client(env, async |client: &Client| {
        let store = store::by_publishable_key(client, &key).await?;
        let ctx = ApiContext {
            store: &store,
            image_base: &image_base,
        };
        match route {
            Route::Regions => store_api::list_regions(client, &ctx, &params).await,
            Route::Region(id) => store_api::get_region(client, &ctx, id, &params).await,
            Route::Products => store_api::list_products(client, &ctx, &params).await,
            Route::Product(id) => store_api::get_product(client, &ctx, id, &params).await,
            Route::Categories => store_api::list_categories(client, &ctx, &params).await,
            Route::Category(id) => store_api::get_category(client, &ctx, id, &params).await,
            Route::Collections => store_api::list_collections(client, &ctx, &params).await,
            Route::Collection(id) => store_api::get_collection(client, &ctx, id, &params).await,
        }
    })
    .await?;
    http::json(200, &body).map_err(|e| ApiError::Internal {
        detail: e.to_string(),
    })
}
