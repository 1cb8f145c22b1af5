-- Audit log hardening (ADR 0008).
-- audit_log is append-only: UPDATE and TRUNCATE are always refused, DELETE only while
-- archiving has set audit_maintenance.allowed inside its own transaction.

CREATE FUNCTION yunwei_audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_maintenance WHERE id = 1 AND allowed = 1) THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_log is append-only: DELETE refused outside archiving';
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION yunwei_audit_log_guard();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION yunwei_audit_log_guard();
