//! Customer SQL: identities (register, sign-in, the checks of a token or session), the
//! customer and their address book, password resets and the address's verification.
//! Everything is read and written inside the caller's store: an id of another store or
//! another customer is not found.

use tokio_postgres::types::{Json, Type};
use tokio_postgres::{GenericClient, Row};

use super::{
    AddressInput, Customer, CustomerAddress, Principal, Profile, RESET_TTL_S, SESSION_TTL_S,
    SIGN_IN_FAILED,
};
use crate::db::{col, first, json_col, list_page, ListQuery, Param, Sql};
use crate::email::Email;
use crate::error::ApiError;
use crate::ids::{AuthIdentityId, CustomerAddressId, CustomerId, StoreId};
use crate::params::Page;
use crate::staff::{hash_password, verify_password, Token};

/// How long the address's verification link works: a week.
pub const VERIFY_TTL_S: i64 = 7 * 24 * 3600;

fn failed() -> ApiError {
    ApiError::NotSignedIn {
        message: SIGN_IN_FAILED.to_owned(),
    }
}

fn email_of(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| e.for_field("email"))
}

/// Registers `email` with `password` in `store`: a new identity, signed in, without a
/// customer yet. An address that has an account already is refused as Medusa refuses
/// it.
pub async fn register<C: Sql>(
    client: &C,
    store: &StoreId,
    email: &str,
    password: &str,
) -> Result<Principal, ApiError> {
    let email = email_of(email)?.lookup_key();
    let phc = hash_password(password)?;
    let id = AuthIdentityId::generate();
    let params: [Param<'_>; 4] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (&email, Type::TEXT),
        (&phc, Type::TEXT),
    ];
    let inserted = client
        .execute_typed(
            "INSERT INTO customer_identities (id, store_id, email, password_hash)
             VALUES ($1, $2, $3, $4) ON CONFLICT (store_id, email) DO NOTHING",
            &params,
        )
        .await?;
    if inserted == 0 {
        return Err(ApiError::NotSignedIn {
            message: "Identity with email already exists".to_owned(),
        });
    }
    Ok(Principal {
        identity: id,
        store_id: store.clone(),
        email,
        customer: None,
        generation: 0,
    })
}

/// Signs `email` in to `store` with `password`: the identity. Every failure reads
/// [`SIGN_IN_FAILED`], and an unknown address costs a password check too.
pub async fn sign_in<C: Sql>(
    client: &C,
    store: &StoreId,
    email: &str,
    password: &str,
) -> Result<Principal, ApiError> {
    let email = email.trim().to_lowercase();
    let rows = client
        .query_typed(
            "SELECT id, store_id, email, customer_id, generation, password_hash
             FROM customer_identities WHERE store_id = $1 AND email = $2",
            &[(store, Type::TEXT), (&email, Type::TEXT)],
        )
        .await?;
    let row = first(rows);
    let stored: Option<String> = row.as_ref().map(|r| col(r, "password_hash")).transpose()?;
    if !verify_password(password, stored.as_deref()) {
        return Err(failed());
    }
    principal(&row.ok_or_else(failed)?)
}

fn principal(row: &Row) -> Result<Principal, ApiError> {
    Ok(Principal {
        identity: col(row, "id")?,
        store_id: col(row, "store_id")?,
        email: col(row, "email")?,
        customer: col(row, "customer_id")?,
        generation: col(row, "generation")?,
    })
}

/// The identity a token names, if it is of `store` and was issued in its current
/// `generation` (before no password reset since).
pub async fn identity<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &AuthIdentityId,
    generation: i32,
) -> Result<Option<Principal>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT id, store_id, email, customer_id, generation FROM customer_identities
             WHERE id = $1 AND store_id = $2 AND generation = $3",
            &[
                (id, Type::TEXT),
                (store, Type::TEXT),
                (&generation, Type::INT4),
            ],
        )
        .await?;
    first(rows).as_ref().map(principal).transpose()
}

