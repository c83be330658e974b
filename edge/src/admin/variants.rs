//! A product's variants at `/admin/products/:id/variants...`: added one by one or made
//! from the options' values, each changed or removed on its own page, and Medusa's
//! admin API on the same paths (`{product}` after a write, `{variant}` to read one,
//! `{id, object, deleted, parent}` after a removal). Each write is audited in its
//! transaction; `commerce::catalog::edit` checks the fields and sends the event.

use std::collections::BTreeMap;

use commerce::catalog::edit::options::{self, GenerateInput};
use commerce::catalog::edit::variant::{self, VariantInput};
use commerce::catalog::edit::{self, admin_product_json, admin_variant_json, FieldErrors};
use commerce::ids::{ProductId, VariantId};
use commerce::staff::audit::Entry;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::{json, Value};
use storefront::admin::products::{
    variant_form, variant_page, GenerateNotice, VariantNotice, VariantPageParts,
};
use tokio_postgres::Client;
use worker::Response;

use super::products::{answer, page, product_id, Refused};
use super::{api_json, audited, render};
use crate::context::Cx;
use crate::http;

/// The variant of the path's second id; a malformed id is not found.
fn variant_id(cx: &Cx) -> Result<VariantId, ApiError> {
    let raw = cx.param(1);
    VariantId::parse(raw).map_err(|_| ApiError::not_found("Variant", "id", raw.to_owned()))
}

/// Medusa's variant price: `amount` in major units.
#[derive(Deserialize)]
struct PriceBody {
    currency_code: String,
    amount: Value,
}

fn typed_prices(prices: Vec<PriceBody>) -> Vec<(String, String)> {
    prices
        .into_iter()
        .map(|p| {
            let amount = match p.amount {
                Value::String(text) => text,
                other => other.to_string(),
            };
            (p.currency_code, amount)
        })
        .collect()
}

/// Medusa's variant body, as far as this store writes it: absent fields stay as they
/// are on an update.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct VariantBody {
    title: Option<String>,
    sku: Option<String>,
    barcode: Option<String>,
    manage_inventory: Option<bool>,
    allow_backorder: Option<bool>,
    weight: Option<Value>,
    prices: Option<Vec<PriceBody>>,
    options: BTreeMap<String, String>,
}

impl VariantBody {
    /// `base` with the fields the body names.
    pub(super) fn over(self, base: VariantInput) -> VariantInput {
        VariantInput {
            title: self.title.unwrap_or(base.title),
            sku: self.sku.unwrap_or(base.sku),
            barcode: self.barcode.unwrap_or(base.barcode),
            manage_inventory: self.manage_inventory.unwrap_or(base.manage_inventory),
            allow_backorder: self.allow_backorder.unwrap_or(base.allow_backorder),
            weight: match self.weight {
                None => base.weight,
                Some(Value::Null) => String::new(),
                Some(Value::String(text)) => text,
                Some(other) => other.to_string(),
            },
            prices: self.prices.map(typed_prices).unwrap_or(base.prices),
            options: if self.options.is_empty() {
                base.options
            } else {
                self.options.into_iter().collect()
            },
        }
    }
}

/// A new variant's defaults: stock counted, no backorders.
fn new_variant() -> VariantInput {
    VariantInput {
        manage_inventory: true,
        ..VariantInput::default()
    }
}

impl VariantBody {
    /// A new variant: the body over the defaults.
    pub(super) fn into_new(self) -> VariantInput {
        self.over(new_variant())
    }
}

/// A variant form: `title`, `sku`, `barcode`, `weight`, `price.<currency>`, `option.<title>`, and
/// the two boxes.
fn variant_from_form(form: &BTreeMap<String, String>) -> VariantInput {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let prefixed = |prefix: &str| {
        form.iter()
            .filter_map(|(k, v)| k.strip_prefix(prefix).map(|c| (c.to_owned(), v.clone())))
            .collect()
    };
    VariantInput {
        title: field("title"),
        sku: field("sku"),
        barcode: field("barcode"),
        manage_inventory: field("manage_inventory") == "yes",
        allow_backorder: field("allow_backorder") == "yes",
        prices: prefixed("price."),
        weight: field("weight"),
        options: prefixed("option."),
    }
}

/// A refusal of a variant form as it re-shows: every field's problem when the fields
/// are wrong, a taken SKU or barcode beside its field, else the one message.
fn variant_notice(
    input: VariantInput,
    checked: Result<(), FieldErrors>,
    err: &ApiError,
) -> VariantNotice {
    let (errors, message) = match (checked, err) {
        (Err(errors), _) => (errors, None),
        (
            Ok(()),
            ApiError::Conflict {
                code: commerce::ErrorCode::DuplicateSku,
                message,
            },
        ) => (FieldErrors(vec![("sku", message.clone())]), None),
        (
            Ok(()),
            ApiError::Conflict {
                code: commerce::ErrorCode::DuplicateBarcode,
                message,
            },
        ) => (FieldErrors(vec![("barcode", message.clone())]), None),
        (Ok(()), ApiError::InvalidParam { param, reason }) if param == "options" => {
            (FieldErrors(vec![("options", reason.clone())]), None)
        }
        (Ok(()), other) => (FieldErrors::default(), Some(other.to_string())),
    };
    VariantNotice {
        input,
        errors,
        message,
    }
}

