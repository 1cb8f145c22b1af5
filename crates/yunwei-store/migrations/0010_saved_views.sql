-- Saved views: a user's named queue filters, kept as the queue's query string.
CREATE TABLE saved_views (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    object_type TEXT NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX ux_saved_views_name ON saved_views (user_id, object_type, name);
