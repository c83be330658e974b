//! The catalog file (its types: `commerce::catalog::import::catalog_json`): the loader
//! that writes a whole file of stores into the database. The demo catalog in
//! `r2-assets/demo/catalog.json` is such a file; an operator can import their own.

use commerce::catalog::attribute::{self, Attribute, AttributeInput};
use commerce::catalog::rich_text;
use commerce::ids::AttributeId;
use tokio_postgres::{Client, Transaction};

pub use commerce::catalog::import::catalog_json::*;

/// Refuses a file whose attributes, or products' values of them, the admin would
/// refuse: the first problem, named by its place in the file.
pub fn check(file: &CatalogFile) -> Result<(), String> {
    for s in &file.stores {
        let mut attributes = Vec::new();
        for (i, a) in s.attributes.iter().enumerate() {
            let at = format!("{}: attributes[{i}]", s.id);
            if a.key.is_empty() {
                return Err(format!("{at}.key: required"));
            }
            let input = AttributeInput {
                label: a.label.clone(),
                key: a.key.clone(),
                kind: a.kind.clone(),
                choices: a.choices.join("\n"),
                filterable: if a.filterable { "yes" } else { "no" }.to_owned(),
            };
            let fields = input.check().map_err(|e| format!("{at}: {:?}", e.0))?;
            let id = AttributeId::parse(&a.id).map_err(|e| format!("{at}.id: {e}"))?;
            attributes.push(Attribute {
                id,
                key: fields.key,
                label: fields.label,
                kind: fields.kind,
                choices: fields.choices,
                filterable: fields.filterable,
                products: 0,
                created_at: String::new(),
                updated_at: String::new(),
            });
        }
        for p in &s.products {
            if let Some(text) = &p.educational_content {
                rich_text::check(text)
                    .map_err(|e| format!("{}: product {}: educational_content: {e}", s.id, p.id))?;
            }
            let given: serde_json::Map<_, _> = p.attributes.clone().into_iter().collect();
            attribute::values_from_json(&attributes, &given)
                .map_err(|e| format!("{}: product {}: attributes: {:?}", s.id, p.id, e.0))?;
        }
    }
    Ok(())
}

/// Loads every store of the file that the database does not have yet, each in one
/// transaction. Returns the names of the stores it loaded.
pub async fn load(
    client: &mut Client,
    file: &CatalogFile,
) -> Result<Vec<String>, tokio_postgres::Error> {
    let mut loaded = Vec::new();
    for store in &file.stores {
        let exists = client
            .query_opt("SELECT 1 FROM stores WHERE id = $1", &[&store.id])
            .await?
            .is_some();
        if exists {
            // A store loaded before its file had shipping options gets them now, so a
            // database made by an earlier version keeps working with carts.
            add_missing_shipping_options(client, store).await?;
            continue;
        }
        let tx = client.transaction().await?;
        load_store(&tx, store).await?;
        tx.commit().await?;
        loaded.push(store.name.clone());
    }
    Ok(loaded)
}

async fn add_missing_shipping_options(
    client: &Client,
    s: &StoreSpec,
) -> Result<(), tokio_postgres::Error> {
    for r in &s.regions {
        for (rank, o) in (0i32..).zip(&r.shipping_options) {
            client
                .execute(
                    "INSERT INTO shipping_options (id, store_id, region_id, name, kind, amount, threshold, rank)
                     SELECT $1, $2, $3, $4, $5, $6, $7, $8
                     WHERE EXISTS (SELECT 1 FROM regions WHERE store_id = $2 AND id = $3)
                     ON CONFLICT (id) DO NOTHING",
                    &[&o.id, &s.id, &r.id, &o.name, &o.kind, &o.amount, &o.threshold, &rank],
                )
                .await?;
        }
    }
    Ok(())
}

