//! Staff against a real PostgreSQL (the two-store fixture): invitations, sign-in with
//! one answer for every failure, sessions that end by sign-out, expiry or removal, the
//! store switch limited to one's memberships, and the append-only audit log.

mod common;

use commerce::email::Email;
use commerce::ids::StoreId;
use commerce::params::Page;
use commerce::staff::{self, audit, Client as From, Role, SessionKind, StoreRole, Token};
use commerce::ApiError;
use common::test_db;
use serde_json::json;
use tokio_postgres::Client;

fn store(id: &str) -> StoreId {
    StoreId::parse(id).unwrap()
}

fn from() -> From {
    From {
        ip: "192.0.2.7".into(),
        user_agent: "tests".into(),
    }
}

const PASSWORD: &str = "a long enough passphrase";

/// A member of `store_id` as `role`, through an accepted invitation.
async fn member(db: &Client, store_id: &str, email: &str, role: Role) {
    let email = Email::parse(email).unwrap();
    let token = staff::create_invite(
        db,
        &store(store_id),
        &email,
        &StoreRole::builtin(role),
        None,
    )
    .await
    .unwrap();
    staff::accept_invite(db, &token, "Sam", PASSWORD)
        .await
        .unwrap();
}

async fn sign_in(
    db: &Client,
    email: &str,
    password: &str,
) -> Result<(Token, staff::Member), ApiError> {
    staff::sign_in(db, email, password, None, SessionKind::Cookie, &from()).await
}

