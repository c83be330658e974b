//! Purchase orders: stock brought in from a supplier without an ERP. A purchase order
//! names the supplier, the stock location it delivers to and its lines (a variant, how
//! many ordered, the unit cost, how many received so far). Its status moves only
//! through [`transition`]:
//!
//! ```text
//! draft --place--> placed --receive--> partially_received --receive--> received
//!   |                 |                        (receive, with every unit in) ^
//!   +--cancel---------+--cancel--> canceled          placed --receive--------+
//! ```
//!
//! A draft is edited (its fields and lines); a placed one counts as incoming stock of
//! its variants. Deliveries are received by [`receive`]: a saga of three steps, each
//! its own transaction (the received counts, the stock at the location with its ledger
//! rows, the status), undone in reverse when a later step fails, and idempotent by the
//! delivery's key. The SQL is in [`repo`], the saga in [`receive`], the admin API's
//! shape in [`json`].

pub mod json;
pub mod receive;
pub mod repo;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};

pub use self::receive::{receive, receive_with_fault, Delivery, Received, Step};

/// Where a purchase order stands. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoStatus {
    /// Being written: its fields and lines may change.
    Draft,
    /// Sent to the supplier: its units are incoming stock.
    Placed,
    /// Some units came in, others are still expected.
    PartiallyReceived,
    /// Every unit came in.
    Received,
    Canceled,
}

impl PoStatus {
    pub const ALL: [PoStatus; 5] = [
        PoStatus::Draft,
        PoStatus::Placed,
        PoStatus::PartiallyReceived,
        PoStatus::Received,
        PoStatus::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PoStatus::Draft => "draft",
            PoStatus::Placed => "placed",
            PoStatus::PartiallyReceived => "partially_received",
            PoStatus::Received => "received",
            PoStatus::Canceled => "canceled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PoStatus::Draft => "Draft",
            PoStatus::Placed => "Placed",
            PoStatus::PartiallyReceived => "Partially received",
            PoStatus::Received => "Received",
            PoStatus::Canceled => "Canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub(crate) fn stored(s: &str) -> Result<Self, ApiError> {
        Self::parse(s).ok_or_else(|| {
            ApiError::internal(format!(
                "unknown purchase order status '{s}' in the database"
            ))
        })
    }

    /// Whether its units count as incoming stock.
    pub fn incoming(self) -> bool {
        matches!(self, PoStatus::Placed | PoStatus::PartiallyReceived)
    }
}

impl fmt::Display for PoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What may happen to a purchase order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoAction {
    /// Change its fields or lines.
    Edit,
    Place,
    /// A delivery came in; `complete` when every unit has then arrived.
    Receive {
        complete: bool,
    },
    Cancel,
}

impl PoAction {
    fn verb(self) -> &'static str {
        match self {
            PoAction::Edit => "changed",
            PoAction::Place => "placed",
            PoAction::Receive { .. } => "received",
            PoAction::Cancel => "canceled",
        }
    }
}

/// The one function that decides: the status `action` leads to from `from`, or a 409
/// saying why not.
pub fn transition(from: PoStatus, action: PoAction) -> Result<PoStatus, ApiError> {
    use PoAction as A;
    use PoStatus as S;
    let to = match (from, action) {
        (S::Draft, A::Edit) => Some(S::Draft),
        (S::Draft, A::Place) => Some(S::Placed),
        (S::Placed | S::PartiallyReceived, A::Receive { complete: true }) => Some(S::Received),
        (S::Placed | S::PartiallyReceived, A::Receive { complete: false }) => {
            Some(S::PartiallyReceived)
        }
        (S::Draft | S::Placed, A::Cancel) => Some(S::Canceled),
        _ => None,
    };
    to.ok_or_else(|| {
        let why = match (from, action) {
            (S::Draft, A::Receive { .. }) => "place it first",
            (_, A::Edit) => "only a draft is changed; cancel it and write a new one",
            (S::PartiallyReceived, A::Cancel) => {
                "units of it came in already; receive the rest or leave it"
            }
            _ => "that does not follow",
        };
        ApiError::conflict(
            ErrorCode::InvalidPurchaseOrderState,
            format!(
                "A purchase order that is {} cannot be {}: {why}.",
                from.label().to_lowercase(),
                action.verb()
            ),
        )
    })
}

/// The longest supplier name and contact.
pub const MAX_SUPPLIER: usize = 200;
/// The longest notes.
pub const MAX_NOTES: usize = 2000;
/// The most lines a purchase order has.
pub const MAX_LINES: usize = 500;

