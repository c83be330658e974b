//! Loading and rendering each page: one function per page reads the catalog through
//! `commerce`'s queries and fills the view structs of [`crate::views`].

use askama::Template;
use commerce::cart::{self, Cart, ShippingOption};
use commerce::catalog::category::{self, Category, CategoryFilter, CategorySort};
use commerce::catalog::collection::{self, Collection, CollectionFilter};
use commerce::catalog::product::{
    self, Facet, FacetValue, Product, ProductFilter, ProductKey, VariantRow,
};
use commerce::ids::VariantId;
use commerce::money::Money;
use commerce::params::{Direction, Page};
use commerce::region::Region;
use commerce::search;
use commerce::ApiError;
use serde_json::json;
use tokio_postgres::GenericClient;

use crate::format::{major_input, money};
use crate::listing::{
    with_query, ListingParams, Sort, ATTRIBUTE_PREFIX, MAX_PAGE, OPTION_PREFIX, PAGE_SIZE,
};
use crate::routes::PageRoute;
use crate::seo::{self, SITEMAP_CHUNK};
use crate::site::Site;
use crate::views::*;

/// The request a page is rendered for.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    pub site: &'a Site,
    /// The shopper's region: currency, tax, and which prices are shown.
    pub region: &'a Region,
    /// `https://host[:port]`, for absolute URLs (canonical, Open Graph, JSON-LD).
    pub origin: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
}

/// A rendered response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

const HTML: &str = "text/html; charset=utf-8";

fn internal(e: impl ToString) -> ApiError {
    ApiError::Internal {
        detail: e.to_string(),
    }
}

pub(crate) fn html(status: u16, page: &impl Template) -> Result<Rendered, ApiError> {
    Ok(Rendered {
        status,
        content_type: HTML,
        body: page.render().map_err(internal)?,
    })
}

impl PageRequest<'_> {
    fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.query.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.pairs().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    fn listing(&self, route: &PageRoute) -> ListingParams {
        let mut params = ListingParams::parse(
            self.pairs(),
            self.region.currency,
            matches!(route, PageRoute::AllProducts | PageRoute::Search),
        );
        // A category's page lists its category: other categories are no choice there,
        // nor other collections on a collection's page.
        let dropped = match route {
            PageRoute::Category(_) => std::mem::take(&mut params.categories).len(),
            PageRoute::Collection(_) => std::mem::take(&mut params.collections).len(),
            _ => 0,
        };
        if dropped > 0 {
            let name = match route {
                PageRoute::Category(_) => "category",
                _ => "collection",
            };
            params.ignored.push(name.to_owned());
        }
        params
    }

    /// The chosen variant named by `?variant=`, if it is well formed.
    fn variant(&self) -> Option<VariantId> {
        self.param("variant").and_then(|v| VariantId::parse(v).ok())
    }

    fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.origin, path)
    }
}

/// The page's address with only what changes its content, in canonical order: the part
/// of the edge cache key that comes from the URL. Tracking tags and unknown parameters
/// are dropped, so they neither split the cache nor change the page.
pub fn cache_key(route: &PageRoute, req: &PageRequest<'_>) -> String {
    match route {
        PageRoute::AllProducts
        | PageRoute::Search
        | PageRoute::Category(_)
        | PageRoute::Collection(_) => req.listing(route).key(req.path, req.region.currency),
        PageRoute::Product(_) => match req.variant() {
            Some(v) => format!("{}?variant={}", req.path, v.as_str()),
            None => req.path.to_owned(),
        },
        _ => req.path.to_owned(),
    }
}

/// Renders the page of `route`.
pub async fn render<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
    route: &PageRoute,
) -> Result<Rendered, ApiError> {
    match route {
        PageRoute::Home => home(client, req).await,
        PageRoute::AllProducts => listing(client, req, route, Scope::All).await,
        PageRoute::Search => listing(client, req, route, Scope::Search).await,
        PageRoute::Category(handle) => {
            let cats = categories(client, req).await?;
            let cat = cats
                .iter()
                .find(|c| c.handle == handle.as_str())
                .cloned()
                .ok_or_else(|| ApiError::not_found("Category", "handle", handle.as_str()))?;
            listing_with(client, req, route, Scope::Category(cat), cats).await
        }
        PageRoute::Collection(handle) => {
            let filter = CollectionFilter {
                handles: Some(vec![handle.clone()]),
                ..CollectionFilter::default()
            };
            let (found, _) = collection::list(
                client,
                &req.site.store.id,
                &filter,
                None,
                Page {
                    limit: 1,
                    offset: 0,
                },
            )
            .await?;
            let coll = found
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::not_found("Collection", "handle", handle.as_str()))?;
            listing(client, req, route, Scope::Collection(coll)).await
        }
        PageRoute::Product(handle) => product_page(client, req, handle).await,
        PageRoute::Robots => Ok(Rendered {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: seo::robots(req.origin),
        }),
        PageRoute::Sitemap => sitemap_index(client, req).await,
        PageRoute::SitemapPages => sitemap_pages(client, req).await,
        PageRoute::SitemapProducts(n) => sitemap_products(client, req, *n).await,
    }
}

// ------------------------------------------------------------------ layout

/// The store's active categories in rank order (for navigation and breadcrumbs).
pub(crate) async fn categories<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
) -> Result<Vec<Category>, ApiError> {
    let (cats, _) = category::list(
        client,
        &req.site.store.id,
        &CategoryFilter::default(),
        Some((CategorySort::Rank, Direction::Asc)),
        Page {
            limit: 200,
            offset: 0,
        },
    )
    .await?;
    Ok(cats)
}

