//! The Worker's configuration, read once per request from its variables into a typed struct.

use worker::Env;

use crate::bindings;

#[derive(Debug, Clone)]
pub struct Config {
    /// `development`, `staging` or `production`.
    pub environment: String,
    /// Browser origins allowed to call `/store/*` (exact matches, e.g. `http://localhost:8000`).
    pub store_cors: Vec<String>,
}

impl Config {
    pub fn from_env(env: &Env) -> Self {
        let var = |name: &str| env.var(name).map(|v| v.to_string()).unwrap_or_default();
        let environment = match var(bindings::ENVIRONMENT) {
            e if e.is_empty() => "development".to_owned(),
            e => e,
        };
        let store_cors = var(bindings::STORE_CORS)
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        Config {
            environment,
            store_cors,
        }
    }
}
