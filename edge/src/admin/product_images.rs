//! A product's images at `/admin/products/:id/images...`: uploaded from the product's
//! page (a multipart form; a JSON client gets `{product}`), stored in the assets bucket
//! under a key made from the content, given alt text, moved, removed. The file goes to
//! the bucket before the database row (the same bytes always make the same key, so a
//! failed row leaves nothing wrong behind); a removed file leaves the bucket after the
//! transaction, once no image row uses it.

use commerce::catalog::edit::images::{self, ImageFile, MAX_IMAGE_BYTES};
use commerce::ids::{ImageId, ProductId};
use commerce::inventory::location::Move;
use commerce::staff::audit::Entry;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::json;
use storefront::admin::products::ImageNotice;
use tokio_postgres::Client;
use worker::{FormEntry, HttpMetadata, Response};

use super::products::{answer, page, product_id, Refused};
use super::variants::ConfirmPost;
use super::{api_json, audited};
use crate::bindings::ASSETS;
use crate::context::Cx;
use crate::http;

/// The image of the path's second id; a malformed id is not found.
fn image_id(cx: &Cx) -> Result<ImageId, ApiError> {
    let raw = cx.param(1);
    ImageId::parse(raw).map_err(|_| ApiError::not_found("Image", "id", raw.to_owned()))
}

fn r2_failed(e: worker::Error) -> ApiError {
    ApiError::Internal {
        detail: format!("assets bucket: {e}"),
    }
}

/// Reads the upload (`image` file, `alt`), checks it, stores the file; answers it with
/// the alt text.
async fn receive(cx: &mut Cx) -> Result<(ImageFile, String), ApiError> {
    let form = cx.multipart(MAX_IMAGE_BYTES + 64 * 1024).await?;
    let alt = form.get_field("alt").unwrap_or_default();
    let bytes = match form.get("image") {
        Some(FormEntry::File(file)) => file.bytes().await.map_err(r2_failed)?,
        _ => Vec::new(),
    };
    let alt = images::check_alt(&alt)?;
    Ok((store(cx, bytes).await?, alt))
}

/// Checks an uploaded image's bytes and stores them in the assets bucket under their
/// content's key (the same bytes always make the same key, so storing before the
/// database row leaves nothing wrong behind when the row is refused).
pub(super) async fn store(cx: &Cx, bytes: Vec<u8>) -> Result<ImageFile, ApiError> {
    let file = images::inspect(&bytes)?;
    let bucket = cx.env.bucket(ASSETS).map_err(r2_failed)?;
    let metadata = HttpMetadata {
        content_type: Some(file.format.content_type().to_owned()),
        cache_control: Some("public, max-age=31536000, immutable".to_owned()),
        ..HttpMetadata::default()
    };
    bucket
        .put(file.key.as_str(), bytes)
        .http_metadata(metadata)
        .execute()
        .await
        .map_err(r2_failed)?;
    Ok(file)
}

/// The product's page with a refused image form: `target` none is the upload form.
async fn refused(
    cx: &Cx,
    id: &ProductId,
    target: Option<ImageId>,
    alt: String,
    err: &ApiError,
) -> Result<Response, ApiError> {
    let refused = Refused {
        image: Some(ImageNotice {
            target,
            alt,
            message: err.reason(),
        }),
        ..Refused::default()
    };
    page(cx, Some(id), refused, None, err.status()).await
}

fn saved(id: &ProductId) -> Result<Response, ApiError> {
    http::see_other(&format!("/admin/products/{}?saved=image", id.as_str()))
}

