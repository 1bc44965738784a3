-- The outbox: the changes (domain events) every write records in its own
-- transaction, read by the outbox's consumers in commit order. Ids are
-- taken when rows are inserted, not when they commit, so each row also
-- keeps the id of its transaction: a reader takes the rows of transactions
-- older than every one still running, ordered by (txid, id). See
-- docs/architecture.md, "The outbox and its order".

-- +goose Up
CREATE TABLE outbox (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid       bigint      NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    type       text        NOT NULL,
    event_id   bigint      NOT NULL,
    talk_id    bigint      NOT NULL, -- 0 when not about one talk
    at         timestamptz NOT NULL, -- when the action began
    actor_kind text        NOT NULL,
    actor_id   bigint      NOT NULL,
    visibility text        NOT NULL,
    data       text        NOT NULL  -- the payload's JSON, as koe encoded it
);

CREATE UNIQUE INDEX outbox_order ON outbox (txid, id);

-- Where each shared consumer has got to.
CREATE TABLE outbox_cursors (
    consumer   text        PRIMARY KEY,
    tx         bigint      NOT NULL,
    id         bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE outbox_cursors;
DROP TABLE outbox;
