//! Unit tests of the cart's rules: adding, merging, stock, quantities, refresh against
//! the catalog, region changes, events and the stored form.

use super::testing::*;
use super::*;
use serde_json::json;

fn ids(cart: &Cart) -> Vec<(&str, u32, i64)> {
    cart.items
        .iter()
        .map(|l| (l.variant_id.as_str(), l.quantity, l.unit_price.get()))
        .collect()
}

const EUR_10: MinorUnits = MinorUnits::new(1000);
const EUR_12: MinorUnits = MinorUnits::new(1200);

fn message(e: &ApiError) -> String {
    e.to_string()
}

#[test]
fn adding_prices_the_line_from_the_catalog() {
    let mut c = cart();
    let v = variant("S", 2450);
    let event = add_item(&mut c, &v, 2, T0 + 5).unwrap();
    assert_eq!(ids(&c), [("variant_S", 2, 2450)]);
    let line = &c.items[0];
    assert_eq!(line.product_title, "Linen Shirt");
    assert_eq!(line.product_handle, "linen-shirt");
    assert_eq!(line.sku.as_deref(), Some("SKU-S"));
    assert_eq!(line.thumbnail.as_deref(), Some("products/shirt.png"));
    assert_eq!(line.display_title(), "Linen Shirt (S)");
    assert!(line.id.as_str().starts_with("cali_"));
    assert_eq!((line.created_at_ms, c.updated_at_ms), (T0 + 5, T0 + 5));
    assert_eq!(event.name, CartEventName::AddToCart);
    assert_eq!(
        (event.price.get(), event.quantity, event.currency),
        (2450, 2, eur())
    );
    assert_eq!(event.sku.as_deref(), Some("SKU-S"));
    assert_eq!(event.cart_id, c.id);
    assert_eq!(c.item_count(), 2);
}

#[test]
fn the_same_variant_again_increases_its_line() {
    let mut c = cart();
    let v = variant("S", 2450);
    add_item(&mut c, &v, 2, T0).unwrap();
    let first_id = c.items[0].id.clone();
    let event = add_item(&mut c, &v, 3, T0 + 1).unwrap();
    assert_eq!(ids(&c), [("variant_S", 5, 2450)]);
    assert_eq!(c.items[0].id, first_id);
    assert_eq!(c.items[0].created_at_ms, T0);
    assert_eq!(c.items[0].updated_at_ms, T0 + 1);
    assert_eq!(event.quantity, 3, "the event counts what was added");
    // Another variant is another line.
    add_item(&mut c, &variant("M", 2600), 1, T0 + 2).unwrap();
    assert_eq!(c.items.len(), 2);
}

#[test]
fn a_merge_checks_stock_and_the_limit_against_the_new_total() {
    let mut c = cart();
    let v = variant("S", 2450); // 10 available
    add_item(&mut c, &v, 8, T0).unwrap();
    let e = add_item(&mut c, &v, 3, T0).unwrap_err();
    assert!(
        message(&e).contains("only 10 of Linen Shirt (S) available"),
        "{e}"
    );
    assert!(message(&e).contains("already holds 8"), "{e}");
    assert_eq!(param_of(e), "quantity");
    assert_eq!(
        ids(&c),
        [("variant_S", 8, 2450)],
        "a refusal changes nothing"
    );

    let mut unmanaged = variant("U", 100);
    unmanaged.manage_inventory = false;
    add_item(&mut c, &unmanaged, 60, T0).unwrap();
    let e = add_item(&mut c, &unmanaged, 40, T0).unwrap_err();
    assert!(message(&e).contains("at most 99"), "{e}");
    assert_eq!(param_of(e), "quantity");
}

#[test]
fn quantities_outside_one_to_ninety_nine_are_refused() {
    let mut c = cart();
    let mut v = variant("S", 100);
    v.manage_inventory = false;
    for bad in [0, 100, u32::MAX] {
        let e = add_item(&mut c, &v, bad, T0).unwrap_err();
        assert_eq!(param_of(e), "quantity", "{bad}");
    }
    assert!(add_item(&mut c, &v, 99, T0).is_ok());
}

