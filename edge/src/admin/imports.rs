//! Catalog import and export at `/admin/products/import...` and
//! `/admin/products/export.csv`. An upload (Medusa's `POST /admin/products/import`, the
//! JS SDK's `sdk.admin.product.import`) is read and checked at once, nothing written:
//! its dry run is kept with the file and shown by row and column. Confirming it
//! (Medusa's `POST /admin/products/imports/:id/confirm`) hands it to the origin's job
//! runner, which writes it in batches while its page shows the progress.

use commerce::catalog::import::job::{self, Import};
use commerce::catalog::import::{
    self, UploadedImage, MAX_IMPORT_BYTES, MAX_IMPORT_IMAGES, MAX_IMPORT_IMAGE_BYTES,
};
use commerce::ids::ImportId;
use commerce::ApiError;
use serde_json::json;
use storefront::admin::imports::{import_page, imports_page};
use tokio_postgres::Client;
use worker::{FormEntry, Response};

use commerce::staff::audit::Entry;

use super::{api_json, audited, product_images, render};
use crate::context::Cx;
use crate::http;

fn import_id(cx: &Cx) -> Result<ImportId, ApiError> {
    let raw = cx.param(0);
    ImportId::parse(raw).map_err(|_| ApiError::not_found("Import", "id", raw.to_owned()))
}

/// `GET /admin/products/import`: the upload form and the latest imports.
pub async fn page(cx: &mut Cx) -> Result<Response, ApiError> {
    list(cx, None, 200).await
}

async fn list(cx: &Cx, message: Option<String>, status: u16) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let imports = job::recent(client, &member.store_id).await?;
        imports_page(shell, member, &imports, message, status)
    })
    .await
}

/// Reads the uploaded file (`file`) and the images uploaded with it (`images`, stored
/// in the assets bucket at once), checks the file against the store and keeps it with
/// its dry run; answers the import's id.
async fn check_upload(cx: &mut Cx) -> Result<ImportId, ApiError> {
    let form = cx
        .multipart(MAX_IMPORT_BYTES + MAX_IMPORT_IMAGE_BYTES + 64 * 1024)
        .await?;
    let read = |e: worker::Error| ApiError::Internal {
        detail: format!("reading the upload: {e}"),
    };
    let (name, bytes) = match form.get("file") {
        Some(FormEntry::File(file)) => (file.name(), file.bytes().await.map_err(read)?),
        _ => (String::new(), Vec::new()),
    };
    if bytes.is_empty() {
        return Err(ApiError::invalid(
            "file",
            "Choose a product CSV file to check.",
        ));
    }
    let files: Vec<worker::File> = form
        .get_all("images")
        .unwrap_or_default()
        .into_iter()
        .filter_map(|entry| match entry {
            FormEntry::File(file) if file.size() > 0 => Some(file),
            _ => None,
        })
        .collect();
    if files.len() > MAX_IMPORT_IMAGES {
        return Err(ApiError::invalid(
            "images",
            format!(
                "Up to {MAX_IMPORT_IMAGES} images go with one file; import the rest with another."
            ),
        ));
    }
    let mut uploaded = Vec::with_capacity(files.len());
    for file in files {
        let image_name = file.name();
        let stored = product_images::store(cx, file.bytes().await.map_err(read)?)
            .await
            .map_err(|e| ApiError::invalid("images", format!("{image_name}: {}", e.reason())))?;
        uploaded.push(UploadedImage {
            name: image_name,
            key: stored.key,
            width: stored.width,
            height: stored.height,
        });
    }
    let store = cx.member()?.store_id.clone();
    let user = cx.member()?.user_id.as_str().to_owned();
    let name = match name.trim() {
        "" => "products.csv".to_owned(),
        typed => typed.to_owned(),
    };
    audited(cx, async |tx: &Client| {
        let mut ctx = import::context(tx, &store).await?;
        ctx.uploaded = uploaded.clone();
        let checked = import::check(tx, &store, &ctx, &bytes).await?;
        let id = job::create(tx, &store, &name, &bytes, &checked, &uploaded, Some(&user)).await?;
        let entry = Entry {
            action: "product.import.check",
            target_id: None,
            change: json!({ "import_id": id, "file": name, "rows": checked.read.rows,
                            "images": uploaded.len(),
                            "refused_rows": checked.read.refused_rows.len() }),
        };
        Ok((id, entry))
    })
    .await
}

