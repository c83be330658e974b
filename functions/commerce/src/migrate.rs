//! Forward-only schema migrations: the numbered files of `migrations/`, applied in
//! order, each in its own transaction, recorded with a checksum so that an edited
//! migration that was already applied is refused instead of silently skipped.

use tokio_postgres::Client;

/// The migrations, in order: (name, SQL).
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_catalog",
        include_str!("../../../migrations/0001_catalog.sql"),
    ),
    (
        "0002_countries",
        include_str!("../../../migrations/0002_countries.sql"),
    ),
    (
        "0003_catalog_version",
        include_str!("../../../migrations/0003_catalog_version.sql"),
    ),
    (
        "0004_shipping_and_analytics",
        include_str!("../../../migrations/0004_shipping_and_analytics.sql"),
    ),
    (
        "0005_orders",
        include_str!("../../../migrations/0005_orders.sql"),
    ),
    (
        "0006_catalog_read_path",
        include_str!("../../../migrations/0006_catalog_read_path.sql"),
    ),
    (
        "0007_stock_hold",
        include_str!("../../../migrations/0007_stock_hold.sql"),
    ),
    (
        "0008_staff",
        include_str!("../../../migrations/0008_staff.sql"),
    ),
    (
        "0009_shipments",
        include_str!("../../../migrations/0009_shipments.sql"),
    ),
    (
        "0010_password_resets",
        include_str!("../../../migrations/0010_password_resets.sql"),
    ),
    (
        "0011_api_keys",
        include_str!("../../../migrations/0011_api_keys.sql"),
    ),
    (
        "0012_fulfillments",
        include_str!("../../../migrations/0012_fulfillments.sql"),
    ),
    (
        "0013_sent_emails",
        include_str!("../../../migrations/0013_sent_emails.sql"),
    ),
    (
        "0014_store_roles",
        include_str!("../../../migrations/0014_store_roles.sql"),
    ),
    (
        "0015_product_doc_revisions",
        include_str!("../../../migrations/0015_product_doc_revisions.sql"),
    ),
    (
        "0016_inventory_ledger",
        include_str!("../../../migrations/0016_inventory_ledger.sql"),
    ),
    (
        "0017_catalog_imports",
        include_str!("../../../migrations/0017_catalog_imports.sql"),
    ),
    (
        "0018_product_attributes",
        include_str!("../../../migrations/0018_product_attributes.sql"),
    ),
    (
        "0019_store_settings",
        include_str!("../../../migrations/0019_store_settings.sql"),
    ),
    (
        "0020_purchase_orders",
        include_str!("../../../migrations/0020_purchase_orders.sql"),
    ),
    (
        "0021_analytics_rollup",
        include_str!("../../../migrations/0021_analytics_rollup.sql"),
    ),
    (
        "0022_customers",
        include_str!("../../../migrations/0022_customers.sql"),
    ),
    (
        "0023_search",
        include_str!("../../../migrations/0023_search.sql"),
    ),
    (
        "0024_search_settings",
        include_str!("../../../migrations/0024_search_settings.sql"),
    ),
    (
        "0025_search_speed",
        include_str!("../../../migrations/0025_search_speed.sql"),
    ),
    (
        "0026_search_stock",
        include_str!("../../../migrations/0026_search_stock.sql"),
    ),
    (
        "0027_search_suggestions",
        include_str!("../../../migrations/0027_search_suggestions.sql"),
    ),
    (
        "0028_search_matches",
        include_str!("../../../migrations/0028_search_matches.sql"),
    ),
    (
        "0029_search_bits",
        include_str!("../../../migrations/0029_search_bits.sql"),
    ),
    (
        "0030_job_kinds",
        include_str!("../../../migrations/0030_job_kinds.sql"),
    ),
    (
        "0031_educational_content",
        include_str!("../../../migrations/0031_educational_content.sql"),
    ),
    (
        "0032_webhooks",
        include_str!("../../../migrations/0032_webhooks.sql"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("migration {0} was changed after it was applied (checksum differs); add a new migration instead")]
    Changed(String),
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
}

/// FNV-1a over the SQL text: enough to notice an edited file.
fn checksum(sql: &str) -> i64 {
    let hash = sql.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Applies the migrations not yet applied; returns the names it applied.
pub async fn run(client: &mut Client) -> Result<Vec<&'static str>, MigrateError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 name       text PRIMARY KEY,
                 checksum   bigint NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
    let mut applied = Vec::new();
    for (name, sql) in MIGRATIONS {
        let tx = client.transaction().await?;
        // Serialise concurrent runners for the length of this transaction.
        tx.batch_execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
            .await?;
        let existing = tx
            .query_opt(
                "SELECT checksum FROM schema_migrations WHERE name = $1",
                &[name],
            )
            .await?;
        match existing {
            Some(row) if row.get::<_, i64>(0) == checksum(sql) => continue,
            Some(_) => return Err(MigrateError::Changed((*name).to_owned())),
            None => {}
        }
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
            &[name, &checksum(sql)],
        )
        .await?;
        tx.commit().await?;
        applied.push(*name);
    }
    Ok(applied)
}
