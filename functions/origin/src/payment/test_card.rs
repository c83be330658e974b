//! The local default provider (`pp_system_default`): no network, outcomes chosen by
//! card numbers like Stripe's test cards. The card number is classified when the
//! session is created and only its brand, last four digits and the outcome it leads
//! to are kept; the full number is never stored.
//!
//! | card number | outcome |
//! |---|---|
//! | `4000000000000002` | declined: "Your card was declined." |
//! | `4000000000009995` | declined: "Your card has insufficient funds." |
//! | `4000002500003155` | 3-D Secure: the shopper confirms at the return URL |
//! | any other number passing Luhn, 12-19 digits (`4242424242424242`) | authorized |
//! | anything else | declined: "Your card number is not valid." |
//! | no card number | authorized (like Medusa's system default provider) |
//!
//! The 3-D Secure step is answered by the origin, which records the shopper's answer
//! in the session data as `"authentication": "approved" | "failed"`; the next
//! authorization then authorizes or declines ("Your bank did not confirm the payment.").

use serde_json::{json, Map, Value};
use sha2::Digest;

use commerce::money::MinorUnits;

use super::{Authorization, AuthorizeRequest, InitiateRequest, Initiated, ProviderError};

/// Medusa's id of its system default provider.
pub const PROVIDER_ID: &str = "pp_system_default";

pub const DECLINED: &str = "Your card was declined.";
pub const INSUFFICIENT_FUNDS: &str = "Your card has insufficient funds.";
pub const INVALID_NUMBER: &str = "Your card number is not valid.";
pub const NOT_AUTHENTICATED: &str = "Your bank did not confirm the payment.";

/// The outcome a card number leads to, as stored in the session data (`"outcome"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approve,
    Decline,
    InsufficientFunds,
    Authenticate,
    InvalidNumber,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approve => "approve",
            Outcome::Decline => "decline",
            Outcome::InsufficientFunds => "insufficient_funds",
            Outcome::Authenticate => "authenticate",
            Outcome::InvalidNumber => "invalid_number",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "approve" => Outcome::Approve,
            "decline" => Outcome::Decline,
            "insufficient_funds" => Outcome::InsufficientFunds,
            "authenticate" => Outcome::Authenticate,
            "invalid_number" => Outcome::InvalidNumber,
            _ => return None,
        })
    }
}

/// A card number as typed: spaces and dashes are ignored.
struct CardNumber(String);

impl CardNumber {
    fn new(raw: &str) -> Self {
        Self(raw.chars().filter(|c| *c != ' ' && *c != '-').collect())
    }

    fn outcome(&self) -> Outcome {
        let n = self.0.as_str();
        if !(12..=19).contains(&n.len()) || !n.bytes().all(|b| b.is_ascii_digit()) || !luhn(n) {
            return Outcome::InvalidNumber;
        }
        match n {
            "4000000000000002" => Outcome::Decline,
            "4000000000009995" => Outcome::InsufficientFunds,
            "4000002500003155" => Outcome::Authenticate,
            _ => Outcome::Approve,
        }
    }

    fn brand(&self) -> &'static str {
        let n = self.0.as_str();
        let prefix = |len: usize| n.get(..len).and_then(|p| p.parse::<u32>().ok());
        match (prefix(1), prefix(2), prefix(4)) {
            (Some(4), _, _) => "visa",
            (_, Some(34 | 37), _) => "amex",
            (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => "mastercard",
            (_, Some(65), _) | (_, _, Some(6011)) => "discover",
            _ => "unknown",
        }
    }

    fn last4(&self) -> &str {
        let n = self.0.as_str();
        n.get(n.len().saturating_sub(4)..).unwrap_or_default()
    }
}

/// The Luhn checksum of a string of ASCII digits.
pub fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// The test-card provider; holds no state.
#[derive(Debug, Clone, Default)]
pub struct TestCardProvider;

impl TestCardProvider {
    pub fn new() -> Self {
        Self
    }

    /// Classifies the card and returns `{"brand", "last4", "outcome", "holder"?}`, or
    /// `{}` without a card number. A `card_number` that is not a string is rejected.
    pub fn initiate(&self, req: &InitiateRequest<'_>) -> Result<Initiated, ProviderError> {
        let mut data = Map::new();
        match req.data.get("card_number") {
            None | Some(Value::Null) => {}
            Some(Value::String(raw)) => {
                let card = CardNumber::new(raw);
                let outcome = card.outcome();
                if outcome != Outcome::InvalidNumber {
                    data.insert("brand".into(), json!(card.brand()));
                    data.insert("last4".into(), json!(card.last4()));
                }
                data.insert("outcome".into(), json!(outcome.as_str()));
            }
            Some(_) => {
                return Err(ProviderError::Rejected(
                    "card_number must be a string".into(),
                ))
            }
        }
        if let Some(holder) = req.data.get("holder").and_then(Value::as_str) {
            let holder: String = holder.chars().take(100).collect();
            data.insert("holder".into(), json!(holder));
        }
        Ok(Initiated {
            reference: None,
            data: Value::Object(data),
        })
    }

