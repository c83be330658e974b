//! `seed generate-csv`: a Shopify product CSV of N products for a store, for the import
//! benchmark and its tests. Each product has two options (Size: S, M; Colour: Sand,
//! Slate), four variants priced in every currency of the store (a `Price / <region>`
//! column per region of another currency) and a count. Every `broken_every`-th product
//! has one broken row (a price that is not a number), so an import must refuse exactly
//! N / broken_every rows.

use commerce::catalog::import::ImportContext;

/// Writes the file's text.
pub fn generate(n: usize, broken_every: usize, ctx: &ImportContext) -> String {
    let price_columns = ctx.price_columns();
    let mut columns: Vec<String> = [
        "Handle",
        "Title",
        "Body (HTML)",
        "Published",
        "Option1 Name",
        "Option1 Value",
        "Option2 Name",
        "Option2 Value",
        "Variant SKU",
        "Variant Grams",
        "Variant Inventory Tracker",
        "Variant Inventory Qty",
        "Variant Inventory Policy",
        "Variant Price",
        "Status",
    ]
    .iter()
    .map(|c| (*c).to_owned())
    .collect();
    columns.extend(price_columns.iter().map(|(name, _)| name.clone()));
    let mut out = columns.join(",");
    out.push('\n');
    for i in 0..n {
        let handle = format!("csv-import-tee-{i:05}");
        let mut k = 0;
        for size in ["S", "M"] {
            for colour in ["Sand", "Slate"] {
                let first = k == 0;
                let broken = broken_every > 0 && i % broken_every == broken_every - 1 && k == 3;
                let price = if broken {
                    "n/a".to_owned()
                } else {
                    format!("{}.00", 20 + i % 30)
                };
                let own = if first {
                    format!("Import Tee {i},Cotton tee number {i}.,TRUE,Size")
                } else {
                    ",,,".to_owned()
                };
                out.push_str(&format!(
                    "{handle},{own},{size},{},{colour},CSV-{i:05}-{size}-{},{},shopify,{},deny,{price},{}",
                    if first { "Colour" } else { "" },
                    colour.to_uppercase(),
                    150 + k * 10,
                    (i + k) % 20,
                    if first { "active" } else { "" },
                ));
                for _ in &price_columns {
                    out.push_str(&format!(",{}.50", 22 + i % 30));
                }
                out.push('\n');
                k += 1;
            }
        }
    }
    out
}
