package act

import (
	"context"
	"encoding/json"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/outbox"
	"github.com/koehq/koe/realtime"
)

// Consumers are the outbox's consumers: the audit log (auditConsumer), and
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
		return []outbox.Consumer{local, a.auditConsumer()}
	}
	return []outbox.Consumer{local, a.auditConsumer(), {
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
		case koe.EventUpdated, koe.TalkCreated:
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
		case koe.QuestionCreated, koe.QuestionUpdated, koe.ReplyCreated:
			a.hub.Publish(realtime.TalkStream(c.EventID, c.TalkID, true), m)
			if c.Visibility == koe.VisiblePublic {
				a.hub.Publish(realtime.TalkStream(c.EventID, c.TalkID, false), m)
			} else if c.Type == koe.QuestionUpdated {
				a.removed(c, m)
			}
		default:
			// Staff and their accounts: for the audit log, not the streams.
		}
	}
}

// removed tells the public stream that a question it showed is gone.
func (a *Actions) removed(c koe.Change, m realtime.Message) {
	var q struct {
		ID      int64 `json:"id"`
		Version int64 `json:"version"`
	}
	if err := json.Unmarshal(c.Data, &q); err != nil {
		a.log.Error("undecodable change", "type", c.Type, "error", err)
		return
	}
	m.Type, m.Data = "question.removed", map[string]int64{"id": q.ID, "version": q.Version}
	a.hub.Publish(realtime.TalkStream(c.EventID, c.TalkID, false), m)
}
