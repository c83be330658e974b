//! The signed-in customer's Store API, Medusa's routes: the customer made for a new
//! identity, their profile, their address book, their orders, and a cart handed to
//! them. Everything is read in the customer's own store and book: another's id is
//! not found.

use commerce::cart::CartCustomer;
use commerce::cart_api::CartOp;
use commerce::customer::json::{
    AddressDeleted, AddressResponse, AddressShape, CustomerResponse, CustomerShape,
};
use commerce::customer::{self, AddressInput, Customer, Profile, ProfileBody};
use commerce::email::Email;
use commerce::ids::CustomerId;
use commerce::order::{self, order_json, History, OrderStatus};
use commerce::params::{Page, QueryParams};
use commerce::store::Store;
use commerce::wire::ListPage;
use commerce::ApiError;
use serde_json::Value;
use std::rc::Rc;
use tokio_postgres::Client;
use worker::Response;

use crate::context::Cx;
use crate::http;

/// The signed-in customer's id and store.
fn me(cx: &Cx) -> Result<(CustomerId, Rc<Store>), ApiError> {
    Ok((cx.principal()?.customer()?.clone(), cx.store()?))
}

fn customer_response(customer: &Customer) -> Result<Response, ApiError> {
    private(http::json(
        200,
        &CustomerResponse {
            customer: CustomerShape::of(customer),
        },
    )?)
}

/// Personal answers are never stored by a cache.
fn private(mut response: Response) -> Result<Response, ApiError> {
    response
        .headers_mut()
        .set("cache-control", "private, no-store")
        .map_err(http::internal)?;
    Ok(response)
}

/// `POST /store/customers`: the customer of the token's identity, once.
pub async fn create(cx: &mut Cx) -> Result<Response, ApiError> {
    let who = cx.principal()?.clone();
    let body: ProfileBody = cx.json_as().await?;
    let profile = Profile::parse(&body, &who.email)?;
    let customer = cx
        .with_db(async |client: &Client| customer::create_customer(client, &who, &profile).await)
        .await?;
    customer_response(&customer)
}

/// `GET /store/customers/me`
pub async fn show(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, store) = me(cx)?;
    let customer = cx
        .with_db(async |client: &Client| customer::customer(client, &store.id, &id).await)
        .await?;
    customer_response(&customer)
}

/// `POST /store/customers/me`: first and last name, phone, company.
pub async fn update(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, store) = me(cx)?;
    let email = cx.principal()?.email.clone();
    let body: ProfileBody = cx.json_as().await?;
    let profile = Profile::parse(&body, &email)?;
    let customer = cx
        .with_db(async |client: &Client| {
            customer::update_customer(client, &store.id, &id, &profile).await
        })
        .await?;
    customer_response(&customer)
}

fn query(cx: &Cx) -> QueryParams {
    QueryParams::from_pairs(cx.url.query_pairs())
}

/// `GET /store/customers/me/addresses`: `{addresses, count, offset, limit}`.
pub async fn addresses(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, store) = me(cx)?;
    let page = Page::parse(&query(cx), 50)?;
    let (list, count) = cx
        .with_db(async |client: &Client| customer::addresses(client, &store.id, &id, page).await)
        .await?;
    let shapes: Vec<AddressShape> = list.iter().map(AddressShape::of).collect();
    private(http::json(
        200,
        &ListPage {
            name: "addresses",
            items: &shapes,
            count,
            page,
        },
    )?)
}

/// `GET /store/customers/me/addresses/:id`
pub async fn address(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, store) = me(cx)?;
    let address_id = cx.param(0).to_owned();
    let address = cx
        .with_db(async |client: &Client| {
            customer::address(client, &store.id, &id, &address_id).await
        })
        .await?;
    private(http::json(
        200,
        &AddressResponse {
            address: AddressShape::of(&address),
        },
    )?)
}

/// `POST /store/customers/me/addresses`: `{customer}` with the new address.
pub async fn add_address(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, store) = me(cx)?;
    let body: Value = cx.json_body().await?;
    let input = AddressInput::parse(&body)?;
    let customer = cx
        .with_db(async |client: &Client| {
            customer::add_address(client, &store.id, &id, &input).await
        })
        .await?;
    customer_response(&customer)
}

/// `POST /store/customers/me/addresses/:id`: `{customer}` with the address changed.
pub async fn update_address(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, store) = me(cx)?;
    let address_id = cx.param(0).to_owned();
    let body: Value = cx.json_body().await?;
    let input = AddressInput::parse(&body)?;
    let customer = cx
        .with_db(async |client: &Client| {
            customer::update_address(client, &store.id, &id, &address_id, &input).await
        })
        .await?;
    customer_response(&customer)
}

/// `DELETE /store/customers/me/addresses/:id`: Medusa's deletion, the customer as its
/// parent.
pub async fn delete_address(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, store) = me(cx)?;
    let address_id = cx.param(0).to_owned();
    let customer = cx
        .with_db(async |client: &Client| {
            customer::delete_address(client, &store.id, &id, &address_id).await
        })
        .await?;
    private(http::json(
        200,
        &AddressDeleted {
            id: &address_id,
            object: "address",
            deleted: true,
            parent: CustomerShape::of(&customer),
        },
    )?)
}

/// `GET /store/orders`: the customer's orders, newest first (`status` filters).
pub async fn orders(cx: &mut Cx) -> Result<Response, ApiError> {
    let (id, store) = me(cx)?;
    let params = query(cx);
    let page = Page::parse(&params, 10)?;
    let status = params
        .single("status")?
        .map(|s| {
            OrderStatus::parse(s).map_err(|_| ApiError::invalid("status", "is not an order status"))
        })
        .transpose()?;
    let image_base = cx.image_base();
    let (list, count) = cx
        .with_db(async |client: &Client| {
            let customer = customer::customer(client, &store.id, &id).await?;
            let verified = customer.email_verified.then_some(customer.email.as_str());
            let of = History {
                store: &store.id,
                customer: &id,
                verified_email: verified,
            };
            order::history(client, of, status, page).await
        })
        .await?;
    let shapes: Vec<Value> = list.iter().map(|o| order_json(o, &image_base)).collect();
    private(http::json(
        200,
        &ListPage {
            name: "orders",
            items: &shapes,
            count,
            page,
        },
    )?)
}

/// `POST /store/carts/:id/customer`: the cart becomes the signed-in customer's (and
/// takes their e-mail); a cart of another customer is not found.
pub async fn take_cart(cx: &mut Cx) -> Result<Response, ApiError> {
    let owner = cart_customer(cx)?;
    let id = super::carts::path_cart(cx)?;
    super::carts::run(cx, id, CartOp::SetCustomer { customer: owner }).await
}

/// The signed-in customer as a cart keeps them.
pub fn cart_customer(cx: &Cx) -> Result<CartCustomer, ApiError> {
    let who = cx.principal()?;
    Ok(CartCustomer {
        id: who.customer()?.clone(),
        email: Email::parse(&who.email).map_err(|e| e.for_field("email"))?,
    })
}
