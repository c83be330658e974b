//! Resend's email API: `POST {base}/emails` with a Bearer API key, a JSON body and an
//! `Idempotency-Key` header (Resend keeps keys for 24 hours and answers a repeat with
//! the first email's id).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Email, EmailError};
use crate::payment::header_safe_key;

/// Resend's API, used unless the configuration names another base URL (a fake).
pub const DEFAULT_BASE_URL: &str = "https://api.resend.com";

/// The Resend client. Holds the API key; never logs it.
pub struct ResendMailer {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
}

#[derive(Serialize)]
struct SendBody<'a> {
    from: &'a str,
    to: [&'a str; 1],
    subject: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    html: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    text: &'a str,
}

#[derive(Deserialize)]
struct Sent {
    id: String,
}

/// Resend's error body: `{"statusCode", "name", "message"}`.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    message: String,
}

impl ResendMailer {
    /// `base_url` is [`DEFAULT_BASE_URL`] in production; `timeout` bounds each request.
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (as `reqwest::Client::new` does).
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .expect("the HTTP client for Resend could not be built");
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            api_key: api_key.into(),
        }
    }

    /// Sends `email`; returns Resend's email id. The same `idempotency_key` within 24
    /// hours sends nothing more and answers the first id.
    pub async fn send(&self, email: &Email, idempotency_key: &str) -> Result<String, EmailError> {
        let body = SendBody {
            from: &email.from,
            to: [&email.to],
            subject: &email.subject,
            html: &email.html,
            text: &email.text,
        };
        let response = self
            .http
            .post(format!("{}/emails", self.base_url))
            .bearer_auth(&self.api_key)
            .header("Idempotency-Key", header_safe_key(idempotency_key))
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                EmailError::Retryable(if e.is_timeout() {
                    "resend: timed out".to_string()
                } else {
                    format!("resend: {e}")
                })
            })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| EmailError::Retryable(format!("resend: reading the answer: {e}")))?;
        if status.is_success() {
            return serde_json::from_slice::<Sent>(&bytes)
                .map(|sent| sent.id)
                .map_err(|e| EmailError::Retryable(format!("resend: unreadable answer: {e}")));
        }
        let error = serde_json::from_slice::<ErrorBody>(&bytes).unwrap_or_else(|_| ErrorBody {
            name: String::new(),
            message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        });
        let detail = format!(
            "resend: {} {}: {}",
            status.as_u16(),
            error.name,
            error.message
        );
        let retryable = status.as_u16() == 429
            || status.is_server_error()
            || (status.as_u16() == 409 && error.name == "concurrent_idempotent_requests");
        Err(if retryable {
            EmailError::Retryable(detail)
        } else {
            EmailError::Permanent(detail)
        })
    }
}
