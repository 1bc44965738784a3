package storetest

import (
	"testing"
	"time"

	"github.com/koehq/koe"
)

func testTalks(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "conf")
	other := newEvent(t, s, "other")

	err := s.CreateTalk(ctx, &koe.Talk{EventID: other.ID + 1000, Title: "Lost"})
	wantCode(t, "CreateTalk(missing event)", err, koe.ENOTFOUND)

	nine := time.Date(2030, 5, 17, 9, 0, 0, 0, time.UTC)
	ten := nine.Add(time.Hour)
	t1 := newTalk(t, s, e.ID, &ten)
	t2 := newTalk(t, s, e.ID, nil)
	t3 := newTalk(t, s, e.ID, &nine)
	t4 := newTalk(t, s, e.ID, &ten)
	t5 := newTalk(t, s, e.ID, nil)
	newTalk(t, s, other.ID, &nine)

	if t1.ID == 0 || t1.Version != 1 || t1.HighlightedQuestionID != 0 || !t1.QAOpen || t1.EventID != e.ID {
		t.Errorf("CreateTalk = %+v", t1)
	}
	checkTime(t, "CreatedAt", t1.CreatedAt)
	if !t1.UpdatedAt.Equal(t1.CreatedAt) {
		t.Errorf("UpdatedAt %v != CreatedAt %v on a new talk", t1.UpdatedAt, t1.CreatedAt)
	}

	got, err := s.Talk(ctx, e.ID, t1.ID)
	if err != nil {
		t.Fatalf("Talk: %v", err)
	}
	same(t, "Talk", got, t1)
	_, err = s.Talk(ctx, other.ID, t1.ID)
	wantCode(t, "Talk(other event)", err, koe.ENOTFOUND)
	_, err = s.Talk(ctx, e.ID, t5.ID+1000)
	wantCode(t, "Talk(missing)", err, koe.ENOTFOUND)

	talks, err := s.Talks(ctx, e.ID)
	if err != nil {
		t.Fatalf("Talks: %v", err)
	}
	want := []*koe.Talk{t3, t1, t4, t2, t5} // by start, unscheduled last, then id
	same(t, "Talks", talks, want)

	empty := newEvent(t, s, "empty")
	talks, err = s.Talks(ctx, empty.ID)
	if err != nil || len(talks) != 0 {
		t.Errorf("Talks(event without talks) = %v, %v; want none", talks, err)
	}
	_, err = s.Talks(ctx, empty.ID+1000)
	wantCode(t, "Talks(missing event)", err, koe.ENOTFOUND)
}

func testUpdateTalk(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "conf")
	other := newEvent(t, s, "other")
	starts := time.Date(2030, 5, 17, 9, 0, 0, 999, time.UTC)

	got, err := s.UpdateTalk(ctx, sc.event.ID, sc.talk.ID, koe.TalkUpdate{
		Title:    ptr("Keynote"),
		Speaker:  ptr("Rob"),
		Track:    ptr("Main"),
		StartsAt: ptr(&starts),
		EndsAt:   ptr(ptr(starts.Add(time.Hour))),
		QAOpen:   ptr(false),
	})
	if err != nil {
		t.Fatalf("UpdateTalk: %v", err)
	}
	want := *sc.talk
	want.Title, want.Speaker, want.Track, want.QAOpen = "Keynote", "Rob", "Main", false
	want.StartsAt = ptr(starts.Truncate(time.Microsecond))
	want.EndsAt = ptr(starts.Add(time.Hour).Truncate(time.Microsecond))
	want.Version = 2
	want.UpdatedAt = got.UpdatedAt
	same(t, "UpdateTalk", got, &want)
	checkTime(t, "UpdatedAt", got.UpdatedAt)
	read, err := s.Talk(ctx, sc.event.ID, sc.talk.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "Talk after update", read, got)

	got, err = s.UpdateTalk(ctx, sc.event.ID, sc.talk.ID, koe.TalkUpdate{StartsAt: ptr[*time.Time](nil), QAOpen: ptr(true)})
	if err != nil || got.StartsAt != nil || got.EndsAt == nil || !got.QAOpen || got.Title != "Keynote" || got.Version != 3 {
		t.Errorf("UpdateTalk(clear start, reopen) = %+v, %v", got, err)
	}

	_, err = s.UpdateTalk(ctx, other.ID, sc.talk.ID, koe.TalkUpdate{Title: ptr("x")})
	wantCode(t, "UpdateTalk(other event)", err, koe.ENOTFOUND)
	_, err = s.UpdateTalk(ctx, sc.event.ID, sc.talk.ID+1000, koe.TalkUpdate{Title: ptr("x")})
	wantCode(t, "UpdateTalk(missing)", err, koe.ENOTFOUND)
}

