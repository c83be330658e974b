-- 0013: every e-mail the origin has sent (by any provider), once per idempotency key:
-- an order's page lists the e-mails its shopper was sent.
CREATE TABLE sent_emails (
    key         text PRIMARY KEY,
    store_id    text,
    -- The order it is about (confirmation, shipping news); NULL for staff mail.
    order_id    text,
    to_address  text NOT NULL,
    subject     text NOT NULL,
    -- 'local' or 'resend', and the provider's id of the message when it gives one.
    provider    text NOT NULL,
    provider_id text,
    sent_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sent_emails_order_idx ON sent_emails (order_id, sent_at) WHERE order_id IS NOT NULL;
