//! The order state machine: one enum of statuses, one enum of actions, and
//! [`transition`], the only function that decides whether an action may happen and
//! what it does to the order's stock.
//!
//! ```text
//! pending --pay--> confirmed --fulfill--> partially_fulfilled --fulfill--> fulfilled
//!    |                 |           \                 |  ship                 | ship
//!    +--fail--> failed |            +--------------- partially_shipped --ship--> shipped
//!    |                 |                                                        | deliver
//!    +--cancel---------+--cancel (also partially_fulfilled, fulfilled)       delivered
//!                                  --> canceled
//! ```
//! Staff pack an order in parcels (fulfilments): each `fulfill` packs some units, each
//! `ship` sends a packed parcel. Where such an action leads depends on how many units
//! are then packed and shipped ([`Progress`]): all of them, or some. Refunds record a
//! ledger row and leave the status as it is.

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
    /// Some units packed in parcels, others not yet.
    PartiallyFulfilled,
    /// Every unit packed.
    Fulfilled,
    /// Some parcels handed to the carrier (their stock has left), others not yet.
    PartiallyShipped,
    /// Every unit handed to the carrier: the held stock has left the locations.
    Shipped,
    Delivered,
    /// The payment failed or never came; the stock was released.
    Failed,
    /// Canceled before shipping; the stock was released.
    Canceled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::PartiallyFulfilled,
        OrderStatus::Fulfilled,
        OrderStatus::PartiallyShipped,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Failed,
        OrderStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::PartiallyFulfilled => "partially_fulfilled",
            OrderStatus::Fulfilled => "fulfilled",
            OrderStatus::PartiallyShipped => "partially_shipped",
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
            OrderStatus::PartiallyFulfilled => "Partly packed",
            OrderStatus::Fulfilled => "Packed",
            OrderStatus::PartiallyShipped => "Partly shipped",
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
    /// Pack some or all of the units not yet packed in a parcel.
    Fulfill,
    /// Hand a packed parcel (or every packed one) to the carrier.
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
    /// The shipped parcels' held units leave their locations (`stocked` and
    /// `reserved` go down).
    ConsumeParcels,
}

/// How far an order's units have got: packed in parcels, and shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Units over all lines.
    pub units: u32,
    /// Units in parcels (canceled parcels not counted).
    pub packed: u32,
    /// Units in parcels that have shipped.
    pub shipped: u32,
}

impl Progress {
    /// Where a paid order stands with this progress.
    pub fn status(self) -> OrderStatus {
        if self.units > 0 && self.shipped >= self.units {
            OrderStatus::Shipped
        } else if self.shipped > 0 {
            OrderStatus::PartiallyShipped
        } else if self.units > 0 && self.packed >= self.units {
            OrderStatus::Fulfilled
        } else if self.packed > 0 {
            OrderStatus::PartiallyFulfilled
        } else {
            OrderStatus::Confirmed
        }
    }
}

/// An allowed transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: OrderStatus,
    pub to: OrderStatus,
    pub stock: StockEffect,
}

/// Whether `action` may happen to an order in `from`, and what it leads to. `after` is
/// the order's progress with the action's parcels counted (packing and shipping lead
/// to where that progress stands); other actions pass the progress as it is. A refused
/// action is a 409 whose message says what the order's status allows.
pub fn transition(
    from: OrderStatus,
    action: OrderAction,
    after: Progress,
) -> Result<Transition, ApiError> {
    let (to, stock) = step(from, action, after).ok_or_else(|| refused(from, action))?;
    Ok(Transition { from, to, stock })
}

/// The table of allowed transitions: where `action` leads from `from`, if anywhere.
fn step(
    from: OrderStatus,
    action: OrderAction,
    after: Progress,
) -> Option<(OrderStatus, StockEffect)> {
    use OrderAction as A;
    use OrderStatus as S;
    Some(match (from, action) {
        (S::Pending, A::Pay) => (S::Confirmed, StockEffect::None),
        (S::Pending, A::Fail) => (S::Failed, StockEffect::Release),
        (S::Confirmed | S::PartiallyFulfilled | S::PartiallyShipped, A::Fulfill) => {
            (after.status(), StockEffect::None)
        }
        (S::PartiallyFulfilled | S::Fulfilled | S::PartiallyShipped, A::Ship) => {
            (after.status(), StockEffect::ConsumeParcels)
        }
        (S::Shipped, A::Deliver) => (S::Delivered, StockEffect::None),
        (S::Pending | S::Confirmed | S::PartiallyFulfilled | S::Fulfilled, A::Cancel) => {
            (S::Canceled, StockEffect::Release)
        }
        (S::Pending | S::Failed, A::Refund) => return None,
        (_, A::Refund) => (from, StockEffect::None),
        _ => return None,
    })
}

