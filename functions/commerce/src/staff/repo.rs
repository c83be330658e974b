//! Staff SQL: invitations, sign-in, sessions and memberships. Tokens reach the
//! database only as their hash ([`Token::hash`]).

use tokio_postgres::types::Type;
use tokio_postgres::Row;

use super::secret::{check_new_password, hash_password, verify_password, Token};
use super::{Client, Member, Permissions, Role, SessionKind, StoreRole, INVITE_TTL_S};
use crate::db::{col, first, Param, Sql};
use crate::email::Email;
use crate::error::ApiError;
use crate::ids::{StoreId, UserId};

/// The words of every failed sign-in: an unknown e-mail and a wrong password are one.
const SIGN_IN_FAILED: &str = "The e-mail address or the password is not right.";

pub(super) fn role_col(row: &Row, name: &str) -> Result<Role, ApiError> {
    let text: String = col(row, name)?;
    Role::parse(&text).ok_or_else(|| ApiError::internal(format!("unknown role '{text}'")))
}

/// A store's own role as `store_role_info` gives it.
#[derive(serde::Deserialize)]
struct RoleInfo {
    name: String,
    permissions: Vec<String>,
}

/// The role of column `role`, a built-in one or the store's own (`role_info`, from
/// `store_role_info(store, role)`).
pub(super) fn store_role_col(row: &Row) -> Result<StoreRole, ApiError> {
    let key: String = col(row, "role")?;
    if let Some(role) = Role::parse(&key) {
        return Ok(StoreRole::builtin(role));
    }
    let info: Option<RoleInfo> = crate::db::json_col(row, "role_info")?;
    let info = info.ok_or_else(|| ApiError::internal(format!("unknown role '{key}'")))?;
    Ok(StoreRole::custom(
        &key,
        &info.name,
        Permissions::from_names(&info.permissions),
    ))
}

/// Invites `email` to `store` as `role`; the token goes into the invitation's link.
pub async fn create_invite<C: Sql>(
    client: &C,
    store: &StoreId,
    email: &Email,
    role: &StoreRole,
    invited_by: Option<&UserId>,
) -> Result<Token, ApiError> {
    let token = Token::generate();
    let (hash, email, role) = (token.hash(), email.lookup_key(), role.key());
    let ttl = INVITE_TTL_S as f64;
    let params: [Param<'_>; 6] = [
        (&hash, Type::TEXT),
        (store, Type::TEXT),
        (&email, Type::TEXT),
        (&role, Type::TEXT),
        (&invited_by, Type::TEXT),
        (&ttl, Type::FLOAT8),
    ];
    let inserted = client
        .execute_typed(
            "INSERT INTO staff_invites (token_hash, store_id, email, role, invited_by, expires_at)
             SELECT $1, s.id, $3, $4, $5, now() + make_interval(secs => $6)
             FROM stores s WHERE s.id = $2",
            &params,
        )
        .await?;
    if inserted == 0 {
        return Err(ApiError::not_found("Store", "id", store.as_str()));
    }
    Ok(token)
}

/// An open invitation, as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub store_id: StoreId,
    pub store_name: String,
    pub email: String,
    pub role: StoreRole,
    /// The address already belongs to a user with a password: accepting asks for it
    /// instead of a new one.
    pub existing_user: bool,
}

/// The open (unused, unexpired) invitation of `token`.
pub async fn invitation<C: Sql>(client: &C, token: &Token) -> Result<Option<Invitation>, ApiError> {
    let hash = token.hash();
    let rows = client
        .query_typed(
            "SELECT i.store_id, s.name AS store_name, i.email, i.role,
                    store_role_info(i.store_id, i.role) AS role_info,
                    u.password_hash IS NOT NULL AS existing_user
             FROM staff_invites i JOIN stores s ON s.id = i.store_id
             LEFT JOIN staff_users u ON u.email = i.email
             WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > now()",
            &[(&hash, Type::TEXT)],
        )
        .await?;
    first(rows)
        .map(|row| {
            Ok(Invitation {
                store_id: col(&row, "store_id")?,
                store_name: col(&row, "store_name")?,
                email: col(&row, "email")?,
                role: store_role_col(&row)?,
                existing_user: col(&row, "existing_user")?,
            })
        })
        .transpose()
}

