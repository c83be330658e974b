//! `seed search-bench <store> [rounds]`: product search timed against the database, as
//! the search page asks it (the query's words resolved, then a page of 20 ranked with
//! its count and every menu of the same result set) and as suggestions
//! ask it, over a mix of queries for the generated Bench Depot store (`seed large`):
//! common and rare words, typos, prefixes, numbers, SKUs, a word every product has and
//! one none has. Prints p50 and p95 per query and over the mix.

use std::time::{Duration, Instant};

use commerce::catalog::product::{self, ProductFilter};
use commerce::ids::StoreId;
use commerce::money::CurrencyCode;
use commerce::params::{Page, SearchText};
use commerce::search;
use tokio_postgres::Client;

/// The search page's queries, and what each stands for.
const QUERIES: &[(&str, &str)] = &[
    ("jacket", "a common word (a tenth of the products)"),
    ("vintage jacket", "two words (a hundredth)"),
    ("jackt", "a typo"),
    ("vintge lamp", "a typo and a word"),
    ("classic bo", "the last word a prefix"),
    ("lamp 4242", "a word and a number"),
    ("BD-4242-2", "a SKU"),
    (
        "deluxe chair department",
        "three words, one from the categories",
    ),
    ("generated", "a word of every product's description"),
    ("zzzzqx", "a word no product has"),
];

/// What is typed while suggestions are asked.
const PREFIXES: &[&str] = &["ja", "vin", "classic ja", "bla", "lamp 42"];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The search page of `filter` (its words resolved, a page of 20 with its count and
/// menus over the same scope) timed `rounds` times, sorted, and its number of hits.
async fn page_times(
    client: &Client,
    store: &StoreId,
    filter: &ProductFilter,
    rounds: usize,
    currency: Option<CurrencyCode>,
) -> Result<(Vec<Duration>, i64), String> {
    let fail = |e: commerce::ApiError| e.to_string();
    let page = Page {
        limit: 20,
        offset: 0,
    };
    let mut times = Vec::with_capacity(rounds);
    let mut hits = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        let mut filter = filter.clone();
        filter.resolve(client, store).await.map_err(fail)?;
        let (_, total, _) =
            product::list_with_facets(client, store, &filter, &filter, None, page, currency, 30)
                .await
                .map_err(fail)?;
        times.push(started.elapsed());
        hits = total;
    }
    times.sort();
    Ok((times, hits))
}

pub async fn run(client: &Client, store: &str, rounds: usize) -> Result<(), String> {
    let store = StoreId::parse(store).map_err(|e| e.to_string())?;
    let products: i64 = client
        .query_one(
            "SELECT count(*) FROM products WHERE store_id = $1 AND status = 'published'",
            &[&store.as_str()],
        )
        .await
        .map_err(|e| e.to_string())?
        .get(0);
    let currency = CurrencyCode::parse("eur").ok();
    let fail = |e: commerce::ApiError| e.to_string();
    println!(
        "search bench: {} ({products} published products), {rounds} rounds per query",
        store.as_str()
    );
    let mut all = Vec::new();
    for (q, what) in QUERIES {
        let filter = ProductFilter {
            q: Some(SearchText::parse(q).map_err(fail)?),
            ..ProductFilter::default()
        };
        let (times, hits) = page_times(client, &store, &filter, rounds, currency).await?;
        println!(
            "  {:<26} {:>7} hits  p50 {:>9}  p95 {:>9}  ({what})",
            format!("\"{q}\""),
            hits,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95))
        );
        all.extend(times);
    }
    all.sort();
    println!(
        "  search page, all queries: p50 {}, p95 {}",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.95))
    );
    // The search page within the store's first category (its `category` chosen: the
    // page and its menus over the words within the category), outside the mix.
    let category: Option<String> = client
        .query_opt(
            "SELECT id FROM product_categories WHERE store_id = $1 AND is_active
             ORDER BY rank, id LIMIT 1",
            &[&store.as_str()],
        )
        .await
        .map_err(|e| e.to_string())?
        .map(|r| r.get(0));
    if let Some(category) = category {
        let id = commerce::ids::CategoryId::parse(&category).map_err(|e| e.to_string())?;
        for q in ["jacket", "generated"] {
            let filter = ProductFilter {
                q: Some(SearchText::parse(q).map_err(fail)?),
                category_ids: Some(vec![id.clone()]),
                ..ProductFilter::default()
            };
            let (times, hits) = page_times(client, &store, &filter, rounds, currency).await?;
            println!(
                "  {:<26} {:>7} hits  p50 {:>9}  p95 {:>9}  (within category {category}, outside the mix)",
                format!("\"{q}\""),
                hits,
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.95))
            );
        }
    }
    let mut typed = Vec::new();
    for q in PREFIXES {
        let q = SearchText::parse(q).map_err(fail)?;
        for _ in 0..rounds {
            let started = Instant::now();
            search::repo::suggest(client, &store, &q, 6)
                .await
                .map_err(fail)?;
            typed.push(started.elapsed());
        }
    }
    typed.sort();
    println!(
        "  suggestions ({}): p50 {}, p95 {}",
        PREFIXES.join(", "),
        ms(percentile(&typed, 0.5)),
        ms(percentile(&typed, 0.95))
    );
    Ok(())
}
