//! The catalog's root fields and types: products (a list and a paged connection with
//! search and facets), one product, categories, regions.

use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::errors::{api, invalid};
use super::Reader;
use crate::catalog::category::{self, CategoryFilter};
use crate::catalog::product::{
    self, Facet, FacetValue, Facets, OptionFilter, Product, ProductFilter, ProductKey, VariantRow,
};
use crate::db::Sql;
use crate::ids::RegionId;
use crate::money::{apply_tax, CurrencyCode, Money};
use crate::params::{Handle, Page, SearchText};
use crate::store_api::Pricing;
use crate::ApiError;

/// Products a list answers when `first` is not given, and the most it answers.
const DEFAULT_FIRST: i32 = 20;
const MAX_FIRST: i32 = 100;
/// Values per menu of a connection's facets.
const FACET_VALUES: usize = 50;
/// The attribute the `glp1Stage` argument and field stand for.
const GLP1_STAGE: &str = "glp1_stage";

/// The root of queries.
pub struct Query<C>(PhantomData<fn() -> C>);

impl<C> Default for Query<C> {
    fn default() -> Self {
        Query(PhantomData)
    }
}

/// One attribute's accepted values: a product matches with any of them.
#[derive(InputObject)]
struct AttributeFilter {
    /// The attribute's key (`glp1_stage`, `material`).
    key: String,
    values: Vec<String>,
}

/// What a product list is narrowed by; absent arguments do not narrow.
struct ListArgs {
    category: Option<String>,
    glp1_stage: Option<String>,
    attributes: Option<Vec<AttributeFilter>>,
    q: Option<String>,
}

