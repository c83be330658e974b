-- 0011: secret API keys for automation. A key works in one store with a built-in role
-- (never owner), until it is revoked; the database keeps only the SHA-256 of its token.
-- A key belongs to the member who made it: removing that member removes their keys, so
-- nobody who has left can still act through one. The audit log names the key a write
-- came through.
CREATE TABLE staff_api_keys (
    id           text PRIMARY KEY,
    token_hash   text NOT NULL UNIQUE,
    -- What the admin area shows of the token: its start and its last characters.
    redacted     text NOT NULL,
    store_id     text NOT NULL,
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    role         text NOT NULL CHECK (role IN (
                     'admin', 'catalog', 'inventory', 'fulfilment', 'support', 'analyst')),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Written at most once a minute, not on every request.
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   text REFERENCES staff_users (id) ON DELETE SET NULL,
    FOREIGN KEY (store_id, created_by)
        REFERENCES store_members (store_id, user_id) ON DELETE CASCADE
);
CREATE INDEX staff_api_keys_store_idx ON staff_api_keys (store_id, created_at DESC);

ALTER TABLE audit_log ADD COLUMN api_key_id text;
