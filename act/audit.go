package act

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/outbox"
)

// auditConsumer copies the changes staff and koe itself made from the
// outbox into the audit log, on the lease holder (docs/architecture.md,
// "The audit log"). A change copied twice (the consumer restarted before
// saving its cursor) is kept once. Once an hour it deletes the entries
// older than the retention.
func (a *Actions) auditConsumer() outbox.Consumer {
	var mu sync.Mutex
	var pruned time.Time
	return outbox.Consumer{
		Name:   "audit",
		Shared: true,
		Handle: func(ctx context.Context, changes []koe.Change) error {
			kept := changes[:0:0]
			for _, c := range changes {
				if audited(c) {
					kept = append(kept, c)
				}
			}
			if err := a.store.RecordAudit(ctx, kept); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if now := a.now(); now.Sub(pruned) >= auditPruneEvery {
				n, err := a.store.PruneAudit(ctx, now.Add(-a.retention))
				if err == nil && n > 0 {
					a.log.Info("audit log pruned", "entries", n)
				}
				// What can sign no one in any more goes a day after it ended.
				m, err2 := a.store.PruneSignIns(ctx, now.Add(-signInPruneAfter), a.sessions.Idle)
				if err2 == nil && m > 0 {
					a.log.Info("ended sessions and invitations pruned", "rows", m)
				}
				if err = errors.Join(err, err2); err != nil {
					a.log.Warn("pruning failed", "error", err)
				} else {
					pruned = now
				}
			}
			return nil
		},
	}
}

const (
	auditPruneEvery  = time.Hour
	signInPruneAfter = 24 * time.Hour
)

// audited reports whether the audit log keeps a change: everything staff
// and koe itself did, not the participants' own questions, likes and
// replies (their content is in the event's data, and their addresses are
// not kept).
func audited(c koe.Change) bool {
	return c.Actor.Kind != koe.ActorParticipant && c.Type != koe.QuestionLikes && c.Type != koe.ReviewClaimed
}

// AuditFilter selects audit entries, as a client asks.
type AuditFilter struct {
	// Account selects one staff account's entries (nil: all; 0: the
	// owner token's).
	Account *int64
	// Type selects the types that begin with it ("question.").
	Type         string
	Since, Until *time.Time
	// Before is the cursor of the page before (the last entry's id).
	Before string
	Limit  int
}

// AuditEntry is one entry of the audit log as staff read it.
type AuditEntry struct {
	// ID is the entry's position, the cursor of the page after it.
	ID      string         `json:"id"`
	At      time.Time      `json:"at"`
	Type    koe.ChangeType `json:"type"`
	EventID int64          `json:"event_id"`
	TalkID  int64          `json:"talk_id"`
	Actor   AuditActor     `json:"actor"`
	// Before and After are the record before and after the change (Before
	// null for a record that did not exist).
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// AuditActor is who made a change.
type AuditActor struct {
	Kind        koe.ActorKind `json:"kind"` // staff | system
	AccountID   int64         `json:"account_id"`
	Login       string        `json:"login"`
	DisplayName string        `json:"display_name"`
	// Via is how staff acted: session, api_token, owner_token.
	Via  string `json:"via"`
	Addr string `json:"addr"`
}

// AuditPage is one page of the audit log.
type AuditPage struct {
	Entries    []AuditEntry `json:"entries"`
	NextCursor *string      `json:"next_cursor"`
}

// Audit limits.
const (
	defaultAuditPage = 100
	maxAuditPage     = 1000
)

// Audit returns a page of the event's audit log, newest first (eventID 0:
// the whole installation's, for admins).
func (a *Actions) Audit(ctx context.Context, eventID int64, f AuditFilter) (*AuditPage, error) {
	if _, _, err := a.begin(ctx, ReadAudit, eventID); err != nil {
		return nil, err
	}
	q := koe.AuditQuery{EventID: eventID, TypePrefix: f.Type, Limit: f.Limit}
	if q.Limit == 0 {
		q.Limit = defaultAuditPage
	}
	if q.Limit < 1 || q.Limit > maxAuditPage {
		return nil, koe.Errorf(koe.EINVALID, "limit must be 1–%d", maxAuditPage)
	}
	if len(f.Type) > 64 {
		return nil, koe.Errorf(koe.EINVALID, "type must be at most 64 characters")
	}
	if f.Account != nil {
		q.Actor = &koe.Actor{Kind: koe.ActorStaff, ID: *f.Account}
	}
	if f.Since != nil {
		q.Since = *f.Since
	}
	if f.Until != nil {
		q.Until = *f.Until
	}
	if f.Before != "" {
		pos, err := koe.ParseOutboxPos(f.Before)
		if err != nil {
			return nil, koe.Errorf(koe.EINVALID, "before must be an entry's id")
		}
		q.Before = pos
	}
	changes, err := a.store.Audit(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &AuditPage{Entries: make([]AuditEntry, 0, len(changes))}
	accounts := map[int64]*koe.Account{}
	for _, c := range changes {
		e := AuditEntry{ID: c.Pos.String(), At: c.At, Type: c.Type, EventID: c.EventID, TalkID: c.TalkID,
			Actor:  AuditActor{Kind: c.Actor.Kind, AccountID: c.Actor.ID, Via: c.Actor.Via, Addr: c.Actor.Addr},
			Before: c.Before, After: c.Data}
		if c.Actor.Kind == koe.ActorStaff && c.Actor.ID != 0 {
			acct, ok := accounts[c.Actor.ID]
			if !ok {
				if acct, err = a.store.Account(ctx, c.Actor.ID); err != nil && koe.ErrorCode(err) != koe.ENOTFOUND {
					return nil, err
				}
				accounts[c.Actor.ID] = acct
			}
			if acct != nil {
				e.Actor.Login, e.Actor.DisplayName = acct.Login, acct.DisplayName
			}
		}
		page.Entries = append(page.Entries, e)
	}
	if len(changes) == q.Limit {
		next := changes[len(changes)-1].Pos.String()
		page.NextCursor = &next
	}
	return page, nil
}
