-- Polls: a talk's polls, each participant's one vote, the tallies that
-- count it (one row per counted key: an option, a rating, a word), and
-- the counters whose sum is the results' version.

-- +goose Up
CREATE TABLE polls (
    id            bigserial   PRIMARY KEY,
    event_id      bigint      NOT NULL REFERENCES events (id),
    talk_id       bigint      NOT NULL REFERENCES talks (id),
    kind          text        NOT NULL CHECK (kind IN ('choice', 'rating', 'words')),
    question      text        NOT NULL,
    options       jsonb       NOT NULL, -- [{"id","label"}]
    multiple      boolean     NOT NULL,
    results_mode  text        NOT NULL CHECK (results_mode IN ('live', 'hidden')),
    revealed      boolean     NOT NULL,
    state         text        NOT NULL CHECK (state IN ('draft', 'open', 'closed')),
    version       bigint      NOT NULL,
    created_at    timestamptz NOT NULL,
    opened_at     timestamptz,
    closed_at     timestamptz
);
CREATE INDEX polls_talk ON polls (talk_id, id);

CREATE TABLE poll_votes (
    id             bigserial   PRIMARY KEY,
    poll_id        bigint      NOT NULL REFERENCES polls (id),
    participant_id bigint      NOT NULL REFERENCES participants (id),
    keys           jsonb       NOT NULL, -- the keys it counts
    text           text        NOT NULL,
    status         text        NOT NULL,
    updated_at     timestamptz NOT NULL,
    UNIQUE (poll_id, participant_id)
);

CREATE TABLE poll_tallies (
    poll_id        bigint NOT NULL REFERENCES polls (id),
    participant_id bigint NOT NULL,
    key            text   NOT NULL,
    PRIMARY KEY (poll_id, participant_id, key)
);

-- A vote bumps the counter of its participant's shard (participant_id %
-- 32): the sum over a poll's shards grows with every vote, one snapshot's
-- sum names its counts, and votes contend only within a shard.
CREATE TABLE poll_versions (
    poll_id bigint NOT NULL REFERENCES polls (id),
    shard   int    NOT NULL,
    n       bigint NOT NULL,
    PRIMARY KEY (poll_id, shard)
);

-- A review may be of a word-cloud answer (kind 'answer', its subject a
-- poll_votes row).
ALTER TABLE reviews
    DROP CONSTRAINT reviews_kind_check,
    ADD CONSTRAINT reviews_kind_check CHECK (kind IN ('question', 'reply', 'post', 'answer'));

-- +goose Down
DELETE FROM reviews WHERE kind = 'answer';
ALTER TABLE reviews
    DROP CONSTRAINT reviews_kind_check,
    ADD CONSTRAINT reviews_kind_check CHECK (kind IN ('question', 'reply', 'post'));
DROP TABLE poll_versions;
DROP TABLE poll_tallies;
DROP TABLE poll_votes;
DROP TABLE polls;
