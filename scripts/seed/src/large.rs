//! A large generated catalog for benchmarks: one extra store ("Bench Depot") with N
//! products, three size variants each, prices, stock and pictures borrowed from the
//! demo catalog, and a flat shipping option for its region. Rows are written in
//! batches through `unnest` arrays.

use tokio_postgres::Client;

pub const BENCH_KEY: &str = "pk_benchdepot_demo_c47e0b9a2d6f1853";
const STORE: &str = "store_BENCHDEPOT";
const BATCH: usize = 2000;

const ADJECTIVES: &[&str] = &[
    "Classic", "Everyday", "Heavy", "Light", "Vintage", "Modern", "Rustic", "Compact", "Deluxe",
    "Travel",
];
const NOUNS: &[&str] = &[
    "Jacket", "Lamp", "Bowl", "Shirt", "Backpack", "Blanket", "Kettle", "Boot", "Scarf", "Chair",
];

/// Creates the bench store if missing and adds products until it holds `total`.
pub async fn generate(client: &mut Client, total: usize) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.batch_execute(&format!(
        "INSERT INTO stores (id, name, publishable_key, default_currency_code)
           VALUES ('{STORE}', 'Bench Depot', '{BENCH_KEY}', 'eur') ON CONFLICT DO NOTHING;
         INSERT INTO store_hosts (hostname, store_id) VALUES ('bench.localhost', '{STORE}') ON CONFLICT DO NOTHING;
         INSERT INTO regions (id, store_id, name, currency_code, tax_rate_bp, tax_inclusive)
           VALUES ('reg_BDEU', '{STORE}', 'Europe', 'eur', 2000, true) ON CONFLICT DO NOTHING;
         INSERT INTO region_countries (store_id, region_id, iso_2)
           VALUES ('{STORE}', 'reg_BDEU', 'de') ON CONFLICT DO NOTHING;
         INSERT INTO shipping_options (id, store_id, region_id, name, kind, amount)
           VALUES ('so_BDEUSTD', '{STORE}', 'reg_BDEU', 'Standard', 'flat', 495) ON CONFLICT DO NOTHING;
         INSERT INTO stock_locations (id, store_id, name)
           VALUES ('sloc_BDMAIN', '{STORE}', 'Main warehouse') ON CONFLICT DO NOTHING;
         INSERT INTO product_categories (id, store_id, name, handle, rank)
           SELECT 'pcat_BD' || n, '{STORE}', 'Department ' || n, 'department-' || n, n
           FROM generate_series(0, 9) n ON CONFLICT DO NOTHING;
         INSERT INTO product_collections (id, store_id, title, handle)
           SELECT 'pcol_BD' || n, '{STORE}', 'Collection ' || n, 'collection-' || n
           FROM generate_series(0, 4) n ON CONFLICT DO NOTHING;"
    ))
    .await?;
    tx.commit().await?;

    let have: i64 = client
        .query_one(
            "SELECT count(*) FROM products WHERE store_id = $1",
            &[&STORE],
        )
        .await?
        .get(0);
    let pictures: Vec<(String, i32, i32)> = client
        .query(
            "SELECT r2_key, width, height FROM product_images ORDER BY id LIMIT 16",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let start = usize::try_from(have).unwrap_or(0);
    let mut next = start;
    while next < total {
        let end = (next + BATCH).min(total);
        insert_batch(client, next, end, &pictures).await?;
        next = end;
        crate::progress("  Bench Depot", next - start, total - start);
    }
    // Set the visibility map too, so counts can use index-only scans.
    client.batch_execute("VACUUM ANALYZE").await?;
    Ok(())
}

