//! Small helpers shared by the fakes: random identifiers, the clock and webhook signing.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{KeyInit, Mac};

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.finish()
}

/// `len` random characters from `[0-9A-Za-z]`, like the tail of a Stripe id.
pub(crate) fn random_token(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut bits = random_u64();
        for _ in 0..10 {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[(bits % 62) as usize]));
            bits /= 62;
        }
    }
    out
}

/// `<prefix>_<24 random characters>`, the shape of Stripe's object ids.
pub(crate) fn stripe_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_token(24))
}

/// A random UUID-shaped string (version 4 layout), the shape of Resend's email ids.
pub(crate) fn uuid_like() -> String {
    let hex = format!("{:016x}{:016x}", random_u64(), random_u64());
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The `Stripe-Signature` header value for `payload` sent at `t`:
/// `t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`.
pub(crate) fn stripe_signature(payload: &[u8], secret: &str, t: i64) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Takes one use of a counted setting (`fail_next`, `delay_next`): its value while the
/// count lasts, then `None`.
pub(crate) fn take_count<T: Copy>(slot: &mut Option<(u32, T)>) -> Option<T> {
    let (count, value) = (*slot)?;
    *slot = if count > 1 {
        Some((count - 1, value))
    } else {
        None
    };
    (count > 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_slots_run_out() {
        let mut slot = Some((2u32, 500u16));
        assert_eq!(take_count(&mut slot), Some(500));
        assert_eq!(take_count(&mut slot), Some(500));
        assert_eq!(take_count(&mut slot), None);
        let mut zero = Some((0u32, 500u16));
        assert_eq!(take_count(&mut zero), None);
    }

    #[test]
    fn tokens_have_the_requested_length_and_alphabet() {
        let token = random_token(24);
        assert_eq!(token.len(), 24);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(random_token(24), token);
    }

    #[test]
    fn uuid_like_has_uuid_layout() {
        let id = uuid_like();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
    }

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_payload() {
        // Expected value computed independently with Python's hmac module.
        assert_eq!(
            stripe_signature(b"{}", "whsec_test", 1_700_000_000),
            "t=1700000000,v1=35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"
        );
    }
}
