//! Typed, prefixed identifiers (`prod_01J...`, `variant_01J...`), one type per entity,
//! so a variant id can never be passed where a product id is expected.

use std::error::Error;
use std::fmt;

use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

/// Why a string was refused as an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{shown}' is not a valid {kind} id (expected {prefix}_ followed by letters and digits)")]
pub struct IdError {
    pub kind: &'static str,
    pub prefix: &'static str,
    shown: String,
}

/// Longest body after the prefix that is accepted; ULIDs are 26 characters.
const MAX_BODY: usize = 64;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 26 random Crockford base32 characters, the same alphabet and length as a ULID.
pub fn random_body() -> String {
    let a = uuid::Uuid::new_v4().as_u128();
    let b = uuid::Uuid::new_v4().as_u128();
    // Version/variant bits sit in fixed places of each UUID; mixing two leaves
    // 122 random bits where the 130 bits of output are drawn from.
    let mut bits = a ^ b.rotate_left(64);
    (0..26)
        .map(|_| {
            let c = CROCKFORD[(bits & 31) as usize] as char;
            bits >>= 5;
            c
        })
        .collect()
}

pub(crate) fn parse_prefixed(
    s: &str,
    prefix: &'static str,
    kind: &'static str,
) -> Result<(), IdError> {
    let ok = s
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|body| {
            !body.is_empty()
                && body.len() <= MAX_BODY
                && body.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if ok {
        Ok(())
    } else {
        Err(IdError {
            kind,
            prefix,
            shown: s.chars().take(80).collect(),
        })
    }
}

macro_rules! prefixed_id {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// Accepts `<prefix>_` followed by 1 to 64 ASCII letters and digits.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                parse_prefixed(s, $prefix, $kind).map(|()| Self(s.to_owned()))
            }

            /// A new random id.
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, random_body()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl<'a> FromSql<'a> for $name {
            fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
                let s = <&str as FromSql>::from_sql(ty, raw)?;
                Ok(Self::parse(s)?)
            }

            fn accepts(ty: &Type) -> bool {
                <&str as FromSql>::accepts(ty)
            }
        }

        impl ToSql for $name {
            fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
                self.0.as_str().to_sql(ty, out)
            }

            fn accepts(ty: &Type) -> bool {
                <&str as ToSql>::accepts(ty)
            }

            to_sql_checked!();
        }
    };
}

prefixed_id!(/// A store (tenant) of the deployment.
    StoreId, "store", "store");
prefixed_id!(/// A region: a currency, a tax rate and the countries it serves.
    RegionId, "reg", "region");
prefixed_id!(ProductId, "prod", "product");
prefixed_id!(VariantId, "variant", "variant");
prefixed_id!(OptionId, "opt", "option");
prefixed_id!(OptionValueId, "optval", "option value");
prefixed_id!(PriceId, "price", "price");
prefixed_id!(ImageId, "img", "image");
prefixed_id!(CategoryId, "pcat", "category");
prefixed_id!(CollectionId, "pcol", "collection");
prefixed_id!(/// An attribute a store describes its products with (material, organic, ...).
    AttributeId, "pattr", "product attribute");
prefixed_id!(StockLocationId, "sloc", "stock location");
prefixed_id!(/// An order of stock from a supplier.
    PurchaseOrderId, "po", "purchase order");
prefixed_id!(/// A catalog import: a checked file, then its writing.
    ImportId, "cimp", "catalog import");
prefixed_id!(/// A shopper's cart, kept by its own Durable Object.
    CartId, "cart", "cart");
prefixed_id!(/// One line of a cart: a variant and its quantity.
    LineItemId, "cali", "line item");
prefixed_id!(/// The shipping method chosen for a cart.
    ShippingMethodId, "casm", "shipping method");
prefixed_id!(/// A way of shipping a region offers (flat rate, free over a threshold).
    ShippingOptionId, "so", "shipping option");
prefixed_id!(/// An order, made from a completed cart.
    OrderId, "order", "order");
prefixed_id!(/// One line of an order: a snapshot of what was bought.
    OrderItemId, "ordli", "order item");
prefixed_id!(/// What a cart will be paid with (Medusa's payment collection).
    PaymentCollectionId, "pay_col", "payment collection");
prefixed_id!(/// One attempt to pay a collection through a provider.
    PaymentSessionId, "payses", "payment session");
prefixed_id!(/// One row of an order's ledger: an authorization, a capture or a refund.
    OrderTransactionId, "ordtx", "order transaction");
prefixed_id!(/// A person who works for one or more stores (staff).
    UserId, "user", "user");
prefixed_id!(/// A parcel of an order: packed at one location, shipped once.
    FulfillmentId, "ful", "fulfillment");
prefixed_id!(/// A role a store's owners defined from the permissions.
    CustomRoleId, "role", "role");
prefixed_id!(/// A store's secret API key (the id; the secret is its token).
    ApiKeyId, "apk", "API key");
prefixed_id!(/// A store's outbound webhook endpoint.
    EndpointId, "whep", "webhook endpoint");
prefixed_id!(/// A shopper with an account in one store.
    CustomerId, "cus", "customer");
prefixed_id!(/// An address in a customer's address book.
    CustomerAddressId, "cuaddr", "address");
prefixed_id!(/// An e-mail and password that sign a customer in (Medusa's auth identity).
    AuthIdentityId, "authid", "auth identity");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_need_their_own_prefix() {
        assert!(ProductId::parse("prod_01JABCDEF").is_ok());
        assert!(ProductId::parse("variant_01JABCDEF").is_err());
        assert!(ProductId::parse("prod_").is_err());
        assert!(ProductId::parse("prod01J").is_err());
        assert!(ProductId::parse("prod_01J'; DROP TABLE products;--").is_err());
        assert!(ProductId::parse(&format!("prod_{}", "A".repeat(65))).is_err());
    }

    #[test]
    fn errors_name_the_kind_and_truncate_the_input() {
        let err = CategoryId::parse(&"x".repeat(500)).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("category id"), "{text}");
        assert!(text.len() < 200, "{text}");
    }

    #[test]
    fn cart_ids_use_medusas_prefixes() {
        assert!(CartId::parse("cart_01J").is_ok());
        assert!(LineItemId::parse("cali_01J").is_ok());
        assert!(ShippingMethodId::parse("casm_01J").is_ok());
        assert!(ShippingOptionId::parse("so_01J").is_ok());
        assert!(CartId::parse("cali_01J").is_err());
        assert!(ShippingOptionId::parse("sol_01J").is_err());
        assert!(LineItemId::generate().as_str().starts_with("cali_"));
        let text = LineItemId::parse("x").unwrap_err().to_string();
        assert!(text.contains("line item id"), "{text}");
    }

    #[test]
    fn generated_ids_parse_and_differ() {
        let a = ProductId::generate();
        let b = ProductId::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), "prod_".len() + 26);
        assert_eq!(ProductId::parse(a.as_str()).unwrap(), a);
    }
}
