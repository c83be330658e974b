//! `test_db()`: a fresh database per test on the throwaway cluster named by
//! TEST_DATABASE_URL (scripts/test starts one), migrated and loaded with the
//! two-store fixture.

use tokio_postgres::{Client, NoTls};

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").expect(
        "TEST_DATABASE_URL is not set: run scripts/test, which starts a throwaway PostgreSQL \
         and sets it (a superuser URL, e.g. postgres://edgeshop@127.0.0.1:PORT/postgres)",
    )
}

/// A new database with the schema and the fixture; its name is unique per test.
#[allow(dead_code)]
pub async fn test_db() -> Client {
    test_db_and_url().await.0
}

/// Like [`test_db`], with the database's URL (for a second connection).
#[allow(dead_code)]
pub async fn test_db_and_url() -> (Client, String) {
    let admin_url = admin_url();
    let admin = connect(&admin_url).await;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("TEST_DATABASE_URL has no database part"),
    };
    let mut client = connect(&url).await;
    commerce::migrate::run(&mut client)
        .await
        .expect("migrations");
    client
        .batch_execute(include_str!("../fixtures/two_stores.sql"))
        .await
        .expect("fixture");
    (client, url)
}

/// Another connection to the database at `url`.
#[allow(dead_code)]
pub async fn second_connection(url: &str) -> Client {
    connect(url).await
}
