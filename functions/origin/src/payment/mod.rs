//! Payment providers: the one the store is configured with is a [`Provider`], which
//! dispatches to the local test-card provider or to Stripe. Amounts are integer minor
//! units throughout; every call that moves money carries an idempotency key so that a
//! retried call does not move it twice.

pub mod stripe;
pub mod test_card;

use commerce::money::{CurrencyCode, MinorUnits};
use serde_json::Value;

/// The configured payment provider.
pub enum Provider {
    TestCard(test_card::TestCardProvider),
    Stripe(stripe::StripeProvider),
}

/// A payment session being created through a provider.
#[derive(Debug, Clone, Copy)]
pub struct InitiateRequest<'a> {
    pub session_id: &'a str,
    pub amount: MinorUnits,
    pub currency: CurrencyCode,
    /// What the client sent: test cards `{"card_number", "holder"?}`; Stripe
    /// `{"payment_method"?: "pm_..."}`.
    pub data: &'a Value,
}

/// A created payment session.
#[derive(Debug, Clone, PartialEq)]
pub struct Initiated {
    /// The provider's id for the payment (Stripe: the PaymentIntent id); none for test
    /// cards until authorization.
    pub reference: Option<String>,
    /// The session data to store and show the client. Never holds a full card number.
    pub data: Value,
}

/// A payment session to authorize for the order total.
#[derive(Debug, Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    pub session_id: &'a str,
    pub reference: Option<&'a str>,
    /// The stored session data ([`Initiated::data`]).
    pub data: &'a Value,
    /// The order total, which may differ from the initiated amount.
    pub amount: MinorUnits,
    pub currency: CurrencyCode,
    /// Where the shopper comes back to after a 3-D Secure step.
    pub return_url: &'a str,
}

/// What an authorization attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// The money is held, to be captured.
    Authorized { reference: String },
    /// The money is taken already (automatic capture).
    Captured { reference: String },
    /// Refused; `message` is meant for the shopper ("Your card was declined.").
    Declined {
        reference: Option<String>,
        message: String,
    },
    /// The shopper must confirm (3-D Secure) at `redirect_url` first.
    RequiresAction {
        reference: String,
        redirect_url: String,
    },
}

/// Why a provider call did not give an answer about the payment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// Timeout, connection failure, 5xx, 429 or a concurrent request with the same
    /// idempotency key: retry later; nothing is known to have changed.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request itself (a 4xx): retrying will not help.
    #[error("payment provider rejected the request: {0}")]
    Rejected(String),
}

impl Provider {
    /// Medusa's id of the provider.
    pub fn id(&self) -> &'static str {
        match self {
            Provider::TestCard(_) => test_card::PROVIDER_ID,
            Provider::Stripe(_) => stripe::PROVIDER_ID,
        }
    }

    /// Called when a payment session is created; see [`InitiateRequest`].
    pub async fn initiate(&self, req: &InitiateRequest<'_>) -> Result<Initiated, ProviderError> {
        match self {
            Provider::TestCard(p) => p.initiate(req),
            Provider::Stripe(p) => p.initiate(req).await,
        }
    }

    /// Authorizes the session's payment for `req.amount`; see [`Authorization`].
    pub async fn authorize(
        &self,
        req: &AuthorizeRequest<'_>,
    ) -> Result<Authorization, ProviderError> {
        match self {
            Provider::TestCard(p) => Ok(p.authorize(req)),
            Provider::Stripe(p) => p.authorize(req).await,
        }
    }

    /// Captures `amount` of an authorized payment. Capturing a payment that is
    /// captured already succeeds.
    pub async fn capture(
        &self,
        reference: &str,
        amount: MinorUnits,
        idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        match self {
            Provider::TestCard(_) => Ok(()),
            Provider::Stripe(p) => p.capture(reference, amount, idempotency_key).await,
        }
    }

    /// Releases an authorized, uncaptured payment. Canceling a canceled one succeeds.
    pub async fn cancel(
        &self,
        reference: &str,
        idempotency_key: &str,
    ) -> Result<(), ProviderError> {
        match self {
            Provider::TestCard(_) => Ok(()),
            Provider::Stripe(p) => p.cancel(reference, idempotency_key).await,
        }
    }

    /// Refunds `amount` of a captured payment; returns the provider's refund id.
    pub async fn refund(
        &self,
        reference: &str,
        amount: MinorUnits,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        match self {
            Provider::TestCard(p) => Ok(p.refund(reference, amount, idempotency_key)),
            Provider::Stripe(p) => p.refund(reference, amount, idempotency_key).await,
        }
    }
}

/// A provider-acceptable idempotency key: `key` itself when it is short visible ASCII,
/// else its SHA-256 in hex (Stripe allows 255 characters, Resend 256).
pub(crate) fn header_safe_key(key: &str) -> String {
    use sha2::Digest;
    if !key.is_empty() && key.len() <= 200 && key.bytes().all(|b| b.is_ascii_graphic()) {
        key.to_string()
    } else {
        hex::encode(sha2::Sha256::digest(key.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_ids_are_medusas() {
        let test = Provider::TestCard(test_card::TestCardProvider::new());
        assert_eq!(test.id(), "pp_system_default");
        let stripe = Provider::Stripe(stripe::StripeProvider::new(
            "http://127.0.0.1:9",
            "sk_test",
            std::time::Duration::from_secs(1),
        ));
        assert_eq!(stripe.id(), "pp_stripe_stripe");
    }

    #[test]
    fn long_or_odd_keys_are_hashed() {
        assert_eq!(header_safe_key("capture-ses_1"), "capture-ses_1");
        let long = "k".repeat(300);
        assert_eq!(header_safe_key(&long).len(), 64);
        assert_eq!(header_safe_key("with space").len(), 64);
        assert_ne!(
            header_safe_key("with space"),
            header_safe_key("with  space")
        );
    }
}
