//! The origin's configuration, parsed once from its environment into a typed struct.
//! Secrets (the edge's signing secret, provider keys) come from the environment only.

use std::net::SocketAddr;
use std::time::Duration;

use commerce::signing::SigningKey;

/// Which payment provider the origin offers besides none.
#[derive(Debug, Clone)]
pub enum PaymentConfig {
    /// The local test-card provider (the default): nothing leaves the machine.
    TestCards,
    /// Stripe's API at `base_url` (https://api.stripe.com in production).
    Stripe {
        base_url: String,
        secret_key: String,
        webhook_secret: String,
    },
}

/// Where confirmation e-mails go.
#[derive(Debug, Clone)]
pub enum EmailConfig {
    /// Kept in the database and shown at `/dev/mail` (the default).
    Local,
    /// Resend's API at `base_url` (https://api.resend.com in production).
    Resend { base_url: String, api_key: String },
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `ORIGIN_LISTEN`, default 127.0.0.1:8788.
    pub listen: SocketAddr,
    /// `DATABASE_URL`: a direct PostgreSQL connection (not a transaction pooler: the
    /// checkout holds a session lock per cart while it pays).
    pub database_url: String,
    /// `DATABASE_POOL_SIZE`, default 16.
    pub pool_size: usize,
    /// `ORIGIN_SECRET`, shared with the edge.
    pub signing_key: SigningKey,
    pub payment: PaymentConfig,
    pub email: EmailConfig,
    /// `EMAIL_FROM`, the sender of confirmation e-mails.
    pub email_from: String,
    /// `PROVIDER_TIMEOUT_MS`, default 10000: how long a provider call may take.
    pub provider_timeout: Duration,
    /// `JOB_POLL_MS`, default 500: how often the job runner looks for due work.
    pub job_poll: Duration,
    /// `RESERVATION_TTL_SECONDS`, default 900: how long a pending order holds stock.
    pub reservation_ttl_s: i64,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| format!("{name}={v} is not a valid number")),
    }
}

fn required(name: &str, why: &str) -> Result<String, String> {
    var(name).ok_or_else(|| format!("{name} is not set: {why}"))
}

impl Config {
    /// Reads the environment; the error names the variable and what is wrong with it.
    pub fn from_env() -> Result<Self, String> {
        let listen = var("ORIGIN_LISTEN").unwrap_or_else(|| "127.0.0.1:8788".into());
        let listen = listen
            .parse()
            .map_err(|_| format!("ORIGIN_LISTEN={listen} is not an address like 127.0.0.1:8788"))?;
        let secret = required(
            "ORIGIN_SECRET",
            "the secret the edge signs its requests with",
        )?;
        let signing_key = SigningKey::parse(&secret).map_err(|e| format!("ORIGIN_SECRET: {e}"))?;
        let payment = match var("PAYMENT_PROVIDER").as_deref().unwrap_or("test") {
            "test" => PaymentConfig::TestCards,
            "stripe" => PaymentConfig::Stripe {
                base_url: var("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com".into()),
                secret_key: required("STRIPE_SECRET_KEY", "PAYMENT_PROVIDER is stripe")?,
                webhook_secret: required("STRIPE_WEBHOOK_SECRET", "PAYMENT_PROVIDER is stripe")?,
            },
            other => return Err(format!("PAYMENT_PROVIDER={other}: expected test or stripe")),
        };
        let email = match var("EMAIL_PROVIDER").as_deref().unwrap_or("local") {
            "local" => EmailConfig::Local,
            "resend" => EmailConfig::Resend {
                base_url: var("RESEND_API_BASE").unwrap_or_else(|| "https://api.resend.com".into()),
                api_key: required("RESEND_API_KEY", "EMAIL_PROVIDER is resend")?,
            },
            other => return Err(format!("EMAIL_PROVIDER={other}: expected local or resend")),
        };
        Ok(Config {
            listen,
            database_url: required("DATABASE_URL", "the origin needs PostgreSQL")?,
            pool_size: number("DATABASE_POOL_SIZE", 16)?,
            signing_key,
            payment,
            email,
            email_from: var("EMAIL_FROM").unwrap_or_else(|| "Orders <orders@localhost>".into()),
            provider_timeout: Duration::from_millis(number("PROVIDER_TIMEOUT_MS", 10_000)?),
            job_poll: Duration::from_millis(number("JOB_POLL_MS", 500)?),
            reservation_ttl_s: number(
                "RESERVATION_TTL_SECONDS",
                commerce::order::RESERVATION_TTL_SECONDS,
            )?,
        })
    }
}
