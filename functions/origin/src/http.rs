//! The origin's HTTP surface. Every `/v1` request must carry the edge's signature
//! for this origin's environment (checked with the body before any handler runs,
//! nonces recorded so a replay is refused); errors map to status and Medusa's error
//! body in one place. Every request runs in a span carrying its trace id; every
//! response carries the platform's security headers; request bodies are capped while
//! they stream (413). `/dev/mail` exists in development only, for loopback peers.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use commerce::checkout::{
    ActionRequest, AuthenticateRequest, CompleteRequest, LookupRequest, OrderResponse,
    SessionRequest,
};
use commerce::ids::{OrderId, PaymentCollectionId, PaymentSessionId, StoreId};
use commerce::signing::{SignedHeaders, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use commerce::trace::TraceContext;
use commerce::ApiError;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::Instrument;

use crate::app::{now_s, App};
use crate::config::EmailConfig;
use crate::{checkout, mail, orders, webhooks};

/// Largest request body accepted, declared or streamed (chunked): 413 beyond it.
pub const MAX_BODY: usize = 256 * 1024;

/// An error on its way to the client.
pub struct Failure(pub ApiError);

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let err = self.0;
        if let Some(detail) = err.log_detail() {
            // A provider's error may quote the path it called (`/v1/payment_intents/pi_...`).
            let detail = commerce::trace::redact_path(detail);
            tracing::error!(code = err.code().as_str(), detail, "request failed");
        }
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(err.body())).into_response()
    }
}

type Answer = Result<Json<Value>, Failure>;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks the edge's signature over method, path, timestamp, nonce and body, and that
/// the nonce is new; then lets the request through with its body.
async fn signed(State(app): State<App>, req: Request, next: Next) -> Result<Response, Failure> {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(e) if too_large(&e) => return Ok(payload_too_large()),
        Err(e) => return Err(ApiError::invalid("body", format!("could not be read: {e}")).into()),
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let headers = SignedHeaders {
        timestamp: header(&parts.headers, TIMESTAMP_HEADER),
        nonce: header(&parts.headers, NONCE_HEADER),
        signature: header(&parts.headers, SIGNATURE_HEADER),
    };
    let nonce = app.config.signing_key.verify(
        &app.config.environment,
        parts.method.as_str(),
        path,
        &bytes,
        headers,
        now_s(),
    )?;
    let conn = app.pool.get().await?;
    commerce::signing::remember_nonce(&*conn, nonce).await?;
    drop(conn);
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}

/// Whether reading a body failed on the size cap (as opposed to a broken connection).
fn too_large(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// 413 with Medusa's error body.
fn payload_too_large() -> Response {
    Failure(ApiError::PayloadTooLarge {
        limit_kb: MAX_BODY / 1024,
    })
    .into_response()
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid("body", e.to_string()))
}

fn trace_id(headers: &HeaderMap) -> String {
    TraceContext::from_header(header(headers, "traceparent")).trace_id()
}

/// Runs `work` in its own task (in the request's span): a client that disconnects
/// does not cut a checkout short between two of its steps.
async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::spawn(work.in_current_span())
        .await
        .map_err(|e| ApiError::Internal {
            detail: format!("checkout task: {e}"),
        })?
}

