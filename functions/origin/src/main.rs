//! `origin`: serves the origin's HTTP API and runs its job runner.
//! Configuration comes from the environment (see `config.rs` and the README).

use origin::app::{log, App};
use origin::config::Config;
use serde_json::json;

#[tokio::main]
async fn main() {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("origin: {e}");
            std::process::exit(2);
        }
    };
    let listen = config.listen;
    let app = App::new(config);
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("origin: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    tokio::spawn(origin::jobs::run(app.clone()));
    log(
        json!({"level": "info", "msg": "origin listening", "address": listen.to_string(),
               "payment_provider": app.provider.id(), "email": app.mailer.name()}),
    );
    if let Err(e) = axum::serve(listener, origin::http::router(app)).await {
        eprintln!("origin: server stopped: {e}");
        std::process::exit(1);
    }
}
