//! The demo catalog: three stores on different host names, each with regions in its
//! own currencies and their shipping options, a category tree, collections, products
//! with real option axes, stock (some sold out, some backorderable) and a picture per
//! product; the third (Steady Path, for people on a GLP-1 medication journey) also
//! describes each product with the journey stage it suits (the attribute
//! `glp1_stage`). Deterministic, so the committed `r2-assets/demo` is reproducible
//! with `seed generate-demo`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::catalog_file::*;
use crate::image::{draw_png, Shape};

/// Publishable keys of the demo stores (public by design; named in the README).
pub const HARBOR_KEY: &str = "pk_harborpine_demo_3f9a6c2e51b84d07";
pub const LUMEN_KEY: &str = "pk_lumenhome_demo_8b1e47d2c0a95f36";
pub const STEADY_KEY: &str = "pk_steadypath_demo_6d0b3f94e2a17c58";

/// A tiny deterministic generator (64-bit LCG) so the catalog is the same every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn fnv_hex(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{:08x}", h as u32)
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// A product line of the demo: where it sits and how it varies.
struct Line {
    category: &'static str,
    shape: Shape,
    /// Option axes: (title, values); variants are drawn from their combinations.
    axes: &'static [(&'static str, &'static [&'static str])],
    names: &'static [&'static str],
    /// The GLP-1 journey stage each product of `names` suits (Steady Path's lines).
    stages: &'static [&'static str],
    /// Base price in euro cents.
    base_eur: i64,
    /// Picture size (width, height) in pixels.
    size: (u32, u32),
}

const SIZES: &[&str] = &["S", "M", "L", "XL"];
const COLOURS: &[&str] = &["Navy", "Oat", "Forest", "Charcoal", "Rust", "Sky"];
const SHOE_SIZES: &[&str] = &["40", "41", "42", "43", "44"];

const HARBOR_LINES: &[Line] = &[
    Line {
        category: "shirts",
        shape: Shape::Garment,
        axes: &[("Size", SIZES), ("Colour", COLOURS)],
        base_eur: 5900,
        size: (640, 800),
        names: &[
            "Linen Camp Shirt",
            "Oxford Button-Down",
            "Chambray Work Shirt",
            "Flannel Overshirt",
            "Poplin Dress Shirt",
            "Henley Tee",
            "Pocket Tee",
            "Breton Stripe Top",
        ],
        stages: &[],
    },
    Line {
        category: "knitwear",
        shape: Shape::Garment,
        axes: &[("Size", SIZES), ("Colour", COLOURS)],
        base_eur: 8900,
        size: (640, 800),
        names: &[
            "Merino Crew Sweater",
            "Cashmere V-Neck",
            "Fisherman Cable Knit",
            "Lambswool Cardigan",
            "Cotton Quarter-Zip",
            "Mohair Blend Jumper",
            "Waffle Knit Henley",
            "Alpaca Roll Neck",
        ],
        stages: &[],
    },
    Line {
        category: "trousers",
        shape: Shape::Tall,
        axes: &[("Size", SIZES), ("Colour", COLOURS)],
        base_eur: 7900,
        size: (640, 800),
        names: &[
            "Pleated Wool Trousers",
            "Selvedge Denim Jeans",
            "Cord Five-Pocket",
            "Linen Drawstring Pants",
            "Canvas Work Pants",
            "Cotton Chinos",
            "Flannel Trousers",
            "Ripstop Cargo Pants",
        ],
        stages: &[],
    },
    Line {
        category: "outerwear",
        shape: Shape::Garment,
        axes: &[("Size", SIZES), ("Colour", COLOURS)],
        base_eur: 18900,
        size: (640, 800),
        names: &[
            "Waxed Field Jacket",
            "Wool Overcoat",
            "Quilted Liner Vest",
            "Chore Coat",
            "Rain Parka",
            "Harrington Jacket",
            "Shearling Collar Jacket",
            "Down Puffer",
        ],
        stages: &[],
    },
    Line {
        category: "bags",
        shape: Shape::Tall,
        axes: &[("Colour", COLOURS)],
        base_eur: 9900,
        size: (800, 800),
        names: &[
            "Canvas Tote",
            "Leather Weekender",
            "Roll-Top Backpack",
            "Crossbody Sling",
            "Market Bag",
            "Laptop Sleeve",
            "Duffel Bag",
            "Waxed Messenger",
        ],
        stages: &[],
    },
    Line {
        category: "hats",
        shape: Shape::Round,
        axes: &[("Size", &["S/M", "L/XL"]), ("Colour", COLOURS)],
        base_eur: 3500,
        size: (800, 800),
        names: &[
            "Wool Flat Cap",
            "Ribbed Beanie",
            "Canvas Bucket Hat",
            "Felt Fedora",
            "Six-Panel Cap",
            "Wax Cotton Cap",
            "Knit Watch Cap",
            "Straw Sun Hat",
        ],
        stages: &[],
    },
    Line {
        category: "scarves",
        shape: Shape::Wide,
        axes: &[("Colour", COLOURS)],
        base_eur: 4500,
        size: (800, 800),
        names: &[
            "Lambswool Scarf",
            "Silk Neckerchief",
            "Cashmere Wrap",
            "Cotton Bandana",
            "Merino Snood",
            "Tartan Scarf",
            "Linen Shawl",
            "Chunky Knit Scarf",
        ],
        stages: &[],
    },
    Line {
        category: "footwear",
        shape: Shape::Wide,
        axes: &[("Size", SHOE_SIZES), ("Colour", &["Brown", "Black", "Tan"])],
        base_eur: 13900,
        size: (800, 600),
        names: &[
            "Suede Desert Boot",
            "Leather Derby",
            "Canvas Sneaker",
            "Chelsea Boot",
            "Boat Shoe",
            "Trail Runner",
            "Wool Slipper",
            "Penny Loafer",
        ],
        stages: &[],
    },
];

