-- 0010: forgotten staff passwords. A reset link works once, for an hour; the database
-- keeps only the SHA-256 of its token. Setting the new password ends every session of
-- the user.
CREATE TABLE staff_password_resets (
    token_hash text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_password_resets_user_idx ON staff_password_resets (user_id);
