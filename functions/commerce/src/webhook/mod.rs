//! Outbound webhooks: a store's endpoints (URL, the topics they want, a signing
//! secret), and the deliveries of its events to them. Every event written to the
//! outbox is fanned out to the endpoints that want its topic by a trigger in the same
//! transaction (migration 0032); the origin's delivery runner sends them as the
//! Standard Webhooks specification says ([`sign`]), retries on [`RETRY_SCHEDULE_S`]
//! and dead-letters. Types and their checks here, signing in `sign.rs`, SQL in
//! `repo.rs`, the admin API's shapes in `json.rs`.

pub mod json;
pub mod repo;
pub mod sign;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
pub use crate::ids::EndpointId;
use crate::ids::{random_body, StoreId};
use crate::outbox::Topic;

/// Before each attempt, how long after the previous one (the first at once): about
/// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h, three days in all. After
/// the last attempt fails, the delivery is dead and its endpoint flagged.
pub const RETRY_SCHEDULE_S: [u64; 10] = [
    0, 5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400,
];

/// A `Retry-After` longer than this is not waited for: the schedule's delay is.
pub const MAX_RETRY_AFTER_S: u64 = 86_400;

/// How long a rotated secret keeps signing beside the new one.
pub const ROTATION_OVERLAP_S: i64 = 24 * 3600;

/// Longest URL accepted.
pub const MAX_URL: usize = 2_000;
/// Longest description accepted.
pub const MAX_DESCRIPTION: usize = 500;
/// Endpoints a store may have.
pub const MAX_ENDPOINTS: i64 = 20;

/// Whether deliveries go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointStatus {
    /// Delivered as events happen.
    Active,
    /// Deliveries are kept and wait until the endpoint is active again.
    Paused,
    /// The endpoint answered 410 Gone: no new deliveries until an operator makes it
    /// active again.
    Disabled,
}

impl EndpointStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointStatus::Active => "active",
            EndpointStatus::Paused => "paused",
            EndpointStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Paused, Self::Disabled]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An endpoint as kept (its secrets are not part of it: see [`repo::secrets`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: EndpointId,
    pub store_id: StoreId,
    pub url: String,
    pub description: String,
    pub topics: Vec<Topic>,
    pub status: EndpointStatus,
    pub disabled_reason: Option<String>,
    /// When a delivery last died after the whole schedule (cleared by a success).
    pub failing_since: Option<String>,
    /// While a rotated secret still signs beside the new one: until when.
    pub previous_secret_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A signing secret: `whsec_` and the base64 of 32 random bytes (the Standard
/// Webhooks format; the bytes are the HMAC key).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(whsec_…)")
    }
}

impl Secret {
    pub const PREFIX: &'static str = "whsec_";

    /// A new random secret (random bits from the runtime's CSPRNG through UUIDv4s).
    pub fn generate() -> Self {
        use base64::Engine as _;
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        // Version and variant bits sit in fixed places of a UUID: mix in a third.
        for (k, r) in key.iter_mut().zip(random_body().bytes().cycle()) {
            *k ^= r.rotate_left(3);
        }
        Secret(format!(
            "{}{}",
            Self::PREFIX,
            base64::engine::general_purpose::STANDARD.encode(key)
        ))
    }

    /// A kept secret.
    pub fn from_stored(text: String) -> Self {
        Secret(text)
    }

    /// The text an operator copies into their receiver.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the bytes after `whsec_`.
    pub fn key(&self) -> Vec<u8> {
        use base64::Engine as _;
        let body = self.0.strip_prefix(Self::PREFIX).unwrap_or(&self.0);
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_else(|_| body.as_bytes().to_vec())
    }
}

/// Whether `topic` may be subscribed to: every event but the job runner's own work.
pub fn offered(topic: Topic) -> bool {
    topic != Topic::CatalogImportRequested
}

/// The topics an endpoint may want, in the order the API lists them.
pub fn offered_topics() -> Vec<Topic> {
    Topic::ALL.into_iter().filter(|t| offered(*t)).collect()
}

/// Checks the topics an endpoint asks for: at least one, each offered, no repeats.
pub fn check_topics(topics: &[String]) -> Result<Vec<Topic>, ApiError> {
    if topics.is_empty() {
        return Err(ApiError::invalid(
            "topics",
            "Choose at least one topic to deliver.",
        ));
    }
    let mut chosen = Vec::new();
    for name in topics {
        let topic = Topic::parse(name.trim())
            .filter(|t| offered(*t))
            .ok_or_else(|| {
                ApiError::invalid(
                    "topics",
                    format!("'{name}' is not a topic that is delivered."),
                )
            })?;
        if !chosen.contains(&topic) {
            chosen.push(topic);
        }
    }
    Ok(chosen)
}

/// Checks a description: at most [`MAX_DESCRIPTION`] characters, trimmed.
pub fn check_description(text: &str) -> Result<String, ApiError> {
    let text = text.trim();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(ApiError::invalid(
            "description",
            format!("A description is at most {MAX_DESCRIPTION} characters."),
        ));
    }
    Ok(text.to_owned())
}

