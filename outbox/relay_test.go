package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe"
	"github.com/koehq/koe/internal/testenv"
	"github.com/koehq/koe/store/postgres"
	"github.com/koehq/koe/store/sqlite"
)

// The relay against real stores: SQLite for local and shared consumers in
// one process, PostgreSQL for a shared consumer across two processes (two
// stores on one database). The consumers are fakes that record what they
// are given.

// deadline bounds every wait of these tests.
const deadline = 10 * time.Second

// ---------------------------------------------------------------------------
// Local consumers (SQLite)

// TestLocalFromHeadInOrderOnce: a local consumer starts at the head (what
// was committed before Start is not given to it), then is given every
// change committed after Start exactly once and in commit order, also
// under concurrent writers, and is called with no changes at least once
// per Poll while nothing happens.
func TestLocalFromHeadInOrderOnce(t *testing.T) {
	s := openSQLite(t)
	sc := newScene(t, s, "local", 8) // changes before Start
	liked := ask(t, s, sc, 0, "liked by many")
	before := head(t, s)
	if len(readAll(t, s, koe.OutboxPos{})) == 0 {
		t.Fatal("the scene recorded no changes: nothing to leave out")
	}

	c := &rec{}
	startRelay(t, s, []Consumer{c.consumer("local", false)}, Options{Poll: 50 * time.Millisecond})
	waitFor(t, "the consumer is called", func() bool { return c.callCount() > 0 })
	if got := c.handledChanges(); len(got) != 0 {
		t.Fatalf("before any write after Start the consumer was given %d changes (from %v)", len(got), got[0].Pos)
	}

	// One of each kind of write, one after the other.
	ctx := t.Context()
	q := ask(t, s, sc, 1, "first after start")
	_, err := s.CreateReply(ctx, &koe.Reply{EventID: sc.event.ID, TalkID: sc.talk.ID, QuestionID: q.ID, Staff: true, Body: "Yes"}, nil)
	must(t, "CreateReply", err)
	_, err = s.SetHighlight(ctx, sc.event.ID, sc.talk.ID, q.ID)
	must(t, "SetHighlight", err)
	_, err = s.UpdateQuestion(ctx, sc.event.ID, sc.talk.ID, q.ID, koe.QuestionUpdate{Hidden: ptr(true)})
	must(t, "UpdateQuestion", err)

	// Concurrent writers: 8 goroutines × 50 questions and likes.
	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- s.CreateQuestion(ctx, &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.people[w].ID, Body: fmt.Sprintf("writer %d question %d", w, i)}, nil)
				_, err := s.SetLike(ctx, sc.event.ID, sc.talk.ID, liked.ID, sc.people[w].ID, i%2 == 0)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "concurrent write", err)
	}
	// The store holds a like count back for up to likes.Every before it
	// records it: wait for the last one (a fixed sleep loses it under
	// load).
	final, err := s.Question(ctx, sc.event.ID, sc.talk.ID, liked.ID, 0)
	must(t, "Question", err)
	waitFor(t, "the last like count recorded", func() bool {
		changes := readAll(t, s, before)
		for i := len(changes) - 1; i >= 0; i-- {
			var n koe.LikeCount
			if c := changes[i]; c.Type == koe.QuestionLikes && json.Unmarshal(c.Data, &n) == nil && n.ID == liked.ID {
				return n.Version == final.Version
			}
		}
		return false
	})

	want := readAll(t, s, before)
	asked := 0
	for _, ch := range want {
		if ch.Type == koe.QuestionCreated {
			asked++
		}
	}
	if asked != 1+writers*each {
		t.Fatalf("the outbox holds %d question.created after Start, want %d", asked, 1+writers*each)
	}
	if want[0].Type != koe.QuestionCreated || want[1].Type != koe.ReplyCreated {
		t.Fatalf("the outbox after Start begins with %s, %s; want the first write's changes", want[0].Type, want[1].Type)
	}
	last := want[len(want)-1].Pos
	waitFor(t, "the consumer reaches the last change", func() bool { return c.reached(last) })
	// Anything given twice would come right after: give it a few polls.
	time.Sleep(200 * time.Millisecond)
	sameChanges(t, "given to the local consumer", c.handledChanges(), want)

	// Nothing happens now: still called, with no changes, once per Poll.
	calls := c.callTimes()
	n0 := len(calls)
	time.Sleep(600 * time.Millisecond)
	calls = c.callTimes()[n0:]
	if len(calls) < 5 {
		t.Errorf("idle for 600 ms with Poll 50 ms: called %d times, want at least 5", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].Sub(calls[i-1]); gap > 500*time.Millisecond {
			t.Errorf("idle: %v between two calls with Poll 50 ms", gap)
		}
	}
	if got := c.handledChanges(); len(got) != len(want) {
		t.Errorf("idle: the consumer was given %d more changes", len(got)-len(want))
	}
}

