//! What a member may do: permissions are `resource:operation` pairs, and each built-in
//! role is a fixed set of them. Every admin route requires exactly one permission; the
//! edge checks it with [`Role::allows`] before the handler runs.

use serde::{Deserialize, Serialize};

use crate::order::{Order, OrderAction};

macro_rules! permissions {
    ($($(#[$doc:meta])* $name:ident = $text:literal,)*) => {
        /// One `resource:operation` pair.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Permission {
            $($(#[$doc])* $name,)*
        }

        impl Permission {
            /// Every permission, in the order they are declared.
            pub const ALL: &'static [Permission] = &[$(Permission::$name,)*];

            /// `resource:operation`, as the audit log and error messages show it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Permission::$name => $text,)*
                }
            }
        }
    };
}

permissions! {
    /// The admin area's shell: the dashboard, one's own user. Every member has it.
    AdminRead = "admin:read",
    /// One's own sign-in sessions. Every member has it; an API key never does.
    AccountRead = "account:read",
    /// Ending one's own sessions, switching the store one works in. Every member has
    /// it; an API key never does.
    AccountWrite = "account:write",
    ProductRead = "product:read",
    ProductWrite = "product:write",
    InventoryRead = "inventory:read",
    InventoryWrite = "inventory:write",
    PurchaseOrderRead = "purchase_order:read",
    PurchaseOrderWrite = "purchase_order:write",
    OrderRead = "order:read",
    /// Fulfil, ship, deliver, cancel.
    OrderWrite = "order:write",
    /// Give money back: apart from `order:write`, as it moves money.
    RefundWrite = "refund:write",
    CustomerRead = "customer:read",
    CustomerWrite = "customer:write",
    AnalyticsRead = "analytics:read",
    StaffRead = "staff:read",
    /// Invite, change roles, remove members.
    StaffWrite = "staff:write",
    /// The store's secret API keys. An API key never manages keys.
    ApiKeyRead = "api_key:read",
    ApiKeyWrite = "api_key:write",
    SettingsRead = "settings:read",
    SettingsWrite = "settings:write",
    AuditRead = "audit:read",
}

impl Permission {
    /// What every member may do whatever their role: the admin's shell and their own
    /// account.
    pub const fn is_everyones(self) -> bool {
        matches!(
            self,
            Permission::AdminRead | Permission::AccountRead | Permission::AccountWrite
        )
    }

    /// What only a person signed in may do, never an API key: their own account, and
    /// making or revoking keys (a key cannot mint another).
    pub const fn is_personal(self) -> bool {
        matches!(
            self,
            Permission::AccountRead
                | Permission::AccountWrite
                | Permission::ApiKeyRead
                | Permission::ApiKeyWrite
        )
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The built-in roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything; the only role that manages staff (and other owners).
    Owner,
    /// Everything but staff.
    Admin,
    /// Products, collections and categories; reads stock.
    Catalog,
    /// Stock and purchase orders; reads products.
    Inventory,
    /// Works orders through fulfilment and shipping; no refunds.
    Fulfilment,
    /// Answers customers: reads orders, manages customers, cancels orders; no refunds.
    Support,
    /// Reads everything but staff and the audit log; changes nothing.
    Analyst,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::Owner,
        Role::Admin,
        Role::Catalog,
        Role::Inventory,
        Role::Fulfilment,
        Role::Support,
        Role::Analyst,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Catalog => "catalog",
            Role::Inventory => "inventory",
            Role::Fulfilment => "fulfilment",
            Role::Support => "support",
            Role::Analyst => "analyst",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == text)
    }

    /// How the admin area names the role.
    pub const fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Catalog => "Catalog",
            Role::Inventory => "Inventory",
            Role::Fulfilment => "Fulfilment",
            Role::Support => "Support",
            Role::Analyst => "Analyst",
        }
    }

    /// Whether the role grants `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        if permission.is_everyones() {
            return true;
        }
        match self {
            Role::Owner => true,
            Role::Admin => !matches!(permission, P::StaffRead | P::StaffWrite),
            Role::Catalog => matches!(
                permission,
                P::ProductRead | P::ProductWrite | P::InventoryRead
            ),
            Role::Inventory => matches!(
                permission,
                P::ProductRead
                    | P::InventoryRead
                    | P::InventoryWrite
                    | P::PurchaseOrderRead
                    | P::PurchaseOrderWrite
            ),
            Role::Fulfilment => matches!(
                permission,
                P::ProductRead | P::InventoryRead | P::OrderRead | P::OrderWrite | P::CustomerRead
            ),
            Role::Support => matches!(
                permission,
                P::ProductRead | P::OrderRead | P::OrderWrite | P::CustomerRead | P::CustomerWrite
            ),
            Role::Analyst => {
                permission.as_str().ends_with(":read")
                    && !matches!(permission, P::StaffRead | P::AuditRead | P::ApiKeyRead)
            }
        }
    }

    /// Whether a member with this role may hand `other` to someone (an API key): only
    /// when it grants nothing this role lacks.
    pub fn may_grant(self, other: Role) -> bool {
        Permission::ALL
            .iter()
            .all(|p| !other.allows(*p) || self.allows(*p))
    }
}

