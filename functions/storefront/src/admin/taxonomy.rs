//! The category tree and the collections: the lists (with the form that adds one), and
//! one category's or collection's form, with refused forms shown again as typed beside
//! their problems.

use askama::Template;
use commerce::catalog::edit::category::{AdminCategory, CategoryInput};
use commerce::catalog::edit::collection::{AdminCollection, CollectionInput};
use commerce::catalog::edit::FieldErrors;
use commerce::staff::{Member, Permission};
use commerce::ApiError;

use super::{Frame, Shell};
use crate::pages::{html, Rendered};

/// A category in the tree as shown: indented by its depth.
struct CategoryLine {
    id: String,
    href: String,
    name: String,
    indent: String,
    active: bool,
    products: i64,
    first: bool,
    last: bool,
}

/// A category the parent list offers.
struct ParentChoice {
    id: String,
    label: String,
    selected: bool,
}

/// What a category form re-shows: the fields as typed, their problems, or one message.
#[derive(Debug, Clone, Default)]
pub struct CategoryNotice {
    pub form: CategoryInput,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

fn parents(tree: &[AdminCategory], selected: &str, except: Option<&str>) -> Vec<ParentChoice> {
    tree.iter()
        .filter(|c| except != Some(c.id.as_str()))
        .map(|c| ParentChoice {
            id: c.id.as_str().to_owned(),
            label: format!("{}{}", "— ".repeat(c.depth.max(0) as usize), c.name),
            selected: c.id.as_str() == selected,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin/categories.html")]
struct CategoriesPage<'a> {
    frame: Frame<'a>,
    write: bool,
    saved: Option<&'a str>,
    categories: Vec<CategoryLine>,
    form: CategoryInput,
    errors: FieldErrors,
    message: Option<String>,
    parents: Vec<ParentChoice>,
}

/// The tree, each category with its products' count, and the form that adds one.
pub fn categories_page(
    shell: &Shell,
    member: &Member,
    tree: &[AdminCategory],
    notice: Option<CategoryNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let notice = notice.unwrap_or_else(|| CategoryNotice {
        form: CategoryInput {
            active: "yes".into(),
            ..CategoryInput::default()
        },
        ..CategoryNotice::default()
    });
    let categories = tree
        .iter()
        .map(|c| {
            let siblings: Vec<&AdminCategory> =
                tree.iter().filter(|o| o.parent == c.parent).collect();
            CategoryLine {
                id: c.id.as_str().to_owned(),
                href: format!("/admin/product-categories/{}", c.id.as_str()),
                name: c.name.clone(),
                indent: "— ".repeat(c.depth.max(0) as usize),
                active: c.is_active,
                products: c.products,
                first: siblings.first().is_some_and(|s| s.id == c.id),
                last: siblings.last().is_some_and(|s| s.id == c.id),
            }
        })
        .collect();
    html(
        status,
        &CategoriesPage {
            frame: Frame::new("Categories", Some(shell)),
            write: member.may(Permission::ProductWrite),
            saved,
            categories,
            parents: parents(tree, notice.form.parent.trim(), None),
            form: notice.form,
            errors: notice.errors,
            message: notice.message,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/category.html")]
struct CategoryPage<'a> {
    frame: Frame<'a>,
    id: &'a str,
    heading: &'a str,
    write: bool,
    saved: Option<&'a str>,
    form: CategoryInput,
    errors: FieldErrors,
    message: Option<String>,
    parents: Vec<ParentChoice>,
    products: i64,
}

/// A category's form: its fields, its parent, and the form that deletes it.
pub fn category_page(
    shell: &Shell,
    member: &Member,
    tree: &[AdminCategory],
    category: &AdminCategory,
    notice: Option<CategoryNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let notice = notice.unwrap_or_else(|| CategoryNotice {
        form: CategoryInput {
            name: category.name.clone(),
            handle: category.handle.clone(),
            description: category.description.clone(),
            active: if category.is_active { "yes" } else { "" }.to_owned(),
            parent: category
                .parent
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
        },
        ..CategoryNotice::default()
    });
    html(
        status,
        &CategoryPage {
            frame: Frame::new(category.name.clone(), Some(shell)),
            id: category.id.as_str(),
            heading: &category.name,
            write: member.may(Permission::ProductWrite),
            saved,
            parents: parents(tree, notice.form.parent.trim(), Some(category.id.as_str())),
            form: notice.form,
            errors: notice.errors,
            message: notice.message,
            products: category.products,
        },
    )
}

/// What a collection form re-shows.
#[derive(Debug, Clone, Default)]
pub struct CollectionNotice {
    pub form: CollectionInput,
    pub errors: FieldErrors,
    pub message: Option<String>,
}

struct CollectionLine {
    href: String,
    title: String,
    handle: String,
    featured: bool,
    products: i64,
}

#[derive(Template)]
#[template(path = "admin/collections.html")]
struct CollectionsPage<'a> {
    frame: Frame<'a>,
    write: bool,
    saved: Option<&'a str>,
    collections: Vec<CollectionLine>,
    form: CollectionInput,
    errors: FieldErrors,
    message: Option<String>,
}

/// The collections and the form that adds one.
pub fn collections_page(
    shell: &Shell,
    member: &Member,
    all: &[AdminCollection],
    notice: Option<CollectionNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let notice = notice.unwrap_or_default();
    html(
        status,
        &CollectionsPage {
            frame: Frame::new("Collections", Some(shell)),
            write: member.may(Permission::ProductWrite),
            saved,
            collections: all
                .iter()
                .map(|c| CollectionLine {
                    href: format!("/admin/collections/{}", c.id.as_str()),
                    title: c.title.clone(),
                    handle: c.handle.clone(),
                    featured: c.featured,
                    products: c.products,
                })
                .collect(),
            form: notice.form,
            errors: notice.errors,
            message: notice.message,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/collection.html")]
struct CollectionPage<'a> {
    frame: Frame<'a>,
    id: &'a str,
    heading: &'a str,
    write: bool,
    saved: Option<&'a str>,
    form: CollectionInput,
    errors: FieldErrors,
    message: Option<String>,
    products: i64,
}

/// A collection's form and the form that deletes it.
pub fn collection_page(
    shell: &Shell,
    member: &Member,
    collection: &AdminCollection,
    notice: Option<CollectionNotice>,
    saved: Option<&str>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let notice = notice.unwrap_or_else(|| CollectionNotice {
        form: CollectionInput {
            title: collection.title.clone(),
            handle: collection.handle.clone(),
            featured: if collection.featured { "yes" } else { "" }.to_owned(),
        },
        ..CollectionNotice::default()
    });
    html(
        status,
        &CollectionPage {
            frame: Frame::new(collection.title.clone(), Some(shell)),
            id: collection.id.as_str(),
            heading: &collection.title,
            write: member.may(Permission::ProductWrite),
            saved,
            form: notice.form,
            errors: notice.errors,
            message: notice.message,
            products: collection.products,
        },
    )
}
