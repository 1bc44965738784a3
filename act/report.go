package act

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/koehq/koe"
)

// The post-event report: aggregates read from the store when asked, live
// or afterwards, and the audience peaks the hub reports as they happen
// (docs/architecture.md, "Conference operations").

// ReportQuestions are the questions of a report.
type ReportQuestions struct {
	Total    int64        `json:"total"`
	Shown    int64        `json:"shown"`
	Answered int64        `json:"answered"`
	Likes    int64        `json:"likes"`
	Replies  int64        `json:"replies"`
	Asked    []koe.Bucket `json:"asked"`
}

// ReportConnections are the audience peaks of a report.
type ReportConnections struct {
	Peak   int64        `json:"peak"`
	PeakAt *time.Time   `json:"peak_at"`
	Series []koe.Bucket `json:"series"`
}

// ReportTalk is a talk's line in an event's report.
type ReportTalk struct {
	Talk *koe.Talk `json:"talk"`
	koe.TalkCounts
	Reactions       int64 `json:"reactions"`
	PeakConnections int64 `json:"peak_connections"`
}

// ReportParticipants are the participants of an event's report.
type ReportParticipants struct {
	Total  int64        `json:"total"`
	Joined []koe.Bucket `json:"joined"`
}

// ReportModeration counts the event's reviews by outcome.
type ReportModeration struct {
	Pending  int64 `json:"pending"`
	Flagged  int64 `json:"flagged"`
	Approved int64 `json:"approved"`
	Rejected int64 `json:"rejected"`
}

// EventReport is an event's report.
type EventReport struct {
	EventID         int64              `json:"event_id"`
	GeneratedAt     time.Time          `json:"generated_at"`
	TimeZone        string             `json:"time_zone"`
	IntervalMinutes int                `json:"interval_minutes"`
	Participants    ReportParticipants `json:"participants"`
	Questions       ReportQuestions    `json:"questions"`
	Connections     ReportConnections  `json:"connections"`
	Talks           []ReportTalk       `json:"talks"`
	TopQuestions    []*koe.Question    `json:"top_questions"`
	Moderation      ReportModeration   `json:"moderation"`
}

// TalkReport is a talk's report.
type TalkReport struct {
	EventID         int64             `json:"event_id"`
	Talk            *koe.Talk         `json:"talk"`
	GeneratedAt     time.Time         `json:"generated_at"`
	TimeZone        string            `json:"time_zone"`
	IntervalMinutes int               `json:"interval_minutes"`
	Questions       ReportQuestions   `json:"questions"`
	Reactions       map[string]int64  `json:"reactions"`
	Connections     ReportConnections `json:"connections"`
	TopQuestions    []*koe.Question   `json:"top_questions"`
	Polls           []ExportPoll      `json:"polls"`
}

// Report sizes: the store counts in reportGrain intervals, which a
// report merges into the smallest of reportIntervals that draws at most
// reportBars bars.
const (
	reportGrain  = 5 * time.Minute
	reportBars   = 96
	topQuestions = 10
)

var reportIntervals = []int{5, 10, 15, 30, 60, 120, 240, 480, 1440}

