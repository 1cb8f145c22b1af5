-- On-call duty (值班, SPEC DUTY): schedules made of layers, each handing shifts round its
-- members; overrides on top. Local times of a layer are civil text in the schedule's zone
-- (a handoff at 09:00 stays at 09:00 across daylight saving); instants are UTC milliseconds.
CREATE TABLE duty_schedules (
    id {{pk}},
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    team_id BIGINT REFERENCES teams(id),
    -- IANA zone, e.g. Asia/Shanghai.
    time_zone TEXT NOT NULL,
    -- The business calendar whose working days (调休 included) working-day layers follow.
    calendar_id BIGINT REFERENCES calendars(id),
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ux_duty_schedules_name ON duty_schedules (name);
CREATE INDEX ix_duty_schedules_team ON duty_schedules (team_id);

CREATE TABLE duty_layers (
    id {{pk}},
    schedule_id BIGINT NOT NULL REFERENCES duty_schedules(id),
    name TEXT NOT NULL,
    -- The highest precedence with someone on call wins.
    precedence BIGINT NOT NULL,
    -- daily, weekly or custom.
    rotation TEXT NOT NULL,
    -- Days (daily) or weeks (weekly) per turn.
    rotation_length BIGINT NOT NULL DEFAULT 1,
    -- custom: the RRULE subset of ADR 0024.
    rrule TEXT NOT NULL DEFAULT '',
    -- First handoff, local YYYY-MM-DDTHH:MM; the end, if any, likewise.
    starts_local TEXT NOT NULL,
    ends_local TEXT,
    responders BIGINT NOT NULL DEFAULT 1,
    -- any, working_days or non_working_days.
    restrict_days TEXT NOT NULL DEFAULT 'any',
    -- A daily window HH:MM–HH:MM (past midnight when from > to), or none.
    window_from TEXT,
    window_to TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX ix_duty_layers_schedule ON duty_layers (schedule_id, precedence);

-- Memberships are never rewritten: leaving sets left_at, joining again adds a row, so the
-- past shifts can always be computed as they were (members anchored).
CREATE TABLE duty_members (
    id {{pk}},
    layer_id BIGINT NOT NULL REFERENCES duty_layers(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    turn_order BIGINT NOT NULL,
    joined_at BIGINT NOT NULL,
    left_at BIGINT
);
CREATE INDEX ix_duty_members_layer ON duty_members (layer_id, turn_order);
CREATE INDEX ix_duty_members_user ON duty_members (user_id);

CREATE TABLE duty_overrides (
    id {{pk}},
    schedule_id BIGINT NOT NULL REFERENCES duty_schedules(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    -- The person replaced; none: everyone on call then.
    replaces_user_id BIGINT REFERENCES users(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_duty_overrides_schedule ON duty_overrides (schedule_id, ends_at);

-- Shift swaps (调班): the counterpart covers the requester's period (and, given a return
-- period, the requester covers the counterpart's). proposed → accepted → approved, or
-- declined / rejected / cancelled; approval makes the overrides.
ALTER TABLE duty_schedules ADD COLUMN swap_needs_approval BIGINT NOT NULL DEFAULT 1;
ALTER TABLE duty_schedules ADD COLUMN min_rest_hours BIGINT NOT NULL DEFAULT 8;
CREATE TABLE duty_swaps (
    id {{pk}},
    schedule_id BIGINT NOT NULL REFERENCES duty_schedules(id),
    requester_id BIGINT NOT NULL REFERENCES users(id),
    counterpart_id BIGINT NOT NULL REFERENCES users(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    return_starts_at BIGINT,
    return_ends_at BIGINT,
    reason TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    needs_approval BIGINT NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_duty_swaps_schedule ON duty_swaps (schedule_id, state, id);
