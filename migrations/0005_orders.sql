-- 0005: orders and everything that finalises them: the stock each order holds, payment
-- collections and sessions, the ledger of money movements, processed webhook events,
-- the outbox of follow-up jobs, the nonces of signed edge requests, and the mailbox of
-- the local email provider. Written only by the origin service.

-- Stock is taken from a store's locations in rank order (0 first, then by id).
ALTER TABLE stock_locations ADD COLUMN rank integer NOT NULL DEFAULT 0;

-- Order numbers (display ids), from one sequence: a sequence takes no row lock, so
-- concurrent checkouts of a store do not queue on a counter. Numbers of failed
-- attempts are skipped.
CREATE SEQUENCE order_display_id_seq START 1001;

CREATE TABLE orders (
    id              text PRIMARY KEY,
    store_id        text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    -- The number the shopper sees ("#1042"), unique per store.
    display_id      bigint NOT NULL DEFAULT nextval('order_display_id_seq'),
    -- The cart the order was completed from: one live order per cart (see below).
    cart_id         text NOT NULL,
    status          text NOT NULL CHECK (status IN (
                        'pending', 'confirmed', 'fulfilled', 'shipped', 'delivered',
                        'failed', 'canceled')),
    email           text NOT NULL,
    region_id       text NOT NULL,
    currency_code   text NOT NULL CHECK (currency_code ~ '^[a-z]{3}$'),
    tax_rate_bp     integer NOT NULL,
    tax_inclusive   boolean NOT NULL,
    shipping_address jsonb NOT NULL,
    billing_address  jsonb,
    -- {option_id, name, amount} of the shipping method, priced from the database.
    shipping_method  jsonb NOT NULL,
    -- Minor units. `total` is the source of truth for what the shopper owes.
    item_total      bigint NOT NULL,
    item_tax_total  bigint NOT NULL,
    shipping_total  bigint NOT NULL,
    shipping_tax_total bigint NOT NULL,
    tax_total       bigint NOT NULL,
    total           bigint NOT NULL CHECK (total >= 0),
    -- A pending order's stock is held until then; past it the job runner fails the
    -- order and releases the stock.
    reservation_expires_at timestamptz,
    trace_id        text,
    failure_reason  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, id),
    UNIQUE (store_id, display_id)
);
-- Completion is idempotent by cart: a cart has at most one order that has not failed.
-- A failed attempt (declined card, expired reservation) leaves the cart free to retry.
CREATE UNIQUE INDEX orders_live_cart_idx ON orders (store_id, cart_id) WHERE status <> 'failed';
CREATE INDEX orders_cart_idx ON orders (store_id, cart_id);
CREATE INDEX orders_expiry_idx ON orders (reservation_expires_at) WHERE status = 'pending';
CREATE INDEX orders_email_idx ON orders (store_id, lower(email));

-- The lines of an order: snapshots of what was bought at the price of the moment.
CREATE TABLE order_items (
    id            text PRIMARY KEY,
    order_id      text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    store_id      text NOT NULL,
    variant_id    text NOT NULL,
    product_id    text NOT NULL,
    product_title text NOT NULL,
    product_handle text NOT NULL,
    variant_title text NOT NULL,
    sku           text,
    thumbnail     text,
    quantity      integer NOT NULL CHECK (quantity > 0),
    unit_price    bigint NOT NULL CHECK (unit_price >= 0),
    subtotal      bigint NOT NULL,
    tax_total     bigint NOT NULL,
    total         bigint NOT NULL,
    rank          integer NOT NULL
);
CREATE INDEX order_items_order_idx ON order_items (order_id, rank);

-- The stock an order holds: per line and location. `quantity` was added to the
-- location's `reserved`; released (cancel, failure) or consumed (shipment) once.
CREATE TABLE order_reservations (
    order_id    text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    item_id     text NOT NULL REFERENCES order_items (id) ON DELETE CASCADE,
    variant_id  text NOT NULL,
    location_id text NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    -- held: counted in reserved; released: given back; consumed: shipped (stocked and
    -- reserved both went down).
    state       text NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'released', 'consumed')),
    PRIMARY KEY (item_id, location_id)
);
CREATE INDEX order_reservations_order_idx ON order_reservations (order_id);

