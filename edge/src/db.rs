//! The one place the Worker opens a PostgreSQL connection (through Hyperdrive).
//! Handlers receive the client; the connection task ends when the client is dropped.

use commerce::ApiError;
use tokio_postgres::{Client, NoTls};
use worker::{console_error, Env};

use crate::bindings::HYPERDRIVE;

/// Opens a connection through the Hyperdrive binding. Failures to reach the database
/// are `DatabaseUnavailable` (503), never a panic.
pub async fn connect(env: &Env) -> Result<Client, ApiError> {
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
    let socket = hyperdrive
        .connect()
        .map_err(|e| unavailable(format!("connect: {e}")))?;
    let (client, connection) = config
        .connect_raw(socket, NoTls)
        .await
        .map_err(|e| unavailable(format!("handshake: {e}")))?;
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = connection.await {
            console_error!(
                r#"{{"level":"error","msg":"database connection ended","error":{}}}"#,
                serde_json::Value::from(e.to_string())
            );
        }
    });
    Ok(client)
}

/// Connects and runs `SELECT 1`.
pub async fn ping(env: &Env) -> Result<(), ApiError> {
    let client = connect(env).await?;
    client.simple_query("SELECT 1").await?;
    Ok(())
}
