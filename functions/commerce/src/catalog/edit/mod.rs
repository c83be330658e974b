//! Products as staff write them: a product's own fields (title, handle, subtitle,
//! description, status), checked all at once by [`ProductInput::check`] so that a form
//! can show every field's problem beside it, then created or changed in one statement
//! with the `product.created` / `product.updated` event ([`repo`]). The product's
//! document, the store's catalog version and its product count follow by the catalog's
//! triggers (migrations 0003, 0006), so pages and the Store API show the change within
//! the configured window. Options, variants and prices are written elsewhere.

pub mod category;
pub mod collection;
pub mod images;
mod json;
pub mod options;
mod repo;
pub mod variant;

use serde::Deserialize;

pub use self::json::{admin_product_json, admin_variant_json, AdminProductJson, AdminVariantJson};
pub use self::repo::{
    create, list, one, update, AdminImage, AdminOption, AdminProduct, AdminProductFilter,
    AdminVariant, VariantOptionValue,
};
use crate::db::Sql;
use crate::error::ApiError;
use crate::ids::{ProductId, StoreId};
use crate::outbox::{self, Topic};
use crate::params::Handle;

pub use crate::catalog::product::ProductStatus;
use crate::catalog::rich_text;

/// The longest title and subtitle.
pub const MAX_TITLE: usize = 200;
/// The longest handle.
pub const MAX_HANDLE: usize = 100;
/// The longest description.
pub const MAX_DESCRIPTION: usize = 10_000;

/// A product's own fields as typed. An empty handle is made from the title.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ProductInput {
    pub title: String,
    pub handle: String,
    pub subtitle: String,
    pub description: String,
    /// Rich text ([`crate::catalog::rich_text`]).
    pub educational_content: String,
    pub status: String,
}

/// The fields of a product that pass [`ProductInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFields {
    pub title: String,
    pub handle: Handle,
    pub subtitle: Option<String>,
    pub description: String,
    pub educational_content: String,
    pub status: ProductStatus,
}

/// Every field's problem, by field name, in the form's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first problem as the API's error (a JSON client fixes one at a time).
    pub fn into_error(self) -> ApiError {
        match self.0.into_iter().next() {
            Some((field, message)) => ApiError::invalid(field, message),
            None => ApiError::internal("no field errors to report"),
        }
    }
}

/// A handle made from `title`: lower-case ASCII letters and digits, anything else a
/// dash, runs of dashes one, none at the ends; accented Latin letters lose their accent.
pub fn handle_from(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            'ß' => 's',
            c => c,
        };
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.len() > MAX_HANDLE {
        out.truncate(MAX_HANDLE);
        while out.ends_with('-') {
            out.pop();
        }
    }
    out
}

