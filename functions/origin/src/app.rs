//! The origin's shared state: configuration, the connection pool, the payment
//! provider and the mailer, built once at start.

use std::sync::Arc;

use commerce::ApiError;

use crate::config::{Config, EmailConfig, PaymentConfig};
use crate::email::{resend::ResendMailer, Mailer};
use crate::payment::{stripe::StripeProvider, test_card::TestCardProvider, Provider};
use crate::pool::Pool;

#[derive(Clone)]
pub struct App {
    pub inner: Arc<Inner>,
}

pub struct Inner {
    pub config: Config,
    pub pool: Pool,
    pub provider: Provider,
    pub mailer: Mailer,
}

impl std::ops::Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl App {
    pub fn new(config: Config) -> Self {
        let provider = match &config.payment {
            PaymentConfig::TestCards => Provider::TestCard(TestCardProvider::new()),
            PaymentConfig::Stripe {
                base_url,
                secret_key,
                ..
            } => Provider::Stripe(StripeProvider::new(
                base_url,
                secret_key,
                config.provider_timeout,
            )),
        };
        let mailer = match &config.email {
            EmailConfig::Local => Mailer::Local,
            EmailConfig::Resend { base_url, api_key } => Mailer::Resend(ResendMailer::new(
                base_url,
                api_key,
                config.provider_timeout,
            )),
        };
        App {
            inner: Arc::new(Inner {
                pool: Pool::new(&config.database_url, config.pool_size, config.pool_timeouts),
                config,
                provider,
                mailer,
            }),
        }
    }

    /// The provider a session names, if it is the one this origin offers.
    pub fn provider(&self, id: &str) -> Result<&Provider, ApiError> {
        if id == self.provider.id() {
            Ok(&self.provider)
        } else {
            Err(ApiError::invalid(
                "provider_id",
                format!(
                    "payment provider {id} is not available; this store offers {}",
                    self.provider.id()
                ),
            ))
        }
    }
}

/// Logs a line given as a JSON object (`level`, `msg`, and other fields) through
/// `tracing`, so it carries the current request's span (its trace id) like every
/// other line. Kept for the few lines in the checkout saga and the settling of
/// payments not yet written as `tracing` events; new code uses `tracing` directly.
pub fn log(line: serde_json::Value) {
    let serde_json::Value::Object(mut fields) = line else {
        tracing::info!(detail = %line, "log");
        return;
    };
    let level = fields
        .remove("level")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let msg = fields
        .remove("msg")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let fields = serde_json::Value::Object(fields);
    match level.as_str() {
        "error" => tracing::error!(fields = %fields, "{msg}"),
        "warn" => tracing::warn!(fields = %fields, "{msg}"),
        "debug" => tracing::debug!(fields = %fields, "{msg}"),
        _ => tracing::info!(fields = %fields, "{msg}"),
    }
}

fn since_epoch() -> std::time::Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    u64::try_from(since_epoch().as_millis()).unwrap_or(u64::MAX)
}

/// Now, in seconds since the Unix epoch.
pub fn now_s() -> i64 {
    i64::try_from(since_epoch().as_secs()).unwrap_or(i64::MAX)
}
