//! Products at `/admin/products`: the pages, and Medusa's product paths of the admin
//! API on the same routes (`{products, count, offset, limit}`, `{product}`). A product's
//! own fields only; each change is audited in the same transaction, and
//! `commerce::catalog::edit` checks the fields and sends the event.

use commerce::catalog::edit::options::OptionInput;
use commerce::catalog::edit::variant::{self, VariantInput};
use commerce::catalog::edit::{self, admin_product_json, ProductInput};
use commerce::ids::ProductId;
use commerce::staff::audit::Entry;
use commerce::ApiError;
use serde::Deserialize;
use serde_json::json;
use storefront::admin::products::{
    product_filter, product_form, product_page, products_page, GenerateNotice, ImageNotice,
    OptionNotice, ProductNotice, ProductPageParts, ProductQuery, ValuesNotice, VariantNotice,
};
use tokio_postgres::Client;
use worker::Response;

use super::options::OptionBody;
use super::variants::VariantBody;
use super::{api_json, audited, render, SavedQuery};
use crate::context::Cx;
use crate::http;

/// The product of the path's `:id`; a malformed id is not found.
pub(super) fn product_id(cx: &Cx) -> Result<ProductId, ApiError> {
    let raw = cx.param(0);
    ProductId::parse(raw).map_err(|_| ApiError::not_found("Product", "id", raw.to_owned()))
}

/// `GET /admin/products?q=&status=&offset=`: the page, or Medusa's list.
pub async fn list(cx: &mut Cx) -> Result<Response, ApiError> {
    let query: ProductQuery = cx.query_as()?;
    let (filter, page) = product_filter(&query)?;
    if cx.wants_json() {
        let store = &cx.member()?.store_id;
        let (rows, count) = cx
            .with_db(async |client: &Client| edit::list(client, store, &filter, page).await)
            .await?;
        let base = cx.image_base();
        let products: Vec<_> = rows.iter().map(|p| admin_product_json(p, &base)).collect();
        return api_json(&json!({
            "products": products, "count": count, "offset": page.offset, "limit": page.limit,
        }));
    }
    render(cx, async |client, member, shell| {
        let (rows, total) = edit::list(client, &member.store_id, &filter, page).await?;
        products_page(shell, member, &query, &rows, total, page)
    })
    .await
}

/// `GET /admin/products/new`: the form for a new product.
pub async fn new(cx: &mut Cx) -> Result<Response, ApiError> {
    render(cx, async |_, member, shell| {
        product_page(shell, member, ProductPageParts::default(), 200)
    })
    .await
}

/// The refused forms a product's page shows again, each as typed with its problems.
#[derive(Default)]
pub(super) struct Refused {
    pub product: Option<ProductNotice>,
    pub variant: Option<VariantNotice>,
    pub option: Option<OptionNotice>,
    pub generate: Option<GenerateNotice>,
    pub image: Option<ImageNotice>,
    pub values: Option<ValuesNotice>,
}

/// The product's page (a new one when `id` is none): `refused` re-shows refused forms,
/// `saved` says what was saved.
pub(super) async fn page(
    cx: &Cx,
    id: Option<&ProductId>,
    refused: Refused,
    saved: Option<&str>,
    status: u16,
) -> Result<Response, ApiError> {
    render(cx, async |client, member, shell| {
        let product = match id {
            Some(id) => Some(edit::one(client, &member.store_id, id).await?),
            None => None,
        };
        let currencies = variant::store_currencies(client, &member.store_id).await?;
        let categories = edit::category::tree(client, &member.store_id).await?;
        let collections = edit::collection::collections(client, &member.store_id).await?;
        let in_categories = match id {
            Some(id) => edit::category::product_categories(client, &member.store_id, id).await?,
            None => Vec::new(),
        };
        let attributes =
            commerce::catalog::attribute::repo::attributes(client, &member.store_id).await?;
        let parts = ProductPageParts {
            categories: &categories,
            collections: &collections,
            in_categories: &in_categories,
            product: product.as_ref(),
            notice: refused.product,
            variant: refused.variant,
            option: refused.option,
            generate: refused.generate,
            image: refused.image,
            currencies: &currencies,
            saved,
            attributes: &attributes,
            values: refused.values,
        };
        product_page(shell, member, parts, status)
    })
    .await
}

