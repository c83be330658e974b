//! A fake of Resend's `POST /emails` HTTP API on 127.0.0.1: Bearer API key, the JSON
//! body checked (`from`, `to` as an array, `subject`, `html` or `text`), the
//! `Idempotency-Key` header honoured, Resend's `{statusCode, name, message}` errors, and
//! the sent emails kept in memory for tests (`GET /_fake/emails`, [`FakeResend::emails`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::util::{now_unix, take_count, uuid_like};

/// How to start a [`FakeResend`].
#[derive(Debug, Clone, Default)]
pub struct ResendFakeConfig {
    /// The API key every call must carry as `Authorization: Bearer <key>`.
    pub api_key: String,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl ResendFakeConfig {
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: api_key.into(),
            port: 0,
        }
    }

    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}

/// An email the fake accepted (each idempotency key at most once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeEmail {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub html: Option<String>,
    pub text: Option<String>,
    pub idempotency_key: Option<String>,
    pub created_at: i64,
}

struct State {
    api_key: String,
    emails: Vec<FakeEmail>,
    /// Idempotency key -> (request body, email id).
    idempotency: HashMap<String, (Value, String)>,
    fail_next: Option<(u32, u16)>,
    delay_next: Option<(u32, u64)>,
}

type Shared = Arc<Mutex<State>>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running Resend fake. Dropping it stops the server.
pub struct FakeResend {
    state: Shared,
    base_url: String,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl Drop for FakeResend {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts the fake on 127.0.0.1 (port from the config, 0 for any free port).
///
/// # Panics
/// When the port cannot be bound; use [`try_spawn_resend`] to handle that.
pub async fn spawn_resend(cfg: ResendFakeConfig) -> FakeResend {
    try_spawn_resend(cfg)
        .await
        .expect("the Resend fake could not bind its port")
}

/// Starts the fake on 127.0.0.1, failing when the port cannot be bound.
pub async fn try_spawn_resend(cfg: ResendFakeConfig) -> std::io::Result<FakeResend> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cfg.port)).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(Mutex::new(State {
        api_key: cfg.api_key,
        emails: Vec::new(),
        idempotency: HashMap::new(),
        fail_next: None,
        delay_next: None,
    }));
    let router = Router::new()
        .route("/emails", post(send_email))
        .route("/emails/{id}", get(get_email))
        .route("/_fake/emails", get(control_emails))
        .route("/_fake/fail_next", post(control_fail_next))
        .route("/_fake/delay_next", post(control_delay_next))
        .with_state(state.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(FakeResend {
        state,
        base_url: format!("http://{addr}"),
        addr,
        server,
    })
}

impl FakeResend {
    /// `http://127.0.0.1:<port>`: the value to configure as the Resend API base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The accepted emails, oldest first.
    pub fn emails(&self) -> Vec<FakeEmail> {
        lock(&self.state).emails.clone()
    }

    /// The next `count` calls to `POST /emails` answer `status` with a Resend error.
    pub fn fail_next(&self, count: u32, status: u16) {
        lock(&self.state).fail_next = Some((count, status));
    }

    /// The next `count` calls to `POST /emails` wait `ms` milliseconds first.
    pub fn delay_next(&self, count: u32, ms: u64) {
        lock(&self.state).delay_next = Some((count, ms));
    }
}

fn resend_error(status: StatusCode, name: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({
            "statusCode": status.as_u16(),
            "name": name,
            "message": message.into(),
        })),
    )
        .into_response()
}

/// The error response for a missing or wrong API key, if any.
fn key_error(st: &State, headers: &HeaderMap) -> Option<Response> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(key) if key == st.api_key => None,
        Some(_) => Some(resend_error(
            StatusCode::FORBIDDEN,
            "invalid_api_key",
            "API key is invalid",
        )),
        None => Some(resend_error(
            StatusCode::UNAUTHORIZED,
            "missing_api_key",
            "Missing API key in the authorization header",
        )),
    }
}

/// `name@domain.tld`, or `Display Name <name@domain.tld>` (for `from`).
fn is_address(s: &str, allow_display_name: bool) -> bool {
    let addr = match (allow_display_name, s.rfind('<')) {
        (true, Some(open)) if s.ends_with('>') => &s[open + 1..s.len() - 1],
        _ => s,
    };
    let Some((local, domain)) = addr.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !addr
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>')
}

struct Parsed {
    from: String,
    to: Vec<String>,
    subject: String,
    html: Option<String>,
    text: Option<String>,
}

fn validate(body: &Value) -> Result<Parsed, String> {
    let Some(object) = body.as_object() else {
        return Err("The request body must be a JSON object.".into());
    };
    let from =
        match object.get("from") {
            Some(Value::String(from)) if is_address(from, true) => from.clone(),
            Some(Value::String(_)) => return Err(
                "Invalid `from` field. The email address needs to follow the `email@example.com` \
                 or `Name <email@example.com>` format."
                    .into(),
            ),
            Some(_) => return Err("The `from` field must be a `string`.".into()),
            None => return Err("Missing `from` field.".into()),
        };
    let to = match object.get("to") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= 50 => {
            let mut to = Vec::with_capacity(items.len());
            for item in items {
                match item.as_str() {
                    Some(addr) if is_address(addr, false) => to.push(addr.to_string()),
                    _ => {
                        return Err(format!(
                            "Invalid `to` field. The email address needs to follow the \
                             `email@example.com` format: {item}"
                        ))
                    }
                }
            }
            to
        }
        Some(Value::Array(_)) => {
            return Err("The `to` field must contain between 1 and 50 addresses.".into())
        }
        Some(_) => return Err("The `to` field must be an array of strings.".into()),
        None => return Err("Missing `to` field.".into()),
    };
    let subject = match object.get("subject") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(_) => return Err("The `subject` field must be a non-empty `string`.".into()),
        None => return Err("Missing `subject` field.".into()),
    };
    let string_field = |name: &str| -> Result<Option<String>, String> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("The `{name}` field must be a `string`.")),
        }
    };
    let html = string_field("html")?;
    let text = string_field("text")?;
    if html.is_none() && text.is_none() {
        return Err("Missing `html` or `text` field.".into());
    }
    Ok(Parsed {
        from,
        to,
        subject,
        html,
        text,
    })
}

