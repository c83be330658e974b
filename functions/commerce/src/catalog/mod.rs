//! The catalog: products, categories and collections, one query module per aggregate,
//! and variants as carts read them.

pub mod category;
pub mod collection;
pub mod product;
pub mod variant;
