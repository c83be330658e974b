//! A store's settings as staff change them, against a real PostgreSQL (the two-store
//! fixture): its name and default region (another store's region refused; the catalog
//! version moves), its hostnames (unique across stores, the last one kept), regions
//! made and changed (a country in one region only, the currency fixed), shipping options
//! added, changed, ordered and removed (the last of a region kept), and a stock
//! location's address.

mod common;

use commerce::ids::{RegionId, StockLocationId, StoreId};
use commerce::inventory::location::{self, AddressInput, Move};
use commerce::money::CurrencyCode;
use commerce::settings::region::RegionInput;
use commerce::settings::shipping::ShippingInput;
use commerce::settings::{repo, Hostname, SettingsInput};
use commerce::ErrorCode;
use common::test_db;

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

async fn version(db: &tokio_postgres::Client) -> i64 {
    db.query_one(
        "SELECT catalog_version FROM stores WHERE id = 'store_ALPHA'",
        &[],
    )
    .await
    .unwrap()
    .get(0)
}

#[tokio::test]
async fn a_stores_name_default_region_and_hostnames_change_within_its_rules() {
    let db = test_db().await;
    let store = alpha();
    let v0 = version(&db).await;
    let fields = SettingsInput {
        name: "Alpha Goods".into(),
        default_region_id: "reg_AUS".into(),
    }
    .check()
    .unwrap();
    let before = repo::update_store(&db, &store, &fields).await.unwrap();
    assert_eq!(before, ("Alpha".to_owned(), None));
    let now = repo::store_settings(&db, &store).await.unwrap();
    assert_eq!(now.name, "Alpha Goods");
    assert_eq!(now.default_region.unwrap().as_str(), "reg_AUS");
    assert!(version(&db).await > v0, "the shop shows the name");
    // Another store's region is not one to choose.
    let other = SettingsInput {
        name: "Alpha".into(),
        default_region_id: "reg_BEU".into(),
    }
    .check()
    .unwrap();
    let err = repo::update_store(&db, &store, &other).await.unwrap_err();
    assert_eq!(err.param(), Some("default_region_id"));

    // Hostnames: added once, unique across stores, the last one kept.
    let host = |h: &str| Hostname::parse(h).unwrap();
    repo::add_host(&db, &store, &host("Shop.Alpha.TEST"))
        .await
        .unwrap();
    let err = repo::add_host(&db, &store, &host("beta.test"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::DuplicateHost);
    assert!(err.to_string().contains("another store"), "{err}");
    let err = repo::add_host(&db, &store, &host("shop.alpha.test"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("this store already"), "{err}");
    repo::remove_host(&db, &store, "alpha.test").await.unwrap();
    let err = repo::remove_host(&db, &store, "shop.alpha.test")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::LastHost);
    let err = repo::remove_host(&db, &store, "beta.test")
        .await
        .unwrap_err();
    assert_eq!(
        err.status(),
        404,
        "another store's hostname is not found here"
    );
    repo::replace_hosts(&db, &store, &[host("a.test"), host("b.test")])
        .await
        .unwrap();
    assert_eq!(
        repo::store_settings(&db, &store).await.unwrap().hosts,
        ["a.test", "b.test"]
    );
}

#[tokio::test]
async fn regions_are_made_and_changed_with_each_country_in_one_region() {
    let db = test_db().await;
    let store = alpha();
    let input = RegionInput {
        name: "Nordics".into(),
        currency_code: "sek".into(),
        tax_rate: "25".into(),
        tax_inclusive: "yes".into(),
        countries: "se, no".into(),
    };
    let v0 = version(&db).await;
    let made = repo::create_region(&db, &store, &input.check(None).unwrap())
        .await
        .unwrap();
    assert!(version(&db).await > v0);
    let region = commerce::region::get(&db, &store, &made).await.unwrap();
    assert_eq!(region.tax_rate.basis_points(), 2500);
    assert_eq!(region.countries.len(), 2);
    // Germany is Europe's: refused, naming it; nothing of the change stays.
    let sek = CurrencyCode::parse("sek").unwrap();
    let taking = RegionInput {
        countries: "se, de".into(),
        tax_rate: "12.5".into(),
        ..input.clone()
    };
    let fields = taking.check(Some(sek)).unwrap();
    let err = commerce::db::atomically(&db, async |tx: &tokio_postgres::Client| {
        repo::update_region(tx, &store, &made, &fields).await
    })
    .await
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::CountryTaken);
    assert!(err.to_string().contains("Europe"), "{err}");
    let kept = commerce::region::get(&db, &store, &made).await.unwrap();
    assert_eq!(kept.tax_rate.basis_points(), 2500, "nothing half-saved");
    // A code no country has is a field error.
    let err = repo::create_region(
        &db,
        &store,
        &RegionInput {
            countries: "xx".into(),
            ..input.clone()
        }
        .check(None)
        .unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.param(), Some("countries"));
    let fewer = RegionInput {
        countries: "no".into(),
        tax_rate: "12.5".into(),
        tax_inclusive: String::new(),
        ..input.clone()
    };
    repo::update_region(&db, &store, &made, &fewer.check(Some(sek)).unwrap())
        .await
        .unwrap();
    let region = commerce::region::get(&db, &store, &made).await.unwrap();
    assert_eq!(region.tax_rate.basis_points(), 1250);
    assert!(!region.tax_inclusive);
    assert_eq!(region.countries[0].iso_2, "no");
    // Another store's region is not found.
    let beta = RegionId::parse("reg_BEU").unwrap();
    let err = repo::update_region(&db, &store, &beta, &fewer.check(Some(sek)).unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
}

#[tokio::test]
async fn shipping_options_are_added_changed_ordered_and_the_last_one_kept() {
    let db = test_db().await;
    let store = alpha();
    let us = RegionId::parse("reg_AUS").unwrap();
    let usd = CurrencyCode::parse("usd").unwrap();
    let v0 = version(&db).await;
    let express = ShippingInput {
        name: "Express".into(),
        kind: "flat".into(),
        amount: "14.50".into(),
        threshold: String::new(),
    }
    .check(usd)
    .unwrap();
    let made = repo::create_shipping_option(&db, &store, &us, &express)
        .await
        .unwrap();
    assert!(version(&db).await > v0, "checkout pages show shipping");
    let names =
        |list: Vec<repo::AdminShippingOption>| list.into_iter().map(|o| o.name).collect::<Vec<_>>();
    let list = repo::shipping_options(&db, &store, Some(&us))
        .await
        .unwrap();
    assert_eq!(names(list), ["Standard", "Express"]);
    repo::move_shipping_option(&db, &store, &made, Move::Up)
        .await
        .unwrap();
    let list = repo::shipping_options(&db, &store, Some(&us))
        .await
        .unwrap();
    assert_eq!(names(list.clone()), ["Express", "Standard"]);
    // The store's cart reads them in this order too.
    let live = commerce::shipping_option::for_region(&db, &store, &us)
        .await
        .unwrap();
    assert_eq!(live[0].id, made);
    let free = ShippingInput {
        name: "Express, free over 100".into(),
        kind: "free_over".into(),
        amount: "14.50".into(),
        threshold: "100".into(),
    }
    .check(usd)
    .unwrap();
    let before = repo::update_shipping_option(&db, &store, &made, &free)
        .await
        .unwrap();
    assert_eq!(before.name, "Express");
    assert_eq!(live_kind(&db, &store, &us).await, free.kind);
    let standard = list[1].id.clone();
    repo::delete_shipping_option(&db, &store, &standard)
        .await
        .unwrap();
    let err = repo::delete_shipping_option(&db, &store, &made)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::LastShippingOption);
    assert!(err.to_string().contains("United States"), "{err}");
    // Another store's region takes no options from here.
    let beta = RegionId::parse("reg_BEU").unwrap();
    let err = repo::create_shipping_option(&db, &store, &beta, &express)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
}

