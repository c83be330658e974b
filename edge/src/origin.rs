//! The origin forwarder: the edge's only way to the native origin service. Every
//! request is signed (method, path, timestamp, nonce, body hash; see
//! `commerce::signing`), carries the trace context, and is cut off after
//! `ORIGIN_TIMEOUT_MS`. Answers come back as status and body; cookies the origin sets
//! are rewritten to first-party ones (no Domain) before they reach the shopper.

use commerce::ids::random_body;
use commerce::signing::{NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use commerce::{ApiError, ErrorBody};
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{AbortSignal, Date, Fetch, Headers, Method, Request, RequestInit};

use crate::config::Config;

/// What the origin answered.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// `Set-Cookie` values, already made first-party.
    pub cookies: Vec<String>,
}

impl Reply {
    /// The body as `T` (for 2xx answers), or the origin's error as an [`ApiError`]-like
    /// JSON body with its status.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Internal {
            detail: format!(
                "origin answered {} with an unreadable body: {e}",
                self.status
            ),
        })
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A non-2xx answer as the error it carries: the origin's error body decodes back
    /// into the same [`ApiError`]; a body that is not one is the origin failing.
    pub fn error(&self) -> ApiError {
        match serde_json::from_slice::<ErrorBody>(&self.body) {
            // A failure of the origin is the shopper's "try again", whatever it was.
            Ok(body) if self.status >= 500 => match ApiError::from_body(self.status, body) {
                err @ ApiError::UpstreamUnavailable { .. } => err,
                err => unavailable(format!("origin answered {}: {err:?}", self.status)),
            },
            Ok(body) => ApiError::from_body(self.status, body),
            Err(_) if self.status >= 500 => unavailable(format!("origin answered {}", self.status)),
            Err(e) => ApiError::internal(format!(
                "origin answered {} without an error body: {e}",
                self.status
            )),
        }
    }

    /// The body as `T` for a 2xx answer, else the error it carries.
    pub fn into_json<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        if self.ok() {
            self.json()
        } else {
            Err(self.error())
        }
    }
}

fn unavailable(detail: String) -> ApiError {
    ApiError::UpstreamUnavailable {
        message: "Payment and orders could not be reached just now. Your cart is saved; please try again in a moment.".into(),
        detail,
    }
}

/// Sends a signed request to the origin. A missing configuration, a network failure
/// or a timeout is `UpstreamUnavailable` (503); any answer, whatever its status, is a
/// [`Reply`].
pub async fn send(
    config: &Config,
    method: Method,
    path_and_query: &str,
    body: Option<Vec<u8>>,
    traceparent: &str,
    extra: &[(&str, &str)],
) -> Result<Reply, ApiError> {
    let key = config.origin_key.as_ref().ok_or_else(|| {
        unavailable("ORIGIN_SECRET is not set (or shorter than 32 characters)".into())
    })?;
    if config.origin_url.is_empty() {
        return Err(unavailable("ORIGIN_URL is not set".into()));
    }
    let timestamp = i64::try_from(Date::now().as_millis() / 1000).unwrap_or_default();
    let nonce = random_body();
    let bytes = body.unwrap_or_default();
    let signature = key.sign(
        &config.environment,
        method.as_ref(),
        path_and_query,
        timestamp,
        &nonce,
        &bytes,
    );
    let internal = |e: worker::Error| ApiError::Internal {
        detail: format!("origin request: {e}"),
    };
    let headers = Headers::new();
    headers
        .set("content-type", "application/json")
        .map_err(internal)?;
    headers.set("traceparent", traceparent).map_err(internal)?;
    headers
        .set(TIMESTAMP_HEADER, &timestamp.to_string())
        .map_err(internal)?;
    headers.set(NONCE_HEADER, &nonce).map_err(internal)?;
    headers
        .set(SIGNATURE_HEADER, &signature)
        .map_err(internal)?;
    for (name, value) in extra {
        headers.set(name, value).map_err(internal)?;
    }
    let mut init = RequestInit::new();
    init.with_method(method.clone()).with_headers(headers);
    if !matches!(method, Method::Get | Method::Head) {
        init.with_body(Some(js_body(&bytes)));
    }
    let url = format!("{}{path_and_query}", config.origin_url);
    let request = Request::new_with_init(&url, &init).map_err(internal)?;
    let signal = AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(
        config.origin_timeout_ms,
    ));
    let response = Fetch::Request(request)
        .send_with_signal(&signal)
        .await
        .map_err(|e| {
            if signal.aborted() {
                unavailable(format!(
                    "origin did not answer {path_and_query} within {} ms",
                    config.origin_timeout_ms
                ))
            } else {
                unavailable(format!("origin unreachable for {path_and_query}: {e}"))
            }
        })?;
    let status = response.status_code();
    let cookies = response
        .headers()
        .entries()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, value)| commerce::checkout::first_party_cookie(&value))
        .collect();
    let body = durable_objects::body_bytes(response)
        .await
        .map_err(|e| unavailable(format!("origin answer to {path_and_query} was cut: {e}")))?;
    if status == 502 || status == 504 {
        return Err(unavailable(format!("origin gateway answered {status}")));
    }
    Ok(Reply {
        status,
        body,
        cookies,
    })
}

/// Request bodies to the origin are JSON, hence UTF-8 text.
fn js_body(bytes: &[u8]) -> wasm_bindgen::JsValue {
    wasm_bindgen::JsValue::from_str(&String::from_utf8_lossy(bytes))
}

/// [`send`] with a JSON body.
pub async fn post<B: Serialize>(
    config: &Config,
    path: &str,
    body: &B,
    traceparent: &str,
) -> Result<Reply, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(|e| ApiError::Internal {
        detail: format!("origin request body: {e}"),
    })?;
    send(config, Method::Post, path, Some(bytes), traceparent, &[]).await
}

/// [`send`] as a GET.
pub async fn get(config: &Config, path: &str, traceparent: &str) -> Result<Reply, ApiError> {
    send(config, Method::Get, path, None, traceparent, &[]).await
}
