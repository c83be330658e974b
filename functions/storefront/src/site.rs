//! The store a request is for, its regions, and which region a shopper sees.

use commerce::region::{self, Region};
use commerce::store::{self, HostName, Store};
use commerce::ApiError;
use tokio_postgres::GenericClient;

/// A store with its regions: what every page needs before it reads the catalog.
/// Small and read-mostly, so the edge keeps it in memory for a few seconds.
#[derive(Debug, Clone)]
pub struct Site {
    pub store: Store,
    /// In name order; never empty for a store that can sell.
    pub regions: Vec<Region>,
}

/// The name of the cookie holding the shopper's chosen region id.
pub const REGION_COOKIE: &str = "region";

impl Site {
    /// The store serving `host` with its regions; an unknown host is `UnknownStoreHost`.
    pub async fn load<C: GenericClient + Sync>(
        client: &C,
        host: &HostName,
    ) -> Result<Self, ApiError> {
        let store = store::by_host(client, host).await?;
        let regions = region::all(client, &store.id).await?;
        Ok(Self { store, regions })
    }

    /// The region a shopper sees: the one named by their cookie if this store has it,
    /// else the one serving their country (ISO 3166-1 alpha-2 from the edge), else
    /// the store's default region, else the first region serving the store's default
    /// currency, else the first.
    pub fn pick_region(&self, cookie: Option<&str>, country: Option<&str>) -> Option<&Region> {
        let by_cookie = cookie.and_then(|id| self.regions.iter().find(|r| r.id.as_str() == id));
        let by_country = || {
            let country = country?.trim().to_ascii_lowercase();
            self.regions
                .iter()
                .find(|r| r.countries.iter().any(|c| c.iso_2 == country))
        };
        let by_currency = || {
            self.regions
                .iter()
                .find(|r| r.currency == self.store.default_currency)
        };
        let by_default = || {
            let id = self.store.default_region.as_ref()?;
            self.regions.iter().find(|r| &r.id == id)
        };
        by_cookie
            .or_else(by_country)
            .or_else(by_default)
            .or_else(by_currency)
            .or_else(|| self.regions.first())
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name).then(|| v.trim())
    })
}
