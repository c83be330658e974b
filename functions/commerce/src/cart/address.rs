//! Postal addresses and e-mail addresses of a cart, validated field by field. Every
//! refusal names the field as the client sent it: `shipping_address.country_code`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::email::Email;
pub use crate::email::MAX_EMAIL_CHARS;
use crate::error::ApiError;
use crate::region::Region;

/// What checkout's contact step needs before anything is saved: an e-mail address
/// and a shipping address a parcel can be sent to. Returns the address parsed; the
/// error names the field (`email`, `shipping_address.city`).
pub fn check_contact(email: &str, shipping_address: &Value) -> Result<Email, ApiError> {
    if email.trim().is_empty() {
        return Err(ApiError::invalid(
            "email",
            "an email address is needed for the order confirmation",
        ));
    }
    let email = validate_email(email, "email")?;
    Address::parse(shipping_address, "shipping_address")?.check_shipping("shipping_address")?;
    Ok(email)
}

/// A shipping or billing address with Medusa's fields. Absent and empty fields are
/// `None`; the country code is two lower-case letters (ISO 3166-1 alpha-2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    pub phone: Option<String>,
}

/// `prefix.name`, or `name` alone for an address at the top of a body.
fn field(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Shows at most 32 characters of client input inside a message.
fn shown(s: &str) -> String {
    s.chars().take(32).collect()
}

/// A trimmed text of at most `max` characters without control characters; empty is
/// `None`.
fn text(value: &str, name: &str, max: usize) -> Result<Option<String>, ApiError> {
    let t = value.trim();
    if t.chars().count() > max {
        return Err(ApiError::invalid(
            name,
            format!("at most {max} characters are accepted"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            name,
            "control characters are not accepted",
        ));
    }
    Ok((!t.is_empty()).then(|| t.to_owned()))
}

fn country(value: &str, name: &str) -> Result<Option<String>, ApiError> {
    let t = value.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.len() != 2 || !t.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ApiError::invalid(
            name,
            format!(
                "'{}' is not a two-letter country code (ISO 3166-1 alpha-2, like 'de')",
                shown(t)
            ),
        ));
    }
    Ok(Some(t.to_ascii_lowercase()))
}

impl Address {
    /// The address of a request body; `field` is its name in the body
    /// (`shipping_address`). Unknown members (`metadata`, `id`) are ignored.
    pub fn parse(value: &Value, field_name: &str) -> Result<Self, ApiError> {
        let obj = match value {
            Value::Object(obj) => obj,
            Value::String(_) => {
                return Err(ApiError::invalid(
                    field_name,
                    "saved addresses are not supported; send the address fields",
                ))
            }
            _ => return Err(ApiError::invalid(field_name, "must be an object")),
        };
        let mut address = Address::default();
        for (name, max, slot) in address.text_fields_mut() {
            *slot = match member(obj, field_name, name)? {
                Some(v) => text(v, &field(field_name, name), max)?,
                None => None,
            };
        }
        address.country_code = match member(obj, field_name, "country_code")? {
            Some(v) => country(v, &field(field_name, "country_code"))?,
            None => None,
        };
        Ok(address)
    }

    /// Checks an address built in code against the same rules as [`Address::parse`].
    pub fn validate(&self, field_name: &str) -> Result<(), ApiError> {
        for (name, max, value) in self.text_fields() {
            if let Some(v) = value {
                if text(v, &field(field_name, name), max)?.as_ref() != Some(v) {
                    return Err(ApiError::invalid(
                        field(field_name, name),
                        "must be trimmed and not empty",
                    ));
                }
            }
        }
        if let Some(code) = &self.country_code {
            if country(code, &field(field_name, "country_code"))?.as_deref() != Some(code) {
                return Err(ApiError::invalid(
                    field(field_name, "country_code"),
                    "must be lower case",
                ));
            }
        }
        Ok(())
    }

    /// Every field's name, in form order.
    pub const FIELDS: [&'static str; 10] = [
        "first_name",
        "last_name",
        "company",
        "address_1",
        "address_2",
        "city",
        "province",
        "postal_code",
        "country_code",
        "phone",
    ];

    /// Takes the fields `named` (of [`Address::FIELDS`]) from `other`.
    pub fn overwrite(&mut self, other: &Address, named: &[&str]) {
        for (name, _, slot) in self.text_fields_mut() {
            if named.contains(&name) {
                slot.clone_from(
                    other
                        .text_fields()
                        .iter()
                        .find(|f| f.0 == name)
                        .map_or(&None, |f| f.2),
                );
            }
        }
        if named.contains(&"country_code") {
            self.country_code.clone_from(&other.country_code);
        }
    }