fn category_link(c: &Category) -> Link {
    Link {
        href: format!("/categories/{}", c.handle),
        label: c.name.clone(),
    }
}

/// The top-level categories, as the header's navigation lists them.
fn top_level(cats: &[Category]) -> Vec<Link> {
    cats.iter()
        .filter(|c| c.parent.is_none())
        .map(category_link)
        .collect()
}

pub(crate) fn meta(req: &PageRequest<'_>, title: &str, description: &str, noindex: bool) -> Meta {
    Meta {
        title: format!("{title} | {}", req.site.store.name),
        description: description.to_owned(),
        canonical: req.absolute(req.path),
        robots: noindex.then_some("noindex, follow"),
        og_type: "website",
        og_image: None,
        json_ld: Vec::new(),
    }
}

fn region_label(r: &Region) -> String {
    format!("{} ({})", r.name, r.currency.as_str().to_ascii_uppercase())
}

fn layout_with(req: &PageRequest<'_>, nav: Vec<Link>, return_to: String, meta: Meta) -> Layout {
    Layout {
        lang: "en",
        store_name: req.site.store.name.clone(),
        stylesheet: crate::assets::stylesheet_href(),
        nav,
        regions: req
            .site
            .regions
            .iter()
            .map(|r| RegionChoice {
                id: r.id.as_str().to_owned(),
                label: region_label(r),
                selected: r.id == req.region.id,
            })
            .collect(),
        return_to,
        search_q: String::new(),
        currency_label: req.region.currency.as_str().to_ascii_uppercase(),
        meta,
    }
}

pub(crate) fn layout(req: &PageRequest<'_>, cats: &[Category], meta: Meta) -> Layout {
    layout_with(req, top_level(cats), req.path.to_owned(), meta)
}

// ------------------------------------------------------------------ products as shown

/// An image; the one at position 0 of a page is its main one, those from `lazy_from`
/// on load lazily.
pub(crate) fn image(
    key: &str,
    alt: &str,
    size: (i32, i32),
    position: usize,
    lazy_from: usize,
) -> Image {
    Image {
        src: format!("/images/{key}"),
        alt: alt.to_owned(),
        width: size.0,
        height: size.1,
        lazy: position >= lazy_from,
        priority: position == 0 && lazy_from > 0,
    }
}

fn variant_price(v: &VariantRow, region: &Region) -> Option<Money> {
    v.price
        .as_ref()
        .map(|p| Money::new(p.amount, region.currency))
}

/// "€69.00", or "From €59.00" when variants differ in price.
fn price_label(p: &Product, region: &Region) -> Option<String> {
    let prices: Vec<Money> = p
        .variants
        .iter()
        .filter_map(|v| variant_price(v, region))
        .collect();
    let low = prices.iter().min()?;
    let high = prices.iter().max()?;
    Some(if low == high {
        money(*low)
    } else {
        format!("From {}", money(*low))
    })
}

fn card(p: &Product, region: &Region, position: usize, eager: usize) -> Card {
    let tag = if p.variants.iter().any(VariantRow::purchasable) {
        None
    } else {
        Some("Sold out")
    };
    Card {
        href: format!("/products/{}", p.handle),
        title: p.title.clone(),
        image: p
            .images
            .first()
            .map(|i| image(&i.r2_key, &i.alt, (i.width, i.height), position, eager)),
        price: price_label(p, region),
        tag,
    }
}

/// Cards where the first `eager` load at once (above the fold) and the rest lazily.
fn cards(products: &[Product], region: &Region, eager: usize) -> Vec<Card> {
    products
        .iter()
        .enumerate()
        .map(|(i, p)| card(p, region, i, eager))
        .collect()
}

/// What a shopper is told about a variant's stock, its CSS class and schema.org term.
fn availability(v: &VariantRow) -> (String, &'static str, &'static str) {
    if !v.manage_inventory {
        ("In stock".into(), "in", "InStock")
    } else if v.inventory_quantity > 0 {
        let label = if v.inventory_quantity <= 5 {
            format!("In stock: only {} left", v.inventory_quantity)
        } else {
            "In stock".into()
        };
        (label, "in", "InStock")
    } else if v.allow_backorder {
        (
            "Available on backorder: ships when restocked".into(),
            "back",
            "BackOrder",
        )
    } else {
        ("Sold out".into(), "out", "OutOfStock")
    }
}

// ------------------------------------------------------------------ home

