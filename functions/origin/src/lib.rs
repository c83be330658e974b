//! The origin service: the one part of the platform that runs natively next to
//! PostgreSQL. It finalises checkouts in one transaction, talks to payment providers,
//! applies their webhooks exactly once, runs the follow-up jobs of the outbox and
//! delivers the stores' outbound webhooks. The
//! rules it applies live in `commerce`; this crate holds the HTTP surface, the
//! providers' clients and the job runner.

pub mod app;
pub mod checkout;
pub mod config;
pub mod deliveries;
pub mod email;
pub mod http;
pub mod jobs;
pub mod logging;
pub mod mail;
pub mod orders;
pub mod payment;
pub mod pool;
pub mod settle;
pub mod webhooks;
