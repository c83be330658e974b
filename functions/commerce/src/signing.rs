//! Signed requests from the edge to the origin. The edge signs the audience (the
//! deployment's environment name: a request signed for staging is refused by
//! production even if both share a secret), the method, the path with its query, a
//! timestamp, a one-time nonce and a hash of the body with a secret both share
//! (HMAC-SHA256); the origin recomputes the signature, refuses a timestamp outside
//! [`MAX_SKEW_SECONDS`] and (with its own record of nonces) any nonce it has seen. A
//! request cannot be forged, altered, replayed or sent to another environment
//! without the secret.

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};
use tokio_postgres::types::Type;

use crate::db::{Param, Sql};
use crate::error::ApiError;

pub const TIMESTAMP_HEADER: &str = "x-edge-timestamp";
pub const NONCE_HEADER: &str = "x-edge-nonce";
pub const SIGNATURE_HEADER: &str = "x-edge-signature";
/// How far the edge's clock and the origin's may disagree, in seconds; nonces are
/// remembered at least this long.
pub const MAX_SKEW_SECONDS: i64 = 300;
/// Shortest secret accepted.
pub const MIN_SECRET_BYTES: usize = 32;

type HmacSha256 = hmac::Hmac<Sha256>;

/// The shared secret.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// A secret of at least [`MIN_SECRET_BYTES`] bytes.
    pub fn parse(secret: &str) -> Result<Self, String> {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the origin secret must be at least {MIN_SECRET_BYTES} characters"
            ));
        }
        Ok(SigningKey(secret.as_bytes().to_vec()))
    }

    fn mac(
        &self,
        audience: &str,
        method: &str,
        path: &str,
        timestamp: i64,
        nonce: &str,
        body: &[u8],
    ) -> HmacSha256 {
        let body_hash = hex::encode(Sha256::digest(body));
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(
            format!(
                "{audience}\n{}\n{path}\n{timestamp}\n{nonce}\n{body_hash}",
                method.to_ascii_uppercase()
            )
            .as_bytes(),
        );
        mac
    }

    /// The hex signature of a request meant for the origin of environment `audience`
    /// ("development", "staging", "production").
    pub fn sign(
        &self,
        audience: &str,
        method: &str,
        path: &str,
        timestamp: i64,
        nonce: &str,
        body: &[u8],
    ) -> String {
        hex::encode(
            self.mac(audience, method, path, timestamp, nonce, body)
                .finalize()
                .into_bytes(),
        )
    }

    /// Checks a request's signature headers against this origin's environment
    /// (`audience`), its method, path (with query) and body at time `now` (Unix
    /// seconds). Returns the nonce, which the caller must record and refuse when seen
    /// again. Any timestamp, however extreme, is compared without overflow.
    pub fn verify<'a>(
        &self,
        audience: &str,
        method: &str,
        path: &str,
        body: &[u8],
        headers: SignedHeaders<'a>,
        now: i64,
    ) -> Result<&'a str, ApiError> {
        let refuse = |reason: &str| ApiError::Unauthorized {
            reason: reason.to_owned(),
        };
        let (Some(ts), Some(nonce), Some(sig)) =
            (headers.timestamp, headers.nonce, headers.signature)
        else {
            return Err(refuse("the request is not signed"));
        };
        let timestamp: i64 = ts.parse().map_err(|_| refuse("malformed timestamp"))?;
        if now.abs_diff(timestamp) > MAX_SKEW_SECONDS.unsigned_abs() {
            return Err(refuse("the timestamp is outside the accepted window"));
        }
        if nonce.len() < 16 || nonce.len() > 64 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(refuse("malformed nonce"));
        }
        let given = hex::decode(sig).map_err(|_| refuse("malformed signature"))?;
        self.mac(audience, method, path, timestamp, nonce, body)
            .verify_slice(&given)
            .map_err(|_| refuse("the signature does not match"))?;
        Ok(nonce)
    }
}

