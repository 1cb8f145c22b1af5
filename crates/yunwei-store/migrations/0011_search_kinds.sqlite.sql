-- Searching one kind of record (service requests) must not read every match of the
-- other kinds (a million incidents): the kind becomes an indexed FTS5 column that the
-- MATCH expression names. The index is derived data: it is rebuilt from the queue.
DROP TABLE search_fts;
CREATE VIRTUAL TABLE search_fts USING fts5(
    object_type,
    object_id UNINDEXED,
    terms,
    tokenize = "unicode61 remove_diacritics 0"
);
DELETE FROM index_queue;
INSERT INTO index_queue (object_type, object_id) SELECT 'incident', id FROM incidents ORDER BY id;
INSERT INTO index_queue (object_type, object_id) SELECT 'service_request', id FROM service_requests ORDER BY id;