/// A purchase order's own fields as typed (a form's or a JSON client's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PoInput {
    pub supplier_name: String,
    pub supplier_contact: String,
    pub location_id: String,
    /// `YYYY-MM-DD`, or empty.
    pub expected_on: String,
    pub notes: String,
}

/// The fields that passed [`PoInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoFields {
    pub supplier_name: String,
    pub supplier_contact: String,
    pub location_id: crate::ids::StockLocationId,
    /// `YYYY-MM-DD`, a real date.
    pub expected_on: Option<String>,
    pub notes: String,
}

impl PoInput {
    pub fn check(&self) -> Result<PoFields, crate::catalog::edit::FieldErrors> {
        let mut errors = Vec::new();
        let name = self.supplier_name.trim();
        if name.is_empty() || name.chars().count() > MAX_SUPPLIER {
            errors.push((
                "supplier_name",
                format!("Name the supplier (up to {MAX_SUPPLIER} characters)."),
            ));
        }
        let contact = self.supplier_contact.trim();
        if contact.chars().count() > MAX_SUPPLIER {
            errors.push((
                "supplier_contact",
                format!("up to {MAX_SUPPLIER} characters"),
            ));
        }
        let location = crate::ids::StockLocationId::parse(self.location_id.trim()).ok();
        if location.is_none() {
            errors.push((
                "location_id",
                "Choose the stock location it delivers to.".to_owned(),
            ));
        }
        let expected_on = match self.expected_on.trim() {
            "" => None,
            typed if is_date(typed) => Some(typed.to_owned()),
            _ => {
                errors.push(("expected_on", "a date, e.g. 2027-03-31".to_owned()));
                None
            }
        };
        let notes = self.notes.trim();
        if notes.chars().count() > MAX_NOTES {
            errors.push(("notes", format!("up to {MAX_NOTES} characters")));
        }
        match (location, errors.is_empty()) {
            (Some(location_id), true) => Ok(PoFields {
                supplier_name: name.to_owned(),
                supplier_contact: contact.to_owned(),
                location_id,
                expected_on,
                notes: notes.to_owned(),
            }),
            _ => Err(crate::catalog::edit::FieldErrors(errors)),
        }
    }
}

/// Whether `s` is a calendar date written `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let mut parts = s.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    match (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) {
        (Ok(y), Ok(m), Ok(d)) => time::Month::try_from(m)
            .ok()
            .and_then(|m| time::Date::from_calendar_date(y, m, d).ok())
            .is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_and_action_is_decided_by_transition() {
        use PoAction as A;
        use PoStatus as S;
        let receive = |complete| A::Receive { complete };
        assert_eq!(transition(S::Draft, A::Place).unwrap(), S::Placed);
        assert_eq!(
            transition(S::Placed, receive(false)).unwrap(),
            S::PartiallyReceived
        );
        assert_eq!(
            transition(S::PartiallyReceived, receive(true)).unwrap(),
            S::Received
        );
        assert_eq!(transition(S::Placed, receive(true)).unwrap(), S::Received);
        assert_eq!(transition(S::Placed, A::Cancel).unwrap(), S::Canceled);
        let refused = transition(S::Draft, receive(true)).unwrap_err();
        assert_eq!(refused.status(), 409);
        assert!(refused.to_string().contains("place it first"), "{refused}");
        for from in [S::Received, S::Canceled] {
            for action in [A::Edit, A::Place, receive(true), A::Cancel] {
                assert!(transition(from, action).is_err(), "{from} {action:?}");
            }
        }
        assert!(transition(S::PartiallyReceived, A::Cancel)
            .unwrap_err()
            .to_string()
            .contains("came in already"));
        assert!(transition(S::Placed, A::Edit).is_err());
    }

    #[test]
    fn a_purchase_orders_fields_are_checked_all_at_once() {
        let errors = PoInput {
            expected_on: "soon".into(),
            ..PoInput::default()
        }
        .check()
        .unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["supplier_name", "location_id", "expected_on"]);
        let ok = PoInput {
            supplier_name: " Linen Mill ".into(),
            location_id: "sloc_A1".into(),
            expected_on: "2027-03-31".into(),
            ..PoInput::default()
        }
        .check()
        .unwrap();
        assert_eq!(ok.supplier_name, "Linen Mill");
        assert_eq!(ok.expected_on.as_deref(), Some("2027-03-31"));
        assert!(!is_date("2027-02-30") && !is_date("27-3-31") && is_date("2028-02-29"));
    }
}
