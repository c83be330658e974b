//! The storefront's pages, rendered on the server (askama) and usable without
//! JavaScript: routes, listing parameters, view models, SEO documents and the
//! stylesheet. Plain Rust over `commerce`: the edge Worker calls [`pages::render`]
//! with a database client, and tests render the same pages natively.

pub mod account;
pub mod admin;
pub mod assets;
pub mod checkout;
pub mod format;
pub mod listing;
pub mod pages;
pub mod routes;
pub mod seo;
pub mod site;
pub mod views;

pub use pages::{cache_key, error_page, render, PageRequest, Rendered};
pub use routes::{page_route, PageRoute};
pub use site::Site;

/// A hash of everything that decides how pages and Store API bodies render (see
/// build.rs): part of every edge cache key, so a new build never serves an old one's
/// pages.
pub const RENDER_HASH: &str = env!("RENDER_HASH");
