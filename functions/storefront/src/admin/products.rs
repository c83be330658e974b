//! The products pages: the store's products (drafts too), found by text and status;
//! one product's own fields in a form (new or existing), its options with their values,
//! the variants made from them and their stock; and one variant's own page.

use askama::Template;
use commerce::catalog::edit::options::{missing_combinations, GenerateInput};
use commerce::catalog::edit::variant::VariantInput;
use commerce::catalog::edit::{
    AdminProduct, AdminProductFilter, AdminVariant, FieldErrors, ProductInput, ProductStatus,
};
use commerce::ids::{OptionId, OptionValueId};
use commerce::money::CurrencyCode;
use commerce::params::{Page, SearchText};
use commerce::staff::{Member, Permission};
use commerce::ApiError;
use serde::Deserialize;

use super::{list_limit, list_offset, Frame, Pager, Shell};
use crate::listing::encode;
use crate::pages::{html, Rendered};

/// Products per page of the list.
pub const PRODUCTS_PER_PAGE: u32 = 50;

/// The list's query: `q`, `status`, `offset`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProductQuery {
    pub q: String,
    pub status: String,
    pub offset: String,
    /// Rows per page (the admin API's `limit`; the page uses the default).
    pub limit: String,
}

/// The query's filter and page, or the error naming the field.
pub fn product_filter(query: &ProductQuery) -> Result<(AdminProductFilter, Page), ApiError> {
    let q = match query.q.trim() {
        "" => None,
        text => Some(SearchText::parse(text)?),
    };
    let status =
        match query.status.trim() {
            "" => None,
            s => Some(ProductStatus::parse(s).ok_or_else(|| {
                ApiError::invalid("status", "must be draft, published or archived")
            })?),
        };
    let page = Page {
        limit: list_limit(&query.limit, PRODUCTS_PER_PAGE)?,
        offset: list_offset(&query.offset)?,
    };
    Ok((AdminProductFilter { q, status }, page))
}

struct StatusChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn statuses(selected: &str) -> Vec<StatusChoice> {
    ProductStatus::ALL
        .iter()
        .map(|s| StatusChoice {
            value: s.as_str(),
            label: s.label(),
            selected: s.as_str() == selected,
        })
        .collect()
}

struct ProductLine {
    href: String,
    title: String,
    handle: String,
    status: &'static str,
    variants: i64,
    updated: String,
}

#[derive(Template)]
#[template(path = "admin/products.html")]
struct ProductsPage<'a> {
    frame: Frame<'a>,
    q: &'a str,
    statuses: Vec<StatusChoice>,
    write: bool,
    rows: Vec<ProductLine>,
    pager: Pager,
}

fn shown_time(at: &str) -> String {
    at.replace('T', " ").trim_end_matches('Z').to_owned()
}

/// The products list: the filter form and the products it finds.
pub fn products_page(
    shell: &Shell,
    member: &Member,
    query: &ProductQuery,
    rows: &[AdminProduct],
    total: i64,
    page: Page,
) -> Result<Rendered, ApiError> {
    let href = |offset: u32| {
        format!(
            "/admin/products?q={}&status={}&offset={offset}",
            encode(query.q.trim()),
            encode(query.status.trim())
        )
    };
    html(
        200,
        &ProductsPage {
            frame: Frame::new("Products", Some(shell)),
            q: query.q.trim(),
            statuses: statuses(query.status.trim()),
            write: member.may(Permission::ProductWrite),
            rows: rows
                .iter()
                .map(|p| ProductLine {
                    href: format!("/admin/products/{}", p.id.as_str()),
                    title: p.title.clone(),
                    handle: p.handle.clone(),
                    status: p.status.label(),
                    variants: p.variant_count,
                    updated: shown_time(&p.updated_at),
                })
                .collect(),
            pager: Pager::new(page, rows.len(), total, href),
        },
    )
}

struct VariantLine {
    title: String,
    /// Its option values, "S / Sand".
    values: String,
    sku: String,
    href: String,
    stock_href: String,
    available: i64,
    managed: bool,
}

/// A price field of a variant form, one per currency of the store.
struct PriceField {
    code: String,
    label: String,
    value: String,
}

