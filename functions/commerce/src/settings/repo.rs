//! The SQL of a store's settings: its row and hostnames, its regions and their
//! countries, its shipping options. Every function runs inside the caller's
//! transaction; a refusal leaves nothing written once the caller rolls back.

use tokio_postgres::types::Type;

use super::shipping::ShippingFields;
use super::{choose_region, Hostname, SettingsFields, StoreSettings};
use crate::cart::ShippingKind;
use crate::db::{col, Param, Sql};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{RegionId, ShippingOptionId, StoreId};
use crate::inventory::location::Move;
use crate::money::CurrencyCode;
use crate::settings::region::RegionFields;

/// The store's settings with its hostnames.
pub async fn store_settings<C: Sql>(
    client: &C,
    store: &StoreId,
) -> Result<StoreSettings, ApiError> {
    let rows = client
        .query_typed(
            "SELECT s.id, s.name, s.default_currency_code, s.default_region_id,
                    api_ts(s.created_at) AS created_at, api_ts(s.updated_at) AS updated_at,
                    coalesce((SELECT array_agg(h.hostname ORDER BY h.hostname)
                              FROM store_hosts h WHERE h.store_id = s.id), '{}') AS hosts
             FROM stores s WHERE s.id = $1",
            &[(store, Type::TEXT)],
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Store", "id", store.as_str()))?;
    let currency: String = col(row, "default_currency_code")?;
    Ok(StoreSettings {
        id: col(row, "id")?,
        name: col(row, "name")?,
        default_currency: CurrencyCode::parse(&currency).map_err(ApiError::internal)?,
        default_region: col(row, "default_region_id")?,
        hosts: col(row, "hosts")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

/// Writes the store's name and default region (one of its regions, else a field error)
/// and bumps its catalog version when either changes (the shop shows both). Answers
/// the name and default region before.
pub async fn update_store<C: Sql>(
    client: &C,
    store: &StoreId,
    fields: &SettingsFields,
) -> Result<(String, Option<String>), ApiError> {
    let region = fields.default_region.as_ref();
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (&fields.name, Type::TEXT),
        (&region, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "WITH before AS (SELECT name, default_region_id FROM stores WHERE id = $1),
                  known AS (SELECT $3::text IS NULL
                                OR EXISTS (SELECT 1 FROM regions WHERE store_id = $1 AND id = $3) AS ok),
                  changed AS (
                      UPDATE stores SET name = $2, default_region_id = $3, updated_at = now(),
                             catalog_version = catalog_version + 1
                      WHERE id = $1 AND (SELECT ok FROM known)
                        AND (name, default_region_id) IS DISTINCT FROM ($2, $3)
                      RETURNING id)
             SELECT b.name, b.default_region_id, (SELECT ok FROM known) AS known FROM before b",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Store", "id", store.as_str()))?;
    if !col::<bool>(row, "known")? {
        return Err(ApiError::invalid("default_region_id", choose_region()));
    }
    Ok((col(row, "name")?, col(row, "default_region_id")?))
}

/// Adds `host` to the hostnames serving the store; a hostname serves one store only.
pub async fn add_host<C: Sql>(
    client: &C,
    store: &StoreId,
    host: &Hostname,
) -> Result<(), ApiError> {
    let name = host.as_str();
    let params: [Param<'_>; 2] = [(&name, Type::TEXT), (store, Type::TEXT)];
    let rows = client
        .query_typed(
            "WITH added AS (INSERT INTO store_hosts (hostname, store_id) VALUES ($1, $2)
                            ON CONFLICT (hostname) DO NOTHING RETURNING store_id)
             SELECT EXISTS (SELECT 1 FROM added) AS added,
                    (SELECT store_id FROM store_hosts WHERE hostname = $1) AS owner",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::internal("adding a hostname answered nothing"))?;
    if col::<bool>(row, "added")? {
        return Ok(());
    }
    let owner: Option<String> = col(row, "owner")?;
    let message = if owner.as_deref() == Some(store.as_str()) {
        format!("{name} serves this store already.")
    } else {
        format!("{name} serves another store; a hostname serves one store only.")
    };
    Err(ApiError::conflict(ErrorCode::DuplicateHost, message))
}

/// Takes `host` off the store; its last hostname stays (its pages need one).
pub async fn remove_host<C: Sql>(client: &C, store: &StoreId, host: &str) -> Result<(), ApiError> {
    let rows = client
        .query_typed(
            "SELECT hostname FROM store_hosts WHERE store_id = $1 ORDER BY hostname FOR UPDATE",
            &[(store, Type::TEXT)],
        )
        .await?;
    let hosts: Vec<String> = rows
        .iter()
        .map(|r| col(r, "hostname"))
        .collect::<Result<_, _>>()?;
    if !hosts.iter().any(|h| h == host) {
        return Err(ApiError::not_found("Hostname", "hostname", host.to_owned()));
    }
    if hosts.len() == 1 {
        return Err(ApiError::conflict(
            ErrorCode::LastHost,
            format!("{host} is the only hostname of the store; add another before removing it."),
        ));
    }
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&host, Type::TEXT)];
    client
        .execute_typed(
            "DELETE FROM store_hosts WHERE store_id = $1 AND hostname = $2",
            &params,
        )
        .await?;
    Ok(())
}

/// Makes `hosts` the store's hostnames (the new ones added first, then the others
/// taken off); answers the list before.
pub async fn replace_hosts<C: Sql>(
    client: &C,
    store: &StoreId,
    hosts: &[Hostname],
) -> Result<Vec<String>, ApiError> {
    if hosts.is_empty() {
        return Err(ApiError::invalid(
            "hosts",
            "A store needs at least one hostname.",
        ));
    }
    let before = store_settings(client, store).await?.hosts;
    for host in hosts
        .iter()
        .filter(|h| !before.iter().any(|b| b == h.as_str()))
    {
        add_host(client, store, host).await?;
    }
    for old in before
        .iter()
        .filter(|b| !hosts.iter().any(|h| h.as_str() == b.as_str()))
    {
        remove_host(client, store, old).await?;
    }
    Ok(before)
}

/// Makes `countries` the ones region `id` serves. Unknown codes are a field error; a
/// country another region of the store serves is refused with 409, naming that region.
async fn set_countries<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &RegionId,
    countries: &[String],
) -> Result<(), ApiError> {
    let params: [Param<'_>; 1] = [(&countries, Type::TEXT_ARRAY)];
    let rows = client
        .query_typed(
            "SELECT code FROM unnest($1::text[]) AS code
             WHERE NOT EXISTS (SELECT 1 FROM countries c WHERE c.iso_2 = code) ORDER BY code",
            &params,
        )
        .await?;
    if !rows.is_empty() {
        let unknown: Vec<String> = rows
            .iter()
            .map(|r| col(r, "code"))
            .collect::<Result<_, _>>()?;
        return Err(ApiError::invalid(
            "countries",
            format!("Unknown country code: {}.", unknown.join(", ")),
        ));
    }
    let params: [Param<'_>; 3] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&countries, Type::TEXT_ARRAY),
    ];
    let rows = client
        .query_typed(
            "SELECT c.iso_2, c.display_name, r.name AS region
             FROM region_countries rc JOIN regions r ON r.store_id = rc.store_id AND r.id = rc.region_id
             JOIN countries c ON c.iso_2 = rc.iso_2
             WHERE rc.store_id = $1 AND rc.region_id <> $2 AND rc.iso_2 = ANY($3)
             ORDER BY c.iso_2 FOR UPDATE OF rc",
            &params,
        )
        .await?;
    if let Some(row) = rows.first() {
        let country: String = col(row, "display_name")?;
        let code: String = col(row, "iso_2")?;
        let region: String = col(row, "region")?;
        return Err(ApiError::conflict(
            ErrorCode::CountryTaken,
            format!(
                "{country} ({code}) is served by the region {region}; a country belongs to one region. Take it out of {region} first."
            ),
        ));
    }
    client
        .execute_typed(
            "DELETE FROM region_countries
             WHERE store_id = $1 AND region_id = $2 AND NOT (iso_2 = ANY($3))",
            &params,
        )
        .await?;
    client
        .execute_typed(
            "INSERT INTO region_countries (store_id, region_id, iso_2)
             SELECT $1, $2, code FROM unnest($3::text[]) AS code
             ON CONFLICT (store_id, iso_2) DO NOTHING",
            &params,
        )
        .await?;
    let rows = client
        .query_typed(
            "SELECT count(*) AS n FROM region_countries
             WHERE store_id = $1 AND region_id = $2 AND iso_2 = ANY($3)",
            &params,
        )
        .await?;
    let held: i64 = rows.first().map(|r| col(r, "n")).transpose()?.unwrap_or(0);
    if held != countries.len() as i64 {
        // Another region took one of them meanwhile.
        return Err(ApiError::conflict(
            ErrorCode::CountryTaken,
            "Another region took one of these countries just now; read the regions again.",
        ));
    }
    Ok(())
}

/// A new region of the store with its countries.
pub async fn create_region<C: Sql>(
    client: &C,
    store: &StoreId,
    fields: &RegionFields,
) -> Result<RegionId, ApiError> {
    let id = RegionId::generate();
    let currency = fields.currency.as_str();
    let bp = fields.tax_rate.basis_points() as i32;
    let params: [Param<'_>; 6] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (&fields.name, Type::TEXT),
        (&currency, Type::TEXT),
        (&bp, Type::INT4),
        (&fields.tax_inclusive, Type::BOOL),
    ];
    client
        .execute_typed(
            "INSERT INTO regions (id, store_id, name, currency_code, tax_rate_bp, tax_inclusive)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &params,
        )
        .await?;
    set_countries(client, store, &id, &fields.countries).await?;
    Ok(id)
}

/// Changes region `id` to `fields` (its currency stays: [`RegionFields`] was checked
/// against it) and its countries.
pub async fn update_region<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &RegionId,
    fields: &RegionFields,
) -> Result<(), ApiError> {
    let bp = fields.tax_rate.basis_points() as i32;
    let currency = fields.currency.as_str();
    let params: [Param<'_>; 6] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&fields.name, Type::TEXT),
        (&bp, Type::INT4),
        (&fields.tax_inclusive, Type::BOOL),
        (&currency, Type::TEXT),
    ];
    let rows = client
        .query_typed(
            "WITH found AS (SELECT currency_code FROM regions WHERE store_id = $1 AND id = $2 FOR UPDATE),
                  changed AS (
                      UPDATE regions SET name = $3, tax_rate_bp = $4, tax_inclusive = $5,
                             updated_at = now()
                      WHERE store_id = $1 AND id = $2 AND currency_code = $6
                        AND (name, tax_rate_bp, tax_inclusive) IS DISTINCT FROM ($3, $4, $5)
                      RETURNING id)
             SELECT currency_code FROM found",
            &params,
        )
        .await?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::not_found("Region", "id", id.as_str()))?;
    if col::<String>(row, "currency_code")? != currency {
        return Err(ApiError::invalid(
            "currency_code",
            "A region's currency is fixed once it exists.",
        ));
    }
    set_countries(client, store, id, &fields.countries).await
}