/// A set of permissions (a role's grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Permissions(u64);

impl Serialize for Permissions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

impl Permissions {
    const fn bit(p: Permission) -> u64 {
        1 << (p as u32)
    }

    pub fn of(list: impl IntoIterator<Item = Permission>) -> Self {
        Permissions(list.into_iter().fold(0, |bits, p| bits | Self::bit(p)))
    }

    /// What a built-in role grants.
    pub fn of_role(role: Role) -> Self {
        Self::of(Permission::ALL.iter().copied().filter(|p| role.allows(*p)))
    }

    /// From `resource:operation` names; names no permission has any more are skipped.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Self {
        Self::of(names.iter().filter_map(|n| {
            Permission::ALL
                .iter()
                .copied()
                .find(|p| p.as_str() == n.as_ref())
        }))
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & Self::bit(p) != 0
    }

    /// Every permission of `self` is in `other`.
    pub fn within(self, other: Permissions) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.contains(*p))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Permission::as_str).collect()
    }
}

/// A member's role in a store: a built-in [`Role`], or one the store's owners defined
/// from the permissions (never with `staff:write`: only owners manage staff). Known by
/// its key: the built-in role's name, or the custom role's id (`role_...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreRole {
    key: String,
    label: String,
    permissions: Permissions,
}

impl StoreRole {
    pub fn builtin(role: Role) -> Self {
        StoreRole {
            key: role.as_str().to_owned(),
            label: role.label().to_owned(),
            permissions: Permissions::of_role(role),
        }
    }

    /// A store's own role: what it was given, with what every member has, without what
    /// only owners may.
    pub fn custom(key: &str, label: &str, permissions: Permissions) -> Self {
        let granted = Permissions::of(
            permissions
                .iter()
                .chain(Permission::ALL.iter().copied().filter(|p| p.is_everyones()))
                .filter(|p| *p != Permission::StaffWrite),
        );
        StoreRole {
            key: key.to_owned(),
            label: label.to_owned(),
            permissions: granted,
        }
    }

    /// The built-in role's name or the custom role's id.
    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// How the audit log names it: a built-in role by its name, the store's own by its
    /// label (its id means nothing to a reader).
    pub fn audit_name(&self) -> &str {
        if self.as_builtin().is_some() {
            &self.key
        } else {
            &self.label
        }
    }

    pub fn permissions(&self) -> Permissions {
        self.permissions
    }

    /// The built-in role it is, if it is one.
    pub fn as_builtin(&self) -> Option<Role> {
        Role::parse(&self.key)
    }

    pub fn is_owner(&self) -> bool {
        self.as_builtin() == Some(Role::Owner)
    }

    pub fn allows(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    /// Whether a member with this role may hand `other` to someone (an API key): only
    /// when it grants nothing this role lacks.
    pub fn may_grant(&self, other: Permissions) -> bool {
        other.within(self.permissions)
    }
}

impl std::fmt::Display for StoreRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key)
    }
}

