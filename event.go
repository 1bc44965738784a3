package koe

import (
	"crypto/rand"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Event is a meetup or conference. Participants join it by its JoinCode.
type Event struct {
	ID       int64         `json:"id"`
	Slug     string        `json:"slug"`
	Title    string        `json:"title"`
	JoinCode string        `json:"join_code"`
	TimeZone string        `json:"time_zone"`
	StartsAt *time.Time    `json:"starts_at"`
	EndsAt   *time.Time    `json:"ends_at"`
	Settings EventSettings `json:"settings"`
	// Passcode, when set, is asked of new participants besides the join
	// code (the organizer hands it out). It is never in the event's JSON,
	// which says only passcode_required: owners read it with
	// GET /api/v1/events/{id}/passcode.
	Passcode string `json:"-"`
	// Moderation is how the event's texts are checked: for its
	// moderators only (GET /api/v1/events/{id}/moderation), never in the
	// event's JSON.
	Moderation ModerationConfig `json:"-"`
	// Version grows by one with every change, so that clients can drop
	// stale real-time updates.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MarshalJSON writes the event with passcode_required in place of its
// passcode.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		plain
		PasscodeRequired bool `json:"passcode_required"`
	}{plain(e), e.Passcode != ""})
}

// storedSettings is how the stores keep an event's settings and its
// passcode: one JSON document.
type storedSettings struct {
	EventSettings
	Passcode   string           `json:"passcode,omitempty"`
	Moderation ModerationConfig `json:"moderation_config"`
}

// StoredSettings encodes the event's settings and passcode for a store.
func (e *Event) StoredSettings() ([]byte, error) {
	return json.Marshal(storedSettings{e.Settings, e.Passcode, e.Moderation})
}

// LoadSettings sets the event's settings and passcode from what
// StoredSettings made.
func (e *Event) LoadSettings(b []byte) error {
	s := storedSettings{Moderation: DefaultModerationConfig()}
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s.Reactions == nil { // stored before events chose their reactions
		s.Reactions = slices.Clone(DefaultReactions)
	}
	e.Settings, e.Passcode, e.Moderation = s.EventSettings, s.Passcode, s.Moderation
	return nil
}

// MaxPasscodeLen bounds an event's passcode; MinPasscodeLen keeps it from
// being guessed in a few tries.
const (
	MinPasscodeLen = 4
	MaxPasscodeLen = 64
)

// NormalizePasscode returns the form a passcode is kept and compared in:
// NFKC, case-folded and trimmed, so that "Ｋｏｅ２０２６" typed on a
// Japanese keyboard is "koe2026". "" (none) stays "".
func NormalizePasscode(s string) (string, error) {
	s = strings.TrimSpace(norm.NFKC.String(cases.Fold().String(s)))
	if s == "" {
		return "", nil
	}
	return CleanLine("passcode", s, MinPasscodeLen, MaxPasscodeLen)
}

// EventSettings are the per-event switches.
type EventSettings struct {
	// ParticipantReplies lets participants reply under questions (F7);
	// staff can always reply.
	ParticipantReplies bool `json:"participant_replies"`
	// ParticipantSignIn asks new participants to sign in with the OpenID
	// provider (KOE_OIDC_*): one person is then one participant, however
	// many devices they join from.
	ParticipantSignIn bool `json:"participant_sign_in"`
	// Moderation is the event's moderation mode (F10), which a talk may
	// override; "" reads as post.
	Moderation ModerationMode `json:"moderation"`
	// Accent is the event's colour on the audience page and the screen,
	// as #rrggbb; "" for koe's.
	Accent string `json:"accent"`
	// Logo names the event's logo (its version; "" for none): set by
	// uploading one (SetEventLogo), never with the other settings.
	Logo string `json:"logo"`
	// Reactions are the emoji participants may tap (F17), from
	// ReactionPalette; empty for none, nil (left out) for
	// DefaultReactions.
	Reactions []string `json:"reactions"`
	// QASchedule opens and closes talks' Q&A by their times; nil (left
	// out) for DefaultQASchedule.
	QASchedule *QASchedule `json:"qa_schedule,omitempty"`
}

// WithDefaults returns the settings with what was left out filled in:
// post moderation, the default reactions, the Q&A schedule's defaults.
func (s EventSettings) WithDefaults() EventSettings {
	if s.Moderation == "" {
		s.Moderation = PostModeration
	}
	if s.QASchedule == nil {
		d := DefaultQASchedule
		s.QASchedule = &d
	}
	if s.Reactions == nil {
		s.Reactions = slices.Clone(DefaultReactions)
	}
	return s
}

