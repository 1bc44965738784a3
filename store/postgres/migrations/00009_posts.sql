-- The social feed (docs/architecture.md, "Social feed"): an event's
-- sources, the posts they bring, and reviews of posts, which are of no
-- talk, question or participant.

-- +goose Up
CREATE TABLE sources (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   bigint      NOT NULL REFERENCES events (id),
    kind       text        NOT NULL CHECK (kind IN ('mastodon', 'bluesky', 'x', 'webhook')),
    name       text        NOT NULL,
    enabled    boolean     NOT NULL,
    moderation text        NOT NULL CHECK (moderation IN ('', 'post', 'pre')),
    config     jsonb       NOT NULL, -- koe.SourceConfig, without the secret
    secret     text        NOT NULL,
    cursor     text        NOT NULL DEFAULT '',
    health     jsonb       NOT NULL DEFAULT '{}', -- koe.SourceHealth
    version    bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX sources_by_event ON sources (event_id, id);

-- source_id has no foreign key: a deleted source's posts stay.
CREATE TABLE posts (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      bigint      NOT NULL REFERENCES events (id),
    source_id     bigint      NOT NULL,
    platform      text        NOT NULL CHECK (platform IN ('mastodon', 'bluesky', 'x', 'webhook')),
    external_id   text        NOT NULL,
    ref           text        NOT NULL,
    author_handle text        NOT NULL,
    author_name   text        NOT NULL,
    author_avatar text        NOT NULL,
    text          text        NOT NULL,
    lang          text        NOT NULL,
    posted_at     timestamptz NOT NULL,
    url           text        NOT NULL,
    media         jsonb       NOT NULL DEFAULT '[]',
    status        text        NOT NULL CHECK (status IN ('approved', 'pending', 'rejected')),
    hidden        boolean     NOT NULL DEFAULT false,
    featured_at   timestamptz,
    reasons       jsonb       NOT NULL DEFAULT '[]',
    score         jsonb,
    engaged       jsonb       NOT NULL DEFAULT '[]',
    version       bigint      NOT NULL,
    created_at    timestamptz NOT NULL,
    CONSTRAINT posts_external_key UNIQUE (event_id, platform, external_id)
);
CREATE INDEX posts_by_event ON posts (event_id, id);
CREATE INDEX posts_by_status ON posts (event_id, status, id);
-- An event features one post at a time.
CREATE UNIQUE INDEX posts_featured ON posts (event_id) WHERE featured_at IS NOT NULL;

ALTER TABLE reviews ALTER COLUMN talk_id DROP NOT NULL,
    ALTER COLUMN question_id DROP NOT NULL,
    ALTER COLUMN participant_id DROP NOT NULL,
    DROP CONSTRAINT reviews_kind_check,
    ADD CONSTRAINT reviews_kind_check CHECK (kind IN ('question', 'reply', 'post'));

-- +goose Down
DELETE FROM reviews WHERE kind = 'post';
ALTER TABLE reviews ALTER COLUMN talk_id SET NOT NULL,
    ALTER COLUMN question_id SET NOT NULL,
    ALTER COLUMN participant_id SET NOT NULL,
    DROP CONSTRAINT reviews_kind_check,
    ADD CONSTRAINT reviews_kind_check CHECK (kind IN ('question', 'reply'));
DROP TABLE posts;
DROP TABLE sources;
