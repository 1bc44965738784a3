-- Moderation (docs/architecture.md, "Moderation"): the status of questions
-- and replies, a talk's own mode, the moderators' reviews, and bans.

-- +goose Up
ALTER TABLE questions ADD COLUMN status text NOT NULL DEFAULT 'approved'
    CHECK (status IN ('approved', 'pending', 'rejected'));
ALTER TABLE replies ADD COLUMN status text NOT NULL DEFAULT 'approved'
    CHECK (status IN ('approved', 'pending', 'rejected'));
ALTER TABLE talks ADD COLUMN moderation text NOT NULL DEFAULT ''
    CHECK (moderation IN ('', 'post', 'pre'));
-- Events made before moderation existed are post-moderated.
UPDATE events SET settings = jsonb_set(settings, '{moderation}', '"post"')
    WHERE NOT settings ? 'moderation';
CREATE INDEX questions_by_participant ON questions (participant_id, id);
CREATE INDEX replies_by_participant ON replies (participant_id, id) WHERE participant_id IS NOT NULL;

CREATE TABLE reviews (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        bigint      NOT NULL REFERENCES events (id),
    talk_id         bigint      NOT NULL REFERENCES talks (id),
    kind            text        NOT NULL CHECK (kind IN ('question', 'reply')),
    subject_id      bigint      NOT NULL,
    question_id     bigint      NOT NULL REFERENCES questions (id),
    participant_id  bigint      NOT NULL REFERENCES participants (id),
    author_name     text        NOT NULL,
    body            text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('pending', 'flagged', 'approved', 'rejected')),
    reasons         jsonb       NOT NULL,
    score           jsonb,
    claim_account   bigint,
    claim_name      text,
    claim_until     timestamptz,
    decision        text CHECK (decision IN ('approved', 'rejected')),
    decided_account bigint,
    decided_by      text,
    decided_at      timestamptz,
    prior_state     text,
    version         bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    UNIQUE (kind, subject_id)
);
CREATE INDEX reviews_open ON reviews (event_id, id) WHERE state IN ('pending', 'flagged');
CREATE INDEX reviews_decided ON reviews (event_id, decided_at) WHERE decided_at IS NOT NULL;

CREATE TABLE bans (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       bigint      NOT NULL REFERENCES events (id),
    participant_id bigint      NOT NULL REFERENCES participants (id),
    display_name   text        NOT NULL,
    reason         text        NOT NULL,
    created_by     text        NOT NULL,
    hidden         integer     NOT NULL,
    created_at     timestamptz NOT NULL,
    UNIQUE (event_id, participant_id)
);

-- +goose Down
DROP TABLE bans;
DROP TABLE reviews;
DROP INDEX replies_by_participant;
DROP INDEX questions_by_participant;
ALTER TABLE talks DROP COLUMN moderation;
ALTER TABLE replies DROP COLUMN status;
ALTER TABLE questions DROP COLUMN status;
