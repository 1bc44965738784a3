-- Slack (docs/architecture.md, "Integrations: webhooks and Slack"): an
-- event's connection to its workspace, and which koe account each Slack
-- user who pressed a button is.

-- +goose Up
CREATE TABLE slack_connections (
    event_id       INTEGER PRIMARY KEY REFERENCES events (id),
    enabled        INTEGER NOT NULL,
    channel        TEXT    NOT NULL,
    bot_token      TEXT    NOT NULL,
    signing_secret TEXT    NOT NULL,
    webhook_url    TEXT    NOT NULL,
    reviews        INTEGER NOT NULL,
    digest         INTEGER NOT NULL,
    health         TEXT    NOT NULL DEFAULT '{}', -- JSON of koe.IntegrationHealth, without the backlog
    version        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE slack_links (
    team_id    TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) STRICT;

CREATE INDEX deliveries_by_subject ON deliveries (target, target_id, subject_id) WHERE subject_id <> 0;

-- +goose Down
DROP INDEX deliveries_by_subject;
DROP TABLE slack_links;
DROP TABLE slack_connections;
