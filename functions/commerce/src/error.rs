//! The errors a request can end in, and the one place that maps them to an HTTP
//! status, a stable code and the Medusa error body `{type, code, message}` (plus the
//! offending `param` where there is one). The body serialises and deserialises, so an
//! answer of the cart's object or of the origin decodes back into an [`ApiError`]
//! ([`ApiError::from_body`]) with the same status, code, message and parameter.
//! Internal details (database messages) are kept for the log, never sent to clients.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Declares a wire enum: unit variants with their `snake_case` names, one table for
/// serde and for `as_str`, and comparisons with `&str` (tests and logs read them so).
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal,)* } $(other: $other:ident)?) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant,)*
            $(#[serde(other, rename = "other")] $other,)?
        }

        impl $name {
            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                    $($name::$other => "other",)?
                }
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum! {
    /// Medusa's error `type`: the class of a failure.
    ErrorType {
        NotFound = "not_found",
        InvalidData = "invalid_data",
        NotAllowed = "not_allowed",
        Conflict = "conflict",
        Unauthorized = "unauthorized",
        Unavailable = "unavailable",
        UnknownError = "unknown_error",
    }
    other: Other
}

wire_enum! {
    /// The stable `code` of a failure: what clients (and the edge's pages) switch on.
    /// A code this build does not know, read from elsewhere, is [`ErrorCode::Other`].
    ErrorCode {
        NotFound = "not_found",
        UnknownStore = "unknown_store",
        UnknownRoute = "unknown_route",
        InvalidRequest = "invalid_request_error",
        PublishableKeyMissing = "publishable_key_missing",
        PublishableKeyInvalid = "publishable_key_invalid",
        MethodNotAllowed = "method_not_allowed",
        BadSignature = "bad_signature",
        CrossSiteRequest = "cross_site_request",
        PayloadTooLarge = "payload_too_large",
        TooManyRequests = "too_many_requests",
        UpstreamUnavailable = "upstream_unavailable",
        DatabaseUnavailable = "database_unavailable",
        UnknownError = "unknown_error",
        CartChanged = "cart_changed",
        CartCompleted = "cart_completed",
        CartCompleting = "cart_completing",
        CartIncomplete = "cart_incomplete",
        InsufficientInventory = "insufficient_inventory",
        InvalidOrderTransition = "invalid_order_transition",
        PaymentCollectionCompleted = "payment_collection_completed",
        PaymentSessionMissing = "payment_session_missing",
        PaymentSessionState = "payment_session_state",
        TooManyPendingOrders = "too_many_pending_orders",
        NotSignedIn = "not_signed_in",
        Forbidden = "forbidden",
        LastOwner = "last_owner",
        DuplicateName = "duplicate_name",
        RoleInUse = "role_in_use",
        StaleInventoryLevel = "stale_inventory_level",
        StockHeld = "stock_held",
        LocationInUse = "location_in_use",
        DuplicateHandle = "duplicate_handle",
        DuplicateSku = "duplicate_sku",
        DuplicateBarcode = "duplicate_barcode",
        DuplicateOption = "duplicate_option",
        DuplicateVariant = "duplicate_variant",
        OptionInUse = "option_in_use",
        LastVariant = "last_variant",
        InvalidImportState = "invalid_import_state",
        CategoryInUse = "category_in_use",
        AttributeInUse = "attribute_in_use",
        DuplicateHost = "duplicate_host",
        LastHost = "last_host",
        CountryTaken = "country_taken",
        LastShippingOption = "last_shipping_option",
        InvalidPurchaseOrderState = "invalid_purchase_order_state",
        DeliveryInProgress = "delivery_in_progress",
        OverReceipt = "over_receipt",
    }
    other: Other
}

/// Everything a request can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// An id or handle that names nothing in this store.
    #[error("{entity} with {key}: {value} was not found")]
    NotFound {
        entity: Cow<'static, str>,
        key: Cow<'static, str>,
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
    Conflict { code: ErrorCode, message: String },
    /// The request is well formed but the store cannot do it (not enough stock, a cart
    /// that changed under the shopper, nothing to pay with).
    #[error("{message}")]
    NotAllowed { code: ErrorCode, message: String },
    /// A signed request whose signature, timestamp or nonce is not accepted.
    #[error("The request signature was not accepted: {reason}")]
    Unauthorized { reason: String },
    /// A staff route without a valid session or token, or a sign-in that failed (the
    /// same words whether the e-mail is unknown or the password wrong).
    #[error("{message}")]
    NotSignedIn { message: String },
    /// A signed-in member whose role does not grant what the route requires.
    #[error("Your role does not allow this ({permission}).")]
    Forbidden { permission: String },
    /// A form posted from another site (browsers say so in `Sec-Fetch-Site`/`Origin`).
    #[error("Cross-site form posts are refused.")]
    CrossSite,
    /// A request body larger than its endpoint reads.
    #[error("The request body is larger than {limit_kb} KB.")]
    PayloadTooLarge { limit_kb: usize },
    /// Too many requests for one key (client, e-mail, cart) within the limit's window.
    #[error("Too many requests. Please try again in {retry_after_s} seconds.")]
    TooManyRequests { retry_after_s: u32 },
    /// A service this request needs (the origin, a payment provider) did not answer
    /// in time or failed; nothing was changed that a retry would not repair.
    #[error("{message}")]
    UpstreamUnavailable { message: String, detail: String },
    #[error("The catalog database is unreachable at the moment; please retry shortly")]
    DatabaseUnavailable { detail: String },
    #[error("An unknown error occurred.")]
    Internal { detail: String },
}

