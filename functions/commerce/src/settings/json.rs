//! The admin API's shapes of a store's settings, in Medusa v2's words where Medusa has
//! them: `AdminStore` (with the hostnames this store adds), `AdminRegion` (with its one
//! tax rate, in percent) and `AdminShippingOption` (a flat price in the region's
//! currency; free over a threshold is Medusa's conditional price, amount 0 when
//! `item_total` is at least the threshold). And the bodies they are changed with.

use serde::{Deserialize, Serialize};
use serde_json::{json, Number, Value};

use super::region::{percent_text, RegionInput};
use super::shipping::ShippingInput;
use super::StoreSettings;
use crate::cart::ShippingKind;
use crate::error::ApiError;
use crate::money::{CurrencyCode, Money};
use crate::region::{Country, Region};
use crate::settings::repo::AdminShippingOption;

/// One of the currencies a store sells in (Medusa's store currency).
#[derive(Debug, Clone, Serialize)]
pub struct StoreCurrency {
    pub currency_code: String,
    pub is_default: bool,
}

/// Medusa's `AdminStore`, with `hosts`.
#[derive(Debug, Clone, Serialize)]
pub struct StoreJson {
    pub id: String,
    pub name: String,
    pub supported_currencies: Vec<StoreCurrency>,
    pub default_region_id: Option<String>,
    pub default_sales_channel_id: Option<String>,
    pub default_location_id: Option<String>,
    /// The hostnames whose pages this store serves.
    pub hosts: Vec<String>,
    pub metadata: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// The store with the currencies of its regions (its default first).
pub fn store_json(store: &StoreSettings, regions: &[Region]) -> StoreJson {
    let mut codes: Vec<CurrencyCode> = regions.iter().map(|r| r.currency).collect();
    codes.sort();
    codes.dedup();
    codes.retain(|c| *c != store.default_currency);
    codes.insert(0, store.default_currency);
    StoreJson {
        id: store.id.as_str().to_owned(),
        name: store.name.clone(),
        supported_currencies: codes
            .iter()
            .map(|c| StoreCurrency {
                currency_code: c.as_str().to_owned(),
                is_default: *c == store.default_currency,
            })
            .collect(),
        default_region_id: store.default_region.as_ref().map(|r| r.as_str().to_owned()),
        default_sales_channel_id: None,
        default_location_id: None,
        hosts: store.hosts.clone(),
        metadata: None,
        created_at: store.created_at.clone(),
        updated_at: store.updated_at.clone(),
    }
}

/// Medusa's store body; absent fields stay. `hosts`, when there, is the whole list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StoreBody {
    pub name: Option<String>,
    /// `null` clears it.
    #[serde(deserialize_with = "present")]
    pub default_region_id: Option<Option<String>>,
    pub hosts: Option<Vec<String>>,
}

/// A field that may be absent (outer `None`) or `null` (inner `None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Medusa's `AdminRegion`, with `tax_rate` (percent) and `is_tax_inclusive`.
#[derive(Debug, Clone, Serialize)]
pub struct RegionJson {
    pub id: String,
    pub name: String,
    pub currency_code: String,
    pub automatic_taxes: bool,
    pub is_tax_inclusive: bool,
    /// Percent: 20 is 20 %. The region's one rate (stored in basis points).
    pub tax_rate: Number,
    pub countries: Vec<Country>,
    pub payment_providers: Vec<Value>,
    pub metadata: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// A rate in percent as a JSON number (`20`, `7.25`).
pub fn percent_number(region: &Region) -> Number {
    let text = percent_text(region.tax_rate);
    text.parse::<u64>()
        .map(Number::from)
        .ok()
        .or_else(|| text.parse::<f64>().ok().and_then(Number::from_f64))
        .unwrap_or_else(|| Number::from(0))
}

pub fn region_json(region: &Region) -> RegionJson {
    RegionJson {
        id: region.id.as_str().to_owned(),
        name: region.name.clone(),
        currency_code: region.currency.as_str().to_owned(),
        automatic_taxes: true,
        is_tax_inclusive: region.tax_inclusive,
        tax_rate: percent_number(region),
        countries: region.countries.clone(),
        payment_providers: Vec::new(),
        metadata: None,
        created_at: region.created_at.clone(),
        updated_at: region.updated_at.clone(),
    }
}

/// A number or a string as typed text (`20`, `"7.25"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Typed {
    Number(Number),
    Text(String),
}