// TestLocalStandby: a local consumer on standby is given nothing; when it
// is needed again it is given what came since about Rewind before, and
// everything after.
func TestLocalStandby(t *testing.T) {
	s := openSQLite(t)
	sc := newScene(t, s, "standby", 1)
	var standby atomic.Bool
	standby.Store(true)
	c := &rec{}
	consumer := c.consumer("standby", false)
	consumer.Standby, consumer.Rewind = standby.Load, 300*time.Millisecond
	stop := startRelay(t, s, []Consumer{consumer}, Options{Poll: 50 * time.Millisecond})
	defer stop()

	old := ask(t, s, sc, 0, "long before") // more than Rewind before the switch
	time.Sleep(800 * time.Millisecond)
	recent := ask(t, s, sc, 0, "just before")
	time.Sleep(100 * time.Millisecond)
	if n := len(c.handledChanges()); n != 0 {
		t.Fatalf("on standby the consumer was given %d changes", n)
	}
	standby.Store(false)
	after := ask(t, s, sc, 0, "after")
	waitFor(t, "the consumer gets the question asked after", func() bool { return c.has(after.ID) })
	if !c.has(recent.ID) {
		t.Error("the question asked just before the switch was not given again")
	}
	if c.has(old.ID) {
		t.Error("the question asked long before the switch was given too: the rewind is not bounded")
	}
}

// has reports whether the consumer was given question.created of id.
func (r *rec) has(id int64) bool {
	for _, ch := range r.handledChanges() {
		var q koe.Question
		if ch.Type == koe.QuestionCreated && json.Unmarshal(ch.Data, &q) == nil && q.ID == id {
			return true
		}
	}
	return false
}

// TestLocalRetriesAfterError: a batch Handle fails comes again, from the
// same position, until it is handled; nothing is skipped or given twice.
func TestLocalRetriesAfterError(t *testing.T) {
	s := openSQLite(t)
	sc := newScene(t, s, "retry", 1)
	q := ask(t, s, sc, 0, "before")
	before := head(t, s)

	const failures = 2
	c := &rec{hook: func(_ context.Context, n int, _ []koe.Change) error {
		if n < failures {
			return errors.New("not now")
		}
		return nil
	}}
	startRelay(t, s, []Consumer{c.consumer("local", false)}, Options{Poll: 50 * time.Millisecond})
	waitFor(t, "the consumer is called", func() bool { return c.callCount() > 0 })

	// A reply records two changes in one transaction: the first batch
	// holds both.
	_, err := s.CreateReply(t.Context(), &koe.Reply{EventID: sc.event.ID, TalkID: sc.talk.ID, QuestionID: q.ID, Staff: true, Body: "Yes"}, nil)
	must(t, "CreateReply", err)
	for i := range 5 {
		ask(t, s, sc, 0, fmt.Sprintf("after %d", i))
	}
	want := readAll(t, s, before)
	waitFor(t, "the consumer reaches the last change", func() bool { return c.reached(want[len(want)-1].Pos) })
	time.Sleep(150 * time.Millisecond)

	batches := c.batchPositions()
	if len(batches) <= failures {
		t.Fatalf("%d batches given, want more than the %d that failed", len(batches), failures)
	}
	if len(batches[0]) < 2 {
		t.Errorf("the first batch holds %d changes, want the reply's 2", len(batches[0]))
	}
	for i := 1; i <= failures; i++ {
		if len(batches[i]) < len(batches[0]) || !slices.Equal(batches[i][:len(batches[0])], batches[0]) {
			t.Errorf("after %d failure(s) the consumer was given %v; want the failed %v again first", i, batches[i], batches[0])
		}
	}
	sameChanges(t, "handled by the consumer", c.handledChanges(), want)
}

// ---------------------------------------------------------------------------
// Shared consumers (SQLite)

