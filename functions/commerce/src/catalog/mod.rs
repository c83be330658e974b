//! The catalog: products, categories and collections, one query module per aggregate,
//! variants as carts read them, products as staff write them ([`edit`]), and the
//! catalog imported from and exported to Shopify's product CSV ([`import`]).

pub mod attribute;
pub mod category;
pub mod collection;
pub mod edit;
pub mod import;
pub mod product;
pub mod rich_text;
pub mod variant;
