-- Integrations (docs/architecture.md, "Integrations: webhooks and
-- Slack"): an event's outbound webhooks, and the deliveries of the
-- outbox's changes to them, each tried until its destination takes it.

-- +goose Up
CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events (id),
    url             TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    events          TEXT    NOT NULL, -- JSON array of koe.WebhookEvent
    enabled         INTEGER NOT NULL,
    secret          TEXT    NOT NULL,
    disabled_reason TEXT    NOT NULL DEFAULT '',
    health          TEXT    NOT NULL DEFAULT '{}', -- JSON of koe.IntegrationHealth, without the backlog
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX webhooks_by_event ON webhooks (event_id, id);

-- target_id is a webhook's id (target 'webhook') or an event's (target
-- 'slack'); deleting a destination deletes its deliveries.
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY,
    event_id     INTEGER NOT NULL REFERENCES events (id),
    target       TEXT    NOT NULL CHECK (target IN ('webhook', 'slack')),
    target_id    INTEGER NOT NULL,
    key          TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    subject_id   INTEGER NOT NULL DEFAULT 0,
    payload      TEXT    NOT NULL, -- JSON
    state        TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last         TEXT, -- JSON of koe.DeliveryAttempt, NULL before the first
    next_at      INTEGER NOT NULL,
    result       TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    retry_from   INTEGER NOT NULL, -- when its day of retries began: made, or made again
    delivered_at INTEGER,
    UNIQUE (target, target_id, key)
) STRICT;
CREATE INDEX deliveries_due ON deliveries (next_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_by_target ON deliveries (target, target_id, id);
CREATE INDEX deliveries_by_age ON deliveries (created_at) WHERE state <> 'pending';

-- +goose Down
DROP TABLE deliveries;
DROP TABLE webhooks;