const LUMEN_LINES: &[Line] = &[
    Line {
        category: "lighting",
        shape: Shape::Round,
        axes: &[
            ("Finish", &["Brass", "Black", "White"]),
            ("Size", &["Small", "Large"]),
        ],
        base_eur: 12900,
        size: (800, 600),
        names: &[
            "Globe Pendant",
            "Arc Floor Lamp",
            "Mushroom Table Lamp",
            "Wall Sconce",
            "Paper Lantern",
            "Task Desk Lamp",
        ],
        stages: &[],
    },
    Line {
        category: "tableware",
        shape: Shape::Round,
        axes: &[
            ("Colour", &["Sand", "Slate", "Sage"]),
            ("Set", &["Set of 2", "Set of 4"]),
        ],
        base_eur: 3900,
        size: (800, 600),
        names: &[
            "Stoneware Bowl",
            "Dinner Plate",
            "Espresso Cup",
            "Serving Platter",
            "Pasta Bowl",
            "Tumbler Glass",
        ],
        stages: &[],
    },
    Line {
        category: "cookware",
        shape: Shape::Wide,
        axes: &[("Size", &["20 cm", "24 cm", "28 cm"])],
        base_eur: 8900,
        size: (800, 600),
        names: &[
            "Cast Iron Skillet",
            "Enamel Dutch Oven",
            "Carbon Steel Wok",
            "Copper Saucepan",
            "Stainless Stockpot",
            "Grill Pan",
        ],
        stages: &[],
    },
    Line {
        category: "textiles",
        shape: Shape::Wide,
        axes: &[
            ("Colour", &["Ivory", "Clay", "Ink"]),
            ("Size", &["Single", "Double"]),
        ],
        base_eur: 6900,
        size: (800, 600),
        names: &[
            "Linen Duvet Cover",
            "Waffle Bath Towel",
            "Wool Throw",
            "Cotton Cushion Cover",
            "Jute Rug",
            "Velvet Curtain",
        ],
        stages: &[],
    },
];

/// Steady Path's journey stages (the choices of its attribute `glp1_stage`).
const STARTING: &str = "starting";
const ACTIVE: &str = "active";
const MAINTENANCE: &str = "maintenance";

