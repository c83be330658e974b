//! `CartObject`: one Durable Object per cart, addressed by the cart id. It is the
//! cart's only writer: operations run one at a time (an in-object lock held across the
//! catalog read, so concurrent adds cannot lose an update), the state is one JSON value
//! in the object's storage (SQLite-backed), and an alarm deletes the cart after it has
//! been idle for its lifetime. Rules live in `commerce::cart_api`; this file loads,
//! applies and saves.

use std::cell::RefCell;

use commerce::cart::Cart;
use commerce::cart_api::{self, CartOp, CartOutcome};
use commerce::cart_catalog::{Db, Memo, MemoState, Offline};
use commerce::ids::{CartId, StoreId};
use commerce::store::Store;
use commerce::ApiError;
use futures_util::lock::Mutex;
use serde::{Deserialize, Serialize};
use tokio_postgres::Client;
use worker::{durable_object, Date, DurableObject, Env, Request, Response, State};

use crate::{db, Reply};

/// The binding of the carts' namespace (`wrangler.toml`).
pub const BINDING: &str = "CART";
/// Plain-text variable: how long an idle cart lives, in seconds (default 30 days).
pub const LIFETIME_VAR: &str = "CART_LIFETIME_SECONDS";
/// Plain-text variable: how long the objects trust what they read of the catalog, in
/// seconds (default 10; 0 reads the database on every operation). Prices, titles and
/// shipping options are also keyed by the store's catalog version; stock is not, so a
/// cart may be told of stock up to this old (checkout is exact).
pub const CATALOG_TTL_VAR: &str = "CART_CATALOG_TTL_SECONDS";

thread_local! {
    /// What the objects of this isolate read of the catalog (`commerce::cart_catalog`).
    static MEMO: &'static MemoState = Box::leak(Box::default());
}

/// Storage key of the cart.
const CART_KEY: &str = "cart";

/// What the edge sends the object.
#[derive(Serialize, Deserialize)]
pub struct CartCall {
    pub store: StoreRef,
    pub cart_id: CartId,
    pub op: CartOp,
    pub image_base: String,
}

/// The store a call is made for (the object checks the cart belongs to it).
#[derive(Serialize, Deserialize, Clone)]
pub struct StoreRef {
    pub id: StoreId,
    pub name: String,
    pub default_currency: String,
    /// The store's catalog version as the caller knows it: the memo's key.
    pub catalog_version: i64,
}

/// The idle lifetime of carts (`CART_LIFETIME_SECONDS`), in seconds, at least 1.
pub fn lifetime_s(env: &Env) -> u64 {
    env.var(LIFETIME_VAR)
        .ok()
        .and_then(|v| v.to_string().trim().parse().ok())
        .unwrap_or(30 * 24 * 3600)
        .max(1)
}

fn lifetime_ms(env: &Env) -> u64 {
    lifetime_s(env).saturating_mul(1000)
}

/// `CART_CATALOG_TTL_SECONDS` in milliseconds.
fn catalog_ttl_ms(env: &Env) -> u64 {
    env.var(CATALOG_TTL_VAR)
        .ok()
        .and_then(|v| v.to_string().trim().parse::<u64>().ok())
        .unwrap_or(10)
        .saturating_mul(1000)
}

/// Runs `op` on cart `call.cart_id` in its object; the object's refusal comes back
/// as the same [`ApiError`].
pub async fn call(env: &Env, call: &CartCall) -> Result<CartOutcome, ApiError> {
    crate::call(env, BINDING, call.cart_id.as_str(), call).await
}

#[durable_object]
pub struct CartObject {
    state: State,
    env: Env,
    /// Held for a whole operation: the object's input gate opens while it awaits the
    /// database, and a second operation must not read the cart meanwhile.
    lock: Mutex<()>,
    /// The cart as this instance last read or wrote it in storage. The object is the
    /// cart's only writer, so while it lives its storage holds exactly this; reading it
    /// back (and decoding it) on every operation was 6 % of an add to cart.
    kept: RefCell<Option<Cart>>,
}

impl CartObject {
    /// The stored cart, unless it is past its idle lifetime (then it is deleted).
    async fn load(&self, now: u64, lifetime: u64) -> worker::Result<Option<Cart>> {
        let kept = self.kept.borrow().clone();
        let stored: Option<Cart> = match kept {
            Some(cart) => Some(cart),
            None => {
                let read: Option<Cart> = self.state.storage().get(CART_KEY).await?;
                self.kept.replace(read.clone());
                read
            }
        };
        match stored {
            Some(cart) if cart.expired(now, lifetime) => {
                self.kept.replace(None);
                self.state.storage().delete_all().await?;
                Ok(None)
            }
            other => Ok(other),
        }
    }