async fn complete(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Answer {
    let req: CompleteRequest = parse(&body)?;
    let trace = trace_id(&headers);
    let answer = detached(async move { checkout::complete(&app, req, Some(&trace)).await }).await?;
    Ok(Json(serde_json::to_value(answer).map_err(|e| {
        ApiError::Internal {
            detail: e.to_string(),
        }
    })?))
}

async fn create_collection(State(app): State<App>, body: Bytes) -> Answer {
    Ok(Json(checkout::collection(&app, parse(&body)?).await?))
}

async fn create_session(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let id = PaymentCollectionId::parse(&id)
        .map_err(|_| ApiError::not_found("PaymentCollection", "id", id.clone()))?;
    let req: SessionRequest = parse(&body)?;
    let trace = trace_id(&headers);
    Ok(Json(checkout::session(&app, &id, req, Some(&trace)).await?))
}

async fn authenticate(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Answer {
    let id = PaymentSessionId::parse(&id)
        .map_err(|_| ApiError::not_found("PaymentSession", "id", id.clone()))?;
    let req: AuthenticateRequest = parse(&body)?;
    Ok(Json(
        checkout::authenticate(&app, &req.store_id, &req.cart_id, &id, req.approve).await?,
    ))
}

async fn providers(State(app): State<App>) -> Answer {
    Ok(Json(json!({
        "payment_providers": [{"id": app.provider.id(), "is_enabled": true}],
        "count": 1, "offset": 0, "limit": 1,
    })))
}

#[derive(Deserialize)]
struct StoreQuery {
    store_id: String,
}

fn store(raw: &str) -> Result<StoreId, ApiError> {
    StoreId::parse(raw).map_err(|e| ApiError::invalid("store_id", e.to_string()))
}

fn order_answer(order: commerce::order::Order) -> Answer {
    Ok(Json(
        serde_json::to_value(OrderResponse { order }).map_err(|e| ApiError::Internal {
            detail: e.to_string(),
        })?,
    ))
}

async fn get_order(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<StoreQuery>,
) -> Answer {
    let id = OrderId::parse(&id).map_err(|_| ApiError::not_found("Order", "id", id.clone()))?;
    order_answer(orders::get(&app, &store(&q.store_id)?, &id).await?)
}

async fn lookup(State(app): State<App>, body: Bytes) -> Answer {
    let req: LookupRequest = parse(&body)?;
    order_answer(orders::lookup(&app, &req.store_id, &req.email, req.display_id).await?)
}

async fn act(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Answer {
    let id = OrderId::parse(&id).map_err(|_| ApiError::not_found("Order", "id", id.clone()))?;
    let req: ActionRequest = parse(&body)?;
    order_answer(detached(async move { orders::act(&app, &id, &req).await }).await?)
}

/// An account e-mail from the edge (a password reset link, an invitation, an address
/// to confirm), sent once per key through the configured mailer.
async fn account_mail(State(app): State<App>, body: Bytes) -> Answer {
    let req: commerce::email::AccountMailRequest = parse(&body)?;
    let email = mail::account(&req.mail, req.to.as_str(), &app.config.email_from);
    let conn = app.pool.get().await?;
    let store = req.store_id.as_ref().map(|s| s.as_str());
    mail::send(&app.mailer, &*conn, store, None, &email, &req.key)
        .await
        .map_err(|e| ApiError::UpstreamUnavailable {
            message: "The e-mail could not be sent just now.".to_owned(),
            detail: format!("{e:?}"),
        })?;
    Ok(Json(serde_json::json!({ "sent": true })))
}

async fn stripe_webhook(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Answer {
    let signature = header(&headers, "stripe-signature").map(str::to_owned);
    let answer =
        detached(async move { webhooks::stripe(&app, &body, signature.as_deref()).await }).await?;
    Ok(Json(answer))
}

async fn health(State(app): State<App>) -> Response {
    match app.pool.get().await {
        Ok(conn) => match conn.simple_query("SELECT 1").await {
            Ok(_) => (
                StatusCode::OK,
                Json(json!({"status": "ok", "database": "up"})),
            )
                .into_response(),
            Err(_) => unavailable(),
        },
        Err(_) => unavailable(),
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({"status": "degraded", "database": "down"})),
    )
        .into_response()
}

/// Whether `/dev/mail` may be shown to `peer`: a development origin keeping mail in
/// its local mailbox, asked from this machine.
pub fn mailbox_allowed(app: &App, peer: Option<SocketAddr>) -> bool {
    app.config.is_development()
        && matches!(app.config.email, EmailConfig::Local)
        && peer.is_some_and(|p| p.ip().is_loopback())
}

async fn mailbox(State(app): State<App>, req: Request) -> Result<Html<String>, Failure> {
    let (mut parts, _) = req.into_parts();
    let peer = ConnectInfo::<SocketAddr>::from_request_parts(&mut parts, &app)
        .await
        .ok()
        .map(|ConnectInfo(addr)| addr);
    if !mailbox_allowed(&app, peer) {
        // The same answer as for any unknown route: nothing to see here.
        return Err(Failure(ApiError::RouteNotFound {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
        }));
    }
    let conn = app.pool.get().await?;
    Ok(Html(mail::mailbox_page(&*conn).await?))
}

/// Runs each request in a span with its trace id (from `traceparent`, or a new one)
/// and logs its end: status and duration.
async fn request_span(req: Request, next: Next) -> Response {
    let trace = TraceContext::from_header(header(req.headers(), "traceparent"));
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let span = crate::logging::request_span(&trace.trace_id(), req.method().as_str(), path);
    let started = Instant::now();
    async move {
        let response = next.run(req).await;
        tracing::info!(
            status = response.status().as_u16(),
            duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "request finished"
        );
        response
    }
    .instrument(span)
    .await
}

async fn not_found(req: Request) -> Failure {
    Failure(ApiError::RouteNotFound {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
    })
}

/// The routing table.
pub fn router(app: App) -> Router {
    use commerce::checkout::{
        COLLECTIONS_PATH, COMPLETE_PATH, LOOKUP_PATH, ORDERS_PATH, PROVIDERS_PATH, SESSIONS_PATH,
        STRIPE_WEBHOOK_PATH,
    };
    let v1 = Router::new()
        .route(COMPLETE_PATH, post(complete))
        .route(COLLECTIONS_PATH, post(create_collection))
        .route(
            &format!("{COLLECTIONS_PATH}/{{id}}/payment-sessions"),
            post(create_session),
        )
        .route(
            &format!("{SESSIONS_PATH}/{{id}}/authenticate"),
            post(authenticate),
        )
        .route(PROVIDERS_PATH, get(providers))
        .route(LOOKUP_PATH, post(lookup))
        .route(&format!("{ORDERS_PATH}/{{id}}"), get(get_order))
        .route(&format!("{ORDERS_PATH}/{{id}}/actions"), post(act))
        .route(STRIPE_WEBHOOK_PATH, post(stripe_webhook))
        .route(commerce::email::ACCOUNT_MAIL_PATH, post(account_mail))
        .route_layer(middleware::from_fn_with_state(app.clone(), signed));
    let mut open = Router::new().route("/health", get(health));
    if app.config.is_development() && matches!(app.config.email, EmailConfig::Local) {
        open = open.route("/dev/mail", get(mailbox));
    }
    let mut router = v1
        .merge(open)
        .fallback(not_found)
        .with_state(app)
        .layer(RequestBodyLimitLayer::new(MAX_BODY));
    for (name, value) in commerce::http::SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    router.layer(middleware::from_fn(request_span))
}

/// Serves the origin on `listener` until the process ends, with each connection's
/// peer address known to the handlers (`/dev/mail` answers loopback peers only).
pub async fn serve(listener: tokio::net::TcpListener, app: App) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
