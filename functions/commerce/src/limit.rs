//! Abuse limits: how many requests one key (a client address, an e-mail, a cart) may
//! make in a window. The rule is here; the edge counts approximately with the
//! platform's rate-limit binding or exactly in a Durable Object, which keeps one
//! [`Window`] per key and asks [`hit`] what to answer.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ApiError;

/// At most `max` requests per `window_s` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub max: u32,
    pub window_s: u32,
}

impl Limit {
    /// Reads `"MAX/SECONDS"` (e.g. `"10/60"`); `None` for anything else, including a
    /// zero window.
    pub fn parse(text: &str) -> Option<Self> {
        let (max, window) = text.trim().split_once('/')?;
        let limit = Limit {
            max: max.trim().parse().ok()?,
            window_s: window.trim().parse().ok()?,
        };
        (limit.window_s > 0).then_some(limit)
    }
}

/// The requests counted in the current window of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// When the window opened (milliseconds since the epoch).
    pub opened_ms: u64,
    pub count: u32,
}

impl Window {
    /// When the window closes.
    pub fn closes_ms(&self, limit: Limit) -> u64 {
        self.opened_ms
            .saturating_add(u64::from(limit.window_s) * 1000)
    }
}

/// What to answer one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Allowed,
    /// Refused; the window closes in this many seconds (at least 1).
    Refused {
        retry_after_s: u32,
    },
}

impl Decision {
    /// `Ok` when allowed, else the 429 error.
    pub fn into_result(self) -> Result<(), ApiError> {
        match self {
            Decision::Allowed => Ok(()),
            Decision::Refused { retry_after_s } => Err(ApiError::TooManyRequests { retry_after_s }),
        }
    }
}

/// Counts one request at `now_ms` against `limit`: a window that has closed starts
/// anew; within the window the first `max` requests are allowed and the rest refused
/// (a refused request is not counted, so a client that waits is let in on time).
pub fn hit(window: Option<Window>, limit: Limit, now_ms: u64) -> (Window, Decision) {
    let current = match window {
        Some(w) if now_ms < w.closes_ms(limit) => w,
        _ => Window {
            opened_ms: now_ms,
            count: 0,
        },
    };
    if current.count >= limit.max {
        let left_ms = current.closes_ms(limit).saturating_sub(now_ms);
        let retry_after_s = u32::try_from(left_ms.div_ceil(1000))
            .unwrap_or(u32::MAX)
            .max(1);
        return (current, Decision::Refused { retry_after_s });
    }
    let counted = Window {
        count: current.count + 1,
        ..current
    };
    (counted, Decision::Allowed)
}

/// Seconds until the next window of `period_s` aligned to the clock (how the
/// platform's rate-limit binding counts), at least 1.
pub fn aligned_retry_after(period_s: u32, now_ms: u64) -> u32 {
    let period_ms = u64::from(period_s.max(1)) * 1000;
    let left_ms = period_ms - now_ms % period_ms;
    u32::try_from(left_ms.div_ceil(1000))
        .unwrap_or(u32::MAX)
        .max(1)
}

/// The key a limit counts under: the rule's name and a hash of the value, so that
/// e-mail addresses and client addresses are never stored as they are.
pub fn key(rule: &str, value: &str) -> String {
    let digest = Sha256::digest(value.trim().to_lowercase().as_bytes());
    format!("{rule}:{}", hex::encode(&digest[..12]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN_A_MINUTE: Limit = Limit {
        max: 10,
        window_s: 60,
    };

    #[test]
    fn the_request_after_the_limit_is_refused_until_the_window_closes() {
        let mut window = None;
        for i in 0..10 {
            let (w, d) = hit(window, TEN_A_MINUTE, 1_000 + i);
            assert_eq!(d, Decision::Allowed, "request {i}");
            window = Some(w);
        }
        let (w, d) = hit(window, TEN_A_MINUTE, 31_000);
        assert_eq!(d, Decision::Refused { retry_after_s: 30 });
        assert_eq!(w.count, 10, "a refusal is not counted");
        let (_, d) = hit(Some(w), TEN_A_MINUTE, 60_999);
        assert_eq!(d, Decision::Refused { retry_after_s: 1 });
        let (w, d) = hit(Some(w), TEN_A_MINUTE, 61_000);
        assert_eq!(d, Decision::Allowed);
        assert_eq!((w.opened_ms, w.count), (61_000, 1));
    }

    #[test]
    fn a_zero_limit_refuses_everything() {
        let none = Limit {
            max: 0,
            window_s: 10,
        };
        assert!(matches!(hit(None, none, 5).1, Decision::Refused { .. }));
        assert_eq!(
            Decision::Refused { retry_after_s: 3 }.into_result(),
            Err(ApiError::TooManyRequests { retry_after_s: 3 })
        );
    }

    #[test]
    fn limits_parse_from_configuration() {
        assert_eq!(Limit::parse(" 10/60 "), Some(TEN_A_MINUTE));
        for bad in ["", "10", "10/0", "x/60", "10/-1", "-1/60"] {
            assert_eq!(Limit::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn aligned_windows_end_on_the_clock() {
        assert_eq!(aligned_retry_after(60, 120_000), 60);
        assert_eq!(aligned_retry_after(60, 179_001), 1);
        assert_eq!(aligned_retry_after(10, 5_500), 5);
    }

    #[test]
    fn keys_hide_the_value_and_ignore_case() {
        let k = key("lookup_email", "Ann@Example.com");
        assert_eq!(k, key("lookup_email", " ann@example.com"));
        assert!(k.starts_with("lookup_email:"));
        assert!(!k.contains("example"));
        assert_ne!(k, key("lookup_ip", "ann@example.com"));
    }
}
