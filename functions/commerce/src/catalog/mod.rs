//! The catalog: products, categories and collections, one query module per aggregate,
//! variants as carts read them, and products as staff write them ([`edit`]).

pub mod category;
pub mod collection;
pub mod edit;
pub mod product;
pub mod variant;