#[Object(name = "Query")]
impl<C: Sql + Send + Sync + 'static> Query<C> {
    /// Published products of the store, newest first (by relevance with `q`).
    /// `category` is a category's handle; `glp1Stage` is the attribute `glp1_stage`
    /// (the same as `attributes: [{key: "glp1_stage", values: [...]}]`).
    #[graphql(complexity = "page_size(first) * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        category: Option<String>,
        glp1_stage: Option<String>,
        attributes: Option<Vec<AttributeFilter>>,
        q: Option<String>,
        first: Option<i32>,
        offset: Option<i32>,
        region_id: Option<ID>,
        currency_code: Option<String>,
    ) -> async_graphql::Result<Vec<ProductNode>> {
        let reader = reader::<C>(ctx);
        let args = ListArgs {
            category,
            glp1_stage,
            attributes,
            q,
        };
        let page = page(reader, first, offset.map(i64::from))?;
        let pricing = pricing(reader, region_id, currency_code).await?;
        let Some(filter) = filter(reader, args).await? else {
            return Ok(Vec::new());
        };
        let (products, _) = product::list(
            &reader.client,
            &reader.store.id,
            &filter,
            None,
            page,
            pricing.currency(),
        )
        .await
        .map_err(|e| api(reader, e))?;
        Ok(nodes(reader, products, pricing))
    }

    /// The same list as a connection: pages by `first`/`after`, the total, and the
    /// menus (facets) of the list's scope.
    #[graphql(complexity = "page_size(first) * child_complexity")]
    #[allow(clippy::too_many_arguments)]
    async fn product_connection(
        &self,
        ctx: &Context<'_>,
        category: Option<String>,
        glp1_stage: Option<String>,
        attributes: Option<Vec<AttributeFilter>>,
        q: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        region_id: Option<ID>,
        currency_code: Option<String>,
    ) -> async_graphql::Result<ProductConnection> {
        let reader = reader::<C>(ctx);
        let offset = after
            .map(|cursor| {
                offset_of(&cursor)
                    .map(|o| o + 1)
                    .ok_or_else(|| invalid(reader, "after", "not a cursor of this list"))
            })
            .transpose()?;
        let page = page(reader, first, offset)?;
        let pricing = pricing(reader, region_id, currency_code).await?;
        let args = ListArgs {
            category,
            glp1_stage,
            attributes,
            q,
        };
        let Some(mut filter) = filter(reader, args).await? else {
            return Ok(ProductConnection::empty());
        };
        let client = &reader.client;
        filter
            .resolve(client, &reader.store.id)
            .await
            .map_err(|e| api(reader, e))?;
        let with_facets = ctx.look_ahead().field("facets").exists();
        let currency = pricing.currency();
        let (products, total, facets) = if with_facets {
            // The menus of the list's scope: its category and search, not its choices.
            let scope = ProductFilter {
                options: Vec::new(),
                attributes: Vec::new(),
                ..filter.clone()
            };
            product::list_with_facets(
                client,
                &reader.store.id,
                &filter,
                &scope,
                None,
                page,
                currency,
                FACET_VALUES,
            )
            .await
            .map(|(p, t, f)| (p, t, Some(f)))
        } else {
            product::list(client, &reader.store.id, &filter, None, page, currency)
                .await
                .map(|(p, t)| (p, t, None))
        }
        .map_err(|e| api(reader, e))?;
        let start = i64::from(page.offset);
        let edges: Vec<ProductEdge> = nodes(reader, products, pricing)
            .into_iter()
            .enumerate()
            .map(|(i, node)| ProductEdge {
                cursor: cursor_of(start + i as i64),
                node,
            })
            .collect();
        let end = start + edges.len() as i64;
        Ok(ProductConnection {
            total_count: total,
            page_info: PageInfo {
                has_next_page: end < total,
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
            facets: facets.map(FacetsNode),
        })
    }

    /// One published product, by `id` or by `handle`; null if the store has none.
    async fn product(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        handle: Option<String>,
        region_id: Option<ID>,
        currency_code: Option<String>,
    ) -> async_graphql::Result<Option<ProductNode>> {
        let reader = reader::<C>(ctx);
        let key = match (id, handle) {
            (Some(id), None) => ProductKey::Id(
                crate::ids::ProductId::parse(&id)
                    .map_err(|e| invalid(reader, "id", e.to_string()))?,
            ),
            (None, Some(handle)) => ProductKey::Handle(
                Handle::parse(&handle).map_err(|e| invalid(reader, "handle", e))?,
            ),
            _ => return Err(invalid(reader, "id", "give either id or handle")),
        };
        let pricing = pricing(reader, region_id, currency_code).await?;
        match product::get(&reader.client, &reader.store.id, &key, pricing.currency()).await {
            Ok(found) => Ok(nodes(reader, vec![found], pricing).pop()),
            Err(ApiError::NotFound { .. }) => Ok(None),
            Err(e) => Err(api(reader, e)),
        }
    }

    /// The store's active categories, in the store's order.
    async fn categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CategoryNode>> {
        let reader = reader::<C>(ctx);
        let page = Page {
            limit: 1000,
            offset: 0,
        };
        let (categories, _) = category::list(
            &reader.client,
            &reader.store.id,
            &CategoryFilter::default(),
            None,
            page,
        )
        .await
        .map_err(|e| api(reader, e))?;
        Ok(categories
            .into_iter()
            .map(|c| CategoryNode {
                id: ID(c.id.as_str().to_owned()),
                name: c.name,
                handle: c.handle,
            })
            .collect())
    }

    /// A cart by its id (`sessionId`, as `addToCart` answered it); null if there is none.
    async fn cart(
        &self,
        ctx: &Context<'_>,
        session_id: String,
    ) -> async_graphql::Result<Option<super::cart::CartNode>> {
        super::cart::cart(reader::<C>(ctx), &session_id).await
    }

    /// An order of the store by its id (as the Store API's `GET /store/orders/:id`);
    /// null if there is none.
    async fn order(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<super::order::OrderNode>> {
        super::order::by_id(reader::<C>(ctx), id.as_str()).await
    }

    /// The signed-in customer's orders, newest first, with the guest orders placed
    /// under the same address. `userEmail` must be that customer's own confirmed
    /// address: anything else is refused (`forbidden`), and without a sign-in
    /// (`not_signed_in`).
    #[graphql(complexity = "page_size(first) * child_complexity")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        user_email: String,
        first: Option<i32>,
        offset: Option<i32>,
    ) -> async_graphql::Result<Vec<super::order::OrderNode>> {
        let reader = reader::<C>(ctx);
        let page = page(reader, first, offset.map(i64::from))?;
        super::order::history(reader, &user_email, page).await
    }

    /// The store's regions: the `regionId` a product's prices are asked in.
    async fn regions(&self, ctx: &Context<'_>) -> Vec<RegionNode> {
        reader::<C>(ctx)
            .regions
            .iter()
            .map(|r| RegionNode {
                id: ID(r.id.as_str().to_owned()),
                name: r.name.clone(),
                currency_code: r.currency.as_str().to_owned(),
                tax_inclusive: r.tax_inclusive,
                countries: r
                    .countries
                    .iter()
                    .map(|c| c.iso_2.as_str().to_owned())
                    .collect(),
            })
            .collect()
    }
}

