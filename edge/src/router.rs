//! The Worker's one routing table: every endpoint with its method, path pattern, who
//! may call it, how its errors are answered, the per-client limit it counts against,
//! and its handler. Every admin route declares here the permission it requires.

use std::future::Future;
use std::pin::Pin;

pub use commerce::staff::Permission;
use commerce::ApiError;
use worker::{Method, Response};

use crate::admin::{self, orders as admin_orders, session};
use crate::context::Cx;
use crate::limit::Rule;
use crate::pages::account;
use crate::store_api::{auth, carts, catalog, checkout, customers};
use crate::{analytics, health, http, images, pages, services};

/// What a handler returns: its response or error, later.
pub type Reply<'a> = Pin<Box<dyn Future<Output = Result<Response, ApiError>> + 'a>>;

/// A handler: a few lines over the request context.
pub type Handler = for<'a> fn(&'a mut Cx) -> Reply<'a>;

/// Wraps an `async fn(&mut Cx) -> Result<Response, ApiError>` as a [`Handler`].
#[macro_export]
macro_rules! handler {
    ($f:path) => {{
        fn call(cx: &mut $crate::context::Cx) -> $crate::router::Reply<'_> {
            Box::pin($f(cx))
        }
        call as $crate::router::Handler
    }};
}

/// Which methods a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// GET and HEAD.
    Get,
    Post,
    Delete,
    Options,
    Any,
}

impl Verb {
    fn allows(self, method: &Method) -> bool {
        match self {
            Verb::Get => matches!(method, Method::Get | Method::Head),
            Verb::Post => *method == Method::Post,
            Verb::Delete => *method == Method::Delete,
            Verb::Options => *method == Method::Options,
            Verb::Any => true,
        }
    }
}

/// Who may call a route; the router resolves it before the handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (health, images, webhooks that carry their own signature).
    Public,
    /// Store API: the store of the `x-publishable-api-key` header (Medusa's rule).
    PublishableKey,
    /// Shop pages: the store at the host and the shopper's region.
    Shopper,
    /// Store API of a signed-in customer: the publishable key's store and a customer's
    /// JWT or session cookie of that store (401 otherwise).
    Customer,
    /// Admin: a signed-in member of the session's store whose role grants this
    /// permission (a session cookie, or a bearer token on the admin API), or a secret
    /// API key of the store whose role grants it.
    Staff(Permission),
}

/// How a route's errors are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Medusa's JSON error body.
    Json,
    /// The store's HTML error page.
    Page,
    /// The admin's pages: without a session, the sign-in page (then back); otherwise
    /// the admin's error page.
    Admin,
    /// GraphQL's JSON error shape, our code in `extensions.code`.
    Graphql,
}

/// One endpoint.
pub struct Route {
    pub verb: Verb,
    /// `/`-separated segments; `:name` matches one segment, a final `*` the rest.
    pub path: &'static str,
    pub access: Access,
    pub answer: Answer,
    /// Counted per client address before the handler runs.
    pub limit: Option<Rule>,
    /// A catch-all: a method mismatch on an earlier route wins over it (405).
    pub fallback: bool,
    pub handler: Handler,
}

pub const fn route(
    verb: Verb,
    path: &'static str,
    access: Access,
    answer: Answer,
    handler: Handler,
) -> Route {
    Route {
        verb,
        path,
        access,
        answer,
        limit: None,
        fallback: false,
        handler,
    }
}

impl Route {
    pub const fn limited(mut self, rule: Rule) -> Self {
        self.limit = Some(rule);
        self
    }

    pub const fn fallback(mut self) -> Self {
        self.fallback = true;
        self
    }
}

use Access::{Customer as Me, Public, PublishableKey as Key, Shopper, Staff};
use Answer::{Admin, Graphql, Json, Page};
use Permission as P;
use Verb::{Any, Delete, Get, Options, Post};

