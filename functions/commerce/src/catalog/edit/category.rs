//! Categories as staff arrange them: a tree per store (a category sits at the top or
//! inside another), ordered among its siblings, each with a name, a handle unique in the
//! store, a description and whether shoppers see it; and which categories a product is
//! in. A category never sits inside itself or one of its own subcategories, and one
//! with subcategories is not deleted (they would go with it). The products' documents
//! and the catalog version follow by the catalog's triggers.

use serde::Deserialize;
use serde_json::json;
use tokio_postgres::types::Type;

use super::{handle_from, product_updated, FieldErrors, MAX_DESCRIPTION, MAX_TITLE};
use crate::db::{col, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{CategoryId, ProductId, StoreId};
use crate::inventory::location::Move;
use crate::params::Handle;

/// A category as typed; an empty handle is made from the name, an empty parent is the
/// top of the tree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CategoryInput {
    pub name: String,
    pub handle: String,
    pub description: String,
    /// "yes" when shoppers see it (a form's box).
    pub active: String,
    pub parent: String,
}

/// A category that passed [`CategoryInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryFields {
    pub name: String,
    pub handle: Handle,
    pub description: String,
    pub is_active: bool,
    pub parent: Option<CategoryId>,
}

impl CategoryInput {
    pub fn check(&self) -> Result<CategoryFields, FieldErrors> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_TITLE || name.chars().any(char::is_control)
        {
            errors.push((
                "name",
                format!("Name the category (up to {MAX_TITLE} characters)."),
            ));
        }
        let typed = match self.handle.trim() {
            "" => handle_from(name),
            h => h.to_owned(),
        };
        let handle = match Handle::parse(&typed) {
            Ok(h) => Some(h),
            Err(reason) => {
                if !name.is_empty() {
                    errors.push(("handle", reason));
                }
                None
            }
        };
        let description = self.description.trim();
        if description.chars().count() > MAX_DESCRIPTION {
            errors.push(("description", format!("up to {MAX_DESCRIPTION} characters")));
        }
        let parent = match self.parent.trim() {
            "" => None,
            id => match CategoryId::parse(id) {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(("parent", "Choose a category from the list.".to_owned()));
                    None
                }
            },
        };
        match (handle, errors.is_empty()) {
            (Some(handle), true) => Ok(CategoryFields {
                name: name.to_owned(),
                handle,
                description: description.to_owned(),
                is_active: self.active == "yes",
                parent,
            }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

/// A category as the admin area shows it, in tree order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminCategory {
    pub id: CategoryId,
    pub name: String,
    pub handle: String,
    pub description: String,
    pub is_active: bool,
    pub parent: Option<CategoryId>,
    pub rank: i32,
    /// 0 at the top of the tree.
    pub depth: i32,
    pub products: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The store's categories depth first, each after its parent, siblings by rank.
pub async fn tree<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<AdminCategory>, ApiError> {
    let params: [Param<'_>; 1] = [(store, Type::TEXT)];
    let rows = client
        .query_typed(
            "WITH RECURSIVE t AS (
                 SELECT c.id, 0 AS depth, ARRAY[c.rank, 0] AS path, ARRAY[c.id] AS ids
                 FROM product_categories c WHERE c.store_id = $1 AND c.parent_id IS NULL
                 UNION ALL
                 SELECT c.id, t.depth + 1, t.path || c.rank, t.ids || c.id
                 FROM product_categories c JOIN t ON c.parent_id = t.id
                 WHERE c.store_id = $1 AND NOT c.id = ANY(t.ids))
             SELECT c.id, c.name, c.handle, c.description, c.is_active, c.parent_id, c.rank,
                    t.depth, api_ts(c.created_at) AS created_at, api_ts(c.updated_at) AS updated_at,
                    (SELECT count(*) FROM product_category_products pc
                     WHERE pc.category_id = c.id) AS products
             FROM t JOIN product_categories c ON c.id = t.id
             ORDER BY t.path, c.id",
            &params,
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(AdminCategory {
                id: col(row, "id")?,
                name: col(row, "name")?,
                handle: col(row, "handle")?,
                description: col(row, "description")?,
                is_active: col(row, "is_active")?,
                parent: col(row, "parent_id")?,
                rank: col(row, "rank")?,
                depth: col(row, "depth")?,
                products: col(row, "products")?,
                created_at: col(row, "created_at")?,
                updated_at: col(row, "updated_at")?,
            })
        })
        .collect()
}

/// Category `id` of `store`, or not found.
pub fn find<'a>(tree: &'a [AdminCategory], id: &CategoryId) -> Result<&'a AdminCategory, ApiError> {
    tree.iter()
        .find(|c| &c.id == id)
        .ok_or_else(|| ApiError::not_found("Category", "id", id.as_str()))
}

fn handle_taken(handle: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::DuplicateHandle,
        format!("The handle {handle} is another category's in this store; choose another."),
    )
}