async fn home<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
) -> Result<Rendered, ApiError> {
    let store = &req.site.store;
    let currency = Some(req.region.currency);
    let cats = categories(client, req).await?;
    let newest = Sort::Newest.query();
    let (arrivals, _) = product::list(
        client,
        &store.id,
        &ProductFilter::default(),
        newest,
        Page {
            limit: 8,
            offset: 0,
        },
        currency,
    )
    .await?;
    let mut sections = vec![Section {
        id: "new".into(),
        title: "New arrivals".into(),
        href: "/products".into(),
        cards: cards(&arrivals, req.region, 4),
    }];
    let featured = CollectionFilter {
        featured: Some(true),
        ..CollectionFilter::default()
    };
    let (collections, _) = collection::list(
        client,
        &store.id,
        &featured,
        None,
        Page {
            limit: 4,
            offset: 0,
        },
    )
    .await?;
    for c in &collections {
        let filter = ProductFilter {
            collection_ids: Some(vec![c.id.clone()]),
            ..ProductFilter::default()
        };
        let (products, _) = product::list(
            client,
            &store.id,
            &filter,
            newest,
            Page {
                limit: 4,
                offset: 0,
            },
            currency,
        )
        .await?;
        if !products.is_empty() {
            sections.push(Section {
                id: format!("collection-{}", c.handle),
                title: c.title.clone(),
                href: format!("/collections/{}", c.handle),
                cards: cards(&products, req.region, 0),
            });
        }
    }
    let roots = top_level(&cats);
    let names: Vec<&str> = roots.iter().map(|l| l.label.as_str()).collect();
    let description = if names.is_empty() {
        format!("Shop online at {}.", store.name)
    } else {
        format!("Shop {} online at {}.", names.join(", "), store.name)
    };
    let mut m = meta(req, "Home", &description, false);
    m.title = store.name.clone();
    m.json_ld.push(seo::json_ld(&json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": store.name,
        "url": req.absolute("/"),
        "potentialAction": {
            "@type": "SearchAction",
            "target": format!("{}?q={{search_term_string}}", req.absolute("/search")),
            "query-input": "required name=search_term_string",
        },
    })));
    if let Some(img) = arrivals.first().and_then(|p| p.images.first()) {
        m.og_image = Some(req.absolute(&format!("/images/{}", img.r2_key)));
    }
    let page = HomePage {
        layout: layout(req, &cats, m),
        heading: format!("Welcome to {}", store.name),
        intro: description,
        categories: roots,
        sections,
    };
    html(200, &page)
}

// ------------------------------------------------------------------ listings

/// What a listing lists.
enum Scope {
    All,
    /// The search page: all products, by the words of `q`.
    Search,
    Category(Category),
    Collection(Collection),
}

async fn listing<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
    route: &PageRoute,
    scope: Scope,
) -> Result<Rendered, ApiError> {
    let cats = categories(client, req).await?;
    listing_with(client, req, route, scope, cats).await
}

/// The chain of categories from the root down to `cat`.
fn ancestry<'a>(cats: &'a [Category], cat: &'a Category) -> Vec<&'a Category> {
    let mut chain = vec![cat];
    while let Some(parent) = chain.last().and_then(|c| c.parent.as_ref()) {
        match cats.iter().find(|c| c.id == parent.id) {
            Some(p) if chain.len() < 16 && !chain.iter().any(|c| c.id == p.id) => chain.push(p),
            _ => break,
        }
    }
    chain.reverse();
    chain
}

fn crumbs_for(req: &PageRequest<'_>, trail: &[(String, String)]) -> (Vec<Crumb>, String) {
    let mut crumbs = vec![Crumb {
        href: Some("/".into()),
        label: "Home".into(),
    }];
    let mut items = vec![(req.site.store.name.clone(), req.absolute("/"))];
    for (i, (label, href)) in trail.iter().enumerate() {
        let last = i + 1 == trail.len();
        crumbs.push(Crumb {
            href: (!last).then(|| href.clone()),
            label: label.clone(),
        });
        items.push((label.clone(), req.absolute(href)));
    }
    (crumbs, seo::json_ld(&seo::breadcrumb_list(&items)))
}

/// Page links: first, last, and two either side of the current page.
fn pager(params: &ListingParams, path: &str, req: &PageRequest<'_>, last: u32) -> Vec<PageLink> {
    if last <= 1 {
        return Vec::new();
    }
    let current = params.page;
    let mut out = Vec::new();
    let mut previous = 0;
    for n in 1..=last {
        let near = n == 1 || n == last || n.abs_diff(current) <= 2;
        if !near {
            continue;
        }
        if n > previous + 1 {
            out.push(PageLink {
                label: "…".into(),
                href: None,
                current: false,
            });
        }
        out.push(PageLink {
            label: n.to_string(),
            href: (n != current).then(|| params.url(path, req.region.currency, n)),
            current: n == current,
        });
        previous = n;
    }
    out
}