/// Every endpoint of the Worker, matched in order.
#[rustfmt::skip]
pub static ROUTES: &[Route] = &[
    // ------------------------------------------------------------ Store API
    route(Options, "/store/*", Public, Json, handler!(http::preflight_handler)),
    route(Get, "/store/regions", Key, Json, handler!(catalog::read)),
    route(Get, "/store/regions/:id", Key, Json, handler!(catalog::read)),
    route(Get, "/store/products", Key, Json, handler!(catalog::read)),
    route(Get, "/store/products/:id", Key, Json, handler!(catalog::read)),
    route(Get, "/store/product-categories", Key, Json, handler!(catalog::read)),
    route(Get, "/store/product-categories/:id", Key, Json, handler!(catalog::read)),
    route(Get, "/store/collections", Key, Json, handler!(catalog::read)),
    route(Get, "/store/collections/:id", Key, Json, handler!(catalog::read)),
    route(Get, "/store/search/suggestions", Key, Json, handler!(catalog::read)),
    route(Post, "/store/carts", Key, Json, handler!(carts::create)).limited(Rule::CartCreateByIp),
    route(Get, "/store/carts/:id", Key, Json, handler!(carts::get)),
    route(Post, "/store/carts/:id", Key, Json, handler!(carts::update)),
    route(Post, "/store/carts/:id/line-items", Key, Json, handler!(carts::add_item)),
    route(Post, "/store/carts/:id/line-items/:line", Key, Json, handler!(carts::update_item)),
    route(Delete, "/store/carts/:id/line-items/:line", Key, Json, handler!(carts::remove_item)),
    route(Post, "/store/carts/:id/shipping-methods", Key, Json, handler!(carts::add_shipping)),
    route(Post, "/store/carts/:id/customer", Me, Json, handler!(customers::take_cart)),
    route(Post, "/store/carts/:id/complete", Key, Json, handler!(checkout::complete)),
    route(Get, "/store/shipping-options", Key, Json, handler!(carts::shipping_options)),
    route(Post, "/store/payment-collections", Key, Json, handler!(checkout::create_collection)),
    route(Post, "/store/payment-collections/:id/payment-sessions", Key, Json, handler!(checkout::create_session)),
    route(Get, "/store/payment-providers", Key, Json, handler!(checkout::providers)),
    route(Get, "/store/orders", Me, Json, handler!(customers::orders)),
    route(Get, "/store/orders/:id", Key, Json, handler!(checkout::order)),
    route(Post, "/store/customers", Me, Json, handler!(customers::create)),
    route(Get, "/store/customers/me", Me, Json, handler!(customers::show)),
    route(Post, "/store/customers/me", Me, Json, handler!(customers::update)),
    route(Get, "/store/customers/me/addresses", Me, Json, handler!(customers::addresses)),
    route(Post, "/store/customers/me/addresses", Me, Json, handler!(customers::add_address)),
    route(Get, "/store/customers/me/addresses/:id", Me, Json, handler!(customers::address)),
    route(Post, "/store/customers/me/addresses/:id", Me, Json, handler!(customers::update_address)),
    route(Delete, "/store/customers/me/addresses/:id", Me, Json, handler!(customers::delete_address)),
    route(Any, "/store/*", Public, Json, handler!(http::not_found)).fallback(),
    route(Post, "/analytics/events", Key, Json, handler!(analytics::ingest)).limited(Rule::EventsByIp),
    // ------------------------------------------------------------ GraphQL (its own Worker)
    route(Any, "/graphql", Public, Graphql, handler!(services::graphql)),
    // ------------------------------------------------------------ customers' sign-in
    route(Options, "/auth/*", Public, Json, handler!(http::preflight_handler)),
    route(Post, "/auth/customer/emailpass/register", Key, Json, handler!(auth::register)).limited(Rule::SignInPerClient),
    route(Post, "/auth/customer/emailpass", Key, Json, handler!(auth::sign_in)).limited(Rule::SignInPerClient),
    route(Post, "/auth/customer/emailpass/reset-password", Key, Json, handler!(auth::reset_request)).limited(Rule::SignInPerClient),
    route(Post, "/auth/customer/emailpass/update", Key, Json, handler!(auth::reset)).limited(Rule::SignInPerClient),
    route(Post, "/auth/session", Me, Json, handler!(auth::open_session)),
    route(Delete, "/auth/session", Key, Json, handler!(auth::end_session)),
    route(Post, "/auth/token/refresh", Me, Json, handler!(auth::refresh)),
    // ------------------------------------------------------------ webhooks, files, health
    route(Post, "/webhooks/stripe", Public, Json, handler!(checkout::stripe_webhook)),
    route(Get, "/webhooks/schemas.json", Public, Json, handler!(admin::webhooks::schemas)),
    route(Get, "/images/*", Public, Json, handler!(images::serve)),
    route(Get, "/assets/:file", Public, Json, handler!(pages::asset)),
    route(Get, "/health", Public, Json, handler!(health::check)),
    route(Get, "/health/live", Public, Json, handler!(health::live)),
    // ------------------------------------------------------------ staff sign-in, admin
    route(Post, "/auth/user/emailpass", Public, Json, handler!(session::token)).limited(Rule::SignInPerClient),
    route(Get, "/admin/sign-in", Public, Admin, handler!(session::sign_in_form)),
    route(Post, "/admin/sign-in", Public, Admin, handler!(session::sign_in)).limited(Rule::SignInPerClient),
    route(Post, "/admin/sign-out", Public, Admin, handler!(session::sign_out)),
    route(Get, "/admin/forgot", Public, Admin, handler!(session::forgot_form)),
    route(Post, "/admin/forgot", Public, Admin, handler!(session::forgot)).limited(Rule::SignInPerClient),
    route(Get, "/admin/reset/:token", Public, Admin, handler!(session::reset_form)),
    route(Post, "/admin/reset/:token", Public, Admin, handler!(session::reset)).limited(Rule::SignInPerClient),
    route(Get, "/admin/invite/:token", Public, Admin, handler!(session::invite_form)),
    route(Post, "/admin/invite/:token", Public, Admin, handler!(session::accept_invite)).limited(Rule::SignInPerClient),
    route(Get, "/admin", Staff(P::AdminRead), Admin, handler!(admin_orders::dashboard)),
    route(Post, "/admin/store", Staff(P::AccountWrite), Admin, handler!(session::switch_store)),
    route(Get, "/admin/orders", Staff(P::OrderRead), Admin, handler!(admin_orders::list)),
    route(Get, "/admin/orders/:id", Staff(P::OrderRead), Admin, handler!(admin_orders::show)),
    route(Post, "/admin/orders/:id/fulfill", Staff(P::OrderWrite), Admin, handler!(admin_orders::act)),
    route(Post, "/admin/orders/:id/ship", Staff(P::OrderWrite), Admin, handler!(admin_orders::act)),
    route(Post, "/admin/orders/:id/fulfillments", Staff(P::OrderWrite), Admin, handler!(admin_orders::fulfillments)),
    route(Post, "/admin/orders/:id/fulfillments/:fid/shipments", Staff(P::OrderWrite), Admin, handler!(admin_orders::shipments)),
    route(Post, "/admin/orders/:id/deliver", Staff(P::OrderWrite), Admin, handler!(admin_orders::act)),
    // Cancelling a paid order refunds it: the handler also asks for refund:write then.
    route(Post, "/admin/orders/:id/cancel", Staff(P::OrderWrite), Admin, handler!(admin_orders::act)),
    route(Post, "/admin/orders/:id/refund", Staff(P::RefundWrite), Admin, handler!(admin_orders::act)),
    route(Post, "/admin/payments/:id/refund", Staff(P::RefundWrite), Json, handler!(admin_orders::refund_payment)),
    route(Get, "/admin/products", Staff(P::ProductRead), Admin, handler!(admin::products::list)),
    route(Post, "/admin/products", Staff(P::ProductWrite), Admin, handler!(admin::products::create)),
    route(Get, "/admin/products/new", Staff(P::ProductWrite), Admin, handler!(admin::products::new)),
    route(Get, "/admin/products/import", Staff(P::ProductWrite), Admin, handler!(admin::imports::page)),
    route(Post, "/admin/products/import", Staff(P::ProductWrite), Admin, handler!(admin::imports::upload)),
    route(Get, "/admin/products/imports/:id", Staff(P::ProductWrite), Admin, handler!(admin::imports::show)),
    route(Post, "/admin/products/imports/:id/confirm", Staff(P::ProductWrite), Admin, handler!(admin::imports::confirm)),
    route(Get, "/admin/products/export.csv", Staff(P::ProductRead), Admin, handler!(admin::imports::export)),
    route(Get, "/admin/products/:id", Staff(P::ProductRead), Admin, handler!(admin::products::show)),
    route(Post, "/admin/products/:id", Staff(P::ProductWrite), Admin, handler!(admin::products::update)),
    route(Post, "/admin/products/:id/variants", Staff(P::ProductWrite), Admin, handler!(admin::variants::add)),
    route(Get, "/admin/products/:id/variants/:variant_id", Staff(P::ProductRead), Admin, handler!(admin::variants::show)),
    route(Post, "/admin/products/:id/variants/:variant_id", Staff(P::ProductWrite), Admin, handler!(admin::variants::update)),
    route(Delete, "/admin/products/:id/variants/:variant_id", Staff(P::ProductWrite), Json, handler!(admin::variants::delete)),
    route(Post, "/admin/products/:id/variants/:variant_id/delete", Staff(P::ProductWrite), Admin, handler!(admin::variants::delete_form)),
    route(Post, "/admin/products/:id/generate-variants", Staff(P::ProductWrite), Admin, handler!(admin::variants::generate)),
    route(Post, "/admin/products/:id/images", Staff(P::ProductWrite), Admin, handler!(admin::product_images::upload)),
    route(Post, "/admin/products/:id/images/:image_id", Staff(P::ProductWrite), Admin, handler!(admin::product_images::alt)),
    route(Delete, "/admin/products/:id/images/:image_id", Staff(P::ProductWrite), Json, handler!(admin::product_images::delete)),
    route(Post, "/admin/products/:id/images/:image_id/move", Staff(P::ProductWrite), Admin, handler!(admin::product_images::reorder)),
    route(Post, "/admin/products/:id/images/:image_id/delete", Staff(P::ProductWrite), Admin, handler!(admin::product_images::delete_form)),
    route(Post, "/admin/products/:id/options", Staff(P::ProductWrite), Admin, handler!(admin::options::add)),
    route(Post, "/admin/products/:id/options/:option_id", Staff(P::ProductWrite), Admin, handler!(admin::options::update)),
    route(Delete, "/admin/products/:id/options/:option_id", Staff(P::ProductWrite), Json, handler!(admin::options::delete)),
    route(Post, "/admin/products/:id/options/:option_id/delete", Staff(P::ProductWrite), Admin, handler!(admin::options::delete_form)),
    route(Get, "/admin/stock", Staff(P::InventoryRead), Admin, handler!(admin::stock::list)),
    route(Get, "/admin/stock/:variant", Staff(P::InventoryRead), Admin, handler!(admin::stock::show)),
    route(Post, "/admin/stock/:variant", Staff(P::InventoryWrite), Admin, handler!(admin::stock::set_alert)),
    route(Post, "/admin/stock/:variant/:location", Staff(P::InventoryWrite), Admin, handler!(admin::stock::change)),
    route(Get, "/admin/product-categories", Staff(P::ProductRead), Admin, handler!(admin::categories::list)),
    route(Post, "/admin/product-categories", Staff(P::ProductWrite), Admin, handler!(admin::categories::create)),
    route(Get, "/admin/product-categories/:id", Staff(P::ProductRead), Admin, handler!(admin::categories::show)),
    route(Post, "/admin/product-categories/:id", Staff(P::ProductWrite), Admin, handler!(admin::categories::update)),
    route(Delete, "/admin/product-categories/:id", Staff(P::ProductWrite), Json, handler!(admin::categories::delete)),
    route(Post, "/admin/product-categories/:id/move", Staff(P::ProductWrite), Admin, handler!(admin::categories::reorder)),
    route(Post, "/admin/product-categories/:id/delete", Staff(P::ProductWrite), Admin, handler!(admin::categories::delete_form)),
    route(Post, "/admin/product-categories/:id/products", Staff(P::ProductWrite), Json, handler!(admin::categories::products)),
    route(Get, "/admin/collections", Staff(P::ProductRead), Admin, handler!(admin::collections::list)),
    route(Post, "/admin/collections", Staff(P::ProductWrite), Admin, handler!(admin::collections::create)),
    route(Get, "/admin/collections/:id", Staff(P::ProductRead), Admin, handler!(admin::collections::show)),
    route(Post, "/admin/collections/:id", Staff(P::ProductWrite), Admin, handler!(admin::collections::update)),
    route(Delete, "/admin/collections/:id", Staff(P::ProductWrite), Json, handler!(admin::collections::delete)),
    route(Post, "/admin/collections/:id/delete", Staff(P::ProductWrite), Admin, handler!(admin::collections::delete_form)),
    route(Post, "/admin/collections/:id/products", Staff(P::ProductWrite), Json, handler!(admin::collections::products)),
    route(Post, "/admin/products/:id/organize", Staff(P::ProductWrite), Admin, handler!(admin::products::organize)),
    route(Get, "/admin/analytics", Staff(P::AnalyticsRead), Admin, handler!(admin::analytics::page)),
    route(Get, "/admin/analytics/stats", Staff(P::AnalyticsRead), Json, handler!(admin::analytics::stats)),
    route(Get, "/admin/analytics.csv", Staff(P::AnalyticsRead), Admin, handler!(admin::analytics::csv)),
    route(Get, "/admin/product-attributes", Staff(P::ProductRead), Admin, handler!(admin::attributes::list)),
    route(Post, "/admin/product-attributes", Staff(P::ProductWrite), Admin, handler!(admin::attributes::create)),
    route(Get, "/admin/product-attributes/:id", Staff(P::ProductRead), Admin, handler!(admin::attributes::show)),
    route(Post, "/admin/product-attributes/:id", Staff(P::ProductWrite), Admin, handler!(admin::attributes::update)),
    route(Delete, "/admin/product-attributes/:id", Staff(P::ProductWrite), Json, handler!(admin::attributes::delete)),
    route(Post, "/admin/product-attributes/:id/delete", Staff(P::ProductWrite), Admin, handler!(admin::attributes::delete_form)),
    route(Post, "/admin/products/:id/attributes", Staff(P::ProductWrite), Admin, handler!(admin::attributes::set_values)),
    route(Get, "/admin/stock-locations", Staff(P::InventoryRead), Admin, handler!(admin::locations::list)),
    route(Post, "/admin/stock-locations", Staff(P::InventoryWrite), Admin, handler!(admin::locations::create)),
    route(Get, "/admin/stock-locations/:id", Staff(P::InventoryRead), Admin, handler!(admin::locations::show)),
    route(Post, "/admin/stock-locations/:id", Staff(P::InventoryWrite), Admin, handler!(admin::locations::rename)),
    route(Delete, "/admin/stock-locations/:id", Staff(P::InventoryWrite), Json, handler!(admin::locations::delete)),
    route(Post, "/admin/stock-locations/:id/move", Staff(P::InventoryWrite), Admin, handler!(admin::locations::reorder)),
    route(Post, "/admin/stock-locations/:id/delete", Staff(P::InventoryWrite), Admin, handler!(admin::locations::delete_form)),
    route(Get, "/admin/inventory-items/:id", Staff(P::InventoryRead), Json, handler!(admin::stock::item)),
    route(Get, "/admin/inventory-items/:id/location-levels", Staff(P::InventoryRead), Json, handler!(admin::stock::levels)),
    route(Post, "/admin/inventory-items/:id/location-levels/:location_id", Staff(P::InventoryWrite), Json, handler!(admin::stock::set_level)),
    route(Post, "/admin/inventory-items/:id/location-levels/:location_id/adjustments", Staff(P::InventoryWrite), Json, handler!(admin::stock::adjust_level)),
    route(Get, "/admin/inventory-items/:id/history", Staff(P::InventoryRead), Json, handler!(admin::stock::history)),
    route(Get, "/admin/purchase-orders", Staff(P::PurchaseOrderRead), Admin, handler!(admin::purchase_orders::list)),
    route(Post, "/admin/purchase-orders", Staff(P::PurchaseOrderWrite), Admin, handler!(admin::purchase_orders::create)),
    route(Get, "/admin/purchase-orders/:id", Staff(P::PurchaseOrderRead), Admin, handler!(admin::purchase_orders::show)),
    route(Post, "/admin/purchase-orders/:id", Staff(P::PurchaseOrderWrite), Admin, handler!(admin::purchase_orders::update)),
    route(Post, "/admin/purchase-orders/:id/lines", Staff(P::PurchaseOrderWrite), Admin, handler!(admin::purchase_orders::add_line)),
    route(Delete, "/admin/purchase-orders/:id/lines/:line_id", Staff(P::PurchaseOrderWrite), Json, handler!(admin::purchase_orders::delete_line)),
    route(Post, "/admin/purchase-orders/:id/lines/:line_id/delete", Staff(P::PurchaseOrderWrite), Admin, handler!(admin::purchase_orders::delete_line_form)),
    route(Post, "/admin/purchase-orders/:id/place", Staff(P::PurchaseOrderWrite), Admin, handler!(admin::purchase_orders::place)),
    route(Post, "/admin/purchase-orders/:id/cancel", Staff(P::PurchaseOrderWrite), Admin, handler!(admin::purchase_orders::cancel)),
    route(Post, "/admin/purchase-orders/:id/receive", Staff(P::PurchaseOrderWrite), Admin, handler!(admin::purchase_orders::receive_delivery)),
    route(Get, "/admin/settings", Staff(P::SettingsRead), Admin, handler!(admin::settings::page)),
    route(Post, "/admin/settings", Staff(P::SettingsWrite), Admin, handler!(admin::settings::save)),
    route(Post, "/admin/settings/hosts", Staff(P::SettingsWrite), Admin, handler!(admin::settings::add_host)),
    route(Post, "/admin/settings/hosts/delete", Staff(P::SettingsWrite), Admin, handler!(admin::settings::remove_host)),
    route(Post, "/admin/settings/synonyms", Staff(P::SettingsWrite), Admin, handler!(admin::settings::save_synonyms)),
    route(Get, "/admin/search/synonyms", Staff(P::SettingsRead), Json, handler!(admin::settings::synonyms)),
    route(Post, "/admin/search/synonyms", Staff(P::SettingsWrite), Json, handler!(admin::settings::set_synonyms)),
    route(Get, "/admin/stores", Staff(P::SettingsRead), Json, handler!(admin::settings::stores)),
    route(Get, "/admin/stores/:id", Staff(P::SettingsRead), Json, handler!(admin::settings::store)),
    route(Post, "/admin/stores/:id", Staff(P::SettingsWrite), Json, handler!(admin::settings::update_store)),
    route(Get, "/admin/regions", Staff(P::SettingsRead), Admin, handler!(admin::regions::list)),
    route(Post, "/admin/regions", Staff(P::SettingsWrite), Admin, handler!(admin::regions::create)),
    route(Get, "/admin/regions/:id", Staff(P::SettingsRead), Admin, handler!(admin::regions::show)),
    route(Post, "/admin/regions/:id", Staff(P::SettingsWrite), Admin, handler!(admin::regions::update)),
    route(Get, "/admin/shipping-options", Staff(P::SettingsRead), Json, handler!(admin::regions::options)),
    route(Post, "/admin/shipping-options", Staff(P::SettingsWrite), Admin, handler!(admin::regions::add_option)),
    route(Get, "/admin/shipping-options/:id", Staff(P::SettingsRead), Json, handler!(admin::regions::option)),
    route(Post, "/admin/shipping-options/:id", Staff(P::SettingsWrite), Admin, handler!(admin::regions::update_option)),
    route(Delete, "/admin/shipping-options/:id", Staff(P::SettingsWrite), Json, handler!(admin::regions::delete_option)),
    route(Post, "/admin/shipping-options/:id/move", Staff(P::SettingsWrite), Admin, handler!(admin::regions::move_option)),
    route(Post, "/admin/shipping-options/:id/delete", Staff(P::SettingsWrite), Admin, handler!(admin::regions::delete_option_form)),
    route(Get, "/admin/staff", Staff(P::StaffRead), Admin, handler!(admin::staff::list)),
    route(Get, "/admin/roles", Staff(P::StaffRead), Admin, handler!(admin::roles::list)),
    route(Post, "/admin/roles", Staff(P::StaffWrite), Admin, handler!(admin::roles::create)),
    route(Get, "/admin/roles/:id", Staff(P::StaffRead), Admin, handler!(admin::roles::show)),
    route(Post, "/admin/roles/:id", Staff(P::StaffWrite), Admin, handler!(admin::roles::update)),
    route(Post, "/admin/roles/:id/delete", Staff(P::StaffWrite), Admin, handler!(admin::roles::delete)),
    route(Get, "/admin/invites", Staff(P::StaffRead), Admin, handler!(admin::staff::invites)),
    route(Post, "/admin/invites", Staff(P::StaffWrite), Admin, handler!(admin::staff::invite)),
    route(Delete, "/admin/invites/:id", Staff(P::StaffWrite), Admin, handler!(admin::staff::withdraw)),
    route(Post, "/admin/invites/:id/delete", Staff(P::StaffWrite), Admin, handler!(admin::staff::withdraw)),
    route(Post, "/admin/staff/:user/role", Staff(P::StaffWrite), Admin, handler!(admin::staff::change_role)),
    route(Post, "/admin/staff/:user/remove", Staff(P::StaffWrite), Admin, handler!(admin::staff::remove)),
    route(Get, "/admin/account/sessions", Staff(P::AccountRead), Admin, handler!(admin::staff::sessions)),
    route(Post, "/admin/account/sessions/revoke", Staff(P::AccountWrite), Admin, handler!(admin::staff::revoke)),
    route(Get, "/admin/api-keys", Staff(P::ApiKeyRead), Admin, handler!(admin::api_keys::list)),
    route(Post, "/admin/api-keys", Staff(P::ApiKeyWrite), Admin, handler!(admin::api_keys::create)),
    route(Post, "/admin/api-keys/:id/revoke", Staff(P::ApiKeyWrite), Admin, handler!(admin::api_keys::revoke)),
    route(Get, "/admin/webhooks", Staff(P::SettingsWrite), Admin, handler!(admin::webhooks::list)),
    route(Post, "/admin/webhooks", Staff(P::SettingsWrite), Admin, handler!(admin::webhooks::create)),
    route(Get, "/admin/webhooks/:id", Staff(P::SettingsWrite), Admin, handler!(admin::webhooks::get)),
    route(Post, "/admin/webhooks/:id", Staff(P::SettingsWrite), Admin, handler!(admin::webhooks::update)),
    route(Delete, "/admin/webhooks/:id", Staff(P::SettingsWrite), Json, handler!(admin::webhooks::delete)),
    route(Post, "/admin/webhooks/:id/delete", Staff(P::SettingsWrite), Admin, handler!(admin::webhooks::delete_form)),
    route(Post, "/admin/webhooks/:id/rotate-secret", Staff(P::SettingsWrite), Admin, handler!(admin::webhooks::rotate)),
    route(Post, "/admin/webhooks/:id/resend-failed", Staff(P::SettingsWrite), Admin, handler!(admin::webhooks::resend_failed)),
    route(Post, "/admin/webhooks/:id/deliveries/:delivery/resend", Staff(P::SettingsWrite), Admin, handler!(admin::webhooks::resend)),
    route(Get, "/admin/audit", Staff(P::AuditRead), Admin, handler!(admin::staff::log)),
    route(Get, "/admin/users/me", Staff(P::AdminRead), Json, handler!(session::me)),
    route(Get, "/admin/openapi.json", Staff(P::AdminRead), Json, handler!(admin::openapi::serve)),
    route(Any, "/admin/*", Staff(P::AdminRead), Admin, handler!(admin::not_found)).fallback(),
    // ------------------------------------------------------------ pages (no JavaScript)
    route(Post, "/region", Shopper, Page, handler!(pages::catalog::switch_region)),
    route(Get, "/cart", Shopper, Page, handler!(pages::cart::show)),
    route(Post, "/cart/*", Shopper, Page, handler!(pages::cart::post)),
    route(Get, "/checkout", Shopper, Page, handler!(pages::checkout::show)),
    route(Post, "/checkout", Public, Page, handler!(pages::cart::to_checkout)),
    route(Post, "/checkout/:step", Shopper, Page, handler!(pages::checkout::post)),
    route(Get, "/account", Shopper, Page, handler!(account::overview)),
    route(Get, "/account/sign-in", Shopper, Page, handler!(account::sign_in_form)),
    route(Post, "/account/sign-in", Shopper, Page, handler!(account::sign_in)).limited(Rule::SignInPerClient),
    route(Post, "/account/sign-out", Shopper, Page, handler!(account::sign_out)),
    route(Get, "/account/register", Shopper, Page, handler!(account::register_form)),
    route(Post, "/account/register", Shopper, Page, handler!(account::register)).limited(Rule::SignInPerClient),
    route(Get, "/account/forgot", Shopper, Page, handler!(account::forgot_form)),
    route(Post, "/account/forgot", Shopper, Page, handler!(account::forgot)).limited(Rule::SignInPerClient),
    route(Get, "/account/reset-password", Shopper, Page, handler!(account::reset_form)),
    route(Post, "/account/reset-password", Shopper, Page, handler!(account::reset)).limited(Rule::SignInPerClient),
    route(Post, "/account/verify", Shopper, Page, handler!(account::verify_send)),
    route(Get, "/account/verify", Shopper, Page, handler!(account::verify)),
    route(Get, "/account/profile", Shopper, Page, handler!(account::profile_form)),
    route(Post, "/account/profile", Shopper, Page, handler!(account::profile)),
    route(Get, "/account/orders", Shopper, Page, handler!(account::orders)),
    route(Get, "/account/addresses", Shopper, Page, handler!(account::addresses)),
    route(Post, "/account/addresses", Shopper, Page, handler!(account::address_save)),
    route(Get, "/account/addresses/new", Shopper, Page, handler!(account::address_new)),
    route(Get, "/account/addresses/:id", Shopper, Page, handler!(account::address_edit)),
    route(Post, "/account/addresses/:id", Shopper, Page, handler!(account::address_save)),
    route(Get, "/account/addresses/:id/delete", Shopper, Page, handler!(account::address_delete_form)),
    route(Post, "/account/addresses/:id/delete", Shopper, Page, handler!(account::address_delete)),
    route(Get, "/orders/lookup", Shopper, Page, handler!(pages::orders::lookup_form)),
    route(Post, "/orders/lookup", Shopper, Page, handler!(pages::orders::lookup)).limited(Rule::LookupByIp),
    route(Get, "/orders/:id", Shopper, Page, handler!(pages::orders::show)),
    // Home, listings, products, sitemaps, robots; anything else is the 404 page.
    route(Get, "/*", Shopper, Page, handler!(pages::catalog::serve)).fallback(),
];