/// Refuses a parent that is not the store's, or that is `id` itself or one of its
/// subcategories.
fn check_parent(
    tree: &[AdminCategory],
    id: Option<&CategoryId>,
    parent: Option<&CategoryId>,
) -> Result<(), ApiError> {
    let Some(parent) = parent else {
        return Ok(());
    };
    find(tree, parent)
        .map_err(|_| ApiError::invalid("parent", "Choose a category from the list."))?;
    if let Some(id) = id {
        let mut at = Some(parent.clone());
        while let Some(current) = at {
            if &current == id {
                return Err(ApiError::invalid(
                    "parent",
                    "A category cannot sit inside itself or one of its own subcategories.",
                ));
            }
            at = tree
                .iter()
                .find(|c| c.id == current)
                .and_then(|c| c.parent.clone());
        }
    }
    Ok(())
}

/// A new category of `store`, last among its siblings.
pub async fn create_category<C: Sql>(
    client: &C,
    store: &StoreId,
    fields: &CategoryFields,
) -> Result<CategoryId, ApiError> {
    let current = tree(client, store).await?;
    check_parent(&current, None, fields.parent.as_ref())?;
    let id = CategoryId::generate();
    let handle = fields.handle.as_str();
    let params: [Param<'_>; 7] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (&fields.parent, Type::TEXT),
        (&fields.name, Type::TEXT),
        (&handle, Type::TEXT),
        (&fields.description, Type::TEXT),
        (&fields.is_active, Type::BOOL),
    ];
    let made = client
        .execute_typed(
            "INSERT INTO product_categories (id, store_id, parent_id, name, handle, description, is_active, rank)
             SELECT $1, $2, $3, $4, $5, $6, $7,
                    coalesce((SELECT max(rank) + 1 FROM product_categories
                              WHERE store_id = $2 AND parent_id IS NOT DISTINCT FROM $3), 0)
             ON CONFLICT (store_id, handle) DO NOTHING",
            &params,
        )
        .await?;
    if made == 0 {
        return Err(handle_taken(handle));
    }
    Ok(id)
}

/// Changes category `id` to `fields`; a new parent puts it last among its new siblings.
/// Answers the category before.
pub async fn update_category<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CategoryId,
    fields: &CategoryFields,
) -> Result<AdminCategory, ApiError> {
    let current = tree(client, store).await?;
    let before = find(&current, id)?.clone();
    check_parent(&current, Some(id), fields.parent.as_ref())?;
    let handle = fields.handle.as_str();
    let params: [Param<'_>; 7] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&fields.parent, Type::TEXT),
        (&fields.name, Type::TEXT),
        (&handle, Type::TEXT),
        (&fields.description, Type::TEXT),
        (&fields.is_active, Type::BOOL),
    ];
    let rows = client
        .query_typed(
            "WITH taken AS (SELECT 1 FROM product_categories
                            WHERE store_id = $1 AND handle = $5 AND id <> $2),
                  changed AS (
                      UPDATE product_categories c SET name = $4, handle = $5, description = $6,
                             is_active = $7, updated_at = now(),
                             rank = CASE WHEN c.parent_id IS NOT DISTINCT FROM $3 THEN c.rank
                                    ELSE coalesce((SELECT max(o.rank) + 1 FROM product_categories o
                                                   WHERE o.store_id = $1
                                                     AND o.parent_id IS NOT DISTINCT FROM $3), 0) END,
                             parent_id = $3
                      WHERE c.store_id = $1 AND c.id = $2 AND NOT EXISTS (SELECT 1 FROM taken)
                      RETURNING c.id)
             SELECT EXISTS (SELECT 1 FROM taken) AS taken",
            &params,
        )
        .await?;
    if rows.first().map(|r| col::<bool>(r, "taken")).transpose()? == Some(true) {
        return Err(handle_taken(handle));
    }
    Ok(before)
}

/// Moves category `id` one place earlier or later among its siblings.
pub async fn move_category<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CategoryId,
    way: Move,
) -> Result<(), ApiError> {
    let current = tree(client, store).await?;
    let me = find(&current, id)?;
    let mut siblings: Vec<&AdminCategory> =
        current.iter().filter(|c| c.parent == me.parent).collect();
    siblings.sort_by_key(|c| (c.rank, c.id.as_str().to_owned()));
    let Some(at) = siblings.iter().position(|c| &c.id == id) else {
        return Ok(());
    };
    let to = match way {
        Move::Up => at.checked_sub(1),
        Move::Down => (at + 1 < siblings.len()).then_some(at + 1),
    };
    let Some(to) = to else {
        return Ok(());
    };
    siblings.swap(at, to);
    let ids: Vec<&str> = siblings.iter().map(|c| c.id.as_str()).collect();
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&ids, Type::TEXT_ARRAY)];
    client
        .execute_typed(
            "UPDATE product_categories c SET rank = o.n - 1
             FROM unnest($2::text[]) WITH ORDINALITY AS o(id, n)
             WHERE c.store_id = $1 AND c.id = o.id AND c.rank <> o.n - 1",
            &params,
        )
        .await?;
    Ok(())
}

