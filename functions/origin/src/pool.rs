//! The origin's PostgreSQL connections, kept by `deadpool-postgres`: at most
//! `DATABASE_POOL_SIZE` connections, opened on demand within a connect timeout,
//! checked (closed or not) before reuse. One rule is the origin's own: a connection
//! that may still hold a session-level advisory lock (a checkout completion whose
//! request was cancelled or failed between taking the cart's lock and releasing it)
//! is closed when its guard drops, never handed out again with the lock.

use std::ops::Deref;
use std::time::Duration;

use commerce::db::{Param, Sql};
use commerce::ApiError;
use deadpool_postgres::{Manager, ManagerConfig, Object, RecyclingMethod, Runtime};
use tokio_postgres::{Client, NoTls, Row};

/// How long the pool waits for a connection to open, to be checked, or to be
/// freed by another request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolTimeouts {
    /// Opening a new connection (TCP connect + PostgreSQL start-up).
    pub connect: Duration,
    /// Waiting for a free connection while all are in use.
    pub wait: Duration,
}

impl Default for PoolTimeouts {
    fn default() -> Self {
        PoolTimeouts {
            connect: Duration::from_secs(5),
            wait: Duration::from_secs(30),
        }
    }
}

/// Session setting of the origin's connections: keep prepared statements' plans.
const GENERIC_PLANS: &str = "-c plan_cache_mode=force_generic_plan";

#[derive(Clone)]
pub struct Pool {
    inner: Result<deadpool_postgres::Pool, String>,
}

/// A checked-out connection; derefs to the `tokio_postgres` client.
pub struct Conn {
    object: Option<Object>,
    /// Set while the connection holds a session-level lock: if the holder never
    /// releases it (cancelled, failed), the connection is closed, not reused.
    discard: bool,
}

impl Pool {
    /// A pool of at most `size` connections to `url`. A URL that does not parse makes
    /// a pool whose every checkout fails (`Config::from_env` refuses such a URL
    /// before the origin starts).
    pub fn new(url: &str, size: usize, timeouts: PoolTimeouts) -> Self {
        let inner = url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| format!("DATABASE_URL: {e}"))
            .and_then(|mut pg| {
                pg.connect_timeout(timeouts.connect);
                // Statements are prepared once per connection (below); their plans are
                // then kept too, instead of PostgreSQL planning every execution again
                // when it judges a generic plan no cheaper (it did for most of the
                // checkout's: 124 -> 213 checkouts/s with this). The origin's statements
                // are key lookups and writes, whose generic plans are the custom ones.
                // A statement with optional predicates (`$n IS NULL OR ...`) over a big
                // table would want custom plans: the origin has none (region lists are
                // per store, a handful of rows).
                let options = match pg.get_options() {
                    Some(given) => format!("{given} {GENERIC_PLANS}"),
                    None => GENERIC_PLANS.to_owned(),
                };
                pg.options(&options);
                let manager = Manager::from_config(
                    pg,
                    NoTls,
                    ManagerConfig {
                        // A closed connection (server restart) is replaced; session
                        // state is never left behind (see `Conn::hold_session_lock`).
                        recycling_method: RecyclingMethod::Fast,
                    },
                );
                deadpool_postgres::Pool::builder(manager)
                    .max_size(size.max(1))
                    .runtime(Runtime::Tokio1)
                    .create_timeout(Some(timeouts.connect))
                    .recycle_timeout(Some(timeouts.connect))
                    .wait_timeout(Some(timeouts.wait))
                    .build()
                    .map_err(|e| format!("database pool: {e}"))
            });
        Pool { inner }
    }

    /// A healthy connection; waits (at most the wait timeout) while all are in use.
    pub async fn get(&self) -> Result<Conn, ApiError> {
        let pool = self
            .inner
            .as_ref()
            .map_err(|e| ApiError::DatabaseUnavailable { detail: e.clone() })?;
        let object = pool
            .get()
            .await
            .map_err(|e| ApiError::DatabaseUnavailable {
                detail: format!("database pool: {e}"),
            })?;
        Ok(Conn {
            object: Some(object),
            discard: false,
        })
    }

    /// (connections open, connections idle), for tests and health checks.
    pub fn status(&self) -> (usize, usize) {
        match &self.inner {
            Ok(pool) => {
                let s = pool.status();
                (s.size, s.available)
            }
            Err(_) => (0, 0),
        }
    }
}

