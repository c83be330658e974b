//! A product's images as staff upload them: the file's type read from its bytes (JPEG,
//! PNG or WebP, whatever its name says), its size bounded, its dimensions read, and its
//! key in the assets bucket made from its content (`uploads/<sha-256>.<ext>`: the same
//! file is stored once, and its URL can be cached for ever). Then ordered, given alt
//! text, removed. The product's list image is always its first image. Each write sends
//! the product's `product.updated` event; run them in a transaction.

use serde_json::json;
use sha2::{Digest, Sha256};
use tokio_postgres::types::Type;

use super::options::lock_product;
use super::product_updated;
use crate::db::{col, Param, Sql};
use crate::error::ApiError;
use crate::ids::{ImageId, ProductId, StoreId};
use crate::inventory::location::Move;

/// The largest file accepted.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// The longest side accepted, in pixels.
pub const MAX_SIDE: u32 = 12_000;
/// The longest alt text.
pub const MAX_ALT: usize = 300;
/// The most images a product has.
pub const MAX_IMAGES: i64 = 50;

/// The image types accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
}

impl ImageFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Png => "png",
            ImageFormat::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Webp => "image/webp",
        }
    }
}

/// An uploaded file that passed [`inspect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    /// Its key in the assets bucket.
    pub key: String,
}

fn refused(reason: impl Into<String>) -> ApiError {
    ApiError::invalid("image", reason)
}

/// What the bytes of an upload are: its type from its first bytes, its dimensions from
/// its header, its key from its content. Anything else is refused with the reason.
pub fn inspect(bytes: &[u8]) -> Result<ImageFile, ApiError> {
    if bytes.is_empty() {
        return Err(refused("Choose an image file to upload."));
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(refused(format!(
            "The file is {} MB; images up to {} MB are accepted.",
            bytes.len().div_ceil(1024 * 1024),
            MAX_IMAGE_BYTES / (1024 * 1024)
        )));
    }
    let format = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Jpeg) => ImageFormat::Jpeg,
        Ok(imagesize::ImageType::Png) => ImageFormat::Png,
        Ok(imagesize::ImageType::Webp) => ImageFormat::Webp,
        _ => return Err(refused("Only JPEG, PNG and WebP images are accepted.")),
    };
    let size = imagesize::blob_size(bytes)
        .map_err(|_| refused("The image could not be read: the file looks damaged."))?;
    let (width, height) = (
        u32::try_from(size.width).unwrap_or(u32::MAX),
        u32::try_from(size.height).unwrap_or(u32::MAX),
    );
    if width == 0 || height == 0 {
        return Err(refused("The image has no pixels."));
    }
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(refused(format!(
            "The image is {width} x {height} pixels; up to {MAX_SIDE} on each side are accepted."
        )));
    }
    let digest = Sha256::digest(bytes);
    let key = format!(
        "uploads/{}.{}",
        hex::encode(&digest[..16]),
        format.extension()
    );
    Ok(ImageFile {
        format,
        width,
        height,
        key,
    })
}

/// Alt text as typed: trimmed, bounded, without control characters.
pub fn check_alt(typed: &str) -> Result<String, ApiError> {
    let alt = typed.trim();
    if alt.chars().count() > MAX_ALT || alt.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "alt",
            format!("up to {MAX_ALT} characters, without control characters"),
        ));
    }
    Ok(alt.to_owned())
}

/// Sets the product's list image to its first image (none: no list image).
async fn follow_thumbnail<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
) -> Result<(), ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (product, Type::TEXT)];
    client
        .execute_typed(
            "UPDATE products p SET thumbnail_key = first.key, updated_at = now()
             FROM (SELECT (SELECT r2_key FROM product_images i
                           WHERE i.store_id = $1 AND i.product_id = $2
                           ORDER BY i.rank, i.id LIMIT 1) AS key) first
             WHERE p.store_id = $1 AND p.id = $2
               AND p.thumbnail_key IS DISTINCT FROM first.key",
            &params,
        )
        .await?;
    Ok(())
}

/// Adds `file` (already stored under its key) to `product`, last, with `alt`.
pub async fn add_image<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    file: &ImageFile,
    alt: &str,
    trace_id: Option<&str>,
) -> Result<ImageId, ApiError> {
    lock_product(client, store, product).await?;
    let id = ImageId::generate();
    let (width, height) = (file.width as i32, file.height as i32);
    let params: [Param<'_>; 7] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (product, Type::TEXT),
        (&file.key, Type::TEXT),
        (&alt, Type::TEXT),
        (&width, Type::INT4),
        (&height, Type::INT4),
    ];
    let made = client
        .execute_typed(
            "INSERT INTO product_images (id, store_id, product_id, r2_key, alt, rank, width, height)
             SELECT $1, $2, $3, $4, $5,
                    coalesce((SELECT max(rank) + 1 FROM product_images WHERE product_id = $3), 0), $6, $7
             WHERE (SELECT count(*) FROM product_images WHERE product_id = $3) < 50",
            &params,
        )
        .await?;
    if made == 0 {
        return Err(refused(format!(
            "A product has at most {MAX_IMAGES} images; remove one first."
        )));
    }
    follow_thumbnail(client, store, product).await?;
    product_updated(
        client,
        store,
        product,
        json!({ "image_added": { "id": id, "key": file.key, "width": file.width, "height": file.height } }),
        trace_id,
    )
    .await?;
    Ok(id)
}

