//! `GET /images/<key>`: product images streamed from the R2 assets bucket. Keys carry
//! a content hash, so responses are cached as immutable; `If-None-Match` answers 304.

use commerce::ApiError;
use worker::{Headers, Response, ResponseBuilder};

use crate::context::Cx;

use crate::bindings::ASSETS;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The content type of an image key, from its extension; other files are not served.
fn content_type(key: &str) -> Option<&'static str> {
    let ext = key.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "gif" => "image/gif",
        _ => return None,
    })
}

/// Keys are path segments of letters, digits, `-`, `_` and `.`, never `..`.
fn valid_key(segments: &[&str]) -> bool {
    !segments.is_empty()
        && segments.len() <= 8
        && segments.iter().all(|s| {
            !s.is_empty()
                && *s != "."
                && *s != ".."
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

fn not_found(key: &str) -> ApiError {
    ApiError::not_found("Image", "key", key)
}

pub async fn serve(cx: &mut Cx) -> Result<Response, ApiError> {
    let if_none_match = cx.header("if-none-match");
    let if_none_match = if_none_match.as_deref();
    let env = &cx.env;
    let key = cx.param(0).to_owned();
    let segments: Vec<&str> = key.split('/').collect();
    let segments = segments.as_slice();
    let (true, Some(content_type)) = (valid_key(segments), content_type(&key)) else {
        return Err(not_found(&key));
    };
    let internal = |e: worker::Error| ApiError::Internal {
        detail: format!("r2 {key}: {e}"),
    };
    let bucket = env.bucket(ASSETS).map_err(internal)?;
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(internal);
    set("cache-control", IMMUTABLE)?;
    set("x-content-type-options", "nosniff")?;

    if let Some(tag) = if_none_match {
        if let Some(head) = bucket.head(key.as_str()).await.map_err(internal)? {
            let etag = head.http_etag();
            if tag.split(',').any(|t| t.trim() == etag || t.trim() == "*") {
                set("etag", &etag)?;
                return Ok(ResponseBuilder::new()
                    .with_status(304)
                    .with_headers(headers)
                    .empty());
            }
        }
    }
    let object = bucket
        .get(key.as_str())
        .execute()
        .await
        .map_err(internal)?
        .ok_or_else(|| not_found(&key))?;
    set("etag", &object.http_etag())?;
    set("content-type", content_type)?;
    set("content-length", &object.size().to_string())?;
    let body = object
        .body()
        .ok_or_else(|| not_found(&key))?
        .response_body()
        .map_err(internal)?;
    Ok(ResponseBuilder::new().with_headers(headers).body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_image_keys_inside_the_bucket_are_served() {
        assert!(valid_key(&["products", "prod_1", "a1b2c3.png"]));
        assert!(!valid_key(&["..", "secret.png"]));
        assert!(!valid_key(&["products", "a b.png"]));
        assert!(!valid_key(&[]));
        assert_eq!(content_type("x/y.PNG"), Some("image/png"));
        assert_eq!(content_type("x/y.html"), None);
        assert_eq!(content_type("noext"), None);
    }
}
