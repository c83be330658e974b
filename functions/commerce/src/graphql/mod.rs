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

mod cart;
mod catalog;
mod errors;
mod order;
mod shop;

use std::sync::{Arc, Mutex};

use async_graphql::EmptySubscription;

use crate::db::Sql;
use crate::ids::CustomerId;
use crate::region::Region;
use crate::store::Store;
use crate::ApiError;

pub use cart::Mutation;
pub use catalog::Query;
pub use errors::{refusal_body, PARSE_FAILED, VALIDATION_FAILED};
pub use shop::{Port, Shop};

/// The schema over a database client type (`tokio_postgres::Client` in the Worker; a
/// counting wrapper in the tests).
pub type ApiSchema<C> = async_graphql::Schema<Query<C>, Mutation<C>, EmptySubscription>;

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
    let builder = async_graphql::Schema::build(
        Query::<C>::default(),
        Mutation::<C>::default(),
        EmptySubscription,
    )
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
    /// Carts, payments and orders ([`Reader::with_shop`]); without, their fields refuse.
    shop: Option<Arc<dyn Shop>>,
    /// The signed-in customer ([`Reader::with_customer`]), whose orders `orders` lists.
    customer: Option<CustomerId>,
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
            shop: None,
            customer: None,
            failures: Arc::default(),
        }
    }

    /// The reader with the store's carts, payments and orders reachable through `shop`.
    pub fn with_shop(mut self, shop: Arc<dyn Shop>) -> Self {
        self.shop = Some(shop);
        self
    }

    /// The reader for a signed-in customer (of the reader's store).
    pub fn with_customer(mut self, customer: Option<CustomerId>) -> Self {
        self.customer = customer;
        self
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
    reads_only(&request)?;
    Ok(request)
}

/// Refuses a mutation: what a GET's query (also one found by its hash) must pass.
pub fn reads_only(request: &async_graphql::Request) -> Result<(), ApiError> {
    if mutates(request) {
        return Err(ApiError::invalid("query", "a mutation is sent with POST"));
    }
    Ok(())
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
    if request.query.trim().is_empty() && persisted_hash(&request).is_none() {
        return Err(ApiError::invalid("query", "a GraphQL query is required"));
    }
    if request.query.len() > limits.query_bytes {
        return Err(ApiError::PayloadTooLarge {
            limit_kb: limits.query_bytes / 1024,
        });
    }
    Ok(request)
}

/// The code Apollo clients resend a persisted query's text on.
pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";

/// A request's use of automatic persisted queries (Apollo's protocol:
/// `extensions: {"persistedQuery": {"version": 1, "sha256Hash": "…"}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Persisted {
    /// No hash: the query is its text.
    No,
    /// A hash without text: the text is the one registered under it.
    Lookup(String),
    /// A hash with its text (checked): register the text under it.
    Register(String),
}

/// What `request` says of persisted queries. A hash that is not the SHA-256 of the
/// text sent with it is refused (a cache poisoned with another query's answer
/// otherwise).
pub fn persisted(request: &async_graphql::Request) -> Result<Persisted, ApiError> {
    use sha2::{Digest, Sha256};
    let Some(hash) = persisted_hash(request) else {
        return Ok(Persisted::No);
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::invalid(
            "extensions",
            "persistedQuery.sha256Hash is 64 hexadecimal digits",
        ));
    }
    let hash = hash.to_ascii_lowercase();
    if request.query.is_empty() {
        return Ok(Persisted::Lookup(hash));
    }
    if hex::encode(Sha256::digest(request.query.as_bytes())) != hash {
        return Err(ApiError::invalid(
            "extensions",
            "persistedQuery.sha256Hash is not the SHA-256 of the query",
        ));
    }
    Ok(Persisted::Register(hash))
}

fn persisted_hash(request: &async_graphql::Request) -> Option<String> {
    use async_graphql::Value;
    let Some(Value::Object(pq)) = request.extensions.0.get("persistedQuery") else {
        return None;
    };
    match pq.get("sha256Hash") {
        Some(Value::String(hash)) => Some(hash.clone()),
        _ => None,
    }
}