/// The product's page with its attribute values form refused by `err`, as typed.
pub(super) async fn page_with_attributes(
    cx: &Cx,
    id: &ProductId,
    typed: std::collections::BTreeMap<String, String>,
    err: &ApiError,
) -> Result<Response, ApiError> {
    let refused = Refused {
        values: Some(ValuesNotice {
            typed,
            message: err.reason(),
        }),
        ..Refused::default()
    };
    page(cx, Some(id), refused, None, err.status()).await
}

/// The product as Medusa's admin API answers it.
pub(super) async fn answer(cx: &Cx, id: &ProductId) -> Result<Response, ApiError> {
    let store = &cx.member()?.store_id;
    let product = cx
        .with_db(async |client: &Client| edit::one(client, store, id).await)
        .await?;
    api_json(&json!({ "product": admin_product_json(&product, &cx.image_base()) }))
}

/// `GET /admin/products/:id`: the page, or Medusa's `{product}`.
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    if cx.wants_json() {
        return answer(cx, &id).await;
    }
    let query: SavedQuery = cx.query_as()?;
    let saved = match query.saved.as_str() {
        "created" => Some("Created as a draft. Add its variants, then publish it."),
        "saved" => Some("Saved. The shop shows the change within a few minutes."),
        "variant" => Some("Variant added. Give it stock from its stock page, then publish."),
        "option" => Some("Option saved."),
        "option-removed" => Some("Option removed."),
        "generated" => Some("Variants made. Give them stock from their stock pages, then publish."),
        "variant-removed" => Some("Variant removed."),
        "image" => Some("Images saved. The shop shows them within a few minutes."),
        "organized" => Some("Categories and collection saved."),
        "attributes" => Some("Attributes saved. The shop shows them within a few minutes."),
        _ => None,
    };
    page(cx, Some(&id), Refused::default(), saved, 200).await
}

/// Medusa's product body, as far as this store writes it: absent fields stay as they
/// are on an update. A new product may bring its options and variants; an update
/// writes those through their own paths.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ProductBody {
    title: Option<String>,
    handle: Option<String>,
    subtitle: Option<String>,
    description: Option<String>,
    educational_content: Option<String>,
    status: Option<String>,
    options: Vec<OptionBody>,
    variants: Vec<VariantBody>,
}

impl ProductBody {
    /// `base` with the fields the body names.
    fn over(&mut self, base: ProductInput) -> ProductInput {
        ProductInput {
            title: self.title.take().unwrap_or(base.title),
            handle: self.handle.take().unwrap_or(base.handle),
            subtitle: self.subtitle.take().unwrap_or(base.subtitle),
            description: self.description.take().unwrap_or(base.description),
            educational_content: self
                .educational_content
                .take()
                .unwrap_or(base.educational_content),
            status: self.status.take().unwrap_or(base.status),
        }
    }
}

/// Creates a product from `input` with its options and variants and the audit record,
/// all or nothing; answers its id. A product asked for as published is published once
/// its variants are in.
async fn create_from(
    cx: &Cx,
    input: &ProductInput,
    options: Vec<OptionInput>,
    variants: Vec<VariantInput>,
) -> Result<ProductId, ApiError> {
    let fields = input.check().map_err(|e| e.into_error())?;
    let options = options
        .iter()
        .map(|o| o.check().map_err(|e| e.into_error()))
        .collect::<Result<Vec<_>, _>>()?;
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let id = edit::create_whole(tx, &store, &fields, &options, &variants, Some(&trace)).await?;
        let entry = Entry {
            action: "product.create",
            target_id: None,
            change: json!({
                "id": id, "title": [null, fields.title], "handle": [null, fields.handle.as_str()],
                "options": options.len(), "variants": variants.len(),
            }),
        };
        Ok((id, entry))
    })
    .await
}

/// Changes product `id` to `input` with its audit record.
async fn update_from(cx: &Cx, id: &ProductId, input: &ProductInput) -> Result<(), ApiError> {
    let fields = input.check().map_err(|e| e.into_error())?;
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        let before = edit::update(tx, &store, id, &fields, Some(&trace)).await?;
        let entry = Entry {
            action: "product.update",
            target_id: Some(id.as_str()),
            change: json!({
                "title": [before.title, fields.title],
                "handle": [before.handle, fields.handle.as_str()],
                "status": [before.status.as_str(), fields.status.as_str()],
            }),
        };
        Ok(((), entry))
    })
    .await
}