const STEADY_LINES: &[Line] = &[
    Line {
        category: "supplements",
        shape: Shape::Tall,
        axes: &[("Size", &["30 servings", "60 servings"])],
        base_eur: 2900,
        size: (640, 800),
        names: &[
            "Electrolyte Hydration Mix",
            "Fibre Support Capsules",
            "Whey Protein Isolate",
            "Plant Protein Blend",
            "Vitamin B12 Drops",
            "Magnesium Glycinate",
        ],
        stages: &[STARTING, STARTING, ACTIVE, ACTIVE, MAINTENANCE, MAINTENANCE],
    },
    Line {
        category: "meal-prep",
        shape: Shape::Wide,
        axes: &[("Pack", &["5 meals", "10 meals"])],
        base_eur: 5900,
        size: (800, 600),
        names: &[
            "Gentle Start Soup Pack",
            "Small-Portion Bento Set",
            "High-Protein Meal Kit",
            "Portion Control Containers",
            "Lean Batch-Cook Box",
            "Protein Snack Box",
        ],
        stages: &[STARTING, STARTING, ACTIVE, ACTIVE, MAINTENANCE, MAINTENANCE],
    },
    Line {
        category: "fitness",
        shape: Shape::Round,
        axes: &[("Level", &["Light", "Medium", "Heavy"])],
        base_eur: 3900,
        size: (800, 800),
        names: &[
            "Resistance Band Set",
            "Walking Step Counter",
            "Strength Starter Dumbbells",
            "Adjustable Kettlebell",
            "Cushioned Yoga Mat",
            "Recovery Foam Roller",
        ],
        stages: &[STARTING, STARTING, ACTIVE, ACTIVE, MAINTENANCE, MAINTENANCE],
    },
    Line {
        category: "wellness",
        shape: Shape::Tall,
        axes: &[("Size", &["Single", "Twin pack"])],
        base_eur: 2400,
        size: (640, 800),
        names: &[
            "Ginger Calm Tea",
            "Hydration Tracker Bottle",
            "Mindful Eating Journal",
            "Gentle Digestive Tea",
            "Progress Tape Measure",
            "Sleep Support Pillow Spray",
        ],
        stages: &[STARTING, STARTING, ACTIVE, ACTIVE, MAINTENANCE, MAINTENANCE],
    },
];

/// How a store describes a product of its own (`name` lower-cased, `n` its number).
type Blurb = fn(name: &str, n: usize) -> String;

fn goods_blurb(name: &str, n: usize) -> String {
    format!(
        "The {name} is made to last and to be worn or used every day. {} Cared for properly it will serve you for years.",
        match n % 3 {
            0 => "Cut from responsibly sourced materials in a small European workshop.",
            1 => "Designed in-house and finished by hand.",
            _ => "Simple, sturdy and easy to repair.",
        }
    )
}

fn journey_blurb(name: &str, n: usize) -> String {
    format!(
        "The {name} is chosen for a steady GLP-1 journey: smaller appetites, enough protein and \
         fluids, and strength kept while weight changes. {} Talk to your prescriber about what \
         suits you; this is not medical advice.",
        match n % 3 {
            0 => "Picked with a registered dietitian.",
            1 => "Simple to use, with nothing you do not need.",
            _ => "Made to fit a routine you can keep.",
        }
    )
}

/// A Steady Path product's guide (its educational content, in the rich text grammar):
/// what it is for at its stage of the journey, and how to use it.
fn journey_guide(name: &str, stage: &str, category: &str) -> String {
    let (when, why) = match stage {
        STARTING => (
            "the first weeks",
            "Appetite drops quickly at first, and some people feel queasy. Small, simple \
             portions and plenty of fluids help the body adjust.",
        ),
        ACTIVE => (
            "the weeks of steady loss",
            "Eating less makes **protein** and movement matter more: they help keep muscle \
             while weight comes off.",
        ),
        _ => (
            "maintenance",
            "The aim now is habits that last: regular meals, strength work and sleep keep \
             the progress you made.",
        ),
    };
    let how = match category {
        "supplements" => [
            "Take it with water, at the same time each day.",
            "Start with half a serving for the first three days.",
            "Check with your prescriber if you take other medication.",
        ],
        "meal-prep" => [
            "Keep portions small: stop at the first sign of fullness.",
            "Eat the protein part of the meal first.",
            "Refrigerate and finish within three days.",
        ],
        "fitness" => [
            "Two or three short sessions a week are enough to begin.",
            "Choose a level you can repeat twelve times with good form.",
            "Drink a glass of water before and after.",
        ],
        _ => [
            "Make it part of a routine you already have.",
            "Note how you feel in a journal for the first two weeks.",
            "Stop and ask your care team if anything feels wrong.",
        ],
    };
    format!(
        "## Made for {when}\n{why}\n\n## How to use the {}\n- {}\n- {}\n- {}\n\n\
         This guide is general information, not medical advice. \
         [More for this stage](/categories/{category}?attr_glp1_stage={stage}).",
        name.to_lowercase(),
        how[0],
        how[1],
        how[2]
    )
}

