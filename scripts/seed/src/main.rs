//! `seed`: applies migrations, loads catalog files (the demo catalog), generates the
//! demo catalog's files, and generates large catalogs for benchmarks.
//!
//! Usage (DATABASE_URL names the database):
//!   seed migrate
//!   seed load <catalog.json> [--r2-manifest <out.json>]
//!   seed generate-demo <dir>
//!   seed large <products>
//!   seed invite <store_id> <email> [role] [--base-url <url>]
//!   seed import <products.csv> --store <store_id> [--dry-run]
//!   seed export --store <store_id> [<file.csv>]
//!   seed generate-csv <products> <file.csv> --store <store_id> [--broken-every <n>]
//!   seed analytics-bench <events> --store <store_id>
//!   seed search-bench <store_id> [rounds]
//!   seed webhooks-bench <events> --store <store_id> [--endpoints <n>]

mod analytics_bench;
mod catalog_file;
mod demo;
mod image;
mod large;
mod search_bench;
mod shopify_csv;
mod webhooks_bench;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tokio_postgres::{Client, NoTls};

const USAGE: &str = "usage:
  seed migrate                                       apply pending migrations
  seed load <catalog.json> [--r2-manifest <out>]     load stores the database lacks
  seed generate-demo <dir>                           write the demo catalog and pictures
  seed large <products>                              grow the benchmark store to N products
  seed invite <store_id> <email> [role] [--base-url <url>]
                                                     invite a member (default role: owner) and
                                                     print the one-time link to accept it
  seed import <products.csv> --store <store_id> [--dry-run]
                                                     import Shopify's product CSV: every row's
                                                     problems first, then product by product
                                                     (--dry-run: only the problems)
  seed export --store <store_id> [<file.csv>]        the catalog as Shopify's product CSV
                                                     (standard output without a file)
  seed generate-csv <products> <file.csv> --store <store_id> [--broken-every <n>]
                                                     a Shopify CSV of N four-variant products
                                                     priced for the store (benchmarks)
  seed analytics-bench <events> --store <store_id>   N generated shopper events over the last
                                                     year, then the dashboard's reads timed
  seed search-bench <store_id> [rounds]              product search and suggestions timed
                                                     against the database (default 20 rounds)
  seed webhooks-bench <events> --store <store_id> [--endpoints <n>]
                                                     N events through the outbox to a running
                                                     origin, each delivered to n webhook
                                                     endpoints (default 4) of a local receiver
DATABASE_URL names the database (e.g. postgres://edgeshop@127.0.0.1:54329/edgeshop).";

/// Prints a one-line progress bar on standard error (on a terminal; elsewhere only
/// the finished line).
pub fn progress(label: &str, done: usize, total: usize) {
    use std::io::IsTerminal as _;
    let total = total.max(1);
    if done < total && !std::io::stderr().is_terminal() {
        return;
    }
    let filled = done * 30 / total;
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r{label} [{}{}] {done}/{total}",
        "#".repeat(filled),
        " ".repeat(30 - filled)
    );
    if done >= total {
        let _ = writeln!(err);
    }
}

async fn connect() -> Result<Client, String> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set".to_owned())?;
    let (client, connection) = tokio_postgres::connect(&url, NoTls)
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("database connection: {e}");
        }
    });
    Ok(client)
}

fn read_catalog(path: &Path) -> Result<catalog_file::CatalogFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    catalog_file::check(&file).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file)
}

/// The `wrangler r2 bulk put` manifest of a catalog's pictures.
fn write_manifest(
    catalog: &catalog_file::CatalogFile,
    dir: &Path,
    out: &Path,
) -> Result<usize, String> {
    let entries: Vec<serde_json::Value> = catalog
        .stores
        .iter()
        .flat_map(|s| &s.products)
        .flat_map(|p| &p.images)
        .map(|i| serde_json::json!({ "key": i.key, "file": dir.join(&i.key) }))
        .collect();
    let text = serde_json::to_string_pretty(&entries).map_err(|e| e.to_string())?;
    std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(entries.len())
}

