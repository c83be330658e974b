//! W3C Trace Context (`traceparent`): keep a valid incoming header, replace an absent
//! or invalid one, and make the header for each subrequest this hop sends.

use std::fmt::Write as _;

/// A parsed `traceparent`: version 00, a 16-byte trace id and an 8-byte parent id,
/// neither all zeros, and the trace flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceParent {
    trace_id: [u8; 16],
    parent_id: [u8; 8],
    flags: u8,
}

/// The trace context of one request at this hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// What the request arrived with if valid, otherwise a new root.
    pub incoming: TraceParent,
    /// This hop's own span id: the parent id of every subrequest it sends.
    pub span_id: [u8; 8],
    /// Whether `incoming` came from the request (false: generated here).
    pub continued: bool,
}

fn hex_into(out: &mut [u8], s: &str) -> Option<()> {
    if s.len() != out.len() * 2 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(())
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    for chunk in out.chunks_mut(16) {
        let random = uuid::Uuid::new_v4().into_bytes();
        chunk.copy_from_slice(&random[..chunk.len()]);
    }
    // Keep the ids clear of the invalid all-zero value.
    if out.iter().all(|b| *b == 0) {
        out[N - 1] = 1;
    }
    out
}

impl TraceParent {
    /// Parses a `traceparent` header per W3C Trace Context: lower-case hex, version
    /// `ff` refused, version 00 exactly 55 characters, later versions may append fields.
    pub fn parse(header: &str) -> Option<Self> {
        let header = header.trim();
        let mut parts = header.splitn(5, '-');
        let (version, trace, parent, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let rest = parts.next();
        let mut v = [0u8; 1];
        hex_into(&mut v, version)?;
        if v[0] == 0xff || (v[0] == 0 && (rest.is_some() || header.len() != 55)) {
            return None;
        }
        let mut tp = TraceParent {
            trace_id: [0; 16],
            parent_id: [0; 8],
            flags: 0,
        };
        hex_into(&mut tp.trace_id, trace)?;
        hex_into(&mut tp.parent_id, parent)?;
        let mut f = [0u8; 1];
        hex_into(&mut f, flags)?;
        tp.flags = f[0];
        if tp.trace_id.iter().all(|b| *b == 0) || tp.parent_id.iter().all(|b| *b == 0) {
            return None;
        }
        Some(tp)
    }

    /// A new root: random trace id and parent id, sampled flag set.
    pub fn new_root() -> Self {
        TraceParent {
            trace_id: random_bytes(),
            parent_id: random_bytes(),
            flags: 0x01,
        }
    }

    pub fn trace_id(&self) -> String {
        hex(&self.trace_id)
    }

    pub fn header(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            hex(&self.trace_id),
            hex(&self.parent_id),
            self.flags
        )
    }
}

impl TraceContext {
    /// Keeps a valid incoming header, otherwise starts a new trace.
    pub fn from_header(header: Option<&str>) -> Self {
        let parsed = header.and_then(TraceParent::parse);
        let continued = parsed.is_some();
        TraceContext {
            incoming: parsed.unwrap_or_else(TraceParent::new_root),
            span_id: random_bytes(),
            continued,
        }
    }

    pub fn trace_id(&self) -> String {
        self.incoming.trace_id()
    }

    pub fn span_id(&self) -> String {
        hex(&self.span_id)
    }

    /// The header returned to the caller: the kept (or new) traceparent.
    pub fn response_header(&self) -> String {
        self.incoming.header()
    }

    /// The header for a subrequest: same trace, this hop's span as the parent.
    pub fn outgoing_header(&self) -> String {
        TraceParent {
            parent_id: self.span_id,
            ..self.incoming.clone()
        }
        .header()
    }
}

/// What replaces a redacted value in a logged URL.
pub const REDACTED: &str = "[redacted]";

/// Id prefixes whose ids act as bearer values (knowing one lets a caller read or act
/// on a shopper's cart, order or payment; see `ids.rs`), and the prefixes of provider
/// keys, secrets and payment objects (`sk_`, `whsec_`, `pi_..._secret_...`). Longer
/// prefixes first.
const BEARER_PREFIXES: &[&str] = &[
    "pay_col", "payses", "order", "ordtx", "cart", "whsec", "seti", "sk", "rk", "pk", "pi", "cs",
    "re",
];

/// Query parameters whose value is a secret or personal data, whatever it looks like.
const SECRET_PARAMS: &[&str] = &[
    "token",
    "secret",
    "password",
    "key",
    "signature",
    "sig",
    "code",
    "session",
    "auth",
    "nonce",
    "email",
    "jwt",
];

/// Shortest opaque value (letters and digits, at least one digit) redacted whole even
/// without a known prefix: tokens, reset links, signatures.
const OPAQUE_MIN_LEN: usize = 24;

fn redact_value(value: &str) -> Option<String> {
    for prefix in BEARER_PREFIXES {
        if let Some(rest) = value
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('_'))
        {
            if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Some(format!("{prefix}_{REDACTED}"));
            }
        }
    }
    let opaque = value.len() >= OPAQUE_MIN_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'%' | b'='))
        && value.bytes().any(|b| b.is_ascii_digit());
    opaque.then(|| REDACTED.to_owned())
}

