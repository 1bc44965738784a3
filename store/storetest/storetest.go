// Package storetest is the conformance suite of koe.Store. Every
// implementation runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) koe.Store {
//			s := open(...) // a new, empty store
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite relies only on the koe.Store contract: times are compared with
// the values the store itself returned, never with the test's clock.
package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// Run runs every conformance test as a subtest. open must return a new,
// empty store for each call and close it when t ends. Subtests never run in
// parallel, so open may, for example, recreate one database's schema.
func Run(t *testing.T, open func(t *testing.T) koe.Store) {
	tests := []struct {
		name string
		run  func(*testing.T, koe.Store)
	}{
		{"Ping", testPing},
		{"Secret", testSecret},
		{"SecretConcurrent", testSecretConcurrent},
		{"CreateEvent", testCreateEvent},
		{"JoinCodes", testJoinCodes},
		{"UpdateEvent", testUpdateEvent},
		{"ConcurrentCreates", testConcurrentCreates},
		{"Talks", testTalks},
		{"UpdateTalk", testUpdateTalk},
		{"Participants", testParticipants},
		{"ParticipantIdentity", testParticipantIdentity},
		{"CreateQuestion", testCreateQuestion},
		{"QAClosed", testQAClosed},
		{"QuestionLists", testQuestionLists},
		{"AnsweredOrder", testAnsweredOrder},
		{"Paging", testPaging},
		{"PageSize", testPageSize},
		{"UpdateQuestion", testUpdateQuestion},
		{"Highlight", testHighlight},
		{"Replies", testReplies},
		{"Likes", testLikes},
		{"ExactLikes", testExactLikes},
		{"Outbox", testOutbox},
		{"OutboxConcurrent", testOutboxConcurrent},
		{"OutboxCursors", testOutboxCursors},
		{"Lead", testLead},
		{"Accounts", testAccounts},
		{"Sessions", testSessions},
		{"Memberships", testMemberships},
		{"Invitations", testInvitations},
		{"APITokens", testAPITokens},
		{"Setup", testSetup},
		{"RotateSession", testRotateSession},
		{"SessionChanges", testSessionChanges},
		{"PruneSignIns", testPruneSignIns},
		{"Passkeys", testPasskeys},
		{"PasskeyCeremonies", testPasskeyCeremonies},
		{"Audit", testAudit},
		{"Reviews", testReviews},
		{"DecisionRace", testDecisionRace},
		{"Bans", testBans},
		{"ModeratedReplies", testModeratedReplies},
		{"Sources", testSources},
		{"Ingest", testIngest},
		{"IngestConcurrent", testIngestConcurrent},
		{"PostLists", testPostLists},
		{"Feature", testFeature},
		{"FeatureConcurrent", testFeatureConcurrent},
		{"PostReviews", testPostReviews},
		{"Webhooks", testWebhooks},
		{"EnqueueConcurrent", testEnqueueConcurrent},
		{"Deliveries", testDeliveries},
		{"Slack", testSlack},
		{"EventLogo", testEventLogo},
		{"ScreenLinks", testScreenLinks},
		{"Reactions", testReactions},
		{"Polls", testPolls},
		{"ExactVotes", testExactVotes},
		{"PollAnswers", testPollAnswers},
		{"TalkQuestions", testTalkQuestions},
		{"ListMarks", testListMarks},
		// schedule: begin
		{"TalkScheduleFields", testTalkScheduleFields},
		{"ApplySchedule", testApplySchedule},
		{"ScheduleSources", testScheduleSources},
		{"ReportCounts", testReportCounts},
		{"PresencePeaks", testPresencePeaks},
		// schedule: end
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open(t)) })
	}
}

