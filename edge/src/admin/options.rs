//! A product's options at `/admin/products/:id/options...`: added with their values,
//! renamed, values renamed, added and removed (the page asks first when that removes
//! variants, and names them), an option removed once down to one value; and Medusa's
//! admin API on the same paths. Each write is audited in its transaction;
//! `commerce::catalog::edit::options` keeps the rules and sends the event.

use std::collections::BTreeMap;

use commerce::catalog::edit::options::{self, split_values, OptionEdit, OptionInput};
use commerce::catalog::edit::{self, admin_product_json, FieldErrors};
use commerce::ids::{OptionId, OptionValueId, ProductId};
use commerce::staff::audit::Entry;
use commerce::{ApiError, ErrorCode};
use serde::Deserialize;
use serde_json::json;
use storefront::admin::products::OptionNotice;
use tokio_postgres::Client;
use worker::Response;

use super::products::{answer, page, product_id, Refused};
use super::variants::ConfirmPost;
use super::{api_json, audited};
use crate::context::Cx;
use crate::http;

/// The option of the path's second id; a malformed id is not found.
fn option_id(cx: &Cx) -> Result<OptionId, ApiError> {
    let raw = cx.param(1);
    OptionId::parse(raw).map_err(|_| ApiError::not_found("Option", "id", raw.to_owned()))
}

/// Medusa's option body: a title and the whole list of values.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct OptionBody {
    pub title: Option<String>,
    pub values: Option<Vec<String>>,
}

/// The new-option form: `title`, and `values` separated by commas.
#[derive(Deserialize, Default)]
#[serde(default)]
struct NewOptionForm {
    title: String,
    values: String,
}

/// Adds option `input` to product `id`, with its audit record.
async fn add_from(cx: &Cx, id: &ProductId, input: &OptionInput) -> Result<(), ApiError> {
    let fields = input.check().map_err(|e| e.into_error())?;
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let made = options::add_option(tx, &store, id, &fields, Some(&trace)).await?;
        let entry = Entry {
            action: "product.option.create",
            target_id: Some(id.as_str()),
            change: json!({ "option_id": made, "title": [null, fields.title], "values": fields.values }),
        };
        Ok(((), entry))
    })
    .await
}

/// A refused option form as the page re-shows it: `target` none is the new-option
/// form.
async fn refused(
    cx: &Cx,
    id: &ProductId,
    notice: OptionNotice,
    err: &ApiError,
) -> Result<Response, ApiError> {
    let refused = Refused {
        option: Some(notice),
        ..Refused::default()
    };
    page(cx, Some(id), refused, None, err.status()).await
}

/// Field problems beside their fields; a taken name beside the name; anything else
/// above the form.
fn problems(checked: Result<(), FieldErrors>, err: &ApiError) -> (FieldErrors, Option<String>) {
    match (checked, err) {
        (Err(errors), _) => (errors, None),
        (
            Ok(()),
            ApiError::Conflict {
                code: ErrorCode::DuplicateOption,
                message,
            },
        ) => (FieldErrors(vec![("option_title", message.clone())]), None),
        (Ok(()), other) => (FieldErrors::default(), Some(other.reason())),
    }
}

/// `POST /admin/products/:id/options` (Medusa's path): a new option with its values.
pub async fn add(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    if cx.wants_json() {
        let body: OptionBody = cx.json_as().await?;
        let input = OptionInput {
            title: body.title.unwrap_or_default(),
            values: body.values.unwrap_or_default(),
        };
        add_from(cx, &id, &input).await?;
        return answer(cx, &id).await;
    }
    let form: NewOptionForm = cx.form().await?;
    let input = OptionInput {
        title: form.title.clone(),
        values: split_values(&form.values),
    };
    match add_from(cx, &id, &input).await {
        Ok(()) => http::see_other(&format!("/admin/products/{}?saved=option", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let (errors, message) = problems(input.check().map(|_| ()), &err);
            let notice = OptionNotice {
                title: form.title,
                added: form.values,
                errors,
                message,
                ..OptionNotice::default()
            };
            refused(cx, &id, notice, &err).await
        }
        Err(err) => Err(err),
    }
}

/// Changes option `option` of `id` by `edit`, with its audit record; removing variants
/// needs `confirmed`.
async fn update_from(
    cx: &Cx,
    id: &ProductId,
    option: &OptionId,
    edit: &OptionEdit,
    confirmed: bool,
) -> Result<(), ApiError> {
    let change = edit.check().map_err(|e| e.into_error())?;
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let going =
            options::update_option(tx, &store, id, option, &change, confirmed, Some(&trace))
                .await?;
        let entry = Entry {
            action: "product.option.update",
            target_id: Some(option.as_str()),
            change: json!({
                "product_id": id, "title": change.title, "values_added": change.added,
                "values_removed": change.removed,
                "variants_removed": going.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
            }),
        };
        Ok(((), entry))
    })
    .await
}