-- What a cart will be paid with (Medusa's payment collection), one per cart and store.
CREATE TABLE payment_collections (
    id            text PRIMARY KEY,
    store_id      text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    cart_id       text NOT NULL,
    currency_code text NOT NULL,
    amount        bigint NOT NULL,
    order_id      text REFERENCES orders (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, cart_id)
);

-- One attempt to pay through a provider. `reference` is the provider's id (a Stripe
-- PaymentIntent); its row is the lock that makes a capture happen once.
CREATE TABLE payment_sessions (
    id            text PRIMARY KEY,
    collection_id text NOT NULL REFERENCES payment_collections (id) ON DELETE CASCADE,
    store_id      text NOT NULL,
    provider_id   text NOT NULL,
    status        text NOT NULL CHECK (status IN (
                      'pending', 'requires_more', 'authorized', 'captured', 'error', 'canceled')),
    amount        bigint NOT NULL,
    currency_code text NOT NULL,
    -- What the shopper chose (card number for the test provider, payment method for
    -- Stripe); never a full card number: the test provider keeps the last four.
    data          jsonb NOT NULL DEFAULT '{}',
    reference     text,
    -- Where the shopper is sent to confirm a payment that requires action.
    action_url    text,
    order_id      text REFERENCES orders (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_sessions_collection_idx ON payment_sessions (collection_id, created_at DESC);
CREATE UNIQUE INDEX payment_sessions_reference_idx ON payment_sessions (provider_id, reference)
    WHERE reference IS NOT NULL;
CREATE INDEX payment_sessions_order_idx ON payment_sessions (order_id);

-- The ledger: every money movement of an order, append-only.
CREATE TABLE order_transactions (
    id          text PRIMARY KEY,
    order_id    text NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    store_id    text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('authorization', 'capture', 'refund')),
    amount      bigint NOT NULL CHECK (amount > 0),
    currency_code text NOT NULL,
    provider_id text NOT NULL,
    session_id  text NOT NULL,
    -- The provider's id of the movement (PaymentIntent, refund).
    reference   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_transactions_order_idx ON order_transactions (order_id, created_at);
-- One authorization and one capture per payment session, one row per provider refund.
CREATE UNIQUE INDEX order_transactions_once_idx ON order_transactions (session_id, kind)
    WHERE kind IN ('authorization', 'capture');
CREATE UNIQUE INDEX order_transactions_refund_idx ON order_transactions (provider_id, reference)
    WHERE kind = 'refund';

-- Provider events already applied: a redelivered webhook is acknowledged, not applied.
CREATE TABLE webhook_events (
    provider    text NOT NULL,
    event_id    text NOT NULL,
    event_type  text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
);

-- Follow-up jobs, written in the transaction that caused them and run by the origin's
-- job runner (claimed with FOR UPDATE SKIP LOCKED). `payload` is the event envelope
-- {topic, payload, timestamp, trace_id}.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    store_id        text NOT NULL,
    topic           text NOT NULL,
    payload         jsonb NOT NULL,
    trace_id        text,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id) WHERE status = 'pending';

-- Nonces of signed edge requests seen within the accepted clock window; a reused
-- nonce is a replay. Rows older than the window are deleted by the job runner.
CREATE TABLE request_nonces (
    nonce   text PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);

-- Mail sent by the local email provider (development): viewable at the origin's
-- /dev/mail instead of leaving the machine.
CREATE TABLE local_mailbox (
    id          bigserial PRIMARY KEY,
    store_id    text,
    to_address  text NOT NULL,
    from_address text NOT NULL,
    subject     text NOT NULL,
    html        text NOT NULL,
    text_body   text NOT NULL,
    idempotency_key text UNIQUE,
    sent_at     timestamptz NOT NULL DEFAULT now()
);