    /// Writes `cart` to storage (with its alarm when it is new) and keeps it.
    async fn save(&self, cart: Cart, new_cart: bool, lifetime: u64) -> worker::Result<()> {
        // Until the write has succeeded, storage may hold either cart.
        self.kept.replace(None);
        let storage = self.state.storage();
        // A new cart's alarm is set once, a lifetime ahead; a change moves the expiry
        // (counted from the last change), and the alarm, finding the cart younger than
        // that, sets itself again for the rest. Setting it on every change cost a
        // storage write per operation. Both writes go to the storage together.
        if new_cart {
            let offset = i64::try_from(lifetime).unwrap_or(i64::MAX);
            let (put, alarm) =
                futures_util::join!(storage.put(CART_KEY, &cart), storage.set_alarm(offset));
            put.and(alarm)?;
        } else {
            storage.put(CART_KEY, &cart).await?;
        }
        self.kept.replace(Some(cart));
        Ok(())
    }

    async fn run(&self, call: CartCall) -> worker::Result<Reply<CartOutcome>> {
        let _turn = self.lock.lock().await;
        let now = Date::now().as_millis();
        let lifetime = lifetime_ms(&self.env);
        // A cart is created under an id the edge has just drawn (26 random characters):
        // its object has nothing stored, and is not asked.
        let stored = match call.op {
            CartOp::Create { .. } => None,
            _ => self.load(now, lifetime).await?,
        };
        let new_cart = stored.is_none();
        let store = Store {
            id: call.store.id.clone(),
            name: call.store.name.clone(),
            default_currency: commerce::money::CurrencyCode::parse(&call.store.default_currency)
                .map_err(|e| worker::Error::RustError(e.to_string()))?,
            default_region: None,
            catalog_version: call.store.catalog_version,
        };
        let outcome = if call.op.reads_catalog() {
            self.apply(&store, &call, stored, now).await
        } else {
            cart_api::apply_snapshot(&store, &call.cart_id, stored, &call.image_base)
        };
        match outcome {
            Ok(mut outcome) => {
                if let Some(cart) = outcome.save.take() {
                    self.save(cart, new_cart, lifetime).await?;
                }
                Ok(Reply::Done(outcome))
            }
            Err(err) => Ok(Reply::from_result(Err(err))),
        }
    }
}

/// The isolate's memo in front of `inner`, for one operation on `store`'s catalog.
fn memo<K>(store: &Store, now_ms: u64, ttl_ms: u64, inner: K) -> Memo<'static, K> {
    Memo {
        state: MEMO.with(|m| *m),
        inner,
        version: store.catalog_version,
        now_ms,
        ttl_ms,
    }
}

impl CartObject {
    /// Runs a catalog-reading operation from the memo alone when it holds everything
    /// the operation reads, else again with a database connection behind the memo.
    async fn apply(
        &self,
        store: &Store,
        call: &CartCall,
        stored: Option<Cart>,
        now: u64,
    ) -> Result<CartOutcome, ApiError> {
        let ttl_ms = catalog_ttl_ms(&self.env);
        let (id, image_base) = (&call.cart_id, call.image_base.as_str());
        if ttl_ms > 0 {
            let offline = memo(store, now, ttl_ms, Offline::default());
            let op = call.op.clone();
            let answer =
                cart_api::apply_with(&offline, store, id, stored.clone(), op, now, image_base)
                    .await;
            if !offline.inner.asked() {
                return answer;
            }
        }
        db::with_client(&self.env, async |client: &Client| {
            let op = call.op.clone();
            cart_api::apply_with(
                &memo(store, now, ttl_ms, Db(client)),
                store,
                id,
                stored,
                op,
                now,
                image_base,
            )
            .await
        })
        .await
    }
}

impl DurableObject for CartObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            lock: Mutex::new(()),
            kept: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let call: CartCall = crate::json_body(&mut req).await?;
        let reply = self.run(call).await?;
        Response::from_json(&reply)
    }

    /// A lifetime has passed since the alarm was set: a cart idle for its lifetime is
    /// deleted, and its id then behaves like an unknown one; a cart changed since is
    /// given the rest of its lifetime.
    async fn alarm(&self) -> worker::Result<Response> {
        let _turn = self.lock.lock().await;
        let now = Date::now().as_millis();
        let lifetime = lifetime_ms(&self.env);
        let stored: Option<Cart> = self.state.storage().get(CART_KEY).await?;
        match stored {
            Some(cart) if !cart.expired(now, lifetime) => {
                let left = cart.expires_at_ms(lifetime) - now;
                self.state
                    .storage()
                    .set_alarm(i64::try_from(left).unwrap_or(i64::MAX))
                    .await?;
            }
            _ => {
                self.kept.replace(None);
                self.state.storage().delete_all().await?
            }
        }
        Response::ok("")
    }
}
