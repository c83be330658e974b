-- 0020: purchase orders (stock brought in from suppliers) and the deliveries that
-- receive them.
--
-- A purchase order names a supplier, the stock location it delivers to and its lines
-- (a variant, how many ordered, the unit cost in the store's currency, how many
-- received so far). Its status moves only through `commerce::purchase_order::transition`.
CREATE TABLE purchase_orders (
    id               text PRIMARY KEY,
    store_id         text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    -- PO-1, PO-2, ... per store.
    number           integer NOT NULL CHECK (number > 0),
    supplier_name    text NOT NULL CHECK (length(supplier_name) BETWEEN 1 AND 200),
    supplier_contact text NOT NULL DEFAULT '' CHECK (length(supplier_contact) <= 200),
    location_id      text NOT NULL,
    currency_code    text NOT NULL CHECK (currency_code ~ '^[a-z]{3}$'),
    expected_on      date,
    notes            text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    status           text NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'placed', 'partially_received', 'received', 'canceled')),
    created_by       text,
    placed_at        timestamptz,
    received_at      timestamptz,
    canceled_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, id),
    UNIQUE (store_id, number),
    FOREIGN KEY (store_id, location_id) REFERENCES stock_locations (store_id, id)
);
CREATE INDEX purchase_orders_list_idx ON purchase_orders (store_id, created_at DESC, id);

CREATE TABLE purchase_order_lines (
    id                text PRIMARY KEY,
    store_id          text NOT NULL,
    purchase_order_id text NOT NULL,
    variant_id        text NOT NULL,
    quantity          integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000000),
    -- Minor units of the purchase order's currency.
    unit_cost         bigint NOT NULL CHECK (unit_cost >= 0),
    received          integer NOT NULL DEFAULT 0 CHECK (received >= 0),
    rank              integer NOT NULL DEFAULT 0,
    UNIQUE (purchase_order_id, variant_id),
    FOREIGN KEY (store_id, purchase_order_id) REFERENCES purchase_orders (store_id, id) ON DELETE CASCADE,
    FOREIGN KEY (store_id, variant_id) REFERENCES product_variants (store_id, id)
);
-- Incoming stock of a variant: its lines on placed purchase orders.
CREATE INDEX purchase_order_lines_variant_idx ON purchase_order_lines (variant_id);

-- One delivery being received, by the key its sender gave it: the saga's log. A
-- delivery with a key already done changes nothing again; one whose steps were undone
-- (`compensated`) may be sent again with the same key.
CREATE TABLE purchase_order_deliveries (
    store_id          text NOT NULL,
    purchase_order_id text NOT NULL,
    key               text NOT NULL CHECK (length(key) BETWEEN 1 AND 100),
    -- started -> recorded -> stocked -> done; a failed step undoes the ones before it
    -- and leaves `compensated` with the error.
    state             text NOT NULL CHECK (state IN ('started', 'recorded', 'stocked', 'done', 'compensated')),
    -- [{variant_id, quantity}] as received.
    lines             jsonb NOT NULL,
    error             text,
    received_by       text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    PRIMARY KEY (purchase_order_id, key),
    FOREIGN KEY (store_id, purchase_order_id) REFERENCES purchase_orders (store_id, id) ON DELETE CASCADE
);

-- A ledger row written by receiving a purchase order points at it.
ALTER TABLE inventory_ledger ADD COLUMN purchase_order_id text;