/// The store's currencies, for re-checking a refused form.
async fn currencies(cx: &Cx) -> Result<Vec<commerce::money::CurrencyCode>, ApiError> {
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| variant::store_currencies(client, &store).await)
        .await
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

/// `POST /admin/products/:id/variants` (Medusa's path): adds a variant with its prices
/// and option values.
pub async fn add(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    if cx.wants_json() {
        let body: VariantBody = cx.json_as().await?;
        add_from(cx, &id, &body.into_new()).await?;
        return answer(cx, &id).await;
    }
    let form: BTreeMap<String, String> = cx.form().await?;
    let input = variant_from_form(&form);
    match add_from(cx, &id, &input).await {
        Ok(()) => http::see_other(&format!("/admin/products/{}?saved=variant", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let checked = input.check(&currencies(cx).await?).map(|_| ());
            let refused = Refused {
                variant: Some(variant_notice(input, checked, &err)),
                ..Refused::default()
            };
            page(cx, Some(&id), refused, None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// The variant's page: `notice` re-shows a refused form, `remove_message` a refused
/// removal.
async fn variant_page_of(
    cx: &Cx,
    id: &ProductId,
    variant: &VariantId,
    notice: Option<VariantNotice>,
    remove_message: Option<String>,
    saved: Option<&str>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let product = edit::one(client, &member.store_id, id).await?;
        let found = product
            .variants
            .iter()
            .find(|v| &v.id == variant)
            .ok_or_else(|| ApiError::not_found("Variant", "id", variant.as_str()))?;
        let currencies = variant::store_currencies(client, &member.store_id).await?;
        let parts = VariantPageParts {
            product: &product,
            variant: found,
            notice,
            remove_message,
            currencies: &currencies,
            saved,
        };
        variant_page(shell, member, parts, status)
    })
    .await
}

/// The variant as stored, or not found.
async fn stored(
    cx: &Cx,
    id: &ProductId,
    variant: &VariantId,
) -> Result<edit::AdminProduct, ApiError> {
    let store = cx.member()?.store_id.clone();
    let product = cx
        .with_db(async |client: &Client| edit::one(client, &store, id).await)
        .await?;
    if product.variants.iter().any(|v| &v.id == variant) {
        Ok(product)
    } else {
        Err(ApiError::not_found("Variant", "id", variant.as_str()))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SavedQuery {
    saved: String,
}

/// `GET /admin/products/:id/variants/:variant_id`: the page, or Medusa's `{variant}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, variant) = (product_id(cx)?, variant_id(cx)?);
    if cx.wants_json() {
        let product = stored(cx, &id, &variant).await?;
        let found = product.variants.iter().find(|v| v.id == variant);
        let json = found.map(|v| admin_variant_json(id.as_str(), v));
        return api_json(&json!({ "variant": json }));
    }
    let query: SavedQuery = cx.query_as()?;
    let saved = (query.saved == "saved")
        .then_some("Saved. The shop shows the change within a few minutes.");
    variant_page_of(cx, &id, &variant, None, None, saved, 200).await
}

/// Changes variant `variant` of `id` to `input`, with its audit record.
async fn update_from(
    cx: &Cx,
    id: &ProductId,
    variant: &VariantId,
    input: &VariantInput,
) -> Result<(), ApiError> {
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let currencies = variant::store_currencies(tx, &store).await?;
        let fields = input.check(&currencies).map_err(|e| e.into_error())?;
        let (title, sku) =
            variant::update_variant(tx, &store, id, variant, &fields, Some(&trace)).await?;
        let entry = Entry {
            action: "product.variant.update",
            target_id: Some(variant.as_str()),
            change: json!({ "product_id": id, "title": [title, fields.title], "sku": [sku, fields.sku] }),
        };
        Ok(((), entry))
    })
    .await
}

/// `POST /admin/products/:id/variants/:variant_id` (Medusa's path): changes the
/// variant's own fields and prices; its option values stay.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, variant) = (product_id(cx)?, variant_id(cx)?);
    if cx.wants_json() {
        let body: VariantBody = cx.json_as().await?;
        if !body.options.is_empty() {
            return Err(ApiError::invalid(
                "options",
                "a variant keeps its option values; add a variant with the values wanted and remove this one",
            ));
        }
        let product = stored(cx, &id, &variant).await?;
        let base = product
            .variants
            .iter()
            .find(|v| v.id == variant)
            .map(variant_form)
            .unwrap_or_default();
        update_from(cx, &id, &variant, &body.over(base)).await?;
        return answer(cx, &id).await;
    }
    let form: BTreeMap<String, String> = cx.form().await?;
    let input = variant_from_form(&form);
    let href = format!(
        "/admin/products/{}/variants/{}",
        id.as_str(),
        variant.as_str()
    );
    match update_from(cx, &id, &variant, &input).await {
        Ok(()) => http::see_other(&format!("{href}?saved=saved")),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let checked = input.check(&currencies(cx).await?).map(|_| ());
            let notice = variant_notice(input, checked, &err);
            variant_page_of(cx, &id, &variant, Some(notice), None, None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// Removes the variant with its audit record.
async fn remove(cx: &Cx, id: &ProductId, variant: &VariantId) -> Result<(), ApiError> {
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let title = variant::remove_variant(tx, &store, id, variant, Some(&trace)).await?;
        let entry = Entry {
            action: "product.variant.delete",
            target_id: Some(variant.as_str()),
            change: json!({ "product_id": id, "title": [title, null] }),
        };
        Ok(((), entry))
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ConfirmPost {
    pub confirm: String,
}

/// `POST /admin/products/:id/variants/:variant_id/delete` (the page's form, with its
/// confirmation box).
pub async fn delete_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, variant) = (product_id(cx)?, variant_id(cx)?);
    let posted: ConfirmPost = cx.form().await?;
    let result = match posted.confirm.as_str() {
        "yes" => remove(cx, &id, &variant).await,
        _ => Err(ApiError::invalid(
            "confirm",
            "Please tick the box to confirm.",
        )),
    };
    match result {
        Ok(()) => http::see_other(&format!(
            "/admin/products/{}?saved=variant-removed",
            id.as_str()
        )),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let message = Some(err.reason());
            variant_page_of(cx, &id, &variant, None, message, None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `DELETE /admin/products/:id/variants/:variant_id` (Medusa's):
/// `{id, object, deleted, parent}`.
pub async fn delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, variant) = (product_id(cx)?, variant_id(cx)?);
    remove(cx, &id, &variant).await?;
    let store = cx.member()?.store_id.clone();
    let product = cx
        .with_db(async |client: &Client| edit::one(client, &store, &id).await)
        .await?;
    api_json(&json!({
        "id": variant, "object": "variant", "deleted": true,
        "parent": admin_product_json(&product, &cx.image_base()),
    }))
}

/// The make-the-variants body: `sku_prefix`, `prices` (Medusa's price list), the two
/// stock settings.
#[derive(Deserialize, Default)]
#[serde(default)]
struct GenerateBody {
    sku_prefix: String,
    manage_inventory: Option<bool>,
    allow_backorder: bool,
    prices: Vec<PriceBody>,
}

/// Makes the missing variants from `input`, with the audit record; answers how many.
async fn generate_from(cx: &Cx, id: &ProductId, input: &GenerateInput) -> Result<usize, ApiError> {
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let currencies = variant::store_currencies(tx, &store).await?;
        let template = input.check(&currencies).map_err(|e| e.into_error())?;
        let made = options::generate_variants(tx, &store, id, &template, Some(&trace)).await?;
        let entry = Entry {
            action: "product.variant.generate",
            target_id: Some(id.as_str()),
            change: json!({ "variants": made }),
        };
        Ok((made.len(), entry))
    })
    .await
}

/// `POST /admin/products/:id/generate-variants`: a variant for each combination of the
/// options' values that has none, at one price per currency.
pub async fn generate(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    if cx.wants_json() {
        let body: GenerateBody = cx.json_as().await?;
        let input = GenerateInput {
            sku_prefix: body.sku_prefix,
            manage_inventory: body.manage_inventory.unwrap_or(true),
            allow_backorder: body.allow_backorder,
            prices: typed_prices(body.prices),
        };
        generate_from(cx, &id, &input).await?;
        return answer(cx, &id).await;
    }
    let form: BTreeMap<String, String> = cx.form().await?;
    let typed = variant_from_form(&form);
    let input = GenerateInput {
        sku_prefix: form.get("sku_prefix").cloned().unwrap_or_default(),
        manage_inventory: typed.manage_inventory,
        allow_backorder: typed.allow_backorder,
        prices: typed.prices,
    };
    match generate_from(cx, &id, &input).await {
        Ok(_) => http::see_other(&format!("/admin/products/{}?saved=generated", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let (errors, message) = match input.check(&currencies(cx).await?) {
                Err(errors) => (errors, None),
                Ok(_) => (FieldErrors::default(), Some(err.reason())),
            };
            let refused = Refused {
                generate: Some(GenerateNotice {
                    input,
                    errors,
                    message,
                }),
                ..Refused::default()
            };
            page(cx, Some(&id), refused, None, err.status()).await
        }
        Err(err) => Err(err),
    }
}
