//! The order state machine: one enum of statuses, one enum of actions, and
//! [`transition`], the only function that decides whether an action may happen and
//! what it does to the order's stock.
//!
//! ```text
//! pending --pay--> confirmed --fulfill--> fulfilled --ship--> shipped --deliver--> delivered
//!    |                 |
//!    +--fail--> failed |
//!    +--cancel---------+--cancel--> canceled
//! ```
//! Refunds record a ledger row and leave the status as it is.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Where an order stands. Stored as its snake_case name; an unknown stored value is an
/// error, never a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created with its stock held; waiting for the payment.
    Pending,
    /// Paid (authorized and captured): the shop owes the goods.
    Confirmed,
    /// Picked and packed.
    Fulfilled,
    /// Handed to the carrier: the held stock has left the location.
    Shipped,
    Delivered,
    /// The payment failed or never came; the stock was released.
    Failed,
    /// Canceled before shipping; the stock was released.
    Canceled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::Fulfilled,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Failed,
        OrderStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Failed => "failed",
            OrderStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| ApiError::Internal {
                detail: format!("unknown order status '{s}' in the database"),
            })
    }

    /// What a shopper reads about the order.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Pending => "Awaiting payment",
            OrderStatus::Confirmed => "Confirmed",
            OrderStatus::Fulfilled => "Packed",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::Failed => "Payment failed",
            OrderStatus::Canceled => "Canceled",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAction {
    /// The payment was authorized and captured.
    Pay,
    /// The payment was declined, canceled, or never completed in time.
    Fail,
    Fulfill,
    Ship,
    Deliver,
    Cancel,
    /// Money went back to the shopper (the amount is in the ledger).
    Refund,
}

impl OrderAction {
    pub const ALL: [OrderAction; 7] = [
        OrderAction::Pay,
        OrderAction::Fail,
        OrderAction::Fulfill,
        OrderAction::Ship,
        OrderAction::Deliver,
        OrderAction::Cancel,
        OrderAction::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderAction::Pay => "pay",
            OrderAction::Fail => "fail",
            OrderAction::Fulfill => "fulfill",
            OrderAction::Ship => "ship",
            OrderAction::Deliver => "deliver",
            OrderAction::Cancel => "cancel",
            OrderAction::Refund => "refund",
        }
    }

    /// An action named by a client; the error names the field.
    pub fn parse(s: &str, field: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                ApiError::invalid(
                    field,
                    "must be one of pay, fail, fulfill, ship, deliver, cancel, refund",
                )
            })
    }
}

/// What a transition does to the stock the order holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockEffect {
    None,
    /// Give the held units back to their locations (`reserved` goes down).
    Release,
    /// The held units leave their locations (`stocked` and `reserved` go down).
    Consume,
}

/// An allowed transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub stock: StockEffect,
}

/// Whether `action` may happen to an order in `from`, and what it leads to. A refused
/// action is a 409 whose message says what the order's status allows.
pub fn transition(from: OrderStatus, action: OrderAction) -> Result<Transition, ApiError> {
    use OrderAction as A;
    use OrderStatus as S;
    let (to, stock) = match (from, action) {
        (S::Pending, A::Pay) => (S::Confirmed, StockEffect::None),
        (S::Pending, A::Fail) => (S::Failed, StockEffect::Release),
        (S::Confirmed, A::Fulfill) => (S::Fulfilled, StockEffect::None),
        (S::Fulfilled, A::Ship) => (S::Shipped, StockEffect::Consume),
        (S::Shipped, A::Deliver) => (S::Delivered, StockEffect::None),
        (S::Pending | S::Confirmed, A::Cancel) => (S::Canceled, StockEffect::Release),
        (S::Confirmed | S::Fulfilled | S::Shipped | S::Delivered | S::Canceled, A::Refund) => {
            (from, StockEffect::None)
        }
        _ => {
            return Err(ApiError::conflict(
                crate::ErrorCode::InvalidOrderTransition,
                format!(
                    "An order that is {from} cannot be {}; {}",
                    past(action),
                    allowed_from(from)
                ),
            ))
        }
    };
    Ok(Transition { from, to, stock })
}

