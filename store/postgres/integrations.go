package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// Webhooks. A write of a webhook's health or settings locks its row
// (FOR NO KEY UPDATE) first, so that the attempts finishing together
// each add to the health the one before left.

const webhookColumns = `id, event_id, url, description, events, enabled, secret, disabled_reason, health,
	version, created_at, updated_at,
	(SELECT count(*) FROM deliveries d WHERE d.target = 'webhook' AND d.target_id = webhooks.id AND d.state = 'pending')`

func scanWebhook(row pgx.Row) (*koe.Webhook, error) {
	var (
		w              koe.Webhook
		events, health []byte
		backlog        int64
	)
	err := row.Scan(&w.ID, &w.EventID, &w.URL, &w.Description, &events, &w.Enabled, &w.Secret, &w.DisabledReason,
		&health, &w.Version, &w.CreatedAt, &w.UpdatedAt, &backlog)
	if err != nil {
		return nil, err
	}
	utc(&w.CreatedAt)
	utc(&w.UpdatedAt)
	if err := json.Unmarshal(events, &w.Events); err != nil {
		return nil, fmt.Errorf("webhook %d events: %w", w.ID, err)
	}
	if err := json.Unmarshal(health, &w.Health); err != nil {
		return nil, fmt.Errorf("webhook %d health: %w", w.ID, err)
	}
	w.Health.LastSuccessAt, w.Health.LastErrorAt = utcPtr(w.Health.LastSuccessAt), utcPtr(w.Health.LastErrorAt)
	w.Health.Backlog = int(backlog)
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
	err = s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		// Selecting from events makes a missing event insert nothing.
		created, err = scanWebhook(tx.QueryRow(ctx, `
			INSERT INTO webhooks (event_id, url, description, events, enabled, secret, disabled_reason, version, created_at, updated_at)
			SELECT id, $1::text, $2::text, $3::jsonb, $4::boolean, $5::text, $6::text, 1, $7::timestamptz, $7::timestamptz
			FROM events WHERE id = $8
			RETURNING `+webhookColumns,
			w.URL, w.Description, string(events), w.Enabled, w.Secret, w.DisabledReason, s.stamp(), w.EventID))
		if err != nil {
			return notFound(err, "event")
		}
		return record(ctx, tx, o, created.Change(koe.WebhookCreated, nil))
	})
	if err != nil {
		return err
	}
	s.committed(koe.WebhookCreated)
	*w = *created
	return nil
}

// UpdateWebhook implements koe.Store.
func (s *Store) UpdateWebhook(ctx context.Context, eventID, id int64, u koe.WebhookUpdate) (*koe.Webhook, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		updated *koe.Webhook
		changed bool
	)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		updated, changed, err = s.updateWebhook(ctx, tx, o, eventID, id, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.committed(koe.WebhookUpdated)
	}
	return updated, nil
}

