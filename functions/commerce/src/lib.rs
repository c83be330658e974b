//! The commerce domain, free of any runtime: money, typed ids, stores, regions, the
//! catalog and its queries, carts and shipping options, the Store API's shapes,
//! analytics events, and trace context. Compiles to wasm32 for the edge Worker and
//! natively for the origin, tools and tests.

pub mod analytics;
pub mod cart;
pub mod cart_api;
pub mod cart_catalog;
pub mod catalog;
pub mod checkout;
pub mod customer;
pub mod db;
pub mod email;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod ids;
pub mod inventory;
pub mod limit;
pub mod migrate;
pub mod money;
pub mod order;
pub mod outbox;
pub mod params;
pub mod payment;
pub mod purchase_order;
pub mod region;
pub mod search;
pub mod settings;
pub mod shipping_option;
pub mod signing;
pub mod staff;
pub mod store;
pub mod store_api;
pub mod trace;
pub mod webhook;
pub mod wire;

pub use error::{ApiError, ErrorBody, ErrorCode};
