package koe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// The conference's schedule (F21): talks imported from a timetable, Q&A
// opened and closed by their times, rooms whose screen follows the talk
// on now, and what a report reads (docs/architecture.md, "Conference
// operations").

// QASchedule says how an event's talks' Q&A follows their times.
type QASchedule struct {
	// Follow opens each timed talk's Q&A OpensBefore minutes before its
	// start and closes it CloseAfter minutes after its end, unless a
	// person set it by hand (Talk.QAManual).
	Follow      bool `json:"follow"`
	OpensBefore int  `json:"opens_before_min"`
	ClosesAfter int  `json:"closes_after_min"`
}

// UnmarshalJSON reads a QASchedule whole: a field left out would read as
// 0 or false, which is not what its sender meant.
func (s *QASchedule) UnmarshalJSON(b []byte) error {
	var in struct {
		Follow      *bool `json:"follow"`
		OpensBefore *int  `json:"opens_before_min"`
		ClosesAfter *int  `json:"closes_after_min"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&in); err != nil {
		return err
	}
	if in.Follow == nil || in.OpensBefore == nil || in.ClosesAfter == nil {
		return errors.New("qa_schedule needs follow, opens_before_min and closes_after_min")
	}
	*s = QASchedule{Follow: *in.Follow, OpensBefore: *in.OpensBefore, ClosesAfter: *in.ClosesAfter}
	return nil
}

// DefaultQASchedule is an event's until its owners change it.
var DefaultQASchedule = QASchedule{Follow: false, OpensBefore: 10, ClosesAfter: 15}

// MaxQAScheduleMinutes bounds OpensBefore and ClosesAfter (four hours).
const MaxQAScheduleMinutes = 240

// Check reports a value out of bounds.
func (s QASchedule) Check() error {
	if s.OpensBefore < 0 || s.OpensBefore > MaxQAScheduleMinutes {
		return Invalid("settings.qa_schedule.opens_before_min", ReasonFormat, MaxQAScheduleMinutes, "opens_before_min must be 0 to %d", MaxQAScheduleMinutes)
	}
	if s.ClosesAfter < 0 || s.ClosesAfter > MaxQAScheduleMinutes {
		return Invalid("settings.qa_schedule.closes_after_min", ReasonFormat, MaxQAScheduleMinutes, "closes_after_min must be 0 to %d", MaxQAScheduleMinutes)
	}
	return nil
}

// Lead is how long before a talk's start its Q&A opens.
func (s QASchedule) Lead() time.Duration { return time.Duration(s.OpensBefore) * time.Minute }

// QAWanted reports whether the schedule wants t's Q&A open at now, and
// whether it has a say at all (the event follows the schedule, the talk
// has both times and nobody set it by hand).
func (s QASchedule) QAWanted(t *Talk, now time.Time) (open, decides bool) {
	if !s.Follow || t.QAManual || t.StartsAt == nil || t.EndsAt == nil {
		return false, false
	}
	from := t.StartsAt.Add(-s.Lead())
	until := t.EndsAt.Add(time.Duration(s.ClosesAfter) * time.Minute)
	return !now.Before(from) && now.Before(until), true
}

// Room is a room of an event and the talk its screen shows.
type Room struct {
	Name string `json:"name"`
	// TalkID is the talk on in the room now (or the next to come, before
	// the day's first), 0 when the room has no timed talk.
	TalkID int64 `json:"talk_id"`
	// NextTalkID is the talk the screen switches to at SwitchAt, 0 for
	// none.
	NextTalkID int64 `json:"next_talk_id"`
	// SwitchAt is when the screen next changes talk, nil for never.
	SwitchAt *time.Time `json:"switch_at"`
}

// Rooms says what every room's screen shows at now: among a room's timed
// talks, the last whose start less lead is past, else the first. Talks
// without a room or a start are in no room's schedule. Rooms are in the
// order of their first talk, then by name.
func Rooms(talks []*Talk, lead time.Duration, now time.Time) []Room {
	byRoom := map[string][]*Talk{}
	var names []string
	for _, t := range talks {
		if t.Room == "" || t.StartsAt == nil {
			continue
		}
		if byRoom[t.Room] == nil {
			names = append(names, t.Room)
		}
		byRoom[t.Room] = append(byRoom[t.Room], t)
	}
	rooms := make([]Room, 0, len(names))
	for _, name := range names {
		ts := byRoom[name]
		slices.SortStableFunc(ts, func(a, b *Talk) int {
			if c := a.StartsAt.Compare(*b.StartsAt); c != 0 {
				return c
			}
			return int(a.ID - b.ID)
		})
		i := 0
		for j, t := range ts {
			if !now.Before(t.StartsAt.Add(-lead)) {
				i = j
			}
		}
		r := Room{Name: name, TalkID: ts[i].ID}
		// The next talk whose switching time is after now.
		for _, t := range ts[i:] {
			if at := t.StartsAt.Add(-lead); at.After(now) && t.ID != r.TalkID {
				r.NextTalkID, r.SwitchAt = t.ID, &at
				break
			}
		}
		rooms = append(rooms, r)
	}
	slices.SortStableFunc(rooms, func(a, b Room) int {
		if c := byRoom[a.Name][0].StartsAt.Compare(*byRoom[b.Name][0].StartsAt); c != 0 {
			return c
		}
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return rooms
}

// ScheduleSource is a schedule an event imports from a URL and refreshes.
type ScheduleSource struct {
	EventID int64  `json:"event_id"`
	URL     string `json:"url"`
	// RefreshMinutes is how often it is fetched again, 0 for never.
	RefreshMinutes int `json:"refresh_minutes"`
	// ETag and LastModified make a refresh conditional.
	ETag         string `json:"-"`
	LastModified string `json:"-"`
	// CheckedAt is the last fetch, ChangedAt the last that changed talks.
	CheckedAt *time.Time `json:"checked_at"`
	ChangedAt *time.Time `json:"changed_at"`
	// Error is why the last fetch failed, "" when it did not.
	Error     string    `json:"error"`
	CreatedAt time.Time `json:"created_at"`
}

// Limits of a schedule source.
const (
	MinScheduleRefresh = 5
	MaxScheduleRefresh = 24 * 60
)

// Due reports whether the source should be fetched at now.
func (s *ScheduleSource) Due(now time.Time) bool {
	if s.RefreshMinutes <= 0 {
		return false
	}
	return s.CheckedAt == nil || !now.Before(s.CheckedAt.Add(time.Duration(s.RefreshMinutes)*time.Minute))
}

// SchedulePlan is what applying an imported schedule does to an event's
// talks, in one transaction.
type SchedulePlan struct {
	// Create are new talks (SourceID set).
	Create []*Talk
	// Update changes talks by id.
	Update []TalkChange
	// Delete are talks the schedule no longer has that nobody asked
	// anything in.
	Delete []int64
}

// TalkChange is one talk's update in a plan.
type TalkChange struct {
	TalkID int64
	Update TalkUpdate
}

// ScheduleStore keeps imported schedules.
type ScheduleStore interface {
	// ApplySchedule carries out p in one transaction: creates (setting
	// their IDs), updates and deletes talks of the event, each recorded
	// as TalkCreated, TalkUpdated or TalkDeleted. ENOTFOUND if a talk is
	// not the event's; ECONFLICT if a talk to delete has questions, polls
	// or reviews, or a created SourceID is the event's already.
	ApplySchedule(ctx context.Context, eventID int64, p *SchedulePlan) error
	// ScheduleSource returns the event's source; ENOTFOUND for none.
	ScheduleSource(ctx context.Context, eventID int64) (*ScheduleSource, error)
	// ScheduleSources lists every event's source.
	ScheduleSources(ctx context.Context) ([]*ScheduleSource, error)
	// SaveScheduleSource creates or replaces the event's source (all its
	// fields; CreatedAt is kept when it exists).
	SaveScheduleSource(ctx context.Context, s *ScheduleSource) error
	// DeleteScheduleSource removes it (none is not an error).
	DeleteScheduleSource(ctx context.Context, eventID int64) error
}

// TalkCounts are a talk's totals for a report and an import.
type TalkCounts struct {
	// Questions counts every question, in any status, hidden or not.
	Questions int64 `json:"questions"`
	// Shown are approved, not hidden; Answered of those answered.
	Shown    int64 `json:"shown"`
	Answered int64 `json:"answered"`
	Likes    int64 `json:"likes"`
	Replies  int64 `json:"replies"`
}

// Bucket is a count in the interval that starts At.
type Bucket struct {
	At    time.Time `json:"at"`
	Count int64     `json:"count"`
}

// PresencePeak is the most connections a talk had in a minute.
type PresencePeak struct {
	TalkID int64     `json:"talk_id"`
	Minute time.Time `json:"at"`
	Peak   int64     `json:"peak"`
}

// ReportStore reads what a report shows.
type ReportStore interface {
	// TalkCounts returns the totals of every talk of the event that has
	// questions (a talk without any is not in the map).
	TalkCounts(ctx context.Context, eventID int64) (map[int64]TalkCounts, error)
	// ParticipantsJoined counts the event's new participants per
	// interval of length every (UTC-aligned from the Unix epoch), oldest
	// first, intervals without any left out.
	ParticipantsJoined(ctx context.Context, eventID int64, every time.Duration) ([]Bucket, error)
	// QuestionsAsked counts the questions asked in the event (talkID 0)
	// or one talk per interval, like ParticipantsJoined.
	QuestionsAsked(ctx context.Context, eventID, talkID int64, every time.Duration) ([]Bucket, error)
	// ReviewOutcomes counts the event's reviews by state.
	ReviewOutcomes(ctx context.Context, eventID int64) (map[ReviewState]int64, error)
	// TopQuestions returns the shown (approved, not hidden) questions of
	// the event (talkID 0) or a talk with the most likes, then oldest.
	TopQuestions(ctx context.Context, eventID, talkID int64, limit int) ([]*Question, error)
	// RecordPresence keeps n as the talk's peak of the minute when it is
	// more than the peak kept already.
	RecordPresence(ctx context.Context, eventID, talkID int64, minute time.Time, n int64) error
	// PresencePeaks lists the event's per-minute peaks, oldest first.
	PresencePeaks(ctx context.Context, eventID int64) ([]PresencePeak, error)
}
