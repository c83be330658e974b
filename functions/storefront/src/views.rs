//! What the templates show: plain structs of display strings, built by `pages` from
//! catalog rows. Templates hold no logic beyond loops and conditions, and everything
//! they print is escaped by askama (only the JSON-LD, escaped by `seo`, is printed raw).

use askama::Template;

/// A link with its text.
#[derive(Debug, Clone)]
pub struct Link {
    pub href: String,
    pub label: String,
}

/// A breadcrumb; the last one (the page itself) has no link.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub href: Option<String>,
    pub label: String,
}

/// What `<head>` says about a page.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub title: String,
    pub description: String,
    /// Absolute URL.
    pub canonical: String,
    /// `noindex, follow` for filtered listings and error pages.
    pub robots: Option<&'static str>,
    pub og_type: &'static str,
    /// Absolute URL.
    pub og_image: Option<String>,
    /// JSON-LD documents, already escaped for a `<script>` element.
    pub json_ld: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RegionChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

/// The shared layout: header, navigation, region switch, footer.
#[derive(Debug, Clone)]
pub struct Layout {
    pub lang: &'static str,
    pub store_name: String,
    pub stylesheet: String,
    pub nav: Vec<Link>,
    pub regions: Vec<RegionChoice>,
    /// Where the region switch sends the shopper back to: this page's path and query.
    pub return_to: String,
    pub search_q: String,
    pub currency_label: String,
    pub meta: Meta,
}

#[derive(Debug, Clone)]
pub struct Image {
    pub src: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
    /// Below the fold: `loading="lazy"`.
    pub lazy: bool,
    /// The page's main image (its largest paint): `fetchpriority="high"`.
    pub priority: bool,
}

/// A product in a grid.
#[derive(Debug, Clone)]
pub struct Card {
    pub href: String,
    pub title: String,
    pub image: Option<Image>,
    pub price: Option<String>,
    /// "Sold out", "Backorder".
    pub tag: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub href: String,
    pub cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub heading: String,
    pub intro: String,
    pub categories: Vec<Link>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone)]
pub struct FacetValueView {
    pub value: String,
    /// As shoppers read it.
    pub label: String,
    pub count: i64,
    pub checked: bool,
}

#[derive(Debug, Clone)]
pub struct FacetView {
    pub title: String,
    /// The form field name: `opt_size`.
    pub param: String,
    pub values: Vec<FacetValueView>,
}

/// A price range of a listing's menu: a link that narrows to it.
#[derive(Debug, Clone)]
pub struct PriceRangeView {
    pub href: String,
    pub label: String,
    pub count: i64,
    /// Whether the listing is narrowed to exactly this range.
    pub current: bool,
}

#[derive(Debug, Clone)]
pub struct SortChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Debug, Clone)]
pub struct PageLink {
    pub label: String,
    pub href: Option<String>,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "listing.html")]
pub struct ListingPage {
    pub layout: Layout,
    pub crumbs: Vec<Crumb>,
    pub heading: String,
    pub intro: Option<String>,
    pub children: Vec<Link>,
    pub ignored: String,
    pub path: String,
    pub q: Option<String>,
    pub sort: &'static str,
    pub facets: Vec<FacetView>,
    pub currency: String,
    pub price_min: String,
    pub price_max: String,
    pub in_stock: bool,
    /// Products of the listing's scope that can ship now.
    pub in_stock_count: i64,
    pub price_ranges: Vec<PriceRangeView>,
    pub summary: String,
    /// The filters kept by the sort form.
    pub sort_hidden: Vec<(String, String)>,
    pub sorts: Vec<SortChoice>,
    pub chips: Vec<Link>,
    pub clear_href: String,
    pub cards: Vec<Card>,
    pub empty_text: String,
    /// A search that found nothing: the closest spelling from the catalog's words.
    pub did_you_mean: Option<Link>,
    /// A search that found nothing: what sells, instead of a dead end.
    pub popular: Vec<Card>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub pages: Vec<PageLink>,
}

#[derive(Debug, Clone)]
pub struct ChoiceView {
    pub label: String,
    pub href: String,
    pub selected: bool,
    pub available: bool,
}

#[derive(Debug, Clone)]
pub struct OptionView {
    pub title: String,
    pub values: Vec<ChoiceView>,
}

#[derive(Debug, Clone)]
pub struct VariantChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "product.html")]
pub struct ProductPage {
    pub layout: Layout,
    pub crumbs: Vec<Crumb>,
    pub path: String,
    pub title: String,
    pub subtitle: Option<String>,
    pub description: String,
    /// The product's attributes: label and value as shoppers read it.
    pub details: Vec<(String, String)>,
    /// The educational content as HTML (`commerce::catalog::rich_text::to_html`: every
    /// typed character escaped); empty when there is none.
    pub guide_html: String,
    pub images: Vec<Image>,
    pub price: Option<String>,
    pub tax_note: String,
    pub region_name: String,
    pub stock_label: String,
    /// `in`, `back` or `out`.
    pub stock_class: &'static str,
    pub options: Vec<OptionView>,
    pub variants: Vec<VariantChoice>,
    pub variant_id: String,
    pub can_buy: bool,
    pub related_title: String,
    pub related: Vec<Card>,
}

/// A page that only says something: not found, bad request, unavailable, empty cart.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub layout: Layout,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub links: Vec<Link>,
}

/// A cart line as the cart page shows it.
#[derive(Debug, Clone)]
pub struct CartLineView {
    pub id: String,
    pub href: String,
    pub title: String,
    pub variant: String,
    pub image: Option<Image>,
    pub unit_price: String,
    pub quantity: u32,
    pub total: String,
}

/// A shipping option the cart can choose, with its price for this cart.
#[derive(Debug, Clone)]
pub struct ShippingChoice {
    pub id: String,
    pub name: String,
    pub amount: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "cart.html")]
pub struct CartPage {
    pub layout: Layout,
    pub error: Option<String>,
    pub notices: Vec<String>,
    pub lines: Vec<CartLineView>,
    pub shipping: Vec<ShippingChoice>,
    pub subtotal: String,
    pub shipping_total: String,
    pub tax_label: String,
    pub tax_total: String,
    pub total: String,
}
