-- The conference's schedule: talks imported from a timetable (matched by
-- the source's id), their rooms, Q&A set by hand or by the schedule; the
-- schedules kept by URL; each talk's audience peak per minute (reports).

-- +goose Up
ALTER TABLE talks ADD COLUMN room TEXT NOT NULL DEFAULT '';
ALTER TABLE talks ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE talks ADD COLUMN source_id TEXT NOT NULL DEFAULT ''; -- '' for a talk made by hand
ALTER TABLE talks ADD COLUMN removed_from_schedule INTEGER NOT NULL DEFAULT 0 CHECK (removed_from_schedule IN (0, 1));
ALTER TABLE talks ADD COLUMN qa_manual INTEGER NOT NULL DEFAULT 0 CHECK (qa_manual IN (0, 1));
CREATE UNIQUE INDEX talks_source ON talks (event_id, source_id) WHERE source_id <> '';

CREATE TABLE schedule_sources (
    event_id        INTEGER PRIMARY KEY REFERENCES events (id),
    url             TEXT    NOT NULL,
    refresh_minutes INTEGER NOT NULL,
    etag            TEXT    NOT NULL,
    last_modified   TEXT    NOT NULL,
    checked_at      INTEGER,
    changed_at      INTEGER,
    error           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE presence_peaks (
    event_id INTEGER NOT NULL REFERENCES events (id),
    talk_id  INTEGER NOT NULL REFERENCES talks (id),
    minute   INTEGER NOT NULL, -- the minute's start
    peak     INTEGER NOT NULL,
    PRIMARY KEY (event_id, talk_id, minute)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE presence_peaks;
DROP TABLE schedule_sources;
DROP INDEX talks_source;
ALTER TABLE talks DROP COLUMN qa_manual;
ALTER TABLE talks DROP COLUMN removed_from_schedule;
ALTER TABLE talks DROP COLUMN source_id;
ALTER TABLE talks DROP COLUMN language;
ALTER TABLE talks DROP COLUMN room;