/// The price fields for `currencies`, with what was typed in `typed`.
fn price_fields(currencies: &[CurrencyCode], typed: &[(String, String)]) -> Vec<PriceField> {
    currencies
        .iter()
        .map(|c| PriceField {
            code: c.as_str().to_owned(),
            label: c.as_str().to_ascii_uppercase(),
            value: typed
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(c.as_str()))
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        })
        .collect()
}

/// A value of an option's form: emptied, it is removed.
struct ValueField {
    id: String,
    text: String,
}

/// An option's form (or the new-option form, `id` empty) as shown.
struct OptionForm {
    id: String,
    title: String,
    values: Vec<ValueField>,
    added: String,
    errors: FieldErrors,
    message: Option<String>,
    /// Variants that saving removes: the form asks to confirm.
    going: Vec<String>,
    /// Down to one value: the option may be removed.
    removable: bool,
}

/// An option's choice in the new-variant form.
struct OptionChoice {
    field: String,
    name: String,
    label: String,
    choices: Vec<(String, bool)>,
}

/// What an option form re-shows: which option (none: the new-option form), what was
/// typed, its problems, and the variants that saving would remove (asked first).
#[derive(Debug, Clone, Default)]
pub struct OptionNotice {
    pub target: Option<OptionId>,
    pub title: String,
    pub values: Vec<(OptionValueId, String)>,
    pub added: String,
    pub errors: FieldErrors,
    pub message: Option<String>,
    pub going: Vec<String>,
}

/// A category box or a collection choice of the product's page.
struct Choice {
    id: String,
    label: String,
    chosen: bool,
}

/// An image of the product as its page shows it.
struct ImageLine {
    id: String,
    src: String,
    alt: String,
    size: String,
    first: bool,
    last: bool,
}

/// What the upload form re-shows after a refusal: the alt text typed (a browser never
/// keeps the chosen file) and the reason; or a refused change of one image.
#[derive(Debug, Clone, Default)]
pub struct ImageNotice {
    /// Which image's form (none: the upload form).
    pub target: Option<commerce::ids::ImageId>,
    pub alt: String,
    pub message: String,
}

/// What the make-the-variants form re-shows.
#[derive(Debug, Clone, Default)]
pub struct GenerateNotice {
    pub input: GenerateInput,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/product.html")]
struct ProductPage<'a> {
    frame: Frame<'a>,
    /// `None`: a new product.
    id: Option<&'a str>,
    heading: String,
    write: bool,
    saved: Option<&'a str>,
    message: Option<String>,
    form: ProductInput,
    statuses: Vec<StatusChoice>,
    errors: FieldErrors,
    variants: Vec<VariantLine>,
    storefront_href: Option<String>,
    variant: VariantInput,
    prices: Vec<PriceField>,
    variant_errors: FieldErrors,
    variant_message: Option<String>,
    option_choices: Vec<OptionChoice>,
    options: Vec<OptionForm>,
    new_option: OptionForm,
    /// Combinations of option values without a variant yet.
    missing: usize,
    generate: GenerateInput,
    generate_prices: Vec<PriceField>,
    generate_errors: FieldErrors,
    generate_message: Option<String>,
    images: Vec<ImageLine>,
    category_boxes: Vec<Choice>,
    collection_choices: Vec<Choice>,
    image: ImageNotice,
    image_target: String,
    max_image_mb: usize,
    attribute_fields: Vec<AttributeField>,
    values_message: Option<String>,
}

/// What the new-variant form re-shows: the variant as typed, and its problems.
#[derive(Debug, Clone, Default)]
pub struct VariantNotice {
    pub input: VariantInput,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

/// What a product's page shows besides the product: refused forms, the currencies its
/// variants are priced in, and what was just saved.
#[derive(Default)]
pub struct ProductPageParts<'a> {
    pub product: Option<&'a AdminProduct>,
    pub notice: Option<ProductNotice>,
    pub variant: Option<VariantNotice>,
    pub option: Option<OptionNotice>,
    pub generate: Option<GenerateNotice>,
    pub image: Option<ImageNotice>,
    /// The store's category tree and collections, and the categories the product is in.
    pub categories: &'a [commerce::catalog::edit::category::AdminCategory],
    pub collections: &'a [commerce::catalog::edit::collection::AdminCollection],
    pub in_categories: &'a [commerce::ids::CategoryId],
    pub currencies: &'a [CurrencyCode],
    pub saved: Option<&'a str>,
    /// The store's attributes, and the product's values as typed when refused.
    pub attributes: &'a [commerce::catalog::attribute::Attribute],
    pub values: Option<ValuesNotice>,
}

