//! Options of a product (Size, Colour) and their values as staff write them, and the
//! variants made from them.
//!
//! The rule every write keeps: each variant of a product has exactly one value of each
//! of the product's options, and no two variants have the same values. So an option
//! added to a product that already has variants gives them its first value; removing a
//! value removes the variants that use it (the page asks first and names them); an
//! option is removed only once it is down to one value. Each write sends the product's
//! `product.updated` event; run them in a transaction.

use serde_json::json;
use tokio_postgres::types::Type;

use super::repo::{AdminOption, AdminProduct};
use super::variant::{insert_variant, VariantFields};
use super::{product_updated, FieldErrors};
use crate::db::{col, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{OptionId, OptionValueId, ProductId, StoreId, VariantId};
use crate::money::CurrencyCode;

/// The longest option title and value.
pub const MAX_OPTION_TEXT: usize = 100;
/// The most values an option has.
pub const MAX_VALUES: usize = 100;
/// The most options a product has (as Shopify's product CSV carries them).
pub const MAX_OPTIONS: usize = 3;
/// The most variants a product has (what generating them may reach).
pub const MAX_VARIANTS: usize = 250;

/// An option as typed: a title and its values (a form types them separated by commas).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionInput {
    pub title: String,
    pub values: Vec<String>,
}

/// An option that passed [`OptionInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionFields {
    pub title: String,
    pub values: Vec<String>,
}

/// Values typed in one field, separated by commas: "S, M, L".
pub fn split_values(typed: &str) -> Vec<String> {
    typed
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

fn check_title(title: &str, errors: &mut Vec<(&'static str, String)>) {
    if title.is_empty() {
        errors.push(("option_title", "Name the option, e.g. Size.".to_owned()));
    } else if title.chars().count() > MAX_OPTION_TEXT || title.chars().any(char::is_control) {
        errors.push((
            "option_title",
            format!("up to {MAX_OPTION_TEXT} characters, without control characters"),
        ));
    }
}

/// Each value's problem, and values typed twice (case does not tell values apart).
fn check_values<'a>(
    values: impl Iterator<Item = &'a str>,
    errors: &mut Vec<(&'static str, String)>,
) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    let mut twice = Vec::new();
    let mut long = false;
    for value in values {
        if value.chars().count() > MAX_OPTION_TEXT || value.chars().any(char::is_control) {
            long = true;
        } else if kept
            .iter()
            .any(|k| k.to_lowercase() == value.to_lowercase())
        {
            twice.push(value.to_owned());
        } else {
            kept.push(value.to_owned());
        }
    }
    if long {
        errors.push((
            "option_values",
            format!("each value up to {MAX_OPTION_TEXT} characters, without control characters"),
        ));
    }
    if !twice.is_empty() {
        errors.push((
            "option_values",
            format!("each value once: {} is given twice", twice.join(", ")),
        ));
    }
    if kept.len() > MAX_VALUES {
        errors.push(("option_values", format!("at most {MAX_VALUES} values")));
    }
    kept
}

impl OptionInput {
    pub fn check(&self) -> Result<OptionFields, FieldErrors> {
        let mut errors = Vec::new();
        let title = self.title.trim();
        check_title(title, &mut errors);
        let values = check_values(self.values.iter().map(|v| v.trim()), &mut errors);
        if values.is_empty() && errors.iter().all(|(f, _)| *f != "option_values") {
            errors.push((
                "option_values",
                "Give it at least one value, e.g. S, M, L.".to_owned(),
            ));
        }
        if errors.is_empty() {
            Ok(OptionFields {
                title: title.to_owned(),
                values,
            })
        } else {
            Err(FieldErrors(errors))
        }
    }
}

/// An option's edit as typed: its title, each present value as typed (empty: remove
/// it), and new values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionEdit {
    pub title: String,
    pub values: Vec<(OptionValueId, String)>,
    pub added: Vec<String>,
}

/// An option's edit that passed [`OptionEdit::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionChange {
    pub title: String,
    /// Values kept, with their (maybe new) text.
    pub kept: Vec<(OptionValueId, String)>,
    pub removed: Vec<OptionValueId>,
    pub added: Vec<String>,
}

