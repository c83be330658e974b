//! The catalog queries and Store API shapes against a real PostgreSQL.

mod common;

use commerce::catalog::{category, collection, product};
use commerce::ids::{CategoryId, ProductId, RegionId, StoreId};
use commerce::money::CurrencyCode;
use commerce::params::{Direction, Handle, Page, QueryParams, SearchText};
use commerce::region;
use commerce::store::{self, HostName, PublishableKey};
use commerce::store_api::{self, ApiContext, Fragments};
use commerce::ApiError;
use common::test_db;
use serde_json::Value;

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

fn beta() -> StoreId {
    StoreId::parse("store_BETA").unwrap()
}

const PAGE: Page = Page {
    limit: 50,
    offset: 0,
};

fn eur() -> Option<CurrencyCode> {
    Some(CurrencyCode::parse("eur").unwrap())
}

fn ids(products: &[product::Product]) -> Vec<&str> {
    products.iter().map(|p| p.id.as_str()).collect()
}

fn params(query: &str) -> QueryParams {
    QueryParams::from_pairs(
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, ""))),
    )
}

#[tokio::test]
async fn migrations_are_recorded_and_run_once() {
    let mut db = test_db().await;
    let again = commerce::migrate::run(&mut db).await.unwrap();
    assert!(again.is_empty(), "re-applied {again:?}");
    db.execute(
        "UPDATE schema_migrations SET checksum = 1 WHERE name = '0001_catalog'",
        &[],
    )
    .await
    .unwrap();
    let err = commerce::migrate::run(&mut db).await.unwrap_err();
    assert!(err.to_string().contains("0001_catalog"), "{err}");
}

#[tokio::test]
async fn stores_are_found_by_key_and_host() {
    let db = test_db().await;
    let key = PublishableKey::parse(Some("pk_alpha_test_key_0001")).unwrap();
    assert_eq!(
        store::by_publishable_key(&db, &key).await.unwrap().id,
        alpha()
    );
    let unknown = PublishableKey::parse(Some("pk_unknown_key_0000")).unwrap();
    assert!(matches!(
        store::by_publishable_key(&db, &unknown).await,
        Err(ApiError::PublishableKeyInvalid)
    ));
    let host = HostName::parse("BETA.test:8787").unwrap();
    assert_eq!(store::by_host(&db, &host).await.unwrap().id, beta());
    let nowhere = HostName::parse("nowhere.test").unwrap();
    assert!(matches!(
        store::by_host(&db, &nowhere).await,
        Err(ApiError::UnknownStoreHost(_))
    ));
}

#[tokio::test]
async fn lists_show_only_the_stores_published_products() {
    let db = test_db().await;
    let filter = product::ProductFilter::default();
    let (products, count) = product::list(&db, &alpha(), &filter, None, PAGE, None)
        .await
        .unwrap();
    assert_eq!(count, 3);
    // Newest first by default; the draft and store Beta's product are absent.
    assert_eq!(ids(&products), ["prod_A3", "prod_A2", "prod_A1"]);
    let (products, count) = product::list(&db, &beta(), &filter, None, PAGE, None)
        .await
        .unwrap();
    assert_eq!((ids(&products), count), (vec!["prod_B1"], 1));
}

#[tokio::test]
async fn lists_paginate_sort_and_count_past_the_end() {
    let db = test_db().await;
    let filter = product::ProductFilter::default();
    let sort = Some((product::ProductSort::Title, Direction::Asc));
    let page = Page {
        limit: 2,
        offset: 1,
    };
    let (products, count) = product::list(&db, &alpha(), &filter, sort, page, None)
        .await
        .unwrap();
    assert_eq!((ids(&products), count), (vec!["prod_A1", "prod_A2"], 3));
    let sort = Some((product::ProductSort::Title, Direction::Desc));
    let (products, _) = product::list(&db, &alpha(), &filter, sort, PAGE, None)
        .await
        .unwrap();
    assert_eq!(ids(&products), ["prod_A2", "prod_A1", "prod_A3"]);
    let past = Page {
        limit: 10,
        offset: 50,
    };
    let (products, count) = product::list(&db, &alpha(), &filter, None, past, None)
        .await
        .unwrap();
    assert_eq!((products.len(), count), (0, 3));
}

