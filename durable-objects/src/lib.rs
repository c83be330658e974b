//! The Worker's Durable Object classes, one per consistency boundary, linked into the
//! edge Worker (which re-exports them so its entry module exports them, as wrangler
//! requires), and what the Worker needs to call them:
//! - [`CartObject`]: one object per cart id, the cart's only writer;
//! - [`LimiterObject`]: exact request counts for the abuse limits that must be exact.
//!
//! No business rule lives here: the objects load, call `commerce`, and save.
//! [`db`] is the Hyperdrive client both the objects and the Worker use.

pub mod cart;
pub mod db;
mod db_socket;
pub mod limiter;

pub use cart::CartObject;
pub use limiter::LimiterObject;

use commerce::{ApiError, ErrorBody};
use serde::{Deserialize, Serialize};

/// An object's answer: what the operation came to, or its error as status and body,
/// which the caller decodes back into the same [`ApiError`].
#[derive(Debug, Serialize, Deserialize)]
pub enum Reply<T> {
    Done(T),
    Failed { status: u16, error: ErrorBody },
}

impl<T> Reply<T> {
    /// The reply for a result (an error's details are logged by the object).
    pub fn from_result(result: Result<T, ApiError>) -> Self {
        match result {
            Ok(done) => Reply::Done(done),
            Err(err) => {
                if let Some(detail) = err.log_detail() {
                    worker::console_error!(
                        "{}",
                        serde_json::json!({"level": "error", "msg": "object operation failed", "code": err.code(), "detail": detail})
                    );
                }
                Reply::Failed {
                    status: err.status(),
                    error: err.body(),
                }
            }
        }
    }

    /// Back into a result, on the caller's side.
    pub fn into_result(self) -> Result<T, ApiError> {
        match self {
            Reply::Done(done) => Ok(done),
            Reply::Failed { status, error } => Err(ApiError::from_body(status, error)),
        }
    }
}

/// Sends `call` as JSON to the object `name` of namespace `binding` and decodes its
/// [`Reply`]. A failure to reach the object is an internal error.
pub async fn call<C: Serialize, T: serde::de::DeserializeOwned>(
    env: &worker::Env,
    binding: &str,
    name: &str,
    call: &C,
) -> Result<T, ApiError> {
    use worker::{Headers, Method, Request, RequestInit};
    let internal = |e: worker::Error| ApiError::internal(format!("object {binding}: {e}"));
    let namespace = env.durable_object(binding).map_err(internal)?;
    let stub = namespace
        .id_from_name(name)
        .and_then(|id| id.get_stub())
        .map_err(internal)?;
    let headers = Headers::new();
    headers
        .set("content-type", "application/json")
        .map_err(internal)?;
    let body = serde_json::to_string(call).map_err(ApiError::internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.into()));
    let req = Request::new_with_init("https://object.internal/", &init).map_err(internal)?;
    let res = stub.fetch_with_request(req).await.map_err(internal)?;
    let body = body_bytes(res).await.map_err(internal)?;
    let reply: Reply<T> = serde_json::from_slice(&body).map_err(ApiError::internal)?;
    reply.into_result()
}

/// The whole body of `res`, read by the runtime in one call. `Response::bytes` streams
/// it, taking and releasing the stream's reader, and each release rejects a promise
/// with a new `TypeError` (stack trace included): 7 % of an add to cart's isolate time
/// by its CPU profile, for the object's answer alone.
pub async fn body_bytes(res: worker::Response) -> worker::Result<Vec<u8>> {
    use worker::wasm_bindgen_futures::JsFuture;
    let res: worker::web_sys::Response = res.into();
    let buffer = JsFuture::from(res.array_buffer()?).await?;
    Ok(worker::js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A JSON request body, parsed by `serde_json` from the runtime's text (`Request::json`
/// builds a JavaScript object and walks it).
pub async fn json_body<T: serde::de::DeserializeOwned>(
    req: &mut worker::Request,
) -> worker::Result<T> {
    let text = req.text().await?;
    serde_json::from_str(&text).map_err(|e| worker::Error::RustError(e.to_string()))
}
