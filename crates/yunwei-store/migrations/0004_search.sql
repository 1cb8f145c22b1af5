-- Full-text search: what both engines share. The index itself is per engine
-- (FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL: 0004_search.*.sql).

-- Records changed since they were last indexed, written in the same transaction
-- as the change; the indexer drains it after commit (exactly what changed, in order).
CREATE TABLE index_queue (
    id {{pk}},
    object_type TEXT NOT NULL,
    object_id BIGINT NOT NULL
);
