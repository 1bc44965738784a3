-- Integrations (docs/architecture.md, "Integrations: webhooks and
-- Slack"): an event's outbound webhooks, and the deliveries of the
-- outbox's changes to them, each tried until its destination takes it.

-- +goose Up
CREATE TABLE webhooks (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        bigint      NOT NULL REFERENCES events (id),
    url             text        NOT NULL,
    description     text        NOT NULL,
    events          jsonb       NOT NULL, -- koe.WebhookEvent array
    enabled         boolean     NOT NULL,
    secret          text        NOT NULL,
    disabled_reason text        NOT NULL DEFAULT '',
    health          jsonb       NOT NULL DEFAULT '{}', -- koe.IntegrationHealth, without the backlog
    version         bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX webhooks_by_event ON webhooks (event_id, id);

-- target_id is a webhook's id (target 'webhook') or an event's (target
-- 'slack'); deleting a destination deletes its deliveries.
CREATE TABLE deliveries (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     bigint      NOT NULL REFERENCES events (id),
    target       text        NOT NULL CHECK (target IN ('webhook', 'slack')),
    target_id    bigint      NOT NULL,
    key          text        NOT NULL,
    type         text        NOT NULL,
    subject_id   bigint      NOT NULL DEFAULT 0,
    payload      jsonb       NOT NULL,
    state        text        NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts     integer     NOT NULL DEFAULT 0,
    last         jsonb, -- koe.DeliveryAttempt, NULL before the first
    next_at      timestamptz NOT NULL,
    result       text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    retry_from   timestamptz NOT NULL, -- when its day of retries began: made, or made again
    delivered_at timestamptz,
    CONSTRAINT deliveries_key UNIQUE (target, target_id, key)
);
CREATE INDEX deliveries_due ON deliveries (next_at, id) WHERE state = 'pending';
CREATE INDEX deliveries_by_target ON deliveries (target, target_id, id);
CREATE INDEX deliveries_by_age ON deliveries (created_at) WHERE state <> 'pending';

-- +goose Down
DROP TABLE deliveries;
DROP TABLE webhooks;
