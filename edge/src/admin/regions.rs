//! Regions at `/admin/regions` (each with its tax rate and countries, and its shipping
//! options on its page) and shipping options at `/admin/shipping-options`: the pages
//! and Medusa's admin paths (`{regions}`, `{region}`, `{shipping_options}`,
//! `{shipping_option}`, the deleted answer). Each change is audited in its transaction;
//! the catalog's triggers bump the store's catalog version.

use commerce::ids::{RegionId, ShippingOptionId};
use commerce::inventory::location::Move;
use commerce::region::{self, Region};
use commerce::settings::json::{region_json, shipping_option_json, RegionBody, ShippingOptionBody};
use commerce::settings::region::RegionInput;
use commerce::settings::repo::{self, AdminShippingOption};
use commerce::settings::shipping::ShippingInput;
use commerce::settings::FieldErrors;
use commerce::staff::audit::Entry;
use commerce::{ApiError, ErrorCode};
use serde::Deserialize;
use serde_json::json;
use storefront::admin::settings::{
    region_page, regions_page, RegionNotice, RegionNotices, ShippingNotice,
};
use tokio_postgres::Client;
use worker::Response;

use super::variants::ConfirmPost;
use super::{api_json, audited, render, whole_list, SavedQuery};
use crate::context::Cx;
use crate::http;

fn region_id(raw: &str) -> Result<RegionId, ApiError> {
    RegionId::parse(raw).map_err(|_| ApiError::not_found("Region", "id", raw.to_owned()))
}

fn option_id(cx: &Cx) -> Result<ShippingOptionId, ApiError> {
    let raw = cx.param(0);
    ShippingOptionId::parse(raw)
        .map_err(|_| ApiError::not_found("Shipping option", "id", raw.to_owned()))
}

async fn read_region(cx: &Cx, id: &RegionId) -> Result<Region, ApiError> {
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| region::get(client, &store, id).await)
        .await
}

async fn region_answer(cx: &Cx, id: &RegionId) -> Result<Response, ApiError> {
    api_json(&json!({ "region": region_json(&read_region(cx, id).await?) }))
}

fn saved_text(cx: &Cx) -> Result<Option<&'static str>, ApiError> {
    let query: SavedQuery = cx.query_as()?;
    Ok(match query.saved.as_str() {
        "created" => Some("Region added. Give it shipping options below."),
        "saved" => Some("Saved. The shop shows the change within a few minutes."),
        "shipping" => {
            Some("Shipping options saved. The shop shows the change within a few minutes.")
        }
        _ => None,
    })
}

async fn list_page(
    cx: &Cx,
    notice: Option<RegionNotice>,
    status: u16,
) -> Result<Response, ApiError> {
    let saved = saved_text(cx)?;
    render(cx, async |client, member, shell| {
        let all = region::all(client, &member.store_id).await?;
        regions_page(shell, member, &all, notice, saved, status)
    })
    .await
}

async fn one_page(
    cx: &Cx,
    id: &RegionId,
    notice: Option<RegionNotice>,
    shipping: Option<ShippingNotice>,
    status: u16,
) -> Result<Response, ApiError> {
    let saved = saved_text(cx)?;
    render(cx, async |client, member, shell| {
        let found = region::get(client, &member.store_id, id).await?;
        let options = repo::shipping_options(client, &member.store_id, Some(id)).await?;
        region_page(
            shell,
            member,
            &found,
            &options,
            RegionNotices {
                region: notice,
                shipping,
            },
            saved,
            status,
        )
    })
    .await
}

/// `GET /admin/regions`: the page, or Medusa's list.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let store = cx.member()?.store_id.clone();
        let all = cx
            .with_db(async |client: &Client| region::all(client, &store).await)
            .await?;
        let shown: Vec<_> = all.iter().map(region_json).collect();
        return whole_list("regions", &shown);
    }
    list_page(cx, None, 200).await
}

