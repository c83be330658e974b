//! Errors in GraphQL's shape, each with our stable code in `extensions.code`.

use async_graphql::{ErrorExtensions, Response};

use super::Reader;
use crate::{ApiError, ErrorCode};

/// The code of a query text that does not parse.
pub const PARSE_FAILED: &str = "graphql_parse_failed";
/// The code of a query that parses but is refused before it runs: an unknown field, a
/// wrong argument type, a variable missing, or a depth or complexity over the limits.
pub const VALIDATION_FAILED: &str = "graphql_validation_failed";

/// `err` as a resolver's error: its message, its code (and parameter) in `extensions`.
/// An error with details to log is kept on the reader for the caller to log.
pub(super) fn api<C>(reader: &Reader<C>, err: ApiError) -> async_graphql::Error {
    reader.failed(&err);
    let code = err.code();
    let param = err.param().map(str::to_owned);
    async_graphql::Error::new(err.to_string()).extend_with(|_, ext| {
        ext.set("code", code.as_str());
        if let Some(param) = &param {
            ext.set("param", param.as_str());
        }
    })
}

/// A resolver's refusal of an argument.
pub(super) fn invalid<C>(
    reader: &Reader<C>,
    param: &str,
    reason: impl Into<String>,
) -> async_graphql::Error {
    api(reader, ApiError::invalid(param, reason))
}

/// A request refused before it ran (no publishable key, a body that is not JSON, a
/// query over the size limit, too many requests) in GraphQL's shape:
/// `{"errors": [{"message", "extensions": {"code", "param"?}}]}`.
pub fn refusal_body(err: &ApiError) -> String {
    let mut extensions = serde_json::Map::new();
    extensions.insert("code".into(), err.code().as_str().into());
    if let Some(param) = err.param() {
        extensions.insert("param".into(), param.into());
    }
    serde_json::json!({"errors": [{"message": err.to_string(), "extensions": extensions}]})
        .to_string()
}

/// Gives every error of `response` a code: the library's own errors (parsing,
/// validation, limits, arguments that do not coerce) have none.
pub(super) fn classify(response: &mut Response, query: &str) {
    let mut parses = None;
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|ext| ext.get("code").is_some());
        if has_code {
            continue;
        }
        let code = if !error.path.is_empty() {
            ErrorCode::InvalidRequest.as_str()
        } else if *parses.get_or_insert_with(|| async_graphql::parser::parse_query(query).is_ok()) {
            VALIDATION_FAILED
        } else {
            PARSE_FAILED
        };
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}
