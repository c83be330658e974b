//! The request bodies of the Store API's cart endpoints, in Medusa v2's shapes, parsed
//! from JSON into typed values. Unknown members are ignored (Medusa clients send
//! `metadata`, `sales_channel_id`, `promo_codes` ...); every refusal is a 400 naming
//! the member as the client spelled it (`items[2].quantity`).

use serde_json::{Map, Value};

use super::{field, validate_email, Address, Email, MAX_LINES, MAX_LINE_QUANTITY};
use crate::error::ApiError;
use crate::ids::{IdError, LineItemId, RegionId, ShippingOptionId, VariantId};

/// A variant and how many of it: `POST /store/carts/:id/line-items`, and each of a
/// create request's `items`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItemInput {
    pub variant_id: VariantId,
    /// 1 to [`MAX_LINE_QUANTITY`].
    pub quantity: u32,
}

/// `POST /store/carts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateCart {
    /// `None` lets the caller choose the store's default region, as Medusa does.
    pub region_id: Option<RegionId>,
    pub email: Option<Email>,
    pub shipping_address: Option<Address>,
    pub billing_address: Option<Address>,
    pub items: Vec<LineItemInput>,
}

/// `POST /store/carts/:id`. For each member: `None` when absent (keep), `Some(None)`
/// when `null` or empty (clear), `Some(Some(..))` to set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateCart {
    /// A region cannot be cleared; `null` is taken as absent.
    pub region_id: Option<RegionId>,
    pub email: Option<Option<Email>>,
    pub shipping_address: Option<Option<Address>>,
    pub billing_address: Option<Option<Address>>,
}

/// `POST /store/carts/:id/line-items/:line_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateLineItem {
    /// 0 (remove the line) to [`MAX_LINE_QUANTITY`].
    pub quantity: u32,
}

/// `POST /store/carts/:id/shipping-methods`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddShippingMethod {
    pub option_id: ShippingOptionId,
}

/// The body as an object; anything else is refused as a whole.
fn object<'a>(body: &'a Value, name: &str) -> Result<&'a Map<String, Value>, ApiError> {
    body.as_object()
        .ok_or_else(|| ApiError::invalid(name, "must be a JSON object"))
}

/// A required quantity from `min` to [`MAX_LINE_QUANTITY`]: a JSON integer, not a
/// string, a fraction (`2.0` included) or a negative or huge number.
fn quantity(obj: &Map<String, Value>, prefix: &str, min: u32) -> Result<u32, ApiError> {
    let name = field(prefix, "quantity");
    let reason = || format!("must be a whole number from {min} to {MAX_LINE_QUANTITY}");
    match obj.get("quantity") {
        None | Some(Value::Null) => Err(ApiError::invalid(
            name,
            format!("is required; {}", reason()),
        )),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|q| u32::try_from(q).ok())
            .filter(|q| (min..=MAX_LINE_QUANTITY).contains(q))
            .ok_or_else(|| ApiError::invalid(name, reason())),
        Some(_) => Err(ApiError::invalid(name, reason())),
    }
}

/// An optional id member; `null` is absent.
fn optional_id<T>(
    obj: &Map<String, Value>,
    prefix: &str,
    key: &str,
    parse: impl Fn(&str) -> Result<T, IdError>,
) -> Result<Option<T>, ApiError> {
    let name = field(prefix, key);
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse(s)
            .map(Some)
            .map_err(|e| ApiError::invalid(name, e.to_string())),
        Some(_) => Err(ApiError::invalid(name, "must be a string")),
    }
}

fn required_id<T>(
    obj: &Map<String, Value>,
    prefix: &str,
    key: &str,
    parse: impl Fn(&str) -> Result<T, IdError>,
) -> Result<T, ApiError> {
    optional_id(obj, prefix, key, parse)?
        .ok_or_else(|| ApiError::invalid(field(prefix, key), "is required"))
}

