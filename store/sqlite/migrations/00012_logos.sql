-- Event branding: each event's logo, served by koe (koe.CheckLogo has
-- checked it); events.settings names its version.

-- +goose Up
CREATE TABLE event_logos (
    event_id     INTEGER PRIMARY KEY REFERENCES events (id),
    version      TEXT    NOT NULL,
    content_type TEXT    NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    data         BLOB    NOT NULL
) STRICT;

-- +goose Down
DROP TABLE event_logos;
