//! The cart and its shipping options in Medusa v2's Store API shapes, as a Medusa
//! storefront reads them: `Serialize` views over the cart, written straight to the
//! response's bytes. Amounts leave as major-unit numbers (20.5 for 2050 cents) here and
//! nowhere else; times as ISO 8601 UTC with milliseconds, like the catalog's.

use serde::Serialize;

use super::totals::{amount_totals, totals, LineTotals};
use super::{applicable, Address, Cart, LineItem, ShippingKind, ShippingOption};
use crate::email::Email;
use crate::error::ApiError;
use crate::ids::{
    CartId, CustomerId, LineItemId, ProductId, RegionId, ShippingMethodId, ShippingOptionId,
    VariantId,
};
use crate::money::CurrencyCode;
use crate::region::Region;
use crate::store_api::RegionShape;
use crate::wire::{Empty, Major, Nulls, Zeros};

/// Milliseconds since the Unix epoch in the Store API's form:
/// `2024-05-01T12:30:00.250Z` (what SQL's `api_ts` writes).
/// Times past the year 9999 (which no clock gives) show as its last millisecond.
pub fn api_time(ms: u64) -> String {
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

/// The discount amounts every line, method and cart carries: always zero here.
const NO_DISCOUNT: &[&str] = &["discount_total", "discount_subtotal", "discount_tax_total"];

/// A cart address. Medusa gives cart addresses ids; these are derived from the
/// cart's, one per role.
#[derive(Serialize)]
struct AddressShape<'a> {
    id: String,
    customer_id: (),
    #[serde(flatten)]
    address: &'a Address,
    metadata: (),
    created_at: String,
    updated_at: String,
}

impl<'a> AddressShape<'a> {
    fn of(cart: &Cart, address: Option<&'a Address>, role: &str) -> Option<Self> {
        let body = cart
            .id
            .as_str()
            .strip_prefix("cart_")
            .unwrap_or(cart.id.as_str());
        Some(AddressShape {
            id: format!("caaddr_{body}{role}"),
            customer_id: (),
            address: address?,
            metadata: (),
            created_at: api_time(cart.created_at_ms),
            updated_at: api_time(cart.updated_at_ms),
        })
    }
}

/// A line's (or the shipping method's) totals under Medusa's names; there are no
/// discounts, so the original amounts are the amounts.
#[derive(Serialize)]
struct TotalsShape {
    subtotal: Major,
    tax_total: Major,
    total: Major,
    original_subtotal: Major,
    original_tax_total: Major,
    original_total: Major,
    #[serde(flatten)]
    discounts: Zeros,
}

impl TotalsShape {
    fn of(t: &LineTotals, currency: CurrencyCode) -> Self {
        TotalsShape {
            subtotal: Major::of(t.subtotal, currency),
            tax_total: Major::of(t.tax, currency),
            total: Major::of(t.total, currency),
            original_subtotal: Major::of(t.subtotal, currency),
            original_tax_total: Major::of(t.tax, currency),
            original_total: Major::of(t.total, currency),
            discounts: Zeros(NO_DISCOUNT),
        }
    }
}

/// A line's own totals again under the `item_` names Medusa also gives.
#[derive(Serialize)]
struct ItemTotalsShape {
    item_subtotal: Major,
    item_tax_total: Major,
    item_total: Major,
}

/// The product of a line, as a line shows it (also under its variant).
#[derive(Serialize)]
struct LineProductShape<'a> {
    id: &'a ProductId,
    title: &'a str,
    handle: &'a str,
    thumbnail: Option<&'a str>,
}

#[derive(Serialize)]
struct LineVariantShape<'a> {
    id: &'a VariantId,
    title: &'a str,
    sku: Option<&'a str>,
    product_id: &'a ProductId,
    product: LineProductShape<'a>,
}

