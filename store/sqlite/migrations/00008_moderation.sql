-- Moderation (docs/architecture.md, "Moderation"): the status of questions
-- and replies, a talk's own mode, the moderators' reviews, and bans.

-- +goose Up
ALTER TABLE questions ADD COLUMN status TEXT NOT NULL DEFAULT 'approved'
    CHECK (status IN ('approved', 'pending', 'rejected'));
ALTER TABLE replies ADD COLUMN status TEXT NOT NULL DEFAULT 'approved'
    CHECK (status IN ('approved', 'pending', 'rejected'));
ALTER TABLE talks ADD COLUMN moderation TEXT NOT NULL DEFAULT ''
    CHECK (moderation IN ('', 'post', 'pre'));
-- Events made before moderation existed are post-moderated.
UPDATE events SET settings = json_set(settings, '$.moderation', 'post')
    WHERE json_extract(settings, '$.moderation') IS NULL;
CREATE INDEX questions_by_participant ON questions (participant_id, id);
CREATE INDEX replies_by_participant ON replies (participant_id, id) WHERE participant_id IS NOT NULL;

CREATE TABLE reviews (
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
CREATE INDEX reviews_open ON reviews (event_id, id) WHERE state IN ('pending', 'flagged');
CREATE INDEX reviews_decided ON reviews (event_id, decided_at) WHERE decided_at IS NOT NULL;

CREATE TABLE bans (
    id             INTEGER PRIMARY KEY,
    event_id       INTEGER NOT NULL REFERENCES events (id),
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    display_name   TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,
    hidden         INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (event_id, participant_id)
) STRICT;

-- +goose Down
DROP TABLE bans;
DROP TABLE reviews;
DROP INDEX replies_by_participant;
DROP INDEX questions_by_participant;
ALTER TABLE talks DROP COLUMN moderation;
ALTER TABLE replies DROP COLUMN status;
ALTER TABLE questions DROP COLUMN status;