struct StoreSeed<'a> {
    id: &'a str,
    tag: &'a str,
    name: &'a str,
    key: &'a str,
    currency: &'a str,
    hosts: &'a [&'a str],
    lines: &'a [Line],
    /// (handle, name, parent handle)
    categories: &'a [(&'a str, &'a str, Option<&'a str>)],
    /// (handle, title, featured)
    collections: &'a [(&'a str, &'a str, bool)],
    regions: Vec<RegionSpec>,
    locations: &'a [(&'a str, &'a str)],
    hue: f32,
    blurb: Blurb,
    /// The store's attributes; a line's `stages` are values of `glp1_stage`.
    attributes: Vec<AttributeSpec>,
}

fn price_in(currency: &str, eur_cents: i64) -> i64 {
    // Rounded to a .00 or .50 price point in each currency.
    let scaled = match currency {
        "usd" => eur_cents * 108 / 100,
        "gbp" => eur_cents * 86 / 100,
        _ => eur_cents,
    };
    (scaled + 25) / 50 * 50
}

fn build_store(seed: &StoreSeed<'_>, out_dir: &Path, rng: &mut Rng) -> std::io::Result<StoreSpec> {
    let t = seed.tag;
    let categories: Vec<CategorySpec> = seed
        .categories
        .iter()
        .enumerate()
        .map(|(rank, (handle, name, parent))| CategorySpec {
            id: format!("pcat_{t}{}", handle.replace('-', "").to_uppercase()),
            name: (*name).to_owned(),
            handle: (*handle).to_owned(),
            description: format!("{name} from {}.", seed.name),
            parent_id: parent.map(|p| format!("pcat_{t}{}", p.replace('-', "").to_uppercase())),
            rank: rank as i32,
        })
        .collect();
    let collections: Vec<CollectionSpec> = seed
        .collections
        .iter()
        .map(|(handle, title, featured)| CollectionSpec {
            id: format!("pcol_{t}{}", handle.replace('-', "").to_uppercase()),
            title: (*title).to_owned(),
            handle: (*handle).to_owned(),
            featured: *featured,
        })
        .collect();
    let currencies: Vec<String> = seed.regions.iter().map(|r| r.currency.clone()).collect();
    let mut products = Vec::new();
    let mut n = 0usize;
    for line in seed.lines {
        let category = categories
            .iter()
            .find(|c| c.handle == line.category)
            .expect("line category exists");
        for (i, name) in line.names.iter().enumerate() {
            n += 1;
            let handle = slug(name);
            let pid = format!("{t}{n:04}");
            // Option axes: sizes keep their order, colours are picked per product.
            let mut options = Vec::new();
            for (ai, (title, values)) in line.axes.iter().enumerate() {
                let picked: Vec<&str> = if *title == "Colour" {
                    let start = rng.below(values.len() as u64) as usize;
                    let count = if line.axes.len() == 1 {
                        2 + rng.below(2) as usize
                    } else {
                        1 + rng.below(2) as usize
                    };
                    (0..count.min(values.len()))
                        .map(|k| values[(start + k) % values.len()])
                        .collect()
                } else {
                    values.to_vec()
                };
                options.push(OptionSpec {
                    id: format!("opt_{pid}{ai}"),
                    title: (*title).to_owned(),
                    values: picked
                        .iter()
                        .enumerate()
                        .map(|(vi, v)| OptionValueSpec {
                            id: format!("optval_{pid}{ai}{vi}"),
                            value: (*v).to_owned(),
                        })
                        .collect(),
                });
            }
            // All combinations, then keep 2 to 4 of them spread across the axes.
            let mut combos: Vec<Vec<usize>> = vec![vec![]];
            for o in &options {
                combos = combos
                    .into_iter()
                    .flat_map(|c| (0..o.values.len()).map(move |v| [c.clone(), vec![v]].concat()))
                    .collect();
            }
            let keep = (2 + rng.below(3) as usize).min(combos.len());
            let step = combos.len() / keep;
            let chosen: Vec<Vec<usize>> = (0..keep).map(|k| combos[k * step].clone()).collect();
            let variants = chosen
                .iter()
                .enumerate()
                .map(|(vi, combo)| {
                    let values: Vec<&OptionValueSpec> = combo
                        .iter()
                        .zip(&options)
                        .map(|(v, o)| &o.values[*v])
                        .collect();
                    let title = values
                        .iter()
                        .map(|v| v.value.as_str())
                        .collect::<Vec<_>>()
                        .join(" / ");
                    let upcharge = if values.iter().any(|v| {
                        v.value == "XL"
                            || v.value == "Large"
                            || v.value == "Double"
                            || v.value == "28 cm"
                    }) {
                        500
                    } else {
                        0
                    };
                    let roll = rng.below(100);
                    let stocked = match roll {
                        0..=14 => 0,
                        15..=29 => 3 + rng.below(5) as i32,
                        _ => 10 + rng.below(60) as i32,
                    };
                    let allow_backorder = roll < 5 || (90..95).contains(&roll);
                    let mut stock = BTreeMap::new();
                    stock.insert(seed.locations[0].0.to_owned(), stocked);
                    if seed.locations.len() > 1 && roll.is_multiple_of(3) {
                        stock.insert(seed.locations[1].0.to_owned(), stocked / 2);
                    }
                    VariantSpec {
                        id: format!("variant_{pid}{vi}"),
                        sku: format!(
                            "{}-{}",
                            t,
                            slug(&format!("{handle} {title}")).to_uppercase()
                        ),
                        title,
                        weight_g: Some(200 + rng.below(1500) as i32),
                        manage_inventory: true,
                        allow_backorder,
                        option_value_ids: values.iter().map(|v| v.id.clone()).collect(),
                        prices: currencies
                            .iter()
                            .map(|c| {
                                (
                                    c.clone(),
                                    price_in(c, line.base_eur + upcharge + 1000 * (n as i64 % 4)),
                                )
                            })
                            .collect(),
                        stock,
                    }
                })
                .collect();
            let hue = (seed.hue + n as f32 * 37.0) % 360.0;
            let mut images = Vec::new();
            let pictures = if seed.lines.len() > 4 { 2 } else { 1 };
            for k in 0..pictures {
                let (w, h) = if k == 0 { line.size } else { (640, 640) };
                let bytes = draw_png(w, h, hue + k as f32 * 24.0, line.shape);
                let key = format!("products/{handle}-{}.png", fnv_hex(&bytes));
                std::fs::create_dir_all(out_dir.join("products"))?;
                std::fs::write(out_dir.join(&key), &bytes)?;
                images.push(ImageSpec {
                    id: format!("img_{pid}{k}"),
                    key,
                    alt: if k == 0 {
                        (*name).to_owned()
                    } else {
                        format!("{name}, detail")
                    },
                    width: w as i32,
                    height: h as i32,
                });
            }
            let collection = match n % 5 {
                0 | 1 => collections.first(),
                2 => collections.get(1),
                3 => collections.get(2),
                _ => None,
            };
            let mut category_ids = vec![category.id.clone()];
            if n.is_multiple_of(7) {
                if let Some(parent) = &category.parent_id {
                    category_ids.push(parent.clone());
                }
            }
            products.push(ProductSpec {
                id: format!("prod_{pid}"),
                title: (*name).to_owned(),
                subtitle: Some(format!("{} by {}", category.name, seed.name)),
                description: (seed.blurb)(&name.to_lowercase(), n),
                handle,
                status: "published".to_owned(),
                collection_id: collection.map(|c| c.id.clone()),
                category_ids,
                options,
                variants,
                images,
                attributes: line
                    .stages
                    .get(i)
                    .map(|stage| ("glp1_stage".to_owned(), serde_json::json!(stage)))
                    .into_iter()
                    .collect(),
                educational_content: line
                    .stages
                    .get(i)
                    .map(|stage| journey_guide(name, stage, line.category)),
            });
        }
    }
    // Two drafts per store: present in the database, never shown to shoppers.
    for k in 0..2 {
        let pid = format!("{t}D{k:03}");
        products.push(ProductSpec {
            id: format!("prod_{pid}"),
            handle: format!("unreleased-sample-{}", k + 1),
            title: format!("Unreleased Sample {}", k + 1),
            subtitle: None,
            description: "Not yet for sale.".to_owned(),
            status: "draft".to_owned(),
            collection_id: None,
            category_ids: vec![categories[0].id.clone()],
            options: vec![],
            variants: vec![],
            images: vec![],
            attributes: BTreeMap::new(),
            educational_content: None,
        });
    }
    Ok(StoreSpec {
        id: seed.id.to_owned(),
        name: seed.name.to_owned(),
        publishable_key: seed.key.to_owned(),
        default_currency: seed.currency.to_owned(),
        hosts: seed.hosts.iter().map(|h| (*h).to_owned()).collect(),
        regions: seed.regions.iter().map(clone_region).collect(),
        stock_locations: seed
            .locations
            .iter()
            .map(|(id, name)| LocationSpec {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
            })
            .collect(),
        categories,
        collections,
        attributes: seed
            .attributes
            .iter()
            .map(|a| AttributeSpec {
                id: a.id.clone(),
                key: a.key.clone(),
                label: a.label.clone(),
                kind: a.kind.clone(),
                choices: a.choices.clone(),
                filterable: a.filterable,
            })
            .collect(),
        products,
    })
}