func testPing(t *testing.T, s koe.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// scene is the start of most tests: an event with an open talk and a
// participant.
type scene struct {
	event *koe.Event
	talk  *koe.Talk
	p     *koe.Participant
}

func newScene(t *testing.T, s koe.Store, slug string) scene {
	t.Helper()
	e := newEvent(t, s, slug)
	return scene{event: e, talk: newTalk(t, s, e.ID, nil), p: newParticipant(t, s, e.ID)}
}

func newEvent(t *testing.T, s koe.Store, slug string) *koe.Event {
	t.Helper()
	e := &koe.Event{Slug: slug, Title: "Event " + slug, TimeZone: "Asia/Tokyo"}
	if err := s.CreateEvent(t.Context(), e); err != nil {
		t.Fatalf("CreateEvent(%s): %v", slug, err)
	}
	return e
}

// newTalk creates an open talk starting at startsAt (nil: unscheduled).
func newTalk(t *testing.T, s koe.Store, eventID int64, startsAt *time.Time) *koe.Talk {
	t.Helper()
	tk := &koe.Talk{EventID: eventID, Title: "Talk", Speaker: "Speaker", Track: "A", StartsAt: startsAt, QAOpen: true}
	if err := s.CreateTalk(t.Context(), tk); err != nil {
		t.Fatalf("CreateTalk: %v", err)
	}
	return tk
}

func newParticipant(t *testing.T, s koe.Store, eventID int64) *koe.Participant {
	t.Helper()
	p := &koe.Participant{EventID: eventID, DisplayName: "Guest"}
	if err := s.CreateParticipant(t.Context(), p); err != nil {
		t.Fatalf("CreateParticipant: %v", err)
	}
	return p
}

func newQuestion(t *testing.T, s koe.Store, tk *koe.Talk, p *koe.Participant, body string) *koe.Question {
	t.Helper()
	q := &koe.Question{EventID: tk.EventID, TalkID: tk.ID, ParticipantID: p.ID, AuthorName: p.DisplayName, Body: body}
	if err := s.CreateQuestion(t.Context(), q, nil); err != nil {
		t.Fatalf("CreateQuestion(%q): %v", body, err)
	}
	return q
}

// newQuestions asks n questions in tk, each by a new participant.
func newQuestions(t *testing.T, s koe.Store, tk *koe.Talk, n int) []*koe.Question {
	t.Helper()
	qs := make([]*koe.Question, n)
	for i := range qs {
		qs[i] = newQuestion(t, s, tk, newParticipant(t, s, tk.EventID), fmt.Sprintf("question %d", i+1))
	}
	return qs
}

// likeBy makes n new participants like q.
func likeBy(t *testing.T, s koe.Store, q *koe.Question, n int) {
	t.Helper()
	for range n {
		p := newParticipant(t, s, q.EventID)
		if _, err := s.SetLike(t.Context(), q.EventID, q.TalkID, q.ID, p.ID, true); err != nil {
			t.Fatalf("SetLike: %v", err)
		}
	}
}

func updateQuestion(t *testing.T, s koe.Store, q *koe.Question, u koe.QuestionUpdate) *koe.UpdatedQuestion {
	t.Helper()
	c, err := s.UpdateQuestion(t.Context(), q.EventID, q.TalkID, q.ID, u)
	if err != nil {
		t.Fatalf("UpdateQuestion(%d): %v", q.ID, err)
	}
	return c
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := koe.ErrorCode(err); got != code {
		t.Errorf("%s: error %v, want code %s", what, err, code)
	}
}

// same compares the JSON forms of got and want, which covers every client
// visible field and shows a difference readably. Times compare equal only
// when they are the same instant in the same zone, as the suite requires.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// checkTime checks that a time set by the store is as the contract says:
// set, UTC, whole microseconds.
func checkTime(t *testing.T, what string, tm time.Time) {
	t.Helper()
	if tm.IsZero() || tm.Location() != time.UTC || tm.Nanosecond()%1000 != 0 {
		t.Errorf("%s = %v, want a UTC time in whole microseconds", what, tm)
	}
}

func ptr[T any](v T) *T { return &v }

// ids returns the ids of qs, for readable comparisons.
func ids(qs []*koe.Question) []int64 {
	out := make([]int64, len(qs))
	for i, q := range qs {
		out[i] = q.ID
	}
	return out
}
