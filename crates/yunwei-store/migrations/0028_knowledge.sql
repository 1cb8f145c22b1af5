-- The knowledge base (issue 14, SPEC KB): articles, their versions, what they apply to and
-- readers' votes. Dates are 'YYYY-MM-DD' text; times are epoch milliseconds.

-- One row per article. title and state are the newest version's, for lists; state is
-- 'published' while a published version exists (a new draft may be worked beside it).
-- published_number: the version readers see. reminded_for: the expiry date whose review
-- reminder was sent, so a new date reminds again. source_type and source_id: the resolved
-- incident (or, later, closed problem) the article was written from.
CREATE TABLE knowledge_articles (
    id {{pk}},
    article_type TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    visibility TEXT NOT NULL,
    team_id BIGINT REFERENCES teams(id),
    author_id BIGINT REFERENCES users(id),
    published_number BIGINT,
    latest_number BIGINT NOT NULL DEFAULT 1,
    expires_on TEXT,
    reminded_for TEXT,
    views BIGINT NOT NULL DEFAULT 0,
    helpful BIGINT NOT NULL DEFAULT 0,
    unhelpful BIGINT NOT NULL DEFAULT 0,
    source_type TEXT NOT NULL DEFAULT '',
    source_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX ix_knowledge_articles_state ON knowledge_articles (state, id);
CREATE INDEX ix_knowledge_articles_expires ON knowledge_articles (expires_on);
CREATE INDEX ix_knowledge_articles_source ON knowledge_articles (source_type, source_id);

-- Every version of an article's text; published ones are never edited again.
CREATE TABLE knowledge_versions (
    id {{pk}},
    article_id BIGINT NOT NULL REFERENCES knowledge_articles(id),
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    author_id BIGINT REFERENCES users(id),
    reviewer_id BIGINT REFERENCES users(id),
    review_note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE UNIQUE INDEX ux_knowledge_versions ON knowledge_versions (article_id, number);

-- The business services and CIs an article applies to (target_type 'service' or 'ci').
CREATE TABLE knowledge_links (
    id {{pk}},
    article_id BIGINT NOT NULL REFERENCES knowledge_articles(id),
    target_type TEXT NOT NULL,
    target_id BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_knowledge_links ON knowledge_links (article_id, target_type, target_id);
CREATE INDEX ix_knowledge_links_target ON knowledge_links (target_type, target_id);

-- "Did this help?": one vote per reader per article; a second vote replaces the first.
CREATE TABLE knowledge_votes (
    id {{pk}},
    article_id BIGINT NOT NULL REFERENCES knowledge_articles(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    helpful BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_knowledge_votes ON knowledge_votes (article_id, user_id);