#[test]
fn unpublished_and_unpriced_variants_cannot_be_added() {
    let mut c = cart();
    let mut draft = variant("D", 100);
    draft.published = false;
    let e = add_item(&mut c, &draft, 1, T0).unwrap_err();
    assert!(message(&e).contains("not available for purchase"), "{e}");
    assert_eq!(param_of(e), "variant_id");

    let mut unpriced = variant("P", 100);
    unpriced.price = None;
    let e = add_item(&mut c, &unpriced, 1, T0).unwrap_err();
    assert!(message(&e).contains("has no price in EUR"), "{e}");
    assert_eq!(param_of(e), "variant_id");

    let absurd = variant("X", MAX_UNIT_PRICE + 1);
    assert_eq!(
        param_of(add_item(&mut c, &absurd, 1, T0).unwrap_err()),
        "variant_id"
    );
    assert!(c.items.is_empty());
}

#[test]
fn a_variant_read_in_another_currency_is_an_internal_error() {
    let mut c = cart();
    let v = in_usd(variant("S", 2450), Some(2600));
    assert!(matches!(
        add_item(&mut c, &v, 1, T0),
        Err(ApiError::Internal { .. })
    ));
}

#[test]
fn sold_out_variants_are_refused_unless_backorder_or_unmanaged() {
    let mut c = cart();
    let mut v = variant("S", 2450);
    v.available = 0;
    let e = add_item(&mut c, &v, 1, T0).unwrap_err();
    assert!(message(&e).contains("Linen Shirt (S) is sold out"), "{e}");
    assert_eq!(param_of(e), "variant_id");
    v.available = -2; // more reserved than stocked
    assert!(add_item(&mut c, &v, 1, T0).is_err());

    v.available = 3;
    let e = add_item(&mut c, &v, 4, T0).unwrap_err();
    assert!(message(&e).contains("only 3 of"), "{e}");
    assert!(!message(&e).contains("already holds"), "{e}");

    let mut backorder = v.clone();
    backorder.available = 0;
    backorder.allow_backorder = true;
    add_item(&mut c, &backorder, 5, T0).unwrap();

    let mut unmanaged = variant("U", 100);
    unmanaged.available = 0;
    unmanaged.manage_inventory = false;
    add_item(&mut c, &unmanaged, 7, T0).unwrap();
    assert_eq!(ids(&c), [("variant_S", 5, 2450), ("variant_U", 7, 100)]);
}

#[test]
fn a_cart_holds_a_bounded_number_of_lines() {
    let mut c = cart();
    for i in 0..MAX_LINES {
        add_item(&mut c, &variant(&format!("V{i}"), 100), 1, T0).unwrap();
    }
    let e = add_item(&mut c, &variant("ONEMORE", 100), 1, T0).unwrap_err();
    assert_eq!(param_of(e), "variant_id");
    // An existing line can still grow.
    add_item(&mut c, &variant("V0", 100), 1, T0).unwrap();
}

#[test]
fn quantities_are_updated_with_events_for_the_difference() {
    let mut c = cart();
    let v = variant("S", 2450);
    add_item(&mut c, &v, 2, T0).unwrap();
    let id = c.items[0].id.clone();

    let up = update_item(&mut c, &id, 5, &v, T0 + 1).unwrap().unwrap();
    assert_eq!((up.name, up.quantity), (CartEventName::AddToCart, 3));
    let down = update_item(&mut c, &id, 1, &v, T0 + 2).unwrap().unwrap();
    assert_eq!(
        (down.name, down.quantity),
        (CartEventName::RemoveFromCart, 4)
    );
    assert_eq!(update_item(&mut c, &id, 1, &v, T0 + 3).unwrap(), None);
    assert_eq!(c.updated_at_ms, T0 + 2, "no change, no new time");

    let e = update_item(&mut c, &id, 11, &v, T0).unwrap_err();
    assert!(message(&e).contains("only 10 of"), "{e}");
    assert_eq!(param_of(e), "quantity");
    assert_eq!(
        param_of(update_item(&mut c, &id, 100, &v, T0).unwrap_err()),
        "quantity"
    );
    assert_eq!(c.items[0].quantity, 1);

    let gone = update_item(&mut c, &id, 0, &v, T0 + 4).unwrap().unwrap();
    assert_eq!(
        (gone.name, gone.quantity),
        (CartEventName::RemoveFromCart, 1)
    );
    assert!(c.items.is_empty());
}

