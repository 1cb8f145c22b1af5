-- Master data in both languages (issue 15). `name` stays the name as it was (the Chinese name
-- for Chinese organisations, as roles' and catalogue items' `name_zh`); `name_en` is the
-- English name, empty where none was given: English readers then see `name`.
ALTER TABLE calendars ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
ALTER TABLE sla_policies ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
ALTER TABLE business_services ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
ALTER TABLE incident_categories ADD COLUMN name_en TEXT NOT NULL DEFAULT '';

-- The seeds used to put both languages in one name; split them where they are unchanged.
UPDATE calendars SET name = '中国大陆工作日历', name_en = 'China mainland office'
    WHERE name = '中国大陆工作日历 (China mainland office)';
UPDATE sla_policies SET name = '标准 SLA', name_en = 'Standard SLA' WHERE name = '标准 SLA (Standard)';
UPDATE users SET display_name = '系统管理员' WHERE username = 'admin' AND display_name = '系统管理员 Administrator';

-- A fulfilment task's title in both languages (it used to be "中文 / English" in one).
ALTER TABLE request_tasks ADD COLUMN title_en TEXT NOT NULL DEFAULT '';
