//! The customer's JWT, as Medusa issues it: HS256 over base64url JSON, with Medusa's
//! claims (`actor_id`, `actor_type`, `auth_identity_id`, `app_metadata.customer_id`)
//! and the store the account belongs to.
//!
//! Written here rather than taken from a JWT crate: the pure-Rust backends of
//! `jsonwebtoken` bring RSA with `getrandom` (which has no wasm32-unknown-unknown
//! source without a build flag) and read `SystemTime::now()` (which panics in a
//! Worker). HS256 is one HMAC-SHA256 with the `hmac` and `sha2` crates the project
//! already uses; the header must say HS256 (no `none`, no key confusion), the
//! signature is compared in constant time, and the clock is the caller's.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::ids::{AuthIdentityId, CustomerId, StoreId};

type HmacSha256 = hmac::Hmac<Sha256>;

/// Shortest secret accepted (256 bits, as HS256 asks).
pub const MIN_SECRET_BYTES: usize = 32;

/// A token's lifetime when the deployment sets none: a day.
pub const DEFAULT_TTL_S: i64 = 24 * 3600;

/// How far in the future an `iat` may be (clocks of two isolates differ a little).
const LEEWAY_S: i64 = 60;

/// The secret tokens are signed with (`JWT_SECRET`, set by `wrangler secret put`).
#[derive(Clone)]
pub struct JwtKey(Vec<u8>);

impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKey(..)")
    }
}

impl JwtKey {
    /// A secret of at least [`MIN_SECRET_BYTES`] bytes.
    pub fn parse(secret: &str) -> Result<Self, String> {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the JWT secret must be at least {MIN_SECRET_BYTES} characters"
            ));
        }
        Ok(JwtKey(secret.as_bytes().to_vec()))
    }

    fn mac(&self, signed: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(signed.as_bytes());
        mac
    }

    /// The compact JWT of `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let header = B64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = B64.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let signed = format!("{header}.{body}");
        let signature = B64.encode(self.mac(&signed).finalize().into_bytes());
        format!("{signed}.{signature}")
    }

    /// The claims of `token` if this key signed it with HS256 and it has not expired
    /// at `now_s` (seconds since the epoch).
    pub fn verify(&self, token: &str, now_s: i64) -> Result<Claims, JwtError> {
        let mut parts = token.trim().splitn(3, '.');
        let (Some(header), Some(body), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(JwtError::Malformed);
        };
        let header: Header = decode(header)?;
        if header.alg != "HS256" {
            return Err(JwtError::Algorithm);
        }
        let signature = B64.decode(signature).map_err(|_| JwtError::Malformed)?;
        let signed = &token.trim()[..header_len(token.trim(), body)];
        self.mac(signed)
            .verify_slice(&signature)
            .map_err(|_| JwtError::Signature)?;
        let claims: Claims = decode(body)?;
        if claims.exp <= now_s {
            return Err(JwtError::Expired);
        }
        if claims.iat > now_s + LEEWAY_S {
            return Err(JwtError::Malformed);
        }
        Ok(claims)
    }
}

/// The length of `header.body` at the start of `token`.
fn header_len(token: &str, body: &str) -> usize {
    token.find('.').map_or(0, |dot| dot + 1 + body.len())
}

fn decode<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, JwtError> {
    let bytes = B64.decode(part).map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// Why a token was refused (every one is a 401 to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a JWT of this store")]
    Malformed,
    #[error("the token's algorithm is not HS256")]
    Algorithm,
    #[error("the token's signature does not match")]
    Signature,
    #[error("the token has expired")]
    Expired,
}

/// What the token says, in Medusa's claim names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The customer's id; empty until the customer is made (`POST /store/customers`).
    pub actor_id: String,
    /// Always `customer` here.
    pub actor_type: String,
    pub auth_identity_id: AuthIdentityId,
    pub app_metadata: AppMetadata,
    /// The store the account belongs to: a token is refused by every other store.
    pub store_id: StoreId,
    /// The identity's token generation when it was issued: a password reset ends it.
    pub generation: i32,
    /// Issued at and expires at, seconds since the epoch.
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<CustomerId>,
}