#[derive(Serialize)]
struct LineItemShape<'a> {
    id: &'a LineItemId,
    cart_id: &'a CartId,
    title: &'a str,
    subtitle: &'a str,
    thumbnail: Option<&'a str>,
    quantity: u32,
    variant_id: &'a VariantId,
    product_id: &'a ProductId,
    product_title: &'a str,
    product_handle: &'a str,
    variant_sku: Option<&'a str>,
    variant_title: &'a str,
    variant: LineVariantShape<'a>,
    product: LineProductShape<'a>,
    requires_shipping: bool,
    is_discountable: bool,
    is_giftcard: bool,
    is_tax_inclusive: bool,
    unit_price: Major,
    adjustments: Empty,
    created_at: String,
    updated_at: String,
    #[serde(flatten)]
    unkept: Nulls,
    #[serde(flatten)]
    totals: TotalsShape,
    #[serde(flatten)]
    item_totals: ItemTotalsShape,
}

impl<'a> LineItemShape<'a> {
    fn of(cart: &'a Cart, line: &'a LineItem, t: &LineTotals, thumbnail: Option<&'a str>) -> Self {
        let currency = cart.region.currency;
        let product = || LineProductShape {
            id: &line.product_id,
            title: &line.product_title,
            handle: &line.product_handle,
            thumbnail,
        };
        LineItemShape {
            id: &line.id,
            cart_id: &cart.id,
            title: &line.variant_title,
            subtitle: &line.product_title,
            thumbnail,
            quantity: line.quantity,
            variant_id: &line.variant_id,
            product_id: &line.product_id,
            product_title: &line.product_title,
            product_handle: &line.product_handle,
            variant_sku: line.sku.as_deref(),
            variant_title: &line.variant_title,
            variant: LineVariantShape {
                id: &line.variant_id,
                title: &line.variant_title,
                sku: line.sku.as_deref(),
                product_id: &line.product_id,
                product: product(),
            },
            product: product(),
            requires_shipping: true,
            is_discountable: true,
            is_giftcard: false,
            is_tax_inclusive: cart.region.tax_inclusive,
            unit_price: Major::of(line.unit_price, currency),
            adjustments: Empty,
            created_at: api_time(line.created_at_ms),
            updated_at: api_time(line.updated_at_ms),
            unkept: Nulls(&[
                "product_description",
                "product_subtitle",
                "product_type",
                "product_collection",
                "variant_barcode",
                "variant_option_values",
                "compare_at_unit_price",
                "metadata",
                "deleted_at",
            ]),
            totals: TotalsShape::of(t, currency),
            item_totals: ItemTotalsShape {
                item_subtotal: Major::of(t.subtotal, currency),
                item_tax_total: Major::of(t.tax, currency),
                item_total: Major::of(t.total, currency),
            },
        }
    }
}

#[derive(Serialize)]
struct ShippingMethodShape<'a> {
    id: &'a ShippingMethodId,
    cart_id: &'a CartId,
    name: &'a str,
    description: (),
    amount: Major,
    is_tax_inclusive: bool,
    shipping_option_id: &'a ShippingOptionId,
    data: Data,
    metadata: (),
    adjustments: Empty,
    /// A method keeps no times of its own; the cart's last change stands in.
    created_at: &'a str,
    updated_at: &'a str,
    #[serde(flatten)]
    totals: TotalsShape,
}

/// An empty object (`{}`), Medusa's `data` of a shipping method.
#[derive(Serialize)]
struct Data {}

/// The cart's amounts under Medusa's names.
#[derive(Serialize)]
struct CartTotalsShape {
    item_total: Major,
    item_subtotal: Major,
    item_tax_total: Major,
    original_item_total: Major,
    original_item_subtotal: Major,
    original_item_tax_total: Major,
    shipping_total: Major,
    shipping_subtotal: Major,
    shipping_tax_total: Major,
    original_shipping_total: Major,
    original_shipping_subtotal: Major,
    original_shipping_tax_total: Major,
    subtotal: Major,
    tax_total: Major,
    total: Major,
    original_total: Major,
    original_subtotal: Major,
    original_tax_total: Major,
    #[serde(flatten)]
    none: Zeros,
}

