-- Search that costs the same whatever it matches: bitmaps of products.
--
-- What migrations 0023-0028 keep (each product's words, each product's menu entries) is
-- read per match: a search matching every product of a 100,000-product store read
-- 100,000 words' rows, 100,000 products for the page's order and 700,000 menu entries
-- (0.66 s). Here every product of a store has a number (0, 1, 2… in the order products
-- were added), and the store's common words and its menu entries each keep the set of
-- their products as a bitmap over those numbers (`bit varying`, as long as the store's
-- capacity: 16 KB a bitmap at 100,000 products). A search then intersects bitmaps (`&`)
-- and counts them
-- (`bit_count`): its matches, its ranking buckets and every menu's counts cost a few
-- dozen bitmap operations rather than work per match (`search_bits_listing`).
--
-- * Numbers are given when a product is inserted (products inserted by one statement
--   in the order of their creation time) and never reused; a deleted product leaves a
--   hole. Among equally relevant results the highest number (the product added last)
--   comes first, on both the bitmap and the SQL path (commerce::catalog::product).
-- * Words carried by `search_bits_common()` products or more have bitmaps, one per
--   field (the best field of the word in each product, as `product_search_terms`
--   keeps it). A word gets them when a catalog change takes it to that many products
--   and keeps them after; rarer words are read from their rows, which are few.
-- * Every menu entry has a bitmap, up to `search_bits_entries_max()` entries in a
--   store; a store with more (free-form option values on many products) is searched
--   by rows (`entries_complete` false) until the cron's `search_bits_settle` finds it
--   under again.
-- * Bitmaps are kept in the transaction of the catalog or stock change, by triggers on
--   the words and the entries. Their writers take the store's row of `search_stores`
--   first (FOR UPDATE): the bitmaps of one store are written by one transaction at a
--   time, so two writers never wait on each other's bitmaps crosswise. Catalog writes
--   of one store, and a checkout that sells a product out or brings it back, wait for
--   one another's commit at that point; orders that do not change a product's
--   "can ship now" never take it.

CREATE TABLE search_stores (
    store_id         text PRIMARY KEY REFERENCES stores (id) ON DELETE CASCADE,
    -- The number the next product gets.
    next_number      integer NOT NULL DEFAULT 0,
    -- The length of every bitmap of the store, a multiple of 8192 above next_number.
    capacity         integer NOT NULL DEFAULT 0 CHECK (capacity % 8192 = 0),
    -- Every menu entry of the store's products has its bitmap.
    entries_complete boolean NOT NULL DEFAULT true
);

-- A product's number in its store. Kept after the product is deleted (its bits are
-- cleared with its words and entries); a product id used again is numbered again.
CREATE TABLE product_numbers (
    product_id text PRIMARY KEY,
    store_id   text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    n          integer NOT NULL CHECK (n >= 0),
    UNIQUE (store_id, n)
);

CREATE TABLE search_word_bits (
    store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    word     text NOT NULL,
    field    smallint NOT NULL CHECK (field BETWEEN 0 AND 3),
    bits     bit varying NOT NULL,
    PRIMARY KEY (store_id, word, field)
);

CREATE TABLE search_entry_bits (
    store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    entry    text NOT NULL,
    bits     bit varying NOT NULL,
    PRIMARY KEY (store_id, entry)
);

-- Bitmaps are read and rewritten whole: stored out of line without compression (a
-- bitmap of a common word hardly compresses, and compressing it on every write costs).
ALTER TABLE search_word_bits ALTER COLUMN bits SET STORAGE EXTERNAL;
ALTER TABLE search_entry_bits ALTER COLUMN bits SET STORAGE EXTERNAL;

-- How many products make a word common (bitmaps rather than rows).
CREATE FUNCTION search_bits_common() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 500';

-- How many menu entries a store keeps bitmaps for at most.
CREATE FUNCTION search_bits_entries_max() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 4000';

-- The bitmap of `len` bits (a multiple of 8) with the bits `ns` set (bit 0 leftmost, as
-- get_bit counts): built as hexadecimal text, a cost per number, not per bit.
CREATE FUNCTION search_bits_of(ns integer[], len integer) RETURNS bit varying
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ('x' || coalesce(string_agg(repeat('00', b.byte - b.prev - 1)
                                       || lpad(to_hex(b.v), 2, '0'), '' ORDER BY b.byte), '')
            || repeat('00', len / 8 - coalesce(max(b.byte), -1) - 1))::varbit
    FROM (SELECT y.byte, lag(y.byte, 1, -1) OVER (ORDER BY y.byte) AS prev, y.v
          FROM (SELECT n / 8 AS byte, bit_or(128 >> (n % 8)) AS v
                FROM unnest(ns) AS u(n) GROUP BY n / 8) y) b;
