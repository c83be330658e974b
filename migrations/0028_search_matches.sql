-- search_matches (migrations 0023 and 0025) reading less for common words:
-- * a prefix is scanned from just after the word itself (`~>~`): the word's own rows,
--   one per product carrying it and read by its exact candidate already, were read a
--   second time and dropped (10,000 rows for "jacket");
-- * a word with a single candidate that is not a prefix (one row per product, by the
--   terms' key) is not grouped: "generated", carried by every product of a
--   100,000-product store, grouped 100,000 rows to change nothing;
-- * when even the rarest word is common, its products are grouped first and the other
--   words' rows are kept only for them before they are grouped, rather than every
--   word's rows being gathered, kept and grouped together ("vintage jacket" on 100,000
--   products: 44 -> 34 ms).
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
    IF words = 1 AND jsonb_array_length(terms) = 1 AND NOT (terms -> 0 ->> 'p')::bool THEN
        RETURN QUERY
        SELECT t.product_id, (terms -> 0 ->> 't')::int, t.field::int,
               (terms -> 0 ->> 'e')::bool::int
        FROM product_search_terms t
        WHERE t.store_id = p_store AND t.word = terms -> 0 ->> 'w';
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
             AND t.word ~>~ c.w AND t.word ~<~ (c.w || chr(1114111)))
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
        hits AS NOT MATERIALIZED (
            SELECT t.product_id, c.o, c.t, t.field, c.e
            FROM c JOIN product_search_terms t ON t.store_id = p_store AND t.word = c.w
            UNION ALL
            SELECT t.product_id, c.o, c.t, t.field, false
            FROM c JOIN product_search_terms t
              ON c.p AND t.store_id = p_store
             AND t.word ~>~ c.w AND t.word ~<~ (c.w || chr(1114111))),
        picked AS MATERIALIZED (
            SELECT h.product_id, min(h.t) AS t, min(h.field) AS field, bool_or(h.e) AS e
            FROM hits h WHERE h.o = driver GROUP BY h.product_id),
        others AS (
            SELECT h.product_id, min(h.t) AS t, min(h.field) AS field, bool_or(h.e) AS e
            FROM hits h
            WHERE h.o <> driver AND h.product_id IN (SELECT k.product_id FROM picked k)
            GROUP BY h.product_id, h.o)
        SELECT k.product_id, (k.t + sum(x.t))::int, (k.field + sum(x.field))::int,
               (k.e::int + count(*) FILTER (WHERE x.e))::int
        FROM picked k JOIN others x ON x.product_id = k.product_id
        GROUP BY k.product_id, k.t, k.field, k.e
        HAVING count(*) = words - 1;
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
         AND t.word ~>~ c.w AND t.word ~<~ (c.w || chr(1114111))
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
