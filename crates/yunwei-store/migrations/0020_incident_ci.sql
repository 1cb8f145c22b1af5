-- Issue 11 (CMDB wired into incidents): an incident may name the configuration item it is
-- about. The free-text `ci_ref` stays for what the CMDB does not know. The queue filters by
-- CI, and by affected service through the set of CIs a service needs.
ALTER TABLE incidents ADD COLUMN ci_id BIGINT REFERENCES cis(id);
CREATE INDEX ix_incidents_ci ON incidents (ci_id);