fn clone_region(r: &RegionSpec) -> RegionSpec {
    RegionSpec {
        id: r.id.clone(),
        name: r.name.clone(),
        currency: r.currency.clone(),
        tax_rate_bp: r.tax_rate_bp,
        tax_inclusive: r.tax_inclusive,
        countries: r.countries.clone(),
        shipping_options: r
            .shipping_options
            .iter()
            .map(|o| ShippingOptionSpec {
                id: o.id.clone(),
                name: o.name.clone(),
                kind: o.kind.clone(),
                amount: o.amount,
                threshold: o.threshold,
            })
            .collect(),
    }
}

/// Standard shipping, in minor units of every demo currency (4.95).
const STANDARD_SHIPPING: i64 = 495;
/// Express shipping (12.95).
const EXPRESS_SHIPPING: i64 = 1295;
/// Items' amount from which shipping is free (75.00).
const FREE_SHIPPING_FROM: i64 = 7500;

/// An amount of a two-decimal currency as an option name shows it: `€75`, `$75.50`.
fn shipping_money(currency: &str, minor: i64) -> String {
    let symbol = match currency {
        "eur" => "€".to_owned(),
        "usd" => "$".to_owned(),
        "gbp" => "£".to_owned(),
        other => format!("{} ", other.to_uppercase()),
    };
    if minor % 100 == 0 {
        format!("{symbol}{}", minor / 100)
    } else {
        format!("{symbol}{}.{:02}", minor / 100, minor % 100)
    }
}

