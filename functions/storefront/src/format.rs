//! Amounts as shoppers read them: minor units to a display string with the currency's
//! symbol, its number of decimals and thousands separators. Integer arithmetic only.

use commerce::money::{CurrencyCode, Money};

fn symbol(currency: CurrencyCode) -> Option<&'static str> {
    Some(match currency.as_str() {
        "eur" => "€",
        "usd" => "$",
        "gbp" => "£",
        "jpy" => "¥",
        "inr" => "₹",
        "krw" => "₩",
        _ => return None,
    })
}

/// Groups the digits of a whole number by thousands: 1234567 -> "1,234,567".
fn group_thousands(whole: u64) -> String {
    let digits = whole.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `€1,234.50`, `$0.99`, `¥1,500`, `CHF 12.00`.
pub fn money(amount: Money) -> String {
    let currency = amount.currency();
    let digits = currency.minor_digits();
    let scale = 10u64.pow(digits);
    let abs = amount.minor().unsigned_abs();
    let sign = if amount.minor() < 0 { "-" } else { "" };
    let mut number = group_thousands(abs / scale);
    if digits > 0 {
        number.push_str(&format!(
            ".{:0width$}",
            abs % scale,
            width = digits as usize
        ));
    }
    match symbol(currency) {
        Some(sym) => format!("{sign}{sym}{number}"),
        None => format!("{sign}{} {number}", currency.as_str().to_ascii_uppercase()),
    }
}

pub use commerce::money::parse_major;

/// A minor amount as a plain decimal for form fields ("12.50"); whole amounts lose
/// their zero decimals ("12").
pub fn major_input(minor: i64, currency: CurrencyCode) -> String {
    let text = Money::new(minor, currency).to_decimal_string();
    match text.split_once('.') {
        Some((whole, frac)) if frac.bytes().all(|b| b == b'0') => whole.to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> CurrencyCode {
        CurrencyCode::parse(code).unwrap()
    }

    #[test]
    fn amounts_show_symbol_decimals_and_thousands() {
        assert_eq!(money(Money::new(6900, cur("eur"))), "€69.00");
        assert_eq!(money(Money::new(123_456_789, cur("usd"))), "$1,234,567.89");
        assert_eq!(money(Money::new(5, cur("gbp"))), "£0.05");
        assert_eq!(money(Money::new(1500, cur("jpy"))), "¥1,500");
        assert_eq!(money(Money::new(1200, cur("chf"))), "CHF 12.00");
        assert_eq!(money(Money::new(-250, cur("eur"))), "-€2.50");
        assert_eq!(money(Money::new(1005, cur("kwd"))), "KWD 1.005");
    }

    #[test]
    fn typed_amounts_become_minor_units_without_floats() {
        let eur = cur("eur");
        assert_eq!(parse_major("12", eur), Some(1200));
        assert_eq!(parse_major("12.5", eur), Some(1250));
        assert_eq!(parse_major(" 1,200.05 ", eur), Some(120_005));
        assert_eq!(parse_major(".5", eur), Some(50));
        assert_eq!(parse_major("0.1", eur), Some(10));
        assert_eq!(parse_major("1500", cur("jpy")), Some(1500));
        for bad in [
            "",
            ".",
            "-1",
            "1e3",
            "12.345",
            "abc",
            "1.2.3",
            "99999999999",
            "+5",
        ] {
            assert_eq!(parse_major(bad, eur), None, "{bad:?}");
        }
        assert_eq!(parse_major("1.5", cur("jpy")), None);
    }

    #[test]
    fn form_values_round_trip() {
        let eur = cur("eur");
        assert_eq!(major_input(1200, eur), "12");
        assert_eq!(major_input(1250, eur), "12.50");
        assert_eq!(parse_major(&major_input(1250, eur), eur), Some(1250));
    }
}
