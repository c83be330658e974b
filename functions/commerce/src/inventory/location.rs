//! Stock locations: the places a store keeps stock, in the order checkout holds stock
//! from them (`rank`). Made, renamed and moved by staff; deleted only while nothing
//! is or was ever there (no units, no orders held or packed there, no ledger rows), so
//! no count and no history goes with it. A location may have an address
//! ([`AddressInput`]): none, or at least a street, a city and a known country.

use serde::{Deserialize, Serialize};
use tokio_postgres::types::Type;

use crate::db::{col, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{StockLocationId, StoreId};

/// A stock location with what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub id: StockLocationId,
    pub name: String,
    /// Checkout holds stock from the lowest rank first.
    pub rank: i32,
    pub created_at: String,
    pub updated_at: String,
    /// Units stocked there over every variant.
    pub stocked: i64,
    pub address: Option<Address>,
}

/// Where a location is (Medusa's stock location address, without company and phone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub address_1: String,
    pub address_2: String,
    pub city: String,
    pub postal_code: String,
    pub province: String,
    /// Lower-case ISO 3166-1 alpha-2.
    pub country_code: String,
}

/// An address as typed: every field empty is no address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AddressInput {
    pub address_1: String,
    pub address_2: String,
    pub city: String,
    pub postal_code: String,
    pub province: String,
    pub country_code: String,
}

impl From<&Address> for AddressInput {
    fn from(a: &Address) -> Self {
        AddressInput {
            address_1: a.address_1.clone(),
            address_2: a.address_2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            province: a.province.clone(),
            country_code: a.country_code.clone(),
        }
    }
}

impl AddressInput {
    /// No address (every field empty), or one with a street, a city and a two-letter
    /// country (known to the database: [`set_address`] says if not); each field up to
    /// 200 characters (a postal code 20), without control characters.
    pub fn check(&self) -> Result<Option<Address>, crate::catalog::edit::FieldErrors> {
        let fields = [
            ("address_1", &self.address_1, 200),
            ("address_2", &self.address_2, 200),
            ("city", &self.city, 200),
            ("postal_code", &self.postal_code, 20),
            ("province", &self.province, 200),
            ("country_code", &self.country_code, 2),
        ];
        if fields.iter().all(|(_, v, _)| v.trim().is_empty()) {
            return Ok(None);
        }
        let mut errors = Vec::new();
        for (name, value, max) in fields {
            let v = value.trim();
            if v.chars().count() > max || v.chars().any(char::is_control) {
                errors.push((
                    name,
                    format!("Up to {max} characters, without control characters."),
                ));
            }
        }
        for (name, value, words) in [
            ("address_1", &self.address_1, "Type the street and number."),
            ("city", &self.city, "Type the city."),
        ] {
            if value.trim().is_empty() {
                errors.push((name, words.to_owned()));
            }
        }
        let country = self.country_code.trim().to_ascii_lowercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_lowercase()) {
            errors.retain(|(n, _)| *n != "country_code");
            errors.push((
                "country_code",
                "Type the two-letter country code, such as de or us.".to_owned(),
            ));
        }
        if !errors.is_empty() {
            return Err(crate::catalog::edit::FieldErrors(errors));
        }
        Ok(Some(Address {
            address_1: self.address_1.trim().to_owned(),
            address_2: self.address_2.trim().to_owned(),
            city: self.city.trim().to_owned(),
            postal_code: self.postal_code.trim().to_owned(),
            province: self.province.trim().to_owned(),
            country_code: country,
        }))
    }
}

/// Medusa's stock location address (its id is the location's).
#[derive(Debug, Clone, Serialize)]
pub struct AddressJson {
    pub id: String,
    pub address_1: String,
    pub address_2: Option<String>,
    pub company: Option<String>,
    pub city: String,
    pub country_code: String,
    pub phone: Option<String>,
    pub province: Option<String>,
    pub postal_code: Option<String>,
    pub metadata: Option<()>,
}

/// Medusa's `StockLocation`.
#[derive(Debug, Clone, Serialize)]
pub struct LocationJson {
    pub id: String,
    pub name: String,
    pub rank: i32,
    pub stocked_quantity: i64,
    pub address_id: Option<String>,
    pub address: Option<AddressJson>,
    pub metadata: Option<()>,
    pub created_at: String,
    pub updated_at: String,
}

pub fn location_json(l: &Location) -> LocationJson {
    LocationJson {
        id: l.id.as_str().to_owned(),
        name: l.name.clone(),
        rank: l.rank,
        stocked_quantity: l.stocked,
        address_id: l.address.as_ref().map(|_| l.id.as_str().to_owned()),
        address: l.address.as_ref().map(|a| {
            let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            AddressJson {
                id: l.id.as_str().to_owned(),
                address_1: a.address_1.clone(),
                address_2: some(&a.address_2),
                company: None,
                city: a.city.clone(),
                country_code: a.country_code.clone(),
                phone: None,
                province: some(&a.province),
                postal_code: some(&a.postal_code),
                metadata: None,
            }
        }),
        metadata: None,
        created_at: l.created_at.clone(),
        updated_at: l.updated_at.clone(),
    }
}

