-- Audit log hardening (ADR 0008).
-- audit_log is append-only: UPDATE is always refused, DELETE only while archiving has set
-- audit_maintenance.allowed inside its own transaction (a missing marker row refuses too).
CREATE TABLE audit_maintenance (
    id BIGINT PRIMARY KEY,
    allowed BIGINT NOT NULL
);
INSERT INTO audit_maintenance (id, allowed) VALUES (1, 0);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN (SELECT allowed FROM audit_maintenance WHERE id = 1) IS NOT 1
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused outside archiving');
END;

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