func testParticipants(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e := newEvent(t, s, "conf")
	other := newEvent(t, s, "other")

	p := &koe.Participant{EventID: e.ID, DisplayName: "Ada"}
	if err := s.CreateParticipant(ctx, p); err != nil {
		t.Fatalf("CreateParticipant: %v", err)
	}
	if p.ID == 0 {
		t.Error("CreateParticipant did not set ID")
	}
	checkTime(t, "CreatedAt", p.CreatedAt)
	anon := &koe.Participant{EventID: e.ID}
	if err := s.CreateParticipant(ctx, anon); err != nil || anon.ID == p.ID {
		t.Errorf("CreateParticipant(anonymous) = %+v, %v", anon, err)
	}

	got, err := s.Participant(ctx, e.ID, p.ID)
	if err != nil {
		t.Fatalf("Participant: %v", err)
	}
	same(t, "Participant", got, p)
	_, err = s.Participant(ctx, other.ID, p.ID)
	wantCode(t, "Participant(other event)", err, koe.ENOTFOUND)
	_, err = s.Participant(ctx, e.ID, anon.ID+1000)
	wantCode(t, "Participant(missing)", err, koe.ENOTFOUND)
	err = s.CreateParticipant(ctx, &koe.Participant{EventID: other.ID + 1000})
	wantCode(t, "CreateParticipant(missing event)", err, koe.ENOTFOUND)
}

