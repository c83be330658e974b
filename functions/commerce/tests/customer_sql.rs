//! Customer accounts against a real PostgreSQL (the two-store fixture): register, the
//! customer made once, sign-in reading the same for every failure, tokens of one
//! generation, sessions, the address book with one default of each kind, a reset link
//! used once that ends every session, and each store's and customer's data kept apart.

mod common;

use commerce::customer::{self, AddressInput, Profile, ProfileBody};
use commerce::ids::{CustomerId, StoreId};
use commerce::params::Page;
use commerce::ApiError;
use common::test_db;
use serde_json::json;

fn alpha() -> StoreId {
    StoreId::parse("store_ALPHA").unwrap()
}

fn beta() -> StoreId {
    StoreId::parse("store_BETA").unwrap()
}

fn unique(name: &str) -> String {
    format!("{name}-{}@example.test", uuid::Uuid::new_v4().simple())
}

const PASSWORD: &str = "a long and unusual passphrase";

/// A registered identity of `store` with its customer made: (principal, customer).
async fn account(
    db: &tokio_postgres::Client,
    store: &StoreId,
    email: &str,
) -> (customer::Principal, CustomerId) {
    customer::register(db, store, email, PASSWORD)
        .await
        .unwrap();
    let who = customer::sign_in(db, store, email, PASSWORD).await.unwrap();
    let profile = Profile::parse(
        &ProfileBody {
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            ..ProfileBody::default()
        },
        &who.email,
    )
    .unwrap();
    let made = customer::create_customer(db, &who, &profile).await.unwrap();
    let who = customer::sign_in(db, store, email, PASSWORD).await.unwrap();
    assert_eq!(who.customer.as_ref(), Some(&made.id));
    (who, made.id)
}

#[tokio::test]
async fn an_account_is_registered_once_and_its_customer_made_once() {
    let db = test_db().await;
    let email = unique("once");
    let registered = customer::register(&db, &alpha(), &email.to_uppercase(), PASSWORD)
        .await
        .unwrap();
    assert!(registered.identity.as_str().starts_with("authid_"));
    assert_eq!(registered.email, email);
    assert_eq!(registered.customer, None);
    let again = customer::register(&db, &alpha(), &email, PASSWORD).await;
    assert!(
        matches!(again, Err(ApiError::NotSignedIn { .. })),
        "{again:?}"
    );
    // The same address is another account in another store.
    customer::register(&db, &beta(), &email, PASSWORD)
        .await
        .unwrap();
    // Weak passwords are refused before anything is kept.
    for weak in ["short", "password1234"] {
        let err = customer::register(&db, &alpha(), &unique("weak"), weak)
            .await
            .unwrap_err();
        assert_eq!(err.param(), Some("password"), "{weak}");
    }

    let who = customer::sign_in(&db, &alpha(), &email, PASSWORD)
        .await
        .unwrap();
    assert_eq!(who.customer, None);
    assert_eq!(who.email, email);
    let other = Profile::parse(
        &ProfileBody {
            email: Some("someone-else@example.test".into()),
            ..ProfileBody::default()
        },
        &who.email,
    );
    assert_eq!(other.unwrap_err().param(), Some("email"));
    let made = customer::create_customer(&db, &who, &Profile::default())
        .await
        .unwrap();
    assert_eq!(made.email, email);
    assert!(made.addresses.is_empty());
    // The identity as the token still names it (no customer yet) makes no second one.
    let twice = customer::create_customer(&db, &who, &Profile::default()).await;
    assert_eq!(twice.unwrap_err().param(), Some("authorization"));
}

