//! E-mail addresses, parsed once: [`Email`] is what a cart, an order, an order lookup
//! and a confirmation mail hold, so that an address read anywhere was checked by the
//! one rule below. And the account e-mails (staff and customers) the edge asks the
//! origin to send ([`AccountMailRequest`]).

use std::error::Error;
use std::fmt;

use bytes::BytesMut;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

use crate::error::ApiError;
use crate::ids::StoreId;

/// Longest e-mail address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Why a text was refused as an e-mail address; the message is for the shopper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("at most 254 characters are accepted")]
    TooLong,
    #[error("an e-mail address has no spaces")]
    Spaces,
    #[error("must be an e-mail address like name@example.com")]
    Malformed,
}

impl EmailError {
    /// The refusal as a Store API error naming `field_name`.
    pub fn for_field(self, field_name: &str) -> ApiError {
        ApiError::invalid(field_name, self.to_string())
    }
}

/// A loosely checked e-mail address: trimmed, at most [`MAX_EMAIL_CHARS`] characters,
/// one `@` with text before it and a dot inside the domain after it, no spaces or
/// control characters. Its case is kept as given (it is shown and mailed as typed);
/// [`Email::lookup_key`] is the case-insensitive form addresses are compared by.
/// Deliverability is for the mail server to judge. Deserialising refuses what
/// [`Email::parse`] refuses; it serialises as the plain string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim();
        if email.chars().count() > MAX_EMAIL_CHARS {
            return Err(EmailError::TooLong);
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Spaces);
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(EmailError::Malformed);
        };
        let dotted = domain
            .find('.')
            .is_some_and(|i| i > 0 && i + 1 < domain.len())
            && !domain.ends_with('.');
        if local.is_empty() || domain.contains('@') || !dotted {
            return Err(EmailError::Malformed);
        }
        Ok(Self(email.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address lower-cased: two addresses differing only in case are one
    /// shopper's (order lookup, the pending-order cap).
    pub fn lookup_key(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads as the address's text (`cart.email.as_deref()`); it cannot be changed through
/// this, so the invariant holds.
impl std::ops::Deref for Email {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Email {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl PartialEq<str> for Email {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Email {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl<'a> FromSql<'a> for Email {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        let s = <&str as FromSql>::from_sql(ty, raw)?;
        Ok(Self::parse(s)?)
    }

    fn accepts(ty: &Type) -> bool {
        <&str as FromSql>::accepts(ty)
    }
}

impl ToSql for Email {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        self.0.as_str().to_sql(ty, out)
    }

    fn accepts(ty: &Type) -> bool {
        <&str as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

/// `POST /v1/account/mail` (signed, edge to origin): an e-mail about an account (a
/// member of the staff or a customer) the origin sends with its mailer, once per `key`.
pub const ACCOUNT_MAIL_PATH: &str = "/v1/account/mail";

/// An account e-mail to send.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountMailRequest {
    pub to: Email,
    /// The store it is about, when there is one (the local mailbox files it there).
    pub store_id: Option<StoreId>,
    /// Sent once per key (a retried call does not send twice).
    pub key: String,
    pub mail: AccountMail,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountMail {
    /// A member of the staff's link that sets a new password (an hour, once).
    PasswordReset { name: String, link: String },
    /// An invitation to join a store.
    Invitation {
        store_name: String,
        role: String,
        link: String,
    },
    /// A customer's link that sets a new password (an hour, once).
    CustomerReset {
        store_name: String,
        name: String,
        link: String,
    },
    /// A customer's link that confirms their address (a week, once).
    CustomerVerify {
        store_name: String,
        name: String,
        link: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_keep_their_case() {
        let e = Email::parse("  Ada@Example.com ").unwrap();
        assert_eq!(e.as_str(), "Ada@Example.com");
        assert_eq!(e.lookup_key(), "ada@example.com");
        assert_eq!(e, "Ada@Example.com");
    }

    #[test]
    fn deserialising_refuses_what_parse_refuses() {
        let e: Email = serde_json::from_str(r#"" ada@example.com""#).unwrap();
        assert_eq!(serde_json::to_string(&e).unwrap(), r#""ada@example.com""#);
        for bad in [
            r#""""#,
            r#""ada""#,
            r#""ada@example""#,
            r#""a b@example.com""#,
            "5",
        ] {
            assert!(serde_json::from_str::<Email>(bad).is_err(), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
        assert_eq!(Email::parse("a b@x.com"), Err(EmailError::Spaces));
        assert_eq!(Email::parse("a@b@x.com"), Err(EmailError::Malformed));
    }
}