fn refused(from: OrderStatus, action: OrderAction) -> ApiError {
    ApiError::conflict(
        crate::ErrorCode::InvalidOrderTransition,
        format!(
            "An order that is {} cannot be {}; {}",
            from.as_str().replace('_', " "),
            past(action),
            allowed_from(from)
        ),
    )
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
        .filter(|a| step(from, *a, Progress::default()).is_some())
        .map(OrderAction::as_str)
        .collect();
    if allowed.is_empty() {
        "nothing can happen to it any more".to_owned()
    } else {
        format!("allowed now: {}", allowed.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderAction as A;
    use OrderStatus as S;

    const NONE: Progress = Progress {
        units: 3,
        packed: 0,
        shipped: 0,
    };

    fn progress(packed: u32, shipped: u32) -> Progress {
        Progress {
            units: 3,
            packed,
            shipped,
        }
    }

    #[test]
    fn the_happy_path_runs_from_pending_to_delivered() {
        let mut status = S::Pending;
        for (action, after) in [
            (A::Pay, NONE),
            (A::Fulfill, progress(3, 0)),
            (A::Ship, progress(3, 3)),
            (A::Deliver, progress(3, 3)),
        ] {
            status = transition(status, action, after).unwrap().to;
        }
        assert_eq!(status, S::Delivered);
    }

    #[test]
    fn parcels_lead_through_the_partial_statuses() {
        let mut status = S::Confirmed;
        for (action, after, expected) in [
            (A::Fulfill, progress(1, 0), S::PartiallyFulfilled),
            (A::Ship, progress(1, 1), S::PartiallyShipped),
            (A::Fulfill, progress(2, 1), S::PartiallyShipped),
            (A::Fulfill, progress(3, 1), S::PartiallyShipped),
            (A::Ship, progress(3, 3), S::Shipped),
        ] {
            status = transition(status, action, after).unwrap().to;
            assert_eq!(status, expected, "{action:?} to {after:?}");
        }
        // Packing everything, then shipping all of it at once.
        let packed = transition(S::PartiallyFulfilled, A::Fulfill, progress(3, 0)).unwrap();
        assert_eq!(packed.to, S::Fulfilled);
        let shipped = transition(S::Fulfilled, A::Ship, progress(3, 3)).unwrap();
        assert_eq!(shipped.to, S::Shipped);
    }

    #[test]
    fn stock_is_released_by_failure_and_cancel_and_consumed_by_shipping() {
        let t = |s, a| transition(s, a, NONE).unwrap().stock;
        assert_eq!(t(S::Pending, A::Fail), StockEffect::Release);
        for before in [
            S::Pending,
            S::Confirmed,
            S::PartiallyFulfilled,
            S::Fulfilled,
        ] {
            assert_eq!(t(before, A::Cancel), StockEffect::Release, "{before}");
        }
        assert_eq!(t(S::Fulfilled, A::Ship), StockEffect::ConsumeParcels);
        assert_eq!(t(S::Pending, A::Pay), StockEffect::None);
    }

    #[test]
    fn refused_transitions_are_409_and_say_what_is_allowed() {
        let e = transition(S::Shipped, A::Cancel, NONE).unwrap_err();
        assert_eq!(e.status(), 409);
        assert_eq!(e.body().code, "invalid_order_transition");
        assert_eq!(
            e.body().message,
            "An order that is shipped cannot be canceled; allowed now: deliver, refund"
        );
        // Once a parcel has left, the order cannot be canceled any more.
        let e = transition(S::PartiallyShipped, A::Cancel, NONE).unwrap_err();
        assert_eq!(
            e.body().message,
            "An order that is partially shipped cannot be canceled; allowed now: fulfill, ship, refund"
        );
        let e = transition(S::Failed, A::Pay, NONE).unwrap_err();
        assert!(e.body().message.contains("nothing can happen"));
        assert!(transition(S::Confirmed, A::Pay, NONE).is_err());
        assert!(
            transition(S::Confirmed, A::Ship, NONE).is_err(),
            "nothing packed"
        );
        assert!(
            transition(S::Fulfilled, A::Fulfill, NONE).is_err(),
            "all packed"
        );
        assert!(transition(S::Delivered, A::Ship, NONE).is_err());
    }

    #[test]
    fn refunds_keep_the_status() {
        for status in S::ALL {
            match transition(status, A::Refund, NONE) {
                Ok(t) => assert_eq!(t.to, status),
                Err(_) => assert!(matches!(status, S::Pending | S::Failed), "{status}"),
            }
        }
    }

    #[test]
    fn statuses_and_actions_parse_their_names_only() {
        for s in S::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()).unwrap(), s);
        }
        assert_eq!(OrderStatus::parse("paid").unwrap_err().status(), 500);
        assert_eq!(OrderAction::parse("ship", "action").unwrap(), A::Ship);
        assert_eq!(
            OrderAction::parse("SHIP", "action").unwrap_err().status(),
            400
        );
    }
}