/// Which way a location moves in the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Held from earlier.
    Up,
    /// Held from later.
    Down,
}

const LIST_SQL: &str = "
    SELECT l.id, l.name, l.rank, api_ts(l.created_at) AS created_at,
           api_ts(l.updated_at) AS updated_at, l.address_1, l.address_2, l.city,
           l.postal_code, l.province, l.country_code,
           coalesce((SELECT sum(il.stocked) FROM inventory_levels il
                     WHERE il.location_id = l.id), 0)::int8 AS stocked
    FROM stock_locations l WHERE l.store_id = $1
    ORDER BY l.rank, l.id";

/// The store's locations in the order checkout holds stock from them (rank, then id,
/// as `hold_stock` reads them).
pub async fn locations<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<Location>, ApiError> {
    let rows = client.query_typed(LIST_SQL, &[(store, Type::TEXT)]).await?;
    rows.iter()
        .map(|row| {
            Ok(Location {
                id: col(row, "id")?,
                name: col(row, "name")?,
                rank: col(row, "rank")?,
                created_at: col(row, "created_at")?,
                updated_at: col(row, "updated_at")?,
                stocked: col(row, "stocked")?,
                address: address_from_row(row)?,
            })
        })
        .collect()
}

fn address_from_row(row: &tokio_postgres::Row) -> Result<Option<Address>, ApiError> {
    let text = |name: &str| -> Result<String, ApiError> {
        Ok(col::<Option<String>>(row, name)?.unwrap_or_default())
    };
    if col::<Option<String>>(row, "address_1")?.is_none() {
        return Ok(None);
    }
    Ok(Some(Address {
        address_1: text("address_1")?,
        address_2: text("address_2")?,
        city: text("city")?,
        postal_code: text("postal_code")?,
        province: text("province")?,
        country_code: text("country_code")?,
    }))
}

/// Sets (or, with none, clears) location `id`'s address; answers the one before. An
/// unknown country is a field error.
pub async fn set_address<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &StockLocationId,
    address: Option<&Address>,
) -> Result<Option<Address>, ApiError> {
    let before = locations(client, store)
        .await?
        .into_iter()
        .find(|l| &l.id == id)
        .ok_or_else(|| not_found(id))?
        .address;
    if before.as_ref() == address {
        return Ok(before);
    }
    let part =
        |f: fn(&Address) -> &str| address.map(f).filter(|s| !s.is_empty()).map(str::to_owned);
    let fields = [
        part(|a| &a.address_1),
        part(|a| &a.address_2),
        part(|a| &a.city),
        part(|a| &a.postal_code),
        part(|a| &a.province),
        part(|a| &a.country_code),
    ];
    let params: [Param<'_>; 8] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&fields[0], Type::TEXT),
        (&fields[1], Type::TEXT),
        (&fields[2], Type::TEXT),
        (&fields[3], Type::TEXT),
        (&fields[4], Type::TEXT),
        (&fields[5], Type::TEXT),
    ];
    let changed = client
        .execute_typed(
            "UPDATE stock_locations SET address_1 = $3, address_2 = $4, city = $5,
                    postal_code = $6, province = $7, country_code = $8, updated_at = now()
             WHERE store_id = $1 AND id = $2
               AND ($8::text IS NULL OR EXISTS (SELECT 1 FROM countries WHERE iso_2 = $8))",
            &params,
        )
        .await?;
    if changed == 0 {
        return Err(ApiError::invalid(
            "country_code",
            "Unknown country code; type a two-letter code such as de or us.",
        ));
    }
    Ok(before)
}

/// A location's name as typed, or why not: 1 to 100 characters, no control characters.
fn valid_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("name", "Give the location a name."));
    }
    if name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "must be 100 characters or fewer"));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "name",
            "control characters are not accepted",
        ));
    }
    Ok(name.to_owned())
}

fn duplicate(name: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::DuplicateName,
        format!("The store has a stock location named {name} already."),
    )
}

fn not_found(id: &StockLocationId) -> ApiError {
    ApiError::not_found("Stock location", "id", id.as_str())
}