func testHighlight(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "conf")
	e, tk := sc.event, sc.talk
	qs := newQuestions(t, s, tk, 4)
	neighbour := newTalk(t, s, e.ID, nil)
	elsewhere := newQuestion(t, s, neighbour, sc.p, "in another talk")
	other := newScene(t, s, "other")

	got, err := s.SetHighlight(ctx, e.ID, tk.ID, qs[0].ID)
	if err != nil {
		t.Fatalf("SetHighlight: %v", err)
	}
	if got.HighlightedQuestionID != qs[0].ID || got.Version != tk.Version+1 {
		t.Errorf("SetHighlight = %+v; want question %d, version %d", got, qs[0].ID, tk.Version+1)
	}
	read, err := s.Talk(ctx, e.ID, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "Talk after SetHighlight", read, got)

	// An answered question may be shown; a hidden one may not.
	updateQuestion(t, s, qs[1], koe.QuestionUpdate{Answered: ptr(true)})
	if got, err = s.SetHighlight(ctx, e.ID, tk.ID, qs[1].ID); err != nil || got.HighlightedQuestionID != qs[1].ID {
		t.Errorf("SetHighlight(answered) = %+v, %v", got, err)
	}
	updateQuestion(t, s, qs[2], koe.QuestionUpdate{Hidden: ptr(true)})
	_, err = s.SetHighlight(ctx, e.ID, tk.ID, qs[2].ID)
	wantCode(t, "SetHighlight(hidden)", err, koe.EINVALID)

	_, err = s.SetHighlight(ctx, e.ID, tk.ID, elsewhere.ID)
	wantCode(t, "SetHighlight(question of another talk)", err, koe.ENOTFOUND)
	_, err = s.SetHighlight(ctx, e.ID, tk.ID, elsewhere.ID+1000)
	wantCode(t, "SetHighlight(missing question)", err, koe.ENOTFOUND)
	_, err = s.SetHighlight(ctx, other.event.ID, tk.ID, qs[0].ID)
	wantCode(t, "SetHighlight(talk of another event)", err, koe.ENOTFOUND)
	_, err = s.SetHighlight(ctx, other.event.ID, other.talk.ID, qs[0].ID)
	wantCode(t, "SetHighlight(question of another event)", err, koe.ENOTFOUND)
	if read, err = s.Talk(ctx, e.ID, tk.ID); err != nil || read.HighlightedQuestionID != qs[1].ID || read.Version != tk.Version+2 {
		t.Errorf("failed SetHighlight changed the talk: %+v, %v", read, err)
	}

	cleared, err := s.SetHighlight(ctx, e.ID, tk.ID, 0)
	if err != nil || cleared.HighlightedQuestionID != 0 || cleared.Version != tk.Version+3 {
		t.Errorf("SetHighlight(0) = %+v, %v; want cleared at version %d", cleared, err, tk.Version+3)
	}

	// Hiding the highlighted question clears the highlight, in the same change.
	shown, err := s.SetHighlight(ctx, e.ID, tk.ID, qs[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	c := updateQuestion(t, s, qs[0], koe.QuestionUpdate{Hidden: ptr(true)})
	if c.Talk != nil {
		t.Errorf("hiding a question that is not shown changed the talk: %+v", c.Talk)
	}
	c = updateQuestion(t, s, qs[3], koe.QuestionUpdate{Hidden: ptr(true)})
	if c.Talk == nil || c.Talk.HighlightedQuestionID != 0 || c.Talk.Version != shown.Version+1 {
		t.Fatalf("hiding the highlighted question returned talk %+v; want the highlight cleared at version %d", c.Talk, shown.Version+1)
	}
	read, err = s.Talk(ctx, e.ID, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "Talk after hiding its highlight", read, c.Talk)

	// The neighbouring talk showing a question is not touched by hiding
	// questions of this one.
	if _, err := s.SetHighlight(ctx, e.ID, neighbour.ID, elsewhere.ID); err != nil {
		t.Fatal(err)
	}
	c = updateQuestion(t, s, qs[1], koe.QuestionUpdate{Hidden: ptr(true)})
	if c.Talk != nil {
		t.Errorf("hiding an unshown question changed talk %+v", c.Talk)
	}
	if n, err := s.Talk(ctx, e.ID, neighbour.ID); err != nil || n.HighlightedQuestionID != elsewhere.ID {
		t.Errorf("neighbouring talk lost its highlight: %+v, %v", n, err)
	}
}

// testParticipantIdentity: a person signed in with the OpenID provider is
// one participant per event.
func testParticipantIdentity(t *testing.T, s koe.Store) {
	ctx := t.Context()
	e, other := newEvent(t, s, "signed"), newEvent(t, s, "signed-too")
	p := &koe.Participant{EventID: e.ID, DisplayName: "Ada", OIDCIssuer: "https://id.example", OIDCSubject: "ada"}
	must(t, "CreateParticipant", s.CreateParticipant(ctx, p))
	got, err := s.ParticipantByIdentity(ctx, e.ID, "https://id.example", "ada")
	must(t, "ParticipantByIdentity", err)
	same(t, "ParticipantByIdentity", got, p)
	again := &koe.Participant{EventID: e.ID, OIDCIssuer: "https://id.example", OIDCSubject: "ada"}
	wantCode(t, "CreateParticipant(same identity)", s.CreateParticipant(ctx, again), koe.ECONFLICT)
	// The same person in another event, another person, another issuer,
	// and anonymous participants are all new.
	for _, q := range []*koe.Participant{
		{EventID: other.ID, OIDCIssuer: "https://id.example", OIDCSubject: "ada"},
		{EventID: e.ID, OIDCIssuer: "https://id.example", OIDCSubject: "grace"},
		{EventID: e.ID, OIDCIssuer: "https://other.example", OIDCSubject: "ada"},
		{EventID: e.ID}, {EventID: e.ID},
	} {
		must(t, "CreateParticipant", s.CreateParticipant(ctx, q))
	}
	_, err = s.ParticipantByIdentity(ctx, e.ID, "https://id.example", "nobody")
	wantCode(t, "ParticipantByIdentity(unknown)", err, koe.ENOTFOUND)
	_, err = s.ParticipantByIdentity(ctx, e.ID, "", "")
	wantCode(t, "ParticipantByIdentity(none)", err, koe.ENOTFOUND)
}