/// The JSON body of an error response, in the shape Medusa returns, plus the
/// parameter a validation error names.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// Seconds until a refused-for-rate request may be repeated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn invalid(param: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::InvalidParam {
            param: param.into(),
            reason: reason.into(),
        }
    }

    pub fn conflict(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// The words a form shows beside a refused field or above the form: a parameter's
    /// reason alone (the form already names the field), else the whole message.
    pub fn reason(&self) -> String {
        match self {
            ApiError::InvalidParam { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }

    pub fn not_allowed(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::NotAllowed {
            code,
            message: message.into(),
        }
    }

    pub fn not_found(
        entity: impl Into<Cow<'static, str>>,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<String>,
    ) -> Self {
        ApiError::NotFound {
            entity: entity.into(),
            key: key.into(),
            value: value.into(),
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal {
            detail: detail.to_string(),
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
            ApiError::TooManyRequests { .. } => 429,
            ApiError::CrossSite | ApiError::Forbidden { .. } => 403,
            ApiError::NotSignedIn { .. } => 401,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::UpstreamUnavailable { .. } => 503,
            ApiError::DatabaseUnavailable { .. } => 503,
            ApiError::Internal { .. } => 500,
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.kind_and_code().1
    }

    /// The parameter (query, body or form field) the error is about, if any.
    pub fn param(&self) -> Option<&str> {
        match self {
            ApiError::InvalidParam { param, .. } => Some(param),
            _ => None,
        }
    }

    fn kind_and_code(&self) -> (ErrorType, ErrorCode) {
        use ErrorCode as C;
        use ErrorType as T;
        match self {
            ApiError::NotFound { .. } => (T::NotFound, C::NotFound),
            ApiError::UnknownStoreHost(_) => (T::NotFound, C::UnknownStore),
            ApiError::RouteNotFound { .. } => (T::NotFound, C::UnknownRoute),
            ApiError::InvalidParam { .. } => (T::InvalidData, C::InvalidRequest),
            ApiError::PublishableKeyMissing => (T::NotAllowed, C::PublishableKeyMissing),
            ApiError::PublishableKeyInvalid => (T::NotAllowed, C::PublishableKeyInvalid),
            ApiError::MethodNotAllowed { .. } => (T::NotAllowed, C::MethodNotAllowed),
            ApiError::Conflict { code, .. } => (T::Conflict, *code),
            ApiError::NotAllowed { code, .. } => (T::NotAllowed, *code),
            ApiError::Unauthorized { .. } => (T::Unauthorized, C::BadSignature),
            ApiError::TooManyRequests { .. } => (T::NotAllowed, C::TooManyRequests),
            ApiError::CrossSite => (T::NotAllowed, C::CrossSiteRequest),
            ApiError::NotSignedIn { .. } => (T::Unauthorized, C::NotSignedIn),
            ApiError::Forbidden { .. } => (T::NotAllowed, C::Forbidden),
            ApiError::PayloadTooLarge { .. } => (T::InvalidData, C::PayloadTooLarge),
            ApiError::UpstreamUnavailable { .. } => (T::Unavailable, C::UpstreamUnavailable),
            ApiError::DatabaseUnavailable { .. } => (T::Unavailable, C::DatabaseUnavailable),
            ApiError::Internal { .. } => (T::UnknownError, C::UnknownError),
        }
    }

    /// The body sent to the client: Medusa's `type`, a stable `code`, a clear message.
    pub fn body(&self) -> ErrorBody {
        let (kind, code) = self.kind_and_code();
        ErrorBody {
            kind,
            code,
            message: self.to_string(),
            param: self.param().map(str::to_owned),
            retry_after: match self {
                ApiError::TooManyRequests { retry_after_s } => Some(*retry_after_s),
                _ => None,
            },
        }
    }

    /// The error an answer with `status` and `body` stands for: the inverse of
    /// [`status`](Self::status) and [`body`](Self::body), so a refusal keeps its type
    /// across the object and origin hops. What only the log saw (details) is not in a
    /// body; it reads as where the answer came from.
    pub fn from_body(status: u16, body: ErrorBody) -> Self {
        use ErrorCode as C;
        let ErrorBody {
            kind,
            code,
            message,
            param,
            retry_after,
        } = body;
        let detail = || format!("answered {status} {code}: {message}");
        match code {
            C::NotFound => not_found_from(&message).unwrap_or(ApiError::NotFound {
                entity: "Resource".into(),
                key: "id".into(),
                value: message,
            }),
            C::UnknownStore => ApiError::UnknownStoreHost(
                message
                    .strip_prefix("No store is served at host '")
                    .and_then(|m| m.strip_suffix('\''))
                    .unwrap_or(&message)
                    .to_owned(),
            ),
            C::InvalidRequest => {
                let param = param.unwrap_or_default();
                let prefix = format!("Invalid request: {param}: ");
                let reason = message.strip_prefix(&prefix).unwrap_or(&message).to_owned();
                ApiError::InvalidParam { param, reason }
            }
            C::PublishableKeyMissing => ApiError::PublishableKeyMissing,
            C::PublishableKeyInvalid => ApiError::PublishableKeyInvalid,
            C::BadSignature => ApiError::Unauthorized {
                reason: message
                    .strip_prefix("The request signature was not accepted: ")
                    .unwrap_or(&message)
                    .to_owned(),
            },
            C::CrossSiteRequest => ApiError::CrossSite,
            C::NotSignedIn => ApiError::NotSignedIn { message },
            C::Forbidden => ApiError::Forbidden {
                permission: message
                    .strip_prefix("Your role does not allow this (")
                    .and_then(|m| m.strip_suffix(")."))
                    .unwrap_or(&message)
                    .to_owned(),
            },
            C::PayloadTooLarge => ApiError::PayloadTooLarge {
                limit_kb: message
                    .split_whitespace()
                    .find_map(|w| w.parse().ok())
                    .unwrap_or_default(),
            },
            C::TooManyRequests => ApiError::TooManyRequests {
                retry_after_s: retry_after.unwrap_or(60),
            },
            C::UpstreamUnavailable => ApiError::UpstreamUnavailable {
                detail: detail(),
                message,
            },
            C::DatabaseUnavailable => ApiError::DatabaseUnavailable { detail: detail() },
            // The caller asked for something the other side does not serve, or the
            // other side failed: not the shopper's doing.
            C::UnknownRoute | C::MethodNotAllowed | C::UnknownError => {
                ApiError::Internal { detail: detail() }
            }
            _ if status >= 500 => ApiError::UpstreamUnavailable {
                detail: detail(),
                message,
            },
            _ if kind == ErrorType::Conflict || status == 409 => {
                ApiError::Conflict { code, message }
            }
            _ => ApiError::NotAllowed { code, message },
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

/// `NotFound`'s message read back into its parts.
fn not_found_from(message: &str) -> Option<ApiError> {
    let rest = message.strip_suffix(" was not found")?;
    let (entity, rest) = rest.split_once(" with ")?;
    let (key, value) = rest.split_once(": ")?;
    Some(ApiError::not_found(
        entity.to_owned(),
        key.to_owned(),
        value.to_owned(),
    ))
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

    /// Every client-visible error comes back as itself from its status and JSON body.
    #[test]
    fn errors_round_trip_through_their_json_body() {
        let errors = [
            ApiError::not_found("Order", "id", "order_01H: x"),
            ApiError::invalid("shipping_address.city", "is required"),
            ApiError::PublishableKeyMissing,
            ApiError::PublishableKeyInvalid,
            ApiError::UnknownStoreHost("shop.example".into()),
            ApiError::conflict(ErrorCode::CartCompleting, "The cart is being completed."),
            ApiError::not_allowed(ErrorCode::InsufficientInventory, "Only 2 left."),
            ApiError::Unauthorized {
                reason: "malformed nonce".into(),
            },
            ApiError::TooManyRequests { retry_after_s: 42 },
            ApiError::CrossSite,
            ApiError::PayloadTooLarge { limit_kb: 64 },
            ApiError::NotSignedIn {
                message: "Please sign in.".into(),
            },
            ApiError::Forbidden {
                permission: "refund:write".into(),
            },
        ];
        for err in errors {
            let text = serde_json::to_string(&err.body()).unwrap();
            let body: ErrorBody = serde_json::from_str(&text).unwrap();
            let back = ApiError::from_body(err.status(), body);
            assert_eq!(back, err, "{text}");
            assert_eq!(back.status(), err.status());
        }
    }

    #[test]
    fn failures_of_a_service_stay_failures() {
        for err in [
            ApiError::internal("boom"),
            ApiError::DatabaseUnavailable { detail: "x".into() },
            ApiError::UpstreamUnavailable {
                message: "Payments are away.".into(),
                detail: "x".into(),
            },
        ] {
            let back = ApiError::from_body(err.status(), err.body());
            assert_eq!(back.status(), err.status());
            assert_eq!(back.code(), err.code());
            assert_eq!(back.body().message, err.body().message);
            assert!(back.log_detail().is_some());
        }
    }

    #[test]
    fn codes_read_from_elsewhere() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"type":"not_allowed","code":"brand_new","message":"m"}"#)
                .unwrap();
        assert_eq!(body.code, ErrorCode::Other);
        assert_eq!(body.param, None);
        assert_eq!(ErrorCode::InvalidRequest, "invalid_request_error");
        assert_eq!(
            serde_json::to_value(ErrorCode::TooManyPendingOrders).unwrap(),
            "too_many_pending_orders"
        );
    }
}