    /// Whether no field is filled in.
    pub fn is_empty(&self) -> bool {
        self == &Address::default()
    }

    /// The fields a parcel cannot be sent without, as (name, label).
    pub const SHIPPING_REQUIRED: [(&'static str, &'static str); 6] = [
        ("first_name", "first name"),
        ("last_name", "last name"),
        ("address_1", "street address"),
        ("city", "city"),
        ("postal_code", "postal code"),
        ("country_code", "country"),
    ];

    /// The required shipping fields that are missing, in form order.
    pub fn missing_for_shipping(&self) -> Vec<(&'static str, &'static str)> {
        let value = |name: &str| match name {
            "first_name" => &self.first_name,
            "last_name" => &self.last_name,
            "address_1" => &self.address_1,
            "city" => &self.city,
            "postal_code" => &self.postal_code,
            _ => &self.country_code,
        };
        Self::SHIPPING_REQUIRED
            .into_iter()
            .filter(|(name, _)| value(name).as_deref().is_none_or(str::is_empty))
            .collect()
    }

    /// Whether a parcel can be sent to this address.
    pub fn is_complete_for_shipping(&self) -> bool {
        self.missing_for_shipping().is_empty()
    }

    /// Refuses an address a parcel cannot be sent to, naming the first missing field
    /// under `field_name` (`shipping_address.city`).
    pub fn check_shipping(&self, field_name: &str) -> Result<(), ApiError> {
        match self.missing_for_shipping().first() {
            None => Ok(()),
            Some((name, label)) => Err(ApiError::invalid(
                field(field_name, name),
                format!("the {label} is required to ship the order"),
            )),
        }
    }

    /// Each text field with its longest accepted length, in characters.
    fn text_fields(&self) -> [(&'static str, usize, &Option<String>); 9] {
        [
            ("first_name", 100, &self.first_name),
            ("last_name", 100, &self.last_name),
            ("company", 100, &self.company),
            ("address_1", 200, &self.address_1),
            ("address_2", 200, &self.address_2),
            ("city", 100, &self.city),
            ("province", 100, &self.province),
            ("postal_code", 20, &self.postal_code),
            ("phone", 32, &self.phone),
        ]
    }

    fn text_fields_mut(&mut self) -> [(&'static str, usize, &mut Option<String>); 9] {
        [
            ("first_name", 100, &mut self.first_name),
            ("last_name", 100, &mut self.last_name),
            ("company", 100, &mut self.company),
            ("address_1", 200, &mut self.address_1),
            ("address_2", 200, &mut self.address_2),
            ("city", 100, &mut self.city),
            ("province", 100, &mut self.province),
            ("postal_code", 20, &mut self.postal_code),
            ("phone", 32, &mut self.phone),
        ]
    }
}

/// A string member of an address object; absent and `null` are `None`.
fn member<'a>(
    obj: &'a Map<String, Value>,
    prefix: &str,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid(field(prefix, name), "must be a string")),
    }
}

/// Refuses a shipping address in a country the cart's region does not serve (its tax
/// and prices would be wrong there). An address without a country passes.
pub fn check_shipping_country(address: &Address, region: &Region) -> Result<(), ApiError> {
    let Some(code) = &address.country_code else {
        return Ok(());
    };
    if region.countries.iter().any(|c| &c.iso_2 == code) {
        return Ok(());
    }
    let served: Vec<&str> = region.countries.iter().map(|c| c.iso_2.as_str()).collect();
    Err(ApiError::invalid(
        "shipping_address.country_code",
        format!(
            "'{code}' is not served by the region {}; it ships to: {}",
            region.name,
            served.join(", ")
        ),
    ))
}

