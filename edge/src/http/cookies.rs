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

/// The cookies a request carries that the shop reads.
#[derive(Debug, Default, Clone)]
pub struct ShopperCookies {
    /// The cart id, when well formed.
    pub cart: Option<CartId>,
    pub cart_count: Option<u32>,
    /// The chosen region id, as sent (the store checks it is one of its regions).
    pub region: Option<String>,
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
    let cookie = Cookie::build((name, value))
        .path("/")
        .max_age(Duration::seconds(
            i64::try_from(max_age_s).unwrap_or(i64::MAX),
        ))
        .http_only(true)
        .same_site(SameSite::Lax)
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
}
