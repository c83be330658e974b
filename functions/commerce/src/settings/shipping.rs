//! A shipping option as staff set it on its region's page: a name, and a flat amount or
//! an amount that drops to nothing once the cart's items reach a threshold, both typed
//! in major units of the region's currency. Options are ordered within their region;
//! a region keeps at least one (checkout needs a way of shipping).

use serde::Deserialize;

use super::{checked_name, FieldErrors};
use crate::cart::ShippingKind;
use crate::money::{parse_major, CurrencyCode};

/// A shipping option's form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ShippingInput {
    pub name: String,
    /// `flat` or `free_over`.
    pub kind: String,
    /// Major units: `4.95`.
    pub amount: String,
    /// Major units; only for `free_over`.
    pub threshold: String,
}

/// A shipping option that passed [`ShippingInput::check`]; amounts in minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingFields {
    pub name: String,
    pub kind: ShippingKind,
}

impl ShippingFields {
    /// The kind as stored (`flat`, `free_over`), its amount and threshold.
    pub fn columns(&self) -> (&'static str, i64, Option<i64>) {
        match self.kind {
            ShippingKind::Flat { amount } => ("flat", amount, None),
            ShippingKind::FreeOver { amount, threshold } => ("free_over", amount, Some(threshold)),
        }
    }
}

impl ShippingInput {
    /// Checks every field, amounts in `currency` (the region's).
    pub fn check(&self, currency: CurrencyCode) -> Result<ShippingFields, FieldErrors> {
        let mut errors = Vec::new();
        let name =
            checked_name(&self.name, "shipping option").map_err(|e| errors.push(("name", e)));
        let money = |typed: &str| parse_major(typed, currency);
        let code = currency.as_str().to_uppercase();
        let amount = money(&self.amount).ok_or_else(|| {
            errors.push((
                "amount",
                format!("Type the amount in {code}, such as 4.95 (0 for free)."),
            ))
        });
        let kind = match self.kind.as_str() {
            "flat" => Ok(None),
            "free_over" => match money(&self.threshold) {
                Some(t) if t > 0 => Ok(Some(t)),
                _ => {
                    errors.push((
                        "threshold",
                        format!(
                        "Type the items' amount in {code} from which shipping is free, such as 75."
                    ),
                    ));
                    Err(())
                }
            },
            _ => {
                errors.push((
                    "kind",
                    "Choose a flat amount or free over a threshold.".to_owned(),
                ));
                Err(())
            }
        };
        match (name, amount, kind) {
            (Ok(name), Ok(amount), Ok(threshold)) => Ok(ShippingFields {
                name,
                kind: match threshold {
                    None => ShippingKind::Flat { amount },
                    Some(threshold) => ShippingKind::FreeOver { amount, threshold },
                },
            }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_typed_in_major_units_of_the_regions_currency() {
        let eur = CurrencyCode::parse("eur").unwrap();
        let free = ShippingInput {
            name: "Free over 75".into(),
            kind: "free_over".into(),
            amount: "4.95".into(),
            threshold: "75".into(),
        }
        .check(eur)
        .unwrap();
        assert_eq!(
            free.kind,
            ShippingKind::FreeOver {
                amount: 495,
                threshold: 7500
            }
        );
        assert_eq!(free.columns(), ("free_over", 495, Some(7500)));
        let jpy = CurrencyCode::parse("jpy").unwrap();
        let flat = ShippingInput {
            name: "Yamato".into(),
            kind: "flat".into(),
            amount: "800".into(),
            threshold: "ignored".into(),
        }
        .check(jpy)
        .unwrap();
        assert_eq!(flat.kind, ShippingKind::Flat { amount: 800 });
        let errors = ShippingInput {
            kind: "free_over".into(),
            amount: "4.955".into(),
            threshold: "0".into(),
            ..Default::default()
        }
        .check(eur)
        .unwrap_err();
        assert!(errors.of("name").is_some());
        assert!(errors.of("amount").unwrap().contains("EUR"));
        assert!(errors.of("threshold").is_some());
        let errors = ShippingInput {
            name: "x".into(),
            kind: "calculated".into(),
            amount: "1".into(),
            ..Default::default()
        }
        .check(eur)
        .unwrap_err();
        assert!(errors.of("kind").is_some());
    }
}
