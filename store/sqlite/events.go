package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/koehq/koe"
)

const eventColumns = `id, slug, title, join_code, time_zone, starts_at, ends_at,
	settings, version, created_at, updated_at`

func scanEvent(row scanner) (*koe.Event, error) {
	var e koe.Event
	var settings string
	err := row.Scan(&e.ID, &e.Slug, &e.Title, &e.JoinCode, &e.TimeZone,
		nullTimeDest{&e.StartsAt}, nullTimeDest{&e.EndsAt},
		&settings, &e.Version, timeDest{&e.CreatedAt}, timeDest{&e.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if err := e.LoadSettings([]byte(settings)); err != nil {
		return nil, fmt.Errorf("event %d settings: %w", e.ID, err)
	}
	return &e, nil
}

// joinCodeAttempts bounds the retries on a colliding random join code;
// with 31^6 codes, needing more than a few means something else is wrong.
const joinCodeAttempts = 10

// CreateEvent implements koe.Store.
func (s *Store) CreateEvent(ctx context.Context, e *koe.Event) error {
	settings, err := e.StoredSettings()
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	o := koe.OriginFrom(ctx, s.now)
	var created koe.Event
	err = s.writer.do(ctx, func(tx *txn) error {
		created = *e
		now := s.stamp()
		created.StartsAt, created.EndsAt = truncTime(e.StartsAt), truncTime(e.EndsAt)
		created.Version, created.CreatedAt, created.UpdatedAt = 1, now, now
		for range joinCodeAttempts {
			created.JoinCode = e.JoinCode
			if created.JoinCode == "" {
				created.JoinCode = koe.NewJoinCode()
			}
			err := tx.QueryRow(`
				INSERT INTO events (slug, title, join_code, time_zone, starts_at, ends_at,
					settings, version, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
				RETURNING id`,
				e.Slug, e.Title, created.JoinCode, e.TimeZone, nullMicros(e.StartsAt), nullMicros(e.EndsAt),
				string(settings), micros(now), micros(now),
			).Scan(&created.ID)
			switch {
			case err == nil:
				return tx.record(o, created.Change(koe.EventCreated))
			case isUnique(err, "events.slug"):
				return koe.Errorf(koe.ECONFLICT, "slug already taken")
			case isUnique(err, "events.join_code") && e.JoinCode != "":
				return koe.Errorf(koe.ECONFLICT, "join code already taken")
			case !isUnique(err, "events.join_code"):
				return fmt.Errorf("insert event: %w", err)
			}
		}
		return fmt.Errorf("no free join code after %d attempts", joinCodeAttempts)
	})
	if err != nil {
		return err
	}
	*e = created
	return nil
}

// UpdateEvent implements koe.Store.
func (s *Store) UpdateEvent(ctx context.Context, id int64, u koe.EventUpdate) (*koe.Event, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Event
	err := s.writer.do(ctx, func(tx *txn) error {
		var err error
		updated, err = s.updateEvent(tx, o, id, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

func (s *Store) updateEvent(tx *txn, o koe.Origin, id int64, u koe.EventUpdate) (*koe.Event, error) {
	e, err := scanEvent(tx.QueryRow(`SELECT `+eventColumns+` FROM events WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "event")
	}
	before := *e
	if !u.Apply(e) {
		return e, nil
	}
	settings, err := e.StoredSettings()
	if err != nil {
		return nil, fmt.Errorf("encode settings: %w", err)
	}
	updated, err := scanEvent(tx.QueryRow(`
		UPDATE events SET slug = ?, title = ?, time_zone = ?, starts_at = ?, ends_at = ?,
			settings = ?, version = version + 1, updated_at = ?
		WHERE id = ?
		RETURNING `+eventColumns,
		e.Slug, e.Title, e.TimeZone, nullMicros(e.StartsAt), nullMicros(e.EndsAt),
		string(settings), micros(s.stamp()), id))
	if isUnique(err, "events.slug") {
		return nil, koe.Errorf(koe.ECONFLICT, "slug already taken")
	}
	if err != nil {
		return nil, fmt.Errorf("update event: %w", err)
	}
	return updated, tx.record(o, updated.Changes(&before)...)
}

// SetEventLogo implements koe.Store.
func (s *Store) SetEventLogo(ctx context.Context, eventID int64, logo *koe.EventLogo) (*koe.Event, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Event
	err := s.writer.do(ctx, func(tx *txn) error {
		e, err := scanEvent(tx.QueryRow(`SELECT `+eventColumns+` FROM events WHERE id = ?`, eventID))
		if err != nil {
			return notFound(err, "event")
		}
		settings := e.Settings
		settings.Logo = ""
		if logo == nil {
			_, err = tx.Exec(`DELETE FROM event_logos WHERE event_id = ?`, eventID)
		} else {
			settings.Logo = logo.Version
			_, err = tx.Exec(`INSERT INTO event_logos (event_id, version, content_type, data) VALUES (?1, ?2, ?3, ?4)
				ON CONFLICT (event_id) DO UPDATE SET version = ?2, content_type = ?3, data = ?4`,
				eventID, logo.Version, logo.ContentType, logo.Data)
		}
		if err != nil {
			return fmt.Errorf("set event logo: %w", err)
		}
		updated, err = s.updateEvent(tx, o, eventID, koe.EventUpdate{Settings: &settings})
		return err
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// EventLogo implements koe.Store.
func (s *Store) EventLogo(ctx context.Context, eventID int64, version string) (*koe.EventLogo, error) {
	l := koe.EventLogo{Version: version}
	err := s.read.QueryRowContext(ctx, `SELECT content_type, data FROM event_logos WHERE event_id = ? AND version = ?`, eventID, version).
		Scan(&l.ContentType, &l.Data)
	if err != nil {
		return nil, notFound(err, "logo")
	}
	return &l, nil
}

// Event implements koe.Store.
func (s *Store) Event(ctx context.Context, id int64) (*koe.Event, error) {
	e, err := scanEvent(s.read.QueryRowContext(ctx,
		`SELECT `+eventColumns+` FROM events WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "event")
	}
	return e, nil
}

// EventByJoinCode implements koe.Store.
func (s *Store) EventByJoinCode(ctx context.Context, code string) (*koe.Event, error) {
	e, err := scanEvent(s.read.QueryRowContext(ctx,
		`SELECT `+eventColumns+` FROM events WHERE join_code = ?`, code))
	if err != nil {
		return nil, notFound(err, "event")
	}
	return e, nil
}

// Events implements koe.Store.
func (s *Store) Events(ctx context.Context) ([]*koe.Event, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+eventColumns+` FROM events ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	events, err := collect(rows, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return events, nil
}

// collect scans every row of rows with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (*T, error)) ([]*T, error) {
	defer rows.Close()
	list := []*T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return list, nil
}
