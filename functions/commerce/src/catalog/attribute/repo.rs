//! The store's attributes and its products' values in PostgreSQL. A definition's
//! change that touches products' values (a renamed key, a removed choice, the
//! attribute deleted) asks first ([`AttributeInUse`](crate::error::ErrorCode) until
//! `confirm`), then changes every such product in the same transaction, each with its
//! `product.updated` event; a new label rebuilds the kept documents that show it.

use serde_json::{json, Map, Value};
use tokio_postgres::types::{Json, Type};

use super::{Attribute, AttributeFields, AttributeKind, MAX_ATTRIBUTES};
use crate::catalog::edit::product_updated;
use crate::db::{col, json_col, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{AttributeId, ProductId, StoreId};

const SELECT: &str = "SELECT a.id, a.key, a.label, a.kind, a.choices, a.filterable,
        api_ts(a.created_at) AS created_at, api_ts(a.updated_at) AS updated_at,
        (SELECT count(*) FROM products p WHERE p.store_id = a.store_id AND p.attributes ? a.key)
            AS products
    FROM product_attributes a";

fn from_row(row: &tokio_postgres::Row) -> Result<Attribute, ApiError> {
    let kind: String = col(row, "kind")?;
    Ok(Attribute {
        id: col(row, "id")?,
        key: col(row, "key")?,
        label: col(row, "label")?,
        kind: AttributeKind::parse(&kind)
            .ok_or_else(|| ApiError::internal(format!("unknown attribute kind '{kind}'")))?,
        choices: col(row, "choices")?,
        filterable: col(row, "filterable")?,
        products: col(row, "products")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// The store's attributes in their order, each with how many products have a value.
pub async fn attributes<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<Attribute>, ApiError> {
    let sql = format!("{SELECT} WHERE a.store_id = $1 ORDER BY a.rank, a.key");
    let rows = client.query_typed(&sql, &[(store, Type::TEXT)]).await?;
    rows.iter().map(from_row).collect()
}

/// Attribute `id` of the store, or not found.
pub async fn attribute<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &AttributeId,
) -> Result<Attribute, ApiError> {
    let sql = format!("{SELECT} WHERE a.store_id = $1 AND a.id = $2");
    let rows = client
        .query_typed(&sql, &[(store, Type::TEXT), (id, Type::TEXT)])
        .await?;
    rows.first()
        .map(from_row)
        .transpose()?
        .ok_or_else(|| ApiError::not_found("Attribute", "id", id.as_str()))
}

fn key_taken(key: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::DuplicateName,
        format!("The store already has an attribute {key}; choose another key."),
    )
}

/// A new attribute of `store`, last in its order.
pub async fn create_attribute<C: Sql>(
    client: &C,
    store: &StoreId,
    fields: &AttributeFields,
) -> Result<AttributeId, ApiError> {
    let id = AttributeId::generate();
    let kind = fields.kind.as_str();
    let params: [Param<'_>; 8] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (&fields.key, Type::TEXT),
        (&fields.label, Type::TEXT),
        (&kind, Type::TEXT),
        (&fields.choices, Type::TEXT_ARRAY),
        (&fields.filterable, Type::BOOL),
        (&MAX_ATTRIBUTES, Type::INT8),
    ];
    let rows = client
        .query_typed(
            "WITH made AS (
                 INSERT INTO product_attributes
                     (id, store_id, key, label, kind, choices, filterable, rank)
                 SELECT $1, $2, $3, $4, $5, $6, $7,
                        coalesce((SELECT max(rank) + 1 FROM product_attributes WHERE store_id = $2), 0)
                 WHERE (SELECT count(*) FROM product_attributes WHERE store_id = $2) < $8
                 ON CONFLICT (store_id, key) DO NOTHING
                 RETURNING id)
             SELECT EXISTS (SELECT 1 FROM made) AS made,
                    (SELECT count(*) FROM product_attributes WHERE store_id = $2) >= $8 AS full",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::internal("adding an attribute answered nothing"))?;
    if col::<bool>(row, "made")? {
        Ok(id)
    } else if col::<bool>(row, "full")? {
        Err(ApiError::conflict(
            ErrorCode::AttributeInUse,
            format!("A store has at most {MAX_ATTRIBUTES} attributes."),
        ))
    } else {
        Err(key_taken(&fields.key))
    }
}

/// What a change of attribute `before` to `fields` does to products' values: how many
/// lose a value (a removed choice), and whether keys move.
fn products_losing(before: &Attribute, fields: &AttributeFields) -> Vec<String> {
    if before.kind != AttributeKind::Choice || fields.kind != AttributeKind::Choice {
        return Vec::new();
    }
    before
        .choices
        .iter()
        .filter(|c| !fields.choices.iter().any(|n| n == *c))
        .cloned()
        .collect()
}

fn in_use(message: String) -> ApiError {
    ApiError::conflict(ErrorCode::AttributeInUse, message)
}

/// Changes attribute `id` to `fields`; answers it as it was. A new kind is refused
/// while products have values of it; removed choices that products have, and a new
/// key, change those products only with `confirm` (409 saying what until then).
pub async fn update_attribute<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &AttributeId,
    fields: &AttributeFields,
    confirm: bool,
    trace_id: Option<&str>,
) -> Result<Attribute, ApiError> {
    let before = attribute(client, store, id).await?;
    if before.kind != fields.kind && before.products > 0 {
        return Err(in_use(format!(
            "{} products have a value of {}: a new kind would not fit them. Remove their \
             values first, or make a new attribute.",
            before.products, before.label
        )));
    }
    let removed = products_losing(&before, fields);
    let losing = if removed.is_empty() {
        0
    } else {
        let params: [Param<'_>; 3] = [
            (store, Type::TEXT),
            (&before.key, Type::TEXT),
            (&removed, Type::TEXT_ARRAY),
        ];
        let rows = client
            .query_typed(
                "SELECT count(*) AS n FROM products
                 WHERE store_id = $1 AND attributes ->> $2 = ANY($3)",
                &params,
            )
            .await?;
        col::<i64>(&rows[0], "n")?
    };
    if !confirm && losing > 0 {
        return Err(in_use(format!(
            "{losing} products have {} {}: saving removes their value. Confirm to go on.",
            if removed.len() == 1 {
                "the choice"
            } else {
                "the choices"
            },
            removed.join(", ")
        )));
    }
    if !confirm && before.key != fields.key && before.products > 0 {
        return Err(in_use(format!(
            "{} products have a value of {}: the key moves in each of them, and Store API \
             clients filtering by {} must use {}. Confirm to go on.",
            before.products, before.label, before.key, fields.key
        )));
    }
    let kind = fields.kind.as_str();
    let params: [Param<'_>; 7] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&fields.key, Type::TEXT),
        (&fields.label, Type::TEXT),
        (&kind, Type::TEXT),
        (&fields.choices, Type::TEXT_ARRAY),
        (&fields.filterable, Type::BOOL),
    ];
    let rows = client
        .query_typed(
            "WITH taken AS (SELECT 1 FROM product_attributes
                            WHERE store_id = $1 AND key = $3 AND id <> $2),
                  changed AS (
                      UPDATE product_attributes
                      SET key = $3, label = $4, kind = $5, choices = $6, filterable = $7,
                          updated_at = now()
                      WHERE store_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM taken)
                        AND (key, label, kind, choices, filterable)
                            IS DISTINCT FROM ($3, $4, $5, $6, $7)
                      RETURNING id)
             SELECT EXISTS (SELECT 1 FROM taken) AS taken,
                    EXISTS (SELECT 1 FROM changed) AS changed",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::internal("changing an attribute answered nothing"))?;
    if col::<bool>(row, "taken")? {
        return Err(key_taken(&fields.key));
    }
    if !col::<bool>(row, "changed")? {
        return Ok(before);
    }
    if losing > 0 {
        let params: [Param<'_>; 3] = [
            (store, Type::TEXT),
            (&before.key, Type::TEXT),
            (&removed, Type::TEXT_ARRAY),
        ];
        let sql = "UPDATE products SET attributes = attributes - $2::text, updated_at = now()
                   WHERE store_id = $1 AND attributes ->> $2 = ANY($3) RETURNING id";
        let gone = client.query_typed(sql, &params).await?;
        announce(
            client,
            store,
            &gone,
            json!({ "attributes": { &before.key: "removed" } }),
            trace_id,
        )
        .await?;
    }
    if before.key != fields.key {
        let params: [Param<'_>; 3] = [
            (store, Type::TEXT),
            (&before.key, Type::TEXT),
            (&fields.key, Type::TEXT),
        ];
        let sql = "UPDATE products
                   SET attributes = (attributes - $2::text) || jsonb_build_object($3::text, attributes -> $2),
                       updated_at = now()
                   WHERE store_id = $1 AND attributes ? $2 RETURNING id";
        let moved = client.query_typed(sql, &params).await?;
        announce(
            client,
            store,
            &moved,
            json!({ "attributes": { "key": [before.key, fields.key] } }),
            trace_id,
        )
        .await?;
    }
    // The label, kind and order shown in the documents of the products that have it.
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&fields.key, Type::TEXT)];
    client
        .execute_typed(
            "SELECT refresh_product_docs(ARRAY(SELECT id FROM products
                                               WHERE store_id = $1 AND attributes ? $2))",
            &params,
        )
        .await?;
    Ok(before)
}

