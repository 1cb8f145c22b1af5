-- Problem management (issue 14, SPEC PRB-1 … PRB-6): the problem as a ticket of the kernel
-- (ADR 0012) with its timeline and watchers in the kernel's shape; its known error (symptom,
-- root cause, workaround) and root-cause analysis on the row; the incidents linked to it,
-- its solution measures, and the suggestions raised from recurring incidents (ADR 0025).
CREATE TABLE problems (
    id {{pk}},
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'new',
    impact TEXT NOT NULL DEFAULT 'low',
    severity TEXT NOT NULL DEFAULT 'low',
    priority BIGINT NOT NULL DEFAULT 4,
    owner_id BIGINT REFERENCES users(id),
    team_id BIGINT REFERENCES teams(id),
    created_by BIGINT REFERENCES users(id),
    -- The CI from the CMDB; ci_ref is free text where no CI is recorded.
    ci_id BIGINT REFERENCES cis(id),
    ci_ref TEXT NOT NULL DEFAULT '',
    symptom TEXT NOT NULL DEFAULT '',
    root_cause TEXT NOT NULL DEFAULT '',
    workaround TEXT NOT NULL DEFAULT '',
    known_error_at BIGINT,
    -- The root-cause analysis: JSON with timeline, whys, causes, hypotheses.
    rca TEXT NOT NULL DEFAULT '{}',
    review_lessons TEXT NOT NULL DEFAULT '',
    -- The closure review's answer: does the improvement register need an entry (yes, no; empty: not said).
    review_improvement TEXT NOT NULL DEFAULT '',
    improvement_id BIGINT REFERENCES improvements(id),
    resolved_at BIGINT,
    closed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_problems_state ON problems (state, id);
CREATE INDEX ix_problems_team ON problems (team_id, id);
CREATE INDEX ix_problems_owner ON problems (owner_id, id);
CREATE INDEX ix_problems_known_error ON problems (known_error_at, id);

CREATE TABLE problem_activities (
    id {{pk}},
    problem_id BIGINT NOT NULL REFERENCES problems(id),
    at_ms BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL,
    public BIGINT NOT NULL DEFAULT 0,
    body TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_problem_activities_problem ON problem_activities (problem_id, id);

CREATE TABLE problem_watchers (
    problem_id BIGINT NOT NULL REFERENCES problems(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (problem_id, user_id)
);
CREATE INDEX ix_problem_watchers_user ON problem_watchers (user_id);

CREATE TABLE problem_incidents (
    problem_id BIGINT NOT NULL REFERENCES problems(id),
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    PRIMARY KEY (problem_id, incident_id)
);
CREATE INDEX ix_problem_incidents_incident ON problem_incidents (incident_id);

-- Solution measures (解决措施) with their owner and due date, each tracked to done.
CREATE TABLE problem_measures (
    id {{pk}},
    problem_id BIGINT NOT NULL REFERENCES problems(id),
    title TEXT NOT NULL,
    owner_id BIGINT REFERENCES users(id),
    due_at BIGINT,
    done_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_problem_measures_problem ON problem_measures (problem_id, id);
CREATE INDEX ix_problem_measures_due ON problem_measures (done_at, due_at);

-- Suggestions (PRB-1): basis ci, category, service or major and its subject's id; the
-- incidents (JSON ids) that raised it; pending until accepted (problem_id) or dismissed.
-- last_at is how far an accepted or dismissed suggestion covers its subject.
CREATE TABLE problem_suggestions (
    id {{pk}},
    basis TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    threshold BIGINT NOT NULL,
    window_days BIGINT NOT NULL,
    incident_ids TEXT NOT NULL DEFAULT '[]',
    last_at BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    problem_id BIGINT REFERENCES problems(id),
    decided_by BIGINT REFERENCES users(id),
    decided_at BIGINT,
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_problem_suggestions_key ON problem_suggestions (basis, subject_id, state);
CREATE INDEX ix_problem_suggestions_state ON problem_suggestions (state, id);
