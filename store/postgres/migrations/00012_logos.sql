-- Event branding: each event's logo, served by koe (koe.CheckLogo has
-- checked it); events.settings names its version.

-- +goose Up
CREATE TABLE event_logos (
    event_id     bigint PRIMARY KEY REFERENCES events (id),
    version      text   NOT NULL,
    content_type text   NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    data         bytea  NOT NULL
);

-- +goose Down
DROP TABLE event_logos;