/// Whether `path` is called by storefronts (the Store API, GraphQL and the customers'
/// auth routes): it answers their origins' CORS.
pub fn storefront_api(path: &str) -> bool {
    path.starts_with("/store/")
        || path == "/graphql"
        || path.starts_with("/auth/customer/")
        || path == "/auth/session"
        || path == "/auth/token/refresh"
}

/// The segments of `pattern` matched against `path`: the captured parameters.
fn matches(pattern: &str, path: &[&str]) -> Option<Vec<String>> {
    let mut params = Vec::new();
    let mut parts = pattern.split('/').filter(|s| !s.is_empty());
    let mut rest = path.iter();
    loop {
        match (parts.next(), rest.next()) {
            (Some("*"), first) => {
                let tail: Vec<&str> = first.into_iter().chain(rest).copied().collect();
                params.push(tail.join("/"));
                return Some(params);
            }
            (Some(p), Some(s)) if p.starts_with(':') => params.push((*s).to_owned()),
            (Some(p), Some(s)) if p == *s => {}
            (None, None) => return Some(params),
            _ => return None,
        }
    }
}

/// The route for `method` and `path`, with its parameters; else the error to answer
/// (405 when the path is served with other methods, 404 otherwise).
pub fn find<'t>(
    routes: &'t [Route],
    method: &Method,
    path: &[&str],
) -> Result<(&'t Route, Vec<String>), Miss> {
    // A path served with other methods: by a route of its own (which wins over a
    // catch-all), or by a catch-all (which only turns the final 404 into a 405).
    let mut other_method = None;
    let mut exact_other_method = None;
    for route in routes {
        let Some(params) = matches(route.path, path) else {
            continue;
        };
        if !route.verb.allows(method) {
            other_method = other_method.or(Some(route.answer));
            if !route.path.ends_with('*') {
                exact_other_method = exact_other_method.or(Some(route.answer));
            }
            continue;
        }
        if route.fallback {
            if let Some(answer) = exact_other_method {
                return Err(Miss::Method(answer));
            }
        }
        return Ok((route, params));
    }
    Err(other_method.map_or(Miss::Path, Miss::Method))
}

