-- Full-text search on SQLite: FTS5 over terms made by yunwei_domain::search
-- (CJK bigrams and lower-case words, space-separated), so the tokenizer only
-- splits on spaces. rowid = object id * 16 + object kind.
CREATE VIRTUAL TABLE search_fts USING fts5(
    object_type UNINDEXED,
    object_id UNINDEXED,
    terms,
    tokenize = "unicode61 remove_diacritics 0"
);
