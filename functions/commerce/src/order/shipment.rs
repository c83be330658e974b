//! A shipment: the carrier an order left with, its tracking number, and where the
//! shopper follows the parcel. Known carriers get their tracking page from the number;
//! any other carrier may give a link of its own (https only).

use serde::{Deserialize, Serialize};
use tokio_postgres::types::{Json, Type};

use crate::db::{Param, Sql};
use crate::error::ApiError;
use crate::ids::{OrderId, StoreId};

/// Carriers whose tracking page is known: (name, page with `{}` for the number).
pub const CARRIERS: &[(&str, &str)] = &[
    (
        "DHL",
        "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}",
    ),
    ("DPD", "https://tracking.dpd.de/status/en_US/parcel/{}"),
    ("FedEx", "https://www.fedex.com/fedextrack/?trknbr={}"),
    ("GLS", "https://gls-group.com/track/{}"),
    (
        "Royal Mail",
        "https://www.royalmail.com/track-your-item#/tracking-results/{}",
    ),
    ("UPS", "https://www.ups.com/track?tracknum={}"),
    (
        "USPS",
        "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    ),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    pub carrier: String,
    pub tracking_number: String,
    /// Where the shopper follows the parcel, when known.
    pub tracking_url: Option<String>,
}

impl Shipment {
    /// A shipment as staff typed it: the carrier (1 to 60 characters), the tracking
    /// number (letters, digits, spaces and dashes; 3 to 60), and for a carrier not in
    /// [`CARRIERS`] an optional https link. Errors name the form field.
    pub fn new(carrier: &str, tracking_number: &str, link: &str) -> Result<Self, ApiError> {
        let carrier = carrier.trim();
        if carrier.is_empty() || carrier.chars().count() > 60 {
            return Err(ApiError::invalid(
                "carrier",
                "The carrier must be 1 to 60 characters.",
            ));
        }
        let number = tracking_number.trim();
        let number_ok = (3..=60).contains(&number.len())
            && number
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-');
        if !number_ok {
            return Err(ApiError::invalid(
                "tracking_number",
                "The tracking number must be 3 to 60 letters, digits, spaces or dashes.",
            ));
        }
        let known = CARRIERS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(carrier));
        let tracking_url = match (known, link.trim()) {
            (Some((_, page)), _) => Some(page.replace("{}", &number.replace(' ', ""))),
            (None, "") => None,
            (None, url)
                if url.starts_with("https://")
                    && url.len() <= 500
                    && !url.contains(char::is_whitespace) =>
            {
                Some(url.to_owned())
            }
            (None, _) => {
                return Err(ApiError::invalid(
                    "tracking_url",
                    "The tracking link must be an https:// address without spaces.",
                ))
            }
        };
        Ok(Shipment {
            carrier: known.map_or(carrier, |(name, _)| name).to_owned(),
            tracking_number: number.to_owned(),
            tracking_url,
        })
    }
}

/// Records how order `id` of `store` left, in the caller's transaction (before the
/// order is marked shipped, so the shipping e-mail has it).
pub async fn record<C: Sql>(
    client: &C,
    store: &StoreId,
    id: &OrderId,
    shipment: &Shipment,
) -> Result<(), ApiError> {
    let value = Json(shipment);
    let params: [Param<'_>; 3] = [(store, Type::TEXT), (id, Type::TEXT), (&value, Type::JSONB)];
    let n = client
        .execute_typed(
            "UPDATE orders SET shipment = $3, updated_at = now() WHERE store_id = $1 AND id = $2",
            &params,
        )
        .await?;
    if n == 0 {
        return Err(ApiError::not_found("Order", "id", id.as_str()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_carriers_link_to_their_tracking_page() {
        let s = Shipment::new("dhl", " JD0123 456789 ", "").unwrap();
        assert_eq!(s.carrier, "DHL");
        assert_eq!(s.tracking_number, "JD0123 456789");
        assert_eq!(
            s.tracking_url.as_deref(),
            Some("https://www.dhl.com/global-en/home/tracking.html?tracking-id=JD0123456789")
        );
        let other =
            Shipment::new("Fahrradkurier Nord", "FK-77", "https://track.example/FK-77").unwrap();
        assert_eq!(
            other.tracking_url.as_deref(),
            Some("https://track.example/FK-77")
        );
        assert_eq!(
            Shipment::new("Courier", "C-1", "").unwrap().tracking_url,
            None
        );
    }

    #[test]
    fn bad_input_names_its_field() {
        for (carrier, number, link, field) in [
            ("", "JD01", "", "carrier"),
            ("DHL", "x", "", "tracking_number"),
            ("DHL", "JD01<script>", "", "tracking_number"),
            ("Courier", "C-100", "javascript:alert(1)", "tracking_url"),
            ("Courier", "C-100", "http://plain.example", "tracking_url"),
        ] {
            let err = Shipment::new(carrier, number, link).unwrap_err();
            assert_eq!(err.param(), Some(field), "{carrier} {number} {link}");
        }
    }
}
