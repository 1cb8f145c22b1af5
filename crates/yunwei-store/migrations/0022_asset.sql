-- Asset management (SPEC AST, issue 11): the asset register, each asset's lifecycle steps,
-- and who approves a purchase request by amount and category. Money is BIGINT fen; dates
-- are 'YYYY-MM-DD' text; times are epoch milliseconds.

-- pending_by: who asked for the decision the asset awaits (a purchase request or a
-- scrapping request); nobody decides their own. ci_id: the CI it is deployed as.
CREATE TABLE assets (
    id {{pk}},
    tag TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    serial_number TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    supplier TEXT NOT NULL DEFAULT '',
    contract_number TEXT NOT NULL DEFAULT '',
    cost_fen BIGINT NOT NULL DEFAULT 0,
    salvage_fen BIGINT NOT NULL DEFAULT 0,
    useful_life_months BIGINT NOT NULL DEFAULT 0,
    purchase_date TEXT,
    warranty_end TEXT,
    responsible_id BIGINT REFERENCES users(id),
    department_id BIGINT REFERENCES departments(id),
    ci_id BIGINT REFERENCES cis(id),
    state TEXT NOT NULL,
    pending_by BIGINT REFERENCES users(id),
    notes TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX ux_assets_tag ON assets (tag);
CREATE INDEX ix_assets_state ON assets (state, id);
CREATE INDEX ix_assets_category ON assets (category, id);
CREATE INDEX ix_assets_department ON assets (department_id, id);
CREATE INDEX ix_assets_ci ON assets (ci_id);
CREATE INDEX ix_assets_warranty ON assets (warranty_end);

-- One row per lifecycle step (and the registration), in the same commit as the step.
CREATE TABLE asset_history (
    id {{pk}},
    asset_id BIGINT NOT NULL REFERENCES assets(id),
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_asset_history_asset ON asset_history (asset_id, id);

-- A purchase request of this category ('*': any) costing at least min_cost_fen is decided
-- by holders of role_key (and asset:approve); the highest threshold reached wins.
CREATE TABLE asset_approval_rules (
    id {{pk}},
    category TEXT NOT NULL,
    min_cost_fen BIGINT NOT NULL,
    role_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_asset_approval_rules ON asset_approval_rules (category, min_cost_fen);

INSERT INTO asset_approval_rules (category, min_cost_fen, role_key, created_at) VALUES ('*', 0, 'ops_manager', 0);
INSERT INTO asset_approval_rules (category, min_cost_fen, role_key, created_at) VALUES ('*', 5000000, 'ops_director', 0);
INSERT INTO asset_approval_rules (category, min_cost_fen, role_key, created_at) VALUES ('server', 2000000, 'ops_director', 0);
INSERT INTO asset_approval_rules (category, min_cost_fen, role_key, created_at) VALUES ('security', 0, 'ops_director', 0);