/// The request's reader (every request is executed with one).
fn reader<'c, C: Send + Sync + 'static>(ctx: &Context<'c>) -> &'c Reader<C> {
    ctx.data_unchecked::<Reader<C>>()
}

/// A list's page size as complexity counts it.
fn page_size(first: Option<i32>) -> usize {
    usize::try_from(first.unwrap_or(DEFAULT_FIRST).clamp(0, MAX_FIRST)).unwrap_or(0)
}

fn page<C>(
    reader: &Reader<C>,
    first: Option<i32>,
    offset: Option<i64>,
) -> async_graphql::Result<Page> {
    let first = first.unwrap_or(DEFAULT_FIRST);
    if !(0..=MAX_FIRST).contains(&first) {
        return Err(invalid(
            reader,
            "first",
            format!("must be from 0 to {MAX_FIRST}"),
        ));
    }
    let offset = offset.unwrap_or(0);
    let offset = u32::try_from(offset)
        .ok()
        .filter(|o| *o <= 100_000)
        .ok_or_else(|| invalid(reader, "offset", "must be from 0 to 100000"))?;
    Ok(Page {
        limit: first as u32,
        offset,
    })
}

async fn pricing<C: Sql>(
    reader: &Reader<C>,
    region_id: Option<ID>,
    currency_code: Option<String>,
) -> async_graphql::Result<Arc<Pricing>> {
    let region = region_id
        .map(|id| RegionId::parse(&id).map_err(|e| invalid(reader, "regionId", e.to_string())))
        .transpose()?;
    let currency = currency_code
        .map(|c| {
            CurrencyCode::parse(&c.to_ascii_lowercase())
                .map_err(|e| invalid(reader, "currencyCode", e.to_string()))
        })
        .transpose()?;
    Pricing::resolve(
        &reader.client,
        &reader.store.id,
        &reader.regions,
        region,
        currency,
    )
    .await
    .map(Arc::new)
    .map_err(|e| api(reader, e))
}

/// The domain's filter of a list's arguments; `None` when it can match nothing (a
/// category the store does not have).
async fn filter<C: Sql>(
    reader: &Reader<C>,
    args: ListArgs,
) -> async_graphql::Result<Option<ProductFilter>> {
    let mut filter = ProductFilter::default();
    if let Some(handle) = args.category {
        let handle = Handle::parse(&handle).map_err(|e| invalid(reader, "category", e))?;
        let wanted = CategoryFilter {
            handles: Some(vec![handle]),
            ..CategoryFilter::default()
        };
        let one = Page {
            limit: 1,
            offset: 0,
        };
        let (found, _) = category::list(&reader.client, &reader.store.id, &wanted, None, one)
            .await
            .map_err(|e| api(reader, e))?;
        let Some(category) = found.into_iter().next() else {
            return Ok(None);
        };
        filter.category_ids = Some(vec![category.id]);
    }
    if let Some(q) = args.q {
        filter.q = Some(SearchText::parse(&q).map_err(|e| api(reader, e))?);
    }
    for given in args.attributes.into_iter().flatten() {
        if given.key.trim().is_empty() || given.values.is_empty() {
            return Err(invalid(
                reader,
                "attributes",
                "every attribute needs a key and values",
            ));
        }
        filter.attributes.push(OptionFilter {
            name: given.key,
            values: given.values,
        });
    }
    if let Some(stage) = args.glp1_stage {
        filter.attributes.push(OptionFilter {
            name: GLP1_STAGE.to_owned(),
            values: vec![stage],
        });
    }
    Ok(Some(filter))
}

fn nodes<C>(reader: &Reader<C>, products: Vec<Product>, pricing: Arc<Pricing>) -> Vec<ProductNode> {
    let images = Arc::<str>::from(reader.image_base.as_str());
    products
        .into_iter()
        .map(|p| ProductNode {
            product: Arc::new(p),
            pricing: Arc::clone(&pricing),
            images: Arc::clone(&images),
        })
        .collect()
}

/// A list's cursor: its position, opaque to clients.
fn cursor_of(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("product:{position}"))
}