/// A new location named `name`, held from last.
pub async fn create_location<C: Sql>(
    client: &C,
    store: &StoreId,
    name: &str,
) -> Result<Location, ApiError> {
    let name = valid_name(name)?;
    let id = StockLocationId::generate();
    let params: [Param<'_>; 3] = [(&id, Type::TEXT), (store, Type::TEXT), (&name, Type::TEXT)];
    let made = client
        .execute_typed(
            "INSERT INTO stock_locations (id, store_id, name, rank)
             SELECT $1, $2, $3, coalesce(max(rank), -1) + 1 FROM stock_locations WHERE store_id = $2
             HAVING NOT EXISTS (SELECT 1 FROM stock_locations
                                WHERE store_id = $2 AND lower(name) = lower($3))",
            &params,
        )
        .await?;
    if made == 0 {
        return Err(duplicate(&name));
    }
    let all = locations(client, store).await?;
    all.into_iter()
        .find(|l| l.id == id)
        .ok_or_else(|| ApiError::internal("the new stock location was not read back"))
}

/// Renames location `id`; answers its name before.
pub async fn rename_location<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &StockLocationId,
    name: &str,
) -> Result<String, ApiError> {
    let name = valid_name(name)?;
    let params: [Param<'_>; 3] = [(store, Type::TEXT), (id, Type::TEXT), (&name, Type::TEXT)];
    let rows = client
        .query_typed(
            "WITH old AS (SELECT name FROM stock_locations WHERE store_id = $1 AND id = $2),
                  taken AS (SELECT 1 FROM stock_locations
                            WHERE store_id = $1 AND id <> $2 AND lower(name) = lower($3)),
                  renamed AS (UPDATE stock_locations SET name = $3, updated_at = now()
                              WHERE store_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM taken)
                                AND name IS DISTINCT FROM $3
                              RETURNING id)
             SELECT (SELECT name FROM old) AS before, EXISTS (SELECT 1 FROM taken) AS taken",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::internal("renaming a location answered nothing"))?;
    let before: Option<String> = col(row, "before")?;
    let Some(before) = before else {
        return Err(not_found(id));
    };
    if col::<bool>(row, "taken")? {
        return Err(duplicate(&name));
    }
    Ok(before)
}

/// Moves location `id` one place earlier or later in the order checkout holds stock
/// from; the first cannot move up nor the last down (nothing changes). Ranks are
/// renumbered 0, 1, 2... by the current order first (locations made before ranks were
/// kept all had 0).
pub async fn move_location<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &StockLocationId,
    way: Move,
) -> Result<(), ApiError> {
    let order = locations(client, store).await?;
    let Some(at) = order.iter().position(|l| &l.id == id) else {
        return Err(not_found(id));
    };
    let to = match way {
        Move::Up if at > 0 => at - 1,
        Move::Down if at + 1 < order.len() => at + 1,
        _ => return Ok(()),
    };
    let mut ids: Vec<&str> = order.iter().map(|l| l.id.as_str()).collect();
    ids.swap(at, to);
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&ids, Type::TEXT_ARRAY)];
    client
        .execute_typed(
            "UPDATE stock_locations l SET rank = o.n - 1
             FROM unnest($2::text[]) WITH ORDINALITY AS o(id, n)
             WHERE l.store_id = $1 AND l.id = o.id",
            &params,
        )
        .await?;
    Ok(())
}

/// Deletes location `id` if nothing is or was ever there; else 409 saying what is.
pub async fn delete_location<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &StockLocationId,
) -> Result<String, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT l.name,
                    coalesce((SELECT sum(il.stocked + il.reserved) FROM inventory_levels il
                              WHERE il.location_id = l.id), 0)::int8 AS units,
                    EXISTS (SELECT 1 FROM order_reservations r WHERE r.location_id = l.id)
                 OR EXISTS (SELECT 1 FROM order_fulfillments f WHERE f.location_id = l.id) AS orders,
                    EXISTS (SELECT 1 FROM inventory_ledger g WHERE g.location_id = l.id) AS history,
                    (SELECT count(*) FROM stock_locations o WHERE o.store_id = l.store_id) AS locations
             FROM stock_locations l WHERE l.store_id = $1 AND l.id = $2",
            &params,
        )
        .await?;
    let Some(row) = rows.first() else {
        return Err(not_found(id));
    };
    let name: String = col(row, "name")?;
    let in_use = |message: String| Err(ApiError::conflict(ErrorCode::LocationInUse, message));
    if col::<i64>(row, "locations")? <= 1 {
        return in_use(format!("{name} is the store's only stock location."));
    }
    let units: i64 = col(row, "units")?;
    if units > 0 {
        return in_use(format!(
            "{name} holds {units} units (stocked or held for orders); move or count them out first."
        ));
    }
    if col::<bool>(row, "orders")? {
        return in_use(format!(
            "Orders were held or packed at {name}; it stays for their record."
        ));
    }
    if col::<bool>(row, "history")? {
        return in_use(format!(
            "{name} has counts in the inventory ledger; it stays for their record."
        ));
    }
    client
        .execute_typed(
            "DELETE FROM stock_locations WHERE store_id = $1 AND id = $2",
            &params,
        )
        .await?;
    Ok(name)
}
