//! Response helpers and the one place that turns an `ApiError` into a response.

use commerce::ApiError;
use serde::Serialize;
use worker::{Headers, Response, ResponseBuilder};

/// A JSON response with the given status.
pub fn json<T: Serialize>(status: u16, body: &T) -> worker::Result<Response> {
    let text = serde_json::to_string(body)?;
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .fixed(text.into_bytes()))
}

/// A plain-text response with the given status.
pub fn text(status: u16, body: &str) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/plain; charset=utf-8")?;
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .fixed(body.as_bytes().to_vec()))
}

/// The error's status and Medusa-shaped body.
pub fn error(err: &ApiError) -> worker::Result<Response> {
    json(err.status(), &err.body())
}

/// Headers every response carries. The pages use no script at all, so the policy
/// allows none; styles and images come from this origin only (the favicon is an
/// empty data: URL); forms post only here; no site may frame the shop. `connect-src
/// 'self'` lets tools that fetch from the page's context (Lighthouse reading
/// robots.txt) do so; no script of the page could use it.
pub fn security_headers(headers: &mut Headers) -> worker::Result<()> {
    for (name, value) in commerce::http::SECURITY_HEADERS {
        headers.set(name, value)?;
    }
    Ok(())
}