/// An e-mail address parsed by [`Email::parse`] (trimmed, loosely checked); a refusal
/// names `field_name`.
pub fn validate_email(raw: &str, field_name: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| e.for_field(field_name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::Country;
    use serde_json::json;

    fn param_of(e: ApiError) -> String {
        match e {
            ApiError::InvalidParam { param, .. } => param,
            other => panic!("not a parameter error: {other:?}"),
        }
    }

    #[test]
    fn addresses_are_trimmed_and_the_country_lower_cased() {
        let a = Address::parse(
            &json!({
                "first_name": " Ada ", "last_name": "Lovelace", "company": "",
                "address_1": "1 Main St", "address_2": null, "city": "Berlin",
                "postal_code": "10115", "country_code": "DE", "phone": "+49 30 123",
                "metadata": { "floor": 3 }, "id": "addr_1"
            }),
            "shipping_address",
        )
        .unwrap();
        assert_eq!(a.first_name.as_deref(), Some("Ada"));
        assert_eq!(a.company, None);
        assert_eq!(a.address_2, None);
        assert_eq!(a.country_code.as_deref(), Some("de"));
        assert!(a.validate("shipping_address").is_ok());
        assert!(!a.is_empty());
        assert!(Address::parse(&json!({}), "x").unwrap().is_empty());
    }

    #[test]
    fn address_errors_name_the_field() {
        let cases = [
            (
                json!({ "country_code": "deu" }),
                "shipping_address.country_code",
            ),
            (
                json!({ "country_code": "d1" }),
                "shipping_address.country_code",
            ),
            (json!({ "city": 12 }), "shipping_address.city"),
            (
                json!({ "postal_code": "1".repeat(21) }),
                "shipping_address.postal_code",
            ),
            (
                json!({ "first_name": "a".repeat(101) }),
                "shipping_address.first_name",
            ),
            (
                json!({ "address_1": "line\nbreak" }),
                "shipping_address.address_1",
            ),
            (json!("addr_123"), "shipping_address"),
            (json!([1]), "shipping_address"),
        ];
        for (body, expected) in cases {
            let e = Address::parse(&body, "shipping_address").unwrap_err();
            assert_eq!(param_of(e), expected, "{body}");
        }
        let e = Address::parse(&json!({ "phone": true }), "billing_address").unwrap_err();
        assert_eq!(param_of(e), "billing_address.phone");
    }

    #[test]
    fn validate_refuses_what_parse_would_change() {
        let a = Address {
            country_code: Some("DE".into()),
            ..Address::default()
        };
        assert_eq!(
            param_of(a.validate("billing_address").unwrap_err()),
            "billing_address.country_code"
        );
        let a = Address {
            city: Some(" Paris".into()),
            ..Address::default()
        };
        assert_eq!(
            param_of(a.validate("billing_address").unwrap_err()),
            "billing_address.city"
        );
    }

    #[test]
    fn emails_are_checked_loosely() {
        assert_eq!(
            validate_email(" ada@example.com ", "email").unwrap(),
            "ada@example.com"
        );
        assert!(validate_email("a.b+tag@mail.example.co.uk", "email").is_ok());
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@.com",
            "ada@example.",
            "a@b@example.com",
            "ada lovelace@example.com",
            long.as_str(),
        ] {
            let e = validate_email(bad, "email").unwrap_err();
            assert_eq!(param_of(e), "email", "{bad:?}");
        }
    }

    #[test]
    fn the_contact_step_returns_the_parsed_email() {
        let address = json!({"first_name": "Ada", "last_name": "L", "address_1": "Main 1",
                             "city": "Berlin", "postal_code": "10115", "country_code": "DE"});
        let email = check_contact(" Ada@example.com ", &address).unwrap();
        assert_eq!(email.as_str(), "Ada@example.com");
        for bad in ["", "  ", "ada@", "ada@example"] {
            let e = check_contact(bad, &address).unwrap_err();
            assert_eq!(param_of(e), "email", "{bad:?}");
        }
        let e = check_contact("ada@example.com", &json!({"city": "Berlin"})).unwrap_err();
        assert!(param_of(e).starts_with("shipping_address."));
    }

    #[test]
    fn shipping_countries_must_be_served_by_the_region() {
        let country = |iso_2: &str| Country {
            iso_2: iso_2.into(),
            iso_3: "xxx".into(),
            num_code: "0".into(),
            name: iso_2.into(),
            display_name: iso_2.into(),
        };
        let region = Region {
            id: crate::ids::RegionId::parse("reg_EU").unwrap(),
            name: "Europe".into(),
            currency: crate::money::CurrencyCode::parse("eur").unwrap(),
            tax_rate: crate::money::TaxRate::from_basis_points(2000).unwrap(),
            tax_inclusive: true,
            countries: vec![country("de"), country("fr")],
            created_at: String::new(),
            updated_at: String::new(),
        };
        let at = |code: Option<&str>| Address {
            country_code: code.map(str::to_owned),
            ..Address::default()
        };
        assert!(check_shipping_country(&at(Some("fr")), &region).is_ok());
        assert!(check_shipping_country(&at(None), &region).is_ok());
        let e = check_shipping_country(&at(Some("us")), &region).unwrap_err();
        assert!(e.to_string().contains("de, fr"), "{e}");
        assert_eq!(param_of(e), "shipping_address.country_code");
    }
}
