package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

const eventColumns = `id, slug, title, join_code, time_zone, starts_at, ends_at,
	settings, version, created_at, updated_at`

func scanEvent(row pgx.Row) (*koe.Event, error) {
	var e koe.Event
	var settings []byte
	err := row.Scan(&e.ID, &e.Slug, &e.Title, &e.JoinCode, &e.TimeZone,
		&e.StartsAt, &e.EndsAt, &settings, &e.Version, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return nil, err
	}
	e.StartsAt, e.EndsAt = utcPtr(e.StartsAt), utcPtr(e.EndsAt)
	utc(&e.CreatedAt)
	utc(&e.UpdatedAt)
	if err := e.LoadSettings(settings); err != nil {
		return nil, fmt.Errorf("event %d settings: %w", e.ID, err)
	}
	return &e, nil
}

// joinCodeAttempts bounds the retries on a colliding random join code;
// with 31^6 codes, needing more than a few means something else is wrong.
const joinCodeAttempts = 10

// CreateEvent implements koe.Store. Each attempt at a join code runs in a
// savepoint, so a colliding one costs a retry, not the transaction.
func (s *Store) CreateEvent(ctx context.Context, e *koe.Event) error {
	settings, err := e.StoredSettings()
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	o := koe.OriginFrom(ctx, s.now)
	var created koe.Event
	err = s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		created = *e
		now := s.stamp()
		created.StartsAt, created.EndsAt = truncTime(e.StartsAt), truncTime(e.EndsAt)
		created.Version, created.CreatedAt, created.UpdatedAt = 1, now, now
		for range joinCodeAttempts {
			created.JoinCode = e.JoinCode
			if created.JoinCode == "" {
				created.JoinCode = koe.NewJoinCode()
			}
			err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
				return sp.QueryRow(ctx, `
					INSERT INTO events (slug, title, join_code, time_zone, starts_at, ends_at,
						settings, version, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)
					RETURNING id`,
					e.Slug, e.Title, created.JoinCode, e.TimeZone, created.StartsAt, created.EndsAt, string(settings), now,
				).Scan(&created.ID)
			})
			switch {
			case err == nil:
				return record(ctx, tx, o, created.Change(koe.EventCreated))
			case isUnique(err, "events_slug_key"):
				return koe.Errorf(koe.ECONFLICT, "slug already taken")
			case isUnique(err, "events_join_code_key") && e.JoinCode != "":
				return koe.Errorf(koe.ECONFLICT, "join code already taken")
			case !isUnique(err, "events_join_code_key"):
				return fmt.Errorf("insert event: %w", err)
			}
		}
		return fmt.Errorf("no free join code after %d attempts", joinCodeAttempts)
	})
	if err != nil {
		return err
	}
	s.committed(koe.EventCreated)
	*e = created
	return nil
}

// UpdateEvent implements koe.Store.
func (s *Store) UpdateEvent(ctx context.Context, id int64, u koe.EventUpdate) (*koe.Event, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		updated *koe.Event
		changes []koe.Change
	)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		updated, changes, err = s.updateEvent(ctx, tx, o, id, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 {
		s.committed(typesOf(changes)...)
	}
	return updated, nil
}

func (s *Store) updateEvent(ctx context.Context, tx pgx.Tx, o koe.Origin, id int64, u koe.EventUpdate) (*koe.Event, []koe.Change, error) {
	e, err := scanEvent(tx.QueryRow(ctx,
		`SELECT `+eventColumns+` FROM events WHERE id = $1 FOR NO KEY UPDATE`, id))
	if err != nil {
		return nil, nil, notFound(err, "event")
	}
	before := *e
	if !u.Apply(e) {
		return e, nil, nil
	}
	settings, err := e.StoredSettings()
	if err != nil {
		return nil, nil, fmt.Errorf("encode settings: %w", err)
	}
	updated, err := scanEvent(tx.QueryRow(ctx, `
		UPDATE events SET slug = $1, title = $2, time_zone = $3, starts_at = $4, ends_at = $5,
			settings = $6, version = version + 1, updated_at = $7
		WHERE id = $8
		RETURNING `+eventColumns,
		e.Slug, e.Title, e.TimeZone, truncTime(e.StartsAt), truncTime(e.EndsAt),
		string(settings), s.stamp(), id))
	if isUnique(err, "events_slug_key") {
		return nil, nil, koe.Errorf(koe.ECONFLICT, "slug already taken")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("update event: %w", err)
	}
	changes := updated.Changes(&before)
	return updated, changes, record(ctx, tx, o, changes...)
}

// SetEventLogo implements koe.Store.
func (s *Store) SetEventLogo(ctx context.Context, eventID int64, logo *koe.EventLogo) (*koe.Event, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		updated *koe.Event
		changes []koe.Change
	)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		e, err := scanEvent(tx.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1 FOR NO KEY UPDATE`, eventID))
		if err != nil {
			return notFound(err, "event")
		}
		settings := e.Settings
		settings.Logo = ""
		if logo == nil {
			_, err = tx.Exec(ctx, `DELETE FROM event_logos WHERE event_id = $1`, eventID)
		} else {
			settings.Logo = logo.Version
			_, err = tx.Exec(ctx, `INSERT INTO event_logos (event_id, version, content_type, data) VALUES ($1, $2, $3, $4)
				ON CONFLICT (event_id) DO UPDATE SET version = $2, content_type = $3, data = $4`,
				eventID, logo.Version, logo.ContentType, logo.Data)
		}
		if err != nil {
			return fmt.Errorf("set event logo: %w", err)
		}
		updated, changes, err = s.updateEvent(ctx, tx, o, eventID, koe.EventUpdate{Settings: &settings})
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 {
		s.committed(typesOf(changes)...)
	}
	return updated, nil
}

// EventLogo implements koe.Store.
func (s *Store) EventLogo(ctx context.Context, eventID int64, version string) (*koe.EventLogo, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	l := koe.EventLogo{Version: version}
	err := s.pool.QueryRow(ctx, `SELECT content_type, data FROM event_logos WHERE event_id = $1 AND version = $2`, eventID, version).
		Scan(&l.ContentType, &l.Data)
	if err != nil {
		return nil, s.fail(notFound(err, "logo"))
	}
	return &l, nil
}

// Event implements koe.Store.
func (s *Store) Event(ctx context.Context, id int64) (*koe.Event, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	e, err := scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1`, id))
	if err != nil {
		return nil, s.fail(notFound(err, "event"))
	}
	return e, nil
}

// EventByJoinCode implements koe.Store.
func (s *Store) EventByJoinCode(ctx context.Context, code string) (*koe.Event, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	e, err := scanEvent(s.pool.QueryRow(ctx, `SELECT `+eventColumns+` FROM events WHERE join_code = $1`, code))
	if err != nil {
		return nil, s.fail(notFound(err, "event"))
	}
	return e, nil
}

// Events implements koe.Store.
func (s *Store) Events(ctx context.Context) ([]*koe.Event, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events ORDER BY id DESC`)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list events: %w", err))
	}
	events, err := collect(rows, scanEvent)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list events: %w", err))
	}
	return events, nil
}