/// The cart as the Store API shows it (the object under `cart` in a response), with
/// line and cart totals.
#[derive(Serialize)]
pub struct CartShape<'a> {
    id: &'a CartId,
    region_id: &'a RegionId,
    customer_id: Option<&'a CustomerId>,
    sales_channel_id: (),
    email: Option<&'a Email>,
    currency_code: CurrencyCode,
    shipping_address: Option<AddressShape<'a>>,
    billing_address: Option<AddressShape<'a>>,
    items: Vec<LineItemShape<'a>>,
    shipping_methods: Vec<ShippingMethodShape<'a>>,
    promotions: Empty,
    metadata: (),
    completed_at: Option<String>,
    created_at: String,
    updated_at: &'a str,
    #[serde(flatten)]
    totals: CartTotalsShape,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<RegionShape<'a>>,
}

/// The cart's shape. `thumbnails` are the lines' image URLs (see [`thumbnails`]);
/// `region`, when given and the cart's, is shown expanded under `region`
/// (storefronts read its countries for the address form).
fn cart_shape<'a>(
    cart: &'a Cart,
    thumbnails: &'a [Option<String>],
    updated_at: &'a str,
    region: Option<&'a Region>,
) -> Result<CartShape<'a>, ApiError> {
    let currency = cart.region.currency;
    let m = |minor: i64| Major::of(minor, currency);
    let t = totals(cart)?;
    let items = cart
        .items
        .iter()
        .zip(&t.lines)
        .zip(thumbnails)
        .map(|((line, lt), thumb)| LineItemShape::of(cart, line, lt, thumb.as_deref()))
        .collect();
    let shipping_methods = cart
        .shipping_method
        .iter()
        .map(|method| ShippingMethodShape {
            id: &method.id,
            cart_id: &cart.id,
            name: &method.name,
            description: (),
            amount: Major::of(method.amount, currency),
            is_tax_inclusive: cart.region.tax_inclusive,
            shipping_option_id: &method.option_id,
            data: Data {},
            metadata: (),
            adjustments: Empty,
            created_at: updated_at,
            updated_at,
            totals: TotalsShape::of(
                &LineTotals {
                    amount: t.shipping_amount,
                    subtotal: t.shipping_subtotal,
                    tax: t.shipping_tax,
                    total: t.shipping_total,
                },
                currency,
            ),
        })
        .collect();
    Ok(CartShape {
        id: &cart.id,
        region_id: &cart.region.id,
        customer_id: cart.customer_id.as_ref(),
        sales_channel_id: (),
        email: cart.email.as_ref(),
        currency_code: currency,
        shipping_address: AddressShape::of(cart, cart.shipping_address.as_ref(), "S"),
        billing_address: AddressShape::of(cart, cart.billing_address.as_ref(), "B"),
        items,
        shipping_methods,
        promotions: Empty,
        metadata: (),
        completed_at: cart.completed.as_ref().map(|c| api_time(c.at_ms)),
        created_at: api_time(cart.created_at_ms),
        updated_at,
        totals: CartTotalsShape {
            item_total: m(t.item_total),
            item_subtotal: m(t.item_subtotal),
            item_tax_total: m(t.item_tax),
            original_item_total: m(t.item_total),
            original_item_subtotal: m(t.item_subtotal),
            original_item_tax_total: m(t.item_tax),
            shipping_total: m(t.shipping_total),
            shipping_subtotal: m(t.shipping_subtotal),
            shipping_tax_total: m(t.shipping_tax),
            original_shipping_total: m(t.shipping_total),
            original_shipping_subtotal: m(t.shipping_subtotal),
            original_shipping_tax_total: m(t.shipping_tax),
            subtotal: m(t.subtotal),
            tax_total: m(t.tax_total),
            total: m(t.total),
            original_total: m(t.total),
            original_subtotal: m(t.subtotal),
            original_tax_total: m(t.tax_total),
            none: Zeros(&[
                "item_discount_total",
                "shipping_discount_total",
                "discount_total",
                "discount_subtotal",
                "discount_tax_total",
                "gift_card_total",
                "gift_card_tax_total",
                "credit_line_total",
                "credit_line_subtotal",
                "credit_line_tax_total",
            ]),
        },
        region: region
            .filter(|r| r.id == cart.region.id)
            .map(RegionShape::of),
    })
}

