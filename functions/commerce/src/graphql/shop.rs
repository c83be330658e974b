//! What resolvers reach beyond the database, through a port the shell implements: a
//! cart's operations in its object, and checkout and orders at the origin. The Worker
//! implements it with the Store API's own functions, so GraphQL and REST share every
//! rule, limit and refusal; the SQL tests with carts in memory.

use std::future::Future;
use std::pin::Pin;

use crate::cart_api::{CartOp, CartOutcome};
use crate::checkout::{CompleteResponse, PaymentChoice, SessionView};
use crate::ids::{CartId, OrderId};
use crate::order::Order;
use crate::ApiError;

/// A future the shell's port answers with.
pub type Port<'a, T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send + 'a>>;

/// The shell's side of carts, payments and orders, for the reader's store.
pub trait Shop: Send + Sync {
    /// Runs `op` on the cart (a `CartOp::Create` under a new id makes it).
    fn run(&self, id: CartId, op: CartOp) -> Port<'_, CartOutcome>;

    /// The cart's payment collection and a new payment session with `payment`'s
    /// provider (earlier unused sessions canceled): the new session.
    fn start_payment(&self, id: CartId, payment: PaymentChoice) -> Port<'_, SessionView>;

    /// Completes the cart as the Store API's `complete` does (the same limit, snapshot,
    /// pricing and payment): with `payment`, or with the session `start_payment` made.
    fn complete(&self, id: CartId, payment: Option<PaymentChoice>) -> Port<'_, CompleteResponse>;

    /// An order of the store by its id, as `GET /store/orders/:id` reads it.
    fn order(&self, id: OrderId) -> Port<'_, Order>;
}
