//! The request context handed to every handler: the bindings, the parsed
//! configuration, the trace, the request itself with its method, URL, path
//! parameters and the shopper's cookies, and what the router resolved before the
//! handler ran (the store of a publishable key, the shopper of a page).

use std::cell::RefCell;
use std::rc::Rc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use commerce::customer::{self, Principal};
use commerce::region::Region;
use commerce::staff::api_key::{self, Secret};
use commerce::staff::{self, Member, Permission, SessionKind, Token};
use commerce::store::{HostName, PublishableKey, Store};
use commerce::trace::TraceContext;
use commerce::ApiError;
use serde::de::DeserializeOwned;
use serde_json::Value;
use storefront::site::Site;
use worker::{Context, Env, Method, Request, Url};

use crate::config::Config;
use crate::http::cookies::ShopperCookies;
use crate::http::{body, form};
use crate::limit::{self, Rule};
use crate::{log, store_api};
use durable_objects::db;

/// Who is shopping on a page: the store at the host, the region they see, and their
/// cart's size (for the header).
pub struct Shopper {
    pub site: Rc<Site>,
    pub region: Region,
    /// Units in the shopper's cart, from the cookie the cart pages keep.
    pub cart_count: Option<u32>,
}

/// One request on its way through the Worker.
pub struct Cx {
    pub env: Env,
    pub ctx: Context,
    pub config: Rc<Config>,
    pub trace: TraceContext,
    /// This request's trace id (logs, events).
    pub trace_id: String,
    /// The `traceparent` subrequests carry.
    pub traceparent: String,
    pub method: Method,
    pub url: Url,
    pub req: Request,
    /// The path's `:name` and `*` parts, in the order of the route's pattern.
    pub params: Vec<String>,
    pub cookies: ShopperCookies,
    /// The store of the publishable key (routes with `Access::PublishableKey`).
    pub store: Option<Rc<Store>>,
    /// That store's regions as the isolate's memo holds them (empty before it resolved).
    pub regions: Rc<[Region]>,
    /// The shopper (page routes with `Access::Shopper`).
    pub shopper: Option<Shopper>,
    /// The signed-in staff member (routes with `Access::Staff`; also kept when the
    /// role was refused, for the error page's shell).
    pub member: Option<Member>,
    /// The signed-in customer's identity (routes with `Access::Customer`).
    pub customer: Option<Principal>,
    /// The request's database connection once [`Cx::with_db`] opened it: the admin's
    /// member check and its handler share one.
    db: RefCell<Option<Rc<tokio_postgres::Client>>>,
}

impl Cx {
    pub fn new(req: Request, env: Env, ctx: Context) -> worker::Result<Self> {
        let config = Config::of_isolate(&env);
        let trace = TraceContext::from_header(req.headers().get("traceparent")?.as_deref());
        let cookies = ShopperCookies::parse(req.headers().get("cookie")?.as_deref());
        Ok(Cx {
            trace_id: trace.trace_id(),
            traceparent: trace.outgoing_header(),
            trace,
            method: req.method(),
            url: req.url()?,
            cookies,
            req,
            env,
            ctx,
            config,
            params: Vec::new(),
            store: None,
            regions: Rc::from([]),
            shopper: None,
            member: None,
            customer: None,
            db: RefCell::new(None),
        })
    }