#[test]
fn lowering_a_quantity_is_allowed_even_when_stock_fell() {
    let mut c = cart();
    let mut v = variant("S", 2450);
    add_item(&mut c, &v, 8, T0).unwrap();
    let id = c.items[0].id.clone();
    v.available = 2;
    update_item(&mut c, &id, 6, &v, T0).unwrap();
    assert_eq!(c.items[0].quantity, 6);
    v.published = false;
    assert!(update_item(&mut c, &id, 7, &v, T0).is_err());
}

#[test]
fn unknown_lines_are_not_found() {
    let mut c = cart();
    let v = variant("S", 2450);
    let unknown = LineItemId::parse("cali_NOPE").unwrap();
    for e in [
        update_item(&mut c, &unknown, 1, &v, T0).unwrap_err(),
        remove_item(&mut c, &unknown, T0).unwrap_err(),
        c.line(&unknown).unwrap_err(),
    ] {
        assert_eq!(e.status(), 404);
        assert_eq!(e.to_string(), "Line item with id: cali_NOPE was not found");
    }
}

#[test]
fn removing_a_line_reports_its_whole_quantity() {
    let mut c = cart();
    add_item(&mut c, &variant("S", 2450), 3, T0).unwrap();
    add_item(&mut c, &variant("M", 2600), 1, T0).unwrap();
    let id = c.items[0].id.clone();
    let event = remove_item(&mut c, &id, T0 + 9).unwrap();
    assert_eq!(event.name, CartEventName::RemoveFromCart);
    assert_eq!((event.quantity, event.price.get()), (3, 2450));
    assert_eq!(ids(&c), [("variant_M", 1, 2600)]);
    assert_eq!(c.updated_at_ms, T0 + 9);
}

#[test]
fn a_line_update_checks_the_variant_is_the_lines() {
    let mut c = cart();
    add_item(&mut c, &variant("S", 2450), 1, T0).unwrap();
    let id = c.items[0].id.clone();
    assert!(matches!(
        update_item(&mut c, &id, 2, &variant("M", 1), T0),
        Err(ApiError::Internal { .. })
    ));
}

#[test]
fn refresh_takes_new_prices_and_says_so() {
    let mut c = cart();
    add_item(&mut c, &variant("S", 1000), 1, T0).unwrap();
    add_item(&mut c, &variant("M", 2000), 1, T0).unwrap();
    let mut renamed = variant("M", 2000);
    renamed.product_title = "Linen Shirt II".into();
    let notices = refresh(&mut c, &[variant("S", 1200), renamed], T0 + 10).unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(
        notices[0].to_string(),
        "The price of Linen Shirt (S) changed from €10.00 to €12.00."
    );
    assert!(matches!(
        notices[0],
        CartNotice::PriceChanged {
            old_price: EUR_10,
            new_price: EUR_12,
            ..
        }
    ));
    assert_eq!(ids(&c), [("variant_S", 1, 1200), ("variant_M", 1, 2000)]);
    assert_eq!(c.items[1].product_title, "Linen Shirt II", "titles follow");
    assert_eq!(c.updated_at_ms, T0 + 10);
    // A page may format amounts its own way.
    let custom = notices[0].message_with(|m| format!("{} {}", m.to_decimal_string(), "EUR"));
    assert!(custom.contains("10.00 EUR to 12.00 EUR"), "{custom}");
}

#[test]
fn refresh_of_an_unchanged_cart_says_nothing_and_keeps_its_time() {
    let mut c = cart();
    add_item(&mut c, &variant("S", 1000), 2, T0).unwrap();
    let before = c.clone();
    assert!(refresh(&mut c, &[variant("S", 1000)], T0 + 10)
        .unwrap()
        .is_empty());
    assert_eq!(c, before);
}

