//! A listing's query string: filters, sort and page, parsed leniently (a shopper's bad
//! or stale parameter is ignored and named on the page, never a failure) and written
//! back in one canonical order, so that equal listings have equal URLs and cache keys.

use commerce::catalog::product::{OptionFilter, ProductFilter, ProductSort};
use commerce::ids::{CategoryId, CollectionId};
use commerce::money::CurrencyCode;
use commerce::params::{Direction, Page, SearchText};

use crate::format::{major_input, parse_major};

/// Products per listing page.
pub const PAGE_SIZE: u32 = 24;
/// The last page a listing may ask for (the catalog query's offset bound).
pub const MAX_PAGE: u32 = 4_000;
/// Option values a listing filters by at most.
const MAX_OPTION_VALUES: usize = 30;
/// The prefix of option filter parameters: `opt_size=M`.
pub const OPTION_PREFIX: &str = "opt_";
/// The prefix of attribute filter parameters: `attr_material=Linen`.
pub const ATTRIBUTE_PREFIX: &str = "attr_";

/// How a listing is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    Title,
    /// The search's ranking (typos, field, exactness); the default with words to
    /// search, and only then.
    Relevance,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Relevance,
        Sort::Newest,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::Title,
    ];

    pub fn param(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
            Sort::Title => "title",
            Sort::Relevance => "relevance",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Newest => "Newest",
            Sort::PriceAsc => "Price: low to high",
            Sort::PriceDesc => "Price: high to low",
            Sort::Title => "Name",
            Sort::Relevance => "Best match",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.param() == s)
    }

    /// The catalog's order; `None` is the search's ranking.
    pub fn query(self) -> Option<(ProductSort, Direction)> {
        Some(match self {
            Sort::Newest => (ProductSort::CreatedAt, Direction::Desc),
            Sort::PriceAsc => (ProductSort::Price, Direction::Asc),
            Sort::PriceDesc => (ProductSort::Price, Direction::Desc),
            Sort::Title => (ProductSort::Title, Direction::Asc),
            Sort::Relevance => return None,
        })
    }
}

/// What a listing URL asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingParams {
    pub q: Option<String>,
    pub sort: Sort,
    /// Minor units of the shopper's currency.
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub in_stock: bool,
    /// Option name (lower case) and chosen values, in the order first seen.
    pub options: Vec<(String, Vec<String>)>,
    /// Attribute key and chosen values, in the order first seen.
    pub attributes: Vec<(String, Vec<String>)>,
    /// Chosen categories (`category`, any of them), in the order first seen.
    pub categories: Vec<CategoryId>,
    /// Chosen collections (`collection`, any of them), in the order first seen.
    pub collections: Vec<CollectionId>,
    pub page: u32,
    /// Parameters that were present but could not be used, by name, for the page to say.
    pub ignored: Vec<String>,
}

