-- Foundation: organisation, identity, audit chain, outbox, notifications, jobs.
-- Portable SQL for SQLite and PostgreSQL. Times are unix milliseconds (UTC).

CREATE TABLE departments (
    id {{pk}},
    name TEXT NOT NULL,
    code TEXT,
    parent_id BIGINT REFERENCES departments(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_departments_name ON departments (name);

CREATE TABLE users (
    id {{pk}},
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    department_id BIGINT REFERENCES departments(id),
    manager_id BIGINT REFERENCES users(id),
    locale TEXT NOT NULL DEFAULT 'zh-CN',
    time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    password_hash TEXT,
    password_changed_at BIGINT,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    disabled BIGINT NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    totp_secret TEXT,
    totp_enabled BIGINT NOT NULL DEFAULT 0,
    totp_last_step BIGINT,
    auth_source TEXT NOT NULL DEFAULT 'local',
    external_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_users_username ON users (username);

CREATE TABLE teams (
    id {{pk}},
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    email TEXT,
    manager_id BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_teams_name ON teams (name);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX ix_team_members_user ON team_members (user_id);

CREATE TABLE roles (
    id {{pk}},
    role_key TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    duty TEXT,
    builtin BIGINT NOT NULL DEFAULT 0,
    require_totp BIGINT NOT NULL DEFAULT 0,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_roles_key ON roles (role_key);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles(id),
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX ix_user_roles_role ON user_roles (role_id);

CREATE TABLE password_history (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX ix_password_history_user ON password_history (user_id, changed_at);

CREATE TABLE recovery_codes (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT
);
CREATE INDEX ix_recovery_codes_user ON recovery_codes (user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    second_factor_pending BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    source_ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    prefix TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX ux_api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX ix_api_tokens_user ON api_tokens (user_id);

-- Append-only, hash-chained. audit_head holds the chain's tip; audit_anchor the
-- last entry moved to an archive file, from which verification starts.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX ix_audit_log_at ON audit_log (at_ms);
CREATE INDEX ix_audit_log_object ON audit_log (object_type, object_id);
CREATE INDEX ix_audit_log_actor ON audit_log (actor_id);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_anchor (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    archived_at BIGINT NOT NULL,
    archive_file TEXT NOT NULL
);

CREATE TABLE outbox (
    id {{pk}},
    event_type TEXT NOT NULL,
    subject_user_id BIGINT,
    actor_id BIGINT,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT
);
CREATE INDEX ix_outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE deliveries (
    id {{pk}},
    event_id BIGINT NOT NULL REFERENCES outbox(id),
    channel TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
    address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX ix_deliveries_due ON deliveries (status, next_attempt_at);
CREATE UNIQUE INDEX ux_deliveries_once ON deliveries (event_id, channel, address);

CREATE TABLE notifications (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX ix_notifications_user ON notifications (user_id, id);
CREATE UNIQUE INDEX ux_notifications_once ON notifications (event_id, user_id);

CREATE TABLE notification_templates (
    event_type TEXT NOT NULL,
    locale TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT,
    PRIMARY KEY (event_type, locale)
);

CREATE TABLE notification_preferences (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    channel TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    PRIMARY KEY (user_id, event_type, channel)
);

CREATE TABLE jobs (
    id {{pk}},
    kind TEXT NOT NULL,
    unique_key TEXT,
    payload TEXT NOT NULL DEFAULT '{}',
    run_at BIGINT NOT NULL,
    interval_seconds BIGINT,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_jobs_unique_key ON jobs (unique_key);
CREATE INDEX ix_jobs_due ON jobs (status, run_at);

-- One row per execution; the unique key proves no job ran twice for one due time.
CREATE TABLE job_runs (
    id {{pk}},
    job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    scheduled_for BIGINT NOT NULL,
    node TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    outcome TEXT
);
CREATE UNIQUE INDEX ux_job_runs_once ON job_runs (job_id, scheduled_for);

CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
