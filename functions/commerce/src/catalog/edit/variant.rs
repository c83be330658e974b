//! Variants as staff add, change and remove them: a title, an optional SKU and barcode
//! (each unique in the store), a weight, a price in every currency of the store's regions, whether
//! stock is counted and may be oversold, and its value of each of the product's options
//! (none two alike). Checked all at once ([`VariantInput::check`]), written with its
//! prices in one transaction with the product's `product.updated` event.

use serde_json::json;
use tokio_postgres::types::Type;

use super::options::{lock_product, none_held, GoingVariant};
use super::{product_updated, FieldErrors};
use crate::db::{col, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{OptionValueId, ProductId, StoreId, VariantId};
use crate::money::{parse_major, CurrencyCode};

/// A variant as typed: prices by currency code, in major units ("49.00").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariantInput {
    pub title: String,
    pub sku: String,
    /// EAN, UPC, ISBN or the store's own code; empty: none.
    pub barcode: String,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    pub prices: Vec<(String, String)>,
    /// Grams, as typed; empty: not given.
    pub weight: String,
    /// Its value of each option, by the option's title (a new variant only).
    pub options: Vec<(String, String)>,
}

/// A variant that passed [`VariantInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantFields {
    pub title: String,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    /// Minor units, one per currency of the store.
    pub prices: Vec<(CurrencyCode, i64)>,
    pub weight_g: Option<i32>,
    pub options: Vec<(String, String)>,
}

/// What a barcode may be (the schema's check says the same).
pub const BARCODE_RULE: &str = "up to 64 letters, digits and hyphens, e.g. 4006381333931";

/// Whether `barcode` (not empty) follows [`BARCODE_RULE`].
pub fn barcode_ok(barcode: &str) -> bool {
    (1..=64).contains(&barcode.len())
        && barcode
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The heaviest weight accepted, in grams (a tonne).
pub const MAX_WEIGHT_G: i32 = 1_000_000;

impl VariantInput {
    /// The variant, or every field's problem; `currencies` are those the store's regions
    /// sell in, each of which needs a price.
    pub fn check(&self, currencies: &[CurrencyCode]) -> Result<VariantFields, FieldErrors> {
        let mut errors = Vec::new();
        let title = self.title.trim();
        if title.is_empty() {
            errors.push((
                "variant_title",
                "Give the variant a title, e.g. M / Blue.".to_owned(),
            ));
        } else if title.chars().count() > super::MAX_TITLE {
            errors.push((
                "variant_title",
                format!("must be {} characters or fewer", super::MAX_TITLE),
            ));
        }
        let sku = self.sku.trim();
        if sku.chars().count() > 100 || sku.chars().any(|c| c.is_control() || c.is_whitespace()) {
            errors.push(("sku", "up to 100 characters without spaces".to_owned()));
        }
        let barcode = self.barcode.trim();
        if !barcode.is_empty() && !barcode_ok(barcode) {
            errors.push(("barcode", BARCODE_RULE.to_owned()));
        }
        let mut prices = Vec::new();
        let mut wrong = Vec::new();
        for currency in currencies {
            let typed = self
                .prices
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(currency.as_str()))
                .map(|(_, a)| a.trim())
                .unwrap_or_default();
            match parse_major(typed, *currency) {
                Some(minor) if !typed.is_empty() => prices.push((*currency, minor)),
                _ => wrong.push(currency.as_str().to_ascii_uppercase()),
            }
        }
        if !wrong.is_empty() {
            errors.push((
                "prices",
                format!("a price is needed in {} (e.g. 49.00)", wrong.join(", ")),
            ));
        }
        let weight_g = match self.weight.trim() {
            "" => None,
            typed => match typed.parse::<i32>() {
                Ok(g) if (0..=MAX_WEIGHT_G).contains(&g) => Some(g),
                _ => {
                    errors.push((
                        "weight",
                        format!("whole grams from 0 to {MAX_WEIGHT_G}, e.g. 250"),
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(VariantFields {
                title: title.to_owned(),
                sku: (!sku.is_empty()).then(|| sku.to_owned()),
                barcode: (!barcode.is_empty()).then(|| barcode.to_owned()),
                manage_inventory: self.manage_inventory,
                allow_backorder: self.allow_backorder,
                prices,
                weight_g,
                options: self
                    .options
                    .iter()
                    .map(|(o, v)| (o.trim().to_owned(), v.trim().to_owned()))
                    .collect(),
            })
        } else {
            Err(FieldErrors(errors))
        }
    }
}

/// The currencies of the store's regions, each once, in code order.
pub async fn store_currencies<C: Sql>(
    client: &C,
    store: &StoreId,
) -> Result<Vec<CurrencyCode>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT DISTINCT currency_code FROM regions WHERE store_id = $1 ORDER BY 1",
            &[(store, Type::TEXT)],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let code: String = col(row, "currency_code")?;
            CurrencyCode::parse(&code).map_err(|e| ApiError::internal(e.to_string()))
        })
        .collect()
}

fn sku_taken(sku: Option<&str>) -> ApiError {
    ApiError::conflict(
        ErrorCode::DuplicateSku,
        format!(
            "The SKU {} is another variant's in this store; choose another.",
            sku.unwrap_or_default()
        ),
    )
}

fn barcode_taken(barcode: Option<&str>) -> ApiError {
    ApiError::conflict(
        ErrorCode::DuplicateBarcode,
        format!(
            "The barcode {} is another variant's in this store; check it.",
            barcode.unwrap_or_default()
        ),
    )
}

/// Writes `fields.prices`: each currency's price set, others left.
async fn write_prices<C: Sql>(
    client: &C,
    store: &StoreId,
    variant: &VariantId,
    fields: &VariantFields,
) -> Result<(), ApiError> {
    let codes: Vec<&str> = fields.prices.iter().map(|(c, _)| c.as_str()).collect();
    let amounts: Vec<i64> = fields.prices.iter().map(|(_, a)| *a).collect();
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (variant, Type::TEXT),
        (&codes, Type::TEXT_ARRAY),
        (&amounts, Type::INT8_ARRAY),
    ];
    client
        .execute_typed(
            "INSERT INTO variant_prices (id, store_id, variant_id, currency_code, amount)
             SELECT 'price_' || replace(gen_random_uuid()::text, '-', ''), $1, $2, p.code, p.amount
             FROM unnest($3::text[], $4::int8[]) AS p(code, amount)
             ON CONFLICT (variant_id, currency_code) DO UPDATE SET amount = EXCLUDED.amount
             WHERE variant_prices.amount <> EXCLUDED.amount",
            &params,
        )
        .await?;
    Ok(())
}

