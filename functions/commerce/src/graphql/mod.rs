//! The GraphQL API: the same domain functions as the Store API (a product list is
//! `catalog::product::list`, prices are `store_api::Pricing`), another shape for clients
//! that speak GraphQL (Apollo and the like). No rule is written here twice.
//!
//! - [`schema`] builds the schema once per isolate with its [`Limits`] (depth,
//!   complexity, introspection); [`request_from_body`] and [`request_from_query`] read
//!   a POST's JSON and a GET's query string, refusing a query text over the size limit.
//! - [`execute`] runs a request for one [`Reader`] (the store of the publishable key,
//!   its regions, the database client) and answers GraphQL's JSON: `data` and `errors`,
//!   each error with our stable code in `extensions.code` ([`crate::ErrorCode`], or
//!   `graphql_parse_failed` / `graphql_validation_failed` for a query that is not valid).
//! - Resolvers read whole products in one statement per root field (`catalog::product::list`
//!   reads variants, prices, images, categories and attributes with the page): a query
//!   for 50 products and all their parts runs the same few statements as one for 1.

mod catalog;
mod errors;

use std::sync::{Arc, Mutex};

use async_graphql::{EmptyMutation, EmptySubscription};

use crate::db::Sql;
use crate::region::Region;
use crate::store::Store;
use crate::ApiError;

pub use catalog::Query;
pub use errors::{refusal_body, PARSE_FAILED, VALIDATION_FAILED};

/// The schema over a database client type (`tokio_postgres::Client` in the Worker; a
/// counting wrapper in the tests).
pub type ApiSchema<C> = async_graphql::Schema<Query<C>, EmptyMutation, EmptySubscription>;

/// What a query may cost. A query over a limit is refused before any resolver runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest selection (`products { variants { price { amount } } }` is 4).
    pub depth: usize,
    /// Sum of the fields' costs; a list field costs its page size times its children.
    pub complexity: usize,
    /// Longest query text, in bytes (checked before parsing).
    pub query_bytes: usize,
    /// Whether `__schema` and `__type` answer (development yes; production as the
    /// operator sets it).
    pub introspection: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            depth: 10,
            complexity: 5_000,
            query_bytes: 8 * 1024,
            introspection: true,
        }
    }
}

/// The schema with `limits`. Built once per isolate: it holds no request's data.
pub fn schema<C: Sql + Send + Sync + 'static>(limits: Limits) -> ApiSchema<C> {
    let builder =
        async_graphql::Schema::build(Query::<C>::default(), EmptyMutation, EmptySubscription)
            .limit_depth(limits.depth)
            .limit_complexity(limits.complexity)
            .limit_recursive_depth(32)
            .limit_directives(8);
    if limits.introspection {
        builder.finish()
    } else {
        builder.disable_introspection().finish()
    }
}

/// Who is asking and how the resolvers reach the database: one per request.
pub struct Reader<C> {
    pub client: C,
    pub store: Store,
    /// The store's regions as the caller holds them (a `regionId` among them costs no
    /// read).
    pub regions: Vec<Region>,
    /// Absolute URL prefix of product images, ending in `/`.
    pub image_base: String,
    /// Failures whose details the caller logs (the client only sees their code).
    failures: Arc<Mutex<Vec<ApiError>>>,
}

impl<C> Reader<C> {
    pub fn new(client: C, store: Store, regions: Vec<Region>, image_base: String) -> Self {
        Reader {
            client,
            store,
            regions,
            image_base,
            failures: Arc::default(),
        }
    }

    /// Keeps a failure with details worth logging.
    fn failed(&self, err: &ApiError) {
        if err.log_detail().is_some() {
            if let Ok(mut failures) = self.failures.lock() {
                failures.push(err.clone());
            }
        }
    }
}

/// A request read from a POST's JSON body (`{"query", "variables", "operationName"}`).
pub fn request_from_body(body: &[u8], limits: &Limits) -> Result<async_graphql::Request, ApiError> {
    let request: async_graphql::Request = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid("body", format!("not a GraphQL request in JSON: {e}")))?;
    checked(request, limits)
}

/// A request read from a GET's query string (`query`, `variables` and `operationName`
/// as JSON text, the GraphQL-over-HTTP convention). A GET only reads: a mutation is
/// refused, so that a link or a cache can never change anything.
pub fn request_from_query(
    query: &str,
    limits: &Limits,
) -> Result<async_graphql::Request, ApiError> {
    let request = async_graphql::http::parse_query_string(query)
        .map_err(|e| ApiError::invalid("query", format!("not a GraphQL request: {e}")))?;
    let request = checked(request, limits)?;
    if mutates(&request) {
        return Err(ApiError::invalid("query", "a mutation is sent with POST"));
    }
    Ok(request)
}

/// Whether the operation `request` runs is a mutation (a text that does not parse is
/// not: execution answers its syntax error).
fn mutates(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let is_mutation = |ty: OperationType| ty == OperationType::Mutation;
    match &document.operations {
        DocumentOperations::Single(op) => is_mutation(op.node.ty),
        DocumentOperations::Multiple(ops) => match &request.operation_name {
            Some(name) => ops
                .get(name.as_str())
                .is_some_and(|op| is_mutation(op.node.ty)),
            None => ops.values().any(|op| is_mutation(op.node.ty)),
        },
    }
}

fn checked(
    request: async_graphql::Request,
    limits: &Limits,
) -> Result<async_graphql::Request, ApiError> {
    if request.query.trim().is_empty() {
        return Err(ApiError::invalid("query", "a GraphQL query is required"));
    }
    if request.query.len() > limits.query_bytes {
        return Err(ApiError::PayloadTooLarge {
            limit_kb: limits.query_bytes / 1024,
        });
    }
    Ok(request)
}

/// What [`execute`] answers: the response body, and the failures to log.
pub struct Answer {
    pub body: String,
    pub failures: Vec<ApiError>,
}

/// Runs `request` for `reader`. Every error carries `extensions.code`.
pub async fn execute<C: Sql + Send + Sync + 'static>(
    schema: &ApiSchema<C>,
    request: async_graphql::Request,
    reader: Reader<C>,
) -> Answer {
    let query = request.query.clone();
    let failures = Arc::clone(&reader.failures);
    let mut response = schema.execute(request.data(reader)).await;
    errors::classify(&mut response, &query);
    let body = serde_json::to_string(&response).unwrap_or_else(|_| {
        r#"{"errors":[{"message":"An unknown error occurred.","extensions":{"code":"unknown_error"}}]}"#
            .to_owned()
    });
    let failures = std::mem::take(&mut *failures.lock().unwrap_or_else(|p| p.into_inner()));
    Answer { body, failures }
}
