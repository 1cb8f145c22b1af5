-- The change calendar (issue 13, CHG-5, ADR 0028): freezes and the peak are change settings
-- (data in the settings table); this table holds the per-user secret of the iCalendar feed,
-- kept as a SHA-256 hash so a leaked database does not leak subscribable URLs.
CREATE TABLE change_feed_tokens (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_change_feed_tokens_hash ON change_feed_tokens (token_hash);

-- The approval matrix (CHG-4): the stages a change was submitted into, as JSON, so a later
-- edit of the matrix does not move changes already waiting; each vote names its stage.
ALTER TABLE changes ADD COLUMN approval_stages TEXT NOT NULL DEFAULT '[]';
ALTER TABLE change_approvals ADD COLUMN stage BIGINT NOT NULL DEFAULT 0;