fn option_name_ok(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn attribute_key_ok(key: &str) -> bool {
    (1..=40).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn filters(chosen: &[(String, Vec<String>)]) -> Vec<OptionFilter> {
    chosen
        .iter()
        .map(|(name, values)| OptionFilter {
            name: name.clone(),
            values: values.clone(),
        })
        .collect()
}

/// Adds `value` to `name`'s chosen values (once, whatever the case).
fn choose(chosen: &mut Vec<(String, Vec<String>)>, name: &str, value: &str) {
    match chosen.iter_mut().find(|(n, _)| n == name) {
        Some((_, vs)) if vs.iter().any(|v| v.eq_ignore_ascii_case(value)) => {}
        Some((_, vs)) => vs.push(value.to_owned()),
        None => chosen.push((name.to_owned(), vec![value.to_owned()])),
    }
}

impl ListingParams {
    /// Parses a listing's query pairs. `search` says whether `q` is accepted (the
    /// all-products listing); unknown parameters (tracking tags) are skipped silently.
    pub fn parse<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        currency: CurrencyCode,
        search: bool,
    ) -> Self {
        let mut out = ListingParams {
            page: 1,
            ..Self::default()
        };
        let ignore = |out: &mut ListingParams, name: &str| {
            let name: String = name.chars().take(40).collect();
            if !out.ignored.contains(&name) {
                out.ignored.push(name);
            }
        };
        let mut values = 0usize;
        let mut sorted = false;
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "q" if search => match SearchText::parse(value) {
                    Ok(_) if value.is_empty() => {}
                    Ok(_) => out.q = Some(value.to_owned()),
                    Err(_) => ignore(&mut out, key),
                },
                "sort" => match Sort::parse(value) {
                    Some(s) => {
                        out.sort = s;
                        sorted = true;
                    }
                    None if value.is_empty() => {}
                    None => ignore(&mut out, key),
                },
                "min" | "max" if value.is_empty() => {}
                "min" | "max" => match parse_major(value, currency) {
                    Some(v) if key == "min" => out.price_min = Some(v),
                    Some(v) => out.price_max = Some(v),
                    None => ignore(&mut out, key),
                },
                "in_stock" => match value {
                    "1" | "on" | "true" => out.in_stock = true,
                    "" | "0" | "off" | "false" => {}
                    _ => ignore(&mut out, key),
                },
                "category" if values < MAX_OPTION_VALUES => match CategoryId::parse(value) {
                    Ok(id) if out.categories.contains(&id) => {}
                    Ok(id) => {
                        out.categories.push(id);
                        values += 1;
                    }
                    Err(_) => ignore(&mut out, key),
                },
                "collection" if values < MAX_OPTION_VALUES => match CollectionId::parse(value) {
                    Ok(id) if out.collections.contains(&id) => {}
                    Ok(id) => {
                        out.collections.push(id);
                        values += 1;
                    }
                    Err(_) => ignore(&mut out, key),
                },
                "category" | "collection" => ignore(&mut out, key),
                "page" => match value.parse::<u32>() {
                    Ok(n) if (1..=MAX_PAGE).contains(&n) => out.page = n,
                    _ => ignore(&mut out, key),
                },
                _ => {
                    let (name, attribute) = match (
                        key.strip_prefix(OPTION_PREFIX),
                        key.strip_prefix(ATTRIBUTE_PREFIX),
                    ) {
                        (Some(name), _) => (name, false),
                        (_, Some(name)) => (name, true),
                        _ => continue,
                    };
                    let name_ok = if attribute {
                        attribute_key_ok(name)
                    } else {
                        option_name_ok(name)
                    };
                    let usable = name_ok
                        && !value.is_empty()
                        && value.chars().count() <= 64
                        && values < MAX_OPTION_VALUES;
                    if !usable {
                        ignore(&mut out, key);
                        continue;
                    }
                    let chosen = if attribute {
                        &mut out.attributes
                    } else {
                        &mut out.options
                    };
                    choose(chosen, name, value);
                    values += 1;
                }
            }
        }
        // Relevance is what a search is ordered by unless another order is chosen, and
        // means nothing without words.
        if !sorted || (out.sort == Sort::Relevance && out.q.is_none()) {
            out.sort = out.default_sort();
        }
        if let (Some(lo), Some(hi)) = (out.price_min, out.price_max) {
            if lo > hi {
                (out.price_min, out.price_max) = (Some(hi), Some(lo));
            }
        }
        out
    }

    /// The order of a listing that chose none: relevance for a search, else the newest.
    pub fn default_sort(&self) -> Sort {
        if self.q.is_some() {
            Sort::Relevance
        } else {
            Sort::Newest
        }
    }

    /// The orders a shopper may choose here (relevance only for a search).
    pub fn sorts(&self) -> impl Iterator<Item = Sort> + '_ {
        Sort::ALL
            .into_iter()
            .filter(|s| *s != Sort::Relevance || self.q.is_some())
    }

    /// Whether anything narrows the listing (a filtered listing is not indexed).
    pub fn filtered(&self) -> bool {
        self.q.is_some() || self.narrowed_beyond_search()
    }

    /// Whether filters narrow the listing besides the search words.
    pub fn narrowed_beyond_search(&self) -> bool {
        self.price_min.is_some()
            || self.price_max.is_some()
            || self.in_stock
            || !self.options.is_empty()
            || !self.attributes.is_empty()
            || !self.categories.is_empty()
            || !self.collections.is_empty()
    }

    pub fn page(&self) -> Page {
        Page {
            limit: PAGE_SIZE,
            offset: (self.page - 1) * PAGE_SIZE,
        }
    }

    /// The catalog filter, on top of a scope (category or collection).
    pub fn filter(&self, scope: ProductFilter) -> ProductFilter {
        ProductFilter {
            q: self.q.as_deref().and_then(|q| SearchText::parse(q).ok()),
            price_min: self.price_min,
            price_max: self.price_max,
            in_stock: self.in_stock,
            options: filters(&self.options),
            attributes: filters(&self.attributes),
            category_ids: (!self.categories.is_empty())
                .then(|| self.categories.clone())
                .or(scope.category_ids),
            collection_ids: (!self.collections.is_empty())
                .then(|| self.collections.clone())
                .or(scope.collection_ids),
            ..scope
        }
    }

    /// The query pairs in canonical order, without `page`.
    pub fn pairs(&self, currency: CurrencyCode) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        if let Some(q) = &self.q {
            pairs.push(("q".to_owned(), q.clone()));
        }
        for (prefix, chosen) in [
            (OPTION_PREFIX, &self.options),
            (ATTRIBUTE_PREFIX, &self.attributes),
        ] {
            for (name, values) in chosen {
                for v in values {
                    pairs.push((format!("{prefix}{name}"), v.clone()));
                }
            }
        }
        for id in &self.categories {
            pairs.push(("category".to_owned(), id.as_str().to_owned()));
        }
        for id in &self.collections {
            pairs.push(("collection".to_owned(), id.as_str().to_owned()));
        }
        if let Some(v) = self.price_min {
            pairs.push(("min".to_owned(), major_input(v, currency)));
        }
        if let Some(v) = self.price_max {
            pairs.push(("max".to_owned(), major_input(v, currency)));
        }
        if self.in_stock {
            pairs.push(("in_stock".to_owned(), "1".to_owned()));
        }
        let meaningless = self.sort == Sort::Relevance && self.q.is_none();
        if self.sort != self.default_sort() && !meaningless {
            pairs.push(("sort".to_owned(), self.sort.param().to_owned()));
        }
        pairs
    }

    /// `path?query` of this listing at `page`, in canonical order.
    pub fn url(&self, path: &str, currency: CurrencyCode, page: u32) -> String {
        let mut pairs = self.pairs(currency);
        if page > 1 {
            pairs.push(("page".to_owned(), page.to_string()));
        }
        with_query(path, &pairs)
    }

    /// The cache key's part for this listing: the canonical URL of the current page,
    /// plus the names of ignored parameters (the page mentions them).
    pub fn key(&self, path: &str, currency: CurrencyCode) -> String {
        let mut url = self.url(path, currency, self.page);
        if !self.ignored.is_empty() {
            url.push_str(if url.contains('?') { "&" } else { "?" });
            url.push_str("_ignored=");
            url.push_str(&encode(&self.ignored.join(",")));
        }
        url
    }
}