async fn listing_with<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
    route: &PageRoute,
    scope: Scope,
    cats: Vec<Category>,
) -> Result<Rendered, ApiError> {
    let store = &req.site.store;
    let currency = req.region.currency;
    let params = req.listing(route);
    let (scope_filter, heading, intro, trail, children) = match &scope {
        Scope::All | Scope::Search => {
            let (name, href) = match scope {
                Scope::Search => ("Search", "/search"),
                _ => ("All products", "/products"),
            };
            (
                ProductFilter::default(),
                match &params.q {
                    Some(q) => format!("Results for “{q}”"),
                    None => name.to_owned(),
                },
                None,
                vec![(name.to_owned(), href.to_owned())],
                Vec::new(),
            )
        }
        Scope::Category(cat) => {
            let trail = ancestry(&cats, cat)
                .into_iter()
                .map(|c| (c.name.clone(), format!("/categories/{}", c.handle)))
                .collect();
            let children = cats
                .iter()
                .filter(|c| c.parent.as_ref().is_some_and(|p| p.id == cat.id))
                .map(category_link)
                .collect();
            (
                ProductFilter {
                    category_ids: Some(
                        std::iter::once(cat.id.clone())
                            .chain(
                                cats.iter()
                                    .filter(|c| ancestry(&cats, c).iter().any(|a| a.id == cat.id))
                                    .map(|c| c.id.clone()),
                            )
                            .collect(),
                    ),
                    ..ProductFilter::default()
                },
                cat.name.clone(),
                (!cat.description.is_empty()).then(|| cat.description.clone()),
                trail,
                children,
            )
        }
        Scope::Collection(coll) => (
            ProductFilter {
                collection_ids: Some(vec![coll.id.clone()]),
                ..ProductFilter::default()
            },
            coll.title.clone(),
            None,
            vec![(coll.title.clone(), format!("/collections/{}", coll.handle))],
            Vec::new(),
        ),
    };
    let mut filter = params.filter(scope_filter.clone());
    filter.resolve(client, &store.id).await?;
    let facet_scope = ProductFilter {
        q: filter.q.clone(),
        search: filter.search.clone(),
        ..scope_filter
    };
    let (products, total, menus) = product::list_with_facets(
        client,
        &store.id,
        &filter,
        &facet_scope,
        params.sort.query(),
        params.page(),
        Some(currency),
        30,
    )
    .await?;
    if products.is_empty() && params.page > 1 {
        return Err(ApiError::not_found(
            "Listing page",
            "page",
            params.page.to_string(),
        ));
    }
    let (facets, attribute_facets) = (&menus.options, &menus.attributes);
    let path = req.path;
    let last_page = u32::try_from(total.max(0))
        .unwrap_or(u32::MAX)
        .div_ceil(PAGE_SIZE)
        .clamp(1, MAX_PAGE);

    // Active filters, each removable on its own.
    let mut chips = Vec::new();
    let without = |edit: &dyn Fn(&mut ListingParams)| {
        let mut p = params.clone();
        edit(&mut p);
        p.page = 1;
        p.url(path, currency, 1)
    };
    if let Some(q) = &params.q {
        chips.push(Link {
            href: without(&|p| p.q = None),
            label: format!("search: {q}"),
        });
    }
    // Each chosen option or attribute value, removable on its own.
    type Chosen = Vec<(String, Vec<String>)>;
    type ChosenOf = fn(&mut ListingParams) -> &mut Chosen;
    let chosen_menus: [(&[Facet], &Chosen, ChosenOf); 2] = [
        (facets, &params.options, |p| &mut p.options),
        (attribute_facets, &params.attributes, |p| &mut p.attributes),
    ];
    for (menu, chosen, chosen_of) in chosen_menus {
        for (name, values) in chosen {
            let facet = menu.iter().find(|f| &f.name == name);
            let title = facet.map_or(name.as_str(), |f| f.title.as_str());
            for v in values {
                let shown = facet
                    .and_then(|f| f.values.iter().find(|fv| fv.value.eq_ignore_ascii_case(v)))
                    .map_or(v.as_str(), |fv| fv.label.as_str());
                chips.push(Link {
                    href: without(&|p| {
                        let chosen = chosen_of(p);
                        for (n, vs) in chosen.iter_mut() {
                            if n == name {
                                vs.retain(|x| x != v);
                            }
                        }
                        chosen.retain(|(_, vs)| !vs.is_empty());
                    }),
                    label: format!("{title}: {shown}"),
                });
            }
        }
    }
    // Chosen categories and collections, by name.
    for id in &params.categories {
        let name = menus.categories.iter().find(|c| c.value == id.as_str());
        let name = name
            .map(|c| c.label.as_str())
            .or_else(|| cats.iter().find(|c| c.id == *id).map(|c| c.name.as_str()));
        chips.push(Link {
            href: without(&|p| p.categories.retain(|c| c != id)),
            label: format!("category: {}", name.unwrap_or("unknown")),
        });
    }
    for id in &params.collections {
        let name = menus.collections.iter().find(|c| c.value == id.as_str());
        chips.push(Link {
            href: without(&|p| p.collections.retain(|c| c != id)),
            label: format!(
                "collection: {}",
                name.map_or("none of these products'", |c| c.label.as_str())
            ),
        });
    }
    if let Some(min) = params.price_min {
        chips.push(Link {
            href: without(&|p| p.price_min = None),
            label: format!("from {}", money(Money::new(min, currency))),
        });
    }
    if let Some(max) = params.price_max {
        chips.push(Link {
            href: without(&|p| p.price_max = None),
            label: format!("up to {}", money(Money::new(max, currency))),
        });
    }
    if params.in_stock {
        chips.push(Link {
            href: without(&|p| p.in_stock = false),
            label: "in stock only".into(),
        });
    }
    let clear_href = {
        let p = ListingParams {
            sort: params.sort,
            ..ListingParams::default()
        };
        p.url(path, currency, 1)
    };
    // A search that found nothing offers the closest spelling and what sells.
    let (did_you_mean, popular) = match filter.q.as_ref().filter(|_| products.is_empty()) {
        Some(q) => {
            let suggestion = search::repo::did_you_mean(client, &store.id, q).await?;
            let ids = search::repo::popular(client, &store.id, 8).await?;
            let popular = if ids.is_empty() {
                Vec::new()
            } else {
                let by_id = ProductFilter {
                    ids: Some(ids.clone()),
                    ..ProductFilter::default()
                };
                let page = Page {
                    limit: 8,
                    offset: 0,
                };
                let (mut found, _) =
                    product::list(client, &store.id, &by_id, None, page, Some(currency)).await?;
                found.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
                found
            };
            let link = suggestion.map(|s| {
                let p = ListingParams {
                    q: Some(s.clone()),
                    ..params.clone()
                };
                Link {
                    href: p.url(path, currency, 1),
                    label: s,
                }
            });
            (link, cards(&popular, req.region, 0))
        }
        None => (None, Vec::new()),
    };

    // Categories and collections first (not on their own pages), then options and
    // attributes.
    let listed = |title: &str, param: &str, values: &[FacetValue], chosen: &[&str]| FacetView {
        title: title.to_owned(),
        param: param.to_owned(),
        values: values
            .iter()
            .map(|v| FacetValueView {
                value: v.value.clone(),
                label: v.label.clone(),
                count: v.products,
                checked: chosen.contains(&v.value.as_str()),
            })
            .collect(),
    };
    let chosen_categories: Vec<&str> = params.categories.iter().map(|c| c.as_str()).collect();
    let chosen_collections: Vec<&str> = params.collections.iter().map(|c| c.as_str()).collect();
    let mut menu_views = Vec::new();
    if !matches!(scope, Scope::Category(_)) && !menus.categories.is_empty() {
        menu_views.push(listed(
            "Category",
            "category",
            &menus.categories,
            &chosen_categories,
        ));
    }
    if !matches!(scope, Scope::Collection(_)) && !menus.collections.is_empty() {
        menu_views.push(listed(
            "Collection",
            "collection",
            &menus.collections,
            &chosen_collections,
        ));
    }
    menu_views.extend(
        facet_views(facets, OPTION_PREFIX, &params.options).chain(facet_views(
            attribute_facets,
            ATTRIBUTE_PREFIX,
            &params.attributes,
        )),
    );
    // Price ranges as links (each keeps the other choices), and how many can ship now.
    let price_ranges = menus
        .prices
        .iter()
        .map(|r| {
            let mut p = params.clone();
            p.page = 1;
            (p.price_min, p.price_max) = (Some(r.min), Some(r.max));
            PriceRangeView {
                href: p.url(path, currency, 1),
                label: format!(
                    "{} – {}",
                    money(Money::new(r.min, currency)),
                    money(Money::new(r.max, currency))
                ),
                count: r.products,
                current: params.price_min == Some(r.min) && params.price_max == Some(r.max),
            }
        })
        .collect();

    let first_shown = i64::from(params.page().offset) + 1;
    let summary = match total {
        0 => "No products match".to_owned(),
        1 => "1 product".to_owned(),
        n if n <= i64::from(PAGE_SIZE) => format!("{n} products"),
        n => format!(
            "Showing {first_shown}–{} of {n} products",
            first_shown + products.len() as i64 - 1
        ),
    };
    let mut sort_hidden = params.pairs(currency);
    sort_hidden.retain(|(k, _)| k != "sort");

    let noindex = params.filtered() || !params.ignored.is_empty();
    let description = intro.clone().unwrap_or_else(|| {
        format!(
            "{heading} at {}: {total} products with prices in {}.",
            store.name,
            currency.as_str().to_ascii_uppercase()
        )
    });
    let title = if params.page > 1 {
        format!("{heading}, page {}", params.page)
    } else {
        heading.clone()
    };
    let mut m = meta(req, &title, &description, noindex);
    m.canonical = if noindex || params.page == 1 {
        req.absolute(path)
    } else {
        req.absolute(&with_query(
            path,
            &[("page".to_owned(), params.page.to_string())],
        ))
    };
    let (crumbs, crumbs_ld) = crumbs_for(req, &trail);
    m.json_ld.push(crumbs_ld);
    if let Some(img) = products.first().and_then(|p| p.images.first()) {
        m.og_image = Some(req.absolute(&format!("/images/{}", img.r2_key)));
    }
    let return_to = params.url(path, currency, params.page);
    let mut lay = layout_with(req, top_level(&cats), return_to, m);
    lay.search_q = params.q.clone().unwrap_or_default();

    let page = ListingPage {
        layout: lay,
        crumbs,
        heading,
        intro,
        children,
        ignored: params.ignored.join(", "),
        path: path.to_owned(),
        q: params.q.clone(),
        sort: params.sort.param(),
        facets: menu_views,
        currency: currency.as_str().to_ascii_uppercase(),
        price_min: params
            .price_min
            .map(|v| major_input(v, currency))
            .unwrap_or_default(),
        price_max: params
            .price_max
            .map(|v| major_input(v, currency))
            .unwrap_or_default(),
        in_stock: params.in_stock,
        in_stock_count: menus.in_stock,
        price_ranges,
        summary,
        sort_hidden,
        sorts: params
            .sorts()
            .map(|s| SortChoice {
                value: s.param(),
                label: s.label(),
                selected: s == params.sort,
            })
            .collect(),
        chips,
        clear_href,
        cards: cards(&products, req.region, 4),
        did_you_mean,
        popular,
        empty_text: if let (Some(q), false) = (&params.q, params.narrowed_beyond_search()) {
            format!("Nothing matches “{q}”. Check the spelling, or try fewer or other words.")
        } else if params.filtered() {
            "No products match these filters. Remove a filter to see more.".into()
        } else {
            "There are no products here yet.".into()
        },
        prev: (params.page > 1).then(|| params.url(path, currency, params.page - 1)),
        next: (params.page < last_page).then(|| params.url(path, currency, params.page + 1)),
        pages: pager(&params, path, req, last_page),
    };
    html(200, &page)
}

