//! HTTP plumbing: response helpers, the one place an `ApiError` becomes a JSON
//! response, the headers every response carries, CORS, bounded bodies, forms and
//! cookies.

pub mod body;
pub mod cookies;
pub mod form;

use commerce::ApiError;
use serde::Serialize;
use worker::{js_sys, web_sys, Headers, Response, ResponseBody, ResponseBuilder};

/// A JSON response with the given status.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, ApiError> {
    let text = serde_json::to_vec(body).map_err(ApiError::internal)?;
    bytes(status, "application/json; charset=utf-8", text)
}

/// A response with the given status, content type and body.
pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Result<Response, ApiError> {
    let headers = Headers::new();
    headers
        .set("content-type", content_type)
        .map_err(internal)?;
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .fixed(body))
}

/// `response` as the runtime's own response object; a fixed body as in [`js_response`].
pub fn into_js(response: Response) -> worker::Result<web_sys::Response> {
    match response.into_parts() {
        (init, ResponseBody::Body(bytes)) => js_response(init, &bytes),
        (init, body) => Ok(init.body(body).into()),
    }
}

/// A runtime response object with `body`, handed to the runtime as a view of the
/// module's memory, which the `Response` constructor copies (Fetch: it takes "a copy of
/// the bytes held by the buffer source"). The library's conversion allocated a
/// JavaScript array and copied into it first, then the runtime copied that: for a
/// product list of 120 KB, a tenth of the request's time.
#[allow(unsafe_code)]
pub fn js_response(init: ResponseBuilder, body: &[u8]) -> worker::Result<web_sys::Response> {
    // Built first: it may allocate in the module's memory, which would detach a view.
    let init = web_sys::ResponseInit::from(init);
    // SAFETY: nothing runs between the view's creation and the constructor's copy, so
    // the memory cannot grow (which detaches views), and `body` outlives the view.
    let view = unsafe { js_sys::Uint8Array::view(body) };
    Ok(web_sys::Response::new_with_opt_buffer_source_and_init(
        Some(&view),
        &init,
    )?)
}

/// A plain-text response with the given status.
pub fn text(status: u16, body: &str) -> Result<Response, ApiError> {
    bytes(
        status,
        "text/plain; charset=utf-8",
        body.as_bytes().to_vec(),
    )
}

/// `303 See Other` to `location`, never stored (post-redirect-get).
pub fn see_other(location: &str) -> Result<Response, ApiError> {
    let headers = Headers::new();
    headers.set("location", location).map_err(internal)?;
    headers.set("cache-control", "no-store").map_err(internal)?;
    Ok(ResponseBuilder::new()
        .with_status(303)
        .with_headers(headers)
        .empty())
}

/// The error's status and Medusa-shaped body (429s say when to come back).
pub fn error(err: &ApiError) -> Result<Response, ApiError> {
    let mut response = json(err.status(), &err.body())?;
    retry_after(&mut response, err)?;
    Ok(response)
}

/// The error's status and GraphQL-shaped body (the GraphQL Worker's refusals before a
/// query runs: its key, its body, its size, its rate).
pub fn graphql_error(err: &ApiError) -> Result<Response, ApiError> {
    let body = commerce::graphql::refusal_body(err).into_bytes();
    let mut response = bytes(err.status(), "application/json; charset=utf-8", body)?;
    retry_after(&mut response, err)?;
    Ok(response)
}

/// `Retry-After` on a 429.
pub fn retry_after(response: &mut Response, err: &ApiError) -> Result<(), ApiError> {
    if let ApiError::TooManyRequests { retry_after_s } = err {
        response
            .headers_mut()
            .set("retry-after", &retry_after_s.to_string())
            .map_err(internal)?;
    }
    Ok(())
}

/// A `worker` failure (headers, bodies, bindings) as an internal error.
pub fn internal(e: worker::Error) -> ApiError {
    ApiError::internal(e)
}

/// Headers every response carries (the same list as the origin's; see
/// `commerce::http::SECURITY_HEADERS` for why each is what it is).
pub fn security_headers(headers: &mut Headers) -> worker::Result<()> {
    for (name, value) in commerce::http::SECURITY_HEADERS {
        headers.set(name, value)?;
    }
    Ok(())
}

/// Request headers a browser storefront may send to the Store API.
const CORS_ALLOW_HEADERS: &str = "content-type, authorization, x-publishable-api-key, traceparent";

/// The answer to a CORS preflight of the Store API.
pub fn preflight() -> Result<Response, ApiError> {
    let mut response = Response::empty().map_err(internal)?.with_status(204);
    let headers = response.headers_mut();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(internal);
    set(
        "access-control-allow-methods",
        "GET, HEAD, POST, DELETE, OPTIONS",
    )?;
    set("access-control-allow-headers", CORS_ALLOW_HEADERS)?;
    set("access-control-max-age", "86400")?;
    Ok(response)
}

/// Allows the configured storefront origins to read Store API responses.
pub fn cors(headers: &mut Headers, allowed: &[String], origin: Option<&str>) -> worker::Result<()> {
    headers.append("vary", "Origin")?;
    if let Some(origin) = origin.filter(|o| allowed.iter().any(|a| a == o)) {
        headers.set("access-control-allow-origin", origin)?;
        headers.set("access-control-allow-credentials", "true")?;
        headers.set("access-control-expose-headers", "traceparent")?;
    }
    Ok(())
}

/// `OPTIONS /store/*`.
pub async fn preflight_handler(_cx: &mut crate::context::Cx) -> Result<Response, ApiError> {
    preflight()
}

/// A path no route serves.
pub async fn not_found(cx: &mut crate::context::Cx) -> Result<Response, ApiError> {
    Err(ApiError::RouteNotFound {
        method: cx.method.to_string(),
        path: cx.url.path().to_owned(),
    })
}
