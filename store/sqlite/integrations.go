package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
			AND (target = 'webhook' AND target_id IN (SELECT id FROM webhooks WHERE enabled)
				OR target = 'slack' AND target_id IN (SELECT event_id FROM slack_connections WHERE enabled))
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
		var (
			target   koe.DeliveryTarget
			targetID int64
		)
		if err := tx.QueryRow(`SELECT target, target_id FROM deliveries WHERE id = ?`, id).Scan(&target, &targetID); err != nil {
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
		if err := tx.recordHealth(target, targetID, out.Attempt); err != nil {
			return err
		}
		if target != koe.TargetWebhook {
			return nil
		}
		if out.Disable == "" {
			return nil
		}
		off := false
		_, err := s.updateWebhook(tx, o, 0, targetID, koe.WebhookUpdate{Enabled: &off, DisabledReason: &out.Disable})
		return err
	})
}

// recordHealth notes an attempt in the health of its destination.
func (tx *txn) recordHealth(target koe.DeliveryTarget, id int64, a koe.DeliveryAttempt) error {
	table, key := "webhooks", "id"
	if target == koe.TargetSlack {
		table, key = "slack_connections", "event_id"
	}
	var health string
	if err := tx.QueryRow(`SELECT health FROM `+table+` WHERE `+key+` = ?`, id).Scan(&health); err != nil {
		return notFound(err, string(target))
	}
	var h koe.IntegrationHealth
	if err := json.Unmarshal([]byte(health), &h); err != nil {
		return fmt.Errorf("%s %d health: %w", target, id, err)
	}
	h.Record(a)
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode health: %w", err)
	}
	if _, err := tx.Exec(`UPDATE `+table+` SET health = ? WHERE `+key+` = ?`, string(b), id); err != nil {
		return fmt.Errorf("save %s health: %w", target, err)
	}
	return nil
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

// DeliveryBacklog implements koe.Store.
func (s *Store) DeliveryBacklog(ctx context.Context) (map[koe.DeliveryTarget]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT target, count(*) FROM deliveries WHERE state = 'pending' GROUP BY target`)
	if err != nil {
		return nil, fmt.Errorf("delivery backlog: %w", err)
	}
	defer rows.Close()
	backlog := map[koe.DeliveryTarget]int{}
	for rows.Next() {
		var target koe.DeliveryTarget
		var n int
		if err := rows.Scan(&target, &n); err != nil {
			return nil, fmt.Errorf("delivery backlog: %w", err)
		}
		backlog[target] = n
	}
	return backlog, rows.Err()
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

// Slack.

const slackColumns = `event_id, enabled, channel, bot_token, signing_secret, webhook_url, reviews, digest, health,
	version, created_at, updated_at,
	(SELECT count(*) FROM deliveries d WHERE d.target = 'slack' AND d.target_id = slack_connections.event_id AND d.state = 'pending')`

func scanSlack(row scanner) (*koe.SlackConnection, error) {
	var (
		c       koe.SlackConnection
		health  string
		backlog int
	)
	err := row.Scan(&c.EventID, &c.Enabled, &c.Channel, &c.BotToken, &c.SigningSecret, &c.WebhookURL, &c.Reviews, &c.Digest,
		&health, &c.Version, timeDest{&c.CreatedAt}, timeDest{&c.UpdatedAt}, &backlog)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(health), &c.Health); err != nil {
		return nil, fmt.Errorf("slack connection %d health: %w", c.EventID, err)
	}
	c.Health.Backlog = backlog
	c.MarkSet()
	return &c, nil
}

// SlackConnection implements koe.Store.
func (s *Store) SlackConnection(ctx context.Context, eventID int64) (*koe.SlackConnection, error) {
	c, err := scanSlack(s.read.QueryRowContext(ctx, `SELECT `+slackColumns+` FROM slack_connections WHERE event_id = ?`, eventID))
	if err != nil {
		return nil, notFound(err, "slack connection")
	}
	return c, nil
}

// SetSlackConnection implements koe.Store.
func (s *Store) SetSlackConnection(ctx context.Context, eventID int64, u koe.SlackUpdate) (*koe.SlackConnection, error) {
	o := koe.OriginFrom(ctx, s.now)
	var set *koe.SlackConnection
	err := s.writer.do(ctx, func(tx *txn) error {
		c, err := scanSlack(tx.QueryRow(`SELECT `+slackColumns+` FROM slack_connections WHERE event_id = ?`, eventID))
		var before *koe.SlackConnection
		switch {
		case err == nil:
			b := *c
			before = &b
		case errors.Is(err, sql.ErrNoRows):
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM events WHERE id = ?`, eventID).Scan(&n); err != nil || n == 0 {
				return notFound(sql.ErrNoRows, "event")
			}
			c = &koe.SlackConnection{EventID: eventID}
		default:
			return notFound(err, "slack connection")
		}
		if !u.Apply(c) && before != nil {
			set = c
			return nil
		}
		now := micros(s.stamp())
		set, err = scanSlack(tx.QueryRow(`
			INSERT INTO slack_connections (event_id, enabled, channel, bot_token, signing_secret, webhook_url, reviews, digest,
				version, created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9)
			ON CONFLICT (event_id) DO UPDATE SET enabled = ?2, channel = ?3, bot_token = ?4, signing_secret = ?5,
				webhook_url = ?6, reviews = ?7, digest = ?8, version = version + 1, updated_at = ?9
			RETURNING `+slackColumns,
			eventID, c.Enabled, c.Channel, c.BotToken, c.SigningSecret, c.WebhookURL, c.Reviews, c.Digest, now))
		if err != nil {
			return fmt.Errorf("set slack connection: %w", err)
		}
		return tx.record(o, set.Change(koe.SlackUpdated, before))
	})
	if err != nil {
		return nil, err
	}
	return set, nil
}

