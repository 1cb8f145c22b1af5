-- Issue 12 (chat channels): a webhook subscription speaks one format — Yunwei's signed JSON
-- (the default, as before), a chat group's robot (DingTalk, WeCom, Feishu, Slack) or an SMS
-- gateway. Robots get a message in words, in the subscription's language, within a budget of
-- messages a minute; what does not fit is merged into digests.
ALTER TABLE webhooks ADD COLUMN format TEXT NOT NULL DEFAULT 'yunwei';
ALTER TABLE webhooks ADD COLUMN locale TEXT NOT NULL DEFAULT 'zh-CN';
-- 0: no limit.
ALTER TABLE webhooks ADD COLUMN per_minute BIGINT NOT NULL DEFAULT 0;
-- SMS: JSON array of phone numbers to text.
ALTER TABLE webhooks ADD COLUMN phones TEXT NOT NULL DEFAULT '[]';
-- SMS: the gateway's JSON body as a minijinja template; empty: Yunwei's own.
ALTER TABLE webhooks ADD COLUMN body_template TEXT NOT NULL DEFAULT '';

-- One row per message a budgeted receiver was sent (a digest counts once): the budget counts
-- these over the last minute, on every node alike.
CREATE TABLE webhook_messages (
    id {{pk}},
    webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    sent_at BIGINT NOT NULL,
    -- How many deliveries the message carried (more than one: a digest).
    deliveries BIGINT NOT NULL
);
CREATE INDEX ix_webhook_messages_sent ON webhook_messages (webhook_id, sent_at);
