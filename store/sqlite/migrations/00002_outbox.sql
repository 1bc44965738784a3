-- The outbox: the changes (domain events) every write records in its own
-- transaction, read by the outbox's consumers in commit order (the id;
-- AUTOINCREMENT, so that an id is never used twice, even after pruning).
-- See docs/architecture.md, "Actions, changes and the outbox".

-- +goose Up
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    type       TEXT    NOT NULL,
    event_id   INTEGER NOT NULL,
    talk_id    INTEGER NOT NULL, -- 0 when not about one talk
    at         INTEGER NOT NULL, -- when the action began
    actor_kind TEXT    NOT NULL,
    actor_id   INTEGER NOT NULL,
    visibility TEXT    NOT NULL,
    data       TEXT    NOT NULL  -- the payload's JSON
) STRICT;

-- Where each shared consumer has got to. tx is unused here (PostgreSQL's
-- positions need it) and kept so that both stores save the same thing.
CREATE TABLE outbox_cursors (
    consumer   TEXT    PRIMARY KEY,
    tx         INTEGER NOT NULL,
    id         INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE outbox_cursors;
DROP TABLE outbox;