/// Accepts the invitation of `token`: a new user sets `name` and `password`; a user who
/// has a password proves it with `password` (their name stays). Makes the membership
/// (or changes its role) and uses the invitation up, in one statement.
pub async fn accept_invite<C: Sql>(
    client: &C,
    token: &Token,
    name: &str,
    password: &str,
) -> Result<(UserId, StoreId), ApiError> {
    let gone = || ApiError::not_found("Invitation", "link", "this link (used or expired)");
    let hash = token.hash();
    let rows = client
        .query_typed(
            "SELECT u.password_hash FROM staff_invites i
             LEFT JOIN staff_users u ON u.email = i.email
             WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > now()",
            &[(&hash, Type::TEXT)],
        )
        .await?;
    let row = first(rows).ok_or_else(gone)?;
    let stored: Option<String> = col(&row, "password_hash")?;
    let new_hash = match stored.as_deref() {
        Some(phc) => {
            if !verify_password(password, Some(phc)) {
                return Err(ApiError::invalid(
                    "password",
                    "is not the password of this account",
                ));
            }
            None
        }
        None => {
            check_new_password(password)?;
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(ApiError::invalid("name", "must be 1 to 100 characters"));
            }
            Some(hash_password(password)?)
        }
    };
    let id = UserId::generate();
    let name = name.trim();
    let params: [Param<'_>; 4] = [
        (&hash, Type::TEXT),
        (&id, Type::TEXT),
        (&name, Type::TEXT),
        (&new_hash, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "WITH inv AS (
                 UPDATE staff_invites SET accepted_at = now()
                 WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now()
                 RETURNING store_id, email, role),
             usr AS (
                 INSERT INTO staff_users (id, email, name, password_hash)
                 SELECT $2, inv.email, $3, $4 FROM inv
                 ON CONFLICT (email) DO UPDATE SET
                     name = CASE WHEN staff_users.password_hash IS NULL
                                 THEN EXCLUDED.name ELSE staff_users.name END,
                     password_hash = coalesce(staff_users.password_hash, EXCLUDED.password_hash),
                     updated_at = now()
                 RETURNING id),
             mem AS (
                 INSERT INTO store_members (store_id, user_id, role)
                 SELECT inv.store_id, usr.id, inv.role FROM inv, usr
                 ON CONFLICT (store_id, user_id) DO UPDATE SET role = EXCLUDED.role
                 RETURNING store_id, user_id)
             SELECT user_id, store_id FROM mem",
            &params,
        )
        .await?;
    let row = first(rows).ok_or_else(gone)?;
    Ok((col(&row, "user_id")?, col(&row, "store_id")?))
}