// TestSharedSavesCursorEverySaveEvery: a shared consumer's cursor is saved
// at most once per SaveEvery while changes flow, each time after Flush,
// and never past what was handled before the last Flush; at the stop it
// is saved at the last change handled.
func TestSharedSavesCursorEverySaveEvery(t *testing.T) {
	s := openSQLite(t)
	sc := newScene(t, s, "save", 1)
	before := head(t, s)
	const saveEvery = 200 * time.Millisecond

	c := &rec{onFlush: notSavedYet(t, s, "audit")}
	stop := startRelay(t, s, []Consumer{c.consumer("audit", true)}, Options{Poll: 50 * time.Millisecond, SaveEvery: saveEvery})
	waitFor(t, "the consumer is called", func() bool { return c.callCount() > 0 })
	if got := c.handledChanges(); len(got) != 0 {
		t.Fatalf("with no saved cursor the consumer was given %d changes from before Start", len(got))
	}

	// Watch the saved cursor while changes flow: it is always a position
	// the consumer had reached when Flush was called (or where it began).
	ctx := t.Context()
	watching, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-watching:
				return
			case <-time.After(2 * time.Millisecond):
			}
			pos, ok, err := s.OutboxCursor(ctx, "audit")
			if err != nil || !ok {
				continue
			}
			if pos != before && !slices.Contains(c.flushPositions(), pos) {
				t.Errorf("saved cursor %v was not reached before a Flush (flushed at %v)", pos, c.flushPositions())
				return
			}
		}
	}()
	for i := range 50 {
		ask(t, s, sc, 0, fmt.Sprintf("question %d", i))
		time.Sleep(20 * time.Millisecond)
	}
	want := readAll(t, s, before)
	last := want[len(want)-1].Pos
	waitFor(t, "the consumer reaches the last change", func() bool { return c.reached(last) })
	waitFor(t, "the cursor is saved at the last change", func() bool {
		pos, ok, err := s.OutboxCursor(ctx, "audit")
		return err == nil && ok && pos == last
	})
	close(watching)
	<-watched
	flushes := c.flushTimes()
	if len(flushes) < 3 {
		t.Errorf("changes flowed for 1 s with SaveEvery %v: %d saves, want several", saveEvery, len(flushes))
	}
	for i := 1; i < len(flushes); i++ {
		if gap := flushes[i].Sub(flushes[i-1]); gap < saveEvery {
			t.Errorf("saves %d and %d are %v apart, SaveEvery is %v", i-1, i, gap, saveEvery)
		}
	}
	stop()
	sameChanges(t, "handled by the shared consumer", c.handledChanges(), want)
	if pos := cursor(t, s, "audit"); pos != last {
		t.Errorf("after the stop the cursor is %v, want the last change %v", pos, last)
	}
}

// TestSharedSavesOnStopAndResumes: with a SaveEvery longer than the test,
// the cursor is saved only when the relay stops, after Flush, at the last
// change handled; a new relay on the store then gives the consumer
// exactly the changes committed since, and none it had handled.
func TestSharedSavesOnStopAndResumes(t *testing.T) {
	s := openSQLite(t)
	sc := newScene(t, s, "resume", 1)
	before := head(t, s)
	opts := Options{Poll: 50 * time.Millisecond, SaveEvery: time.Hour}

	first := &rec{onFlush: notSavedYet(t, s, "audit")}
	stop := startRelay(t, s, []Consumer{first.consumer("audit", true)}, opts)
	waitFor(t, "the consumer is called", func() bool { return first.callCount() > 0 })
	for i := range 10 {
		ask(t, s, sc, 0, fmt.Sprintf("handled %d", i))
	}
	handled := readAll(t, s, before)
	last := handled[len(handled)-1].Pos
	waitFor(t, "the consumer reaches the last change", func() bool { return first.reached(last) })
	time.Sleep(200 * time.Millisecond) // several polls: no save before SaveEvery
	if pos, ok, err := s.OutboxCursor(t.Context(), "audit"); err != nil || ok && pos != before {
		t.Errorf("before SaveEvery passed the cursor was saved at %v (ok %v, %v); want none or the start %v", pos, ok, err, before)
	}
	if n := len(first.flushTimes()); n != 0 {
		t.Errorf("Flush called %d times before SaveEvery passed", n)
	}
	stop()
	if got := first.flushPositions(); len(got) != 1 || got[0] != last {
		t.Errorf("at the stop Flush was called at %v, want once at %v", got, last)
	}
	if pos := cursor(t, s, "audit"); pos != last {
		t.Fatalf("after the stop the cursor is %v, want the last change handled %v", pos, last)
	}
	sameChanges(t, "handled by the first relay", first.handledChanges(), handled)

	// Committed while no relay runs.
	for i := range 5 {
		ask(t, s, sc, 0, fmt.Sprintf("pending %d", i))
	}
	pending := readAll(t, s, last)
	next := &rec{}
	startRelay(t, s, []Consumer{next.consumer("audit", true)}, opts)
	waitFor(t, "the new relay reaches the last change", func() bool { return next.reached(pending[len(pending)-1].Pos) })
	time.Sleep(150 * time.Millisecond)
	sameChanges(t, "handled by the new relay", next.handledChanges(), pending)
}

// TestSharedResumesWhereItStarted: a shared consumer that has not handled
// anything yet (its Handle fails) and stops leaves its place: the next
// relay gives it every change committed since the first relay started,
// not only those after the new head.
func TestSharedResumesWhereItStarted(t *testing.T) {
	s := openSQLite(t)
	sc := newScene(t, s, "fresh", 1)
	before := head(t, s)
	opts := Options{Poll: 50 * time.Millisecond, SaveEvery: 50 * time.Millisecond}

	failing := &rec{hook: func(context.Context, int, []koe.Change) error { return errors.New("endpoint down") }}
	stop := startRelay(t, s, []Consumer{failing.consumer("webhooks", true)}, opts)
	waitFor(t, "the consumer is called", func() bool { return failing.callCount() > 0 })
	for i := range 5 {
		ask(t, s, sc, 0, fmt.Sprintf("undelivered %d", i))
	}
	want := readAll(t, s, before)
	waitFor(t, "the consumer is given the changes", func() bool { return len(failing.batchPositions()) > 1 })
	stop()
	if got := failing.batchPositions()[0]; got[0] != want[0].Pos {
		t.Fatalf("with no saved cursor the consumer was first given %v, want the first change after the head %v", got[0], want[0].Pos)
	}

	next := &rec{}
	startRelay(t, s, []Consumer{next.consumer("webhooks", true)}, opts)
	waitFor(t, "the new relay calls the consumer", func() bool { return next.callCount() > 1 })
	time.Sleep(150 * time.Millisecond)
	sameChanges(t, "handled by the new relay", next.handledChanges(), want)
}

