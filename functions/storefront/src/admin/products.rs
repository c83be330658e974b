//! The products pages: the store's products (drafts too), found by text and status, and
//! one product's own fields in a form (new or existing), with its variants and their
//! stock.

use askama::Template;
use commerce::catalog::edit::variant::VariantInput;
use commerce::catalog::edit::{
    AdminProduct, AdminProductFilter, FieldErrors, ProductInput, ProductStatus,
};
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
    let status = match query.status.trim() {
        "" => None,
        s => Some(
            ProductStatus::parse(s)
                .ok_or_else(|| ApiError::invalid("status", "must be draft or published"))?,
        ),
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
    sku: String,
    stock_href: String,
    available: i64,
    managed: bool,
}

/// A price field of the new-variant form.
struct PriceField {
    code: String,
    label: String,
    value: String,
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
    pub currencies: &'a [CurrencyCode],
    pub saved: Option<&'a str>,
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
    let prices = parts
        .currencies
        .iter()
        .map(|c| PriceField {
            code: c.as_str().to_owned(),
            label: c.as_str().to_ascii_uppercase(),
            value: variant
                .input
                .prices
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(c.as_str()))
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        })
        .collect();
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
                            sku: v.sku.clone().unwrap_or_default(),
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
        },
    )
}