#[tokio::test]
async fn filters_combine() {
    let db = test_db().await;
    let by = |f: product::ProductFilter| {
        let db = &db;
        async move {
            product::list(db, &alpha(), &f, None, PAGE, None)
                .await
                .unwrap()
        }
    };
    let (p, _) = by(product::ProductFilter {
        q: Some(SearchText::parse("LINEN").unwrap()),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&p), ["prod_A1"]);
    let (p, _) = by(product::ProductFilter {
        handles: Some(vec![Handle::parse("wool-coat").unwrap()]),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&p), ["prod_A2"]);
    let (p, _) = by(product::ProductFilter {
        collection_ids: Some(vec![
            commerce::ids::CollectionId::parse("pcol_ASUMMER").unwrap()
        ]),
        q: Some(SearchText::parse("bag").unwrap()),
        ..Default::default()
    })
    .await;
    assert_eq!(ids(&p), ["prod_A3"]);
    // Products only in an inactive category are not listed under it.
    let (p, _) = by(product::ProductFilter {
        category_ids: Some(vec![CategoryId::parse("pcat_AHIDDEN").unwrap()]),
        ..Default::default()
    })
    .await;
    assert!(p.is_empty());
    // Another store's ids never match.
    let (p, count) = by(product::ProductFilter {
        ids: Some(vec![ProductId::parse("prod_B1").unwrap()]),
        ..Default::default()
    })
    .await;
    assert_eq!((p.len(), count), (0, 0));
}

#[tokio::test]
async fn search_text_is_data_not_sql() {
    let db = test_db().await;
    for hostile in ["'; DROP TABLE products; --", "%", "_", "\\", "99%"] {
        let filter = product::ProductFilter {
            q: Some(SearchText::parse(hostile).unwrap()),
            ..Default::default()
        };
        let (p, _) = product::list(&db, &alpha(), &filter, None, PAGE, None)
            .await
            .unwrap();
        assert!(p.is_empty(), "{hostile:?} matched {:?}", ids(&p));
    }
    // Around a word, the characters are not a pattern: "100%" finds the description
    // that says 100 % linen, by its word "100".
    let filter = product::ProductFilter {
        q: Some(SearchText::parse("100%").unwrap()),
        ..Default::default()
    };
    let (p, _) = product::list(&db, &alpha(), &filter, None, PAGE, None)
        .await
        .unwrap();
    assert_eq!(ids(&p), ["prod_A1"]);
    let count: i64 = db
        .query_one("SELECT count(*) FROM products", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 5);
}

#[tokio::test]
async fn a_product_carries_variants_prices_stock_and_images() {
    let db = test_db().await;
    let key = product::ProductKey::Id(ProductId::parse("prod_A1").unwrap());
    let p = product::get(&db, &alpha(), &key, eur()).await.unwrap();
    assert_eq!(p.options.len(), 2);
    assert_eq!(p.options[0].values.len(), 2);
    let s = &p.variants[0];
    assert_eq!(s.id.as_str(), "variant_A1S");
    assert_eq!(s.price.as_ref().map(|p| p.amount), Some(2450));
    // Stocked minus reserved across both locations: (10 - 3) + 5.
    assert_eq!(s.inventory_quantity, 12);
    assert_eq!(s.options.len(), 2);
    let m = &p.variants[1];
    assert_eq!(m.inventory_quantity, 0);
    assert!(
        m.purchasable(),
        "backorderable variant must stay purchasable"
    );
    assert_eq!(
        p.images.iter().map(|i| i.alt.as_str()).collect::<Vec<_>>(),
        ["Front", "Back"]
    );
    assert_eq!(p.categories.len(), 1);
    assert_eq!(
        p.collection.as_ref().map(|c| c.handle.as_str()),
        Some("summer")
    );

    let usd = Some(CurrencyCode::parse("usd").unwrap());
    let p = product::get(&db, &alpha(), &key, usd).await.unwrap();
    assert_eq!(p.variants[0].price.as_ref().map(|p| p.amount), Some(2600));
    assert!(p.variants[1].price.is_none(), "no usd price for M");
}

