//! A cart's totals, in integer minor units of its currency.
//!
//! Tax follows the region: when its prices include tax (EU-style), the tax is
//! extracted from the gross prices the shopper saw; otherwise it is added on top.
//! [`apply_tax`] does the arithmetic, once per line on unit price × quantity (not per
//! unit) and once on the shipping amount, rounding the tax to the minor unit half away
//! from zero. The cart's tax is the sum of these rounded taxes, so it may differ from
//! the tax of the summed amounts by up to one minor unit per line; in exchange every
//! part adds up exactly: `subtotal + tax_total == total`, each line's
//! `subtotal + tax == total`, and in a tax-inclusive region the total is exactly the
//! sum of the prices shown.

use serde::Serialize;

use super::{Cart, CartRegion, LineItem};
use crate::error::ApiError;
use crate::money::{apply_tax, Money, TaxRate};

/// The amounts of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineTotals {
    /// Unit price × quantity, as the catalog prices it (gross when the region's prices
    /// include tax, net otherwise).
    pub amount: i64,
    /// Net of tax.
    pub subtotal: i64,
    pub tax: i64,
    /// With tax: what the shopper pays for the line.
    pub total: i64,
}

/// The amounts of a whole cart, named as the Store API names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartTotals {
    /// One per line, in the order of `Cart::items`.
    pub lines: Vec<LineTotals>,
    /// Units over all lines.
    pub item_count: u32,
    /// Σ unit price × quantity as priced in the catalog; free-shipping thresholds
    /// compare with this.
    pub item_amount: i64,
    /// Lines net of tax.
    pub item_subtotal: i64,
    pub item_tax: i64,
    /// Lines with tax.
    pub item_total: i64,
    /// The shipping method's amount as priced (gross or net like the catalog); 0
    /// without a method.
    pub shipping_amount: i64,
    pub shipping_subtotal: i64,
    pub shipping_tax: i64,
    pub shipping_total: i64,
    /// Items and shipping net of tax.
    pub subtotal: i64,
    pub tax_total: i64,
    /// What the shopper pays: items and shipping with tax.
    pub total: i64,
}

fn overflow() -> ApiError {
    ApiError::Internal {
        detail: "cart amount out of range".into(),
    }
}

fn add(a: i64, b: i64) -> Result<i64, ApiError> {
    a.checked_add(b).ok_or_else(overflow)
}

/// Splits an amount as priced in `region` (gross when its prices include tax, net
/// otherwise) into net, tax and gross.
pub fn amount_totals(amount: i64, region: &CartRegion) -> Result<LineTotals, ApiError> {
    let rate = i32::try_from(region.tax_rate_bp)
        .ok()
        .and_then(|bp| TaxRate::from_basis_points(bp).ok())
        .ok_or_else(|| ApiError::Internal {
            detail: format!(
                "region {} has tax rate {} bp",
                region.id, region.tax_rate_bp
            ),
        })?;
    let taxed = apply_tax(
        Money::new(amount, region.currency),
        rate,
        region.tax_inclusive,
    )
    .map_err(|_| overflow())?;
    Ok(LineTotals {
        amount,
        subtotal: taxed.net.minor(),
        tax: taxed.tax.minor(),
        total: taxed.gross.minor(),
    })
}

/// The amounts of one line priced in `region`.
pub fn line_totals(line: &LineItem, region: &CartRegion) -> Result<LineTotals, ApiError> {
    let amount = line
        .unit_price
        .get()
        .checked_mul(i64::from(line.quantity))
        .ok_or_else(overflow)?;
    amount_totals(amount, region)
}