/// The import, read for the member's store.
async fn stored(cx: &Cx, id: &ImportId) -> Result<Import, ApiError> {
    let store = cx.member()?.store_id.clone();
    cx.with_db(async |client: &Client| job::load(client, &store, id).await)
        .await
}

/// `POST /admin/products/import` (Medusa's path): checks a file. JSON: Medusa's
/// `{transaction_id, summary: {toCreate, toUpdate}}` with the problems by row.
pub async fn upload(cx: &mut Cx) -> Result<Response, ApiError> {
    match check_upload(cx).await {
        Ok(id) if cx.wants_json() => {
            let import = stored(cx, &id).await?;
            api_json(&json!({
                "transaction_id": id,
                "summary": { "toCreate": import.to_create, "toUpdate": import.to_update },
                "refused_rows": import.refused_rows,
                "problems": import.problems,
            }))
        }
        Ok(id) => http::see_other(&format!("/admin/products/imports/{}", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::PayloadTooLarge { .. }))
            if !cx.wants_json() =>
        {
            list(cx, Some(err.reason()), err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `GET /admin/products/imports/:id`: the page, or `{import}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = import_id(cx)?;
    if cx.wants_json() {
        let import = stored(cx, &id).await?;
        return api_json(&json!({ "import": import }));
    }
    one(cx, &id, None, 200).await
}

async fn one(
    cx: &Cx,
    id: &ImportId,
    message: Option<String>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let import = job::load(client, &member.store_id, id).await?;
        import_page(shell, member, &import, message, status)
    })
    .await
}

/// `POST /admin/products/imports/:id/confirm` (Medusa's path): starts writing a checked
/// import. JSON: 202 `{}`, as Medusa answers.
pub async fn confirm(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = import_id(cx)?;
    let member = cx.member()?.clone();
    let trace = cx.trace_id.clone();
    let result = audited(cx, async |tx: &Client| {
        let actor = commerce::inventory::Actor {
            user_id: Some(member.user_id.as_str()),
            api_key_id: member.api_key.as_ref().map(|k| k.as_str()),
            role: Some(member.role.audit_name()),
            trace_id: Some(&trace),
        };
        job::confirm(tx, &member.store_id, &id, actor).await?;
        let entry = Entry {
            action: "product.import.confirm",
            target_id: Some(id.as_str()),
            change: json!({}),
        };
        Ok(((), entry))
    })
    .await;
    match result {
        Ok(()) if cx.wants_json() => {
            let mut answer = http::json(202, &json!({}))?;
            answer
                .headers_mut()
                .set("cache-control", "no-store")
                .map_err(http::internal)?;
            Ok(answer)
        }
        Ok(()) => http::see_other(&format!("/admin/products/imports/{}", id.as_str())),
        Err(err @ ApiError::Conflict { .. }) if !cx.wants_json() => {
            one(cx, &id, Some(err.reason()), err.status()).await
        }
        Err(err) => Err(err),
    }
}

/// `GET /admin/products/export.csv`: the catalog as Shopify's product CSV, a download.
pub async fn export(cx: &mut Cx) -> Result<Response, ApiError> {
    let store = cx.member()?.store_id.clone();
    let csv = cx
        .with_db(async |client: &Client| {
            let ctx = import::context(client, &store).await?;
            import::export_shopify_csv(client, &store, &ctx).await
        })
        .await?;
    let mut response = http::bytes(200, "text/csv; charset=utf-8", csv)?;
    let headers = response.headers_mut();
    let name = format!("attachment; filename=\"products-{}.csv\"", store.as_str());
    headers
        .set("content-disposition", &name)
        .map_err(http::internal)?;
    headers
        .set("cache-control", "no-store")
        .map_err(http::internal)?;
    Ok(response)
}