fn offset_of(cursor: &str) -> Option<i64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    text.strip_prefix("product:")?
        .parse()
        .ok()
        .filter(|o| *o >= 0)
}

// ---------------------------------------------------------------- types

/// A published product with its prices in the asked region or currency.
pub struct ProductNode {
    product: Arc<Product>,
    pricing: Arc<Pricing>,
    images: Arc<str>,
}

#[Object(name = "Product")]
impl ProductNode {
    async fn id(&self) -> ID {
        ID(self.product.id.as_str().to_owned())
    }
    async fn handle(&self) -> &str {
        &self.product.handle
    }
    async fn title(&self) -> &str {
        &self.product.title
    }
    async fn subtitle(&self) -> Option<&str> {
        self.product.subtitle.as_deref()
    }
    async fn description(&self) -> &str {
        &self.product.description
    }
    /// The first image's URL.
    async fn thumbnail(&self) -> Option<String> {
        self.product
            .thumbnail_key
            .as_deref()
            .map(|k| format!("{}{k}", self.images))
    }
    async fn images(&self) -> Vec<ImageNode> {
        self.product
            .images
            .iter()
            .map(|i| ImageNode {
                id: ID(i.id.as_str().to_owned()),
                url: format!("{}{}", self.images, i.r2_key),
                alt: i.alt.clone(),
                width: i.width,
                height: i.height,
            })
            .collect()
    }
    async fn variants(&self) -> Vec<VariantNode> {
        (0..self.product.variants.len())
            .map(|i| VariantNode {
                product: Arc::clone(&self.product),
                pricing: Arc::clone(&self.pricing),
                index: i,
            })
            .collect()
    }
    /// The options shoppers choose among ("Size": S, M, L).
    async fn options(&self) -> Vec<ProductOptionNode> {
        self.product
            .options
            .iter()
            .map(|o| ProductOptionNode {
                id: ID(o.id.as_str().to_owned()),
                title: o.title.clone(),
                values: o.values.iter().map(|v| v.value.clone()).collect(),
            })
            .collect()
    }
    async fn categories(&self) -> Vec<CategoryNode> {
        self.product
            .categories
            .iter()
            .map(|c| CategoryNode {
                id: ID(c.id.as_str().to_owned()),
                name: c.name.clone(),
                handle: c.handle.clone(),
            })
            .collect()
    }
    async fn collection(&self) -> Option<CollectionNode> {
        self.product.collection.as_ref().map(|c| CollectionNode {
            id: ID(c.id.as_str().to_owned()),
            title: c.title.clone(),
            handle: c.handle.clone(),
        })
    }
    /// What to know about the product (how to use it, what it suits), as typed in the
    /// rich text grammar (`## ` headings, `- ` lists, `**bold**`, links); empty when
    /// there is none.
    async fn educational_content(&self) -> &str {
        &self.product.educational_content
    }
    /// The same as HTML made from that grammar alone: safe to show as it is.
    async fn educational_content_html(&self) -> String {
        crate::catalog::rich_text::to_html(&self.product.educational_content)
    }
    /// Every attribute value, in the store's order of its attributes.
    async fn attributes(&self) -> Vec<AttributeNode> {
        self.product
            .attributes
            .iter()
            .map(|a| AttributeNode {
                key: a.key.clone(),
                label: a.label.clone(),
                value: a.display(),
                raw: a.value.to_string(),
            })
            .collect()
    }
    /// One attribute's value as shoppers read it, by key; null if the product has none.
    async fn attribute(&self, key: String) -> Option<String> {
        self.product
            .attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.display())
    }
    /// The attribute `glp1_stage` (starting, active, maintenance).
    async fn glp1_stage(&self) -> Option<String> {
        self.product
            .attributes
            .iter()
            .find(|a| a.key == GLP1_STAGE)
            .and_then(|a| a.value.as_str().map(str::to_owned))
    }
    /// Whether a shopper can buy one of its variants now.
    async fn purchasable(&self) -> bool {
        self.product.variants.iter().any(VariantRow::purchasable)
    }
    async fn created_at(&self) -> &str {
        &self.product.created_at
    }
    async fn updated_at(&self) -> &str {
        &self.product.updated_at
    }
}

