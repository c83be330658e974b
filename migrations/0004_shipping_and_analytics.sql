-- 0004: the shipping options a region offers, and the analytics events the edge sends
-- through its events queue.

-- A way of shipping that a region offers: a flat rate, or a rate that drops to nothing
-- once the cart's items reach a threshold. Amounts are minor units of the region's
-- currency, gross or net of tax like the region's catalog prices.
CREATE TABLE shipping_options (
    id         text PRIMARY KEY,
    store_id   text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    region_id  text NOT NULL,
    name       text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('flat', 'free_over')),
    amount     bigint NOT NULL CHECK (amount >= 0),
    -- The items' amount from which a free_over option costs nothing; NULL for flat.
    threshold  bigint CHECK (threshold >= 0),
    -- Position among the region's options, 0 first.
    rank       integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, id),
    CHECK ((kind = 'free_over') = (threshold IS NOT NULL)),
    FOREIGN KEY (store_id, region_id) REFERENCES regions (store_id, id) ON DELETE CASCADE
);
CREATE INDEX shipping_options_region_idx ON shipping_options (store_id, region_id, rank);

-- Shipping options are shown on cart and checkout pages: a change bumps the store's
-- catalog version like any other catalog change (see 0003).
DO $$
DECLARE
    t text := 'shipping_options';
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()',
                   t || '_version_ins', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()',
                   t || '_version_upd', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()',
                   t || '_version_del', t);
END $$;

-- What shoppers did (add_to_cart, remove_from_cart, ...), one row per event, written
-- in batches by the queue consumer. Append-only; nothing reads it on a request path.
CREATE TABLE analytics_events (
    id          bigserial PRIMARY KEY,
    store_id    text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    name        text NOT NULL,
    -- The W3C trace id of the request that caused the event, to find its logs.
    trace_id    text,
    -- Who acted: a cart id or a customer id.
    actor       text NOT NULL,
    metadata    jsonb NOT NULL DEFAULT '{}',
    -- When it happened at the edge; created_at is when it was stored.
    occurred_at timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Idempotency key set by the producer: a redelivered queue message is stored
    -- once. Events without a key are always stored.
    event_key   text,
    UNIQUE (event_key)
);
CREATE INDEX analytics_events_trace_idx ON analytics_events (trace_id);
CREATE INDEX analytics_events_created_idx ON analytics_events (created_at);
CREATE INDEX analytics_events_name_idx ON analytics_events (store_id, name, occurred_at);
