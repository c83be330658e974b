//! The GraphQL Worker: `POST /graphql` and `GET /graphql` (queries in the query string,
//! so that public queries can be cached by URL), through the edge crate's pipeline
//! with a routing table of its own. The schema and its resolvers are
//! `commerce::graphql`; this crate reads the request, opens the database connection
//! and answers. The shop Worker hands `/graphql` here through its `GRAPHQL` service
//! binding, so shoppers see one host.

use std::rc::Rc;
use std::sync::Arc;

use commerce::cart_api::{CartOp, CartOutcome};
use commerce::checkout::{CompleteResponse, PaymentChoice, SessionView};
use commerce::graphql::{self, ApiSchema, Port, Reader, Shop};
use commerce::ids::{CartId, CustomerId, OrderId};
use commerce::order::Order;
use commerce::ApiError;
use edge::context::Cx;
use edge::edge_cache::{self, Entry};
use edge::http::{self, body};
use edge::limit::Rule;
use edge::router::{route, Access, Answer, Route, Verb};
use edge::store_api::carts;
use edge::store_api::checkout::{self, Caller};
use edge::{handler, health};
use futures_util::future::join;
use tokio_postgres::Client;
use worker::send::{SendFuture, SendWrapper};
use worker::{event, Context, Env, Request, Response};

/// The largest request body read (variables included); the query text itself is
/// limited more tightly by [`graphql::Limits::query_bytes`].
const MAX_BODY: usize = 64 * 1024;

use Access::{Public, PublishableKey as Key};
use Answer::{Graphql, Json};
use Verb::{Any, Get, Options, Post};

/// Every endpoint of the GraphQL Worker, matched in order.
#[rustfmt::skip]
pub static ROUTES: &[Route] = &[
    route(Options, "/graphql", Public, Graphql, handler!(http::preflight_handler)),
    route(Get, "/graphql", Key, Graphql, handler!(get)).limited(Rule::GraphqlByIp),
    route(Post, "/graphql", Key, Graphql, handler!(post)).limited(Rule::GraphqlByIp),
    route(Get, "/health/live", Public, Json, handler!(health::live)),
    route(Any, "/*", Public, Graphql, handler!(http::not_found)).fallback(),
];

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<worker::web_sys::Response> {
    edge::serve(req, env, ctx, ROUTES).await
}

thread_local! {
    /// The isolate's schema, built with its configuration's limits by its first query.
    static SCHEMA: std::cell::OnceCell<Rc<ApiSchema<Client>>> = const { std::cell::OnceCell::new() };
}

fn schema(cx: &Cx) -> Rc<ApiSchema<Client>> {
    SCHEMA.with(|s| {
        s.get_or_init(|| Rc::new(graphql::schema(cx.config.graphql)))
            .clone()
    })
}

/// `POST /graphql`: a JSON body `{query, variables, operationName, extensions}`.
async fn post(cx: &mut Cx) -> Result<Response, ApiError> {
    let bytes = body::bounded(&mut cx.req, MAX_BODY).await?;
    let mut request = graphql::request_from_body(&bytes, &cx.config.graphql)?;
    if !persisted::resolve(cx, &mut request).await? {
        return persisted::not_found();
    }
    let body = answer(cx, request).await?;
    respond(body, "no-store", None)
}

/// `GET /graphql?query=…&variables=…` (or `extensions=` with a persisted query's hash):
/// queries only. A query every shopper of the store gets the same answer to is kept in
/// the edge cache under the store's catalog version, as the Store API's reads are.
async fn get(cx: &mut Cx) -> Result<Response, ApiError> {
    let mut request =
        graphql::request_from_query(cx.url.query().unwrap_or(""), &cx.config.graphql)?;
    if !persisted::resolve(cx, &mut request).await? {
        return persisted::not_found();
    }
    graphql::reads_only(&request)?;
    if !graphql::shared(&request) {
        let body = answer(cx, request).await?;
        return respond(body, "no-store", None);
    }
    let store = cx.store()?;
    let key = format!(
        "{}/__edge-cache/graphql/{}/{}/v{}?{}",
        cx.site_origin(),
        storefront::RENDER_HASH,
        store.id.as_str(),
        store.catalog_version,
        cx.url.query().unwrap_or_default(),
    );
    let run = Run::of(cx, request)?;
    let render = move || async move {
        let body = run.go().await?;
        Ok(Entry {
            status: 200,
            content_type: JSON.to_owned(),
            body: body.into_bytes(),
        })
    };
    let config = &cx.config;
    let (entry, state) = edge_cache::serve(
        &cx.ctx,
        key,
        config.page_fresh_ms,
        config.page_lifetime_s,
        render,
    )
    .await?;
    // Clients revalidate every time; the shared copy lives in the edge cache.
    let body = String::from_utf8(entry.body).map_err(ApiError::internal)?;
    respond(body, "no-cache", Some(state))
}