/// A session for `principal` (`POST /auth/session`): its token goes into the cookie.
pub async fn open_session<C: Sql>(client: &C, principal: &Principal) -> Result<Token, ApiError> {
    let token = Token::generate();
    let hash = token.hash();
    let ttl = SESSION_TTL_S as f64;
    client
        .execute_typed(
            "INSERT INTO customer_sessions (token_hash, identity_id, generation, expires_at)
             VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
            &[
                (&hash, Type::TEXT),
                (&principal.identity, Type::TEXT),
                (&principal.generation, Type::INT4),
                (&ttl, Type::FLOAT8),
            ],
        )
        .await?;
    Ok(token)
}

/// Who the session of `token` is signed in as, if it is live and of `store`; its last
/// use becomes now (at most once a minute).
pub async fn session<C: Sql>(
    client: &C,
    store: &StoreId,
    token: &Token,
) -> Result<Option<Principal>, ApiError> {
    let hash = token.hash();
    let rows = client
        .query_typed(
            "WITH live AS (
                 SELECT s.token_hash, i.id, i.store_id, i.email, i.customer_id, i.generation
                 FROM customer_sessions s JOIN customer_identities i ON i.id = s.identity_id
                 WHERE s.token_hash = $1 AND i.store_id = $2 AND s.revoked_at IS NULL
                   AND s.expires_at > now() AND s.generation = i.generation),
             seen AS (
                 UPDATE customer_sessions SET last_seen_at = now()
                 WHERE token_hash = (SELECT token_hash FROM live)
                   AND last_seen_at < now() - interval '1 minute')
             SELECT id, store_id, email, customer_id, generation FROM live",
            &[(&hash, Type::TEXT), (store, Type::TEXT)],
        )
        .await?;
    first(rows).as_ref().map(principal).transpose()
}

/// Ends the session of `token` (`DELETE /auth/session`).
pub async fn end_session<C: Sql>(client: &C, token: &Token) -> Result<(), ApiError> {
    let hash = token.hash();
    client
        .execute_typed(
            "UPDATE customer_sessions SET revoked_at = now()
             WHERE token_hash = $1 AND revoked_at IS NULL",
            &[(&hash, Type::TEXT)],
        )
        .await?;
    Ok(())
}

const CUSTOMER_COLUMNS: &str = r#"
    c.id, c.store_id, c.email, c.first_name, c.last_name, c.phone, c.company_name,
    c.email_verified_at IS NOT NULL AS email_verified,
    to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
    to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
        'id', a.id, 'customer_id', a.customer_id, 'address_name', a.address_name,
        'address', a.address, 'is_default_shipping', a.is_default_shipping,
        'is_default_billing', a.is_default_billing,
        'created_at', to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'updated_at', to_char(a.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
        ORDER BY a.created_at, a.id), '[]')
     FROM customer_addresses a WHERE a.customer_id = c.id) AS addresses"#;

