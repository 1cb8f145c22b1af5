-- Audit log hardening (ADR 0008).
-- audit_log is append-only: UPDATE is always refused, DELETE only while archiving has set
-- audit_maintenance.allowed inside its own transaction (a missing marker row refuses too).

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN (SELECT allowed FROM audit_maintenance WHERE id = 1) IS NOT 1
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused outside archiving');
END;
