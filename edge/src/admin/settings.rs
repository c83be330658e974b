//! The store's settings at `/admin/settings` (its name, default region, hostnames and
//! search synonyms), Medusa's store paths of the admin API (`/admin/stores`, only the
//! member's own store: another's id is not found) and the synonyms' (`/admin/search/
//! synonyms`). Each change is audited in its transaction.

use commerce::ids::StoreId;
use commerce::region::{self, Region};
use commerce::search::repo as search_repo;
use commerce::search::synonyms::SynonymGroups;
use commerce::settings::json::{store_json, StoreBody};
use commerce::settings::{repo, Hostname, SettingsInput, StoreSettings};
use commerce::staff::audit::Entry;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::json;
use storefront::admin::settings::{settings_page, SettingsKept, SettingsNotice};
use tokio_postgres::Client;
use worker::Response;

use super::{api_json, audited, render, SavedQuery};
use crate::context::Cx;
use crate::http;

async fn read(cx: &Cx) -> Result<(StoreSettings, Vec<Region>), ApiError> {
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| {
        let settings = repo::store_settings(client, &store).await?;
        Ok((settings, region::all(client, &store).await?))
    })
    .await
}

async fn answer(cx: &Cx) -> Result<Response, ApiError> {
    let (settings, regions) = read(cx).await?;
    api_json(&json!({ "store": store_json(&settings, &regions) }))
}

async fn view(cx: &Cx, notice: SettingsNotice, status: u16) -> Result<Response, ApiError> {
    let query: SavedQuery = cx.query_as()?;
    let saved = match query.saved.as_str() {
        "store" => Some("Saved. The shop shows the change within a few minutes."),
        "host" => Some("Hostname added. Point its DNS at the shop if it does not yet."),
        "host-removed" => Some("Hostname removed; the shop is no longer served there."),
        "synonyms" => Some("Synonyms saved. The shop's searches use them within a few minutes."),
        _ => None,
    };
    render(cx, async |client, member, shell| {
        let settings = repo::store_settings(client, &member.store_id).await?;
        let regions = region::all(client, &member.store_id).await?;
        let synonyms = search_repo::written_synonyms(client, &member.store_id).await?;
        let kept = SettingsKept {
            settings: &settings,
            regions: &regions,
            synonyms: &synonyms,
        };
        settings_page(shell, member, kept, notice, saved, status)
    })
    .await
}

/// `GET /admin/settings`: the page.
pub async fn page(cx: &mut Cx) -> Result<Response, ApiError> {
    view(cx, SettingsNotice::default(), 200).await
}

/// Writes the store's name and default region, audited.
async fn write(cx: &Cx, input: &SettingsInput) -> Result<(), ApiError> {
    let fields = input.check().map_err(|e| e.into_error())?;
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| {
        let (name, region) = repo::update_store(tx, &store, &fields).await?;
        let entry = Entry {
            action: "store.update",
            target_id: Some(store.as_str()),
            change: json!({
                "name": [name, fields.name],
                "default_region_id": [region, fields.default_region],
            }),
        };
        Ok(((), entry))
    })
    .await
}