func (s *Store) updateWebhook(ctx context.Context, tx pgx.Tx, o koe.Origin, eventID, id int64, u koe.WebhookUpdate) (*koe.Webhook, bool, error) {
	w, err := scanWebhook(tx.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks
		WHERE (event_id = $1 OR $1 = 0) AND id = $2 FOR NO KEY UPDATE`, eventID, id))
	if err != nil {
		return nil, false, notFound(err, "webhook")
	}
	before := *w
	if !u.Apply(w) {
		return w, false, nil
	}
	events, err := json.Marshal(w.Events)
	if err != nil {
		return nil, false, fmt.Errorf("encode webhook events: %w", err)
	}
	updated, err := scanWebhook(tx.QueryRow(ctx, `
		UPDATE webhooks SET url = $1, description = $2, events = $3::jsonb, enabled = $4, secret = $5, disabled_reason = $6,
			version = version + 1, updated_at = $7
		WHERE id = $8
		RETURNING `+webhookColumns,
		w.URL, w.Description, string(events), w.Enabled, w.Secret, w.DisabledReason, s.stamp(), id))
	if err != nil {
		return nil, false, fmt.Errorf("update webhook: %w", err)
	}
	return updated, true, record(ctx, tx, o, updated.Change(koe.WebhookUpdated, &before))
}

// DeleteWebhook implements koe.Store.
func (s *Store) DeleteWebhook(ctx context.Context, eventID, id int64) error {
	o := koe.OriginFrom(ctx, s.now)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		w, err := scanWebhook(tx.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks
			WHERE event_id = $1 AND id = $2 FOR UPDATE`, eventID, id))
		if err != nil {
			return notFound(err, "webhook")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM deliveries WHERE target = 'webhook' AND target_id = $1`, id); err != nil {
			return fmt.Errorf("delete webhook deliveries: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		w.Health.Backlog = 0
		return record(ctx, tx, o, w.Change(koe.WebhookDeleted, nil))
	})
	if err == nil {
		s.committed(koe.WebhookDeleted)
	}
	return err
}

// Webhook implements koe.Store.
func (s *Store) Webhook(ctx context.Context, eventID, id int64) (*koe.Webhook, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	w, err := scanWebhook(s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE event_id = $1 AND id = $2`, eventID, id))
	if err != nil {
		return nil, s.fail(notFound(err, "webhook"))
	}
	return w, nil
}