$$;

-- `bits` with the bits `sets` set and the bits `clears` cleared.
CREATE FUNCTION search_bits_change(bits bit varying, sets integer[], clears integer[])
RETURNS bit varying
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN cardinality(clears) = 0 THEN b
                ELSE b & ~search_bits_of(clears, length(bits)) END
    FROM (SELECT CASE WHEN cardinality(sets) = 0 THEN bits
                      ELSE bits | search_bits_of(sets, length(bits)) END AS b) x;
$$;

-- Takes the store's row (created when missing) FOR UPDATE: what every writer of the
-- store's numbers and bitmaps does first. Null while the store itself is being
-- deleted (its bitmaps go with it).
CREATE FUNCTION search_store_lock(p_store text) RETURNS search_stores
LANGUAGE plpgsql AS $$
DECLARE
    s search_stores;
BEGIN
    SELECT * INTO s FROM search_stores WHERE store_id = p_store FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO search_stores (store_id)
        SELECT p_store WHERE EXISTS (SELECT 1 FROM stores WHERE id = p_store)
        ON CONFLICT DO NOTHING;
        SELECT * INTO s FROM search_stores WHERE store_id = p_store FOR UPDATE;
    END IF;
    RETURN s;
END $$;

-- Numbers the products a statement inserted, in the order of their creation time (the
-- latest id first among equal times, so that the highest number is what the listings
-- list first), and grows the store's bitmaps when the numbers pass their length.
CREATE FUNCTION product_numbers_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    s search_stores;
    needed integer;
    grown integer;
BEGIN
    FOR r IN SELECT p.store_id, count(*)::int AS k FROM new_products p
             GROUP BY p.store_id ORDER BY p.store_id LOOP
        s := search_store_lock(r.store_id);
        INSERT INTO product_numbers (product_id, store_id, n)
        SELECT p.id, p.store_id,
               s.next_number - 1 + row_number() OVER (ORDER BY p.created_at, p.id DESC)
        FROM new_products p WHERE p.store_id = r.store_id
        ON CONFLICT (product_id) DO UPDATE SET store_id = EXCLUDED.store_id, n = EXCLUDED.n;
        needed := s.next_number + r.k;
        grown := CASE WHEN needed > s.capacity THEN (needed * 5 / 4 / 8192 + 1) * 8192
                      ELSE s.capacity END;
        UPDATE search_stores SET next_number = needed, capacity = grown
        WHERE store_id = r.store_id;
        IF grown > s.capacity THEN
            UPDATE search_word_bits SET bits = bits || repeat('0', grown - s.capacity)::varbit
            WHERE store_id = r.store_id;
            UPDATE search_entry_bits SET bits = bits || repeat('0', grown - s.capacity)::varbit
            WHERE store_id = r.store_id;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- Named to fire before the products' other triggers of the statement (PostgreSQL fires
-- them in name order): the documents' trigger then finds the numbers for the bitmaps.
CREATE TRIGGER products_0_numbers AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_products
    FOR EACH STATEMENT EXECUTE FUNCTION product_numbers_follow();

-- Every product has its number: those there are, per store in creation order.
INSERT INTO search_stores (store_id, next_number, capacity)
SELECT s.id, count(p.id), (count(p.id) * 5 / 4 / 8192 + 1) * 8192
FROM stores s LEFT JOIN products p ON p.store_id = s.id
GROUP BY s.id;

INSERT INTO product_numbers (product_id, store_id, n)
SELECT p.id, p.store_id,
       row_number() OVER (PARTITION BY p.store_id ORDER BY p.created_at, p.id DESC) - 1
FROM products p;

