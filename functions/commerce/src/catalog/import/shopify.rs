//! Reading Shopify's product CSV: the header's columns found by name (the classic
//! names and the 2024 export's, in any case and order), rows grouped by handle (a
//! product's first row carries its own fields, later rows more variants and images),
//! and every value checked. Nothing here touches the database.

use std::collections::{BTreeSet, HashMap};

use super::{ImportContext, ImportImage, ImportProduct, ImportVariant, Problem, ReadFile, StockAt};
use crate::catalog::attribute;
use crate::catalog::edit::options::MAX_VARIANTS;
use crate::catalog::edit::variant::MAX_WEIGHT_G;
use crate::catalog::edit::variant::{barcode_ok, BARCODE_RULE};
use crate::catalog::edit::{handle_from, ProductStatus, MAX_DESCRIPTION, MAX_TITLE};
use crate::error::ApiError;
use crate::money::{parse_major, CurrencyCode};
use crate::params::Handle;

/// The columns the export writes, in its order (the import reads these and their
/// aliases); `Price / <region>` columns follow, one per region of another currency.
pub const COLUMNS: [&str; 26] = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Type",
    "Tags",
    "Published",
    "Option1 Name",
    "Option1 Value",
    "Option2 Name",
    "Option2 Value",
    "Option3 Name",
    "Option3 Value",
    "Variant SKU",
    "Variant Grams",
    "Variant Inventory Tracker",
    "Variant Inventory Qty",
    "Variant Inventory Policy",
    "Variant Price",
    "Variant Requires Shipping",
    "Variant Taxable",
    "Variant Barcode",
    "Image Src",
    "Image Position",
    "Image Alt Text",
    "Status",
];

/// A column this reader uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Field {
    Handle,
    Title,
    Body,
    Published,
    Status,
    OptionName(usize),
    OptionValue(usize),
    Sku,
    Barcode,
    Grams,
    Tracker,
    Quantity,
    Policy,
    Price,
    ImageSrc,
    ImageAlt,
    /// The store's attribute of that index in the import's context.
    Attribute(usize),
}

/// The field a header names, by Shopify's classic name or its 2024 export's.
fn field_of(header: &str) -> Option<Field> {
    let h = header.trim().to_ascii_lowercase();
    Some(match h.as_str() {
        "handle" | "url handle" => Field::Handle,
        "title" => Field::Title,
        "body (html)" | "description" => Field::Body,
        "published" | "published on online store" => Field::Published,
        "status" => Field::Status,
        "variant sku" | "sku" => Field::Sku,
        "variant barcode" | "barcode" => Field::Barcode,
        "variant grams" | "weight value (grams)" => Field::Grams,
        "variant inventory tracker" | "inventory tracker" => Field::Tracker,
        "variant inventory qty" | "inventory quantity" => Field::Quantity,
        "variant inventory policy" | "continue selling when out of stock" => Field::Policy,
        "variant price" | "price" => Field::Price,
        "image src" | "product image url" => Field::ImageSrc,
        "image alt text" => Field::ImageAlt,
        _ => {
            let rest = h.strip_prefix("option")?;
            let (n, what) = rest.split_once(' ')?;
            let n: usize = n.parse().ok().filter(|n| (1..=3).contains(n))?;
            match what {
                "name" => Field::OptionName(n - 1),
                "value" => Field::OptionValue(n - 1),
                _ => return None,
            }
        }
    })
}

/// Where each field and each region's price is in the header.
struct Header {
    fields: HashMap<Field, (usize, String)>,
    /// Column index and name of each currency's price (the default's is `Variant Price`).
    prices: Vec<(CurrencyCode, usize, String)>,
}