/// One variant of a product (its size and colour), with its price.
pub struct VariantNode {
    product: Arc<Product>,
    pricing: Arc<Pricing>,
    index: usize,
}

impl VariantNode {
    fn row(&self) -> &VariantRow {
        &self.product.variants[self.index]
    }
}

#[Object(name = "Variant")]
impl VariantNode {
    async fn id(&self) -> ID {
        ID(self.row().id.as_str().to_owned())
    }
    async fn title(&self) -> &str {
        &self.row().title
    }
    async fn sku(&self) -> Option<&str> {
        self.row().sku.as_deref()
    }
    /// The option values this variant is made of.
    async fn options(&self) -> Vec<VariantOptionNode> {
        self.row()
            .options
            .iter()
            .map(|v| VariantOptionNode {
                option: self
                    .product
                    .options
                    .iter()
                    .find(|o| o.id == v.option_id)
                    .map(|o| o.title.clone())
                    .unwrap_or_default(),
                value: v.value.clone(),
            })
            .collect()
    }
    /// Its price in the asked region (with and without its tax) or currency; null
    /// without either, or when the variant has no price in that currency.
    async fn price(&self) -> Option<PriceNode> {
        let currency = self.pricing.currency()?;
        let amount = Money::new(self.row().price.as_ref()?.amount, currency);
        let taxed = match &*self.pricing {
            Pricing::Region(region) => {
                apply_tax(amount, region.tax_rate, region.tax_inclusive).ok()
            }
            _ => None,
        };
        Some(PriceNode {
            amount: amount.minor(),
            currency_code: currency.as_str().to_owned(),
            display: amount.to_decimal_string(),
            amount_with_tax: taxed.as_ref().map(|t| t.gross.minor()),
            amount_without_tax: taxed.as_ref().map(|t| t.net.minor()),
            tax_inclusive: matches!(&*self.pricing, Pricing::Region(r) if r.tax_inclusive && taxed.is_some()),
        })
    }
    /// Whether a shopper can buy one now (in stock, backorders allowed, or stock not
    /// managed).
    async fn purchasable(&self) -> bool {
        self.row().purchasable()
    }
    /// Whether stock is on hand (or not managed): it can ship now.
    async fn in_stock(&self) -> bool {
        let row = self.row();
        !row.manage_inventory || row.inventory_quantity > 0
    }
}

/// A price in minor units of its currency (cents).
#[derive(SimpleObject)]
struct PriceNode {
    amount: i64,
    currency_code: String,
    /// The amount in major units as text ("12.50").
    display: String,
    /// In a region: the amount with its tax, and without.
    amount_with_tax: Option<i64>,
    amount_without_tax: Option<i64>,
    /// Whether `amount` already contains the region's tax.
    tax_inclusive: bool,
}

