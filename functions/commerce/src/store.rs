//! Stores (tenants): which store a request belongs to, chosen by its publishable key
//! (Store API) or its host name (storefront pages).

use tokio_postgres::types::Type;

use crate::db::{col, first, Sql};
use crate::error::ApiError;
use crate::ids::{RegionId, StoreId};
use crate::money::CurrencyCode;

/// A store of this deployment. Every catalog query is scoped by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub id: StoreId,
    pub name: String,
    pub default_currency: CurrencyCode,
    /// The region shoppers see when neither their choice nor their country picks one
    /// (set by staff on the settings page).
    pub default_region: Option<RegionId>,
    /// Bumped by the database with every change to what shoppers see of the catalog;
    /// part of every edge cache key (see migration 0003).
    pub catalog_version: i64,
}

/// A publishable API key as sent in `x-publishable-api-key`: `pk_` and 8 to 128
/// letters, digits or underscores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishableKey(String);

impl PublishableKey {
    /// A missing or empty header is `PublishableKeyMissing`; a malformed one is
    /// refused as invalid without asking the database.
    pub fn parse(header: Option<&str>) -> Result<Self, ApiError> {
        let key = header.map(str::trim).unwrap_or_default();
        if key.is_empty() {
            return Err(ApiError::PublishableKeyMissing);
        }
        let body_ok = key.strip_prefix("pk_").is_some_and(|b| {
            (8..=128).contains(&b.len())
                && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        });
        if body_ok {
            Ok(Self(key.to_owned()))
        } else {
            Err(ApiError::PublishableKeyInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A request's host name, lower-cased and without port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostName(String);

impl HostName {
    pub fn parse(host: &str) -> Option<Self> {
        let host = host.trim().to_ascii_lowercase();
        let name = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default().to_owned(),
            None => host.split(':').next().unwrap_or_default().to_owned(),
        };
        let ok = !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
        ok.then_some(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const STORE_COLUMNS: &str =
    "s.id, s.name, s.default_currency_code, s.default_region_id, s.catalog_version";

fn store_from_row(row: &tokio_postgres::Row) -> Result<Store, ApiError> {
    let currency: String = col(row, "default_currency_code")?;
    Ok(Store {
        id: col(row, "id")?,
        name: col(row, "name")?,
        default_currency: CurrencyCode::parse(&currency).map_err(|e| ApiError::Internal {
            detail: e.to_string(),
        })?,
        default_region: col(row, "default_region_id")?,
        catalog_version: col(row, "catalog_version")?,
    })
}

/// The store a publishable key belongs to; an unknown key is `PublishableKeyInvalid`.
pub async fn by_publishable_key<C: Sql>(
    client: &C,
    key: &PublishableKey,
) -> Result<Store, ApiError> {
    let sql = format!("SELECT {STORE_COLUMNS} FROM stores s WHERE s.publishable_key = $1");
    match first(client.query_typed(&sql, &[(&key.0, Type::TEXT)]).await?) {
        Some(row) => store_from_row(&row),
        None => Err(ApiError::PublishableKeyInvalid),
    }
}

/// The store serving a host name; an unknown host is `UnknownStoreHost`.
pub async fn by_host<C: Sql>(client: &C, host: &HostName) -> Result<Store, ApiError> {
    let sql = format!(
        "SELECT {STORE_COLUMNS} FROM stores s JOIN store_hosts h ON h.store_id = s.id WHERE h.hostname = $1"
    );
    match first(client.query_typed(&sql, &[(&host.0, Type::TEXT)]).await?) {
        Some(row) => store_from_row(&row),
        None => Err(ApiError::UnknownStoreHost(host.0.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_before_the_database() {
        assert!(matches!(
            PublishableKey::parse(None),
            Err(ApiError::PublishableKeyMissing)
        ));
        assert!(matches!(
            PublishableKey::parse(Some("  ")),
            Err(ApiError::PublishableKeyMissing)
        ));
        for bad in [
            "abc",
            "pk_short",
            "pk_has space in it",
            "sk_0123456789abcdef",
            "pk_' or 1=1 --",
        ] {
            assert!(
                matches!(
                    PublishableKey::parse(Some(bad)),
                    Err(ApiError::PublishableKeyInvalid)
                ),
                "{bad}"
            );
        }
        assert!(PublishableKey::parse(Some("pk_0123456789abcdef")).is_ok());
    }

    #[test]
    fn host_names_lose_their_port_and_case() {
        assert_eq!(
            HostName::parse("LocalHost:8787").unwrap().as_str(),
            "localhost"
        );
        assert_eq!(HostName::parse("[::1]:8787").unwrap().as_str(), "::1");
        assert_eq!(
            HostName::parse("shop.example.com").unwrap().as_str(),
            "shop.example.com"
        );
        assert!(HostName::parse("").is_none());
        assert!(HostName::parse("bad host").is_none());
    }
}