/// The cart under `name` (`cart`, or `parent` of a deleted line) with `extra` fields
/// beside it, serialized: what a cart endpoint answers. `image_base` is the absolute
/// URL prefix of images, ending in `/`.
pub fn cart_body<E: Serialize>(
    cart: &Cart,
    image_base: &str,
    region: Option<&Region>,
    name: &'static str,
    extra: E,
) -> Result<crate::wire::Json, ApiError> {
    #[derive(Serialize)]
    struct Body<'a, E> {
        #[serde(flatten)]
        extra: E,
        #[serde(flatten)]
        cart: crate::wire::Named<'a, CartShape<'a>>,
    }
    let thumbnails: Vec<Option<String>> = cart
        .items
        .iter()
        .map(|line| {
            line.thumbnail
                .as_deref()
                .map(|k| format!("{image_base}{k}"))
        })
        .collect();
    let updated_at = api_time(cart.updated_at_ms);
    let shape = cart_shape(cart, &thumbnails, &updated_at, region)?;
    crate::wire::to_json(&Body {
        extra,
        cart: crate::wire::Named(name, &shape),
    })
}

/// No fields besides the cart.
#[derive(Serialize)]
pub struct NoFields {}

#[derive(Serialize)]
struct CalculatedPriceShape {
    calculated_amount: Major,
    original_amount: Major,
    currency_code: CurrencyCode,
    is_calculated_price_tax_inclusive: bool,
    calculated_amount_with_tax: Major,
    calculated_amount_without_tax: Major,
}

#[derive(Serialize)]
struct OptionPriceShape {
    currency_code: CurrencyCode,
    amount: Major,
}

#[derive(Serialize)]
struct ShippingOptionShape<'a> {
    id: &'a ShippingOptionId,
    name: &'a str,
    price_type: &'static str,
    amount: Major,
    is_tax_inclusive: bool,
    calculated_price: CalculatedPriceShape,
    prices: [OptionPriceShape; 1],
    insufficient_inventory: bool,
    #[serde(flatten)]
    unkept: Nulls,
}

/// The options the cart can choose (those of its region), as
/// `GET /store/shipping-options?cart_id=` answers, each with its amount for the cart
/// now, serialized.
pub fn shipping_options_body(
    cart: &Cart,
    options: &[ShippingOption],
) -> Result<crate::wire::Json, ApiError> {
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
            Ok(ShippingOptionShape {
                id: &q.option.id,
                name: &q.option.name,
                price_type: "flat",
                amount: Major::of(q.amount, currency),
                is_tax_inclusive: inclusive,
                calculated_price: CalculatedPriceShape {
                    calculated_amount: Major::of(q.amount, currency),
                    original_amount: Major::of(base, currency),
                    currency_code: currency,
                    is_calculated_price_tax_inclusive: inclusive,
                    calculated_amount_with_tax: Major::of(parts.total, currency),
                    calculated_amount_without_tax: Major::of(parts.subtotal, currency),
                },
                prices: [OptionPriceShape {
                    currency_code: currency,
                    amount: Major::of(base, currency),
                }],
                insufficient_inventory: false,
                unkept: Nulls(&[
                    "service_zone_id",
                    "shipping_profile_id",
                    "provider_id",
                    "data",
                    "type",
                    "provider",
                ]),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    crate::wire::to_json(&crate::wire::Named("shipping_options", &list))
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
    use serde_json::{json, Value};

    const IMAGES: &str = "https://shop.test/images/";

    /// The object under `cart` of the cart's body.
    fn cart_json(
        cart: &Cart,
        image_base: &str,
        region: Option<&Region>,
    ) -> Result<Value, ApiError> {
        let body = cart_body(cart, image_base, region, "cart", NoFields {})?;
        let mut v: Value = serde_json::from_str(body.get()).unwrap();
        Ok(v["cart"].take())
    }

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
        let body = shipping_options_body(&c, &options).unwrap();
        let v: Value = serde_json::from_str(body.get()).unwrap();
        let list = v["shipping_options"].as_array().unwrap();
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