/// The permission staff need for `action` on `order`: moving money back (a refund, or
/// cancelling an order that was paid, which refunds it) needs `refund:write`; any
/// other action `order:write`.
pub fn order_action_permission(action: OrderAction, order: &Order) -> Permission {
    let refunds = action == OrderAction::Refund
        || (action == OrderAction::Cancel && order.paid_total().is_positive());
    if refunds {
        Permission::RefundWrite
    } else {
        Permission::OrderWrite
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_resource_operation_pairs() {
        for p in Permission::ALL {
            let (resource, operation) = p.as_str().split_once(':').unwrap();
            assert!(!resource.is_empty(), "{p}");
            assert!(matches!(operation, "read" | "write"), "{p}");
        }
    }

    #[test]
    fn roles_grant_what_they_promise() {
        use Permission as P;
        for p in Permission::ALL {
            assert!(Role::Owner.allows(*p));
            assert_eq!(
                Role::Admin.allows(*p),
                !matches!(p, P::StaffRead | P::StaffWrite),
                "{p}"
            );
            assert!(
                !Role::Analyst.allows(*p) || p.as_str().ends_with(":read") || p.is_everyones(),
                "{p}"
            );
        }
        // Only owners manage staff.
        for role in Role::ALL {
            assert_eq!(role.allows(P::StaffWrite), *role == Role::Owner, "{role}");
            assert!(role.allows(P::AdminRead), "{role}");
        }
        // Refunds move money: only owners and admins.
        let refunders: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| r.allows(P::RefundWrite))
            .collect();
        assert_eq!(refunders, [Role::Owner, Role::Admin]);
        assert!(Role::Fulfilment.allows(P::OrderWrite));
        assert!(!Role::Catalog.allows(P::OrderRead));
        assert!(Role::Analyst.allows(P::AnalyticsRead));
        assert!(!Role::Analyst.allows(P::AuditRead));
    }

    #[test]
    fn a_role_grants_only_roles_within_it() {
        for role in Role::ALL {
            assert!(Role::Owner.may_grant(*role));
            assert!(role.may_grant(*role));
            assert_eq!(Role::Admin.may_grant(*role), *role != Role::Owner, "{role}");
        }
        assert!(
            !Role::Fulfilment.may_grant(Role::Support),
            "support writes customers"
        );
        assert!(!Role::Analyst.may_grant(Role::Fulfilment));
    }

    #[test]
    fn permission_sets_hold_what_they_were_given() {
        for role in Role::ALL {
            let set = Permissions::of_role(*role);
            for p in Permission::ALL {
                assert_eq!(set.contains(*p), role.allows(*p), "{role} {p}");
            }
            assert!(set.within(Permissions::of_role(Role::Owner)));
            assert_eq!(Permissions::from_names(&set.names()), set);
        }
        assert_eq!(
            Permissions::from_names(&["order:read", "no:such"]),
            Permissions::of([Permission::OrderRead])
        );
        assert!(!Permissions::of_role(Role::Owner).within(Permissions::of_role(Role::Admin)));
    }

    #[test]
    fn a_stores_own_role_never_manages_staff_and_always_has_the_shell() {
        let asked = Permissions::of([Permission::OrderRead, Permission::StaffWrite]);
        let role = StoreRole::custom("role_1", "Night shift", asked);
        assert!(role.allows(Permission::OrderRead));
        assert!(!role.allows(Permission::StaffWrite));
        assert!(role.allows(Permission::AdminRead) && role.allows(Permission::AccountWrite));
        assert!(!role.allows(Permission::OrderWrite));
        assert_eq!(role.as_builtin(), None);
        assert!(StoreRole::builtin(Role::Owner).is_owner());
        assert!(StoreRole::builtin(Role::Admin).may_grant(role.permissions()));
        assert!(!role.may_grant(Permissions::of_role(Role::Fulfilment)));
    }

    #[test]
    fn roles_read_back_from_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
