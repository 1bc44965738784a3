// Package likes decides when a question's like count goes into the outbox:
// at most once per interval, so that a stream of likes costs the outbox a
// row per question per interval instead of one per commit (there can be
// hundreds of commits a second). Both stores' like writers use it from
// their single writer goroutine; it is not safe for concurrent use.
package likes

import (
	"slices"
	"time"

	"github.com/koehq/koe"
)

// Every is how often at most a question's count is recorded. A count waits
// at most this long; if koe stops meanwhile, the count is in the question
// all the same and reaches clients with its next like or their next load.
const Every = 50 * time.Millisecond

// Count is a question's like count, waiting or recorded.
type Count struct {
	EventID, TalkID int64
	Count           koe.LikeCount
	// At is when the earliest like it covers was asked for.
	At time.Time
}

// Change is the outbox change of c.
func (c Count) Change() koe.Change { return c.Count.Change(c.EventID, c.TalkID) }

// Origin is who made c: several participants, no one actor.
func (c Count) Origin() koe.Origin {
	return koe.Origin{Actor: koe.Actor{Kind: koe.ActorParticipant}, At: c.At}
}

// Log holds the counts that wait for their turn.
type Log struct {
	waiting map[int64]Count
	last    map[int64]time.Time // when each question's count was last recorded
	timer   *time.Timer
	armed   bool
}

// NewLog returns an empty log.
func NewLog() *Log {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Log{waiting: map[int64]Count{}, last: map[int64]time.Time{}, timer: t}
}

// Merge returns the newer of two counts of a question, covering the
// earlier of their likes.
func Merge(a, b Count) Count {
	if b.Count.Version > a.Count.Version {
		a, b = b, a
	}
	if b.At.Before(a.At) {
		a.At = b.At
	}
	return a
}

// Turn reports whether a count of the question may be recorded at now.
func (l *Log) Turn(id int64, now time.Time) bool {
	last, ok := l.last[id]
	return !ok || now.Sub(last) >= Every
}

// Wait keeps c until its turn, merged with what waits for its question.
func (l *Log) Wait(c Count) {
	if cur, ok := l.waiting[c.Count.ID]; ok {
		c = Merge(cur, c)
	}
	l.waiting[c.Count.ID] = c
}

// Take returns the count waiting for the question, if one does, and
// removes it from the log (for a writer that has a newer one).
func (l *Log) Take(id int64) (Count, bool) {
	c, ok := l.waiting[id]
	delete(l.waiting, id)
	return c, ok
}

// Due returns the waiting counts whose turn has come at now (all of them
// when all is set), in question order, and removes them from the log.
func (l *Log) Due(now time.Time, all bool) []Count {
	var due []Count
	for id, c := range l.waiting {
		if all || l.Turn(id, now) {
			due = append(due, c)
			delete(l.waiting, id)
		}
	}
	slices.SortFunc(due, func(a, b Count) int { return int(a.Count.ID - b.Count.ID) })
	return due
}

// Recorded notes that the questions' counts were recorded at now, and arms
// the timer for the next waiting one.
func (l *Log) Recorded(ids []int64, now time.Time) {
	for _, id := range ids {
		l.last[id] = now
	}
	for id, at := range l.last {
		if now.Sub(at) > time.Minute {
			delete(l.last, id) // forget questions that went quiet
		}
	}
	l.Arm(now)
}

// Reset forgets every waiting count (after a commit whose outcome is
// unknown: a later like corrects the count).
func (l *Log) Reset(now time.Time) {
	clear(l.waiting)
	l.Arm(now)
}

// C is ready when a waiting count's turn has come; nil when none waits.
func (l *Log) C() <-chan time.Time {
	if !l.armed {
		return nil
	}
	return l.timer.C
}

// Arm sets the timer for the earliest turn of a waiting count.
func (l *Log) Arm(now time.Time) {
	if l.armed && !l.timer.Stop() {
		select {
		case <-l.timer.C:
		default:
		}
	}
	l.armed = false
	var first time.Time
	for id := range l.waiting {
		turn := l.last[id].Add(Every)
		if first.IsZero() || turn.Before(first) {
			first = turn
		}
	}
	if !first.IsZero() {
		l.timer.Reset(max(first.Sub(now), time.Millisecond))
		l.armed = true
	}
}
