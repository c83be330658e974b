//! Collections as staff keep them: a title, a handle unique in the store, whether the
//! home page features it, and which collection a product is in (one at most). Deleting
//! a collection leaves its products outside any. The products' documents and the
//! catalog version follow by the catalog's triggers.

use serde::Deserialize;
use serde_json::json;
use tokio_postgres::types::Type;

use super::{handle_from, product_updated, FieldErrors, MAX_TITLE};
use crate::db::{col, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{CollectionId, ProductId, StoreId};
use crate::params::Handle;

/// A collection as typed; an empty handle is made from the title.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CollectionInput {
    pub title: String,
    pub handle: String,
    /// "yes" when the home page features it (a form's box).
    pub featured: String,
}

/// A collection that passed [`CollectionInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionFields {
    pub title: String,
    pub handle: Handle,
    pub featured: bool,
}

impl CollectionInput {
    pub fn check(&self) -> Result<CollectionFields, FieldErrors> {
        let mut errors = Vec::new();
        let title = self.title.trim();
        if title.is_empty()
            || title.chars().count() > MAX_TITLE
            || title.chars().any(char::is_control)
        {
            errors.push((
                "title",
                format!("Give the collection a title (up to {MAX_TITLE} characters)."),
            ));
        }
        let typed = match self.handle.trim() {
            "" => handle_from(title),
            h => h.to_owned(),
        };
        let handle = match Handle::parse(&typed) {
            Ok(h) => Some(h),
            Err(reason) => {
                if !title.is_empty() {
                    errors.push(("handle", reason));
                }
                None
            }
        };
        match (handle, errors.is_empty()) {
            (Some(handle), true) => Ok(CollectionFields {
                title: title.to_owned(),
                handle,
                featured: self.featured == "yes",
            }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

/// A collection as the admin area shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminCollection {
    pub id: CollectionId,
    pub title: String,
    pub handle: String,
    pub featured: bool,
    pub products: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The store's collections by title.
pub async fn collections<C: Sql>(
    client: &C,
    store: &StoreId,
) -> Result<Vec<AdminCollection>, ApiError> {
    let params: [Param<'_>; 1] = [(store, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT c.id, c.title, c.handle, c.featured, api_ts(c.created_at) AS created_at,
                    api_ts(c.updated_at) AS updated_at,
                    (SELECT count(*) FROM products p WHERE p.collection_id = c.id) AS products
             FROM product_collections c WHERE c.store_id = $1 ORDER BY c.title, c.id",
            &params,
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(AdminCollection {
                id: col(row, "id")?,
                title: col(row, "title")?,
                handle: col(row, "handle")?,
                featured: col(row, "featured")?,
                products: col(row, "products")?,
                created_at: col(row, "created_at")?,
                updated_at: col(row, "updated_at")?,
            })
        })
        .collect()
}

/// Collection `id` of the list, or not found.
pub fn find<'a>(
    all: &'a [AdminCollection],
    id: &CollectionId,
) -> Result<&'a AdminCollection, ApiError> {
    all.iter()
        .find(|c| &c.id == id)
        .ok_or_else(|| ApiError::not_found("Collection", "id", id.as_str()))
}

fn handle_taken(handle: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::DuplicateHandle,
        format!("The handle {handle} is another collection's in this store; choose another."),
    )
}

/// A new collection of `store`.
pub async fn create_collection<C: Sql>(
    client: &C,
    store: &StoreId,
    fields: &CollectionFields,
) -> Result<CollectionId, ApiError> {
    let id = CollectionId::generate();
    let handle = fields.handle.as_str();
    let params: [Param<'_>; 5] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (&fields.title, Type::TEXT),
        (&handle, Type::TEXT),
        (&fields.featured, Type::BOOL),
    ];
    let made = client
        .execute_typed(
            "INSERT INTO product_collections (id, store_id, title, handle, featured)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (store_id, handle) DO NOTHING",
            &params,
        )
        .await?;
    if made == 0 {
        return Err(handle_taken(handle));
    }
    Ok(id)
}

/// Changes collection `id` to `fields`; answers its title before.
pub async fn update_collection<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CollectionId,
    fields: &CollectionFields,
) -> Result<String, ApiError> {
    let handle = fields.handle.as_str();
    let params: [Param<'_>; 5] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&fields.title, Type::TEXT),
        (&handle, Type::TEXT),
        (&fields.featured, Type::BOOL),
    ];
    let rows = client
        .query_typed(
            "WITH before AS (SELECT title FROM product_collections WHERE store_id = $1 AND id = $2),
                  taken AS (SELECT 1 FROM product_collections
                            WHERE store_id = $1 AND handle = $4 AND id <> $2),
                  changed AS (
                      UPDATE product_collections SET title = $3, handle = $4, featured = $5,
                             updated_at = now()
                      WHERE store_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM taken)
                        AND (title, handle, featured) IS DISTINCT FROM ($3, $4, $5)
                      RETURNING id)
             SELECT b.title, EXISTS (SELECT 1 FROM taken) AS taken FROM before b",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Collection", "id", id.as_str()))?;
    if col::<bool>(row, "taken")? {
        return Err(handle_taken(handle));
    }
    col(row, "title")
}

/// Deletes collection `id` (its products stay, in no collection); answers its title.
pub async fn delete_collection<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CollectionId,
) -> Result<String, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let rows = client
        .query_typed(
            "DELETE FROM product_collections WHERE store_id = $1 AND id = $2 RETURNING title",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Collection", "id", id.as_str()))?;
    col(row, "title")
}

/// Puts product `product` in `collection` (none: in no collection), with its
/// `product.updated` event when that changes anything.
pub async fn set_product_collection<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    collection: Option<&CollectionId>,
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (product, Type::TEXT),
        (&collection, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "WITH target AS (SELECT id FROM product_collections WHERE store_id = $1 AND id = $3),
                  before AS (SELECT collection_id FROM products WHERE store_id = $1 AND id = $2 FOR UPDATE),
                  changed AS (
                      UPDATE products SET collection_id = $3, updated_at = now()
                      WHERE store_id = $1 AND id = $2
                        AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM target))
                        AND collection_id IS DISTINCT FROM $3
                      RETURNING id)
             SELECT (SELECT collection_id FROM before) AS before,
                    EXISTS (SELECT 1 FROM before) AS found,
                    $3::text IS NULL OR EXISTS (SELECT 1 FROM target) AS known,
                    EXISTS (SELECT 1 FROM changed) AS changed",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::internal("placing a product answered nothing"))?;
    if !col::<bool>(row, "found")? {
        return Err(ApiError::not_found("Product", "id", product.as_str()));
    }
    if !col::<bool>(row, "known")? {
        return Err(ApiError::invalid(
            "collection_id",
            "Choose a collection from the list.",
        ));
    }
    if col::<bool>(row, "changed")? {
        let before: Option<String> = col(row, "before")?;
        product_updated(
            client,
            store,
            product,
            json!({ "collection_id": [before, collection] }),
            trace_id,
        )
        .await?;
    }
    Ok(())
}

/// Puts `add` in collection `id` and takes `remove` out of it (Medusa's `{add,
/// remove}`), each product with its event when that changes it.
pub async fn link_products<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CollectionId,
    add: &[ProductId],
    remove: &[ProductId],
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    for product in add {
        set_product_collection(client, store, product, Some(id), trace_id).await?;
    }
    for product in remove {
        set_product_collection(client, store, product, None, trace_id).await?;
    }
    Ok(())
}