/// Deletes category `id` (its products stay, outside it); refused while it has
/// subcategories. Answers its name.
pub async fn delete_category<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CategoryId,
) -> Result<String, ApiError> {
    let current = tree(client, store).await?;
    let me = find(&current, id)?;
    let children: Vec<&str> = current
        .iter()
        .filter(|c| c.parent.as_ref() == Some(id))
        .map(|c| c.name.as_str())
        .collect();
    if !children.is_empty() {
        return Err(ApiError::conflict(
            ErrorCode::CategoryInUse,
            format!(
                "{} has subcategories ({}): move or delete them first.",
                me.name,
                children.join(", ")
            ),
        ));
    }
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    client
        .execute_typed(
            "DELETE FROM product_categories WHERE store_id = $1 AND id = $2",
            &params,
        )
        .await?;
    Ok(me.name.clone())
}

/// The categories product `product` is in.
pub async fn product_categories<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
) -> Result<Vec<CategoryId>, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (product, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT category_id FROM product_category_products
             WHERE store_id = $1 AND product_id = $2 ORDER BY category_id",
            &params,
        )
        .await?;
    rows.iter().map(|r| col(r, "category_id")).collect()
}

/// Puts product `product` in exactly `categories` (each the store's), with its
/// `product.updated` event when that changes anything.
pub async fn set_product_categories<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    categories: &[CategoryId],
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    super::options::lock_product(client, store, product).await?;
    let current = tree(client, store).await?;
    for id in categories {
        find(&current, id).map_err(|_| {
            ApiError::invalid(
                "categories",
                format!("{} is not one of the store's categories", id.as_str()),
            )
        })?;
    }
    let before = product_categories(client, store, product).await?;
    let mut wanted: Vec<CategoryId> = categories.to_vec();
    wanted.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    wanted.dedup();
    if before == wanted {
        return Ok(());
    }
    let ids: Vec<&str> = wanted.iter().map(CategoryId::as_str).collect();
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (product, Type::TEXT),
        (&ids, Type::TEXT_ARRAY),
    ];
    client
        .execute_typed(
            "DELETE FROM product_category_products
             WHERE store_id = $1 AND product_id = $2 AND NOT category_id = ANY($3)",
            &params,
        )
        .await?;
    client
        .execute_typed(
            "INSERT INTO product_category_products (store_id, category_id, product_id)
             SELECT $1, c, $2 FROM unnest($3::text[]) c
             ON CONFLICT DO NOTHING",
            &params,
        )
        .await?;
    let before: Vec<&str> = before.iter().map(CategoryId::as_str).collect();
    product_updated(
        client,
        store,
        product,
        json!({ "categories": [before, ids] }),
        trace_id,
    )
    .await
}

/// Puts `add` in category `id` and takes `remove` out of it (Medusa's `{add, remove}`),
/// each product with its event when that changes it.
pub async fn link_products<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CategoryId,
    add: &[ProductId],
    remove: &[ProductId],
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    let changes = add
        .iter()
        .map(|p| (p, true))
        .chain(remove.iter().map(|p| (p, false)));
    for (product, keep) in changes {
        let mut now = product_categories(client, store, product).await?;
        now.retain(|c| c != id);
        if keep {
            now.push(id.clone());
        }
        set_product_categories(client, store, product, &now, trace_id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(id: &str, parent: Option<&str>) -> AdminCategory {
        AdminCategory {
            id: CategoryId::parse(id).unwrap(),
            name: id.into(),
            handle: id.into(),
            description: String::new(),
            is_active: true,
            parent: parent.map(|p| CategoryId::parse(p).unwrap()),
            rank: 0,
            depth: 0,
            products: 0,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn a_category_never_sits_inside_itself() {
        let tree = vec![
            category("pcat_a", None),
            category("pcat_b", Some("pcat_a")),
            category("pcat_c", Some("pcat_b")),
        ];
        let id = |s: &str| CategoryId::parse(s).unwrap();
        assert!(check_parent(&tree, Some(&id("pcat_a")), Some(&id("pcat_c"))).is_err());
        assert!(check_parent(&tree, Some(&id("pcat_a")), Some(&id("pcat_a"))).is_err());
        assert!(check_parent(&tree, Some(&id("pcat_c")), Some(&id("pcat_a"))).is_ok());
        assert!(check_parent(&tree, None, Some(&id("pcat_x"))).is_err());
        let input = CategoryInput {
            name: " Knitwear ".into(),
            active: "yes".into(),
            ..CategoryInput::default()
        };
        let fields = input.check().unwrap();
        assert_eq!(
            (fields.handle.as_str(), fields.is_active),
            ("knitwear", true)
        );
        assert!(CategoryInput::default()
            .check()
            .unwrap_err()
            .of("name")
            .is_some());
    }
}