/// Records a verified request's nonce; a nonce seen before is a replay (401).
pub async fn remember_nonce<C: Sql>(client: &C, nonce: &str) -> Result<(), ApiError> {
    let params: [Param<'_>; 1] = [(&nonce, Type::TEXT)];
    let fresh = client
        .execute_typed(
            "INSERT INTO request_nonces (nonce) VALUES ($1) ON CONFLICT DO NOTHING",
            &params,
        )
        .await?;
    if fresh == 0 {
        return Err(ApiError::Unauthorized {
            reason: "the nonce was used before (replayed request)".into(),
        });
    }
    Ok(())
}

/// Forgets nonces older than twice the accepted clock window: a request that old is
/// refused by its timestamp anyway.
pub async fn forget_old_nonces<C: Sql>(client: &C) -> Result<u64, ApiError> {
    let window = (MAX_SKEW_SECONDS * 2) as f64;
    let params: [Param<'_>; 1] = [(&window, Type::FLOAT8)];
    Ok(client
        .execute_typed(
            "DELETE FROM request_nonces WHERE seen_at < now() - make_interval(secs => $1)",
            &params,
        )
        .await?)
}

/// The signature headers of a request, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedHeaders<'a> {
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::parse("0123456789abcdef0123456789abcdef").unwrap()
    }

    fn headers<'a>(ts: &'a str, nonce: &'a str, sig: &'a str) -> SignedHeaders<'a> {
        SignedHeaders {
            timestamp: Some(ts),
            nonce: Some(nonce),
            signature: Some(sig),
        }
    }

    const NONCE: &str = "N0NCE0123456789ABCDEF";
    const ENV: &str = "development";

    #[test]
    fn a_signed_request_verifies() {
        let sig = key().sign(ENV, "POST", "/v1/carts/complete", 1000, NONCE, b"{}");
        let h = headers("1000", NONCE, &sig);
        assert_eq!(
            key()
                .verify(ENV, "post", "/v1/carts/complete", b"{}", h, 1010)
                .unwrap(),
            NONCE
        );
    }

    #[test]
    fn tampering_with_any_part_is_refused() {
        let sig = key().sign(ENV, "POST", "/v1/carts/complete", 1000, NONCE, b"{\"a\":1}");
        let ok = headers("1000", NONCE, &sig);
        let k = key();
        assert!(k
            .verify(ENV, "POST", "/v1/carts/complete", b"{\"a\":2}", ok, 1000)
            .is_err());
        assert!(k
            .verify(ENV, "GET", "/v1/carts/complete", b"{\"a\":1}", ok, 1000)
            .is_err());
        assert!(k
            .verify(ENV, "POST", "/v1/orders/x", b"{\"a\":1}", ok, 1000)
            .is_err());
        let other_nonce = headers("1000", "OTHERNONCE0123456789", &sig);
        assert!(k
            .verify(
                ENV,
                "POST",
                "/v1/carts/complete",
                b"{\"a\":1}",
                other_nonce,
                1000
            )
            .is_err());
        let other_ts = headers("1001", NONCE, &sig);
        assert!(k
            .verify(
                ENV,
                "POST",
                "/v1/carts/complete",
                b"{\"a\":1}",
                other_ts,
                1001
            )
            .is_err());
        let other_key = SigningKey::parse("another-secret-another-secret-xx").unwrap();
        let e = other_key
            .verify(ENV, "POST", "/v1/carts/complete", b"{\"a\":1}", ok, 1000)
            .unwrap_err();
        assert_eq!(e.status(), 401);
    }

    #[test]
    fn stale_unsigned_and_malformed_requests_are_refused() {
        let k = key();
        let sig = k.sign(ENV, "POST", "/p", 1000, NONCE, b"");
        let e = k.verify(
            ENV,
            "POST",
            "/p",
            b"",
            headers("1000", NONCE, &sig),
            1000 + MAX_SKEW_SECONDS + 1,
        );
        assert!(e.unwrap_err().to_string().contains("window"));
        assert!(k
            .verify(ENV, "POST", "/p", b"", SignedHeaders::default(), 1000)
            .is_err());
        assert!(k
            .verify(ENV, "POST", "/p", b"", headers("x", NONCE, &sig), 1000)
            .is_err());
        assert!(k
            .verify(ENV, "POST", "/p", b"", headers("1000", "short", &sig), 1000)
            .is_err());
        assert!(k
            .verify(ENV, "POST", "/p", b"", headers("1000", NONCE, "zz"), 1000)
            .is_err());
    }

    #[test]
    fn extreme_timestamps_are_refused_without_overflow() {
        let k = key();
        for (ts, now) in [
            (i64::MIN, i64::MAX),
            (i64::MAX, i64::MIN),
            (i64::MIN, 0),
            (i64::MAX, 0),
            (i64::MIN, 1000),
            (i64::MAX, 1000),
        ] {
            let sig = k.sign(ENV, "POST", "/p", ts, NONCE, b"");
            let text = ts.to_string();
            let e = k
                .verify(ENV, "POST", "/p", b"", headers(&text, NONCE, &sig), now)
                .unwrap_err();
            assert!(e.to_string().contains("window"), "{ts} at {now}: {e}");
        }
        // The edges of the window itself still work.
        let sig = k.sign(ENV, "POST", "/p", i64::MAX, NONCE, b"");
        let text = i64::MAX.to_string();
        let h = headers(&text, NONCE, &sig);
        assert!(k.verify(ENV, "POST", "/p", b"", h, i64::MAX).is_ok());
        assert!(k
            .verify(ENV, "POST", "/p", b"", h, i64::MAX - MAX_SKEW_SECONDS)
            .is_ok());
        assert!(k
            .verify(ENV, "POST", "/p", b"", h, i64::MAX - MAX_SKEW_SECONDS - 1)
            .is_err());
    }

    #[test]
    fn a_request_signed_for_another_environment_is_refused() {
        let k = key();
        let sig = k.sign("staging", "POST", "/v1/carts/complete", 1000, NONCE, b"{}");
        let h = headers("1000", NONCE, &sig);
        assert!(k
            .verify("staging", "POST", "/v1/carts/complete", b"{}", h, 1000)
            .is_ok());
        let e = k
            .verify("production", "POST", "/v1/carts/complete", b"{}", h, 1000)
            .unwrap_err();
        assert_eq!(e.status(), 401);
        assert!(e.to_string().contains("does not match"), "{e}");
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(SigningKey::parse("too-short").is_err());
    }
}