async fn run(args: &[String]) -> Result<(), String> {
    let db = |e: tokio_postgres::Error| format!("database: {e}");
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["migrate"] => {
            let mut client = connect().await?;
            let applied = commerce::migrate::run(&mut client)
                .await
                .map_err(|e| e.to_string())?;
            if applied.is_empty() {
                println!("migrations: up to date");
            } else {
                println!("migrations applied: {}", applied.join(", "));
            }
            Ok(())
        }
        ["load", file, rest @ ..] => {
            let path = PathBuf::from(file);
            let catalog = read_catalog(&path)?;
            let mut client = connect().await?;
            let loaded = catalog_file::load(&mut client, &catalog)
                .await
                .map_err(db)?;
            if loaded.is_empty() {
                println!("catalog: already loaded");
            } else {
                println!("catalog loaded: {}", loaded.join(", "));
            }
            if let ["--r2-manifest", out] = rest {
                let dir = path.parent().unwrap_or(Path::new("."));
                let n = write_manifest(&catalog, dir, Path::new(out))?;
                println!("r2 manifest: {n} pictures in {out}");
            }
            Ok(())
        }
        ["generate-demo", dir] => {
            let dir = PathBuf::from(dir);
            let _ = std::fs::remove_dir_all(dir.join("products"));
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let catalog = demo::generate(&dir).map_err(|e| e.to_string())?;
            let text = serde_json::to_string_pretty(&catalog).map_err(|e| e.to_string())?;
            std::fs::write(dir.join("catalog.json"), text + "\n").map_err(|e| e.to_string())?;
            let products: usize = catalog.stores.iter().map(|s| s.products.len()).sum();
            println!(
                "demo catalog: {} stores, {products} products in {}",
                catalog.stores.len(),
                dir.display()
            );
            Ok(())
        }
        ["large", n] => {
            let n: usize = n
                .parse()
                .map_err(|_| format!("'{n}' is not a number of products"))?;
            let mut client = connect().await?;
            large::generate(&mut client, n).await.map_err(db)?;
            println!("bench store: {n} products (key {})", large::BENCH_KEY);
            Ok(())
        }
        ["invite", store, email, rest @ ..] => {
            let (role, rest) = match rest {
                [role, rest @ ..] if !role.starts_with("--") => (*role, rest),
                _ => ("owner", rest),
            };
            let base = match rest {
                ["--base-url", url] => url.trim_end_matches('/'),
                [] => "http://localhost:8787",
                _ => return Err(USAGE.to_owned()),
            };
            let client = connect().await?;
            println!("{}", invite(&client, store, email, role, base).await?);
            Ok(())
        }
        ["import", file, "--store", store, rest @ ..] => {
            let dry_run = match rest {
                [] => false,
                ["--dry-run"] => true,
                _ => return Err(USAGE.to_owned()),
            };
            let client = connect().await?;
            import(&client, Path::new(file), store, dry_run).await
        }
        ["generate-csv", n, out, "--store", store, rest @ ..] => {
            let n: usize = n
                .parse()
                .map_err(|_| format!("'{n}' is not a number of products"))?;
            let broken_every = match rest {
                [] => 0,
                ["--broken-every", k] => k.parse().map_err(|_| format!("'{k}' is not a number"))?,
                _ => return Err(USAGE.to_owned()),
            };
            let store = commerce::ids::StoreId::parse(store).map_err(|e| e.to_string())?;
            let client = connect().await?;
            let ctx = commerce::catalog::import::context(&client, &store)
                .await
                .map_err(|e| e.to_string())?;
            let text = shopify_csv::generate(n, broken_every, &ctx);
            std::fs::write(out, &text).map_err(|e| format!("{out}: {e}"))?;
            println!("{out}: {n} products, {} bytes", text.len());
            Ok(())
        }
        ["search-bench", store, rest @ ..] => {
            let rounds = match rest {
                [] => 20,
                [n] => n
                    .parse()
                    .map_err(|_| format!("'{n}' is not a number of rounds"))?,
                _ => return Err(USAGE.to_owned()),
            };
            let client = connect().await?;
            search_bench::run(&client, store, rounds).await
        }
        ["analytics-bench", n, "--store", store] => {
            let n: i64 = n
                .parse()
                .map_err(|_| format!("'{n}' is not a number of events"))?;
            let client = connect().await?;
            analytics_bench::run(&client, store, n).await
        }
        ["webhooks-bench", n, "--store", store, rest @ ..] => {
            let n: i64 = n
                .parse()
                .map_err(|_| format!("'{n}' is not a number of events"))?;
            let endpoints = match rest {
                [] => 4,
                ["--endpoints", k] => k
                    .parse()
                    .map_err(|_| format!("'{k}' is not a number of endpoints"))?,
                _ => return Err(USAGE.to_owned()),
            };
            let mut client = connect().await?;
            webhooks_bench::run(&mut client, store, n, endpoints).await
        }
        ["export", "--store", store, rest @ ..] => {
            let store = commerce::ids::StoreId::parse(store).map_err(|e| e.to_string())?;
            let client = connect().await?;
            let fail = |e: commerce::ApiError| e.to_string();
            let ctx = commerce::catalog::import::context(&client, &store)
                .await
                .map_err(fail)?;
            let csv = commerce::catalog::import::export_shopify_csv(&client, &store, &ctx)
                .await
                .map_err(fail)?;
            match rest {
                [] => std::io::stdout().write_all(&csv).map_err(|e| e.to_string()),
                [out] => {
                    std::fs::write(out, &csv).map_err(|e| format!("{out}: {e}"))?;
                    eprintln!("export: {} bytes in {out}", csv.len());
                    Ok(())
                }
                _ => Err(USAGE.to_owned()),
            }
        }
        _ => Err(USAGE.to_owned()),
    }
}

