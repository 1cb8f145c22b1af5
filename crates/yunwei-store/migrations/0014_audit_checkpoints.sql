-- Audit log hardening (ADR 0008): what both engines share. The triggers that keep
-- audit_log append-only are per engine (0014_audit_checkpoints.*.sql).
-- audit_maintenance.allowed is set only while archiving deletes, inside its own transaction.
CREATE TABLE audit_maintenance (
    id BIGINT PRIMARY KEY,
    allowed BIGINT NOT NULL
);
INSERT INTO audit_maintenance (id, allowed) VALUES (1, 0);

-- What the anchor's archive file held when the anchor was written (NULL: archived before 0014).
ALTER TABLE audit_anchor ADD COLUMN archive_sha256 TEXT;
ALTER TABLE audit_anchor ADD COLUMN archive_bytes BIGINT;

-- The latest keyed checkpoint, for convenience only: verification trusts the checkpoint
-- file and the key, which are outside the database.
CREATE TABLE audit_checkpoint (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    mac TEXT NOT NULL,
    node TEXT NOT NULL
);
