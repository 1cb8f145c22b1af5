-- Issue 15 (daily use). A calendar year counts as covered only when its whole notice is
-- there: an administrator confirms it here (who and when), or the shipped data holds it.
CREATE TABLE calendar_years (
    calendar_id BIGINT NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    year BIGINT NOT NULL,
    confirmed_by BIGINT REFERENCES users(id),
    confirmed_at BIGINT NOT NULL,
    PRIMARY KEY (calendar_id, year)
);