fn customer_from(row: &Row) -> Result<Customer, ApiError> {
    Ok(Customer {
        id: col(row, "id")?,
        store_id: col(row, "store_id")?,
        email: col(row, "email")?,
        first_name: col(row, "first_name")?,
        last_name: col(row, "last_name")?,
        phone: col(row, "phone")?,
        company_name: col(row, "company_name")?,
        email_verified: col(row, "email_verified")?,
        addresses: json_col(row, "addresses")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

fn not_found(id: &CustomerId) -> ApiError {
    ApiError::not_found("Customer", "id", id.as_str())
}

/// Customer `id` of `store`, with their addresses.
pub async fn customer<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CustomerId,
) -> Result<Customer, ApiError> {
    let sql =
        format!("SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = $1 AND c.store_id = $2");
    let rows = client
        .query_typed(&sql, &[(id, Type::TEXT), (store, Type::TEXT)])
        .await?;
    first(rows)
        .as_ref()
        .map(customer_from)
        .transpose()?
        .ok_or_else(|| not_found(id))
}

/// Makes the customer of `principal`'s identity (`POST /store/customers`) with the
/// identity's e-mail; 400 when it has one already.
pub async fn create_customer<C: tokio_postgres::GenericClient + Sync>(
    client: &C,
    principal: &Principal,
    profile: &Profile,
) -> Result<Customer, ApiError> {
    // The customer and its `customer.created` event in one transaction.
    crate::db::atomically(client, async |tx: &C| {
        make_customer(tx, principal, profile).await
    })
    .await
}

async fn make_customer<C: Sql>(
    client: &C,
    principal: &Principal,
    profile: &Profile,
) -> Result<Customer, ApiError> {
    if principal.customer.is_some() {
        return Err(ApiError::invalid(
            "authorization",
            "Request already authenticated as a customer.",
        ));
    }
    let id = CustomerId::generate();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let (first_name, last_name, phone, company) = (
        text(&profile.first_name),
        text(&profile.last_name),
        text(&profile.phone),
        text(&profile.company_name),
    );
    let params: [Param<'_>; 7] = [
        (&id, Type::TEXT),
        (&principal.identity, Type::TEXT),
        (&principal.store_id, Type::TEXT),
        (&first_name, Type::TEXT),
        (&last_name, Type::TEXT),
        (&phone, Type::TEXT),
        (&company, Type::TEXT),
    ];
    // One statement: the identity is claimed only while it has no customer, so two
    // requests at once make one.
    let rows = client
        .query_typed(
            "WITH claimed AS (
                 UPDATE customer_identities SET customer_id = $1, updated_at = now()
                 WHERE id = $2 AND store_id = $3 AND customer_id IS NULL
                 RETURNING email),
             made AS (
                 INSERT INTO customers (id, store_id, email, first_name, last_name, phone,
                                        company_name)
                 SELECT $1, $3, claimed.email, $4, $5, $6, $7 FROM claimed
                 ON CONFLICT (store_id, email) DO NOTHING
                 RETURNING id)
             SELECT (SELECT count(*) FROM claimed) AS claimed,
                    (SELECT count(*) FROM made) AS made",
            &params,
        )
        .await;
    // The identity's foreign key to its customer is checked at the statement's end.
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) => {
            return Err(ApiError::invalid(
                "email",
                "a customer with this e-mail address exists already",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let row = first(rows).ok_or_else(|| ApiError::internal("no row"))?;
    let claimed: i64 = col(&row, "claimed")?;
    if claimed == 0 {
        return Err(ApiError::invalid(
            "authorization",
            "Request already authenticated as a customer.",
        ));
    }
    let made = customer(client, &principal.store_id, &id).await?;
    let payload = crate::events::value(&crate::events::CustomerCreated {
        customer_id: made.id.to_string(),
        email: made.email.to_string(),
        first_name: made.first_name.clone(),
        last_name: made.last_name.clone(),
    });
    let topic = crate::outbox::Topic::CustomerCreated;
    crate::outbox::enqueue(client, &principal.store_id, topic, payload, None).await?;
    Ok(made)
}

/// Changes the profile of customer `id` of `store`: the fields `profile` names.
pub async fn update_customer<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &CustomerId,
    profile: &Profile,
) -> Result<Customer, ApiError> {
    let params: [Param<'_>; 6] = [
        (id, Type::TEXT),
        (store, Type::TEXT),
        (&profile.first_name, Type::TEXT),
        (&profile.last_name, Type::TEXT),
        (&profile.phone, Type::TEXT),
        (&profile.company_name, Type::TEXT),
    ];
    let changed = client
        .execute_typed(
            "UPDATE customers SET first_name = coalesce($3, first_name),
                 last_name = coalesce($4, last_name), phone = coalesce($5, phone),
                 company_name = coalesce($6, company_name), updated_at = now()
             WHERE id = $1 AND store_id = $2",
            &params,
        )
        .await?;
    if changed == 0 {
        return Err(not_found(id));
    }
    customer(client, store, id).await
}

fn address_not_found(id: &str) -> ApiError {
    ApiError::not_found("Address", "id", id.to_owned())
}

/// Address `id` of customer `owner` of `store`; any other is not found.
pub async fn address<C: Sql>(
    client: &C,
    store: &StoreId,
    owner: &CustomerId,
    id: &str,
) -> Result<CustomerAddress, ApiError> {
    let customer = customer(client, store, owner).await?;
    customer
        .addresses
        .into_iter()
        .find(|a| a.id.as_str() == id)
        .ok_or_else(|| address_not_found(id))
}

/// A page of `owner`'s addresses, oldest first, and how many there are.
pub async fn addresses<C: Sql>(
    client: &C,
    store: &StoreId,
    owner: &CustomerId,
    page: Page,
) -> Result<(Vec<CustomerAddress>, i64), ApiError> {
    let filter = "a.store_id = $1 AND a.customer_id = $2";
    let sql = format!(
        r#"SELECT a.id, a.customer_id, a.address_name, a.address, a.is_default_shipping,
               a.is_default_billing,
               to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
               to_char(a.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
               count(*) OVER () AS total
           FROM customer_addresses a WHERE {filter}
           ORDER BY a.created_at, a.id LIMIT $3 OFFSET $4"#
    );
    let count = crate::db::count_matches("customer_addresses a", filter);
    let (rows, total) = list_page(
        client,
        ListQuery {
            sql: &sql,
            count: &count,
            filter_params: &[(store, Type::TEXT), (owner, Type::TEXT)],
            extra: &[],
        },
        page,
    )
    .await?;
    let list = rows
        .iter()
        .map(|row| {
            Ok(CustomerAddress {
                id: col(row, "id")?,
                customer_id: col(row, "customer_id")?,
                address_name: col(row, "address_name")?,
                address: json_col(row, "address")?,
                is_default_shipping: col(row, "is_default_shipping")?,
                is_default_billing: col(row, "is_default_billing")?,
                created_at: col(row, "created_at")?,
                updated_at: col(row, "updated_at")?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok((list, total))
}

/// The most addresses a book keeps.
pub const MAX_ADDRESSES: i64 = 50;

/// Clears `owner`'s other defaults where `input` makes `id` the default.
async fn take_defaults<C: Sql>(
    client: &C,
    owner: &CustomerId,
    id: &CustomerAddressId,
    input: &AddressInput,
) -> Result<(), ApiError> {
    let shipping = input.is_default_shipping == Some(true);
    let billing = input.is_default_billing == Some(true);
    if shipping || billing {
        client
            .execute_typed(
                "UPDATE customer_addresses
                 SET is_default_shipping = is_default_shipping AND NOT $3,
                     is_default_billing = is_default_billing AND NOT $4
                 WHERE customer_id = $1 AND id <> $2
                   AND ((is_default_shipping AND $3) OR (is_default_billing AND $4))",
                &[
                    (owner, Type::TEXT),
                    (id, Type::TEXT),
                    (&shipping, Type::BOOL),
                    (&billing, Type::BOOL),
                ],
            )
            .await?;
    }
    Ok(())
}

/// Adds an address to `owner`'s book (at most [`MAX_ADDRESSES`]); one made a default
/// takes it from the address that had it. Answers the customer.
pub async fn add_address<C: GenericClient + Sync>(
    client: &C,
    store: &StoreId,
    owner: &CustomerId,
    input: &AddressInput,
) -> Result<Customer, ApiError> {
    input.address.validate("")?;
    let id = CustomerAddressId::generate();
    crate::db::atomically(client, async |client: &C| {
        take_defaults(client, owner, &id, input).await?;
        let name = input.address_name.clone().unwrap_or_default();
        let address = Json(&input.address);
        let (shipping, billing) = (
            input.is_default_shipping.unwrap_or(false),
            input.is_default_billing.unwrap_or(false),
        );
        let params: [Param<'_>; 8] = [
            (&id, Type::TEXT),
            (store, Type::TEXT),
            (owner, Type::TEXT),
            (&name, Type::TEXT),
            (&address, Type::JSONB),
            (&shipping, Type::BOOL),
            (&billing, Type::BOOL),
            (&MAX_ADDRESSES, Type::INT8),
        ];
        let rows = client
            .query_typed(
                "WITH owner AS (
                     SELECT id FROM customers WHERE id = $3 AND store_id = $2 FOR UPDATE)
                 INSERT INTO customer_addresses (id, store_id, customer_id, address_name,
                     address, is_default_shipping, is_default_billing)
                 SELECT $1, $2, owner.id, $4, $5, $6, $7 FROM owner
                 WHERE (SELECT count(*) FROM customer_addresses WHERE customer_id = $3) < $8
                 RETURNING id",
                &params,
            )
            .await?;
        if rows.is_empty() {
            customer(client, store, owner).await?;
            return Err(ApiError::invalid(
                "address",
                format!("an address book keeps at most {MAX_ADDRESSES} addresses"),
            ));
        }
        customer(client, store, owner).await
    })
    .await
}

/// Changes address `id` of `owner`: the fields `input` names. Answers the customer.
pub async fn update_address<C: GenericClient + Sync>(
    client: &C,
    store: &StoreId,
    owner: &CustomerId,
    id: &str,
    input: &AddressInput,
) -> Result<Customer, ApiError> {
    let current = address(client, store, owner, id).await?;
    let (postal, name) = input.applied_to(&current);
    postal.validate("")?;
    crate::db::atomically(client, async |client: &C| {
        take_defaults(client, owner, &current.id, input).await?;
        let address = Json(&postal);
        let params: [Param<'_>; 6] = [
            (&current.id, Type::TEXT),
            (owner, Type::TEXT),
            (&name, Type::TEXT),
            (&address, Type::JSONB),
            (&input.is_default_shipping, Type::BOOL),
            (&input.is_default_billing, Type::BOOL),
        ];
        client
            .execute_typed(
                "UPDATE customer_addresses SET address_name = $3, address = $4,
                     is_default_shipping = coalesce($5, is_default_shipping),
                     is_default_billing = coalesce($6, is_default_billing),
                     updated_at = now()
                 WHERE id = $1 AND customer_id = $2",
                &params,
            )
            .await?;
        customer(client, store, owner).await
    })
    .await
}

/// Removes address `id` from `owner`'s book. Answers the customer.
pub async fn delete_address<C: Sql>(
    client: &C,
    store: &StoreId,
    owner: &CustomerId,
    id: &str,
) -> Result<Customer, ApiError> {
    let removed = client
        .execute_typed(
            "DELETE FROM customer_addresses WHERE id = $1 AND customer_id = $2 AND store_id = $3",
            &[(&id, Type::TEXT), (owner, Type::TEXT), (store, Type::TEXT)],
        )
        .await?;
    if removed == 0 {
        return Err(address_not_found(id));
    }
    customer(client, store, owner).await
}

/// A mailed link: its token and who it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reset {
    pub token: Token,
    pub email: String,
    pub first_name: String,
}

/// A link of `purpose` (`reset` or `verify`) for the account of `email` in `store`, if
/// there is one; `None` otherwise (the caller answers the same either way).
async fn mailed_link<C: Sql>(
    client: &C,
    store: &StoreId,
    email: &str,
    purpose: &str,
    ttl_s: i64,
) -> Result<Option<Reset>, ApiError> {
    let token = Token::generate();
    let (hash, email) = (token.hash(), email.trim().to_lowercase());
    let ttl = ttl_s as f64;
    let params: [Param<'_>; 5] = [
        (&hash, Type::TEXT),
        (store, Type::TEXT),
        (&email, Type::TEXT),
        (&purpose, Type::TEXT),
        (&ttl, Type::FLOAT8),
    ];
    let rows = client
        .query_typed(
            "WITH i AS (
                 SELECT i.id, i.email, coalesce(c.first_name, '') AS first_name
                 FROM customer_identities i LEFT JOIN customers c ON c.id = i.customer_id
                 WHERE i.store_id = $2 AND i.email = $3),
             made AS (
                 INSERT INTO customer_tokens (token_hash, identity_id, purpose, expires_at)
                 SELECT $1, i.id, $4, now() + make_interval(secs => $5) FROM i)
             SELECT email, first_name FROM i",
            &params,
        )
        .await?;
    first(rows)
        .map(|row| {
            Ok(Reset {
                token,
                email: col(&row, "email")?,
                first_name: col(&row, "first_name")?,
            })
        })
        .transpose()
}

/// A reset link for `email`'s account in `store`, if it has one.
pub async fn request_reset<C: Sql>(
    client: &C,
    store: &StoreId,
    email: &str,
) -> Result<Option<Reset>, ApiError> {
    mailed_link(client, store, email, "reset", RESET_TTL_S).await
}

/// Whether `token` is an open reset link of `store`.
pub async fn reset_is_open<C: Sql>(
    client: &C,
    store: &StoreId,
    token: &Token,
) -> Result<bool, ApiError> {
    let hash = token.hash();
    let rows = client
        .query_typed(
            "SELECT 1 FROM customer_tokens t JOIN customer_identities i ON i.id = t.identity_id
             WHERE t.token_hash = $1 AND i.store_id = $2 AND t.purpose = 'reset'
               AND t.used_at IS NULL AND t.expires_at > now()",
            &[(&hash, Type::TEXT), (store, Type::TEXT)],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Sets a new password through the reset link of `token`, once. Every token issued
/// before (JWTs, sessions) stops working. Answers the account's e-mail address.
pub async fn reset_password<C: Sql>(
    client: &C,
    store: &StoreId,
    token: &Token,
    password: &str,
) -> Result<String, ApiError> {
    let phc = hash_password(password)?;
    let hash = token.hash();
    let rows = client
        .query_typed(
            "WITH used AS (
                 UPDATE customer_tokens t SET used_at = now()
                 FROM customer_identities i
                 WHERE t.token_hash = $1 AND i.id = t.identity_id AND i.store_id = $2
                   AND t.purpose = 'reset' AND t.used_at IS NULL AND t.expires_at > now()
                 RETURNING t.identity_id),
             changed AS (
                 UPDATE customer_identities i SET password_hash = $3,
                     generation = i.generation + 1, updated_at = now()
                 FROM used WHERE i.id = used.identity_id
                 RETURNING i.id, i.email),
             ended AS (
                 UPDATE customer_sessions s SET revoked_at = now()
                 FROM changed WHERE s.identity_id = changed.id AND s.revoked_at IS NULL)
             SELECT email FROM changed",
            &[(&hash, Type::TEXT), (store, Type::TEXT), (&phc, Type::TEXT)],
        )
        .await?;
    let row = first(rows).ok_or_else(|| ApiError::NotSignedIn {
        message: "This reset link was used or has expired; ask for a new one.".to_owned(),
    })?;
    col(&row, "email")
}

/// A verification link for the customer `principal`'s address.
pub async fn verification_link<C: Sql>(
    client: &C,
    principal: &Principal,
) -> Result<Option<Reset>, ApiError> {
    mailed_link(
        client,
        &principal.store_id,
        &principal.email,
        "verify",
        VERIFY_TTL_S,
    )
    .await
}

/// Marks the address of the verification link `token` verified (once): the guest
/// orders placed with it join the customer's history. Answers the address.
pub async fn verify_email<C: Sql>(
    client: &C,
    store: &StoreId,
    token: &Token,
) -> Result<String, ApiError> {
    let hash = token.hash();
    let rows = client
        .query_typed(
            "WITH used AS (
                 UPDATE customer_tokens t SET used_at = now()
                 FROM customer_identities i
                 WHERE t.token_hash = $1 AND i.id = t.identity_id AND i.store_id = $2
                   AND t.purpose = 'verify' AND t.used_at IS NULL AND t.expires_at > now()
                 RETURNING i.customer_id)
             UPDATE customers c SET email_verified_at = coalesce(c.email_verified_at, now())
             FROM used WHERE c.id = used.customer_id
             RETURNING c.email",
            &[(&hash, Type::TEXT), (store, Type::TEXT)],
        )
        .await?;
    let row = first(rows).ok_or_else(|| {
        ApiError::not_found("Verification link", "link", "this link (used or expired)")
    })?;
    col(&row, "email")
}