const JSON: &str = "application/json; charset=utf-8";

/// Runs `request` now, for the signed-in customer if there is one, and answers its
/// body; failures with details are logged. Only a text that names `orders` can reach
/// the customer's data, so only then is the sign-in checked (it costs a read).
async fn answer(cx: &Cx, request: async_graphql::Request) -> Result<String, ApiError> {
    let names_orders = request.query.contains("orders");
    let mut run = Run::of(cx, request)?;
    if names_orders {
        run.customer = customer(cx).await;
    }
    run.go().await
}

/// The signed-in customer (a customer's JWT or session cookie of the store), if any. A
/// credential that does not check out is no one: catalog queries answer as usual, and
/// `orders` refuses.
async fn customer(cx: &Cx) -> Option<CustomerId> {
    let signed_in = cx.signed_in().await;
    if let Err(err) = &signed_in {
        if err.log_detail().is_some() {
            edge::log::failure(Some(&cx.trace_id), err);
        }
    }
    signed_in.ok().flatten()?.customer
}

fn respond(body: String, cache: &str, state: Option<&str>) -> Result<Response, ApiError> {
    let mut response = http::bytes(200, JSON, body.into_bytes())?;
    let headers = response.headers_mut();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(http::internal);
    set("cache-control", cache)?;
    if let Some(state) = state {
        set("x-cache", state)?;
        set("vary", "x-publishable-api-key")?;
    }
    Ok(response)
}

/// A query with what it runs for, owned: the edge cache may run it again after the
/// response (stale-while-revalidate).
struct Run {
    env: Env,
    schema: Rc<ApiSchema<Client>>,
    store: commerce::store::Store,
    regions: Vec<commerce::region::Region>,
    image_base: String,
    trace_id: String,
    caller: Caller,
    /// Only for a query that is not shared (its answer is the customer's own).
    customer: Option<CustomerId>,
    request: async_graphql::Request,
}

impl Run {
    fn of(cx: &Cx, request: async_graphql::Request) -> Result<Self, ApiError> {
        Ok(Run {
            env: cx.env.clone(),
            schema: schema(cx),
            store: (*cx.store()?).clone(),
            regions: cx.regions.to_vec(),
            image_base: cx.image_base(),
            trace_id: cx.trace_id.clone(),
            caller: Caller::of(cx),
            customer: None,
            request,
        })
    }

    /// The answer's body. A failure that is not the query's (the database) is the
    /// request's error, so that no cache keeps it; its details are logged.
    async fn go(self) -> Result<String, ApiError> {
        let (client, driver) = durable_objects::db::open(&self.env).await?;
        let shop = Arc::new(WorkerShop(SendWrapper(Parts {
            store: self.store.clone(),
            caller: self.caller,
        })));
        let reader = Reader::new(client, self.store, self.regions, self.image_base)
            .with_shop(shop)
            .with_customer(self.customer);
        // The connection is driven beside the query and closes once the reader (and
        // its client) is dropped at the query's end.
        let (answer, ()) = join(graphql::execute(&self.schema, self.request, reader), driver).await;
        let mut failures = answer.failures.into_iter();
        match failures.next() {
            None => Ok(answer.body),
            Some(first) => {
                for other in failures {
                    edge::log::failure(Some(&self.trace_id), &other);
                }
                Err(first)
            }
        }
    }
}

/// The store's carts through their objects (the shop Worker's `CartObject`, bound as
/// `CART`), payments, completions and orders through the origin: the Store API's own
/// functions, so the same rules, limits and refusals. The runtime's futures are not
/// `Send`; the isolate is one thread, which is what [`SendWrapper`] and [`SendFuture`]
/// rely on.
struct WorkerShop(SendWrapper<Parts>);