/// `GET /admin/regions/:id`: the page, or `{region}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = region_id(cx.param(0))?;
    if cx.wants_json() {
        return region_answer(cx, &id).await;
    }
    one_page(cx, &id, None, None, 200).await
}

/// Checks and writes a region (`current`: the one changed), audited.
async fn write(
    cx: &Cx,
    current: Option<&Region>,
    input: &RegionInput,
) -> Result<RegionId, ApiError> {
    let fields = input
        .check(current.map(|r| r.currency))
        .map_err(|e| e.into_error())?;
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| match current {
        None => {
            let made = repo::create_region(tx, &store, &fields).await?;
            let entry = Entry {
                action: "region.create",
                target_id: None,
                change: json!({
                    "id": made, "name": [null, fields.name], "currency_code": [null, fields.currency],
                    "tax_rate_bp": [null, fields.tax_rate.basis_points()],
                    "tax_inclusive": [null, fields.tax_inclusive], "countries": [null, fields.countries],
                }),
            };
            Ok((made, entry))
        }
        Some(r) => {
            repo::update_region(tx, &store, &r.id, &fields).await?;
            let before: Vec<&str> = r.countries.iter().map(|c| c.iso_2.as_str()).collect();
            let entry = Entry {
                action: "region.update",
                target_id: Some(r.id.as_str()),
                change: json!({
                    "name": [r.name, fields.name],
                    "tax_rate_bp": [r.tax_rate.basis_points(), fields.tax_rate.basis_points()],
                    "tax_inclusive": [r.tax_inclusive, fields.tax_inclusive],
                    "countries": [before, fields.countries],
                }),
            };
            Ok((r.id.clone(), entry))
        }
    })
    .await
}

/// The form again with the refusal beside its field: a field's own problems, a
/// country another region has beside the countries, anything else above the form.
fn region_notice(form: RegionInput, fixed: Option<&Region>, err: &ApiError) -> RegionNotice {
    let errors = match form.check(fixed.map(|r| r.currency)) {
        Err(errors) => errors,
        Ok(_) => match err {
            ApiError::InvalidParam { param, reason } if param == "countries" => {
                FieldErrors(vec![("countries", reason.clone())])
            }
            ApiError::Conflict {
                code: ErrorCode::CountryTaken,
                message,
            } => FieldErrors(vec![("countries", message.clone())]),
            _ => FieldErrors::default(),
        },
    };
    let message = errors.is_empty().then(|| err.reason());
    RegionNotice {
        form,
        errors,
        message,
    }
}

