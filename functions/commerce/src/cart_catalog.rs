//! What a cart operation reads of the catalog (its region, the variants of its lines
//! with price and stock, the region's shipping options), and where from:
//! - [`Db`]: PostgreSQL, every time;
//! - [`Memo`]: what was read before, kept in the cart objects' isolate and trusted for a
//!   bounded time, keyed by the store's catalog version, so that a change of the catalog
//!   (which bumps the version in its own transaction) is never answered from the memo
//!   once the caller knows the new version. Stock is not versioned (it changes with
//!   every order): it is at most [`Memo::ttl_ms`] old here, and checkout, which takes
//!   stock under a lock, is exact whatever a cart was told;
//! - [`Offline`]: nothing, noting that it was asked, so that a caller can first try the
//!   memo alone and open a database connection only when something is missing.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use crate::cart::ShippingOption;
use crate::catalog::variant::{self, CartVariant};
use crate::db::Sql;
use crate::error::ApiError;
use crate::ids::{RegionId, StoreId, VariantId};
use crate::money::CurrencyCode;
use crate::region::{self, Region};
use crate::shipping_option;

/// The catalog as a cart operation reads it.
#[allow(async_fn_in_trait)] // used with concrete types only, on one thread
pub trait CartCatalog {
    /// One region of the store; `NotFound` when it has none of that id.
    async fn region(&self, store: &StoreId, id: &RegionId) -> Result<Region, ApiError>;
    /// The store's regions, in the order the store lists them.
    async fn regions(&self, store: &StoreId) -> Result<Vec<Region>, ApiError>;
    /// The variants of `ids` (sorted, without duplicates) that the store has, priced in
    /// `currency`; ids it does not have are absent.
    async fn variants(
        &self,
        store: &StoreId,
        ids: &[VariantId],
        currency: CurrencyCode,
    ) -> Result<Vec<CartVariant>, ApiError>;
    /// The shipping options of one of the store's regions, in rank order.
    async fn shipping_options(
        &self,
        store: &StoreId,
        region: &RegionId,
    ) -> Result<Vec<ShippingOption>, ApiError>;
}

/// The catalog in PostgreSQL.
pub struct Db<'a, C>(pub &'a C);

impl<C: Sql> CartCatalog for Db<'_, C> {
    async fn region(&self, store: &StoreId, id: &RegionId) -> Result<Region, ApiError> {
        region::get(self.0, store, id).await
    }

    async fn regions(&self, store: &StoreId) -> Result<Vec<Region>, ApiError> {
        region::all(self.0, store).await
    }

    async fn variants(
        &self,
        store: &StoreId,
        ids: &[VariantId],
        currency: CurrencyCode,
    ) -> Result<Vec<CartVariant>, ApiError> {
        variant::for_cart(self.0, store, ids, currency).await
    }

    async fn shipping_options(
        &self,
        store: &StoreId,
        region: &RegionId,
    ) -> Result<Vec<ShippingOption>, ApiError> {
        shipping_option::for_region(self.0, store, region).await
    }
}

/// A catalog that has nothing; it notes that it was asked ([`Offline::asked`]).
#[derive(Debug, Default)]
pub struct Offline {
    asked: Cell<bool>,
}

impl Offline {
    /// Whether anything was asked of it (then the answer it gave was an error).
    pub fn asked(&self) -> bool {
        self.asked.get()
    }

    fn miss<T>(&self) -> Result<T, ApiError> {
        self.asked.set(true);
        Err(ApiError::internal("the memo alone cannot answer"))
    }
}

impl CartCatalog for Offline {
    async fn region(&self, _: &StoreId, _: &RegionId) -> Result<Region, ApiError> {
        self.miss()
    }

    async fn regions(&self, _: &StoreId) -> Result<Vec<Region>, ApiError> {
        self.miss()
    }

    async fn variants(
        &self,
        _: &StoreId,
        _: &[VariantId],
        _: CurrencyCode,
    ) -> Result<Vec<CartVariant>, ApiError> {
        self.miss()
    }

    async fn shipping_options(
        &self,
        _: &StoreId,
        _: &RegionId,
    ) -> Result<Vec<ShippingOption>, ApiError> {
        self.miss()
    }
}

/// Entries kept per kind before the oldest half is dropped.
const MAX_ENTRIES: usize = 4096;

struct Kept<T> {
    at_ms: u64,
    value: T,
}

/// Records of one kind by key, each with when it was read.
type Records<K, T> = RefCell<HashMap<K, Kept<T>>>;