impl Claims {
    /// The claims of a new token for `who`, living `ttl_s` from `now_s`.
    pub fn new(who: &super::Principal, now_s: i64, ttl_s: i64) -> Self {
        Claims {
            actor_id: who
                .customer
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            actor_type: "customer".to_owned(),
            auth_identity_id: who.identity.clone(),
            app_metadata: AppMetadata {
                customer_id: who.customer.clone(),
            },
            store_id: who.store_id.clone(),
            generation: who.generation,
            iat: now_s,
            exp: now_s + ttl_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> JwtKey {
        JwtKey::parse("a test secret of thirty-two bytes or more").unwrap()
    }

    fn who(customer: Option<&str>) -> crate::customer::Principal {
        crate::customer::Principal {
            identity: AuthIdentityId::parse("authid_1").unwrap(),
            store_id: StoreId::parse("store_A").unwrap(),
            email: "a@example.test".into(),
            customer: customer.map(|c| CustomerId::parse(c).unwrap()),
            generation: 0,
        }
    }

    fn claims(now: i64) -> Claims {
        Claims::new(&who(Some("cus_1")), now, 3600)
    }

    #[test]
    fn a_token_verifies_with_its_key_until_it_expires() {
        let token = key().sign(&claims(1_000));
        assert_eq!(token.split('.').count(), 3);
        let back = key().verify(&token, 1_001).unwrap();
        assert_eq!(back, claims(1_000));
        assert_eq!(back.actor_id, "cus_1");
        assert_eq!(key().verify(&token, 4_600), Err(JwtError::Expired));
        let other = JwtKey::parse("another secret of thirty-two bytes, or more").unwrap();
        assert_eq!(other.verify(&token, 1_001), Err(JwtError::Signature));
    }

    #[test]
    fn medusa_claim_names_are_kept() {
        let token = key().sign(&Claims::new(&who(None), 10, 60));
        let body: serde_json::Value = decode(token.split('.').nth(1).unwrap()).unwrap();
        assert_eq!(body["actor_id"], "");
        assert_eq!(body["actor_type"], "customer");
        assert_eq!(body["auth_identity_id"], "authid_1");
        assert_eq!(body["app_metadata"], serde_json::json!({}));
        assert_eq!(body["exp"], 70);
    }

    #[test]
    fn altered_tokens_and_other_algorithms_are_refused() {
        let token = key().sign(&claims(1_000));
        let parts: Vec<&str> = token.split('.').collect();
        // Another customer's id in the body, the signature kept.
        let mut forged = claims(1_000);
        forged.actor_id = "cus_2".into();
        let body = B64.encode(serde_json::to_vec(&forged).unwrap());
        let swapped = format!("{}.{}.{}", parts[0], body, parts[2]);
        assert_eq!(key().verify(&swapped, 1_001), Err(JwtError::Signature));
        // `alg: none` without a signature, and HS512's header.
        let none = format!("{}.{}.", B64.encode(br#"{"alg":"none"}"#), parts[1]);
        assert_eq!(key().verify(&none, 1_001), Err(JwtError::Algorithm));
        let hs512 = format!(
            "{}.{}.{}",
            B64.encode(br#"{"alg":"HS512"}"#),
            parts[1],
            parts[2]
        );
        assert_eq!(key().verify(&hs512, 1_001), Err(JwtError::Algorithm));
        for junk in ["", "a.b", "a.b.c", "....", &token[..token.len() - 2]] {
            assert!(key().verify(junk, 1_001).is_err(), "{junk}");
        }
        // Issued in the future.
        let early = key().sign(&claims(5_000));
        assert_eq!(key().verify(&early, 1_000), Err(JwtError::Malformed));
    }

    #[test]
    fn rfc_7515_appendix_a1_token_passes_the_signature_check() {
        // RFC 7515 A.1: the HS256 example's key and token. Its signature is accepted;
        // its claims (not ours) are then refused as malformed.
        let k = B64
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(JwtKey(k.clone()).verify(token, 0), Err(JwtError::Malformed));
        let mut altered = k;
        altered[0] ^= 1;
        assert_eq!(JwtKey(altered).verify(token, 0), Err(JwtError::Signature));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(JwtKey::parse("short").is_err());
        assert_eq!(format!("{:?}", key()), "JwtKey(..)");
    }
}
