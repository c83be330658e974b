//! Search engines and link previews: JSON-LD documents, sitemaps and robots.txt.

use serde_json::{json, Value};

/// Products per sitemap file (the protocol allows 50,000; smaller files render fast).
pub const SITEMAP_CHUNK: u32 = 10_000;

/// A JSON document made safe inside `<script type="application/ld+json">`: `<`, `>`
/// and `&` become JSON escapes, so no text can close the element or start markup.
pub fn json_ld(doc: &Value) -> String {
    let text = doc.to_string();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// schema.org `BreadcrumbList` of (name, absolute URL).
pub fn breadcrumb_list(items: &[(String, String)]) -> Value {
    json!({
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": items.iter().enumerate().map(|(i, (name, url))| json!({
            "@type": "ListItem", "position": i + 1, "name": name, "item": url,
        })).collect::<Vec<_>>(),
    })
}

/// One variant's offer.
pub struct Offer {
    pub url: String,
    pub sku: Option<String>,
    /// Decimal major units, as schema.org wants: "69.00".
    pub price: String,
    /// ISO 4217, upper case.
    pub currency: String,
    /// `InStock`, `BackOrder` or `OutOfStock`.
    pub availability: &'static str,
}

/// schema.org `Product` with one `Offer` per variant.
pub fn product(
    name: &str,
    description: &str,
    url: &str,
    images: &[String],
    brand: &str,
    offers: &[Offer],
) -> Value {
    json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": name,
        "description": description,
        "url": url,
        "image": images,
        "brand": { "@type": "Brand", "name": brand },
        "offers": offers.iter().map(|o| {
            let mut offer = json!({
                "@type": "Offer",
                "url": o.url,
                "price": o.price,
                "priceCurrency": o.currency,
                "availability": format!("https://schema.org/{}", o.availability),
                "itemCondition": "https://schema.org/NewCondition",
            });
            if let Some(sku) = &o.sku {
                offer["sku"] = json!(sku);
            }
            offer
        }).collect::<Vec<_>>(),
    })
}

/// Escapes text for XML character data and attribute values.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A `<urlset>` of (absolute URL, last modified `YYYY-MM-DD` if known).
pub fn urlset(urls: &[(String, Option<String>)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (loc, lastmod) in urls {
        out.push_str("<url><loc>");
        out.push_str(&xml_escape(loc));
        out.push_str("</loc>");
        if let Some(date) = lastmod {
            out.push_str("<lastmod>");
            out.push_str(&xml_escape(date));
            out.push_str("</lastmod>");
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// A `<sitemapindex>` of absolute sitemap URLs.
pub fn sitemap_index(sitemaps: &[String]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for loc in sitemaps {
        out.push_str("<sitemap><loc>");
        out.push_str(&xml_escape(loc));
        out.push_str("</loc></sitemap>\n");
    }
    out.push_str("</sitemapindex>\n");
    out
}

/// robots.txt: everything but the shopper's own pages may be crawled.
pub fn robots(origin: &str) -> String {
    format!(
        "User-agent: *\nAllow: /\nDisallow: /cart\nDisallow: /checkout\nDisallow: /region\n\nSitemap: {origin}/sitemap.xml\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_cannot_close_its_script_element() {
        let doc = json!({ "name": "</script><script>alert(1)</script> & more" });
        let text = json_ld(&doc);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn sitemaps_are_escaped_xml() {
        let xml = urlset(&[("https://s/p?a=1&b=2".into(), Some("2026-11-01".into()))]);
        assert!(xml.contains("<loc>https://s/p?a=1&amp;b=2</loc><lastmod>2026-11-01</lastmod>"));
        let idx = sitemap_index(&["https://s/sitemap-pages.xml".into()]);
        assert!(idx.contains("<sitemap><loc>https://s/sitemap-pages.xml</loc></sitemap>"));
        assert!(robots("https://s").ends_with("Sitemap: https://s/sitemap.xml\n"));
    }
}
