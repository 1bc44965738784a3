-- The outbox keeps the record before a change too (the audit log shows
-- both), NULL for changes of records that did not exist.

-- +goose Up
ALTER TABLE outbox ADD COLUMN before TEXT;

-- +goose Down
ALTER TABLE outbox DROP COLUMN before;
