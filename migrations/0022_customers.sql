-- 0022: customer accounts. A customer belongs to one store; they sign in with an
-- e-mail address and a password (an auth identity, as Medusa calls it) and get a JWT
-- or a session cookie. Passwords are argon2id PHC strings, as staff passwords are;
-- session and reset tokens are kept only as their SHA-256.

CREATE TABLE customers (
    id                text PRIMARY KEY,
    store_id          text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    email             text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    first_name        text NOT NULL DEFAULT '' CHECK (length(first_name) <= 100),
    last_name         text NOT NULL DEFAULT '' CHECK (length(last_name) <= 100),
    phone             text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    company_name      text NOT NULL DEFAULT '' CHECK (length(company_name) <= 200),
    -- Set when the customer followed the link mailed to the address: orders placed as
    -- a guest with it then show in their history.
    email_verified_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, id),
    UNIQUE (store_id, email)
);

-- An e-mail and password that can sign in to one store; `customer_id` is set once the
-- customer is made for it (`POST /store/customers`).
CREATE TABLE customer_identities (
    id            text PRIMARY KEY,
    store_id      text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    email         text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    password_hash text NOT NULL,
    customer_id   text UNIQUE,
    -- Tokens (JWTs, sessions) carry the generation they were issued in and are refused
    -- once it moved on: a password reset counts it up, which signs every device out.
    generation    integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_id, email),
    FOREIGN KEY (store_id, customer_id) REFERENCES customers (store_id, id) ON DELETE CASCADE
);

CREATE TABLE customer_addresses (
    id                  text PRIMARY KEY,
    store_id            text NOT NULL,
    customer_id         text NOT NULL,
    address_name        text NOT NULL DEFAULT '' CHECK (length(address_name) <= 100),
    -- The postal fields, as a cart's address keeps them (`cart::Address`).
    address             jsonb NOT NULL,
    is_default_shipping boolean NOT NULL DEFAULT false,
    is_default_billing  boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (store_id, customer_id) REFERENCES customers (store_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_addresses_customer_idx ON customer_addresses (customer_id, created_at, id);
-- One default shipping and one default billing address per customer.
CREATE UNIQUE INDEX customer_addresses_default_shipping ON customer_addresses (customer_id)
    WHERE is_default_shipping;
CREATE UNIQUE INDEX customer_addresses_default_billing ON customer_addresses (customer_id)
    WHERE is_default_billing;

-- A session cookie (`POST /auth/session`): the token lives in the cookie only.
CREATE TABLE customer_sessions (
    token_hash   text PRIMARY KEY,
    identity_id  text NOT NULL REFERENCES customer_identities (id) ON DELETE CASCADE,
    generation   integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX customer_sessions_identity_idx ON customer_sessions (identity_id);

-- A mailed link: a password reset (an hour) or the address's verification (a week).
-- Each works once.
CREATE TABLE customer_tokens (
    token_hash  text PRIMARY KEY,
    identity_id text NOT NULL REFERENCES customer_identities (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('reset', 'verify')),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_tokens_identity_idx ON customer_tokens (identity_id);

-- The customer an order was placed by (a cart that belonged to them).
ALTER TABLE orders ADD COLUMN customer_id text;
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at DESC, id DESC)
    WHERE customer_id IS NOT NULL;
-- Guest orders of a verified address are found by `orders_email_idx` (0005).
