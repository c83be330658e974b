//! Variants as carts read them, and carts fed from them, against a real PostgreSQL.

mod common;

use commerce::cart::{self, Cart, CartNotice, CartRegion, RemovalReason};
use commerce::catalog::variant::{self, CartVariant};
use commerce::ids::{CartId, RegionId, StoreId, VariantId};
use commerce::money::CurrencyCode;
use commerce::region;
use commerce::ApiError;
use common::test_db;

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

fn beta() -> StoreId {
    StoreId::parse("store_BETA").unwrap()
}

fn eur() -> CurrencyCode {
    CurrencyCode::parse("eur").unwrap()
}

fn usd() -> CurrencyCode {
    CurrencyCode::parse("usd").unwrap()
}

fn vids(ids: &[&str]) -> Vec<VariantId> {
    ids.iter().map(|id| VariantId::parse(id).unwrap()).collect()
}

fn ids(variants: &[CartVariant]) -> Vec<&str> {
    variants.iter().map(|v| v.id.as_str()).collect()
}

async fn read(
    db: &tokio_postgres::Client,
    store: &StoreId,
    ids: &[&str],
    currency: CurrencyCode,
) -> Vec<CartVariant> {
    variant::for_cart(db, store, &vids(ids), currency)
        .await
        .unwrap()
}

#[tokio::test]
async fn other_stores_variants_are_absent() {
    let db = test_db().await;
    let got = read(
        &db,
        &alpha(),
        &["variant_A1S", "variant_B1", "variant_NOPE"],
        eur(),
    )
    .await;
    assert_eq!(ids(&got), ["variant_A1S"]);
    let got = read(&db, &beta(), &["variant_A1S", "variant_B1"], eur()).await;
    assert_eq!(ids(&got), ["variant_B1"]);
    assert_eq!(got[0].price, Some(999));
    assert_eq!(got[0].available, 7);
    assert!(read(&db, &alpha(), &[], eur()).await.is_empty());
}

#[tokio::test]
async fn variants_come_in_the_order_asked_with_what_a_line_shows() {
    let db = test_db().await;
    let got = read(
        &db,
        &alpha(),
        &["variant_A3", "variant_A1S", "variant_A2"],
        eur(),
    )
    .await;
    assert_eq!(ids(&got), ["variant_A3", "variant_A1S", "variant_A2"]);
    let s = &got[1];
    assert_eq!(s.product_id.as_str(), "prod_A1");
    assert_eq!(s.product_title, "Linen Shirt");
    assert_eq!(s.product_handle, "linen-shirt");
    assert_eq!(s.title, "S / Red");
    assert_eq!(s.sku.as_deref(), Some("A1-S"));
    assert_eq!(s.thumbnail_key.as_deref(), Some("products/a1-front.png"));
    assert!(s.published);
    assert!(s.manage_inventory && !s.allow_backorder);
    assert_eq!(got[2].thumbnail_key, None, "no thumbnail and no image");
}

#[tokio::test]
async fn stock_is_summed_over_locations() {
    let db = test_db().await;
    let got = read(
        &db,
        &alpha(),
        &["variant_A1S", "variant_A1M", "variant_A2", "variant_A3"],
        eur(),
    )
    .await;
    let available: Vec<i64> = got.iter().map(|v| v.available).collect();
    // A1S: (10 - 3) + (5 - 0); A1M: 0 (backorderable); A2: 2 - 2; A3: no levels.
    assert_eq!(available, [12, 0, 0, 0]);
    assert!(got[1].allow_backorder);
    assert!(!got[3].manage_inventory);

    db.batch_execute(
        "UPDATE inventory_levels SET reserved = 6 WHERE variant_id = 'variant_A1S' AND location_id = 'sloc_A2'",
    )
    .await
    .unwrap();
    let got = read(&db, &alpha(), &["variant_A1S"], eur()).await;
    assert_eq!(
        got[0].available, 6,
        "(10 - 3) + (5 - 6): a location may go negative"
    );
}

#[tokio::test]
async fn prices_are_read_in_the_currency_asked() {
    let db = test_db().await;
    let in_eur = read(&db, &alpha(), &["variant_A1S", "variant_A1M"], eur()).await;
    assert_eq!(
        in_eur.iter().map(|v| v.price).collect::<Vec<_>>(),
        [Some(2450), Some(2450)]
    );
    assert!(in_eur.iter().all(|v| v.currency == eur()));
    let in_usd = read(&db, &alpha(), &["variant_A1S", "variant_A1M"], usd()).await;
    assert_eq!(
        in_usd.iter().map(|v| v.price).collect::<Vec<_>>(),
        [Some(2600), None]
    );
    assert!(in_usd.iter().all(|v| v.currency == usd()));
}

