//! Names of the Worker's bindings, matching `wrangler.toml`.

/// Hyperdrive in front of the catalog PostgreSQL.
pub const HYPERDRIVE: &str = "HYPERDRIVE";
/// R2 bucket holding product images.
pub const ASSETS: &str = "ASSETS";
/// Queue carrying analytics and domain events.
pub const EVENTS: &str = "EVENTS";
/// Durable Object namespace of the carts (`CartObject`), one object per cart id.
pub const CART: &str = "CART";
/// Plain-text variable: the deployment's environment name (development, staging, production).
pub const ENVIRONMENT: &str = "ENVIRONMENT";
/// Plain-text variable: origins allowed to call the Store API from a browser, comma-separated.
pub const STORE_CORS: &str = "STORE_CORS";
/// Plain-text variables tuning the edge cache; see `Config`.
pub const SITE_TTL_SECONDS: &str = "SITE_TTL_SECONDS";
pub const PAGE_FRESH_SECONDS: &str = "PAGE_FRESH_SECONDS";
pub const PAGE_STALE_SECONDS: &str = "PAGE_STALE_SECONDS";
/// Plain-text variable: how long an idle cart lives, in seconds (default 30 days).
pub const CART_LIFETIME_SECONDS: &str = "CART_LIFETIME_SECONDS";
/// Plain-text variable: the origin service's base URL (`http://127.0.0.1:8788` locally).
pub const ORIGIN_URL: &str = "ORIGIN_URL";
/// Secret (`wrangler secret put ORIGIN_SECRET`): signs every request to the origin.
pub const ORIGIN_SECRET: &str = "ORIGIN_SECRET";
/// Plain-text variable: how long the edge waits for the origin, in milliseconds.
pub const ORIGIN_TIMEOUT_MS: &str = "ORIGIN_TIMEOUT_MS";