impl OptionEdit {
    /// Medusa's update of `current`: a new title if given, and `values` as the whole
    /// list (if given): values it no longer names are emptied (removed), new ones added.
    pub fn replacing(
        current: &AdminOption,
        title: Option<String>,
        values: Option<Vec<String>>,
    ) -> Self {
        let title = title.unwrap_or_else(|| current.title.clone());
        let Some(wanted) = values else {
            return OptionEdit {
                title,
                values: current.values.clone(),
                added: Vec::new(),
            };
        };
        let kept = |text: &str| wanted.iter().any(|w| w.trim() == text);
        OptionEdit {
            title,
            values: current
                .values
                .iter()
                .map(|(id, text)| {
                    (
                        id.clone(),
                        if kept(text) {
                            text.clone()
                        } else {
                            String::new()
                        },
                    )
                })
                .collect(),
            added: wanted
                .iter()
                .filter(|w| !current.values.iter().any(|(_, t)| t == w.trim()))
                .cloned()
                .collect(),
        }
    }

    pub fn check(&self) -> Result<OptionChange, FieldErrors> {
        let mut errors = Vec::new();
        let title = self.title.trim();
        check_title(title, &mut errors);
        let kept: Vec<(OptionValueId, String)> = self
            .values
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(id, v)| (id.clone(), v.trim().to_owned()))
            .collect();
        let removed = self
            .values
            .iter()
            .filter(|(_, v)| v.trim().is_empty())
            .map(|(id, _)| id.clone())
            .collect();
        let added: Vec<String> = self.added.iter().map(|v| v.trim().to_owned()).collect();
        let all = check_values(
            kept.iter()
                .map(|(_, v)| v.as_str())
                .chain(added.iter().map(String::as_str).filter(|v| !v.is_empty())),
            &mut errors,
        );
        if all.is_empty() && errors.iter().all(|(f, _)| *f != "option_values") {
            errors.push((
                "option_values",
                "An option keeps at least one value; to drop the option, remove it instead."
                    .to_owned(),
            ));
        }
        if errors.is_empty() {
            Ok(OptionChange {
                title: title.to_owned(),
                kept,
                removed,
                added: added.into_iter().filter(|v| !v.is_empty()).collect(),
            })
        } else {
            Err(FieldErrors(errors))
        }
    }
}

/// A variant that a removal takes along.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoingVariant {
    pub id: VariantId,
    pub title: String,
    pub reserved: i64,
}

impl GoingVariant {
    /// From a row with `id`, `title` and `reserved`.
    pub(super) fn from_row(row: &tokio_postgres::Row) -> Result<Self, ApiError> {
        Ok(GoingVariant {
            id: col(row, "id")?,
            title: col(row, "title")?,
            reserved: col(row, "reserved")?,
        })
    }
}

/// Fails unless product `product` of `store` exists; locks it so that concurrent option
/// and variant writes to it happen one after the other.
pub(super) async fn lock_product<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
) -> Result<(), ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (product, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT 1 FROM products WHERE store_id = $1 AND id = $2 FOR UPDATE",
            &params,
        )
        .await?;
    if rows.is_empty() {
        return Err(ApiError::not_found("Product", "id", product.as_str()));
    }
    Ok(())
}

fn option_taken(title: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::DuplicateOption,
        format!("The product already has an option named {title}."),
    )
}

async fn insert_values<C: Sql>(
    client: &C,
    store: &StoreId,
    option: &OptionId,
    values: &[String],
) -> Result<Vec<OptionValueId>, ApiError> {
    let ids: Vec<OptionValueId> = values.iter().map(|_| OptionValueId::generate()).collect();
    let id_texts: Vec<&str> = ids.iter().map(OptionValueId::as_str).collect();
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (option, Type::TEXT),
        (&id_texts, Type::TEXT_ARRAY),
        (&values, Type::TEXT_ARRAY),
    ];
    client
        .execute_typed(
            "INSERT INTO product_option_values (id, store_id, option_id, value, rank)
             SELECT v.id, $1, $2, v.value,
                    coalesce((SELECT max(rank) FROM product_option_values WHERE option_id = $2), -1)
                    + v.n::int
             FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS v(id, value, n)",
            &params,
        )
        .await?;
    Ok(ids)
}