/// Checks an endpoint's URL: http or https (https only in production), a host, no
/// credentials, at most [`MAX_URL`] characters. In production a host that names a
/// private, loopback or link-local address (an IP literal, `localhost`, `.local`,
/// `.internal`) is refused; a host name is checked again where it is resolved, at each
/// delivery ([`is_public`]).
pub fn check_url(text: &str, production: bool) -> Result<String, ApiError> {
    let bad = |reason: &str| ApiError::invalid("url", reason.to_owned());
    let text = text.trim();
    if text.is_empty() {
        return Err(bad("Enter the URL deliveries are posted to."));
    }
    if text.len() > MAX_URL {
        return Err(bad("A URL is at most 2,000 characters."));
    }
    let url = url::Url::parse(text)
        .map_err(|_| bad("Enter a whole URL, like https://example.com/webhooks."))?;
    match url.scheme() {
        "https" => {}
        "http" if !production => {}
        "http" => return Err(bad("Deliveries go to https URLs only.")),
        _ => return Err(bad("Enter an https URL.")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("A URL with a user name or password is not accepted; use the signature to authenticate deliveries."));
    }
    let Some(host) = url.host() else {
        return Err(bad("Enter a URL with a host name."));
    };
    if production {
        let private = match host {
            url::Host::Ipv4(ip) => !is_public(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => !is_public(IpAddr::V6(ip)),
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == "localhost"
                    || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
                        .iter()
                        .any(|suffix| name.ends_with(suffix))
                    || !name.contains('.')
            }
        };
        if private {
            return Err(bad(
                "Deliveries go to public addresses only, not to private, loopback or link-local ones.",
            ));
        }
    }
    Ok(url.to_string())
}

/// Whether `ip` is an address of the public internet: not private, loopback,
/// link-local, shared (CGNAT), unspecified, broadcast, multicast, documentation,
/// benchmarking or reserved; IPv4 inside IPv6 (mapped, NAT64) by its IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let o = v6.octets();
                return is_public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1))
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// What became of one attempt, as the delivery runner saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// A 2xx answer.
    Delivered { status: u16 },
    /// 410 Gone: the receiver asks for no more deliveries.
    Gone,
    /// Any other answer, a timeout, a refused address or a network error; a
    /// `Retry-After` (seconds) when the answer had one.
    Failed {
        status: Option<u16>,
        retry_after_s: Option<u64>,
    },
}

impl Attempt {
    /// The attempt for an HTTP status (`retry_after_s` from its header).
    pub fn from_status(status: u16, retry_after_s: Option<u64>) -> Self {
        match status {
            200..=299 => Attempt::Delivered { status },
            410 => Attempt::Gone,
            _ => Attempt::Failed {
                status: Some(status),
                retry_after_s,
            },
        }
    }
}

/// After an attempt: what the delivery and its endpoint become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    /// Tried again after this many seconds.
    RetryIn(u64),
    /// Out of attempts: dead, and the endpoint flagged as failing.
    Dead,
    /// 410: dead, and the endpoint disabled.
    Disable,
}

/// The one decision of a delivery: after attempt number `made` (1 for the first) came
/// to `attempt`, on `schedule` (delays before each attempt, the first 0). A
/// `Retry-After` is honoured when it asks for longer than the schedule (at most
/// [`MAX_RETRY_AFTER_S`]).
pub fn after(attempt: &Attempt, made: usize, schedule: &[u64]) -> Next {
    match attempt {
        Attempt::Delivered { .. } => Next::Delivered,
        Attempt::Gone => Next::Disable,
        Attempt::Failed { retry_after_s, .. } => match schedule.get(made) {
            None => Next::Dead,
            Some(&delay) => {
                let asked = retry_after_s.unwrap_or(0).min(MAX_RETRY_AFTER_S);
                Next::RetryIn(delay.max(asked))
            }
        },
    }
}