/// Connections `seed import` writes on side by side.
const IMPORT_CONNECTIONS: usize = 4;

/// `seed import`: reads and checks the file, prints every row's problems, then (unless
/// a dry run) writes it product by product with a progress bar and a summary.
async fn import(client: &Client, file: &Path, store: &str, dry_run: bool) -> Result<(), String> {
    use commerce::catalog::import;
    let fail = |e: commerce::ApiError| {
        format!(
            "{e}{}",
            e.log_detail()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )
    };
    let store = commerce::ids::StoreId::parse(store).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let ctx = import::context(client, &store).await.map_err(fail)?;
    let started = std::time::Instant::now();
    let checked = import::check(client, &store, &ctx, &bytes)
        .await
        .map_err(fail)?;
    let read = checked.read;
    for p in &read.problems {
        eprintln!("row {} {}: {}", p.row, p.column, p.message);
    }
    let variants: usize = read.products.iter().map(|p| p.variants.len()).sum();
    println!(
        "{}: {} rows, {} products ({variants} variants): {} to create, {} to update; {} rows refused",
        file.display(),
        read.rows,
        read.products.len(),
        checked.to_create,
        checked.to_update,
        read.refused_rows.len()
    );
    if dry_run {
        return Ok(());
    }
    let actor = commerce::inventory::Actor::default();
    // Products are written side by side on a few connections of their own.
    let mut lanes = Vec::new();
    for _ in 0..IMPORT_CONNECTIONS {
        lanes.push(connect().await?);
    }
    let clients: Vec<&Client> = lanes.iter().collect();
    let summary = import::apply_all(&clients, &store, &read.products, actor, |done, total| {
        progress("importing", done, total)
    })
    .await
    .map_err(fail)?;
    for p in summary.refused.iter().chain(&summary.warnings) {
        eprintln!("row {} {}: {}", p.row, p.column, p.message);
    }
    println!(
        "import: {} created, {} updated, {} unchanged, {} refused, {} rows refused in the file, in {:.1} s",
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.refused.len(),
        read.refused_rows.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Invites `email` to `store` as `role` and says how to join: the one-time link, or,
/// when the address already has that role there, where to sign in.
async fn invite(
    client: &Client,
    store: &str,
    email: &str,
    role: &str,
    base: &str,
) -> Result<String, String> {
    use commerce::staff::{self, Role, StoreRole};
    let store = commerce::ids::StoreId::parse(store).map_err(|e| e.to_string())?;
    let email = commerce::email::Email::parse(email).map_err(|e| format!("{email}: {e}"))?;
    let role = Role::parse(role).ok_or_else(|| {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("'{role}' is not a role (one of {})", roles.join(", "))
    })?;
    let member = client
        .query_opt(
            "SELECT 1 FROM store_members m JOIN staff_users u ON u.id = m.user_id
             WHERE m.store_id = $1 AND u.email = $2 AND m.role = $3
               AND u.password_hash IS NOT NULL",
            &[&store.as_str(), &email.lookup_key(), &role.as_str()],
        )
        .await
        .map_err(|e| format!("database: {e}"))?;
    if member.is_some() {
        return Ok(format!(
            "{} is already {} of {}: sign in at {base}/admin/sign-in",
            email.as_str(),
            role.as_str(),
            store.as_str()
        ));
    }
    let token = staff::create_invite(client, &store, &email, &StoreRole::builtin(role), None)
        .await
        .map_err(|e| {
            format!(
                "{e}{}",
                e.log_detail()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            )
        })?;
    Ok(format!(
        "{} is invited as {} of {} (one use, 7 days): {base}/admin/invite/{}",
        email.as_str(),
        role.as_str(),
        store.as_str(),
        token.as_str()
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seed: {e}");
            ExitCode::FAILURE
        }
    }
}