impl Header {
    fn read(names: &csv::StringRecord, ctx: &ImportContext) -> Result<Self, ApiError> {
        let mut fields = HashMap::new();
        let mut prices = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if let Some(key) = attribute::csv_column_key(name) {
                let Some(a) = ctx.attributes.iter().position(|a| a.key == key) else {
                    return Err(ApiError::invalid(
                        "file",
                        format!(
                            "the column {} is the attribute {key}, which the store does not have: \
                             add it on the Attributes page first, or leave the column out",
                            name.trim()
                        ),
                    ));
                };
                fields
                    .entry(Field::Attribute(a))
                    .or_insert((i, name.trim().to_owned()));
                continue;
            }
            if let Some(field) = field_of(name) {
                fields.entry(field).or_insert((i, name.trim().to_owned()));
                continue;
            }
            let lower = name.trim().to_ascii_lowercase();
            if let Some(region) = lower.strip_prefix("price / ") {
                if let Some((_, currency)) = ctx
                    .regions
                    .iter()
                    .find(|(r, _)| r.to_ascii_lowercase() == region.trim())
                {
                    if *currency != ctx.default_currency
                        && !prices.iter().any(|(c, _, _)| c == currency)
                    {
                        prices.push((*currency, i, name.trim().to_owned()));
                    }
                }
            }
        }
        if !fields.contains_key(&Field::Handle) && !fields.contains_key(&Field::Title) {
            return Err(ApiError::invalid(
                "file",
                "the first row must name the columns, with Handle and Title among them (Shopify's product CSV)",
            ));
        }
        if let Some((i, name)) = fields.get(&Field::Price) {
            prices.insert(0, (ctx.default_currency, *i, name.clone()));
        }
        Ok(Header { fields, prices })
    }

    fn name(&self, field: Field) -> String {
        self.fields
            .get(&field)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| match field {
                Field::Handle => "Handle".to_owned(),
                Field::Title => "Title".to_owned(),
                Field::Price => "Variant Price".to_owned(),
                Field::OptionValue(i) => format!("Option{} Value", i + 1),
                Field::OptionName(i) => format!("Option{} Name", i + 1),
                _ => format!("{field:?}"),
            })
    }
}

/// One row's values by field.
struct Row<'a> {
    number: usize,
    record: &'a csv::StringRecord,
    header: &'a Header,
}

impl Row<'_> {
    fn get(&self, field: Field) -> &str {
        self.header
            .fields
            .get(&field)
            .and_then(|(i, _)| self.record.get(*i))
            .map(str::trim)
            .unwrap_or_default()
    }
}

/// What a file's rows add up to while it is read.
struct Reading<'a> {
    ctx: &'a ImportContext,
    header: &'a Header,
    problems: Vec<Problem>,
    refused: BTreeSet<usize>,
    products: Vec<ImportProduct>,
    by_handle: HashMap<String, usize>,
    /// Products refused at their own row: their later rows go too.
    refused_handles: HashMap<String, usize>,
    skus: HashMap<String, usize>,
}

