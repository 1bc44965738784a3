-- Staff accounts replace the stored owner tokens (KOE_OWNER_TOKEN is now
-- compared in memory, never stored); participant tokens are sealed with
-- keys per period instead of signed with one key; the outbox records how
-- staff acted and from where; the audit log keeps staff changes beyond
-- the outbox's day. See docs/architecture.md, "Staff accounts, sessions
-- and roles".

-- +goose Up
DROP TABLE tokens;
DELETE FROM secrets WHERE name = 'participant-token-key';

ALTER TABLE outbox ADD COLUMN actor_via text NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN actor_addr text NOT NULL DEFAULT '';

-- One row per change, keyed by its outbox position.
CREATE TABLE audit (
    tx         bigint      NOT NULL,
    id         bigint      NOT NULL,
    type       text        NOT NULL,
    event_id   bigint      NOT NULL, -- 0 for the installation's own changes
    talk_id    bigint      NOT NULL,
    at         timestamptz NOT NULL,
    actor_kind text        NOT NULL,
    actor_id   bigint      NOT NULL,
    actor_via  text        NOT NULL,
    actor_addr text        NOT NULL,
    visibility text        NOT NULL,
    data       text        NOT NULL,
    before     text,
    PRIMARY KEY (tx, id)
);

CREATE INDEX audit_by_event ON audit (event_id, tx, id);
CREATE INDEX audit_by_time ON audit (at);

-- +goose Down
DROP TABLE audit;
ALTER TABLE outbox DROP COLUMN actor_addr;
ALTER TABLE outbox DROP COLUMN actor_via;
CREATE TABLE tokens (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash       bytea       NOT NULL CONSTRAINT tokens_hash_key UNIQUE,
    role       text        NOT NULL,
    label      text        NOT NULL,
    created_at timestamptz NOT NULL
);