/// A region's shipping options: Standard, free over a threshold, and, when `express`,
/// Express. Ids are the region's with a suffix: `so_HPEUSTD`.
fn shipping_options(region_id: &str, currency: &str, express: bool) -> Vec<ShippingOptionSpec> {
    let tag = region_id.trim_start_matches("reg_");
    let option = |suffix: &str, name: String, kind: &str, amount, threshold| ShippingOptionSpec {
        id: format!("so_{tag}{suffix}"),
        name,
        kind: kind.to_owned(),
        amount,
        threshold,
    };
    let mut options = vec![
        option(
            "STD",
            "Standard".to_owned(),
            "flat",
            STANDARD_SHIPPING,
            None,
        ),
        option(
            "FREE",
            format!(
                "Free shipping over {}",
                shipping_money(currency, FREE_SHIPPING_FROM)
            ),
            "free_over",
            STANDARD_SHIPPING,
            Some(FREE_SHIPPING_FROM),
        ),
    ];
    if express {
        options.push(option(
            "EXP",
            "Express".to_owned(),
            "flat",
            EXPRESS_SHIPPING,
            None,
        ));
    }
    options
}

/// A region with its shipping options (see [`shipping_options`]).
fn region(
    id: &str,
    name: &str,
    currency: &str,
    tax_rate_bp: i32,
    tax_inclusive: bool,
    countries: &[&str],
    express: bool,
) -> RegionSpec {
    RegionSpec {
        id: id.to_owned(),
        name: name.to_owned(),
        currency: currency.to_owned(),
        tax_rate_bp,
        tax_inclusive,
        countries: countries.iter().map(|c| (*c).to_owned()).collect(),
        shipping_options: shipping_options(id, currency, express),
    }
}

