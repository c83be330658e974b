//! The category tree at `/admin/product-categories` (Medusa's admin paths: the pages and
//! `{product_categories, count, offset, limit}`, `{product_category}`, and the deleted
//! answer). Each change is audited in its transaction; `catalog::edit::category` keeps
//! the tree's rules.

use commerce::catalog::edit::category::{self, AdminCategory, CategoryInput};
use commerce::ids::CategoryId;
use commerce::inventory::location::Move;
use commerce::staff::audit::Entry;
use commerce::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use storefront::admin::taxonomy::{categories_page, category_page, CategoryNotice};
use tokio_postgres::Client;
use worker::Response;

use super::variants::ConfirmPost;
use super::LinkBody;
use super::{api_json, audited, render, whole_list, SavedQuery};
use crate::context::Cx;
use crate::http;

fn category_id(cx: &Cx) -> Result<CategoryId, ApiError> {
    let raw = cx.param(0);
    CategoryId::parse(raw).map_err(|_| ApiError::not_found("Category", "id", raw.to_owned()))
}

/// Medusa's `AdminProductCategory`, as far as this store keeps it.
#[derive(Serialize)]
struct CategoryJson<'a> {
    id: &'a str,
    name: &'a str,
    handle: &'a str,
    description: &'a str,
    is_active: bool,
    is_internal: bool,
    rank: i32,
    parent_category_id: Option<&'a str>,
    created_at: &'a str,
    updated_at: &'a str,
}

fn category_json(c: &AdminCategory) -> CategoryJson<'_> {
    CategoryJson {
        id: c.id.as_str(),
        name: &c.name,
        handle: &c.handle,
        description: &c.description,
        is_active: c.is_active,
        is_internal: false,
        rank: c.rank,
        parent_category_id: c.parent.as_ref().map(|p| p.as_str()),
        created_at: &c.created_at,
        updated_at: &c.updated_at,
    }
}

async fn the_tree(cx: &Cx) -> Result<Vec<AdminCategory>, ApiError> {
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| category::tree(client, &store).await)
        .await
}

/// `{product_category}` for `id`.
async fn answer(cx: &Cx, id: &CategoryId) -> Result<Response, ApiError> {
    let tree = the_tree(cx).await?;
    let found = category::find(&tree, id)?;
    api_json(&json!({ "product_category": category_json(found) }))
}

fn saved_text(query: &SavedQuery) -> Option<&'static str> {
    match query.saved.as_str() {
        "created" => Some("Category added."),
        "saved" => Some("Saved. The shop shows the change within a few minutes."),
        "deleted" => Some("Category deleted."),
        _ => None,
    }
}

/// `GET /admin/product-categories`: the tree, or Medusa's list (every category).
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let tree = the_tree(cx).await?;
        let all: Vec<_> = tree.iter().map(category_json).collect();
        return whole_list("product_categories", &all);
    }
    let query: SavedQuery = cx.query_as()?;
    list_page(cx, None, saved_text(&query), 200).await
}

async fn list_page(
    cx: &Cx,
    notice: Option<CategoryNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let tree = category::tree(client, &member.store_id).await?;
        categories_page(shell, member, &tree, notice, saved, status)
    })
    .await
}

async fn one_page(
    cx: &Cx,
    id: &CategoryId,
    notice: Option<CategoryNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let tree = category::tree(client, &member.store_id).await?;
        let found = category::find(&tree, id)?;
        category_page(shell, member, &tree, found, notice, saved, status)
    })
    .await
}

/// `GET /admin/product-categories/:id`: the form, or `{product_category}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = category_id(cx)?;
    if cx.wants_json() {
        return answer(cx, &id).await;
    }
    let query: SavedQuery = cx.query_as()?;
    one_page(cx, &id, None, saved_text(&query), 200).await
}

/// Medusa's category body: absent fields stay (on an update).
#[derive(Deserialize, Default)]
#[serde(default)]
struct CategoryBody {
    name: Option<String>,
    handle: Option<String>,
    description: Option<String>,
    is_active: Option<bool>,
    parent_category_id: Option<Option<String>>,
}

impl CategoryBody {
    fn over(self, base: CategoryInput) -> CategoryInput {
        CategoryInput {
            name: self.name.unwrap_or(base.name),
            handle: self.handle.unwrap_or(base.handle),
            description: self.description.unwrap_or(base.description),
            active: match self.is_active {
                Some(true) => "yes".to_owned(),
                Some(false) => String::new(),
                None => base.active,
            },
            parent: match self.parent_category_id {
                Some(parent) => parent.unwrap_or_default(),
                None => base.parent,
            },
        }
    }
}

fn form_of(c: &AdminCategory) -> CategoryInput {
    CategoryInput {
        name: c.name.clone(),
        handle: c.handle.clone(),
        description: c.description.clone(),
        active: if c.is_active { "yes" } else { "" }.to_owned(),
        parent: c
            .parent
            .as_ref()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
    }
}