/// Percent-encodes a query component (RFC 3986 unreserved characters pass).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `path` with the pairs as its query string.
pub fn with_query(path: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> CurrencyCode {
        CurrencyCode::parse("eur").unwrap()
    }

    fn parse(q: &[(&str, &str)]) -> ListingParams {
        ListingParams::parse(q.iter().copied(), eur(), true)
    }

    #[test]
    fn a_search_is_ranked_by_relevance_unless_an_order_is_chosen() {
        let p = parse(&[("q", "linen")]);
        assert_eq!(p.sort, Sort::Relevance);
        assert_eq!(p.sort.query(), None);
        assert_eq!(p.url("/search", eur(), 1), "/search?q=linen");
        assert!(p.sorts().any(|s| s == Sort::Relevance));
        let p = parse(&[("q", "linen"), ("sort", "title")]);
        assert_eq!(p.sort, Sort::Title);
        assert_eq!(p.url("/search", eur(), 1), "/search?q=linen&sort=title");
        // Without words, relevance means nothing: the newest, and not offered.
        let p = parse(&[("sort", "relevance")]);
        assert_eq!(p.sort, Sort::Newest);
        assert_eq!(p.url("/products", eur(), 1), "/products");
        assert!(!p.sorts().any(|s| s == Sort::Relevance));
        let p = parse(&[]);
        assert_eq!(p.sort, Sort::Newest);
    }

    #[test]
    fn categories_and_collections_are_chosen_by_id() {
        let p = parse(&[
            ("q", "shirt"),
            ("category", "pcat_SHIRTS"),
            ("collection", "pcol_SUMMER"),
            ("category", "pcat_SHIRTS"),
            ("category", "not-an-id"),
        ]);
        assert_eq!(p.categories, [CategoryId::parse("pcat_SHIRTS").unwrap()]);
        assert_eq!(p.collections, [CollectionId::parse("pcol_SUMMER").unwrap()]);
        assert_eq!(p.ignored, ["category"]);
        assert!(p.narrowed_beyond_search());
        assert_eq!(
            p.url("/search", eur(), 1),
            "/search?q=shirt&category=pcat_SHIRTS&collection=pcol_SUMMER"
        );
        let filter = p.filter(ProductFilter::default());
        assert_eq!(filter.category_ids, Some(p.categories.clone()));
        assert_eq!(filter.collection_ids, Some(p.collections.clone()));
    }

    #[test]
    fn filters_sort_and_page_are_read() {
        let p = parse(&[
            ("opt_size", "M"),
            ("opt_colour", "Rust"),
            ("opt_size", "L"),
            ("min", "10"),
            ("max", "49.5"),
            ("in_stock", "1"),
            ("sort", "price_desc"),
            ("page", "3"),
            ("utm_source", "mail"),
        ]);
        assert_eq!(p.price_min, Some(1000));
        assert_eq!(p.price_max, Some(4950));
        assert!(p.in_stock && p.filtered());
        assert_eq!(p.sort, Sort::PriceDesc);
        assert_eq!(p.page, 3);
        assert_eq!(
            p.options,
            vec![
                ("size".to_owned(), vec!["M".to_owned(), "L".to_owned()]),
                ("colour".to_owned(), vec!["Rust".to_owned()]),
            ]
        );
        assert!(p.ignored.is_empty());
        assert_eq!(
            p.url("/products", eur(), 2),
            "/products?opt_size=M&opt_size=L&opt_colour=Rust&min=10&max=49.50&in_stock=1&sort=price_desc&page=2"
        );
    }

    #[test]
    fn nonsense_is_ignored_and_named() {
        let p = parse(&[
            ("sort", "DROP TABLE"),
            ("page", "-4"),
            ("min", "cheap"),
            ("opt_<b>", "x"),
            ("in_stock", "maybe"),
        ]);
        assert_eq!(
            p,
            ListingParams {
                page: 1,
                ignored: ["sort", "page", "min", "opt_<b>", "in_stock"]
                    .map(String::from)
                    .to_vec(),
                ..ListingParams::default()
            }
        );
        for page in ["0", "4001", "99999999999999", "1.5", ""] {
            let p = parse(&[("page", page)]);
            assert_eq!((p.page, p.ignored.len()), (1, 1), "{page}");
        }
        assert!(p.key("/products", eur()).contains("_ignored=sort%2Cpage"));
    }

    #[test]
    fn reversed_price_bounds_are_swapped_and_search_only_where_allowed() {
        let p = parse(&[("min", "50"), ("max", "10")]);
        assert_eq!((p.price_min, p.price_max), (Some(1000), Some(5000)));
        let p = ListingParams::parse([("q", "shirt")], eur(), false);
        assert_eq!(p.q, None);
    }

    #[test]
    fn equal_listings_have_equal_urls() {
        let a = parse(&[("sort", "title"), ("opt_size", "M"), ("fbclid", "x")]);
        let b = parse(&[("opt_size", "M"), ("sort", "title")]);
        assert_eq!(a.key("/products", eur()), b.key("/products", eur()));
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