// ModerationConfig is how an event's texts are checked (F11): everything
// but the mode, which is public (the ask form says when questions are
// reviewed first).
type ModerationConfig struct {
	// FailClosed queues a text when a scorer cannot answer; else koe goes
	// on without that scorer.
	FailClosed bool `json:"fail_closed"`
	// QueueThreshold and RejectThreshold turn a score (0..1) into queue
	// and reject.
	QueueThreshold  float64 `json:"queue_threshold"`
	RejectThreshold float64 `json:"reject_threshold"`
	// MaxLinks is how many links a text may hold before it waits.
	MaxLinks int `json:"max_links"`
	// ShippedLists turns on the English and Japanese word lists koe ships.
	ShippedLists bool            `json:"shipped_lists"`
	Words        []ModeratedWord `json:"words"`
	// Allow lists words and phrases the lists must not match (false
	// positives: "Scunthorpe").
	Allow   []string       `json:"allow"`
	Scorers []ScorerConfig `json:"scorers"`
}

// ModeratedWord is an event's word-list entry and its action (mask, flag,
// queue or block).
type ModeratedWord struct {
	Word   string `json:"word"`
	Action string `json:"action"`
}

// ScorerConfig is an HTTP scorer an event consults.
type ScorerConfig struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// FlagOnly makes the scorer only flag texts (at the queue threshold),
	// never hold or reject them: for a model one trusts to point, not to
	// decide (koe's own learned model, served by koe scorer, is one).
	FlagOnly bool `json:"flag_only"`
}

// Normalized returns c with unset thresholds (events made before
// moderation existed, or by a store directly) taking the defaults.
func (c ModerationConfig) Normalized() ModerationConfig {
	d := DefaultModerationConfig()
	if c.QueueThreshold <= 0 || c.RejectThreshold <= 0 {
		c.QueueThreshold, c.RejectThreshold, c.MaxLinks, c.ShippedLists = d.QueueThreshold, d.RejectThreshold, d.MaxLinks, d.ShippedLists
	}
	if c.Words == nil {
		c.Words = d.Words
	}
	if c.Allow == nil {
		c.Allow = d.Allow
	}
	if c.Scorers == nil {
		c.Scorers = d.Scorers
	}
	return c
}

// DefaultModerationConfig is an event's until its moderators change it.
func DefaultModerationConfig() ModerationConfig {
	return ModerationConfig{QueueThreshold: 0.7, RejectThreshold: 0.97, MaxLinks: 1, ShippedLists: true,
		Words: []ModeratedWord{}, Allow: []string{}, Scorers: []ScorerConfig{}}
}

// EventUpdate changes the non-nil fields of an event.
type EventUpdate struct {
	Slug     *string
	Title    *string
	TimeZone *string
	StartsAt **time.Time
	EndsAt   **time.Time
	Settings *EventSettings
	// Passcode is normalised ("" removes it).
	Passcode *string
	// Moderation is validated by the caller.
	Moderation *ModerationConfig
}

// Apply sets the fields of e that u changes and reports whether anything
// changed: a change that changes nothing is not a new version.
func (u EventUpdate) Apply(e *Event) bool {
	before := *e
	if u.Slug != nil {
		e.Slug = *u.Slug
	}
	if u.Title != nil {
		e.Title = *u.Title
	}
	if u.TimeZone != nil {
		e.TimeZone = *u.TimeZone
	}
	if u.StartsAt != nil {
		e.StartsAt = *u.StartsAt
	}
	if u.EndsAt != nil {
		e.EndsAt = *u.EndsAt
	}
	if u.Settings != nil {
		e.Settings = *u.Settings
	}
	if u.Passcode != nil {
		e.Passcode = *u.Passcode
	}
	if u.Moderation != nil {
		e.Moderation = *u.Moderation
	}
	return !reflect.DeepEqual(e.Moderation, before.Moderation) || e.Passcode != before.Passcode || e.Slug != before.Slug || e.Title != before.Title || e.TimeZone != before.TimeZone ||
		!sameTime(e.StartsAt, before.StartsAt) || !sameTime(e.EndsAt, before.EndsAt) || !reflect.DeepEqual(e.Settings, before.Settings)
}

