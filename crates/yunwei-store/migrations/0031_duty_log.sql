-- On-call duty, second part (ADR 0029): calendar feed tokens, the duty log (值班日志) and
-- handovers (交接班).

-- One secret per person for their iCalendar feed URLs; only its hash is kept. Making a new
-- one replaces the old (the old URL stops working).
CREATE TABLE duty_feed_tokens (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_duty_feed_tokens_user ON duty_feed_tokens (user_id);
CREATE UNIQUE INDEX ux_duty_feed_tokens_hash ON duty_feed_tokens (token_hash);

-- What the officer on duty saw and did (值班期间对发生的故障和事件进行详细记录): kind is
-- alarm, fault_report, action or note; a fault report carries when it happened and the
-- impact. Entries are never edited: a correction is a new entry.
CREATE TABLE duty_log_entries (
    id {{pk}},
    schedule_id BIGINT NOT NULL REFERENCES duty_schedules(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    occurred_at BIGINT,
    impact TEXT NOT NULL DEFAULT '',
    incident_id BIGINT REFERENCES incidents(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_duty_log_entries_schedule ON duty_log_entries (schedule_id, created_at);

-- At a shift's end the outgoing officer hands over: a snapshot of open incidents and alerts
-- (JSON, as they stood), free notes; the incoming officer acknowledges it.
CREATE TABLE duty_handovers (
    id {{pk}},
    schedule_id BIGINT NOT NULL REFERENCES duty_schedules(id),
    from_user_id BIGINT NOT NULL REFERENCES users(id),
    to_user_id BIGINT REFERENCES users(id),
    shift_ends_at BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    acknowledged_by BIGINT REFERENCES users(id),
    acknowledged_at BIGINT,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_duty_handovers_schedule ON duty_handovers (schedule_id, id);