/// Medusa's update: the body's `values` is the whole list; values it no longer names
/// are removed (with the variants that use them), new ones added.
async fn edit_of_body(
    cx: &Cx,
    id: &ProductId,
    option: &OptionId,
    body: OptionBody,
) -> Result<OptionEdit, ApiError> {
    let store = cx.member()?.store_id.clone();
    let product = cx
        .with_db(async |client: &Client| edit::one(client, &store, id).await)
        .await?;
    let current = product
        .options
        .into_iter()
        .find(|o| &o.id == option)
        .ok_or_else(|| ApiError::not_found("Option", "id", option.as_str()))?;
    Ok(OptionEdit::replacing(&current, body.title, body.values))
}

/// `POST /admin/products/:id/options/:option_id` (Medusa's path): renames the option
/// and changes its values. The page's form sends `title`, `value.<id>` for each value
/// (emptied: removed), `added`, and `confirm` once it has shown what goes.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, option) = (product_id(cx)?, option_id(cx)?);
    if cx.wants_json() {
        let body: OptionBody = cx.json_as().await?;
        let edit = edit_of_body(cx, &id, &option, body).await?;
        update_from(cx, &id, &option, &edit, true).await?;
        return answer(cx, &id).await;
    }
    let form: BTreeMap<String, String> = cx.form().await?;
    let mut values = Vec::new();
    for (key, text) in &form {
        if let Some(raw) = key.strip_prefix("value.") {
            let vid = OptionValueId::parse(raw)
                .map_err(|_| ApiError::not_found("Option value", "id", raw.to_owned()))?;
            values.push((vid, text.clone()));
        }
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let edit = OptionEdit {
        title: field("title"),
        values,
        added: split_values(&field("added")),
    };
    let confirmed = field("confirm") == "yes";
    match update_from(cx, &id, &option, &edit, confirmed).await {
        Ok(()) => http::see_other(&format!("/admin/products/{}?saved=option", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let checked = edit.check();
            let going = match (&checked, &err) {
                (
                    Ok(change),
                    ApiError::Conflict {
                        code: ErrorCode::OptionInUse,
                        ..
                    },
                ) => {
                    let store = cx.member()?.store_id.clone();
                    cx.with_db(async |client: &Client| {
                        options::update_removes(client, &store, change).await
                    })
                    .await?
                }
                _ => Vec::new(),
            };
            let (errors, message) = match going.is_empty() {
                true => problems(checked.map(|_| ()), &err),
                false => (FieldErrors::default(), None),
            };
            let notice = OptionNotice {
                target: Some(option),
                title: edit.title,
                values: edit.values,
                added: field("added"),
                errors,
                message,
                going: going.into_iter().map(|v| v.title).collect(),
            };
            refused(cx, &id, notice, &err).await
        }
        Err(err) => Err(err),
    }
}

/// Removes the option with its audit record.
async fn remove(cx: &Cx, id: &ProductId, option: &OptionId) -> Result<(), ApiError> {
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let title = options::remove_option(tx, &store, id, option, Some(&trace)).await?;
        let entry = Entry {
            action: "product.option.delete",
            target_id: Some(option.as_str()),
            change: json!({ "product_id": id, "title": [title, null] }),
        };
        Ok(((), entry))
    })
    .await
}

/// `POST /admin/products/:id/options/:option_id/delete` (the page's form, with its
/// confirmation box).
pub async fn delete_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, option) = (product_id(cx)?, option_id(cx)?);
    let posted: ConfirmPost = cx.form().await?;
    let result = match posted.confirm.as_str() {
        "yes" => remove(cx, &id, &option).await,
        _ => Err(ApiError::invalid(
            "confirm",
            "Please tick the box to confirm.",
        )),
    };
    match result {
        Ok(()) => http::see_other(&format!(
            "/admin/products/{}?saved=option-removed",
            id.as_str()
        )),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let notice = OptionNotice {
                target: Some(option),
                message: Some(err.reason()),
                ..OptionNotice::default()
            };
            refused(cx, &id, notice, &err).await
        }
        Err(err) => Err(err),
    }
}

/// `DELETE /admin/products/:id/options/:option_id` (Medusa's):
/// `{id, object, deleted, parent}`.
pub async fn delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, option) = (product_id(cx)?, option_id(cx)?);
    remove(cx, &id, &option).await?;
    let store = cx.member()?.store_id.clone();
    let product = cx
        .with_db(async |client: &Client| edit::one(client, &store, &id).await)
        .await?;
    api_json(&json!({
        "id": option, "object": "product_option", "deleted": true,
        "parent": admin_product_json(&product, &cx.image_base()),
    }))
}
