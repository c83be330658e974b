//! Search's SQL: a query's words and their candidates in the store's vocabulary.

use tokio_postgres::types::Type;

use super::{choose, Found, Kind, Resolved, MAX_WORDS};
use crate::db::{col, Sql};
use crate::ids::StoreId;
use crate::params::SearchText;
use crate::ApiError;

/// The query's words ($2, split by SQL's `search_query_words`) and, per word, its
/// candidates in the store's ($1) vocabulary: itself, its singular, synonyms, words
/// within the typo filter (at most one edit more than the budget in plain Levenshtein,
/// where a transposition counts two; [`super::choose`] measures them exactly) and, for
/// the last word of two characters or more, itself as a prefix when any word begins
/// with it. A word of the query with no row matches nothing.
const RESOLVE: &str = "
    WITH q AS (
        SELECT w.ord, w.word, w.ord = max(w.ord) OVER () AS last
        FROM search_query_words($2) w WHERE w.ord < $3)
    SELECT q.ord, q.word AS typed, c.word, c.kind
    FROM q LEFT JOIN LATERAL (
        SELECT v.word, 'exact' AS kind FROM search_vocabulary v
        WHERE v.store_id = $1 AND v.word = q.word
        UNION ALL
        SELECT v.word, 'singular' FROM search_vocabulary v
        WHERE length(q.word) > 3 AND q.word LIKE '%s' AND v.store_id = $1
          AND v.word = left(q.word, -1)
        UNION ALL
        SELECT DISTINCT t.term, 'synonym' FROM search_synonyms s, unnest(s.terms) t(term)
        WHERE s.store_id = $1 AND q.word = ANY(s.terms) AND t.term <> q.word
        UNION ALL
        SELECT v.word, 'typo' FROM search_vocabulary v
        WHERE length(q.word) >= 5 AND q.word !~ '[0-9]'
          AND v.store_id = $1 AND v.word !~ '[0-9]'
          AND length(v.word) BETWEEN length(q.word) - 2 AND length(q.word) + 2
          AND v.word <> q.word
          AND levenshtein_less_equal(q.word, v.word, 3)
              <= CASE WHEN length(q.word) >= 9 THEN 3 ELSE 2 END
        UNION ALL
        SELECT q.word, 'prefix' WHERE q.last AND length(q.word) >= 2 AND EXISTS (
            SELECT 1 FROM product_search_terms t
            WHERE t.store_id = $1 AND t.word ~>=~ q.word AND t.word ~<~ (q.word || chr(1114111))
              AND t.word <> q.word)
    ) c ON true
    ORDER BY q.ord";

/// `q` resolved against the store's vocabulary (one statement).
pub async fn resolve<C: Sql>(
    client: &C,
    store: &StoreId,
    q: &SearchText,
) -> Result<Resolved, ApiError> {
    let max = i32::try_from(MAX_WORDS).unwrap_or(i32::MAX);
    let text = q.as_str();
    let rows = client
        .query_typed(
            RESOLVE,
            &[(store, Type::TEXT), (&text, Type::TEXT), (&max, Type::INT4)],
        )
        .await?;
    let mut words: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for row in &rows {
        let ord: i32 = col(row, "ord")?;
        let typed: String = col(row, "typed")?;
        if usize::try_from(ord).is_ok_and(|o| o == words.len()) {
            words.push(typed.clone());
        }
        let word: Option<String> = col(row, "word")?;
        let kind: Option<String> = col(row, "kind")?;
        if let (Some(word), Some(kind)) = (word, kind.as_deref().and_then(Kind::parse)) {
            found.push(Found {
                ord,
                typed,
                word,
                kind,
            });
        }
    }
    Ok(choose(words, &found))
}

/// Sets the store's synonym groups (each a list of equivalent terms, normalised as
/// queries are: "T-Shirt" is `tshirt`), replacing those it had.
pub async fn set_synonyms<C: Sql>(
    client: &C,
    store: &StoreId,
    groups: &[Vec<String>],
) -> Result<(), ApiError> {
    let joined: Vec<String> = groups.iter().map(|g| g.join("\u{1f}")).collect();
    client
        .query_typed(
            "WITH gone AS (DELETE FROM search_synonyms WHERE store_id = $1)
             INSERT INTO search_synonyms (store_id, terms)
             SELECT $1, t.terms FROM unnest($2::text[]) g(group_text), LATERAL (
                 SELECT array_agg(DISTINCT n.word) AS terms
                 FROM unnest(string_to_array(g.group_text, chr(31))) term,
                 LATERAL (SELECT string_agg(w.word, '' ORDER BY w.ord) AS word
                          FROM search_query_words(term) w) n
                 WHERE n.word IS NOT NULL) t
             WHERE cardinality(t.terms) >= 2",
            &[(store, Type::TEXT), (&joined, Type::TEXT_ARRAY)],
        )
        .await?;
    Ok(())
}

/// The store's synonym groups, as normalised.
pub async fn synonyms<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<Vec<String>>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT terms FROM search_synonyms WHERE store_id = $1 ORDER BY id",
            &[(store, Type::TEXT)],
        )
        .await?;
    rows.iter().map(|r| col(r, "terms")).collect()
}
