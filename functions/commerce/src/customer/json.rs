//! Medusa's shapes of a customer and their addresses (`StoreCustomer`,
//! `StoreCustomerAddress`), and the bodies of the auth routes.

use serde::{Deserialize, Serialize};

use super::{Customer, CustomerAddress};
use crate::wire::Nulls;

/// `{token}`: what register, sign-in and refresh answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub token: String,
}

/// The body of `POST /auth/customer/emailpass` and `.../register`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EmailPass {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

/// The body of `POST /auth/customer/emailpass/reset-password`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResetRequestBody {
    #[serde(default)]
    pub identifier: String,
}

/// The body of `POST /auth/customer/emailpass/update`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PasswordBody {
    #[serde(default)]
    pub password: String,
}

/// An address as Medusa's Store API shows it.
#[derive(Serialize)]
pub struct AddressShape<'a> {
    pub id: &'a str,
    pub customer_id: &'a str,
    pub address_name: Option<&'a str>,
    pub is_default_shipping: bool,
    pub is_default_billing: bool,
    pub company: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub address_1: Option<&'a str>,
    pub address_2: Option<&'a str>,
    pub city: Option<&'a str>,
    pub country_code: Option<&'a str>,
    pub province: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub created_at: &'a str,
    pub updated_at: &'a str,
    #[serde(flatten)]
    pub unkept: Nulls,
}

impl<'a> AddressShape<'a> {
    pub fn of(a: &'a CustomerAddress) -> Self {
        let p = &a.address;
        AddressShape {
            id: a.id.as_str(),
            customer_id: a.customer_id.as_str(),
            address_name: Some(a.address_name.as_str()).filter(|n| !n.is_empty()),
            is_default_shipping: a.is_default_shipping,
            is_default_billing: a.is_default_billing,
            company: p.company.as_deref(),
            first_name: p.first_name.as_deref(),
            last_name: p.last_name.as_deref(),
            address_1: p.address_1.as_deref(),
            address_2: p.address_2.as_deref(),
            city: p.city.as_deref(),
            country_code: p.country_code.as_deref(),
            province: p.province.as_deref(),
            postal_code: p.postal_code.as_deref(),
            phone: p.phone.as_deref(),
            created_at: &a.created_at,
            updated_at: &a.updated_at,
            unkept: Nulls(&["metadata"]),
        }
    }
}

/// A customer as Medusa's Store API shows them.
#[derive(Serialize)]
pub struct CustomerShape<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub company_name: Option<&'a str>,
    pub has_account: bool,
    pub default_shipping_address_id: Option<&'a str>,
    pub default_billing_address_id: Option<&'a str>,
    pub addresses: Vec<AddressShape<'a>>,
    pub created_at: &'a str,
    pub updated_at: &'a str,
    #[serde(flatten)]
    pub unkept: Nulls,
}

fn filled(s: &str) -> Option<&str> {
    Some(s).filter(|s| !s.is_empty())
}

impl<'a> CustomerShape<'a> {
    pub fn of(c: &'a Customer) -> Self {
        CustomerShape {
            id: c.id.as_str(),
            email: &c.email,
            first_name: filled(&c.first_name),
            last_name: filled(&c.last_name),
            phone: filled(&c.phone),
            company_name: filled(&c.company_name),
            has_account: true,
            default_shipping_address_id: c.default_shipping().map(|a| a.id.as_str()),
            default_billing_address_id: c.default_billing().map(|a| a.id.as_str()),
            addresses: c.addresses.iter().map(AddressShape::of).collect(),
            created_at: &c.created_at,
            updated_at: &c.updated_at,
            unkept: Nulls(&["metadata", "deleted_at"]),
        }
    }
}

/// `{customer}`.
#[derive(Serialize)]
pub struct CustomerResponse<'a> {
    pub customer: CustomerShape<'a>,
}

/// `{address}`.
#[derive(Serialize)]
pub struct AddressResponse<'a> {
    pub address: AddressShape<'a>,
}

/// `DELETE /store/customers/me/addresses/:id`: Medusa's deletion with the customer
/// as the parent.
#[derive(Serialize)]
pub struct AddressDeleted<'a> {
    pub id: &'a str,
    pub object: &'static str,
    pub deleted: bool,
    pub parent: CustomerShape<'a>,
}