impl Reading<'_> {
    fn problem(&mut self, row: usize, field: Field, message: impl Into<String>) {
        let column = self.header.name(field);
        self.problems.push(Problem {
            row,
            column,
            message: message.into(),
        });
        self.refused.insert(row);
    }

    /// A product's own row: its fields, options and (usually) its first variant.
    fn product_row(&mut self, row: &Row<'_>, handle: String) {
        let before = self.problems.len();
        let title = row.get(Field::Title);
        if title.chars().count() > MAX_TITLE || title.chars().any(char::is_control) {
            self.problem(
                row.number,
                Field::Title,
                format!("up to {MAX_TITLE} characters, without control characters"),
            );
        }
        let description = row.get(Field::Body);
        if description.chars().count() > MAX_DESCRIPTION {
            self.problem(
                row.number,
                Field::Body,
                format!("up to {MAX_DESCRIPTION} characters"),
            );
        }
        let status = match (
            row.get(Field::Status).to_ascii_lowercase().as_str(),
            row.get(Field::Published).to_ascii_lowercase().as_str(),
        ) {
            ("active", _) => Some(ProductStatus::Published),
            ("draft", _) => Some(ProductStatus::Draft),
            ("archived", _) => Some(ProductStatus::Archived),
            ("", "true" | "") => Some(ProductStatus::Published),
            ("", "false") => Some(ProductStatus::Draft),
            ("", _) => {
                self.problem(row.number, Field::Published, "TRUE or FALSE");
                None
            }
            _ => {
                self.problem(row.number, Field::Status, "active, draft or archived");
                None
            }
        };
        let mut options = Vec::new();
        for i in 0..3 {
            let name = row.get(Field::OptionName(i));
            if name.is_empty() {
                break;
            }
            // A product without options: Shopify writes Option1 Name "Title", "Default Title".
            if i == 0 && name == "Title" && row.get(Field::OptionValue(0)) == "Default Title" {
                break;
            }
            if name.chars().count() > 100
                || options
                    .iter()
                    .any(|(o, _): &(String, Vec<String>)| o.eq_ignore_ascii_case(name))
            {
                self.problem(
                    row.number,
                    Field::OptionName(i),
                    "each option once, up to 100 characters",
                );
            }
            options.push((name.to_owned(), Vec::new()));
        }
        let mut attributes = Vec::new();
        for (i, a) in self.ctx.attributes.iter().enumerate() {
            if !self.header.fields.contains_key(&Field::Attribute(i)) {
                continue;
            }
            match a.value_from_text(row.get(Field::Attribute(i))) {
                Ok(value) => attributes.push((a.key.clone(), value)),
                Err(reason) => self.problem(row.number, Field::Attribute(i), reason),
            }
        }
        if self.problems.len() > before {
            self.refused_handles.insert(handle, row.number);
            return;
        }
        let index = self.products.len();
        self.by_handle.insert(handle.clone(), index);
        self.products.push(ImportProduct {
            row: row.number,
            handle,
            title: title.to_owned(),
            description: description.to_owned(),
            status: status.unwrap_or(ProductStatus::Draft),
            options,
            variants: Vec::new(),
            images: Vec::new(),
            attributes,
            categories: None,
            collection: None,
            subtitle: None,
            educational_content: None,
        });
    }

    /// A row's variant, when it has one.
    fn variant(&mut self, row: &Row<'_>, product: usize) {
        let options = self.products[product].options.len();
        let has_values = (0..3).any(|i| !row.get(Field::OptionValue(i)).is_empty());
        let is_variant = has_values
            || !row.get(Field::Sku).is_empty()
            || self
                .header
                .prices
                .iter()
                .any(|(_, i, _)| row.record.get(*i).is_some_and(|v| !v.trim().is_empty()));
        if !is_variant {
            return;
        }
        let before = self.problems.len();
        let mut values = Vec::new();
        for i in 0..options {
            let value = row.get(Field::OptionValue(i));
            if value.is_empty() || value.chars().count() > 100 {
                let name = self.products[product].options[i].0.clone();
                self.problem(
                    row.number,
                    Field::OptionValue(i),
                    format!("a value of {name} is needed (up to 100 characters)"),
                );
            } else {
                values.push(value.to_owned());
            }
        }
        for i in options..3 {
            let value = row.get(Field::OptionValue(i));
            // Shopify's one variant of a product without options.
            let default_title = i == 0 && value == "Default Title";
            if !value.is_empty() && !default_title {
                self.problem(
                    row.number,
                    Field::OptionValue(i),
                    "the product has no such option (name it on the product's first row)",
                );
            }
        }
        let sku = row.get(Field::Sku);
        let sku = if sku.is_empty() {
            None
        } else if sku.chars().count() > 100
            || sku.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            self.problem(
                row.number,
                Field::Sku,
                "up to 100 characters without spaces",
            );
            None
        } else if let Some(first) = self.skus.get(sku) {
            let first = *first;
            self.problem(
                row.number,
                Field::Sku,
                format!("{sku} is already on row {first}"),
            );
            None
        } else {
            Some(sku.to_owned())
        };
        let barcode = row.get(Field::Barcode);
        let barcode = if barcode.is_empty() {
            None
        } else if barcode_ok(barcode) {
            Some(barcode.to_owned())
        } else {
            self.problem(row.number, Field::Barcode, BARCODE_RULE);
            None
        };
        let mut prices = Vec::new();
        for currency in self.ctx.currencies() {
            let column = self
                .header
                .prices
                .iter()
                .find(|(c, _, _)| *c == currency)
                .cloned();
            let Some((_, i, name)) = column else {
                let region = self
                    .ctx
                    .regions
                    .iter()
                    .find(|(_, c)| *c == currency)
                    .map(|(r, _)| r.clone())
                    .unwrap_or_default();
                let column = if currency == self.ctx.default_currency {
                    "Variant Price".to_owned()
                } else {
                    format!("Price / {region}")
                };
                self.problems.push(Problem {
                    row: row.number,
                    column: column.clone(),
                    message: format!(
                        "a price in {} is needed: add a '{column}' column",
                        currency.as_str().to_ascii_uppercase()
                    ),
                });
                self.refused.insert(row.number);
                continue;
            };
            let typed = row.record.get(i).map(str::trim).unwrap_or_default();
            match parse_major(typed, currency) {
                Some(minor) if !typed.is_empty() => prices.push((currency, minor)),
                _ => {
                    self.problems.push(Problem {
                        row: row.number,
                        column: name,
                        message: format!(
                            "a price in {} is needed, e.g. 49.00 (found '{typed}')",
                            currency.as_str().to_ascii_uppercase()
                        ),
                    });
                    self.refused.insert(row.number);
                }
            }
        }
        let weight_g = match row.get(Field::Grams) {
            "" => None,
            typed => match typed.parse::<f64>() {
                Ok(g) if g.fract() == 0.0 && (0.0..=f64::from(MAX_WEIGHT_G)).contains(&g) => {
                    Some(g as i32)
                }
                _ => {
                    self.problem(
                        row.number,
                        Field::Grams,
                        format!("whole grams from 0 to {MAX_WEIGHT_G}"),
                    );
                    None
                }
            },
        };
        let manage_inventory = match row.get(Field::Tracker).to_ascii_lowercase().as_str() {
            "" => !self.header.fields.contains_key(&Field::Tracker),
            _ => true,
        };
        let allow_backorder = match row.get(Field::Policy).to_ascii_lowercase().as_str() {
            "" | "deny" | "false" => false,
            "continue" | "true" => true,
            _ => {
                self.problem(row.number, Field::Policy, "deny or continue");
                false
            }
        };
        let quantity = match row.get(Field::Quantity) {
            "" => None,
            typed => match typed.parse::<i32>() {
                Ok(q) if q >= 0 => Some(q),
                _ => {
                    self.problem(
                        row.number,
                        Field::Quantity,
                        "a whole number of units, 0 or more",
                    );
                    None
                }
            },
        };
        let twin = self.products[product]
            .variants
            .iter()
            .find(|v| v.values == values)
            .map(|v| v.row);
        if let Some(twin) = twin {
            self.problem(
                row.number,
                Field::OptionValue(0),
                format!("row {twin} has the same option values"),
            );
        }
        if self.products[product].variants.len() >= MAX_VARIANTS {
            self.problem(
                row.number,
                Field::Sku,
                format!("a product has at most {MAX_VARIANTS} variants"),
            );
        }
        if self.problems.len() > before {
            return;
        }
        if let Some(sku) = &sku {
            self.skus.insert(sku.clone(), row.number);
        }
        let product = &mut self.products[product];
        for (i, value) in values.iter().enumerate() {
            let known = &mut product.options[i].1;
            if !known.iter().any(|v| v.eq_ignore_ascii_case(value)) {
                known.push(value.clone());
            }
        }
        product.variants.push(ImportVariant {
            row: row.number,
            sku,
            barcode,
            values,
            prices,
            weight_g,
            manage_inventory,
            allow_backorder,
            stock: quantity.map(|q| (StockAt::First, q)).into_iter().collect(),
        });
    }

    /// A row's image, when it has one.
    fn image(&mut self, row: &Row<'_>, product: usize) {
        let src = row.get(Field::ImageSrc);
        if src.is_empty() {
            return;
        }
        // An image uploaded with the file, named by its file name or a URL ending in it
        // (Shopify's export: `https://cdn.shopify.com/.../name.jpg?v=1`).
        let file_name = src.split(['?', '#']).next().unwrap_or(src);
        let file_name = file_name.rsplit('/').next().unwrap_or(file_name);
        let uploaded = self.ctx.uploaded.iter().find(|u| u.name == file_name);
        // Else our own export's keys, or their URLs on this store (`.../images/<key>`).
        let key = match uploaded {
            Some(u) => u.key.as_str(),
            None => src.rsplit_once("/images/").map(|(_, k)| k).unwrap_or(src),
        };
        let valid = !key.contains("://")
            && key.len() <= 512
            && key.split('/').all(|s| {
                !s.is_empty()
                    && s != ".."
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            });
        if !valid {
            self.problem(row.number, Field::ImageSrc, "images are read from the store's bucket: upload the image with the file (its file name in Image Src), or give its key in the bucket (as the export writes it)");
            return;
        }
        let alt = row.get(Field::ImageAlt);
        let images = &mut self.products[product].images;
        if !images.iter().any(|i| i.key == key) {
            images.push(ImportImage {
                row: row.number,
                key: key.to_owned(),
                alt: alt.chars().take(300).collect(),
                size: uploaded.map(|u| (u.width, u.height)),
            });
        }
    }
}