/// A shipping option as the admin area shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminShippingOption {
    pub id: ShippingOptionId,
    pub region_id: RegionId,
    pub name: String,
    pub kind: ShippingKind,
    pub rank: i32,
    pub created_at: String,
    pub updated_at: String,
}

/// The store's shipping options (of one region, or all), by region and rank.
pub async fn shipping_options<C: Sql>(
    client: &C,
    store: &StoreId,
    region: Option<&RegionId>,
) -> Result<Vec<AdminShippingOption>, ApiError> {
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&region, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT id, region_id, name, kind, amount, threshold, rank,
                    api_ts(created_at) AS created_at, api_ts(updated_at) AS updated_at
             FROM shipping_options WHERE store_id = $1 AND ($2::text IS NULL OR region_id = $2)
             ORDER BY region_id, rank, id",
            &params,
        )
        .await?;
    rows.iter()
        .map(|row| {
            let kind: String = col(row, "kind")?;
            let amount: i64 = col(row, "amount")?;
            let threshold: Option<i64> = col(row, "threshold")?;
            let kind = match (kind.as_str(), threshold) {
                ("free_over", Some(threshold)) => ShippingKind::FreeOver { amount, threshold },
                _ => ShippingKind::Flat { amount },
            };
            Ok(AdminShippingOption {
                id: col(row, "id")?,
                region_id: col(row, "region_id")?,
                name: col(row, "name")?,
                kind,
                rank: col(row, "rank")?,
                created_at: col(row, "created_at")?,
                updated_at: col(row, "updated_at")?,
            })
        })
        .collect()
}