/// Builds the demo catalog and writes its pictures under `out_dir`.
pub fn generate(out_dir: &Path) -> std::io::Result<CatalogFile> {
    let mut rng = Rng(0x5eed_2026);
    let harbor = StoreSeed {
        id: "store_HARBORPINE",
        tag: "HP",
        name: "Harbor & Pine",
        key: HARBOR_KEY,
        currency: "eur",
        hosts: &["localhost", "127.0.0.1", "harbor.localhost"],
        lines: HARBOR_LINES,
        categories: &[
            ("clothing", "Clothing", None),
            ("shirts", "Shirts & Tops", Some("clothing")),
            ("knitwear", "Knitwear", Some("clothing")),
            ("trousers", "Trousers", Some("clothing")),
            ("outerwear", "Outerwear", Some("clothing")),
            ("accessories", "Accessories", None),
            ("bags", "Bags", Some("accessories")),
            ("hats", "Hats", Some("accessories")),
            ("scarves", "Scarves", Some("accessories")),
            ("footwear", "Footwear", None),
        ],
        collections: &[
            ("autumn-layers", "Autumn Layers", true),
            ("the-linen-edit", "The Linen Edit", true),
            ("weekend-travel", "Weekend Travel", false),
        ],
        regions: vec![
            region(
                "reg_HPEU",
                "Europe",
                "eur",
                2100,
                true,
                &[
                    "at", "be", "de", "es", "fi", "fr", "ie", "it", "lu", "nl", "pt",
                ],
                true,
            ),
            region(
                "reg_HPUS",
                "United States",
                "usd",
                825,
                false,
                &["us"],
                false,
            ),
            region(
                "reg_HPGB",
                "United Kingdom",
                "gbp",
                2000,
                true,
                &["gb"],
                false,
            ),
        ],
        locations: &[
            ("sloc_HPROTTERDAM", "Rotterdam warehouse"),
            ("sloc_HPNEWARK", "Newark warehouse"),
        ],
        hue: 20.0,
        blurb: goods_blurb,
        attributes: vec![],
    };
    let lumen = StoreSeed {
        id: "store_LUMENHOME",
        tag: "LH",
        name: "Lumen Home",
        key: LUMEN_KEY,
        currency: "eur",
        hosts: &["lumen.localhost"],
        lines: LUMEN_LINES,
        categories: &[
            ("lighting", "Lighting", None),
            ("kitchen", "Kitchen", None),
            ("tableware", "Tableware", Some("kitchen")),
            ("cookware", "Cookware", Some("kitchen")),
            ("textiles", "Textiles", None),
        ],
        collections: &[
            ("new-season", "New Season", true),
            ("studio-favourites", "Studio Favourites", false),
        ],
        regions: vec![
            region(
                "reg_LHEU",
                "Europe",
                "eur",
                2000,
                true,
                &["de", "dk", "fr", "nl", "se"],
                true,
            ),
            region(
                "reg_LHNA",
                "North America",
                "usd",
                700,
                false,
                &["ca", "us"],
                false,
            ),
        ],
        locations: &[("sloc_LHBERLIN", "Berlin studio")],
        hue: 190.0,
        blurb: goods_blurb,
        attributes: vec![],
    };
    let steady = StoreSeed {
        id: "store_STEADYPATH",
        tag: "SP",
        name: "Steady Path",
        key: STEADY_KEY,
        currency: "usd",
        hosts: &["steady.localhost"],
        lines: STEADY_LINES,
        categories: &[
            ("supplements", "Supplements", None),
            ("meal-prep", "Meal Prep", None),
            ("fitness", "Fitness", None),
            ("wellness", "Wellness", None),
        ],
        collections: &[
            ("first-weeks", "First Weeks", true),
            ("protein-forward", "Protein Forward", true),
            ("keep-it-steady", "Keep It Steady", false),
        ],
        regions: vec![
            region(
                "reg_SPUS",
                "United States",
                "usd",
                725,
                false,
                &["us"],
                true,
            ),
            region(
                "reg_SPEU",
                "Europe",
                "eur",
                2000,
                true,
                &["de", "fr", "ie", "nl"],
                false,
            ),
        ],
        locations: &[("sloc_SPDENVER", "Denver warehouse")],
        hue: 140.0,
        blurb: journey_blurb,
        attributes: vec![AttributeSpec {
            id: "pattr_SPGLP1STAGE".to_owned(),
            key: "glp1_stage".to_owned(),
            label: "Journey stage".to_owned(),
            kind: "choice".to_owned(),
            choices: vec![
                STARTING.to_owned(),
                ACTIVE.to_owned(),
                MAINTENANCE.to_owned(),
            ],
            filterable: true,
        }],
    };
    Ok(CatalogFile {
        stores: vec![
            build_store(&harbor, out_dir, &mut rng)?,
            build_store(&lumen, out_dir, &mut rng)?,
            build_store(&steady, out_dir, &mut rng)?,
        ],
    })
}
