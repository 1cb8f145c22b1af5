-- The workbench home's 30-day charts count incidents opened and resolved per day:
-- two range scans instead of reading the whole table. The second index carries the
-- breach flag so that attainment is counted from the index alone.
CREATE INDEX ix_incidents_created ON incidents (created_at);
CREATE INDEX ix_incidents_resolved ON incidents (resolved_at, resolve_breached);
