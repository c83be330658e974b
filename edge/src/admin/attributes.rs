//! Product attributes at `/admin/product-attributes` (pages, and JSON for API clients:
//! `{product_attributes, count, offset, limit}`, `{product_attribute}`, the deleted
//! answer), and a product's values at `/admin/products/:id/attributes`. A change that
//! alters products' values asks first: the page shows what it alters with a box,
//! a JSON client sends `confirm: true` (409 `attribute_in_use` until then). Each
//! change is audited in its transaction.

use std::collections::BTreeMap;

use commerce::catalog::attribute::json::AttributeJson;
use commerce::catalog::attribute::{self, repo, AttributeFields, AttributeInput};
use commerce::catalog::edit::FieldErrors;
use commerce::ids::{AttributeId, ProductId};
use commerce::staff::audit::Entry;
use commerce::{ApiError, ErrorCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use storefront::admin::attributes::{
    attribute_form, attribute_page, attributes_page, AttributeNotice,
};
use tokio_postgres::Client;
use worker::Response;

use super::variants::ConfirmPost;
use super::{api_json, audited, render, whole_list, SavedQuery};
use crate::context::Cx;
use crate::http;

fn attribute_id(cx: &Cx) -> Result<AttributeId, ApiError> {
    let raw = cx.param(0);
    AttributeId::parse(raw).map_err(|_| ApiError::not_found("Attribute", "id", raw.to_owned()))
}

fn product_id(cx: &Cx) -> Result<ProductId, ApiError> {
    let raw = cx.param(0);
    ProductId::parse(raw).map_err(|_| ApiError::not_found("Product", "id", raw.to_owned()))
}

async fn answer(cx: &Cx, id: &AttributeId) -> Result<Response, ApiError> {
    let store = cx.member()?.store_id.clone();
    let kept = cx
        .with_db(async |client: &Client| repo::attribute(client, &store, id).await)
        .await?;
    api_json(&json!({ "product_attribute": AttributeJson::from(&kept) }))
}

fn saved_text(query: &SavedQuery) -> Option<&'static str> {
    match query.saved.as_str() {
        "created" => Some("Attribute added. Set its values on each product's page."),
        "saved" => Some("Saved. The shop shows the change within a few minutes."),
        "deleted" => Some("Attribute deleted."),
        _ => None,
    }
}

async fn list_page(
    cx: &Cx,
    notice: Option<AttributeNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let all = repo::attributes(client, &member.store_id).await?;
        attributes_page(shell, member, &all, notice, saved, status)
    })
    .await
}

async fn one_page(
    cx: &Cx,
    id: &AttributeId,
    notice: Option<AttributeNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let kept = repo::attribute(client, &member.store_id, id).await?;
        attribute_page(shell, member, &kept, notice, saved, status)
    })
    .await
}

/// `GET /admin/product-attributes`: the page, or the list.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let store = cx.member()?.store_id.clone();
        let all = cx
            .with_db(async |client: &Client| repo::attributes(client, &store).await)
            .await?;
        let shown: Vec<AttributeJson> = all.iter().map(AttributeJson::from).collect();
        return whole_list("product_attributes", &shown);
    }
    let query: SavedQuery = cx.query_as()?;
    list_page(cx, None, saved_text(&query), 200).await
}

/// `GET /admin/product-attributes/:id`: the form, or `{product_attribute}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = attribute_id(cx)?;
    if cx.wants_json() {
        return answer(cx, &id).await;
    }
    let query: SavedQuery = cx.query_as()?;
    one_page(cx, &id, None, saved_text(&query), 200).await
}

/// An attribute's JSON body; absent fields stay on an update.
#[derive(Deserialize, Default)]
#[serde(default)]
struct AttributeBody {
    label: Option<String>,
    key: Option<String>,
    kind: Option<String>,
    choices: Option<Vec<String>>,
    filterable: Option<bool>,
    /// Go on although products' values change.
    confirm: bool,
}