// ---------------------------------------------------------------------------
// Shared consumers across two processes (PostgreSQL)

// TestSharedHandOverPostgres: two relays, each on its own store on one
// database, run one shared consumer. Only one leads at a time and only
// the leader's consumer is called; when it stops cleanly the other takes
// the lease and goes on after the cursor it saved, so that every change
// is handled exactly once across both.
func TestSharedHandOverPostgres(t *testing.T) {
	url := testenv.PostgresDatabase(t)
	sa, sb := openPostgres(t, url), openPostgres(t, url)
	sc := newScene(t, sa, "handover", 1)
	const name = "realtime"
	opts := Options{Poll: 50 * time.Millisecond, SaveEvery: 100 * time.Millisecond}

	var active, overlaps atomic.Int32
	exclusive := func(context.Context, int, []koe.Change) error {
		if active.Add(1) > 1 {
			overlaps.Add(1)
		}
		time.Sleep(time.Millisecond)
		active.Add(-1)
		return nil
	}
	a, b := &rec{hook: exclusive, always: true}, &rec{hook: exclusive, always: true}
	optsA, optsB := opts, opts
	optsA.Registry, optsB.Registry = prometheus.NewRegistry(), prometheus.NewRegistry()
	stopA := startRelay(t, sa, []Consumer{a.consumer(name, true)}, optsA)
	waitFor(t, "relay A leads", func() bool { return leads(t, optsA.Registry, name) && a.callCount() > 0 })
	stopB := startRelay(t, sb, []Consumer{b.consumer(name, true)}, optsB)
	defer stopB()

	// Sample both gauges throughout: never both 1.
	sampling, sampled := make(chan struct{}), make(chan struct{})
	var both atomic.Int32
	go func() {
		defer close(sampled)
		for {
			select {
			case <-sampling:
				return
			case <-time.After(5 * time.Millisecond):
			}
			if leads(t, optsA.Registry, name) && leads(t, optsB.Registry, name) {
				both.Add(1)
			}
		}
	}()

	start := head(t, sa)
	w := startWriter(t, sa, sc)
	time.Sleep(1200 * time.Millisecond) // B tries the lease (once a second) meanwhile
	if n := b.callCount(); n != 0 || leads(t, optsB.Registry, name) {
		t.Errorf("while A leads, B's consumer was called %d times (leads %v)", n, leads(t, optsB.Registry, name))
	}
	if len(a.handledChanges()) == 0 {
		t.Fatal("the leader handled nothing")
	}

	stopA()
	if leads(t, optsA.Registry, name) {
		t.Error("relay A still leads after it stopped")
	}
	saved := cursor(t, sa, name)
	if got := a.handledChanges(); got[len(got)-1].Pos != saved {
		t.Errorf("A stopped at %v but saved %v", got[len(got)-1].Pos, saved)
	}
	waitFor(t, "relay B leads", func() bool { return leads(t, optsB.Registry, name) })
	time.Sleep(300 * time.Millisecond)
	w.stop()
	all := readAll(t, sa, start)
	if len(all) < 20 {
		t.Fatalf("only %d changes written", len(all))
	}
	waitFor(t, "relay B reaches the last change", func() bool { return b.reached(all[len(all)-1].Pos) })
	time.Sleep(150 * time.Millisecond)
	close(sampling)
	<-sampled

	if n := overlaps.Load(); n > 0 {
		t.Errorf("the two relays' consumers ran at the same time %d times", n)
	}
	if n := both.Load(); n > 0 {
		t.Errorf("koe_outbox_leader was 1 on both relays in %d samples", n)
	}
	if len(b.handledChanges()) == 0 {
		t.Error("the new leader handled nothing after the hand-over")
	}
	sameChanges(t, "B after A's saved cursor", b.handledChanges(), readAll(t, sa, saved))
	sameChanges(t, "A then B", append(a.handledChanges(), b.handledChanges()...), all)
}

// TestSharedLeaseKilledPostgres: the leader's lease connection is killed
// from the server's side. When the holder is gone (its consumer hangs, as
// a dead process would), the other relay takes the lease within a few
// seconds and hands on everything after the last saved cursor. When the
// holder lives on, one of the two leads again and still nothing is lost.
func TestSharedLeaseKilledPostgres(t *testing.T) {
	t.Run("HolderGone", func(t *testing.T) { testLeaseKilled(t, true) })
	t.Run("HolderLives", func(t *testing.T) { testLeaseKilled(t, false) })
}

