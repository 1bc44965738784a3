package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// testOutbox: every write records its changes, with the origin in its
// context, in the order they happened; a write that changes nothing or
// fails records nothing.
func testOutbox(t *testing.T, s koe.Store) {
	ctx := t.Context()
	start := head(t, s)
	at := time.Date(2030, 5, 17, 10, 0, 0, 123456000, time.UTC)
	staffActor := koe.Actor{Kind: koe.ActorStaff, ID: 7, Via: koe.ViaSession, Addr: "192.0.2.9"}
	staff := koe.WithOrigin(ctx, koe.Origin{Actor: staffActor, At: at})

	e := &koe.Event{Slug: "outbox", Title: "Outbox", TimeZone: "UTC"}
	must(t, "CreateEvent", s.CreateEvent(staff, e))
	e2, err := s.UpdateEvent(staff, e.ID, koe.EventUpdate{Title: ptr("Outbox 2")})
	must(t, "UpdateEvent", err)
	_, err = s.UpdateEvent(staff, e.ID, koe.EventUpdate{Title: ptr("Outbox 2")}) // nothing changes
	must(t, "UpdateEvent(same)", err)
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(t, "CreateTalk", s.CreateTalk(staff, tk))
	p := newParticipant(t, s, e.ID)
	asker := koe.WithOrigin(ctx, koe.Origin{Actor: koe.Actor{Kind: koe.ActorParticipant, ID: p.ID}, At: at.Add(time.Second)})
	q := &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: "Recorded?"}
	must(t, "CreateQuestion", s.CreateQuestion(asker, q, nil))
	tk2, err := s.SetHighlight(staff, e.ID, tk.ID, q.ID)
	must(t, "SetHighlight", err)
	_, err = s.SetHighlight(staff, e.ID, tk.ID, q.ID) // shown already
	must(t, "SetHighlight(again)", err)
	liked, err := s.SetLike(asker, e.ID, tk.ID, q.ID, p.ID, true)
	must(t, "SetLike", err)
	_, err = s.SetLike(asker, e.ID, tk.ID, q.ID, p.ID, true) // liked already
	must(t, "SetLike(again)", err)
	r := &koe.Reply{EventID: e.ID, TalkID: tk.ID, QuestionID: q.ID, Staff: true, Body: "Yes"}
	replied, err := s.CreateReply(staff, r, nil)
	must(t, "CreateReply", err)
	hidden, err := s.UpdateQuestion(staff, e.ID, tk.ID, q.ID, koe.QuestionUpdate{Hidden: ptr(true)})
	must(t, "UpdateQuestion(hide)", err)
	r2 := &koe.Reply{EventID: e.ID, TalkID: tk.ID, QuestionID: q.ID, Staff: true, Body: "Under a hidden question"}
	replied2, err := s.CreateReply(staff, r2, nil)
	must(t, "CreateReply(hidden)", err)
	_, err = s.UpdateQuestion(staff, e.ID, tk.ID, q.ID, koe.QuestionUpdate{Hidden: ptr(true)}) // hidden already
	must(t, "UpdateQuestion(same)", err)
	// Failures record nothing.
	closed, err := s.UpdateTalk(staff, e.ID, tk.ID, koe.TalkUpdate{QAOpen: ptr(false)})
	must(t, "UpdateTalk", err)
	wantCode(t, "CreateQuestion(closed)", s.CreateQuestion(asker, &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: "Too late"}, nil), koe.EQACLOSED)
	_, err = s.UpdateTalk(staff, e.ID, tk.ID, koe.TalkUpdate{QAOpen: ptr(false)}) // closed already
	must(t, "UpdateTalk(same)", err)

	sharedQ := func(q *koe.Question) *koe.Question { c := *q; c.Mine, c.LikedByMe = false, false; return &c }
	askerActor := koe.Actor{Kind: koe.ActorParticipant, ID: p.ID}
	want := []struct {
		typ   koe.ChangeType
		talk  int64
		vis   koe.Visibility
		actor *koe.Actor // nil: not checked (coalesced likes)
		data  any
	}{
		{koe.EventCreated, 0, koe.VisiblePublic, &staffActor, e},
		{koe.EventUpdated, 0, koe.VisiblePublic, &staffActor, e2},
		{koe.TalkCreated, tk.ID, koe.VisiblePublic, &staffActor, tk},
		{koe.QuestionCreated, tk.ID, koe.VisiblePublic, &askerActor, sharedQ(q)},
		{koe.TalkUpdated, tk.ID, koe.VisiblePublic, &staffActor, tk2},
		{koe.QuestionLikes, tk.ID, koe.VisiblePublic, nil, koe.LikeCount{ID: q.ID, Likes: liked.Likes, Version: liked.Version}},
		{koe.ReplyCreated, tk.ID, koe.VisiblePublic, &staffActor, r},
		{koe.QuestionUpdated, tk.ID, koe.VisiblePublic, &staffActor, replied},
		{koe.QuestionUpdated, tk.ID, koe.VisibleStaff, &staffActor, hidden.Question},
		{koe.TalkUpdated, tk.ID, koe.VisiblePublic, &staffActor, hidden.Talk},
		{koe.ReplyCreated, tk.ID, koe.VisibleStaff, &staffActor, r2},
		{koe.QuestionUpdated, tk.ID, koe.VisibleStaff, &staffActor, replied2},
		{koe.TalkUpdated, tk.ID, koe.VisiblePublic, &staffActor, closed},
	}
	got := readAll(t, s, start)
	if len(got) != len(want) {
		for _, c := range got {
			t.Logf("recorded %s %s", c.Type, c.Data)
		}
		t.Fatalf("recorded %d changes, want %d", len(got), len(want))
	}
	for i, w := range want {
		c := got[i]
		what := fmt.Sprintf("change %d (%s)", i, w.typ)
		if c.Type != w.typ || c.EventID != e.ID || c.TalkID != w.talk || c.Visibility != w.vis {
			t.Errorf("%s: got %s event %d talk %d %s; want event %d talk %d %s", what, c.Type, c.EventID, c.TalkID, c.Visibility, e.ID, w.talk, w.vis)
		}
		if w.actor != nil && (c.Actor != *w.actor || !c.At.Equal(originAt(w.actor, at))) {
			t.Errorf("%s: actor %+v at %v; want %+v at %v", what, c.Actor, c.At, *w.actor, originAt(w.actor, at))
		}
		wantJSON, _ := json.Marshal(w.data)
		var g, wv any
		_ = json.Unmarshal(c.Data, &g)
		_ = json.Unmarshal(wantJSON, &wv)
		if gj, _ := json.Marshal(g); string(gj) != string(mustJSON(wv)) {
			t.Errorf("%s: data\n got  %s\n want %s", what, c.Data, wantJSON)
		}
		if i > 0 && !got[i-1].Pos.Before(c.Pos) {
			t.Errorf("%s: position %v not after %v", what, c.Pos, got[i-1].Pos)
		}
	}
	checkHead(t, s, func() {
		_, err := s.UpdateEvent(ctx, e.ID, koe.EventUpdate{Title: ptr("Outbox 3")})
		must(t, "UpdateEvent", err)
	})
}

