//! The catalog in Medusa v2's Store API shapes, as `Serialize` views over the domain
//! types: a response is written from these straight to its bytes.

use serde::Serialize;

use super::{ApiContext, Pricing};
use crate::catalog::category::{Category, CategoryLink};
use crate::catalog::collection::Collection;
use crate::catalog::product::{
    AttributeValue, CategoryRef, CollectionRef, ImageRow, OptionRow, OptionValueRow, Product,
    VariantRow,
};
use crate::catalog::rich_text;
use crate::ids::{
    CategoryId, CollectionId, ImageId, OptionId, OptionValueId, PriceId, ProductId, RegionId,
    VariantId,
};
use crate::money::{apply_tax, CurrencyCode, Money};
use crate::region::{Country, Region};
use crate::wire::{Empty, Major, Nulls};

/// Medusa's physical and customs fields, kept neither on products nor on variants.
const UNKEPT_GOODS_FIELDS: &[&str] = &[
    "length",
    "height",
    "width",
    "hs_code",
    "origin_country",
    "mid_code",
    "material",
];

// ---------------------------------------------------------------- regions

/// A region (also inside carts).
#[derive(Serialize)]
pub struct RegionShape<'a> {
    id: &'a RegionId,
    name: &'a str,
    currency_code: CurrencyCode,
    automatic_taxes: bool,
    is_tax_inclusive: bool,
    /// Percent: 20.0 for 2000 basis points.
    tax_rate: f64,
    countries: &'a [Country],
    metadata: (),
    created_at: &'a str,
    updated_at: &'a str,
    deleted_at: (),
}

impl<'a> RegionShape<'a> {
    pub fn of(r: &'a Region) -> Self {
        RegionShape {
            id: &r.id,
            name: &r.name,
            currency_code: r.currency,
            automatic_taxes: true,
            is_tax_inclusive: r.tax_inclusive,
            tax_rate: f64::from(r.tax_rate.basis_points()) / 100.0,
            countries: &r.countries,
            metadata: (),
            created_at: &r.created_at,
            updated_at: &r.updated_at,
            deleted_at: (),
        }
    }
}

// ---------------------------------------------------------------- products

/// A product with its options, variants (priced when the request gave a currency or
/// region) and images.
#[derive(Serialize)]
pub struct ProductShape<'a> {
    id: &'a ProductId,
    title: &'a str,
    subtitle: Option<&'a str>,
    description: &'a str,
    handle: &'a str,
    status: &'static str,
    is_giftcard: bool,
    discountable: bool,
    thumbnail: Option<String>,
    collection_id: Option<&'a CollectionId>,
    collection: Option<&'a CollectionRef>,
    tags: Empty,
    categories: &'a [CategoryRef],
    options: Vec<ProductOptionShape<'a>>,
    variants: Vec<VariantShape<'a>>,
    images: Vec<ImageShape<'a>>,
    /// The store's own typed facts (not in Medusa's shape; its clients pass it on).
    attributes: &'a [AttributeValue],
    /// The product's educational content as typed (rich text), and as HTML made from
    /// that grammar alone (safe to show as it is). Not in Medusa's shape either.
    educational_content: &'a str,
    educational_content_html: String,
    external_id: (),
    metadata: (),
    created_at: &'a str,
    updated_at: &'a str,
    deleted_at: (),
    #[serde(flatten)]
    unkept: Nulls,
    #[serde(flatten)]
    goods: Nulls,
}

impl<'a> ProductShape<'a> {
    pub(super) fn of(ctx: &ApiContext<'_>, p: &'a Product, pricing: &'a Pricing) -> Self {
        ProductShape {
            id: &p.id,
            title: &p.title,
            subtitle: p.subtitle.as_deref(),
            description: &p.description,
            handle: &p.handle,
            status: p.status.as_str(),
            is_giftcard: false,
            discountable: true,
            thumbnail: p.thumbnail_key.as_deref().map(|k| ctx.image_url(k)),
            collection_id: p.collection.as_ref().map(|c| &c.id),
            collection: p.collection.as_ref(),
            tags: Empty,
            categories: &p.categories,
            options: p
                .options
                .iter()
                .map(|o| ProductOptionShape::of(p, o))
                .collect(),
            variants: p
                .variants
                .iter()
                .map(|v| VariantShape::of(p, v, pricing))
                .collect(),
            images: p.images.iter().map(|i| ImageShape::of(ctx, i)).collect(),
            attributes: &p.attributes,
            educational_content: &p.educational_content,
            educational_content_html: rich_text::to_html(&p.educational_content),
            external_id: (),
            metadata: (),
            created_at: &p.created_at,
            updated_at: &p.updated_at,
            deleted_at: (),
            unkept: Nulls(&["type_id", "type", "weight"]),
            goods: Nulls(UNKEPT_GOODS_FIELDS),
        }
    }
}