/// Adds option `fields` to `product`, last; variants it already has take its first
/// value.
pub async fn add_option<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    fields: &OptionFields,
    trace_id: Option<&str>,
) -> Result<OptionId, ApiError> {
    lock_product(client, store, product).await?;
    let id = OptionId::generate();
    let params: [Param<'_>; 4] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (product, Type::TEXT),
        (&fields.title, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "WITH present AS (SELECT count(*) AS n,
                                     bool_or(lower(title) = lower($4)) AS taken
                              FROM product_options WHERE product_id = $3),
                  made AS (
                      INSERT INTO product_options (id, store_id, product_id, title, rank)
                      SELECT $1, $2, $3, $4,
                             coalesce((SELECT max(rank) + 1 FROM product_options WHERE product_id = $3), 0)
                      FROM present WHERE NOT coalesce(present.taken, false)
                        AND present.n < 3
                      RETURNING id)
             SELECT coalesce(taken, false) AS taken, n, EXISTS (SELECT 1 FROM made) AS made
             FROM present",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::internal("adding an option answered nothing"))?;
    if col::<bool>(row, "taken")? {
        return Err(option_taken(&fields.title));
    }
    if !col::<bool>(row, "made")? {
        return Err(ApiError::invalid(
            "option_title",
            format!("A product has at most {MAX_OPTIONS} options."),
        ));
    }
    let values = insert_values(client, store, &id, &fields.values).await?;
    if let Some(first) = values.first() {
        let params: [Param<'_>; 3] = [
            (store, Type::TEXT),
            (product, Type::TEXT),
            (first, Type::TEXT),
        ];
        client
            .execute_typed(
                "INSERT INTO product_variant_option_values (store_id, variant_id, option_value_id)
                 SELECT $1, v.id, $3 FROM product_variants v WHERE v.store_id = $1 AND v.product_id = $2",
                &params,
            )
            .await?;
    }
    product_updated(
        client,
        store,
        product,
        json!({ "option_added": { "id": id, "title": fields.title, "values": fields.values } }),
        trace_id,
    )
    .await?;
    Ok(id)
}

/// The option `option` of `product` as stored, or not found.
async fn stored_option<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    option: &OptionId,
) -> Result<AdminOption, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (product, Type::TEXT)];
    super::repo::options(client, &params)
        .await?
        .into_iter()
        .find(|o| &o.id == option)
        .ok_or_else(|| ApiError::not_found("Option", "id", option.as_str()))
}

/// The variants of `product` that use any of `values`, with what orders hold of them.
pub async fn variants_using<C: Sql>(
    client: &C,
    store: &StoreId,
    values: &[OptionValueId],
) -> Result<Vec<GoingVariant>, ApiError> {
    let ids: Vec<&str> = values.iter().map(OptionValueId::as_str).collect();
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&ids, Type::TEXT_ARRAY)];
    let rows = client
        .query_typed(
            "SELECT v.id, v.title,
                    coalesce((SELECT sum(il.reserved) FROM inventory_levels il
                              WHERE il.variant_id = v.id), 0)::int8 AS reserved
             FROM product_variants v
             WHERE v.store_id = $1 AND EXISTS (
                 SELECT 1 FROM product_variant_option_values vov
                 WHERE vov.variant_id = v.id AND vov.option_value_id = ANY($2))
             ORDER BY v.rank, v.id",
            &params,
        )
        .await?;
    rows.iter().map(GoingVariant::from_row).collect()
}

/// Refuses to remove variants that orders hold stock of.
pub(super) fn none_held(going: &[GoingVariant]) -> Result<(), ApiError> {
    let held: Vec<&str> = going
        .iter()
        .filter(|v| v.reserved > 0)
        .map(|v| v.title.as_str())
        .collect();
    if held.is_empty() {
        Ok(())
    } else {
        Err(ApiError::conflict(
            ErrorCode::StockHeld,
            format!(
                "Orders hold stock of {}; ship or cancel them before removing it.",
                held.join(", ")
            ),
        ))
    }
}