/// The refusal of a form as the page shows it: every field's problem when the fields
/// themselves are wrong, else the one error.
async fn refused(
    cx: &Cx,
    id: Option<&ProductId>,
    form: ProductInput,
    err: &ApiError,
) -> Result<Response, ApiError> {
    let notice = match form.check() {
        Err(errors) => ProductNotice {
            form,
            errors,
            message: None,
        },
        Ok(_) => ProductNotice::refused(form, err),
    };
    let refused = Refused {
        product: Some(notice),
        ..Refused::default()
    };
    page(cx, id, refused, None, err.status()).await
}

/// `POST /admin/products`: a new product (a draft until it has variants).
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    if cx.wants_json() {
        let mut body: ProductBody = cx.json_as().await?;
        let input = body.over(ProductInput::default());
        let options = body
            .options
            .into_iter()
            .map(|o| OptionInput {
                title: o.title.unwrap_or_default(),
                values: o.values.unwrap_or_default(),
            })
            .collect();
        let variants = body
            .variants
            .into_iter()
            .map(VariantBody::into_new)
            .collect();
        let id = create_from(cx, &input, options, variants).await?;
        return answer(cx, &id).await;
    }
    let form: ProductInput = cx.form().await?;
    match create_from(cx, &form, Vec::new(), Vec::new()).await {
        Ok(id) => http::see_other(&format!("/admin/products/{}?saved=created", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            refused(cx, None, form, &err).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/products/:id`: changes the product's own fields.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    if cx.wants_json() {
        let mut body: ProductBody = cx.json_as().await?;
        if !body.options.is_empty() || !body.variants.is_empty() {
            return Err(ApiError::invalid(
                "variants",
                "write options and variants through /admin/products/:id/options and /variants",
            ));
        }
        let store = cx.member()?.store_id.clone();
        let current = cx
            .with_db(async |client: &Client| edit::one(client, &store, &id).await)
            .await?;
        let input = body.over(product_form(&current));
        update_from(cx, &id, &input).await?;
        return answer(cx, &id).await;
    }
    let form: ProductInput = cx.form().await?;
    match update_from(cx, &id, &form).await {
        Ok(()) => http::see_other(&format!("/admin/products/{}?saved=saved", id.as_str())),
        Err(err @ (ApiError::InvalidParam { .. } | ApiError::Conflict { .. })) => {
            refused(cx, Some(&id), form, &err).await
        }
        Err(err) => Err(err),
    }
}

/// `POST /admin/products/:id/organize`: the categories the product is in (a box
/// `category.<id>` each) and its collection (`collection_id`, empty: none).
pub async fn organize(cx: &mut Cx) -> Result<Response, ApiError> {
    let id = product_id(cx)?;
    let form: std::collections::BTreeMap<String, String> = cx.form().await?;
    let mut categories = Vec::new();
    for (key, value) in &form {
        if let (Some(raw), "yes") = (key.strip_prefix("category."), value.as_str()) {
            let category = commerce::ids::CategoryId::parse(raw)
                .map_err(|_| ApiError::invalid("categories", "Choose categories from the list."))?;
            categories.push(category);
        }
    }
    let collection = match form
        .get("collection_id")
        .map(|c| c.trim())
        .unwrap_or_default()
    {
        "" => None,
        raw => Some(commerce::ids::CollectionId::parse(raw).map_err(|_| {
            ApiError::invalid("collection_id", "Choose a collection from the list.")
        })?),
    };
    let store = cx.member()?.store_id.clone();
    let trace = cx.trace_id.clone();
    audited(cx, async |tx: &Client| {
        edit::category::set_product_categories(tx, &store, &id, &categories, Some(&trace)).await?;
        edit::collection::set_product_collection(
            tx,
            &store,
            &id,
            collection.as_ref(),
            Some(&trace),
        )
        .await?;
        let entry = Entry {
            action: "product.organize",
            target_id: Some(id.as_str()),
            change: json!({ "categories": categories, "collection_id": collection }),
        };
        Ok(((), entry))
    })
    .await?;
    http::see_other(&format!("/admin/products/{}?saved=organized", id.as_str()))
}