#[tokio::test]
async fn every_failed_sign_in_reads_the_same() {
    let db = test_db().await;
    let email = unique("fail");
    customer::register(&db, &alpha(), &email, PASSWORD)
        .await
        .unwrap();
    let attempts = [
        customer::sign_in(&db, &alpha(), &email, "not the passphrase at all").await,
        customer::sign_in(&db, &alpha(), &unique("nobody"), PASSWORD).await,
        customer::sign_in(&db, &beta(), &email, PASSWORD).await,
    ];
    for attempt in attempts {
        match attempt {
            Err(ApiError::NotSignedIn { message }) => {
                assert_eq!(message, "Invalid email or password")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_reset_link_works_once_and_ends_every_token_and_session() {
    let db = test_db().await;
    let email = unique("reset");
    let (who, _) = account(&db, &alpha(), &email).await;
    let session = customer::open_session(&db, &who).await.unwrap();
    assert_eq!(
        customer::session(&db, &alpha(), &session).await.unwrap(),
        Some(who.clone())
    );
    // Another store does not know the session, nor the token's identity.
    assert_eq!(
        customer::session(&db, &beta(), &session).await.unwrap(),
        None
    );
    assert_eq!(
        customer::identity(&db, &beta(), &who.identity, who.generation)
            .await
            .unwrap(),
        None
    );

    assert!(customer::request_reset(&db, &alpha(), &unique("nobody"))
        .await
        .unwrap()
        .is_none());
    let link = customer::request_reset(&db, &alpha(), &email)
        .await
        .unwrap()
        .unwrap();
    assert!(customer::reset_is_open(&db, &alpha(), &link.token)
        .await
        .unwrap());
    assert!(!customer::reset_is_open(&db, &beta(), &link.token)
        .await
        .unwrap());
    let new = "another long passphrase, chosen now";
    customer::reset_password(&db, &alpha(), &link.token, new)
        .await
        .unwrap();
    let used =
        customer::reset_password(&db, &alpha(), &link.token, "yet another long one here").await;
    assert!(
        matches!(used, Err(ApiError::NotSignedIn { .. })),
        "{used:?}"
    );

    // The old generation's token and the session are refused; the new password works.
    assert_eq!(
        customer::identity(&db, &alpha(), &who.identity, who.generation)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        customer::session(&db, &alpha(), &session).await.unwrap(),
        None
    );
    assert!(customer::sign_in(&db, &alpha(), &email, PASSWORD)
        .await
        .is_err());
    let now = customer::sign_in(&db, &alpha(), &email, new).await.unwrap();
    assert_eq!(now.generation, who.generation + 1);
    assert!(
        customer::identity(&db, &alpha(), &now.identity, now.generation)
            .await
            .unwrap()
            .is_some()
    );

    customer::end_session(&db, &customer::open_session(&db, &now).await.unwrap())
        .await
        .unwrap();
}

fn address(body: serde_json::Value) -> AddressInput {
    AddressInput::parse(&body).unwrap()
}

#[tokio::test]
async fn the_address_book_keeps_one_default_of_each_kind_and_only_its_owners_addresses() {
    let db = test_db().await;
    let (_, ada) = account(&db, &alpha(), &unique("book")).await;
    let (_, bob) = account(&db, &alpha(), &unique("other")).await;
    let home = json!({"address_name": "Home", "first_name": "Ada", "last_name": "Lovelace",
        "address_1": "Main 1", "city": "Berlin", "postal_code": "10115", "country_code": "DE",
        "is_default_shipping": true, "is_default_billing": true, "metadata": {"x": 1}});
    let c = customer::add_address(&db, &alpha(), &ada, &address(home))
        .await
        .unwrap();
    let first = c.addresses[0].clone();
    assert_eq!(first.address.country_code.as_deref(), Some("de"));
    assert_eq!(first.address_name, "Home");
    let office = json!({"address_name": "Office", "address_1": "Work 2", "city": "Potsdam",
        "country_code": "de", "is_default_shipping": true});
    let c = customer::add_address(&db, &alpha(), &ada, &address(office))
        .await
        .unwrap();
    assert_eq!(c.addresses.len(), 2);
    let second = &c.addresses[1];
    assert_eq!(c.default_shipping().map(|a| &a.id), Some(&second.id));
    assert_eq!(c.default_billing().map(|a| &a.id), Some(&first.id));

    // A change names only what it changes.
    let c = customer::update_address(
        &db,
        &alpha(),
        &ada,
        first.id.as_str(),
        &address(json!({"city": "Hamburg"})),
    )
    .await
    .unwrap();
    let changed = c.addresses.iter().find(|a| a.id == first.id).unwrap();
    assert_eq!(changed.address.city.as_deref(), Some("Hamburg"));
    assert_eq!(changed.address.address_1.as_deref(), Some("Main 1"));
    assert_eq!(changed.address_name, "Home");

    // Bad input names its field.
    let bad = AddressInput::parse(&json!({"country_code": "Germany"})).unwrap_err();
    assert_eq!(bad.param(), Some("country_code"));

    // Another customer (or store) finds none of Ada's addresses.
    let id = first.id.as_str();
    for attempt in [
        customer::address(&db, &alpha(), &bob, id).await.map(|_| ()),
        customer::update_address(&db, &alpha(), &bob, id, &address(json!({"city": "X"})))
            .await
            .map(|_| ()),
        customer::delete_address(&db, &alpha(), &bob, id)
            .await
            .map(|_| ()),
        customer::address(&db, &beta(), &ada, id).await.map(|_| ()),
    ] {
        assert!(
            matches!(attempt, Err(ApiError::NotFound { .. })),
            "{attempt:?}"
        );
    }
    let (page, count) = customer::addresses(
        &db,
        &alpha(),
        &bob,
        Page {
            limit: 10,
            offset: 0,
        },
    )
    .await
    .unwrap();
    assert!(page.is_empty());
    assert_eq!(count, 0);

    let (page, count) = customer::addresses(
        &db,
        &alpha(),
        &ada,
        Page {
            limit: 1,
            offset: 1,
        },
    )
    .await
    .unwrap();
    assert_eq!(count, 2);
    assert_eq!(page.len(), 1);
    let c = customer::delete_address(&db, &alpha(), &ada, id)
        .await
        .unwrap();
    assert_eq!(c.addresses.len(), 1);
    assert!(customer::customer(&db, &beta(), &ada).await.is_err());
}
