-- Product search (commerce::search): the words of every published product, each with
-- the best field it appears in, and each store's vocabulary (its words and how many
-- products carry them), kept from the product documents in the same transaction as
-- the catalog change that rebuilt them. Queries match words exactly, by prefix (the
-- last word) or within a few typos of a vocabulary word (found here, measured in Rust).
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- The words of a text as search compares them: lower case, without accents, split at
-- anything that is not a letter or a digit; a hyphenated group also as one word
-- ("T-Shirt" gives t, shirt and tshirt). Queries are split by the same function.
CREATE FUNCTION search_words(t text) RETURNS SETOF text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH plain AS (SELECT lower(unaccent(coalesce(t, ''))) AS s)
    SELECT DISTINCT w FROM (
        SELECT regexp_split_to_table(s, '[^[:alnum:]]+') AS w FROM plain
        UNION ALL
        SELECT replace(m[1], '-', '')
        FROM plain, regexp_matches(s, '([[:alnum:]]+(-[[:alnum:]]+)+)', 'g') AS m
    ) x
    WHERE w <> '' AND length(w) <= 40;
$$;

-- A query's words in the order typed, each once (the last one matches as a prefix). A
-- hyphenated group gives its parts ("roll-top" is roll and top, which the catalog's
-- words include whether it wrote "Roll-Top" or "Roll Top"); "rolltop" typed as one
-- word finds the joined form.
CREATE FUNCTION search_query_words(t text) RETURNS TABLE (ord int, word text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH parts AS (
        SELECT w, n FROM regexp_split_to_table(lower(unaccent(coalesce(t, ''))), '[^[:alnum:]]+')
            WITH ORDINALITY AS r(w, n)
        WHERE w <> '' AND length(w) <= 40)
    SELECT (row_number() OVER (ORDER BY min(n)) - 1)::int, w FROM parts GROUP BY w;
$$;

-- Fields, best first: 0 title, 1 subtitle, categories and collection, 2 variants (titles,
-- SKUs, barcodes, option values) and attribute values, 3 description.
CREATE TABLE product_search_terms (
    product_id text NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    store_id   text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    word       text NOT NULL,
    field      smallint NOT NULL CHECK (field BETWEEN 0 AND 3),
    PRIMARY KEY (product_id, word)
);

-- Each store's words, for typo candidates and "did you mean". Only ever added to (in
-- word order, so that two catalog writes never wait on each other crosswise): a word no
-- product carries any more matches nothing, and suggestions check that it still does.
CREATE TABLE search_vocabulary (
    store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    word     text NOT NULL,
    PRIMARY KEY (store_id, word)
);
-- Typo candidates by their length (words with digits take no typos: SKUs, sizes).
CREATE INDEX search_vocabulary_length_idx ON search_vocabulary (store_id, length(word))
    WHERE word !~ '[0-9]';
-- Prefixes of the last word typed are matched on the terms by a range scan.
CREATE INDEX product_search_terms_prefix_idx
    ON product_search_terms (store_id, word text_pattern_ops, product_id);

-- Equivalent terms a store sets ("tee" = "t-shirt"): a query word in a group also
-- matches the others' words.
CREATE TABLE search_synonyms (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    terms    text[] NOT NULL CHECK (cardinality(terms) BETWEEN 2 AND 20)
);
CREATE INDEX search_synonyms_store_idx ON search_synonyms (store_id);

-- The words of a product's document with the best field of each.
CREATE FUNCTION product_search_words(doc jsonb) RETURNS TABLE (word text, field smallint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT w, min(f)::smallint FROM (
        SELECT search_words(doc ->> 'title') AS w, 0 AS f
        UNION ALL SELECT search_words(doc ->> 'subtitle'), 1
        UNION ALL SELECT search_words(c ->> 'name'), 1 FROM jsonb_array_elements(doc -> 'categories') c
        UNION ALL SELECT search_words(doc -> 'collection' ->> 'title'), 1
        UNION ALL SELECT search_words(concat_ws(' ', v ->> 'title', v ->> 'sku', v ->> 'barcode')), 2
            FROM jsonb_array_elements(doc -> 'variants') v
        UNION ALL SELECT search_words(ov ->> 'value'), 2
            FROM jsonb_array_elements(doc -> 'options') o, jsonb_array_elements(o -> 'values') ov
        UNION ALL SELECT search_words(a -> 'value' #>> '{}'), 2
            FROM jsonb_array_elements(doc -> 'attributes') a WHERE a ->> 'kind' <> 'boolean'
        UNION ALL SELECT search_words(doc ->> 'description'), 3
    ) x
    WHERE w IS NOT NULL
    GROUP BY w;
$$;

-- Rebuilds the terms of the products whose documents a statement wrote: published
-- products get their words, others none (drafts never show in search or its
-- suggestions). A deleted product's terms go with it (ON DELETE CASCADE).
CREATE FUNCTION product_search_follow() RETURNS trigger
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
    RETURN NULL;
END $$;

CREATE TRIGGER product_docs_search_ins AFTER INSERT ON product_docs
    REFERENCING NEW TABLE AS new_docs
    FOR EACH STATEMENT EXECUTE FUNCTION product_search_follow();
CREATE TRIGGER product_docs_search_upd AFTER UPDATE ON product_docs
    REFERENCING NEW TABLE AS new_docs
    FOR EACH STATEMENT EXECUTE FUNCTION product_search_follow();

INSERT INTO product_search_terms (product_id, store_id, word, field)
SELECT d.product_id, d.store_id, w.word, w.field
FROM product_docs d, product_search_words(d.doc::jsonb) w
WHERE d.doc ->> 'status' = 'published';

INSERT INTO search_vocabulary (store_id, word)
SELECT DISTINCT store_id, word FROM product_search_terms;

-- The store's published products matching every word of a resolved query (`terms`:
-- [{o: the word's place, w: a word to find, t: its typos, e: exact, p: as a prefix}],
-- from commerce::search), with what ranks them: typos, fields and exact words summed
-- over the query's words (each word counted by its best candidate).
-- With several words, the word carried by the fewest products (counted up to a bound)
-- picks the candidates and the others are looked up in each candidate's own words, so
-- that "bd 4242 2" costs what its rarest word costs, not its commonest.
-- Not inlined (plpgsql, with ROWS), so that callers plan with its estimate: the planner
-- cannot guess how many products match every word, and an inlined guess of one meant a
-- nested loop over the store's products per match (minutes on 100,000 products). JIT
-- off: the prefix scans' estimates made compiling a plan cost more than running it.
-- Custom plans: a generic plan of its statements, made after a few calls of a session,
-- does not know the store or the words and chose scans of every term.
CREATE FUNCTION search_matches(p_store text, terms jsonb)
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
    -- The word carried by the fewest products picks the candidates (counted up to a
    -- bound); when even it is common, every word's products are gathered instead.
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
    IF words = 1 OR driver_products > 2000 THEN
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
             AND t.word ~>=~ c.w AND t.word ~<~ (c.w || chr(1114111)) AND t.word <> c.w)
        SELECT pw.product_id, sum(pw.t)::int, sum(pw.field)::int,
               (count(*) FILTER (WHERE pw.e))::int
        FROM (SELECT h.product_id, h.o, min(h.t) AS t, min(h.field) AS field, bool_or(h.e) AS e
              FROM hits h GROUP BY h.product_id, h.o) pw
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