#[derive(SimpleObject)]
#[graphql(name = "Image")]
struct ImageNode {
    id: ID,
    url: String,
    alt: String,
    width: i32,
    height: i32,
}

#[derive(SimpleObject)]
#[graphql(name = "ProductOption")]
struct ProductOptionNode {
    id: ID,
    title: String,
    values: Vec<String>,
}

#[derive(SimpleObject)]
#[graphql(name = "VariantOption")]
struct VariantOptionNode {
    /// The option's title ("Size").
    option: String,
    value: String,
}

#[derive(SimpleObject)]
#[graphql(name = "Category")]
struct CategoryNode {
    id: ID,
    name: String,
    handle: String,
}

#[derive(SimpleObject)]
#[graphql(name = "Collection")]
struct CollectionNode {
    id: ID,
    title: String,
    handle: String,
}

#[derive(SimpleObject)]
#[graphql(name = "Attribute")]
struct AttributeNode {
    key: String,
    label: String,
    /// As shoppers read it ("Yes", "250", "linen").
    value: String,
    /// As stored, JSON text (`true`, `250`, `"linen"`).
    raw: String,
}

#[derive(SimpleObject)]
#[graphql(name = "Region")]
struct RegionNode {
    id: ID,
    name: String,
    currency_code: String,
    tax_inclusive: bool,
    /// ISO 3166-1 alpha-2 codes, lower case.
    countries: Vec<String>,
}

/// A page of a product list.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ProductConnection {
    /// Products the whole list holds.
    total_count: i64,
    edges: Vec<ProductEdge>,
    page_info: PageInfo,
    #[graphql(skip)]
    facets: Option<FacetsNode>,
}

#[ComplexObject]
impl ProductConnection {
    /// The list's products (the edges' nodes).
    async fn nodes(&self) -> Vec<&ProductNode> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    /// The menus of the list's scope (its category and search), each value with its
    /// number of products.
    async fn facets(&self) -> Option<&FacetsNode> {
        self.facets.as_ref()
    }
}

impl ProductConnection {
    fn empty() -> Self {
        ProductConnection {
            total_count: 0,
            edges: Vec::new(),
            page_info: PageInfo {
                has_next_page: false,
                end_cursor: None,
            },
            facets: None,
        }
    }
}

#[derive(SimpleObject)]
pub struct ProductEdge {
    cursor: String,
    node: ProductNode,
}

#[derive(SimpleObject)]
pub struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

/// A listing's menus.
pub struct FacetsNode(Facets);

#[Object(name = "Facets")]
impl FacetsNode {
    async fn options(&self) -> Vec<FacetNode<'_>> {
        self.0.options.iter().map(FacetNode).collect()
    }
    async fn attributes(&self) -> Vec<FacetNode<'_>> {
        self.0.attributes.iter().map(FacetNode).collect()
    }
    /// Categories by id.
    async fn categories(&self) -> Vec<FacetValueNode<'_>> {
        self.0.categories.iter().map(FacetValueNode).collect()
    }
    /// Collections by id.
    async fn collections(&self) -> Vec<FacetValueNode<'_>> {
        self.0.collections.iter().map(FacetValueNode).collect()
    }
    /// Products with a variant that can ship now.
    async fn in_stock(&self) -> i64 {
        self.0.in_stock
    }
}

pub struct FacetNode<'a>(&'a Facet);

#[Object(name = "Facet")]
impl FacetNode<'_> {
    /// As a filter takes it (an attribute's key, an option's lower-case name).
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn values(&self) -> Vec<FacetValueNode<'_>> {
        self.0.values.iter().map(FacetValueNode).collect()
    }
}

pub struct FacetValueNode<'a>(&'a FacetValue);

#[Object(name = "FacetValue")]
impl FacetValueNode<'_> {
    /// As a filter takes it.
    async fn value(&self) -> &str {
        &self.0.value
    }
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn products(&self) -> i64 {
        self.0.products
    }
}
