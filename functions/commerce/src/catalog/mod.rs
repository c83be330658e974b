//! The catalog: products, categories and collections, one query module per aggregate.

pub mod category;
pub mod collection;
pub mod product;
