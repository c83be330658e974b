-- 0008: the people who run the stores. A staff user signs in with e-mail and password
-- and is a member of one or more stores of the deployment, with a role in each. Sessions
-- and invitations are kept by the SHA-256 of their token only: the token itself lives in
-- the member's cookie or link, never in the database. Every admin write is recorded in
-- the append-only audit log. Read and written by the edge Worker's admin area.

CREATE TABLE staff_users (
    id            text PRIMARY KEY,
    email         text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    name          text NOT NULL DEFAULT '',
    -- PHC string (argon2id); NULL until the first invitation is accepted.
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (email)
);

-- The built-in roles; their permissions are defined in the domain (`staff::Role`).
CREATE TABLE store_members (
    store_id   text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    user_id    text NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN (
                   'owner', 'admin', 'catalog', 'inventory', 'fulfilment', 'support', 'analyst')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, user_id)
);
CREATE INDEX store_members_user_idx ON store_members (user_id);

-- An invitation to join a store with a role; accepting it sets the name and password
-- (for a new user) and makes the membership. One use, then `accepted_at` is set.
CREATE TABLE staff_invites (
    token_hash  text PRIMARY KEY,
    store_id    text NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    email       text NOT NULL CHECK (email = lower(email)),
    role        text NOT NULL CHECK (role IN (
                    'owner', 'admin', 'catalog', 'inventory', 'fulfilment', 'support', 'analyst')),
    -- NULL when an operator made it from the command line.
    invited_by  text REFERENCES staff_users (id) ON DELETE SET NULL,
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_invites_store_idx ON staff_invites (store_id, created_at DESC);

-- A signed-in member working in one store. The membership's foreign key removes the
-- sessions with the membership: removing a member signs them out at once.
CREATE TABLE staff_sessions (
    token_hash   text PRIMARY KEY,
    user_id      text NOT NULL,
    store_id     text NOT NULL,
    -- 'cookie' (the admin pages) or 'bearer' (`Authorization: Bearer` on the admin API).
    kind         text NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- Absolute expiry; idle expiry is counted from `last_seen_at` by the reader.
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    FOREIGN KEY (store_id, user_id) REFERENCES store_members (store_id, user_id) ON DELETE CASCADE
);
CREATE INDEX staff_sessions_user_idx ON staff_sessions (user_id, store_id);

-- Who did what, when and from where. Rows are only ever added: updates and deletes are
-- refused by the trigger below, and the table keeps no foreign keys so that it outlives
-- the members and stores it names.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_id   text NOT NULL,
    user_id    text,
    role       text,
    action     text NOT NULL,
    target_id  text,
    -- A short before/after of what changed.
    change     jsonb NOT NULL DEFAULT '{}',
    ip         text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT '',
    trace_id   text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_store_idx ON audit_log (store_id, created_at DESC, id DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- The admin's order list: by store, newest first.
CREATE INDEX orders_store_created_idx ON orders (store_id, created_at DESC, id DESC);

-- What an order's ledger says of its payment, for the admin's list and its filter.
CREATE FUNCTION order_payment_status(order_id text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN captured > 0 AND refunded >= captured THEN 'refunded'
                WHEN refunded > 0 THEN 'partially_refunded'
                WHEN captured > 0 THEN 'captured'
                WHEN authorized > 0 THEN 'authorized'
                ELSE 'not_paid' END
    FROM (SELECT coalesce(sum(t.amount) FILTER (WHERE t.kind = 'capture'), 0) AS captured,
                 coalesce(sum(t.amount) FILTER (WHERE t.kind = 'refund'), 0) AS refunded,
                 coalesce(sum(t.amount) FILTER (WHERE t.kind = 'authorization'), 0) AS authorized
          FROM order_transactions t WHERE t.order_id = $1) s
$$;
