-- Issue 12 (processing between intake and on-call): escalation policies and the escalations
-- running on incidents, alert routing rules, and why an alert was silenced.
-- A policy: ordered levels, each with its targets and the minutes to wait before the next
-- level; the whole runs again repeat_count more times.
CREATE TABLE escalation_policies (
    id {{pk}},
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- The team that owns (and edits) it; its alerts' incidents use it unless a route says otherwise.
    team_id BIGINT REFERENCES teams(id),
    -- JSON [{"delay_minutes": 10, "targets": [{"kind": "schedule", "id": 1}]}]; kind: schedule, user or team.
    levels TEXT NOT NULL DEFAULT '[]',
    repeat_count BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ux_escalation_policies_name ON escalation_policies (name);
CREATE INDEX ix_escalation_policies_team ON escalation_policies (team_id);

-- One escalation per incident and policy: pages before next_step went out; the scheduler
-- runs the next one at next_at. state: active, acknowledged or exhausted.
CREATE TABLE escalations (
    id {{pk}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    policy_id BIGINT NOT NULL REFERENCES escalation_policies(id),
    alert_id BIGINT REFERENCES alerts(id) ON DELETE SET NULL,
    state TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    next_step BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT,
    acknowledged_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    acknowledged_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_escalations_incident ON escalations (incident_id);

-- Routing rules, tried in position order; the first whose matchers all match wins (no
-- matchers: matches every alert). None matching: the integration's team and its policy.
CREATE TABLE alert_routes (
    id {{pk}},
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    -- JSON like alert_silences.matchers.
    matchers TEXT NOT NULL DEFAULT '[]',
    team_id BIGINT REFERENCES teams(id),
    policy_id BIGINT REFERENCES escalation_policies(id),
    -- Replaces the alert's severity for the incident threshold and priority; NULL: keep.
    severity TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_alert_routes_position ON alert_routes (position, id);

-- Why processing held the alert: JSON {"kind": "change", "change_id": 3, "number": "CHG-000003",
-- "until": 1765000000000} or {"kind": "silence", "id": 2, "until": …}; NULL when not silenced.
ALTER TABLE alerts ADD COLUMN silenced_by TEXT;

-- Flapping: an alert with flap_changes state changes (firing/resolved) in flap_minutes is
-- flapping, and its notifications are held. 0 changes: never.
ALTER TABLE alert_integrations ADD COLUMN flap_changes BIGINT NOT NULL DEFAULT 6;
ALTER TABLE alert_integrations ADD COLUMN flap_minutes BIGINT NOT NULL DEFAULT 30;