// ------------------------------------------------------------------ product page

/// The variant reached from `selected` by choosing `value` for one option: the one
/// that keeps the other choices, else the first with that value.
fn variant_for<'a>(
    p: &'a Product,
    selected: &VariantRow,
    value: &str,
    option: &str,
) -> Option<&'a VariantRow> {
    let has = |v: &VariantRow, id: &str| v.options.iter().any(|o| o.id.as_str() == id);
    let keeps_others = |v: &&VariantRow| {
        selected
            .options
            .iter()
            .filter(|o| o.option_id.as_str() != option)
            .all(|o| has(v, o.id.as_str()))
    };
    let with_value: Vec<&VariantRow> = p.variants.iter().filter(|v| has(v, value)).collect();
    with_value
        .iter()
        .find(|v| keeps_others(v))
        .or_else(|| with_value.first())
        .copied()
}

async fn product_page<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
    handle: &commerce::params::Handle,
) -> Result<Rendered, ApiError> {
    let store = &req.site.store;
    let region = req.region;
    // Both statements leave together on the one connection (it pipelines them).
    let key = ProductKey::Handle(handle.clone());
    let (product, cats) = futures_util::future::try_join(
        product::get(client, &store.id, &key, Some(region.currency)),
        categories(client, req),
    )
    .await?;
    let path = format!("/products/{}", product.handle);
    let wanted = req.variant();
    let selected = wanted
        .as_ref()
        .and_then(|id| product.variants.iter().find(|v| &v.id == id))
        .or_else(|| product.variants.iter().find(|v| v.purchasable()))
        .or_else(|| product.variants.first())
        .ok_or_else(|| ApiError::not_found("Product", "handle", handle.as_str()))?;
    let variant_href = |v: &VariantRow| format!("{path}?variant={}", v.id.as_str());

    let options = product
        .options
        .iter()
        .map(|o| OptionView {
            title: o.title.clone(),
            values: o
                .values
                .iter()
                .filter_map(|val| {
                    let target = variant_for(&product, selected, val.id.as_str(), o.id.as_str())?;
                    Some(ChoiceView {
                        label: val.value.clone(),
                        href: variant_href(target),
                        selected: selected.options.iter().any(|so| so.id == val.id),
                        available: target.purchasable(),
                    })
                })
                .collect(),
        })
        .collect();

    let (stock_label, stock_class, _) = availability(selected);
    let price = variant_price(selected, region);
    let rate = f64::from(region.tax_rate.basis_points()) / 100.0;
    let tax_note = if region.tax_inclusive {
        format!("Includes {rate}% VAT.")
    } else {
        format!("Plus {rate}% sales tax, added at checkout.")
    };

    // Breadcrumbs through the product's first category.
    let category = product
        .categories
        .first()
        .and_then(|pc| cats.iter().find(|c| c.id == pc.id));
    let mut trail: Vec<(String, String)> = category
        .map(|c| {
            ancestry(&cats, c)
                .into_iter()
                .map(|c| (c.name.clone(), format!("/categories/{}", c.handle)))
                .collect()
        })
        .unwrap_or_default();
    trail.push((product.title.clone(), path.clone()));
    let (crumbs, crumbs_ld) = crumbs_for(req, &trail);

    let related = match category {
        Some(c) => {
            let filter = ProductFilter {
                category_ids: Some(vec![c.id.clone()]),
                ..ProductFilter::default()
            };
            let (products, _) = product::list(
                client,
                &store.id,
                &filter,
                Sort::Newest.query(),
                Page {
                    limit: 5,
                    offset: 0,
                },
                Some(region.currency),
            )
            .await?;
            let others: Vec<Product> = products
                .into_iter()
                .filter(|p| p.id != product.id)
                .take(4)
                .collect();
            cards(&others, region, 0)
        }
        None => Vec::new(),
    };

    let images: Vec<Image> = product
        .images
        .iter()
        .enumerate()
        .map(|(i, img)| image(&img.r2_key, &img.alt, (img.width, img.height), i, 1))
        .collect();
    let image_urls: Vec<String> = product
        .images
        .iter()
        .map(|i| req.absolute(&format!("/images/{}", i.r2_key)))
        .collect();
    let offers: Vec<seo::Offer> = product
        .variants
        .iter()
        .filter_map(|v| {
            let amount = variant_price(v, region)?;
            Some(seo::Offer {
                url: req.absolute(&variant_href(v)),
                sku: v.sku.clone(),
                price: amount.to_decimal_string(),
                currency: region.currency.as_str().to_ascii_uppercase(),
                availability: availability(v).2,
            })
        })
        .collect();
    let description = if product.description.is_empty() {
        format!("{} from {}.", product.title, store.name)
    } else {
        product.description.clone()
    };
    let mut m = meta(req, &product.title, &description, false);
    m.canonical = req.absolute(&path);
    m.og_type = "product";
    m.og_image = image_urls.first().cloned();
    m.json_ld.push(seo::json_ld(&seo::product(
        &product.title,
        &description,
        &m.canonical,
        &image_urls,
        &store.name,
        &offers,
    )));
    m.json_ld.push(crumbs_ld);
    let return_to = match &wanted {
        Some(v) => format!("{path}?variant={}", v.as_str()),
        None => path.clone(),
    };
    let page = ProductPage {
        layout: layout_with(req, top_level(&cats), return_to, m),
        crumbs,
        path: path.clone(),
        title: product.title.clone(),
        subtitle: product.subtitle.clone(),
        description: product.description.clone(),
        details: product
            .attributes
            .iter()
            .map(|a| (a.label.clone(), a.display()))
            .collect(),
        guide_html: commerce::catalog::rich_text::to_html(&product.educational_content),
        images,
        price: price.map(money),
        tax_note,
        region_name: region.name.clone(),
        stock_label,
        stock_class,
        options,
        variants: product
            .variants
            .iter()
            .map(|v| {
                let mut label = v.title.clone();
                if let Some(p) = variant_price(v, region) {
                    label.push_str(&format!(", {}", money(p)));
                }
                if !v.purchasable() {
                    label.push_str(", sold out");
                }
                VariantChoice {
                    id: v.id.as_str().to_owned(),
                    label,
                    selected: v.id == selected.id,
                }
            })
            .collect(),
        variant_id: selected.id.as_str().to_owned(),
        can_buy: selected.purchasable() && price.is_some(),
        related_title: category.map_or_else(|| store.name.clone(), |c| c.name.clone()),
        related,
    };
    html(200, &page)
}