/// Signs `email` in with `password`: a new session in `prefer` when the user is a
/// member there, else in their oldest membership. Every failure reads the same.
pub async fn sign_in<C: Sql>(
    client: &C,
    email: &str,
    password: &str,
    prefer: Option<&StoreId>,
    kind: SessionKind,
    from: &Client,
) -> Result<(Token, Member), ApiError> {
    let failed = || ApiError::NotSignedIn {
        message: SIGN_IN_FAILED.to_owned(),
    };
    let email = email.trim().to_lowercase();
    let rows = client
        .query_typed(
            "SELECT id, password_hash FROM staff_users WHERE email = $1",
            &[(&email, Type::TEXT)],
        )
        .await?;
    let row = first(rows);
    let stored: Option<String> = match &row {
        Some(row) => col(row, "password_hash")?,
        None => None,
    };
    // Verified even without an account, so that both answers take as long.
    if !verify_password(password, stored.as_deref()) {
        return Err(failed());
    }
    let user: UserId = col(row.as_ref().ok_or_else(failed)?, "id")?;
    let token = Token::generate();
    let hash = token.hash();
    let life = kind.lifetime().absolute_s as f64;
    let kind_text = kind.as_str();
    let params: [Param<'_>; 7] = [
        (&hash, Type::TEXT),
        (&user, Type::TEXT),
        (&kind_text, Type::TEXT),
        (&life, Type::FLOAT8),
        (&from.ip, Type::TEXT),
        (&from.user_agent, Type::TEXT),
        (&prefer, Type::TEXT),
    ];
    let inserted = client
        .execute_typed(
            "INSERT INTO staff_sessions
                 (token_hash, user_id, store_id, kind, expires_at, ip, user_agent)
             SELECT $1, m.user_id, m.store_id, $3, now() + make_interval(secs => $4), $5, $6
             FROM store_members m WHERE m.user_id = $2
             ORDER BY m.store_id = $7 DESC NULLS LAST, m.created_at, m.store_id LIMIT 1",
            &params,
        )
        .await?;
    if inserted == 0 {
        return Err(ApiError::NotSignedIn {
            message: "This account is not a member of any store.".to_owned(),
        });
    }
    let member = session(client, &token, kind).await?.ok_or_else(failed)?;
    Ok((token, member))
}

/// The member of a live session (not revoked, not past its absolute or idle expiry),
/// whose last use becomes now (written at most once a minute). `None` for any other
/// token.
pub async fn session<C: Sql>(
    client: &C,
    token: &Token,
    kind: SessionKind,
) -> Result<Option<Member>, ApiError> {
    let hash = token.hash();
    let idle = kind.lifetime().idle_s as f64;
    let kind_text = kind.as_str();
    let params: [Param<'_>; 3] = [
        (&hash, Type::TEXT),
        (&idle, Type::FLOAT8),
        (&kind_text, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            // The last use is written at most once a minute (not on every request):
            // idle expiry may so come up to a minute early.
            "WITH live AS (
                 SELECT se.token_hash, se.last_seen_at, se.user_id, u.email, u.name,
                        se.store_id, st.name AS store_name, m.role
                 FROM staff_sessions se
                 JOIN store_members m ON m.store_id = se.store_id AND m.user_id = se.user_id
                 JOIN staff_users u ON u.id = se.user_id
                 JOIN stores st ON st.id = se.store_id
                 WHERE se.token_hash = $1 AND se.kind = $3
                   AND se.revoked_at IS NULL AND se.expires_at > now()
                   AND se.last_seen_at > now() - make_interval(secs => $2)),
             seen AS (
                 UPDATE staff_sessions SET last_seen_at = now()
                 WHERE token_hash = (SELECT token_hash FROM live)
                   AND last_seen_at < now() - interval '1 minute')
             SELECT user_id, email, name, store_id, store_name, role,
                    store_role_info(store_id, role) AS role_info
             FROM live",
            &params,
        )
        .await?;
    first(rows)
        .map(|row| {
            Ok(Member {
                user_id: col(&row, "user_id")?,
                email: col(&row, "email")?,
                name: col(&row, "name")?,
                store_id: col(&row, "store_id")?,
                store_name: col(&row, "store_name")?,
                role: store_role_col(&row)?,
                api_key: None,
            })
        })
        .transpose()
}

/// Ends the session of `token` at once (sign-out).
pub async fn revoke<C: Sql>(client: &C, token: &Token) -> Result<(), ApiError> {
    let hash = token.hash();
    client
        .execute_typed(
            "UPDATE staff_sessions SET revoked_at = now()
             WHERE token_hash = $1 AND revoked_at IS NULL",
            &[(&hash, Type::TEXT)],
        )
        .await?;
    Ok(())
}

/// A store a user works for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub store_id: StoreId,
    pub store_name: String,
    pub role: StoreRole,
}

