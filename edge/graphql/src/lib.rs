//! The GraphQL Worker: `POST /graphql` and `GET /graphql` (queries in the query string,
//! so that public queries can be cached by URL), through the edge crate's pipeline
//! with a routing table of its own. The schema and its resolvers are
//! `commerce::graphql`; this crate reads the request, opens the database connection
//! and answers. The shop Worker hands `/graphql` here through its `GRAPHQL` service
//! binding, so shoppers see one host.

use std::rc::Rc;

use commerce::graphql::{self, ApiSchema, Reader};
use commerce::ApiError;
use edge::context::Cx;
use edge::http::{self, body};
use edge::limit::Rule;
use edge::router::{route, Access, Answer, Route, Verb};
use edge::{handler, health};
use tokio_postgres::Client;
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

/// `POST /graphql`: a JSON body `{query, variables, operationName}`.
async fn post(cx: &mut Cx) -> Result<Response, ApiError> {
    let bytes = body::bounded(&mut cx.req, MAX_BODY).await?;
    let request = graphql::request_from_body(&bytes, &cx.config.graphql)?;
    answer(cx, request).await
}

/// `GET /graphql?query=…&variables=…`: queries only.
async fn get(cx: &mut Cx) -> Result<Response, ApiError> {
    let request = graphql::request_from_query(cx.url.query().unwrap_or(""), &cx.config.graphql)?;
    answer(cx, request).await
}

async fn answer(cx: &mut Cx, request: async_graphql::Request) -> Result<Response, ApiError> {
    let store = cx
        .store
        .as_deref()
        .cloned()
        .ok_or_else(|| ApiError::internal("GraphQL route without a store"))?;
    let (client, driver) = durable_objects::db::open(&cx.env).await?;
    cx.ctx.wait_until(driver);
    let reader = Reader::new(client, store, cx.regions.to_vec(), cx.image_base());
    let answer = graphql::execute(&schema(cx), request, reader).await;
    for failure in &answer.failures {
        cx.log_failure(failure);
    }
    let mut response = http::bytes(
        200,
        "application/json; charset=utf-8",
        answer.body.into_bytes(),
    )?;
    response
        .headers_mut()
        .set("cache-control", "no-store")
        .map_err(http::internal)?;
    Ok(response)
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
