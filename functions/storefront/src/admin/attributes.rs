//! The store's product attributes: the list (with the form that adds one) and one
//! attribute's form, with refused forms shown again as typed beside their problems,
//! and a change that would alter products' values shown with what it alters and a box
//! to confirm it.

use askama::Template;
use commerce::catalog::attribute::{Attribute, AttributeInput, AttributeKind};
use commerce::catalog::edit::FieldErrors;
use commerce::staff::{Member, Permission};
use commerce::ApiError;

use super::{Frame, Shell};
use crate::pages::{html, Rendered};

/// What an attribute form re-shows.
#[derive(Debug, Clone, Default)]
pub struct AttributeNotice {
    pub form: AttributeInput,
    pub errors: FieldErrors,
    pub message: Option<String>,
    /// What saving would do to products, when it asks to be confirmed.
    pub confirm: Option<String>,
}

struct AttributeLine {
    href: String,
    label: String,
    key: String,
    kind: &'static str,
    choices: String,
    filterable: bool,
    products: i64,
}

struct KindChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn kinds(selected: &str) -> Vec<KindChoice> {
    AttributeKind::ALL
        .iter()
        .map(|k| KindChoice {
            value: k.as_str(),
            label: k.label(),
            selected: k.as_str() == selected,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/attributes.html")]
struct AttributesPage<'a> {
    frame: Frame<'a>,
    write: bool,
    saved: Option<&'a str>,
    attributes: Vec<AttributeLine>,
    kinds: Vec<KindChoice>,
    form: AttributeInput,
    errors: FieldErrors,
    message: Option<String>,
}

/// The attributes and the form that adds one.
pub fn attributes_page(
    shell: &Shell,
    member: &Member,
    all: &[Attribute],
    notice: Option<AttributeNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let notice = notice.unwrap_or_else(|| AttributeNotice {
        form: AttributeInput {
            kind: AttributeKind::Text.as_str().to_owned(),
            ..AttributeInput::default()
        },
        ..AttributeNotice::default()
    });
    html(
        status,
        &AttributesPage {
            frame: Frame::new("Attributes", Some(shell)),
            write: member.may(Permission::ProductWrite),
            saved,
            attributes: all
                .iter()
                .map(|a| AttributeLine {
                    href: format!("/admin/product-attributes/{}", a.id.as_str()),
                    label: a.label.clone(),
                    key: a.key.clone(),
                    kind: a.kind.label(),
                    choices: a.choices.join(", "),
                    filterable: a.filterable,
                    products: a.products,
                })
                .collect(),
            kinds: kinds(&notice.form.kind),
            form: notice.form,
            errors: notice.errors,
            message: notice.message,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/attribute.html")]
struct AttributePage<'a> {
    frame: Frame<'a>,
    id: &'a str,
    heading: &'a str,
    write: bool,
    saved: Option<&'a str>,
    kinds: Vec<KindChoice>,
    form: AttributeInput,
    errors: FieldErrors,
    message: Option<String>,
    confirm: Option<String>,
    products: i64,
}

/// An attribute's form as it is kept.
pub fn attribute_form(a: &Attribute) -> AttributeInput {
    AttributeInput {
        label: a.label.clone(),
        key: a.key.clone(),
        kind: a.kind.as_str().to_owned(),
        choices: a.choices.join("\n"),
        filterable: if a.filterable { "yes" } else { "" }.to_owned(),
    }
}

/// An attribute's form and the form that deletes it.
pub fn attribute_page(
    shell: &Shell,
    member: &Member,
    attribute: &Attribute,
    notice: Option<AttributeNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let notice = notice.unwrap_or_else(|| AttributeNotice {
        form: attribute_form(attribute),
        ..AttributeNotice::default()
    });
    html(
        status,
        &AttributePage {
            frame: Frame::new(attribute.label.clone(), Some(shell)),
            id: attribute.id.as_str(),
            heading: &attribute.label,
            write: member.may(Permission::ProductWrite),
            saved,
            kinds: kinds(&notice.form.kind),
            form: notice.form,
            errors: notice.errors,
            message: notice.message,
            confirm: notice.confirm,
            products: attribute.products,
        },
    )
}
