//! The admin API's shape of an attribute (`/admin/product-attributes`).

use serde::Serialize;

use super::{Attribute, AttributeKind};

#[derive(Debug, Clone, Serialize)]
pub struct AttributeJson {
    pub id: String,
    pub key: String,
    pub label: String,
    pub kind: AttributeKind,
    /// The list's choices (kind `choice`), else empty.
    pub choices: Vec<String>,
    pub filterable: bool,
    /// Products with a value of it.
    pub product_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Attribute> for AttributeJson {
    fn from(a: &Attribute) -> Self {
        AttributeJson {
            id: a.id.as_str().to_owned(),
            key: a.key.clone(),
            label: a.label.clone(),
            kind: a.kind,
            choices: a.choices.clone(),
            filterable: a.filterable,
            product_count: a.products,
            created_at: a.created_at.clone(),
            updated_at: a.updated_at.clone(),
        }
    }
}