/// The stores `user` is a member of, by name.
pub async fn memberships<C: Sql>(client: &C, user: &UserId) -> Result<Vec<Membership>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT m.store_id, s.name AS store_name, m.role,
                    store_role_info(m.store_id, m.role) AS role_info
             FROM store_members m JOIN stores s ON s.id = m.store_id
             WHERE m.user_id = $1 ORDER BY s.name, s.id",
            &[(user, Type::TEXT)],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Membership {
                store_id: col(row, "store_id")?,
                store_name: col(row, "store_name")?,
                role: store_role_col(row)?,
            })
        })
        .collect()
}

/// Moves the session of `token` to `store`, where its user must be a member; `false`
/// (nothing changed) otherwise.
pub async fn switch_store<C: Sql>(
    client: &C,
    token: &Token,
    store: &StoreId,
) -> Result<bool, ApiError> {
    let hash = token.hash();
    let changed = client
        .execute_typed(
            "UPDATE staff_sessions se SET store_id = $2
             WHERE se.token_hash = $1 AND se.revoked_at IS NULL
               AND EXISTS (SELECT 1 FROM store_members m
                           WHERE m.user_id = se.user_id AND m.store_id = $2)",
            &[(&hash, Type::TEXT), (store, Type::TEXT)],
        )
        .await?;
    Ok(changed == 1)
}

/// A member of a store, as the staff page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: StoreRole,
    /// `YYYY-MM-DD`.
    pub since: String,
}

/// The store's members, owners first, then by name.
pub async fn members<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<StaffRow>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT u.id, u.email, u.name, m.role,
                    store_role_info(m.store_id, m.role) AS role_info,
                    to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS since
             FROM store_members m JOIN staff_users u ON u.id = m.user_id
             WHERE m.store_id = $1
             ORDER BY m.role <> 'owner', lower(u.name), u.email",
            &[(store, Type::TEXT)],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(StaffRow {
                user_id: col(row, "id")?,
                email: col(row, "email")?,
                name: col(row, "name")?,
                role: store_role_col(row)?,
                since: col(row, "since")?,
            })
        })
        .collect()
}

/// An invitation not yet accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInvite {
    /// `invite_` and the start of the token's hash: names it without revealing it.
    pub id: String,
    pub email: String,
    pub role: StoreRole,
    /// `YYYY-MM-DD HH:MM` UTC.
    pub expires: String,
    /// ISO 8601, UTC.
    pub expires_at: String,
    pub created_at: String,
}

/// The id an invitation is listed by (its token's hash names it).
pub fn invite_id(token: &Token) -> String {
    format!("invite_{}", &token.hash()[..24])
}

/// Withdraws the open invitation `id` (as [`invite_id`] names it) of `store`: its link
/// stops working. Answers the address it was for; 404 for any other.
pub async fn withdraw_invite<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &str,
) -> Result<String, ApiError> {
    let prefix = id
        .strip_prefix("invite_")
        .filter(|p| p.len() == 24 && p.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| ApiError::not_found("Invite", "id", id.to_owned()))?;
    let rows = client
        .query_typed(
            "DELETE FROM staff_invites
             WHERE store_id = $1 AND left(token_hash, 24) = $2 AND accepted_at IS NULL
             RETURNING email",
            &[(store, Type::TEXT), (&prefix, Type::TEXT)],
        )
        .await?;
    match first(rows) {
        Some(row) => col(&row, "email"),
        None => Err(ApiError::not_found("Invite", "id", id.to_owned())),
    }
}

/// The store's open invitations, newest first.
pub async fn pending_invites<C: Sql>(
    client: &C,
    store: &StoreId,
) -> Result<Vec<PendingInvite>, ApiError> {
    let rows = client
        .query_typed(
            r#"SELECT 'invite_' || left(token_hash, 24) AS id, email, role,
                    store_role_info(store_id, role) AS role_info,
                    to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS expires,
                    to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires_at,
                    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
             FROM staff_invites
             WHERE store_id = $1 AND accepted_at IS NULL AND expires_at > now()
             ORDER BY created_at DESC"#,
            &[(store, Type::TEXT)],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(PendingInvite {
                id: col(row, "id")?,
                email: col(row, "email")?,
                role: store_role_col(row)?,
                expires: col(row, "expires")?,
                expires_at: col(row, "expires_at")?,
                created_at: col(row, "created_at")?,
            })
        })
        .collect()
}