// Webhooks implements koe.Store.
func (s *Store) Webhooks(ctx context.Context, eventID int64) ([]*koe.Webhook, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE event_id = $1 ORDER BY id`, eventID)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list webhooks: %w", err))
	}
	list, err := collect(rows, scanWebhook)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list webhooks: %w", err))
	}
	return list, nil
}

// Deliveries.

const deliveryColumns = `id, event_id, target, target_id, key, type, subject_id, payload, state, attempts, last,
	next_at, result, created_at, retry_from, delivered_at`

func scanDelivery(row pgx.Row) (*koe.Delivery, error) {
	var (
		d             koe.Delivery
		payload, last []byte
	)
	err := row.Scan(&d.ID, &d.EventID, &d.Target, &d.TargetID, &d.Key, &d.Type, &d.SubjectID, &payload, &d.State,
		&d.Attempts, &last, &d.NextAt, &d.Result, &d.CreatedAt, &d.RetryFrom, &d.DeliveredAt)
	if err != nil {
		return nil, err
	}
	utc(&d.NextAt)
	utc(&d.CreatedAt)
	utc(&d.RetryFrom)
	d.DeliveredAt = utcPtr(d.DeliveredAt)
	d.Payload = json.RawMessage(payload)
	if last != nil {
		d.Last = new(koe.DeliveryAttempt)
		if err := json.Unmarshal(last, d.Last); err != nil {
			return nil, fmt.Errorf("delivery %d attempt: %w", d.ID, err)
		}
		utc(&d.Last.At)
	}
	return &d, nil
}

// EnqueueDeliveries implements koe.Store.
func (s *Store) EnqueueDeliveries(ctx context.Context, ds []*koe.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	now := s.stamp()
	ids := make([]int64, len(ds))
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		for i, d := range ds {
			ids[i] = 0
			err := tx.QueryRow(ctx, `
				INSERT INTO deliveries (event_id, target, target_id, key, type, subject_id, payload, state, next_at, created_at, retry_from)
				VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 'pending', $8, $9, $9)
				ON CONFLICT ON CONSTRAINT deliveries_key DO NOTHING
				RETURNING id`,
				d.EventID, string(d.Target), d.TargetID, d.Key, d.Type, d.SubjectID, string(d.Payload), d.NextAt, now).Scan(&ids[i])
			if err != nil && !errors.Is(err, pgx.ErrNoRows) { // no rows: made already
				return fmt.Errorf("enqueue delivery: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, d := range ds {
		if ids[i] != 0 {
			d.ID, d.State, d.CreatedAt, d.RetryFrom, d.NextAt = ids[i], koe.DeliveryPending, now, now, *truncTime(&d.NextAt)
		}
	}
	return nil
}

// DueDeliveries implements koe.Store.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]*koe.Delivery, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `
		SELECT `+deliveryColumns+` FROM deliveries
		WHERE state = 'pending' AND next_at <= $1
			AND (target = 'webhook' AND target_id IN (SELECT id FROM webhooks WHERE enabled)
				OR target = 'slack' AND target_id IN (SELECT event_id FROM slack_connections WHERE enabled))
		ORDER BY next_at, id LIMIT $2`, now, limit)
	if err != nil {
		return nil, s.fail(fmt.Errorf("due deliveries: %w", err))
	}
	list, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, s.fail(fmt.Errorf("due deliveries: %w", err))
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
	disabled := false
	err = s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var (
			target   koe.DeliveryTarget
			targetID int64
		)
		if err := tx.QueryRow(ctx, `SELECT target, target_id FROM deliveries WHERE id = $1`, id).Scan(&target, &targetID); err != nil {
			return notFound(err, "delivery")
		}
		if out.Retry {
			_, err := tx.Exec(ctx, `UPDATE deliveries SET next_at = $1 WHERE id = $2`, out.NextAt, id)
			return err
		}
		var delivered *time.Time
		if out.State == koe.DeliveryDelivered {
			delivered = &out.Attempt.At
		}
		if _, err := tx.Exec(ctx, `
			UPDATE deliveries SET state = $1, attempts = attempts + 1, last = $2::jsonb, next_at = $3, result = $4, delivered_at = $5
			WHERE id = $6`, string(out.State), string(last), out.NextAt, out.Result, delivered, id); err != nil {
			return fmt.Errorf("finish attempt: %w", err)
		}
		if err := recordHealth(ctx, tx, target, targetID, out.Attempt); err != nil {
			return err
		}
		if target != koe.TargetWebhook {
			return nil
		}
		if out.Disable == "" {
			return nil
		}
		off := false
		_, disabled, err = s.updateWebhook(ctx, tx, o, 0, targetID, koe.WebhookUpdate{Enabled: &off, DisabledReason: &out.Disable})
		return err
	})
	if err == nil && disabled {
		s.committed(koe.WebhookUpdated)
	}
	return err
}

// recordHealth notes an attempt in the health of its destination,
// locking its row.
func recordHealth(ctx context.Context, tx pgx.Tx, target koe.DeliveryTarget, id int64, a koe.DeliveryAttempt) error {
	table, key := "webhooks", "id"
	if target == koe.TargetSlack {
		table, key = "slack_connections", "event_id"
	}
	var health []byte
	if err := tx.QueryRow(ctx, `SELECT health FROM `+table+` WHERE `+key+` = $1 FOR NO KEY UPDATE`, id).Scan(&health); err != nil {
		return notFound(err, string(target))
	}
	var h koe.IntegrationHealth
	if err := json.Unmarshal(health, &h); err != nil {
		return fmt.Errorf("%s %d health: %w", target, id, err)
	}
	h.Record(a)
	b, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode health: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE `+table+` SET health = $1::jsonb WHERE `+key+` = $2`, string(b), id); err != nil {
		return fmt.Errorf("save %s health: %w", target, err)
	}
	return nil
}

// Delivery implements koe.Store.
func (s *Store) Delivery(ctx context.Context, eventID, id int64) (*koe.Delivery, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE event_id = $1 AND id = $2`, eventID, id))
	if err != nil {
		return nil, s.fail(notFound(err, "delivery"))
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
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE event_id = $1 AND target = $2 AND target_id = $3 AND (state = $4 OR $4 = '') AND id < $5
		ORDER BY id DESC LIMIT $6`, q.EventID, string(q.Target), q.TargetID, string(q.State), before, limit)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list deliveries: %w", err))
	}
	list, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, s.fail(fmt.Errorf("list deliveries: %w", err))
	}
	return list, nil
}

