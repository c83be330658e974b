-- What each published product offers a listing's menus, kept beside its search words
-- (by the product documents' trigger, so in the transaction of every catalog change):
-- one row per product, so that counting the menus of ten thousand matches reads ten
-- thousand rows, not their options, values, variants and prices. Each entry is text,
-- its parts separated by the unit separator (chr(31), as the listing filters' pairs):
--   o, option title lower case, value lower case, title, value, option rank, value rank
--   c, category id
--   l, collection id
--   p, currency, lowest amount of the price step, highest amount of the step
--   a, attribute key, value as text (as `attributes ->> key` gives it)
-- Stock is not kept here: it changes with every order, and is counted live.

-- The step of 1, 2 and 5 (in major units of two decimals) an amount in minor units is
-- in: 10.00-19.99, 20.00-49.99, 50.00-99.99, 100.00-199.99…; below 1.00, 0.00-0.99.
CREATE FUNCTION price_step(amount bigint, OUT low bigint, OUT high bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN amount < 100 THEN 0 WHEN amount >= 5 * unit THEN 5 * unit
                WHEN amount >= 2 * unit THEN 2 * unit ELSE unit END,
           CASE WHEN amount < 100 THEN 99 WHEN amount >= 5 * unit THEN 10 * unit - 1
                WHEN amount >= 2 * unit THEN 5 * unit - 1 ELSE 2 * unit - 1 END
    FROM (SELECT power(10::float8, length(greatest(amount, 1)::text) - 1)::int8 AS unit) u;
$$;

CREATE TABLE product_facet_entries (
    product_id text PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    store_id   text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    entries    text[] NOT NULL
);

-- The entries of one product, from the catalog's tables.
CREATE FUNCTION product_facet_entries_of(p_id text) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(e), '{}') FROM (
        (SELECT DISTINCT ON (lower(o.title), lower(ov.value))
                concat_ws(chr(31), 'o', lower(o.title), lower(ov.value), o.title, ov.value,
                          o.rank, ov.rank) AS e
         FROM product_options o JOIN product_option_values ov ON ov.option_id = o.id
         WHERE o.product_id = p_id
         ORDER BY lower(o.title), lower(ov.value), o.rank, ov.rank)
        UNION ALL
        SELECT 'c' || chr(31) || pc.category_id
        FROM product_category_products pc WHERE pc.product_id = p_id
        UNION ALL
        SELECT 'l' || chr(31) || p.collection_id
        FROM products p WHERE p.id = p_id AND p.collection_id IS NOT NULL
        UNION ALL
        SELECT concat_ws(chr(31), 'a', a.key, a.value)
        FROM products p CROSS JOIN LATERAL jsonb_each_text(p.attributes) a
        WHERE p.id = p_id
        UNION ALL
        SELECT DISTINCT concat_ws(chr(31), 'p', vp.currency_code, s.low, s.high)
        FROM product_variants v
        JOIN variant_prices vp ON vp.variant_id = v.id
        CROSS JOIN LATERAL price_step(vp.amount) s
        WHERE v.product_id = p_id
    ) x;
$$;

-- The search words' trigger, now also keeping the menus' entries.
CREATE OR REPLACE FUNCTION product_search_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM product_search_terms t USING new_docs n WHERE t.product_id = n.product_id;
    INSERT INTO product_search_terms (product_id, store_id, word, field)
    SELECT n.product_id, n.store_id, w.word, w.field
    FROM new_docs n, product_search_words(n.doc::jsonb) w
    WHERE n.doc ->> 'status' = 'published';
    INSERT INTO search_vocabulary (store_id, word)
    SELECT DISTINCT t.store_id, t.word
    FROM new_docs n JOIN product_search_terms t ON t.product_id = n.product_id
    ORDER BY t.store_id, t.word
    ON CONFLICT DO NOTHING;
    DELETE FROM product_facet_entries f USING new_docs n WHERE f.product_id = n.product_id;
    INSERT INTO product_facet_entries (product_id, store_id, entries)
    SELECT n.product_id, n.store_id, product_facet_entries_of(n.product_id)
    FROM new_docs n
    WHERE n.doc ->> 'status' = 'published';
    RETURN NULL;
END $$;

INSERT INTO product_facet_entries (product_id, store_id, entries)
SELECT d.product_id, d.store_id, product_facet_entries_of(d.product_id)
FROM product_docs d
WHERE d.doc ->> 'status' = 'published';

-- search_matches (migration 0023) with common words joined, not grouped: when even the
-- rarest word is carried by many products, the other words' rows are kept only for the
-- products the rarest one found before anything is grouped ("deluxe chair department"
-- grouped 120,000 rows to find 1,000 products; now 12,000). A single word is grouped
-- once.
CREATE OR REPLACE FUNCTION search_matches(p_store text, terms jsonb)
RETURNS TABLE (product_id text, typos int, field int, exact int)
LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 100
SET jit = off SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    words int;
    driver int;
    driver_products bigint;
BEGIN
    SELECT count(DISTINCT (e ->> 'o')::int) INTO words FROM jsonb_array_elements(terms) e;
    IF words = 0 THEN
        RETURN;
    END IF;
    IF words = 1 THEN
        RETURN QUERY
        WITH c AS (
            SELECT * FROM jsonb_to_recordset(terms) AS c(o int, w text, t int, e bool, p bool)),
        hits AS (
            SELECT t.product_id, c.t, t.field, c.e
            FROM c JOIN product_search_terms t ON t.store_id = p_store AND t.word = c.w
            UNION ALL
            SELECT t.product_id, c.t, t.field, false
            FROM c JOIN product_search_terms t
              ON c.p AND t.store_id = p_store
             AND t.word ~>=~ c.w AND t.word ~<~ (c.w || chr(1114111)) AND t.word <> c.w)
        SELECT h.product_id, min(h.t)::int, min(h.field)::int, (bool_or(h.e))::int
        FROM hits h GROUP BY h.product_id;
        RETURN;
    END IF;
    -- The word carried by the fewest products picks the candidates (counted up to a
    -- bound).
    SELECT s.o, s.n INTO driver, driver_products FROM (
        SELECT c.o, sum(CASE WHEN c.p
            THEN (SELECT count(*) FROM (
                      SELECT 1 FROM product_search_terms t
                      WHERE t.store_id = p_store
                        AND t.word ~>=~ c.w AND t.word ~<~ (c.w || chr(1114111))
                      LIMIT 10000) x)
            ELSE (SELECT count(*) FROM (
                      SELECT 1 FROM product_search_terms t
                      WHERE t.store_id = p_store AND t.word = c.w
                      LIMIT 10000) x)
            END) AS n
        FROM jsonb_to_recordset(terms) AS c(o int, w text, t int, e bool, p bool)
        GROUP BY c.o) s
    ORDER BY s.n, s.o LIMIT 1;
    IF driver_products > 2000 THEN
        RETURN QUERY
        WITH c AS (
            SELECT * FROM jsonb_to_recordset(terms) AS c(o int, w text, t int, e bool, p bool)),
        hits AS (
            SELECT t.product_id, c.o, c.t, t.field, c.e
            FROM c JOIN product_search_terms t ON t.store_id = p_store AND t.word = c.w
            UNION ALL
            SELECT t.product_id, c.o, c.t, t.field, false
            FROM c JOIN product_search_terms t
              ON c.p AND t.store_id = p_store
             AND t.word ~>=~ c.w AND t.word ~<~ (c.w || chr(1114111)) AND t.word <> c.w),
        picked AS MATERIALIZED (SELECT * FROM hits h WHERE h.o = driver),
        kept AS (
            SELECT * FROM picked
            UNION ALL
            SELECT h.* FROM hits h
            WHERE h.o <> driver AND h.product_id IN (SELECT k.product_id FROM picked k))
        SELECT pw.product_id, sum(pw.t)::int, sum(pw.field)::int,
               (count(*) FILTER (WHERE pw.e))::int
        FROM (SELECT k.product_id, k.o, min(k.t) AS t, min(k.field) AS field, bool_or(k.e) AS e
              FROM kept k GROUP BY k.product_id, k.o) pw
        GROUP BY pw.product_id HAVING count(*) = words;
        RETURN;
    END IF;
    RETURN QUERY
    WITH c AS (
        SELECT * FROM jsonb_to_recordset(terms) AS c(o int, w text, t int, e bool, p bool)),
    base AS (
        SELECT t.product_id
        FROM c JOIN product_search_terms t ON t.store_id = p_store AND t.word = c.w
        WHERE c.o = driver
        UNION
        SELECT t.product_id
        FROM c JOIN product_search_terms t
          ON c.p AND t.store_id = p_store
         AND t.word ~>=~ c.w AND t.word ~<~ (c.w || chr(1114111))
        WHERE c.o = driver),
    -- Each candidate's own words, looked up by the product (a few dozen rows each).
    per_word AS (
        SELECT b.product_id, x.o, x.typos, x.field, x.exact
        FROM base b CROSS JOIN LATERAL (
            SELECT c.o, min(c.t) AS typos, min(t.field) AS field,
                   bool_or(c.e AND t.word = c.w) AS exact
            FROM product_search_terms t
            JOIN c ON t.word = c.w OR (c.p AND starts_with(t.word, c.w))
            WHERE t.product_id = b.product_id
            GROUP BY c.o) x)
    SELECT pw.product_id, sum(pw.typos)::int, sum(pw.field)::int,
           (count(*) FILTER (WHERE pw.exact))::int
    FROM per_word pw GROUP BY pw.product_id HAVING count(*) = words;
END $$;