/// `POST /admin/settings` (the page's form).
pub async fn save(cx: &mut Cx) -> Result<Response, ApiError> {
    let form: SettingsInput = cx.form().await?;
    match write(cx, &form).await {
        Ok(()) => http::see_other("/admin/settings?saved=store"),
        Err(err @ ApiError::InvalidParam { .. }) => {
            let errors = match form.check() {
                Err(errors) => errors,
                Ok(_) => commerce::settings::FieldErrors(vec![("default_region_id", err.reason())]),
            };
            let notice = SettingsNotice {
                form: Some(form),
                errors,
                ..SettingsNotice::default()
            };
            view(cx, notice, err.status()).await
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HostPost {
    hostname: String,
    confirm: String,
}

/// `POST /admin/settings/hosts` (`hostname`): the shop is served there too.
pub async fn add_host(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: HostPost = cx.form().await?;
    let store = cx.member()?.store_id.clone();
    let added = match Hostname::parse(&posted.hostname) {
        Err(reason) => Err(ApiError::invalid("hostname", reason)),
        Ok(host) => {
            audited(cx, async |tx: &Client| {
                repo::add_host(tx, &store, &host).await?;
                let entry = Entry {
                    action: "store.host_add",
                    target_id: Some(store.as_str()),
                    change: json!({ "hostname": [null, host.as_str()] }),
                };
                Ok(((), entry))
            })
            .await
        }
    };
    match added {
        Ok(()) => http::see_other("/admin/settings?saved=host"),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            let notice = SettingsNotice {
                new_host: posted.hostname,
                new_host_error: Some(err.reason()),
                ..SettingsNotice::default()
            };
            view(cx, notice, err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/settings/hosts/delete` (`hostname`, `confirm`): no longer served there.
pub async fn remove_host(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: HostPost = cx.form().await?;
    let refused = |err: ApiError| SettingsNotice {
        message: Some(err.reason()),
        ..SettingsNotice::default()
    };
    if posted.confirm != "yes" {
        let err = ApiError::invalid("confirm", "Please tick the box to confirm.");
        return view(cx, refused(err.clone()), err.status()).await;
    }
    let store = cx.member()?.store_id.clone();
    let host = posted.hostname.trim().to_ascii_lowercase();
    let removed = audited(cx, async |tx: &Client| {
        repo::remove_host(tx, &store, &host).await?;
        let entry = Entry {
            action: "store.host_remove",
            target_id: Some(store.as_str()),
            change: json!({ "hostname": [host, null] }),
        };
        Ok(((), entry))
    })
    .await;
    match removed {
        Ok(()) => http::see_other("/admin/settings?saved=host-removed"),
        Err(err @ (ApiError::Conflict { .. } | ApiError::NotFound { .. })) => {
            view(cx, refused(err.clone()), err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// The path's store: the member's own, else not found.
fn own_store(cx: &Cx) -> Result<StoreId, ApiError> {
    let store = cx.member()?.store_id.clone();
    if cx.param(0) != store.as_str() {
        return Err(ApiError::not_found("Store", "id", cx.param(0).to_owned()));
    }
    Ok(store)
}

/// `GET /admin/stores` (Medusa's): the member's store, the only one they work in here.
pub async fn stores(cx: &mut Cx) -> Result<Response, ApiError> {
    let (settings, regions) = read(cx).await?;
    api_json(&json!({
        "stores": [store_json(&settings, &regions)], "count": 1, "offset": 0, "limit": 1,
    }))
}

/// `GET /admin/stores/:id` (Medusa's): `{store}`.
pub async fn store(cx: &mut Cx) -> Result<Response, ApiError> {
    own_store(cx)?;
    answer(cx).await
}

/// `POST /admin/stores/:id` (Medusa's): `name`, `default_region_id` and `hosts` (the
/// whole list); absent fields stay.
pub async fn update_store(cx: &mut Cx) -> Result<Response, ApiError> {
    let store = own_store(cx)?;
    let body: StoreBody = cx.json_as().await?;
    let (current, _) = read(cx).await?;
    let input = SettingsInput {
        name: body.name.clone().unwrap_or(current.name.clone()),
        default_region_id: match &body.default_region_id {
            Some(region) => region.clone().unwrap_or_default(),
            None => current
                .default_region
                .as_ref()
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
        },
    };
    let hosts = match &body.hosts {
        None => None,
        Some(list) => Some(
            list.iter()
                .map(|h| Hostname::parse(h).map_err(|reason| ApiError::invalid("hosts", reason)))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let fields = input.check().map_err(|e| e.into_error())?;
    audited(cx, async |tx: &Client| {
        let (name, region) = repo::update_store(tx, &store, &fields).await?;
        let before_hosts = match &hosts {
            Some(list) => Some(repo::replace_hosts(tx, &store, list).await?),
            None => None,
        };
        let entry = Entry {
            action: "store.update",
            target_id: Some(store.as_str()),
            change: json!({
                "name": [name, fields.name],
                "default_region_id": [region, fields.default_region],
                "hosts": before_hosts.map(|b| json!([b, hosts.iter().flatten().map(Hostname::as_str).collect::<Vec<_>>()])),
            }),
        };
        Ok(((), entry))
    })
    .await?;
    answer(cx).await
}

/// Replaces the store's search synonyms, audited; answers the groups as written.
async fn write_synonyms(cx: &Cx, groups: SynonymGroups) -> Result<Vec<Vec<String>>, ApiError> {
    let store = cx.member()?.store_id.clone();
    audited(cx, async |tx: &Client| {
        let before = search_repo::written_synonyms(tx, &store).await?;
        search_repo::set_synonyms(tx, &store, &groups).await?;
        let after = search_repo::written_synonyms(tx, &store).await?;
        let entry = Entry {
            action: "search.synonyms_set",
            target_id: Some(store.as_str()),
            change: json!({ "synonyms": [before, after] }),
        };
        Ok((after, entry))
    })
    .await
}

#[derive(Deserialize)]
struct SynonymsBody {
    synonyms: SynonymGroups,
}

/// `GET /admin/search/synonyms`: `{synonyms: [[term, …], …]}`, as staff wrote them.
pub async fn synonyms(cx: &mut Cx) -> Result<Response, ApiError> {
    let store = cx.member()?.store_id.clone();
    let groups = cx
        .with_db(async |client: &Client| search_repo::written_synonyms(client, &store).await)
        .await?;
    api_json(&json!({ "synonyms": groups }))
}

/// `POST /admin/search/synonyms` (`{synonyms: [[term, …], …]}`, every group: the list
/// replaces the store's).
pub async fn set_synonyms(cx: &mut Cx) -> Result<Response, ApiError> {
    let body: SynonymsBody = cx.json_as().await?;
    let groups = write_synonyms(cx, body.synonyms).await?;
    api_json(&json!({ "synonyms": groups }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SynonymsPost {
    synonyms: String,
}

/// `POST /admin/settings/synonyms` (the page's form: one group per line).
pub async fn save_synonyms(cx: &mut Cx) -> Result<Response, ApiError> {
    let posted: SynonymsPost = cx.form().await?;
    let refused = |reason: String| SettingsNotice {
        synonyms: Some(posted.synonyms.clone()),
        synonyms_error: Some(reason),
        ..SettingsNotice::default()
    };
    match SynonymGroups::from_text(&posted.synonyms) {
        Err(reason) => view(cx, refused(reason), 400).await,
        Ok(groups) => {
            write_synonyms(cx, groups).await?;
            http::see_other("/admin/settings?saved=synonyms#synonyms-h")
        }
    }
}