// checkHead: reading from OutboxHead finds nothing, then exactly the next
// change, made by write.
func checkHead(t *testing.T, s koe.Store, write func()) {
	t.Helper()
	h := head(t, s)
	if got := readAll(t, s, h); len(got) != 0 {
		t.Errorf("after OutboxHead %v: %d changes, want none", h, len(got))
	}
	write()
	if got := readAll(t, s, h); len(got) != 1 {
		t.Errorf("after OutboxHead %v and one write: %d changes, want 1", h, len(got))
	}
}

func originAt(a *koe.Actor, at time.Time) time.Time {
	if a.Kind == koe.ActorParticipant {
		return at.Add(time.Second)
	}
	return at
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// head returns a position after every change the store has committed.
func head(t *testing.T, s koe.Store) koe.OutboxPos {
	t.Helper()
	h, err := s.OutboxHead(t.Context())
	must(t, "OutboxHead", err)
	// The head may lie before changes committed a moment ago (PostgreSQL's
	// horizon is the cluster's: other databases' transactions hold it
	// back); the test's own earlier writes are not what it looks for.
	if all := readAll(t, s, h); len(all) > 0 {
		h = all[len(all)-1].Pos
	}
	return h
}

// readAll reads every change after pos, a few at a time.
func readAll(t *testing.T, s koe.Store, pos koe.OutboxPos) []koe.Change {
	t.Helper()
	var all []koe.Change
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, more, err := s.Changes(t.Context(), pos, 7)
		must(t, "Changes", err)
		all = append(all, got...)
		if len(got) > 0 {
			pos = got[len(got)-1].Pos
		}
		if !more {
			return all
		}
		if len(got) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("Changes keeps saying more without returning any")
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// testOutboxConcurrent: writes racing from many goroutines each appear
// once, in one order that every reader agrees on, and likes committed
// together are recorded with the count they left.
func testOutboxConcurrent(t *testing.T, s koe.Store) {
	ctx := t.Context()
	sc := newScene(t, s, "race")
	q := newQuestion(t, s, sc.talk, sc.p, "liked by many")
	start := head(t, s)
	const writers, each = 16, 20
	people := make([]*koe.Participant, writers)
	for i := range people {
		people[i] = newParticipant(t, s, sc.event.ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := fmt.Sprintf("writer %d question %d", w, i)
				errs <- s.CreateQuestion(ctx, &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: people[w].ID, Body: body}, nil)
				_, err := s.SetLike(ctx, sc.event.ID, sc.talk.ID, q.ID, people[w].ID, i%2 == 0)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "write", err)
	}
	// A store may hold a like count back a moment (to record one per
	// interval rather than one per commit): wait until the last one
	// recorded is the question's.
	final, err := s.Question(ctx, sc.event.ID, sc.talk.ID, q.ID, 0)
	must(t, "Question", err)
	all := readAll(t, s, start)
	for deadline := time.Now().Add(5 * time.Second); !endsWithCount(all, final) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		all = readAll(t, s, start)
	}
	again := readAll(t, s, start)
	if len(all) != len(again) {
		t.Fatalf("two readers saw %d and %d changes", len(all), len(again))
	}
	asked := map[string]bool{}
	var last koe.LikeCount
	for i, c := range all {
		if c.Pos != again[i].Pos {
			t.Fatalf("readers disagree at %d: %v vs %v", i, c.Pos, again[i].Pos)
		}
		switch c.Type {
		case koe.QuestionCreated:
			var got koe.Question
			must(t, "decode", json.Unmarshal(c.Data, &got))
			if asked[got.Body] {
				t.Errorf("question %q recorded twice", got.Body)
			}
			asked[got.Body] = true
		case koe.QuestionLikes:
			var got koe.LikeCount
			must(t, "decode", json.Unmarshal(c.Data, &got))
			if got.Version <= last.Version {
				t.Errorf("like counts out of order: version %d after %d", got.Version, last.Version)
			}
			last = got
		default:
			t.Errorf("unexpected change %s", c.Type)
		}
	}
	if len(asked) != writers*each {
		t.Errorf("recorded %d questions, want %d", len(asked), writers*each)
	}
	if last.Likes != final.Likes || last.Version != final.Version {
		t.Errorf("last recorded like count %+v; the question has %d likes at version %d", last, final.Likes, final.Version)
	}
}

