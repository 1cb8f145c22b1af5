-- Every permission the seeder has given each built-in role. On upgrade, a built-in role gains
-- the permissions of new features (not yet in this list) and never regains one an
-- administrator removed (already in it).
CREATE TABLE builtin_grants (
    role_key TEXT NOT NULL,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_key, permission)
);