/// Reads a `Retry-After` header: delay-seconds (an HTTP date is not followed).
pub fn retry_after(header: &str) -> Option<u64> {
    header.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_retries_nine_times_over_three_days_then_dies() {
        let failed = Attempt::Failed {
            status: Some(500),
            retry_after_s: None,
        };
        let waits: Vec<Next> = (1..=10)
            .map(|made| after(&failed, made, &RETRY_SCHEDULE_S))
            .collect();
        assert_eq!(waits[0], Next::RetryIn(5));
        assert_eq!(waits[1], Next::RetryIn(300));
        assert_eq!(waits[8], Next::RetryIn(86_400));
        assert_eq!(waits[9], Next::Dead);
        let total: u64 = RETRY_SCHEDULE_S.iter().sum();
        assert!((250_000..300_000).contains(&total), "{total}");
    }

    #[test]
    fn retry_after_is_honoured_when_longer_and_capped() {
        let asked = |s| Attempt::Failed {
            status: Some(503),
            retry_after_s: Some(s),
        };
        assert_eq!(after(&asked(60), 1, &RETRY_SCHEDULE_S), Next::RetryIn(60));
        assert_eq!(after(&asked(1), 2, &RETRY_SCHEDULE_S), Next::RetryIn(300));
        assert_eq!(
            after(&asked(10_000_000), 1, &RETRY_SCHEDULE_S),
            Next::RetryIn(MAX_RETRY_AFTER_S)
        );
        assert_eq!(retry_after(" 120 "), Some(120));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn answers_decide_the_delivery() {
        assert_eq!(
            after(&Attempt::from_status(204, None), 1, &RETRY_SCHEDULE_S),
            Next::Delivered
        );
        assert_eq!(
            after(&Attempt::from_status(410, None), 1, &RETRY_SCHEDULE_S),
            Next::Disable
        );
        assert_eq!(
            after(&Attempt::from_status(301, None), 1, &[0, 1]),
            Next::RetryIn(1)
        );
        assert_eq!(
            after(&Attempt::from_status(500, None), 2, &[0, 1]),
            Next::Dead
        );
    }

    #[test]
    fn private_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn production_takes_public_https_urls_only() {
        let ok = |u: &str| check_url(u, true).is_ok();
        assert!(ok("https://hooks.example.com/in"));
        for refused in [
            "http://hooks.example.com/in",
            "https://127.0.0.1/in",
            "https://[::1]:8443/in",
            "https://10.0.0.5/in",
            "https://169.254.169.254/latest/meta-data",
            "https://localhost:9000/in",
            "https://printer.local/in",
            "https://intranet/in",
            "https://user:pass@hooks.example.com/in",
            "ftp://hooks.example.com/in",
            "hooks.example.com/in",
            "",
        ] {
            assert!(!ok(refused), "{refused}");
        }
        // Development and staging deliver to local receivers.
        assert!(check_url("http://127.0.0.1:9000/in", false).is_ok());
        assert!(check_url("javascript:alert(1)", false).is_err());
    }

    #[test]
    fn topics_are_checked() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            check_topics(&names(&[
                "order.created",
                "order.created",
                "product.updated"
            ]))
            .unwrap(),
            vec![Topic::OrderCreated, Topic::ProductUpdated]
        );
        assert!(check_topics(&[]).is_err());
        assert!(check_topics(&names(&["order.exploded"])).is_err());
        assert!(check_topics(&names(&["catalog.import.requested"])).is_err());
        assert!(!offered_topics().contains(&Topic::CatalogImportRequested));
    }

    #[test]
    fn secrets_are_whsec_with_32_bytes_and_differ() {
        let (a, b) = (Secret::generate(), Secret::generate());
        assert!(a.reveal().starts_with("whsec_"));
        assert_eq!(a.key().len(), 32);
        assert_ne!(a, b);
        assert!(!format!("{a:?}").contains(&a.reveal()[6..]));
    }
}
