-- The conference's schedule: talks imported from a timetable (matched by
-- the source's id), their rooms, Q&A set by hand or by the schedule; the
-- schedules kept by URL; each talk's audience peak per minute (reports).

-- +goose Up
ALTER TABLE talks
    ADD COLUMN room text NOT NULL DEFAULT '',
    ADD COLUMN language text NOT NULL DEFAULT '',
    ADD COLUMN source_id text NOT NULL DEFAULT '', -- '' for a talk made by hand
    ADD COLUMN removed_from_schedule boolean NOT NULL DEFAULT false,
    ADD COLUMN qa_manual boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX talks_source ON talks (event_id, source_id) WHERE source_id <> '';

CREATE TABLE schedule_sources (
    event_id        bigint      PRIMARY KEY REFERENCES events (id),
    url             text        NOT NULL,
    refresh_minutes integer     NOT NULL,
    etag            text        NOT NULL,
    last_modified   text        NOT NULL,
    checked_at      timestamptz,
    changed_at      timestamptz,
    error           text        NOT NULL,
    created_at      timestamptz NOT NULL
);

CREATE TABLE presence_peaks (
    event_id bigint      NOT NULL REFERENCES events (id),
    talk_id  bigint      NOT NULL REFERENCES talks (id),
    minute   timestamptz NOT NULL, -- the minute's start
    peak     bigint      NOT NULL,
    PRIMARY KEY (event_id, talk_id, minute)
);

-- +goose Down
DROP TABLE presence_peaks;
DROP TABLE schedule_sources;
DROP INDEX talks_source;
ALTER TABLE talks
    DROP COLUMN qa_manual,
    DROP COLUMN removed_from_schedule,
    DROP COLUMN source_id,
    DROP COLUMN language,
    DROP COLUMN room;
