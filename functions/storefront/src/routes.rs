//! The storefront's page routes, matched from the path before any database work.

use commerce::params::Handle;

/// A page of the storefront.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRoute {
    Home,
    /// Every published product (`/products`, also the search results with `?q=`).
    AllProducts,
    /// The search page (`/search?q=`): every published product matching the words,
    /// ranked by relevance unless another order is chosen.
    Search,
    Category(Handle),
    Collection(Handle),
    Product(Handle),
    Robots,
    /// The sitemap index.
    Sitemap,
    /// Home, listings, categories and collections.
    SitemapPages,
    /// Products, in chunks of [`crate::seo::SITEMAP_CHUNK`], numbered from 1.
    SitemapProducts(u32),
}

/// The route of a `GET` path's segments, if it names a page. A handle that cannot be a
/// handle is `NotFound` by returning `None` too: no page has such an address.
pub fn page_route(segments: &[&str]) -> Option<PageRoute> {
    let handle = |s: &str| Handle::parse(s).ok();
    Some(match segments {
        [] => PageRoute::Home,
        ["products"] => PageRoute::AllProducts,
        ["search"] => PageRoute::Search,
        ["products", h] => PageRoute::Product(handle(h)?),
        ["categories", h] => PageRoute::Category(handle(h)?),
        ["collections", h] => PageRoute::Collection(handle(h)?),
        ["robots.txt"] => PageRoute::Robots,
        ["sitemap.xml"] => PageRoute::Sitemap,
        ["sitemap-pages.xml"] => PageRoute::SitemapPages,
        [file] => {
            let n = file
                .strip_prefix("sitemap-products-")?
                .strip_suffix(".xml")?;
            if n.starts_with('0') || n.len() > 6 {
                return None;
            }
            PageRoute::SitemapProducts(n.parse().ok().filter(|n| *n >= 1)?)
        }
        _ => return None,
    })
}

impl PageRoute {
    /// Whether the page varies by the shopper's region (prices): sitemaps and robots do
    /// not, so one cached copy serves every region.
    pub fn regional(&self) -> bool {
        !matches!(
            self,
            PageRoute::Robots
                | PageRoute::Sitemap
                | PageRoute::SitemapPages
                | PageRoute::SitemapProducts(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_pages() {
        assert_eq!(page_route(&[]), Some(PageRoute::Home));
        assert_eq!(page_route(&["products"]), Some(PageRoute::AllProducts));
        assert_eq!(page_route(&["search"]), Some(PageRoute::Search));
        assert!(matches!(
            page_route(&["products", "linen-camp-shirt"]),
            Some(PageRoute::Product(_))
        ));
        assert!(matches!(
            page_route(&["categories", "shirts"]),
            Some(PageRoute::Category(_))
        ));
        assert_eq!(
            page_route(&["sitemap-products-2.xml"]),
            Some(PageRoute::SitemapProducts(2))
        );
        for bad in [
            vec!["products", "<script>"],
            vec!["categories", "Not A Handle"],
            vec!["sitemap-products-0.xml"],
            vec!["sitemap-products-01.xml"],
            vec!["sitemap-products-x.xml"],
            vec!["nothing", "here"],
        ] {
            assert_eq!(page_route(&bad), None, "{bad:?}");
        }
    }
}
