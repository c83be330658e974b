//! Local fakes of the providers the origin talks to, speaking their real HTTP APIs on
//! 127.0.0.1 so that no test reaches the internet: Stripe (PaymentIntents, refunds,
//! signed webhooks) and Resend (emails). Each fake runs in a tokio task, keeps its state
//! in memory and offers `/_fake/...` control endpoints, mirrored on its Rust handle.

pub mod resend;
pub mod stripe;
mod util;

pub use resend::{spawn_resend, try_spawn_resend, FakeEmail, FakeResend, ResendFakeConfig};
pub use stripe::{
    spawn_stripe, try_spawn_stripe, FakeEvent, FakeIntent, FakeRefund, FakeRequest, FakeStripe,
    StripeFakeConfig, WebhookTarget,
};