/// `email`: absent is `None`; `null` or blank is `Some(None)`.
fn email(obj: &Map<String, Value>) -> Result<Option<Option<Email>>, ApiError> {
    match obj.get("email") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
        Some(Value::String(s)) => validate_email(s, "email").map(|e| Some(Some(e))),
        Some(_) => Err(ApiError::invalid("email", "must be a string")),
    }
}

/// An address member: absent is `None`; `null` or one with no field filled in is
/// `Some(None)`.
fn address(obj: &Map<String, Value>, key: &str) -> Result<Option<Option<Address>>, ApiError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(value) => {
            let a = Address::parse(value, key)?;
            Ok(Some((!a.is_empty()).then_some(a)))
        }
    }
}

impl LineItemInput {
    /// The body of `POST /store/carts/:id/line-items`.
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        Self::parse_at(object(body, "body")?, "")
    }

    fn parse_at(obj: &Map<String, Value>, prefix: &str) -> Result<Self, ApiError> {
        Ok(LineItemInput {
            variant_id: required_id(obj, prefix, "variant_id", VariantId::parse)?,
            quantity: quantity(obj, prefix, 1)?,
        })
    }
}

impl CreateCart {
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        let obj = object(body, "body")?;
        let items = match obj.get("items") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                if items.len() > MAX_LINES {
                    return Err(ApiError::invalid(
                        "items",
                        format!("at most {MAX_LINES} items are accepted"),
                    ));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let prefix = format!("items[{i}]");
                        LineItemInput::parse_at(object(item, &prefix)?, &prefix)
                    })
                    .collect::<Result<_, _>>()?
            }
            Some(_) => return Err(ApiError::invalid("items", "must be an array")),
        };
        Ok(CreateCart {
            region_id: optional_id(obj, "", "region_id", RegionId::parse)?,
            email: email(obj)?.flatten(),
            shipping_address: address(obj, "shipping_address")?.flatten(),
            billing_address: address(obj, "billing_address")?.flatten(),
            items,
        })
    }
}

impl UpdateCart {
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        let obj = object(body, "body")?;
        Ok(UpdateCart {
            region_id: optional_id(obj, "", "region_id", RegionId::parse)?,
            email: email(obj)?,
            shipping_address: address(obj, "shipping_address")?,
            billing_address: address(obj, "billing_address")?,
        })
    }
}

impl UpdateLineItem {
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        Ok(UpdateLineItem {
            quantity: quantity(object(body, "body")?, "", 0)?,
        })
    }
}

impl AddShippingMethod {
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        Ok(AddShippingMethod {
            option_id: required_id(
                object(body, "body")?,
                "",
                "option_id",
                ShippingOptionId::parse,
            )?,
        })
    }
}

