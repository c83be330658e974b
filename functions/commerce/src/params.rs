//! Query-string parameters of the Store API, parsed into types: pagination, sort
//! order, search text, handles and id lists. Every refusal names the parameter.

use crate::error::ApiError;
use crate::ids::IdError;
use crate::money::CurrencyCode;

/// Largest page a list endpoint serves.
pub const MAX_LIMIT: u32 = 200;
/// Largest offset accepted; deeper pages should narrow the query instead.
pub const MAX_OFFSET: u32 = 100_000;
/// Longest search text accepted, in characters.
pub const MAX_Q_CHARS: usize = 200;
/// Most values accepted in one list parameter (`id[]`, `category_id[]`).
pub const MAX_LIST_VALUES: usize = 100;

/// Parameters Medusa clients send that this API accepts and ignores (field selection
/// and expansion are answered with the full default shape).
const IGNORED: &[&str] = &[
    "fields",
    "expand",
    "sales_channel_id",
    "country_code",
    "province",
    "cart_id",
];

/// Decoded query pairs with array keys normalised: `id[]`, `id[0]` and `id` are one name.
#[derive(Debug, Default, Clone)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
    /// Each pair's key inside its first brackets when that is a name, not an index:
    /// `attributes[material]` is `Some("material")`.
    keys: Vec<Option<String>>,
}

/// The name inside a key's first brackets (`a[name]`, `a[name][]`), unless empty or a
/// number.
fn inner_name(key: &str) -> Option<String> {
    let open = key.find('[')?;
    let close = open + key[open..].find(']')?;
    let inner = &key[open + 1..close];
    (!inner.is_empty() && !inner.bytes().all(|b| b.is_ascii_digit())).then(|| inner.to_owned())
}

fn base_name(key: &str) -> &str {
    key.find('[').map_or(key, |i| &key[..i])
}