/// What the memo holds: records per store and catalog version. One per isolate.
#[derive(Default)]
pub struct MemoState {
    regions: Records<(StoreId, i64), Vec<Region>>,
    variants: Records<(StoreId, i64, CurrencyCode, VariantId), CartVariant>,
    shipping: Records<(StoreId, i64, RegionId), Vec<ShippingOption>>,
}

/// Keeps `map` bounded: past `MAX_ENTRIES`, entries older than the median go.
fn bound<K: Eq + std::hash::Hash, T>(map: &mut HashMap<K, Kept<T>>) {
    if map.len() < MAX_ENTRIES {
        return;
    }
    let mut times: Vec<u64> = map.values().map(|k| k.at_ms).collect();
    times.sort_unstable();
    let median = times[times.len() / 2];
    map.retain(|_, k| k.at_ms > median);
}

/// [`MemoState`] in front of another catalog, for one operation.
pub struct Memo<'a, K> {
    pub state: &'a MemoState,
    pub inner: K,
    /// The store's catalog version as the caller knows it.
    pub version: i64,
    pub now_ms: u64,
    /// How long a record is trusted.
    pub ttl_ms: u64,
}

impl<K> Memo<'_, K> {
    fn fresh(&self, at_ms: u64) -> bool {
        self.now_ms.saturating_sub(at_ms) < self.ttl_ms && at_ms <= self.now_ms
    }
}