    /// Decides by the stored outcome (or, should the data hold a raw `card_number`, by
    /// that number); no outcome at all authorizes.
    pub fn authorize(&self, req: &AuthorizeRequest<'_>) -> Authorization {
        let outcome = match req.data.get("card_number").and_then(Value::as_str) {
            Some(raw) => CardNumber::new(raw).outcome(),
            None => match req.data.get("outcome").and_then(Value::as_str) {
                Some(stored) => Outcome::parse(stored).unwrap_or(Outcome::InvalidNumber),
                None => Outcome::Approve,
            },
        };
        let reference = format!("test_{}", req.session_id);
        let declined = |message: &str| Authorization::Declined {
            reference: Some(reference.clone()),
            message: message.to_string(),
        };
        match outcome {
            Outcome::Approve => Authorization::Authorized {
                reference: reference.clone(),
            },
            Outcome::Decline => declined(DECLINED),
            Outcome::InsufficientFunds => declined(INSUFFICIENT_FUNDS),
            Outcome::InvalidNumber => declined(INVALID_NUMBER),
            Outcome::Authenticate => match req.data.get("authentication").and_then(Value::as_str) {
                Some("approved") => Authorization::Authorized {
                    reference: reference.clone(),
                },
                Some("failed") => declined(NOT_AUTHENTICATED),
                _ => {
                    let sep = if req.return_url.ends_with(['?', '&']) {
                        ""
                    } else if req.return_url.contains('?') {
                        "&"
                    } else {
                        "?"
                    };
                    Authorization::RequiresAction {
                        redirect_url: format!(
                            "{}{sep}authenticate={}",
                            req.return_url, req.session_id
                        ),
                        reference,
                    }
                }
            },
        }
    }

    /// Always succeeds; the refund id is derived from the idempotency key, so a retried
    /// refund answers the same id.
    pub fn refund(&self, reference: &str, amount: MinorUnits, idempotency_key: &str) -> String {
        let digest =
            sha2::Sha256::digest(format!("{reference}\n{amount}\n{idempotency_key}").as_bytes());
        format!("testre_{}", &hex::encode(digest)[..24])
    }
}

#[cfg(test)]
mod tests {
    use commerce::money::CurrencyCode;

    use super::*;

    fn eur() -> CurrencyCode {
        CurrencyCode::parse("eur").expect("valid currency")
    }

    fn run(data: Value, return_url: &str) -> (Initiated, Authorization) {
        let provider = TestCardProvider::new();
        let initiated = provider
            .initiate(&InitiateRequest {
                session_id: "payses_1",
                amount: MinorUnits::new(1000),
                currency: eur(),
                data: &data,
            })
            .expect("initiate");
        let authorization = provider.authorize(&AuthorizeRequest {
            session_id: "payses_1",
            reference: initiated.reference.as_deref(),
            data: &initiated.data,
            amount: MinorUnits::new(1200),
            currency: eur(),
            return_url,
        });
        (initiated, authorization)
    }

    fn declined(message: &str) -> Authorization {
        Authorization::Declined {
            reference: Some("test_payses_1".into()),
            message: message.into(),
        }
    }

    #[test]
    fn luhn_accepts_valid_and_refuses_altered_numbers() {
        assert!(luhn("4242424242424242"));
        assert!(luhn("79927398713"));
        assert!(!luhn("4242424242424241"));
        assert!(!luhn("79927398710"));
        assert!(!luhn(""));
    }

    #[test]
    fn valid_card_authorizes_and_only_brand_and_last4_are_kept() {
        let (initiated, authorization) = run(
            json!({"card_number": "4242 4242-4242 4242", "holder": "Ada"}),
            "https://shop.test/checkout",
        );
        assert_eq!(initiated.reference, None);
        assert_eq!(
            initiated.data,
            json!({"brand": "visa", "last4": "4242", "outcome": "approve", "holder": "Ada"})
        );
        assert!(!initiated.data.to_string().contains("42424242"));
        assert_eq!(
            authorization,
            Authorization::Authorized {
                reference: "test_payses_1".into()
            }
        );
    }

