//! The Worker's configuration, read from its variables into a typed struct once per
//! isolate: variables and secrets are fixed for an isolate's life (a new deployment or
//! `wrangler secret put` starts new isolates), and reading a dozen of them cost every
//! request as many calls into JavaScript.

use commerce::customer::jwt::{self, JwtKey};
use commerce::limit::Limit;
use commerce::signing::SigningKey;
use worker::Env;

use crate::bindings;

#[derive(Debug, Clone)]
pub struct Config {
    /// `development`, `staging` or `production`.
    pub environment: String,
    /// Browser origins allowed to call `/store/*` (exact matches, e.g. `http://localhost:8000`).
    pub store_cors: Vec<String>,
    /// How long an isolate uses its copy of a store's record (name, regions, catalog
    /// version) before refreshing it in the background: the longest a catalog change
    /// takes to reach the cache keys. `SITE_TTL_SECONDS`, default 10.
    pub site_ttl_ms: u64,
    /// How long a cached page or Store API response is served without a re-render.
    /// `PAGE_FRESH_SECONDS`, default 60.
    pub page_fresh_ms: u64,
    /// How long an entry stays in the cache at all (fresh plus stale, served while a new
    /// copy renders). `PAGE_STALE_SECONDS` (default 86400) plus the fresh time.
    pub page_lifetime_s: u64,
    /// How long an idle cart lives. `CART_LIFETIME_SECONDS`, default 30 days.
    pub cart_lifetime_s: u64,
    /// The origin service (`ORIGIN_URL`), without a trailing slash.
    pub origin_url: String,
    /// The secret requests to the origin are signed with (`ORIGIN_SECRET`); without it
    /// checkout answers that payments are not configured.
    pub origin_key: Option<SigningKey>,
    /// The secret customers' tokens are signed with (`JWT_SECRET`); without it the
    /// account routes answer that accounts are not configured.
    pub jwt_key: Option<JwtKey>,
    /// How long a customer's token lives (`JWT_EXPIRES_IN_SECONDS`, default a day).
    pub jwt_ttl_s: i64,
    /// How long a call to the origin may take (`ORIGIN_TIMEOUT_MS`, default 15000).
    pub origin_timeout_ms: u32,
    /// Completion and payment attempts per cart (`LIMIT_CHECKOUT_PER_CART`, default
    /// 10 a minute), counted exactly.
    pub checkout_per_cart: Limit,
    /// Staff sign-in attempts per account (`LIMIT_SIGN_IN_PER_ACCOUNT`, default 10 in
    /// ten minutes), counted exactly.
    pub sign_in_per_account: Limit,
    /// Staff sign-in attempts per client address (`LIMIT_SIGN_IN_PER_CLIENT`, default
    /// 30 in ten minutes), counted exactly.
    pub sign_in_per_client: Limit,
    /// What a GraphQL query may cost; introspection as `GRAPHQL_INTROSPECTION` says
    /// (`true`/`false`), by default only in development.
    pub graphql: commerce::graphql::Limits,
}

impl Config {
    /// Whether this is a developer's machine (`wrangler dev`), where test headers such
    /// as `cf-ipcountry` may stand in for what Cloudflare sets.
    pub fn development(&self) -> bool {
        self.environment == "development"
    }
}

thread_local! {
    static ISOLATE: std::cell::OnceCell<std::rc::Rc<Config>> = const { std::cell::OnceCell::new() };
}

impl Config {
    /// The isolate's configuration, read from `env` by its first request.
    pub fn of_isolate(env: &Env) -> std::rc::Rc<Config> {
        ISOLATE.with(|c| {
            c.get_or_init(|| std::rc::Rc::new(Config::from_env(env)))
                .clone()
        })
    }

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
        let limit =
            |name: &str, max, window_s| Limit::parse(&var(name)).unwrap_or(Limit { max, window_s });
        let seconds = |name: &str, default: u64| var(name).trim().parse().unwrap_or(default);
        let fresh = seconds(bindings::PAGE_FRESH_SECONDS, 60);
        let introspection = match var(bindings::GRAPHQL_INTROSPECTION).trim() {
            "true" => true,
            "false" => false,
            _ => environment == "development",
        };
        Config {
            environment,
            store_cors,
            site_ttl_ms: seconds(bindings::SITE_TTL_SECONDS, 10) * 1000,
            page_fresh_ms: fresh * 1000,
            page_lifetime_s: fresh + seconds(bindings::PAGE_STALE_SECONDS, 86_400),
            cart_lifetime_s: durable_objects::cart::lifetime_s(env),
            origin_url: var(bindings::ORIGIN_URL).trim_end_matches('/').to_owned(),
            origin_key: env
                .secret(bindings::ORIGIN_SECRET)
                .ok()
                .and_then(|s| SigningKey::parse(&s.to_string()).ok()),
            jwt_key: env
                .secret(bindings::JWT_SECRET)
                .ok()
                .and_then(|s| JwtKey::parse(&s.to_string()).ok()),
            jwt_ttl_s: var(bindings::JWT_EXPIRES_IN_SECONDS)
                .trim()
                .parse()
                .ok()
                .filter(|s: &i64| *s > 0)
                .unwrap_or(jwt::DEFAULT_TTL_S),
            origin_timeout_ms: var(bindings::ORIGIN_TIMEOUT_MS)
                .trim()
                .parse()
                .unwrap_or(15_000),
            checkout_per_cart: limit(bindings::LIMIT_CHECKOUT_PER_CART, 10, 60),
            sign_in_per_account: limit(bindings::LIMIT_SIGN_IN_PER_ACCOUNT, 10, 600),
            sign_in_per_client: limit(bindings::LIMIT_SIGN_IN_PER_CLIENT, 30, 600),
            graphql: commerce::graphql::Limits {
                introspection,
                ..commerce::graphql::Limits::default()
            },
        }
    }
}
