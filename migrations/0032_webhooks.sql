-- Outbound webhooks (commerce::webhook): a store's operators subscribe outside
-- systems to its events. Every event of the outbox is fanned out to the endpoints of
-- its store that want its topic by a trigger, in the transaction that wrote the event,
-- so no event is ever without its deliveries. The origin's delivery runner sends them
-- (Standard Webhooks signatures), retries on a schedule and dead-letters.

CREATE TABLE webhook_endpoints (
    id                    text PRIMARY KEY,
    store_id              text NOT NULL REFERENCES stores (id),
    url                   text NOT NULL,
    description           text NOT NULL DEFAULT '',
    topics                text[] NOT NULL CHECK (cardinality(topics) > 0),
    -- `whsec_` + base64 of 32 random bytes; the previous one signs too until
    -- `previous_secret_until` (the rotation's overlap window).
    secret                text NOT NULL,
    previous_secret       text,
    previous_secret_until timestamptz,
    -- active: delivered; paused: deliveries wait; disabled: the endpoint answered 410
    -- (no new deliveries).
    status                text NOT NULL DEFAULT 'active'
                          CHECK (status IN ('active', 'paused', 'disabled')),
    disabled_reason       text,
    -- Set when a delivery died after the whole schedule; cleared by a later success.
    failing_since         timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_store_idx ON webhook_endpoints (store_id, created_at);

CREATE TABLE webhook_deliveries (
    id               bigserial PRIMARY KEY,
    endpoint_id      text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    store_id         text NOT NULL,
    -- The event's id (`webhook-id`): the same on every attempt and every endpoint.
    event_id         text NOT NULL,
    topic            text NOT NULL,
    -- The outbox row's id: the order in which events were written. Events of one
    -- order or product are written under that entity's row lock, so theirs grow in
    -- the order they happened; receivers order by it (`sequence` in the body).
    sequence         bigint NOT NULL,
    -- What is sent, byte for byte on every attempt: {type, timestamp, sequence, data}.
    body             jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status      integer,
    last_duration_ms integer,
    last_error       text,
    last_response    text,
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);

-- Work, not news (catalog.import.requested) is never offered to endpoints: their
-- topics are checked when they are registered.
CREATE FUNCTION webhook_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_deliveries (endpoint_id, store_id, event_id, topic, sequence, body)
    SELECT e.id, NEW.store_id, 'evt_' || NEW.id, NEW.topic, NEW.id,
           -- The body's timestamp as the specification writes it (ISO 8601): the
           -- transaction's time, the same instant as the envelope's milliseconds.
           jsonb_build_object('type', NEW.topic, 'timestamp', api_ts(now()),
                              'sequence', NEW.id, 'data', NEW.payload -> 'payload')
      FROM webhook_endpoints e
     WHERE e.store_id = NEW.store_id
       AND e.status IN ('active', 'paused')
       AND NEW.topic = ANY (e.topics);
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_webhook_fan_out AFTER INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION webhook_fan_out();
