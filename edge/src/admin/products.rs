//! Products at `/admin/products`: the pages, and Medusa's product paths of the admin
//! API on the same routes (`{products, count, offset, limit}`, `{product}`). A product's
//! own fields only; each change is audited in the same transaction, and
//! `commerce::catalog::edit` checks the fields and sends the event.

use commerce::catalog::edit::variant::{self, VariantInput};
use commerce::catalog::edit::{self, admin_product_json, ProductInput};
use commerce::ids::ProductId;
use commerce::staff::audit::Entry;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use storefront::admin::products::{
    product_filter, product_form, product_page, products_page, ProductNotice, ProductPageParts,
    ProductQuery, VariantNotice,
};
use tokio_postgres::Client;
use worker::Response;

use super::{api_json, audited, render};
use crate::context::Cx;
use crate::http;

/// The product of the path's `:id`; a malformed id is not found.
fn product_id(cx: &Cx) -> Result<ProductId, ApiError> {
    let raw = cx.param(0);
    ProductId::parse(raw).map_err(|_| ApiError::not_found("Product", "id", raw.to_owned()))
}

/// `GET /admin/products?q=&status=&offset=`: the page, or Medusa's list.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    let query: ProductQuery = cx.query_as()?;
    let (filter, page) = product_filter(&query)?;
    if cx.wants_json() {
        let store = &cx.member()?.store_id;
        let (rows, count) = cx
            .with_db(async |client: &Client| edit::list(client, store, &filter, page).await)
            .await?;
        let base = cx.image_base();
        let products: Vec<_> = rows.iter().map(|p| admin_product_json(p, &base)).collect();
        return api_json(&json!({
            "products": products, "count": count, "offset": page.offset, "limit": page.limit,
        }));
    }
    render(cx, async |client, member, shell| {
        let (rows, total) = edit::list(client, &member.store_id, &filter, page).await?;
        products_page(shell, member, &query, &rows, total, page)
    })
    .await
}

/// `GET /admin/products/new`: the form for a new product.
pub async fn new(cx: &mut Cx) -> Result<Response, ApiError> {
    render(cx, async |_, member, shell| {
        product_page(shell, member, ProductPageParts::default(), 200)
    })
    .await
}

/// The product's page: `notice` re-shows a refused product form, `variant` a refused
/// new variant, `saved` says what was saved.
async fn page(
    cx: &Cx,
    id: Option<&ProductId>,
    notice: Option<ProductNotice>,
    variant: Option<VariantNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let product = match id {
            Some(id) => Some(edit::one(client, &member.store_id, id).await?),
            None => None,
        };
        let currencies = variant::store_currencies(client, &member.store_id).await?;
        let parts = ProductPageParts {
            product: product.as_ref(),
            notice,
            variant,
            currencies: &currencies,
            saved,
        };
        product_page(shell, member, parts, status)
    })
    .await
}

/// The product as Medusa's admin API answers it.
async fn answer(cx: &Cx, id: &ProductId) -> Result<Response, ApiError> {
    let store = &cx.member()?.store_id;
    let product = cx
        .with_db(async |client: &Client| edit::one(client, store, id).await)
        .await?;
    api_json(&json!({ "product": admin_product_json(&product, &cx.image_base()) }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SavedQuery {
    saved: String,
}

/// `GET /admin/products/:id`: the page, or Medusa's `{product}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    if cx.wants_json() {
        return answer(cx, &id).await;
    }
    let query: SavedQuery = cx.query_as()?;
    let saved = match query.saved.as_str() {
        "created" => Some("Created as a draft. Add its variants, then publish it."),
        "saved" => Some("Saved. The shop shows the change within a few minutes."),
        "variant" => Some("Variant added. Give it stock from its stock page, then publish."),
        _ => None,
    };
    page(cx, Some(&id), None, None, saved, 200).await
}

/// Medusa's product body, as far as this store writes it: absent fields stay as they
/// are on an update. Options and variants are refused rather than ignored.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ProductBody {
    title: Option<String>,
    handle: Option<String>,
    subtitle: Option<String>,
    description: Option<String>,
    status: Option<String>,
    options: Vec<Value>,
    variants: Vec<Value>,
}

impl ProductBody {
    /// `base` with the fields the body names.
    fn over(self, base: ProductInput) -> Result<ProductInput, ApiError> {
        if !self.options.is_empty() || !self.variants.is_empty() {
            return Err(ApiError::invalid(
                "variants",
                "options and variants are not written through this path yet; send the product's own fields",
            ));
        }
        Ok(ProductInput {
            title: self.title.unwrap_or(base.title),
            handle: self.handle.unwrap_or(base.handle),
            subtitle: self.subtitle.unwrap_or(base.subtitle),
            description: self.description.unwrap_or(base.description),
            status: self.status.unwrap_or(base.status),
        })
    }
}

/// Creates a product from `input` with its audit record; answers its id.
async fn create_from(cx: &Cx, input: &ProductInput) -> Result<ProductId, ApiError> {
    let fields = input.check().map_err(|e| e.into_error())?;
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let id = edit::create(tx, &store, &fields, Some(&trace)).await?;
        let entry = Entry {
            action: "product.create",
            target_id: None,
            change: json!({ "id": id, "title": [null, fields.title], "handle": [null, fields.handle.as_str()] }),
        };
        Ok((id, entry))
    })
    .await
}

