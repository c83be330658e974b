//! Staff in Medusa's Admin API shapes.

use serde::Serialize;

use super::Member;
use crate::ids::{StoreId, UserId};

/// `GET /admin/users/me`: Medusa's user, with the store the session works in and the
/// member's role there.
#[derive(Serialize)]
pub struct UserShape<'a> {
    id: &'a UserId,
    email: &'a str,
    first_name: &'a str,
    last_name: Option<&'a str>,
    avatar_url: (),
    metadata: (),
    store_id: &'a StoreId,
    store_name: &'a str,
    role: &'static str,
}

impl<'a> UserShape<'a> {
    pub fn of(m: &'a Member) -> Self {
        UserShape {
            id: &m.user_id,
            email: &m.email,
            first_name: &m.name,
            last_name: None,
            avatar_url: (),
            metadata: (),
            store_id: &m.store_id,
            store_name: &m.store_name,
            role: m.role.as_str(),
        }
    }
}

/// `{"user": ...}`
#[derive(Serialize)]
pub struct UserResponse<'a> {
    pub user: UserShape<'a>,
}

/// `POST /auth/user/emailpass`: the token for `Authorization: Bearer`.
#[derive(Serialize)]
pub struct TokenResponse<'a> {
    pub token: &'a str,
}