impl Typed {
    fn text(&self) -> String {
        match self {
            Typed::Number(n) => n.to_string(),
            Typed::Text(t) => t.clone(),
        }
    }
}

/// Medusa's region body (`name`, `currency_code`, `countries` as codes,
/// `is_tax_inclusive`) with `tax_rate` in percent; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegionBody {
    pub name: Option<String>,
    pub currency_code: Option<String>,
    pub countries: Option<Vec<String>>,
    pub is_tax_inclusive: Option<bool>,
    pub tax_rate: Option<Typed>,
}

impl RegionBody {
    /// The form this body stands for over `current` (none: a new region).
    pub fn input(&self, current: Option<&Region>) -> RegionInput {
        let or = |v: &Option<String>, now: Option<String>| v.clone().or(now).unwrap_or_default();
        RegionInput {
            name: or(&self.name, current.map(|r| r.name.clone())),
            currency_code: or(
                &self.currency_code,
                current.map(|r| r.currency.as_str().to_owned()),
            ),
            tax_rate: self
                .tax_rate
                .as_ref()
                .map(Typed::text)
                .or_else(|| current.map(|r| percent_text(r.tax_rate)))
                .unwrap_or_else(|| "0".to_owned()),
            tax_inclusive: match self.is_tax_inclusive.or(current.map(|r| r.tax_inclusive)) {
                Some(true) => "yes".to_owned(),
                _ => String::new(),
            },
            countries: match (&self.countries, current) {
                (Some(list), _) => list.join(","),
                (None, Some(r)) => country_codes(&r.countries),
                (None, None) => String::new(),
            },
        }
    }
}

/// A region's countries as the form shows them: `de, fr`.
pub fn country_codes(countries: &[Country]) -> String {
    countries
        .iter()
        .map(|c| c.iso_2.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Medusa's `AdminShippingOption` as far as this store keeps one.
#[derive(Debug, Clone, Serialize)]
pub struct ShippingOptionJson {
    pub id: String,
    pub name: String,
    pub price_type: &'static str,
    /// The region offering it (Medusa reaches it through a service zone).
    pub region_id: String,
    pub service_zone_id: Option<String>,
    pub shipping_profile_id: Option<String>,
    pub provider_id: Option<String>,
    pub data: Option<Value>,
    /// Its place among the region's options, 0 first.
    pub rank: i32,
    pub prices: Vec<Value>,
    pub rules: Vec<Value>,
    pub metadata: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
}

/// The option, its amounts in major units of `currency` (its region's).
pub fn shipping_option_json(o: &AdminShippingOption, currency: CurrencyCode) -> ShippingOptionJson {
    let major = |minor: i64| Money::new(minor, currency).to_major_number();
    let code = currency.as_str();
    let mut prices = Vec::new();
    let amount = match o.kind {
        ShippingKind::Flat { amount } | ShippingKind::FreeOver { amount, .. } => amount,
    };
    prices.push(json!({
        "currency_code": code, "region_id": o.region_id, "amount": major(amount), "price_rules": [],
    }));
    if let ShippingKind::FreeOver { threshold, .. } = o.kind {
        prices.push(json!({
            "currency_code": code, "amount": 0,
            "price_rules": [{"attribute": "item_total", "operator": "gte", "value": major(threshold)}],
        }));
    }
    ShippingOptionJson {
        id: o.id.as_str().to_owned(),
        name: o.name.clone(),
        price_type: "flat",
        region_id: o.region_id.as_str().to_owned(),
        service_zone_id: None,
        shipping_profile_id: None,
        provider_id: None,
        data: None,
        rank: o.rank,
        prices,
        rules: Vec::new(),
        metadata: None,
        created_at: o.created_at.clone(),
        updated_at: o.updated_at.clone(),
    }
}

/// One price of Medusa's shipping option body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PriceBody {
    pub currency_code: Option<String>,
    pub region_id: Option<String>,
    pub amount: Option<Typed>,
    pub rules: Vec<PriceRule>,
}

/// Medusa's price rule: only `item_total` `gte` (or `gt`) a value is kept here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PriceRule {
    pub attribute: String,
    pub operator: String,
    pub value: Option<Typed>,
}

/// Medusa's shipping option body: `name`, `region_id` (this store's way to say where),
/// `price_type` (`flat` only) and `prices`: one without rules is the amount; one of 0
/// with the rule `item_total` `gte` X makes it free from X. Absent fields stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShippingOptionBody {
    pub name: Option<String>,
    pub region_id: Option<String>,
    pub price_type: Option<String>,
    pub prices: Option<Vec<PriceBody>>,
}

