//! Fulfilments: the parcels an order leaves in. Staff pack some or all of the units not
//! yet packed at a stock location of their choice (the held stock moves there when it
//! was held elsewhere), then ship each parcel with its own carrier and tracking number.
//! [`plan`] decides what a packing request packs; [`super::pack`] and
//! [`super::ship_parcels`] write it, through the state machine.

use serde::{Deserialize, Serialize};

use super::{Order, Progress, Shipment};
use crate::error::ApiError;
use crate::ids::{FulfillmentId, OrderItemId, StockLocationId};

/// A parcel: packed at one location, shipped once (or canceled with its order before
/// it left).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fulfillment {
    pub id: FulfillmentId,
    pub location_id: StockLocationId,
    pub location_name: String,
    pub items: Vec<ParcelLine>,
    pub created_at_ms: u64,
    pub shipped_at_ms: Option<u64>,
    pub shipment: Option<Shipment>,
    pub canceled_at_ms: Option<u64>,
}

impl Fulfillment {
    /// Packed and waiting for the carrier.
    pub fn is_waiting(&self) -> bool {
        self.shipped_at_ms.is_none() && self.canceled_at_ms.is_none()
    }

    pub fn units(&self) -> u32 {
        self.items.iter().map(|l| l.quantity).sum()
    }
}

/// Units of one order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParcelLine {
    pub item_id: OrderItemId,
    pub quantity: u32,
}

/// What staff ask to pack: some units of some lines (none named: every unit not yet
/// packed), at a location (none: where the stock is held, a parcel per location).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParcelRequest {
    #[serde(default)]
    pub location_id: Option<StockLocationId>,
    #[serde(default)]
    pub items: Vec<ParcelLine>,
}

impl Order {
    /// Units of `item` in parcels that were not canceled.
    pub fn packed(&self, item: &OrderItemId) -> u32 {
        self.fulfillments
            .iter()
            .filter(|f| f.canceled_at_ms.is_none())
            .flat_map(|f| &f.items)
            .filter(|l| l.item_id == *item)
            .map(|l| l.quantity)
            .sum()
    }

    /// How far the order's units have got.
    pub fn progress(&self) -> Progress {
        let live = self
            .fulfillments
            .iter()
            .filter(|f| f.canceled_at_ms.is_none());
        Progress {
            units: self.item_count(),
            packed: live.clone().map(Fulfillment::units).sum(),
            shipped: live
                .filter(|f| f.shipped_at_ms.is_some())
                .map(Fulfillment::units)
                .sum(),
        }
    }
}

/// The lines and units `request` packs: each named line at most what is left of it
/// (named twice, the quantities add up; a zero is skipped), or with no line named
/// every unit not yet packed. Errors name the field.
pub fn plan(order: &Order, request: &ParcelRequest) -> Result<Vec<ParcelLine>, ApiError> {
    let left = |item: &OrderItemId| {
        order
            .items
            .iter()
            .find(|i| i.id == *item)
            .map(|i| (i.quantity.saturating_sub(order.packed(item)), i))
    };
    if request.items.is_empty() {
        let all: Vec<ParcelLine> = order
            .items
            .iter()
            .filter_map(|i| {
                let (n, _) = left(&i.id)?;
                (n > 0).then(|| ParcelLine {
                    item_id: i.id.clone(),
                    quantity: n,
                })
            })
            .collect();
        if all.is_empty() {
            return Err(ApiError::conflict(
                crate::ErrorCode::InvalidOrderTransition,
                "Every unit of this order is packed already.",
            ));
        }
        return Ok(all);
    }
    let mut lines: Vec<ParcelLine> = Vec::new();
    for asked in request.items.iter().filter(|l| l.quantity > 0) {
        match lines.iter_mut().find(|l| l.item_id == asked.item_id) {
            Some(line) => line.quantity = line.quantity.saturating_add(asked.quantity),
            None => lines.push(asked.clone()),
        }
    }
    if lines.is_empty() {
        return Err(ApiError::invalid(
            "items",
            "Choose at least one unit to pack.",
        ));
    }
    for line in &lines {
        let Some((n, item)) = left(&line.item_id) else {
            return Err(ApiError::invalid(
                "items",
                format!("{} is not a line of this order.", line.item_id),
            ));
        };
        if line.quantity > n {
            return Err(ApiError::invalid(
                "items",
                format!(
                    "Only {n} of {} {} left to pack, not {}.",
                    item.display_title(),
                    if n == 1 { "is" } else { "are" },
                    line.quantity
                ),
            ));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::OrderStatus;

    fn item_id(n: u32) -> OrderItemId {
        OrderItemId::parse(&format!("ordli_{n}")).unwrap()
    }

    fn line(n: u32, quantity: u32) -> ParcelLine {
        ParcelLine {
            item_id: item_id(n),
            quantity,
        }
    }

    fn parcel(lines: Vec<ParcelLine>, shipped: bool, canceled: bool) -> Fulfillment {
        Fulfillment {
            id: FulfillmentId::generate(),
            location_id: StockLocationId::parse("sloc_1").unwrap(),
            location_name: "Main".into(),
            items: lines,
            created_at_ms: 1,
            shipped_at_ms: shipped.then_some(2),
            shipment: None,
            canceled_at_ms: canceled.then_some(3),
        }
    }

    /// An order of 2 shirts (line 1) and 1 cap (line 2).
    fn order(parcels: Vec<Fulfillment>) -> Order {
        let mut order = crate::order::tests::sample_order(OrderStatus::Confirmed, &[2, 1]);
        order.fulfillments = parcels;
        order
    }

    #[test]
    fn progress_counts_live_parcels() {
        let o = order(vec![
            parcel(vec![line(1, 1)], true, false),
            parcel(vec![line(1, 1)], false, false),
            parcel(vec![line(2, 1)], false, true),
        ]);
        assert_eq!(
            o.progress(),
            Progress {
                units: 3,
                packed: 2,
                shipped: 1
            }
        );
        assert_eq!(o.progress().status(), OrderStatus::PartiallyShipped);
        assert_eq!(
            o.packed(&item_id(2)),
            0,
            "the canceled parcel does not count"
        );
    }

    #[test]
    fn packing_everything_takes_what_is_left() {
        let o = order(vec![parcel(vec![line(1, 1)], false, false)]);
        let all = plan(&o, &ParcelRequest::default()).unwrap();
        assert_eq!(all, vec![line(1, 1), line(2, 1)]);
        let done = order(vec![parcel(vec![line(1, 2), line(2, 1)], false, false)]);
        let err = plan(&done, &ParcelRequest::default()).unwrap_err();
        assert_eq!(err.status(), 409);
    }

    #[test]
    fn a_request_packs_at_most_what_is_left_of_each_line() {
        let o = order(vec![parcel(vec![line(1, 1)], false, false)]);
        let ask = |items| ParcelRequest {
            location_id: None,
            items,
        };
        assert_eq!(
            plan(&o, &ask(vec![line(1, 1), line(2, 0)])).unwrap(),
            vec![line(1, 1)]
        );
        let err = plan(&o, &ask(vec![line(1, 1), line(1, 1)])).unwrap_err();
        assert_eq!(err.param(), Some("items"));
        assert!(err.to_string().contains("Only 1 of"), "{err}");
        assert_eq!(
            plan(&o, &ask(vec![line(2, 0)])).unwrap_err().param(),
            Some("items")
        );
        let err = plan(&o, &ask(vec![line(9, 1)])).unwrap_err();
        assert!(err.to_string().contains("not a line"), "{err}");
    }
}
