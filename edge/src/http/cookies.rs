//! The shopper's cookies, all named here: parsed from `Cookie` and written as
//! `Set-Cookie` with the `cookie` crate. Every cookie is first-party, HttpOnly,
//! SameSite=Lax, and Secure except over plain http (local development).

use commerce::ids::{CartId, RegionId};
use cookie::time::Duration;
use cookie::{Cookie, SameSite};
use worker::{Headers, Url};

/// The shopper's cart id.
pub const CART: &str = "cart_id";
/// How many units the shopper's cart holds, for the header's cart link.
pub const CART_COUNT: &str = "cart_count";
/// The region the shopper chose.
pub const REGION: &str = "region";
/// A staff member's session token over https: the `__Host-` prefix makes browsers
/// refuse it unless Secure, host-only and for the whole site.
pub const STAFF_SECURE: &str = "__Host-staff_session";
/// The same over plain http (local development), where Secure cookies are not kept.
pub const STAFF_PLAIN: &str = "staff_session";
/// A customer's session token (`POST /auth/session`, the account pages).
pub const CUSTOMER: &str = "customer_session";

/// The cookies a request carries that the shop reads.
#[derive(Debug, Default, Clone)]
pub struct ShopperCookies {
    /// The cart id, when well formed.
    pub cart: Option<CartId>,
    pub cart_count: Option<u32>,
    /// The chosen region id, as sent (the store checks it is one of its regions).
    pub region: Option<String>,
    /// The staff session token of `__Host-staff_session`, as sent.
    pub staff_secure: Option<String>,
    /// The staff session token of `staff_session` (read only over plain http).
    pub staff_plain: Option<String>,
    /// The customer's session token, as sent.
    pub customer: Option<String>,
}

impl ShopperCookies {
    /// Reads the `Cookie` header; a malformed pair is skipped.
    pub fn parse(header: Option<&str>) -> Self {
        let mut found = ShopperCookies::default();
        for cookie in Cookie::split_parse(header.unwrap_or_default()).flatten() {
            match cookie.name() {
                CART => found.cart = CartId::parse(cookie.value()).ok(),
                CART_COUNT => found.cart_count = cookie.value().parse().ok(),
                REGION => found.region = Some(cookie.value().to_owned()),
                STAFF_SECURE => found.staff_secure = Some(cookie.value().to_owned()),
                STAFF_PLAIN => found.staff_plain = Some(cookie.value().to_owned()),
                CUSTOMER => found.customer = Some(cookie.value().to_owned()),
                _ => {}
            }
        }
        found
    }
}

/// A cookie for `url`'s site living `max_age_s` seconds (0 deletes it). The `cookie`
/// crate checks and encodes it; its attributes are written Path first, as this shop
/// has always sent them (their order carries no meaning, RFC 6265 §4.1.1).
fn build(url: &Url, name: &'static str, value: String, max_age_s: u64) -> String {
    build_with(url, name, value, max_age_s, SameSite::Lax)
}

fn build_with(
    url: &Url,
    name: &'static str,
    value: String,
    max_age_s: u64,
    same_site: SameSite,
) -> String {
    let cookie = Cookie::build((name, value))
        .path("/")
        .max_age(Duration::seconds(
            i64::try_from(max_age_s).unwrap_or(i64::MAX),
        ))
        .http_only(true)
        .same_site(same_site)
        .secure(url.scheme() == "https")
        .build();
    let mut text = format!("{}; Path=/", cookie.encoded().stripped());
    if let Some(age) = cookie.max_age() {
        text.push_str(&format!("; Max-Age={}", age.whole_seconds()));
    }
    text.push_str("; HttpOnly");
    if let Some(same_site) = cookie.same_site() {
        text.push_str(&format!("; SameSite={same_site}"));
    }
    if cookie.secure() == Some(true) {
        text.push_str("; Secure");
    }
    text
}

