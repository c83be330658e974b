//! Stock as staff manage it: a variant's count at each stock location, set or adjusted
//! by hand, each change checked by [`apply`] (the one function that decides), written
//! with a row of the inventory ledger (who, why, before, after) and an
//! `inventory.adjusted` event in the same transaction ([`change`]), which also moves the
//! store's catalog version (cached pages and answers carry the stock of their time). Orders move the
//! same counts by their own conditional updates (`order::stock`); a level's `version`
//! moves with every change of its count, whoever made it, so an edit made from an
//! older figure is refused instead of overwriting what happened since.

mod change;
mod json;
pub mod location;
mod repo;

use serde::{Deserialize, Serialize};

pub use self::change::{apply, MAX_STOCK};
pub use self::json::{
    item_json, ledger_json, level_json, levels_json, ItemJson, LedgerJson, LevelJson,
};
pub use self::repo::{
    change, change_for, history, list, set_threshold, variant_stock, Actor, Changed, StockFilter,
    StockRow,
};
use crate::error::ApiError;
use crate::ids::{StockLocationId, VariantId};

/// Why a count changed by hand. Stored as its name; an unknown stored value is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Goods came in.
    Received,
    /// Goods were found broken or spoiled and taken out.
    Damaged,
    /// Someone counted the shelf: the count is what they found.
    Counted,
    /// A shopper sent goods back and they can be sold again.
    Returned,
}

impl Reason {
    pub const ALL: [Reason; 4] = [
        Reason::Received,
        Reason::Damaged,
        Reason::Counted,
        Reason::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Received => "received",
            Reason::Damaged => "damaged",
            Reason::Counted => "counted",
            Reason::Returned => "returned",
        }
    }

    /// How the admin pages name it.
    pub fn label(self) -> &'static str {
        match self {
            Reason::Received => "Received",
            Reason::Damaged => "Damaged",
            Reason::Counted => "Counted",
            Reason::Returned => "Returned",
        }
    }

    /// A reason as a request names it.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                ApiError::invalid("reason", "must be received, damaged, counted or returned")
            })
    }

    /// A reason as the database stores it.
    fn stored(s: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                ApiError::internal(format!("unknown stock reason '{s}' in the database"))
            })
    }
}

/// A variant's stock at one location. A location where the variant has never been
/// stocked reads as 0 stocked, 0 reserved, version 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub location_id: StockLocationId,
    pub location_name: String,
    /// Physically there.
    pub stocked: i32,
    /// Promised to orders not yet shipped.
    pub reserved: i32,
    /// Moves whenever `stocked` changes.
    pub version: i64,
    /// When the count last changed (ISO 8601), if it ever did.
    pub updated_at: Option<String>,
}

impl Level {
    /// What can still be sold.
    pub fn available(&self) -> i32 {
        self.stocked - self.reserved
    }
}

/// The variant a stock page or answer is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantInfo {
    pub id: VariantId,
    pub title: String,
    pub sku: Option<String>,
    pub product_id: String,
    pub product_title: String,
    /// Without it, the variant sells regardless of its counts.
    pub manage_inventory: bool,
    pub created_at: String,
    /// At or under this many available units (over every location) it runs low.
    pub low_stock_threshold: Option<i32>,
}

/// A variant with its levels at every location of its store, in the locations' order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantStock {
    pub variant: VariantInfo,
    pub levels: Vec<Level>,
}

impl VariantStock {
    pub fn level(&self, location: &StockLocationId) -> Option<&Level> {
        self.levels.iter().find(|l| &l.location_id == location)
    }
}

/// What a member asks of one count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The count becomes this.
    Set(i32),
    /// The count moves by this (negative: fewer).
    Adjust(i32),
}

/// A change with why it is made and the version of the level it was made from (none:
/// whatever the level is now, as Medusa's API does it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockChange {
    pub change: Change,
    pub reason: Reason,
    pub note: String,
    pub expected_version: Option<i64>,
}

/// One row of the inventory ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: i64,
    pub variant_id: VariantId,
    pub location_id: StockLocationId,
    pub location_name: String,
    pub reason: Reason,
    pub note: String,
    pub stocked_before: i32,
    pub stocked_after: i32,
    /// The member's e-mail while they exist, else their id; `None` for a change made
    /// without a member.
    pub by: Option<String>,
    /// The API key the change came through (its title while it exists).
    pub api_key: Option<String>,
    pub at: String,
}

impl LedgerEntry {
    pub fn delta(&self) -> i32 {
        self.stocked_after - self.stocked_before
    }
}