func testLeaseKilled(t *testing.T, holderGone bool) {
	url := testenv.PostgresDatabase(t)
	sa, sb := openPostgres(t, url), openPostgres(t, url)
	sc := newScene(t, sa, "killed", 1)
	const name = "realtime"
	opts := Options{Poll: 50 * time.Millisecond, SaveEvery: 100 * time.Millisecond}

	// A's consumer hangs, ignoring its context, once frozen: the process
	// is as good as dead and cannot compete for the lease again. It
	// freezes with changes handled after its last save, which the next
	// leader must hand on again.
	var frozen atomic.Bool
	entered, thaw := make(chan struct{}), make(chan struct{})
	var enterOnce, thawOnce sync.Once
	var a *rec
	a = &rec{always: true, hook: func(context.Context, int, []koe.Change) error {
		if !frozen.Load() {
			return nil
		}
		if f := a.flushPositions(); len(f) > 0 && a.reached(f[len(f)-1]) && !a.reached(next(f[len(f)-1])) {
			return nil // nothing handled since the last save yet
		}
		enterOnce.Do(func() { close(entered) })
		<-thaw
		return errors.New("frozen")
	}}
	b := &rec{}
	optsA, optsB := opts, opts
	optsA.Registry, optsB.Registry = prometheus.NewRegistry(), prometheus.NewRegistry()
	stopA := startRelay(t, sa, []Consumer{a.consumer(name, true)}, optsA)
	defer stopA()
	defer thawOnce.Do(func() { close(thaw) }) // before A stops
	waitFor(t, "relay A leads", func() bool { return leads(t, optsA.Registry, name) && a.callCount() > 0 })
	stopB := startRelay(t, sb, []Consumer{b.consumer(name, true)}, optsB)
	defer stopB()

	start := head(t, sa)
	w := startWriter(t, sa, sc)
	defer w.stop()
	waitFor(t, "A saves its cursor a few times", func() bool { return len(a.flushTimes()) >= 3 })
	if holderGone {
		frozen.Store(true)
		select {
		case <-entered:
		case <-time.After(deadline):
			t.Fatal("A's consumer was not called again")
		}
	}
	var saved koe.OutboxPos
	if holderGone {
		// A hangs: this is the last cursor it saves.
		saved = cursor(t, sa, name)
		if !slices.Contains(a.flushPositions(), saved) {
			t.Fatalf("saved cursor %v is not one A flushed at", saved)
		}
		if !a.reached(next(saved)) {
			t.Fatalf("A froze with nothing handled after its saved cursor %v", saved)
		}
	}

	killed := time.Now()
	conn, err := pgx.Connect(t.Context(), url)
	must(t, "connect", err)
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(t.Context(), `
		SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND classid = (($1::bigint >> 32) & x'FFFFFFFF'::bigint)::oid
			AND objid = ($1::bigint & x'FFFFFFFF'::bigint)::oid
			AND objsubid = 1`, leaseKey(name)).Scan(&n)
	must(t, "pg_terminate_backend", err)
	if n != 1 {
		t.Fatalf("terminated %d lease holders, want 1", n)
	}

	if holderGone {
		waitFor(t, "relay B leads", func() bool { return leads(t, optsB.Registry, name) })
		if took := time.Since(killed); took > 5*time.Second {
			t.Errorf("B took the lease %v after the holder's connection died", took)
		}
	} else {
		waitFor(t, "a second leadership begins", func() bool { return len(a.periods())+len(b.periods()) >= 2 })
		if took := time.Since(killed); took > 5*time.Second {
			t.Errorf("leadership came back %v after the holder's connection died", took)
		}
		// A notices the lost lease (its connection is checked once a
		// second) and stops: one leader again.
		waitFor(t, "exactly one relay leads", func() bool {
			return leads(t, optsA.Registry, name) != leads(t, optsB.Registry, name)
		})
	}
	firstPeriod := len(a.periods()[0].handled)
	time.Sleep(300 * time.Millisecond)
	w.stop()
	all := readAll(t, sa, start)
	lastPos := all[len(all)-1].Pos
	waitFor(t, "the leader reaches the last change", func() bool { return a.reached(lastPos) || b.reached(lastPos) })
	time.Sleep(150 * time.Millisecond)

	periods := append(a.periods(), b.periods()...)
	slices.SortFunc(periods, func(x, y period) int { return x.began.Compare(y.began) })
	if len(periods) != 2 {
		t.Fatalf("%d leaderships, want 2 (before and after the kill)", len(periods))
	}
	second := periods[1]
	if n := len(a.periods()[0].handled); n != firstPeriod {
		t.Errorf("the first leadership handled %d more changes after another began and it lost the lease", n-firstPeriod)
	}
	if holderGone {
		if second.rec != b {
			t.Fatal("the second leadership is not B's")
		}
		sameChanges(t, "B after the last saved cursor", second.handled, readAll(t, sa, saved))
		if len(second.handled) == 0 || !a.reached(second.handled[0].Pos) {
			t.Error("B did not hand on again the changes A handled after its last save")
		}
	} else {
		// It began at a cursor A saved (before or during the kill), and
		// went on from there.
		if len(second.handled) == 0 {
			t.Fatal("the second leader handled nothing")
		}
		from := second.handled[0].Pos
		i := slices.IndexFunc(all, func(c koe.Change) bool { return c.Pos == from })
		if i < 0 {
			t.Fatalf("the second leader began at %v, not a change after the start", from)
		}
		began := start
		if i > 0 {
			began = all[i-1].Pos
		}
		if !slices.Contains(a.flushPositions(), began) {
			t.Errorf("the second leader began after %v, not a cursor A saved (%v)", began, a.flushPositions())
		}
		sameChanges(t, "the second leader after the cursor it found", second.handled, all[i:])
	}
	got := map[koe.OutboxPos]bool{}
	for _, p := range periods {
		for _, c := range p.handled {
			got[c.Pos] = true
		}
	}
	for _, c := range all {
		if !got[c.Pos] {
			t.Errorf("change %v (%s) was never handled", c.Pos, c.Type)
		}
	}
	if !holderGone {
		return
	}
	// B saves where it got to; A, thawed, finds its lease lost and saves
	// nothing: the cursor does not go back to where A was.
	waitFor(t, "B saves its cursor at the last change", func() bool { return savedAt(t, sa, name) == lastPos })
	thawOnce.Do(func() { close(thaw) })
	waitFor(t, "A gives up its lost leadership", func() bool { return !leads(t, optsA.Registry, name) })
	time.Sleep(200 * time.Millisecond)
	if pos := savedAt(t, sa, name); pos != lastPos {
		t.Errorf("after the old holder woke up the cursor is %v, want B's %v", pos, lastPos)
	}
	if !leads(t, optsB.Registry, name) {
		t.Error("B no longer leads after the old holder woke up")
	}
}

