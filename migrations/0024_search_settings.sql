-- A store's synonym groups also as staff wrote them ("T-Shirt", not the `tshirt` a
-- query compares), for the settings page to show back. Groups kept before this are
-- shown as compared.
ALTER TABLE search_synonyms ADD COLUMN IF NOT EXISTS written text[];

-- No JIT compilation for this database's sessions: the listing and search statements
-- (a page, its count and its menus in one statement each) are estimated above the JIT
-- threshold on large stores and spent more compiling (a second and more on 100,000
-- products) than running. Needs the database's owner; without, a notice says so and
-- the operator sets it (README, "Running PostgreSQL").
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'jit stays on: % (set jit = off for this database by hand)', SQLERRM;
END $$;

-- A word's products with their fields from the index alone (an index-only scan): a
-- common word's ten thousand rows no longer each visit the table.
CREATE INDEX IF NOT EXISTS product_search_terms_lookup_idx
    ON product_search_terms (store_id, word text_pattern_ops, product_id) INCLUDE (field);
DROP INDEX IF EXISTS product_search_terms_prefix_idx;