async fn load_store(tx: &Transaction<'_>, s: &StoreSpec) -> Result<(), tokio_postgres::Error> {
    let sid = &s.id;
    tx.execute(
        "INSERT INTO stores (id, name, publishable_key, default_currency_code) VALUES ($1, $2, $3, $4)",
        &[sid, &s.name, &s.publishable_key, &s.default_currency],
    )
    .await?;
    for host in &s.hosts {
        tx.execute(
            "INSERT INTO store_hosts (hostname, store_id) VALUES ($1, $2)",
            &[host, sid],
        )
        .await?;
    }
    for r in &s.regions {
        tx.execute(
            "INSERT INTO regions (id, store_id, name, currency_code, tax_rate_bp, tax_inclusive)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &r.id,
                sid,
                &r.name,
                &r.currency,
                &r.tax_rate_bp,
                &r.tax_inclusive,
            ],
        )
        .await?;
        for c in &r.countries {
            tx.execute(
                "INSERT INTO region_countries (store_id, region_id, iso_2) VALUES ($1, $2, $3)",
                &[sid, &r.id, c],
            )
            .await?;
        }
        for (rank, o) in (0i32..).zip(&r.shipping_options) {
            tx.execute(
                "INSERT INTO shipping_options (id, store_id, region_id, name, kind, amount, threshold, rank)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[&o.id, sid, &r.id, &o.name, &o.kind, &o.amount, &o.threshold, &rank],
            )
            .await?;
        }
    }
    for l in &s.stock_locations {
        tx.execute(
            "INSERT INTO stock_locations (id, store_id, name) VALUES ($1, $2, $3)",
            &[&l.id, sid, &l.name],
        )
        .await?;
    }
    // Parents are listed before their children in the file.
    for c in &s.categories {
        tx.execute(
            "INSERT INTO product_categories (id, store_id, parent_id, name, handle, description, rank)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&c.id, sid, &c.parent_id, &c.name, &c.handle, &c.description, &c.rank],
        )
        .await?;
    }
    for c in &s.collections {
        tx.execute(
            "INSERT INTO product_collections (id, store_id, title, handle, featured) VALUES ($1, $2, $3, $4, $5)",
            &[&c.id, sid, &c.title, &c.handle, &c.featured],
        )
        .await?;
    }
    for (rank, a) in (0i32..).zip(&s.attributes) {
        tx.execute(
            "INSERT INTO product_attributes (id, store_id, key, label, kind, choices, filterable, rank)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[&a.id, sid, &a.key, &a.label, &a.kind, &a.choices, &a.filterable, &rank],
        )
        .await?;
    }
    let insert_product = tx
        .prepare(
            "INSERT INTO products (id, store_id, handle, title, subtitle, description, status,
                                   thumbnail_key, collection_id, created_at, updated_at, attributes,
                                   educational_content)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                     now() - make_interval(mins => $10), now() - make_interval(mins => $10),
                     $11::text::jsonb, $12)",
        )
        .await?;
    let insert_membership = tx
        .prepare("INSERT INTO product_category_products (store_id, category_id, product_id) VALUES ($1, $2, $3)")
        .await?;
    let insert_option = tx
        .prepare("INSERT INTO product_options (id, store_id, product_id, title, rank) VALUES ($1, $2, $3, $4, $5)")
        .await?;
    let insert_value = tx
        .prepare("INSERT INTO product_option_values (id, store_id, option_id, value, rank) VALUES ($1, $2, $3, $4, $5)")
        .await?;
    let insert_variant = tx
        .prepare(
            "INSERT INTO product_variants (id, store_id, product_id, title, sku, weight_g,
                                           manage_inventory, allow_backorder, rank)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .await?;
    let insert_variant_value = tx
        .prepare("INSERT INTO product_variant_option_values (store_id, variant_id, option_value_id) VALUES ($1, $2, $3)")
        .await?;
    let insert_price = tx
        .prepare("INSERT INTO variant_prices (id, store_id, variant_id, currency_code, amount) VALUES ($1, $2, $3, $4, $5)")
        .await?;
    let insert_stock = tx
        .prepare("INSERT INTO inventory_levels (store_id, variant_id, location_id, stocked) VALUES ($1, $2, $3, $4)")
        .await?;
    let insert_image = tx
        .prepare(
            "INSERT INTO product_images (id, store_id, product_id, r2_key, alt, rank, width, height)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .await?;

    let count = s.products.len();
    // The oldest first, as a store adds products: their numbers (migration 0029), which
    // rank equally relevant search results, follow their creation times.
    for (done, (i, p)) in s.products.iter().enumerate().rev().enumerate() {
        // Spread creation times so that "newest" is a meaningful order: the first
        // product of the file is the newest.
        let age_minutes = i32::try_from(i * 90).unwrap_or(i32::MAX);
        let thumbnail = p.images.first().map(|img| img.key.clone());
        let attributes = serde_json::to_string(&p.attributes).unwrap_or_else(|_| "{}".into());
        tx.execute(
            &insert_product,
            &[
                &p.id,
                sid,
                &p.handle,
                &p.title,
                &p.subtitle,
                &p.description,
                &p.status,
                &thumbnail,
                &p.collection_id,
                &age_minutes,
                &attributes,
                &p.educational_content.as_deref().unwrap_or_default(),
            ],
        )
        .await?;
        for c in &p.category_ids {
            tx.execute(&insert_membership, &[sid, c, &p.id]).await?;
        }
        for (rank, o) in (0i32..).zip(&p.options) {
            tx.execute(&insert_option, &[&o.id, sid, &p.id, &o.title, &rank])
                .await?;
            for (vrank, v) in (0i32..).zip(&o.values) {
                tx.execute(&insert_value, &[&v.id, sid, &o.id, &v.value, &vrank])
                    .await?;
            }
        }
        for (rank, v) in (0i32..).zip(&p.variants) {
            tx.execute(
                &insert_variant,
                &[
                    &v.id,
                    sid,
                    &p.id,
                    &v.title,
                    &v.sku,
                    &v.weight_g,
                    &v.manage_inventory,
                    &v.allow_backorder,
                    &rank,
                ],
            )
            .await?;
            for ov in &v.option_value_ids {
                tx.execute(&insert_variant_value, &[sid, &v.id, ov]).await?;
            }
            for (currency, amount) in &v.prices {
                let price_id = format!(
                    "price_{}{}",
                    v.id.trim_start_matches("variant_"),
                    currency.to_uppercase()
                );
                tx.execute(&insert_price, &[&price_id, sid, &v.id, currency, amount])
                    .await?;
            }
            for (location, stocked) in &v.stock {
                tx.execute(&insert_stock, &[sid, &v.id, location, stocked])
                    .await?;
            }
        }
        for (rank, img) in (0i32..).zip(&p.images) {
            tx.execute(
                &insert_image,
                &[
                    &img.id,
                    sid,
                    &p.id,
                    &img.key,
                    &img.alt,
                    &rank,
                    &img.width,
                    &img.height,
                ],
            )
            .await?;
        }
        crate::progress(&format!("  {}", s.name), done + 1, count);
    }
    Ok(())
}