// DeleteSlackConnection implements koe.Store.
func (s *Store) DeleteSlackConnection(ctx context.Context, eventID int64) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		c, err := scanSlack(tx.QueryRow(`SELECT `+slackColumns+` FROM slack_connections WHERE event_id = ?`, eventID))
		if err != nil {
			return notFound(err, "slack connection")
		}
		if _, err := tx.Exec(`DELETE FROM deliveries WHERE target = 'slack' AND target_id = ?`, eventID); err != nil {
			return fmt.Errorf("delete slack deliveries: %w", err)
		}
		if _, err := tx.Exec(`DELETE FROM slack_connections WHERE event_id = ?`, eventID); err != nil {
			return fmt.Errorf("delete slack connection: %w", err)
		}
		c.Health.Backlog = 0
		return tx.record(o, c.Change(koe.SlackDeleted, nil))
	})
}

// LinkSlackUser implements koe.Store.
func (s *Store) LinkSlackUser(ctx context.Context, l *koe.SlackLink) error {
	o := koe.OriginFrom(ctx, s.now)
	return s.writer.do(ctx, func(tx *txn) error {
		now := s.stamp()
		res, err := tx.Exec(`
			INSERT INTO slack_links (team_id, user_id, account_id, created_at)
			SELECT ?1, ?2, id, ?4 FROM accounts WHERE id = ?3
			ON CONFLICT (team_id, user_id) DO UPDATE SET account_id = ?3, created_at = ?4`,
			l.TeamID, l.UserID, l.AccountID, micros(now))
		if err != nil {
			return fmt.Errorf("link slack user: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return notFound(sql.ErrNoRows, "account")
		}
		l.CreatedAt = now
		return tx.record(o, l.Change())
	})
}

// SlackLink implements koe.Store.
func (s *Store) SlackLink(ctx context.Context, teamID, userID string) (*koe.SlackLink, error) {
	l := koe.SlackLink{TeamID: teamID, UserID: userID}
	err := s.read.QueryRowContext(ctx, `SELECT account_id, created_at FROM slack_links WHERE team_id = ? AND user_id = ?`, teamID, userID).
		Scan(&l.AccountID, timeDest{&l.CreatedAt})
	if err != nil {
		return nil, notFound(err, "slack link")
	}
	return &l, nil
}

// SlackMessage implements koe.Store.
func (s *Store) SlackMessage(ctx context.Context, eventID, reviewID int64) (string, bool, error) {
	var state koe.DeliveryState
	var result string
	err := s.read.QueryRowContext(ctx, `SELECT state, result FROM deliveries
		WHERE target = 'slack' AND target_id = ? AND subject_id = ? AND type = ?
		ORDER BY id DESC LIMIT 1`, eventID, reviewID, koe.SlackReview).Scan(&state, &result)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("slack message: %w", err)
	}
	return result, state == koe.DeliveryPending, nil
}