/// Shipping option `id` of the store, or not found.
pub async fn shipping_option<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &ShippingOptionId,
) -> Result<AdminShippingOption, ApiError> {
    shipping_options(client, store, None)
        .await?
        .into_iter()
        .find(|o| &o.id == id)
        .ok_or_else(|| ApiError::not_found("Shipping option", "id", id.as_str()))
}

/// A new shipping option of region `region`, offered last.
pub async fn create_shipping_option<C: Sql>(
    client: &C,
    store: &StoreId,
    region: &RegionId,
    fields: &ShippingFields,
) -> Result<ShippingOptionId, ApiError> {
    let id = ShippingOptionId::generate();
    let (kind, amount, threshold) = fields.columns();
    let params: [Param<'_>; 7] = [
        (&id, Type::TEXT),
        (store, Type::TEXT),
        (region, Type::TEXT),
        (&fields.name, Type::TEXT),
        (&kind, Type::TEXT),
        (&amount, Type::INT8),
        (&threshold, Type::INT8),
    ];
    let made = client
        .execute_typed(
            "INSERT INTO shipping_options (id, store_id, region_id, name, kind, amount, threshold, rank)
             SELECT $1, $2, $3, $4, $5, $6, $7,
                    coalesce((SELECT max(rank) FROM shipping_options
                              WHERE store_id = $2 AND region_id = $3), -1) + 1
             FROM regions WHERE store_id = $2 AND id = $3",
            &params,
        )
        .await?;
    if made == 0 {
        return Err(ApiError::not_found("Region", "id", region.as_str()));
    }
    Ok(id)
}