async fn insert_batch(
    client: &mut Client,
    from: usize,
    to: usize,
    pictures: &[(String, i32, i32)],
) -> Result<(), tokio_postgres::Error> {
    let n: Vec<i64> = (from as i64..to as i64).collect();
    let titles: Vec<String> = n
        .iter()
        .map(|i| {
            let i = *i as usize;
            format!(
                "{} {} {}",
                ADJECTIVES[i % ADJECTIVES.len()],
                NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()],
                i
            )
        })
        .collect();
    let picture = |i: &i64| pictures.get(*i as usize % pictures.len().max(1));
    let keys: Vec<Option<&str>> = n.iter().map(|i| picture(i).map(|p| p.0.as_str())).collect();
    let widths: Vec<i32> = n.iter().map(|i| picture(i).map_or(1, |p| p.1)).collect();
    let heights: Vec<i32> = n.iter().map(|i| picture(i).map_or(1, |p| p.2)).collect();
    let tx = client.transaction().await?;
    // The batch's product documents are built once, at its end, not after each of its
    // statements (migration 0006).
    tx.batch_execute("SET LOCAL edgeshop.defer_product_docs = 'on'")
        .await?;
    tx.execute(
        &format!(
            "INSERT INTO products (id, store_id, handle, title, description, status, thumbnail_key,
                                   collection_id, created_at, updated_at)
             SELECT 'prod_BD' || n, '{STORE}', 'bench-product-' || n, t,
                    'A generated product for load tests.', 'published', k,
                    'pcol_BD' || (n % 5), now() - make_interval(secs => n), now() - make_interval(secs => n)
             FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(n, t, k)"
        ),
        &[&n, &titles, &keys],
    )
    .await?;
    tx.batch_execute(&format!(
        "INSERT INTO product_category_products (store_id, category_id, product_id)
           SELECT '{STORE}', 'pcat_BD' || (n % 10), 'prod_BD' || n FROM generate_series({from}, {last}) n;
         INSERT INTO product_options (id, store_id, product_id, title)
           SELECT 'opt_BD' || n, '{STORE}', 'prod_BD' || n, 'Size' FROM generate_series({from}, {last}) n;
         INSERT INTO product_option_values (id, store_id, option_id, value, rank)
           SELECT 'optval_BD' || n || 'S' || s, '{STORE}', 'opt_BD' || n, (ARRAY['S','M','L'])[s], s
           FROM generate_series({from}, {last}) n, generate_series(1, 3) s;
         INSERT INTO product_variants (id, store_id, product_id, title, sku, rank, allow_backorder)
           SELECT 'variant_BD' || n || 'S' || s, '{STORE}', 'prod_BD' || n, (ARRAY['S','M','L'])[s],
                  'BD-' || n || '-' || s, s, n % 20 = 0
           FROM generate_series({from}, {last}) n, generate_series(1, 3) s;
         INSERT INTO product_variant_option_values (store_id, variant_id, option_value_id)
           SELECT '{STORE}', 'variant_BD' || n || 'S' || s, 'optval_BD' || n || 'S' || s
           FROM generate_series({from}, {last}) n, generate_series(1, 3) s;
         INSERT INTO variant_prices (id, store_id, variant_id, currency_code, amount)
           SELECT 'price_BD' || n || 'S' || s, '{STORE}', 'variant_BD' || n || 'S' || s, 'eur',
                  1000 + (n * 37 % 200) * 50 + s * 100
           FROM generate_series({from}, {last}) n, generate_series(1, 3) s;
         INSERT INTO inventory_levels (store_id, variant_id, location_id, stocked)
           SELECT '{STORE}', 'variant_BD' || n || 'S' || s, 'sloc_BDMAIN', (n * 7 + s) % 50
           FROM generate_series({from}, {last}) n, generate_series(1, 3) s;",
        last = to - 1
    ))
    .await?;
    tx.execute(
        &format!(
            "INSERT INTO product_images (id, store_id, product_id, r2_key, alt, rank, width, height)
             SELECT 'img_BD' || n, '{STORE}', 'prod_BD' || n, k, t, 0, w, h
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::int[]) AS u(n, t, k, w, h)
             WHERE k IS NOT NULL"
        ),
        &[&n, &titles, &keys, &widths, &heights],
    )
    .await?;
    tx.execute(
        "SELECT refresh_product_docs(ARRAY(SELECT 'prod_BD' || n FROM unnest($1::bigint[]) n))",
        &[&n],
    )
    .await?;
    tx.commit().await
}
