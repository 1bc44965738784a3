package act

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/realtime"
)

// Live reactions (docs/architecture.md, "Reactions"): taps are summed per
// talk on the hub and pushed as one ephemeral message per window; their
// totals are added to the store once a second.

// Tap is what a participant taps: Count taps (nil: one) of one emoji.
type Tap struct {
	Emoji string `json:"emoji"`
	Count *int   `json:"count"`
}

// ReactionsMessage is the stream message type of a window's taps.
const ReactionsMessage = "reactions"

// Timings of reactions.
const (
	// reactionSetTTL is how long an event's reaction set and its talks
	// are trusted: a change of the set holds within a second.
	reactionSetTTL = time.Second
	// totalsEvery is how often the totals are written to the store.
	totalsEvery = time.Second
)

// React counts a participant's taps during a talk.
func (a *Actions) React(ctx context.Context, eventID, talkID int64, tap Tap) error {
	ctx, p, err := a.beginIn(ctx, React, eventID, talkID)
	if err != nil {
		return err
	}
	set, err := a.reactions.set(ctx, a.store, eventID, talkID)
	if err != nil {
		return err
	}
	count, err := koe.CheckTap(set, tap.Emoji, tap.Count)
	if err != nil {
		return err
	}
	if err := a.limit(ctx, "react", p); err != nil {
		return err
	}
	if err := a.checkBan(ctx, p, eventID); err != nil {
		return err
	}
	a.hub.PublishSum("reactions:"+strconv.FormatInt(talkID, 10),
		[]realtime.StreamID{realtime.TalkStream(eventID, talkID, false), realtime.TalkStream(eventID, talkID, true)},
		ReactionsMessage, koe.OriginFrom(ctx, a.now).At, map[string]int{tap.Emoji: count})
	a.reactions.add(a, eventID, talkID, tap.Emoji, count)
	return nil
}

// Reactions returns a talk's reaction totals, as written to the store
// (the taps of the last second may not be in yet).
func (a *Actions) Reactions(ctx context.Context, eventID, talkID int64) (map[string]int64, error) {
	if _, _, err := a.beginIn(ctx, Read, eventID, talkID); err != nil {
		return nil, err
	}
	if _, err := a.store.Talk(ctx, eventID, talkID); err != nil {
		return nil, err
	}
	return a.store.Reactions(ctx, eventID, talkID)
}

// FlushReactions writes the pending totals to the store now (when koe
// stops).
func (a *Actions) FlushReactions(ctx context.Context) { a.reactions.flush(ctx, a) }

type talkKey struct{ event, talk int64 }

// reactions keeps the cached reaction sets and the totals not yet
// written.
type reactions struct {
	mu      sync.Mutex
	sets    map[int64]*reactionSet
	pending map[talkKey]map[string]int64
	timer   *time.Timer // the next write of the totals, nil for none
}

type reactionSet struct {
	emoji []string
	talks map[int64]bool // the event's talks seen, true for found
	at    time.Time
}

func newReactions() *reactions {
	return &reactions{sets: map[int64]*reactionSet{}, pending: map[talkKey]map[string]int64{}}
}

// set returns the event's reaction set, after checking that the talk is
// the event's; both are read from the store at most once a second.
func (r *reactions) set(ctx context.Context, st koe.Store, eventID, talkID int64) ([]string, error) {
	now := time.Now()
	r.mu.Lock()
	s := r.sets[eventID]
	if s == nil || now.Sub(s.at) > reactionSetTTL {
		s = nil
	}
	var found, known bool
	if s != nil {
		found, known = s.talks[talkID]
	}
	r.mu.Unlock()
	if s == nil {
		e, err := st.Event(ctx, eventID)
		if err != nil {
			return nil, err
		}
		s = &reactionSet{emoji: e.Settings.Reactions, talks: map[int64]bool{}, at: now}
	}
	if !known {
		_, err := st.Talk(ctx, eventID, talkID)
		if err != nil && koe.ErrorCode(err) != koe.ENOTFOUND {
			return nil, err
		}
		found = err == nil
	}
	r.mu.Lock()
	if len(s.talks) < 10000 {
		s.talks[talkID] = found
	}
	r.sets[eventID] = s
	r.mu.Unlock()
	if !found {
		return nil, koe.Errorf(koe.ENOTFOUND, "talk not found")
	}
	return s.emoji, nil
}

// add counts taps towards the totals, and makes sure they are written
// within totalsEvery.
func (r *reactions) add(a *Actions, eventID, talkID int64, emoji string, count int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := talkKey{eventID, talkID}
	if r.pending[k] == nil {
		r.pending[k] = map[string]int64{}
	}
	r.pending[k][emoji] += int64(count)
	if r.timer == nil {
		r.timer = time.AfterFunc(totalsEvery, func() { r.flush(context.Background(), a) })
	}
}

// flush writes the pending totals; what cannot be written is kept for the
// next time.
func (r *reactions) flush(ctx context.Context, a *Actions) {
	r.mu.Lock()
	batch := r.pending
	r.pending = map[talkKey]map[string]int64{}
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.mu.Unlock()
	for k, counts := range batch {
		err := a.store.AddReactions(ctx, k.event, k.talk, counts)
		switch {
		case err == nil, koe.ErrorCode(err) == koe.ENOTFOUND: // a talk that is gone has no totals
		default:
			a.log.Warn("cannot write reaction totals; trying again", "event", k.event, "talk", k.talk, "error", err)
			r.mu.Lock()
			for emoji, n := range counts {
				if r.pending[k] == nil {
					r.pending[k] = map[string]int64{}
				}
				r.pending[k][emoji] += n
			}
			if r.timer == nil {
				r.timer = time.AfterFunc(totalsEvery, func() { r.flush(context.Background(), a) })
			}
			r.mu.Unlock()
		}
	}
}