/// Inserts a variant of `product` (last in its order) with `fields`, its prices and the
/// option values `values` (one of each option of the product). Refuses a taken SKU and
/// a combination of values another variant has. The product is locked by the caller.
pub(super) async fn insert_variant<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    fields: &VariantFields,
    values: &[OptionValueId],
) -> Result<VariantId, ApiError> {
    let id = VariantId::generate();
    let value_ids: Vec<&str> = values.iter().map(OptionValueId::as_str).collect();
    let params: [Param<'_>; 10] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (product, Type::TEXT),
        (&fields.title, Type::TEXT),
        (&fields.sku, Type::TEXT),
        (&fields.manage_inventory, Type::BOOL),
        (&fields.allow_backorder, Type::BOOL),
        (&fields.weight_g, Type::INT4),
        (&value_ids, Type::TEXT_ARRAY),
        (&fields.barcode, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "WITH taken AS (SELECT 1 FROM product_variants WHERE store_id = $2 AND sku = $5),
                  coded AS (SELECT 1 FROM product_variants WHERE store_id = $2 AND barcode = $10),
                  twin AS (SELECT v.title FROM product_variants v
                           WHERE v.product_id = $3 AND cardinality($9::text[]) > 0
                             AND (SELECT array_agg(option_value_id ORDER BY option_value_id)
                                  FROM product_variant_option_values WHERE variant_id = v.id)
                                 = (SELECT array_agg(x ORDER BY x) FROM unnest($9::text[]) x)
                           LIMIT 1),
                  made AS (
                      INSERT INTO product_variants
                          (id, store_id, product_id, title, sku, manage_inventory, allow_backorder,
                           weight_g, barcode, rank)
                      SELECT $1, $2, $3, $4, $5, $6, $7, $8, $10,
                             coalesce((SELECT max(rank) + 1 FROM product_variants WHERE product_id = $3), 0)
                      WHERE NOT EXISTS (SELECT 1 FROM taken) AND NOT EXISTS (SELECT 1 FROM twin)
                        AND NOT EXISTS (SELECT 1 FROM coded)
                      RETURNING id)
             SELECT EXISTS (SELECT 1 FROM taken) AS taken, (SELECT title FROM twin) AS twin,
                    EXISTS (SELECT 1 FROM coded) AS coded, EXISTS (SELECT 1 FROM made) AS made",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::internal("adding a variant answered nothing"))?;
    if col::<bool>(row, "taken")? {
        return Err(sku_taken(fields.sku.as_deref()));
    }
    if col::<bool>(row, "coded")? {
        return Err(barcode_taken(fields.barcode.as_deref()));
    }
    if let Some(twin) = col::<Option<String>>(row, "twin")? {
        return Err(ApiError::conflict(
            ErrorCode::DuplicateVariant,
            format!("The variant {twin} already has those option values."),
        ));
    }
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (&id, Type::TEXT),
        (&value_ids, Type::TEXT_ARRAY),
    ];
    client
        .execute_typed(
            "INSERT INTO product_variant_option_values (store_id, variant_id, option_value_id)
             SELECT $1, $2, unnest($3::text[])",
            &params,
        )
        .await?;
    write_prices(client, store, &id, fields).await?;
    Ok(id)
}

/// The value ids of `chosen` (option title, value), one for each of the product's
/// options; a missing, unknown or extra option is the `options` field's error.
async fn option_values<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    chosen: &[(String, String)],
) -> Result<Vec<OptionValueId>, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (product, Type::TEXT)];
    let options = super::repo::options(client, &params).await?;
    let mut values = Vec::new();
    let mut missing = Vec::new();
    for option in &options {
        let typed = chosen
            .iter()
            .find(|(o, _)| o.eq_ignore_ascii_case(&option.title))
            .map(|(_, v)| v.as_str());
        match typed.and_then(|t| {
            option
                .values
                .iter()
                .find(|(_, v)| v.eq_ignore_ascii_case(t))
        }) {
            Some((id, _)) => values.push(id.clone()),
            None => missing.push(option.title.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::invalid(
            "options",
            format!("choose one of the values of {}", missing.join(", ")),
        ));
    }
    if let Some((extra, _)) = chosen
        .iter()
        .find(|(o, _)| !options.iter().any(|opt| opt.title.eq_ignore_ascii_case(o)))
    {
        return Err(ApiError::invalid(
            "options",
            format!("the product has no option {extra}"),
        ));
    }
    Ok(values)
}

