-- Slack (docs/architecture.md, "Integrations: webhooks and Slack"): an
-- event's connection to its workspace, and which koe account each Slack
-- user who pressed a button is.

-- +goose Up
CREATE TABLE slack_connections (
    event_id       bigint PRIMARY KEY REFERENCES events (id),
    enabled        boolean NOT NULL,
    channel        text    NOT NULL,
    bot_token      text    NOT NULL,
    signing_secret text    NOT NULL,
    webhook_url    text    NOT NULL,
    reviews        boolean NOT NULL,
    digest         boolean NOT NULL,
    health         jsonb   NOT NULL DEFAULT '{}', -- koe.IntegrationHealth, without the backlog
    version        bigint  NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE slack_links (
    team_id    text    NOT NULL,
    user_id    text    NOT NULL,
    account_id bigint  NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

CREATE INDEX deliveries_by_subject ON deliveries (target, target_id, subject_id) WHERE subject_id <> 0;

-- +goose Down
DROP INDEX deliveries_by_subject;
DROP TABLE slack_links;
DROP TABLE slack_connections;
