//! `/store/*`: the Medusa-compatible Store API: catalog reads through the edge cache,
//! carts in their objects, checkout relayed to the origin.

pub mod auth;
pub mod carts;
pub mod catalog;
pub mod checkout;
pub mod customers;

use std::rc::Rc;

use commerce::region::{self, Region};
use commerce::store::{self, PublishableKey, Store};
use commerce::ApiError;
use tokio_postgres::Client;
use worker::{Context, Env};

use crate::config::Config;
use crate::memo::{self, Memo};
use durable_objects::db;

/// The store of a publishable key and its regions (read together: a priced product
/// read then needs no region query of its own).
pub struct KeyedStore {
    pub store: Rc<Store>,
    pub regions: Rc<[Region]>,
}

thread_local! {
    static STORES: Memo<KeyedStore> = Memo::default();
}

/// The store of a publishable key, from the isolate's memo when it has one.
pub async fn store_for(
    env: &Env,
    ctx: &Context,
    config: &Config,
    key: &PublishableKey,
) -> Result<Rc<KeyedStore>, ApiError> {
    let (env, owned_key) = (env.clone(), key.clone());
    memo::get(&STORES, key.as_str(), config.site_ttl_ms, ctx, move || {
        let (env, key) = (env.clone(), owned_key.clone());
        async move {
            db::with_client(&env, async |client: &Client| {
                let store = store::by_publishable_key(client, &key).await?;
                let regions = region::all(client, &store.id).await?;
                Ok(KeyedStore {
                    store: Rc::new(store),
                    regions: regions.into(),
                })
            })
            .await
        }
    })
    .await
}