/// What [`update_option`] would remove, for the page to ask first: the variants that
/// use the values `change` removes.
pub async fn update_removes<C: Sql>(
    client: &C,
    store: &StoreId,
    change: &OptionChange,
) -> Result<Vec<GoingVariant>, ApiError> {
    if change.removed.is_empty() {
        return Ok(Vec::new());
    }
    variants_using(client, store, &change.removed).await
}

/// Renames option `option`, renames, removes and adds its values. Variants that use a
/// removed value go too, which needs `confirmed` (else a 409 naming them); variants
/// that orders hold stock of are never removed.
pub async fn update_option<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    option: &OptionId,
    change: &OptionChange,
    confirmed: bool,
    trace_id: Option<&str>,
) -> Result<Vec<GoingVariant>, ApiError> {
    lock_product(client, store, product).await?;
    let before = stored_option(client, store, product, option).await?;
    if let Some((unknown, _)) = change
        .kept
        .iter()
        .find(|(id, _)| !before.values.iter().any(|(v, _)| v == id))
    {
        return Err(ApiError::not_found("Option value", "id", unknown.as_str()));
    }
    let going = update_removes(client, store, change).await?;
    none_held(&going)?;
    if !going.is_empty() && !confirmed {
        return Err(ApiError::conflict(
            ErrorCode::OptionInUse,
            format!(
                "Removing those values removes the variants {}; confirm to go on.",
                going
                    .iter()
                    .map(|v| v.title.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (product, Type::TEXT),
        (option, Type::TEXT),
        (&change.title, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "SELECT EXISTS (SELECT 1 FROM product_options WHERE store_id = $1 AND product_id = $2
                            AND id <> $3 AND lower(title) = lower($4)) AS taken",
            &params,
        )
        .await?;
    if rows.first().map(|r| col::<bool>(r, "taken")).transpose()? == Some(true) {
        return Err(option_taken(&change.title));
    }
    client
        .execute_typed(
            "UPDATE product_options SET title = $4
             WHERE store_id = $1 AND product_id = $2 AND id = $3 AND title <> $4",
            &params,
        )
        .await?;
    let going_ids: Vec<&str> = going.iter().map(|v| v.id.as_str()).collect();
    let removed: Vec<&str> = change.removed.iter().map(OptionValueId::as_str).collect();
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&going_ids, Type::TEXT_ARRAY)];
    client
        .execute_typed(
            "DELETE FROM product_variants WHERE store_id = $1 AND id = ANY($2)",
            &params,
        )
        .await?;
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (option, Type::TEXT),
        (&removed, Type::TEXT_ARRAY),
    ];
    client
        .execute_typed(
            "DELETE FROM product_option_values WHERE store_id = $1 AND option_id = $2 AND id = ANY($3)",
            &params,
        )
        .await?;
    // Renamed values: two steps, so that swapping two values' texts never collides.
    let kept_ids: Vec<&str> = change.kept.iter().map(|(id, _)| id.as_str()).collect();
    let kept_texts: Vec<&str> = change.kept.iter().map(|(_, v)| v.as_str()).collect();
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (option, Type::TEXT),
        (&kept_ids, Type::TEXT_ARRAY),
        (&kept_texts, Type::TEXT_ARRAY),
    ];
    for set in ["ov.id || ' ' || k.value", "k.value"] {
        client
            .execute_typed(
                &format!(
                    "UPDATE product_option_values ov SET value = {set}
                     FROM unnest($3::text[], $4::text[]) AS k(id, value)
                     WHERE ov.store_id = $1 AND ov.option_id = $2 AND ov.id = k.id
                       AND ov.value <> k.value"
                ),
                &params,
            )
            .await?;
    }
    insert_values(client, store, option, &change.added).await?;
    let renamed: serde_json::Map<String, serde_json::Value> = change
        .kept
        .iter()
        .filter_map(|(id, now)| {
            let (_, was) = before.values.iter().find(|(v, _)| v == id)?;
            (was != now).then(|| (was.clone(), json!(now)))
        })
        .collect();
    let removed_texts: Vec<&str> = before
        .values
        .iter()
        .filter(|(id, _)| change.removed.contains(id))
        .map(|(_, v)| v.as_str())
        .collect();
    product_updated(
        client,
        store,
        product,
        json!({ "option_changed": {
            "id": option, "title": [before.title, change.title], "values_renamed": renamed,
            "values_added": change.added, "values_removed": removed_texts,
            "variants_removed": going.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
        } }),
        trace_id,
    )
    .await?;
    Ok(going)
}

