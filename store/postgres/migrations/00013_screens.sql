-- Screens and the stream: the read-only links of projectors and OBS
-- overlays (the viewer role), and each talk's reaction totals.

-- +goose Up
CREATE TABLE screen_links (
    id         bigserial   PRIMARY KEY,
    event_id   bigint      NOT NULL REFERENCES events (id),
    kind       text        NOT NULL CHECK (kind IN ('screen', 'overlay')),
    label      text        NOT NULL,
    secret     text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);
CREATE INDEX screen_links_event ON screen_links (event_id, id);

CREATE TABLE talk_reactions (
    talk_id bigint NOT NULL REFERENCES talks (id),
    emoji   text   NOT NULL,
    count   bigint NOT NULL,
    PRIMARY KEY (talk_id, emoji)
);

-- +goose Down
DROP TABLE talk_reactions;
DROP TABLE screen_links;
