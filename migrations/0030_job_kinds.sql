-- Job kinds (commerce::outbox::JobKind): every outbox row is order processing,
-- inventory updates or e-mail, by its topic. The job runner claims each kind in a lane
-- of its own (a backlog of mail never delays an order's jobs) and tries each kind as
-- often as its kind allows (orders 3, inventory 5, mail 3) before the row is dead.
ALTER TABLE outbox ADD COLUMN kind text NOT NULL DEFAULT 'order'
    CHECK (kind IN ('order', 'inventory', 'mail'));
UPDATE outbox SET kind = CASE
    WHEN topic IN ('order.created', 'order.shipped') THEN 'mail'
    WHEN topic IN ('order.canceled', 'payment.succeeded', 'payment.failed', 'payment.refunded') THEN 'order'
    ELSE 'inventory' END;
-- Every row is written with its kind (outbox::enqueue).
ALTER TABLE outbox ALTER COLUMN kind DROP DEFAULT;

-- A lane's claim: its due rows, the longest due first.
DROP INDEX outbox_due_idx;
CREATE INDEX outbox_due_idx ON outbox (kind, next_attempt_at, id) WHERE status = 'pending';