// Talk is a session inside an event, with its own Q&A.
type Talk struct {
	ID      int64  `json:"id"`
	EventID int64  `json:"event_id"`
	Title   string `json:"title"`
	Speaker string `json:"speaker"`
	Track   string `json:"track"`
	// Room is where the talk is given ("" for unknown): a room screen
	// follows the talks of its room.
	Room     string     `json:"room"`
	Language string     `json:"language"`
	StartsAt *time.Time `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
	QAOpen   bool       `json:"qa_open"`
	// QAManual says a person opened or closed the Q&A by hand: the
	// schedule leaves the talk alone until they give it back.
	QAManual bool `json:"qa_manual"`
	// SourceID is the talk's id in the imported schedule, "" for a talk
	// made by hand (imports never touch those).
	SourceID string `json:"source_id"`
	// RemovedFromSchedule flags a talk the schedule no longer has but
	// that has questions, for the organizer to decide.
	RemovedFromSchedule bool `json:"removed_from_schedule"`
	// Moderation overrides the event's moderation mode; "" takes it.
	Moderation ModerationMode `json:"moderation"`
	// HighlightedQuestionID is the question shown on the big screen, 0 for none.
	HighlightedQuestionID int64     `json:"highlighted_question_id"`
	Version               int64     `json:"version"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`
}

// TalkUpdate changes the non-nil fields of a talk.
type TalkUpdate struct {
	Title    *string
	Speaker  *string
	Track    *string
	Room     *string
	Language *string
	StartsAt **time.Time
	EndsAt   **time.Time
	QAOpen   *bool
	QAManual *bool
	// Moderation is validated ("" inherits the event's).
	Moderation *ModerationMode
	// RemovedFromSchedule is set by imports only.
	RemovedFromSchedule *bool
}

// Apply sets the fields of t that u changes and reports whether anything
// changed.
func (u TalkUpdate) Apply(t *Talk) bool {
	before := *t
	if u.Title != nil {
		t.Title = *u.Title
	}
	if u.Speaker != nil {
		t.Speaker = *u.Speaker
	}
	if u.Track != nil {
		t.Track = *u.Track
	}
	if u.StartsAt != nil {
		t.StartsAt = *u.StartsAt
	}
	if u.EndsAt != nil {
		t.EndsAt = *u.EndsAt
	}
	if u.Room != nil {
		t.Room = *u.Room
	}
	if u.Language != nil {
		t.Language = *u.Language
	}
	if u.QAOpen != nil {
		t.QAOpen = *u.QAOpen
	}
	if u.QAManual != nil {
		t.QAManual = *u.QAManual
	}
	if u.Moderation != nil {
		t.Moderation = *u.Moderation
	}
	if u.RemovedFromSchedule != nil {
		t.RemovedFromSchedule = *u.RemovedFromSchedule
	}
	return t.Moderation != before.Moderation || t.Title != before.Title || t.Speaker != before.Speaker || t.Track != before.Track ||
		t.Room != before.Room || t.Language != before.Language || t.QAManual != before.QAManual || t.RemovedFromSchedule != before.RemovedFromSchedule ||
		!sameTime(t.StartsAt, before.StartsAt) || !sameTime(t.EndsAt, before.EndsAt) || t.QAOpen != before.QAOpen
}

// sameTime reports whether two optional times are both unset or equal.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// JoinCodeAlphabet has no look-alike characters (0/O, 1/I/L).
const JoinCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// JoinCodeLen is the length of an event's join code.
const JoinCodeLen = 6

// NewJoinCode returns a random join code.
func NewJoinCode() string {
	b := make([]byte, JoinCodeLen)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = JoinCodeAlphabet[int(b[i])%len(JoinCodeAlphabet)]
	}
	return string(b)
}

// NormalizeJoinCode upper-cases a code typed by a person and checks its
// shape; it returns EINVALID for anything that cannot be a join code.
// Surrounding white space goes (Unicode's, and U+FEFF that pasting can
// bring along); only ASCII letters are upper-cased, so that no other
// letter (U+017F ſ becomes S) slips in.
func NormalizeJoinCode(code string) (string, error) {
	code = strings.TrimFunc(code, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' })
	if len(code) != JoinCodeLen {
		return "", Invalid("code", ReasonFormat, JoinCodeLen, "join code must be %d characters", JoinCodeLen)
	}
	b := []byte(code)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		if !strings.ContainsRune(JoinCodeAlphabet, rune(b[i])) {
			return "", Invalid("code", ReasonFormat, 0, "join code contains an invalid character")
		}
	}
	return string(b), nil
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// ValidateSlug checks that s is a URL-safe slug: lower-case letters, digits
// and single dashes, 1–64 characters.
func ValidateSlug(s string) error {
	if len(s) == 0 || len(s) > MaxSlugLen || !slugPattern.MatchString(s) {
		return Invalid("slug", ReasonFormat, MaxSlugLen, "slug must be 1-%d lower-case letters, digits and single dashes", MaxSlugLen)
	}
	return nil
}

// ValidateTimeZone checks that tz names an IANA time zone.
func ValidateTimeZone(tz string) error {
	// "Local" would mean the server's own zone, which differs per machine.
	if tz == "" || tz == "Local" || len(tz) > 64 {
		return Invalid("time_zone", ReasonFormat, 0, "time_zone must be an IANA time zone such as Asia/Tokyo")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return Invalid("time_zone", ReasonFormat, 0, "time_zone %q is not a known IANA time zone", tz)
	}
	return nil
}

// ValidateSpan checks that an end is not before its start.
func ValidateSpan(start, end *time.Time) error {
	if start != nil && end != nil && end.Before(*start) {
		return Invalid("ends_at", ReasonOrder, 0, "ends_at must not be before starts_at")
	}
	return nil
}