    #[test]
    fn other_luhn_valid_numbers_authorize_with_their_brand() {
        let (initiated, authorization) = run(json!({"card_number": "5555555555554444"}), "/r");
        assert_eq!(initiated.data["brand"], "mastercard");
        assert_eq!(initiated.data["last4"], "4444");
        assert!(matches!(authorization, Authorization::Authorized { .. }));
        let (amex, _) = run(json!({"card_number": "378282246310005"}), "/r");
        assert_eq!(amex.data["brand"], "amex");
    }

    #[test]
    fn declining_cards_decline_with_stripes_messages() {
        assert_eq!(
            run(json!({"card_number": "4000000000000002"}), "/r").1,
            declined(DECLINED)
        );
        assert_eq!(
            run(json!({"card_number": "4000000000009995"}), "/r").1,
            declined(INSUFFICIENT_FUNDS)
        );
    }

    #[test]
    fn invalid_numbers_are_declined_as_not_valid() {
        for number in [
            "4242424242424241",     // Luhn fails
            "42424242424",          // 11 digits
            "42424242424242424242", // 20 digits
            "4242x42424242424",     // not digits
            "",
        ] {
            let (initiated, authorization) = run(json!({"card_number": number}), "/r");
            assert_eq!(authorization, declined(INVALID_NUMBER), "{number}");
            assert_eq!(initiated.data, json!({"outcome": "invalid_number"}));
        }
    }

    #[test]
    fn missing_card_number_authorizes() {
        let (initiated, authorization) = run(json!({}), "/r");
        assert_eq!(initiated.data, json!({}));
        assert!(matches!(authorization, Authorization::Authorized { .. }));
        let (_, null_data) = run(Value::Null, "/r");
        assert!(matches!(null_data, Authorization::Authorized { .. }));
    }

    #[test]
    fn non_string_card_number_is_rejected() {
        let result = TestCardProvider::new().initiate(&InitiateRequest {
            session_id: "payses_1",
            amount: MinorUnits::new(1000),
            currency: eur(),
            data: &json!({"card_number": 4242424242424242u64}),
        });
        assert!(matches!(result, Err(ProviderError::Rejected(_))));
    }

    #[test]
    fn three_d_secure_card_requires_action_at_the_return_url() {
        let card = json!({"card_number": "4000002500003155"});
        let expect = |url: &str| Authorization::RequiresAction {
            reference: "test_payses_1".into(),
            redirect_url: url.into(),
        };
        assert_eq!(
            run(card.clone(), "https://shop.test/checkout").1,
            expect("https://shop.test/checkout?authenticate=payses_1")
        );
        assert_eq!(
            run(card.clone(), "https://shop.test/checkout?step=pay").1,
            expect("https://shop.test/checkout?step=pay&authenticate=payses_1")
        );
        assert_eq!(
            run(card, "https://shop.test/checkout?").1,
            expect("https://shop.test/checkout?authenticate=payses_1")
        );
    }

    #[test]
    fn the_recorded_3ds_answer_decides_the_next_authorization() {
        let provider = TestCardProvider::new();
        let data = json!({"card_number": "4000002500003155"});
        let initiated = provider
            .initiate(&InitiateRequest {
                session_id: "payses_1",
                amount: MinorUnits::new(1000),
                currency: eur(),
                data: &data,
            })
            .expect("initiate");
        let with = |answer: &str| {
            let mut data = initiated.data.clone();
            data["authentication"] = json!(answer);
            provider.authorize(&AuthorizeRequest {
                session_id: "payses_1",
                reference: None,
                data: &data,
                amount: MinorUnits::new(1000),
                currency: eur(),
                return_url: "/r",
            })
        };
        assert_eq!(
            with("approved"),
            Authorization::Authorized {
                reference: "test_payses_1".into()
            }
        );
        assert_eq!(with("failed"), declined(NOT_AUTHENTICATED));
        assert!(matches!(
            with("pending"),
            Authorization::RequiresAction { .. }
        ));
        // An answer only matters for the card that asked for one.
        let mut declining = json!({"outcome": "decline", "authentication": "approved"});
        declining["last4"] = json!("0002");
        let answer = provider.authorize(&AuthorizeRequest {
            session_id: "payses_1",
            reference: None,
            data: &declining,
            amount: MinorUnits::new(1000),
            currency: eur(),
            return_url: "/r",
        });
        assert_eq!(answer, declined(DECLINED));
    }

    #[test]
    fn refund_ids_follow_the_idempotency_key() {
        let p = TestCardProvider::new();
        let first = p.refund("test_payses_1", MinorUnits::new(500), "refund-1");
        assert!(first.starts_with("testre_"));
        assert_eq!(
            first,
            p.refund("test_payses_1", MinorUnits::new(500), "refund-1")
        );
        assert_ne!(
            first,
            p.refund("test_payses_1", MinorUnits::new(500), "refund-2")
        );
    }
}
