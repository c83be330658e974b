-- 0012: fulfilments. Staff pack an order in one or more parcels (all of it or some
-- lines, from a stock location of their choice) and ship each parcel with its own
-- carrier and tracking number. Orders gain the statuses between: partially_fulfilled
-- (some units packed) and partially_shipped (some parcels gone).
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN (
    'pending', 'confirmed', 'partially_fulfilled', 'fulfilled', 'partially_shipped',
    'shipped', 'delivered', 'failed', 'canceled'));

-- One parcel: packed at one location, shipped once.
CREATE TABLE order_fulfillments (
    id          text PRIMARY KEY,
    store_id    text NOT NULL,
    order_id    text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    location_id text NOT NULL,
    -- The staff member who packed it (NULL: an operator's call, or since removed).
    created_by  text REFERENCES staff_users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    shipped_at  timestamptz,
    -- Carrier, tracking number and link, when staff gave them.
    shipment    jsonb,
    -- Set when the order is canceled before the parcel left (its units go back).
    canceled_at timestamptz,
    FOREIGN KEY (store_id, location_id) REFERENCES stock_locations (store_id, id)
);
CREATE INDEX order_fulfillments_order_idx ON order_fulfillments (order_id, created_at);

CREATE TABLE order_fulfillment_items (
    fulfillment_id text NOT NULL REFERENCES order_fulfillments (id) ON DELETE CASCADE,
    item_id        text NOT NULL REFERENCES order_items (id) ON DELETE CASCADE,
    quantity       integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (fulfillment_id, item_id)
);

-- Held stock is assigned to a parcel when it is packed (moved to the parcel's location
-- first when it was held elsewhere) and consumed when the parcel ships. A line may so
-- have several rows at one location: a surrogate key, and at most one unassigned held
-- row per line and location.
ALTER TABLE order_reservations DROP CONSTRAINT order_reservations_pkey;
ALTER TABLE order_reservations ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
ALTER TABLE order_reservations
    ADD COLUMN fulfillment_id text REFERENCES order_fulfillments (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX order_reservations_unassigned_idx ON order_reservations (item_id, location_id)
    WHERE state = 'held' AND fulfillment_id IS NULL;
CREATE INDEX order_reservations_fulfillment_idx ON order_reservations (fulfillment_id)
    WHERE fulfillment_id IS NOT NULL;