/// The answer to a hash this Worker does not know (yet): the client sends the text.
pub fn persisted_query_not_found() -> String {
    serde_json::json!({"errors": [{"message": "PersistedQueryNotFound",
        "extensions": {"code": PERSISTED_QUERY_NOT_FOUND}}]})
    .to_string()
}

/// Whether `request`'s answer is the same for every shopper of the store, so that a
/// GET of it may be kept in the edge cache: every field of the operation's top level
/// reads the public catalog. A fragment at the top level, or a text that does not
/// parse, is not shared (execution answers it afresh).
pub fn shared(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, Selection};
    const PUBLIC: &[&str] = &[
        "products",
        "productConnection",
        "product",
        "categories",
        "regions",
        "__typename",
    ];
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match &document.operations {
        DocumentOperations::Single(op) => op,
        DocumentOperations::Multiple(ops) => match request
            .operation_name
            .as_deref()
            .and_then(|name| ops.get(name))
        {
            Some(op) => op,
            None => return false,
        },
    };
    operation.node.ty == async_graphql::parser::types::OperationType::Query
        && operation
            .node
            .selection_set
            .node
            .items
            .iter()
            .all(|item| match &item.node {
                Selection::Field(field) => PUBLIC.contains(&field.node.name.node.as_str()),
                _ => false,
            })
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

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn with_hash(query: &str, hash: &str) -> async_graphql::Request {
        let body = serde_json::json!({
            "query": query,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hash}}
        });
        request_from_body(body.to_string().as_bytes(), &Limits::default()).unwrap()
    }

    #[test]
    fn a_persisted_query_is_found_by_its_hash_and_registered_only_with_its_own() {
        let text = "{ products { id } }";
        let hash = hex::encode(Sha256::digest(text.as_bytes()));
        assert_eq!(
            persisted(&with_hash("", &hash)).unwrap(),
            Persisted::Lookup(hash.clone())
        );
        assert_eq!(
            persisted(&with_hash(text, &hash)).unwrap(),
            Persisted::Register(hash.clone())
        );
        let other = hex::encode(Sha256::digest(b"{ regions { id } }"));
        let refused = persisted(&with_hash(text, &other)).unwrap_err();
        assert_eq!(refused.param(), Some("extensions"));
        assert!(persisted(&with_hash("", "not-a-hash")).is_err());
        assert_eq!(
            persisted(&async_graphql::Request::new(text)).unwrap(),
            Persisted::No
        );
        // No text and no hash is no request.
        assert!(request_from_body(br#"{"query": ""}"#, &Limits::default()).is_err());
    }

    #[test]
    fn only_catalog_reads_are_shared() {
        let shared_of = |q: &str, op: Option<&str>| {
            let mut request = async_graphql::Request::new(q);
            request.operation_name = op.map(str::to_owned);
            shared(&request)
        };
        assert!(shared_of("{ products { id } regions { id } }", None));
        assert!(shared_of(
            "query A { product(id: \"x\") { id } } query B { cart { id } }",
            Some("A")
        ));
        assert!(!shared_of(
            "query A { product(id: \"x\") { id } } query B { cart { id } }",
            Some("B")
        ));
        assert!(!shared_of(
            "query A { products { id } } query B { regions { id } }",
            None
        ));
        assert!(!shared_of(
            "{ ...Top } fragment Top on Query { products { id } }",
            None
        ));
        assert!(!shared_of("{ cart(sessionId: \"c\") { id } }", None));
        assert!(!shared_of("mutation { addToCart { id } }", None));
        assert!(!shared_of("{ products { id ", None));
    }

    #[test]
    fn a_get_never_mutates() {
        assert!(request_from_query("query=mutation%20%7B%20x%20%7D", &Limits::default()).is_err());
        assert!(request_from_query(
            "query=%7B%20products%20%7B%20id%20%7D%20%7D",
            &Limits::default()
        )
        .is_ok());
        let named =
            "query=query%20A%20%7B%20a%20%7D%20mutation%20B%20%7B%20b%20%7D&operationName=B";
        assert!(request_from_query(named, &Limits::default()).is_err());
    }
}
