//! Shipping: the options a region offers (a flat rate, or free from an item amount on)
//! and the method a cart has chosen. Options are data passed in (a later migration
//! stores them). A chosen method keeps its option's pricing, so its amount follows the
//! cart's items on every change without another lookup.

use serde::{Deserialize, Serialize};

use super::{Cart, CartNotice, MAX_UNIT_PRICE};
use crate::error::ApiError;
use crate::ids::{RegionId, ShippingMethodId, ShippingOptionId};
use crate::money::MinorUnits;

/// A way of shipping that a region offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingOption {
    pub id: ShippingOptionId,
    /// The region offering it. Amounts are minor units of its currency, gross or net
    /// of tax like its catalog prices.
    pub region_id: RegionId,
    pub name: String,
    pub kind: ShippingKind,
}

/// How a shipping option is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ShippingKind {
    /// Always `amount`.
    Flat { amount: i64 },
    /// `amount`, or nothing once the items' amount (Σ unit price × quantity, as
    /// priced in the catalog) reaches `threshold`.
    FreeOver { amount: i64, threshold: i64 },
}

impl ShippingKind {
    /// The amount charged for items worth `item_amount`.
    pub fn amount_for(&self, item_amount: i64) -> i64 {
        match *self {
            ShippingKind::Flat { amount } => amount,
            ShippingKind::FreeOver { amount, threshold } => {
                if item_amount >= threshold {
                    0
                } else {
                    amount
                }
            }
        }
    }

    /// Amounts from 0 to [`MAX_UNIT_PRICE`] and a threshold that is not negative.
    fn is_valid(&self) -> bool {
        let amount_ok = |a: i64| (0..=MAX_UNIT_PRICE).contains(&a);
        match *self {
            ShippingKind::Flat { amount } => amount_ok(amount),
            ShippingKind::FreeOver { amount, threshold } => amount_ok(amount) && threshold >= 0,
        }
    }
}

/// The shipping a cart has chosen: its option, and the amount it costs now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingMethod {
    pub id: ShippingMethodId,
    pub option_id: ShippingOptionId,
    pub name: String,
    /// Minor units of the cart's currency, priced like the option: re-evaluated on
    /// every change of the items.
    pub amount: MinorUnits,
    /// The option's pricing when it was chosen or last refreshed.
    pub kind: ShippingKind,
}

/// An option a cart can choose, with what it would cost the cart now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippingQuote<'a> {
    pub option: &'a ShippingOption,
    pub amount: i64,
}

/// The options offered to the cart (those of its region, with valid amounts), in the
/// order given, with their amount for the cart's items.
pub fn applicable<'a>(options: &'a [ShippingOption], cart: &Cart) -> Vec<ShippingQuote<'a>> {
    let item_amount = cart.item_amount();
    options
        .iter()
        .filter(|o| o.region_id == cart.region.id && o.kind.is_valid())
        .map(|option| ShippingQuote {
            option,
            amount: option.kind.amount_for(item_amount),
        })
        .collect()
}

/// Chooses a shipping option for the cart, replacing any method chosen before
/// (choosing the same option again keeps the method's id). An option the cart's region
/// does not offer is refused naming `option_id`.
pub fn choose_shipping(
    cart: &mut Cart,
    options: &[ShippingOption],
    option_id: &ShippingOptionId,
    now_ms: u64,
) -> Result<ShippingMethod, ApiError> {
    let quote = applicable(options, cart)
        .into_iter()
        .find(|q| &q.option.id == option_id)
        .ok_or_else(|| {
            ApiError::invalid(
                "option_id",
                format!("shipping option {option_id} is not offered for this cart's region"),
            )
        })?;
    let id = match &cart.shipping_method {
        Some(m) if &m.option_id == option_id => m.id.clone(),
        _ => ShippingMethodId::generate(),
    };
    let method = ShippingMethod {
        id,
        option_id: option_id.clone(),
        name: quote.option.name.clone(),
        amount: MinorUnits::new(quote.amount),
        kind: quote.option.kind,
    };
    cart.shipping_method = Some(method.clone());
    cart.updated_at_ms = now_ms;
    Ok(method)
}