/// What the attribute values form re-shows: the values as typed, and the problems.
#[derive(Debug, Clone, Default)]
pub struct ValuesNotice {
    pub typed: std::collections::BTreeMap<String, String>,
    pub message: String,
}

/// One attribute's field on the product's page.
struct AttributeField {
    /// `attr-<key>`.
    field: String,
    /// `attr.<key>`.
    name: String,
    label: String,
    /// `text`, `number`, `boolean` or `choice`.
    kind: &'static str,
    value: String,
    choices: Vec<String>,
}

/// What the product form re-shows: the fields as typed, and every field's problem (or
/// one message for the whole form).
#[derive(Debug, Clone, Default)]
pub struct ProductNotice {
    pub form: ProductInput,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

impl ProductNotice {
    /// A refusal of `form`: field problems beside their fields, a taken handle beside
    /// the handle, anything else above the form.
    pub fn refused(form: ProductInput, err: &ApiError) -> Self {
        let (errors, message) = match err {
            ApiError::InvalidParam { param, reason } => match param.as_str() {
                "title" | "handle" | "subtitle" | "description" | "status" => {
                    (FieldErrors(vec![(field_name(param), reason.clone())]), None)
                }
                _ => (FieldErrors::default(), Some(err.to_string())),
            },
            ApiError::Conflict {
                code: commerce::ErrorCode::DuplicateHandle,
                message,
            } => (FieldErrors(vec![("handle", message.clone())]), None),
            other => (FieldErrors::default(), Some(other.to_string())),
        };
        ProductNotice {
            form,
            errors,
            message,
        }
    }
}

fn field_name(param: &str) -> &'static str {
    match param {
        "title" => "title",
        "handle" => "handle",
        "subtitle" => "subtitle",
        "description" => "description",
        "educational_content" => "educational_content",
        _ => "status",
    }
}

/// A product's fields as the form shows them.
pub fn product_form(p: &AdminProduct) -> ProductInput {
    ProductInput {
        title: p.title.clone(),
        handle: p.handle.clone(),
        subtitle: p.subtitle.clone().unwrap_or_default(),
        description: p.description.clone(),
        educational_content: p.educational_content.clone(),
        status: p.status.as_str().to_owned(),
    }
}

