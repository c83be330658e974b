//! Form posts from the shop's own pages: refused when posted from another site,
//! bounded while they stream, decoded by serde into the handler's form type.

use commerce::ApiError;
use serde::de::DeserializeOwned;
use worker::{Request, Url};

use super::{body, internal};

/// Largest form a page reads.
pub const MAX_FORM: usize = 64 * 1024;

/// Whether a form post comes from this site's own pages: browsers send
/// `Sec-Fetch-Site` (and `Origin`) with every form post; a cross-site one is refused.
fn same_origin(req: &Request, url: &Url) -> Result<bool, ApiError> {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").map_err(internal)? {
        return Ok(matches!(site.as_str(), "same-origin" | "none"));
    }
    Ok(match headers.get("origin").map_err(internal)? {
        Some(origin) => origin == url.origin().ascii_serialization(),
        // No browser signal at all (curl, old clients): accept; the cookie is SameSite=Lax.
        None => true,
    })
}

/// The posted form as `T`: 403 when posted from another site, 413 past `max` bytes,
/// 400 naming the field when a field cannot be read as `T` says.
pub async fn read<T: DeserializeOwned>(
    req: &mut Request,
    url: &Url,
    max: usize,
) -> Result<T, ApiError> {
    if !same_origin(req, url)? {
        return Err(ApiError::CrossSite);
    }
    let bytes = body::bounded(req, max).await?;
    decode(&bytes)
}

/// A posted multipart form (a file upload) from this site's own pages: 403 when posted
/// from another site, 413 past `max` bytes. Its length must be declared (browsers
/// always do), so the runtime parses a body of known, bounded size.
pub async fn multipart(
    req: &mut Request,
    url: &Url,
    max: usize,
) -> Result<worker::FormData, ApiError> {
    if !same_origin(req, url)? {
        return Err(ApiError::CrossSite);
    }
    let declared = req
        .headers()
        .get("content-length")
        .map_err(internal)?
        .and_then(|v| v.trim().parse::<usize>().ok());
    match declared {
        None => Err(ApiError::invalid(
            "body",
            "an upload needs its Content-Length",
        )),
        Some(n) if n > max => Err(ApiError::PayloadTooLarge {
            limit_kb: max.div_ceil(1024),
        }),
        Some(_) => req
            .form_data()
            .await
            .map_err(|e| ApiError::invalid("body", format!("not a form: {e}"))),
    }
}

/// A form body (`application/x-www-form-urlencoded`) as `T`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_urlencoded::from_bytes(bytes).map_err(|e| ApiError::invalid("form", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Lookup {
        #[serde(default)]
        email: String,
        number: Option<String>,
    }

    #[test]
    fn forms_decode_into_their_types() {
        let form: Lookup = decode(b"email=ann%40example.com&number=+1042&extra=1").unwrap();
        assert_eq!(form.email, "ann@example.com");
        assert_eq!(form.number.as_deref(), Some(" 1042"));
        let empty: Lookup = decode(b"").unwrap();
        assert_eq!(empty.email, "");
    }
}