impl ProductInput {
    /// The fields, or every field's problem.
    pub fn check(&self) -> Result<ProductFields, FieldErrors> {
        let mut errors = Vec::new();
        let title = self.title.trim();
        if title.is_empty() {
            errors.push(("title", "Give the product a title.".to_owned()));
        } else if title.chars().count() > MAX_TITLE {
            errors.push(("title", format!("must be {MAX_TITLE} characters or fewer")));
        } else if title.chars().any(char::is_control) {
            errors.push(("title", "control characters are not accepted".to_owned()));
        }
        let handle_text = match self.handle.trim() {
            "" => handle_from(title),
            typed => typed.to_owned(),
        };
        let handle = if handle_text.is_empty() {
            if !title.is_empty() {
                errors.push((
                    "handle",
                    "Give the product a handle: lower-case letters, digits and dashes.".to_owned(),
                ));
            }
            None
        } else if handle_text.len() > MAX_HANDLE {
            errors.push((
                "handle",
                format!("must be {MAX_HANDLE} characters or fewer"),
            ));
            None
        } else {
            match Handle::parse(&handle_text) {
                Ok(h) => Some(h),
                Err(reason) => {
                    errors.push(("handle", reason));
                    None
                }
            }
        };
        let subtitle = self.subtitle.trim();
        if subtitle.chars().count() > MAX_TITLE {
            errors.push((
                "subtitle",
                format!("must be {MAX_TITLE} characters or fewer"),
            ));
        }
        let description = self.description.trim();
        if description.chars().count() > MAX_DESCRIPTION {
            errors.push((
                "description",
                format!("must be {MAX_DESCRIPTION} characters or fewer"),
            ));
        }
        let educational_content = match rich_text::check(&self.educational_content) {
            Ok(text) => text,
            Err(reason) => {
                errors.push(("educational_content", reason));
                String::new()
            }
        };
        let status = match self.status.trim() {
            "" => Some(ProductStatus::Draft),
            s => {
                let parsed = ProductStatus::parse(s);
                if parsed.is_none() {
                    errors.push(("status", "must be draft, published or archived".to_owned()));
                }
                parsed
            }
        };
        match (errors.is_empty(), handle, status) {
            (true, Some(handle), Some(status)) => Ok(ProductFields {
                title: title.to_owned(),
                handle,
                subtitle: (!subtitle.is_empty()).then(|| subtitle.to_owned()),
                description: description.to_owned(),
                educational_content,
                status,
            }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

/// A new product with its options and variants (Medusa's create body), all written or
/// none (run it in a transaction): made as a draft, its options added, each variant
/// checked against the store's currencies and added, then given `fields.status` (so
/// "published" needs a variant, as always).
pub async fn create_whole<C: Sql>(
    client: &C,
    store: &StoreId,
    fields: &ProductFields,
    options: &[options::OptionFields],
    variants: &[variant::VariantInput],
    trace_id: Option<&str>,
) -> Result<ProductId, ApiError> {
    let draft = ProductFields {
        status: ProductStatus::Draft,
        ..fields.clone()
    };
    let id = create(client, store, &draft, trace_id).await?;
    for option in options {
        options::add_option(client, store, &id, option, trace_id).await?;
    }
    let currencies = variant::store_currencies(client, store).await?;
    for input in variants {
        let checked = input.check(&currencies).map_err(FieldErrors::into_error)?;
        variant::add_variant(client, store, &id, &checked, trace_id).await?;
    }
    if fields.status != ProductStatus::Draft {
        update(client, store, &id, fields, trace_id).await?;
    }
    Ok(id)
}

/// Sends `product.updated` for `product` with `changes` (what the write changed).
pub(crate) async fn product_updated<C: Sql>(
    client: &C,
    store: &StoreId,
    product: &ProductId,
    changes: serde_json::Value,
    trace_id: Option<&str>,
) -> Result<(), ApiError> {
    let changes = match changes {
        serde_json::Value::Object(fields) => fields,
        other => serde_json::Map::from_iter([("change".to_owned(), other)]),
    };
    let payload = crate::events::value(&crate::events::ProductUpdated {
        product_id: product.to_string(),
        changes,
    });
    outbox::enqueue(client, store, Topic::ProductUpdated, payload, trace_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str, handle: &str) -> ProductInput {
        ProductInput {
            title: title.into(),
            handle: handle.into(),
            ..ProductInput::default()
        }
    }

    #[test]
    fn a_handle_is_made_from_the_title_when_none_is_typed() {
        assert_eq!(handle_from("Linen Camp Shirt"), "linen-camp-shirt");
        assert_eq!(
            handle_from("  Crème brûlée -- set of 2! "),
            "creme-brulee-set-of-2"
        );
        assert_eq!(handle_from("日本"), "");
        let fields = input("Linen Camp Shirt", "").check().unwrap();
        assert_eq!(fields.handle.as_str(), "linen-camp-shirt");
        assert_eq!(
            fields.status,
            ProductStatus::Draft,
            "new products start as drafts"
        );
        assert_eq!(fields.subtitle, None);
    }

    #[test]
    fn every_field_problem_is_reported_at_once() {
        let mut bad = input("", "Not A Handle");
        bad.status = "retired".into();
        bad.description = "x".repeat(MAX_DESCRIPTION + 1);
        bad.educational_content = "a bell \u{7}".into();
        let errors = bad.check().unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "title",
                "handle",
                "description",
                "educational_content",
                "status"
            ]
        );
        assert!(errors.of("handle").unwrap().contains("lower-case"));
        let err = errors.into_error();
        assert_eq!(err.status(), 400);
        assert_eq!(err.body().param.as_deref(), Some("title"));
    }

    #[test]
    fn a_title_without_latin_letters_needs_a_typed_handle() {
        let errors = input("日本", "").check().unwrap_err();
        assert!(errors.of("handle").is_some());
        assert_eq!(
            input("日本", "nihon").check().unwrap().handle.as_str(),
            "nihon"
        );
    }
}