fn image_not_found(image: &ImageId) -> ApiError {
    ApiError::not_found("Image", "id", image.as_str())
}

/// Gives image `image` of `product` the alt text `alt`.
pub async fn set_alt<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    image: &ImageId,
    alt: &str,
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (product, Type::TEXT),
        (image, Type::TEXT),
        (&alt, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "WITH changed AS (UPDATE product_images SET alt = $4
                              WHERE store_id = $1 AND product_id = $2 AND id = $3 AND alt <> $4
                              RETURNING id)
             SELECT EXISTS (SELECT 1 FROM product_images
                            WHERE store_id = $1 AND product_id = $2 AND id = $3) AS found,
                    EXISTS (SELECT 1 FROM changed) AS changed",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::internal("changing alt text answered nothing"))?;
    if !col::<bool>(row, "found")? {
        return Err(image_not_found(image));
    }
    if col::<bool>(row, "changed")? {
        product_updated(
            client,
            store,
            product,
            json!({ "image_alt": { "id": image, "alt": alt } }),
            trace_id,
        )
        .await?;
    }
    Ok(())
}

/// Moves image `image` one place earlier or later among the product's images; the
/// first is the list image.
pub async fn move_image<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    image: &ImageId,
    way: Move,
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    lock_product(client, store, product).await?;
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (product, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT id FROM product_images WHERE store_id = $1 AND product_id = $2
             ORDER BY rank, id",
            &params,
        )
        .await?;
    let mut order: Vec<ImageId> = rows
        .iter()
        .map(|r| col(r, "id"))
        .collect::<Result<_, _>>()?;
    let at = order
        .iter()
        .position(|i| i == image)
        .ok_or_else(|| image_not_found(image))?;
    let to = match way {
        Move::Up => at.checked_sub(1),
        Move::Down => (at + 1 < order.len()).then_some(at + 1),
    };
    let Some(to) = to else {
        return Ok(());
    };
    order.swap(at, to);
    let ids: Vec<&str> = order.iter().map(ImageId::as_str).collect();
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (product, Type::TEXT),
        (&ids, Type::TEXT_ARRAY),
    ];
    client
        .execute_typed(
            "UPDATE product_images i SET rank = o.n - 1
             FROM unnest($3::text[]) WITH ORDINALITY AS o(id, n)
             WHERE i.store_id = $1 AND i.product_id = $2 AND i.id = o.id AND i.rank <> o.n - 1",
            &params,
        )
        .await?;
    follow_thumbnail(client, store, product).await?;
    product_updated(
        client,
        store,
        product,
        json!({ "images_ordered": ids }),
        trace_id,
    )
    .await
}

/// What removing an image leaves to do: its key, and whether any image row (of any
/// product of any store) still uses the stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedImage {
    pub key: String,
    pub still_used: bool,
}

/// Removes image `image` of `product`. The stored file stays while another image row
/// uses it; the caller deletes it from the bucket after the transaction commits when
/// none does.
pub async fn remove_image<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    image: &ImageId,
    trace_id: Option<&str>,
) -> Result<RemovedImage, ApiError> {
    lock_product(client, store, product).await?;
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (product, Type::TEXT),
        (image, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "WITH gone AS (DELETE FROM product_images
                           WHERE store_id = $1 AND product_id = $2 AND id = $3
                           RETURNING r2_key)
             SELECT g.r2_key,
                    EXISTS (SELECT 1 FROM product_images i
                            WHERE i.r2_key = g.r2_key AND i.id <> $3) AS still_used
             FROM gone g",
            &params,
        )
        .await?;
    let row = rows.first().ok_or_else(|| image_not_found(image))?;
    let removed = RemovedImage {
        key: col(row, "r2_key")?,
        still_used: col(row, "still_used")?,
    };
    follow_thumbnail(client, store, product).await?;
    product_updated(
        client,
        store,
        product,
        json!({ "image_removed": { "id": image, "key": removed.key } }),
        trace_id,
    )
    .await?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest PNG: a 1 x 1 pixel.
    pub const PIXEL_PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06, 0x00, 0x00, 0x00, 0x9D,
        0x74, 0x66, 0x1A, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    #[test]
    fn the_type_comes_from_the_bytes_and_the_key_from_the_content() {
        let file = inspect(PIXEL_PNG).unwrap();
        assert_eq!(file.format, ImageFormat::Png);
        assert_eq!((file.width, file.height), (3, 2));
        assert!(file.key.starts_with("uploads/") && file.key.ends_with(".png"));
        assert_eq!(file.key.len(), "uploads/".len() + 32 + ".png".len());
        assert_eq!(
            inspect(PIXEL_PNG).unwrap().key,
            file.key,
            "same bytes, same key"
        );

        let text = inspect(b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap_err();
        assert!(text.to_string().contains("JPEG, PNG and WebP"), "{text}");
        assert!(inspect(&[]).is_err());
        let cut = inspect(&PIXEL_PNG[..12]).unwrap_err();
        assert_eq!(cut.status(), 400);
        let huge = vec![0u8; MAX_IMAGE_BYTES + 1];
        assert!(inspect(&huge).unwrap_err().to_string().contains("MB"));
    }

    #[test]
    fn alt_text_is_bounded() {
        assert_eq!(check_alt("  Sand tee, front  ").unwrap(), "Sand tee, front");
        assert!(check_alt(&"x".repeat(MAX_ALT + 1)).is_err());
        assert!(check_alt("line\nbreak").is_err());
    }
}