#[tokio::test]
async fn an_invited_owner_signs_in_and_out() {
    let db = test_db().await;
    let email = Email::parse("Owner@Alpha.test").unwrap();
    let token = staff::create_invite(
        &db,
        &store("store_ALPHA"),
        &email,
        &StoreRole::builtin(Role::Owner),
        None,
    )
    .await
    .unwrap();
    let open = staff::invitation(&db, &token).await.unwrap().unwrap();
    assert_eq!(open.email, "owner@alpha.test");
    assert_eq!(open.store_name, "Alpha");
    assert_eq!(open.role.as_builtin(), Some(Role::Owner));
    assert!(!open.existing_user);

    // A short password is refused, and the invitation stays open.
    let err = staff::accept_invite(&db, &token, "Olive", "short")
        .await
        .unwrap_err();
    assert_eq!(err.param(), Some("password"));
    staff::accept_invite(&db, &token, "Olive", PASSWORD)
        .await
        .unwrap();
    // One use only.
    assert!(staff::invitation(&db, &token).await.unwrap().is_none());
    assert_eq!(
        staff::accept_invite(&db, &token, "Eve", PASSWORD)
            .await
            .unwrap_err()
            .status(),
        404
    );

    let (session, member) = sign_in(&db, "OWNER@alpha.test", PASSWORD).await.unwrap();
    assert_eq!(member.store_id.as_str(), "store_ALPHA");
    assert_eq!(member.role.as_builtin(), Some(Role::Owner));
    assert_eq!(member.name, "Olive");
    let again = staff::session(&db, &session, SessionKind::Cookie)
        .await
        .unwrap();
    assert_eq!(again, Some(member));
    // A cookie's token is not a bearer token.
    assert!(staff::session(&db, &session, SessionKind::Bearer)
        .await
        .unwrap()
        .is_none());

    staff::revoke(&db, &session).await.unwrap();
    assert!(staff::session(&db, &session, SessionKind::Cookie)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_read_the_same() {
    let db = test_db().await;
    member(&db, "store_ALPHA", "sam@alpha.test", Role::Fulfilment).await;
    let wrong = sign_in(&db, "sam@alpha.test", "not the passphrase")
        .await
        .unwrap_err();
    let unknown = sign_in(&db, "nobody@alpha.test", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn sessions_end_when_idle_past_their_time_or_when_the_member_is_removed() {
    let db = test_db().await;
    member(&db, "store_ALPHA", "sam@alpha.test", Role::Support).await;
    let (idle, _) = sign_in(&db, "sam@alpha.test", PASSWORD).await.unwrap();
    let (old, _) = sign_in(&db, "sam@alpha.test", PASSWORD).await.unwrap();
    let (kept, _) = sign_in(&db, "sam@alpha.test", PASSWORD).await.unwrap();
    db.execute(
        "UPDATE staff_sessions SET last_seen_at = now() - interval '3 hours' WHERE token_hash = $1",
        &[&idle.hash()],
    )
    .await
    .unwrap();
    db.execute(
        "UPDATE staff_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
        &[&old.hash()],
    )
    .await
    .unwrap();
    assert!(staff::session(&db, &idle, SessionKind::Cookie)
        .await
        .unwrap()
        .is_none());
    assert!(staff::session(&db, &old, SessionKind::Cookie)
        .await
        .unwrap()
        .is_none());
    assert!(staff::session(&db, &kept, SessionKind::Cookie)
        .await
        .unwrap()
        .is_some());

    db.execute(
        "DELETE FROM store_members WHERE store_id = 'store_ALPHA'",
        &[],
    )
    .await
    .unwrap();
    assert!(staff::session(&db, &kept, SessionKind::Cookie)
        .await
        .unwrap()
        .is_none());
    let err = sign_in(&db, "sam@alpha.test", PASSWORD).await.unwrap_err();
    assert_eq!(err.status(), 401);
}

#[tokio::test]
async fn a_member_of_two_stores_switches_only_between_them() {
    let db = test_db().await;
    member(&db, "store_ALPHA", "pat@both.test", Role::Catalog).await;
    // The second invitation finds the account: it asks for the password, not a new one.
    let email = Email::parse("pat@both.test").unwrap();
    let token = staff::create_invite(
        &db,
        &store("store_BETA"),
        &email,
        &StoreRole::builtin(Role::Analyst),
        None,
    )
    .await
    .unwrap();
    assert!(
        staff::invitation(&db, &token)
            .await
            .unwrap()
            .unwrap()
            .existing_user
    );
    let err = staff::accept_invite(&db, &token, "", "a wrong passphrase!")
        .await
        .unwrap_err();
    assert_eq!(err.param(), Some("password"));
    staff::accept_invite(&db, &token, "", PASSWORD)
        .await
        .unwrap();

    let prefer = store("store_BETA");
    let (session, member) = staff::sign_in(
        &db,
        "pat@both.test",
        PASSWORD,
        Some(&prefer),
        SessionKind::Cookie,
        &from(),
    )
    .await
    .unwrap();
    assert_eq!(
        (member.store_id.as_str(), member.role.as_builtin().unwrap()),
        ("store_BETA", Role::Analyst)
    );
    assert_eq!(member.name, "Sam");
    let stores = staff::memberships(&db, &member.user_id).await.unwrap();
    let names: Vec<&str> = stores.iter().map(|m| m.store_name.as_str()).collect();
    assert_eq!(names, ["Alpha", "Beta"]);

    assert!(staff::switch_store(&db, &session, &store("store_ALPHA"))
        .await
        .unwrap());
    let now = staff::session(&db, &session, SessionKind::Cookie)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (now.store_id.as_str(), now.role.as_builtin().unwrap()),
        ("store_ALPHA", Role::Catalog)
    );

    // A store the user does not work for is refused.
    db.execute(
        "DELETE FROM store_members WHERE store_id = 'store_BETA'",
        &[],
    )
    .await
    .unwrap();
    assert!(!staff::switch_store(&db, &session, &store("store_BETA"))
        .await
        .unwrap());
    assert!(staff::session(&db, &session, SessionKind::Cookie)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn the_audit_log_is_append_only_and_per_store() {
    let db = test_db().await;
    member(&db, "store_ALPHA", "olive@alpha.test", Role::Owner).await;
    member(&db, "store_BETA", "bea@beta.test", Role::Owner).await;
    let (_, olive) = sign_in(&db, "olive@alpha.test", PASSWORD).await.unwrap();
    let (_, bea) = sign_in(&db, "bea@beta.test", PASSWORD).await.unwrap();
    for (who, action) in [
        (&olive, "sign_in"),
        (&olive, "order.fulfil"),
        (&bea, "sign_in"),
    ] {
        let entry = audit::Entry {
            action,
            target_id: Some("order_1"),
            change: json!({"status": ["confirmed", "fulfilled"]}),
        };
        audit::record(&db, who, &from(), "trace-1", entry)
            .await
            .unwrap();
    }
    let page = Page {
        limit: 10,
        offset: 0,
    };
    let all = audit::Filter::default();
    let (rows, total) = audit::list(&db, &olive.store_id, all, page).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(rows[0].action, "order.fulfil");
    assert_eq!(rows[0].user_email.as_deref(), Some("olive@alpha.test"));
    assert_eq!(rows[0].ip, "192.0.2.7");
    let orders = audit::Filter {
        action: Some("order."),
        target: Some("order_1"),
    };
    let (rows, total) = audit::list(&db, &olive.store_id, orders, page)
        .await
        .unwrap();
    assert_eq!((rows.len(), total), (1, 1));

    for refused in ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"] {
        let err = db.execute(refused, &[]).await.unwrap_err();
        let message = err.as_db_error().map(|e| e.message().to_owned());
        assert_eq!(
            message.as_deref(),
            Some("audit_log is append-only"),
            "{refused}"
        );
    }
    let (_, total) = audit::list(&db, &olive.store_id, all, page).await.unwrap();
    assert_eq!(total, 2);
}

#[tokio::test]
async fn owners_manage_members_but_a_store_keeps_an_owner() {
    let db = test_db().await;
    let alpha = store("store_ALPHA");
    member(&db, "store_ALPHA", "olive@alpha.test", Role::Owner).await;
    member(&db, "store_ALPHA", "sam@alpha.test", Role::Fulfilment).await;
    let list = staff::members(&db, &alpha).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].role.as_builtin(), Some(Role::Owner), "owners first");
    let (olive, sam) = (list[0].user_id.clone(), list[1].user_id.clone());

    // The last owner can be neither demoted nor removed.
    let err = staff::change_role(&db, &alpha, &olive, &StoreRole::builtin(Role::Admin))
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code().as_str()), (409, "last_owner"));
    assert_eq!(
        staff::remove_member(&db, &alpha, &olive)
            .await
            .unwrap_err()
            .status(),
        409
    );
    // With a second owner, the first may step down.
    assert_eq!(
        staff::change_role(&db, &alpha, &sam, &StoreRole::builtin(Role::Owner))
            .await
            .unwrap(),
        "fulfilment"
    );
    assert_eq!(
        staff::change_role(&db, &alpha, &olive, &StoreRole::builtin(Role::Admin))
            .await
            .unwrap(),
        "owner"
    );
    // Another store's member is not found here.
    member(&db, "store_BETA", "bea@beta.test", Role::Owner).await;
    let bea = staff::members(&db, &store("store_BETA")).await.unwrap()[0]
        .user_id
        .clone();
    assert_eq!(
        staff::remove_member(&db, &alpha, &bea)
            .await
            .unwrap_err()
            .status(),
        404
    );

    // Removing a member ends their sessions; their sessions are listed and revocable.
    let (a, _) = sign_in(&db, "olive@alpha.test", PASSWORD).await.unwrap();
    let (b, _) = sign_in(&db, "olive@alpha.test", PASSWORD).await.unwrap();
    let live = staff::sessions(&db, &olive).await.unwrap();
    assert_eq!(live.len(), 2);
    assert_eq!(live[0].ip, "192.0.2.7");
    let key_b = b.hash();
    assert!(
        !staff::revoke_session(&db, &bea, &key_b).await.unwrap(),
        "only one's own"
    );
    assert!(staff::revoke_session(&db, &olive, &key_b).await.unwrap());
    assert!(staff::session(&db, &b, SessionKind::Cookie)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        staff::remove_member(&db, &alpha, &olive).await.unwrap(),
        "admin"
    );
    assert!(staff::session(&db, &a, SessionKind::Cookie)
        .await
        .unwrap()
        .is_none());
    let pending = staff::pending_invites(&db, &alpha).await.unwrap();
    assert!(pending.is_empty(), "accepted invitations are not pending");
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let db = test_db().await;
    member(&db, "store_ALPHA", "sam@alpha.test", Role::Support).await;
    let (session, _) = sign_in(&db, "sam@alpha.test", PASSWORD).await.unwrap();
    assert!(staff::request_reset(&db, "nobody@alpha.test")
        .await
        .unwrap()
        .is_none());
    let reset = staff::request_reset(&db, " SAM@alpha.test ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reset.email, "sam@alpha.test");
    assert!(staff::reset_is_open(&db, &reset.token).await.unwrap());

    let err = staff::reset_password(&db, &reset.token, "short")
        .await
        .unwrap_err();
    assert_eq!(err.param(), Some("password"));
    assert!(
        staff::reset_is_open(&db, &reset.token).await.unwrap(),
        "still open"
    );
    let new = "a brand new passphrase";
    assert_eq!(
        staff::reset_password(&db, &reset.token, new).await.unwrap(),
        "sam@alpha.test"
    );
    assert!(!staff::reset_is_open(&db, &reset.token).await.unwrap());
    assert_eq!(
        staff::reset_password(&db, &reset.token, new)
            .await
            .unwrap_err()
            .status(),
        404,
        "once"
    );
    assert!(staff::session(&db, &session, SessionKind::Cookie)
        .await
        .unwrap()
        .is_none());
    assert!(sign_in(&db, "sam@alpha.test", PASSWORD).await.is_err());
    assert!(sign_in(&db, "sam@alpha.test", new).await.is_ok());

    // An hour old, it no longer works.
    let late = staff::request_reset(&db, "sam@alpha.test")
        .await
        .unwrap()
        .unwrap();
    db.execute(
        "UPDATE staff_password_resets SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
        &[&late.token.hash()],
    )
    .await
    .unwrap();
    assert!(!staff::reset_is_open(&db, &late.token).await.unwrap());
}

#[tokio::test]
async fn api_keys_act_in_their_store_until_revoked_or_their_maker_leaves() {
    use commerce::staff::api_key::{self, Secret};
    let db = test_db().await;
    let alpha = store("store_ALPHA");
    member(&db, "store_ALPHA", "olive@alpha.test", Role::Owner).await;
    member(&db, "store_ALPHA", "ada@alpha.test", Role::Admin).await;
    member(&db, "store_BETA", "bea@beta.test", Role::Owner).await;
    let (_, olive) = sign_in(&db, "olive@alpha.test", PASSWORD).await.unwrap();
    let (_, ada) = sign_in(&db, "ada@alpha.test", PASSWORD).await.unwrap();
    let (_, bea) = sign_in(&db, "bea@beta.test", PASSWORD).await.unwrap();

    let (key, secret) = api_key::create(&db, &olive, " Warehouse sync ", Role::Fulfilment)
        .await
        .unwrap();
    assert_eq!(
        (key.title.as_str(), key.role),
        ("Warehouse sync", Role::Fulfilment)
    );
    assert_eq!(key.redacted, secret.redacted());
    assert!(!key.is_revoked() && key.last_used_at.is_none());
    let stored: String = db
        .query_one(
            "SELECT token_hash FROM staff_api_keys WHERE id = $1",
            &[&key.id],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        !stored.contains(&secret.reveal()[3..]),
        "only the hash is kept"
    );

    // The key acts as its maker's store with its own role, and notes its use.
    let acting = api_key::member(&db, &secret).await.unwrap().unwrap();
    assert_eq!(acting.store_id, alpha);
    assert_eq!(acting.role.as_builtin(), Some(Role::Fulfilment));
    assert_eq!(acting.user_id, olive.user_id);
    assert_eq!(acting.api_key.as_ref(), Some(&key.id));
    let listed = api_key::list(&db, &alpha).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());
    assert!(api_key::list(&db, &bea.store_id).await.unwrap().is_empty());
    assert!(api_key::member(&db, &Secret::generate())
        .await
        .unwrap()
        .is_none());

    // The audit log names the key a write came through.
    let entry = audit::Entry {
        action: "order.ship",
        target_id: Some("order_1"),
        change: json!({}),
    };
    audit::record(&db, &acting, &from(), "trace-k", entry)
        .await
        .unwrap();
    let page = Page {
        limit: 10,
        offset: 0,
    };
    let (rows, _) = audit::list(&db, &alpha, audit::Filter::default(), page)
        .await
        .unwrap();
    assert_eq!(rows[0].api_key.as_deref(), Some("Warehouse sync"));

    // Another store's owner cannot revoke it; the store's own revoke it at once, twice
    // changes nothing.
    let err = api_key::revoke(&db, &bea.store_id, &key.id, &bea.user_id)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 404);
    let revoked = api_key::revoke(&db, &alpha, &key.id, &olive.user_id)
        .await
        .unwrap();
    assert!(revoked.is_revoked());
    assert_eq!(revoked.revoked_by.as_ref(), Some(&olive.user_id));
    assert!(api_key::member(&db, &secret).await.unwrap().is_none());
    let again = api_key::revoke(&db, &alpha, &key.id, &ada.user_id)
        .await
        .unwrap();
    assert_eq!(again.revoked_at, revoked.revoked_at);
    assert_eq!(again.revoked_by, revoked.revoked_by);

    // An admin's key ends when the admin is removed from the store.
    let (_, ada_secret) = api_key::create(&db, &ada, "Ada's script", Role::Admin)
        .await
        .unwrap();
    assert!(api_key::member(&db, &ada_secret).await.unwrap().is_some());
    staff::remove_member(&db, &alpha, &ada.user_id)
        .await
        .unwrap();
    assert!(api_key::member(&db, &ada_secret).await.unwrap().is_none());
}

