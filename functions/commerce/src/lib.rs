//! The commerce domain, free of any runtime: money, typed ids, stores, regions, the
//! catalog and its queries, carts, the Store API's shapes, and trace context. Compiles
//! to wasm32 for the edge Worker and natively for the origin, tools and tests.

pub mod cart;
pub mod catalog;
pub mod db;
pub mod error;
pub mod ids;
pub mod migrate;
pub mod money;
pub mod params;
pub mod region;
pub mod store;
pub mod store_api;
pub mod trace;

pub use error::ApiError;
