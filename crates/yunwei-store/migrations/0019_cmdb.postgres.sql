-- Searching CIs must not read every incident that matches the same words (as 0011 did for
-- service requests): a partial index holds the CIs' documents alone.
CREATE INDEX ix_search_docs_tsv_ci ON search_docs USING GIN (tsv) WHERE object_type = 'ci';
