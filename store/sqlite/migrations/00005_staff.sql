-- Staff accounts replace the stored owner tokens (KOE_OWNER_TOKEN is now
-- compared in memory, never stored); participant tokens are sealed with
-- keys per period instead of signed with one key; the outbox records how
-- staff acted and from where; the audit log keeps staff changes beyond
-- the outbox's day. See docs/architecture.md, "Staff accounts, sessions
-- and roles".

-- +goose Up
DROP TABLE tokens;
DELETE FROM secrets WHERE name = 'participant-token-key';

ALTER TABLE outbox ADD COLUMN actor_via TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN actor_addr TEXT NOT NULL DEFAULT '';

-- One row per change, keyed by its outbox position.
CREATE TABLE audit (
    tx         INTEGER NOT NULL,
    id         INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    event_id   INTEGER NOT NULL, -- 0 for the installation's own changes
    talk_id    INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    actor_kind TEXT    NOT NULL,
    actor_id   INTEGER NOT NULL,
    actor_via  TEXT    NOT NULL,
    actor_addr TEXT    NOT NULL,
    visibility TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    before     TEXT,
    PRIMARY KEY (tx, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX audit_by_event ON audit (event_id, tx, id);
CREATE INDEX audit_by_time ON audit (at);

-- +goose Down
DROP TABLE audit;
ALTER TABLE outbox DROP COLUMN actor_addr;
ALTER TABLE outbox DROP COLUMN actor_via;
CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    role       TEXT    NOT NULL,
    label      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
