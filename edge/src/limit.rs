//! Abuse limits at the edge, one table: each rule says what it counts and how. Where
//! an approximate count is fine the platform's rate-limit binding counts (its limit
//! and period are set per environment in `wrangler.toml`, `[[ratelimits]]`); where
//! counts must be exact, `LimiterObject` counts (limits from the configuration). A
//! request over a limit is a 429 with `Retry-After`.

use commerce::limit::{self as rule, Limit};
use commerce::ApiError;
use worker::{Date, Env};

use crate::bindings;
use crate::config::Config;

/// What is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Order lookups per client address (guessing order numbers).
    LookupByIp,
    /// Order lookups per e-mail address.
    LookupByEmail,
    /// New carts per client address.
    CartCreateByIp,
    /// Storefront analytics posts per client address.
    EventsByIp,
    /// GraphQL requests per client address.
    GraphqlByIp,
    /// Completion and payment attempts per cart (card testing); exact.
    CheckoutPerCart,
    /// Staff sign-in attempts per account (password guessing); exact.
    SignInPerAccount,
    /// Staff sign-in attempts per client address; exact.
    SignInPerClient,
}

/// How a rule counts.
enum Counter {
    /// The rate-limit binding of this name, whose window is `period_s` (10 or 60).
    Binding { name: &'static str, period_s: u32 },
    /// `LimiterObject`, with this limit.
    Exact(Limit),
}

impl Rule {
    fn name(self) -> &'static str {
        match self {
            Rule::LookupByIp => "lookup_ip",
            Rule::LookupByEmail => "lookup_email",
            Rule::CartCreateByIp => "cart_create_ip",
            Rule::EventsByIp => "events_ip",
            Rule::GraphqlByIp => "graphql_ip",
            Rule::CheckoutPerCart => "checkout_cart",
            Rule::SignInPerAccount => "sign_in_account",
            Rule::SignInPerClient => "sign_in_client",
        }
    }

    fn counter(self, config: &Config) -> Counter {
        let minute = |name| Counter::Binding { name, period_s: 60 };
        match self {
            Rule::LookupByIp => minute(bindings::LIMIT_LOOKUP_BY_IP),
            Rule::LookupByEmail => minute(bindings::LIMIT_LOOKUP_BY_EMAIL),
            Rule::CartCreateByIp => minute(bindings::LIMIT_CART_CREATE_BY_IP),
            Rule::EventsByIp => minute(bindings::LIMIT_EVENTS_BY_IP),
            Rule::GraphqlByIp => minute(bindings::LIMIT_GRAPHQL_BY_IP),
            Rule::CheckoutPerCart => Counter::Exact(config.checkout_per_cart),
            Rule::SignInPerAccount => Counter::Exact(config.sign_in_per_account),
            Rule::SignInPerClient => Counter::Exact(config.sign_in_per_client),
        }
    }
}

/// Counts one request under `rule` for `value` (an address, an e-mail, a cart id).
/// A limiter that cannot be reached lets the request through (and is logged with the
/// request's `trace_id`): limits protect the shop, they must not take it down.
pub async fn check(
    env: &Env,
    config: &Config,
    trace_id: &str,
    rule: Rule,
    value: &str,
) -> Result<(), ApiError> {
    let key = rule::key(rule.name(), value);
    let outcome = match rule.counter(config) {
        Counter::Binding { name, period_s } => match env.rate_limiter(name) {
            Ok(limiter) => match limiter.limit(key).await {
                Ok(outcome) if outcome.success => Ok(()),
                Ok(_) => Err(ApiError::TooManyRequests {
                    retry_after_s: rule::aligned_retry_after(period_s, Date::now().as_millis()),
                }),
                Err(e) => Err(ApiError::internal(format!("rate limit {name}: {e}"))),
            },
            Err(e) => Err(ApiError::internal(format!("rate limit {name}: {e}"))),
        },
        Counter::Exact(limit) => durable_objects::limiter::check(env, &key, limit).await,
    };
    match outcome {
        Err(ApiError::Internal { detail }) => {
            crate::log::write(
                "error",
                "rate limiter unavailable",
                Some(trace_id),
                serde_json::json!({ "detail": detail }),
            );
            Ok(())
        }
        other => other,
    }
}