#[tokio::test]
async fn drafts_are_returned_flagged_unpublished() {
    let db = test_db().await;
    db.batch_execute(
        "INSERT INTO product_variants (id, store_id, product_id, title, sku)
           VALUES ('variant_A4', 'store_ALPHA', 'prod_A4', 'One size', 'A4');
         INSERT INTO variant_prices (id, store_id, variant_id, currency_code, amount)
           VALUES ('price_A4EUR', 'store_ALPHA', 'variant_A4', 'eur', 5000);
         INSERT INTO product_images (id, store_id, product_id, r2_key, alt, rank, width, height)
           VALUES ('img_A4B', 'store_ALPHA', 'prod_A4', 'products/a4-b.png', 'B', 2, 10, 10),
                  ('img_A4A', 'store_ALPHA', 'prod_A4', 'products/a4-a.png', 'A', 1, 10, 10);",
    )
    .await
    .unwrap();
    let got = read(&db, &alpha(), &["variant_A4"], eur()).await;
    assert_eq!(ids(&got), ["variant_A4"]);
    assert!(!got[0].published);
    assert_eq!(got[0].price, Some(5000));
    assert_eq!(
        got[0].thumbnail_key.as_deref(),
        Some("products/a4-a.png"),
        "without a thumbnail, the first image by rank"
    );

    let mut c = alpha_cart(&db, "reg_AEU").await;
    let e = cart::add_item(&mut c, &got[0], 1, 1).unwrap_err();
    assert!(e.to_string().contains("not available for purchase"), "{e}");
}

#[tokio::test]
async fn too_many_ids_are_refused() {
    let db = test_db().await;
    let many: Vec<VariantId> = (0..=variant::MAX_IDS)
        .map(|i| VariantId::parse(&format!("variant_{i}")).unwrap())
        .collect();
    let e = variant::for_cart(&db, &alpha(), &many, eur())
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::InvalidParam { .. }), "{e:?}");
}

async fn alpha_cart(db: &tokio_postgres::Client, region_id: &str) -> Cart {
    let region = region::get(db, &alpha(), &RegionId::parse(region_id).unwrap())
        .await
        .unwrap();
    Cart::new(CartId::generate(), alpha(), CartRegion::from(&region), 1)
}

#[tokio::test]
async fn a_cart_follows_the_catalog_stock_and_prices() {
    let db = test_db().await;
    let mut c = alpha_cart(&db, "reg_AEU").await;
    let catalog = read(
        &db,
        &alpha(),
        &["variant_A1S", "variant_A1M", "variant_A2", "variant_A3"],
        eur(),
    )
    .await;
    let find = |id: &str| cart::find_variant(&catalog, &vids(&[id])[0], "variant_id").unwrap();

    // A2 has all its stock reserved.
    let e = cart::add_item(&mut c, find("variant_A2"), 1, 2).unwrap_err();
    assert!(
        e.to_string().contains("Wool Coat (One size) is sold out"),
        "{e}"
    );
    // A1S has 12 available.
    cart::add_item(&mut c, find("variant_A1S"), 10, 2).unwrap();
    let e = cart::add_item(&mut c, find("variant_A1S"), 3, 3).unwrap_err();
    assert!(e.to_string().contains("only 12 of"), "{e}");
    // Backorder and unmanaged inventory ignore the stock.
    cart::add_item(&mut c, find("variant_A1M"), 4, 3).unwrap();
    cart::add_item(&mut c, find("variant_A3"), 20, 3).unwrap();
    let t = cart::totals(&c).unwrap();
    assert_eq!(t.item_total, 10 * 2450 + 4 * 2450 + 20 * 1500);

    // The catalog moves: a new price and less stock.
    db.batch_execute(
        "UPDATE variant_prices SET amount = 2990 WHERE id = 'price_A1SEUR';
         UPDATE inventory_levels SET reserved = 10 WHERE variant_id = 'variant_A1S' AND location_id = 'sloc_A1';",
    )
    .await
    .unwrap();
    let fresh = variant::for_cart(&db, &alpha(), &c.variant_ids(), eur())
        .await
        .unwrap();
    let notices = cart::refresh(&mut c, &fresh, 4).unwrap();
    let text: Vec<String> = notices.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "Only 5 of Linen Shirt (S / Red) can be ordered now, so its quantity went from 10 to 5.",
            "The price of Linen Shirt (S / Red) changed from €24.50 to €29.90.",
        ]
    );
    assert_eq!(
        (c.items[0].quantity, c.items[0].unit_price.get()),
        (5, 2990)
    );

    // To the United States: only A1S has a usd price.
    let us = region::get(&db, &alpha(), &RegionId::parse("reg_AUS").unwrap())
        .await
        .unwrap();
    let in_usd = variant::for_cart(&db, &alpha(), &c.variant_ids(), us.currency)
        .await
        .unwrap();
    let notices = cart::change_region(&mut c, CartRegion::from(&us), &in_usd, 5).unwrap();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices.iter().all(|n| matches!(
        n,
        CartNotice::Removed {
            reason: RemovalReason::NotPriced,
            ..
        }
    )));
    assert_eq!(c.items.len(), 1);
    assert_eq!(
        (c.items[0].unit_price.get(), c.region.currency),
        (2600, usd())
    );
    let t = cart::totals(&c).unwrap();
    // 5 × 26.00 = 130.00 net, 10 % on top.
    assert_eq!((t.subtotal, t.tax_total, t.total), (13_000, 1300, 14_300));
}
