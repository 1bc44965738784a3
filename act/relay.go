package act

import (
	"context"
	"encoding/json"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/outbox"
	"github.com/koehq/koe/realtime"
)

// Consumers are the outbox's consumers: the audit log (auditConsumer), the
// webhooks' deliveries (deliveriesConsumer), and
// those that deliver committed changes to the real-time streams
// (docs/architecture.md, "Real-time delivery from the outbox"):
//
//   - without a broker, a local consumer feeds this process's hub;
//   - with one, a shared consumer on the lease holder publishes to the
//     broker, which carries every message to every replica; each replica's
//     local consumer stands by, and feeds its own hub while the broker is
//     unavailable, starting a little before the failure (the broker may
//     have failed to carry the last changes; clients then see a new epoch
//     and reload anyway, and a message that arrives twice changes nothing).
func (a *Actions) Consumers() []outbox.Consumer {
	local := outbox.Consumer{
		Name:    "realtime-local",
		Handle:  func(_ context.Context, changes []koe.Change) error { a.publish(changes); return nil },
		Standby: func() bool { return a.hub.Scaled() && !a.hub.Degraded() },
		Rewind:  rewind,
	}
	if !a.hub.Scaled() {
		return []outbox.Consumer{local, a.auditConsumer(), a.deliveriesConsumer()}
	}
	return []outbox.Consumer{local, a.auditConsumer(), a.deliveriesConsumer(), {
		Name:   "realtime",
		Shared: true,
		Handle: func(_ context.Context, changes []koe.Change) error {
			if !a.hub.Degraded() { // the local consumers have it meanwhile
				a.publish(changes)
			}
			return nil
		},
		Flush: a.hub.FlushLatest,
	}}
}

// rewind is how far back a replica whose broker fails delivers again: more
// than the broker's timeouts, in which its failure is noticed.
const rewind = 10 * time.Second

// publish routes each change to the streams it concerns: staff streams
// get everything, public streams what is public; a question that became
// hidden is removed from the public stream; like counts go through the
// coalescer. Each message names its change, so that the broker takes it
// once however often it is published.
func (a *Actions) publish(changes []koe.Change) {
	for _, c := range changes {
		m := realtime.Message{Type: string(c.Type), At: c.At, Data: json.RawMessage(c.Data), Source: c.Pos.String()}
		switch c.Type {
		case koe.EventCreated:
			// Nobody follows an event before it exists.
		case koe.EventUpdated, koe.TalkCreated, koe.TalkDeleted:
			a.hub.Publish(realtime.EventStream(c.EventID), m)
		case koe.TalkUpdated:
			a.hub.Publish(realtime.TalkStream(c.EventID, c.TalkID, false), m)
			a.hub.Publish(realtime.TalkStream(c.EventID, c.TalkID, true), m)
			a.hub.Publish(realtime.EventStream(c.EventID), m)
		case koe.QuestionLikes:
			var n koe.LikeCount
			if err := json.Unmarshal(c.Data, &n); err != nil {
				a.log.Error("undecodable change", "type", c.Type, "error", err)
				continue
			}
			m.Source = "" // coalesced: any newer count supersedes it
			streams := []realtime.StreamID{realtime.TalkStream(c.EventID, c.TalkID, false), realtime.TalkStream(c.EventID, c.TalkID, true)}
			a.hub.PublishLatest(itoa(c.EventID)+"/"+itoa(c.TalkID)+"/"+itoa(n.ID), streams, n.Version, m)
		case koe.QuestionCreated, koe.QuestionUpdated, koe.ReplyCreated, koe.ReplyUpdated:
			// The talk's streams carry approved items only: pending and
			// rejected ones are the moderation stream's (as reviews), so
			// that no screen or console shows them by mistake.
			was, now := statuses(c)
			switch {
			case now == koe.StatusApproved:
				a.hub.Publish(realtime.TalkStream(c.EventID, c.TalkID, true), m)
				if c.Visibility == koe.VisiblePublic {
					a.hub.Publish(realtime.TalkStream(c.EventID, c.TalkID, false), m)
				} else if c.Type == koe.QuestionUpdated && wasPublic(c) {
					a.removed(c, m, false)
				}
			case c.Type == koe.QuestionUpdated && was == koe.StatusApproved:
				a.removed(c, m, true)
				if wasPublic(c) {
					a.removed(c, m, false)
				}
			}
		case koe.ReviewCreated, koe.ReviewUpdated, koe.ReviewClaimed, koe.BanCreated, koe.BanRemoved:
			if c.Type == koe.ReviewClaimed {
				m.Type = string(koe.ReviewUpdated) // one message for every change of a review
			}
			a.hub.Publish(realtime.ModerationStream(c.EventID), m)
		case koe.PostCreated, koe.PostUpdated:
			a.hub.Publish(realtime.FeedStream(c.EventID), m)
		case koe.PostFeatured:
			a.hub.Publish(realtime.EventStream(c.EventID), m)
		case koe.PollCreated, koe.PollUpdated, koe.PollDeleted:
			// A draft is staff's; from its opening on, everyone's.
			a.hub.Publish(realtime.TalkStream(c.EventID, c.TalkID, true), m)
			if c.Visibility == koe.VisiblePublic {
				a.hub.Publish(realtime.TalkStream(c.EventID, c.TalkID, false), m)
			}
		default:
			// Staff and their accounts: for the audit log, not the streams.
		}
	}
}

// wasPublic reports whether the question a change updated was visible
// before it: a pending question that is rejected was never shown, and
// its removal would only tell that it existed.
func wasPublic(c koe.Change) bool {
	var before koe.Question
	if c.Before == nil || json.Unmarshal(c.Before, &before) != nil {
		return true
	}
	if before.Status == "" { // recorded before moderation existed
		before.Status = koe.StatusApproved
	}
	return before.Public()
}

// statuses returns the status of a change's question or reply before
// (approved for a new one) and after the change.
func statuses(c koe.Change) (was, now koe.Status) {
	var v struct {
		Status koe.Status `json:"status"`
	}
	was, now = koe.StatusApproved, koe.StatusApproved
	if json.Unmarshal(c.Data, &v) == nil && v.Status != "" {
		now = v.Status
	}
	v.Status = ""
	if c.Before != nil && json.Unmarshal(c.Before, &v) == nil && v.Status != "" {
		was = v.Status
	}
	return was, now
}

// removed tells the talk's public (or staff) stream that a question it
// showed is gone.
func (a *Actions) removed(c koe.Change, m realtime.Message, staff bool) {
	var q struct {
		ID      int64 `json:"id"`
		Version int64 `json:"version"`
	}
	if err := json.Unmarshal(c.Data, &q); err != nil {
		a.log.Error("undecodable change", "type", c.Type, "error", err)
		return
	}
	m.Type, m.Data = "question.removed", map[string]int64{"id": q.ID, "version": q.Version}
	a.hub.Publish(realtime.TalkStream(c.EventID, c.TalkID, staff), m)
}
