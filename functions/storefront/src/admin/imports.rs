//! The catalog import pages: a Shopify product CSV uploaded and checked (nothing
//! written yet), the dry run's numbers and every row's problems, the confirmation
//! that starts writing, and the progress of the writing; with the export beside it.

use askama::Template;
use commerce::catalog::import::job::{Import, ImportStatus};
use commerce::catalog::import::{Problem, MAX_IMPORT_BYTES};
use commerce::staff::{Member, Permission};
use commerce::ApiError;

use super::{Frame, Shell};
use crate::pages::{html, Rendered};

struct ImportLine {
    href: String,
    file_name: String,
    status: &'static str,
    progress: String,
    created: String,
}

#[derive(Template)]
#[template(path = "admin/imports.html")]
struct ImportsPage<'a> {
    frame: Frame<'a>,
    write: bool,
    message: Option<String>,
    max_mb: usize,
    max_images: usize,
    imports: Vec<ImportLine>,
}

fn shown_time(at: &str) -> String {
    at.replace('T', " ").trim_end_matches('Z').to_owned()
}

fn progress(i: &Import) -> String {
    match i.status {
        ImportStatus::Checked => format!("{} products to write", i.products),
        _ => format!("{} of {} products", i.done, i.products),
    }
}

/// The import page: the upload form (with a refused upload's reason) and the latest
/// imports.
pub fn imports_page(
    shell: &Shell,
    member: &Member,
    imports: &[Import],
    message: Option<String>,
    status: u16,
) -> Result<Rendered, ApiError> {
    html(
        status,
        &ImportsPage {
            frame: Frame::new("Import products", Some(shell)),
            write: member.may(Permission::ProductWrite),
            message,
            max_mb: MAX_IMPORT_BYTES / (1024 * 1024),
            max_images: commerce::catalog::import::MAX_IMPORT_IMAGES,
            imports: imports
                .iter()
                .map(|i| ImportLine {
                    href: format!("/admin/products/imports/{}", i.id.as_str()),
                    file_name: i.file_name.clone(),
                    status: i.status.label(),
                    progress: progress(i),
                    created: shown_time(&i.created_at),
                })
                .collect(),
        },
    )
}

#[derive(Template)]
#[template(path = "admin/import.html")]
struct ImportPage<'a> {
    frame: Frame<'a>,
    import: &'a Import,
    status: &'static str,
    write: bool,
    message: Option<String>,
    checked: bool,
    running: bool,
    problems: &'a [Problem],
    more_problems: i32,
    refused: Vec<Problem>,
    warnings: Vec<Problem>,
    created: usize,
    updated: usize,
    unchanged: usize,
}

/// One import: the dry run's findings and, once confirmed, its progress and outcome.
pub fn import_page(
    shell: &Shell,
    member: &Member,
    import: &Import,
    message: Option<String>,
    status: u16,
) -> Result<Rendered, ApiError> {
    let summary = import.summary.clone().unwrap_or_default();
    html(
        status,
        &ImportPage {
            frame: Frame::new(format!("Import of {}", import.file_name), Some(shell)),
            import,
            status: import.status.label(),
            write: member.may(Permission::ProductWrite),
            message,
            checked: import.status == ImportStatus::Checked,
            running: import.status == ImportStatus::Importing,
            problems: &import.problems,
            more_problems: import.problem_count - import.problems.len() as i32,
            refused: summary.refused,
            warnings: summary.warnings,
            created: summary.created,
            updated: summary.updated,
            unchanged: summary.unchanged,
        },
    )
}