/// Why a change of the store's staff was refused.
fn last_owner() -> ApiError {
    ApiError::conflict(
        crate::error::ErrorCode::LastOwner,
        "A store keeps at least one owner: make someone else owner first.",
    )
}

/// Gives `user` the role `role` in `store`; answers the key of the role they had. The
/// store's last
/// owner keeps the role.
pub async fn change_role<C: Sql>(
    client: &C,
    store: &StoreId,
    user: &UserId,
    role: &StoreRole,
) -> Result<String, ApiError> {
    let role_text = role.key();
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (user, Type::TEXT),
        (&role_text, Type::TEXT),
    ];
    // One statement; the owners' rows are locked while they are counted, so two owners
    // demoting each other at once cannot leave the store without one.
    let rows = client
        .query_typed(
            "WITH target AS (
                 SELECT role FROM store_members WHERE store_id = $1 AND user_id = $2 FOR UPDATE),
             owners AS (
                 SELECT count(*) AS n FROM (
                     SELECT 1 FROM store_members WHERE store_id = $1 AND role = 'owner'
                     FOR UPDATE) o),
             changed AS (
                 UPDATE store_members m SET role = $3
                 FROM target, owners
                 WHERE m.store_id = $1 AND m.user_id = $2
                   AND (target.role <> 'owner' OR $3 = 'owner' OR owners.n > 1)
                 RETURNING m.user_id)
             SELECT target.role, (SELECT count(*) FROM changed) AS changed FROM target",
            &params,
        )
        .await?;
    let row = first(rows).ok_or_else(|| ApiError::not_found("Member", "id", user.as_str()))?;
    let before: String = col(&row, "role")?;
    let changed: i64 = col(&row, "changed")?;
    if changed == 0 {
        return Err(last_owner());
    }
    Ok(before)
}

/// Removes `user` from `store`: their sessions there end at once. The store's last
/// owner stays.
pub async fn remove_member<C: Sql>(
    client: &C,
    store: &StoreId,
    user: &UserId,
) -> Result<String, ApiError> {
    let rows = client
        .query_typed(
            "WITH target AS (
                 SELECT role FROM store_members WHERE store_id = $1 AND user_id = $2 FOR UPDATE),
             owners AS (
                 SELECT count(*) AS n FROM (
                     SELECT 1 FROM store_members WHERE store_id = $1 AND role = 'owner'
                     FOR UPDATE) o),
             removed AS (
                 DELETE FROM store_members m USING target, owners
                 WHERE m.store_id = $1 AND m.user_id = $2
                   AND (target.role <> 'owner' OR owners.n > 1)
                 RETURNING m.user_id)
             SELECT target.role, (SELECT count(*) FROM removed) AS removed FROM target",
            &[(store, Type::TEXT), (user, Type::TEXT)],
        )
        .await?;
    let row = first(rows).ok_or_else(|| ApiError::not_found("Member", "id", user.as_str()))?;
    let before: String = col(&row, "role")?;
    let removed: i64 = col(&row, "removed")?;
    if removed == 0 {
        return Err(last_owner());
    }
    Ok(before)
}

/// One of a user's live sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// The session's key as the database has it (the token's hash: it names the session
    /// without being able to open it).
    pub key: String,
    pub store_name: String,
    pub kind: &'static str,
    /// `YYYY-MM-DD HH:MM` UTC.
    pub signed_in: String,
    pub last_seen: String,
    pub ip: String,
    pub user_agent: String,
}