async fn send_email(
    AxumState(state): AxumState<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delay = take_count(&mut lock(&state).delay_next);
    if let Some(ms) = delay {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let failure = take_count(&mut lock(&state).fail_next);
    if let Some(status) = failure {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return if status == StatusCode::TOO_MANY_REQUESTS {
            resend_error(
                status,
                "rate_limit_exceeded",
                "Too many requests. You can only make 2 requests per second.",
            )
        } else {
            resend_error(
                status,
                "internal_server_error",
                "An unexpected error occurred (provider-fakes fail_next).",
            )
        };
    }

    let mut st = lock(&state);
    if let Some(response) = key_error(&st, &headers) {
        return response;
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => {
            return resend_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                format!("The request body is not valid JSON: {e}"),
            )
        }
    };
    let parsed = match validate(&value) {
        Ok(parsed) => parsed,
        Err(message) => {
            return resend_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                message,
            )
        }
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(key) = &key {
        if key.is_empty() || key.len() > 256 {
            return resend_error(
                StatusCode::BAD_REQUEST,
                "invalid_idempotency_key",
                "The key must be between 1-256 chars.",
            );
        }
        if let Some((first_body, id)) = st.idempotency.get(key) {
            if *first_body != value {
                return resend_error(
                    StatusCode::CONFLICT,
                    "invalid_idempotent_request",
                    "Same idempotency key used with a different request payload. Change your \
                     idempotency key or payload.",
                );
            }
            return Json(json!({ "id": id })).into_response();
        }
    }
    let id = uuid_like();
    st.emails.push(FakeEmail {
        id: id.clone(),
        from: parsed.from,
        to: parsed.to,
        subject: parsed.subject,
        html: parsed.html,
        text: parsed.text,
        idempotency_key: key.clone(),
        created_at: now_unix(),
    });
    if let Some(key) = key {
        st.idempotency.insert(key, (value, id.clone()));
    }
    Json(json!({ "id": id })).into_response()
}

async fn get_email(
    AxumState(state): AxumState<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let st = lock(&state);
    if let Some(response) = key_error(&st, &headers) {
        return response;
    }
    match st.emails.iter().find(|e| e.id == id) {
        Some(email) => Json(json!({
            "object": "email",
            "id": email.id,
            "from": email.from,
            "to": email.to,
            "subject": email.subject,
            "html": email.html,
            "text": email.text,
            "last_event": "delivered",
        }))
        .into_response(),
        None => resend_error(StatusCode::NOT_FOUND, "not_found", "Email not found"),
    }
}

async fn control_emails(AxumState(state): AxumState<Shared>) -> Json<Vec<FakeEmail>> {
    Json(lock(&state).emails.clone())
}

#[derive(Deserialize)]
struct FailQuery {
    count: Option<u32>,
    status: Option<u16>,
}

async fn control_fail_next(
    AxumState(state): AxumState<Shared>,
    Query(q): Query<FailQuery>,
) -> Json<Value> {
    let count = q.count.unwrap_or(1);
    let status = q.status.unwrap_or(500);
    lock(&state).fail_next = Some((count, status));
    Json(json!({ "count": count, "status": status }))
}

#[derive(Deserialize)]
struct DelayQuery {
    count: Option<u32>,
    ms: Option<u64>,
}

async fn control_delay_next(
    AxumState(state): AxumState<Shared>,
    Query(q): Query<DelayQuery>,
) -> Json<Value> {
    let count = q.count.unwrap_or(1);
    let ms = q.ms.unwrap_or(1000);
    lock(&state).delay_next = Some((count, ms));
    Json(json!({ "count": count, "ms": ms }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_with_and_without_display_names() {
        assert!(is_address("shop@example.com", false));
        assert!(is_address("Shop <shop@example.com>", true));
        assert!(!is_address("Shop <shop@example.com>", false));
        assert!(!is_address("shop.example.com", true));
        assert!(!is_address("shop@localhost", true));
    }

    #[test]
    fn body_needs_to_array_subject_and_content() {
        let ok = json!({"from": "a@b.co", "to": ["c@d.co"], "subject": "Hi", "text": "x"});
        assert!(validate(&ok).is_ok());
        let to_string = json!({"from": "a@b.co", "to": "c@d.co", "subject": "Hi", "text": "x"});
        assert!(validate(&to_string).is_err());
        let no_body = json!({"from": "a@b.co", "to": ["c@d.co"], "subject": "Hi"});
        assert_eq!(
            validate(&no_body).err().as_deref(),
            Some("Missing `html` or `text` field.")
        );
    }
}
