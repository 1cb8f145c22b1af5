-- Discovery reconciliation (issue 11, CMDB-5; ADR 0020). Scanners report CIs in bulk for a
-- discovery source; reconciliation matches them on their class's identifying attributes,
-- creates or updates CIs where the source has precedence, and records drift where it has
-- not. Times are epoch milliseconds.

-- Identifying attributes that share a key_group match only together (host name + domain);
-- an identifying attribute with no group matches by itself (serial number, asset tag,
-- management IP). Servers and virtual machines gain a domain that goes with the host name,
-- so a server's host name alone is no longer unique within its class.
ALTER TABLE ci_attributes ADD COLUMN key_group TEXT NOT NULL DEFAULT '';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'domain', '域名', 'Domain', 'text', 0, 0, 1, '^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$', NULL, NULL, '[]', NULL, 15, 0, 0 FROM ci_classes WHERE code IN ('server', 'virtual_machine');
UPDATE ci_attributes SET key_group = 'host'
    WHERE code IN ('hostname', 'domain') AND class_id IN (SELECT id FROM ci_classes WHERE code IN ('server', 'virtual_machine'));
UPDATE ci_attributes SET unique_in_class = 0
    WHERE code = 'hostname' AND class_id IN (SELECT id FROM ci_classes WHERE code = 'server');
-- A discovery source (a scanner, an agent, a cloud inventory). precedence: higher wins a
-- field over another source; attribute_precedence: a JSON object, field or attribute code →
-- precedence where it differs. A value a person set is never overwritten by a source.
-- stale_after_hours: a CI the source reported and has not reported since is flagged stale.
CREATE TABLE ci_discovery_sources (
    id {{pk}},
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    precedence BIGINT NOT NULL DEFAULT 50,
    attribute_precedence TEXT NOT NULL DEFAULT '{}',
    stale_after_hours BIGINT NOT NULL DEFAULT 168,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_ci_discovery_sources_code ON ci_discovery_sources (code);

-- When a source last reported a CI; stale = 1 once it has not for stale_after_hours.
CREATE TABLE ci_discovery_sightings (
    source_id BIGINT NOT NULL REFERENCES ci_discovery_sources(id),
    ci_id BIGINT NOT NULL REFERENCES cis(id),
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    stale BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, ci_id)
);
CREATE INDEX ix_ci_discovery_sightings_due ON ci_discovery_sightings (stale, last_seen);
CREATE INDEX ix_ci_discovery_sightings_ci ON ci_discovery_sightings (ci_id);

-- Drift: a field whose value a source reports differently from the value kept, which a
-- person (holder_source_id NULL) or a source of higher precedence set. reported and kept are
-- JSON values. The row goes when the source reports the kept value again.
CREATE TABLE ci_drift (
    source_id BIGINT NOT NULL REFERENCES ci_discovery_sources(id),
    ci_id BIGINT NOT NULL REFERENCES cis(id),
    field TEXT NOT NULL,
    reported TEXT NOT NULL,
    kept TEXT NOT NULL,
    holder_source_id BIGINT REFERENCES ci_discovery_sources(id),
    detected_at BIGINT NOT NULL,
    PRIMARY KEY (source_id, ci_id, field)
);
CREATE INDEX ix_ci_drift_ci ON ci_drift (ci_id);
