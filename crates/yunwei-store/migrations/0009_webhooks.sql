-- Outbound webhooks. The secret is kept in clear: the server needs it to sign every
-- delivery (HMAC), and the project has no key-encryption helper yet (see ADR 0005).
CREATE TABLE webhooks (
    id {{pk}},
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    -- JSON array of event types; [] means every event.
    event_types TEXT NOT NULL DEFAULT '[]',
    active BIGINT NOT NULL DEFAULT 1,
    secret TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ux_webhooks_name ON webhooks (name);
-- A webhook's recent attempts (deliveries with channel 'webhook', address = webhook id).
CREATE INDEX ix_deliveries_channel_address ON deliveries (channel, address, id);
-- Live updates tail the outbox by id per record.
CREATE INDEX ix_outbox_object ON outbox (object_type, object_id, id);
