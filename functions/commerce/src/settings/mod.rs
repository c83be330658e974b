//! A store's settings as staff keep them: its name, the hostnames that serve it and the
//! region shoppers see first ([`SettingsInput`], [`Hostname`]); its regions with their
//! tax rate and countries ([`region`]); the shipping options each region offers
//! ([`shipping`]). The checks live beside their inputs, the SQL in [`repo`], the admin
//! API's shapes in [`json`]. What shoppers see follows through the catalog version: the
//! regions' and shipping options' triggers bump it, and [`repo::update_store`] does for
//! the store's own row.

pub mod json;
pub mod region;
pub mod repo;
pub mod shipping;

use serde::Deserialize;

pub use crate::catalog::edit::FieldErrors;
use crate::ids::{RegionId, StoreId};
use crate::money::CurrencyCode;

/// Longest store, region or shipping option name.
pub const MAX_NAME: usize = 100;

/// A name as typed, or why not: 1 to [`MAX_NAME`] characters, no control characters.
pub(crate) fn checked_name(typed: &str, what: &str) -> Result<String, String> {
    let name = typed.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(format!(
            "Give the {what} a name (up to {MAX_NAME} characters)."
        ));
    }
    Ok(name.to_owned())
}

/// A store's settings as its page and the admin API show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    pub id: StoreId,
    pub name: String,
    pub default_currency: CurrencyCode,
    /// The region a shopper sees when neither their choice nor their country picks
    /// one; always one of the store's regions.
    pub default_region: Option<RegionId>,
    /// The hostnames whose pages this store serves, in order.
    pub hosts: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// The store's own fields as typed (the settings form, or a JSON body filled in with
/// what stays).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SettingsInput {
    pub name: String,
    /// A region's id; empty: none (the shop picks by currency, then the first).
    pub default_region_id: String,
}

/// Settings that passed [`SettingsInput::check`]; the region is one of the store's
/// when [`repo::update_store`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsFields {
    pub name: String,
    pub default_region: Option<RegionId>,
}

impl SettingsInput {
    pub fn check(&self) -> Result<SettingsFields, FieldErrors> {
        let mut errors = Vec::new();
        let name = checked_name(&self.name, "store").map_err(|e| errors.push(("name", e)));
        let region = match self.default_region_id.trim() {
            "" => Ok(None),
            raw => RegionId::parse(raw)
                .map(Some)
                .map_err(|_| errors.push(("default_region_id", choose_region()))),
        };
        match (name, region) {
            (Ok(name), Ok(default_region)) => Ok(SettingsFields {
                name,
                default_region,
            }),
            _ => Err(FieldErrors(errors)),
        }
    }
}

pub(crate) fn choose_region() -> String {
    "Choose one of the store's regions.".to_owned()
}

/// A hostname that serves a store's pages: lower case, without scheme, port or path;
/// dot-separated labels of letters, digits and inner dashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hostname(String);

impl Hostname {
    /// The name as typed (any case), or the words saying what is wrong with it.
    pub fn parse(typed: &str) -> Result<Self, String> {
        let name = typed.trim().to_ascii_lowercase();
        let name = name.strip_suffix('.').unwrap_or(&name);
        if name.is_empty() {
            return Err("Type a hostname, such as shop.example.com.".to_owned());
        }
        if name.contains("://") {
            return Err("Type the hostname alone, without http:// or https://.".to_owned());
        }
        if name.contains(':') {
            return Err(
                "Type the hostname without a port (the shop serves every port).".to_owned(),
            );
        }
        if name.contains('/') {
            return Err("Type the hostname without a path.".to_owned());
        }
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if name.len() > 253 || !name.split('.').all(label_ok) {
            return Err(
                "A hostname is letters, digits and dashes between dots, such as shop.example.com."
                    .to_owned(),
            );
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_are_lower_case_without_port_scheme_or_path() {
        assert_eq!(
            Hostname::parse(" Shop.Example.COM. ").unwrap().as_str(),
            "shop.example.com"
        );
        assert_eq!(Hostname::parse("localhost").unwrap().as_str(), "localhost");
        for (bad, says) in [
            ("", "Type a hostname"),
            ("https://shop.example.com", "without http"),
            ("shop.example.com:8443", "without a port"),
            ("shop.example.com/en", "without a path"),
            ("shop..example.com", "letters, digits"),
            ("-shop.example.com", "letters, digits"),
            ("shop example.com", "letters, digits"),
        ] {
            let err = Hostname::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn settings_need_a_name_and_a_region_id_if_any() {
        let ok = SettingsInput {
            name: " Harbor ".into(),
            default_region_id: String::new(),
        }
        .check()
        .unwrap();
        assert_eq!(ok.name, "Harbor");
        assert_eq!(ok.default_region, None);
        let errors = SettingsInput {
            name: " ".into(),
            default_region_id: "not a region".into(),
        }
        .check()
        .unwrap_err();
        assert!(errors.of("name").is_some());
        assert!(errors.of("default_region_id").is_some());
    }
}
