-- Asset management, slice 2 (issue 11, ADR 0030): software licences with their assignments,
-- expiry reminders sent once per date, and stocktake campaigns (盘点) with one row per tag.
-- Money is BIGINT fen; dates are 'YYYY-MM-DD' text; times are epoch milliseconds.

-- kind: per_seat, per_core, site or subscription. quantity: seats or cores owned (a site
-- licence ignores it). remind_days: how long before end_date the reminder goes out.
CREATE TABLE licences (
    id {{pk}},
    product TEXT NOT NULL,
    vendor TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    quantity BIGINT NOT NULL DEFAULT 0,
    cost_fen BIGINT NOT NULL DEFAULT 0,
    contract_number TEXT NOT NULL DEFAULT '',
    start_date TEXT,
    end_date TEXT,
    remind_days BIGINT NOT NULL DEFAULT 30,
    responsible_id BIGINT REFERENCES users(id),
    department_id BIGINT REFERENCES departments(id),
    notes TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_licences_end ON licences (end_date);
CREATE INDEX ix_licences_department ON licences (department_id, id);

-- One licence used by one CI or one user; quantity: seats or cores it takes.
CREATE TABLE licence_assignments (
    id {{pk}},
    licence_id BIGINT NOT NULL REFERENCES licences(id),
    ci_id BIGINT REFERENCES cis(id),
    user_id BIGINT REFERENCES users(id),
    quantity BIGINT NOT NULL DEFAULT 1,
    note TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX ix_licence_assignments_licence ON licence_assignments (licence_id, id);
CREATE UNIQUE INDEX ux_licence_assignments_ci ON licence_assignments (licence_id, ci_id);
CREATE UNIQUE INDEX ux_licence_assignments_user ON licence_assignments (licence_id, user_id);

-- A reminder sent: kind (licence_expiry, warranty_expiry), the record, and the date it
-- warned of. Unique, so that two nodes or a rerun never remind twice of one date.
CREATE TABLE asset_reminders (
    id {{pk}},
    kind TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    sent_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_asset_reminders ON asset_reminders (kind, object_id, due_date);

-- A stocktake campaign: its scope (a location, a department, a category; blank: any), open
-- until closed; applied: whether closing changed the assets.
CREATE TABLE stocktakes (
    id {{pk}},
    name TEXT NOT NULL,
    location TEXT NOT NULL DEFAULT '',
    department_id BIGINT REFERENCES departments(id),
    category TEXT,
    state TEXT NOT NULL,
    applied BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    closed_by BIGINT REFERENCES users(id),
    closed_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_stocktakes_state ON stocktakes (state, id);

-- One tag of a stocktake: expected (listed at the start) or scanned without being expected.
-- result: pending, found, missing, found_elsewhere or unexpected.
CREATE TABLE stocktake_items (
    id {{pk}},
    stocktake_id BIGINT NOT NULL REFERENCES stocktakes(id),
    tag TEXT NOT NULL,
    asset_id BIGINT REFERENCES assets(id),
    expected BIGINT NOT NULL,
    result TEXT NOT NULL,
    location TEXT NOT NULL DEFAULT '',
    seen_by BIGINT REFERENCES users(id),
    seen_at BIGINT
);
CREATE UNIQUE INDEX ux_stocktake_items ON stocktake_items (stocktake_id, tag);
