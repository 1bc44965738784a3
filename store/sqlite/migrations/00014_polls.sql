-- Polls: a talk's polls, each participant's one vote, and the tallies
-- that count it (one row per counted key: an option, a rating, a word).

-- +goose Up
CREATE TABLE polls (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      INTEGER NOT NULL REFERENCES events (id),
    talk_id       INTEGER NOT NULL REFERENCES talks (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('choice', 'rating', 'words')),
    question      TEXT    NOT NULL,
    options       TEXT    NOT NULL, -- JSON: [{"id","label"}]
    multiple      INTEGER NOT NULL,
    results_mode  TEXT    NOT NULL CHECK (results_mode IN ('live', 'hidden')),
    revealed      INTEGER NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
    version       INTEGER NOT NULL,
    tally_version INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    opened_at     INTEGER,
    closed_at     INTEGER
) STRICT;
CREATE INDEX polls_talk ON polls (talk_id, id);

CREATE TABLE poll_votes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    poll_id        INTEGER NOT NULL REFERENCES polls (id),
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    keys           TEXT    NOT NULL, -- JSON: the keys it counts
    text           TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (poll_id, participant_id)
) STRICT;

CREATE TABLE poll_tallies (
    poll_id        INTEGER NOT NULL REFERENCES polls (id),
    participant_id INTEGER NOT NULL,
    key            TEXT    NOT NULL,
    PRIMARY KEY (poll_id, participant_id, key)
) STRICT, WITHOUT ROWID;

-- A review may be of a word-cloud answer (kind 'answer', its subject a
-- poll_votes row). SQLite cannot change a CHECK in place: the table is
-- rebuilt, as in 00009.
CREATE TABLE reviews_new (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events (id),
    talk_id         INTEGER REFERENCES talks (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('question', 'reply', 'post', 'answer')),
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
DELETE FROM reviews WHERE kind = 'answer';
CREATE TABLE reviews_old (
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
INSERT INTO reviews_old SELECT * FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_old RENAME TO reviews;
CREATE INDEX reviews_open ON reviews (event_id, id) WHERE state IN ('pending', 'flagged');
CREATE INDEX reviews_decided ON reviews (event_id, decided_at) WHERE decided_at IS NOT NULL;
DROP TABLE poll_tallies;
DROP TABLE poll_votes;
DROP TABLE polls;
