//! The one place the Worker opens a PostgreSQL connection (through Hyperdrive).
//! Handlers receive a client inside [`with_client`]; the connection is driven beside
//! the handler's work and closed before the response leaves, so nothing of a request
//! (socket, buffers, a pending task) outlives it in the isolate. The admin keeps one
//! connection for a whole request instead ([`open`], driven in `wait_until` until the
//! request's context drops the client).

use std::pin::pin;

use commerce::ApiError;
use futures_util::future::{select, Either};
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{Client, Connection, NoTls};
use worker::{console_error, Env};

use crate::db_socket::DbSocket;

/// The binding of the catalog database (`wrangler.toml`).
pub const HYPERDRIVE: &str = "HYPERDRIVE";

fn log_connection_error(e: &tokio_postgres::Error) {
    console_error!(
        r#"{{"level":"error","msg":"database connection ended","error":{}}}"#,
        serde_json::Value::from(e.to_string())
    );
}

/// Runs `work` with a client, driving the connection beside it; then drops the client
/// and lets the connection send Terminate and close its socket. (No timer bounds the
/// close: `worker::Delay` panics on this runtime, where `setTimeout` returns an object,
/// and a socket close does not wait for the peer.)
/// Failures to reach the database are `DatabaseUnavailable` (503), never a panic.
pub async fn with_client<T>(
    env: &Env,
    work: impl AsyncFnOnce(&Client) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let (client, connection) = connect(env).await?;
    let mut connection = pin!(connection);
    let mut ended = false;
    let result = {
        let work = pin!(work(&client));
        match select(work, connection.as_mut()).await {
            Either::Left((result, _)) => result,
            Either::Right((closed, work)) => {
                // The connection ended first (server gone): the work's queries fail.
                ended = true;
                if let Err(e) = &closed {
                    log_connection_error(e);
                }
                work.await
            }
        }
    };
    drop(client);
    if !ended {
        if let Err(e) = connection.await {
            log_connection_error(&e);
        }
    }
    result
}

/// Opens a connection for the rest of a request: the client, and the future that
/// drives the connection until the client is dropped, then sends Terminate and closes
/// the socket. The caller runs the future beside the request (`wait_until`), so that
/// one connection serves all of a request's statements.
pub async fn open(
    env: &Env,
) -> Result<(Client, impl std::future::Future<Output = ()> + 'static), ApiError> {
    let (client, connection) = connect(env).await?;
    let driver = async move {
        if let Err(e) = connection.await {
            log_connection_error(&e);
        }
    };
    Ok((client, driver))
}

/// Opens a connection through the Hyperdrive binding.
async fn connect(env: &Env) -> Result<(Client, Connection<DbSocket, NoTlsStream>), ApiError> {
    let unavailable = |detail: String| ApiError::DatabaseUnavailable { detail };
    let hyperdrive = env.hyperdrive(HYPERDRIVE).map_err(|e| ApiError::Internal {
        detail: format!("binding {HYPERDRIVE}: {e}"),
    })?;
    let config: tokio_postgres::Config =
        hyperdrive
            .connection_string()
            .parse()
            .map_err(|e: tokio_postgres::Error| ApiError::Internal {
                detail: format!("connection string: {e}"),
            })?;
    let socket = DbSocket::connect(&hyperdrive).map_err(unavailable)?;
    config
        .connect_raw(socket, NoTls)
        .await
        .map_err(|e| unavailable(format!("handshake: {e}")))
}

/// Connects and runs `SELECT 1`.
pub async fn ping(env: &Env) -> Result<(), ApiError> {
    with_client(env, async |client: &Client| {
        client.simple_query("SELECT 1").await?;
        Ok(())
    })
    .await
}