// Redeliver implements koe.Store.
func (s *Store) Redeliver(ctx context.Context, eventID, id int64, now time.Time) (*koe.Delivery, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	d, err := scanDelivery(s.pool.QueryRow(ctx, `UPDATE deliveries SET state = 'pending', next_at = $1, retry_from = $1, delivered_at = NULL
		WHERE event_id = $2 AND id = $3 RETURNING `+deliveryColumns, now, eventID, id))
	if err != nil {
		return nil, s.fail(notFound(err, "delivery"))
	}
	return d, nil
}

// DeliveryBacklog implements koe.Store.
func (s *Store) DeliveryBacklog(ctx context.Context) (map[koe.DeliveryTarget]int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT target, count(*) FROM deliveries WHERE state = 'pending' GROUP BY target`)
	if err != nil {
		return nil, s.fail(fmt.Errorf("delivery backlog: %w", err))
	}
	defer rows.Close()
	backlog := map[koe.DeliveryTarget]int{}
	for rows.Next() {
		var target string
		var n int64
		if err := rows.Scan(&target, &n); err != nil {
			return nil, s.fail(fmt.Errorf("delivery backlog: %w", err))
		}
		backlog[koe.DeliveryTarget(target)] = int(n)
	}
	return backlog, s.fail(rows.Err())
}

// PruneDeliveries implements koe.Store.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM deliveries WHERE state <> 'pending' AND created_at < $1`, before)
	if err != nil {
		return 0, s.fail(fmt.Errorf("prune deliveries: %w", err))
	}
	return tag.RowsAffected(), nil
}

// Slack.

const slackColumns = `event_id, enabled, channel, bot_token, signing_secret, webhook_url, reviews, digest, health,
	version, created_at, updated_at,
	(SELECT count(*) FROM deliveries d WHERE d.target = 'slack' AND d.target_id = slack_connections.event_id AND d.state = 'pending')`

func scanSlack(row pgx.Row) (*koe.SlackConnection, error) {
	var (
		c       koe.SlackConnection
		health  []byte
		backlog int64
	)
	err := row.Scan(&c.EventID, &c.Enabled, &c.Channel, &c.BotToken, &c.SigningSecret, &c.WebhookURL, &c.Reviews, &c.Digest,
		&health, &c.Version, &c.CreatedAt, &c.UpdatedAt, &backlog)
	if err != nil {
		return nil, err
	}
	utc(&c.CreatedAt)
	utc(&c.UpdatedAt)
	if err := json.Unmarshal(health, &c.Health); err != nil {
		return nil, fmt.Errorf("slack connection %d health: %w", c.EventID, err)
	}
	c.Health.LastSuccessAt, c.Health.LastErrorAt = utcPtr(c.Health.LastSuccessAt), utcPtr(c.Health.LastErrorAt)
	c.Health.Backlog = int(backlog)
	c.MarkSet()
	return &c, nil
}

// SlackConnection implements koe.Store.
func (s *Store) SlackConnection(ctx context.Context, eventID int64) (*koe.SlackConnection, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	c, err := scanSlack(s.pool.QueryRow(ctx, `SELECT `+slackColumns+` FROM slack_connections WHERE event_id = $1`, eventID))
	if err != nil {
		return nil, s.fail(notFound(err, "slack connection"))
	}
	return c, nil
}

