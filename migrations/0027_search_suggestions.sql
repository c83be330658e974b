-- Suggestions while typing, read in the search words' index order and stopped as soon
-- as there are enough: the store's published products whose titles carry every word
-- typed (the last as a prefix) first, then products carrying every word in any field,
-- as the search page finds them. Within each, fewer typos in the last word first, the
-- word typed before the words it begins, then words and products in index order
-- (`product_search_terms_lookup_idx`, migration 0024).
--
-- Ranking every match the way the search page does costs what the matches number: a
-- two-letter prefix in a 100,000-product store matched 10,000 products and took 40 ms to
-- rank; read in index order, the first few are found in a few hundred rows (under 1 ms).
-- So that words seldom found together cost no more than that, each candidate of the
-- last word offers the first 1,000 of its rows per pass (12 ms when none of them has
-- the other words): a product beyond them is found by the search page, not suggested.
--
-- Titles' words have an index of their own, so that the first pass does not walk the
-- other fields' words ("gen" begins a word of every description in that store).
CREATE INDEX product_search_titles_idx
    ON product_search_terms (store_id, word text_pattern_ops, product_id) WHERE field = 0;

CREATE FUNCTION search_suggestions(p_store text, terms jsonb, p_limit int)
RETURNS TABLE (product_id text)
LANGUAGE plpgsql STABLE PARALLEL SAFE ROWS 10
SET jit = off SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    last_word int;
    anywhere boolean;
    c record;
    r record;
    -- The words typed before the last, each as its candidates joined by chr(31).
    earlier text[];
    seen text[] := '{}';
BEGIN
    SELECT max((e ->> 'o')::int) INTO last_word FROM jsonb_array_elements(terms) e;
    IF last_word IS NULL OR p_limit < 1 THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(x.candidates), '{}') INTO earlier FROM (
        SELECT string_agg(y.w, chr(31)) AS candidates
        FROM jsonb_to_recordset(terms) AS y(o int, w text)
        WHERE y.o < last_word GROUP BY y.o) x;
    <<passes>>
    FOREACH anywhere IN ARRAY ARRAY[false, true] LOOP
        FOR c IN
            SELECT * FROM jsonb_to_recordset(terms) AS x(o int, w text, t int, e bool, p bool)
            WHERE x.o = last_word ORDER BY x.t, x.p, x.w
        LOOP
            FOR r IN
                SELECT s.product_id FROM (
                    SELECT t.product_id, t.word FROM product_search_terms t
                    WHERE t.store_id = p_store
                      AND (anywhere OR t.field = 0)
                      AND CASE WHEN c.p
                          THEN t.word ~>~ c.w AND t.word ~<~ (c.w || chr(1114111))
                          ELSE t.word = c.w END
                    ORDER BY t.word USING ~<~, t.product_id
                    LIMIT 1000) s
                -- Every word typed before the last, by one of its candidates.
                WHERE NOT EXISTS (
                    SELECT 1 FROM unnest(earlier) g
                    WHERE NOT EXISTS (
                        SELECT 1 FROM product_search_terms u
                        WHERE u.product_id = s.product_id
                          AND u.word = ANY (string_to_array(g, chr(31)))
                          AND (anywhere OR u.field = 0)))
                ORDER BY s.word USING ~<~, s.product_id
            LOOP
                CONTINUE WHEN r.product_id = ANY (seen);
                seen := seen || r.product_id;
                product_id := r.product_id;
                RETURN NEXT;
                EXIT passes WHEN cardinality(seen) >= p_limit;
            END LOOP;
        END LOOP;
    END LOOP;
END $$;
