//! The cart and its shipping options in Medusa v2's Store API shapes, as a Medusa
//! storefront reads them. Amounts leave as major-unit numbers (20.5 for 2050 cents)
//! here and nowhere else; times as ISO 8601 UTC with milliseconds, like the catalog's.

use serde_json::{json, Value};

use super::totals::{amount_totals, totals, LineTotals};
use super::{applicable, Address, Cart, ShippingKind, ShippingOption};
use crate::error::ApiError;
use crate::money::{CurrencyCode, Money};
use crate::region::Region;
use crate::store_api::region_json;

/// An amount (a [`MinorUnits`](crate::money::MinorUnits) or a bare count of minor
/// units) as the Store API's major-unit number.
pub(crate) fn major(minor: impl Into<i64>, currency: CurrencyCode) -> Value {
    Value::Number(Money::new(minor.into(), currency).to_major_number())
}

/// Milliseconds since the Unix epoch in the Store API's form:
/// `2024-05-01T12:30:00.250Z` (what SQL's `api_ts` writes).
/// Times past the year 9999 (which no clock gives) show as its last millisecond.
pub(crate) fn api_time(ms: u64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
        return "9999-12-31T23:59:59.999Z".to_owned();
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Medusa gives cart addresses ids; these are derived from the cart's, one per role.
fn address_json(cart: &Cart, address: Option<&Address>, role: &str) -> Value {
    let Some(a) = address else {
        return Value::Null;
    };
    let body = cart
        .id
        .as_str()
        .strip_prefix("cart_")
        .unwrap_or(cart.id.as_str());
    json!({
        "id": format!("caaddr_{body}{role}"),
        "customer_id": null,
        "first_name": a.first_name,
        "last_name": a.last_name,
        "company": a.company,
        "address_1": a.address_1,
        "address_2": a.address_2,
        "city": a.city,
        "province": a.province,
        "postal_code": a.postal_code,
        "country_code": a.country_code,
        "phone": a.phone,
        "metadata": null,
        "created_at": api_time(cart.created_at_ms),
        "updated_at": api_time(cart.updated_at_ms),
    })
}

/// A line's (or the shipping method's) totals under Medusa's names; there are no
/// discounts, so the original amounts are the amounts.
fn totals_json(t: &LineTotals, currency: CurrencyCode) -> [(&'static str, Value); 12] {
    let zero = major(0, currency);
    [
        ("subtotal", major(t.subtotal, currency)),
        ("tax_total", major(t.tax, currency)),
        ("total", major(t.total, currency)),
        ("original_subtotal", major(t.subtotal, currency)),
        ("original_tax_total", major(t.tax, currency)),
        ("original_total", major(t.total, currency)),
        ("item_subtotal", major(t.subtotal, currency)),
        ("item_tax_total", major(t.tax, currency)),
        ("item_total", major(t.total, currency)),
        ("discount_total", zero.clone()),
        ("discount_subtotal", zero.clone()),
        ("discount_tax_total", zero),
    ]
}

/// The cart as the Store API shows it (the object under `cart` in a response), with
/// line and cart totals. `image_base` is the absolute URL prefix of images, ending in
/// `/`. `region`, when given and the cart's, is shown expanded under `region`
/// (storefronts read its countries for the address form).
pub fn cart_json(
    cart: &Cart,
    image_base: &str,
    region: Option<&Region>,
) -> Result<Value, ApiError> {
    let currency = cart.region.currency;
    let inclusive = cart.region.tax_inclusive;
    let t = totals(cart)?;
    let created_at = api_time(cart.created_at_ms);
    let updated_at = api_time(cart.updated_at_ms);
    let items = cart
        .items
        .iter()
        .zip(&t.lines)
        .map(|(line, lt)| {
            let thumbnail = line
                .thumbnail
                .as_deref()
                .map(|k| format!("{image_base}{k}"));
            let mut item = json!({
                "id": line.id,
                "cart_id": cart.id,
                "title": line.variant_title,
                "subtitle": line.product_title,
                "thumbnail": thumbnail,
                "quantity": line.quantity,
                "variant_id": line.variant_id,
                "product_id": line.product_id,
                "product_title": line.product_title,
                "product_description": null,
                "product_subtitle": null,
                "product_type": null,
                "product_collection": null,
                "product_handle": line.product_handle,
                "variant_sku": line.sku,
                "variant_barcode": null,
                "variant_title": line.variant_title,
                "variant_option_values": null,
                "variant": {
                    "id": line.variant_id,
                    "title": line.variant_title,
                    "sku": line.sku,
                    "product_id": line.product_id,
                    "product": {
                        "id": line.product_id,
                        "title": line.product_title,
                        "handle": line.product_handle,
                        "thumbnail": thumbnail,
                    },
                },
                "product": {
                    "id": line.product_id,
                    "title": line.product_title,
                    "handle": line.product_handle,
                    "thumbnail": thumbnail,
                },
                "requires_shipping": true,
                "is_discountable": true,
                "is_giftcard": false,
                "is_tax_inclusive": inclusive,
                "compare_at_unit_price": null,
                "unit_price": major(line.unit_price, currency),
                "adjustments": [],
                "metadata": null,
                "created_at": api_time(line.created_at_ms),
                "updated_at": api_time(line.updated_at_ms),
                "deleted_at": null,
            });
            for (k, v) in totals_json(lt, currency) {
                item[k] = v;
            }
            item
        })
        .collect::<Vec<_>>();
    let shipping_methods = match &cart.shipping_method {
        None => Vec::new(),
        Some(m) => {
            let mut method = json!({
                "id": m.id,
                "cart_id": cart.id,
                "name": m.name,
                "description": null,
                "amount": major(m.amount, currency),
                "is_tax_inclusive": inclusive,
                "shipping_option_id": m.option_id,
                "data": {},
                "metadata": null,
                "adjustments": [],
                // A method keeps no times of its own; the cart's last change stands in.
                "created_at": updated_at,
                "updated_at": updated_at,
            });
            let st = LineTotals {
                amount: t.shipping_amount,
                subtotal: t.shipping_subtotal,
                tax: t.shipping_tax,
                total: t.shipping_total,
            };
            for (k, v) in totals_json(&st, currency) {
                if !k.starts_with("item_") {
                    method[k] = v;
                }
            }
            vec![method]
        }
    };
    let m = |minor: i64| major(minor, currency);
    let mut out = json!({
        "id": cart.id,
        "region_id": cart.region.id,
        "customer_id": null,
        "sales_channel_id": null,
        "email": cart.email,
        "currency_code": currency,
        "shipping_address": address_json(cart, cart.shipping_address.as_ref(), "S"),
        "billing_address": address_json(cart, cart.billing_address.as_ref(), "B"),
        "items": items,
        "shipping_methods": shipping_methods,
        "promotions": [],
        "metadata": null,
        "completed_at": cart.completed.as_ref().map(|c| api_time(c.at_ms)),
        "created_at": created_at,
        "updated_at": updated_at,
    });
    let amounts: [(&str, Value); 28] = [
        ("item_total", m(t.item_total)),
        ("item_subtotal", m(t.item_subtotal)),
        ("item_tax_total", m(t.item_tax)),
        ("item_discount_total", m(0)),
        ("original_item_total", m(t.item_total)),
        ("original_item_subtotal", m(t.item_subtotal)),
        ("original_item_tax_total", m(t.item_tax)),
        ("shipping_total", m(t.shipping_total)),
        ("shipping_subtotal", m(t.shipping_subtotal)),
        ("shipping_tax_total", m(t.shipping_tax)),
        ("shipping_discount_total", m(0)),
        ("original_shipping_total", m(t.shipping_total)),
        ("original_shipping_subtotal", m(t.shipping_subtotal)),
        ("original_shipping_tax_total", m(t.shipping_tax)),
        ("subtotal", m(t.subtotal)),
        ("tax_total", m(t.tax_total)),
        ("total", m(t.total)),
        ("original_total", m(t.total)),
        ("original_subtotal", m(t.subtotal)),
        ("original_tax_total", m(t.tax_total)),
        ("discount_total", m(0)),
        ("discount_subtotal", m(0)),
        ("discount_tax_total", m(0)),
        ("gift_card_total", m(0)),
        ("gift_card_tax_total", m(0)),
        ("credit_line_total", m(0)),
        ("credit_line_subtotal", m(0)),
        ("credit_line_tax_total", m(0)),
    ];
    for (k, v) in amounts {
        out[k] = v;
    }
    if let Some(r) = region.filter(|r| r.id == cart.region.id) {
        out["region"] = region_json(r);
    }
    Ok(out)
}

/// The options the cart can choose (those of its region), as
/// `GET /store/shipping-options?cart_id=` lists them under `shipping_options`, each
/// with its amount for the cart now.
pub fn shipping_options_json(cart: &Cart, options: &[ShippingOption]) -> Result<Value, ApiError> {
    let currency = cart.region.currency;
    let inclusive = cart.region.tax_inclusive;
    let list = applicable(options, cart)
        .into_iter()
        .map(|q| {
            let base = match q.option.kind {
                ShippingKind::Flat { amount } | ShippingKind::FreeOver { amount, .. } => amount,
            };
            // Parts of the amount for display; the same split the cart's totals make.
            let parts = amount_totals(q.amount, &cart.region)?;
            Ok(json!({
                "id": q.option.id,
                "name": q.option.name,
                "price_type": "flat",
                "service_zone_id": null,
                "shipping_profile_id": null,
                "provider_id": null,
                "data": null,
                "type": null,
                "provider": null,
                "amount": major(q.amount, currency),
                "is_tax_inclusive": inclusive,
                "calculated_price": {
                    "calculated_amount": major(q.amount, currency),
                    "original_amount": major(base, currency),
                    "currency_code": currency,
                    "is_calculated_price_tax_inclusive": inclusive,
                    "calculated_amount_with_tax": major(parts.total, currency),
                    "calculated_amount_without_tax": major(parts.subtotal, currency),
                },
                "prices": [{ "currency_code": currency, "amount": major(base, currency) }],
                "insufficient_inventory": false,
            }))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Value::Array(list))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{add_item, choose_shipping, ShippingKind};
    use super::*;
    use crate::email::Email;
    use crate::ids::RegionId;
    use crate::money::TaxRate;
    use crate::region::Country;

    const IMAGES: &str = "https://shop.test/images/";

    #[test]
    fn times_are_iso_8601_utc_with_milliseconds() {
        assert_eq!(api_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(api_time(1_714_566_600_250), "2024-05-01T12:30:00.250Z");
        assert_eq!(api_time(1_709_164_800_000), "2024-02-29T00:00:00.000Z");
        assert_eq!(api_time(951_955_199_999), "2000-03-01T23:59:59.999Z");
        assert_eq!(api_time(4_133_894_400_000), "2100-12-31T00:00:00.000Z");
    }

    fn full_cart() -> Cart {
        let mut c = cart();
        add_item(&mut c, &variant("S", 2450), 2, T0).unwrap();
        let mut bare = variant("M", 1000);
        bare.thumbnail_key = None;
        bare.sku = None;
        add_item(&mut c, &bare, 1, T0 + 1000).unwrap();
        let options = [option(
            "STD",
            &region_eu(),
            ShippingKind::Flat { amount: 490 },
        )];
        choose_shipping(&mut c, &options, &options[0].id, T0 + 2000).unwrap();
        c.email = Some(Email::parse("ada@example.com").unwrap());
        c.shipping_address = Some(Address {
            first_name: Some("Ada".into()),
            country_code: Some("de".into()),
            ..Address::default()
        });
        c
    }

    #[test]
    fn the_cart_has_medusas_shape_and_major_amounts() {
        let c = full_cart();
        let v = cart_json(&c, IMAGES, None).unwrap();
        assert_eq!(v["id"], "cart_TEST");
        assert_eq!(v["region_id"], "reg_EU");
        assert_eq!(v["currency_code"], "eur");
        assert_eq!(v["email"], "ada@example.com");
        assert_eq!(v["created_at"], "2024-05-01T12:30:00.000Z");
        assert_eq!(v["updated_at"], "2024-05-01T12:30:02.000Z");
        assert!(v.get("region").is_none());

        // 2 × 24.50 + 10.00 = 59.00 gross, 20 % inside: 40.83 + 8.33 net.
        assert_eq!(v["item_total"], json!(59));
        assert_eq!(v["item_subtotal"], json!(49.16));
        assert_eq!(v["item_tax_total"], json!(9.84));
        assert_eq!(v["shipping_total"], json!(4.9));
        assert_eq!(v["shipping_subtotal"], json!(4.08));
        assert_eq!(v["shipping_tax_total"], json!(0.82));
        assert_eq!(v["subtotal"], json!(53.24));
        assert_eq!(v["tax_total"], json!(10.66));
        assert_eq!(v["total"], json!(63.9));
        assert_eq!(v["original_total"], json!(63.9));
        for zero in ["discount_total", "gift_card_total", "discount_tax_total"] {
            assert_eq!(v[zero], json!(0), "{zero}");
        }

        let item = &v["items"][0];
        assert_eq!(item["id"], json!(c.items[0].id));
        assert_eq!(item["title"], "S");
        assert_eq!(item["subtitle"], "Linen Shirt");
        assert_eq!(item["product_title"], "Linen Shirt");
        assert_eq!(item["product_handle"], "linen-shirt");
        assert_eq!(item["variant_title"], "S");
        assert_eq!(item["variant_sku"], "SKU-S");
        assert_eq!(item["variant_id"], "variant_S");
        assert_eq!(item["product_id"], "prod_SHIRT");
        assert_eq!(
            item["thumbnail"],
            "https://shop.test/images/products/shirt.png"
        );
        assert_eq!(item["quantity"], 2);
        assert_eq!(item["unit_price"], json!(24.5));
        assert_eq!(item["subtotal"], json!(40.83));
        assert_eq!(item["tax_total"], json!(8.17));
        assert_eq!(item["total"], json!(49));
        assert_eq!(item["original_total"], json!(49));
        assert_eq!(item["is_tax_inclusive"], true);
        assert_eq!(item["variant"]["product"]["handle"], "linen-shirt");
        assert_eq!(item["created_at"], "2024-05-01T12:30:00.000Z");
        let bare = &v["items"][1];
        assert_eq!(bare["thumbnail"], Value::Null);
        assert_eq!(bare["variant_sku"], Value::Null);
        assert_eq!(bare["created_at"], "2024-05-01T12:30:01.000Z");

        let method = &v["shipping_methods"][0];
        assert_eq!(method["name"], "STD");
        assert_eq!(method["shipping_option_id"], "so_STD");
        assert_eq!(method["amount"], json!(4.9));
        assert_eq!(method["total"], json!(4.9));
        assert_eq!(method["subtotal"], json!(4.08));
        assert!(method.get("item_total").is_none());

        let address = &v["shipping_address"];
        assert_eq!(address["first_name"], "Ada");
        assert_eq!(address["country_code"], "de");
        assert_eq!(address["id"], "caaddr_TESTS");
        assert_eq!(v["billing_address"], Value::Null);
    }

    #[test]
    fn an_empty_cart_has_zero_totals() {
        let v = cart_json(&cart_in(region_us()), IMAGES, None).unwrap();
        assert_eq!(v["items"], json!([]));
        assert_eq!(v["shipping_methods"], json!([]));
        assert_eq!(v["total"], json!(0));
        assert_eq!(v["currency_code"], "usd");
        assert_eq!(v["email"], Value::Null);
    }

    #[test]
    fn the_region_is_expanded_when_it_is_the_carts() {
        let region = Region {
            id: RegionId::parse("reg_EU").unwrap(),
            name: "Europe".into(),
            currency: eur(),
            tax_rate: TaxRate::from_basis_points(2000).unwrap(),
            tax_inclusive: true,
            countries: vec![Country {
                iso_2: "de".into(),
                iso_3: "deu".into(),
                num_code: "276".into(),
                name: "GERMANY".into(),
                display_name: "Germany".into(),
            }],
            created_at: "2024-01-01T00:00:00.000Z".into(),
            updated_at: "2024-01-01T00:00:00.000Z".into(),
        };
        let v = cart_json(&cart(), IMAGES, Some(&region)).unwrap();
        assert_eq!(v["region"]["name"], "Europe");
        assert_eq!(v["region"]["countries"][0]["iso_2"], "de");
        let v = cart_json(&cart_in(region_us()), IMAGES, Some(&region)).unwrap();
        assert!(v.get("region").is_none(), "another region is not shown");
    }

    #[test]
    fn shipping_options_carry_their_amount_for_the_cart() {
        let mut c = cart_in(region_us());
        add_item(&mut c, &in_usd(variant("S", 0), Some(6000)), 1, T0).unwrap();
        let options = [
            option("STD", &region_us(), ShippingKind::Flat { amount: 500 }),
            option(
                "FREE50",
                &region_us(),
                ShippingKind::FreeOver {
                    amount: 700,
                    threshold: 5000,
                },
            ),
            option("EU", &region_eu(), ShippingKind::Flat { amount: 490 }),
        ];
        let v = shipping_options_json(&c, &options).unwrap();
        let list = v.as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["id"], "so_STD");
        assert_eq!(list[0]["amount"], json!(5));
        assert_eq!(list[0]["price_type"], "flat");
        assert_eq!(
            list[0]["calculated_price"]["calculated_amount_with_tax"],
            json!(5.5)
        );
        assert_eq!(list[1]["amount"], json!(0));
        assert_eq!(list[1]["calculated_price"]["original_amount"], json!(7));
    }
}
