//! The admin area at the edge: staff sign-in ([`session`]) and the pages and admin API
//! of a store's operations ([`orders`], [`products`] with their [`options`],
//! [`variants`] and images ([`product_images`]), catalog [`imports`] and export,
//! [`categories`], [`collections`], [`stock`], [`locations`], [`purchase_orders`]), its
//! settings ([`settings`], [`regions`] with their shipping options), its staff
//! ([`staff`]) and its secret API keys ([`api_keys`]). The router has resolved the
//! member and checked their permission before any handler here runs. Every answer is
//! personal: never
//! cached, not indexed.

pub mod analytics;
pub mod api_keys;
pub mod attributes;
pub mod categories;
pub mod collections;
pub mod imports;
pub mod locations;
pub mod openapi;
pub mod options;
pub mod orders;
pub mod product_images;
pub mod products;
pub mod purchase_orders;
pub mod regions;
pub mod roles;
pub mod session;
pub mod settings;
pub mod staff;
pub mod stock;
pub mod variants;
pub mod webhooks;

use commerce::db::atomically;
use commerce::staff::audit::{self, Entry};
use commerce::staff::{memberships, Member};
use commerce::ApiError;
use storefront::admin::{admin_error_page, Shell};
use storefront::pages::Rendered;
use tokio_postgres::Client;
use worker::Response;

use crate::context::Cx;
use crate::http;
use crate::pages::personal;

/// An admin page: no caching anywhere, not indexed, with `cookies` to set.
pub fn page(rendered: Rendered, cookies: &[String]) -> Result<Response, ApiError> {
    personal(rendered, None, cookies)
}

/// An admin API answer: personal, never stored.
/// `?saved=<what>`: what a page says was just saved (the redirect after a form).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    pub saved: String,
}

/// A whole list in Medusa's list shape: `{<key>: items, count, offset: 0, limit}`.
pub fn whole_list<T: serde::Serialize>(key: &str, items: &[T]) -> Result<Response, ApiError> {
    let mut body = serde_json::Map::new();
    body.insert(
        key.to_owned(),
        serde_json::to_value(items).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    body.insert("count".into(), items.len().into());
    body.insert("offset".into(), 0.into());
    body.insert("limit".into(), items.len().into());
    api_json(&body)
}

pub fn api_json<T: serde::Serialize>(body: &T) -> Result<Response, ApiError> {
    let mut response = http::json(200, body)?;
    response
        .headers_mut()
        .set("cache-control", "no-store")
        .map_err(http::internal)?;
    Ok(response)
}

/// Medusa's `{add, remove}` of product ids (a category's or collection's products).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LinkBody {
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

impl LinkBody {
    /// The products to add and to remove; a malformed id is not found.
    pub fn products(
        &self,
    ) -> Result<(Vec<commerce::ids::ProductId>, Vec<commerce::ids::ProductId>), ApiError> {
        let parse = |list: &[String]| {
            list.iter()
                .map(|raw| {
                    commerce::ids::ProductId::parse(raw)
                        .map_err(|_| ApiError::not_found("Product", "id", raw.clone()))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok((parse(&self.add)?, parse(&self.remove)?))
    }
}

/// Runs `work` and the audit entry it answers with in one transaction on the request's
/// connection: the change and its record stand or fall together.
pub async fn audited<'a, T>(
    cx: &Cx,
    work: impl AsyncFnOnce(&Client) -> Result<(T, Entry<'a>), ApiError>,
) -> Result<T, ApiError> {
    let member = cx.member()?;
    let from = cx.client();
    cx.with_db(async |client: &Client| {
        atomically(client, async |tx: &Client| {
            let (done, entry) = work(tx).await?;
            audit::record(tx, member, &from, &cx.trace_id, entry).await?;
            Ok(done)
        })
        .await
    })
    .await
}

/// The shell around a member's page: their stores for the switcher, the navigation
/// their role allows.
pub async fn shell(client: &Client, member: &Member, path: &str) -> Result<Shell, ApiError> {
    let stores = memberships(client, &member.user_id).await?;
    Ok(Shell::new(member, &stores, path))
}

/// Renders an admin page for the signed-in member with a database client.
pub async fn render(
    cx: &Cx,
    render: impl AsyncFnOnce(&Client, &Member, &Shell) -> Result<Rendered, ApiError>,
) -> Result<Response, ApiError> {
    let member = cx.member()?;
    let path = cx.url.path().to_owned();
    let rendered = cx
        .with_db(async |client: &Client| {
            let shell = shell(client, member, &path).await?;
            render(client, member, &shell).await
        })
        .await?;
    page(rendered, &[])
}

/// The admin's answer to a failed request: to an API client, Medusa's JSON error;
/// without a session, the sign-in page and
/// back here after it (for a page read) or the sign-in page itself; otherwise the error
/// page, in the member's shell when known.
pub fn error_response(cx: &Cx, err: &ApiError) -> Result<Response, ApiError> {
    if cx.wants_json() {
        cx.log_failure(err);
        return http::error(err);
    }
    if matches!(err, ApiError::NotSignedIn { .. }) {
        let next = match cx.url.query() {
            Some(q) => format!("{}?{q}", cx.url.path()),
            None => cx.url.path().to_owned(),
        };
        let target = if cx.method == worker::Method::Get && next != "/admin" {
            format!("/admin/sign-in?next={}", storefront::listing::encode(&next))
        } else {
            "/admin/sign-in".to_owned()
        };
        return http::see_other(&target);
    }
    cx.log_failure(err);
    let shell = cx
        .member
        .as_ref()
        .map(|m| Shell::new(m, &[], cx.url.path()));
    let mut response = page(admin_error_page(shell.as_ref(), err), &[])?;
    http::retry_after(&mut response, err)?;
    Ok(response)
}

/// `/admin/*` that no route serves.
pub async fn not_found(cx: &mut Cx) -> Result<Response, ApiError> {
    Err(ApiError::RouteNotFound {
        method: cx.method.to_string(),
        path: cx.url.path().to_owned(),
    })
}
