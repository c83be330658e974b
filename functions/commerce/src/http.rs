//! HTTP facts shared by the edge and the origin: the security headers every response
//! of either carries.

/// The security headers of every response, as (name, value) pairs with lower-case
/// names. The edge sets them on its responses; the origin adds them to its own.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'none'; img-src 'self' data:; style-src 'self'; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
];

#[cfg(test)]
mod tests {
    use super::SECURITY_HEADERS;

    #[test]
    fn names_are_lower_case_and_unique() {
        let mut names: Vec<&str> = SECURITY_HEADERS.iter().map(|(n, _)| *n).collect();
        assert!(names
            .iter()
            .all(|n| n.bytes().all(|b| !b.is_ascii_uppercase())));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SECURITY_HEADERS.len());
        assert!(names.contains(&"content-security-policy"));
        assert!(names.contains(&"strict-transport-security"));
    }
}