fn past(action: OrderAction) -> &'static str {
    match action {
        OrderAction::Pay => "paid",
        OrderAction::Fail => "failed",
        OrderAction::Fulfill => "fulfilled",
        OrderAction::Ship => "shipped",
        OrderAction::Deliver => "delivered",
        OrderAction::Cancel => "canceled",
        OrderAction::Refund => "refunded",
    }
}

/// "allowed now: fulfill, cancel, refund", or that nothing is.
fn allowed_from(from: OrderStatus) -> String {
    let allowed: Vec<&str> = OrderAction::ALL
        .into_iter()
        .filter(|a| transition_ok(from, *a))
        .map(OrderAction::as_str)
        .collect();
    if allowed.is_empty() {
        "nothing can happen to it any more".to_owned()
    } else {
        format!("allowed now: {}", allowed.join(", "))
    }
}

fn transition_ok(from: OrderStatus, action: OrderAction) -> bool {
    use OrderAction as A;
    use OrderStatus as S;
    matches!(
        (from, action),
        (S::Pending, A::Pay | A::Fail | A::Cancel)
            | (S::Confirmed, A::Fulfill | A::Cancel | A::Refund)
            | (S::Fulfilled, A::Ship | A::Refund)
            | (S::Shipped, A::Deliver | A::Refund)
            | (S::Delivered | S::Canceled, A::Refund)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_runs_from_pending_to_delivered() {
        let mut status = OrderStatus::Pending;
        for action in [
            OrderAction::Pay,
            OrderAction::Fulfill,
            OrderAction::Ship,
            OrderAction::Deliver,
        ] {
            status = transition(status, action).unwrap().to;
        }
        assert_eq!(status, OrderStatus::Delivered);
    }

    #[test]
    fn stock_is_released_by_failure_and_cancel_and_consumed_by_shipping() {
        let t = |s, a| transition(s, a).unwrap().stock;
        assert_eq!(
            t(OrderStatus::Pending, OrderAction::Fail),
            StockEffect::Release
        );
        assert_eq!(
            t(OrderStatus::Pending, OrderAction::Cancel),
            StockEffect::Release
        );
        assert_eq!(
            t(OrderStatus::Confirmed, OrderAction::Cancel),
            StockEffect::Release
        );
        assert_eq!(
            t(OrderStatus::Fulfilled, OrderAction::Ship),
            StockEffect::Consume
        );
        assert_eq!(t(OrderStatus::Pending, OrderAction::Pay), StockEffect::None);
    }

    #[test]
    fn refused_transitions_are_409_and_say_what_is_allowed() {
        let e = transition(OrderStatus::Shipped, OrderAction::Cancel).unwrap_err();
        assert_eq!(e.status(), 409);
        assert_eq!(e.body().code, "invalid_order_transition");
        assert_eq!(
            e.body().message,
            "An order that is shipped cannot be canceled; allowed now: deliver, refund"
        );
        let e = transition(OrderStatus::Failed, OrderAction::Pay).unwrap_err();
        assert!(e.body().message.contains("nothing can happen"));
        assert!(transition(OrderStatus::Confirmed, OrderAction::Pay).is_err());
        assert!(transition(OrderStatus::Delivered, OrderAction::Ship).is_err());
    }

    #[test]
    fn the_allowed_list_agrees_with_the_transition_function() {
        for s in OrderStatus::ALL {
            for a in OrderAction::ALL {
                assert_eq!(transition(s, a).is_ok(), transition_ok(s, a), "{s} {a:?}");
            }
        }
    }

    #[test]
    fn refunds_keep_the_status() {
        let t = transition(OrderStatus::Delivered, OrderAction::Refund).unwrap();
        assert_eq!(t.to, OrderStatus::Delivered);
        assert!(transition(OrderStatus::Pending, OrderAction::Refund).is_err());
    }

    #[test]
    fn statuses_and_actions_parse_their_names_only() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(OrderStatus::parse("paid").unwrap_err().status(), 500);
        assert_eq!(
            OrderAction::parse("ship", "action").unwrap(),
            OrderAction::Ship
        );
        assert_eq!(
            OrderAction::parse("SHIP", "action").unwrap_err().status(),
            400
        );
    }
}