async fn live_kind(
    db: &tokio_postgres::Client,
    store: &StoreId,
    region: &RegionId,
) -> commerce::cart::ShippingKind {
    commerce::shipping_option::for_region(db, store, region)
        .await
        .unwrap()[0]
        .kind
}

#[tokio::test]
async fn a_stock_location_keeps_a_whole_address_or_none() {
    let db = test_db().await;
    let store = alpha();
    let id = StockLocationId::parse("sloc_A1").unwrap();
    let typed = AddressInput {
        address_1: "Hafenstraße 1".into(),
        city: "Hamburg".into(),
        postal_code: "20457".into(),
        country_code: "DE".into(),
        ..AddressInput::default()
    };
    let address = typed.check().unwrap().unwrap();
    let before = location::set_address(&db, &store, &id, Some(&address))
        .await
        .unwrap();
    assert_eq!(before, None);
    let all = location::locations(&db, &store).await.unwrap();
    let kept = all.iter().find(|l| l.id == id).unwrap();
    assert_eq!(kept.address.as_ref().unwrap().country_code, "de");
    let shown = serde_json::to_value(location::location_json(kept)).unwrap();
    assert_eq!(shown["address"]["city"], "Hamburg");
    assert_eq!(shown["address"]["address_2"], serde_json::Value::Null);
    // Half an address is refused field by field; an unknown country by the database.
    let errors = AddressInput {
        postal_code: "1".into(),
        ..AddressInput::default()
    }
    .check()
    .unwrap_err();
    assert!(errors.of("address_1").is_some() && errors.of("city").is_some());
    assert!(errors.of("country_code").is_some());
    let nowhere = AddressInput {
        country_code: "zz".into(),
        ..typed.clone()
    }
    .check()
    .unwrap()
    .unwrap();
    let err = location::set_address(&db, &store, &id, Some(&nowhere))
        .await
        .unwrap_err();
    assert_eq!(err.param(), Some("country_code"));
    // Cleared, it has none; another store's location is not found.
    location::set_address(&db, &store, &id, None).await.unwrap();
    let all = location::locations(&db, &store).await.unwrap();
    assert!(all.iter().find(|l| l.id == id).unwrap().address.is_none());
    let theirs = StockLocationId::parse("sloc_B1").unwrap();
    let err = location::set_address(&db, &store, &theirs, Some(&address))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
}