// next is the position just after p: p.Before(next(p)), and nothing lies
// between them.
func next(p koe.OutboxPos) koe.OutboxPos { return koe.OutboxPos{Tx: p.Tx, ID: p.ID + 1} }

// leaseKey is the advisory lock key of the lease called name, as
// store/postgres computes it.
func leaseKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("koe lease " + name))
	return int64(h.Sum64())
}

// ---------------------------------------------------------------------------
// Pruning

// TestPrune: changes older than the retention that every shared consumer
// has passed are deleted; those a shared consumer has not passed are kept,
// however old; a local consumer holds nothing back.
func TestPrune(t *testing.T) {
	s := openSQLite(t)
	t0 := time.Date(2030, 5, 17, 10, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	ctx := koe.WithOrigin(t.Context(), koe.Origin{Actor: koe.Actor{Kind: koe.ActorSystem}, At: t0})
	e := &koe.Event{Slug: "prune", Title: "Prune", TimeZone: "UTC"}
	must(t, "CreateEvent", s.CreateEvent(ctx, e))
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(t, "CreateTalk", s.CreateTalk(ctx, tk))
	p := &koe.Participant{EventID: e.ID, DisplayName: "Guest"}
	must(t, "CreateParticipant", s.CreateParticipant(ctx, p))
	asks := func(n int, what string) {
		for i := range n {
			must(t, "CreateQuestion", s.CreateQuestion(ctx, &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: fmt.Sprintf("%s %d", what, i)}, nil))
		}
	}
	asks(3, "old")

	var behindFails atomic.Bool
	behindFails.Store(true)
	ahead := &rec{}
	behind := &rec{hook: func(context.Context, int, []koe.Change) error {
		if behindFails.Load() {
			return errors.New("behind")
		}
		return nil
	}}
	local := &rec{hook: func(context.Context, int, []koe.Change) error { return errors.New("local stays behind") }}
	startRelay(t, s, []Consumer{ahead.consumer("ahead", true), behind.consumer("behind", true), local.consumer("local", false)}, Options{
		Poll: 50 * time.Millisecond, SaveEvery: 50 * time.Millisecond,
		Retention: 100 * time.Millisecond, PruneEvery: 50 * time.Millisecond, Now: clk.Now,
	})
	waitFor(t, "every consumer is called", func() bool {
		return ahead.callCount() > 0 && behind.callCount() > 0 && local.callCount() > 0
	})
	started := head(t, s)
	old := readAll(t, s, koe.OutboxPos{})

	asks(5, "new")
	fresh := readAll(t, s, started)
	last := fresh[len(fresh)-1].Pos
	waitFor(t, "ahead saves its cursor at the last change", func() bool { return savedAt(t, s, "ahead") == last })
	waitFor(t, "behind and local are given the changes", func() bool {
		return len(behind.batchPositions()) > 1 && len(local.batchPositions()) > 1
	})

	// Nothing is older than the retention yet.
	time.Sleep(250 * time.Millisecond)
	sameChanges(t, "the outbox while nothing is old", readAll(t, s, koe.OutboxPos{}), append(old, fresh...))

	// An hour later: what both shared consumers passed goes; what behind
	// has not passed stays.
	clk.set(t0.Add(time.Hour))
	waitFor(t, "the changes both passed are pruned", func() bool {
		rest := readAll(t, s, koe.OutboxPos{})
		return len(rest) == 0 || started.Before(rest[0].Pos)
	})
	time.Sleep(250 * time.Millisecond) // several more prunes
	sameChanges(t, "the outbox while behind has not passed the new changes", readAll(t, s, koe.OutboxPos{}), fresh)

	// behind catches up; local still fails and is still at the start.
	behindFails.Store(false)
	waitFor(t, "behind saves its cursor at the last change", func() bool { return savedAt(t, s, "behind") == last })
	sameChanges(t, "handled by behind", behind.handledChanges(), fresh)
	waitFor(t, "the changes every shared consumer passed are pruned", func() bool {
		return len(readAll(t, s, koe.OutboxPos{})) == 0
	})
	if got := local.batchPositions(); len(got) == 0 || got[len(got)-1][0] != fresh[0].Pos || len(local.handledChanges()) != 0 {
		t.Errorf("local was not still behind when the outbox was pruned past it")
	}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// ---------------------------------------------------------------------------
// Helpers

// rec is a consumer that records what it is given.
type rec struct {
	// hook, if set, runs on each batch of changes (on every call if
	// always), outside the lock; n counts the batches of changes before.
	// An error fails the batch.
	hook   func(ctx context.Context, n int, changes []koe.Change) error
	always bool
	// onFlush, if set, runs at each Flush with the last change handled.
	onFlush func(handled koe.OutboxPos)

	mu      sync.Mutex
	calls   []time.Time
	batches [][]koe.OutboxPos // every batch of changes given, handled or not
	handled []koe.Change
	flushes []flush
	leads   []period
	lastCtx context.Context
}

type flush struct {
	at  time.Time
	pos koe.OutboxPos // the last change handled when Flush was called
}

// A period is one leadership of a consumer: the calls with one context.
type period struct {
	rec     *rec
	began   time.Time
	handled []koe.Change
}

func (r *rec) consumer(name string, shared bool) Consumer {
	return Consumer{Name: name, Shared: shared, Handle: r.handle, Flush: r.flush}
}

func (r *rec) handle(ctx context.Context, changes []koe.Change) error {
	r.mu.Lock()
	r.calls = append(r.calls, time.Now())
	if ctx != r.lastCtx {
		r.lastCtx = ctx
		r.leads = append(r.leads, period{rec: r, began: time.Now()})
	}
	n := len(r.batches)
	if len(changes) > 0 {
		pos := make([]koe.OutboxPos, len(changes))
		for i, c := range changes {
			pos[i] = c.Pos
		}
		r.batches = append(r.batches, pos)
	}
	r.mu.Unlock()
	if r.hook != nil && (len(changes) > 0 || r.always) {
		if err := r.hook(ctx, n, changes); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handled = append(r.handled, changes...)
	p := &r.leads[len(r.leads)-1]
	p.handled = append(p.handled, changes...)
	return nil
}

func (r *rec) flush() {
	r.mu.Lock()
	f := flush{at: time.Now()}
	if len(r.handled) > 0 {
		f.pos = r.handled[len(r.handled)-1].Pos
	}
	r.flushes = append(r.flushes, f)
	r.mu.Unlock()
	if r.onFlush != nil {
		r.onFlush(f.pos)
	}
}

// notSavedYet is an onFlush that fails t if the cursor is saved at the
// position handled already when Flush is called: it must be saved after.
func notSavedYet(t *testing.T, s koe.Outbox, consumer string) func(koe.OutboxPos) {
	return func(handled koe.OutboxPos) {
		pos, ok, err := s.OutboxCursor(context.Background(), consumer)
		if err != nil {
			t.Errorf("OutboxCursor: %v", err)
		} else if ok && pos == handled {
			t.Errorf("the cursor was saved at %v before Flush was called", pos)
		}
	}
}

func (r *rec) callCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *rec) callTimes() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func (r *rec) batchPositions() [][]koe.OutboxPos {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

func (r *rec) handledChanges() []koe.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.handled)
}

