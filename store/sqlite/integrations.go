package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/koehq/koe"
)

// Webhooks.

const webhookColumns = `id, event_id, url, description, events, enabled, secret, disabled_reason, health,
	version, created_at, updated_at,
	(SELECT count(*) FROM deliveries d WHERE d.target = 'webhook' AND d.target_id = webhooks.id AND d.state = 'pending')`

func scanWebhook(row scanner) (*koe.Webhook, error) {
	var (
		w              koe.Webhook
		events, health string
		backlog        int
	)
	err := row.Scan(&w.ID, &w.EventID, &w.URL, &w.Description, &events, &w.Enabled, &w.Secret, &w.DisabledReason,
		&health, &w.Version, timeDest{&w.CreatedAt}, timeDest{&w.UpdatedAt}, &backlog)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
		return nil, fmt.Errorf("webhook %d events: %w", w.ID, err)
	}
	if err := json.Unmarshal([]byte(health), &w.Health); err != nil {
		return nil, fmt.Errorf("webhook %d health: %w", w.ID, err)
	}
	w.Health.Backlog = backlog
	return &w, nil
}

// CreateWebhook implements koe.Store.
func (s *Store) CreateWebhook(ctx context.Context, w *koe.Webhook) error {
	events, err := json.Marshal(w.Events)
	if err != nil {
		return fmt.Errorf("encode webhook events: %w", err)
	}
	o := koe.OriginFrom(ctx, s.now)
	var created *koe.Webhook
	err = s.writer.do(ctx, func(tx *txn) error {
		now := micros(s.stamp())
		var err error
		created, err = scanWebhook(tx.QueryRow(`
			INSERT INTO webhooks (event_id, url, description, events, enabled, secret, disabled_reason, version, created_at, updated_at)
			SELECT id, ?, ?, ?, ?, ?, ?, 1, ?, ? FROM events WHERE id = ?
			RETURNING `+webhookColumns,
			w.URL, w.Description, string(events), w.Enabled, w.Secret, w.DisabledReason, now, now, w.EventID))
		if err != nil {
			return notFound(err, "event")
		}
		return tx.record(o, created.Change(koe.WebhookCreated, nil))
	})
	if err != nil {
		return err
	}
	*w = *created
	return nil
}