/// Changes shipping option `id` to `fields`; answers it as it was.
pub async fn update_shipping_option<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &ShippingOptionId,
    fields: &ShippingFields,
) -> Result<AdminShippingOption, ApiError> {
    let before = shipping_option(client, store, id).await?;
    let (kind, amount, threshold) = fields.columns();
    let params: [Param<'_>; 6] = [
        (store, Type::TEXT),
        (id, Type::TEXT),
        (&fields.name, Type::TEXT),
        (&kind, Type::TEXT),
        (&amount, Type::INT8),
        (&threshold, Type::INT8),
    ];
    client
        .execute_typed(
            "UPDATE shipping_options SET name = $3, kind = $4, amount = $5, threshold = $6,
                    updated_at = now()
             WHERE store_id = $1 AND id = $2
               AND (name, kind, amount, threshold) IS DISTINCT FROM ($3, $4, $5, $6)",
            &params,
        )
        .await?;
    Ok(before)
}

/// Moves shipping option `id` one place earlier or later among its region's; the
/// first cannot move up nor the last down. Ranks are renumbered 0, 1, 2...
pub async fn move_shipping_option<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &ShippingOptionId,
    way: Move,
) -> Result<AdminShippingOption, ApiError> {
    let option = shipping_option(client, store, id).await?;
    let order = shipping_options(client, store, Some(&option.region_id)).await?;
    let at = order
        .iter()
        .position(|o| &o.id == id)
        .ok_or_else(|| ApiError::not_found("Shipping option", "id", id.as_str()))?;
    let to = match way {
        Move::Up if at > 0 => at - 1,
        Move::Down if at + 1 < order.len() => at + 1,
        _ => return Ok(option),
    };
    let mut ids: Vec<&str> = order.iter().map(|o| o.id.as_str()).collect();
    ids.swap(at, to);
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&ids, Type::TEXT_ARRAY)];
    client
        .execute_typed(
            "UPDATE shipping_options o SET rank = n.n - 1
             FROM unnest($2::text[]) WITH ORDINALITY AS n(id, n)
             WHERE o.store_id = $1 AND o.id = n.id AND o.rank <> n.n - 1",
            &params,
        )
        .await?;
    Ok(option)
}

/// Removes shipping option `id`; a region keeps its last one (checkout needs a way of
/// shipping). Answers it as it was. Orders keep their own copy of the method.
pub async fn delete_shipping_option<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &ShippingOptionId,
) -> Result<AdminShippingOption, ApiError> {
    let option = shipping_option(client, store, id).await?;
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (&option.region_id, Type::TEXT)];
    let rows = client
        .query_typed(
            "SELECT o.id, r.name AS region FROM shipping_options o
             JOIN regions r ON r.store_id = o.store_id AND r.id = o.region_id
             WHERE o.store_id = $1 AND o.region_id = $2 FOR UPDATE OF o",
            &params,
        )
        .await?;
    if rows.len() <= 1 {
        let region: String = rows
            .first()
            .map(|r| col(r, "region"))
            .transpose()?
            .unwrap_or_default();
        return Err(ApiError::conflict(
            ErrorCode::LastShippingOption,
            format!(
                "{} is the only way of shipping in {region}; checkout needs one. Add another first.",
                option.name
            ),
        ));
    }
    let params: [Param<'_>; 2] = [(store, Type::TEXT), (id, Type::TEXT)];
    client
        .execute_typed(
            "DELETE FROM shipping_options WHERE store_id = $1 AND id = $2",
            &params,
        )
        .await?;
    Ok(option)
}