#[derive(Serialize)]
struct ProductOptionShape<'a> {
    id: &'a OptionId,
    title: &'a str,
    product_id: &'a ProductId,
    values: Vec<OptionValueShape<'a>>,
}

impl<'a> ProductOptionShape<'a> {
    fn of(p: &'a Product, o: &'a OptionRow) -> Self {
        ProductOptionShape {
            id: &o.id,
            title: &o.title,
            product_id: &p.id,
            values: o
                .values
                .iter()
                .map(|v| OptionValueShape::of(v, None))
                .collect(),
        }
    }
}

/// An option value; on a variant it also names its option (`option.title`).
#[derive(Serialize)]
struct OptionValueShape<'a> {
    id: &'a OptionValueId,
    value: &'a str,
    option_id: &'a OptionId,
    #[serde(skip_serializing_if = "Option::is_none")]
    option: Option<OptionRefShape<'a>>,
}

#[derive(Serialize)]
struct OptionRefShape<'a> {
    id: &'a OptionId,
    title: &'a str,
}

impl<'a> OptionValueShape<'a> {
    fn of(v: &'a OptionValueRow, option_title: Option<&'a str>) -> Self {
        OptionValueShape {
            id: &v.id,
            value: &v.value,
            option_id: &v.option_id,
            option: option_title.map(|title| OptionRefShape {
                id: &v.option_id,
                title,
            }),
        }
    }
}

#[derive(Serialize)]
struct VariantShape<'a> {
    id: &'a VariantId,
    title: &'a str,
    sku: Option<&'a str>,
    barcode: Option<&'a str>,
    allow_backorder: bool,
    manage_inventory: bool,
    /// Never below zero, whatever the ledger says.
    inventory_quantity: i64,
    weight: Option<i32>,
    variant_rank: i32,
    product_id: &'a ProductId,
    options: Vec<OptionValueShape<'a>>,
    calculated_price: Option<PriceShape<'a>>,
    metadata: (),
    created_at: &'a str,
    updated_at: &'a str,
    deleted_at: (),
    #[serde(flatten)]
    unkept: Nulls,
    #[serde(flatten)]
    goods: Nulls,
}

impl<'a> VariantShape<'a> {
    fn of(p: &'a Product, v: &'a VariantRow, pricing: &'a Pricing) -> Self {
        let option_title = |id: &OptionId| {
            p.options
                .iter()
                .find(|o| &o.id == id)
                .map(|o| o.title.as_str())
        };
        VariantShape {
            id: &v.id,
            title: &v.title,
            sku: v.sku.as_deref(),
            barcode: v.barcode.as_deref(),
            allow_backorder: v.allow_backorder,
            manage_inventory: v.manage_inventory,
            inventory_quantity: v.inventory_quantity.max(0),
            weight: v.weight_g,
            variant_rank: v.rank,
            product_id: &p.id,
            options: v
                .options
                .iter()
                .map(|o| OptionValueShape::of(o, option_title(&o.option_id)))
                .collect(),
            calculated_price: PriceShape::of(v, pricing),
            metadata: (),
            created_at: &v.created_at,
            updated_at: &v.updated_at,
            deleted_at: (),
            unkept: Nulls(&["ean", "upc"]),
            goods: Nulls(UNKEPT_GOODS_FIELDS),
        }
    }
}

/// A variant's price in the request's currency; with a region, also with and without
/// its tax.
#[derive(Serialize)]
struct PriceShape<'a> {
    id: &'a PriceId,
    currency_code: CurrencyCode,
    is_calculated_price_price_list: bool,
    is_calculated_price_tax_inclusive: bool,
    calculated_amount: Major,
    is_original_price_price_list: bool,
    is_original_price_tax_inclusive: bool,
    original_amount: Major,
    calculated_price: PriceRefShape<'a>,
    original_price: PriceRefShape<'a>,
    #[serde(flatten)]
    taxed: Option<TaxedShape>,
}