// ------------------------------------------------------------------ cart page

/// What the cart page shows: the shopper's cart (none yet: empty), the shipping
/// options of its region, what changed since the last view, and a refusal to explain.
#[derive(Debug, Clone, Default)]
pub struct CartView {
    pub cart: Option<Cart>,
    pub shipping: Vec<ShippingOption>,
    pub notices: Vec<String>,
    pub error: Option<String>,
}

/// The cart page (personal: never cached). The error, when there is one, decides the
/// status (a refused add-to-cart is 4xx).
pub async fn cart_page<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
    view: CartView,
    status: u16,
) -> Result<Rendered, ApiError> {
    let cats = categories(client, req).await?;
    let mut m = meta(req, "Your cart", "Your shopping cart.", true);
    m.canonical = req.absolute("/cart");
    let layout = layout(req, &cats, m);
    let empty = |currency| money(Money::new(0, currency));
    let page = match &view.cart {
        Some(cart) if !cart.items.is_empty() => {
            let currency = cart.region.currency;
            let t = cart::totals(cart)?;
            let lines = cart
                .items
                .iter()
                .map(|l| CartLineView {
                    id: l.id.as_str().to_owned(),
                    href: format!(
                        "/products/{}?variant={}",
                        l.product_handle,
                        l.variant_id.as_str()
                    ),
                    title: l.product_title.clone(),
                    variant: l.variant_title.clone(),
                    image: l.thumbnail.as_ref().map(|k| image(k, "", (64, 80), 1, 0)),
                    unit_price: money(l.unit_price.of(currency)),
                    quantity: l.quantity,
                    total: money(
                        l.unit_price
                            .saturating_mul(i64::from(l.quantity))
                            .of(currency),
                    ),
                })
                .collect();
            let chosen = cart.shipping_method.as_ref().map(|m| &m.option_id);
            let shipping = cart::applicable(&view.shipping, cart)
                .into_iter()
                .map(|q| ShippingChoice {
                    id: q.option.id.as_str().to_owned(),
                    name: q.option.name.clone(),
                    amount: if q.amount == 0 {
                        "free".to_owned()
                    } else {
                        money(Money::new(q.amount, currency))
                    },
                    selected: chosen == Some(&q.option.id),
                })
                .collect();
            let rate = f64::from(cart.region.tax_rate_bp) / 100.0;
            CartPage {
                layout,
                error: view.error,
                notices: view.notices,
                lines,
                shipping,
                subtotal: money(Money::new(t.item_amount, currency)),
                shipping_total: match &cart.shipping_method {
                    Some(_) => money(Money::new(t.shipping_amount, currency)),
                    None => "choose below".to_owned(),
                },
                tax_label: if cart.region.tax_inclusive {
                    format!("Included tax ({rate}%)")
                } else {
                    format!("Tax ({rate}%)")
                },
                tax_total: money(Money::new(t.tax_total, currency)),
                total: money(Money::new(t.total, currency)),
            }
        }
        _ => CartPage {
            layout,
            error: view.error,
            notices: view.notices,
            lines: Vec::new(),
            shipping: Vec::new(),
            subtotal: empty(req.region.currency),
            shipping_total: empty(req.region.currency),
            tax_label: "Tax".into(),
            tax_total: empty(req.region.currency),
            total: empty(req.region.currency),
        },
    };
    html(status, &page)
}

