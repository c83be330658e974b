//! Request bodies, read with a cap while they stream: a body (chunked or not) is cut
//! off as soon as it passes its endpoint's limit, before it is read whole.

use commerce::ApiError;
use futures_util::StreamExt;
use serde_json::Value;
use worker::Request;

use super::internal;

/// Largest JSON body a Store API endpoint reads.
pub const MAX_JSON: usize = 64 * 1024;

/// The body, at most `max` bytes; `Err(PayloadTooLarge)` once it passes that.
pub async fn bounded(req: &mut Request, max: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::PayloadTooLarge {
        limit_kb: max.div_ceil(1024),
    };
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    if declared.is_some() {
        // The declared length frames the body (the runtime ends it there), so it is
        // read in one call. Streaming it took and released the stream's reader, and a
        // release rejects a promise with a new `TypeError` (stack trace included): 4 %
        // of an add to cart's isolate time, by its CPU profile.
        return req.bytes().await.map_err(internal);
    }
    let Ok(mut stream) = req.stream() else {
        // No body at all.
        return Ok(Vec::new());
    };
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(internal)?;
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The request body as JSON, at most [`MAX_JSON`] bytes; an empty body is `{}`. The
/// error names `body` (Medusa's validation error: 400).
pub async fn json(req: &mut Request) -> Result<Value, ApiError> {
    let bytes = bounded(req, MAX_JSON).await.map_err(|e| match e {
        ApiError::PayloadTooLarge { limit_kb } => {
            ApiError::invalid("body", format!("larger than {limit_kb} KB"))
        }
        other => other,
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::invalid("body", format!("malformed JSON: {e}")))
}
