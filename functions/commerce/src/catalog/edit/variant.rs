//! Variants as staff add them to a product: a title, an optional SKU (unique in the
//! store), a price in every currency of the store's regions, and whether stock is
//! counted and may be oversold. Checked all at once ([`VariantInput::check`]), written
//! with its prices in one transaction with the product's `product.updated` event.

use serde_json::json;
use tokio_postgres::types::Type;

use super::FieldErrors;
use crate::db::{col, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{ProductId, StoreId, VariantId};
use crate::money::{parse_major, CurrencyCode};
use crate::outbox::{self, Topic};

/// A variant as typed: prices by currency code, in major units ("49.00").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VariantInput {
    pub title: String,
    pub sku: String,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    pub prices: Vec<(String, String)>,
}

/// A variant that passed [`VariantInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantFields {
    pub title: String,
    pub sku: Option<String>,
    pub manage_inventory: bool,
    pub allow_backorder: bool,
    /// Minor units, one per currency of the store.
    pub prices: Vec<(CurrencyCode, i64)>,
}

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
        if errors.is_empty() {
            Ok(VariantFields {
                title: title.to_owned(),
                sku: (!sku.is_empty()).then(|| sku.to_owned()),
                manage_inventory: self.manage_inventory,
                allow_backorder: self.allow_backorder,
                prices,
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

/// Adds a variant with `fields` to product `product` of `store` (last in its order),
/// with its prices and the product's `product.updated` event. Run it in a transaction.
pub async fn add_variant<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    fields: &VariantFields,
    trace_id: Option<&str>,
) -> Result<VariantId, ApiError> {
    let id = VariantId::generate();
    let params: [Param<'_>; 7] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (product, Type::TEXT),
        (&fields.title, Type::TEXT),
        (&fields.sku, Type::TEXT),
        (&fields.manage_inventory, Type::BOOL),
        (&fields.allow_backorder, Type::BOOL),
    ];
    let rows = client
        .query_typed(
            "WITH p AS (SELECT id FROM products WHERE store_id = $2 AND id = $3),
                  taken AS (SELECT 1 FROM product_variants WHERE store_id = $2 AND sku = $5),
                  made AS (
                      INSERT INTO product_variants
                          (id, store_id, product_id, title, sku, manage_inventory, allow_backorder, rank)
                      SELECT $1, $2, p.id, $4, $5, $6, $7,
                             coalesce((SELECT max(rank) + 1 FROM product_variants WHERE product_id = $3), 0)
                      FROM p WHERE NOT EXISTS (SELECT 1 FROM taken)
                      RETURNING id)
             SELECT EXISTS (SELECT 1 FROM p) AS product, EXISTS (SELECT 1 FROM taken) AS taken,
                    EXISTS (SELECT 1 FROM made) AS made",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::internal("adding a variant answered nothing"))?;
    if !col::<bool>(row, "product")? {
        return Err(ApiError::not_found("Product", "id", product.as_str()));
    }
    if col::<bool>(row, "taken")? {
        return Err(ApiError::conflict(
            ErrorCode::DuplicateSku,
            format!(
                "The SKU {} is another variant's in this store; choose another.",
                fields.sku.as_deref().unwrap_or_default()
            ),
        ));
    }
    for (currency, amount) in &fields.prices {
        let price_id = format!("price_{}", crate::ids::random_body());
        let code = currency.as_str();
        let params: [Param<'_>; 5] = [
            (&price_id, Type::TEXT),
            (store, Type::TEXT),
            (&id, Type::TEXT),
            (&code, Type::TEXT),
            (amount, Type::INT8),
        ];
        client
            .execute_typed(
                "INSERT INTO variant_prices (id, store_id, variant_id, currency_code, amount)
                 VALUES ($1, $2, $3, $4, $5)",
                &params,
            )
            .await?;
    }
    let prices: serde_json::Map<String, serde_json::Value> = fields
        .prices
        .iter()
        .map(|(c, a)| (c.as_str().to_owned(), json!(a)))
        .collect();
    let payload = json!({
        "product_id": product,
        "changes": { "variant_added": { "id": id, "title": fields.title, "sku": fields.sku, "prices": prices } },
    });
    outbox::enqueue(client, store, Topic::ProductUpdated, payload, trace_id).await?;
    Ok(id)
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
