//! Customer accounts. A customer belongs to one store and signs in with an e-mail and
//! a password (an identity, Medusa's auth identity), getting a JWT ([`jwt`]) or a
//! session cookie; they keep a profile and an address book, and see the orders of the
//! carts that were theirs. Passwords and tokens are the staff's ([`crate::staff`]):
//! argon2id, the same length and common-password rules, random tokens kept hashed.
//! [`repo`] is the SQL, [`json`] Medusa's shapes.

pub mod json;
pub mod jwt;
mod repo;

pub use self::repo::{
    add_address, address, addresses, create_customer, customer, delete_address, end_session,
    identity, open_session, register, request_reset, reset_is_open, reset_password, session,
    sign_in, update_address, update_customer, verification_link, verify_email, Reset,
    MAX_ADDRESSES, VERIFY_TTL_S,
};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cart::Address;
use crate::email::Email;
use crate::error::ApiError;
use crate::ids::{AuthIdentityId, CustomerAddressId, CustomerId, StoreId};

/// The words of every failed sign-in (Medusa's): an unknown e-mail and a wrong
/// password read the same.
pub const SIGN_IN_FAILED: &str = "Invalid email or password";

/// How long a session cookie lives: thirty days from sign-in.
pub const SESSION_TTL_S: i64 = 30 * 24 * 3600;

/// How long a reset link works: an hour.
pub const RESET_TTL_S: i64 = 3600;

/// Who a request is signed in as: an identity of the request's store, and its customer
/// once made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub identity: AuthIdentityId,
    pub store_id: StoreId,
    pub email: String,
    pub customer: Option<CustomerId>,
    /// The identity's token generation (a password reset counts it up).
    pub generation: i32,
}

impl Principal {
    /// The customer, or 401 for an identity whose customer is not made yet.
    pub fn customer(&self) -> Result<&CustomerId, ApiError> {
        self.customer.as_ref().ok_or_else(|| ApiError::NotSignedIn {
            message: "Make the customer of this account first (POST /store/customers).".into(),
        })
    }
}

/// A customer as stored, with their addresses, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    pub store_id: StoreId,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub company_name: String,
    pub email_verified: bool,
    pub addresses: Vec<CustomerAddress>,
    /// ISO 8601, UTC.
    pub created_at: String,
    pub updated_at: String,
}

impl Customer {
    /// "First Last", or the e-mail address without a name.
    pub fn display_name(&self) -> String {
        let name = format!("{} {}", self.first_name, self.last_name);
        match name.trim() {
            "" => self.email.clone(),
            name => name.to_owned(),
        }
    }

    pub fn default_shipping(&self) -> Option<&CustomerAddress> {
        self.addresses.iter().find(|a| a.is_default_shipping)
    }

    pub fn default_billing(&self) -> Option<&CustomerAddress> {
        self.addresses.iter().find(|a| a.is_default_billing)
    }
}

/// An address of the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerAddress {
    pub id: CustomerAddressId,
    pub customer_id: CustomerId,
    /// The customer's name for it ("Home", "Office"); may be empty.
    pub address_name: String,
    pub address: Address,
    pub is_default_shipping: bool,
    pub is_default_billing: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A trimmed text field of at most `max` characters without control characters.
fn text(value: &str, name: &str, max: usize) -> Result<String, ApiError> {
    let t = value.trim();
    if t.chars().count() > max {
        return Err(ApiError::invalid(name, format!("at most {max} characters")));
    }
    if t.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            name,
            "control characters are not accepted",
        ));
    }
    Ok(t.to_owned())
}

/// The profile fields of `POST /store/customers` and `POST /store/customers/me`; an
/// absent field keeps its value.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProfileBody {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub company_name: Option<String>,
    /// Accepted and not kept (Medusa's storefronts send it).
    #[serde(default)]
    pub metadata: Option<Value>,
}

/// A profile change, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub company_name: Option<String>,
}

impl Profile {
    /// The checked fields of `body`. Its e-mail, when sent, must be the account's
    /// (`account_email`): the address is the identity's and changes with it only.
    pub fn parse(body: &ProfileBody, account_email: &str) -> Result<Self, ApiError> {
        if let Some(email) = &body.email {
            let email = Email::parse(email).map_err(|e| e.for_field("email"))?;
            if email.lookup_key() != account_email {
                return Err(ApiError::invalid(
                    "email",
                    "must be the address the account signs in with",
                ));
            }
        }
        let field = |v: &Option<String>, name: &str, max| {
            v.as_deref().map(|v| text(v, name, max)).transpose()
        };
        Ok(Profile {
            first_name: field(&body.first_name, "first_name", 100)?,
            last_name: field(&body.last_name, "last_name", 100)?,
            phone: field(&body.phone, "phone", 40)?,
            company_name: field(&body.company_name, "company_name", 200)?,
        })
    }
}

/// The book's own fields of an address body (the postal ones are [`Address`]'s).
#[derive(Debug, Clone, Default, Deserialize)]
struct AddressExtras {
    address_name: Option<String>,
    is_default_shipping: Option<bool>,
    is_default_billing: Option<bool>,
}

/// An address to add, or a change of one (absent fields keep their value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressInput {
    pub address: Address,
    /// Which postal fields the body named (an update changes only those).
    pub named: Vec<&'static str>,
    pub address_name: Option<String>,
    pub is_default_shipping: Option<bool>,
    pub is_default_billing: Option<bool>,
}

impl AddressInput {
    /// The address of a Store API body (Medusa's flat fields) or a form.
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        let address = Address::parse(body, "")?;
        let extras: AddressExtras = serde_json::from_value(body.clone())
            .map_err(|e| ApiError::invalid("body", e.to_string()))?;
        let named = Address::FIELDS
            .iter()
            .copied()
            .filter(|f| body.get(*f).is_some())
            .collect();
        Ok(AddressInput {
            address,
            named,
            address_name: extras
                .address_name
                .as_deref()
                .map(|n| text(n, "address_name", 100))
                .transpose()?,
            is_default_shipping: extras.is_default_shipping,
            is_default_billing: extras.is_default_billing,
        })
    }

    /// `current` with this change applied: the named postal fields, the name.
    pub fn applied_to(&self, current: &CustomerAddress) -> (Address, String) {
        let mut address = current.address.clone();
        address.overwrite(&self.address, &self.named);
        let name = self
            .address_name
            .clone()
            .unwrap_or_else(|| current.address_name.clone());
        (address, name)
    }
}