impl Conn {
    /// From now on the connection may hold a session-level lock: unless released,
    /// it is closed when dropped instead of going back to the pool.
    pub fn hold_session_lock(&mut self) {
        self.discard = true;
    }

    /// The session lock was released: the connection may be reused.
    pub fn release_session_lock(&mut self) {
        self.discard = false;
    }

    fn object(&self) -> &Object {
        self.object
            .as_ref()
            .expect("a checked-out connection holds its client")
    }

    /// Begins a transaction; its statements are prepared once per connection too.
    pub async fn transaction(&mut self) -> Result<Tx<'_>, ApiError> {
        let object = self
            .object
            .as_mut()
            .expect("a checked-out connection holds its client");
        Ok(Tx(object.transaction().await?))
    }
}

/// A transaction of a pooled connection (see [`Conn::transaction`]).
pub struct Tx<'a>(deadpool_postgres::Transaction<'a>);

impl Tx<'_> {
    pub async fn commit(self) -> Result<(), ApiError> {
        Ok(self.0.commit().await?)
    }
}

impl<'a> Deref for Tx<'a> {
    type Target = tokio_postgres::Transaction<'a>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

// The origin's connections live long, so each statement the domain sends is prepared
// once per connection (deadpool's statement cache, keyed by text and parameter types)
// and later calls only bind and execute it: no parse, no plan. PostgreSQL's
// statistics of a checkout run showed planning at about half of its statements' time.
mod prepared {
    use deadpool_postgres::GenericClient;
    use tokio_postgres::types::{ToSql, Type};
    use tokio_postgres::{Error, Row};

    use commerce::db::Param;

    /// The values of typed parameters, and their types.
    fn split<'p>(params: &[Param<'p>]) -> (Vec<&'p (dyn ToSql + Sync)>, Vec<Type>) {
        params.iter().map(|(v, t)| (*v, t.clone())).unzip()
    }

    pub async fn query<C: GenericClient>(
        c: &C,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, Error> {
        let (values, types) = split(params);
        let statement = c.prepare_typed_cached(sql, &types).await?;
        c.query(&statement, &values).await
    }

    pub async fn execute<C: GenericClient>(
        c: &C,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<u64, Error> {
        let (values, types) = split(params);
        let statement = c.prepare_typed_cached(sql, &types).await?;
        c.execute(&statement, &values).await
    }
}

impl Sql for Conn {
    async fn query_typed(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        prepared::query(self.object(), sql, params).await
    }

    async fn execute_typed(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<u64, tokio_postgres::Error> {
        prepared::execute(self.object(), sql, params).await
    }
}

impl Sql for Tx<'_> {
    async fn query_typed(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        prepared::query(&self.0, sql, params).await
    }

    async fn execute_typed(
        &self,
        sql: &str,
        params: &[Param<'_>],
    ) -> Result<u64, tokio_postgres::Error> {
        prepared::execute(&self.0, sql, params).await
    }
}

impl Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.object()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(object) = self.object.take() {
            if self.discard {
                // Taken out of the pool and dropped: the connection closes and the
                // server releases whatever session lock it still held.
                drop(Object::take(object));
            }
            // Otherwise the object returns to the pool, which checks it on reuse.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unparsable_url_fails_each_checkout_without_panicking() {
        let pool = Pool::new("not a url ::", 2, PoolTimeouts::default());
        let err = pool.get().await.err().expect("no connection");
        assert_eq!(err.status(), 503);
        assert_eq!(pool.status(), (0, 0));
    }

    #[tokio::test]
    async fn an_unreachable_server_fails_within_the_connect_timeout() {
        // Port 9 on loopback: nothing listens; refused at once or timed out.
        let pool = Pool::new(
            "postgres://u:p@127.0.0.1:9/db",
            1,
            PoolTimeouts {
                connect: Duration::from_millis(500),
                wait: Duration::from_millis(500),
            },
        );
        let started = std::time::Instant::now();
        assert!(pool.get().await.is_err());
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