// Report is an event's report: owners and moderators (export).
func (a *Actions) Report(ctx context.Context, eventID int64) (*EventReport, error) {
	ctx, _, err := a.begin(ctx, Export, eventID)
	if err != nil {
		return nil, err
	}
	ev, err := a.store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	talks, err := a.store.Talks(ctx, eventID)
	if err != nil {
		return nil, err
	}
	counts, err := a.store.TalkCounts(ctx, eventID)
	if err != nil {
		return nil, err
	}
	joined, err := a.store.ParticipantsJoined(ctx, eventID, reportGrain)
	if err != nil {
		return nil, err
	}
	asked, err := a.store.QuestionsAsked(ctx, eventID, 0, reportGrain)
	if err != nil {
		return nil, err
	}
	peaks, err := a.store.PresencePeaks(ctx, eventID)
	if err != nil {
		return nil, err
	}
	top, err := a.store.TopQuestions(ctx, eventID, 0, topQuestions)
	if err != nil {
		return nil, err
	}
	outcomes, err := a.store.ReviewOutcomes(ctx, eventID)
	if err != nil {
		return nil, err
	}
	r := &EventReport{EventID: eventID, GeneratedAt: a.now(), TimeZone: ev.TimeZone, TopQuestions: top,
		Moderation: ReportModeration{Pending: outcomes[koe.ReviewPending], Flagged: outcomes[koe.ReviewFlagged],
			Approved: outcomes[koe.ReviewApproved], Rejected: outcomes[koe.ReviewRejected]}}
	talkPeak := map[int64]int64{}
	for _, p := range peaks {
		talkPeak[p.TalkID] = max(talkPeak[p.TalkID], p.Peak)
	}
	for _, t := range talks {
		rt := ReportTalk{Talk: t, TalkCounts: counts[t.ID], PeakConnections: talkPeak[t.ID]}
		reactions, err := a.store.Reactions(ctx, eventID, t.ID)
		if err != nil {
			return nil, err
		}
		for _, n := range reactions {
			rt.Reactions += n
		}
		r.Talks = append(r.Talks, rt)
		r.Questions.add(rt.TalkCounts)
	}
	if r.Talks == nil {
		r.Talks = []ReportTalk{}
	}
	series := perMinute(peaks)
	r.IntervalMinutes = reportInterval(joined, asked, series)
	every := time.Duration(r.IntervalMinutes) * time.Minute
	for _, b := range joined {
		r.Participants.Total += b.Count
	}
	r.Participants.Joined = sumInto(joined, every)
	r.Questions.Asked = sumInto(asked, every)
	r.Connections = connections(series, every)
	return r, nil
}

// TalkReport is a talk's report: owners, moderators and the talk's
// presenters (export).
func (a *Actions) TalkReport(ctx context.Context, eventID, talkID int64) (*TalkReport, error) {
	ctx, _, err := a.beginIn(ctx, Export, eventID, talkID)
	if err != nil {
		return nil, err
	}
	ev, err := a.store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	t, err := a.store.Talk(ctx, eventID, talkID)
	if err != nil {
		return nil, err
	}
	counts, err := a.store.TalkCounts(ctx, eventID)
	if err != nil {
		return nil, err
	}
	asked, err := a.store.QuestionsAsked(ctx, eventID, talkID, reportGrain)
	if err != nil {
		return nil, err
	}
	peaks, err := a.store.PresencePeaks(ctx, eventID)
	if err != nil {
		return nil, err
	}
	peaks = slices.DeleteFunc(peaks, func(p koe.PresencePeak) bool { return p.TalkID != talkID })
	top, err := a.store.TopQuestions(ctx, eventID, talkID, topQuestions)
	if err != nil {
		return nil, err
	}
	reactions, err := a.store.Reactions(ctx, eventID, talkID)
	if err != nil {
		return nil, err
	}
	polls, err := a.openedPolls(ctx, t)
	if err != nil {
		return nil, err
	}
	r := &TalkReport{EventID: eventID, Talk: t, GeneratedAt: a.now(), TimeZone: ev.TimeZone,
		Reactions: reactions, TopQuestions: top, Polls: polls}
	r.Questions.add(counts[talkID])
	series := perMinute(peaks)
	r.IntervalMinutes = reportInterval(asked, series)
	every := time.Duration(r.IntervalMinutes) * time.Minute
	r.Questions.Asked = sumInto(asked, every)
	r.Connections = connections(series, every)
	return r, nil
}

func (q *ReportQuestions) add(c koe.TalkCounts) {
	q.Total += c.Questions
	q.Shown += c.Shown
	q.Answered += c.Answered
	q.Likes += c.Likes
	q.Replies += c.Replies
}

// perMinute sums the talks' peaks of each minute: the most connections
// at once the event had in that minute.
func perMinute(peaks []koe.PresencePeak) []koe.Bucket {
	var series []koe.Bucket
	for _, p := range peaks { // ordered by minute
		if n := len(series); n > 0 && series[n-1].At.Equal(p.Minute) {
			series[n-1].Count += p.Peak
			continue
		}
		series = append(series, koe.Bucket{At: p.Minute, Count: p.Peak})
	}
	return series
}