/// Why no route was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// The path is served, not with this method; answered as that route answers.
    Method(Answer),
    Path,
}

/// The admin paths anyone may reach: signing in and out, accepting an invitation.
pub const SIGN_IN_PATHS: &[&str] = &[
    "/auth/user/emailpass",
    "/admin/sign-in",
    "/admin/sign-out",
    "/admin/invite/:token",
    "/admin/forgot",
    "/admin/reset/:token",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn find_path(method: Method, path: &str) -> Result<(&'static str, Vec<String>), Miss> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        find(ROUTES, &method, &segments).map(|(r, p)| (r.path, p))
    }

    #[test]
    fn paths_find_their_routes_and_parameters() {
        assert_eq!(
            find_path(Method::Delete, "/store/carts/cart_1/line-items/li_2"),
            Ok((
                "/store/carts/:id/line-items/:line",
                vec!["cart_1".into(), "li_2".into()]
            ))
        );
        assert_eq!(
            find_path(Method::Head, "/images/products/a.png"),
            Ok(("/images/*", vec!["products/a.png".into()]))
        );
        assert_eq!(find_path(Method::Get, "/"), Ok(("/*", vec![String::new()])));
        assert_eq!(
            find_path(Method::Get, "/checkout"),
            Ok(("/checkout", vec![]))
        );
        assert_eq!(
            find_path(Method::Post, "/checkout"),
            Ok(("/checkout", vec![]))
        );
        assert_eq!(
            find_path(Method::Get, "/store/nothing").map(|r| r.0),
            Ok("/store/*")
        );
    }

    #[test]
    fn other_methods_are_405_and_unknown_paths_404() {
        assert_eq!(
            find_path(Method::Post, "/store/products"),
            Err(Miss::Method(Answer::Json))
        );
        assert_eq!(
            find_path(Method::Put, "/store/carts/cart_1"),
            Err(Miss::Method(Answer::Json))
        );
        assert_eq!(
            find_path(Method::Post, "/products/shirt"),
            Err(Miss::Method(Answer::Page))
        );
        assert_eq!(
            find_path(Method::Patch, "/health"),
            Err(Miss::Method(Answer::Json))
        );
    }

    #[test]
    fn every_route_declares_its_access() {
        for route in ROUTES {
            let public_ok = route.path.starts_with("/health")
                || SIGN_IN_PATHS.contains(&route.path)
                || route.path.starts_with("/images")
                || route.path.starts_with("/assets")
                || route.path.starts_with("/webhooks")
                || route.path == "/checkout"
                // Handed whole to the GraphQL Worker, whose table asks for the key.
                || route.path == "/graphql"
                || route.verb == Verb::Options
                || route.fallback;
            if route.access == Access::Public {
                assert!(public_ok, "{} is public", route.path);
            }
            if route.path.starts_with("/admin") && !SIGN_IN_PATHS.contains(&route.path) {
                assert!(matches!(route.access, Access::Staff(_)), "{}", route.path);
            }
        }
    }
}