fn prices_json(fields: &VariantFields) -> serde_json::Value {
    let prices: serde_json::Map<String, serde_json::Value> = fields
        .prices
        .iter()
        .map(|(c, a)| (c.as_str().to_owned(), json!(a)))
        .collect();
    serde_json::Value::Object(prices)
}

/// Adds a variant with `fields` to product `product` of `store` (last in its order),
/// with its prices, its option values and the product's `product.updated` event. Run
/// it in a transaction.
pub async fn add_variant<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    fields: &VariantFields,
    trace_id: Option<&str>,
) -> Result<VariantId, ApiError> {
    lock_product(client, store, product).await?;
    let values = option_values(client, store, product, &fields.options).await?;
    let id = insert_variant(client, store, product, fields, &values).await?;
    product_updated(
        client,
        store,
        product,
        json!({ "variant_added": {
            "id": id, "title": fields.title, "sku": fields.sku, "prices": prices_json(fields),
        } }),
        trace_id,
    )
    .await?;
    Ok(id)
}

/// Changes variant `variant` of `product` to `fields` (its option values stay); answers
/// its title and SKU before. Sends `product.updated` when anything changed.
pub async fn update_variant<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    variant: &VariantId,
    fields: &VariantFields,
    trace_id: Option<&str>,
) -> Result<(String, Option<String>), ApiError> {
    let params: [Param<'_>; 9] = [
        (store, Type::TEXT),
        (product, Type::TEXT),
        (variant, Type::TEXT),
        (&fields.title, Type::TEXT),
        (&fields.sku, Type::TEXT),
        (&fields.manage_inventory, Type::BOOL),
        (&fields.allow_backorder, Type::BOOL),
        (&fields.weight_g, Type::INT4),
        (&fields.barcode, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "WITH before AS (SELECT title, sku FROM product_variants
                             WHERE store_id = $1 AND product_id = $2 AND id = $3 FOR UPDATE),
                  taken AS (SELECT 1 FROM product_variants
                            WHERE store_id = $1 AND sku = $5 AND id <> $3),
                  coded AS (SELECT 1 FROM product_variants
                            WHERE store_id = $1 AND barcode = $9 AND id <> $3),
                  changed AS (
                      UPDATE product_variants SET title = $4, sku = $5, manage_inventory = $6,
                             allow_backorder = $7, weight_g = $8, barcode = $9, updated_at = now()
                      WHERE store_id = $1 AND product_id = $2 AND id = $3
                        AND NOT EXISTS (SELECT 1 FROM taken) AND NOT EXISTS (SELECT 1 FROM coded)
                        AND (title, sku, manage_inventory, allow_backorder, weight_g, barcode)
                            IS DISTINCT FROM ($4, $5, $6, $7, $8, $9)
                      RETURNING id)
             SELECT b.title, b.sku, EXISTS (SELECT 1 FROM taken) AS taken,
                    EXISTS (SELECT 1 FROM coded) AS coded,
                    EXISTS (SELECT 1 FROM changed) AS changed
             FROM before b",
            &params,
        )
        .await?;
    let Some(row) = rows.first() else {
        return Err(ApiError::not_found("Variant", "id", variant.as_str()));
    };
    if col::<bool>(row, "taken")? {
        return Err(sku_taken(fields.sku.as_deref()));
    }
    if col::<bool>(row, "coded")? {
        return Err(barcode_taken(fields.barcode.as_deref()));
    }
    let before: (String, Option<String>) = (col(row, "title")?, col(row, "sku")?);
    let prices_before = client
        .query_typed(
            "SELECT currency_code, amount FROM variant_prices WHERE variant_id = $3 AND store_id = $1
             ORDER BY currency_code",
            &params[..3],
        )
        .await?;
    let mut prices_changed = serde_json::Map::new();
    for (currency, amount) in &fields.prices {
        let was = prices_before
            .iter()
            .find(|r| col::<String>(r, "currency_code").ok().as_deref() == Some(currency.as_str()))
            .map(|r| col::<i64>(r, "amount"))
            .transpose()?;
        if was != Some(*amount) {
            prices_changed.insert(currency.as_str().to_owned(), json!([was, amount]));
        }
    }
    write_prices(client, store, variant, fields).await?;
    if col::<bool>(row, "changed")? || !prices_changed.is_empty() {
        product_updated(
            client,
            store,
            product,
            json!({ "variant_changed": {
                "id": variant, "title": [before.0, fields.title], "sku": [before.1, fields.sku],
                "prices": prices_changed,
            } }),
            trace_id,
        )
        .await?;
    }
    Ok(before)
}

