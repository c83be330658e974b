//! Search's SQL: a query's words and their candidates in the store's vocabulary.

use tokio_postgres::types::Type;

use super::synonyms::SynonymGroups;
use super::{choose, Found, Kind, Resolved, MAX_WORDS};
use crate::db::{col, Sql};
use crate::ids::StoreId;
use crate::params::SearchText;
use crate::ApiError;

/// The query's words ($2, split by SQL's `search_query_words`) and, per word, its
/// candidates in the store's ($1) vocabulary: itself, its singular, synonyms, words
/// within the typo filter (at most one edit more than the budget in plain Levenshtein,
/// where a transposition counts two; [`super::choose`] measures them exactly) and, for
/// the last word of two characters or more, itself as a prefix when any longer word
/// begins with it (looked for from just after the word itself, whose own rows, one per
/// product carrying it, would otherwise be read first). A word of the query with no
/// row matches nothing. `common`: the candidate (for a prefix, a word it begins) has
/// bitmaps (migration 0029).
const RESOLVE: &str = "
    WITH q AS (
        SELECT w.ord, w.word, w.ord = max(w.ord) OVER () AS last
        FROM search_query_words($2) w WHERE w.ord < $3)
    SELECT q.ord, q.word AS typed, c.word, c.kind,
           EXISTS (SELECT 1 FROM search_word_bits b
                   WHERE b.store_id = $1
                     AND (b.word = c.word OR (c.kind = 'prefix' AND starts_with(b.word, c.word))))
               AS common
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
            WHERE t.store_id = $1 AND t.word ~>~ q.word AND t.word ~<~ (q.word || chr(1114111)))
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
            words.push(typed);
        }
        let word: Option<String> = col(row, "word")?;
        let kind: Option<String> = col(row, "kind")?;
        if let (Some(word), Some(kind)) = (word, kind.as_deref().and_then(Kind::parse)) {
            let common = col(row, "common")?;
            found.push(Found {
                ord,
                word,
                kind,
                common,
            });
        }
    }
    Ok(choose(words, &found))
}

/// Sets the store's synonym groups (each a list of equivalent terms, normalised as
/// queries are: "T-Shirt" is `tshirt`), replacing those it had. The store's catalog
/// version moves, so that searches answered from the edge cache are asked afresh.
pub async fn set_synonyms<C: Sql>(
    client: &C,
    store: &StoreId,
    groups: &SynonymGroups,
) -> Result<(), ApiError> {
    let joined: Vec<String> = groups.groups().iter().map(|g| g.join("\u{1f}")).collect();
    client
        .query_typed(
            "WITH gone AS (DELETE FROM search_synonyms WHERE store_id = $1),
             bumped AS (UPDATE stores SET catalog_version = catalog_version + 1 WHERE id = $1)
             INSERT INTO search_synonyms (store_id, terms, written)
             SELECT $1, t.terms, string_to_array(g.group_text, chr(31))
             FROM unnest($2::text[]) WITH ORDINALITY g(group_text, n), LATERAL (
                 SELECT array_agg(DISTINCT n.word) AS terms
                 FROM unnest(string_to_array(g.group_text, chr(31))) term,
                 LATERAL (SELECT string_agg(w.word, '' ORDER BY w.ord) AS word
                          FROM search_query_words(term) w) n
                 WHERE n.word IS NOT NULL) t
             WHERE cardinality(t.terms) >= 2
             ORDER BY g.n",
            &[(store, Type::TEXT), (&joined, Type::TEXT_ARRAY)],
        )
        .await?;
    Ok(())
}

/// The store's synonym groups as compared (normalised as queries are), in the order set.
pub async fn synonyms<C: Sql>(client: &C, store: &StoreId) -> Result<Vec<Vec<String>>, ApiError> {
    synonym_column(client, store, "terms").await
}

/// The store's synonym groups as staff wrote them (as compared, for groups kept before
/// the written form was), in the order set.
pub async fn written_synonyms<C: Sql>(
    client: &C,
    store: &StoreId,
) -> Result<Vec<Vec<String>>, ApiError> {
    synonym_column(client, store, "coalesce(written, terms)").await
}

async fn synonym_column<C: Sql>(
    client: &C,
    store: &StoreId,
    column: &str,
) -> Result<Vec<Vec<String>>, ApiError> {
    let rows = client
        .query_typed(
            &format!(
                "SELECT {column} AS terms FROM search_synonyms WHERE store_id = $1 ORDER BY id"
            ),
            &[(store, Type::TEXT)],
        )
        .await?;
    rows.iter().map(|r| col(r, "terms")).collect()
}

/// The closest spelling of `q` from the store's own words, when it differs: each word
/// the catalog does not carry replaced by the published word nearest to it (at most two
/// edits, words of three characters or more; the shorter distance, then the word).
/// `None` when no word changes or some word has no near word.
pub async fn did_you_mean<C: Sql>(
    client: &C,
    store: &StoreId,
    q: &SearchText,
) -> Result<Option<String>, ApiError> {
    let max = i32::try_from(MAX_WORDS).unwrap_or(i32::MAX);
    let text = q.as_str();
    let rows = client
        .query_typed(
            "WITH q AS (SELECT w.ord, w.word FROM search_query_words($2) w WHERE w.ord < $3)
             SELECT q.ord, q.word AS typed, best.word
             FROM q LEFT JOIN LATERAL (
                 SELECT v.word FROM search_vocabulary v
                 WHERE v.store_id = $1 AND length(q.word) >= 3 AND v.word !~ '[0-9]'
                   AND length(v.word) BETWEEN length(q.word) - 2 AND length(q.word) + 2
                   AND levenshtein_less_equal(q.word, v.word, 2) <= 2
                   AND EXISTS (SELECT 1 FROM product_search_terms t
                               WHERE t.store_id = $1 AND t.word = v.word)
                 ORDER BY levenshtein_less_equal(q.word, v.word, 2), v.word
                 LIMIT 1) best ON true
             ORDER BY q.ord",
            &[(store, Type::TEXT), (&text, Type::TEXT), (&max, Type::INT4)],
        )
        .await?;
    let mut words = Vec::with_capacity(rows.len());
    let mut changed = false;
    for row in &rows {
        let typed: String = col(row, "typed")?;
        let best: Option<String> = col(row, "word")?;
        match best {
            Some(best) => {
                changed |= best != typed;
                words.push(best);
            }
            None => return Ok(None),
        }
    }
    Ok((changed && !words.is_empty()).then(|| words.join(" ")))
}