/// The `:line_id` of a line item path.
pub fn parse_line_id(raw: &str) -> Result<LineItemId, ApiError> {
    LineItemId::parse(raw).map_err(|e| ApiError::invalid("line_id", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::param_of;
    use super::*;
    use serde_json::json;

    #[test]
    fn line_items_need_a_variant_and_a_whole_quantity() {
        let item = LineItemInput::parse(&json!({
            "variant_id": "variant_S", "quantity": 3, "metadata": { "gift": true }
        }))
        .unwrap();
        assert_eq!(item.variant_id.as_str(), "variant_S");
        assert_eq!(item.quantity, 3);
        assert_eq!(
            LineItemInput::parse(&json!({ "variant_id": "variant_S", "quantity": 99 }))
                .unwrap()
                .quantity,
            99
        );
        for bad in [
            json!("2"),
            json!(2.5),
            json!(2.0),
            json!(1e3),
            json!(-1),
            json!(0),
            json!(100),
            json!(4_294_967_297u64),
            json!(u64::MAX),
            json!(true),
            json!([1]),
            json!(null),
        ] {
            let body = json!({ "variant_id": "variant_S", "quantity": bad });
            let e = LineItemInput::parse(&body).unwrap_err();
            assert!(e.to_string().contains("from 1 to 99"), "{e}");
            assert_eq!(param_of(e), "quantity", "{bad}");
        }
        let e = LineItemInput::parse(&json!({ "variant_id": "variant_S" })).unwrap_err();
        assert!(e.to_string().contains("required"), "{e}");
        assert_eq!(param_of(e), "quantity");
        // Beyond 64 bits a JSON integer is a float to serde_json: refused all the same.
        let huge: Value = serde_json::from_str(
            r#"{"variant_id":"variant_S","quantity":100000000000000000000000}"#,
        )
        .unwrap();
        assert_eq!(
            param_of(LineItemInput::parse(&huge).unwrap_err()),
            "quantity"
        );
    }

    #[test]
    fn variant_ids_are_typed() {
        for (body, reason) in [
            (json!({ "quantity": 1 }), "required"),
            (json!({ "variant_id": null, "quantity": 1 }), "required"),
            (
                json!({ "variant_id": 7, "quantity": 1 }),
                "must be a string",
            ),
            (
                json!({ "variant_id": "prod_S", "quantity": 1 }),
                "not a valid variant id",
            ),
            (
                json!({ "variant_id": "variant_'; DROP TABLE x;--", "quantity": 1 }),
                "not a valid variant id",
            ),
        ] {
            let e = LineItemInput::parse(&body).unwrap_err();
            assert!(e.to_string().contains(reason), "{e}");
            assert_eq!(param_of(e), "variant_id");
        }
    }

    #[test]
    fn bodies_must_be_objects() {
        for body in [json!(null), json!([]), json!("x"), json!(1)] {
            assert_eq!(param_of(LineItemInput::parse(&body).unwrap_err()), "body");
            assert_eq!(param_of(CreateCart::parse(&body).unwrap_err()), "body");
            assert_eq!(param_of(UpdateCart::parse(&body).unwrap_err()), "body");
            assert_eq!(param_of(UpdateLineItem::parse(&body).unwrap_err()), "body");
            assert_eq!(
                param_of(AddShippingMethod::parse(&body).unwrap_err()),
                "body"
            );
        }
    }

    #[test]
    fn create_reads_region_email_addresses_and_items() {
        let body = CreateCart::parse(&json!({
            "region_id": "reg_EU",
            "email": " ada@example.com ",
            "shipping_address": { "city": "Berlin", "country_code": "de" },
            "billing_address": {},
            "items": [
                { "variant_id": "variant_S", "quantity": 1 },
                { "variant_id": "variant_M", "quantity": 2, "metadata": {} }
            ],
            "sales_channel_id": "sc_1",
            "promo_codes": ["X"],
            "metadata": { "ref": "ad" }
        }))
        .unwrap();
        assert_eq!(body.region_id.unwrap().as_str(), "reg_EU");
        assert_eq!(body.email.as_deref(), Some("ada@example.com"));
        assert_eq!(
            body.shipping_address.unwrap().city.as_deref(),
            Some("Berlin")
        );
        assert_eq!(body.billing_address, None, "an empty address is none");
        assert_eq!(body.items.len(), 2);
        assert_eq!(body.items[1].quantity, 2);

        let empty = CreateCart::parse(&json!({})).unwrap();
        assert_eq!(empty, CreateCart::default());
        let nulls =
            CreateCart::parse(&json!({ "region_id": null, "items": null, "email": null })).unwrap();
        assert_eq!(nulls, CreateCart::default());
    }

    #[test]
    fn create_errors_name_the_member() {
        let cases = [
            (json!({ "region_id": "eu" }), "region_id"),
            (json!({ "region_id": 5 }), "region_id"),
            (json!({ "email": "not-an-email" }), "email"),
            (json!({ "email": 5 }), "email"),
            (json!({ "items": {} }), "items"),
            (json!({ "items": [5] }), "items[0]"),
            (
                json!({ "items": [{ "variant_id": "variant_S", "quantity": 1 },
                                  { "variant_id": "variant_S", "quantity": "1" }] }),
                "items[1].quantity",
            ),
            (
                json!({ "items": [{ "variant_id": "variant_S", "quantity": 1 },
                                  { "variant_id": "x", "quantity": 1 }] }),
                "items[1].variant_id",
            ),
            (
                json!({ "shipping_address": { "country_code": "Germany" } }),
                "shipping_address.country_code",
            ),
            (
                json!({ "billing_address": { "phone": 491234 } }),
                "billing_address.phone",
            ),
        ];
        for (body, expected) in cases {
            let e = CreateCart::parse(&body).unwrap_err();
            assert_eq!(param_of(e), expected, "{body}");
        }
        let many: Vec<Value> = (0..=MAX_LINES)
            .map(|_| json!({ "variant_id": "variant_S", "quantity": 1 }))
            .collect();
        let e = CreateCart::parse(&json!({ "items": many })).unwrap_err();
        assert_eq!(param_of(e), "items");
    }

    #[test]
    fn updates_tell_absent_from_null() {
        let body = UpdateCart::parse(&json!({ "metadata": {} })).unwrap();
        assert_eq!(body, UpdateCart::default());
        let body = UpdateCart::parse(&json!({
            "email": null, "shipping_address": null, "billing_address": { "city": "Paris" },
            "region_id": "reg_US"
        }))
        .unwrap();
        assert_eq!(body.email, Some(None));
        assert_eq!(body.shipping_address, Some(None));
        assert_eq!(
            body.billing_address.unwrap().unwrap().city.as_deref(),
            Some("Paris")
        );
        assert_eq!(body.region_id.unwrap().as_str(), "reg_US");
        let body = UpdateCart::parse(&json!({ "email": "  ", "region_id": null })).unwrap();
        assert_eq!(body.email, Some(None));
        assert_eq!(body.region_id, None);
        let body = UpdateCart::parse(&json!({ "email": "ada@example.com" })).unwrap();
        assert_eq!(
            body.email,
            Some(Some(Email::parse("ada@example.com").unwrap()))
        );
        for (bad, expected) in [
            (json!({ "email": "ada@" }), "email"),
            (json!({ "region_id": "prod_X" }), "region_id"),
            (json!({ "shipping_address": "addr_1" }), "shipping_address"),
            (
                json!({ "shipping_address": { "address_1": "x".repeat(201) } }),
                "shipping_address.address_1",
            ),
        ] {
            assert_eq!(param_of(UpdateCart::parse(&bad).unwrap_err()), expected);
        }
    }

    #[test]
    fn line_updates_accept_zero() {
        assert_eq!(
            UpdateLineItem::parse(&json!({ "quantity": 0 })).unwrap(),
            UpdateLineItem { quantity: 0 }
        );
        assert_eq!(
            UpdateLineItem::parse(&json!({ "quantity": 99, "metadata": null }))
                .unwrap()
                .quantity,
            99
        );
        for bad in [json!(-1), json!(100), json!("0"), json!(0.5)] {
            let e = UpdateLineItem::parse(&json!({ "quantity": bad })).unwrap_err();
            assert!(e.to_string().contains("from 0 to 99"), "{e}");
            assert_eq!(param_of(e), "quantity");
        }
        assert_eq!(
            param_of(UpdateLineItem::parse(&json!({})).unwrap_err()),
            "quantity"
        );
    }

    #[test]
    fn shipping_methods_name_an_option() {
        let body = AddShippingMethod::parse(&json!({ "option_id": "so_STD", "data": {} })).unwrap();
        assert_eq!(body.option_id.as_str(), "so_STD");
        for bad in [
            json!({}),
            json!({ "option_id": "sm_1" }),
            json!({ "option_id": 1 }),
        ] {
            assert_eq!(
                param_of(AddShippingMethod::parse(&bad).unwrap_err()),
                "option_id"
            );
        }
    }

    #[test]
    fn line_ids_in_paths_are_typed() {
        assert_eq!(parse_line_id("cali_01J").unwrap().as_str(), "cali_01J");
        assert_eq!(param_of(parse_line_id("variant_1").unwrap_err()), "line_id");
        assert_eq!(param_of(parse_line_id("").unwrap_err()), "line_id");
    }
}