/// The form for a new product (`product` none) or an existing one, with its variants
/// and the form that adds one; refused forms come back as typed, with their problems.
pub fn product_page(
    shell: &Shell,
    member: &Member,
    parts: ProductPageParts<'_>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let product = parts.product;
    let notice = parts.notice.unwrap_or_else(|| ProductNotice {
        form: product.map(product_form).unwrap_or_else(|| ProductInput {
            status: ProductStatus::Draft.as_str().to_owned(),
            ..ProductInput::default()
        }),
        ..ProductNotice::default()
    });
    let variant = parts.variant.unwrap_or_else(|| VariantNotice {
        input: VariantInput {
            manage_inventory: true,
            ..VariantInput::default()
        },
        ..VariantNotice::default()
    });
    let prices = price_fields(parts.currencies, &variant.input.prices);
    let option = parts.option.unwrap_or_default();
    let options = product
        .map(|p| {
            p.options
                .iter()
                .map(|o| {
                    let mine = option.target.as_ref() == Some(&o.id);
                    let values = o
                        .values
                        .iter()
                        .map(|(id, text)| ValueField {
                            id: id.as_str().to_owned(),
                            text: match mine {
                                true => option
                                    .values
                                    .iter()
                                    .find(|(v, _)| v == id)
                                    .map(|(_, t)| t.clone())
                                    .unwrap_or_else(|| text.clone()),
                                false => text.clone(),
                            },
                        })
                        .collect();
                    OptionForm {
                        id: o.id.as_str().to_owned(),
                        title: match mine && !option.title.is_empty() {
                            true => option.title.clone(),
                            false => o.title.clone(),
                        },
                        values,
                        added: if mine {
                            option.added.clone()
                        } else {
                            String::new()
                        },
                        errors: if mine {
                            option.errors.clone()
                        } else {
                            FieldErrors::default()
                        },
                        message: if mine { option.message.clone() } else { None },
                        going: if mine {
                            option.going.clone()
                        } else {
                            Vec::new()
                        },
                        removable: o.values.len() <= 1,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let new_option = match option.target {
        None => OptionForm {
            id: String::new(),
            title: option.title,
            values: Vec::new(),
            added: option.added,
            errors: option.errors,
            message: option.message,
            going: Vec::new(),
            removable: false,
        },
        Some(_) => OptionForm {
            id: String::new(),
            title: String::new(),
            values: Vec::new(),
            added: String::new(),
            errors: FieldErrors::default(),
            message: None,
            going: Vec::new(),
            removable: false,
        },
    };
    let option_choices = product
        .map(|p| {
            p.options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let chosen = variant
                        .input
                        .options
                        .iter()
                        .find(|(t, _)| t == &o.title)
                        .map(|(_, v)| v.as_str());
                    OptionChoice {
                        field: format!("variant-option-{i}"),
                        name: format!("option.{}", o.title),
                        label: o.title.clone(),
                        choices: o
                            .values
                            .iter()
                            .map(|(_, v)| (v.clone(), chosen == Some(v.as_str())))
                            .collect(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let generate = parts.generate.unwrap_or_else(|| GenerateNotice {
        input: GenerateInput {
            manage_inventory: true,
            ..GenerateInput::default()
        },
        ..GenerateNotice::default()
    });
    let missing = product.map(|p| missing_combinations(p).len()).unwrap_or(0);
    let image = parts.image.unwrap_or_default();
    let heading = match product {
        Some(p) => p.title.clone(),
        None => "New product".to_owned(),
    };
    html(
        status,
        &ProductPage {
            frame: Frame::new(heading.clone(), Some(shell)),
            id: product.map(|p| p.id.as_str()),
            heading,
            write: member.may(Permission::ProductWrite),
            saved: parts.saved,
            message: notice.message,
            statuses: statuses(notice.form.status.trim()),
            form: notice.form,
            errors: notice.errors,
            variants: product
                .map(|p| {
                    p.variants
                        .iter()
                        .map(|v| VariantLine {
                            title: v.title.clone(),
                            values: v
                                .options
                                .iter()
                                .map(|o| o.value.as_str())
                                .collect::<Vec<_>>()
                                .join(" / "),
                            sku: v.sku.clone().unwrap_or_default(),
                            href: format!(
                                "/admin/products/{}/variants/{}",
                                p.id.as_str(),
                                v.id.as_str()
                            ),
                            stock_href: format!("/admin/stock/{}", v.id.as_str()),
                            available: v.stocked - v.reserved,
                            managed: v.manage_inventory,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            storefront_href: product
                .filter(|p| p.status == ProductStatus::Published)
                .map(|p| format!("/products/{}", p.handle)),
            variant: variant.input,
            prices,
            variant_errors: variant.errors,
            variant_message: variant.message,
            option_choices,
            options,
            new_option,
            missing,
            generate_prices: price_fields(parts.currencies, &generate.input.prices),
            generate: generate.input,
            generate_errors: generate.errors,
            generate_message: generate.message,
            images: product
                .map(|p| {
                    let count = p.images.len();
                    p.images
                        .iter()
                        .enumerate()
                        .map(|(i, image)| ImageLine {
                            id: image.id.as_str().to_owned(),
                            src: format!("/images/{}", image.key),
                            alt: image.alt.clone(),
                            size: format!("{} x {} pixels", image.width, image.height),
                            first: i == 0,
                            last: i + 1 == count,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            category_boxes: parts
                .categories
                .iter()
                .map(|c| Choice {
                    id: c.id.as_str().to_owned(),
                    label: format!("{}{}", "— ".repeat(c.depth.max(0) as usize), c.name),
                    chosen: parts.in_categories.contains(&c.id),
                })
                .collect(),
            collection_choices: parts
                .collections
                .iter()
                .map(|c| Choice {
                    id: c.id.as_str().to_owned(),
                    label: c.title.clone(),
                    chosen: product.and_then(|p| p.collection_id.as_ref()) == Some(&c.id),
                })
                .collect(),
            image_target: image
                .target
                .as_ref()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            image,
            max_image_mb: commerce::catalog::edit::images::MAX_IMAGE_BYTES / (1024 * 1024),
            attribute_fields: parts
                .attributes
                .iter()
                .map(|a| AttributeField {
                    field: format!("attr-{}", a.key),
                    name: format!("attr.{}", a.key),
                    label: a.label.clone(),
                    kind: a.kind.as_str(),
                    value: match &parts.values {
                        Some(notice) => notice.typed.get(&a.key).cloned().unwrap_or_default(),
                        None => commerce::catalog::attribute::text_of(
                            product.and_then(|p| p.attributes.get(&a.key)),
                        ),
                    },
                    choices: a.choices.clone(),
                })
                .collect(),
            values_message: parts.values.map(|n| n.message),
        },
    )
}

/// A variant's fields as its form shows them.
pub fn variant_form(v: &AdminVariant) -> VariantInput {
    VariantInput {
        title: v.title.clone(),
        sku: v.sku.clone().unwrap_or_default(),
        barcode: v.barcode.clone().unwrap_or_default(),
        manage_inventory: v.manage_inventory,
        allow_backorder: v.allow_backorder,
        prices: v
            .prices
            .iter()
            .map(|(c, a)| {
                let money = commerce::money::Money::new(*a, *c);
                (c.as_str().to_owned(), money.to_decimal_string())
            })
            .collect(),
        weight: v.weight_g.map(|g| g.to_string()).unwrap_or_default(),
        options: Vec::new(),
    }
}

#[derive(Template)]
#[template(path = "admin/variant.html")]
struct VariantPage<'a> {
    frame: Frame<'a>,
    product_title: String,
    product_href: String,
    action: String,
    heading: String,
    write: bool,
    saved: Option<&'a str>,
    form: VariantInput,
    prices: Vec<PriceField>,
    errors: FieldErrors,
    message: Option<String>,
    values: Vec<(String, String)>,
    stock_href: String,
    remove_message: Option<String>,
}

/// What a variant's page shows: the product and variant, a refused form (as typed,
/// with its problems) or a refused removal, and what was just saved.
pub struct VariantPageParts<'a> {
    pub product: &'a AdminProduct,
    pub variant: &'a AdminVariant,
    pub notice: Option<VariantNotice>,
    pub remove_message: Option<String>,
    pub currencies: &'a [CurrencyCode],
    pub saved: Option<&'a str>,
}

/// A variant's page: its fields in a form, its option values, its stock's page, and
/// the form that removes it.
pub fn variant_page(
    shell: &Shell,
    member: &Member,
    parts: VariantPageParts<'_>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let (product, variant) = (parts.product, parts.variant);
    let notice = parts.notice.unwrap_or_else(|| VariantNotice {
        input: variant_form(variant),
        ..VariantNotice::default()
    });
    let product_href = format!("/admin/products/{}", product.id.as_str());
    html(
        status,
        &VariantPage {
            frame: Frame::new(
                format!("{} · {}", variant.title, product.title),
                Some(shell),
            ),
            product_title: product.title.clone(),
            action: format!("{product_href}/variants/{}", variant.id.as_str()),
            product_href,
            heading: variant.title.clone(),
            write: member.may(Permission::ProductWrite),
            saved: parts.saved,
            prices: price_fields(parts.currencies, &notice.input.prices),
            form: notice.input,
            errors: notice.errors,
            message: notice.message,
            values: product
                .options
                .iter()
                .map(|o| {
                    let value = variant
                        .options
                        .iter()
                        .find(|v| v.option_id == o.id)
                        .map(|v| v.value.clone())
                        .unwrap_or_default();
                    (o.title.clone(), value)
                })
                .collect(),
            stock_href: format!("/admin/stock/{}", variant.id.as_str()),
            remove_message: parts.remove_message,
        },
    )
}
