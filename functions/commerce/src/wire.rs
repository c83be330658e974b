//! Pieces the Store API's shapes (catalog, cart, order) are built from: amounts as
//! major-unit numbers, the fields Medusa has and this shop does not keep, and a body
//! serialized once, straight from `Serialize` structs to its bytes (no `Value` tree on
//! the way), which then crosses the cart object's hop and leaves the edge as it is.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::error::ApiError;
use crate::money::{CurrencyCode, Money};
use crate::params::Page;

/// A response body already serialized: the edge writes it out as it is.
pub type Json = Box<RawValue>;

/// `body` serialized into a [`Json`].
pub fn to_json<T: Serialize + ?Sized>(body: &T) -> Result<Json, ApiError> {
    serde_json::value::to_raw_value(body).map_err(ApiError::internal)
}

/// A serialized body as a JSON value, for a reader of its fields.
pub fn to_value(body: &Json) -> Result<serde_json::Value, ApiError> {
    serde_json::from_str(body.get()).map_err(ApiError::internal)
}

/// An amount as the Store API writes it: major units, as a number (20.5 for 2050
/// cents). Amounts leave in this form at the API's boundary and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Major(pub Money);

impl Major {
    /// An amount (a [`MinorUnits`](crate::money::MinorUnits) or a bare count of minor
    /// units) in `currency`.
    pub fn of(minor: impl Into<i64>, currency: CurrencyCode) -> Self {
        Major(Money::new(minor.into(), currency))
    }
}

impl Serialize for Major {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.to_major_number().serialize(s)
    }
}

/// Fields of Medusa's shape that this shop does not keep, written as `null` so that
/// storefronts reading them find them. Flattened into the shape that has them.
pub struct Nulls(pub &'static [&'static str]);

impl Serialize for Nulls {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for key in self.0 {
            map.serialize_entry(key, &())?;
        }
        map.end()
    }
}

/// Amounts of Medusa's shape that are always zero here (no discounts, gift cards or
/// credit lines), flattened into the shape that has them.
pub struct Zeros(pub &'static [&'static str]);

impl Serialize for Zeros {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for key in self.0 {
            map.serialize_entry(key, &0)?;
        }
        map.end()
    }
}

/// A list Medusa has and this shop keeps empty (tags, promotions, adjustments): `[]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Empty;

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_seq(Some(0))?.end()
    }
}

/// A page of a list endpoint, Medusa's way: the items under their name (`products`,
/// `regions`, ...), with `count`, `offset` and `limit`.
pub struct ListPage<'a, T> {
    pub name: &'static str,
    pub items: &'a [T],
    pub count: i64,
    pub page: Page,
}

impl<T: Serialize> Serialize for ListPage<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry(self.name, self.items)?;
        map.serialize_entry("count", &self.count)?;
        map.serialize_entry("offset", &self.page.offset)?;
        map.serialize_entry("limit", &self.page.limit)?;
        map.end()
    }
}

/// A body of one object under its name: `{"product": {...}}`.
pub struct Named<'a, T: ?Sized>(pub &'static str, pub &'a T);

impl<T: Serialize + ?Sized> Serialize for Named<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct Shape {
        id: &'static str,
        #[serde(flatten)]
        unkept: Nulls,
        #[serde(flatten)]
        zeros: Zeros,
        tags: Empty,
        price: Major,
    }

    #[test]
    fn parts_write_medusas_values() {
        let eur = CurrencyCode::parse("eur").unwrap();
        let shape = Shape {
            id: "x",
            unkept: Nulls(&["barcode", "ean"]),
            zeros: Zeros(&["discount_total"]),
            tags: Empty,
            price: Major::of(2050, eur),
        };
        let body = to_json(&shape).unwrap();
        let v: serde_json::Value = serde_json::from_str(body.get()).unwrap();
        assert_eq!(
            v,
            json!({"id": "x", "barcode": null, "ean": null, "discount_total": 0,
                   "tags": [], "price": 20.5})
        );
        let jpy = CurrencyCode::parse("jpy").unwrap();
        assert_eq!(
            serde_json::to_string(&Major::of(1500, jpy)).unwrap(),
            "1500"
        );
    }
}
