-- The ticket kernel (ADR 0012): every ticket kind has a timeline and a watcher list of
-- the same shape, named in its declaration (yunwei_domain::ticket). Incidents have had
-- both since 0003 and service requests their timeline since 0006; this adds the
-- requests' watcher list, so the kernel's watchers work for both kinds alike.

CREATE TABLE request_watchers (
    request_id BIGINT NOT NULL REFERENCES service_requests(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (request_id, user_id)
);
CREATE INDEX ix_request_watchers_user ON request_watchers (user_id);
