-- Service desk: business services, categories, settings, calendars, SLA
-- policies, incidents with their timeline, watchers and links.

CREATE TABLE settings (
    setting_key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE business_services (
    id {{pk}},
    name TEXT NOT NULL,
    code TEXT,
    description TEXT NOT NULL DEFAULT '',
    team_id BIGINT REFERENCES teams(id),
    -- Downtime allowed per year (SPEC SLA: e.g. at most 20 h).
    downtime_budget_minutes BIGINT NOT NULL DEFAULT 1200,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_business_services_name ON business_services (name);

CREATE TABLE incident_categories (
    id {{pk}},
    name TEXT NOT NULL,
    parent_id BIGINT REFERENCES incident_categories(id),
    -- Automatic assignment: new incidents in this category go to this team.
    team_id BIGINT REFERENCES teams(id),
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_incident_categories_parent ON incident_categories (parent_id);

CREATE TABLE calendars (
    id {{pk}},
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    is_default BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_calendars_name ON calendars (name);

CREATE TABLE sla_policies (
    id {{pk}},
    name TEXT NOT NULL,
    service_id BIGINT REFERENCES business_services(id),
    department_id BIGINT REFERENCES departments(id),
    -- NULL: targets run 24×7.
    calendar_id BIGINT REFERENCES calendars(id),
    rules TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_sla_policies_name ON sla_policies (name);

CREATE TABLE incidents (
    id {{pk}},
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    state TEXT NOT NULL,
    pending_reason TEXT,
    impact TEXT NOT NULL,
    urgency TEXT NOT NULL,
    priority BIGINT NOT NULL,
    category_id BIGINT REFERENCES incident_categories(id),
    service_id BIGINT REFERENCES business_services(id),
    -- Until the CMDB exists, the CI as the reporter names it.
    ci_ref TEXT,
    channel TEXT NOT NULL,
    reporter_id BIGINT REFERENCES users(id),
    requester_id BIGINT REFERENCES users(id),
    requester_name TEXT,
    requester_contact TEXT,
    department_id BIGINT REFERENCES departments(id),
    location TEXT,
    impact_scope TEXT,
    occurred_at BIGINT,
    team_id BIGINT REFERENCES teams(id),
    assignee_id BIGINT REFERENCES users(id),
    parent_id BIGINT REFERENCES incidents(id),
    major BIGINT NOT NULL DEFAULT 0,
    commander_id BIGINT REFERENCES users(id),
    resolution_code TEXT,
    resolution TEXT,
    summary TEXT,
    -- Service restored (for availability: downtime = restored_at - occurred_at).
    restored_at BIGINT,
    sla_policy_id BIGINT REFERENCES sla_policies(id),
    sla TEXT,
    responded_at BIGINT,
    response_due_at BIGINT,
    resolve_due_at BIGINT,
    response_breached BIGINT NOT NULL DEFAULT 0,
    resolve_breached BIGINT NOT NULL DEFAULT 0,
    -- The next instant the SLA timer must look at this incident (warning or breach).
    sla_check_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT,
    closed_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
-- Queues sort by the resolution deadline with open-ended incidents last: the
-- expression matches the ORDER BY of the queue query.
CREATE INDEX ix_incidents_team_state_due ON incidents (team_id, state, (COALESCE(resolve_due_at, 9223372036854775807)), id);
CREATE INDEX ix_incidents_assignee_state ON incidents (assignee_id, state, (COALESCE(resolve_due_at, 9223372036854775807)), id);
CREATE INDEX ix_incidents_state_due ON incidents (state, (COALESCE(resolve_due_at, 9223372036854775807)), id);
CREATE INDEX ix_incidents_updated ON incidents (updated_at, id);
CREATE INDEX ix_incidents_requester ON incidents (requester_id, id);
CREATE INDEX ix_incidents_sla_check ON incidents (sla_check_at);
CREATE INDEX ix_incidents_parent ON incidents (parent_id);

CREATE TABLE incident_activities (
    id {{pk}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    at_ms BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL,
    -- Public replies are shown to the requester; work notes are not.
    public BIGINT NOT NULL DEFAULT 0,
    body TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_incident_activities_incident ON incident_activities (incident_id, id);

CREATE TABLE incident_watchers (
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX ix_incident_watchers_user ON incident_watchers (user_id);

CREATE TABLE incident_links (
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    related_id BIGINT NOT NULL REFERENCES incidents(id),
    PRIMARY KEY (incident_id, related_id)
);
