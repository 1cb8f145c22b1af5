-- Issue 12 (monitoring alerts): the front door and the alerts it lets in.
-- An integration is one sender (an Alertmanager, a Zabbix, a script) with its own token,
-- kept as SHA-256 like API tokens, and its own severity mapping.
CREATE TABLE alert_integrations (
    id {{pk}},
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    -- The token's last four characters, to tell tokens apart on the page.
    token_hint TEXT NOT NULL,
    -- JSON {"map": {"P1": "critical", …}, "default": "warning"}
    severity_map TEXT NOT NULL DEFAULT '{}',
    -- Routing: the team its alerts' incidents go to (label rules may say otherwise).
    team_id BIGINT REFERENCES teams(id),
    -- The least severe severity that opens an incident; NULL: none.
    incident_severity TEXT,
    -- Resolve the incident when all its alerts have resolved.
    auto_resolve BIGINT NOT NULL DEFAULT 1,
    active BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ux_alert_integrations_name ON alert_integrations (name);
CREATE UNIQUE INDEX ux_alert_integrations_token ON alert_integrations (token_hash);

-- One alert per (integration, fingerprint / dedup key): repeats update nothing, changes
-- update the row and add a state-history row.
CREATE TABLE alerts (
    id {{pk}},
    integration_id BIGINT NOT NULL REFERENCES alert_integrations(id) ON DELETE CASCADE,
    dedup_key TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    source_severity TEXT,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '{}',
    annotations TEXT NOT NULL DEFAULT '{}',
    starts_at BIGINT,
    ends_at BIGINT,
    link TEXT,
    -- JSON list: unknown_severity, extra_fields.
    flags TEXT NOT NULL DEFAULT '[]',
    raw TEXT NOT NULL,
    acknowledged_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    acknowledged_at BIGINT,
    ci_id BIGINT REFERENCES cis(id),
    incident_id BIGINT REFERENCES incidents(id) ON DELETE SET NULL,
    first_seen_at BIGINT NOT NULL,
    last_change_at BIGINT NOT NULL,
    changes BIGINT NOT NULL DEFAULT 1,
    -- Changed since processing (incident, silence) last looked; pending_until: a node's lease.
    pending BIGINT NOT NULL DEFAULT 0,
    pending_until BIGINT
);
CREATE UNIQUE INDEX ux_alerts_key ON alerts (integration_id, dedup_key);
CREATE INDEX ix_alerts_status ON alerts (status, last_change_at);
CREATE INDEX ix_alerts_pending ON alerts (pending, id);
CREATE INDEX ix_alerts_incident ON alerts (incident_id);

-- Each change of an alert's state (firing, resolved, acknowledged), oldest first.
CREATE TABLE alert_events (
    id {{pk}},
    alert_id BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    actor_id BIGINT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX ix_alert_events_alert ON alert_events (alert_id, id);

-- Silences (maintenance windows) set by hand: label matchers and a time range.
CREATE TABLE alert_silences (
    id {{pk}},
    -- JSON [{"name": "instance", "op": "=", "value": "10.1.2.3:9100"}]; op is =, !=, =~ or !~.
    matchers TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_alert_silences_end ON alert_silences (ends_at);