impl ShippingOptionBody {
    /// The form this body stands for over `current` (none: a new option), amounts in
    /// `currency` (the region's).
    pub fn input(
        &self,
        current: Option<&AdminShippingOption>,
        currency: CurrencyCode,
    ) -> Result<ShippingInput, ApiError> {
        if let Some(t) = self.price_type.as_deref().filter(|t| *t != "flat") {
            return Err(ApiError::invalid(
                "price_type",
                format!("only flat prices are kept here, not {t}"),
            ));
        }
        let text = |minor: i64| Money::new(minor, currency).to_decimal_string();
        let mut input = ShippingInput {
            name: self
                .name
                .clone()
                .or_else(|| current.map(|o| o.name.clone()))
                .unwrap_or_default(),
            ..ShippingInput::default()
        };
        match (&self.prices, current) {
            (Some(prices), _) => {
                input.kind = "flat".to_owned();
                for price in prices {
                    if price
                        .currency_code
                        .as_deref()
                        .is_some_and(|c| !c.eq_ignore_ascii_case(currency.as_str()))
                    {
                        return Err(ApiError::invalid(
                            "prices",
                            format!("prices are in the region's currency, {currency}"),
                        ));
                    }
                    let amount = price.amount.as_ref().map(Typed::text).unwrap_or_default();
                    match price.rules.as_slice() {
                        [] => input.amount = amount,
                        [rule]
                            if rule.attribute == "item_total"
                                && matches!(rule.operator.as_str(), "gte" | "gt")
                                && amount.parse::<f64>() == Ok(0.0) =>
                        {
                            input.kind = "free_over".to_owned();
                            input.threshold =
                                rule.value.as_ref().map(Typed::text).unwrap_or_default();
                        }
                        _ => {
                            return Err(ApiError::invalid(
                                "prices",
                                "a price's rules may only make it 0 from an item_total (gte)",
                            ))
                        }
                    }
                }
            }
            (None, Some(o)) => match o.kind {
                ShippingKind::Flat { amount } => {
                    input.kind = "flat".to_owned();
                    input.amount = text(amount);
                }
                ShippingKind::FreeOver { amount, threshold } => {
                    input.kind = "free_over".to_owned();
                    input.amount = text(amount);
                    input.threshold = text(threshold);
                }
            },
            (None, None) => input.kind = "flat".to_owned(),
        }
        Ok(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{RegionId, ShippingOptionId};

    #[test]
    fn medusas_conditional_price_is_free_over_a_threshold_and_back() {
        let eur = CurrencyCode::parse("eur").unwrap();
        let body: ShippingOptionBody = serde_json::from_value(json!({
            "name": "Free over 75", "region_id": "reg_1", "price_type": "flat",
            "prices": [{"currency_code": "eur", "amount": 4.95},
                       {"currency_code": "eur", "amount": 0,
                        "rules": [{"attribute": "item_total", "operator": "gte", "value": 75}]}]
        }))
        .unwrap();
        let input = body.input(None, eur).unwrap();
        let fields = input.check(eur).unwrap();
        assert_eq!(
            fields.kind,
            ShippingKind::FreeOver {
                amount: 495,
                threshold: 7500
            }
        );
        let option = AdminShippingOption {
            id: ShippingOptionId::parse("so_1").unwrap(),
            region_id: RegionId::parse("reg_1").unwrap(),
            name: fields.name,
            kind: fields.kind,
            rank: 0,
            created_at: String::new(),
            updated_at: String::new(),
        };
        let shown = serde_json::to_value(shipping_option_json(&option, eur)).unwrap();
        assert_eq!(shown["prices"][0]["amount"], json!(4.95));
        assert_eq!(shown["prices"][1]["price_rules"][0]["value"], json!(75));
        // A rename keeps the prices.
        let renamed: ShippingOptionBody = serde_json::from_value(json!({"name": "Free"})).unwrap();
        let again = renamed
            .input(Some(&option), eur)
            .unwrap()
            .check(eur)
            .unwrap();
        assert_eq!(again.kind, option.kind);
        let other: ShippingOptionBody =
            serde_json::from_value(json!({"prices": [{"currency_code": "usd", "amount": 5}]}))
                .unwrap();
        assert!(other.input(Some(&option), eur).is_err());
    }
}