/// `POST /admin/products/:id/images`: uploads an image (multipart: `image`, `alt`).
pub async fn upload(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    let received = receive(cx).await;
    let result = match received {
        Ok((file, alt)) => {
            let store = cx.member()?.store_id.clone();
            let trace = cx.trace_id.clone();
            audited(cx, async |tx: &Client| {
                let made = images::add_image(tx, &store, &id, &file, &alt, Some(&trace)).await?;
                let entry = Entry {
                    action: "product.image.create",
                    target_id: Some(id.as_str()),
                    change: json!({ "image_id": made, "key": file.key, "alt": alt }),
                };
                Ok(((), entry))
            })
            .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(()) if cx.wants_json() => answer(cx, &id).await,
        Ok(()) => saved(&id),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::PayloadTooLarge { .. }))
            if !cx.wants_json() =>
        {
            refused(cx, &id, None, String::new(), &err).await
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AltPost {
    alt: String,
}

/// `POST /admin/products/:id/images/:image_id`: the image's alt text (a form, or JSON
/// `{alt}` answered with `{product}`).
pub async fn alt(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, image) = (product_id(cx)?, image_id(cx)?);
    let posted: AltPost = match cx.wants_json() {
        true => cx.json_as().await?,
        false => cx.form().await?,
    };
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    let result = match images::check_alt(&posted.alt) {
        Ok(alt) => {
            audited(cx, async |tx: &Client| {
                images::set_alt(tx, &store, &id, &image, &alt, Some(&trace)).await?;
                let entry = Entry {
                    action: "product.image.update",
                    target_id: Some(image.as_str()),
                    change: json!({ "product_id": id, "alt": alt }),
                };
                Ok(((), entry))
            })
            .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(()) if cx.wants_json() => answer(cx, &id).await,
        Ok(()) => saved(&id),
        Err(err @ ApiError::InvalidParam { .. }) if !cx.wants_json() => {
            refused(cx, &id, Some(image), posted.alt, &err).await
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MovePost {
    direction: String,
}

/// `POST /admin/products/:id/images/:image_id/move` (`direction`: up or down).
pub async fn reorder(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, image) = (product_id(cx)?, image_id(cx)?);
    let posted: MovePost = cx.form().await?;
    let way = match posted.direction.as_str() {
        "up" => Move::Up,
        "down" => Move::Down,
        _ => return Err(ApiError::invalid("direction", "must be up or down")),
    };
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        images::move_image(tx, &store, &id, &image, way, Some(&trace)).await?;
        let entry = Entry {
            action: "product.image.move",
            target_id: Some(image.as_str()),
            change: json!({ "product_id": id, "direction": posted.direction }),
        };
        Ok(((), entry))
    })
    .await?;
    saved(&id)
}

/// Removes the image with its audit record, then its file when nothing uses it.
async fn remove(cx: &Cx, id: &ProductId, image: &ImageId) -> Result<(), ApiError> {
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    let removed = audited(cx, async |tx: &Client| {
        let removed = images::remove_image(tx, &store, id, image, Some(&trace)).await?;
        let entry = Entry {
            action: "product.image.delete",
            target_id: Some(image.as_str()),
            change: json!({ "product_id": id, "key": removed.key }),
        };
        Ok((removed, entry))
    })
    .await?;
    if !removed.still_used {
        let bucket = cx.env.bucket(ASSETS).map_err(r2_failed)?;
        // A file left behind costs storage only; the removal itself has happened.
        if let Err(e) = bucket.delete(removed.key.as_str()).await {
            cx.log_failure(&r2_failed(e));
        }
    }
    Ok(())
}

/// `POST /admin/products/:id/images/:image_id/delete` (the page's form, with its
/// confirmation box).
pub async fn delete_form(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, image) = (product_id(cx)?, image_id(cx)?);
    let posted: ConfirmPost = cx.form().await?;
    if posted.confirm != "yes" {
        let err = ApiError::invalid("confirm", "Please tick the box to confirm.");
        return refused(cx, &id, Some(image), String::new(), &err).await;
    }
    remove(cx, &id, &image).await?;
    saved(&id)
}

/// `DELETE /admin/products/:id/images/:image_id`: `{id, object, deleted}`.
pub async fn delete(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, image) = (product_id(cx)?, image_id(cx)?);
    remove(cx, &id, &image).await?;
    api_json(&json!({ "id": image, "object": "product_image", "deleted": true }))
}