/// Adds (`id` none) or changes a category from `input`, with its audit record.
async fn write(
    cx: &Cx,
    id: Option<&CategoryId>,
    input: &CategoryInput,
) -> Result<CategoryId, ApiError> {
    let fields = input.check().map_err(|e| e.into_error())?;
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| match id {
        None => {
            let made = category::create_category(tx, &store, &fields).await?;
            let entry = Entry {
                action: "product_category.create",
                target_id: None,
                change: json!({ "id": made, "name": [null, fields.name] }),
            };
            Ok((made, entry))
        }
        Some(id) => {
            let before = category::update_category(tx, &store, id, &fields).await?;
            let entry = Entry {
                action: "product_category.update",
                target_id: Some(id.as_str()),
                change: json!({ "name": [before.name, fields.name],
                                "parent": [before.parent, fields.parent] }),
            };
            Ok((id.clone(), entry))
        }
    })
    .await
}

/// A refused category form as the page shows it.
fn notice_of(form: CategoryInput, err: &ApiError) -> CategoryNotice {
    match form.check() {
        Err(errors) => CategoryNotice {
            form,
            errors,
            message: None,
        },
        Ok(_) => match err {
            ApiError::InvalidParam { param, reason } if param == "parent" => CategoryNotice {
                form,
                errors: commerce::catalog::edit::FieldErrors(vec![("parent", reason.clone())]),
                message: None,
            },
            ApiError::Conflict { message, .. } => CategoryNotice {
                form,
                errors: commerce::catalog::edit::FieldErrors(vec![("handle", message.clone())]),
                message: None,
            },
            other => CategoryNotice {
                form,
                errors: Default::default(),
                message: Some(other.reason()),
            },
        },
    }
}

/// `POST /admin/product-categories` (Medusa's path): a new category.
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let body: CategoryBody = cx.json_as().await?;
        let input = body.over(CategoryInput {
            active: "yes".into(),
            ..CategoryInput::default()
        });
        let id = write(cx, None, &input).await?;
        return answer(cx, &id).await;
    }
    let form: CategoryInput = cx.form().await?;
    match write(cx, None, &form).await {
        Ok(_) => http::see_other("/admin/product-categories?saved=created"),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            list_page(cx, Some(notice_of(form, &err)), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/product-categories/:id` (Medusa's path): changes it; a new parent moves
/// it there, last.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = category_id(cx)?;
    if cx.wants_json() {
        let body: CategoryBody = cx.json_as().await?;
        let tree = the_tree(cx).await?;
        let input = body.over(form_of(category::find(&tree, &id)?));
        write(cx, Some(&id), &input).await?;
        return answer(cx, &id).await;
    }
    let form: CategoryInput = cx.form().await?;
    match write(cx, Some(&id), &form).await {
        Ok(_) => http::see_other(&format!(
            "/admin/product-categories/{}?saved=saved",
            id.as_str()
        )),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            one_page(cx, &id, Some(notice_of(form, &err)), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MovePost {
    direction: String,
}

/// `POST /admin/product-categories/:id/move` (`direction`: up or down among siblings).
pub async fn reorder(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = category_id(cx)?;
    let posted: MovePost = cx.form().await?;
    let way = match posted.direction.as_str() {
        "up" => Move::Up,
        "down" => Move::Down,
        _ => return Err(ApiError::invalid("direction", "must be up or down")),
    };
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| {
        category::move_category(tx, &store, &id, way).await?;
        let entry = Entry {
            action: "product_category.move",
            target_id: Some(id.as_str()),
            change: json!({ "direction": posted.direction }),
        };
        Ok(((), entry))
    })
    .await?;
    http::see_other("/admin/product-categories")
}

async fn remove(cx: &Cx, id: &CategoryId) -> Result<(), ApiError> {
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| {
        let name = category::delete_category(tx, &store, id).await?;
        let entry = Entry {
            action: "product_category.delete",
            target_id: Some(id.as_str()),
            change: json!({ "name": [name, null] }),
        };
        Ok(((), entry))
    })
    .await
}

/// `POST /admin/product-categories/:id/delete` (the page's form, with its box).
pub async fn delete_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = category_id(cx)?;
    let posted: ConfirmPost = cx.form().await?;
    let result = match posted.confirm.as_str() {
        "yes" => remove(cx, &id).await,
        _ => Err(ApiError::invalid(
            "confirm",
            "Please tick the box to confirm.",
        )),
    };
    match result {
        Ok(()) => http::see_other("/admin/product-categories?saved=deleted"),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let tree = the_tree(cx).await?;
            let notice = CategoryNotice {
                form: form_of(category::find(&tree, &id)?),
                errors: Default::default(),
                message: Some(err.reason()),
            };
            one_page(cx, &id, Some(notice), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `DELETE /admin/product-categories/:id` (Medusa's): `{id, object, deleted}`.
pub async fn delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = category_id(cx)?;
    remove(cx, &id).await?;
    api_json(&json!({ "id": id, "object": "product_category", "deleted": true }))
}

/// `POST /admin/product-categories/:id/products` (Medusa's): puts products in the
/// category or takes them out.
pub async fn products(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = category_id(cx)?;
    let body: LinkBody = cx.json_as().await?;
    let (add, take) = body.products()?;
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        category::link_products(tx, &store, &id, &add, &take, Some(&trace)).await?;
        let entry = Entry {
            action: "product_category.products",
            target_id: Some(id.as_str()),
            change: json!({ "add": body.add, "remove": body.remove }),
        };
        Ok(((), entry))
    })
    .await?;
    answer(cx, &id).await
}