/// What removing variant `variant` takes along: the variant itself, with what orders
/// hold of it.
pub async fn variant_going<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    variant: &VariantId,
) -> Result<GoingVariant, ApiError> {
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (product, Type::TEXT),
        (variant, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "SELECT v.id, v.title, coalesce((SELECT sum(il.reserved) FROM inventory_levels il
                                             WHERE il.variant_id = v.id), 0)::int8 AS reserved
             FROM product_variants v WHERE v.store_id = $1 AND v.product_id = $2 AND v.id = $3",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Variant", "id", variant.as_str()))?;
    GoingVariant::from_row(row)
}

/// Removes variant `variant` of `product` with its prices, stock and ledger rows;
/// refused while orders hold its stock, and for the last variant of a published
/// product. Answers its title.
pub async fn remove_variant<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    variant: &VariantId,
    trace_id: Option<&str>,
) -> Result<String, ApiError> {
    lock_product(client, store, product).await?;
    let going = variant_going(client, store, product, variant).await?;
    none_held(std::slice::from_ref(&going))?;
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (product, Type::TEXT),
        (variant, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "SELECT p.status = 'published' AND (SELECT count(*) FROM product_variants v
                                                 WHERE v.product_id = p.id) = 1 AS last
             FROM products p WHERE p.store_id = $1 AND p.id = $2",
            &params[..2],
        )
        .await?;
    if rows.first().map(|r| col::<bool>(r, "last")).transpose()? == Some(true) {
        return Err(ApiError::conflict(
            ErrorCode::LastVariant,
            "It is the last variant of a published product: save the product as a draft first.",
        ));
    }
    client
        .execute_typed(
            "DELETE FROM product_variants WHERE store_id = $1 AND product_id = $2 AND id = $3",
            &params,
        )
        .await?;
    product_updated(
        client,
        store,
        product,
        json!({ "variant_removed": { "id": variant, "title": going.title } }),
        trace_id,
    )
    .await?;
    Ok(going.title)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur_usd() -> Vec<CurrencyCode> {
        vec![
            CurrencyCode::parse("eur").unwrap(),
            CurrencyCode::parse("usd").unwrap(),
        ]
    }

    #[test]
    fn a_variant_needs_a_title_and_a_price_in_every_currency() {
        let input = VariantInput {
            title: " M / Blue ".into(),
            sku: "TH-M-BLU".into(),
            manage_inventory: true,
            prices: vec![("EUR".into(), "49.5".into()), ("usd".into(), "55".into())],
            ..VariantInput::default()
        };
        let fields = input.check(&eur_usd()).unwrap();
        assert_eq!(fields.title, "M / Blue");
        assert_eq!(fields.prices[0].1, 4950);
        assert_eq!(fields.prices[1].1, 5500);

        let missing = VariantInput {
            prices: vec![("eur".into(), "12,00x".into())],
            sku: "has space".into(),
            ..VariantInput::default()
        };
        let errors = missing.check(&eur_usd()).unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["variant_title", "sku", "prices"]);
        assert!(errors.of("prices").unwrap().contains("EUR, USD"));
    }
}