    /// Path parameter `i` of the route's pattern.
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map_or("", String::as_str)
    }

    /// A request header.
    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// A query parameter's first value.
    pub fn query(&self, name: &str) -> Option<String> {
        self.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// `https://host[:port]` of this site.
    pub fn site_origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    /// Where product images are served from.
    pub fn image_base(&self) -> String {
        format!("{}/images/", self.site_origin())
    }

    /// The client's address as Cloudflare saw it (`CF-Connecting-IP`, which it always
    /// sets and overwrites); `unknown` without one.
    pub fn client_ip(&self) -> String {
        self.header("cf-connecting-ip")
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// The store of the publishable key (resolved by the router).
    pub fn store(&self) -> Result<Rc<Store>, ApiError> {
        self.store
            .clone()
            .ok_or_else(|| ApiError::internal("route without a store"))
    }

    /// The shopper (resolved by the router for page routes).
    pub fn shopper(&self) -> Result<&Shopper, ApiError> {
        self.shopper
            .as_ref()
            .ok_or_else(|| ApiError::internal("route without a shopper"))
    }

    /// The JSON body, bounded while it streams.
    pub async fn json_body(&mut self) -> Result<Value, ApiError> {
        body::json(&mut self.req).await
    }

    /// The JSON body as `T`; the error names the body.
    pub async fn json_as<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        let body = self.json_body().await?;
        serde_json::from_value(body).map_err(|e| ApiError::invalid("body", e.to_string()))
    }

    /// The query string as `T`; the error names the query.
    pub fn query_as<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_urlencoded::from_str(self.url.query().unwrap_or_default())
            .map_err(|e| ApiError::invalid("query", e.to_string()))
    }

    /// The posted form as `T` (own site only, bounded).
    pub async fn form<T: DeserializeOwned>(&mut self) -> Result<T, ApiError> {
        form::read(&mut self.req, &self.url, form::MAX_FORM).await
    }

    /// The posted multipart form (file uploads; own site only, at most `max` bytes).
    pub async fn multipart(&mut self, max: usize) -> Result<worker::FormData, ApiError> {
        form::multipart(&mut self.req, &self.url, max).await
    }

    /// Counts one request under `rule` for `key`; 429 past the limit.
    pub async fn limit(&self, rule: Rule, key: &str) -> Result<(), ApiError> {
        limit::check(&self.env, &self.config, &self.trace_id, rule, key).await
    }

    /// Logs a failure with this request's trace id.
    pub fn log_failure(&self, err: &ApiError) {
        log::failure(Some(&self.trace_id), err);
    }

    /// Resolves the store of the `x-publishable-api-key` header.
    pub async fn resolve_store(&mut self) -> Result<(), ApiError> {
        let header = self.header("x-publishable-api-key");
        let key = PublishableKey::parse(header.as_deref())?;
        let keyed = store_api::store_for(&self.env, &self.ctx, &self.config, &key).await?;
        self.store = Some(keyed.store.clone());
        self.regions = keyed.regions.clone();
        Ok(())
    }

    /// The staff credentials the request carries: a bearer token (admin API) or the
    /// session cookie (admin pages).
    pub fn staff_token(&self) -> Option<(Token, SessionKind)> {
        let bearer = self
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer ").map(str::trim).map(str::to_owned));
        match bearer {
            Some(text) => Token::parse(&text).map(|t| (t, SessionKind::Bearer)),
            None => self
                .cookies
                .staff_token(&self.url)
                .and_then(Token::parse)
                .map(|t| (t, SessionKind::Cookie)),
        }
    }

    /// The secret API key the request carries: `Authorization: Bearer sk_...`, or
    /// Medusa's `Authorization: Basic` with the key as the user name.
    pub fn api_key(&self) -> Option<Secret> {
        let header = self.header("authorization")?;
        if let Some(bearer) = header.strip_prefix("Bearer ") {
            return Secret::parse(bearer.trim());
        }
        let basic = header.strip_prefix("Basic ")?;
        let decoded = STANDARD.decode(basic.trim()).ok()?;
        let text = std::str::from_utf8(&decoded).ok()?;
        Secret::parse(text.split(':').next().unwrap_or_default())
    }

    /// Whether the caller is an API client rather than a browser: a bearer token or an
    /// API key, or JSON asked for. Admin routes answer such callers (and their errors)
    /// in JSON.
    pub fn wants_json(&self) -> bool {
        self.header("authorization")
            .is_some_and(|h| h.starts_with("Bearer ") || h.starts_with("Basic "))
            || self
                .header("accept")
                .is_some_and(|a| a.contains("application/json"))
    }

    /// Resolves the signed-in member (or the API key) and checks their role grants
    /// `permission`: 401 without a live session or key, 403 when it does not allow it.
    pub async fn resolve_member(&mut self, permission: Permission) -> Result<(), ApiError> {
        let not_signed_in = || ApiError::NotSignedIn {
            message: "Please sign in.".to_owned(),
        };
        let key = self.api_key();
        let session = self.staff_token();
        if key.is_none() && session.is_none() {
            return Err(not_signed_in());
        }
        let member = self
            .with_db(
                async |client: &tokio_postgres::Client| match (&key, &session) {
                    (Some(secret), _) => api_key::member(client, secret).await,
                    (None, Some((token, kind))) => staff::session(client, token, *kind).await,
                    (None, None) => Ok(None),
                },
            )
            .await?
            .ok_or_else(not_signed_in)?;
        let allowed = member.may(permission);
        self.member = Some(member);
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden {
                permission: permission.as_str().to_owned(),
            })
        }
    }

    /// Runs `work` with the request's database connection, opened by the first call and
    /// kept for the rest of the request (it closes when the request's context is
    /// dropped). For the admin, whose member check and handler both read the database.
    pub async fn with_db<T>(
        &self,
        work: impl AsyncFnOnce(&tokio_postgres::Client) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let open = self.db.borrow().clone();
        let client = match open {
            Some(client) => client,
            None => {
                let (client, driver) = db::open(&self.env).await?;
                self.ctx.wait_until(driver);
                let client = Rc::new(client);
                *self.db.borrow_mut() = Some(client.clone());
                client
            }
        };
        work(&client).await
    }

    /// The signed-in member (resolved by the router for staff routes).
    pub fn member(&self) -> Result<&Member, ApiError> {
        self.member
            .as_ref()
            .ok_or_else(|| ApiError::internal("route without a member"))
    }

    /// Where the request came from, for sessions and the audit log.
    pub fn client(&self) -> staff::Client {
        staff::Client {
            ip: self.client_ip(),
            user_agent: self
                .header("user-agent")
                .map(|ua| ua.chars().take(300).collect())
                .unwrap_or_default(),
        }
    }

    /// The bearer token of the `Authorization` header, as sent.
    pub fn bearer(&self) -> Option<String> {
        self.header("authorization")
            .and_then(|h| h.strip_prefix("Bearer ").map(|t| t.trim().to_owned()))
    }

    /// Who the request is signed in as in the publishable key's store: a customer's
    /// JWT (`Authorization: Bearer`) or their session cookie. `None` without either;
    /// 401 for a token that is not good here (altered, expired, of another store, or
    /// from before a password reset).
    pub async fn signed_in(&self) -> Result<Option<Principal>, ApiError> {
        let refused = || ApiError::NotSignedIn {
            message: "Unauthorized".to_owned(),
        };
        let store = self.store()?;
        if let Some(jwt) = self.bearer() {
            let key = crate::store_api::auth::jwt_key(&self.config)?;
            let now_s = i64::try_from(crate::analytics::now_ms() / 1000).unwrap_or(i64::MAX);
            let claims = key.verify(&jwt, now_s).map_err(|_| refused())?;
            if claims.store_id != store.id {
                return Err(refused());
            }
            let who = self
                .with_db(async |client: &tokio_postgres::Client| {
                    customer::identity(
                        client,
                        &store.id,
                        &claims.auth_identity_id,
                        claims.generation,
                    )
                    .await
                })
                .await?;
            return who.map(Some).ok_or_else(refused);
        }
        let Some(token) = self.cookies.customer.as_deref().and_then(Token::parse) else {
            return Ok(None);
        };
        let who = self
            .with_db(async |client: &tokio_postgres::Client| {
                customer::session(client, &store.id, &token).await
            })
            .await?;
        who.map(Some).ok_or_else(refused)
    }

    /// Resolves the store of the publishable key and the signed-in customer: 401
    /// without one.
    pub async fn resolve_customer(&mut self) -> Result<(), ApiError> {
        self.resolve_store().await?;
        let who = self
            .signed_in()
            .await?
            .ok_or_else(|| ApiError::NotSignedIn {
                message: "Unauthorized".to_owned(),
            })?;
        self.customer = Some(who);
        Ok(())
    }

    /// The signed-in customer's identity (resolved by the router).
    pub fn principal(&self) -> Result<&Principal, ApiError> {
        self.customer
            .as_ref()
            .ok_or_else(|| ApiError::internal("route without a customer"))
    }

    /// Sends an account e-mail (a staff or customer link, an invitation) through the
    /// origin after the answer has gone, so that the answer takes as long whether or
    /// not there is anything to send; a failure is logged.
    pub fn mail_later(&self, req: commerce::email::AccountMailRequest) {
        let (config, traceparent, trace_id) = (
            self.config.clone(),
            self.traceparent.clone(),
            self.trace_id.clone(),
        );
        self.ctx.wait_until(async move {
            let path = commerce::email::ACCOUNT_MAIL_PATH;
            let sent = crate::origin::post(&config, path, &req, &traceparent)
                .await
                .and_then(|reply| reply.into_json::<serde_json::Value>());
            if let Err(err) = sent {
                crate::log::failure(Some(&trace_id), &err);
            }
        });
    }

    /// Resolves the store at the host and the shopper's region.
    pub async fn resolve_shopper(&mut self) -> Result<(), ApiError> {
        let host_text = self.url.host_str().unwrap_or_default();
        let host = HostName::parse(host_text)
            .ok_or_else(|| ApiError::UnknownStoreHost(host_text.into()))?;
        let site = crate::pages::site_for(&self.env, &self.ctx, &self.config, &host).await?;
        let country = self.country();
        let region = site
            .pick_region(self.cookies.region.as_deref(), country.as_deref())
            .cloned()
            .ok_or_else(|| {
                ApiError::internal(format!("store {} has no region", site.store.id.as_str()))
            })?;
        self.shopper = Some(Shopper {
            site,
            region,
            cart_count: self.cookies.cart_count,
        });
        Ok(())
    }

    /// The shopper's country (ISO 3166-1 alpha-2) as Cloudflare saw it. In local
    /// development `request.cf` is a fixed stand-in, so there a `cf-ipcountry` request
    /// header (which Cloudflare itself sets in production) may choose another country.
    fn country(&self) -> Option<String> {
        let header = self.header("cf-ipcountry");
        let cf = self.req.cf().and_then(|cf| cf.country());
        if self.config.development() {
            header.or(cf)
        } else {
            cf.or(header)
        }
    }
}