impl QueryParams {
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let (pairs, keys) = pairs
            .into_iter()
            .map(|(k, v)| {
                let k = k.as_ref();
                ((base_name(k).to_owned(), v.into()), inner_name(k))
            })
            .unzip();
        QueryParams { pairs, keys }
    }

    /// The values of a keyed parameter (`attributes[material]=linen`) as (key, value),
    /// in order; a value without a key is an error.
    pub fn keyed(&self, name: &str) -> Result<Vec<(&str, &str)>, ApiError> {
        let mut out = Vec::new();
        for ((k, v), key) in self.pairs.iter().zip(&self.keys) {
            if k != name {
                continue;
            }
            let Some(key) = key else {
                return Err(ApiError::invalid(
                    name,
                    format!("name what it filters by: {name}[key]=value"),
                ));
            };
            out.push((key.as_str(), v.as_str()));
        }
        if out.len() > MAX_LIST_VALUES {
            return Err(ApiError::invalid(
                name,
                format!("at most {MAX_LIST_VALUES} values are accepted"),
            ));
        }
        Ok(out)
    }

    /// Refuses any parameter not in `allowed` (nor in the ignored set), as Medusa does.
    pub fn only(&self, allowed: &[&str]) -> Result<(), ApiError> {
        match self
            .pairs
            .iter()
            .find(|(k, _)| !allowed.contains(&k.as_str()) && !IGNORED.contains(&k.as_str()))
        {
            Some((k, _)) => Err(ApiError::invalid(
                shown(k),
                format!("unrecognized parameter; accepted: {}", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    /// A parameter given at most once.
    pub fn single(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.pairs.iter().filter(|(k, _)| k == name);
        let first = values.next().map(|(_, v)| v.as_str());
        if values.next().is_some() {
            return Err(ApiError::invalid(name, "given more than once"));
        }
        Ok(first)
    }

    /// All values of a list parameter, in order.
    pub fn list(&self, name: &str) -> Result<Vec<&str>, ApiError> {
        let values: Vec<&str> = self
            .pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        if values.len() > MAX_LIST_VALUES {
            return Err(ApiError::invalid(
                name,
                format!("at most {MAX_LIST_VALUES} values are accepted"),
            ));
        }
        Ok(values)
    }

    /// A list of typed ids; `None` when the parameter is absent.
    pub fn ids<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, IdError>,
    ) -> Result<Option<Vec<T>>, ApiError> {
        let values = self.list(name)?;
        if values.is_empty() {
            return Ok(None);
        }
        values
            .into_iter()
            .map(|v| parse(v).map_err(|e| ApiError::invalid(name, e.to_string())))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A list of handles; `None` when the parameter is absent.
    pub fn handles(&self, name: &str) -> Result<Option<Vec<Handle>>, ApiError> {
        let values = self.list(name)?;
        if values.is_empty() {
            return Ok(None);
        }
        values
            .into_iter()
            .map(|v| Handle::parse(v).map_err(|reason| ApiError::invalid(name, reason)))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The `q` search text, if given.
    pub fn search(&self) -> Result<Option<SearchText>, ApiError> {
        self.single("q")?.map(SearchText::parse).transpose()
    }

    /// The `currency_code` parameter, if given.
    pub fn currency(&self) -> Result<Option<CurrencyCode>, ApiError> {
        self.single("currency_code")?
            .map(|c| {
                CurrencyCode::parse(c)
                    .map_err(|e| ApiError::invalid("currency_code", e.to_string()))
            })
            .transpose()
    }

    /// A single id parameter.
    pub fn id<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, IdError>,
    ) -> Result<Option<T>, ApiError> {
        self.single(name)?
            .map(|v| parse(v).map_err(|e| ApiError::invalid(name, e.to_string())))
            .transpose()
    }
}

/// Shows at most 64 characters of client input inside a message.
fn shown(s: &str) -> String {
    s.chars().take(64).collect()
}

/// A page of a list: `limit` rows from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

fn bounded(params: &QueryParams, name: &str, default: u32, max: u32) -> Result<u32, ApiError> {
    let Some(raw) = params.single(name)? else {
        return Ok(default);
    };
    let reason = || format!("must be a whole number from 0 to {max}");
    let value: i64 = raw
        .trim()
        .parse()
        .map_err(|_| ApiError::invalid(name, reason()))?;
    u32::try_from(value)
        .ok()
        .filter(|v| *v <= max)
        .ok_or_else(|| ApiError::invalid(name, reason()))
}

impl Page {
    pub fn parse(params: &QueryParams, default_limit: u32) -> Result<Self, ApiError> {
        Ok(Page {
            limit: bounded(params, "limit", default_limit, MAX_LIMIT)?,
            offset: bounded(params, "offset", 0, MAX_OFFSET)?,
        })
    }
}

/// Sort direction of an `order` parameter (`title` ascending, `-title` descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

impl Direction {
    pub fn sql(self) -> &'static str {
        match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        }
    }
}

/// Parses `order` against the fields an endpoint can sort by; the field type maps to
/// fixed SQL, so nothing the client sends reaches SQL text.
pub fn parse_order<F: Copy>(
    params: &QueryParams,
    fields: &[(&str, F)],
) -> Result<Option<(F, Direction)>, ApiError> {
    let Some(raw) = params.single("order")? else {
        return Ok(None);
    };
    let (name, direction) = match raw.strip_prefix('-') {
        Some(rest) => (rest, Direction::Desc),
        None => (raw, Direction::Asc),
    };
    fields
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| Some((*f, direction)))
        .ok_or_else(|| {
            let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            ApiError::invalid(
                "order",
                format!(
                    "cannot sort by '{}'; use one of {} (prefix '-' for descending)",
                    shown(name),
                    names.join(", ")
                ),
            )
        })
}

/// A URL handle: lower-case letters, digits and single dashes, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle(String);

impl Handle {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 200
            && s.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if ok {
            Ok(Handle(s.to_owned()))
        } else {
            Err(format!(
                "'{}' is not a handle (lower-case letters, digits and dashes)",
                shown(s)
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Handle {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Search text: trimmed, lower-cased, at most 200 characters (matched as a substring
/// by the admin's lists, by words with typos and prefixes by product search).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let t = s.trim();
        if t.chars().count() > MAX_Q_CHARS {
            return Err(ApiError::invalid(
                "q",
                format!("at most {MAX_Q_CHARS} characters are accepted"),
            ));
        }
        if t.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "q",
                "control characters are not accepted",
            ));
        }
        Ok(SearchText(t.to_lowercase()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A LIKE pattern matching the text anywhere, with `%`, `_` and `\` escaped.
    pub fn like_pattern(&self) -> String {
        let mut p = String::with_capacity(self.0.len() + 2);
        p.push('%');
        for c in self.0.chars() {
            if matches!(c, '%' | '_' | '\\') {
                p.push('\\');
            }
            p.push(c);
        }
        p.push('%');
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ProductId;

    fn q(s: &str) -> QueryParams {
        QueryParams::from_pairs(s.split('&').filter(|p| !p.is_empty()).map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        }))
    }

    fn param_of(e: ApiError) -> String {
        match e {
            ApiError::InvalidParam { param, .. } => param,
            other => panic!("not a parameter error: {other:?}"),
        }
    }

    #[test]
    fn pages_have_defaults_and_bounds() {
        assert_eq!(
            Page::parse(&q(""), 50).unwrap(),
            Page {
                limit: 50,
                offset: 0
            }
        );
        assert_eq!(
            Page::parse(&q("limit=10&offset=20"), 50).unwrap(),
            Page {
                limit: 10,
                offset: 20
            }
        );
        for bad in [
            "limit=-1",
            "limit=201",
            "limit=abc",
            "limit=1e3",
            "limit=99999999999999999999",
        ] {
            assert_eq!(
                param_of(Page::parse(&q(bad), 50).unwrap_err()),
                "limit",
                "{bad}"
            );
        }
        assert_eq!(
            param_of(Page::parse(&q("offset=-5"), 50).unwrap_err()),
            "offset"
        );
        assert_eq!(
            param_of(Page::parse(&q("limit=1&limit=2"), 50).unwrap_err()),
            "limit"
        );
    }

    #[test]
    fn array_keys_are_one_name() {
        let p = q("id[]=prod_a&id[1]=prod_b&id=prod_c");
        let ids = p.ids("id", ProductId::parse).unwrap().unwrap();
        assert_eq!(ids.len(), 3);
        assert!(p.ids("category_id", ProductId::parse).unwrap().is_none());
        assert_eq!(
            param_of(q("id=var_1").ids("id", ProductId::parse).unwrap_err()),
            "id"
        );
    }

    #[test]
    fn unknown_parameters_are_named() {
        assert!(q("limit=1&fields=*variants").only(&["limit"]).is_ok());
        assert_eq!(
            param_of(q("limit=1&colour=red").only(&["limit"]).unwrap_err()),
            "colour"
        );
    }

    #[test]
    fn order_accepts_listed_fields_only() {
        let fields = [("title", 1), ("created_at", 2)];
        assert_eq!(
            parse_order(&q("order=-title"), &fields).unwrap(),
            Some((1, Direction::Desc))
        );
        assert_eq!(parse_order(&q(""), &fields).unwrap(), None);
        let e = parse_order(&q("order=price;drop"), &fields).unwrap_err();
        assert!(e.to_string().contains("title, created_at"), "{e}");
        assert_eq!(param_of(e), "order");
    }

    #[test]
    fn search_text_is_bounded_and_escaped() {
        let s = SearchText::parse("  50%_Off\\ ").unwrap();
        assert_eq!(s.like_pattern(), "%50\\%\\_off\\\\%");
        assert_eq!(
            param_of(SearchText::parse(&"a".repeat(201)).unwrap_err()),
            "q"
        );
        assert!(SearchText::parse(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn handles_are_slugs() {
        assert!(Handle::parse("linen-shirt-2").is_ok());
        for bad in ["", "Linen", "a--b", "-a", "a-", "a b", "a/../b"] {
            assert!(Handle::parse(bad).is_err(), "{bad:?}");
        }
    }
}
