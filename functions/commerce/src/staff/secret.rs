//! Staff secrets: passwords hashed with argon2id at OWASP's parameters (19 MiB, two
//! passes, one lane), and the random tokens of sessions and invitations, which the
//! database keeps only as their SHA-256.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::ids::random_body;

/// OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Shortest password accepted (OWASP: at least 8; more without a second factor).
pub const MIN_PASSWORD: usize = 12;
/// Longest password accepted: long enough for any passphrase, short enough that
/// hashing it costs nothing extra.
pub const MAX_PASSWORD: usize = 128;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Passwords of [`MIN_PASSWORD`] characters or more that lists of leaked passwords
/// rank among the most used, lower-cased: refused whatever their case. Shorter common
/// ones are already refused by the length.
const COMMON: &[&str] = &[
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "password1234567",
    "password12345678",
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789101",
    "111111111111",
    "000000000000",
    "123123123123",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "qwerty1234567",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "qazwsxedcrfv",
    "zaq12wsxcde3",
    "asdfghjkl123",
    "qwertyuiopas",
    "iloveyou1234",
    "iloveyouiloveyou",
    "letmein12345",
    "welcome12345",
    "welcome123456",
    "administrator",
    "admin1234567",
    "changeme1234",
    "trustno11234",
    "football1234",
    "baseball1234",
    "sunshine1234",
    "princess1234",
    "monkey123456",
    "dragon123456",
    "superman1234",
    "starwars1234",
    "whatever1234",
    "master123456",
    "shadow123456",
    "michael12345",
    "abc123456789",
    "abcdefghijkl",
    "abcd12345678",
    "passw0rd1234",
    "p@ssw0rd1234",
    "p@ssword1234",
    "password!234",
    "secret123456",
    "computer1234",
    "internet1234",
    "mypassword12",
    "mypassword123",
    "thisismypassword",
    "correcthorsebatterystaple",
];

/// Whether `password` is one of the [`COMMON`] ones, or one character repeated, or a
/// plain run of the keyboard's or alphabet's order.
fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    if COMMON.contains(&lower.as_str()) {
        return true;
    }
    let mut chars = lower.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return true;
    }
    let bytes = lower.as_bytes();
    let step = |a: u8, b: u8| b.wrapping_sub(a) == 1 || (a == b'9' && b == b'0');
    bytes.windows(2).all(|w| step(w[0], w[1]))
}

/// Checks a new password's length (in characters) and that it is not one of the most
/// common; the error names the form field.
pub fn check_new_password(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(ApiError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD} characters long"),
        ));
    }
    if n > MAX_PASSWORD {
        return Err(ApiError::invalid(
            "password",
            format!("must be at most {MAX_PASSWORD} characters long"),
        ));
    }
    if is_common(password) {
        return Err(ApiError::invalid(
            "password",
            "is one of the most used passwords; please choose another",
        ));
    }
    Ok(())
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of a new password.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    check_new_password(password)?;
    let salt_bytes = random_bytes::<16>();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(ApiError::internal)?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// A hash at the same parameters that no password is known to match.
const STAND_IN: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3RhbmRpbnN0YW5kaW4$4bHUJd0JwbxbzsbVKALpkr0lcHB9kSe6l3s4+gA9zhk";

/// Whether `password` matches the stored PHC string. Without one (an unknown e-mail, a
/// user who never set a password) a stand-in is checked, so that the answer takes as
/// long either way and says nothing about which accounts exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let (phc, real) = match stored {
        Some(phc) => (phc, true),
        None => (STAND_IN, false),
    };
    if password.len() > MAX_PASSWORD * 4 {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = argon2()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && real
}

/// `N` random bytes from the platform's generator (through v4 UUIDs, 122 random bits
/// each).
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    for chunk in out.chunks_mut(16) {
        let bytes = uuid::Uuid::new_v4().into_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
    out
}

/// A session or invitation token: 52 random base32 characters (about 240 bits).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Self {
        Token(format!("{}{}", random_body(), random_body()))
    }

    /// A token as a client sent it; `None` when it cannot be one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 52 && text.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Token(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database keeps: the token's SHA-256, hex.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery", Some(&phc)));
        assert!(!verify_password("correct horse batterY", Some(&phc)));
        assert!(!verify_password("correct horse battery", None));
        assert!(!verify_password("anything", Some("not a hash")));
        // Two hashes of one password differ (their salts do).
        assert_ne!(phc, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(hash_password("short").is_err());
        assert!(hash_password(&"x".repeat(MAX_PASSWORD + 1)).is_err());
        assert_eq!(
            check_new_password("elevenchars").unwrap_err().param(),
            Some("password")
        );
    }

    #[test]
    fn the_most_common_passwords_are_refused_whatever_their_case() {
        for common in [
            "password1234",
            "PassWord1234",
            "123456789012",
            "aaaaaaaaaaaa",
            "abcdefghijklmn",
            "qwertyuiop123",
        ] {
            let err = check_new_password(common).unwrap_err();
            assert_eq!(err.param(), Some("password"), "{common}");
        }
        assert!(check_new_password("a freshly chosen passphrase").is_ok());
        assert!(check_new_password("password1234 but longer").is_ok());
    }

    #[test]
    fn the_stand_in_hash_costs_what_a_real_one_does() {
        // The unknown-account path must do the same work as a real check.
        let stand_in = PasswordHash::new(STAND_IN).unwrap();
        let real = hash_password("correct horse battery").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(stand_in.params, real.params);
        assert_eq!(stand_in.algorithm, real.algorithm);
    }

    #[test]
    fn tokens_are_random_and_kept_hashed() {
        let a = Token::generate();
        let b = Token::generate();
        assert_ne!(a, b);
        assert_eq!(Token::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.hash().len(), 64);
        assert_ne!(a.hash(), a.as_str());
        assert_eq!(Token::parse("short"), None);
        assert_eq!(Token::parse(&"é".repeat(26)), None);
        assert_eq!(format!("{a:?}"), "Token(..)");
    }
}