// SetSlackConnection implements koe.Store. It locks the event's row
// first, so that two first connections of an event queue up.
func (s *Store) SetSlackConnection(ctx context.Context, eventID int64, u koe.SlackUpdate) (*koe.SlackConnection, error) {
	o := koe.OriginFrom(ctx, s.now)
	var (
		set     *koe.SlackConnection
		changed bool
	)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if err := lockEvent(ctx, tx, eventID, "event"); err != nil {
			return err
		}
		c, err := scanSlack(tx.QueryRow(ctx, `SELECT `+slackColumns+` FROM slack_connections WHERE event_id = $1`, eventID))
		var before *koe.SlackConnection
		switch {
		case err == nil:
			b := *c
			before = &b
		case errors.Is(err, pgx.ErrNoRows):
			c = &koe.SlackConnection{EventID: eventID}
		default:
			return notFound(err, "slack connection")
		}
		if !u.Apply(c) && before != nil {
			set = c
			return nil
		}
		changed = true
		set, err = scanSlack(tx.QueryRow(ctx, `
			INSERT INTO slack_connections (event_id, enabled, channel, bot_token, signing_secret, webhook_url, reviews, digest,
				version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)
			ON CONFLICT (event_id) DO UPDATE SET enabled = $2, channel = $3, bot_token = $4, signing_secret = $5,
				webhook_url = $6, reviews = $7, digest = $8, version = slack_connections.version + 1, updated_at = $9
			RETURNING `+slackColumns,
			eventID, c.Enabled, c.Channel, c.BotToken, c.SigningSecret, c.WebhookURL, c.Reviews, c.Digest, s.stamp()))
		if err != nil {
			return fmt.Errorf("set slack connection: %w", err)
		}
		return record(ctx, tx, o, set.Change(koe.SlackUpdated, before))
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.committed(koe.SlackUpdated)
	}
	return set, nil
}

// DeleteSlackConnection implements koe.Store.
func (s *Store) DeleteSlackConnection(ctx context.Context, eventID int64) error {
	o := koe.OriginFrom(ctx, s.now)
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		c, err := scanSlack(tx.QueryRow(ctx, `SELECT `+slackColumns+` FROM slack_connections WHERE event_id = $1 FOR UPDATE`, eventID))
		if err != nil {
			return notFound(err, "slack connection")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM deliveries WHERE target = 'slack' AND target_id = $1`, eventID); err != nil {
			return fmt.Errorf("delete slack deliveries: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM slack_connections WHERE event_id = $1`, eventID); err != nil {
			return fmt.Errorf("delete slack connection: %w", err)
		}
		c.Health.Backlog = 0
		return record(ctx, tx, o, c.Change(koe.SlackDeleted, nil))
	})
	if err == nil {
		s.committed(koe.SlackDeleted)
	}
	return err
}

// LinkSlackUser implements koe.Store.
func (s *Store) LinkSlackUser(ctx context.Context, l *koe.SlackLink) error {
	o := koe.OriginFrom(ctx, s.now)
	now := s.stamp()
	err := s.inTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO slack_links (team_id, user_id, account_id, created_at)
			SELECT $1, $2, id, $4 FROM accounts WHERE id = $3
			ON CONFLICT (team_id, user_id) DO UPDATE SET account_id = $3, created_at = $4`,
			l.TeamID, l.UserID, l.AccountID, now)
		if err != nil {
			return fmt.Errorf("link slack user: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return koe.Errorf(koe.ENOTFOUND, "account not found")
		}
		l.CreatedAt = now
		return record(ctx, tx, o, l.Change())
	})
	if err == nil {
		s.committed(koe.SlackLinked)
	}
	return err
}

// SlackLink implements koe.Store.
func (s *Store) SlackLink(ctx context.Context, teamID, userID string) (*koe.SlackLink, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	l := koe.SlackLink{TeamID: teamID, UserID: userID}
	err := s.pool.QueryRow(ctx, `SELECT account_id, created_at FROM slack_links WHERE team_id = $1 AND user_id = $2`, teamID, userID).
		Scan(&l.AccountID, &l.CreatedAt)
	if err != nil {
		return nil, s.fail(notFound(err, "slack link"))
	}
	utc(&l.CreatedAt)
	return &l, nil
}

// SlackMessage implements koe.Store.
func (s *Store) SlackMessage(ctx context.Context, eventID, reviewID int64) (string, bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var state, result string
	err := s.pool.QueryRow(ctx, `SELECT state, result FROM deliveries
		WHERE target = 'slack' AND target_id = $1 AND subject_id = $2 AND type = $3
		ORDER BY id DESC LIMIT 1`, eventID, reviewID, koe.SlackReview).Scan(&state, &result)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, s.fail(fmt.Errorf("slack message: %w", err))
	}
	return result, koe.DeliveryState(state) == koe.DeliveryPending, nil
}
