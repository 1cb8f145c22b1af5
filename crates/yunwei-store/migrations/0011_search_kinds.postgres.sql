-- Searching service requests must not read every incident that matches the same words:
-- a partial index holds the requests' documents alone (the query names the kind as a literal).
CREATE INDEX ix_search_docs_tsv_request ON search_docs USING GIN (tsv) WHERE object_type = 'service_request';