/// `user`'s live sessions in every store, most recently used first.
pub async fn sessions<C: Sql>(client: &C, user: &UserId) -> Result<Vec<SessionRow>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT se.token_hash, st.name AS store_name, se.kind,
                    to_char(se.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS signed_in,
                    to_char(se.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS last_seen,
                    se.ip, se.user_agent
             FROM staff_sessions se JOIN stores st ON st.id = se.store_id
             WHERE se.user_id = $1 AND se.revoked_at IS NULL AND se.expires_at > now()
             ORDER BY se.last_seen_at DESC",
            &[(user, Type::TEXT)],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let kind: String = col(row, "kind")?;
            Ok(SessionRow {
                key: col(row, "token_hash")?,
                store_name: col(row, "store_name")?,
                kind: if kind == "bearer" {
                    "API token"
                } else {
                    "Browser"
                },
                signed_in: col(row, "signed_in")?,
                last_seen: col(row, "last_seen")?,
                ip: col(row, "ip")?,
                user_agent: col(row, "user_agent")?,
            })
        })
        .collect()
}

/// Ends `user`'s session named by `key` ([`SessionRow::key`]); `false` when there is
/// no such live session of theirs.
pub async fn revoke_session<C: Sql>(
    client: &C,
    user: &UserId,
    key: &str,
) -> Result<bool, ApiError> {
    let n = client
        .execute_typed(
            "UPDATE staff_sessions SET revoked_at = now()
             WHERE token_hash = $1 AND user_id = $2 AND revoked_at IS NULL",
            &[(&key, Type::TEXT), (user, Type::TEXT)],
        )
        .await?;
    Ok(n == 1)
}

/// How long a password reset link works: an hour.
pub const RESET_TTL_S: i64 = 3600;

/// Who a reset link goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequest {
    pub token: Token,
    pub email: String,
    pub name: String,
}

/// A reset link for the account of `email`, if there is one with a password; `None`
/// otherwise (the caller answers the same either way).
pub async fn request_reset<C: Sql>(
    client: &C,
    email: &str,
) -> Result<Option<ResetRequest>, ApiError> {
    let token = Token::generate();
    let (hash, email) = (token.hash(), email.trim().to_lowercase());
    let ttl = RESET_TTL_S as f64;
    let rows = client
        .query_typed(
            "WITH u AS (
                 SELECT id, email, name FROM staff_users
                 WHERE email = $2 AND password_hash IS NOT NULL),
             made AS (
                 INSERT INTO staff_password_resets (token_hash, user_id, expires_at)
                 SELECT $1, u.id, now() + make_interval(secs => $3) FROM u)
             SELECT email, name FROM u",
            &[
                (&hash, Type::TEXT),
                (&email, Type::TEXT),
                (&ttl, Type::FLOAT8),
            ],
        )
        .await?;
    first(rows)
        .map(|row| {
            Ok(ResetRequest {
                token,
                email: col(&row, "email")?,
                name: col(&row, "name")?,
            })
        })
        .transpose()
}

/// Whether `token` is an open reset link (unused, unexpired).
pub async fn reset_is_open<C: Sql>(client: &C, token: &Token) -> Result<bool, ApiError> {
    let hash = token.hash();
    let rows = client
        .query_typed(
            "SELECT 1 FROM staff_password_resets
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()",
            &[(&hash, Type::TEXT)],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Sets a new password through the reset link of `token`, once: the link is used up,
/// and every session of the user ends. Answers the user's e-mail address.
pub async fn reset_password<C: Sql>(
    client: &C,
    token: &Token,
    password: &str,
) -> Result<String, ApiError> {
    let phc = hash_password(password)?;
    let hash = token.hash();
    let rows = client
        .query_typed(
            "WITH used AS (
                 UPDATE staff_password_resets SET used_at = now()
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
                 RETURNING user_id),
             changed AS (
                 UPDATE staff_users u SET password_hash = $2, updated_at = now()
                 FROM used WHERE u.id = used.user_id
                 RETURNING u.id, u.email),
             ended AS (
                 UPDATE staff_sessions se SET revoked_at = now()
                 FROM changed WHERE se.user_id = changed.id AND se.revoked_at IS NULL)
             SELECT email FROM changed",
            &[(&hash, Type::TEXT), (&phc, Type::TEXT)],
        )
        .await?;
    let row = first(rows)
        .ok_or_else(|| ApiError::not_found("Reset link", "link", "this link (used or expired)"))?;
    col(&row, "email")
}
