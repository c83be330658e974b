//! Money: integer minor units beside an ISO 4217 currency, and tax arithmetic on them.
//! Floats never hold an amount; the Store API's decimal numbers are made only at the
//! JSON boundary by [`Money::to_major_number`]. [`MinorUnits`] is the amount of a record
//! whose currency is kept beside it (a cart line, an order, a ledger row).

use std::error::Error;
use std::fmt;

use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};

/// Why a currency code or amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not a three-letter ISO 4217 currency code")]
    InvalidCurrency(String),
    #[error("amount out of range")]
    Overflow,
}

/// A lower-case ISO 4217 currency code (`eur`, `usd`), as the Store API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    /// Accepts three ASCII letters in either case.
    pub fn parse(s: &str) -> Result<Self, MoneyError> {
        let bytes = s.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(MoneyError::InvalidCurrency(s.chars().take(16).collect()));
        }
        let mut code = [0u8; 3];
        for (dst, src) in code.iter_mut().zip(bytes) {
            *dst = src.to_ascii_lowercase();
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("xxx")
    }

    /// Digits after the decimal point of the currency's minor unit (ISO 4217 exponent).
    pub fn minor_digits(&self) -> u32 {
        match self.as_str() {
            "bif" | "clp" | "djf" | "gnf" | "isk" | "jpy" | "kmf" | "krw" | "pyg" | "rwf"
            | "ugx" | "vnd" | "vuv" | "xaf" | "xof" | "xpf" => 0,
            "bhd" | "iqd" | "jod" | "kwd" | "lyd" | "omr" | "tnd" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An amount in a currency's minor unit (cents for `eur`, yen for `jpy`), without its
/// currency: what every amount field of carts, orders, payments and provider requests
/// holds, the currency being the record's. Serialised as a bare JSON integer
/// (`#[serde(transparent)]`) and stored as PostgreSQL `bigint`. Arithmetic is checked:
/// the `checked_*` methods return `None` where `i64` would overflow.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct MinorUnits(i64);

impl MinorUnits {
    pub const ZERO: MinorUnits = MinorUnits(0);

    pub const fn new(minor: i64) -> Self {
        Self(minor)
    }

    /// The number of minor units.
    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: MinorUnits) -> Option<MinorUnits> {
        self.0.checked_add(other.0).map(Self)
    }

    pub fn checked_sub(self, other: MinorUnits) -> Option<MinorUnits> {
        self.0.checked_sub(other.0).map(Self)
    }

    /// The amount `quantity` times (a unit price times a line's quantity).
    pub fn checked_mul(self, quantity: i64) -> Option<MinorUnits> {
        self.0.checked_mul(quantity).map(Self)
    }

    pub fn saturating_mul(self, quantity: i64) -> MinorUnits {
        Self(self.0.saturating_mul(quantity))
    }

    pub fn saturating_add(self, other: MinorUnits) -> MinorUnits {
        Self(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: MinorUnits) -> MinorUnits {
        Self(self.0.saturating_sub(other.0))
    }

    /// The sum of `amounts`, or `None` on overflow.
    pub fn checked_sum(amounts: impl IntoIterator<Item = MinorUnits>) -> Option<MinorUnits> {
        amounts
            .into_iter()
            .try_fold(Self::ZERO, |sum, a| sum.checked_add(a))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// The amount in `currency`.
    pub fn of(self, currency: CurrencyCode) -> Money {
        Money::new(self.0, currency)
    }
}

impl From<i64> for MinorUnits {
    fn from(minor: i64) -> Self {
        Self(minor)
    }
}

impl From<MinorUnits> for i64 {
    fn from(amount: MinorUnits) -> Self {
        amount.0
    }
}

/// Compares with a bare count of minor units (`amount == 2500`).
impl PartialEq<i64> for MinorUnits {
    fn eq(&self, other: &i64) -> bool {
        self.0 == *other
    }
}

impl PartialEq<MinorUnits> for i64 {
    fn eq(&self, other: &MinorUnits) -> bool {
        *self == other.0
    }
}

/// The bare number of minor units (`2050`), as providers' APIs and keys spell it.
impl fmt::Display for MinorUnits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl ToSql for MinorUnits {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        self.0.to_sql(ty, out)
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for MinorUnits {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        i64::from_sql(ty, raw).map(Self)
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as FromSql>::accepts(ty)
    }
}

/// An amount in a currency's minor unit (cents for `eur`, yen for `jpy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money {
    minor: i64,
    currency: CurrencyCode,
}

impl Money {
    pub fn new(minor: i64, currency: CurrencyCode) -> Self {
        Self { minor, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> CurrencyCode {
        self.currency
    }

    /// The amount without its currency.
    pub fn amount(&self) -> MinorUnits {
        MinorUnits(self.minor)
    }

    /// The amount as an exact decimal string in major units: 2050 eur -> "20.50".
    pub fn to_decimal_string(&self) -> String {
        let digits = self.currency.minor_digits();
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if digits == 0 {
            return format!("{sign}{abs}");
        }
        let scale = 10u64.pow(digits);
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = digits as usize
        )
    }

    /// The amount in major units as a JSON number (20.5 for 2050 eur), the Store API's form.
    /// The decimal string is converted once, at this boundary, to the nearest double.
    pub fn to_major_number(&self) -> serde_json::Number {
        let scale = 10i64.pow(self.currency.minor_digits());
        if self.minor % scale == 0 {
            return serde_json::Number::from(self.minor / scale);
        }
        let text = self.to_decimal_string();
        text.parse::<serde_json::Number>()
            .unwrap_or_else(|_| serde_json::Number::from(0))
    }
}

/// A tax rate in basis points: 2000 is 20 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxRate(u32);

impl TaxRate {
    /// Rates above 100 % are refused.
    pub fn from_basis_points(bp: i32) -> Result<Self, MoneyError> {
        u32::try_from(bp)
            .ok()
            .filter(|bp| *bp <= 10_000)
            .map(Self)
            .ok_or(MoneyError::Overflow)
    }

    pub fn basis_points(&self) -> u32 {
        self.0
    }
}

/// A price split into what is net of tax, the tax, and the gross the shopper pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxedAmount {
    pub net: Money,
    pub tax: Money,
    pub gross: Money,
}

/// Integer division rounding half away from zero.
fn div_round(numerator: i128, denominator: i128) -> i128 {
    let q = numerator / denominator;
    let r = numerator % denominator;
    if 2 * r.abs() >= denominator.abs() {
        q + numerator.signum() * denominator.signum()
    } else {
        q
    }
}

fn to_money(value: i128, currency: CurrencyCode) -> Result<Money, MoneyError> {
    i64::try_from(value)
        .map(|minor| Money::new(minor, currency))
        .map_err(|_| MoneyError::Overflow)
}

/// Splits a price by a tax rate. `inclusive` says whether `price` already contains the
/// tax (gross, as in EU regions) or is net (tax added on top). The tax is rounded to
/// the minor unit, half away from zero, and `net + tax == gross` always holds.
pub fn apply_tax(price: Money, rate: TaxRate, inclusive: bool) -> Result<TaxedAmount, MoneyError> {
    let currency = price.currency();
    let amount = i128::from(price.minor());
    let bp = i128::from(rate.basis_points());
    let tax = if inclusive {
        amount - div_round(amount * 10_000, 10_000 + bp)
    } else {
        div_round(amount * bp, 10_000)
    };
    let (net, gross) = if inclusive {
        (amount - tax, amount)
    } else {
        (amount, amount + tax)
    };
    Ok(TaxedAmount {
        net: to_money(net, currency)?,
        tax: to_money(tax, currency)?,
        gross: to_money(gross, currency)?,
    })
}

/// An amount typed by a person in major units ("12", "12.5", "1,200.00") in minor
/// units of `currency`; `None` for anything else (signs, letters, too many decimals,
/// more than a billion).
pub fn parse_major(text: &str, currency: CurrencyCode) -> Option<i64> {
    let text: String = text.trim().chars().filter(|c| *c != ',').collect();
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits = currency.minor_digits() as usize;
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && frac.is_empty()
        || whole.len() > 10
        || frac.len() > digits
        || !all_digits(whole)
        || !all_digits(frac)
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    if whole > 1_000_000_000 {
        return None;
    }
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<digits$}").parse().ok()?
    };
    Some(whole * 10i64.pow(digits as u32) + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money::new(minor, CurrencyCode::parse("EUR").unwrap())
    }

    #[test]
    fn currency_codes_are_three_letters_lowercased() {
        assert_eq!(CurrencyCode::parse("EUR").unwrap().as_str(), "eur");
        for bad in ["", "eu", "euro", "e1r", "€ur", "usd "] {
            assert!(CurrencyCode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn decimal_strings_follow_the_currency_exponent() {
        assert_eq!(eur(2050).to_decimal_string(), "20.50");
        assert_eq!(eur(5).to_decimal_string(), "0.05");
        assert_eq!(eur(-199).to_decimal_string(), "-1.99");
        let jpy = CurrencyCode::parse("jpy").unwrap();
        assert_eq!(Money::new(1500, jpy).to_decimal_string(), "1500");
        let kwd = CurrencyCode::parse("kwd").unwrap();
        assert_eq!(Money::new(1005, kwd).to_decimal_string(), "1.005");
    }

    #[test]
    fn major_numbers_are_what_the_store_api_expects() {
        assert_eq!(eur(2050).to_major_number().to_string(), "20.5");
        assert_eq!(eur(2000).to_major_number().to_string(), "20");
        assert_eq!(eur(1).to_major_number().as_f64(), Some(0.01));
        assert_eq!(
            eur(999_999_999).to_major_number().as_f64(),
            Some(9_999_999.99)
        );
    }

    #[test]
    fn exclusive_tax_is_added_on_top_and_rounded_half_up() {
        let rate = TaxRate::from_basis_points(2000).unwrap();
        let t = apply_tax(eur(1000), rate, false).unwrap();
        assert_eq!(
            (t.net.minor(), t.tax.minor(), t.gross.minor()),
            (1000, 200, 1200)
        );
        let rate = TaxRate::from_basis_points(825).unwrap();
        // 8.25 % of 10.10 = 0.83325 -> 0.83
        let t = apply_tax(eur(1010), rate, false).unwrap();
        assert_eq!(t.tax.minor(), 83);
        // 8.25 % of 2.00 = 0.165 -> 0.17 (half away from zero)
        let t = apply_tax(eur(200), rate, false).unwrap();
        assert_eq!(t.tax.minor(), 17);
    }

    #[test]
    fn inclusive_tax_is_extracted_and_parts_add_up() {
        let rate = TaxRate::from_basis_points(1900).unwrap();
        let t = apply_tax(eur(11900), rate, true).unwrap();
        assert_eq!(
            (t.net.minor(), t.tax.minor(), t.gross.minor()),
            (10000, 1900, 11900)
        );
        for gross in [1, 99, 1999, 2499, 123_457] {
            let t = apply_tax(eur(gross), rate, true).unwrap();
            assert_eq!(t.net.minor() + t.tax.minor(), gross);
            assert_eq!(t.gross.minor(), gross);
        }
    }

    #[test]
    fn minor_units_are_bare_integers_with_checked_arithmetic() {
        let a = MinorUnits::new(2050);
        assert_eq!(serde_json::to_string(&a).unwrap(), "2050");
        assert_eq!(serde_json::from_str::<MinorUnits>("-5").unwrap(), -5);
        assert!(serde_json::from_str::<MinorUnits>("1.5").is_err());
        assert_eq!(a.to_string(), "2050");
        assert_eq!(
            a.checked_add(MinorUnits::new(50)),
            Some(MinorUnits::new(2100))
        );
        assert_eq!(
            MinorUnits::new(i64::MAX).checked_add(MinorUnits::new(1)),
            None
        );
        assert_eq!(
            MinorUnits::new(i64::MIN).checked_sub(MinorUnits::new(1)),
            None
        );
        assert_eq!(a.checked_mul(3), Some(MinorUnits::new(6150)));
        assert_eq!(MinorUnits::new(i64::MAX).checked_mul(2), None);
        assert_eq!(
            MinorUnits::checked_sum([a, a, MinorUnits::new(-100)]),
            Some(MinorUnits::new(4000))
        );
        assert_eq!(
            MinorUnits::checked_sum([MinorUnits::new(i64::MAX), a]),
            None
        );
        assert_eq!(a.of(CurrencyCode::parse("eur").unwrap()), eur(2050));
        assert_eq!(eur(2050).amount(), a);
    }

    #[test]
    fn tax_rates_above_one_hundred_percent_are_refused() {
        assert!(TaxRate::from_basis_points(10_001).is_err());
        assert!(TaxRate::from_basis_points(-1).is_err());
        assert_eq!(TaxRate::from_basis_points(0).unwrap().basis_points(), 0);
    }
}
