//! `origin`: serves the origin's HTTP API and runs its job runner.
//! Configuration comes from the environment (see `config.rs` and the README).

use origin::app::App;
use origin::config::Config;

#[tokio::main]
async fn main() {
    origin::logging::init();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("origin cannot start: {e}");
            std::process::exit(2);
        }
    };
    let listen = config.listen;
    let app = App::new(config);
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(address = %listen, error = %e, "origin: cannot listen");
            std::process::exit(1);
        }
    };
    let address = listener.local_addr().unwrap_or(listen);
    tokio::spawn(origin::jobs::run(app.clone()));
    tokio::spawn(origin::deliveries::run(app.clone()));
    tracing::info!(
        address = %address,
        environment = %app.config.environment,
        payment_provider = app.provider.id(),
        email = app.mailer.name(),
        "origin listening"
    );
    if let Err(e) = origin::http::serve(listener, app).await {
        tracing::error!(error = %e, "origin: server stopped");
        std::process::exit(1);
    }
}