/// Deletes attribute `id`; products with a value of it lose that value, only with
/// `confirm` (409 saying how many until then). Answers it as it was.
pub async fn delete_attribute<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &AttributeId,
    confirm: bool,
    trace_id: Option<&str>,
) -> Result<Attribute, ApiError> {
    let before = attribute(client, store, id).await?;
    if before.products > 0 && !confirm {
        return Err(in_use(format!(
            "{} products have a value of {}: deleting it removes their values. Confirm to go on.",
            before.products, before.label
        )));
    }
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    client
        .execute_typed(
            "DELETE FROM product_attributes WHERE store_id = $1 AND id = $2",
            &params,
        )
        .await?;
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&before.key, Type::TEXT)];
    let gone = client
        .query_typed(
            "UPDATE products SET attributes = attributes - $2::text, updated_at = now()
             WHERE store_id = $1 AND attributes ? $2 RETURNING id",
            &params,
        )
        .await?;
    announce(
        client,
        store,
        &gone,
        json!({ "attributes": { &before.key: "removed" } }),
        trace_id,
    )
    .await?;
    Ok(before)
}

/// `product.updated` with `changes` for each product of `rows` (`id`).
async fn announce<C: Sql>(
    client: &C,
    store: &StoreId,
    rows: &[tokio_postgres::Row],
    changes: Value,
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    for row in rows {
        let product: ProductId = col(row, "id")?;
        product_updated(client, store, &product, changes.clone(), trace_id).await?;
    }
    Ok(())
}