#[tokio::test]
async fn a_stores_own_role_grants_its_set_changes_at_once_and_stays_in_its_store() {
    use commerce::staff::{roles, Permission, Permissions};
    let db = test_db().await;
    let alpha = store("store_ALPHA");
    let beta = store("store_BETA");
    let night = roles::create(
        &db,
        &alpha,
        " Night shift ",
        Permissions::of([Permission::OrderRead, Permission::OrderWrite]),
    )
    .await
    .unwrap();
    assert_eq!(night.label(), "Night shift");
    let err = roles::create(
        &db,
        &alpha,
        "night SHIFT",
        Permissions::of([Permission::OrderRead]),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 409, "one name per store");
    // Another store may use the name; it cannot use alpha's role.
    roles::create(
        &db,
        &beta,
        "Night shift",
        Permissions::of([Permission::OrderRead]),
    )
    .await
    .unwrap();
    assert_eq!(
        roles::find(&db, &beta, night.key())
            .await
            .unwrap_err()
            .param(),
        Some("role")
    );
    let email = Email::parse("nina@alpha.test").unwrap();
    assert!(
        staff::create_invite(&db, &beta, &email, &night, None)
            .await
            .is_err(),
        "the database refuses another store's role too"
    );

    let found = roles::find(&db, &alpha, night.key()).await.unwrap();
    let token = staff::create_invite(&db, &alpha, &email, &found, None)
        .await
        .unwrap();
    assert_eq!(
        staff::invitation(&db, &token).await.unwrap().unwrap().role,
        night
    );
    staff::accept_invite(&db, &token, "Nina", PASSWORD)
        .await
        .unwrap();
    let (session, nina) = sign_in(&db, "nina@alpha.test", PASSWORD).await.unwrap();
    assert!(nina.may(Permission::OrderWrite) && nina.may(Permission::AdminRead));
    assert!(!nina.may(Permission::RefundWrite) && !nina.may(Permission::StaffWrite));

    // A change applies at the member's next request.
    roles::update(
        &db,
        &alpha,
        &night.key().parse_id(),
        "Night shift",
        Permissions::of([Permission::OrderRead, Permission::RefundWrite]),
    )
    .await
    .unwrap();
    let now = staff::session(&db, &session, SessionKind::Cookie)
        .await
        .unwrap()
        .unwrap();
    assert!(now.may(Permission::RefundWrite) && !now.may(Permission::OrderWrite));
    let listed = roles::list(&db, &alpha).await.unwrap();
    assert_eq!((listed.len(), listed[0].members), (1, 1));

    // A role somebody has is not deleted; once nobody has it, it is.
    let id = night.key().parse_id();
    assert_eq!(
        roles::delete(&db, &alpha, &id).await.unwrap_err().status(),
        409
    );
    staff::change_role(
        &db,
        &alpha,
        &now.user_id,
        &StoreRole::builtin(Role::Support),
    )
    .await
    .unwrap();
    roles::delete(&db, &alpha, &id).await.unwrap();
    assert!(roles::list(&db, &alpha).await.unwrap().is_empty());
}

trait ParseId {
    fn parse_id(&self) -> commerce::ids::CustomRoleId;
}

impl ParseId for str {
    fn parse_id(&self) -> commerce::ids::CustomRoleId {
        commerce::ids::CustomRoleId::parse(self).unwrap()
    }
}