impl<K: CartCatalog> CartCatalog for Memo<'_, K> {
    async fn region(&self, store: &StoreId, id: &RegionId) -> Result<Region, ApiError> {
        let regions = self.regions(store).await?;
        regions
            .into_iter()
            .find(|r| &r.id == id)
            .ok_or_else(|| ApiError::not_found("Region", "id", id.as_str()))
    }

    async fn regions(&self, store: &StoreId) -> Result<Vec<Region>, ApiError> {
        let key = (store.clone(), self.version);
        if let Some(kept) = self.state.regions.borrow().get(&key) {
            if self.fresh(kept.at_ms) {
                return Ok(kept.value.clone());
            }
        }
        let regions = self.inner.regions(store).await?;
        let mut map = self.state.regions.borrow_mut();
        bound(&mut map);
        map.insert(
            key,
            Kept {
                at_ms: self.now_ms,
                value: regions.clone(),
            },
        );
        Ok(regions)
    }

    async fn variants(
        &self,
        store: &StoreId,
        ids: &[VariantId],
        currency: CurrencyCode,
    ) -> Result<Vec<CartVariant>, ApiError> {
        let key = |id: &VariantId| (store.clone(), self.version, currency, id.clone());
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let map = self.state.variants.borrow();
            for id in ids {
                match map.get(&key(id)) {
                    Some(kept) if self.fresh(kept.at_ms) => found.push(kept.value.clone()),
                    _ => missing.push(id.clone()),
                }
            }
        }
        if !missing.is_empty() {
            let read = self.inner.variants(store, &missing, currency).await?;
            let mut map = self.state.variants.borrow_mut();
            bound(&mut map);
            for v in &read {
                map.insert(
                    key(&v.id),
                    Kept {
                        at_ms: self.now_ms,
                        value: v.clone(),
                    },
                );
            }
            found.extend(read);
            found.sort_by(|a, b| a.id.cmp(&b.id));
        }
        Ok(found)
    }

    async fn shipping_options(
        &self,
        store: &StoreId,
        region: &RegionId,
    ) -> Result<Vec<ShippingOption>, ApiError> {
        let key = (store.clone(), self.version, region.clone());
        if let Some(kept) = self.state.shipping.borrow().get(&key) {
            if self.fresh(kept.at_ms) {
                return Ok(kept.value.clone());
            }
        }
        let options = self.inner.shipping_options(store, region).await?;
        let mut map = self.state.shipping.borrow_mut();
        bound(&mut map);
        map.insert(
            key,
            Kept {
                at_ms: self.now_ms,
                value: options.clone(),
            },
        );
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::testing::{eur, variant};

    /// A catalog of two variants that counts what it is asked.
    #[derive(Default)]
    struct Counting {
        variant_reads: Cell<u32>,
        ids_read: RefCell<Vec<VariantId>>,
        price: Cell<i64>,
    }

    impl CartCatalog for &Counting {
        async fn region(&self, _: &StoreId, _: &RegionId) -> Result<Region, ApiError> {
            unreachable!("the memo reads all regions")
        }
        async fn regions(&self, _: &StoreId) -> Result<Vec<Region>, ApiError> {
            Ok(Vec::new())
        }
        async fn variants(
            &self,
            _: &StoreId,
            ids: &[VariantId],
            _: CurrencyCode,
        ) -> Result<Vec<CartVariant>, ApiError> {
            self.variant_reads.set(self.variant_reads.get() + 1);
            self.ids_read.borrow_mut().extend_from_slice(ids);
            Ok(ids
                .iter()
                .filter(|id| id.as_str() != "variant_GONE")
                .map(|id| {
                    let mut v = variant(id.as_str().trim_start_matches("variant_"), 0);
                    v.price = Some(self.price.get());
                    v
                })
                .collect())
        }
        async fn shipping_options(
            &self,
            _: &StoreId,
            _: &RegionId,
        ) -> Result<Vec<ShippingOption>, ApiError> {
            Ok(Vec::new())
        }
    }

    fn ids(names: &[&str]) -> Vec<VariantId> {
        names
            .iter()
            .map(|n| VariantId::parse(&format!("variant_{n}")).unwrap())
            .collect()
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn the_memo_answers_within_its_lifetime_and_version_and_reads_only_what_it_lacks() {
        let state = MemoState::default();
        let db = Counting::default();
        db.price.set(100);
        let store = StoreId::parse("store_A").unwrap();
        let at = |version: i64, now_ms: u64| Memo {
            state: &state,
            inner: &db,
            version,
            now_ms,
            ttl_ms: 10_000,
        };
        run(async {
            let got = at(1, 0)
                .variants(&store, &ids(&["A", "B"]), eur())
                .await
                .unwrap();
            assert_eq!(got.len(), 2);
            assert_eq!(db.variant_reads.get(), 1);

            // Known ones come from the memo; only the new one is read; order is by id.
            db.ids_read.borrow_mut().clear();
            let got = at(1, 5_000)
                .variants(&store, &ids(&["A", "B", "C"]), eur())
                .await
                .unwrap();
            assert_eq!(*db.ids_read.borrow(), ids(&["C"]));
            let names: Vec<&str> = got.iter().map(|v| v.id.as_str()).collect();
            assert_eq!(names, ["variant_A", "variant_B", "variant_C"]);

            // All known and fresh: nothing is read, even offline.
            let offline = Memo {
                state: &state,
                inner: Offline::default(),
                version: 1,
                now_ms: 9_999,
                ttl_ms: 10_000,
            };
            offline
                .variants(&store, &ids(&["A", "C"]), eur())
                .await
                .unwrap();
            assert!(!offline.inner.asked());

            // A new catalog version (a price changed) is read afresh, at once.
            db.price.set(250);
            let got = at(2, 9_999)
                .variants(&store, &ids(&["A"]), eur())
                .await
                .unwrap();
            assert_eq!(got[0].price, Some(250));

            // Past the lifetime (stock may have moved), read again.
            let reads = db.variant_reads.get();
            at(1, 10_000)
                .variants(&store, &ids(&["B"]), eur())
                .await
                .unwrap();
            assert_eq!(db.variant_reads.get(), reads + 1);

            // Another store's entries are its own.
            let other = StoreId::parse("store_B").unwrap();
            let offline = Memo {
                state: &state,
                inner: Offline::default(),
                version: 2,
                now_ms: 9_999,
                ttl_ms: 10_000,
            };
            assert!(offline.variants(&other, &ids(&["A"]), eur()).await.is_err());
            assert!(offline.inner.asked());
        });
    }

    #[test]
    fn regions_and_shipping_options_are_kept_per_version() {
        let state = MemoState::default();
        let db = Counting::default();
        let store = StoreId::parse("store_A").unwrap();
        let region = RegionId::parse("reg_EU").unwrap();
        run(async {
            let memo = Memo {
                state: &state,
                inner: &db,
                version: 7,
                now_ms: 0,
                ttl_ms: 10_000,
            };
            memo.regions(&store).await.unwrap();
            memo.shipping_options(&store, &region).await.unwrap();
            let offline = Memo {
                state: &state,
                inner: Offline::default(),
                version: 7,
                now_ms: 1,
                ttl_ms: 10_000,
            };
            offline.regions(&store).await.unwrap();
            offline.shipping_options(&store, &region).await.unwrap();
            let e = offline.region(&store, &region).await.unwrap_err();
            assert!(matches!(e, ApiError::NotFound { .. }), "{e:?}");
            assert!(!offline.inner.asked());
            let newer = Memo {
                version: 8,
                ..offline
            };
            assert!(newer.regions(&store).await.is_err());
            assert!(newer.inner.asked());
        });
    }
}
