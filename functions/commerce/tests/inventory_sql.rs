//! Stock managed by hand against a real PostgreSQL (the two-store fixture): a count is
//! set or adjusted with its ledger row and its `inventory.adjusted` event, in one
//! transaction; an edit made from an older version, or below what orders hold, is
//! refused and writes nothing; another store's variants and locations are not found.

mod common;

use commerce::db::atomically;
use commerce::ids::{StockLocationId, StoreId, VariantId};
use commerce::inventory::{self, Actor, Change, Reason, StockChange};
use commerce::params::Page;
use commerce::{ApiError, ErrorCode};
use common::test_db;
use tokio_postgres::Client;

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

fn variant(id: &str) -> VariantId {
    VariantId::parse(id).unwrap()
}

fn location(id: &str) -> StockLocationId {
    StockLocationId::parse(id).unwrap()
}

fn req(change: Change, reason: Reason, version: Option<i64>) -> StockChange {
    StockChange {
        change,
        reason,
        note: String::new(),
        expected_version: version,
    }
}

const ACTOR: Actor<'static> = Actor {
    user_id: Some("user_TEST"),
    api_key_id: None,
    role: Some("inventory"),
    trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736"),
};

/// (stocked, reserved, version) of a level.
async fn level(db: &Client, variant: &str, location: &str) -> (i32, i32, i64) {
    let row = db
        .query_one(
            "SELECT stocked, reserved, version FROM inventory_levels
             WHERE variant_id = $1 AND location_id = $2",
            &[&variant, &location],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

async fn count(db: &Client, sql: &str) -> i64 {
    db.query_one(sql, &[]).await.unwrap().get(0)
}

async fn change(
    db: &Client,
    v: &str,
    l: &str,
    req: &StockChange,
) -> Result<inventory::Changed, ApiError> {
    atomically(db, async |tx: &Client| {
        inventory::change(tx, &alpha(), &variant(v), &location(l), req, ACTOR).await
    })
    .await
}

fn code(result: Result<inventory::Changed, ApiError>) -> ErrorCode {
    result.unwrap_err().body().code
}

#[tokio::test]
async fn a_count_is_set_and_adjusted_each_with_its_ledger_row_and_event() {
    let db = test_db().await;
    assert_eq!(level(&db, "variant_A1S", "sloc_A2").await, (5, 0, 1));
    let version = "SELECT catalog_version FROM stores WHERE id = 'store_ALPHA'";
    let catalog_before = count(&db, version).await;

    let set = req(Change::Set(8), Reason::Counted, Some(1));
    let changed = change(&db, "variant_A1S", "sloc_A2", &set).await.unwrap();
    assert_eq!((changed.before.stocked, changed.after.stocked), (5, 8));
    assert_eq!((changed.before.version, changed.after.version), (1, 2));
    let mut damaged = req(Change::Adjust(-3), Reason::Damaged, Some(2));
    damaged.note = "Two jars broke in the drop, one cracked".into();
    change(&db, "variant_A1S", "sloc_A2", &damaged)
        .await
        .unwrap();
    assert_eq!(level(&db, "variant_A1S", "sloc_A2").await, (5, 0, 3));
    assert_eq!(count(&db, version).await, catalog_before + 2);

    let (entries, total) = inventory::history(
        &db,
        &alpha(),
        &variant("variant_A1S"),
        Page {
            limit: 10,
            offset: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(total, 2);
    let rows: Vec<(Reason, i32, i32, i32)> = entries
        .iter()
        .map(|e| (e.reason, e.stocked_before, e.stocked_after, e.delta()))
        .collect();
    assert_eq!(
        rows,
        [(Reason::Damaged, 8, 5, -3), (Reason::Counted, 5, 8, 3)],
        "newest first"
    );
    assert_eq!(entries[0].note, "Two jars broke in the drop, one cracked");
    assert_eq!(entries[0].location_name, "A two");
    // The member is gone from staff_users (a test id): the ledger names them by id.
    assert_eq!(entries[0].by.as_deref(), Some("user_TEST"));

    let events = db
        .query(
            "SELECT payload FROM outbox WHERE topic = 'inventory.adjusted' ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    let last: serde_json::Value = events[1].get(0);
    assert_eq!(last["topic"], "inventory.adjusted");
    assert_eq!(last["trace_id"], ACTOR.trace_id.unwrap());
    assert_eq!(last["payload"]["variant_id"], "variant_A1S");
    assert_eq!(last["payload"]["location_id"], "sloc_A2");
    assert_eq!(last["payload"]["reason"], "damaged");
    assert_eq!(last["payload"]["stocked_before"], 8);
    assert_eq!(last["payload"]["stocked_after"], 5);
    assert_eq!(last["payload"]["delta"], -3);
    assert_eq!(last["payload"]["version"], 3);
    // The envelope's time in milliseconds since the epoch (after 2020, before 2100).
    assert!(last["timestamp"]
        .as_i64()
        .is_some_and(|ms| (1_577_836_800_000..4_102_444_800_000).contains(&ms)));
    assert_eq!(last["store_id"], "store_ALPHA");
    assert!(last["id"].as_str().is_some_and(|id| id.starts_with("evt_")));
}

#[tokio::test]
async fn an_edit_from_an_older_version_is_refused_and_writes_nothing() {
    let db = test_db().await;
    // A shipment (the origin's conditional update) moves the count: the version follows.
    db.execute(
        "UPDATE inventory_levels SET stocked = stocked - 1
         WHERE variant_id = 'variant_A1S' AND location_id = 'sloc_A2'",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(level(&db, "variant_A1S", "sloc_A2").await, (4, 0, 2));
    // Orders reserving do not move it.
    db.execute(
        "UPDATE inventory_levels SET reserved = 1
         WHERE variant_id = 'variant_A1S' AND location_id = 'sloc_A2'",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(level(&db, "variant_A1S", "sloc_A2").await, (4, 1, 2));

    let stale = req(Change::Set(9), Reason::Counted, Some(1));
    let refused = change(&db, "variant_A1S", "sloc_A2", &stale).await;
    let err = refused.clone().unwrap_err();
    assert_eq!(err.status(), 409);
    assert!(
        err.to_string().contains("now 4 (1 held by orders)"),
        "{err}"
    );
    assert_eq!(code(refused), ErrorCode::StaleInventoryLevel);
    assert_eq!(level(&db, "variant_A1S", "sloc_A2").await, (4, 1, 2));
    assert_eq!(count(&db, "SELECT count(*) FROM inventory_ledger").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM outbox").await, 0);

    // Without a version (Medusa's API), the change applies to the count as it is.
    let blind = req(Change::Adjust(2), Reason::Received, None);
    let changed = change(&db, "variant_A1S", "sloc_A2", &blind).await.unwrap();
    assert_eq!((changed.before.stocked, changed.after.stocked), (4, 6));
}

#[tokio::test]
async fn counts_never_go_below_what_orders_hold() {
    let db = test_db().await;
    assert_eq!(level(&db, "variant_A1S", "sloc_A1").await, (10, 3, 1));
    let below = req(Change::Set(2), Reason::Counted, Some(1));
    assert_eq!(
        code(change(&db, "variant_A1S", "sloc_A1", &below).await),
        ErrorCode::StockHeld
    );
    let too_far = req(Change::Adjust(-8), Reason::Damaged, None);
    assert_eq!(
        code(change(&db, "variant_A1S", "sloc_A1", &too_far).await),
        ErrorCode::StockHeld
    );
    assert_eq!(level(&db, "variant_A1S", "sloc_A1").await, (10, 3, 1));
    let exactly = req(Change::Set(3), Reason::Counted, Some(1));
    change(&db, "variant_A1S", "sloc_A1", &exactly)
        .await
        .unwrap();
    assert_eq!(level(&db, "variant_A1S", "sloc_A1").await, (3, 3, 2));
}

#[tokio::test]
async fn a_location_never_stocked_reads_as_zero_and_takes_a_first_count() {
    let db = test_db().await;
    let stock = inventory::variant_stock(&db, &alpha(), &variant("variant_A1M"))
        .await
        .unwrap();
    let levels: Vec<(&str, i32, i32, i64)> = stock
        .levels
        .iter()
        .map(|l| (l.location_id.as_str(), l.stocked, l.reserved, l.version))
        .collect();
    assert_eq!(levels, [("sloc_A1", 0, 0, 1), ("sloc_A2", 0, 0, 0)]);
    assert_eq!(stock.variant.sku.as_deref(), Some("A1-M"));

    let first = req(Change::Set(4), Reason::Received, Some(0));
    let changed = change(&db, "variant_A1M", "sloc_A2", &first).await.unwrap();
    assert_eq!((changed.after.stocked, changed.after.version), (4, 1));
    assert_eq!(level(&db, "variant_A1M", "sloc_A2").await, (4, 0, 1));
}

#[tokio::test]
async fn another_stores_variants_and_locations_are_not_found() {
    let db = test_db().await;
    let any = req(Change::Adjust(1), Reason::Received, None);
    let foreign_variant = change(&db, "variant_B1", "sloc_A1", &any).await;
    assert_eq!(foreign_variant.unwrap_err().status(), 404);
    let foreign_location = change(&db, "variant_A1S", "sloc_B1", &any).await;
    assert_eq!(foreign_location.unwrap_err().status(), 404);
    let read = inventory::variant_stock(&db, &alpha(), &variant("variant_B1")).await;
    assert_eq!(read.unwrap_err().status(), 404);
    assert_eq!(level(&db, "variant_B1", "sloc_B1").await, (7, 0, 1));
    assert_eq!(count(&db, "SELECT count(*) FROM inventory_ledger").await, 0);
}

#[tokio::test]
async fn a_change_whose_transaction_fails_later_leaves_no_trace() {
    let db = test_db().await;
    let set = req(Change::Set(9), Reason::Counted, Some(1));
    let failed: Result<(), ApiError> = atomically(&db, async |tx: &Client| {
        inventory::change(
            tx,
            &alpha(),
            &variant("variant_A1S"),
            &location("sloc_A2"),
            &set,
            ACTOR,
        )
        .await?;
        // As if the audit record that follows had failed.
        Err(ApiError::internal("the audit log refused"))
    })
    .await;
    assert!(failed.is_err());
    assert_eq!(level(&db, "variant_A1S", "sloc_A2").await, (5, 0, 1));
    assert_eq!(count(&db, "SELECT count(*) FROM inventory_ledger").await, 0);
    assert_eq!(count(&db, "SELECT count(*) FROM outbox").await, 0);

    // The ledger is append-only.
    change(&db, "variant_A1S", "sloc_A2", &set).await.unwrap();
    let rewrite = db
        .execute("UPDATE inventory_ledger SET stocked_after = 100", &[])
        .await;
    assert!(rewrite.is_err());
}

#[tokio::test]
async fn the_stock_list_finds_by_sku_or_title_and_shows_what_runs_low() {
    let db = test_db().await;
    let page = Page {
        limit: 50,
        offset: 0,
    };
    let all = inventory::list(&db, &alpha(), &inventory::StockFilter::default(), page)
        .await
        .unwrap();
    assert!(all.1 >= 3, "{all:?}");
    assert!(all
        .0
        .iter()
        .all(|r| r.variant_id.as_str().starts_with("variant_A")));
    let a1s = all
        .0
        .iter()
        .find(|r| r.variant_id.as_str() == "variant_A1S")
        .unwrap();
    assert_eq!((a1s.stocked, a1s.reserved, a1s.available()), (15, 3, 12));

    let by_sku = inventory::StockFilter {
        q: Some(commerce::params::SearchText::parse("a1-M").unwrap()),
        ..Default::default()
    };
    let (rows, total) = inventory::list(&db, &alpha(), &by_sku, page).await.unwrap();
    assert_eq!(total, 1);
    assert_eq!(rows[0].variant_id.as_str(), "variant_A1M");

    let low = inventory::StockFilter {
        available_at_most: Some(0),
        ..Default::default()
    };
    let (rows, _) = inventory::list(&db, &alpha(), &low, page).await.unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.variant_id.as_str()).collect();
    assert!(ids.contains(&"variant_A2"), "{ids:?}");
    assert!(!ids.contains(&"variant_A1S"), "{ids:?}");
}

#[tokio::test]
async fn a_variant_runs_low_at_its_own_threshold() {
    let db = test_db().await;
    let page = Page {
        limit: 50,
        offset: 0,
    };
    let alerts = inventory::StockFilter {
        at_threshold: true,
        ..Default::default()
    };
    let (rows, _) = inventory::list(&db, &alpha(), &alerts, page).await.unwrap();
    assert!(rows.is_empty(), "no thresholds yet: {rows:?}");
    // variant_A1S has 12 available.
    let before = inventory::set_threshold(&db, &alpha(), &variant("variant_A1S"), Some(12))
        .await
        .unwrap();
    assert_eq!(before, None);
    let (rows, _) = inventory::list(&db, &alpha(), &alerts, page).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].threshold, Some(12));
    let before = inventory::set_threshold(&db, &alpha(), &variant("variant_A1S"), Some(11))
        .await
        .unwrap();
    assert_eq!(before, Some(12));
    let (rows, _) = inventory::list(&db, &alpha(), &alerts, page).await.unwrap();
    assert!(rows.is_empty());
    inventory::set_threshold(&db, &alpha(), &variant("variant_A1S"), None)
        .await
        .unwrap();
    let stock = inventory::variant_stock(&db, &alpha(), &variant("variant_A1S"))
        .await
        .unwrap();
    assert_eq!(stock.variant.low_stock_threshold, None);
    let negative = inventory::set_threshold(&db, &alpha(), &variant("variant_A1S"), Some(-1)).await;
    assert_eq!(negative.unwrap_err().status(), 400);
    let foreign = inventory::set_threshold(&db, &alpha(), &variant("variant_B1"), Some(1)).await;
    assert_eq!(foreign.unwrap_err().status(), 404);
}

#[tokio::test]
async fn locations_are_made_renamed_reordered_and_deleted_only_while_empty() {
    use commerce::inventory::location::{self, Move};
    let db = test_db().await;
    let names = |ls: &[location::Location]| ls.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
    let made = location::create_location(&db, &alpha(), "  Back room ")
        .await
        .unwrap();
    assert_eq!(made.name, "Back room");
    let all = location::locations(&db, &alpha()).await.unwrap();
    assert_eq!(
        names(&all),
        ["A one", "A two", "Back room"],
        "new ones are held from last"
    );
    let again = location::create_location(&db, &alpha(), "back ROOM").await;
    assert_eq!(again.unwrap_err().status(), 409);
    assert_eq!(
        location::create_location(&db, &alpha(), " ")
            .await
            .unwrap_err()
            .status(),
        400
    );
    // Beta may have a location of the same name.
    location::create_location(&db, &StoreId::parse("store_BETA").unwrap(), "Back room")
        .await
        .unwrap();

    location::move_location(&db, &alpha(), &made.id, Move::Up)
        .await
        .unwrap();
    location::move_location(&db, &alpha(), &made.id, Move::Up)
        .await
        .unwrap();
    location::move_location(&db, &alpha(), &made.id, Move::Up)
        .await
        .unwrap();
    let all = location::locations(&db, &alpha()).await.unwrap();
    assert_eq!(names(&all), ["Back room", "A one", "A two"]);
    let ranks: Vec<i32> = all.iter().map(|l| l.rank).collect();
    assert_eq!(ranks, [0, 1, 2]);

    let before = location::rename_location(&db, &alpha(), &made.id, "Shop floor")
        .await
        .unwrap();
    assert_eq!(before, "Back room");
    let taken = location::rename_location(&db, &alpha(), &made.id, "a one").await;
    assert_eq!(taken.unwrap_err().status(), 409);
    let foreign = location::rename_location(&db, &alpha(), &location("sloc_B1"), "Mine").await;
    assert_eq!(foreign.unwrap_err().status(), 404);

    // Stock there (and then only its history) keeps it.
    let first = req(Change::Set(2), Reason::Received, Some(0));
    change(&db, "variant_A1M", made.id.as_str(), &first)
        .await
        .unwrap();
    let refused = location::delete_location(&db, &alpha(), &made.id)
        .await
        .unwrap_err();
    assert_eq!(refused.body().code, ErrorCode::LocationInUse);
    assert!(refused.to_string().contains("holds 2 units"), "{refused}");
    let out = req(Change::Set(0), Reason::Damaged, None);
    change(&db, "variant_A1M", made.id.as_str(), &out)
        .await
        .unwrap();
    let refused = location::delete_location(&db, &alpha(), &made.id)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("inventory ledger"),
        "{refused}"
    );
    let held = location::delete_location(&db, &alpha(), &location("sloc_A1"))
        .await
        .unwrap_err();
    assert!(held.to_string().contains("holds"), "{held}");

    let empty = location::create_location(&db, &alpha(), "Pop-up")
        .await
        .unwrap();
    assert_eq!(
        location::delete_location(&db, &alpha(), &empty.id)
            .await
            .unwrap(),
        "Pop-up"
    );
    let all = location::locations(&db, &alpha()).await.unwrap();
    assert_eq!(names(&all), ["Shop floor", "A one", "A two"]);
}