/// Brings the chosen method in line with the region's options as they are now: a
/// method whose option is gone is dropped, otherwise its name and pricing follow the
/// option. Says what the shopper should be told, if anything.
pub fn refresh_shipping(
    cart: &mut Cart,
    options: &[ShippingOption],
    now_ms: u64,
) -> Option<CartNotice> {
    let method = cart.shipping_method.as_ref()?;
    let option = applicable(options, cart)
        .into_iter()
        .find(|q| q.option.id == method.option_id)
        .map(|q| q.option.clone());
    let Some(option) = option else {
        let name = method.name.clone();
        cart.shipping_method = None;
        cart.updated_at_ms = now_ms;
        return Some(CartNotice::ShippingRemoved { name });
    };
    let method = cart.shipping_method.as_mut()?;
    if method.name != option.name || method.kind != option.kind {
        method.name = option.name;
        method.kind = option.kind;
        cart.updated_at_ms = now_ms;
    }
    let notice = reprice(cart);
    if notice.is_some() {
        cart.updated_at_ms = now_ms;
    }
    notice
}

/// Re-evaluates the chosen method's amount for the cart's items; says so if it moved.
pub(super) fn reprice(cart: &mut Cart) -> Option<CartNotice> {
    let item_amount = cart.item_amount();
    let currency = cart.region.currency;
    let method = cart.shipping_method.as_mut()?;
    let amount = MinorUnits::new(method.kind.amount_for(item_amount));
    if amount == method.amount {
        return None;
    }
    let old_amount = std::mem::replace(&mut method.amount, amount);
    Some(CartNotice::ShippingChanged {
        name: method.name.clone(),
        currency,
        old_amount,
        new_amount: amount,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{add_item, remove_item, totals};
    use super::*;

    fn free_over_50(region: &super::super::CartRegion) -> ShippingOption {
        option(
            "FREE50",
            region,
            ShippingKind::FreeOver {
                amount: 490,
                threshold: 5000,
            },
        )
    }

    #[test]
    fn free_over_is_free_from_the_threshold_on() {
        let kind = ShippingKind::FreeOver {
            amount: 490,
            threshold: 5000,
        };
        assert_eq!(kind.amount_for(4999), 490);
        assert_eq!(kind.amount_for(5000), 0);
        assert_eq!(kind.amount_for(9000), 0);
        assert_eq!(
            ShippingKind::Flat { amount: 300 }.amount_for(1_000_000),
            300
        );
    }

    #[test]
    fn only_the_regions_valid_options_apply() {
        let mut c = cart();
        add_item(&mut c, &variant("S", 2450), 1, T0).unwrap();
        let options = [
            option("STD", &region_eu(), ShippingKind::Flat { amount: 490 }),
            option("US", &region_us(), ShippingKind::Flat { amount: 500 }),
            option("BAD", &region_eu(), ShippingKind::Flat { amount: -1 }),
            option(
                "BADTOO",
                &region_eu(),
                ShippingKind::FreeOver {
                    amount: 100,
                    threshold: -5,
                },
            ),
            free_over_50(&region_eu()),
        ];
        let quotes: Vec<_> = applicable(&options, &c)
            .iter()
            .map(|q| (q.option.id.as_str(), q.amount))
            .collect();
        assert_eq!(quotes, [("so_STD", 490), ("so_FREE50", 490)]);

        let e = choose_shipping(&mut c, &options, &options[1].id, T0).unwrap_err();
        assert!(e.to_string().contains("so_US"), "{e}");
        assert_eq!(param_of(e), "option_id");
        assert_eq!(
            param_of(choose_shipping(&mut c, &options, &options[2].id, T0).unwrap_err()),
            "option_id"
        );
        assert_eq!(c.shipping_method, None);
    }

    #[test]
    fn choosing_stores_a_method_and_replaces_the_previous_one() {
        let mut c = cart();
        add_item(&mut c, &variant("S", 2450), 1, T0).unwrap();
        let options = [
            option("STD", &region_eu(), ShippingKind::Flat { amount: 490 }),
            option("EXPRESS", &region_eu(), ShippingKind::Flat { amount: 990 }),
        ];
        let m = choose_shipping(&mut c, &options, &options[0].id, T0 + 1).unwrap();
        assert!(m.id.as_str().starts_with("casm_"));
        assert_eq!((m.name.as_str(), m.amount.get()), ("STD", 490));
        assert_eq!(c.shipping_method.as_ref(), Some(&m));
        assert_eq!(c.updated_at_ms, T0 + 1);
        let again = choose_shipping(&mut c, &options, &options[0].id, T0).unwrap();
        assert_eq!(again.id, m.id, "the same option keeps its method");
        let express = choose_shipping(&mut c, &options, &options[1].id, T0).unwrap();
        assert_ne!(express.id, m.id);
        assert_eq!(
            c.shipping_method.as_ref().map(|m| m.amount.get()),
            Some(990)
        );
    }

    #[test]
    fn free_over_follows_the_items() {
        let mut c = cart();
        add_item(&mut c, &variant("S", 2450), 1, T0).unwrap();
        let options = [free_over_50(&region_eu())];
        choose_shipping(&mut c, &options, &options[0].id, T0).unwrap();
        assert_eq!(totals(&c).unwrap().shipping_amount, 490);
        // 3 × 24.50 = 73.50: free.
        add_item(&mut c, &variant("S", 2450), 2, T0).unwrap();
        assert_eq!(c.shipping_method.as_ref().unwrap().amount, 0);
        assert_eq!(totals(&c).unwrap().total, 7350);
        // Below again.
        add_item(&mut c, &variant("M", 1000), 1, T0).unwrap();
        let id = c.items[0].id.clone();
        remove_item(&mut c, &id, T0).unwrap();
        assert_eq!(c.shipping_method.as_ref().unwrap().amount, 490);
    }

    #[test]
    fn a_refresh_that_crosses_the_threshold_says_so() {
        let mut c = cart();
        add_item(&mut c, &variant("S", 2500), 2, T0).unwrap();
        let options = [free_over_50(&region_eu())];
        choose_shipping(&mut c, &options, &options[0].id, T0).unwrap();
        assert_eq!(c.shipping_method.as_ref().unwrap().amount, 0);
        let notices = super::super::refresh(&mut c, &[variant("S", 2400)], T0 + 1).unwrap();
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert_eq!(
            notices[1].to_string(),
            "Shipping (FREE50) changed from free to €4.90."
        );
        assert_eq!(totals(&c).unwrap().shipping_total, 490);
    }

    #[test]
    fn refreshing_shipping_follows_the_options() {
        let mut c = cart();
        add_item(&mut c, &variant("S", 2450), 1, T0).unwrap();
        let options = [option(
            "STD",
            &region_eu(),
            ShippingKind::Flat { amount: 490 },
        )];
        choose_shipping(&mut c, &options, &options[0].id, T0).unwrap();
        assert_eq!(refresh_shipping(&mut c, &options, T0 + 1), None);
        assert_eq!(c.updated_at_ms, T0);

        let dearer = [option(
            "STD",
            &region_eu(),
            ShippingKind::Flat { amount: 590 },
        )];
        let notice = refresh_shipping(&mut c, &dearer, T0 + 2).unwrap();
        assert_eq!(
            notice.to_string(),
            "Shipping (STD) changed from €4.90 to €5.90."
        );
        assert_eq!(c.updated_at_ms, T0 + 2);

        let notice = refresh_shipping(&mut c, &[], T0 + 3).unwrap();
        assert_eq!(notice, CartNotice::ShippingRemoved { name: "STD".into() });
        assert!(notice.to_string().contains("choose one again"));
        assert_eq!(c.shipping_method, None);
        assert_eq!(refresh_shipping(&mut c, &dearer, T0 + 4), None);
    }
}
