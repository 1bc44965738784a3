-- Screens and the stream: the read-only links of projectors and OBS
-- overlays (the viewer role), and each talk's reaction totals.

-- +goose Up
CREATE TABLE screen_links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   INTEGER NOT NULL REFERENCES events (id),
    kind       TEXT    NOT NULL CHECK (kind IN ('screen', 'overlay')),
    label      TEXT    NOT NULL,
    secret     TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX screen_links_event ON screen_links (event_id, id);

CREATE TABLE talk_reactions (
    talk_id INTEGER NOT NULL REFERENCES talks (id),
    emoji   TEXT    NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (talk_id, emoji)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE talk_reactions;
DROP TABLE screen_links;
