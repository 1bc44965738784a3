-- The social feed (docs/architecture.md, "Social feed"): an event's
-- sources, the posts they bring, and reviews of posts, which are of no
-- talk, question or participant.

-- +goose Up
CREATE TABLE sources (
    id         INTEGER PRIMARY KEY,
    event_id   INTEGER NOT NULL REFERENCES events (id),
    kind       TEXT    NOT NULL CHECK (kind IN ('mastodon', 'bluesky', 'x', 'webhook')),
    name       TEXT    NOT NULL,
    enabled    INTEGER NOT NULL,
    moderation TEXT    NOT NULL CHECK (moderation IN ('', 'post', 'pre')),
    config     TEXT    NOT NULL, -- JSON of koe.SourceConfig, without the secret
    secret     TEXT    NOT NULL,
    cursor     TEXT    NOT NULL DEFAULT '',
    health     TEXT    NOT NULL DEFAULT '{}', -- JSON of koe.SourceHealth
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sources_by_event ON sources (event_id, id);

-- source_id has no foreign key: a deleted source's posts stay.
CREATE TABLE posts (
    id            INTEGER PRIMARY KEY,
    event_id      INTEGER NOT NULL REFERENCES events (id),
    source_id     INTEGER NOT NULL,
    platform      TEXT    NOT NULL CHECK (platform IN ('mastodon', 'bluesky', 'x', 'webhook')),
    external_id   TEXT    NOT NULL,
    ref           TEXT    NOT NULL,
    author_handle TEXT    NOT NULL,
    author_name   TEXT    NOT NULL,
    author_avatar TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    lang          TEXT    NOT NULL,
    posted_at     INTEGER NOT NULL,
    url           TEXT    NOT NULL,
    media         TEXT    NOT NULL DEFAULT '[]', -- JSON array
    status        TEXT    NOT NULL CHECK (status IN ('approved', 'pending', 'rejected')),
    hidden        INTEGER NOT NULL DEFAULT 0,
    featured_at   INTEGER,
    reasons       TEXT    NOT NULL DEFAULT '[]', -- JSON array
    score         TEXT,                          -- JSON object, NULL for none
    engaged       TEXT    NOT NULL DEFAULT '[]', -- JSON array
    version       INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (event_id, platform, external_id)
) STRICT;
CREATE INDEX posts_by_event ON posts (event_id, id);
CREATE INDEX posts_by_status ON posts (event_id, status, id);
-- An event features one post at a time.
CREATE UNIQUE INDEX posts_featured ON posts (event_id) WHERE featured_at IS NOT NULL;

-- SQLite cannot drop NOT NULL or change a CHECK in place: the table is
-- rebuilt (nothing references reviews, so dropping it is safe with
-- foreign keys on).
CREATE TABLE reviews_new (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events (id),
    talk_id         INTEGER REFERENCES talks (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('question', 'reply', 'post')),
    subject_id      INTEGER NOT NULL,
    question_id     INTEGER REFERENCES questions (id),
    participant_id  INTEGER REFERENCES participants (id),
    author_name     TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'flagged', 'approved', 'rejected')),
    reasons         TEXT    NOT NULL, -- JSON array
    score           TEXT,             -- JSON object, NULL for none
    claim_account   INTEGER,
    claim_name      TEXT,
    claim_until     INTEGER,
    decision        TEXT CHECK (decision IN ('approved', 'rejected')),
    decided_account INTEGER,
    decided_by      TEXT,
    decided_at      INTEGER,
    prior_state     TEXT,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (kind, subject_id)
) STRICT;
INSERT INTO reviews_new SELECT * FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_new RENAME TO reviews;
CREATE INDEX reviews_open ON reviews (event_id, id) WHERE state IN ('pending', 'flagged');
CREATE INDEX reviews_decided ON reviews (event_id, decided_at) WHERE decided_at IS NOT NULL;

-- +goose Down
DELETE FROM reviews WHERE kind = 'post';
CREATE TABLE reviews_old (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events (id),
    talk_id         INTEGER NOT NULL REFERENCES talks (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('question', 'reply')),
    subject_id      INTEGER NOT NULL,
    question_id     INTEGER NOT NULL REFERENCES questions (id),
    participant_id  INTEGER NOT NULL REFERENCES participants (id),
    author_name     TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'flagged', 'approved', 'rejected')),
    reasons         TEXT    NOT NULL,
    score           TEXT,
    claim_account   INTEGER,
    claim_name      TEXT,
    claim_until     INTEGER,
    decision        TEXT CHECK (decision IN ('approved', 'rejected')),
    decided_account INTEGER,
    decided_by      TEXT,
    decided_at      INTEGER,
    prior_state     TEXT,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (kind, subject_id)
) STRICT;
INSERT INTO reviews_old SELECT * FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_old RENAME TO reviews;
CREATE INDEX reviews_open ON reviews (event_id, id) WHERE state IN ('pending', 'flagged');
CREATE INDEX reviews_decided ON reviews (event_id, decided_at) WHERE decided_at IS NOT NULL;
DROP TABLE posts;
DROP TABLE sources;
