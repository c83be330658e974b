//! The origin's configuration, parsed once from its environment into a typed struct.
//! Secrets (the edge's signing secret, provider keys) come from the environment only.
//! In production (`ENVIRONMENT=production`) the development defaults (test cards,
//! the local mailbox) are refused: the origin does not start with them.

use std::net::SocketAddr;
use std::time::Duration;

use commerce::signing::SigningKey;

use crate::pool::PoolTimeouts;

/// The environment name of a production deployment.
pub const PRODUCTION: &str = "production";
/// The environment name assumed when `ENVIRONMENT` is not set.
pub const DEVELOPMENT: &str = "development";

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
    /// `ENVIRONMENT`, default `development`: the deployment's name, the same as the
    /// edge's (`development`, `staging`, `production`). Signed requests are verified
    /// for this audience.
    pub environment: String,
    /// `ORIGIN_LISTEN`, default 127.0.0.1:8788.
    pub listen: SocketAddr,
    /// `DATABASE_URL`: a direct PostgreSQL connection (not a transaction pooler: the
    /// checkout holds a session lock per cart while it pays).
    pub database_url: String,
    /// `DATABASE_POOL_SIZE`, default 16.
    pub pool_size: usize,
    /// `DATABASE_CONNECT_TIMEOUT_MS` (default 5000) and `DATABASE_POOL_WAIT_MS`
    /// (default 30000): opening a connection, waiting for a free one.
    pub pool_timeouts: PoolTimeouts,
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
    /// `WEBHOOK_RETRY_SCHEDULE_SECONDS`: the delays before each attempt of a webhook
    /// delivery, comma-separated, the first 0 (default: `commerce::webhook::
    /// RETRY_SCHEDULE_S`, about three days in ten attempts). Tests shorten it.
    pub webhook_schedule: Vec<u64>,
    /// `WEBHOOK_TIMEOUT_MS`, default 10000: how long one delivery attempt may take.
    pub webhook_timeout: Duration,
}

impl Config {
    /// Reads the process environment; the error names the variable and what is wrong
    /// with it (see [`Config::from_vars`]).
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the configuration from `lookup` (a variable's value by name), then
    /// refuses development defaults in production ([`Config::check_production`]).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required =
            |name: &str, why: &str| var(name).ok_or_else(|| format!("{name} is not set: {why}"));
        fn number<T: std::str::FromStr>(
            name: &str,
            value: Option<String>,
            default: T,
        ) -> Result<T, String> {
            match value {
                None => Ok(default),
                Some(v) => v
                    .parse()
                    .map_err(|_| format!("{name}={v} is not a valid number")),
            }
        }
        let environment = var("ENVIRONMENT").unwrap_or_else(|| DEVELOPMENT.into());
        if !environment
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!(
                "ENVIRONMENT={environment}: expected a lower-case name like development, staging or production"
            ));
        }
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
        let database_url = required("DATABASE_URL", "the origin needs PostgreSQL")?;
        database_url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| format!("DATABASE_URL is not a PostgreSQL URL: {e}"))?;
        let config = Config {
            environment,
            listen,
            database_url,
            pool_size: number("DATABASE_POOL_SIZE", var("DATABASE_POOL_SIZE"), 16)?,
            pool_timeouts: PoolTimeouts {
                connect: Duration::from_millis(number(
                    "DATABASE_CONNECT_TIMEOUT_MS",
                    var("DATABASE_CONNECT_TIMEOUT_MS"),
                    5_000,
                )?),
                wait: Duration::from_millis(number(
                    "DATABASE_POOL_WAIT_MS",
                    var("DATABASE_POOL_WAIT_MS"),
                    30_000,
                )?),
            },
            signing_key,
            payment,
            email,
            email_from: var("EMAIL_FROM").unwrap_or_else(|| "Orders <orders@localhost>".into()),
            provider_timeout: Duration::from_millis(number(
                "PROVIDER_TIMEOUT_MS",
                var("PROVIDER_TIMEOUT_MS"),
                10_000,
            )?),
            job_poll: Duration::from_millis(number("JOB_POLL_MS", var("JOB_POLL_MS"), 500)?),
            reservation_ttl_s: number(
                "RESERVATION_TTL_SECONDS",
                var("RESERVATION_TTL_SECONDS"),
                commerce::order::RESERVATION_TTL_SECONDS,
            )?,
            webhook_schedule: match var("WEBHOOK_RETRY_SCHEDULE_SECONDS") {
                None => commerce::webhook::RETRY_SCHEDULE_S.to_vec(),
                Some(text) => schedule(&text)?,
            },
            webhook_timeout: Duration::from_millis(number(
                "WEBHOOK_TIMEOUT_MS",
                var("WEBHOOK_TIMEOUT_MS"),
                10_000,
            )?),
        };
        config.check_production()?;
        Ok(config)
    }

    /// Whether webhook deliveries may go only to public addresses (production: never
    /// into the operator's own network).
    pub fn webhooks_public_only(&self) -> bool {
        self.is_production()
    }

    /// Whether this is the production deployment.
    pub fn is_production(&self) -> bool {
        self.environment == PRODUCTION
    }

    /// Whether this is a development machine (`/dev/mail` is served only there).
    pub fn is_development(&self) -> bool {
        self.environment == DEVELOPMENT
    }

    /// Production refuses the development defaults: the test-card provider (anyone
    /// could "pay" with 4242...) and the local mailbox (shoppers would get no mail).
    /// The error says what to set instead.
    pub fn check_production(&self) -> Result<(), String> {
        if !self.is_production() {
            return Ok(());
        }
        let mut wrong = Vec::new();
        if matches!(self.payment, PaymentConfig::TestCards) {
            wrong.push(
                "the test-card payment provider is enabled: set PAYMENT_PROVIDER=stripe \
                 with STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET",
            );
        }
        if matches!(self.email, EmailConfig::Local) {
            wrong.push(
                "e-mail goes to the local mailbox: set EMAIL_PROVIDER=resend with RESEND_API_KEY",
            );
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "ENVIRONMENT=production refuses development settings: {}",
                wrong.join("; ")
            ))
        }
    }
}