/// The store's most sold published products of the last 30 days (units), then its
/// newest, `limit` in all: what an empty search offers instead of a dead end.
pub async fn popular<C: Sql>(
    client: &C,
    store: &StoreId,
    limit: i64,
) -> Result<Vec<crate::ids::ProductId>, ApiError> {
    let rows = client
        .query_typed(
            "SELECT p.id FROM products p
             LEFT JOIN (SELECT oi.product_id, sum(oi.quantity) AS units
                        FROM orders o JOIN order_items oi ON oi.order_id = o.id
                        WHERE o.store_id = $1 AND o.created_at > now() - interval '30 days'
                        GROUP BY oi.product_id) sold ON sold.product_id = p.id
             WHERE p.store_id = $1 AND p.status = 'published'
             ORDER BY sold.units DESC NULLS LAST, p.created_at DESC, p.id
             LIMIT $2",
            &[(store, Type::TEXT), (&limit, Type::INT8)],
        )
        .await?;
    rows.iter().map(|r| col(r, "id")).collect()
}

/// How far back the scheduled repair looks for stock that moved: three runs of the
/// five-minute cron, so that one failed run loses nothing.
pub const STOCK_REPAIR_MINUTES: i32 = 15;

/// Settles the "can ship now" menu entry (migration 0026) of every product, in every
/// store, whose stock moved in the last `minutes`; returns how many entries it
/// corrected. The scheduled backstop for the one race the stock trigger leaves (two
/// checkouts selling out two variants of a product at the same moment).
pub async fn repair_stock_entries<C: Sql>(client: &C, minutes: i32) -> Result<i64, ApiError> {
    let rows = client
        .query_typed(
            "SELECT product_stock_repair(now() - make_interval(mins => $1)) AS corrected",
            &[(&minutes, Type::INT4)],
        )
        .await?;
    match crate::db::first(rows) {
        Some(row) => col(&row, "corrected"),
        None => Ok(0),
    }
}

/// Gives back their menu entries' bitmaps (migration 0029) to the stores whose entries
/// went over the bound and fit again (searched by rows meanwhile); returns how many.
pub async fn settle_bitmaps<C: Sql>(client: &C) -> Result<i64, ApiError> {
    let rows = client
        .query_typed("SELECT search_bits_settle() AS settled", &[])
        .await?;
    match crate::db::first(rows) {
        Some(row) => col(&row, "settled"),
        None => Ok(0),
    }
}

/// A product offered while typing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProductSuggestion {
    pub id: String,
    pub title: String,
    pub handle: String,
}

/// A category offered while typing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CategorySuggestion {
    pub id: String,
    pub name: String,
    pub handle: String,
}

/// What to offer while `q` is typed: `limit` products whose titles carry every word
/// (the last as a prefix), then others carrying them in any field, in the words'
/// index order (SQL's `search_suggestions`, migration 0027); and the active categories
/// whose names carry every word (each as a prefix).
pub async fn suggest<C: Sql>(
    client: &C,
    store: &StoreId,
    q: &SearchText,
    limit: i64,
) -> Result<(Vec<ProductSuggestion>, Vec<CategorySuggestion>), ApiError> {
    let terms = resolve(client, store, q).await?.terms_json();
    let text = q.as_str();
    let products = client
        .query_typed(
            "SELECT p.id, p.title, p.handle
             FROM search_suggestions($1, $2, $3::int4) WITH ORDINALITY s
             JOIN products p ON p.id = s.product_id
             WHERE p.store_id = $1 AND p.status = 'published'
             ORDER BY s.ordinality",
            &[
                (store, Type::TEXT),
                (&terms, Type::JSONB),
                (&limit, Type::INT8),
            ],
        )
        .await?;
    let categories = client
        .query_typed(
            "WITH q AS (SELECT word FROM search_query_words($2))
             SELECT c.id, c.name, c.handle FROM product_categories c
             WHERE c.store_id = $1 AND c.is_active AND EXISTS (SELECT 1 FROM q)
               AND NOT EXISTS (
                   SELECT 1 FROM q WHERE NOT EXISTS (
                       SELECT 1 FROM search_words(c.name) w WHERE w LIKE q.word || '%'))
             ORDER BY c.rank, c.name, c.id
             LIMIT $3",
            &[
                (store, Type::TEXT),
                (&text, Type::TEXT),
                (&limit, Type::INT8),
            ],
        )
        .await?;
    let products = products
        .iter()
        .map(|r| {
            Ok(ProductSuggestion {
                id: col(r, "id")?,
                title: col(r, "title")?,
                handle: col(r, "handle")?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let categories = categories
        .iter()
        .map(|r| {
            Ok(CategorySuggestion {
                id: col(r, "id")?,
                name: col(r, "name")?,
                handle: col(r, "handle")?,
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok((products, categories))
}