/// Reads a Shopify product CSV for a store with `ctx`: the products it gives, and every
/// row's problems by row and column. Fails only when the file is not such a CSV at all.
pub fn read_shopify_csv(bytes: &[u8], ctx: &ImportContext) -> Result<ReadFile, ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let names = reader
        .headers()
        .map_err(|e| ApiError::invalid("file", format!("not a CSV file: {e}")))?
        .clone();
    let header = Header::read(&names, ctx)?;
    let mut reading = Reading {
        ctx,
        header: &header,
        problems: Vec::new(),
        refused: BTreeSet::new(),
        products: Vec::new(),
        by_handle: HashMap::new(),
        refused_handles: HashMap::new(),
        skus: HashMap::new(),
    };
    let mut rows = 0;
    let mut record = csv::StringRecord::new();
    loop {
        let number = rows + 2;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                rows += 1;
                reading.problems.push(Problem {
                    row: number,
                    column: String::new(),
                    message: format!("the row cannot be read: {e}"),
                });
                reading.refused.insert(number);
                continue;
            }
        }
        rows += 1;
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let row = Row {
            number,
            record: &record,
            header: &header,
        };
        read_row(&mut reading, &row);
    }
    let refused_rows: Vec<usize> = reading.refused.into_iter().collect();
    let mut problems = reading.problems;
    problems.sort_by_key(|p| p.row);
    Ok(ReadFile {
        products: reading.products,
        problems,
        rows,
        refused_rows,
    })
}