/// A URL path with its query made safe to log: ids that act as bearer values (carts,
/// orders, payment collections and sessions), provider keys and long opaque tokens
/// become `<prefix>_[redacted]` (or `[redacted]`), and the values of secret query
/// parameters (`token`, `secret`, `email`, ...) become `[redacted]`. Catalog ids
/// (`prod_`, `variant_`, ...) and the shape of the path stay readable:
/// `/store/carts/cart_01J.../line-items` logs as `/store/carts/cart_[redacted]/line-items`.
pub fn redact_path(path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let mut out = path
        .split('/')
        .map(|segment| redact_value(segment).unwrap_or_else(|| segment.to_owned()))
        .collect::<Vec<_>>()
        .join("/");
    if let Some(query) = query {
        out.push('?');
        let pairs = query.split('&').map(|pair| match pair.split_once('=') {
            Some((name, value)) => {
                let lower = name.to_ascii_lowercase();
                let secret = SECRET_PARAMS.iter().any(|s| lower.contains(s));
                let value = if secret && !value.is_empty() {
                    redact_value(value).unwrap_or_else(|| REDACTED.to_owned())
                } else {
                    redact_value(value).unwrap_or_else(|| value.to_owned())
                };
                format!("{name}={value}")
            }
            None => redact_value(pair).unwrap_or_else(|| pair.to_owned()),
        });
        out.push_str(&pairs.collect::<Vec<_>>().join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_ids_in_paths_are_redacted_keeping_their_prefix() {
        assert_eq!(
            redact_path("/v1/orders/order_01JABCDEFGHJKMNPQRSTVWXYZ0"),
            "/v1/orders/order_[redacted]"
        );
        assert_eq!(
            redact_path("/store/carts/cart_01J9Z/line-items/cali_01J"),
            "/store/carts/cart_[redacted]/line-items/cali_01J"
        );
        assert_eq!(
            redact_path("/v1/payment-collections/pay_col_01JAB/payment-sessions"),
            "/v1/payment-collections/pay_col_[redacted]/payment-sessions"
        );
        assert_eq!(
            redact_path("/v1/payment-sessions/payses_01JAB/authenticate"),
            "/v1/payment-sessions/payses_[redacted]/authenticate"
        );
        assert_eq!(
            redact_path("/v1/orders/order_01J/actions?store_id=store_alpha"),
            "/v1/orders/order_[redacted]/actions?store_id=store_alpha"
        );
        // Staff invitation links carry their token in the path.
        let token = crate::staff::Token::generate();
        assert_eq!(
            redact_path(&format!("/admin/invite/{}", token.as_str())),
            "/admin/invite/[redacted]"
        );
    }

    #[test]
    fn catalog_paths_stay_readable() {
        for path in [
            "/",
            "/health",
            "/store/products/prod_01JABC?region_id=reg_AEU&limit=20",
            "/products/blue-shirt",
            "/store/regions",
            "/dev/mail",
        ] {
            assert_eq!(redact_path(path), path);
        }
    }

    #[test]
    fn tokens_and_secrets_are_redacted() {
        assert_eq!(
            redact_path("/auth/reset?token=abc&next=/account"),
            "/auth/reset?token=[redacted]&next=/account"
        );
        assert_eq!(
            redact_path("/x?client_secret=pi_3Nabc_secret_XYZ&api_key=sk_live_123&Email=a%40b.c"),
            "/x?client_secret=pi_[redacted]&api_key=sk_[redacted]&Email=[redacted]"
        );
        assert_eq!(
            redact_path("/checkout?cart_id=cart_01JXYZ&step=pay"),
            "/checkout?cart_id=cart_[redacted]&step=pay"
        );
        assert_eq!(
            redact_path("/confirm/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig123"),
            "/confirm/[redacted]"
        );
        assert_eq!(
            redact_path("/hooks/whsec_abc123"),
            "/hooks/whsec_[redacted]"
        );
        assert_eq!(redact_path("/x?token="), "/x?token=");
    }

    #[test]
    fn error_details_quoting_a_path_lose_its_bearer_values_only() {
        assert_eq!(
            redact_path("stripe POST /v1/payment_intents/pi_3NabC/confirm: 402 card_error"),
            "stripe POST /v1/payment_intents/pi_[redacted]/confirm: 402 card_error"
        );
        let plain = "relation \"products\" does not exist";
        assert_eq!(redact_path(plain), plain);
    }

    const VALID: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_header_is_kept() {
        let ctx = TraceContext::from_header(Some(VALID));
        assert!(ctx.continued);
        assert_eq!(ctx.response_header(), VALID);
        assert_eq!(ctx.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn subrequests_carry_the_trace_with_this_hops_span() {
        let ctx = TraceContext::from_header(Some(VALID));
        let out = TraceParent::parse(&ctx.outgoing_header()).unwrap();
        assert_eq!(out.trace_id(), ctx.trace_id());
        assert_eq!(hex(&out.parent_id), ctx.span_id());
        assert_ne!(ctx.span_id(), "00f067aa0ba902b7");
    }

    #[test]
    fn invalid_headers_are_replaced() {
        for bad in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            let ctx = TraceContext::from_header(Some(bad));
            assert!(!ctx.continued, "{bad:?} was kept");
            assert!(TraceParent::parse(&ctx.response_header()).is_some());
            assert_ne!(ctx.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        }
    }

    #[test]
    fn later_versions_may_carry_more_fields() {
        let future = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever";
        assert!(TraceParent::parse(future).is_some());
    }

    #[test]
    fn new_roots_differ() {
        let a = TraceContext::from_header(None);
        let b = TraceContext::from_header(None);
        assert!(!a.continued);
        assert_ne!(a.trace_id(), b.trace_id());
        assert_eq!(a.response_header().len(), 55);
    }
}