struct Parts {
    store: commerce::store::Store,
    caller: Caller,
}

impl WorkerShop {
    /// `f` on the parts, as a future the schema may hold.
    fn port<'a, T, F>(&'a self, f: impl FnOnce(&'a Parts) -> F) -> Port<'a, T>
    where
        F: std::future::Future<Output = Result<T, ApiError>> + 'a,
        T: 'a,
    {
        Box::pin(SendFuture::new(f(&self.0 .0)))
    }
}

impl Shop for WorkerShop {
    fn run(&self, id: CartId, op: CartOp) -> Port<'_, CartOutcome> {
        self.port(|Parts { store, caller }| async move {
            carts::call(&caller.env, store, &id, op, &caller.image_base).await
        })
    }

    fn start_payment(&self, id: CartId, payment: PaymentChoice) -> Port<'_, SessionView> {
        self.port(|Parts { store, caller }| async move {
            checkout::start_payment_for(caller, store, &id, payment).await
        })
    }

    fn complete(&self, id: CartId, payment: Option<PaymentChoice>) -> Port<'_, CompleteResponse> {
        self.port(|Parts { store, caller }| async move {
            let (answer, _) = checkout::complete_cart_for(caller, store, &id, payment).await?;
            Ok(answer)
        })
    }

    fn order(&self, id: OrderId) -> Port<'_, Order> {
        self.port(|Parts { store, caller }| async move {
            checkout::fetch_order(&caller.config, store, &id, &caller.traceparent).await
        })
    }
}

/// Automatic persisted queries: a query's text kept by its hash in the Cache API (every
/// isolate of the location finds it), so that clients send a short GET with the hash.
mod persisted {
    use commerce::graphql::{self, Persisted};
    use commerce::ApiError;
    use edge::context::Cx;
    use edge::http;
    use worker::{Cache, Headers, Response, ResponseBuilder};

    /// How long a registered text is kept (clients send it again when it is gone).
    const KEEP_S: u32 = 30 * 24 * 3600;

    fn key(cx: &Cx, hash: &str) -> String {
        format!("{}/__edge-cache/graphql-persisted/{hash}", cx.site_origin())
    }

    /// Fills in the text of a request that sent only its hash, and keeps the text of one
    /// that sent both. False when the hash is unknown here.
    pub async fn resolve(cx: &Cx, request: &mut async_graphql::Request) -> Result<bool, ApiError> {
        match graphql::persisted(request)? {
            Persisted::No => Ok(true),
            Persisted::Register(hash) => {
                let (key, text) = (key(cx, &hash), request.query.clone());
                cx.ctx.wait_until(async move {
                    let headers = Headers::new();
                    let _ = headers.set("cache-control", &format!("max-age={KEEP_S}"));
                    let response = ResponseBuilder::new()
                        .with_headers(headers)
                        .fixed(text.into_bytes());
                    if let Err(e) = Cache::default().put(&key, response).await {
                        worker::console_error!("persisted query not kept: {e}");
                    }
                });
                Ok(true)
            }
            Persisted::Lookup(hash) => {
                let found = Cache::default()
                    .get(&key(cx, &hash), false)
                    .await
                    .map_err(http::internal)?;
                match found {
                    Some(mut text) => {
                        request.query = text.text().await.map_err(http::internal)?;
                        Ok(true)
                    }
                    None => Ok(false),
                }
            }
        }
    }

    /// Apollo's answer to an unknown hash (a 200: the client then sends the text).
    pub fn not_found() -> Result<Response, ApiError> {
        let body = graphql::persisted_query_not_found().into_bytes();
        let mut response = http::bytes(200, super::JSON, body)?;
        response
            .headers_mut()
            .set("cache-control", "no-store")
            .map_err(http::internal)?;
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_needs_a_publishable_key_and_counts_against_the_limit() {
        for r in ROUTES {
            let open = r.verb == Verb::Options || r.path.starts_with("/health") || r.fallback;
            if !open {
                assert_eq!(r.access, Access::PublishableKey, "{}", r.path);
                assert_eq!(r.limit, Some(Rule::GraphqlByIp), "{}", r.path);
            }
            if r.path == "/graphql" {
                assert_eq!(r.answer, Answer::Graphql, "{}", r.path);
            }
        }
    }
}
