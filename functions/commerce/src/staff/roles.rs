//! A store's own roles: owners define them from the permissions (a name and a set,
//! never `staff:write`), give them to members and invitations like a built-in role,
//! change them (members have the new set at their next request) and delete those
//! nobody has.

use tokio_postgres::types::Type;

use super::repo::store_role_col;
use super::{Permission, Permissions, Role, StoreRole};
use crate::db::{col, first, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{CustomRoleId, StoreId};

/// The longest name a role takes.
pub const MAX_NAME: usize = 60;

/// A store's own role with how many members and open invitations have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRow {
    pub role: StoreRole,
    pub members: i64,
}

/// Checks a role's name and permissions as an owner gave them; answers the trimmed
/// name. Errors name the field.
pub fn check(name: &str, permissions: Permissions) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ApiError::invalid(
            "name",
            format!("A role's name is 1 to {MAX_NAME} characters."),
        ));
    }
    if Role::ALL
        .iter()
        .any(|r| r.label().eq_ignore_ascii_case(name) || r.as_str().eq_ignore_ascii_case(name))
    {
        return Err(ApiError::invalid(
            "name",
            format!("{name} is a built-in role; choose another name."),
        ));
    }
    if permissions.contains(Permission::StaffWrite) {
        return Err(ApiError::invalid(
            "permissions",
            "Only owners manage staff: a store's own role cannot have staff:write.",
        ));
    }
    if permissions.iter().all(Permission::is_everyones) {
        return Err(ApiError::invalid(
            "permissions",
            "Choose at least one permission.",
        ));
    }
    Ok(name.to_owned())
}

fn duplicate(name: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::DuplicateName,
        format!("The store has a role named {name} already."),
    )
}

const COLUMNS: &str = "r.id AS role, store_role_info(r.store_id, r.id) AS role_info,
    (SELECT count(*) FROM store_members m WHERE m.store_id = r.store_id AND m.role = r.id)
  + (SELECT count(*) FROM staff_invites i WHERE i.store_id = r.store_id AND i.role = r.id
       AND i.accepted_at IS NULL AND i.expires_at > now()) AS members";

fn row_of(row: &tokio_postgres::Row) -> Result<RoleRow, ApiError> {
    Ok(RoleRow {
        role: store_role_col(row)?,
        members: col(row, "members")?,
    })
}

/// The store's own roles, by name.
pub async fn list<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<RoleRow>, ApiError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM store_roles r WHERE r.store_id = $1 ORDER BY lower(r.name), r.id"
    );
    let rows = client.query_typed(&sql, &[(store, Type::TEXT)]).await?;
    rows.iter().map(row_of).collect()
}

/// The role `key` names in `store`: a built-in one, or one of the store's own; 400
/// naming `role` for anything else.
pub async fn find<C: Sql>(client: &C, store: &StoreId, key: &str) -> Result<StoreRole, ApiError> {
    if let Some(role) = Role::parse(key) {
        return Ok(StoreRole::builtin(role));
    }
    let not_one = || ApiError::invalid("role", "is not a role of this store");
    let id = CustomRoleId::parse(key).map_err(|_| not_one())?;
    one(client, store, &id)
        .await?
        .map(|r| r.role)
        .ok_or_else(not_one)
}

/// The store's own role `id`, if it is one.
pub async fn one<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CustomRoleId,
) -> Result<Option<RoleRow>, ApiError> {
    let sql = format!("SELECT {COLUMNS} FROM store_roles r WHERE r.store_id = $1 AND r.id = $2");
    let rows = client
        .query_typed(&sql, &[(store, Type::TEXT), (id, Type::TEXT)])
        .await?;
    first(rows).as_ref().map(row_of).transpose()
}

/// Defines a role of `store`; 409 when the store has one of that name.
pub async fn create<C: Sql>(
    client: &C,
    store: &StoreId,
    name: &str,
    permissions: Permissions,
) -> Result<StoreRole, ApiError> {
    let name = check(name, permissions)?;
    let id = CustomRoleId::generate();
    let names = permissions.names();
    let params: [Param<'_>; 4] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (&name, Type::TEXT),
        (&names, Type::TEXT_ARRAY),
    ];
    let inserted = client
        .execute_typed(
            "INSERT INTO store_roles (id, store_id, name, permissions) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &params,
        )
        .await?;
    if inserted == 0 {
        return Err(duplicate(&name));
    }
    Ok(StoreRole::custom(id.as_str(), &name, permissions))
}

/// Renames and regrants role `id` of `store`; members have the new set at their next
/// request. Answers the role as it was.
pub async fn update<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CustomRoleId,
    name: &str,
    permissions: Permissions,
) -> Result<StoreRole, ApiError> {
    let name = check(name, permissions)?;
    let before = one(client, store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Role", "id", id.as_str()))?;
    let names = permissions.names();
    let params: [Param<'_>; 4] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&name, Type::TEXT),
        (&names, Type::TEXT_ARRAY),
    ];
    let clash = client
        .query_typed(
            "SELECT 1 FROM store_roles WHERE store_id = $1 AND id <> $2 AND lower(name) = lower($3)",
            &params[..3],
        )
        .await?;
    if !clash.is_empty() {
        return Err(duplicate(&name));
    }
    client
        .execute_typed(
            "UPDATE store_roles SET name = $3, permissions = $4, updated_at = now()
             WHERE store_id = $1 AND id = $2",
            &params,
        )
        .await?;
    Ok(before.role)
}

/// Deletes role `id` of `store` when no member or open invitation has it (409
/// otherwise: give them another role first). Answers the role as it was.
pub async fn delete<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CustomRoleId,
) -> Result<StoreRole, ApiError> {
    let found = one(client, store, id)
        .await?
        .ok_or_else(|| ApiError::not_found("Role", "id", id.as_str()))?;
    let deleted = client
        .execute_typed(
            "DELETE FROM store_roles r WHERE r.store_id = $1 AND r.id = $2
               AND NOT EXISTS (SELECT 1 FROM store_members m
                               WHERE m.store_id = r.store_id AND m.role = r.id)
               AND NOT EXISTS (SELECT 1 FROM staff_invites i
                               WHERE i.store_id = r.store_id AND i.role = r.id
                                 AND i.accepted_at IS NULL)",
            &[(store, Type::TEXT), (id, Type::TEXT)],
        )
        .await?;
    if deleted == 0 {
        return Err(ApiError::conflict(
            ErrorCode::RoleInUse,
            format!(
                "{} is the role of {} member(s) or invitation(s): give them another role first.",
                found.role.label(),
                found.members.max(1)
            ),
        ));
    }
    Ok(found.role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_needs_a_name_of_its_own_and_a_permission_below_staff_write() {
        let orders = Permissions::of([Permission::OrderRead]);
        assert_eq!(check("  Night shift ", orders).unwrap(), "Night shift");
        assert_eq!(check("", orders).unwrap_err().param(), Some("name"));
        assert_eq!(
            check(&"x".repeat(61), orders).unwrap_err().param(),
            Some("name")
        );
        assert_eq!(
            check("fulfilment", orders).unwrap_err().param(),
            Some("name")
        );
        let staff = Permissions::of([Permission::StaffWrite]);
        assert_eq!(
            check("Boss", staff).unwrap_err().param(),
            Some("permissions")
        );
        let shell = Permissions::of([Permission::AdminRead]);
        assert_eq!(
            check("Empty", shell).unwrap_err().param(),
            Some("permissions")
        );
    }
}
