-- Times are INTEGER Unix microseconds (UTC): exact, ordered like the times
-- themselves, and free of driver-specific text formats. Booleans are 0/1.
-- version grows by one with every change of a row, updated_at with it.

-- +goose Up
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    title      TEXT    NOT NULL,
    join_code  TEXT    NOT NULL UNIQUE,
    time_zone  TEXT    NOT NULL,
    starts_at  INTEGER,
    ends_at    INTEGER,
    settings   TEXT    NOT NULL, -- koe.EventSettings as JSON
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE talks (
    id                      INTEGER PRIMARY KEY,
    event_id                INTEGER NOT NULL REFERENCES events (id),
    title                   TEXT    NOT NULL,
    speaker                 TEXT    NOT NULL,
    track                   TEXT    NOT NULL,
    starts_at               INTEGER,
    ends_at                 INTEGER,
    qa_open                 INTEGER NOT NULL CHECK (qa_open IN (0, 1)),
    highlighted_question_id INTEGER NOT NULL DEFAULT 0, -- 0 for none
    version                 INTEGER NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
) STRICT;

CREATE INDEX talks_by_event ON talks (event_id, starts_at, id);

CREATE TABLE participants (
    id           INTEGER PRIMARY KEY,
    event_id     INTEGER NOT NULL REFERENCES events (id),
    display_name TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE questions (
    id             INTEGER PRIMARY KEY,
    event_id       INTEGER NOT NULL REFERENCES events (id),
    talk_id        INTEGER NOT NULL REFERENCES talks (id),
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    author_name    TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    likes          INTEGER NOT NULL DEFAULT 0 CHECK (likes >= 0),
    answered       INTEGER NOT NULL DEFAULT 0 CHECK (answered IN (0, 1)),
    answered_at    INTEGER,
    hidden         INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    reply_count    INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CHECK ((answered = 1) = (answered_at IS NOT NULL))
) STRICT;

-- One partial index per list, each matching that list's filter and order
-- exactly, so that every page is a range scan of its index.
CREATE INDEX questions_top ON questions (talk_id, likes DESC, id)
    WHERE hidden = 0 AND answered = 0;
CREATE INDEX questions_recent ON questions (talk_id, id)
    WHERE hidden = 0 AND answered = 0;
CREATE INDEX questions_answered ON questions (talk_id, answered_at, id)
    WHERE answered = 1 AND hidden = 0;
CREATE INDEX questions_hidden ON questions (talk_id, id)
    WHERE hidden = 1;

CREATE TABLE likes (
    question_id    INTEGER NOT NULL REFERENCES questions (id),
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (question_id, participant_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE replies (
    id             INTEGER PRIMARY KEY,
    event_id       INTEGER NOT NULL REFERENCES events (id),
    talk_id        INTEGER NOT NULL REFERENCES talks (id),
    question_id    INTEGER NOT NULL REFERENCES questions (id),
    participant_id INTEGER REFERENCES participants (id), -- NULL for staff
    staff          INTEGER NOT NULL CHECK (staff IN (0, 1)),
    author_name    TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX replies_by_question ON replies (question_id, id);

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    role       TEXT    NOT NULL,
    label      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE secrets (
    name       TEXT    PRIMARY KEY,
    value      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE secrets;
DROP TABLE tokens;
DROP TABLE replies;
DROP TABLE likes;
DROP TABLE questions;
DROP TABLE participants;
DROP TABLE talks;
DROP TABLE events;
