//! [`apply`]: whether a change of a count may happen, and the count it leaves.

use super::{Change, Level, StockChange};
use crate::error::{ApiError, ErrorCode};

/// No count goes above this (the column is a 32-bit integer; no shelf holds more).
pub const MAX_STOCK: i32 = 1_000_000_000;

/// Longest note a change may carry.
const MAX_NOTE: usize = 500;

/// The count `level` is left with by `req`, or why not:
/// - made from another version of the level than its current one: 409, with the
///   current figures, so nobody overwrites a change they have not seen;
/// - below 0 or above [`MAX_STOCK`], an adjustment by 0, a note over 500 characters:
///   400 naming the field;
/// - below what orders hold (`reserved`): 409, with that figure. Units promised to
///   shoppers cannot be counted away; cancel or ship those orders first.
pub fn apply(level: &Level, req: &StockChange) -> Result<i32, ApiError> {
    // What is wrong with the request whatever the level first, then what the level says.
    if req.note.chars().count() > MAX_NOTE {
        return Err(ApiError::invalid("note", "must be 500 characters or fewer"));
    }
    match req.change {
        Change::Set(n) if n < 0 => {
            return Err(ApiError::invalid("stocked_quantity", "must be 0 or more"));
        }
        Change::Adjust(0) => return Err(ApiError::invalid("adjustment", "must not be 0")),
        _ => {}
    }
    if let Some(expected) = req.expected_version {
        if expected != level.version {
            return Err(ApiError::Conflict {
                code: ErrorCode::StaleInventoryLevel,
                message: format!(
                    "The stock at {} changed since this count was read: it is now {} ({} held by orders). Check it and try again.",
                    level.location_name, level.stocked, level.reserved
                ),
            });
        }
    }
    let after = match req.change {
        Change::Set(n) => n,
        Change::Adjust(by) => match level.stocked.checked_add(by) {
            Some(n) if n >= 0 => n,
            _ => {
                return Err(ApiError::invalid(
                    "adjustment",
                    format!(
                        "would take the count below 0 (it is {} at {})",
                        level.stocked, level.location_name
                    ),
                ))
            }
        },
    };
    if after > MAX_STOCK {
        let param = match req.change {
            Change::Set(_) => "stocked_quantity",
            Change::Adjust(_) => "adjustment",
        };
        return Err(ApiError::invalid(
            param,
            format!("would take the count above {MAX_STOCK}"),
        ));
    }
    if after < level.reserved {
        return Err(ApiError::Conflict {
            code: ErrorCode::StockHeld,
            message: format!(
                "{} units at {} are held by orders not yet shipped, so the count cannot go below {}.",
                level.reserved, level.location_name, level.reserved
            ),
        });
    }
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::StockLocationId;
    use crate::inventory::Reason;

    fn level(stocked: i32, reserved: i32, version: i64) -> Level {
        Level {
            location_id: StockLocationId::parse("sloc_main").unwrap(),
            location_name: "Main warehouse".into(),
            stocked,
            reserved,
            version,
            updated_at: None,
        }
    }

    fn req(change: Change, expected_version: Option<i64>) -> StockChange {
        StockChange {
            change,
            reason: Reason::Counted,
            note: String::new(),
            expected_version,
        }
    }

    fn code(err: ApiError) -> ErrorCode {
        err.body().code
    }

    #[test]
    fn a_count_is_set_or_moved_by_a_signed_amount() {
        assert_eq!(
            apply(&level(10, 0, 3), &req(Change::Set(4), Some(3))),
            Ok(4)
        );
        assert_eq!(
            apply(&level(10, 0, 3), &req(Change::Adjust(5), None)),
            Ok(15)
        );
        assert_eq!(
            apply(&level(10, 0, 3), &req(Change::Adjust(-10), None)),
            Ok(0)
        );
        // Setting the count it already has records a count that found no difference.
        assert_eq!(apply(&level(10, 0, 3), &req(Change::Set(10), None)), Ok(10));
    }

    #[test]
    fn an_edit_from_an_older_version_is_refused_with_the_current_figures() {
        let err = apply(&level(8, 2, 4), &req(Change::Set(12), Some(3))).unwrap_err();
        assert_eq!(err.status(), 409);
        assert_eq!(code(err.clone()), ErrorCode::StaleInventoryLevel);
        assert!(
            err.to_string().contains("now 8 (2 held by orders)"),
            "{err}"
        );
    }

    #[test]
    fn units_held_by_orders_cannot_be_counted_away() {
        let err = apply(&level(10, 6, 1), &req(Change::Set(5), None)).unwrap_err();
        assert_eq!(err.status(), 409);
        assert_eq!(code(err.clone()), ErrorCode::StockHeld);
        assert!(err.to_string().contains("below 6"), "{err}");
        assert_eq!(apply(&level(10, 6, 1), &req(Change::Set(6), None)), Ok(6));
        let err = apply(&level(10, 6, 1), &req(Change::Adjust(-5), None)).unwrap_err();
        assert_eq!(code(err), ErrorCode::StockHeld);
    }

    #[test]
    fn a_wrong_field_is_named_before_the_version_is_looked_at() {
        let err = apply(&level(8, 0, 4), &req(Change::Set(-1), Some(3))).unwrap_err();
        assert_eq!(err.body().param, Some("stocked_quantity".into()));
    }

    #[test]
    fn impossible_counts_name_their_field() {
        let param = |err: ApiError| err.body().param;
        let set = apply(&level(1, 0, 1), &req(Change::Set(-1), None)).unwrap_err();
        assert_eq!(param(set), Some("stocked_quantity".into()));
        let below = apply(&level(1, 0, 1), &req(Change::Adjust(-2), None)).unwrap_err();
        assert_eq!(param(below), Some("adjustment".into()));
        let zero = apply(&level(1, 0, 1), &req(Change::Adjust(0), None)).unwrap_err();
        assert_eq!(param(zero), Some("adjustment".into()));
        let huge = apply(
            &level(MAX_STOCK, 0, 1),
            &req(Change::Adjust(i32::MAX), None),
        );
        assert_eq!(param(huge.unwrap_err()), Some("adjustment".into()));
        let over = apply(&level(0, 0, 1), &req(Change::Set(MAX_STOCK + 1), None));
        assert_eq!(param(over.unwrap_err()), Some("stocked_quantity".into()));
        let mut long = req(Change::Set(1), None);
        long.note = "x".repeat(501);
        assert_eq!(
            param(apply(&level(0, 0, 1), &long).unwrap_err()),
            Some("note".into())
        );
    }
}