/// `POST /admin/regions` (Medusa's path): a new region.
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let body: RegionBody = cx.json_as().await?;
        let id = write(cx, None, &body.input(None)).await?;
        return region_answer(cx, &id).await;
    }
    let form: RegionInput = cx.form().await?;
    match write(cx, None, &form).await {
        Ok(id) => http::see_other(&format!("/admin/regions/{}?saved=created", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            list_page(cx, Some(region_notice(form, None, &err)), err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/regions/:id` (Medusa's path): changes it; its currency stays.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = region_id(cx.param(0))?;
    let current = read_region(cx, &id).await?;
    if cx.wants_json() {
        let body: RegionBody = cx.json_as().await?;
        write(cx, Some(&current), &body.input(Some(&current))).await?;
        return region_answer(cx, &id).await;
    }
    let form: RegionInput = cx.form().await?;
    match write(cx, Some(&current), &form).await {
        Ok(_) => http::see_other(&format!("/admin/regions/{}?saved=saved", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let notice = region_notice(form, Some(&current), &err);
            one_page(cx, &id, Some(notice), None, err.status()).await
        }
        Err(err) => Err(err),
    }
}

// ------------------------------------------------------------------ shipping options

/// Option `id` with its region.
async fn read_option(
    cx: &Cx,
    id: &ShippingOptionId,
) -> Result<(AdminShippingOption, Region), ApiError> {
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| {
        let option = repo::shipping_option(client, &store, id).await?;
        let found = region::get(client, &store, &option.region_id).await?;
        Ok((option, found))
    })
    .await
}

async fn option_answer(cx: &Cx, id: &ShippingOptionId) -> Result<Response, ApiError> {
    let (option, found) = read_option(cx, id).await?;
    api_json(&json!({ "shipping_option": shipping_option_json(&option, found.currency) }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OptionsQuery {
    region_id: String,
}

/// `GET /admin/shipping-options` (Medusa's; `region_id` narrows it): `{shipping_options}`.
pub async fn options(cx: &mut Cx) -> Result<Response, ApiError> {
    let query: OptionsQuery = cx.query_as()?;
    let region = match query.region_id.trim() {
        "" => None,
        raw => Some(region_id(raw)?),
    };
    let store = cx.member()?.store_id.clone();
    let (list, regions) = cx
        .with_db(async |client: &Client| {
            let list = repo::shipping_options(client, &store, region.as_ref()).await?;
            Ok((list, region::all(client, &store).await?))
        })
        .await?;
    let shown: Vec<_> = list
        .iter()
        .filter_map(|o| {
            let r = regions.iter().find(|r| r.id == o.region_id)?;
            Some(shipping_option_json(o, r.currency))
        })
        .collect();
    whole_list("shipping_options", &shown)
}

/// `GET /admin/shipping-options/:id` (Medusa's): `{shipping_option}`.
pub async fn option(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = option_id(cx)?;
    option_answer(cx, &id).await
}

/// Checks and writes an option of `region` (`current`: the one changed), audited.
async fn write_option(
    cx: &Cx,
    region: &Region,
    current: Option<&AdminShippingOption>,
    input: &ShippingInput,
) -> Result<ShippingOptionId, ApiError> {
    let fields = input.check(region.currency).map_err(|e| e.into_error())?;
    let store = cx.member()?.store_id.clone();
    let (kind, amount, threshold) = fields.columns();
    let after =
        json!({ "name": fields.name, "kind": kind, "amount": amount, "threshold": threshold });
    audited(cx, async |tx: &Client| match current {
        None => {
            let made = repo::create_shipping_option(tx, &store, &region.id, &fields).await?;
            let entry = Entry {
                action: "shipping_option.create",
                target_id: None,
                change: json!({ "id": made, "region_id": region.id, "after": after }),
            };
            Ok((made, entry))
        }
        Some(o) => {
            let before = repo::update_shipping_option(tx, &store, &o.id, &fields).await?;
            let entry = Entry {
                action: "shipping_option.update",
                target_id: Some(o.id.as_str()),
                change: json!({ "before": {"name": before.name, "kind": before.kind}, "after": after }),
            };
            Ok((o.id.clone(), entry))
        }
    })
    .await
}

fn shipping_notice(
    option: Option<&AdminShippingOption>,
    form: ShippingInput,
    region: &Region,
    err: &ApiError,
) -> ShippingNotice {
    let errors = form.check(region.currency).err().unwrap_or_default();
    ShippingNotice {
        option_id: option.map(|o| o.id.as_str().to_owned()),
        message: errors.is_empty().then(|| err.reason()),
        form,
        errors,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewOptionForm {
    region_id: String,
    #[serde(flatten)]
    option: ShippingInput,
}

/// `POST /admin/shipping-options` (Medusa's path; the region's page posts here too).
pub async fn add_option(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let body: ShippingOptionBody = cx.json_as().await?;
        let region = match body.region_id.as_deref() {
            Some(raw) => region_id(raw).map_err(|_| {
                ApiError::invalid("region_id", "no region of the store has this id")
            })?,
            None => {
                return Err(ApiError::invalid(
                    "region_id",
                    "name the region that offers it",
                ))
            }
        };
        let found = read_region(cx, &region)
            .await
            .map_err(|_| ApiError::invalid("region_id", "no region of the store has this id"))?;
        let input = body.input(None, found.currency)?;
        let id = write_option(cx, &found, None, &input).await?;
        return option_answer(cx, &id).await;
    }
    let form: NewOptionForm = cx.form().await?;
    let found = read_region(cx, &region_id(&form.region_id)?).await?;
    match write_option(cx, &found, None, &form.option).await {
        Ok(_) => http::see_other(&format!(
            "/admin/regions/{}?saved=shipping",
            found.id.as_str()
        )),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let notice = shipping_notice(None, form.option, &found, &err);
            one_page(cx, &found.id, None, Some(notice), err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/shipping-options/:id` (Medusa's path): changes it (absent fields stay).
pub async fn update_option(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = option_id(cx)?;
    let (current, found) = read_option(cx, &id).await?;
    if cx.wants_json() {
        let body: ShippingOptionBody = cx.json_as().await?;
        if body
            .region_id
            .as_deref()
            .is_some_and(|r| r != found.id.as_str())
        {
            return Err(ApiError::invalid(
                "region_id",
                "an option stays in its region",
            ));
        }
        let input = body.input(Some(&current), found.currency)?;
        write_option(cx, &found, Some(&current), &input).await?;
        return option_answer(cx, &id).await;
    }
    let form: ShippingInput = cx.form().await?;
    match write_option(cx, &found, Some(&current), &form).await {
        Ok(_) => http::see_other(&format!(
            "/admin/regions/{}?saved=shipping",
            found.id.as_str()
        )),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let notice = shipping_notice(Some(&current), form, &found, &err);
            one_page(cx, &found.id, None, Some(notice), err.status()).await
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MovePost {
    direction: String,
}

/// `POST /admin/shipping-options/:id/move` (`direction`: up or down).
pub async fn move_option(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = option_id(cx)?;
    let posted: MovePost = cx.form().await?;
    let way = match posted.direction.as_str() {
        "up" => Move::Up,
        "down" => Move::Down,
        _ => return Err(ApiError::invalid("direction", "must be up or down")),
    };
    let store = cx.member()?.store_id.clone();
    let moved = audited(cx, async |tx: &Client| {
        let option = repo::move_shipping_option(tx, &store, &id, way).await?;
        let entry = Entry {
            action: "shipping_option.move",
            target_id: Some(id.as_str()),
            change: json!({ "direction": posted.direction }),
        };
        Ok((option, entry))
    })
    .await?;
    http::see_other(&format!(
        "/admin/regions/{}?saved=shipping",
        moved.region_id.as_str()
    ))
}

/// Removes option `id`, audited; answers it as it was.
async fn remove_option(cx: &Cx, id: &ShippingOptionId) -> Result<AdminShippingOption, ApiError> {
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| {
        let gone = repo::delete_shipping_option(tx, &store, id).await?;
        let entry = Entry {
            action: "shipping_option.delete",
            target_id: Some(id.as_str()),
            change: json!({ "name": [gone.name, null], "region_id": gone.region_id }),
        };
        Ok((gone, entry))
    })
    .await
}

/// `POST /admin/shipping-options/:id/delete` (the page's form, with its box).
pub async fn delete_option_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = option_id(cx)?;
    let posted: ConfirmPost = cx.form().await?;
    let (current, found) = read_option(cx, &id).await?;
    let refused = |err: &ApiError| ShippingNotice {
        message: Some(format!("{}: {}", current.name, err.reason())),
        ..ShippingNotice::default()
    };
    if posted.confirm != "yes" {
        let err = ApiError::invalid("confirm", "Please tick the box to confirm.");
        return one_page(cx, &found.id, None, Some(refused(&err)), err.status()).await;
    }
    match remove_option(cx, &id).await {
        Ok(_) => http::see_other(&format!(
            "/admin/regions/{}?saved=shipping",
            found.id.as_str()
        )),
        Err(err @ ApiError::Conflict { .. }) => {
            one_page(cx, &found.id, None, Some(refused(&err)), err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `DELETE /admin/shipping-options/:id` (Medusa's): `{id, object, deleted}`.
pub async fn delete_option(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = option_id(cx)?;
    remove_option(cx, &id).await?;
    api_json(&json!({ "id": id, "object": "shipping_option", "deleted": true }))
}
