//! A store's secret API keys, for automation (an ERP, a fulfilment partner's script):
//! `Authorization: Bearer sk_...` (or Medusa's `Basic`) on the admin JSON API. A key
//! works in one store with a built-in role below owner, until it is revoked; it never
//! has the personal permissions ([`Permission::is_personal`]): it cannot make keys or
//! read anyone's sessions. The database keeps the token's SHA-256 only; the token is
//! shown once, when the key is made.

use tokio_postgres::types::Type;
use tokio_postgres::Row;

use super::repo::role_col;
use super::secret::Token;
use super::{Member, Permission, Permissions, Role, StoreRole};
use crate::db::{col, first, Param, Sql};
use crate::error::ApiError;
use crate::ids::{ApiKeyId, StoreId, UserId};

/// How a secret key's token starts (as Medusa's).
pub const SECRET_PREFIX: &str = "sk_";

/// The longest title a key takes.
pub const MAX_TITLE: usize = 100;

/// A secret key's token: `sk_` and a [`Token`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Token);

impl Secret {
    pub fn generate() -> Self {
        Secret(Token::generate())
    }

    /// A token as a client sent it; `None` when it cannot be a secret key.
    pub fn parse(text: &str) -> Option<Self> {
        text.strip_prefix(SECRET_PREFIX)
            .and_then(Token::parse)
            .map(Secret)
    }

    /// The whole token, for the one time it is shown.
    pub fn reveal(&self) -> String {
        format!("{SECRET_PREFIX}{}", self.0.as_str())
    }

    /// What the admin area shows of it afterwards: the start and the last characters.
    pub fn redacted(&self) -> String {
        let body = self.0.as_str();
        format!(
            "{SECRET_PREFIX}{}***{}",
            &body[..4],
            &body[body.len() - 3..]
        )
    }

    fn hash(&self) -> String {
        self.0.hash()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A key as the admin area lists it. Times are ISO 8601 in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub title: String,
    pub role: Role,
    pub redacted: String,
    pub created_by: UserId,
    pub created_by_email: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<UserId>,
}

impl ApiKey {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

const ISO: &str = r#"'YYYY-MM-DD"T"HH24:MI:SS"Z"'"#;

fn columns() -> String {
    format!(
        "k.id, k.title, k.role, k.redacted, k.created_by, u.email AS created_by_email,
         to_char(k.created_at AT TIME ZONE 'UTC', {ISO}) AS created_at,
         to_char(k.last_used_at AT TIME ZONE 'UTC', {ISO}) AS last_used_at,
         to_char(k.revoked_at AT TIME ZONE 'UTC', {ISO}) AS revoked_at, k.revoked_by"
    )
}

fn from_row(row: &Row) -> Result<ApiKey, ApiError> {
    Ok(ApiKey {
        id: col(row, "id")?,
        title: col(row, "title")?,
        role: role_col(row, "role")?,
        redacted: col(row, "redacted")?,
        created_by: col(row, "created_by")?,
        created_by_email: col(row, "created_by_email")?,
        created_at: col(row, "created_at")?,
        last_used_at: col(row, "last_used_at")?,
        revoked_at: col(row, "revoked_at")?,
        revoked_by: col(row, "revoked_by")?,
    })
}

/// Checks a new key's title and role against the member making it: a title of 1 to
/// 100 characters, a role below owner that grants nothing the member's role lacks.
/// Answers the trimmed title.
pub fn check_new(creator: &Member, title: &str, role: Role) -> Result<String, ApiError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(ApiError::invalid(
            "title",
            "Please give the key a title that says what uses it.",
        ));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(ApiError::invalid(
            "title",
            format!("A key's title is at most {MAX_TITLE} characters."),
        ));
    }
    if role == Role::Owner {
        return Err(ApiError::invalid(
            "role",
            "An API key cannot be an owner: keys never manage staff.",
        ));
    }
    if !creator.role.may_grant(Permissions::of_role(role)) {
        return Err(ApiError::Forbidden {
            permission: Permission::ALL
                .iter()
                .find(|p| role.allows(**p) && !creator.role.allows(**p))
                .map_or("", |p| p.as_str())
                .to_owned(),
        });
    }
    Ok(title.to_owned())
}

/// Makes a key in the creator's store; answers it with its secret, shown once.
pub async fn create<C: Sql>(
    client: &C,
    creator: &Member,
    title: &str,
    role: Role,
) -> Result<(ApiKey, Secret), ApiError> {
    let title = check_new(creator, title, role)?;
    let secret = Secret::generate();
    let id = ApiKeyId::generate();
    let hash = secret.hash();
    let redacted = secret.redacted();
    let role_text = role.as_str();
    let params: [Param<'_>; 7] = [
        (&id, Type::TEXT),
        (&hash, Type::TEXT),
        (&redacted, Type::TEXT),
        (&creator.store_id, Type::TEXT),
        (&title, Type::TEXT),
        (&role_text, Type::TEXT),
        (&creator.user_id, Type::TEXT),
    ];
    let sql = format!(
        "WITH k AS (
             INSERT INTO staff_api_keys
                 (id, token_hash, redacted, store_id, title, role, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *)
         SELECT {} FROM k JOIN staff_users u ON u.id = k.created_by",
        columns()
    );
    let row = first(client.query_typed(&sql, &params).await?)
        .ok_or_else(|| ApiError::internal("the new API key was not returned"))?;
    Ok((from_row(&row)?, secret))
}