// UpdateWebhook implements koe.Store.
func (s *Store) UpdateWebhook(ctx context.Context, eventID, id int64, u koe.WebhookUpdate) (*koe.Webhook, error) {
	o := koe.OriginFrom(ctx, s.now)
	var updated *koe.Webhook
	err := s.writer.do(ctx, func(tx *txn) error {
		var err error
		updated, err = s.updateWebhook(tx, o, eventID, id, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

func (s *Store) updateWebhook(tx *txn, o koe.Origin, eventID, id int64, u koe.WebhookUpdate) (*koe.Webhook, error) {
	w, err := scanWebhook(tx.QueryRow(`SELECT `+webhookColumns+` FROM webhooks WHERE (event_id = ?1 OR ?1 = 0) AND id = ?2`, eventID, id))
	if err != nil {
		return nil, notFound(err, "webhook")
	}
	before := *w
	if !u.Apply(w) {
		return w, nil
	}
	events, err := json.Marshal(w.Events)
	if err != nil {
		return nil, fmt.Errorf("encode webhook events: %w", err)
	}
	updated, err := scanWebhook(tx.QueryRow(`
		UPDATE webhooks SET url = ?, description = ?, events = ?, enabled = ?, secret = ?, disabled_reason = ?,
			version = version + 1, updated_at = ?
		WHERE id = ?
		RETURNING `+webhookColumns,
		w.URL, w.Description, string(events), w.Enabled, w.Secret, w.DisabledReason, micros(s.stamp()), id))
	if err != nil {
		return nil, fmt.Errorf("update webhook: %w", err)
	}
	return updated, tx.record(o, updated.Change(koe.WebhookUpdated, &before))
}

// DeleteWebhook implements koe.Store.
func (s *Store) DeleteWebhook(ctx context.Context, eventID, id int64) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		w, err := scanWebhook(tx.QueryRow(`SELECT `+webhookColumns+` FROM webhooks WHERE event_id = ? AND id = ?`, eventID, id))
		if err != nil {
			return notFound(err, "webhook")
		}
		if _, err := tx.Exec(`DELETE FROM deliveries WHERE target = 'webhook' AND target_id = ?`, id); err != nil {
			return fmt.Errorf("delete webhook deliveries: %w", err)
		}
		if _, err := tx.Exec(`DELETE FROM webhooks WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		w.Health.Backlog = 0
		return tx.record(o, w.Change(koe.WebhookDeleted, nil))
	})
}

// Webhook implements koe.Store.
func (s *Store) Webhook(ctx context.Context, eventID, id int64) (*koe.Webhook, error) {
	w, err := scanWebhook(s.read.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE event_id = ? AND id = ?`, eventID, id))
	if err != nil {
		return nil, notFound(err, "webhook")
	}
	return w, nil
}

// Webhooks implements koe.Store.
func (s *Store) Webhooks(ctx context.Context, eventID int64) ([]*koe.Webhook, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE event_id = ? ORDER BY id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	list, err := collect(rows, scanWebhook)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return list, nil
}

// Deliveries.

const deliveryColumns = `id, event_id, target, target_id, key, type, subject_id, payload, state, attempts, last,
	next_at, result, created_at, retry_from, delivered_at`

func scanDelivery(row scanner) (*koe.Delivery, error) {
	var (
		d       koe.Delivery
		payload string
		last    sql.NullString
	)
	err := row.Scan(&d.ID, &d.EventID, &d.Target, &d.TargetID, &d.Key, &d.Type, &d.SubjectID, &payload, &d.State,
		&d.Attempts, &last, timeDest{&d.NextAt}, &d.Result, timeDest{&d.CreatedAt}, timeDest{&d.RetryFrom}, nullTimeDest{&d.DeliveredAt})
	if err != nil {
		return nil, err
	}
	d.Payload = json.RawMessage(payload)
	if last.Valid {
		d.Last = new(koe.DeliveryAttempt)
		if err := json.Unmarshal([]byte(last.String), d.Last); err != nil {
			return nil, fmt.Errorf("delivery %d attempt: %w", d.ID, err)
		}
	}
	return &d, nil
}

// EnqueueDeliveries implements koe.Store.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []*koe.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	return s.writer.do(ctx, func(tx *txn) error {
		now := s.stamp()
		for _, d := range ds {
			var id int64
			err := tx.QueryRow(`
				INSERT INTO deliveries (event_id, target, target_id, key, type, subject_id, payload, state, next_at, created_at, retry_from)
				VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9, ?9)
				ON CONFLICT (target, target_id, key) DO NOTHING
				RETURNING id`,
				d.EventID, d.Target, d.TargetID, d.Key, d.Type, d.SubjectID, string(d.Payload), micros(d.NextAt), micros(now)).Scan(&id)
			if err == sql.ErrNoRows {
				continue // made already
			}
			if err != nil {
				return fmt.Errorf("enqueue delivery: %w", err)
			}
			d.ID, d.State, d.CreatedAt, d.RetryFrom = id, koe.DeliveryPending, now, now
			d.NextAt = time.UnixMicro(micros(d.NextAt)).UTC()
		}
		return nil
	})
}