// endsWithCount reports whether the last like count among changes is q's.
func endsWithCount(changes []koe.Change, q *koe.Question) bool {
	for i := len(changes) - 1; i >= 0; i-- {
		if changes[i].Type == koe.QuestionLikes {
			var c koe.LikeCount
			return json.Unmarshal(changes[i].Data, &c) == nil && c.ID == q.ID && c.Likes == q.Likes && c.Version == q.Version
		}
	}
	return false
}

// testOutboxCursors: a consumer's saved position, pruning, and the wake-up
// channel.
func testOutboxCursors(t *testing.T, s koe.Store) {
	ctx := t.Context()
	if _, ok, err := s.OutboxCursor(ctx, "webhooks"); err != nil || ok {
		t.Errorf("OutboxCursor(never saved) = ok %v, %v", ok, err)
	}
	written := s.OutboxWritten()
	select {
	case <-written:
		t.Fatal("OutboxWritten closed before anything was written")
	default:
	}
	sc := newScene(t, s, "cursors")
	select {
	case <-written:
	case <-time.After(10 * time.Second):
		t.Fatal("OutboxWritten not closed after a write")
	}
	newQuestions(t, s, sc.talk, 3)
	all := readAll(t, s, koe.OutboxPos{})
	if len(all) < 5 {
		t.Fatalf("%d changes recorded, want at least 5", len(all))
	}
	mid := all[2].Pos
	must(t, "SaveOutboxCursor", s.SaveOutboxCursor(ctx, "webhooks", mid))
	must(t, "SaveOutboxCursor(again)", s.SaveOutboxCursor(ctx, "webhooks", all[3].Pos))
	if pos, ok, err := s.OutboxCursor(ctx, "webhooks"); err != nil || !ok || pos != all[3].Pos {
		t.Errorf("OutboxCursor = %v, %v, %v; want %v", pos, ok, err, all[3].Pos)
	}

	// Pruning takes what is both old enough and not after upTo.
	if n, err := s.PruneOutbox(ctx, all[0].At.Add(-time.Hour), mid); err != nil || n != 0 {
		t.Errorf("PruneOutbox(nothing old enough) = %d, %v", n, err)
	}
	n, err := s.PruneOutbox(ctx, time.Now().Add(time.Hour), mid)
	if err != nil || n != 3 {
		t.Errorf("PruneOutbox(up to the third) = %d, %v; want 3", n, err)
	}
	rest := readAll(t, s, koe.OutboxPos{})
	if len(rest) != len(all)-3 || rest[0].Pos != all[3].Pos {
		t.Errorf("after pruning: %d changes from %v; want %d from %v", len(rest), rest[0].Pos, len(all)-3, all[3].Pos)
	}
	last := all[len(all)-1].Pos
	if _, err := s.PruneOutbox(ctx, time.Now().Add(time.Hour), last); err != nil {
		t.Fatal(err)
	}
	checkHead(t, s, func() { newQuestions(t, s, sc.talk, 1) })
	if got := readAll(t, s, last); len(got) != 1 || !last.Before(got[0].Pos) {
		t.Errorf("after pruning everything, a new change reads as %v", got)
	}
}

// testLead: one holder of a lease at a time; release and a lost context
// let the next one in.
func testLead(t *testing.T, s koe.Store) {
	ctx := t.Context()
	held, release, err := s.Lead(ctx, "relay")
	must(t, "Lead", err)
	if held.Err() != nil {
		t.Fatal("a lease just taken is already lost")
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, _, err := s.Lead(short, "relay"); err == nil {
		t.Fatal("a second caller got a lease that is held")
	}
	other, releaseOther, err := s.Lead(ctx, "another")
	must(t, "Lead(another name)", err)
	releaseOther()
	if other.Err() == nil {
		t.Error("a released lease's context is not done")
	}
	got := make(chan error, 1)
	go func() {
		_, r, err := s.Lead(ctx, "relay")
		if err == nil {
			r()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	release()
	release() // twice is harmless
	if held.Err() == nil {
		t.Error("a released lease's context is not done")
	}
	select {
	case err := <-got:
		must(t, "Lead after release", err)
	case <-time.After(15 * time.Second):
		t.Fatal("the lease was not passed on after release")
	}
}
