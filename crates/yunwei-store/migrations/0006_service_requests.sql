-- Service requests (SPEC REQ): catalogue items with data-defined forms,
-- approval steps and fulfilment tasks; requests with their approvals, tasks
-- and timeline.

CREATE TABLE catalog_items (
    id {{pk}},
    -- Stable key so that seeded items can be found again (and never re-seeded twice).
    code TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    description_zh TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    -- JSON: form fields, approval steps, task templates (yunwei_domain::request::ItemDefinition).
    definition TEXT NOT NULL,
    team_id BIGINT REFERENCES teams(id),
    service_id BIGINT REFERENCES business_services(id),
    active BIGINT NOT NULL DEFAULT 1,
    sort_order BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ux_catalog_items_code ON catalog_items (code);

CREATE TABLE service_requests (
    id {{pk}},
    item_id BIGINT NOT NULL REFERENCES catalog_items(id),
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    requester_id BIGINT REFERENCES users(id),
    reporter_id BIGINT REFERENCES users(id),
    department_id BIGINT REFERENCES departments(id),
    team_id BIGINT REFERENCES teams(id),
    assignee_id BIGINT REFERENCES users(id),
    -- JSON object: the form's answers, checked against the item's form when submitted.
    answers TEXT NOT NULL,
    -- The item's definition as it was when the request was made: later edits do not move it.
    definition TEXT NOT NULL,
    -- Index of the approval step now deciding; NULL when none is.
    approval_step BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    approved_at BIGINT,
    fulfilled_at BIGINT,
    closed_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_service_requests_requester ON service_requests (requester_id, id);
CREATE INDEX ix_service_requests_team_state ON service_requests (team_id, state, id);
CREATE INDEX ix_service_requests_state ON service_requests (state, id);

CREATE TABLE request_approvals (
    id {{pk}},
    request_id BIGINT NOT NULL REFERENCES service_requests(id),
    step BIGINT NOT NULL,
    approver_id BIGINT NOT NULL REFERENCES users(id),
    decision TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX ix_request_approvals_request ON request_approvals (request_id, step, id);
CREATE INDEX ix_request_approvals_approver ON request_approvals (approver_id, decision, request_id);

CREATE TABLE request_tasks (
    id {{pk}},
    request_id BIGINT NOT NULL REFERENCES service_requests(id),
    seq BIGINT NOT NULL,
    title TEXT NOT NULL,
    team_id BIGINT REFERENCES teams(id),
    assignee_id BIGINT REFERENCES users(id),
    state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX ix_request_tasks_request ON request_tasks (request_id, seq);
CREATE INDEX ix_request_tasks_team_state ON request_tasks (team_id, state, id);

CREATE TABLE request_activities (
    id {{pk}},
    request_id BIGINT NOT NULL REFERENCES service_requests(id),
    at_ms BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    kind TEXT NOT NULL,
    public BIGINT NOT NULL DEFAULT 1,
    body TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_request_activities_request ON request_activities (request_id, id);
