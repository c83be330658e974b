//! Requests handed to the project's other Workers through their service bindings.
//! GraphQL runs in a Worker of its own (`edge/graphql`): the shop Worker stays within
//! its size, and the GraphQL library is loaded only by isolates that serve it.

use commerce::ApiError;
use worker::{Headers, Method, Request, RequestInit, Response};

use crate::bindings;
use crate::context::Cx;
use crate::http::{self, body};

/// The largest GraphQL request body passed on (the GraphQL Worker's own limit on the
/// query text is smaller).
const MAX_GRAPHQL_BODY: usize = 64 * 1024;

/// Response headers of the GraphQL Worker kept on the way back (the pipeline adds the
/// security headers, CORS and `traceparent` itself, and `Origin` to `Vary`).
const KEPT: &[&str] = &[
    "content-type",
    "cache-control",
    "retry-after",
    "vary",
    "x-cache",
];

/// `/graphql`: the request, with this request's `traceparent`, to the GraphQL Worker
/// (`GRAPHQL`); its answer back. A Worker that cannot be reached is a 503.
pub async fn graphql(cx: &mut Cx) -> Result<Response, ApiError> {
    let unavailable = |detail: String| ApiError::UpstreamUnavailable {
        message: "The GraphQL API is not available at the moment; please retry shortly.".to_owned(),
        detail,
    };
    let service = cx
        .env
        .service(bindings::GRAPHQL)
        .map_err(|e| unavailable(format!("no {} binding: {e}", bindings::GRAPHQL)))?;
    let headers = Headers::new();
    for (name, value) in cx.req.headers().entries() {
        headers.append(&name, &value).map_err(http::internal)?;
    }
    headers
        .set("traceparent", &cx.traceparent)
        .map_err(http::internal)?;
    let mut init = RequestInit::new();
    init.with_method(cx.method.clone()).with_headers(headers);
    if !matches!(cx.method, Method::Get | Method::Head | Method::Options) {
        let bytes = body::bounded(&mut cx.req, MAX_GRAPHQL_BODY).await?;
        init.with_body(Some(
            worker::js_sys::Uint8Array::from(bytes.as_slice()).into(),
        ));
    }
    let request = Request::new_with_init(cx.url.as_str(), &init).map_err(http::internal)?;
    let answer = service
        .fetch_request(request)
        .await
        .map_err(|e| unavailable(format!("GraphQL Worker unreachable: {e}")))?;
    let status = answer.status_code();
    let kept: Vec<(String, String)> = answer
        .headers()
        .entries()
        .filter(|(name, _)| KEPT.contains(&name.as_str()))
        .map(|(name, value)| match name.as_str() {
            "vary" => {
                let others: Vec<&str> = value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.eq_ignore_ascii_case("origin"))
                    .collect();
                (name, others.join(", "))
            }
            _ => (name, value),
        })
        .filter(|(_, value)| !value.is_empty())
        .collect();
    let bytes = durable_objects::body_bytes(answer)
        .await
        .map_err(|e| unavailable(format!("GraphQL answer cut: {e}")))?;
    let mut response = http::bytes(status, "application/json; charset=utf-8", bytes)?;
    for (name, value) in kept {
        response
            .headers_mut()
            .set(&name, &value)
            .map_err(http::internal)?;
    }
    Ok(response)
}