/// Changes product `id` to `input` with its audit record.
async fn update_from(cx: &Cx, id: &ProductId, input: &ProductInput) -> Result<(), ApiError> {
    let fields = input.check().map_err(|e| e.into_error())?;
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let before = edit::update(tx, &store, id, &fields, Some(&trace)).await?;
        let entry = Entry {
            action: "product.update",
            target_id: Some(id.as_str()),
            change: json!({
                "title": [before.title, fields.title],
                "handle": [before.handle, fields.handle.as_str()],
                "status": [before.status.as_str(), fields.status.as_str()],
            }),
        };
        Ok(((), entry))
    })
    .await
}

/// The refusal of a form as the page shows it: every field's problem when the fields
/// themselves are wrong, else the one error.
async fn refused(
    cx: &Cx,
    id: Option<&ProductId>,
    form: ProductInput,
    err: &ApiError,
) -> Result<Response, ApiError> {
    let notice = match form.check() {
        Err(errors) => ProductNotice {
            form,
            errors,
            message: None,
        },
        Ok(_) => ProductNotice::refused(form, err),
    };
    page(cx, id, Some(notice), None, None, err.status()).await
}

/// `POST /admin/products`: a new product (a draft until it has variants).
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let body: ProductBody = cx.json_as().await?;
        let input = body.over(ProductInput::default())?;
        let id = create_from(cx, &input).await?;
        return answer(cx, &id).await;
    }
    let form: ProductInput = cx.form().await?;
    match create_from(cx, &form).await {
        Ok(id) => http::see_other(&format!("/admin/products/{}?saved=created", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            refused(cx, None, form, &err).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/products/:id`: changes the product's own fields.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    if cx.wants_json() {
        let body: ProductBody = cx.json_as().await?;
        let store = cx.member()?.store_id.clone();
        let current = cx
            .with_db(async |client: &Client| edit::one(client, &store, &id).await)
            .await?;
        let input = body.over(product_form(&current))?;
        update_from(cx, &id, &input).await?;
        return answer(cx, &id).await;
    }
    let form: ProductInput = cx.form().await?;
    match update_from(cx, &id, &form).await {
        Ok(()) => http::see_other(&format!("/admin/products/{}?saved=saved", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            refused(cx, Some(&id), form, &err).await
        }
        Err(err) => Err(err),
    }
}

/// Medusa's variant price: `amount` in major units.
#[derive(Deserialize)]
struct PriceBody {
    currency_code: String,
    amount: Value,
}

/// Medusa's new variant body, as far as this store writes it.
#[derive(Deserialize, Default)]
#[serde(default)]
struct VariantBody {
    title: String,
    sku: Option<String>,
    manage_inventory: Option<bool>,
    allow_backorder: Option<bool>,
    prices: Vec<PriceBody>,
    options: BTreeMap<String, Value>,
}

impl VariantBody {
    fn input(self) -> Result<VariantInput, ApiError> {
        if !self.options.is_empty() {
            return Err(ApiError::invalid(
                "options",
                "options are not written through this path yet; send the variant without them",
            ));
        }
        Ok(VariantInput {
            title: self.title,
            sku: self.sku.unwrap_or_default(),
            manage_inventory: self.manage_inventory.unwrap_or(true),
            allow_backorder: self.allow_backorder.unwrap_or(false),
            prices: self
                .prices
                .into_iter()
                .map(|p| {
                    let amount = match p.amount {
                        Value::String(text) => text,
                        other => other.to_string(),
                    };
                    (p.currency_code, amount)
                })
                .collect(),
        })
    }
}

/// The new-variant form: `title`, `sku`, `price.<currency>`, and the two boxes.
fn variant_from_form(form: &BTreeMap<String, String>) -> VariantInput {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    VariantInput {
        title: field("title"),
        sku: field("sku"),
        manage_inventory: field("manage_inventory") == "yes",
        allow_backorder: field("allow_backorder") == "yes",
        prices: form
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("price.").map(|c| (c.to_owned(), v.clone())))
            .collect(),
    }
}

/// Adds a variant from `input` to product `id`, with its audit record.
async fn add_from(cx: &Cx, id: &ProductId, input: &VariantInput) -> Result<(), ApiError> {
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let currencies = variant::store_currencies(tx, &store).await?;
        let fields = input.check(&currencies).map_err(|e| e.into_error())?;
        let made = variant::add_variant(tx, &store, id, &fields, Some(&trace)).await?;
        let entry = Entry {
            action: "product.variant.create",
            target_id: Some(id.as_str()),
            change: json!({ "variant_id": made, "title": [null, fields.title], "sku": [null, fields.sku] }),
        };
        Ok(((), entry))
    })
    .await
}

/// `POST /admin/products/:id/variants` (Medusa's path): adds a variant with its prices.
pub async fn add_variant(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    if cx.wants_json() {
        let body: VariantBody = cx.json_as().await?;
        add_from(cx, &id, &body.input()?).await?;
        return answer(cx, &id).await;
    }
    let form: BTreeMap<String, String> = cx.form().await?;
    let input = variant_from_form(&form);
    match add_from(cx, &id, &input).await {
        Ok(()) => http::see_other(&format!("/admin/products/{}?saved=variant", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let store = cx.member()?.store_id.clone();
            let currencies = cx
                .with_db(async |client: &Client| variant::store_currencies(client, &store).await)
                .await?;
            let notice = match input.check(&currencies) {
                Err(errors) => VariantNotice {
                    input,
                    errors,
                    message: None,
                },
                Ok(_) => {
                    let (errors, message) = match &err {
                        ApiError::Conflict { message, .. } => (
                            commerce::catalog::edit::FieldErrors(vec![("sku", message.clone())]),
                            None,
                        ),
                        other => (Default::default(), Some(other.to_string())),
                    };
                    VariantNotice {
                        input,
                        errors,
                        message,
                    }
                }
            };
            page(cx, Some(&id), None, Some(notice), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}
