-- Duty grants waiting for a second person (四眼原则): a change that grants, alters or takes
-- away an administrator duty — a user's roles, or the rights of a role that carries a duty —
-- is recorded here and applied only when someone other than the requester approves it.
CREATE TABLE duty_grants (
    id {{pk}},
    kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    requested_change TEXT NOT NULL,
    state_before TEXT NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES users(id),
    requested_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    decided_by BIGINT REFERENCES users(id),
    decided_at BIGINT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_duty_grants_status ON duty_grants (status, id);
-- One open request per user or role: a second one would be decided against a stale picture.
CREATE UNIQUE INDEX ux_duty_grants_pending ON duty_grants (kind, target_id) WHERE status = 'pending';

-- Idempotency keys are written by the command's own commit (status 0 until the answer is
-- stored), naming the record its first audit entry names, so that a retry of a request that
-- committed but was never answered finds the key and can say what it did.
ALTER TABLE idempotency_keys ADD COLUMN object_type TEXT;
ALTER TABLE idempotency_keys ADD COLUMN object_id TEXT;

-- Sign-in throttling by address, by account and address, and by account (growing delays,
-- never a lock anyone can put on someone else's account from elsewhere), and guesses of the
-- current password on a password change. Keys: `addr:…`, `acct_addr:…`, `acct:…`, `pw:…`.
CREATE TABLE sign_in_throttle (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    first_failure_at BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL DEFAULT 0
);
