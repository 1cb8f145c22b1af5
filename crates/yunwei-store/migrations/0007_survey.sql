-- Satisfaction surveys (SPEC SAT) and the improvement register.

CREATE TABLE surveys (
    id {{pk}},
    -- 'incident' or 'service_request', and that record's id and human number.
    subject_type TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    subject_ref TEXT NOT NULL,
    subject_title TEXT NOT NULL,
    -- SHA-256 of the link's token; the token itself is never stored here.
    token_hash TEXT NOT NULL,
    requester_id BIGINT REFERENCES users(id),
    requester_email TEXT,
    requester_name TEXT,
    -- Who handled the ticket, as it was at resolution (for the statistics).
    team_id BIGINT REFERENCES teams(id),
    service_id BIGINT REFERENCES business_services(id),
    assignee_id BIGINT REFERENCES users(id),
    department_id BIGINT REFERENCES departments(id),
    -- 'sent' or 'answered'; a sent survey past expires_at reads as expired.
    state TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    answered_at BIGINT,
    score BIGINT,
    comment TEXT
);
CREATE UNIQUE INDEX ux_surveys_token ON surveys (token_hash);
CREATE INDEX ix_surveys_subject ON surveys (subject_type, subject_id, id);
CREATE INDEX ix_surveys_sent ON surveys (sent_at, id);
CREATE INDEX ix_surveys_team ON surveys (team_id, sent_at);
CREATE INDEX ix_surveys_requester ON surveys (requester_id, id);

CREATE TABLE improvements (
    id {{pk}},
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- 'survey' (a low score) or 'manual'.
    source TEXT NOT NULL,
    survey_id BIGINT REFERENCES surveys(id),
    subject_type TEXT,
    subject_id BIGINT,
    subject_ref TEXT,
    team_id BIGINT REFERENCES teams(id),
    owner_id BIGINT REFERENCES users(id),
    -- open, in_progress, done, rejected.
    state TEXT NOT NULL,
    -- A civil date (YYYY-MM-DD) in the organisation's zone.
    due_on TEXT,
    measures TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_improvements_state ON improvements (state, id);
CREATE INDEX ix_improvements_team ON improvements (team_id, state, id);
CREATE INDEX ix_improvements_survey ON improvements (survey_id);
