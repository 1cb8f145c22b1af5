-- The chain head follows every appended audit entry inside the same statement,
-- saving a round trip per command.
CREATE FUNCTION yunwei_audit_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_log_advance_head AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION yunwei_audit_advance_head();