#[test]
fn refresh_removes_lines_the_catalog_no_longer_sells() {
    let mut c = cart();
    for id in ["GONE", "DRAFT", "NOPRICE", "SOLDOUT", "KEPT"] {
        add_item(&mut c, &variant(id, 1000), 2, T0).unwrap();
    }
    let mut draft = variant("DRAFT", 1000);
    draft.published = false;
    let mut no_price = variant("NOPRICE", 1000);
    no_price.price = None;
    let mut sold_out = variant("SOLDOUT", 1000);
    sold_out.available = 0;
    let catalog = [draft, no_price, sold_out, variant("KEPT", 1000)];
    let notices = refresh(&mut c, &catalog, T0 + 1).unwrap();
    let reasons: Vec<_> = notices
        .iter()
        .map(|n| match n {
            CartNotice::Removed {
                variant_id, reason, ..
            } => (variant_id.as_str(), *reason),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("variant_GONE", RemovalReason::Discontinued),
            ("variant_DRAFT", RemovalReason::Discontinued),
            ("variant_NOPRICE", RemovalReason::NotPriced),
            ("variant_SOLDOUT", RemovalReason::SoldOut),
        ]
    );
    assert_eq!(ids(&c), [("variant_KEPT", 2, 1000)]);
    assert_eq!(
        notices[3].to_string(),
        "Linen Shirt (SOLDOUT) is sold out and was removed from your cart."
    );
    assert!(notices[0].to_string().contains("no longer available"));
    assert!(notices[2].to_string().contains("not sold in this region"));
}

#[test]
fn refresh_lowers_quantities_above_stock_unless_backorder_or_unmanaged() {
    let mut c = cart();
    for id in ["LOW", "BACK", "FREE"] {
        add_item(&mut c, &variant(id, 1000), 8, T0).unwrap();
    }
    let mut low = variant("LOW", 1000);
    low.available = 3;
    let mut back = variant("BACK", 1000);
    back.available = 1;
    back.allow_backorder = true;
    let mut free = variant("FREE", 1000);
    free.available = 0;
    free.manage_inventory = false;
    let notices = refresh(&mut c, &[low, back, free], T0 + 1).unwrap();
    assert_eq!(
        notices,
        [CartNotice::QuantityReduced {
            line_id: c.items[0].id.clone(),
            variant_id: VariantId::parse("variant_LOW").unwrap(),
            product_title: "Linen Shirt".into(),
            variant_title: "LOW".into(),
            old_quantity: 8,
            new_quantity: 3,
        }]
    );
    assert!(
        notices[0].to_string().contains("from 8 to 3"),
        "{}",
        notices[0]
    );
    assert_eq!(
        ids(&c),
        [
            ("variant_LOW", 3, 1000),
            ("variant_BACK", 8, 1000),
            ("variant_FREE", 8, 1000)
        ]
    );
}

#[test]
fn refresh_refuses_variants_read_in_another_currency() {
    let mut c = cart();
    add_item(&mut c, &variant("S", 1000), 1, T0).unwrap();
    let before = c.clone();
    let e = refresh(&mut c, &[in_usd(variant("S", 1000), Some(1100))], T0).unwrap_err();
    assert!(matches!(e, ApiError::Internal { .. }));
    assert_eq!(c, before, "nothing changed");
}

#[test]
fn changing_region_reprices_in_the_new_currency() {
    let mut c = cart();
    add_item(&mut c, &variant("S", 2450), 2, T0).unwrap();
    add_item(&mut c, &variant("EUONLY", 999), 1, T0).unwrap();
    let options = [option(
        "STD",
        &region_eu(),
        ShippingKind::Flat { amount: 490 },
    )];
    choose_shipping(&mut c, &options, &options[0].id, T0).unwrap();

    let catalog = [
        in_usd(variant("S", 2450), Some(2600)),
        in_usd(variant("EUONLY", 999), None),
    ];
    let notices = change_region(&mut c, region_us(), &catalog, T0 + 7).unwrap();
    assert_eq!(c.region, region_us());
    assert_eq!(ids(&c), [("variant_S", 2, 2600)]);
    assert_eq!(c.shipping_method, None);
    assert_eq!(c.updated_at_ms, T0 + 7);
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert_eq!(
        notices[0],
        CartNotice::ShippingRemoved { name: "STD".into() }
    );
    assert!(matches!(
        &notices[1],
        CartNotice::Removed { reason: RemovalReason::NotPriced, variant_id, .. }
            if variant_id.as_str() == "variant_EUONLY"
    ));
    // No "price changed" between currencies.
    assert!(!notices
        .iter()
        .any(|n| matches!(n, CartNotice::PriceChanged { .. })));

    // The new region's catalog must be read in its currency.
    let mut c2 = cart();
    add_item(&mut c2, &variant("S", 2450), 1, T0).unwrap();
    assert!(change_region(&mut c2, region_us(), &[variant("S", 2450)], T0).is_err());
    assert_eq!(c2.region, region_eu());
}