impl AttributeBody {
    fn over(self, base: AttributeInput) -> (AttributeInput, bool) {
        let input = AttributeInput {
            label: self.label.unwrap_or(base.label),
            key: self.key.unwrap_or(base.key),
            kind: self.kind.unwrap_or(base.kind),
            choices: self.choices.map(|c| c.join("\n")).unwrap_or(base.choices),
            filterable: match self.filterable {
                Some(true) => "yes".to_owned(),
                Some(false) => String::new(),
                None => base.filterable,
            },
        };
        (input, self.confirm)
    }
}

/// The form's fields and its confirmation box.
#[derive(Deserialize, Default)]
#[serde(default)]
struct AttributeForm {
    #[serde(flatten)]
    input: AttributeInput,
    confirm: String,
}

async fn write(
    cx: &Cx,
    id: Option<&AttributeId>,
    fields: &AttributeFields,
    confirm: bool,
) -> Result<AttributeId, ApiError> {
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| match id {
        None => {
            let made = repo::create_attribute(tx, &store, fields).await?;
            let entry = Entry {
                action: "attribute.create",
                target_id: None,
                change: json!({ "id": made, "key": [null, fields.key], "kind": fields.kind }),
            };
            Ok((made, entry))
        }
        Some(id) => {
            let before =
                repo::update_attribute(tx, &store, id, fields, confirm, Some(&trace)).await?;
            let entry = Entry {
                action: "attribute.update",
                target_id: Some(id.as_str()),
                change: json!({
                    "key": [before.key, fields.key], "label": [before.label, fields.label],
                    "choices": [before.choices, fields.choices],
                }),
            };
            Ok((id.clone(), entry))
        }
    })
    .await
}

/// A refused form as it shows again: field problems beside their fields, a taken key
/// beside the key, a change that needs confirming with its box, else the message.
fn notice_of(form: AttributeInput, err: &ApiError) -> AttributeNotice {
    let mut notice = AttributeNotice {
        form,
        ..AttributeNotice::default()
    };
    match err {
        ApiError::Conflict {
            code: ErrorCode::AttributeInUse,
            message,
        } if message.contains("Confirm") => notice.confirm = Some(message.clone()),
        ApiError::Conflict {
            code: ErrorCode::DuplicateName,
            message,
        } => notice.errors.0.push(("key", message.clone())),
        other => notice.message = Some(other.reason()),
    }
    notice
}

/// A form refused for its fields, as it shows again.
fn field_notice(form: AttributeInput, errors: FieldErrors) -> AttributeNotice {
    AttributeNotice {
        form,
        errors,
        ..AttributeNotice::default()
    }
}