/// The store's keys, live ones first, newest first.
pub async fn list<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<ApiKey>, ApiError> {
    let sql = format!(
        "SELECT {} FROM staff_api_keys k JOIN staff_users u ON u.id = k.created_by
         WHERE k.store_id = $1
         ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC, k.id LIMIT 500",
        columns()
    );
    let rows = client.query_typed(&sql, &[(store, Type::TEXT)]).await?;
    rows.iter().map(from_row).collect()
}

/// Revokes the key `id` of `store` at once; a key revoked before stays as it was.
/// 404 for a key of another store.
pub async fn revoke<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &ApiKeyId,
    by: &UserId,
) -> Result<ApiKey, ApiError> {
    let params: [Param<'_>; 3] = [(store, Type::TEXT), (id, Type::TEXT), (by, Type::TEXT)];
    let sql = format!(
        "WITH done AS (
             UPDATE staff_api_keys SET revoked_at = now(), revoked_by = $3
             WHERE store_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING *),
         k AS (
             SELECT * FROM done
             UNION ALL
             SELECT * FROM staff_api_keys
             WHERE store_id = $1 AND id = $2 AND NOT EXISTS (SELECT FROM done))
         SELECT {} FROM k JOIN staff_users u ON u.id = k.created_by",
        columns()
    );
    let row = first(client.query_typed(&sql, &params).await?)
        .ok_or_else(|| ApiError::not_found("API key", "id", id.as_str()))?;
    from_row(&row)
}

/// The member a live key acts as: its store, its role, the member who made it.
/// Notes the use at most once a minute.
pub async fn member<C: Sql>(client: &C, secret: &Secret) -> Result<Option<Member>, ApiError> {
    let hash = secret.hash();
    let rows = client
        .query_typed(
            "WITH k AS (
                 SELECT k.id, k.role, k.store_id, k.created_by, k.last_used_at
                 FROM staff_api_keys k WHERE k.token_hash = $1 AND k.revoked_at IS NULL),
             used AS (
                 UPDATE staff_api_keys SET last_used_at = now()
                 WHERE id = (SELECT id FROM k)
                   AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))
             SELECT k.id, k.role, k.store_id, st.name AS store_name,
                    k.created_by, u.email, u.name
             FROM k JOIN staff_users u ON u.id = k.created_by JOIN stores st ON st.id = k.store_id",
            &[(&hash, Type::TEXT)],
        )
        .await?;
    first(rows)
        .map(|row| {
            Ok(Member {
                user_id: col(&row, "created_by")?,
                email: col(&row, "email")?,
                name: col(&row, "name")?,
                store_id: col(&row, "store_id")?,
                store_name: col(&row, "store_name")?,
                role: StoreRole::builtin(role_col(&row, "role")?),
                api_key: Some(col(&row, "id")?),
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_read_back_and_show_only_their_ends() {
        let secret = Secret::generate();
        let text = secret.reveal();
        assert!(text.starts_with("sk_") && text.len() == 55, "{text}");
        assert_eq!(Secret::parse(&text), Some(secret.clone()));
        assert_eq!(Secret::parse(&text[3..]), None, "the prefix is part of it");
        assert_eq!(Secret::parse("sk_short"), None);
        let shown = secret.redacted();
        assert!(
            shown.starts_with(&text[..7]) && shown.ends_with(&text[52..]),
            "{shown}"
        );
        assert!(shown.len() < 16);
        assert_eq!(format!("{secret:?}"), "Secret(..)");
    }

    fn member(role: Role) -> Member {
        Member {
            user_id: UserId::parse("user_1").unwrap(),
            email: "a@b.test".into(),
            name: String::new(),
            store_id: StoreId::parse("store_1").unwrap(),
            store_name: String::new(),
            role: StoreRole::builtin(role),
            api_key: None,
        }
    }

    #[test]
    fn new_keys_need_a_title_and_a_role_within_their_makers() {
        let owner = member(Role::Owner);
        assert_eq!(
            check_new(&owner, "  ERP sync ", Role::Fulfilment).unwrap(),
            "ERP sync"
        );
        assert_eq!(
            check_new(&owner, " ", Role::Admin).unwrap_err().param(),
            Some("title")
        );
        assert_eq!(
            check_new(&owner, &"x".repeat(101), Role::Admin)
                .unwrap_err()
                .param(),
            Some("title")
        );
        assert_eq!(
            check_new(&owner, "root", Role::Owner).unwrap_err().param(),
            Some("role")
        );
        let fulfilment = member(Role::Fulfilment);
        assert!(matches!(
            check_new(&fulfilment, "bot", Role::Support),
            Err(ApiError::Forbidden { permission }) if permission == "customer:write"
        ));
    }

    #[test]
    fn a_key_never_has_the_personal_permissions() {
        let mut key = member(Role::Admin);
        key.api_key = Some(ApiKeyId::parse("apk_1").unwrap());
        assert!(key.may(Permission::OrderWrite) && key.may(Permission::RefundWrite));
        for p in [
            Permission::ApiKeyWrite,
            Permission::ApiKeyRead,
            Permission::AccountRead,
            Permission::AccountWrite,
        ] {
            assert!(!key.may(p) && member(Role::Admin).may(p), "{p}");
        }
    }
}