#[test]
fn changing_to_the_same_region_is_a_refresh() {
    let mut c = cart();
    add_item(&mut c, &variant("S", 1000), 1, T0).unwrap();
    let options = [option(
        "STD",
        &region_eu(),
        ShippingKind::Flat { amount: 490 },
    )];
    choose_shipping(&mut c, &options, &options[0].id, T0).unwrap();
    let notices = change_region(&mut c, region_eu(), &[variant("S", 1100)], T0).unwrap();
    assert!(c.shipping_method.is_some());
    assert!(matches!(notices[..], [CartNotice::PriceChanged { .. }]));
}

#[test]
fn creating_a_cart_adds_its_items_and_names_the_bad_one() {
    let catalog = [variant("S", 1000), variant("M", 1200)];
    let body = CreateCart::parse(&json!({
        "region_id": "reg_EU",
        "email": "ada@example.com",
        "items": [
            { "variant_id": "variant_S", "quantity": 2 },
            { "variant_id": "variant_M", "quantity": 1 },
            { "variant_id": "variant_S", "quantity": 1 }
        ]
    }))
    .unwrap();
    let (c, events) = Cart::create(
        CartId::parse("cart_NEW").unwrap(),
        StoreId::parse("store_TEST").unwrap(),
        region_eu(),
        &body,
        &catalog,
        T0,
    )
    .unwrap();
    assert_eq!(ids(&c), [("variant_S", 3, 1000), ("variant_M", 1, 1200)]);
    assert_eq!(c.email.as_deref(), Some("ada@example.com"));
    assert_eq!(events.len(), 3);

    let body = CreateCart::parse(&json!({
        "items": [
            { "variant_id": "variant_S", "quantity": 9 },
            { "variant_id": "variant_S", "quantity": 2 }
        ]
    }))
    .unwrap();
    let e = Cart::create(
        CartId::generate(),
        StoreId::parse("store_TEST").unwrap(),
        region_eu(),
        &body,
        &catalog,
        T0,
    )
    .unwrap_err();
    assert_eq!(param_of(e), "items[1].quantity");

    let body = CreateCart::parse(&json!({
        "items": [{ "variant_id": "variant_OTHERSTORE", "quantity": 1 }]
    }))
    .unwrap();
    let e = Cart::create(
        CartId::generate(),
        StoreId::parse("store_TEST").unwrap(),
        region_eu(),
        &body,
        &catalog,
        T0,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("no variant variant_OTHERSTORE"),
        "{e}"
    );
    assert_eq!(param_of(e), "items[0].variant_id");
}

#[test]
fn updates_set_and_clear_contact_details() {
    let mut c = cart();
    let body = UpdateCart::parse(&json!({
        "email": "ada@example.com",
        "shipping_address": { "first_name": "Ada", "country_code": "DE" },
        "metadata": { "x": 1 }
    }))
    .unwrap();
    c.apply_update(&body, T0 + 1);
    assert_eq!(c.email.as_deref(), Some("ada@example.com"));
    assert_eq!(
        c.shipping_address.as_ref().unwrap().country_code.as_deref(),
        Some("de")
    );
    assert_eq!(c.billing_address, None);
    assert_eq!(c.updated_at_ms, T0 + 1);

    // Absent members are kept; null clears.
    let body = UpdateCart::parse(&json!({ "email": null })).unwrap();
    c.apply_update(&body, T0 + 2);
    assert_eq!(c.email, None);
    assert!(c.shipping_address.is_some());
    let body = UpdateCart::parse(&json!({ "shipping_address": null })).unwrap();
    c.apply_update(&body, T0 + 3);
    assert_eq!(c.shipping_address, None);
    // Nothing to change: the time stays.
    c.apply_update(&UpdateCart::default(), T0 + 4);
    assert_eq!(c.updated_at_ms, T0 + 3);
}