// ------------------------------------------------------------------ sitemaps

fn xml(body: String) -> Rendered {
    Rendered {
        status: 200,
        content_type: "application/xml; charset=utf-8",
        body,
    }
}

/// `YYYY-MM-DD` of an API timestamp.
fn day(ts: &str) -> Option<String> {
    ts.get(..10).map(str::to_owned)
}

async fn sitemap_index<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
) -> Result<Rendered, ApiError> {
    let (_, total) = product::locations(
        client,
        &req.site.store.id,
        Page {
            limit: 0,
            offset: 0,
        },
    )
    .await?;
    let chunks = u32::try_from(total.max(0))
        .unwrap_or(u32::MAX)
        .div_ceil(SITEMAP_CHUNK);
    let mut maps = vec![req.absolute("/sitemap-pages.xml")];
    maps.extend((1..=chunks).map(|n| req.absolute(&format!("/sitemap-products-{n}.xml"))));
    Ok(xml(seo::sitemap_index(&maps)))
}

async fn sitemap_pages<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
) -> Result<Rendered, ApiError> {
    let cats = categories(client, req).await?;
    let (collections, _) = collection::list(
        client,
        &req.site.store.id,
        &CollectionFilter::default(),
        None,
        Page {
            limit: 200,
            offset: 0,
        },
    )
    .await?;
    let mut urls = vec![(req.absolute("/"), None), (req.absolute("/products"), None)];
    let categories = cats
        .iter()
        .map(|c| (format!("/categories/{}", c.handle), day(&c.updated_at)));
    let collections = collections
        .iter()
        .map(|c| (format!("/collections/{}", c.handle), day(&c.updated_at)));
    urls.extend(
        categories
            .chain(collections)
            .map(|(path, date)| (req.absolute(&path), date)),
    );
    Ok(xml(seo::urlset(&urls)))
}

