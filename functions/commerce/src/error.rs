//! The errors a Store API request can end in, and the one place that maps them to an
//! HTTP status, a stable code and the Medusa error body `{type, code, message}`.
//! Internal details (database messages) are kept for the log, never sent to clients.

use serde::Serialize;

/// Everything a Store API call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// An id or handle that names nothing in this store.
    #[error("{entity} with {key}: {value} was not found")]
    NotFound {
        entity: &'static str,
        key: &'static str,
        value: String,
    },
    /// A query or body parameter that cannot be accepted; the message names it.
    #[error("Invalid request: {param}: {reason}")]
    InvalidParam { param: String, reason: String },
    #[error("Publishable API key required in the request header: x-publishable-api-key. You can manage your keys in settings in the dashboard.")]
    PublishableKeyMissing,
    #[error("A valid publishable key is required to proceed with the request")]
    PublishableKeyInvalid,
    #[error("No store is served at host '{0}'")]
    UnknownStoreHost(String),
    #[error("No route for {method} {path}")]
    RouteNotFound { method: String, path: String },
    #[error("Method {method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    /// The request conflicts with what is happening or has happened (a cart being
    /// completed twice at once, a refused order transition).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The request is well formed but the store cannot do it (not enough stock, a cart
    /// that changed under the shopper, nothing to pay with).
    #[error("{message}")]
    NotAllowed { code: &'static str, message: String },
    /// A signed request whose signature, timestamp or nonce is not accepted.
    #[error("The request signature was not accepted: {reason}")]
    Unauthorized { reason: String },
    /// A service this request needs (the origin, a payment provider) did not answer
    /// in time or failed; nothing was changed that a retry would not repair.
    #[error("{message}")]
    UpstreamUnavailable { message: String, detail: String },
    #[error("The catalog database is unreachable at the moment; please retry shortly")]
    DatabaseUnavailable { detail: String },
    #[error("An unknown error occurred.")]
    Internal { detail: String },
}

/// The JSON body of an error response, in the shape Medusa returns.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn invalid(param: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::InvalidParam {
            param: param.into(),
            reason: reason.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            message: message.into(),
        }
    }

    pub fn not_allowed(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::NotAllowed {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(entity: &'static str, key: &'static str, value: impl Into<String>) -> Self {
        ApiError::NotFound {
            entity,
            key,
            value: value.into(),
        }
    }

    /// HTTP status of the response.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NotFound { .. }
            | ApiError::UnknownStoreHost(_)
            | ApiError::RouteNotFound { .. } => 404,
            ApiError::InvalidParam { .. }
            | ApiError::PublishableKeyMissing
            | ApiError::PublishableKeyInvalid => 400,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::NotAllowed { .. } => 400,
            ApiError::Unauthorized { .. } => 401,
            ApiError::UpstreamUnavailable { .. } => 503,
            ApiError::DatabaseUnavailable { .. } => 503,
            ApiError::Internal { .. } => 500,
        }
    }

    /// The body sent to the client: Medusa's `type`, a stable `code`, a clear message.
    pub fn body(&self) -> ErrorBody {
        let (kind, code) = match self {
            ApiError::NotFound { .. } => ("not_found", "not_found"),
            ApiError::UnknownStoreHost(_) => ("not_found", "unknown_store"),
            ApiError::RouteNotFound { .. } => ("not_found", "unknown_route"),
            ApiError::InvalidParam { .. } => ("invalid_data", "invalid_request_error"),
            ApiError::PublishableKeyMissing => ("not_allowed", "publishable_key_missing"),
            ApiError::PublishableKeyInvalid => ("not_allowed", "publishable_key_invalid"),
            ApiError::MethodNotAllowed { .. } => ("not_allowed", "method_not_allowed"),
            ApiError::Conflict { code, .. } => ("conflict", *code),
            ApiError::NotAllowed { code, .. } => ("not_allowed", *code),
            ApiError::Unauthorized { .. } => ("unauthorized", "bad_signature"),
            ApiError::UpstreamUnavailable { .. } => ("unavailable", "upstream_unavailable"),
            ApiError::DatabaseUnavailable { .. } => ("unavailable", "database_unavailable"),
            ApiError::Internal { .. } => ("unknown_error", "unknown_error"),
        };
        ErrorBody {
            kind,
            code,
            message: self.to_string(),
        }
    }

    /// What the operator's log should say beyond the client message, if anything.
    pub fn log_detail(&self) -> Option<&str> {
        match self {
            ApiError::DatabaseUnavailable { detail }
            | ApiError::Internal { detail }
            | ApiError::UpstreamUnavailable { detail, .. } => Some(detail),
            _ => None,
        }
    }
}

impl From<tokio_postgres::Error> for ApiError {
    /// Connection failures become 503 (retry later); anything else is an internal error.
    fn from(err: tokio_postgres::Error) -> Self {
        // "db error" alone says nothing: keep PostgreSQL's code and message for the log.
        let detail = match err.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => err.to_string(),
        };
        let unavailable = err.is_closed()
            || match err.code() {
                // Class 08 (connection exception), shutdown, too many connections.
                Some(code) => {
                    let c = code.code();
                    c.starts_with("08") || c.starts_with("57P") || c == "53300"
                }
                // No SQLSTATE: the failure happened on the wire, not in PostgreSQL.
                None => err.as_db_error().is_none(),
            };
        if unavailable {
            ApiError::DatabaseUnavailable { detail }
        } else {
            ApiError::Internal { detail }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_types_follow_medusa() {
        let e = ApiError::not_found("Product", "id", "prod_x");
        assert_eq!(e.status(), 404);
        assert_eq!(e.body().kind, "not_found");
        assert_eq!(e.body().message, "Product with id: prod_x was not found");

        let e = ApiError::invalid("limit", "must be between 0 and 200");
        assert_eq!(e.status(), 400);
        assert_eq!(e.body().kind, "invalid_data");
        assert!(e.body().message.contains("limit"));

        assert_eq!(ApiError::PublishableKeyMissing.status(), 400);
        assert_eq!(ApiError::PublishableKeyMissing.body().kind, "not_allowed");
        assert!(ApiError::PublishableKeyMissing
            .body()
            .message
            .contains("x-publishable-api-key"));
    }

    #[test]
    fn internals_stay_out_of_the_body() {
        let e = ApiError::Internal {
            detail: "relation \"products\" does not exist".into(),
        };
        assert_eq!(e.status(), 500);
        assert!(!e.body().message.contains("relation"));
        assert_eq!(e.log_detail(), Some("relation \"products\" does not exist"));

        let e = ApiError::DatabaseUnavailable {
            detail: "connection refused (os error 111)".into(),
        };
        assert_eq!(e.status(), 503);
        assert!(!e.body().message.contains("os error"));
    }
}
