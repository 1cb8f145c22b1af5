-- The CMDB, first slice (issue 11; ADR 0017): classes and their attributes are data, seeded
-- with a model an operations team recognises; CIs keep their class's attributes as one JSON
-- object; relations are typed, and which classes a type may join is data too. Every change to
-- a CI or a relation is one row of ci_history, written in the same commit, so a CI and its
-- relations can be read as they were at any moment. Times are epoch milliseconds.

-- A class restricted to a team (security devices for the security team) shows its CIs, and
-- those of its subclasses, to that team's members only. A removed class stays as a row
-- (deleted = 1, its code not reused) so that the history of its CIs keeps its name.
CREATE TABLE ci_classes (
    id {{pk}},
    code TEXT NOT NULL,
    parent_id BIGINT REFERENCES ci_classes(id),
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    abstract BIGINT NOT NULL DEFAULT 0,
    builtin BIGINT NOT NULL DEFAULT 0,
    icon TEXT NOT NULL DEFAULT '',
    restricted_team_id BIGINT REFERENCES teams(id),
    deleted BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_ci_classes_code ON ci_classes (code);
CREATE INDEX ix_ci_classes_parent ON ci_classes (parent_id);

-- Inherited down the tree: a class has its ancestors' attributes and its own. min_value and
-- max_value bound integers and decimals (and the length of text); enum_values is a JSON list
-- of {code, name, name_en}; identifying marks the keys that import will match on (later).
CREATE TABLE ci_attributes (
    id {{pk}},
    class_id BIGINT NOT NULL REFERENCES ci_classes(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    required BIGINT NOT NULL DEFAULT 0,
    unique_in_class BIGINT NOT NULL DEFAULT 0,
    identifying BIGINT NOT NULL DEFAULT 0,
    pattern TEXT,
    min_value DOUBLE PRECISION,
    max_value DOUBLE PRECISION,
    enum_values TEXT NOT NULL DEFAULT '[]',
    ref_class_id BIGINT REFERENCES ci_classes(id),
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_ci_attributes_class_code ON ci_attributes (class_id, code);

-- A deleted CI stays as a row (deleted = 1) so that history and the graph as it was keep its
-- name. min_healthy: for a pool or cluster, the healthy members that keep it up (NULL = 1).
CREATE TABLE cis (
    id {{pk}},
    class_id BIGINT NOT NULL REFERENCES ci_classes(id),
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'production',
    owner_team_id BIGINT REFERENCES teams(id),
    criticality TEXT NOT NULL DEFAULT 'medium',
    environment TEXT NOT NULL DEFAULT 'production',
    location_id BIGINT REFERENCES cis(id),
    min_healthy BIGINT,
    tags TEXT NOT NULL DEFAULT '[]',
    attributes TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    deleted BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX ix_cis_class ON cis (class_id, id);
CREATE INDEX ix_cis_team ON cis (owner_team_id, id);
CREATE INDEX ix_cis_status ON cis (status, id);
CREATE INDEX ix_cis_name ON cis (name);
CREATE INDEX ix_cis_location ON cis (location_id);

-- propagation 'source': failure of the target affects the source (depends_on, runs_on, …);
-- 'none': no effect (connects_to, backs_up). pool = 1: the source is a member of the target.
CREATE TABLE ci_relation_types (
    id {{pk}},
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    reverse_name TEXT NOT NULL,
    reverse_name_en TEXT NOT NULL DEFAULT '',
    propagation TEXT NOT NULL,
    pool BIGINT NOT NULL DEFAULT 0,
    builtin BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_ci_relation_types_code ON ci_relation_types (code);

-- A rule allows the classes it names and their descendants, on either side.
CREATE TABLE ci_relation_rules (
    id {{pk}},
    relation_type_id BIGINT NOT NULL REFERENCES ci_relation_types(id),
    from_class_id BIGINT NOT NULL REFERENCES ci_classes(id),
    to_class_id BIGINT NOT NULL REFERENCES ci_classes(id)
);
CREATE UNIQUE INDEX ux_ci_relation_rules ON ci_relation_rules (relation_type_id, from_class_id, to_class_id);

CREATE TABLE ci_relations (
    id {{pk}},
    type_id BIGINT NOT NULL REFERENCES ci_relation_types(id),
    from_ci_id BIGINT NOT NULL REFERENCES cis(id),
    to_ci_id BIGINT NOT NULL REFERENCES cis(id),
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_ci_relations ON ci_relations (type_id, from_ci_id, to_ci_id);
CREATE INDEX ix_ci_relations_from ON ci_relations (from_ci_id);
CREATE INDEX ix_ci_relations_to ON ci_relations (to_ci_id);

-- One row per change of a CI (relation_id NULL) or of a relation (ci_id = its source,
-- peer_ci_id = its target). before/after: JSON of the changed fields (a whole record on
-- create and delete), NULL where there is none. source: ui, api, import, reconciliation,
-- change (source_ref names the change) or system. max(id) is the graph's change cursor.
CREATE TABLE ci_history (
    id {{pk}},
    ci_id BIGINT NOT NULL REFERENCES cis(id),
    relation_id BIGINT,
    peer_ci_id BIGINT REFERENCES cis(id),
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    source TEXT NOT NULL,
    source_ref TEXT,
    op TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX ix_ci_history_ci ON ci_history (ci_id, id);
CREATE INDEX ix_ci_history_peer ON ci_history (peer_ci_id, id);
CREATE INDEX ix_ci_history_relation ON ci_history (relation_id, id);

-- Business services are CIs of class business_service: each has its CI.
ALTER TABLE business_services ADD COLUMN ci_id BIGINT REFERENCES cis(id);

-- The seeded class tree (builtin = 1; editable data afterwards).
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    VALUES ('functional_ci', NULL, '功能性配置项', 'Functional CI', 1, 1, 'ci', 0, 0);
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'physical_device', id, '物理设备', 'Physical device', 1, 1, 'device', 0, 0 FROM ci_classes WHERE code = 'functional_ci';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'server', id, '服务器', 'Server', 0, 1, 'server', 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'network_device', id, '网络设备', 'Network device', 0, 1, 'network', 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'storage', id, '存储设备', 'Storage', 0, 1, 'storage', 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'security_device', id, '安全设备', 'Security device', 0, 1, 'shield', 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'rack', id, '机柜', 'Rack', 0, 1, 'rack', 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'power', id, '电源设备', 'Power device', 0, 1, 'power', 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'virtual_machine', id, '虚拟机', 'Virtual machine', 0, 1, 'vm', 0, 0 FROM ci_classes WHERE code = 'functional_ci';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'cluster', id, '集群', 'Cluster', 0, 1, 'cluster', 0, 0 FROM ci_classes WHERE code = 'functional_ci';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'hypervisor', id, '虚拟化平台', 'Hypervisor', 0, 1, 'hypervisor', 0, 0 FROM ci_classes WHERE code = 'functional_ci';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'software_instance', id, '软件实例', 'Software instance', 1, 1, 'software', 0, 0 FROM ci_classes WHERE code = 'functional_ci';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'database_instance', id, '数据库实例', 'Database instance', 0, 1, 'database', 0, 0 FROM ci_classes WHERE code = 'software_instance';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'middleware', id, '中间件', 'Middleware', 0, 1, 'middleware', 0, 0 FROM ci_classes WHERE code = 'software_instance';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'web_server', id, 'Web 服务器', 'Web server', 0, 1, 'web', 0, 0 FROM ci_classes WHERE code = 'software_instance';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'application', id, '应用系统', 'Application', 0, 1, 'application', 0, 0 FROM ci_classes WHERE code = 'functional_ci';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    SELECT 'business_service', id, '业务服务', 'Business service', 0, 1, 'service', 0, 0 FROM ci_classes WHERE code = 'functional_ci';
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    VALUES ('location', NULL, '位置', 'Location', 0, 1, 'location', 0, 0);
INSERT INTO ci_classes (code, parent_id, name, name_en, abstract, builtin, icon, created_at, updated_at)
    VALUES ('system_parameter', NULL, '系统参数', 'System parameter', 0, 1, 'parameter', 0, 0);

-- Their attributes.
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'serial_number', '序列号', 'Serial number', 'text', 0, 1, 1, NULL, NULL, NULL, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'asset_tag', '资产标签', 'Asset tag', 'text', 0, 1, 1, NULL, NULL, NULL, '[]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'vendor', '厂商', 'Vendor', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 30, 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'model', '型号', 'Model', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 40, 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'rack_unit', '机柜 U 位', 'Rack unit', 'integer', 0, 0, 0, NULL, 1, 60, '[]', NULL, 50, 0, 0 FROM ci_classes WHERE code = 'physical_device';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'hostname', '主机名', 'Host name', 'text', 1, 1, 1, '^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$', NULL, NULL, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'server';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'management_ip', '管理 IP', 'Management IP', 'ip', 0, 1, 1, NULL, NULL, NULL, '[]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'server';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'cpu_cores', 'CPU 核数', 'CPU cores', 'integer', 0, 0, 0, NULL, 1, 4096, '[]', NULL, 30, 0, 0 FROM ci_classes WHERE code = 'server';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'memory_gb', '内存（GB）', 'Memory (GB)', 'integer', 0, 0, 0, NULL, 1, 65536, '[]', NULL, 40, 0, 0 FROM ci_classes WHERE code = 'server';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'os', '操作系统', 'Operating system', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 50, 0, 0 FROM ci_classes WHERE code = 'server';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'management_ip', '管理 IP', 'Management IP', 'ip', 1, 1, 1, NULL, NULL, NULL, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'network_device';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'device_type', '设备类型', 'Device type', 'enum', 1, 0, 0, NULL, NULL, NULL, '[{"code": "switch", "name": "交换机", "name_en": "Switch"}, {"code": "router", "name": "路由器", "name_en": "Router"}, {"code": "load_balancer", "name": "负载均衡器", "name_en": "Load balancer"}, {"code": "wireless", "name": "无线设备", "name_en": "Wireless"}]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'network_device';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'port_count', '端口数', 'Ports', 'integer', 0, 0, 0, NULL, 1, 10000, '[]', NULL, 30, 0, 0 FROM ci_classes WHERE code = 'network_device';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'management_ip', '管理 IP', 'Management IP', 'ip', 0, 1, 1, NULL, NULL, NULL, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'security_device';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'device_type', '设备类型', 'Device type', 'enum', 1, 0, 0, NULL, NULL, NULL, '[{"code": "firewall", "name": "防火墙", "name_en": "Firewall"}, {"code": "ips", "name": "入侵防御", "name_en": "Intrusion prevention"}, {"code": "waf", "name": "Web 应用防火墙", "name_en": "Web application firewall"}, {"code": "vpn", "name": "VPN 网关", "name_en": "VPN gateway"}]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'security_device';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'capacity_tb', '容量（TB）', 'Capacity (TB)', 'decimal', 0, 0, 0, NULL, 0, 1000000, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'storage';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'management_ip', '管理 IP', 'Management IP', 'ip', 0, 1, 1, NULL, NULL, NULL, '[]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'storage';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'units', '总 U 数', 'Units', 'integer', 0, 0, 0, NULL, 1, 60, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'rack';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'capacity_kva', '容量（kVA）', 'Capacity (kVA)', 'decimal', 0, 0, 0, NULL, 0, 100000, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'power';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'hostname', '主机名', 'Host name', 'text', 1, 0, 1, '^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$', NULL, NULL, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'virtual_machine';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'ip_address', 'IP 地址', 'IP address', 'ip', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'virtual_machine';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'cpu_cores', 'CPU 核数', 'vCPUs', 'integer', 0, 0, 0, NULL, 1, 1024, '[]', NULL, 30, 0, 0 FROM ci_classes WHERE code = 'virtual_machine';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'memory_gb', '内存（GB）', 'Memory (GB)', 'integer', 0, 0, 0, NULL, 1, 16384, '[]', NULL, 40, 0, 0 FROM ci_classes WHERE code = 'virtual_machine';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'os', '操作系统', 'Operating system', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 50, 0, 0 FROM ci_classes WHERE code = 'virtual_machine';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'cluster_type', '集群类型', 'Cluster type', 'enum', 0, 0, 0, NULL, NULL, NULL, '[{"code": "load_balanced", "name": "负载均衡池", "name_en": "Load-balanced pool"}, {"code": "active_standby", "name": "主备", "name_en": "Active/standby"}, {"code": "active_active", "name": "双活", "name_en": "Active/active"}, {"code": "compute", "name": "计算集群", "name_en": "Compute cluster"}]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'cluster';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'vip', '虚拟 IP', 'Virtual IP', 'ip', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'cluster';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'platform', '虚拟化平台', 'Platform', 'enum', 0, 0, 0, NULL, NULL, NULL, '[{"code": "vmware", "name": "VMware vSphere", "name_en": "VMware vSphere"}, {"code": "kvm", "name": "KVM", "name_en": "KVM"}, {"code": "hyper_v", "name": "Hyper-V", "name_en": "Hyper-V"}, {"code": "other", "name": "其他", "name_en": "Other"}]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'hypervisor';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'version', '版本', 'Version', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'hypervisor';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'version', '版本', 'Version', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'software_instance';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'port', '端口', 'Port', 'integer', 0, 0, 0, NULL, 1, 65535, '[]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'software_instance';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'engine', '数据库类型', 'Engine', 'enum', 1, 0, 0, NULL, NULL, NULL, '[{"code": "oracle", "name": "Oracle", "name_en": "Oracle"}, {"code": "mysql", "name": "MySQL", "name_en": "MySQL"}, {"code": "postgresql", "name": "PostgreSQL", "name_en": "PostgreSQL"}, {"code": "dameng", "name": "达梦", "name_en": "Dameng"}, {"code": "oceanbase", "name": "OceanBase", "name_en": "OceanBase"}, {"code": "other", "name": "其他", "name_en": "Other"}]', NULL, 30, 0, 0 FROM ci_classes WHERE code = 'database_instance';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'product', '产品', 'Product', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 30, 0, 0 FROM ci_classes WHERE code = 'middleware';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'url', '访问地址', 'URL', 'text', 0, 0, 0, '^https?://\S+$', NULL, NULL, '[]', NULL, 30, 0, 0 FROM ci_classes WHERE code = 'web_server';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'vendor', '开发商', 'Vendor', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'application';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'version', '版本', 'Version', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'application';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'go_live_on', '上线日期', 'Go-live date', 'date', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 30, 0, 0 FROM ci_classes WHERE code = 'application';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'service_hours', '服务时间', 'Service hours', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'business_service';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'location_type', '位置类型', 'Location type', 'enum', 1, 0, 0, NULL, NULL, NULL, '[{"code": "data_center", "name": "数据中心", "name_en": "Data centre"}, {"code": "room", "name": "机房", "name_en": "Machine room"}, {"code": "building", "name": "楼宇", "name_en": "Building"}, {"code": "office", "name": "办公场所", "name_en": "Office"}]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'location';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'address', '地址', 'Address', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'location';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'value', '参数值', 'Value', 'text', 1, 0, 0, NULL, NULL, NULL, '[]', NULL, 10, 0, 0 FROM ci_classes WHERE code = 'system_parameter';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'unit', '单位', 'Unit', 'text', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 20, 0, 0 FROM ci_classes WHERE code = 'system_parameter';
INSERT INTO ci_attributes (class_id, code, name, name_en, kind, required, unique_in_class, identifying, pattern, min_value, max_value, enum_values, ref_class_id, position, created_at, updated_at)
    SELECT id, 'network', '网段', 'Network', 'cidr', 0, 0, 0, NULL, NULL, NULL, '[]', NULL, 30, 0, 0 FROM ci_classes WHERE code = 'system_parameter';

-- Relation types.
INSERT INTO ci_relation_types (code, name, name_en, reverse_name, reverse_name_en, propagation, pool, builtin, created_at)
    VALUES ('depends_on', '依赖于', 'depends on', '被依赖于', 'is needed by', 'source', 0, 1, 0);
INSERT INTO ci_relation_types (code, name, name_en, reverse_name, reverse_name_en, propagation, pool, builtin, created_at)
    VALUES ('runs_on', '运行于', 'runs on', '运行着', 'runs', 'source', 0, 1, 0);
INSERT INTO ci_relation_types (code, name, name_en, reverse_name, reverse_name_en, propagation, pool, builtin, created_at)
    VALUES ('hosted_on', '托管于', 'hosted on', '托管着', 'hosts', 'source', 0, 1, 0);
INSERT INTO ci_relation_types (code, name, name_en, reverse_name, reverse_name_en, propagation, pool, builtin, created_at)
    VALUES ('uses', '使用', 'uses', '被使用于', 'is used by', 'source', 0, 1, 0);
INSERT INTO ci_relation_types (code, name, name_en, reverse_name, reverse_name_en, propagation, pool, builtin, created_at)
    VALUES ('member_of', '属于集群/资源池', 'member of', '成员', 'has member', 'source', 1, 1, 0);
INSERT INTO ci_relation_types (code, name, name_en, reverse_name, reverse_name_en, propagation, pool, builtin, created_at)
    VALUES ('connects_to', '连接到', 'connects to', '被连接自', 'is connected from', 'none', 0, 1, 0);
INSERT INTO ci_relation_types (code, name, name_en, reverse_name, reverse_name_en, propagation, pool, builtin, created_at)
    VALUES ('backs_up', '备份', 'backs up', '由其备份', 'is backed up by', 'none', 0, 1, 0);

-- Which classes each type may join (a class allows its descendants).
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'depends_on' AND f.code = 'functional_ci' AND c.code = 'functional_ci';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'uses' AND f.code = 'functional_ci' AND c.code = 'functional_ci';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'software_instance' AND c.code = 'server';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'software_instance' AND c.code = 'virtual_machine';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'software_instance' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'application' AND c.code = 'software_instance';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'application' AND c.code = 'server';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'application' AND c.code = 'virtual_machine';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'application' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'business_service' AND c.code = 'application';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'virtual_machine' AND c.code = 'hypervisor';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'virtual_machine' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'runs_on' AND f.code = 'hypervisor' AND c.code = 'server';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'hosted_on' AND f.code = 'physical_device' AND c.code = 'rack';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'hosted_on' AND f.code = 'physical_device' AND c.code = 'location';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'hosted_on' AND f.code = 'rack' AND c.code = 'location';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'hosted_on' AND f.code = 'power' AND c.code = 'location';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'hosted_on' AND f.code = 'virtual_machine' AND c.code = 'server';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'hosted_on' AND f.code = 'virtual_machine' AND c.code = 'hypervisor';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'member_of' AND f.code = 'server' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'member_of' AND f.code = 'virtual_machine' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'member_of' AND f.code = 'software_instance' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'member_of' AND f.code = 'network_device' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'member_of' AND f.code = 'security_device' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'member_of' AND f.code = 'hypervisor' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'member_of' AND f.code = 'storage' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'member_of' AND f.code = 'application' AND c.code = 'cluster';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'connects_to' AND f.code = 'physical_device' AND c.code = 'physical_device';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'backs_up' AND f.code = 'functional_ci' AND c.code = 'functional_ci';
INSERT INTO ci_relation_rules (relation_type_id, from_class_id, to_class_id)
    SELECT t.id, f.id, c.id FROM ci_relation_types t, ci_classes f, ci_classes c WHERE t.code = 'depends_on' AND f.code = 'functional_ci' AND c.code = 'power';

-- Each existing business service gets its CI (names are unique among services), with a
-- history row saying the system made it, and goes into the search index.
INSERT INTO cis (class_id, name, name_en, description, status, owner_team_id, criticality, environment, tags, attributes, version, deleted, created_at, updated_at)
    SELECT (SELECT id FROM ci_classes WHERE code = 'business_service'), s.name, s.name_en, s.description,
        CASE WHEN s.active = 1 THEN 'production' ELSE 'retired' END, s.team_id, 'high', 'production', '[]', '{}', 1, 0, s.created_at, s.updated_at
    FROM business_services s ORDER BY s.id;
UPDATE business_services SET ci_id = (SELECT c.id FROM cis c WHERE c.name = business_services.name
    AND c.class_id = (SELECT id FROM ci_classes WHERE code = 'business_service'));
INSERT INTO ci_history (ci_id, relation_id, peer_ci_id, at, actor_id, source, source_ref, op, before, after)
    SELECT c.id, NULL, NULL, c.created_at, NULL, 'system', NULL, 'create', NULL, '{"name":"' || REPLACE(REPLACE(c.name, '\', '\\'), '"', '\"') || '"}' FROM cis c ORDER BY c.id;
INSERT INTO index_queue (object_type, object_id) SELECT 'ci', id FROM cis ORDER BY id;
