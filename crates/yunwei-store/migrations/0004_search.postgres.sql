-- Full-text search on PostgreSQL: the same terms (made by yunwei_domain::search)
-- in a 'simple' tsvector with a GIN index. doc_key = object id * 16 + object kind.
CREATE TABLE search_docs (
    doc_key BIGINT PRIMARY KEY,
    object_type TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    terms TEXT NOT NULL,
    -- The terms are lexemes already: no parser, so the result does not depend on the locale.
    tsv tsvector GENERATED ALWAYS AS (array_to_tsvector(string_to_array(terms, ' '))) STORED
);
CREATE INDEX ix_search_docs_tsv ON search_docs USING GIN (tsv);