-- The product documents' trigger (migrations 0023 and 0025) writing only what changed:
-- it deleted and inserted again every word and the menu entries of each product whose
-- document a statement rebuilt, so that a price change rewrote every bitmap of the
-- product's words twice. Now a word the product no longer carries is deleted, a new
-- one inserted, a word whose best field moved updated, and the entries row updated
-- only when it differs (the bitmaps' triggers see the same differences).
CREATE OR REPLACE FUNCTION product_search_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d_product text[];
    d_store text[];
    d_word text[];
    d_field smallint[];
BEGIN
    SELECT coalesce(array_agg(n.product_id), '{}'), coalesce(array_agg(n.store_id), '{}'),
           coalesce(array_agg(w.word), '{}'), coalesce(array_agg(w.field), '{}')
    INTO d_product, d_store, d_word, d_field
    FROM new_docs n, product_search_words(n.doc::jsonb) w
    WHERE n.doc ->> 'status' = 'published';
    DELETE FROM product_search_terms t USING new_docs n
    WHERE t.product_id = n.product_id
      AND NOT EXISTS (SELECT 1 FROM unnest(d_product, d_word) AS x(p, w)
                      WHERE x.p = t.product_id AND x.w = t.word);
    INSERT INTO product_search_terms AS t (product_id, store_id, word, field)
    SELECT x.p, x.s, x.w, x.f FROM unnest(d_product, d_store, d_word, d_field) AS x(p, s, w, f)
    ON CONFLICT (product_id, word) DO UPDATE SET field = EXCLUDED.field
    WHERE t.field <> EXCLUDED.field;
    INSERT INTO search_vocabulary (store_id, word)
    SELECT DISTINCT x.s, x.w FROM unnest(d_store, d_word) AS x(s, w)
    ORDER BY x.s, x.w
    ON CONFLICT DO NOTHING;
    DELETE FROM product_facet_entries f USING new_docs n
    WHERE f.product_id = n.product_id AND n.doc ->> 'status' IS DISTINCT FROM 'published';
    INSERT INTO product_facet_entries AS f (product_id, store_id, entries)
    SELECT n.product_id, n.store_id, product_facet_entries_of(n.product_id)
    FROM new_docs n
    WHERE n.doc ->> 'status' = 'published'
    ON CONFLICT (product_id) DO UPDATE SET entries = EXCLUDED.entries
    WHERE f.entries IS DISTINCT FROM EXCLUDED.entries;
    RETURN NULL;
END $$;

-- Words: a statement's changed rows of `product_search_terms` (`changed`, with its
-- products' numbers) set (`on`) or clear their bits in the bitmaps of common words; a
-- word a statement takes to the common count gets its bitmaps, built from its rows.
CREATE FUNCTION search_word_bits_apply(d_store text[], d_word text[], d_field smallint[],
                                       d_product text[], d_on boolean[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    FOR st IN SELECT DISTINCT x FROM unnest(d_store) x ORDER BY 1 LOOP
        PERFORM search_store_lock(st);
    END LOOP;
    -- The changes to words that have bitmaps.
    WITH d AS (
        SELECT u.s, u.w, u.f, pn.n, u.o
        FROM unnest(d_store, d_word, d_field, d_product, d_on) AS u(s, w, f, p, o)
        JOIN product_numbers pn ON pn.product_id = u.p
        WHERE EXISTS (SELECT 1 FROM search_word_bits b WHERE b.store_id = u.s AND b.word = u.w)),
    per AS (
        SELECT d.s, d.w, d.f, coalesce(array_agg(d.n) FILTER (WHERE d.o), '{}') AS sets,
               coalesce(array_agg(d.n) FILTER (WHERE NOT d.o), '{}') AS clears
        FROM d GROUP BY d.s, d.w, d.f),
    changed AS (
        UPDATE search_word_bits b SET bits = search_bits_change(b.bits, per.sets, per.clears)
        FROM per WHERE b.store_id = per.s AND b.word = per.w AND b.field = per.f
        RETURNING b.store_id, b.word, b.field)
    -- A common word's first product in a field: that field's bitmap.
    INSERT INTO search_word_bits (store_id, word, field, bits)
    SELECT per.s, per.w, per.f, search_bits_of(per.sets, ss.capacity)
    FROM per JOIN search_stores ss ON ss.store_id = per.s
    WHERE cardinality(per.sets) > 0
      AND NOT EXISTS (SELECT 1 FROM changed c
                      WHERE c.store_id = per.s AND c.word = per.w AND c.field = per.f);
    -- Words now carried by enough products get their bitmaps.
    INSERT INTO search_word_bits (store_id, word, field, bits)
    SELECT t.store_id, t.word, t.field, search_bits_of(array_agg(pn.n), ss.capacity)
    FROM (SELECT DISTINCT u.s, u.w FROM unnest(d_store, d_word, d_on) AS u(s, w, o)
          WHERE u.o AND NOT EXISTS (
              SELECT 1 FROM search_word_bits b WHERE b.store_id = u.s AND b.word = u.w)) c
    JOIN search_stores ss ON ss.store_id = c.s
    JOIN product_search_terms t ON t.store_id = c.s AND t.word = c.w
    JOIN product_numbers pn ON pn.product_id = t.product_id
    WHERE (SELECT count(*) FROM (
               SELECT 1 FROM product_search_terms x WHERE x.store_id = c.s AND x.word = c.w
               LIMIT search_bits_common()) k) >= search_bits_common()
    GROUP BY t.store_id, t.word, t.field, ss.capacity;
END $$;

CREATE FUNCTION search_word_bits_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM search_word_bits_apply(array_agg(c.store_id), array_agg(c.word),
                                       array_agg(c.field), array_agg(c.product_id),
                                       array_agg(true))
        FROM new_terms c HAVING count(*) > 0;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM search_word_bits_apply(array_agg(c.store_id), array_agg(c.word),
                                       array_agg(c.field), array_agg(c.product_id),
                                       array_agg(false))
        FROM old_terms c HAVING count(*) > 0;
    ELSE
        PERFORM search_word_bits_apply(array_agg(c.store_id), array_agg(c.word),
                                       array_agg(c.field), array_agg(c.product_id),
                                       array_agg(c.o))
        FROM (SELECT o.store_id, o.word, o.field, o.product_id, false AS o FROM old_terms o
              UNION ALL
              SELECT n.store_id, n.word, n.field, n.product_id, true FROM new_terms n) c
        HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER product_search_terms_bits_ins AFTER INSERT ON product_search_terms
    REFERENCING NEW TABLE AS new_terms
    FOR EACH STATEMENT EXECUTE FUNCTION search_word_bits_follow();
CREATE TRIGGER product_search_terms_bits_upd AFTER UPDATE ON product_search_terms
    REFERENCING OLD TABLE AS old_terms NEW TABLE AS new_terms
    FOR EACH STATEMENT EXECUTE FUNCTION search_word_bits_follow();
CREATE TRIGGER product_search_terms_bits_del AFTER DELETE ON product_search_terms
    REFERENCING OLD TABLE AS old_terms
    FOR EACH STATEMENT EXECUTE FUNCTION search_word_bits_follow();

-- Entries: as words, every entry having its bitmap (up to the store's bound).
CREATE FUNCTION search_entry_bits_apply(d_store text[], d_entry text[], d_product text[],
                                        d_on boolean[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    FOR st IN SELECT DISTINCT x FROM unnest(d_store) x ORDER BY 1 LOOP
        PERFORM search_store_lock(st);
    END LOOP;
    WITH per AS (
        SELECT u.s, u.e, coalesce(array_agg(pn.n) FILTER (WHERE u.o), '{}') AS sets,
               coalesce(array_agg(pn.n) FILTER (WHERE NOT u.o), '{}') AS clears
        FROM unnest(d_store, d_entry, d_product, d_on) AS u(s, e, p, o)
        JOIN product_numbers pn ON pn.product_id = u.p
        GROUP BY u.s, u.e),
    changed AS (
        UPDATE search_entry_bits b SET bits = search_bits_change(b.bits, per.sets, per.clears)
        FROM per WHERE b.store_id = per.s AND b.entry = per.e
        RETURNING b.store_id, b.entry),
    missing AS (
        SELECT per.* FROM per
        WHERE cardinality(per.sets) > 0
          AND NOT EXISTS (SELECT 1 FROM changed c WHERE c.store_id = per.s AND c.entry = per.e)),
    room AS (
        SELECT m.s, ss.capacity,
               ss.entries_complete AND (SELECT count(*) FROM search_entry_bits b WHERE b.store_id = m.s)
                   + count(*) <= search_bits_entries_max() AS fits
        FROM missing m JOIN search_stores ss ON ss.store_id = m.s
        GROUP BY m.s, ss.capacity, ss.entries_complete),
    full_stores AS (
        UPDATE search_stores ss SET entries_complete = false
        FROM room WHERE ss.store_id = room.s AND NOT room.fits AND ss.entries_complete
        RETURNING ss.store_id)
    INSERT INTO search_entry_bits (store_id, entry, bits)
    SELECT m.s, m.e, search_bits_of(m.sets, room.capacity)
    FROM missing m JOIN room ON room.s = m.s
    WHERE room.fits;
END $$;

CREATE FUNCTION search_entry_bits_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM search_entry_bits_apply(array_agg(n.store_id), array_agg(e),
                                        array_agg(n.product_id), array_agg(true))
        FROM new_entries n CROSS JOIN LATERAL unnest(n.entries) e HAVING count(*) > 0;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM search_entry_bits_apply(array_agg(o.store_id), array_agg(e),
                                        array_agg(o.product_id), array_agg(false))
        FROM old_entries o CROSS JOIN LATERAL unnest(o.entries) e HAVING count(*) > 0;
    ELSE
        -- Only what changed: an entry a product gained or lost.
        PERFORM search_entry_bits_apply(array_agg(c.store_id), array_agg(c.e),
                                        array_agg(c.product_id), array_agg(c.o))
        FROM (
            (SELECT n.store_id, n.product_id, e, true AS o
             FROM new_entries n CROSS JOIN LATERAL unnest(n.entries) e
             EXCEPT
             SELECT o.store_id, o.product_id, e, true
             FROM old_entries o CROSS JOIN LATERAL unnest(o.entries) e)
            UNION ALL
            (SELECT o.store_id, o.product_id, e, false
             FROM old_entries o CROSS JOIN LATERAL unnest(o.entries) e
             EXCEPT
             SELECT n.store_id, n.product_id, e, false
             FROM new_entries n CROSS JOIN LATERAL unnest(n.entries) e)) c
        HAVING count(*) > 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER product_facet_entries_bits_ins AFTER INSERT ON product_facet_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION search_entry_bits_follow();
CREATE TRIGGER product_facet_entries_bits_upd AFTER UPDATE ON product_facet_entries
    REFERENCING OLD TABLE AS old_entries NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION search_entry_bits_follow();
CREATE TRIGGER product_facet_entries_bits_del AFTER DELETE ON product_facet_entries
    REFERENCING OLD TABLE AS old_entries
    FOR EACH STATEMENT EXECUTE FUNCTION search_entry_bits_follow();

-- Builds the store's entries' bitmaps again, when its entries are within the bound
-- (then `entries_complete`; otherwise none, and the store's menus are counted by rows);
-- returns whether they were.
CREATE FUNCTION search_entry_bits_rebuild(p_store text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    s search_stores;
    entries bigint;
BEGIN
    s := search_store_lock(p_store);
    DELETE FROM search_entry_bits WHERE store_id = p_store;
    SELECT count(DISTINCT e) INTO entries
    FROM product_facet_entries f CROSS JOIN LATERAL unnest(f.entries) e
    WHERE f.store_id = p_store;
    IF entries <= search_bits_entries_max() THEN
        INSERT INTO search_entry_bits (store_id, entry, bits)
        SELECT p_store, e, search_bits_of(array_agg(pn.n), s.capacity)
        FROM product_facet_entries f CROSS JOIN LATERAL unnest(f.entries) e
        JOIN product_numbers pn ON pn.product_id = f.product_id
        WHERE f.store_id = p_store
        GROUP BY e;
    END IF;
    UPDATE search_stores SET entries_complete = entries <= search_bits_entries_max()
    WHERE store_id = p_store;
    RETURN entries <= search_bits_entries_max();
END $$;

-- Builds every bitmap of a store again from its words and entries: the common words'
-- and the entries' (search_entry_bits_rebuild). The initial build below; afterwards a
-- repair by hand.
CREATE FUNCTION search_bits_rebuild(p_store text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    s search_stores;
BEGIN
    s := search_store_lock(p_store);
    DELETE FROM search_word_bits WHERE store_id = p_store;
    INSERT INTO search_word_bits (store_id, word, field, bits)
    SELECT p_store, t.word, t.field, search_bits_of(array_agg(pn.n), s.capacity)
    FROM product_search_terms t JOIN product_numbers pn ON pn.product_id = t.product_id
    WHERE t.store_id = p_store AND t.word IN (
        SELECT x.word FROM product_search_terms x WHERE x.store_id = p_store
        GROUP BY x.word HAVING count(*) >= search_bits_common())
    GROUP BY t.word, t.field;
    PERFORM search_entry_bits_rebuild(p_store);
END $$;

-- Stores searched by rows since their menu entries went over the bound get their
-- entries' bitmaps back once the entries fit again; returns how many did. The Worker's
-- five-minute cron calls it (commerce::search::repo::settle_bitmaps).
CREATE FUNCTION search_bits_settle() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    st text;
    settled bigint := 0;
BEGIN
    FOR st IN SELECT ss.store_id FROM search_stores ss WHERE NOT ss.entries_complete
              ORDER BY ss.store_id LOOP
        IF (SELECT count(DISTINCT e) FROM product_facet_entries f
            CROSS JOIN LATERAL unnest(f.entries) e WHERE f.store_id = st)
           <= search_bits_entries_max()
           AND search_entry_bits_rebuild(st) THEN
            settled := settled + 1;
        END IF;
    END LOOP;
    RETURN settled;
END $$;

SELECT search_bits_rebuild(s.id) FROM stores s ORDER BY s.id;

-- The positions of the set bits of `bits` from the last backwards, skipping the first
-- `skip` of them, at most `take`: the newest products of a ranking bucket. Counted in
-- slices of 512 bits from the end, so that a deep page skips slices by their count.
CREATE FUNCTION search_bits_last(bits bit varying, skip integer, take integer)
RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    stop integer := length(bits);
    start integer;
    slice bit varying;
    ones integer;
    got integer[] := '{}';
BEGIN
    WHILE stop > 0 AND cardinality(got) < take LOOP
        start := greatest(0, stop - 512);
        slice := substring(bits FROM start + 1 FOR stop - start);
        ones := bit_count(slice)::int;
        IF ones <= skip THEN
            skip := skip - ones;
        ELSIF ones > 0 THEN
            got := got || (
                SELECT array_agg(start + k::int - 1 ORDER BY k DESC)
                FROM string_to_table(slice::text, NULL) WITH ORDINALITY AS x(c, k)
                WHERE c = '1')[skip + 1 : skip + take - cardinality(got)];
            skip := 0;
        END IF;
        stop := start;
    END LOOP;
    RETURN got;
END $$;

-- A search (`terms`: commerce::search's resolved words, as for search_matches), within
-- the products of menu entries `p_within` when given (categories `c…` and collections
-- `l…`: any of a kind's, every kind; an inactive category's none, as the listings),
-- answered from bitmaps: rows of (`kind`, `key`, `value`):
--   ('total', NULL, the number of matches),
--   ('page', a product id, its place from 1) for the page of `p_limit` from `p_offset`,
--     ranked as the SQL path ranks: fewer typos, then better fields, then more exact
--     words, then the highest number (the product added last) first;
--   ('entry', a menu entry, its number of matches) when `p_menus`, for the entries the
--     menus read (options, categories, collections, prices in `p_currency`, filterable
--     attributes, `s`), those with matches only;
-- or a single ('rows', why, 0) when rows answer better or it cannot: a word without a
-- common candidate (its rows are few: search_matches is quick), a rare part too large
-- (a one-letter prefix), menus asked of a store over the entries' bound.
CREATE FUNCTION search_bits_listing(p_store text, terms jsonb, p_currency text,
                                    p_limit integer, p_offset integer, p_menus boolean,
                                    p_within text[])
RETURNS TABLE (kind text, key text, value bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET jit = off AS $$
DECLARE
    s search_stores;
    zero bit varying;
    word_o integer;
    rare_max constant integer := 20000;
    rare_rows bigint;
    prefix_max constant integer := 2000;
    prefix_words bigint;
    common_rows bigint;
    hit_t bit varying[];
    hit_f bit varying[];
    hit_e bit varying;
    seen bit varying;
    part_t bit varying;
    part_f bit varying;
    class_keys integer[];
    class_bits bit varying[];
    keys integer[];
    bits bit varying[];
    new_keys integer[];
    new_bits bit varying[];
    i integer;
    j integer;
    b bit varying;
    k integer;
    pos integer;
    total bigint := 0;
    ones bigint;
    matched bit varying;
    within bit varying;
    skip integer := p_offset;
    want integer := p_limit;
    picked integer[];
    place bigint := p_offset;
    ord integer[];
BEGIN
    SELECT * INTO s FROM search_stores ss WHERE ss.store_id = p_store;
    IF NOT FOUND OR s.capacity = 0 THEN
        RETURN QUERY SELECT 'rows'::text, 'no numbers'::text, 0::bigint;
        RETURN;
    END IF;
    IF (p_menus OR cardinality(p_within) > 0) AND NOT s.entries_complete THEN
        RETURN QUERY SELECT 'rows'::text, 'entries over the bound'::text, 0::bigint;
        RETURN;
    END IF;
    zero := repeat('0', s.capacity)::varbit;
    IF cardinality(p_within) > 0 THEN
        SELECT bit_and(k.bits) INTO within FROM (
            SELECT coalesce(bit_or(b.bits), zero) AS bits
            FROM unnest(p_within) AS w(e)
            LEFT JOIN search_entry_bits b
              ON b.store_id = p_store AND b.entry = w.e
             AND (left(w.e, 1) <> 'c' OR EXISTS (
                     SELECT 1 FROM product_categories c
                     WHERE c.store_id = p_store AND c.id = substr(w.e, 3) AND c.is_active))
            GROUP BY left(w.e, 1)) k;
    END IF;
    FOR word_o IN SELECT DISTINCT (e ->> 'o')::int FROM jsonb_array_elements(terms) e ORDER BY 1
    LOOP
        -- The word's hits as bitmaps by (typos, field, exact): its candidates' common
        -- words' bitmaps, and its rare words' rows made into bitmaps; then each
        -- product's best typos, best field and whether an exact word, as the hits with
        -- t typos, in field f, exact.
        WITH RECURSIVE c AS (
            SELECT * FROM jsonb_to_recordset(terms) AS c(o int, w text, t int, e bool, p bool)
            WHERE c.o = word_o),
        -- The words a prefix candidate begins, one index probe each.
        prefixed(cw, w) AS (
            SELECT c.w, (SELECT t.word FROM product_search_terms t
                         WHERE t.store_id = p_store AND t.word ~>~ c.w
                           AND t.word ~<~ (c.w || chr(1114111))
                         ORDER BY t.word USING ~<~ LIMIT 1)
            FROM c WHERE c.p
            UNION ALL
            SELECT x.cw, (SELECT t.word FROM product_search_terms t
                          WHERE t.store_id = p_store AND t.word ~>~ x.w
                            AND t.word ~<~ (x.cw || chr(1114111))
                          ORDER BY t.word USING ~<~ LIMIT 1)
            FROM prefixed x WHERE x.w IS NOT NULL),
        begun AS (SELECT * FROM prefixed x WHERE x.w IS NOT NULL LIMIT prefix_max + 1),
        words AS (
            SELECT c.t, c.e, c.w AS cw, c.w FROM c
            UNION ALL
            SELECT c.t, false, c.w, x.w FROM c JOIN begun x ON x.cw = c.w),
        rare AS (
            SELECT w.t, t.field::int AS f, w.e AND w.w = w.cw AS e, pn.n
            FROM words w
            JOIN product_search_terms t ON t.store_id = p_store AND t.word = w.w
            JOIN product_numbers pn ON pn.product_id = t.product_id
            WHERE NOT EXISTS (SELECT 1 FROM search_word_bits b
                              WHERE b.store_id = p_store AND b.word = w.w)
            LIMIT rare_max + 1),
        hits AS (
            SELECT true AS common, c.t, b.field::int AS f, c.e AND b.word = c.w AS e, b.bits
            FROM c JOIN search_word_bits b
              ON b.store_id = p_store AND (b.word = c.w OR (c.p AND starts_with(b.word, c.w)))
            UNION ALL
            SELECT false, r.t, r.f, r.e, search_bits_of(array_agg(r.n), s.capacity)
            FROM rare r GROUP BY r.t, r.f, r.e)
        SELECT count(*) FILTER (WHERE h.common),
               (SELECT count(*) FROM rare), (SELECT count(*) FROM begun),
               array[coalesce(bit_or(h.bits) FILTER (WHERE h.t = 0), zero),
                     coalesce(bit_or(h.bits) FILTER (WHERE h.t = 1), zero),
                     coalesce(bit_or(h.bits) FILTER (WHERE h.t >= 2), zero)],
               array[coalesce(bit_or(h.bits) FILTER (WHERE h.f = 0), zero),
                     coalesce(bit_or(h.bits) FILTER (WHERE h.f = 1), zero),
                     coalesce(bit_or(h.bits) FILTER (WHERE h.f = 2), zero),
                     coalesce(bit_or(h.bits) FILTER (WHERE h.f = 3), zero)],
               coalesce(bit_or(h.bits) FILTER (WHERE h.e), zero)
        INTO common_rows, rare_rows, prefix_words, hit_t, hit_f, hit_e
        FROM hits h;
        -- A word whose candidates are all rare has few products: search_matches
        -- starts from them (the caller asks only when every word has a common one:
        -- Resolved::common).
        IF common_rows = 0 THEN
            RETURN QUERY SELECT 'rows'::text, 'a rare word'::text, 0::bigint;
            RETURN;
        END IF;
        IF rare_rows > rare_max OR prefix_words > prefix_max THEN
            RETURN QUERY SELECT 'rows'::text, 'a large rare part'::text, 0::bigint;
            RETURN;
        END IF;
        -- The word's classes: (typos, field, exact) -> the products in it.
        class_keys := '{}';
        class_bits := '{}';
        seen := zero;
        FOR i IN 0..2 LOOP
            part_t := hit_t[i + 1] & ~seen;
            seen := seen | hit_t[i + 1];
            CONTINUE WHEN bit_count(part_t) = 0;
            b := zero;
            FOR j IN 0..3 LOOP
                part_f := part_t & hit_f[j + 1] & ~b;
                b := b | hit_f[j + 1];
                CONTINUE WHEN bit_count(part_f) = 0;
                IF bit_count(part_f & hit_e) > 0 THEN
                    class_keys := class_keys || (i * 10000 + j * 100 + 1);
                    class_bits := class_bits || (part_f & hit_e);
                END IF;
                IF bit_count(part_f & ~hit_e) > 0 THEN
                    class_keys := class_keys || (i * 10000 + j * 100);
                    class_bits := class_bits || (part_f & ~hit_e);
                END IF;
            END LOOP;
        END LOOP;
        -- Combined with the words before: the sums of their classes.
        IF keys IS NULL THEN
            keys := '{}';
            bits := '{}';
            FOR j IN 1..coalesce(cardinality(class_keys), 0) LOOP
                b := CASE WHEN within IS NULL THEN class_bits[j] ELSE class_bits[j] & within END;
                CONTINUE WHEN bit_count(b) = 0;
                keys := keys || class_keys[j];
                bits := bits || b;
            END LOOP;
        ELSE
            IF cardinality(keys) * cardinality(class_keys) > 600 THEN
                RETURN QUERY SELECT 'rows'::text, 'too many classes'::text, 0::bigint;
                RETURN;
            END IF;
            new_keys := '{}';
            new_bits := '{}';
            FOR i IN 1..coalesce(cardinality(keys), 0) LOOP
                FOR j IN 1..coalesce(cardinality(class_keys), 0) LOOP
                    b := bits[i] & class_bits[j];
                    CONTINUE WHEN bit_count(b) = 0;
                    k := keys[i] + class_keys[j];
                    pos := array_position(new_keys, k);
                    IF pos IS NULL THEN
                        new_keys := new_keys || k;
                        new_bits := new_bits || b;
                    ELSE
                        new_bits[pos] := new_bits[pos] | b;
                    END IF;
                END LOOP;
            END LOOP;
            keys := new_keys;
            bits := new_bits;
        END IF;
        EXIT WHEN cardinality(keys) = 0;
    END LOOP;
    IF keys IS NULL THEN
        keys := '{}';
    END IF;
    -- The buckets best first: fewer typos, better fields, more exact words (the key's
    -- last two digits).
    SELECT coalesce(array_agg(x.i ORDER BY x.k / 100, x.k % 100 DESC), '{}') INTO ord
    FROM unnest(keys) WITH ORDINALITY AS x(k, i);
    matched := zero;
    FOREACH i IN ARRAY ord LOOP
        ones := bit_count(bits[i]);
        total := total + ones;
        matched := matched | bits[i];
        CONTINUE WHEN want = 0;
        IF skip >= ones THEN
            skip := skip - ones;
            CONTINUE;
        END IF;
        picked := search_bits_last(bits[i], skip, want);
        skip := 0;
        want := want - cardinality(picked);
        RETURN QUERY
        SELECT 'page'::text, pn.product_id, place + u.k
        FROM unnest(picked) WITH ORDINALITY AS u(n, k)
        JOIN product_numbers pn ON pn.store_id = p_store AND pn.n = u.n;
        place := place + cardinality(picked);
    END LOOP;
    RETURN QUERY SELECT 'total'::text, NULL::text, total;
    IF p_menus AND total > 0 THEN
        RETURN QUERY
        SELECT 'entry'::text, x.entry, x.products FROM (
            SELECT eb.entry, bit_count(matched & eb.bits) AS products
            FROM search_entry_bits eb
            WHERE eb.store_id = p_store
              AND (left(eb.entry, 2) IN ('o' || chr(31), 'c' || chr(31), 'l' || chr(31))
                   OR eb.entry = 's'
                   OR starts_with(eb.entry, 'p' || chr(31) || coalesce(p_currency, '') || chr(31))
                   OR (starts_with(eb.entry, 'a' || chr(31)) AND EXISTS (
                       SELECT 1 FROM product_attributes a
                       WHERE a.store_id = p_store AND a.filterable
                         AND a.key = split_part(eb.entry, chr(31), 2))))) x
        WHERE x.products > 0;
    END IF;
END $$;
