//! The people who run the stores. A staff user (e-mail, name, argon2id password) is a
//! member of one or more stores with a [`Role`] in each; a session is a signed-in
//! member working in one store, known by a random token kept only as its hash. An
//! operator makes a store's first owner with an invitation; owners invite the rest.
//! [`role`] is what each role may do, [`secret`] hashes passwords and tokens, [`repo`]
//! is the SQL, [`audit`] the append-only log of every admin write, [`api_key`] the
//! store's secret keys for automation.

pub mod api_key;
pub mod audit;
pub mod json;
mod repo;
mod role;
pub mod roles;
mod secret;

pub use self::repo::{
    accept_invite, change_role, create_invite, invitation, invite_id, members, memberships,
    pending_invites, remove_member, request_reset, reset_is_open, reset_password, revoke,
    revoke_session, session, sessions, sign_in, switch_store, withdraw_invite, Invitation,
    Membership, PendingInvite, ResetRequest, SessionRow, StaffRow, RESET_TTL_S,
};
pub use self::role::{order_action_permission, Permission, Permissions, Role, StoreRole};
pub use self::secret::{
    check_new_password, hash_password, verify_password, Token, MAX_PASSWORD, MIN_PASSWORD,
};

use serde::Serialize;

use crate::ids::{ApiKeyId, StoreId, UserId};

/// How long a session lives: it ends `idle_s` after its last request, and `absolute_s`
/// after sign-in whatever happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub idle_s: i64,
    pub absolute_s: i64,
}

impl SessionKind {
    /// Admin pages: two idle hours, twelve in all (a working day).
    /// Admin API tokens: the same idle time, a day in all.
    pub const fn lifetime(self) -> Lifetime {
        match self {
            SessionKind::Cookie => Lifetime {
                idle_s: 2 * 3600,
                absolute_s: 12 * 3600,
            },
            SessionKind::Bearer => Lifetime {
                idle_s: 2 * 3600,
                absolute_s: 24 * 3600,
            },
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

/// How a session's token travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// The admin pages' cookie.
    Cookie,
    /// `Authorization: Bearer` on the admin API.
    Bearer,
}

/// An invitation's lifetime: a week.
pub const INVITE_TTL_S: i64 = 7 * 24 * 3600;

/// A signed-in member of a store, as the edge resolves it for each admin request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub store_id: StoreId,
    pub store_name: String,
    pub role: StoreRole,
    /// The API key the request came with; `None` for a person signed in. The user is
    /// then the member who made the key.
    pub api_key: Option<ApiKeyId>,
}

impl Member {
    /// Whether the member's role grants `permission`; an API key never has the
    /// personal ones ([`Permission::is_personal`]).
    pub fn may(&self, permission: Permission) -> bool {
        self.role.allows(permission) && !(self.api_key.is_some() && permission.is_personal())
    }
}

/// Where a request came from, for sessions and the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
}