// reportInterval is the smallest interval (minutes) that shows the span
// of every series in at most reportBars bars.
func reportInterval(series ...[]koe.Bucket) int {
	var first, last time.Time
	for _, s := range series {
		if len(s) == 0 {
			continue
		}
		if first.IsZero() || s[0].At.Before(first) {
			first = s[0].At
		}
		if l := s[len(s)-1].At; l.After(last) {
			last = l
		}
	}
	span := last.Sub(first)
	for _, m := range reportIntervals {
		if span < time.Duration(m*reportBars)*time.Minute {
			return m
		}
	}
	return reportIntervals[len(reportIntervals)-1]
}

// sumInto merges ordered buckets into intervals of every, adding counts.
func sumInto(in []koe.Bucket, every time.Duration) []koe.Bucket {
	out := []koe.Bucket{}
	for _, b := range in {
		at := b.At.Truncate(every)
		if n := len(out); n > 0 && out[n-1].At.Equal(at) {
			out[n-1].Count += b.Count
			continue
		}
		out = append(out, koe.Bucket{At: at, Count: b.Count})
	}
	return out
}

// connections is the peak of per-minute audiences and their series in
// intervals of every, each the interval's highest minute.
func connections(perMinute []koe.Bucket, every time.Duration) ReportConnections {
	c := ReportConnections{Series: []koe.Bucket{}}
	for _, b := range perMinute {
		if b.Count > c.Peak {
			at := b.At
			c.Peak, c.PeakAt = b.Count, &at
		}
		at := b.At.Truncate(every)
		if n := len(c.Series); n > 0 && c.Series[n-1].At.Equal(at) {
			c.Series[n-1].Count = max(c.Series[n-1].Count, b.Count)
			continue
		}
		c.Series = append(c.Series, koe.Bucket{At: at, Count: b.Count})
	}
	return c
}

// presence keeps each talk's audience peak per minute, as the hub reports
// it, and writes a peak to the store when it grows (at most a few writes
// per talk and minute), off the hub's goroutine.
type presence struct {
	now    func() time.Time
	mu     sync.Mutex
	peaks  map[presenceKey]int64
	pruned time.Time // the minute peaks was last pruned in
	writes chan presenceWrite
}

type presenceKey struct {
	eventID, talkID int64
	minute          time.Time
}

type presenceWrite struct {
	presenceKey
	n int64
}

// presenceQueue bounds the peaks waiting to be written; more are dropped
// (a later, higher one of the same minute is written anyway).
const presenceQueue = 1024

func newPresence(now func() time.Time) *presence {
	return &presence{now: now, peaks: map[presenceKey]int64{}, writes: make(chan presenceWrite, presenceQueue)}
}

// heard takes a talk's audience; it never blocks.
func (p *presence) heard(eventID, talkID int64, connections int) {
	minute := p.now().UTC().Truncate(time.Minute)
	k := presenceKey{eventID, talkID, minute}
	p.mu.Lock()
	if int64(connections) <= p.peaks[k] {
		p.mu.Unlock()
		return
	}
	p.peaks[k] = int64(connections)
	if minute.After(p.pruned) { // once a minute: forget the minutes written
		p.pruned = minute
		for old := range p.peaks {
			if old.minute.Before(minute.Add(-2 * time.Minute)) {
				delete(p.peaks, old)
			}
		}
	}
	p.mu.Unlock()
	select {
	case p.writes <- presenceWrite{k, int64(connections)}:
	default:
	}
}

// run writes the peaks heard until ctx ends.
func (p *presence) run(ctx context.Context, st koe.ReportStore, log func(error)) {
	for {
		select {
		case <-ctx.Done():
			return
		case w := <-p.writes:
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := st.RecordPresence(wctx, w.eventID, w.talkID, w.minute, w.n); err != nil && ctx.Err() == nil {
				log(err)
			}
			cancel()
		}
	}
}

// RunPresence writes the talks' audience peaks for reports until ctx
// ends; every replica runs it for its own hub.
func (a *Actions) RunPresence(ctx context.Context) {
	a.presence.run(ctx, a.store, func(err error) { a.log.Warn("cannot record an audience peak", "error", err) })
}
