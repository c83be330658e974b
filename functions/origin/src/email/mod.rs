//! Sending email: an [`Email`] goes out through the configured [`Mailer`], once per
//! idempotency key. Resend is the hosted provider; `Local` keeps mail in PostgreSQL
//! for development (sent by the job runner, not here).

pub mod resend;

/// One message, rendered. `to` is a single address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// The configured way of sending email.
pub enum Mailer {
    Resend(resend::ResendMailer),
    /// Mail is written to a local PostgreSQL table instead of being sent.
    Local,
}

impl Mailer {
    pub fn name(&self) -> &'static str {
        match self {
            Mailer::Resend(_) => "resend",
            Mailer::Local => "local",
        }
    }
}

/// Why an email was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Timeout, connection failure, 429 or 5xx: try again later.
    #[error("email not sent, retry later: {0}")]
    Retryable(String),
    /// The provider refused the message or the credentials: retrying will not help.
    #[error("email refused: {0}")]
    Permanent(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailer_names() {
        assert_eq!(Mailer::Local.name(), "local");
        let resend = resend::ResendMailer::new(
            "http://127.0.0.1:9",
            "re_test",
            std::time::Duration::from_secs(1),
        );
        assert_eq!(Mailer::Resend(resend).name(), "resend");
    }
}