#[tokio::test]
async fn drafts_and_other_stores_products_are_not_found() {
    let db = test_db().await;
    for (store, id) in [
        (alpha(), "prod_A4"),
        (alpha(), "prod_B1"),
        (beta(), "prod_A1"),
    ] {
        let key = product::ProductKey::Id(ProductId::parse(id).unwrap());
        let err = product::get(&db, &store, &key, None).await.unwrap_err();
        assert_eq!(err.status(), 404, "{id}");
    }
    let key = product::ProductKey::Handle(Handle::parse("linen-shirt").unwrap());
    let p = product::get(&db, &beta(), &key, None).await.unwrap();
    assert_eq!(p.id.as_str(), "prod_B1");
}

#[tokio::test]
async fn regions_belong_to_their_store() {
    let db = test_db().await;
    let (regions, count) = region::list(&db, &alpha(), &Default::default(), None, PAGE)
        .await
        .unwrap();
    assert_eq!(count, 2);
    assert_eq!(regions[0].name, "Europe");
    assert_eq!(
        regions[0]
            .countries
            .iter()
            .map(|c| c.iso_2.as_str())
            .collect::<Vec<_>>(),
        ["de", "fr"]
    );
    let other = RegionId::parse("reg_BEU").unwrap();
    assert_eq!(
        region::get(&db, &alpha(), &other)
            .await
            .unwrap_err()
            .status(),
        404
    );
    let us = region::for_country(&db, &alpha(), "US")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(us.currency.as_str(), "usd");
    assert!(region::for_country(&db, &beta(), "us")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn categories_form_a_tree_of_active_nodes() {
    let db = test_db().await;
    let roots = category::CategoryFilter {
        parent: Some(None),
        ..Default::default()
    };
    let (cats, count) = category::list(&db, &alpha(), &roots, None, PAGE)
        .await
        .unwrap();
    assert_eq!(count, 1);
    assert_eq!(cats[0].handle, "clothes");
    assert_eq!(
        cats[0]
            .children
            .iter()
            .map(|c| c.handle.as_str())
            .collect::<Vec<_>>(),
        ["shirts"]
    );
    let shirts = CategoryId::parse("pcat_ASHIRTS").unwrap();
    let c = category::get(&db, &alpha(), &shirts).await.unwrap();
    assert_eq!(c.parent.map(|p| p.handle), Some("clothes".to_owned()));
    let hidden = CategoryId::parse("pcat_AHIDDEN").unwrap();
    assert_eq!(
        category::get(&db, &alpha(), &hidden)
            .await
            .unwrap_err()
            .status(),
        404
    );
    let (cols, _) = collection::list(&db, &beta(), &Default::default(), None, PAGE)
        .await
        .unwrap();
    assert_eq!(
        cols.iter().map(|c| c.handle.as_str()).collect::<Vec<_>>(),
        ["new"]
    );
}

async fn api_products(query: &str) -> Result<Value, ApiError> {
    list_products_with(&test_db().await, query, false).await
}

/// `GET /store/products?<query>` on `db`; with `known_regions`, as the edge calls it,
/// with the store's regions already read.
async fn list_products_with(
    db: &tokio_postgres::Client,
    query: &str,
    known_regions: bool,
) -> Result<Value, ApiError> {
    let key = PublishableKey::parse(Some("pk_alpha_test_key_0001")).unwrap();
    let store = store::by_publishable_key(db, &key).await.unwrap();
    let regions = if known_regions {
        commerce::region::all(db, &store.id).await.unwrap()
    } else {
        Vec::new()
    };
    let kept = Fragments::new(1 << 20);
    let ctx = ApiContext {
        store: &store,
        regions: &regions,
        image_base: "https://shop.test/images/",
        fragments: &kept,
    };
    let body = store_api::list_products(db, &ctx, &params(query)).await?;
    Ok(serde_json::from_str(body.get()).expect("the body is JSON"))
}

/// Store `alpha`'s products answered through `kept` (written products kept between
/// calls) and written afresh, for each of a few queries, and one product both ways:
/// (kept, afresh) as texts.
async fn kept_and_afresh(db: &tokio_postgres::Client, kept: &Fragments) -> Vec<(String, String)> {
    let key = PublishableKey::parse(Some("pk_alpha_test_key_0001")).unwrap();
    let store = store::by_publishable_key(db, &key).await.unwrap();
    let regions = commerce::region::all(db, &store.id).await.unwrap();
    let ctx = ApiContext {
        store: &store,
        regions: &regions,
        image_base: "https://shop.test/images/",
        fragments: kept,
    };
    let mut answers = Vec::new();
    for query in [
        "region_id=reg_AEU",
        "region_id=reg_AUS&limit=2&offset=1",
        "currency_code=usd",
        "",
    ] {
        let kept = store_api::list_products(db, &ctx, &params(query))
            .await
            .unwrap();
        let afresh = store_api::list_products_afresh(db, &ctx, &params(query))
            .await
            .unwrap();
        answers.push((kept.get().to_owned(), afresh.get().to_owned()));
    }
    let one = params("region_id=reg_AEU");
    let kept = store_api::get_product(db, &ctx, "prod_A1", &one).await;
    let afresh = store_api::list_products_afresh(db, &ctx, &params("id=prod_A1&region_id=reg_AEU"))
        .await
        .unwrap();
    let afresh: Value = serde_json::from_str(afresh.get()).unwrap();
    // Compared as values: the detail's envelope is written by hand, the list's by serde.
    let kept = kept.map_or_else(
        |e| format!("{e:?}"),
        |k| serde_json::from_str::<Value>(k.get()).unwrap().to_string(),
    );
    let afresh = match &afresh["products"][0] {
        Value::Null => format!("{:?}", ApiError::not_found("Product", "id", "prod_A1")),
        product => serde_json::json!({ "product": product }).to_string(),
    };
    answers.push((kept, afresh));
    answers
}

/// Products kept written answer exactly as products written afresh, after every kind
/// of change the kept documents show and after stock changes (never kept).
#[tokio::test]
async fn kept_written_products_answer_as_written_afresh_after_every_change() {
    let db = test_db().await;
    let kept = Fragments::new(1 << 20);
    let same = |answers: Vec<(String, String)>, after: &str| {
        for (kept, afresh) in answers {
            assert_eq!(kept, afresh, "after: {after}");
        }
    };
    same(kept_and_afresh(&db, &kept).await, "nothing (first reads)");
    let (written, _) = kept.size();
    assert!(written >= 4, "{written} products kept");
    same(kept_and_afresh(&db, &kept).await, "nothing (kept)");
    assert_eq!(kept.size().0, written, "nothing written again");
    for sql in [
        "UPDATE variant_prices SET amount = 2990 WHERE id = 'price_A1SEUR'",
        "UPDATE inventory_levels SET stocked = 40 WHERE variant_id = 'variant_A1S'",
        "UPDATE inventory_levels SET reserved = stocked + 2 WHERE variant_id = 'variant_A1M'",
        "UPDATE product_option_values SET value = 'Crimson' WHERE id = 'optval_A1RED'",
        "UPDATE products SET title = 'Linen \"Shirt\" II' WHERE id = 'prod_A1'",
        "UPDATE product_categories SET name = 'Tops' WHERE id = 'pcat_ASHIRTS'",
        "UPDATE regions SET tax_rate_bp = 1900 WHERE id = 'reg_AEU'",
        "DELETE FROM product_variants WHERE id = 'variant_A1M'",
        "UPDATE products SET status = 'draft' WHERE id = 'prod_A1'",
    ] {
        db.batch_execute(sql).await.unwrap();
        same(kept_and_afresh(&db, &kept).await, sql);
    }
}

#[tokio::test]
async fn a_region_the_caller_knows_prices_as_the_one_looked_up() {
    let db = test_db().await;
    for query in [
        "region_id=reg_AEU&limit=3",
        "region_id=reg_AUS",
        // Another store's region is not this store's, known or not.
        "region_id=reg_BEU",
    ] {
        let looked_up = list_products_with(&db, query, false).await;
        let known = list_products_with(&db, query, true).await;
        assert_eq!(format!("{looked_up:?}"), format!("{known:?}"), "{query}");
    }
}

#[tokio::test]
async fn the_store_api_prices_in_major_units_with_region_tax() {
    let body = api_products("id[]=prod_A1&region_id=reg_AUS")
        .await
        .unwrap();
    assert_eq!(body["count"], 1);
    assert_eq!(body["limit"], 50);
    let product = &body["products"][0];
    assert_eq!(
        product["thumbnail"],
        "https://shop.test/images/products/a1-front.png"
    );
    assert_eq!(product["images"][0]["metadata"]["width"], 640);
    let price = &product["variants"][0]["calculated_price"];
    assert_eq!(price["currency_code"], "usd");
    assert_eq!(price["calculated_amount"].as_f64(), Some(26.0));
    // US region: 10 % added on top.
    assert_eq!(price["calculated_amount_with_tax"].as_f64(), Some(28.6));
    assert_eq!(price["is_calculated_price_tax_inclusive"], false);
    assert_eq!(
        product["variants"][0]["options"][0]["option"]["title"],
        "Size"
    );

    let body = api_products("id=prod_A1&region_id=reg_AEU").await.unwrap();
    let price = &body["products"][0]["variants"][0]["calculated_price"];
    assert_eq!(price["calculated_amount"].as_f64(), Some(24.5));
    // Europe: 20 % included; net 20.42.
    assert_eq!(price["calculated_amount_without_tax"].as_f64(), Some(20.42));

    let body = api_products("id=prod_A1").await.unwrap();
    assert!(body["products"][0]["variants"][0]["calculated_price"].is_null());
}

#[tokio::test]
async fn the_store_api_names_bad_parameters() {
    for (query, param) in [
        ("limit=-1", "limit"),
        ("limit=100000", "limit"),
        ("offset=x", "offset"),
        ("order=price", "order"),
        ("id=variant_A1S", "id"),
        ("region_id=reg_BEU", "region_id"),
        ("region_id=nope", "region_id"),
        ("currency_code=euro", "currency_code"),
        ("colour=red", "colour"),
    ] {
        match api_products(query).await {
            Err(ApiError::InvalidParam { param: p, .. }) => assert_eq!(p, param, "{query}"),
            other => panic!("{query}: {other:?}"),
        }
    }
    let long_q = format!("q={}", "a".repeat(201));
    assert!(matches!(
        api_products(&long_q).await,
        Err(ApiError::InvalidParam { .. })
    ));
}

// ------------------------------------------------------------------ storefront filters

async fn listed(
    db: &tokio_postgres::Client,
    filter: product::ProductFilter,
    sort: Option<(product::ProductSort, Direction)>,
    currency: Option<CurrencyCode>,
) -> Vec<String> {
    let (products, count) = product::list(db, &alpha(), &filter, sort, PAGE, currency)
        .await
        .unwrap();
    assert_eq!(count as usize, products.len());
    products.iter().map(|p| p.id.as_str().to_owned()).collect()
}

fn size(values: &[&str]) -> product::OptionFilter {
    product::OptionFilter {
        name: "size".into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

#[tokio::test]
async fn listings_filter_by_price_stock_and_options_on_one_variant() {
    let db = test_db().await;
    let by_price = product::ProductFilter {
        price_min: Some(2000),
        price_max: Some(5000),
        ..Default::default()
    };
    assert_eq!(listed(&db, by_price, None, eur()).await, ["prod_A1"]);
    // Without a currency no product has a price, so a price filter matches nothing.
    let by_price = product::ProductFilter {
        price_min: Some(1),
        ..Default::default()
    };
    assert!(listed(&db, by_price, None, None).await.is_empty());

    // In stock: A1's S has 12 left, A3 is not stock-managed; A2 is all reserved.
    let in_stock = product::ProductFilter {
        in_stock: true,
        ..Default::default()
    };
    let mut found = listed(&db, in_stock, None, eur()).await;
    found.sort();
    assert_eq!(found, ["prod_A1", "prod_A3"]);

    // Size M exists (backorder only), but "M and in stock" must hold for one variant.
    let m = product::ProductFilter {
        options: vec![size(&["M"])],
        ..Default::default()
    };
    assert_eq!(listed(&db, m, None, eur()).await, ["prod_A1"]);
    let m_in_stock = product::ProductFilter {
        options: vec![size(&["M"])],
        in_stock: true,
        ..Default::default()
    };
    assert!(listed(&db, m_in_stock, None, eur()).await.is_empty());
    // Values of one option combine with OR, case-insensitively; options with AND.
    let s_or_m_red = product::ProductFilter {
        options: vec![
            size(&["m", "s"]),
            product::OptionFilter {
                name: "COLOUR".into(),
                values: vec!["red".into()],
            },
        ],
        in_stock: true,
        ..Default::default()
    };
    assert_eq!(listed(&db, s_or_m_red, None, eur()).await, ["prod_A1"]);
    let blue = product::ProductFilter {
        options: vec![product::OptionFilter {
            name: "colour".into(),
            values: vec!["Blue".into()],
        }],
        ..Default::default()
    };
    assert!(listed(&db, blue, None, eur()).await.is_empty());
}

#[tokio::test]
async fn listings_sort_by_price_with_unpriced_products_last() {
    let db = test_db().await;
    let asc = Some((product::ProductSort::Price, Direction::Asc));
    let desc = Some((product::ProductSort::Price, Direction::Desc));
    let all = product::ProductFilter::default;
    assert_eq!(
        listed(&db, all(), asc, eur()).await,
        ["prod_A3", "prod_A1", "prod_A2"]
    );
    assert_eq!(
        listed(&db, all(), desc, eur()).await,
        ["prod_A2", "prod_A1", "prod_A3"]
    );
    let usd = Some(CurrencyCode::parse("usd").unwrap());
    // Only A1 has a usd price; the others follow in id order, either way.
    assert_eq!(
        listed(&db, all(), desc, usd).await,
        ["prod_A1", "prod_A2", "prod_A3"]
    );
    // Pages of a price order do not overlap.
    let (first, _) = product::list(
        &db,
        &alpha(),
        &all(),
        asc,
        Page {
            limit: 2,
            offset: 0,
        },
        eur(),
    )
    .await
    .unwrap();
    let (second, total) = product::list(
        &db,
        &alpha(),
        &all(),
        asc,
        Page {
            limit: 2,
            offset: 2,
        },
        eur(),
    )
    .await
    .unwrap();
    assert_eq!(
        (ids(&first), ids(&second), total),
        (vec!["prod_A3", "prod_A1"], vec!["prod_A2"], 3)
    );
}

#[tokio::test]
async fn facets_list_each_options_values_in_rank_order() {
    let db = test_db().await;
    let facets = product::facets(&db, &alpha(), &product::ProductFilter::default(), None, 10)
        .await
        .unwrap()
        .options;
    let shown: Vec<(String, Vec<String>)> = facets
        .iter()
        .map(|f| {
            (
                f.title.clone(),
                f.values.iter().map(|v| v.value.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("Size".to_owned(), vec!["S".to_owned(), "M".to_owned()]),
            ("Colour".to_owned(), vec!["Red".to_owned()]),
        ]
    );
    assert_eq!(facets[0].name, "size");
    assert_eq!(facets[0].values[0].products, 1);
    let beta_facets = product::facets(&db, &beta(), &product::ProductFilter::default(), None, 10)
        .await
        .unwrap();
    assert!(
        beta_facets.options.is_empty(),
        "another store's options never show"
    );
    let beta_categories: Vec<&str> = beta_facets
        .categories
        .iter()
        .map(|c| c.value.as_str())
        .collect();
    assert_eq!(
        beta_categories,
        ["pcat_BHOME"],
        "only the store's own categories"
    );
}

#[tokio::test]
async fn sitemap_locations_are_the_published_products() {
    let db = test_db().await;
    let (locs, total) = product::locations(&db, &alpha(), PAGE).await.unwrap();
    assert_eq!(total, 3);
    let handles: Vec<&str> = locs.iter().map(|l| l.handle.as_str()).collect();
    assert_eq!(handles, ["linen-shirt", "wool-coat", "canvas-bag"]);
    assert_eq!(locs[0].updated.len(), 10, "YYYY-MM-DD");
}

async fn version(db: &tokio_postgres::Client, store: &str) -> i64 {
    db.query_one(
        "SELECT catalog_version FROM stores WHERE id = $1",
        &[&store],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn catalog_changes_bump_the_store_version_once_per_statement() {
    let db = test_db().await;
    let (a, b) = (
        version(&db, "store_ALPHA").await,
        version(&db, "store_BETA").await,
    );
    db.execute(
        "UPDATE products SET title = title || '!' WHERE store_id = 'store_ALPHA'",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(
        version(&db, "store_ALPHA").await,
        a + 1,
        "three rows, one bump"
    );
    assert_eq!(
        version(&db, "store_BETA").await,
        b,
        "other stores keep theirs"
    );
    db.execute(
        "UPDATE variant_prices SET amount = amount + 1 WHERE id = 'price_B1EUR'",
        &[],
    )
    .await
    .unwrap();
    db.execute("DELETE FROM product_images WHERE id = 'img_A1B'", &[])
        .await
        .unwrap();
    assert_eq!(version(&db, "store_BETA").await, b + 1);
    assert_eq!(version(&db, "store_ALPHA").await, a + 2);
    // Stock moves with every order and does not empty the cache.
    db.execute("UPDATE inventory_levels SET reserved = reserved + 1 WHERE variant_id = 'variant_A1S' AND location_id = 'sloc_A1'", &[])
        .await
        .unwrap();
    assert_eq!(version(&db, "store_ALPHA").await, a + 2);
    let store = store::by_host(&db, &HostName::parse("alpha.test").unwrap())
        .await
        .unwrap();
    assert_eq!(store.catalog_version, a + 2);
}

/// The unfiltered list's `count` comes from `store_catalog_counts`, kept by triggers in
/// the transaction of every change of a product's status: it always equals a count.
#[tokio::test]
async fn the_kept_count_follows_every_publication_change() {
    let db = test_db().await;
    let filter = product::ProductFilter::default();
    let check = |why: &'static str| {
        let db = &db;
        let filter = &filter;
        async move {
            for store in [alpha(), beta()] {
                let counted: i64 = db
                    .query_one(
                        "SELECT count(*) FROM products WHERE store_id = $1 AND status = 'published'",
                        &[&store.as_str()],
                    )
                    .await
                    .unwrap()
                    .get(0);
                let (_, listed) = product::list(db, &store, filter, None, PAGE, None)
                    .await
                    .unwrap();
                let past_the_end = Page {
                    limit: 5,
                    offset: 1000,
                };
                let (rows, beyond) = product::list(db, &store, filter, None, past_the_end, None)
                    .await
                    .unwrap();
                assert!(rows.is_empty());
                assert_eq!((listed, beyond), (counted, counted), "{why}: {store}");
            }
        }
    };
    check("fixtures").await;
    db.batch_execute(
        "INSERT INTO products (id, store_id, handle, title, description, status) VALUES
           ('prod_A5', 'store_ALPHA', 'new-one', 'New One', '', 'published'),
           ('prod_A6', 'store_ALPHA', 'new-draft', 'New Draft', '', 'draft')",
    )
    .await
    .unwrap();
    check("inserted, one published").await;
    db.batch_execute("UPDATE products SET status = 'published' WHERE id = 'prod_A4'")
        .await
        .unwrap();
    check("a draft published").await;
    db.batch_execute(
        "UPDATE products SET status = 'draft' WHERE id IN ('prod_A1', 'prod_A2', 'prod_A6')",
    )
    .await
    .unwrap();
    check("two unpublished, a draft left a draft").await;
    db.batch_execute("UPDATE products SET title = title || '!' WHERE store_id = 'store_ALPHA'")
        .await
        .unwrap();
    check("titles edited").await;
    db.batch_execute("DELETE FROM products WHERE id IN ('prod_A5', 'prod_A6')")
        .await
        .unwrap();
    check("deleted").await;
    db.batch_execute(
        "INSERT INTO stores (id, name, publishable_key, default_currency_code)
         VALUES ('store_GAMMA', 'Gamma', 'pk_gamma_test_key_0003', 'eur')",
    )
    .await
    .unwrap();
    let kept: i64 = db
        .query_one(
            "SELECT published_products FROM store_catalog_counts WHERE store_id = 'store_GAMMA'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 0, "a new store starts at zero");
}

/// Every product's kept document (`product_docs`) equals the one built afresh, after
/// each kind of change the documents show, and reads see the change at once.
#[tokio::test]
async fn kept_documents_follow_every_catalog_change() {
    let db = test_db().await;
    let stale = || async {
        let row = db
            .query_one(
                "SELECT (SELECT count(*) FROM products) - (SELECT count(*) FROM product_docs),
                        (SELECT count(*) FROM products p JOIN product_docs d ON d.product_id = p.id
                         WHERE product_document(p)::text <> d.doc::text)",
                &[],
            )
            .await
            .unwrap();
        (row.get::<_, i64>(0), row.get::<_, i64>(1))
    };
    assert_eq!(stale().await, (0, 0), "fixtures");
    let changes = [
        "UPDATE variant_prices SET amount = 2990 WHERE id = 'price_A1SEUR'",
        "INSERT INTO variant_prices (id, store_id, variant_id, currency_code, amount)
         VALUES ('price_A1MUSD', 'store_ALPHA', 'variant_A1M', 'usd', 2700)",
        "DELETE FROM variant_prices WHERE id = 'price_A1SUSD'",
        "UPDATE product_option_values SET value = 'Crimson' WHERE id = 'optval_A1RED'",
        "UPDATE product_options SET title = 'Colour way' WHERE id = 'opt_A1COLOUR'",
        "DELETE FROM product_variant_option_values WHERE variant_id = 'variant_A1M'
           AND option_value_id = 'optval_A1RED'",
        "UPDATE product_categories SET name = 'Tops' WHERE id = 'pcat_ASHIRTS'",
        "UPDATE product_categories SET is_active = true WHERE id = 'pcat_AHIDDEN'",
        "UPDATE product_collections SET title = 'Summer Sale' WHERE id = 'pcol_ASUMMER'",
        "DELETE FROM product_category_products WHERE product_id = 'prod_A2'",
        "INSERT INTO product_images (id, store_id, product_id, r2_key, alt, rank, width, height)
         VALUES ('img_A2F', 'store_ALPHA', 'prod_A2', 'products/a2.png', 'Coat', 0, 640, 800)",
        "UPDATE product_variants SET title = 'Small / Crimson' WHERE id = 'variant_A1S'",
        "DELETE FROM product_variants WHERE id = 'variant_A1M'",
        "UPDATE products SET title = 'Linen Shirt II' WHERE id = 'prod_A1'",
        "DELETE FROM product_collections WHERE id = 'pcol_ASUMMER'",
    ];
    for sql in changes {
        db.batch_execute(sql).await.unwrap();
        assert_eq!(stale().await, (0, 0), "after: {sql}");
    }
    // Reads see them at once; stock is read live.
    db.batch_execute(
        "UPDATE inventory_levels SET stocked = 40 WHERE variant_id = 'variant_A1S' AND location_id = 'sloc_A1'",
    )
    .await
    .unwrap();
    let key = product::ProductKey::Id(ProductId::parse("prod_A1").unwrap());
    let p = product::get(&db, &alpha(), &key, eur()).await.unwrap();
    assert_eq!(p.title, "Linen Shirt II");
    assert!(p.collection.is_none());
    assert_eq!(p.variants.len(), 1);
    assert_eq!(p.variants[0].title, "Small / Crimson");
    assert_eq!(p.variants[0].price.as_ref().map(|x| x.amount), Some(2990));
    assert_eq!(p.variants[0].inventory_quantity, 40 - 3 + 5);
    assert_eq!(p.categories[0].name, "Tops");
}
