//! A region as staff set it: a name, its currency (chosen when it is made, fixed
//! after: every price and order of the region is in it), a tax rate typed in percent
//! and kept in basis points, whether catalog prices include the tax, and the countries
//! it serves (a country belongs to at most one region of a store; [`super::repo`]
//! refuses a country another region has).

use serde::Deserialize;

use super::{checked_name, FieldErrors};
use crate::money::{CurrencyCode, TaxRate};

/// A region's form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RegionInput {
    pub name: String,
    /// Only when the region is made; a region's currency is fixed after.
    pub currency_code: String,
    /// Percent: `20`, `7.25`.
    pub tax_rate: String,
    /// "yes" when catalog prices include the tax (a form's box).
    pub tax_inclusive: String,
    /// Two-letter country codes separated by commas or spaces: `de, fr, at`.
    pub countries: String,
}

/// A region that passed [`RegionInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionFields {
    pub name: String,
    pub currency: CurrencyCode,
    pub tax_rate: TaxRate,
    pub tax_inclusive: bool,
    /// Lower-case ISO 3166-1 alpha-2 codes, sorted, each once.
    pub countries: Vec<String>,
}

/// Basis points from a percentage as staff type it (`20`, `19.5`, `7.25 %`): 0 to 100
/// with at most two decimals.
pub fn parse_percent(typed: &str) -> Option<TaxRate> {
    let text = typed.trim().trim_end_matches('%').trim().replace(',', ".");
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 3 || frac.len() > 2 || !digits(whole) || !digits(frac) {
        return None;
    }
    let whole: i32 = whole.parse().ok()?;
    let frac: i32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    TaxRate::from_basis_points(whole * 100 + frac).ok()
}

/// A rate in basis points as a percentage to show or edit: 2000 is `20`, 725 `7.25`.
pub fn percent_text(rate: TaxRate) -> String {
    let bp = rate.basis_points();
    let text = format!("{}.{:02}", bp / 100, bp % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The country codes of a typed list, lower case, sorted, each once; or the words for
/// what is not a code.
pub fn parse_countries(typed: &str) -> Result<Vec<String>, String> {
    let mut codes = Vec::new();
    let mut bad = Vec::new();
    for part in typed.split(|c: char| c == ',' || c.is_whitespace()) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if part.len() == 2 && part.bytes().all(|b| b.is_ascii_alphabetic()) {
            codes.push(part.to_ascii_lowercase());
        } else {
            bad.push(part.chars().take(20).collect::<String>());
        }
    }
    if !bad.is_empty() {
        return Err(format!(
            "Not a two-letter country code: {}. Type codes such as de, fr, us.",
            bad.join(", ")
        ));
    }
    codes.sort();
    codes.dedup();
    Ok(codes)
}

impl RegionInput {
    /// Checks every field; `fixed` is the currency of a region that exists (a typed
    /// currency must then be the same, and none is needed).
    pub fn check(&self, fixed: Option<CurrencyCode>) -> Result<RegionFields, FieldErrors> {
        let mut errors = Vec::new();
        let name = checked_name(&self.name, "region").map_err(|e| errors.push(("name", e)));
        let typed = self.currency_code.trim();
        let currency = match (fixed, typed) {
            (Some(c), "") => Ok(c),
            (Some(c), t) if CurrencyCode::parse(t) == Ok(c) => Ok(c),
            (Some(c), _) => {
                errors.push((
                "currency_code",
                format!("A region's currency is fixed once it exists; this one sells in {}. Make another region for another currency.", c.as_str().to_uppercase()),
            ));
                Err(())
            }
            (None, t) => CurrencyCode::parse(t).map_err(|_| {
                errors.push((
                    "currency_code",
                    "Type the three-letter ISO 4217 code of the currency, such as eur or usd."
                        .to_owned(),
                ))
            }),
        };
        let tax_rate = parse_percent(&self.tax_rate).ok_or_else(|| {
            errors.push((
                "tax_rate",
                "Type the tax rate in percent, 0 to 100, at most two decimals (such as 20 or 7.25)."
                    .to_owned(),
            ))
        });
        let countries = parse_countries(&self.countries).map_err(|e| errors.push(("countries", e)));
        match (name, currency, tax_rate, countries) {
            (Ok(name), Ok(currency), Ok(tax_rate), Ok(countries)) => Ok(RegionFields {
                name,
                currency,
                tax_rate,
                tax_inclusive: self.tax_inclusive == "yes",
                countries,
            }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_become_basis_points_and_back() {
        for (typed, bp, shown) in [
            ("20", 2000, "20"),
            ("19.5", 1950, "19.5"),
            (" 7,25 % ", 725, "7.25"),
            ("0", 0, "0"),
            ("100", 10000, "100"),
        ] {
            let rate = parse_percent(typed).unwrap();
            assert_eq!(rate.basis_points(), bp, "{typed}");
            assert_eq!(percent_text(rate), shown);
        }
        for bad in ["", "-1", "100.01", "7.255", "abc", "1e2"] {
            assert!(parse_percent(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_regions_currency_is_fixed_once_it_exists() {
        let eur = CurrencyCode::parse("eur").unwrap();
        let input = RegionInput {
            name: "Europe".into(),
            currency_code: "USD".into(),
            tax_rate: "20".into(),
            tax_inclusive: "yes".into(),
            countries: "FR, de de".into(),
        };
        let made = input.check(None).unwrap();
        assert_eq!(made.currency.as_str(), "usd");
        assert_eq!(made.countries, ["de", "fr"]);
        assert!(made.tax_inclusive);
        let errors = input.check(Some(eur)).unwrap_err();
        assert!(errors.of("currency_code").unwrap().contains("fixed"));
        let kept = RegionInput {
            currency_code: String::new(),
            ..input
        }
        .check(Some(eur))
        .unwrap();
        assert_eq!(kept.currency, eur);
        let errors = RegionInput {
            countries: "germany".into(),
            ..RegionInput::default()
        }
        .check(None)
        .unwrap_err();
        assert!(errors.of("name").is_some());
        assert!(errors.of("currency_code").is_some());
        assert!(errors.of("tax_rate").is_some());
        assert!(errors.of("countries").unwrap().contains("germany"));
    }
}
