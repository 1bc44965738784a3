package act

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/realtime"
)

// NewEvent is what an event is created from.
type NewEvent struct {
	Title    string             `json:"title"`
	Slug     string             `json:"slug"`
	TimeZone string             `json:"time_zone"`
	StartsAt *time.Time         `json:"starts_at"`
	EndsAt   *time.Time         `json:"ends_at"`
	Settings *koe.EventSettings `json:"settings"`
}

// EventPatch changes the fields of an event that it sets.
type EventPatch struct {
	Title    *string             `json:"title"`
	Slug     *string             `json:"slug"`
	TimeZone *string             `json:"time_zone"`
	StartsAt Optional[time.Time] `json:"starts_at"`
	EndsAt   Optional[time.Time] `json:"ends_at"`
	Settings *koe.EventSettings  `json:"settings"`
	// Passcode asks new participants for it besides the join code; ""
	// removes it.
	Passcode *string `json:"passcode"`
}

// NewTalk is what a talk is created from.
type NewTalk struct {
	Title    string     `json:"title"`
	Speaker  string     `json:"speaker"`
	Track    string     `json:"track"`
	Room     string     `json:"room"`
	Language string     `json:"language"`
	StartsAt *time.Time `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
	QAOpen   *bool      `json:"qa_open"`
	// Moderation overrides the event's moderation mode: "post", "pre",
	// or "" (the event's).
	Moderation string `json:"moderation"`
}

// TalkPatch changes the fields of a talk that it sets.
type TalkPatch struct {
	Title    *string             `json:"title"`
	Speaker  *string             `json:"speaker"`
	Track    *string             `json:"track"`
	Room     *string             `json:"room"`
	Language *string             `json:"language"`
	StartsAt Optional[time.Time] `json:"starts_at"`
	EndsAt   Optional[time.Time] `json:"ends_at"`
	// QAOpen changed by a person makes the Q&A theirs (QAManual) unless
	// the patch says QAManual.
	QAOpen *bool `json:"qa_open"`
	// QAManual false gives the talk's Q&A back to the schedule.
	QAManual *bool `json:"qa_manual"`
	// Moderation is "post", "pre", or "" for the event's mode.
	Moderation *string `json:"moderation"`
}

// Optional is a field that can be absent, null or a value: a patch must
// tell "leave it" from "clear it".
type Optional[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}

// update returns the field for koe's update structs: nil to leave it.
func (o Optional[T]) update() **T {
	if !o.Set {
		return nil
	}
	return &o.Value
}

// Events lists the events the caller works on (an admin: all), newest
// first.
func (a *Actions) Events(ctx context.Context) ([]*koe.Event, error) {
	p := koe.PrincipalFrom(ctx)
	switch {
	case p.ParticipantID != 0 && !p.IsStaff():
		return nil, koe.Errorf(koe.EFORBIDDEN, "only staff can list events")
	case !p.IsStaff() && !p.System:
		return nil, koe.Errorf(koe.EUNAUTHORIZED, "staff credentials required")
	}
	all, err := a.store.Events(ctx)
	if err != nil {
		return nil, err
	}
	mine := all[:0]
	for _, e := range all {
		if a.may(p, ListEvents, e.ID, 0) {
			mine = append(mine, e)
		}
	}
	return mine, nil
}

// CreateEvent creates an event; the slug defaults to a random one and the
// time zone to UTC.
func (a *Actions) CreateEvent(ctx context.Context, in NewEvent) (*koe.Event, error) {
	ctx, _, err := a.begin(ctx, CreateEvent, 0)
	if err != nil {
		return nil, err
	}
	e := &koe.Event{Slug: in.Slug, TimeZone: in.TimeZone, StartsAt: stored(in.StartsAt), EndsAt: stored(in.EndsAt)}
	if e.Title, err = koe.CleanLine("title", in.Title, 1, koe.MaxTitleLen); err != nil {
		return nil, err
	}
	if e.Slug == "" {
		e.Slug = "event-" + randomHex(4)
	}
	if e.TimeZone == "" {
		e.TimeZone = "UTC"
	}
	if in.Settings != nil {
		e.Settings = *in.Settings
		e.Settings.Logo = "" // uploaded, after
	}
	e.Settings = e.Settings.WithDefaults()
	e.Moderation = koe.DefaultModerationConfig()
	if err := a.validateEvent(e); err != nil {
		return nil, err
	}
	if err := a.store.CreateEvent(ctx, e); err != nil {
		return nil, err
	}
	// Its creator is its first owner: the event stays theirs should they
	// stop being an admin, and its staff list says who runs it.
	if p := koe.PrincipalFrom(ctx); p.AccountID != 0 {
		if err := a.store.SetMembership(ctx, &koe.Membership{EventID: e.ID, AccountID: p.AccountID, Role: koe.RoleOwner, Talks: []int64{}}); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (a *Actions) validateEvent(e *koe.Event) error {
	if e.Settings.ParticipantSignIn && a.oidc == nil {
		return koe.Errorf(koe.EINVALID, "participant_sign_in needs an OpenID provider: set KOE_OIDC_ISSUER and the rest")
	}
	if err := koe.ValidateSlug(e.Slug); err != nil {
		return err
	}
	if _, err := koe.ParseModerationMode("settings.moderation", string(e.Settings.Moderation), true); err != nil {
		return err
	}
	if err := koe.CheckAccent(e.Settings.Accent); err != nil {
		return err
	}
	if q := e.Settings.QASchedule; q != nil {
		if err := q.Check(); err != nil {
			return err
		}
	}
	if err := koe.CheckReactions(e.Settings.Reactions); err != nil {
		return err
	}
	if err := koe.ValidateTimeZone(e.TimeZone); err != nil {
		return err
	}
	return koe.ValidateSpan(e.StartsAt, e.EndsAt)
}

// Event returns one event.
func (a *Actions) Event(ctx context.Context, eventID int64) (*koe.Event, error) {
	if _, _, err := a.begin(ctx, Read, eventID); err != nil {
		return nil, err
	}
	return a.store.Event(ctx, eventID)
}

// UpdateEvent changes an event.
func (a *Actions) UpdateEvent(ctx context.Context, eventID int64, in EventPatch) (*koe.Event, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	if in.Settings != nil { // settings are replaced whole: what is left out is its default
		*in.Settings = in.Settings.WithDefaults()
	}
	u := koe.EventUpdate{Slug: in.Slug, TimeZone: in.TimeZone, StartsAt: storedUpdate(in.StartsAt), EndsAt: storedUpdate(in.EndsAt), Settings: in.Settings}
	if in.Passcode != nil {
		pc, err := koe.NormalizePasscode(*in.Passcode)
		if err != nil {
			return nil, err
		}
		u.Passcode = &pc
	}
	if in.Title != nil {
		t, err := koe.CleanLine("title", *in.Title, 1, koe.MaxTitleLen)
		if err != nil {
			return nil, err
		}
		u.Title = &t
	}
	cur, err := a.store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if u.Settings != nil {
		u.Settings.Logo = cur.Settings.Logo // the logo's routes change it
	}
	// Validate the event as it would be after the change.
	next := *cur
	u.Apply(&next)
	if err := a.validateEvent(&next); err != nil {
		return nil, err
	}
	return a.store.UpdateEvent(ctx, eventID, u)
}

// Joined is a participant who joined an event, and the token that is
// their identity there.
type Joined struct {
	Event       *koe.Event       `json:"event"`
	Participant *koe.Participant `json:"participant"`
	Token       string           `json:"token"`
	// Existing is true when the caller was a participant of the event
	// already and keeps that identity.
	Existing bool `json:"-"`
}

// JoinRequest is what a participant joins with.
type JoinRequest struct {
	Code        string `json:"code"`
	DisplayName string `json:"display_name"`
	// Passcode is the event's passcode, when it has one.
	Passcode string `json:"passcode"`
}

// Join admits the caller to the event with the code. A caller who is a
// participant of that event already (its credentials name one) keeps its
// identity.
func (a *Actions) Join(ctx context.Context, in JoinRequest, c Credentials) (*Joined, error) {
	e, name, err := a.joinTarget(ctx, in)
	if err != nil {
		return nil, err
	}
	if id := a.participantOf(ctx, c, e.ID); id != 0 {
		if known, err := a.store.Participant(ctx, e.ID, id); err == nil {
			tok, err := a.tokens.Issue(ctx, e.ID, known.ID, a.now())
			if err != nil {
				return nil, err
			}
			return &Joined{Event: e, Participant: known, Token: tok, Existing: true}, nil
		}
	}
	switch {
	case e.Settings.ParticipantSignIn:
		name := DefaultOIDCName
		if a.oidc != nil {
			name = a.oidc.Name
		}
		return nil, koe.Errorf(koe.ESIGNIN, "this event asks participants to sign in with %s", name)
	case e.Passcode != "":
		if err := a.checkPasscode(ctx, e, in.Passcode, c.Addr); err != nil {
			return nil, err
		}
	}
	// New identities are limited per address: a room joins at once, then
	// only a trickle (see ratelimit.Defaults).
	if err := a.limiter.Allow(ctx, "join.ip", c.Addr); err != nil {
		return nil, err
	}
	p := &koe.Participant{EventID: e.ID, DisplayName: name}
	if err := a.store.CreateParticipant(ctx, p); err != nil {
		return nil, err
	}
	tok, err := a.tokens.Issue(ctx, e.ID, p.ID, a.now())
	if err != nil {
		return nil, err
	}
	return &Joined{Event: e, Participant: p, Token: tok}, nil
}

// maxPasscodeInput bounds the passcode a join sends, checked whether the
// event has a passcode or not (the API document's maxLength).
const maxPasscodeInput = 256

// joinTarget reads a join request: the event with its code, and the
// cleaned display name.
func (a *Actions) joinTarget(ctx context.Context, in JoinRequest) (*koe.Event, string, error) {
	code, err := koe.NormalizeJoinCode(in.Code)
	if err != nil {
		return nil, "", err
	}
	name := ""
	if in.DisplayName != "" {
		if name, err = koe.CleanLine("display_name", in.DisplayName, 0, koe.MaxDisplayNameLen); err != nil {
			return nil, "", err
		}
	}
	if utf8.RuneCountInString(in.Passcode) > maxPasscodeInput {
		return nil, "", koe.Errorf(koe.EINVALID, "passcode must be at most %d characters", maxPasscodeInput)
	}
	e, err := a.store.EventByJoinCode(ctx, code)
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		return nil, "", koe.Errorf(koe.ENOTFOUND, "no event has the code %s", code)
	}
	if err != nil {
		return nil, "", err
	}
	if name, err = a.screenName(ctx, e, name); err != nil {
		return nil, "", err
	}
	return e, name, nil
}

// checkPasscode admits a new participant of an event that has a
// passcode: EPASSCODE for none or a wrong one (wrong ones are limited per
// address, passcode.ip).
func (a *Actions) checkPasscode(ctx context.Context, e *koe.Event, given, addr string) error {
	if strings.TrimSpace(given) == "" {
		return koe.Errorf(koe.EPASSCODE, "this event asks for its passcode: the organizer gives it out")
	}
	pc, err := koe.NormalizePasscode(given)
	if err == nil && auth.Equal(pc, e.Passcode) {
		return nil
	}
	if err := a.limiter.Allow(ctx, "passcode.ip", addr); err != nil {
		return err
	}
	return koe.Errorf(koe.EPASSCODE, "wrong passcode")
}

// EventPasscode is an event's passcode, for its owners to hand out.
type EventPasscode struct {
	// Passcode is "" when the event has none.
	Passcode string `json:"passcode"`
}

// Passcode returns the event's passcode (owners).
func (a *Actions) Passcode(ctx context.Context, eventID int64) (*EventPasscode, error) {
	if _, _, err := a.begin(ctx, Manage, eventID); err != nil {
		return nil, err
	}
	e, err := a.store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return &EventPasscode{Passcode: e.Passcode}, nil
}

// Me says who the caller is in an event.
type Me struct {
	Role string `json:"role"` // staff | participant
	// StaffRole is staff's role in the event: owner, moderator or
	// presenter; "" for participants.
	StaffRole koe.Role `json:"staff_role,omitempty"`
	// Talks limits a presenter to these talks; absent for all.
	Talks       []int64          `json:"talks,omitempty"`
	Participant *koe.Participant `json:"participant"`
}

// Me returns who the caller is in the event; a staff member's browser
// that also joined is staff with a participant.
func (a *Actions) Me(ctx context.Context, eventID int64) (*Me, error) {
	_, p, err := a.begin(ctx, Read, eventID)
	if err != nil {
		return nil, err
	}
	me := &Me{Role: "participant"}
	if r := p.StaffRole(eventID); r != "" {
		me.Role, me.StaffRole, me.Talks = "staff", r, p.Talks[eventID]
	}
	if p.IsParticipantOf(eventID) {
		if me.Participant, err = a.store.Participant(ctx, eventID, p.ParticipantID); err != nil {
			return nil, err
		}
	}
	return me, nil
}

// TalkList is an event's programme and the position of its stream, read
// before the talks (see "Consistency between snapshot and stream" in
// docs/architecture.md).
type TalkList struct {
	Talks  []*koe.Talk    `json:"talks"`
	Stream StreamPosition `json:"stream"`
}

// StreamPosition is where a client follows a snapshot's stream from.
type StreamPosition struct {
	Topic  string `json:"topic"`
	Cursor string `json:"cursor"`
}

// Talks lists an event's talks.
func (a *Actions) Talks(ctx context.Context, eventID int64) (*TalkList, error) {
	if _, _, err := a.begin(ctx, Read, eventID); err != nil {
		return nil, err
	}
	if _, err := a.store.Event(ctx, eventID); err != nil {
		return nil, err
	}
	pos := StreamPosition{Topic: realtime.EventTopic, Cursor: a.hub.Cursor(realtime.EventStream(eventID))}
	talks, err := a.store.Talks(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return &TalkList{Talks: talks, Stream: pos}, nil
}

// Talk returns one talk.
func (a *Actions) Talk(ctx context.Context, eventID, talkID int64) (*koe.Talk, error) {
	if _, _, err := a.beginIn(ctx, Read, eventID, talkID); err != nil {
		return nil, err
	}
	return a.store.Talk(ctx, eventID, talkID)
}

// CreateTalk adds a talk to an event; its Q&A is open unless in says not.
func (a *Actions) CreateTalk(ctx context.Context, eventID int64, in NewTalk) (*koe.Talk, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	t := &koe.Talk{EventID: eventID, StartsAt: stored(in.StartsAt), EndsAt: stored(in.EndsAt), QAOpen: in.QAOpen == nil || *in.QAOpen}
	if t.Title, err = koe.CleanLine("title", in.Title, 1, koe.MaxTitleLen); err != nil {
		return nil, err
	}
	if t.Speaker, err = koe.CleanLine("speaker", in.Speaker, 0, koe.MaxSpeakerLen); err != nil {
		return nil, err
	}
	if t.Track, err = koe.CleanLine("track", in.Track, 0, koe.MaxTrackLen); err != nil {
		return nil, err
	}
	if t.Room, err = koe.CleanLine("room", in.Room, 0, koe.MaxRoomLen); err != nil {
		return nil, err
	}
	if t.Language, err = koe.CleanLine("language", in.Language, 0, koe.MaxLanguageLen); err != nil {
		return nil, err
	}
	if err := koe.ValidateSpan(t.StartsAt, t.EndsAt); err != nil {
		return nil, err
	}
	if t.Moderation, err = koe.ParseModerationMode("moderation", in.Moderation, true); err != nil {
		return nil, err
	}
	if err := a.store.CreateTalk(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTalk changes a talk.
func (a *Actions) UpdateTalk(ctx context.Context, eventID, talkID int64, in TalkPatch) (*koe.Talk, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	u := koe.TalkUpdate{StartsAt: storedUpdate(in.StartsAt), EndsAt: storedUpdate(in.EndsAt), QAOpen: in.QAOpen, QAManual: in.QAManual}
	if in.Moderation != nil {
		mode, err := koe.ParseModerationMode("moderation", *in.Moderation, true)
		if err != nil {
			return nil, err
		}
		u.Moderation = &mode
	}
	for _, f := range []struct {
		name     string
		in       *string
		out      **string
		min, max int
	}{
		{"title", in.Title, &u.Title, 1, koe.MaxTitleLen},
		{"speaker", in.Speaker, &u.Speaker, 0, koe.MaxSpeakerLen},
		{"track", in.Track, &u.Track, 0, koe.MaxTrackLen},
		{"room", in.Room, &u.Room, 0, koe.MaxRoomLen},
		{"language", in.Language, &u.Language, 0, koe.MaxLanguageLen},
	} {
		if f.in == nil {
			continue
		}
		v, err := koe.CleanLine(f.name, *f.in, f.min, f.max)
		if err != nil {
			return nil, err
		}
		*f.out = &v
	}
	cur, err := a.store.Talk(ctx, eventID, talkID)
	if err != nil {
		return nil, err
	}
	if in.QAOpen != nil && in.QAManual == nil && *in.QAOpen != cur.QAOpen {
		// A person opened or closed it: theirs, not the schedule's.
		manual := true
		u.QAManual = &manual
	}
	next := *cur
	u.Apply(&next)
	if err := koe.ValidateSpan(next.StartsAt, next.EndsAt); err != nil {
		return nil, err
	}
	if in.QAManual != nil && !*in.QAManual && in.QAOpen == nil {
		// Given back to the schedule: it decides at once.
		ev, err := a.store.Event(ctx, eventID)
		if err != nil {
			return nil, err
		}
		if open, decides := ev.Settings.WithDefaults().QASchedule.QAWanted(&next, a.now()); decides {
			u.QAOpen = &open
		}
	}
	return a.store.UpdateTalk(ctx, eventID, talkID, u)
}

// HighlightRequest names the question to show on a talk's screen, nil to
// clear it.
type HighlightRequest struct {
	QuestionID *int64 `json:"question_id"`
}

// Highlight shows a question on the talk's screen, or clears it.
func (a *Actions) Highlight(ctx context.Context, eventID, talkID int64, in HighlightRequest) (*koe.Talk, error) {
	ctx, _, err := a.beginIn(ctx, Present, eventID, talkID)
	if err != nil {
		return nil, err
	}
	var questionID int64
	if in.QuestionID != nil {
		if questionID = *in.QuestionID; questionID <= 0 {
			return nil, koe.Errorf(koe.EINVALID, "question_id must be a positive integer or null")
		}
	}
	return a.store.SetHighlight(ctx, eventID, talkID, questionID)
}

// stored is a time as koe keeps it: UTC, whole microseconds; so that a
// change to the same instant is seen as no change.
func stored(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC().Truncate(time.Microsecond)
	return &v
}

func storedUpdate(o Optional[time.Time]) **time.Time {
	o.Value = stored(o.Value)
	return o.update()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// SetEventLogo uploads an event's logo: checked by its bytes (PNG, JPEG
// or WebP; MaxLogoBytes, MaxLogoSide), served by koe.
func (a *Actions) SetEventLogo(ctx context.Context, eventID int64, data []byte) (*koe.Event, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	logo, err := koe.CheckLogo(data)
	if err != nil {
		return nil, err
	}
	return a.store.SetEventLogo(ctx, eventID, logo)
}

// DeleteEventLogo removes an event's logo.
func (a *Actions) DeleteEventLogo(ctx context.Context, eventID int64) (*koe.Event, error) {
	ctx, _, err := a.begin(ctx, Manage, eventID)
	if err != nil {
		return nil, err
	}
	return a.store.SetEventLogo(ctx, eventID, nil)
}

// EventLogo returns an event's logo of that version: public, like the
// event's name on its join page.
func (a *Actions) EventLogo(ctx context.Context, eventID int64, version string) (*koe.EventLogo, error) {
	if len(version) != 16 {
		return nil, koe.Errorf(koe.ENOTFOUND, "logo not found")
	}
	return a.store.EventLogo(ctx, eventID, version)
}