fn read_row(reading: &mut Reading<'_>, row: &Row<'_>) {
    let typed_handle = row.get(Field::Handle);
    let title = row.get(Field::Title);
    let handle = if typed_handle.is_empty() {
        handle_from(title)
    } else {
        typed_handle.to_owned()
    };
    if let Err(reason) = Handle::parse(&handle) {
        reading.problem(
            row.number,
            Field::Handle,
            if handle.is_empty() {
                "a handle (or a title to make one from) is needed".to_owned()
            } else {
                reason
            },
        );
        return;
    }
    if let Some(first) = reading.refused_handles.get(&handle).copied() {
        reading.problem(
            row.number,
            Field::Handle,
            format!("its product's row {first} was refused"),
        );
        return;
    }
    let product = match reading.by_handle.get(&handle).copied() {
        Some(p) => p,
        None if title.is_empty() => {
            reading.problem(
                row.number,
                Field::Title,
                "the first row of a product needs its title",
            );
            reading.refused_handles.insert(handle, row.number);
            return;
        }
        None => {
            reading.product_row(row, handle.clone());
            match reading.by_handle.get(&handle).copied() {
                Some(p) => p,
                None => return,
            }
        }
    };
    reading.variant(row, product);
    reading.image(row, product);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ImportContext {
        let c = |s: &str| CurrencyCode::parse(s).unwrap();
        ImportContext {
            default_currency: c("eur"),
            regions: vec![
                ("Europe".into(), c("eur")),
                ("United States".into(), c("usd")),
            ],
            attributes: vec![crate::catalog::attribute::Attribute {
                id: crate::ids::AttributeId::generate(),
                key: "material".into(),
                label: "Material".into(),
                kind: crate::catalog::attribute::AttributeKind::Choice,
                choices: vec!["Linen".into(), "Wool".into()],
                filterable: true,
                products: 0,
                created_at: String::new(),
                updated_at: String::new(),
            }],
            uploaded: vec![crate::catalog::import::UploadedImage {
                name: "tee-front.jpg".into(),
                key: "uploads/0123abcd.jpg".into(),
                width: 800,
                height: 1000,
            }],
        }
    }

    const FILE: &str = "\
Handle,Title,Body (HTML),Published,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Variant SKU,Variant Grams,Variant Inventory Tracker,Variant Inventory Qty,Variant Inventory Policy,Variant Price,Price / United States,Image Src,Image Alt Text,Status
deck-tee,Deck Tee,<p>Cotton.</p>,TRUE,Size,S,Colour,Sand,TEE-S-SAND,180,shopify,5,deny,24.00,26.00,uploads/a.png,Front,active
deck-tee,,,,,S,,Slate,TEE-S-SLATE,180,shopify,3,continue,24.00,26.00,uploads/b.png,,
deck-tee,,,,,M,,Sand,TEE-S-SAND,190,shopify,2,deny,24.00,26.00,,,
deck-tee,,,,,M,,Slate,TEE-M-SLATE,190,shopify,x,deny,24,,,,
mug,Mug,,FALSE,Title,Default Title,,,MUG-1,,,,,9.5,10.5,,,
Bad Handle,Broken,,TRUE,,,,,B-1,,,,,1,1,,,
,No Handle Given,,TRUE,,,,,NH-1,,,,,1,1,,,
ghost,,,,,,,,G-1,,,,,1,1,,,
";

    #[test]
    fn a_shopify_file_reads_into_products_and_row_problems() {
        let read = read_shopify_csv(FILE.as_bytes(), &ctx()).unwrap();
        assert_eq!(read.rows, 8);
        let handles: Vec<&str> = read.products.iter().map(|p| p.handle.as_str()).collect();
        assert_eq!(handles, ["deck-tee", "mug", "no-handle-given"]);
        let tee = &read.products[0];
        assert_eq!(tee.status, ProductStatus::Published);
        assert_eq!(tee.options[0], ("Size".to_owned(), vec!["S".to_owned()]));
        assert_eq!(tee.options[1].1, ["Sand", "Slate"]);
        assert_eq!(tee.variants.len(), 2, "two rows refused");
        assert_eq!(tee.variants[1].title(), "S / Slate");
        assert!(tee.variants[1].allow_backorder);
        assert_eq!(tee.variants[0].prices.len(), 2);
        assert_eq!(tee.variants[0].prices[1].1, 2600);
        assert_eq!(tee.variants[0].stock, [(StockAt::First, 5)]);
        assert_eq!(tee.images.len(), 2);
        assert_eq!(tee.images[0].alt, "Front");
        let mug = &read.products[1];
        assert_eq!(mug.status, ProductStatus::Draft);
        assert!(mug.options.is_empty());
        assert_eq!(mug.variants[0].title(), "Default variant");
        assert!(!mug.variants[0].manage_inventory, "no tracker: not counted");

        let found: Vec<(usize, &str)> = read
            .problems
            .iter()
            .map(|p| (p.row, p.column.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (4, "Variant SKU"),
                (5, "Price / United States"),
                (5, "Variant Inventory Qty"),
                (7, "Handle"),
                (9, "Title"),
            ]
        );
        assert!(read.problems[0].message.contains("already on row 2"));
        assert_eq!(read.refused_rows, [4, 5, 7, 9]);
    }

    #[test]
    fn a_file_without_the_columns_is_refused_whole() {
        let err = read_shopify_csv(b"name,price\nx,1\n", &ctx()).unwrap_err();
        assert_eq!(err.status(), 400);
        let read = read_shopify_csv(
            "\u{feff}Handle,Title,Variant Price\ntee,Tee,5\n".as_bytes(),
            &ctx(),
        )
        .unwrap();
        assert_eq!(read.problems.len(), 1, "the US price is missing");
        assert!(read.problems[0].message.contains("'Price / United States'"));
    }

    #[test]
    fn attribute_columns_are_metafields_of_the_store() {
        let file = "Handle,Title,Variant Price,Price / United States,Material (product.metafields.custom.material)\n\
                    tee,Tee,5,6,linen\n\
                    mug,Mug,5,6,\n\
                    cap,Cap,5,6,silk\n";
        let read = read_shopify_csv(file.as_bytes(), &ctx()).unwrap();
        let values: Vec<&Vec<(String, Option<serde_json::Value>)>> =
            read.products.iter().map(|p| &p.attributes).collect();
        assert_eq!(
            values,
            [
                &vec![("material".to_owned(), Some(serde_json::json!("Linen")))],
                &vec![("material".to_owned(), None)],
            ]
        );
        assert_eq!(read.problems.len(), 1);
        assert_eq!(
            read.problems[0].column,
            "Material (product.metafields.custom.material)"
        );
        let unknown = "Handle,Title,Fit (product.metafields.custom.fit)\ntee,Tee,slim\n";
        let err = read_shopify_csv(unknown.as_bytes(), &ctx()).unwrap_err();
        assert!(err.to_string().contains("attribute fit"), "{err}");
    }

    #[test]
    fn an_image_uploaded_with_the_file_is_found_by_its_name() {
        let file = "Handle,Title,Variant Price,Price / United States,Image Src\n\
                    tee,Tee,5,6,https://cdn.shopify.com/s/files/1/tee-front.jpg?v=17\n\
                    mug,Mug,5,6,https://example.com/mug.jpg\n";
        let read = read_shopify_csv(file.as_bytes(), &ctx()).unwrap();
        assert_eq!(read.products[0].images[0].key, "uploads/0123abcd.jpg");
        assert_eq!(read.products[0].images[0].size, Some((800, 1000)));
        assert_eq!(read.problems.len(), 1);
        assert!(read.problems[0]
            .message
            .contains("upload the image with the file"));
    }
}