#[test]
fn the_stored_form_round_trips_through_json() {
    let mut c = cart();
    add_item(&mut c, &variant("S", 2450), 2, T0).unwrap();
    c.email = Some(Email::parse("ada@example.com").unwrap());
    c.shipping_address = Some(Address {
        city: Some("Berlin".into()),
        country_code: Some("de".into()),
        ..Address::default()
    });
    let options = [option(
        "FREE50",
        &region_eu(),
        ShippingKind::FreeOver {
            amount: 490,
            threshold: 5000,
        },
    )];
    choose_shipping(&mut c, &options, &options[0].id, T0).unwrap();
    let text = serde_json::to_string(&c).unwrap();
    let back: Cart = serde_json::from_str(&text).unwrap();
    assert_eq!(back, c);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["region"]["currency"], "eur");
    assert_eq!(value["items"][0]["unit_price"], 2450);
    assert_eq!(value["shipping_method"]["kind"]["type"], "free_over");

    let mut tampered = value.clone();
    tampered["region"]["currency"] = json!("euro");
    assert!(serde_json::from_value::<Cart>(tampered).is_err());
    let mut tampered = value;
    tampered["items"][0]["variant_id"] = json!("prod_S");
    assert!(serde_json::from_value::<Cart>(tampered).is_err());
}

#[test]
fn events_and_notices_serialise_for_the_queue_and_pages() {
    let mut c = cart();
    let event = add_item(&mut c, &variant("S", 2450), 2, T0).unwrap();
    let value = serde_json::to_value(&event).unwrap();
    assert_eq!(
        value,
        json!({
            "name": "add_to_cart",
            "store_id": "store_TEST",
            "cart_id": "cart_TEST",
            "variant_id": "variant_S",
            "product_id": "prod_SHIRT",
            "sku": "SKU-S",
            "price": 2450,
            "currency": "eur",
            "quantity": 2,
            "at_ms": T0,
        })
    );
    assert_eq!(serde_json::from_value::<CartEvent>(value).unwrap(), event);
    let id = c.items[0].id.clone();
    let removed = remove_item(&mut c, &id, T0).unwrap();
    assert_eq!(
        serde_json::to_value(&removed).unwrap()["name"],
        "remove_from_cart"
    );

    let notice = CartNotice::ShippingChanged {
        name: "Standard".into(),
        currency: eur(),
        old_amount: MinorUnits::new(490),
        new_amount: MinorUnits::new(0),
    };
    assert_eq!(
        notice.to_string(),
        "Shipping (Standard) changed from €4.90 to free."
    );
    let value = serde_json::to_value(&notice).unwrap();
    assert_eq!(value["type"], "shipping_changed");
    assert_eq!(serde_json::from_value::<CartNotice>(value).unwrap(), notice);
}

#[test]
fn plain_amounts_follow_the_currency() {
    let m = |minor, code: &str| plain_money(Money::new(minor, CurrencyCode::parse(code).unwrap()));
    assert_eq!(m(1050, "eur"), "€10.50");
    assert_eq!(m(99, "usd"), "$0.99");
    assert_eq!(m(1500, "jpy"), "¥1500");
    assert_eq!(m(1200, "chf"), "CHF 12.00");
    assert_eq!(m(-250, "gbp"), "-£2.50");
}

#[test]
fn regions_become_cart_regions() {
    let region = crate::region::Region {
        id: RegionId::parse("reg_AUS").unwrap(),
        name: "United States".into(),
        currency: usd(),
        tax_rate: crate::money::TaxRate::from_basis_points(825).unwrap(),
        tax_inclusive: false,
        countries: Vec::new(),
        created_at: String::new(),
        updated_at: String::new(),
    };
    let r = CartRegion::from(&region);
    assert_eq!(
        (r.id.as_str(), r.currency, r.tax_rate_bp, r.tax_inclusive),
        ("reg_AUS", usd(), 825, false)
    );
}
