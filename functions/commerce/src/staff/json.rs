//! Staff in Medusa's Admin API shapes.

use serde::Serialize;

use super::api_key::ApiKey;
use super::{Member, PendingInvite};
use crate::ids::{ApiKeyId, StoreId, UserId};

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
    /// A built-in role's name, or the store's own role's id.
    role: &'a str,
    role_name: &'a str,
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
            role: m.role.key(),
            role_name: m.role.label(),
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

/// Medusa's API key (`/admin/api-keys`), with the role the key acts with. The token is
/// there only in the answer that made the key.
#[derive(Serialize)]
pub struct ApiKeyShape<'a> {
    id: &'a ApiKeyId,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    redacted: &'a str,
    title: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    last_used_at: Option<&'a str>,
    created_by: &'a UserId,
    created_at: &'a str,
    updated_at: &'a str,
    revoked_by: Option<&'a UserId>,
    revoked_at: Option<&'a str>,
    deleted_at: (),
}

impl<'a> ApiKeyShape<'a> {
    pub fn of(key: &'a ApiKey, token: Option<&'a str>) -> Self {
        ApiKeyShape {
            id: &key.id,
            token,
            redacted: &key.redacted,
            title: &key.title,
            kind: "secret",
            role: key.role.as_str(),
            last_used_at: key.last_used_at.as_deref(),
            created_by: &key.created_by,
            created_at: &key.created_at,
            updated_at: key.revoked_at.as_deref().unwrap_or(&key.created_at),
            revoked_by: key.revoked_by.as_ref(),
            revoked_at: key.revoked_at.as_deref(),
            deleted_at: (),
        }
    }
}

/// `{"api_key": ...}`
#[derive(Serialize)]
pub struct ApiKeyResponse<'a> {
    pub api_key: ApiKeyShape<'a>,
}

/// `GET /admin/api-keys`: Medusa's list.
#[derive(Serialize)]
pub struct ApiKeyList<'a> {
    pub api_keys: Vec<ApiKeyShape<'a>>,
    pub count: usize,
    pub offset: usize,
    pub limit: usize,
}

/// Medusa's invite (`/admin/invites`), with the role it gives. The token is there only
/// in the answer that made it.
#[derive(Serialize)]
pub struct InviteShape<'a> {
    id: &'a str,
    email: &'a str,
    accepted: bool,
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    expires_at: &'a str,
    created_at: &'a str,
    updated_at: &'a str,
    metadata: (),
}

impl<'a> InviteShape<'a> {
    pub fn of(invite: &'a PendingInvite, token: Option<&'a str>) -> Self {
        InviteShape {
            id: &invite.id,
            email: &invite.email,
            accepted: false,
            role: invite.role.key(),
            token,
            expires_at: &invite.expires_at,
            created_at: &invite.created_at,
            updated_at: &invite.created_at,
            metadata: (),
        }
    }
}

/// `{"invite": ...}`
#[derive(Serialize)]
pub struct InviteResponse<'a> {
    pub invite: InviteShape<'a>,
}

/// `GET /admin/invites`: Medusa's list (open invitations).
#[derive(Serialize)]
pub struct InviteList<'a> {
    pub invites: Vec<InviteShape<'a>>,
    pub count: usize,
    pub offset: usize,
    pub limit: usize,
}
