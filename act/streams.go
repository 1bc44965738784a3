package act

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/realtime"
)

// StreamLimits bound the real-time connections (WebSocket and SSE) one
// client may hold. A venue puts a whole room behind one address, so the
// per-address bound is high; one participant needs a few (a phone, a
// laptop, some tabs). Staff are bound per address only: a conference runs
// many screens on one staff token.
type StreamLimits struct {
	// PerAddress is how many connections one address may hold (default
	// 1000).
	PerAddress int
	// PerParticipant is how many one participant may hold (default 8).
	PerParticipant int
}

// DefaultStreamLimits are the bounds unless configured otherwise.
var DefaultStreamLimits = StreamLimits{PerAddress: 1000, PerParticipant: 8}

// connLimits counts this process's real-time connections per address and
// per participant.
type connLimits struct {
	limits StreamLimits
	mu     sync.Mutex
	byAddr map[string]int
	byPart map[int64]int
}

func newConnLimits(l StreamLimits) *connLimits {
	if l.PerAddress <= 0 {
		l.PerAddress = DefaultStreamLimits.PerAddress
	}
	if l.PerParticipant <= 0 {
		l.PerParticipant = DefaultStreamLimits.PerParticipant
	}
	return &connLimits{limits: l, byAddr: make(map[string]int), byPart: make(map[int64]int)}
}

// connRetry is how long a refused client is told to wait.
const connRetry = 5 * time.Second

func (c *connLimits) acquire(p koe.Principal) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	participant := p.ParticipantID
	if p.IsStaff() {
		participant = 0
	}
	switch {
	case p.Addr != "" && c.byAddr[p.Addr] >= c.limits.PerAddress:
		return nil, &koe.Error{Code: koe.ERATELIMIT, RetryAfter: connRetry,
			Message: "too many live connections from your address (at most " + strconv.Itoa(c.limits.PerAddress) + ")"}
	case participant != 0 && c.byPart[participant] >= c.limits.PerParticipant:
		return nil, &koe.Error{Code: koe.ERATELIMIT, RetryAfter: connRetry,
			Message: "too many live connections for one participant (at most " + strconv.Itoa(c.limits.PerParticipant) + "); close another tab"}
	}
	c.byAddr[p.Addr]++
	c.byPart[participant]++
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.byAddr[p.Addr]--; c.byAddr[p.Addr] == 0 {
				delete(c.byAddr, p.Addr)
			}
			if c.byPart[participant]--; c.byPart[participant] == 0 {
				delete(c.byPart, participant)
			}
		})
	}, nil
}

// Follower is a client's right to follow an event's streams over one
// connection, held for as long as the connection lasts.
type Follower struct {
	a       *Actions
	p       koe.Principal
	eventID int64
	release func()
}

// Follow admits the caller to the event's real-time streams over one
// connection: a member of an event that exists, within the connection
// limits, on a server that is not shutting down. Close the follower when
// the connection ends.
func (a *Actions) Follow(ctx context.Context, eventID int64) (*Follower, error) {
	_, p, err := a.begin(ctx, Read, eventID)
	if err != nil {
		return nil, err
	}
	if _, err := a.store.Event(ctx, eventID); err != nil {
		return nil, err
	}
	if a.hub.Draining() {
		return nil, koe.Errorf(koe.EUNAVAILABLE, "server is shutting down; reconnect")
	}
	release, err := a.conns.acquire(p)
	if err != nil {
		return nil, err
	}
	return &Follower{a: a, p: p, eventID: eventID, release: release}, nil
}

// Close gives the connection's place back.
func (f *Follower) Close() { f.release() }

// Stream maps a topic the client names ("event", "talk:12") to the stream
// its role may follow, after checking that the talk is in the event. Only
// canonical names are accepted, so that one stream has one name.
func (f *Follower) Stream(ctx context.Context, topic string) (realtime.StreamID, error) {
	switch topic {
	case realtime.EventTopic:
		return realtime.EventStream(f.eventID), nil
	case realtime.ModerationTopic:
		if !f.a.may(f.p, Moderate, f.eventID, 0) {
			return realtime.StreamID{}, koe.Errorf(koe.EFORBIDDEN, "only moderators and owners of this event can follow its moderation queue")
		}
		return realtime.ModerationStream(f.eventID), nil
	case realtime.FeedTopic:
		if !f.a.may(f.p, Moderate, f.eventID, 0) {
			return realtime.StreamID{}, koe.Errorf(koe.EFORBIDDEN, "only moderators and owners of this event can follow its social feed")
		}
		return realtime.FeedStream(f.eventID), nil
	}
	talkID, ok := canonicalID(strings.CutPrefix(topic, "talk:"))
	if !ok {
		return realtime.StreamID{}, koe.Errorf(koe.EINVALID, "topic must be \"event\", \"moderation\", \"feed\" or \"talk:ID\" with ID a positive integer without leading zeros")
	}
	if _, err := f.a.store.Talk(ctx, f.eventID, talkID); err != nil {
		return realtime.StreamID{}, err
	}
	return realtime.TalkStream(f.eventID, talkID, f.a.may(f.p, ReadHidden, f.eventID, talkID)), nil
}

// canonicalID reads a positive integer written the one way it prints.
func canonicalID(s string, ok bool) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

// ParseID reads an id from a URL: a positive integer in canonical form
// ("12", not "012" or "+12").
func ParseID(name, s string) (int64, error) {
	id, ok := canonicalID(s, true)
	if !ok {
		return 0, koe.Errorf(koe.EINVALID, "%s must be a positive integer without sign or leading zeros", name)
	}
	return id, nil
}