// DueDeliveries implements koe.Store.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*koe.Delivery, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT `+deliveryColumns+` FROM deliveries
		WHERE state = 'pending' AND next_at <= ?
			AND target = 'webhook' AND target_id IN (SELECT id FROM webhooks WHERE enabled)
		ORDER BY next_at, id LIMIT ?`, micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	list, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	return list, nil
}

// FinishAttempt implements koe.Store.
func (s *Store) FinishAttempt(ctx context.Context, id int64, out koe.DeliveryOutcome) error {
	o := koe.OriginFrom(ctx, s.now)
	last, err := json.Marshal(out.Attempt)
	if err != nil {
		return fmt.Errorf("encode attempt: %w", err)
	}
	return s.writer.do(ctx, func(tx *txn) error {
		d, err := scanDelivery(tx.QueryRow(`SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
		if err != nil {
			return notFound(err, "delivery")
		}
		if out.Retry {
			_, err := tx.Exec(`UPDATE deliveries SET next_at = ? WHERE id = ?`, micros(out.NextAt), id)
			return err
		}
		var delivered sql.NullInt64
		if out.State == koe.DeliveryDelivered {
			delivered = sql.NullInt64{Int64: micros(out.Attempt.At), Valid: true}
		}
		if _, err := tx.Exec(`
			UPDATE deliveries SET state = ?, attempts = attempts + 1, last = ?, next_at = ?, result = ?, delivered_at = ?
			WHERE id = ?`, out.State, string(last), micros(out.NextAt), out.Result, delivered, id); err != nil {
			return fmt.Errorf("finish attempt: %w", err)
		}
		if d.Target != koe.TargetWebhook {
			return nil
		}
		var health string
		if err := tx.QueryRow(`SELECT health FROM webhooks WHERE id = ?`, d.TargetID).Scan(&health); err != nil {
			return notFound(err, "webhook")
		}
		var h koe.IntegrationHealth
		if err := json.Unmarshal([]byte(health), &h); err != nil {
			return fmt.Errorf("webhook %d health: %w", d.TargetID, err)
		}
		h.Record(out.Attempt)
		b, err := json.Marshal(h)
		if err != nil {
			return fmt.Errorf("encode webhook health: %w", err)
		}
		if _, err := tx.Exec(`UPDATE webhooks SET health = ? WHERE id = ?`, string(b), d.TargetID); err != nil {
			return fmt.Errorf("save webhook health: %w", err)
		}
		if out.Disable == "" {
			return nil
		}
		off := false
		_, err = s.updateWebhook(tx, o, 0, d.TargetID, koe.WebhookUpdate{Enabled: &off, DisabledReason: &out.Disable})
		return err
	})
}

// Delivery implements koe.Store.
func (s *Store) Delivery(ctx context.Context, eventID, id int64) (*koe.Delivery, error) {
	d, err := scanDelivery(s.read.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE event_id = ? AND id = ?`, eventID, id))
	if err != nil {
		return nil, notFound(err, "delivery")
	}
	return d, nil
}

// Deliveries implements koe.Store.
func (s *Store) Deliveries(ctx context.Context, q koe.DeliveryQuery) ([]*koe.Delivery, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	before := q.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE event_id = ? AND target = ? AND target_id = ? AND (state = ?4 OR ?4 = '') AND id < ?
		ORDER BY id DESC LIMIT ?`, q.EventID, q.Target, q.TargetID, q.State, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	list, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return list, nil
}

// Redeliver implements koe.Store.
func (s *Store) Redeliver(ctx context.Context, eventID, id int64, now time.Time) (*koe.Delivery, error) {
	var d *koe.Delivery
	err := s.writer.do(ctx, func(tx *txn) error {
		var err error
		d, err = scanDelivery(tx.QueryRow(`UPDATE deliveries SET state = 'pending', next_at = ?1, retry_from = ?1, delivered_at = NULL
			WHERE event_id = ?2 AND id = ?3 RETURNING `+deliveryColumns, micros(now), eventID, id))
		if err != nil {
			return notFound(err, "delivery")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// PruneDeliveries implements koe.Store.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.writer.do(ctx, func(tx *txn) error {
		res, err := tx.Exec(`DELETE FROM deliveries WHERE state <> 'pending' AND created_at < ?`, micros(before))
		if err != nil {
			return fmt.Errorf("prune deliveries: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