/// `Set-Cookie` values for the cart id and its count; `None` clears both.
pub fn cart(url: &Url, cart: Option<(&CartId, u32)>, lifetime_s: u64) -> [String; 2] {
    match cart {
        Some((id, count)) => [
            build(url, CART, id.as_str().to_owned(), lifetime_s),
            build(url, CART_COUNT, count.to_string(), lifetime_s),
        ],
        None => [
            build(url, CART, String::new(), 0),
            build(url, CART_COUNT, String::new(), 0),
        ],
    }
}

/// `Set-Cookie` for the shopper's region choice (a year).
pub fn region(url: &Url, id: &RegionId) -> String {
    build(url, REGION, id.as_str().to_owned(), 365 * 24 * 3600)
}

/// The staff session cookie's name for `url`'s scheme.
pub fn staff_name(url: &Url) -> &'static str {
    if url.scheme() == "https" {
        STAFF_SECURE
    } else {
        STAFF_PLAIN
    }
}

/// `Set-Cookie` for a staff session token living `max_age_s` (`None` deletes it):
/// HttpOnly, SameSite=Strict (never sent on a request another site starts), and
/// `__Host-`-prefixed and Secure over https.
pub fn staff(url: &Url, token: Option<&str>, max_age_s: u64) -> String {
    let name = staff_name(url);
    match token {
        Some(t) => build_with(url, name, t.to_owned(), max_age_s, SameSite::Strict),
        None => build_with(url, name, String::new(), 0, SameSite::Strict),
    }
}

/// `Set-Cookie` for a customer's session token living `max_age_s` (`None` deletes
/// it): HttpOnly, SameSite=Lax, Secure over https.
pub fn customer(url: &Url, token: Option<&str>, max_age_s: u64) -> String {
    match token {
        Some(t) => build(url, CUSTOMER, t.to_owned(), max_age_s),
        None => build(url, CUSTOMER, String::new(), 0),
    }
}

impl ShopperCookies {
    /// The staff session token sent under the name `url`'s scheme allows.
    pub fn staff_token(&self, url: &Url) -> Option<&str> {
        if url.scheme() == "https" {
            self.staff_secure.as_deref()
        } else {
            self.staff_plain.as_deref()
        }
    }
}

/// Appends `Set-Cookie` headers.
pub fn set(headers: &mut Headers, cookies: &[String]) -> worker::Result<()> {
    for c in cookies {
        headers.append("set-cookie", c)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_and_written() {
        let id = CartId::generate();
        let header = format!(
            "other=1; {CART}={}; {CART_COUNT}=3; {REGION}=reg_eu; bad",
            id.as_str()
        );
        let found = ShopperCookies::parse(Some(&header));
        assert_eq!(found.cart.as_ref().map(CartId::as_str), Some(id.as_str()));
        assert_eq!(found.cart_count, Some(3));
        assert_eq!(found.region.as_deref(), Some("reg_eu"));

        let url = Url::parse("https://shop.example/cart").unwrap();
        let [c, n] = cart(&url, Some((&id, 3)), 60);
        assert_eq!(
            c,
            format!(
                "{CART}={}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure",
                id.as_str()
            )
        );
        assert!(n.starts_with("cart_count=3;"));
        let local = Url::parse("http://127.0.0.1:8787/").unwrap();
        let [gone, _] = cart(&local, None, 60);
        assert!(
            gone.contains("Max-Age=0") && !gone.contains("Secure"),
            "{gone}"
        );
    }

    #[test]
    fn the_staff_cookie_is_strict_and_host_only_over_https() {
        let secure = Url::parse("https://shop.example/admin").unwrap();
        assert_eq!(
            staff(&secure, Some("tok"), 60),
            "__Host-staff_session=tok; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
        let local = Url::parse("http://127.0.0.1:8787/admin").unwrap();
        assert_eq!(
            staff(&local, None, 60),
            "staff_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        );
        // Over https a cookie without the prefix (which a sibling host could set) is
        // not read.
        let sent = ShopperCookies::parse(Some("staff_session=planted"));
        assert_eq!(sent.staff_token(&secure), None);
        assert_eq!(sent.staff_token(&local), Some("planted"));
    }
}
