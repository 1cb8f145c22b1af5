-- Major incidents (SPEC INC-7, 应急响应): the response's phase, commander and
-- stakeholder-update rhythm, and the war-room log (作战室/指挥记录).

CREATE TABLE major_incidents (
    incident_id BIGINT PRIMARY KEY REFERENCES incidents(id),
    -- declared, containment, recovery, review, closed.
    phase TEXT NOT NULL,
    commander_id BIGINT REFERENCES users(id),
    update_interval_minutes BIGINT NOT NULL,
    declared_at BIGINT NOT NULL,
    containment_at BIGINT,
    recovery_at BIGINT,
    review_at BIGINT,
    closed_at BIGINT,
    last_update_at BIGINT,
    -- When the stakeholders expect the next update (last update, or declaration, plus the interval).
    next_update_due_at BIGINT,
    -- When the scheduler next reminds the commander; NULL once no more updates are expected.
    remind_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_major_incidents_remind ON major_incidents (remind_at);

CREATE TABLE war_room_entries (
    id {{pk}},
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    at_ms BIGINT NOT NULL,
    author_id BIGINT REFERENCES users(id),
    -- action, decision, stakeholder_update, phase_change.
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ix_war_room_entries_incident ON war_room_entries (incident_id, id);

-- Incidents declared major before this version get their war room, in the first phase.
INSERT INTO major_incidents (incident_id, phase, commander_id, update_interval_minutes, declared_at, next_update_due_at, remind_at)
SELECT id, 'declared', commander_id, 30, updated_at, NULL, NULL FROM incidents WHERE major = 1;
