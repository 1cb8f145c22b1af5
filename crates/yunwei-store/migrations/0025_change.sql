-- Change management (issue 13, SPEC CHG-1 … CHG-7): the change request as a ticket of the
-- kernel (ADR 0012) with its timeline and watchers in the kernel's shape, the CIs it touches,
-- the incidents it is linked to, and the approvers' votes.
CREATE TABLE changes (
    id {{pk}},
    title TEXT NOT NULL,
    change_type TEXT NOT NULL DEFAULT 'normal',
    state TEXT NOT NULL DEFAULT 'draft',
    content TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    expected_effect TEXT NOT NULL DEFAULT '',
    impact_scope TEXT NOT NULL DEFAULT '',
    -- The implementation plan: a JSON list of steps {title, status, started_at, finished_at}.
    steps TEXT NOT NULL DEFAULT '[]',
    window_start BIGINT,
    window_end BIGINT,
    risk_mitigation TEXT NOT NULL DEFAULT '',
    backup_plan TEXT NOT NULL DEFAULT '',
    rollback_plan TEXT NOT NULL DEFAULT '',
    test_plan TEXT NOT NULL DEFAULT '',
    risk_level TEXT NOT NULL DEFAULT 'low',
    risk_score BIGINT NOT NULL DEFAULT 0,
    -- The questionnaire's answers {key: 0..3} and the reasons of the level, as assessed.
    risk_answers TEXT NOT NULL DEFAULT '{}',
    risk_reasons TEXT NOT NULL DEFAULT '[]',
    approvals_needed BIGINT NOT NULL DEFAULT 1,
    approved_at BIGINT,
    requester_id BIGINT REFERENCES users(id),
    implementer_id BIGINT REFERENCES users(id),
    team_id BIGINT REFERENCES teams(id),
    department_id BIGINT REFERENCES departments(id),
    started_at BIGINT,
    start_override TEXT NOT NULL DEFAULT '',
    finished_at BIGINT,
    closed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_changes_state ON changes (state, id);
CREATE INDEX ix_changes_window ON changes (window_start, window_end);
CREATE INDEX ix_changes_team ON changes (team_id, id);
CREATE INDEX ix_changes_requester ON changes (requester_id, id);

CREATE TABLE change_activities (
    id {{pk}},
    change_id BIGINT NOT NULL REFERENCES changes(id),
    at_ms BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL,
    public BIGINT NOT NULL DEFAULT 0,
    body TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_change_activities_change ON change_activities (change_id, id);

CREATE TABLE change_watchers (
    change_id BIGINT NOT NULL REFERENCES changes(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (change_id, user_id)
);
CREATE INDEX ix_change_watchers_user ON change_watchers (user_id);

-- The CIs a change touches (CHG-1), picked from the CMDB.
CREATE TABLE change_cis (
    change_id BIGINT NOT NULL REFERENCES changes(id),
    ci_id BIGINT NOT NULL REFERENCES cis(id),
    PRIMARY KEY (change_id, ci_id)
);
CREATE INDEX ix_change_cis_ci ON change_cis (ci_id, change_id);

-- Incidents linked to a change: 'cause' (the incident that asked for it) or 'caused_by'
-- (the incident this change caused).
CREATE TABLE change_incidents (
    change_id BIGINT NOT NULL REFERENCES changes(id),
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    relation TEXT NOT NULL,
    PRIMARY KEY (change_id, incident_id, relation)
);
CREATE INDEX ix_change_incidents_incident ON change_incidents (incident_id);

-- One vote per approver per change: the key refuses a second vote by the same person.
CREATE TABLE change_approvals (
    id {{pk}},
    change_id BIGINT NOT NULL REFERENCES changes(id),
    approver_id BIGINT NOT NULL REFERENCES users(id),
    vote TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    at_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_change_approvals_voter ON change_approvals (change_id, approver_id);
