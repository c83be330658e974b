-- 0021: daily analytics kept up to date incrementally, so a year of a busy store's
-- figures reads a few hundred rows instead of millions of events.
--
-- Every insert into analytics_events marks its (store, day) dirty; reading the figures
-- first rolls up the store's dirty days (each day recomputed from that day's events
-- alone, found by the (store_id, occurred_at) index), then reads the rollups. Days are
-- UTC days. `commerce::analytics::metrics` reads and writes these tables.
CREATE INDEX analytics_events_day_idx ON analytics_events (store_id, occurred_at);

CREATE TABLE analytics_dirty_days (
    store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    day      date NOT NULL,
    PRIMARY KEY (store_id, day)
);

CREATE FUNCTION analytics_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO analytics_dirty_days (store_id, day)
    SELECT DISTINCT store_id, (occurred_at AT TIME ZONE 'UTC')::date FROM new_rows
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER analytics_events_dirty AFTER INSERT ON analytics_events
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_dirty();

-- One row per store and day: how many distinct visitors (actors), and how many of each
-- step of the funnel.
CREATE TABLE analytics_days (
    store_id      text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    day           date NOT NULL,
    visitors      integer NOT NULL,
    product_views integer NOT NULL,
    list_views    integer NOT NULL,
    searches      integer NOT NULL,
    adds_to_cart  integer NOT NULL,
    checkouts     integer NOT NULL,
    orders        integer NOT NULL,
    PRIMARY KEY (store_id, day)
);

-- Orders and revenue (minor units) per store, day and currency.
CREATE TABLE analytics_day_revenue (
    store_id text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    day      date NOT NULL,
    currency text NOT NULL,
    orders   integer NOT NULL,
    revenue  bigint NOT NULL,
    PRIMARY KEY (store_id, day, currency)
);

-- Per product and day: views, units added to carts, units sold, and revenue per
-- currency ({"eur": 12900}).
CREATE TABLE analytics_day_products (
    store_id   text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    day        date NOT NULL,
    product_id text NOT NULL,
    views      integer NOT NULL,
    adds       integer NOT NULL,
    units      integer NOT NULL,
    revenue    jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (store_id, day, product_id)
);

-- A whole count from an event's metadata: a JSON number from 0 to 10^15, else 0 (an
-- event that says nonsense counts for nothing rather than failing the rollup).
CREATE FUNCTION analytics_int(j jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(j) = 'number' AND j::text::numeric BETWEEN 0 AND 1e15
                THEN round(j::text::numeric)::bigint ELSE 0 END
$$;

-- Events stored before this migration are rolled up on the first read.
INSERT INTO analytics_dirty_days (store_id, day)
SELECT DISTINCT store_id, (occurred_at AT TIME ZONE 'UTC')::date FROM analytics_events
ON CONFLICT DO NOTHING;
