-- Stock management by staff: an optimistic version on each inventory level, the
-- inventory ledger, one row per manual change of a count (who, why, before, after),
-- and the level under which a variant counts as running low.
--
-- `version` moves whenever `stocked` changes, whoever changes it (a staff edit, a
-- shipment at the origin), so a count edited from a page that showed an older figure
-- is refused rather than silently overwriting what happened since. `reserved` moving
-- (checkouts holding stock) does not move it: a count is checked against what orders
-- hold at the moment it is written.
ALTER TABLE inventory_levels ADD COLUMN version bigint NOT NULL DEFAULT 1;

CREATE FUNCTION inventory_level_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.stocked IS DISTINCT FROM OLD.stocked THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER inventory_level_version BEFORE UPDATE ON inventory_levels
    FOR EACH ROW EXECUTE FUNCTION inventory_level_version();

CREATE TABLE inventory_ledger (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id       text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    variant_id     text NOT NULL,
    location_id    text NOT NULL,
    reason         text NOT NULL
                   CHECK (reason IN ('received', 'damaged', 'counted', 'returned')),
    note           text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    stocked_before integer NOT NULL,
    stocked_after  integer NOT NULL CHECK (stocked_after >= 0),
    -- Who: a member (and the API key when it came through one); the role they had.
    user_id        text,
    api_key_id     text,
    role           text,
    trace_id       text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (store_id, variant_id) REFERENCES product_variants (store_id, id) ON DELETE CASCADE,
    FOREIGN KEY (store_id, location_id) REFERENCES stock_locations (store_id, id) ON DELETE CASCADE
);
CREATE INDEX inventory_ledger_variant_idx ON inventory_ledger (variant_id, id DESC);

-- Rows are never changed (a deleted variant or location takes its rows with it).
CREATE FUNCTION inventory_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'inventory_ledger is append-only';
END $$;

CREATE TRIGGER inventory_ledger_append_only BEFORE UPDATE ON inventory_ledger
    FOR EACH ROW EXECUTE FUNCTION inventory_ledger_append_only();

-- The number of available units (over every location) at or under which a variant is
-- shown as running low. Kept apart from product_variants, whose changes rebuild the
-- product's document and move the catalog version.
CREATE TABLE variant_stock_thresholds (
    variant_id text PRIMARY KEY,
    store_id   text NOT NULL,
    threshold  integer NOT NULL CHECK (threshold >= 0),
    FOREIGN KEY (store_id, variant_id) REFERENCES product_variants (store_id, id) ON DELETE CASCADE
);