/// Product `product`'s values by key.
pub async fn product_values<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
) -> Result<Map<String, Value>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT attributes FROM products WHERE store_id = $1 AND id = $2",
            &[(store, Type::TEXT), (product, Type::TEXT)],
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Product", "id", product.as_str()))?;
    json_col(row, "attributes")
}

/// Sets product `product`'s values to `values` (checked by
/// [`super::values_from_text`] or [`super::values_from_json`]), with its
/// `product.updated` event when they changed; answers whether they did.
pub async fn set_product_values<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    values: &Map<String, Value>,
    trace_id: Option<&str>,
) -> Result<bool, ApiError> {
    let after = Json(values);
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (product, Type::TEXT),
        (&after, Type::JSONB),
    ];
    let rows = client
        .query_typed(
            "WITH before AS (SELECT attributes FROM products
                             WHERE store_id = $1 AND id = $2 FOR UPDATE),
                  changed AS (
                      UPDATE products SET attributes = $3, updated_at = now()
                      WHERE store_id = $1 AND id = $2 AND attributes IS DISTINCT FROM $3
                      RETURNING id)
             SELECT b.attributes, EXISTS (SELECT 1 FROM changed) AS changed FROM before b",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Product", "id", product.as_str()))?;
    if !col::<bool>(row, "changed")? {
        return Ok(false);
    }
    let before: Map<String, Value> = json_col(row, "attributes")?;
    product_updated(
        client,
        store,
        product,
        json!({ "attributes": [before, values] }),
        trace_id,
    )
    .await?;
    Ok(true)
}