#[derive(Serialize)]
struct PriceRefShape<'a> {
    id: &'a PriceId,
    price_list_id: (),
    price_list_type: (),
    min_quantity: (),
    max_quantity: (),
}

#[derive(Serialize)]
struct TaxedShape {
    calculated_amount_with_tax: Major,
    calculated_amount_without_tax: Major,
    original_amount_with_tax: Major,
    original_amount_without_tax: Major,
}

impl<'a> PriceShape<'a> {
    fn of(v: &'a VariantRow, pricing: &Pricing) -> Option<Self> {
        let (currency, price) = (pricing.currency()?, v.price.as_ref()?);
        let amount = Money::new(price.amount, currency);
        let taxed = match pricing {
            Pricing::Region(region) => {
                apply_tax(amount, region.tax_rate, region.tax_inclusive).ok()
            }
            _ => None,
        };
        let tax_inclusive = match pricing {
            Pricing::Region(region) if taxed.is_some() => region.tax_inclusive,
            _ => false,
        };
        let price_ref = || PriceRefShape {
            id: &price.id,
            price_list_id: (),
            price_list_type: (),
            min_quantity: (),
            max_quantity: (),
        };
        Some(PriceShape {
            id: &price.id,
            currency_code: currency,
            is_calculated_price_price_list: false,
            is_calculated_price_tax_inclusive: tax_inclusive,
            calculated_amount: Major(amount),
            is_original_price_price_list: false,
            is_original_price_tax_inclusive: tax_inclusive,
            original_amount: Major(amount),
            calculated_price: price_ref(),
            original_price: price_ref(),
            taxed: taxed.map(|t| TaxedShape {
                calculated_amount_with_tax: Major(t.gross),
                calculated_amount_without_tax: Major(t.net),
                original_amount_with_tax: Major(t.gross),
                original_amount_without_tax: Major(t.net),
            }),
        })
    }
}

#[derive(Serialize)]
struct ImageShape<'a> {
    id: &'a ImageId,
    url: String,
    rank: i32,
    metadata: ImageMetadata<'a>,
}

#[derive(Serialize)]
struct ImageMetadata<'a> {
    alt: &'a str,
    width: i32,
    height: i32,
}

impl<'a> ImageShape<'a> {
    fn of(ctx: &ApiContext<'_>, i: &'a ImageRow) -> Self {
        ImageShape {
            id: &i.id,
            url: ctx.image_url(&i.r2_key),
            rank: i.rank,
            metadata: ImageMetadata {
                alt: &i.alt,
                width: i.width,
                height: i.height,
            },
        }
    }
}

// ---------------------------------------------------------------- categories

#[derive(Serialize)]
pub struct CategoryShape<'a> {
    id: &'a CategoryId,
    name: &'a str,
    description: &'a str,
    handle: &'a str,
    rank: i32,
    parent_category_id: Option<&'a CategoryId>,
    parent_category: Option<&'a CategoryLink>,
    category_children: &'a [CategoryLink],
    metadata: (),
    created_at: &'a str,
    updated_at: &'a str,
    deleted_at: (),
}

impl<'a> CategoryShape<'a> {
    pub fn of(c: &'a Category) -> Self {
        CategoryShape {
            id: &c.id,
            name: &c.name,
            description: &c.description,
            handle: &c.handle,
            rank: c.rank,
            parent_category_id: c.parent.as_ref().map(|p| &p.id),
            parent_category: c.parent.as_ref(),
            category_children: &c.children,
            metadata: (),
            created_at: &c.created_at,
            updated_at: &c.updated_at,
            deleted_at: (),
        }
    }
}

// ---------------------------------------------------------------- collections

#[derive(Serialize)]
pub struct CollectionShape<'a> {
    id: &'a CollectionId,
    title: &'a str,
    handle: &'a str,
    metadata: CollectionMetadata,
    created_at: &'a str,
    updated_at: &'a str,
    deleted_at: (),
}

#[derive(Serialize)]
struct CollectionMetadata {
    featured: bool,
}

impl<'a> CollectionShape<'a> {
    pub fn of(c: &'a Collection) -> Self {
        CollectionShape {
            id: &c.id,
            title: &c.title,
            handle: &c.handle,
            metadata: CollectionMetadata {
                featured: c.featured,
            },
            created_at: &c.created_at,
            updated_at: &c.updated_at,
            deleted_at: (),
        }
    }
}
