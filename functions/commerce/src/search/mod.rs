//! Product search: what a shopper's words match in a store's catalog.
//!
//! The catalog's side is kept in PostgreSQL (migration 0023): every published product's
//! words with the best field each appears in (title, then subtitle, categories and
//! collection, then variants and attributes, then description), and each store's
//! vocabulary. A query is resolved in two steps:
//! 1. [`repo::resolve`] splits it into words as the catalog's were split (lower case,
//!    no accents, hyphenated groups joined) and finds each word's candidates in the
//!    store's vocabulary: the word itself, its singular, the store's synonyms, words of
//!    a similar length within a few edits (a coarse filter in SQL), and, for the last
//!    word, every word it begins ([`Kind`]);
//! 2. [`choose`] keeps the candidates within the word's typo budget ([`typo_budget`],
//!    counting a transposition as one edit: [`distance`]), and drops the words that
//!    match nothing, as a search engine's "last words optional" strategy would.
//!
//! The result, [`Resolved`], goes to SQL's `search_matches` as JSON: a product matches
//! when it carries a candidate of every kept word; it ranks by typos, then fields, then
//! exact words over prefixes.

pub mod repo;
pub mod synonyms;

use serde::Serialize;

/// At most this many words of a query are searched (the rest are ignored).
pub const MAX_WORDS: usize = 10;

/// How a vocabulary word was found for a query word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The word itself.
    Exact,
    /// The word without its plural `s` ("shirts" finds "shirt").
    Singular,
    /// A term of one of the store's synonym groups.
    Synonym,
    /// A word of similar length, to be measured.
    Typo,
    /// The last word typed, matching the beginning of words.
    Prefix,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "exact" => Kind::Exact,
            "singular" => Kind::Singular,
            "synonym" => Kind::Synonym,
            "typo" => Kind::Typo,
            "prefix" => Kind::Prefix,
            _ => return None,
        })
    }
}

/// A candidate row of [`repo::resolve`]: the query word's place, a vocabulary word and
/// how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub ord: i32,
    pub word: String,
    pub kind: Kind,
    /// The word (for a prefix, a word it begins) is carried by enough products to be
    /// kept as bitmaps (migration 0029).
    pub common: bool,
}

/// A word to look for in products' terms (the JSON `search_matches` reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    /// The query word's place among the kept words.
    #[serde(rename = "o")]
    pub ord: i32,
    #[serde(rename = "w")]
    pub word: String,
    #[serde(rename = "t")]
    pub typos: u8,
    /// The word typed (or its singular or synonym) rather than a correction or prefix.
    #[serde(rename = "e")]
    pub exact: bool,
    /// Matches every word beginning with `word`.
    #[serde(rename = "p")]
    pub prefix: bool,
}

/// A query resolved against a store's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// The query's words (normalised), in the order typed.
    pub words: Vec<String>,
    /// The words that match nothing in the store (left out of the search).
    pub unknown: Vec<String>,
    /// What to look for, every kept word at least once.
    pub terms: Vec<Term>,
    /// Every kept word has a common candidate ([`Found::common`]): the search can be
    /// answered from the store's bitmaps (`search_bits_listing`, migration 0029).
    pub common: bool,
}

impl Resolved {
    /// `search_matches`' argument.
    pub fn terms_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.terms).unwrap_or_default()
    }
}

/// Edits a word of `len` characters may carry and still match: none under 5
/// characters, one from 5, two from 9.
pub fn typo_budget(len: usize) -> u8 {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// The edits between `a` and `b` (insertions, deletions, substitutions, and
/// transpositions of two neighbours, each one edit: the optimal string alignment
/// distance), over characters.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, cell) in d.iter_mut().step_by(width).enumerate() {
        *cell = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// Keeps the candidates of each query word within its typo budget and numbers the
/// words that keep any, in the order typed; `words` are the query's words by place.
pub fn choose(words: Vec<String>, found: &[Found]) -> Resolved {
    let mut terms = Vec::new();
    let mut unknown = Vec::new();
    let mut kept = 0;
    let mut common = true;
    for (ord, typed) in words.iter().enumerate() {
        let ord = i32::try_from(ord).unwrap_or(i32::MAX);
        let before = terms.len();
        let budget = typo_budget(typed.chars().count());
        let mut word_common = false;
        for f in found.iter().filter(|f| f.ord == ord) {
            let (typos, exact, prefix) = match f.kind {
                Kind::Exact | Kind::Singular | Kind::Synonym => (0, true, false),
                Kind::Prefix => (0, false, true),
                Kind::Typo => {
                    let d = distance(typed, &f.word);
                    if d == 0 || d > usize::from(budget) {
                        continue;
                    }
                    (u8::try_from(d).unwrap_or(u8::MAX), false, false)
                }
            };
            word_common |= f.common;
            terms.push(Term {
                ord: kept,
                word: f.word.clone(),
                typos,
                exact,
                prefix,
            });
        }
        if terms.len() == before {
            unknown.push(typed.clone());
        } else {
            kept += 1;
            common &= word_common;
        }
    }
    Resolved {
        words,
        unknown,
        common: common && kept > 0,
        terms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_follow_the_words_length() {
        assert_eq!(typo_budget(4), 0);
        assert_eq!(typo_budget(5), 1);
        assert_eq!(typo_budget(8), 1);
        assert_eq!(typo_budget(9), 2);
    }

    #[test]
    fn a_transposition_is_one_edit() {
        assert_eq!(distance("shirt", "shirt"), 0);
        assert_eq!(distance("shirt", "shrit"), 1);
        assert_eq!(distance("linnen", "linen"), 1);
        assert_eq!(distance("coton", "cotton"), 1);
        assert_eq!(distance("cardgian", "cardigan"), 1);
        assert_eq!(distance("sweter", "sweater"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("crème", "creme"), 1);
    }

    fn found(ord: i32, word: &str, kind: Kind) -> Found {
        Found {
            ord,
            word: word.into(),
            kind,
            common: false,
        }
    }

    #[test]
    fn candidates_beyond_the_budget_and_words_matching_nothing_are_left_out() {
        let words = vec!["linnen".to_owned(), "shrt".to_owned(), "cam".to_owned()];
        let rows = [
            found(0, "linen", Kind::Typo),
            found(0, "lines", Kind::Typo),
            found(1, "shirt", Kind::Typo),
            found(2, "cam", Kind::Prefix),
        ];
        let r = choose(words, &rows);
        assert_eq!(r.unknown, ["shrt"]);
        assert_eq!(
            r.terms,
            [
                Term {
                    ord: 0,
                    word: "linen".into(),
                    typos: 1,
                    exact: false,
                    prefix: false
                },
                Term {
                    ord: 1,
                    word: "cam".into(),
                    typos: 0,
                    exact: false,
                    prefix: true
                },
            ]
        );
        assert_eq!(
            r.terms_json()[0],
            serde_json::json!({"o": 0, "w": "linen", "t": 1, "e": false, "p": false})
        );
    }
}