/// Removes option `option` of `product`, which must be down to one value: variants
/// keep their other values. Answers the option's title.
pub async fn remove_option<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    option: &OptionId,
    trace_id: Option<&str>,
) -> Result<String, ApiError> {
    lock_product(client, store, product).await?;
    let before = stored_option(client, store, product, option).await?;
    if before.values.len() > 1 {
        return Err(ApiError::conflict(
            ErrorCode::OptionInUse,
            format!(
                "{} has {} values; remove them down to one first (each removal says which variants go with it).",
                before.title,
                before.values.len()
            ),
        ));
    }
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (option, Type::TEXT)];
    client
        .execute_typed(
            "DELETE FROM product_options WHERE store_id = $1 AND id = $2",
            &params,
        )
        .await?;
    product_updated(
        client,
        store,
        product,
        json!({ "option_removed": { "id": option, "title": before.title } }),
        trace_id,
    )
    .await?;
    Ok(before.title)
}

/// How generated variants are made: one price per currency for all of them, an
/// optional SKU prefix (the SKU is the prefix and the values: `TEE-M-BLUE`), and the two
/// stock settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateInput {
    pub sku_prefix: String,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    pub prices: Vec<(String, String)>,
}

impl GenerateInput {
    /// What every generated variant shares (its SKU the prefix), or every field's
    /// problem; `currencies` are the store's, each of which needs a price.
    pub fn check(&self, currencies: &[CurrencyCode]) -> Result<VariantFields, FieldErrors> {
        let template = super::variant::VariantInput {
            title: "generated".to_owned(),
            sku: self.sku_prefix.clone(),
            manage_inventory: self.manage_inventory,
            allow_backorder: self.allow_backorder,
            prices: self.prices.clone(),
            ..Default::default()
        };
        template.check(currencies).map_err(|mut e| {
            for (field, _) in &mut e.0 {
                if *field == "sku" {
                    *field = "sku_prefix";
                }
            }
            e
        })
    }
}

/// The SKU part of an option value: upper-case letters and digits, dashes between.
fn sku_part(value: &str) -> String {
    super::handle_from(value).to_ascii_uppercase()
}

/// Every combination of the options' values, in the options' order.
pub fn combinations(options: &[AdminOption]) -> Vec<Vec<(OptionValueId, String)>> {
    let mut all: Vec<Vec<(OptionValueId, String)>> = vec![Vec::new()];
    for option in options {
        all = all
            .into_iter()
            .flat_map(|prefix| {
                option.values.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.push(v.clone());
                    next
                })
            })
            .collect();
    }
    if options.is_empty() {
        Vec::new()
    } else {
        all
    }
}

/// The combinations of `product`'s option values that no variant has yet.
pub fn missing_combinations(product: &AdminProduct) -> Vec<Vec<(OptionValueId, String)>> {
    combinations(&product.options)
        .into_iter()
        .filter(|combo| {
            !product.variants.iter().any(|v| {
                combo
                    .iter()
                    .all(|(id, _)| v.options.iter().any(|o| &o.value_id == id))
            })
        })
        .collect()
}