/// The cart's totals. Fails only on amounts no valid cart holds (a stored cart
/// tampered with), as an internal error.
pub fn totals(cart: &Cart) -> Result<CartTotals, ApiError> {
    let lines = cart
        .items
        .iter()
        .map(|line| line_totals(line, &cart.region))
        .collect::<Result<Vec<_>, _>>()?;
    let (mut item_amount, mut item_subtotal, mut item_tax, mut item_total) = (0, 0, 0, 0);
    for l in &lines {
        item_amount = add(item_amount, l.amount)?;
        item_subtotal = add(item_subtotal, l.subtotal)?;
        item_tax = add(item_tax, l.tax)?;
        item_total = add(item_total, l.total)?;
    }
    let shipping_amount = cart.shipping_method.as_ref().map_or(0, |m| m.amount.get());
    let shipping = amount_totals(shipping_amount, &cart.region)?;
    let (shipping_subtotal, shipping_tax, shipping_total) =
        (shipping.subtotal, shipping.tax, shipping.total);
    Ok(CartTotals {
        item_count: cart.item_count(),
        item_amount,
        item_subtotal,
        item_tax,
        item_total,
        shipping_amount,
        shipping_subtotal,
        shipping_tax,
        shipping_total,
        subtotal: add(item_subtotal, shipping_subtotal)?,
        tax_total: add(item_tax, shipping_tax)?,
        total: add(item_total, shipping_total)?,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{add_item, choose_shipping, ShippingKind};
    use super::*;
    use crate::money::MinorUnits;

    fn parts(t: &LineTotals) -> (i64, i64, i64, i64) {
        (t.amount, t.subtotal, t.tax, t.total)
    }

    #[test]
    fn inclusive_tax_is_extracted_from_the_prices_shown() {
        // Europe: 20 % inside the price.
        let mut c = cart();
        add_item(&mut c, &variant("S", 2450), 2, T0).unwrap();
        let t = totals(&c).unwrap();
        // 49.00 gross = 40.83 net + 8.17 tax (49 / 1.2 = 40.8333...).
        assert_eq!(parts(&t.lines[0]), (4900, 4083, 817, 4900));
        assert_eq!(
            (t.item_amount, t.item_subtotal, t.item_tax, t.item_total),
            (4900, 4083, 817, 4900)
        );
        assert_eq!((t.subtotal, t.tax_total, t.total), (4083, 817, 4900));
        assert_eq!(t.item_count, 2);
        assert_eq!((t.shipping_amount, t.shipping_total), (0, 0));
    }

    #[test]
    fn exclusive_tax_is_added_on_top() {
        // United States: 10 % on top; 3 × 19.99 = 59.97, tax 5.997 -> 6.00.
        let mut c = cart_in(region_us());
        add_item(&mut c, &in_usd(variant("S", 0), Some(1999)), 3, T0).unwrap();
        let t = totals(&c).unwrap();
        assert_eq!(parts(&t.lines[0]), (5997, 5997, 600, 6597));
        assert_eq!((t.subtotal, t.tax_total, t.total), (5997, 600, 6597));
    }

    #[test]
    fn tax_is_rounded_per_line_half_away_from_zero() {
        // 10 % of 0.05 is 0.005: rounded up to 0.01 on each line.
        let mut c = cart_in(region_us());
        add_item(&mut c, &in_usd(variant("A", 0), Some(5)), 1, T0).unwrap();
        add_item(&mut c, &in_usd(variant("B", 0), Some(5)), 1, T0).unwrap();
        let t = totals(&c).unwrap();
        assert_eq!(parts(&t.lines[0]), (5, 5, 1, 6));
        // Per line: 1 + 1 = 2, where the tax of the sum (0.10) would be 1.
        assert_eq!((t.item_tax, t.total), (2, 12));

        // Inclusive: 10.00 at 20 % holds 1.67 (1.6666...); two lines hold 3.34, not
        // the 3.33 of 20.00.
        let mut c = cart();
        add_item(&mut c, &variant("A", 1000), 1, T0).unwrap();
        add_item(&mut c, &variant("B", 1000), 1, T0).unwrap();
        let t = totals(&c).unwrap();
        assert_eq!(parts(&t.lines[0]), (1000, 833, 167, 1000));
        assert_eq!(
            (t.item_subtotal, t.item_tax, t.item_total),
            (1666, 334, 2000)
        );

        // Tax is computed on the line amount, not per unit: 3 × 0.05 = 0.15 -> 0.02
        // (0.015 rounded), where per unit it would be 3 × 0.01.
        let mut c = cart_in(region_us());
        add_item(&mut c, &in_usd(variant("A", 0), Some(5)), 3, T0).unwrap();
        assert_eq!(totals(&c).unwrap().item_tax, 2);
    }

    #[test]
    fn shipping_is_taxed_like_the_items() {
        let mut c = cart();
        add_item(&mut c, &variant("S", 2450), 1, T0).unwrap();
        let options = [option(
            "STD",
            &region_eu(),
            ShippingKind::Flat { amount: 490 },
        )];
        choose_shipping(&mut c, &options, &options[0].id, T0).unwrap();
        let t = totals(&c).unwrap();
        // 4.90 gross = 4.08 net + 0.82 tax.
        assert_eq!(
            (
                t.shipping_amount,
                t.shipping_subtotal,
                t.shipping_tax,
                t.shipping_total
            ),
            (490, 408, 82, 490)
        );
        assert_eq!(t.subtotal, t.item_subtotal + t.shipping_subtotal);
        assert_eq!(t.tax_total, t.item_tax + t.shipping_tax);
        assert_eq!(
            t.total,
            2450 + 490,
            "inclusive: the total is the prices shown"
        );

        let mut c = cart_in(region_us());
        add_item(&mut c, &in_usd(variant("S", 0), Some(1000)), 1, T0).unwrap();
        let options = [option(
            "STD",
            &region_us(),
            ShippingKind::Flat { amount: 500 },
        )];
        choose_shipping(&mut c, &options, &options[0].id, T0).unwrap();
        let t = totals(&c).unwrap();
        assert_eq!(
            (t.shipping_subtotal, t.shipping_tax, t.shipping_total),
            (500, 50, 550)
        );
        assert_eq!((t.subtotal, t.tax_total, t.total), (1500, 150, 1650));
    }

    #[test]
    fn the_parts_always_add_up() {
        for region in [region_eu(), region_us()] {
            let mut c = cart_in(region.clone());
            for (i, price) in [1, 99, 1999, 2499, 123_457, 333].into_iter().enumerate() {
                let mut v = variant(&format!("V{i}"), price);
                v.currency = region.currency;
                v.manage_inventory = false;
                add_item(&mut c, &v, (i as u32 % 3) + 1, T0).unwrap();
            }
            let t = totals(&c).unwrap();
            for l in &t.lines {
                assert_eq!(l.subtotal + l.tax, l.total);
            }
            assert_eq!(t.subtotal + t.tax_total, t.total);
            if region.tax_inclusive {
                assert_eq!(t.item_total, t.item_amount);
            } else {
                assert_eq!(t.item_subtotal, t.item_amount);
            }
        }
    }

    #[test]
    fn impossible_stored_amounts_are_internal_errors() {
        let mut c = cart();
        add_item(&mut c, &variant("S", 100), 1, T0).unwrap();
        c.items[0].unit_price = MinorUnits::new(i64::MAX);
        c.items[0].quantity = 2;
        assert!(matches!(totals(&c), Err(ApiError::Internal { .. })));
        let mut c = cart();
        c.region.tax_rate_bp = 10_001;
        assert!(matches!(totals(&c), Err(ApiError::Internal { .. })));
    }
}
