-- Whether a product can ship now, kept among its menu entries (migration 0025) as the
-- entry `s`, so that a listing's "in stock" count is one more entry counted rather
-- than a walk over every match's variants and stock levels (half the time of a search
-- matching every product of a 100,000-product store).
--
-- A product can ship now when one of its variants does not track stock or has more
-- stocked than reserved over its locations: the listings' `in_stock` filter, per
-- product. Stock moves with every checkout, so the entry follows the stock levels
-- themselves, in the transaction that moves them: a statement touching levels looks
-- at the products of their variants and adds or removes `s` only where the answer
-- changed (a product selling out or coming back), so a checkout pays a lookup of its
-- products' few levels and writes nothing more in the usual case (measured: 0.13 ms
-- per statement writing stock levels, on a 100,000-product store).

-- (plpgsql, whose plans are kept per session: a SQL function with a sub-select is not
-- inlined, so it was planned at every call, 0.15 ms per stock write.)
CREATE FUNCTION product_ships_now(p_id text) RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM product_variants v
        WHERE v.product_id = p_id AND (NOT v.manage_inventory OR (
            SELECT coalesce(sum(il.stocked - il.reserved), 0)
            FROM inventory_levels il WHERE il.variant_id = v.id) > 0));
END $$;

-- The entries of migration 0025 keep their name for what the catalog's tables give;
-- a product's entries are those and `s` when it can ship now.
ALTER FUNCTION product_facet_entries_of(text) RENAME TO product_catalog_entries_of;

CREATE FUNCTION product_facet_entries_of(p_id text) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT product_catalog_entries_of(p_id)
           || CASE WHEN product_ships_now(p_id) THEN ARRAY['s'] ELSE '{}'::text[] END;
$$;

-- Sets the entry `s` of the products `ids` to what their stock says now, writing only
-- where it changed; returns how many changed. (plpgsql: its plan is kept per session,
-- and the stock trigger calls it on the checkout's path.)
CREATE FUNCTION product_stock_settle(ids text[]) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    changed bigint;
BEGIN
    UPDATE product_facet_entries f
    SET entries = CASE WHEN x.ships THEN array_append(f.entries, 's')
                       ELSE array_remove(f.entries, 's') END
    FROM (SELECT t.id, product_ships_now(t.id) AS ships FROM unnest(ids) AS t(id)) x
    WHERE f.product_id = x.id AND x.ships <> ('s' = ANY (f.entries));
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END $$;

-- The stock levels' trigger (one per event, each naming its rows `changed_levels`).
-- A bulk load deferring product documents (`edgeshop.defer_product_docs`, migration
-- 0006) computes the entries when it refreshes them.
CREATE FUNCTION product_stock_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('edgeshop.defer_product_docs', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM product_stock_settle(ARRAY(
        SELECT DISTINCT v.product_id FROM changed_levels c
        JOIN product_variants v ON v.id = c.variant_id));
    RETURN NULL;
END $$;

-- The entry can lag in one race: two transactions selling the last units of two
-- variants of one product at the same moment each still see the other's variant free
-- (neither has committed) and both leave `s`. Serialising them would take a lock per
-- product on the checkout's path, ordered against the stock rows' locks; instead the
-- Worker's five-minute cron calls `product_stock_repair`, which settles every product
-- whose stock moved since `since` (every write to a stock level sets its `updated_at`)
-- and returns how many it corrected. `updated_at` is not indexed: an index would cost
-- every checkout its HOT update, and the repair reads the levels once per run.
CREATE FUNCTION product_stock_repair(since timestamptz) RETURNS bigint
LANGUAGE sql AS $$
    SELECT product_stock_settle(ARRAY(
        SELECT DISTINCT v.product_id FROM inventory_levels il
        JOIN product_variants v ON v.id = il.variant_id
        WHERE il.updated_at >= since));
$$;

CREATE TRIGGER inventory_levels_stock_ins AFTER INSERT ON inventory_levels
    REFERENCING NEW TABLE AS changed_levels
    FOR EACH STATEMENT EXECUTE FUNCTION product_stock_follow();
CREATE TRIGGER inventory_levels_stock_upd AFTER UPDATE ON inventory_levels
    REFERENCING NEW TABLE AS changed_levels
    FOR EACH STATEMENT EXECUTE FUNCTION product_stock_follow();
CREATE TRIGGER inventory_levels_stock_del AFTER DELETE ON inventory_levels
    REFERENCING OLD TABLE AS changed_levels
    FOR EACH STATEMENT EXECUTE FUNCTION product_stock_follow();

UPDATE product_facet_entries f SET entries = product_facet_entries_of(f.product_id);
