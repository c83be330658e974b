//! A small PostgreSQL connection pool: at most `size` connections, reused while they
//! are healthy, opened on demand. A connection is returned when its guard drops; one
//! that has closed (server restart) is discarded and replaced on the next checkout.

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use commerce::ApiError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, NoTls};

#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    idle: Mutex<Vec<Client>>,
    permits: Arc<Semaphore>,
}

/// A checked-out connection.
pub struct Conn {
    client: Option<Client>,
    /// Set while the connection holds a session-level lock: if the holder never
    /// releases it (cancelled, failed), the connection is closed, not reused.
    discard: bool,
    pool: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    pub fn new(url: &str, size: usize) -> Self {
        Pool {
            inner: Arc::new(Inner {
                url: url.to_owned(),
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(size.max(1))),
            }),
        }
    }

    /// A healthy connection; waits while all `size` are in use.
    pub async fn get(&self) -> Result<Conn, ApiError> {
        let permit = self
            .inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal {
                detail: format!("pool closed: {e}"),
            })?;
        let reused = {
            let mut idle = self.inner.idle.lock().unwrap_or_else(|p| p.into_inner());
            std::iter::from_fn(|| idle.pop()).find(|c| !c.is_closed())
        };
        let client = match reused {
            Some(c) => c,
            None => {
                let (client, connection) = tokio_postgres::connect(&self.inner.url, NoTls).await?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing_line("database connection ended", &e.to_string());
                    }
                });
                client
            }
        };
        Ok(Conn {
            client: Some(client),
            discard: false,
            pool: self.inner.clone(),
            _permit: permit,
        })
    }
}

fn tracing_line(msg: &str, detail: &str) {
    eprintln!(
        "{}",
        serde_json::json!({"level": "warn", "msg": msg, "detail": detail})
    );
}

impl Conn {
    pub fn hold_session_lock(&mut self) {
        self.discard = true;
    }

    pub fn release_session_lock(&mut self) {
        self.discard = false;
    }

    pub fn client_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .expect("a checked-out connection holds its client")
    }
}

impl Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
            .as_ref()
            .expect("a checked-out connection holds its client")
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            if !client.is_closed() && !self.discard {
                let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
                idle.push(client);
            }
        }
    }
}