async fn sitemap_products<C: GenericClient + Sync>(
    client: &C,
    req: &PageRequest<'_>,
    n: u32,
) -> Result<Rendered, ApiError> {
    let offset = (n - 1).checked_mul(SITEMAP_CHUNK).filter(|o| *o <= 100_000);
    let Some(offset) = offset else {
        return Err(ApiError::not_found("Sitemap", "number", n.to_string()));
    };
    let (locs, _) = product::locations(
        client,
        &req.site.store.id,
        Page {
            limit: SITEMAP_CHUNK,
            offset,
        },
    )
    .await?;
    if locs.is_empty() {
        return Err(ApiError::not_found("Sitemap", "number", n.to_string()));
    }
    let urls: Vec<(String, Option<String>)> = locs
        .into_iter()
        .map(|l| {
            (
                req.absolute(&format!("/products/{}", l.handle)),
                Some(l.updated),
            )
        })
        .collect();
    Ok(xml(seo::urlset(&urls)))
}

// ------------------------------------------------------------------ errors

/// The page for a failed request, in the store's layout when the store is known. The
/// message names a bad parameter; database details never reach the shopper.
pub fn error_page(req: Option<&PageRequest<'_>>, err: &ApiError) -> Rendered {
    let status = err.status();
    let (heading, paragraphs): (&str, Vec<String>) = match err {
        ApiError::NotFound { entity, .. } => (
            "Page not found",
            vec![format!(
                "We could not find this {}. It may have been moved or is no longer sold.",
                entity.to_lowercase()
            )],
        ),
        ApiError::RouteNotFound { .. } | ApiError::UnknownStoreHost(_) => (
            "Page not found",
            vec!["There is no page at this address.".into()],
        ),
        ApiError::InvalidParam { param, reason } => (
            "We could not read this address",
            vec![format!("The parameter “{param}” is not valid: {reason}.")],
        ),
        ApiError::MethodNotAllowed { .. } => (
            "This page cannot be used that way",
            vec!["Please go back and try again.".into()],
        ),
        ApiError::TooManyRequests { retry_after_s } => (
            "Please wait a moment",
            vec![format!(
                "We received many requests from you in a short time. Please try again in {retry_after_s} seconds."
            )],
        ),
        ApiError::CrossSite => (
            "This form was sent from another site",
            vec!["For your safety we only accept forms sent from this shop's own pages. Please go back and try again.".into()],
        ),
        ApiError::PayloadTooLarge { .. } => (
            "This form is too large",
            vec!["Please go back, shorten what you entered and try again.".into()],
        ),
        ApiError::DatabaseUnavailable { .. } => (
            "We will be right back",
            vec![
                "The shop cannot reach its catalog at the moment. Nothing is lost: please try again in a minute.".into(),
            ],
        ),
        _ => (
            "Something went wrong",
            vec!["An unexpected error occurred on our side. Please try again.".into()],
        ),
    };
    let links = vec![Link {
        href: "/".into(),
        label: "Go to the home page".into(),
    }];
    let body = match req {
        Some(req) => {
            let mut m = meta(req, heading, heading, true);
            m.canonical = req.absolute(req.path);
            MessagePage {
                layout: layout_with(req, Vec::new(), req.path.to_owned(), m),
                heading: heading.into(),
                paragraphs,
                links,
            }
            .render()
        }
        None => bare_page(heading, &paragraphs),
    };
    let body =
        body.unwrap_or_else(|_| format!("<!doctype html><title>{status}</title><h1>{status}</h1>"));
    Rendered {
        status,
        content_type: HTML,
        body,
    }
}

/// A page outside any store (unknown host, or the store itself could not be read).
fn bare_page(heading: &str, paragraphs: &[String]) -> askama::Result<String> {
    MessagePage {
        layout: Layout {
            lang: "en",
            store_name: "Shop".into(),
            stylesheet: crate::assets::stylesheet_href(),
            nav: Vec::new(),
            regions: Vec::new(),
            return_to: "/".into(),
            search_q: String::new(),
            currency_label: String::new(),
            meta: Meta {
                title: heading.into(),
                description: heading.into(),
                canonical: "/".into(),
                robots: Some("noindex"),
                og_type: "website",
                og_image: None,
                json_ld: Vec::new(),
            },
        },
        heading: heading.into(),
        paragraphs: paragraphs.to_vec(),
        links: Vec::new(),
    }
    .render()
}

/// The filter menus of `facets` as the listing's form shows them: each a fieldset of
/// `<prefix><name>` boxes, those in `chosen` ticked.
fn facet_views<'a>(
    facets: &'a [Facet],
    prefix: &'a str,
    chosen: &'a [(String, Vec<String>)],
) -> impl Iterator<Item = FacetView> + 'a {
    facets.iter().map(move |f| {
        let picked = chosen
            .iter()
            .find(|(n, _)| n == &f.name)
            .map(|(_, vs)| vs.as_slice())
            .unwrap_or_default();
        FacetView {
            title: f.title.clone(),
            param: format!("{prefix}{}", f.name),
            values: f
                .values
                .iter()
                .map(|v| FacetValueView {
                    value: v.value.clone(),
                    label: v.label.clone(),
                    count: v.products,
                    checked: picked.iter().any(|c| c.eq_ignore_ascii_case(&v.value)),
                })
                .collect(),
        }
    })
}
