package act

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/koehq/koe"
	"github.com/koehq/koe/timetable"
	"github.com/koehq/koe/webhook"
)

// The conference's schedule (F21): timetables imported by upload, by URL
// or by koe import, the same plan for all; the schedule runner that opens
// and closes Q&A by the talks' times and refreshes schedules kept by URL;
// the rooms and the talk each room's screen shows (docs/architecture.md,
// "Conference operations").

// ImportRequest is a schedule to import: its bytes (pretalx/frab or
// Sessionize JSON, as text) or a URL koe fetches.
type ImportRequest struct {
	Data   *string `json:"data"`
	URL    *string `json:"url"`
	DryRun bool    `json:"dry_run"`
}

// ImportedTalk is a talk as the imported schedule has it.
type ImportedTalk struct {
	SourceID string     `json:"source_id"`
	Title    string     `json:"title"`
	Speaker  string     `json:"speaker"`
	Room     string     `json:"room"`
	Track    string     `json:"track"`
	Language string     `json:"language"`
	StartsAt *time.Time `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
}

// ChangedTalk is a talk an import changes, and which fields.
type ChangedTalk struct {
	TalkID int64        `json:"talk_id"`
	Fields []string     `json:"fields"`
	Talk   ImportedTalk `json:"talk"`
}

// RemovedTalk is a talk the schedule no longer has: deleted when nobody
// asked anything in it, else kept and flagged.
type RemovedTalk struct {
	TalkID    int64  `json:"talk_id"`
	Title     string `json:"title"`
	Questions int64  `json:"questions"`
	Action    string `json:"action"` // "delete" or "flag"
}

// ImportPlan is what an import does (a dry run) or did.
type ImportPlan struct {
	Format string `json:"format"`
	Title  string `json:"title"`
	// AssumedZone is the zone times without a UTC offset were read in, ""
	// when every time had one.
	AssumedZone string         `json:"assumed_zone"`
	Added       []ImportedTalk `json:"added"`
	Changed     []ChangedTalk  `json:"changed"`
	Removed     []RemovedTalk  `json:"removed"`
	Unchanged   int            `json:"unchanged"`
	Applied     bool           `json:"applied"`
}

// Empty reports whether the plan changes nothing.
func (p *ImportPlan) Empty() bool { return len(p.Added)+len(p.Changed)+len(p.Removed) == 0 }

// Limits of a schedule fetched by URL.
const (
	scheduleFetchTimeout = 20 * time.Second
	scheduleRedirects    = 3
	// ScheduleEvery is how often the schedule runner looks at the talks'
	// times and the schedules kept by URL.
	ScheduleEvery = 15 * time.Second
)

// ImportSchedule reads a schedule and plans it against the event's talks:
// a dry run says what would change, else the plan is applied in one
// transaction. Owners only (manage).
func (a *Actions) ImportSchedule(ctx context.Context, eventID int64, in ImportRequest) (*ImportPlan, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	var data []byte
	field := "data"
	switch {
	case in.Data != nil && in.URL != nil, in.Data == nil && in.URL == nil:
		return nil, koe.Invalid("data", koe.ReasonFormat, 0, "give the schedule as data or as url, one of them")
	case in.Data != nil:
		data = []byte(*in.Data)
	default:
		field = "url"
		if data, _, err = a.fetchSchedule(ctx, &koe.ScheduleSource{URL: *in.URL}); err != nil {
			return nil, err
		}
	}
	return a.importSchedule(ctx, eventID, data, field, in.DryRun)
}

// importSchedule plans data against the event's talks and, unless dryRun,
// applies the plan.
func (a *Actions) importSchedule(ctx context.Context, eventID int64, data []byte, field string, dryRun bool) (*ImportPlan, error) {
	ev, err := a.store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	zone, err := time.LoadLocation(ev.TimeZone)
	if err != nil {
		zone = time.UTC
	}
	sched, err := timetable.Parse(data, zone)
	if err != nil {
		var te *timetable.Error
		if errors.As(err, &te) {
			return nil, koe.Invalid(field, koe.ReasonFormat, 0, "%s", te.Msg)
		}
		return nil, err
	}
	plan, view, err := a.planSchedule(ctx, ev, sched)
	if err != nil || dryRun {
		return view, err
	}
	if !view.Empty() {
		if err := a.store.ApplySchedule(ctx, eventID, plan); err != nil {
			return nil, err
		}
	}
	view.Applied = true
	return view, nil
}

// planSchedule compares the schedule's sessions with the event's talks by
// source id.
func (a *Actions) planSchedule(ctx context.Context, ev *koe.Event, sched *timetable.Schedule) (*koe.SchedulePlan, *ImportPlan, error) {
	talks, err := a.store.Talks(ctx, ev.ID)
	if err != nil {
		return nil, nil, err
	}
	counts, err := a.store.TalkCounts(ctx, ev.ID)
	if err != nil {
		return nil, nil, err
	}
	bySource := map[string]*koe.Talk{}
	for _, t := range talks {
		if t.SourceID != "" {
			bySource[t.SourceID] = t
		}
	}
	if len(sched.Sessions) == 0 && len(bySource) > 0 {
		return nil, nil, koe.Invalid("data", koe.ReasonEmpty, 0, "the schedule has no sessions: importing it would remove all %d imported talks", len(bySource))
	}
	qa := ev.Settings.WithDefaults().QASchedule
	now := a.now()
	plan := &koe.SchedulePlan{}
	view := &ImportPlan{Format: string(sched.Format), Title: sched.Title, AssumedZone: sched.AssumedZone,
		Added: []ImportedTalk{}, Changed: []ChangedTalk{}, Removed: []RemovedTalk{}}
	seen := map[string]bool{}
	for _, s := range sched.Sessions {
		it, err := importedTalk(s)
		if err != nil {
			return nil, nil, err
		}
		seen[it.SourceID] = true
		t := bySource[it.SourceID]
		if t == nil {
			nt := &koe.Talk{EventID: ev.ID, SourceID: it.SourceID, Title: it.Title, Speaker: it.Speaker, Room: it.Room,
				Track: it.Track, Language: it.Language, StartsAt: it.StartsAt, EndsAt: it.EndsAt, QAOpen: true}
			if open, decides := qa.QAWanted(nt, now); decides {
				nt.QAOpen = open
			}
			plan.Create = append(plan.Create, nt)
			view.Added = append(view.Added, it)
			continue
		}
		u, fields := talkChanges(t, it)
		if t.RemovedFromSchedule { // back in the schedule
			back := false
			u.RemovedFromSchedule = &back
		}
		if len(fields) == 0 && !t.RemovedFromSchedule {
			view.Unchanged++
			continue
		}
		plan.Update = append(plan.Update, koe.TalkChange{TalkID: t.ID, Update: u})
		view.Changed = append(view.Changed, ChangedTalk{TalkID: t.ID, Fields: fields, Talk: it})
	}
	for _, t := range talks {
		if t.SourceID == "" || seen[t.SourceID] || t.RemovedFromSchedule {
			continue
		}
		polls, err := a.store.Polls(ctx, ev.ID, t.ID)
		if err != nil {
			return nil, nil, err
		}
		r := RemovedTalk{TalkID: t.ID, Title: t.Title, Questions: counts[t.ID].Questions, Action: "delete"}
		if r.Questions > 0 || len(polls) > 0 {
			r.Action = "flag"
			flag := true
			plan.Update = append(plan.Update, koe.TalkChange{TalkID: t.ID, Update: koe.TalkUpdate{RemovedFromSchedule: &flag}})
		} else {
			plan.Delete = append(plan.Delete, t.ID)
		}
		view.Removed = append(view.Removed, r)
	}
	return plan, view, nil
}

// importedTalk cleans a session into koe's limits: long texts are cut,
// not refused; a title with nothing to show is refused.
func importedTalk(s timetable.Session) (ImportedTalk, error) {
	it := ImportedTalk{SourceID: s.SourceID}
	if !s.Start.IsZero() {
		start, end := s.Start.UTC(), s.End.UTC()
		it.StartsAt, it.EndsAt = &start, &end
	}
	for _, f := range []struct {
		name string
		in   string
		out  *string
		min  int
		max  int
	}{
		{"title", s.Title, &it.Title, 1, koe.MaxTitleLen},
		{"speaker", strings.Join(s.Speakers, ", "), &it.Speaker, 0, koe.MaxSpeakerLen},
		{"room", s.Room, &it.Room, 0, koe.MaxRoomLen},
		{"track", s.Track, &it.Track, 0, koe.MaxTrackLen},
		{"language", s.Language, &it.Language, 0, koe.MaxLanguageLen},
	} {
		v, err := koe.CleanLine(f.name, cut(f.in, f.max), f.min, f.max)
		if err != nil {
			var ke *koe.Error
			if errors.As(err, &ke) {
				return it, koe.Invalid("data", ke.Reason, 0, "session %s: %s", s.SourceID, ke.Message)
			}
			return it, err
		}
		*f.out = v
	}
	return it, nil
}

// cut shortens s to at most n characters.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// talkChanges is the update that makes t what the schedule says, and the
// names of the fields it changes.
func talkChanges(t *koe.Talk, it ImportedTalk) (koe.TalkUpdate, []string) {
	var u koe.TalkUpdate
	fields := []string{}
	for _, f := range []struct {
		name    string
		cur, to string
		set     **string
	}{
		{"title", t.Title, it.Title, &u.Title},
		{"speaker", t.Speaker, it.Speaker, &u.Speaker},
		{"room", t.Room, it.Room, &u.Room},
		{"track", t.Track, it.Track, &u.Track},
		{"language", t.Language, it.Language, &u.Language},
	} {
		if f.cur != f.to {
			v := f.to
			*f.set = &v
			fields = append(fields, f.name)
		}
	}
	if !sameInstant(t.StartsAt, it.StartsAt) {
		u.StartsAt = &it.StartsAt
		fields = append(fields, "starts_at")
	}
	if !sameInstant(t.EndsAt, it.EndsAt) {
		u.EndsAt = &it.EndsAt
		fields = append(fields, "ends_at")
	}
	return u, fields
}

// sameInstant reports whether two optional times are both unset or the
// same microsecond (the stores keep microseconds).
func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

// fetchSchedule fetches a schedule URL, conditionally when src has an ETag
// or a Last-Modified. It returns nil data for "not modified", and the
// response's validators in the returned source's fields.
func (a *Actions) fetchSchedule(ctx context.Context, src *koe.ScheduleSource) ([]byte, *koe.ScheduleSource, error) {
	if err := checkScheduleURL(src.URL, a.deliver.opts.AllowPrivate); err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return nil, nil, koe.Invalid("url", koe.ReasonFormat, 0, "url must be an absolute http(s) URL")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "koe (schedule import)")
	if src.ETag != "" {
		req.Header.Set("If-None-Match", src.ETag)
	}
	if src.LastModified != "" {
		req.Header.Set("If-Modified-Since", src.LastModified)
	}
	c := webhook.Client(a.deliver.opts.AllowPrivate, scheduleFetchTimeout)
	c.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) > scheduleRedirects {
			return fmt.Errorf("more than %d redirects", scheduleRedirects)
		}
		return checkScheduleURL(r.URL.String(), a.deliver.opts.AllowPrivate)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, koe.Invalid("url", koe.ReasonFormat, 0, "cannot fetch the schedule: %s", fetchError(err))
	}
	defer resp.Body.Close()
	got := *src
	switch {
	case resp.StatusCode == http.StatusNotModified && (src.ETag != "" || src.LastModified != ""):
		return nil, &got, nil
	case resp.StatusCode != http.StatusOK:
		return nil, nil, koe.Invalid("url", koe.ReasonFormat, 0, "cannot fetch the schedule: the server answered %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, timetable.MaxBytes+1))
	if err != nil {
		return nil, nil, koe.Invalid("url", koe.ReasonFormat, 0, "cannot fetch the schedule: %s", fetchError(err))
	}
	if len(data) > timetable.MaxBytes {
		return nil, nil, koe.Invalid("url", koe.ReasonTooLong, timetable.MaxBytes, "the schedule is larger than %d MiB", timetable.MaxBytes>>20)
	}
	got.ETag, got.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	return data, &got, nil
}

// fetchError says why a fetch failed without Go's wrapping.
func fetchError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// checkScheduleURL accepts absolute http(s) URLs of public hosts (any
// host when allowPrivate).
func checkScheduleURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > maxURLLen {
		return koe.Invalid("url", koe.ReasonFormat, 0, "url must be an absolute http(s) URL of at most %d characters", maxURLLen)
	}
	return webhook.CheckURL(raw, allowPrivate)
}

// maxURLLen bounds a schedule URL.
const maxURLLen = 2000

// ScheduleSourceRequest keeps a schedule URL refreshed.
type ScheduleSourceRequest struct {
	URL            string `json:"url"`
	RefreshMinutes int    `json:"refresh_minutes"`
}

// ScheduleSource returns the event's schedule URL; ENOTFOUND for none.
func (a *Actions) ScheduleSource(ctx context.Context, eventID int64) (*koe.ScheduleSource, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	return a.store.ScheduleSource(ctx, eventID)
}

// SetScheduleSource keeps the event's schedule at a URL, fetched again
// every RefreshMinutes by the schedule runner (0: never).
func (a *Actions) SetScheduleSource(ctx context.Context, eventID int64, in ScheduleSourceRequest) (*koe.ScheduleSource, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	if err := checkScheduleURL(in.URL, a.deliver.opts.AllowPrivate); err != nil {
		return nil, err
	}
	if in.RefreshMinutes != 0 && (in.RefreshMinutes < koe.MinScheduleRefresh || in.RefreshMinutes > koe.MaxScheduleRefresh) {
		return nil, koe.Invalid("refresh_minutes", koe.ReasonFormat, koe.MaxScheduleRefresh,
			"refresh_minutes must be 0 (never) or %d to %d", koe.MinScheduleRefresh, koe.MaxScheduleRefresh)
	}
	src := &koe.ScheduleSource{EventID: eventID, URL: in.URL, RefreshMinutes: in.RefreshMinutes}
	if cur, err := a.store.ScheduleSource(ctx, eventID); err == nil && cur.URL == in.URL {
		src.ETag, src.LastModified, src.CheckedAt, src.ChangedAt, src.Error = cur.ETag, cur.LastModified, cur.CheckedAt, cur.ChangedAt, cur.Error
	} else if err != nil && koe.ErrorCode(err) != koe.ENOTFOUND {
		return nil, err
	}
	if err := a.store.SaveScheduleSource(ctx, src); err != nil {
		return nil, err
	}
	return src, nil
}

// DeleteScheduleSource stops refreshing the event's schedule.
func (a *Actions) DeleteScheduleSource(ctx context.Context, eventID int64) error {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return err
	}
	return a.store.DeleteScheduleSource(ctx, eventID)
}

// RunSchedule runs the schedule in one process at a time, holding the
// lease "schedule", until ctx ends: every ScheduleEvery, ScheduleTick.
func (a *Actions) RunSchedule(ctx context.Context) {
	a.whileLeading(ctx, "schedule", func(ctx context.Context) {
		t := time.NewTicker(ScheduleEvery)
		defer t.Stop()
		for ctx.Err() == nil {
			if err := a.ScheduleTick(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("schedule", "error", err)
			}
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
	})
}

// ScheduleTick does the schedule's work due at the actions' clock: it
// opens and closes the Q&A of talks that follow their times, and fetches
// the schedules kept by URL that are due. As koe itself (system).
func (a *Actions) ScheduleTick(ctx context.Context) error {
	ctx = koe.NewContext(ctx, koe.System)
	events, err := a.store.Events(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, ev := range events {
		if qa := ev.Settings.WithDefaults().QASchedule; qa.Follow {
			errs = append(errs, a.followSchedule(ctx, ev.ID, *qa))
		}
	}
	sources, err := a.store.ScheduleSources(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	now := a.now()
	for _, src := range sources {
		if src.Due(now) {
			errs = append(errs, a.refreshSchedule(ctx, src))
		}
	}
	return errors.Join(errs...)
}

// followSchedule sets each talk's Q&A to what its times want now.
func (a *Actions) followSchedule(ctx context.Context, eventID int64, qa koe.QASchedule) error {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return err
	}
	talks, err := a.store.Talks(ctx, eventID)
	if err != nil {
		return err
	}
	now := a.now()
	for _, t := range talks {
		if open, decides := qa.QAWanted(t, now); decides && open != t.QAOpen {
			if _, err := a.store.UpdateTalk(ctx, eventID, t.ID, koe.TalkUpdate{QAOpen: &open}); err != nil {
				return err
			}
		}
	}
	return nil
}

// refreshSchedule fetches a due schedule URL and applies what changed.
func (a *Actions) refreshSchedule(ctx context.Context, src *koe.ScheduleSource) error {
	ctx, _, err := a.begin(ctx, Manage, src.EventID)
	if err != nil {
		return err
	}
	now := a.now()
	next := *src
	next.CheckedAt, next.Error = &now, ""
	data, got, err := a.fetchSchedule(ctx, src)
	if err == nil && data != nil {
		next.ETag, next.LastModified = got.ETag, got.LastModified
		var plan *ImportPlan
		if plan, err = a.importSchedule(ctx, src.EventID, data, "url", false); err == nil && !plan.Empty() {
			next.ChangedAt = &now
		}
	}
	if err != nil {
		var ke *koe.Error
		if !errors.As(err, &ke) {
			return err
		}
		next.Error = ke.Message
	}
	return a.store.SaveScheduleSource(ctx, &next)
}

// RoomList is every room of an event and the talk its screen shows, at
// the server's time Now.
type RoomList struct {
	Now   time.Time  `json:"now"`
	Rooms []koe.Room `json:"rooms"`
}

// Rooms says what each room's screen shows now (koe.Rooms), switching a
// talk's Q&A lead before its start.
func (a *Actions) Rooms(ctx context.Context, eventID int64) (*RoomList, error) {
	ctx, _, err := a.begin(ctx, Read, eventID)
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
	now := a.now()
	talks = slices.DeleteFunc(talks, func(t *koe.Talk) bool { return t.RemovedFromSchedule })
	return &RoomList{Now: now, Rooms: koe.Rooms(talks, ev.Settings.WithDefaults().QASchedule.Lead(), now)}, nil
}
