-- The schema of store/sqlite, in PostgreSQL's own types: times are
-- timestamptz (microseconds, returned in UTC), flags are boolean, ids are
-- identities. version grows by one with every change of a row, updated_at
-- with it. Constraints are named, because the store maps a unique
-- violation to an error by the name of its constraint.

-- +goose Up
CREATE TABLE events (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug       text        NOT NULL CONSTRAINT events_slug_key UNIQUE,
    title      text        NOT NULL,
    join_code  text        NOT NULL CONSTRAINT events_join_code_key UNIQUE,
    time_zone  text        NOT NULL,
    starts_at  timestamptz,
    ends_at    timestamptz,
    settings   jsonb       NOT NULL, -- koe.EventSettings
    version    bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE talks (
    id                      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id                bigint      NOT NULL REFERENCES events (id),
    title                   text        NOT NULL,
    speaker                 text        NOT NULL,
    track                   text        NOT NULL,
    starts_at               timestamptz,
    ends_at                 timestamptz,
    qa_open                 boolean     NOT NULL,
    highlighted_question_id bigint      NOT NULL DEFAULT 0, -- 0 for none
    version                 bigint      NOT NULL,
    created_at              timestamptz NOT NULL,
    updated_at              timestamptz NOT NULL
);

CREATE INDEX talks_by_event ON talks (event_id, starts_at, id);

CREATE TABLE participants (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     bigint      NOT NULL REFERENCES events (id),
    display_name text        NOT NULL,
    created_at   timestamptz NOT NULL
);

-- Every like rewrites its question's row (likes, version, updated_at). The
-- free space left in each page lets PostgreSQL put the new row version in
-- the same page.
CREATE TABLE questions (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       bigint      NOT NULL REFERENCES events (id),
    talk_id        bigint      NOT NULL REFERENCES talks (id),
    participant_id bigint      NOT NULL REFERENCES participants (id),
    author_name    text        NOT NULL,
    body           text        NOT NULL,
    likes          integer     NOT NULL DEFAULT 0 CHECK (likes >= 0),
    answered       boolean     NOT NULL DEFAULT false,
    answered_at    timestamptz,
    hidden         boolean     NOT NULL DEFAULT false,
    reply_count    integer     NOT NULL DEFAULT 0,
    version        bigint      NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CHECK (answered = (answered_at IS NOT NULL))
) WITH (fillfactor = 80);

-- One partial index per list, each matching that list's filter and order,
-- so that every page is a range scan of its index.
CREATE INDEX questions_top ON questions (talk_id, likes DESC, id)
    WHERE NOT hidden AND NOT answered;
CREATE INDEX questions_recent ON questions (talk_id, id)
    WHERE NOT hidden AND NOT answered;
CREATE INDEX questions_answered ON questions (talk_id, answered_at, id)
    WHERE answered AND NOT hidden;
CREATE INDEX questions_hidden ON questions (talk_id, id)
    WHERE hidden;

CREATE TABLE likes (
    question_id    bigint      NOT NULL REFERENCES questions (id),
    participant_id bigint      NOT NULL REFERENCES participants (id),
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (question_id, participant_id)
);

CREATE TABLE replies (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       bigint      NOT NULL REFERENCES events (id),
    talk_id        bigint      NOT NULL REFERENCES talks (id),
    question_id    bigint      NOT NULL REFERENCES questions (id),
    participant_id bigint      REFERENCES participants (id), -- NULL for staff
    staff          boolean     NOT NULL,
    author_name    text        NOT NULL,
    body           text        NOT NULL,
    created_at     timestamptz NOT NULL
);

CREATE INDEX replies_by_question ON replies (question_id, id);

CREATE TABLE tokens (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash       bytea       NOT NULL CONSTRAINT tokens_hash_key UNIQUE,
    role       text        NOT NULL,
    label      text        NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE secrets (
    name       text        PRIMARY KEY,
    value      bytea       NOT NULL,
    created_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE tokens;
DROP TABLE replies;
DROP TABLE likes;
DROP TABLE questions;
DROP TABLE participants;
DROP TABLE talks;
DROP TABLE events;
