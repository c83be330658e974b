//! Names of the Worker's bindings and variables, matching `wrangler.toml`. The Durable
//! Object namespaces (`CART`, `LIMITER`), the database (`HYPERDRIVE`) and the carts'
//! lifetime (`CART_LIFETIME_SECONDS`) are named in the `durable-objects` crate, which
//! reads them.

/// R2 bucket holding product images.
pub const ASSETS: &str = "ASSETS";
/// Queue carrying analytics and domain events.
pub const EVENTS: &str = "EVENTS";
/// Plain-text variable: the deployment's environment name (development, staging, production).
pub const ENVIRONMENT: &str = "ENVIRONMENT";
/// Plain-text variable: origins allowed to call the Store API from a browser, comma-separated.
pub const STORE_CORS: &str = "STORE_CORS";
/// Plain-text variables tuning the edge cache; see `Config`.
pub const SITE_TTL_SECONDS: &str = "SITE_TTL_SECONDS";
pub const PAGE_FRESH_SECONDS: &str = "PAGE_FRESH_SECONDS";
pub const PAGE_STALE_SECONDS: &str = "PAGE_STALE_SECONDS";
/// Plain-text variable: the origin service's base URL (`http://127.0.0.1:8788` locally).
pub const ORIGIN_URL: &str = "ORIGIN_URL";
/// Secret (`wrangler secret put ORIGIN_SECRET`): signs every request to the origin.
pub const ORIGIN_SECRET: &str = "ORIGIN_SECRET";
/// Secret (`wrangler secret put JWT_SECRET`, at least 32 characters): signs customers'
/// tokens (HS256).
pub const JWT_SECRET: &str = "JWT_SECRET";
/// Plain-text variable: how long a customer's token lives, in seconds (default a day).
pub const JWT_EXPIRES_IN_SECONDS: &str = "JWT_EXPIRES_IN_SECONDS";
/// Plain-text variable: how long the edge waits for the origin, in milliseconds.
pub const ORIGIN_TIMEOUT_MS: &str = "ORIGIN_TIMEOUT_MS";
/// Plain-text variable: completion and payment attempts per cart, `MAX/SECONDS`
/// (exact, counted in `LimiterObject`).
pub const LIMIT_CHECKOUT_PER_CART: &str = "LIMIT_CHECKOUT_PER_CART";
/// Plain-text variables: staff sign-in attempts per account and per client address,
/// `MAX/SECONDS` (exact).
pub const LIMIT_SIGN_IN_PER_ACCOUNT: &str = "LIMIT_SIGN_IN_PER_ACCOUNT";
pub const LIMIT_SIGN_IN_PER_CLIENT: &str = "LIMIT_SIGN_IN_PER_CLIENT";
/// Rate-limit bindings (`[[ratelimits]]`, approximate counts; limits in wrangler.toml).
pub const LIMIT_LOOKUP_BY_IP: &str = "LIMIT_LOOKUP_BY_IP";
pub const LIMIT_LOOKUP_BY_EMAIL: &str = "LIMIT_LOOKUP_BY_EMAIL";
pub const LIMIT_CART_CREATE_BY_IP: &str = "LIMIT_CART_CREATE_BY_IP";
pub const LIMIT_EVENTS_BY_IP: &str = "LIMIT_EVENTS_BY_IP";
/// The GraphQL Worker's requests per client address (`edge/graphql/wrangler.toml`).
pub const LIMIT_GRAPHQL_BY_IP: &str = "LIMIT_GRAPHQL_BY_IP";
/// Service binding: the GraphQL Worker, which `/graphql` is handed to.
pub const GRAPHQL: &str = "GRAPHQL";
/// Plain-text variable of the GraphQL Worker: whether `__schema` and `__type` answer
/// (`true`/`false`; default: only in development).
pub const GRAPHQL_INTROSPECTION: &str = "GRAPHQL_INTROSPECTION";