/// Reads `WEBHOOK_RETRY_SCHEDULE_SECONDS`: 1 to 20 delays in seconds, the first 0.
fn schedule(text: &str) -> Result<Vec<u64>, String> {
    let bad = || {
        format!(
            "WEBHOOK_RETRY_SCHEDULE_SECONDS={text}: expected 1 to 20 comma-separated seconds starting with 0, like 0,5,300"
        )
    };
    let delays: Vec<u64> = text
        .split(',')
        .map(|s| s.trim().parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    if delays.first() != Some(&0) || delays.len() > 20 {
        return Err(bad());
    }
    Ok(delays)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let mut map: HashMap<String, String> = [
            ("ORIGIN_SECRET", "0123456789abcdef0123456789abcdef"),
            ("DATABASE_URL", "postgres://u:p@127.0.0.1:5432/db"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in pairs {
            map.insert((*k).to_owned(), (*v).to_owned());
        }
        Config::from_vars(|name| map.get(name).cloned())
    }

    const STRIPE: &[(&str, &str)] = &[
        ("PAYMENT_PROVIDER", "stripe"),
        ("STRIPE_SECRET_KEY", "sk_live_x"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_x"),
    ];
    const RESEND: &[(&str, &str)] = &[("EMAIL_PROVIDER", "resend"), ("RESEND_API_KEY", "re_x")];

    #[test]
    fn the_default_environment_is_development_with_local_providers() {
        let c = vars(&[]).unwrap();
        assert_eq!(c.environment, "development");
        assert!(c.is_development() && !c.is_production());
        assert!(matches!(c.payment, PaymentConfig::TestCards));
        assert!(matches!(c.email, EmailConfig::Local));
        assert_eq!(c.pool_size, 16);
        assert_eq!(c.pool_timeouts.connect, Duration::from_secs(5));
    }

    #[test]
    fn production_refuses_test_cards() {
        let e = vars(&[&[("ENVIRONMENT", "production")], RESEND].concat()).unwrap_err();
        assert!(e.contains("test-card"), "{e}");
        assert!(e.contains("PAYMENT_PROVIDER=stripe"), "{e}");
        assert!(!e.contains("mailbox"), "{e}");
    }

    #[test]
    fn production_refuses_the_local_mailbox() {
        let e = vars(&[&[("ENVIRONMENT", "production")], STRIPE].concat()).unwrap_err();
        assert!(e.contains("local mailbox"), "{e}");
        assert!(e.contains("EMAIL_PROVIDER=resend"), "{e}");
    }

    #[test]
    fn production_with_both_defaults_names_both() {
        let e = vars(&[("ENVIRONMENT", "production")]).unwrap_err();
        assert!(
            e.contains("PAYMENT_PROVIDER") && e.contains("EMAIL_PROVIDER"),
            "{e}"
        );
    }

    #[test]
    fn production_with_real_providers_starts() {
        let c = vars(&[&[("ENVIRONMENT", "production")], STRIPE, RESEND].concat()).unwrap();
        assert!(c.is_production());
        // Staging may keep the development defaults.
        assert!(vars(&[("ENVIRONMENT", "staging")]).is_ok());
    }

    #[test]
    fn bad_values_are_named() {
        assert!(vars(&[("ENVIRONMENT", "Prod uction")])
            .unwrap_err()
            .contains("ENVIRONMENT"));
        assert!(vars(&[("DATABASE_URL", "not a url ::")])
            .unwrap_err()
            .contains("DATABASE_URL"));
        assert!(vars(&[("DATABASE_POOL_SIZE", "many")])
            .unwrap_err()
            .contains("DATABASE_POOL_SIZE"));
        for schedule in ["5,10", "0,x", ""] {
            let got = vars(&[("WEBHOOK_RETRY_SCHEDULE_SECONDS", schedule)]);
            assert!(
                schedule.is_empty() || got.unwrap_err().contains("WEBHOOK_RETRY_SCHEDULE_SECONDS"),
                "{schedule}"
            );
        }
        let c = vars(&[("WEBHOOK_RETRY_SCHEDULE_SECONDS", "0, 1,2")]).unwrap();
        assert_eq!(c.webhook_schedule, [0, 1, 2]);
        assert_eq!(vars(&[]).unwrap().webhook_schedule.len(), 10);
    }
}