// reached reports whether the consumer has handled the change at pos.
func (r *rec) reached(pos koe.OutboxPos) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.handled) > 0 && !r.handled[len(r.handled)-1].Pos.Before(pos)
}

func (r *rec) flushTimes() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]time.Time, len(r.flushes))
	for i, f := range r.flushes {
		out[i] = f.at
	}
	return out
}

func (r *rec) flushPositions() []koe.OutboxPos {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]koe.OutboxPos, len(r.flushes))
	for i, f := range r.flushes {
		out[i] = f.pos
	}
	return out
}

func (r *rec) periods() []period {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]period, len(r.leads))
	for i, p := range r.leads {
		out[i] = p
		out[i].handled = slices.Clone(p.handled)
	}
	return out
}

// startRelay runs a relay of consumers on s, with a registry of its own
// unless opts has one, and returns the function that stops it and waits
// for it (also run when t ends, before the stores close).
func startRelay(t *testing.T, s koe.Outbox, consumers []Consumer, opts Options) (stop func()) {
	t.Helper()
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	wait, err := New(s, consumers, opts).Start(ctx)
	if err != nil {
		cancel()
		t.Fatalf("Start: %v", err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			done := make(chan struct{})
			go func() { wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(deadline):
				t.Errorf("the relay did not stop within %v", deadline)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// leads reads koe_outbox_leader of consumer from reg.
func leads(t *testing.T, reg prometheus.Registerer, consumer string) bool {
	mfs, err := reg.(*prometheus.Registry).Gather()
	if err != nil {
		t.Errorf("gather: %v", err)
		return false
	}
	for _, mf := range mfs {
		if mf.GetName() != "koe_outbox_leader" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "consumer" && l.GetValue() == consumer {
					return m.GetGauge().GetValue() == 1
				}
			}
		}
	}
	return false
}

// writer writes questions to the store until stopped.
type writer struct {
	stop func()
}

func startWriter(t *testing.T, s koe.Store, sc scene) *writer {
	// Each write runs to its end: a write cancelled half-way may still
	// commit after stop returned, and the tests compare what was written
	// once it has.
	var stopping atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; !stopping.Load(); i++ {
			err := s.CreateQuestion(t.Context(), &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.people[0].ID, Body: fmt.Sprintf("question %d", i)}, nil)
			if err != nil {
				t.Errorf("CreateQuestion: %v", err)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var once sync.Once
	return &writer{stop: func() { once.Do(func() { stopping.Store(true); <-done }) }}
}

type scene struct {
	event  *koe.Event
	talk   *koe.Talk
	people []*koe.Participant
}

func newScene(t *testing.T, s koe.Store, slug string, people int) scene {
	t.Helper()
	ctx := t.Context()
	sc := scene{event: &koe.Event{Slug: slug, Title: "Event " + slug, TimeZone: "UTC"}}
	must(t, "CreateEvent", s.CreateEvent(ctx, sc.event))
	sc.talk = &koe.Talk{EventID: sc.event.ID, Title: "Talk", QAOpen: true}
	must(t, "CreateTalk", s.CreateTalk(ctx, sc.talk))
	for range people {
		p := &koe.Participant{EventID: sc.event.ID, DisplayName: "Guest"}
		must(t, "CreateParticipant", s.CreateParticipant(ctx, p))
		sc.people = append(sc.people, p)
	}
	return sc
}

func ask(t *testing.T, s koe.Store, sc scene, who int, body string) *koe.Question {
	t.Helper()
	q := &koe.Question{EventID: sc.event.ID, TalkID: sc.talk.ID, ParticipantID: sc.people[who].ID, Body: body}
	must(t, "CreateQuestion", s.CreateQuestion(t.Context(), q, nil))
	return q
}

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "koe.db"))
	must(t, "sqlite.Open", err)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func openPostgres(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url)
	must(t, "postgres.Open", err)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func head(t *testing.T, s koe.Outbox) koe.OutboxPos {
	t.Helper()
	h, err := s.OutboxHead(t.Context())
	must(t, "OutboxHead", err)
	return h
}

// cursor returns the saved cursor of consumer, failing if there is none.
func cursor(t *testing.T, s koe.Outbox, consumer string) koe.OutboxPos {
	t.Helper()
	pos, ok, err := s.OutboxCursor(t.Context(), consumer)
	must(t, "OutboxCursor", err)
	if !ok {
		t.Fatalf("no cursor saved for %s", consumer)
	}
	return pos
}

// savedAt returns the saved cursor of consumer (zero if none).
func savedAt(t *testing.T, s koe.Outbox, consumer string) koe.OutboxPos {
	t.Helper()
	pos, _, err := s.OutboxCursor(t.Context(), consumer)
	must(t, "OutboxCursor", err)
	return pos
}

// readAll reads every change after pos.
func readAll(t *testing.T, s koe.Outbox, pos koe.OutboxPos) []koe.Change {
	t.Helper()
	var all []koe.Change
	end := time.Now().Add(deadline)
	for {
		got, more, err := s.Changes(t.Context(), pos, 100)
		must(t, "Changes", err)
		all = append(all, got...)
		if len(got) > 0 {
			pos = got[len(got)-1].Pos
		}
		if !more {
			return all
		}
		if len(got) == 0 {
			if time.Now().After(end) {
				t.Fatal("Changes keeps saying more without returning any")
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// sameChanges compares changes by position and type.
func sameChanges(t *testing.T, what string, got, want []koe.Change) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if got[i].Pos != want[i].Pos || got[i].Type != want[i].Type {
			t.Errorf("%s: change %d is %s at %v, want %s at %v", what, i, got[i].Type, got[i].Pos, want[i].Type, want[i].Pos)
			return
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d changes, want %d", what, len(got), len(want))
	}
}

// waitFor polls cond until it holds, failing after deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting until %s", deadline, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ptr[T any](v T) *T { return &v }