/// `POST /admin/product-attributes`: a new attribute.
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let body: AttributeBody = cx.json_as().await?;
        let (input, _) = body.over(AttributeInput::default());
        let fields = input.check().map_err(|e| e.into_error())?;
        let id = write(cx, None, &fields, false).await?;
        return answer(cx, &id).await;
    }
    let form: AttributeForm = cx.form().await?;
    let fields = match form.input.check() {
        Ok(fields) => fields,
        Err(errors) => {
            let notice = field_notice(form.input, errors);
            return list_page(cx, Some(notice), None, 400).await;
        }
    };
    match write(cx, None, &fields, false).await {
        Ok(_) => http::see_other("/admin/product-attributes?saved=created"),
        Err(err @ ApiError::Conflict { .. }) => {
            list_page(cx, Some(notice_of(form.input, &err)), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/product-attributes/:id`: changes it.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = attribute_id(cx)?;
    if cx.wants_json() {
        let body: AttributeBody = cx.json_as().await?;
        let store = cx.member()?.store_id.clone();
        let kept = cx
            .with_db(async |client: &Client| repo::attribute(client, &store, &id).await)
            .await?;
        let (input, confirm) = body.over(attribute_form(&kept));
        let fields = input.check().map_err(|e| e.into_error())?;
        write(cx, Some(&id), &fields, confirm).await?;
        return answer(cx, &id).await;
    }
    let form: AttributeForm = cx.form().await?;
    let fields = match form.input.check() {
        Ok(fields) => fields,
        Err(errors) => {
            let notice = field_notice(form.input, errors);
            return one_page(cx, &id, Some(notice), None, 400).await;
        }
    };
    match write(cx, Some(&id), &fields, form.confirm == "yes").await {
        Ok(_) => http::see_other(&format!(
            "/admin/product-attributes/{}?saved=saved",
            id.as_str()
        )),
        Err(err @ ApiError::Conflict { .. }) => {
            one_page(
                cx,
                &id,
                Some(notice_of(form.input, &err)),
                None,
                err.status(),
            )
            .await
        }
        Err(err) => Err(err),
    }
}

/// Deletes it; while products have a value of it, only with `confirm`.
async fn remove(cx: &Cx, id: &AttributeId, confirm: bool) -> Result<(), ApiError> {
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let before = repo::delete_attribute(tx, &store, id, confirm, Some(&trace)).await?;
        let entry = Entry {
            action: "attribute.delete",
            target_id: Some(id.as_str()),
            change: json!({ "key": [before.key, null], "products": before.products }),
        };
        Ok(((), entry))
    })
    .await
}

/// `POST /admin/product-attributes/:id/delete` (the page's form, with its box, which
/// names the products that lose their value).
pub async fn delete_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = attribute_id(cx)?;
    let posted: ConfirmPost = cx.form().await?;
    if posted.confirm != "yes" {
        let err = ApiError::invalid("confirm", "Please tick the box to confirm.");
        let notice = AttributeNotice {
            message: Some(err.reason()),
            ..AttributeNotice::default()
        };
        return one_page(cx, &id, Some(notice), None, err.status()).await;
    }
    // The box names the products that lose their value: it is the confirmation.
    remove(cx, &id, true).await?;
    http::see_other("/admin/product-attributes?saved=deleted")
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteQuery {
    confirm: String,
}

/// `DELETE /admin/product-attributes/:id[?confirm=true]`: `{id, object, deleted}`;
/// while products have a value of it, 409 until confirmed.
pub async fn delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = attribute_id(cx)?;
    let query: DeleteQuery = cx.query_as()?;
    remove(cx, &id, query.confirm == "true").await?;
    api_json(&json!({ "id": id, "object": "product_attribute", "deleted": true }))
}

/// `{attributes: {key: value}}`: every value of the product (absent keys lose theirs).
#[derive(Deserialize)]
struct ValuesBody {
    attributes: Map<String, Value>,
}

/// `POST /admin/products/:id/attributes`: the product's values, from its page's form
/// (`attr.<key>` fields) or as JSON; answers `{product_id, attributes}`.
pub async fn set_values(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    let store = cx.member()?.store_id.clone();
    let json = cx.wants_json();
    let (given, typed): (Option<Map<String, Value>>, BTreeMap<String, String>) = if json {
        let body: ValuesBody = cx.json_as().await?;
        (Some(body.attributes), BTreeMap::new())
    } else {
        let form: BTreeMap<String, String> = cx.form().await?;
        let typed = form
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix("attr.").map(|k| (k.to_owned(), v)))
            .collect();
        (None, typed)
    };
    let trace = cx.trace_id.clone();
    let result = audited(cx, async |tx: &Client| {
        let all = repo::attributes(tx, &store).await?;
        let values = match &given {
            Some(given) => attribute::values_from_json(&all, given),
            None => attribute::values_from_text(&all, &typed),
        }
        .map_err(|e| e.into_error())?;
        repo::set_product_values(tx, &store, &id, &values, Some(&trace)).await?;
        let entry = Entry {
            action: "product.attributes",
            target_id: Some(id.as_str()),
            change: json!({ "attributes": values }),
        };
        Ok((values, entry))
    })
    .await;
    match (json, result) {
        (true, Ok(values)) => api_json(&json!({ "product_id": id, "attributes": values })),
        (false, Ok(_)) => http::see_other(&format!(
            "/admin/products/{}?saved=attributes#attributes-h",
            id.as_str()
        )),
        (false, Err(err @ ApiError::InvalidParam { .. })) => {
            super::products::page_with_attributes(cx, &id, typed, &err).await
        }
        (_, Err(err)) => Err(err),
    }
}