/// Makes a variant for each combination of the product's option values that no variant
/// has yet, priced by `input`; answers their ids (none when every combination exists).
pub async fn generate_variants<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    template: &VariantFields,
    trace_id: Option<&str>,
) -> Result<Vec<VariantId>, ApiError> {
    lock_product(client, store, product).await?;
    let current = super::repo::one(client, store, product).await?;
    if current.options.is_empty() {
        return Err(ApiError::invalid(
            "options",
            "Add an option with its values first (e.g. Size: S, M, L).",
        ));
    }
    let missing = missing_combinations(&current);
    if current.variants.len() + missing.len() > MAX_VARIANTS {
        return Err(ApiError::invalid(
            "options",
            format!(
                "That makes {} variants; a product has at most {MAX_VARIANTS}.",
                current.variants.len() + missing.len()
            ),
        ));
    }
    let mut made = Vec::new();
    for combo in &missing {
        let title = combo
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" / ");
        let sku = template.sku.as_ref().map(|prefix| {
            std::iter::once(prefix.clone())
                .chain(combo.iter().map(|(_, v)| sku_part(v)))
                .collect::<Vec<_>>()
                .join("-")
        });
        let fields = VariantFields {
            title,
            sku,
            ..template.clone()
        };
        let values: Vec<OptionValueId> = combo.iter().map(|(id, _)| id.clone()).collect();
        made.push(insert_variant(client, store, product, &fields, &values).await?);
    }
    if !made.is_empty() {
        product_updated(
            client,
            store,
            product,
            json!({ "variants_generated": made.iter().map(VariantId::as_str).collect::<Vec<_>>() }),
            trace_id,
        )
        .await?;
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_option_needs_a_title_and_distinct_values() {
        let ok = OptionInput {
            title: " Size ".into(),
            values: split_values("S, M ,, L"),
        };
        let fields = ok.check().unwrap();
        assert_eq!(fields.title, "Size");
        assert_eq!(fields.values, ["S", "M", "L"]);

        let bad = OptionInput {
            title: String::new(),
            values: split_values("Blue, blue"),
        };
        let errors = bad.check().unwrap_err();
        assert!(errors.of("option_title").is_some());
        assert!(errors.of("option_values").unwrap().contains("blue"));

        let none = OptionInput {
            title: "Size".into(),
            values: vec![],
        };
        assert!(none.check().unwrap_err().of("option_values").is_some());
    }

    #[test]
    fn an_edit_keeps_renames_removes_and_adds() {
        let s = OptionValueId::parse("optval_s").unwrap();
        let m = OptionValueId::parse("optval_m").unwrap();
        let edit = OptionEdit {
            title: "Size".into(),
            values: vec![(s.clone(), "Small".into()), (m.clone(), " ".into())],
            added: split_values("XL"),
        };
        let change = edit.check().unwrap();
        assert_eq!(change.kept, [(s.clone(), "Small".to_owned())]);
        assert_eq!(change.removed, std::slice::from_ref(&m));
        assert_eq!(change.added, ["XL"]);

        let emptied = OptionEdit {
            title: "Size".into(),
            values: vec![(s, String::new()), (m, String::new())],
            added: vec![],
        };
        assert!(emptied.check().unwrap_err().of("option_values").is_some());
    }

    #[test]
    fn a_medusa_values_list_keeps_removes_and_adds() {
        let value = |id: &str, v: &str| (OptionValueId::parse(id).unwrap(), v.to_owned());
        let size = AdminOption {
            id: OptionId::parse("opt_size").unwrap(),
            title: "Size".into(),
            values: vec![value("optval_s", "S"), value("optval_m", "M")],
        };
        let edit = OptionEdit::replacing(&size, None, Some(vec!["M".into(), "L".into()]));
        assert_eq!(edit.title, "Size");
        assert_eq!(edit.values, [value("optval_s", ""), value("optval_m", "M")]);
        assert_eq!(edit.added, ["L"]);
        let renamed = OptionEdit::replacing(&size, Some("Fit".into()), None);
        assert_eq!((renamed.title.as_str(), renamed.values.len()), ("Fit", 2));
    }

    #[test]
    fn combinations_follow_the_options_order() {
        let value = |id: &str, v: &str| (OptionValueId::parse(id).unwrap(), v.to_owned());
        let options = vec![
            AdminOption {
                id: OptionId::parse("opt_size").unwrap(),
                title: "Size".into(),
                values: vec![value("optval_s", "S"), value("optval_m", "M")],
            },
            AdminOption {
                id: OptionId::parse("opt_colour").unwrap(),
                title: "Colour".into(),
                values: vec![value("optval_b", "Blue"), value("optval_r", "Red")],
            },
        ];
        let titles: Vec<String> = combinations(&options)
            .iter()
            .map(|c| {
                c.iter()
                    .map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join(" / ")
            })
            .collect();
        assert_eq!(titles, ["S / Blue", "S / Red", "M / Blue", "M / Red"]);
        assert!(combinations(&[]).is_empty());
        assert_eq!(sku_part("Light blue"), "LIGHT-BLUE");
    }
}
