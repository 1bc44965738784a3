package postgres

import (
	"bytes"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/internal/testenv"
	"github.com/koehq/koe/store/storetest"
)

// openAt opens the store at url and closes it when tb ends.
func openAt(tb testing.TB, url string, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), url, opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// openTemp opens a store on a new, empty database of its own.
func openTemp(tb testing.TB, opts ...Option) *Store {
	tb.Helper()
	return openAt(tb, testenv.PostgresDatabase(tb), opts...)
}

func TestConformance(t *testing.T) {
	testenv.PostgresURL(t)
	storetest.Run(t, func(t *testing.T) koe.Store { return openTemp(t) })
	storetest.RunClocked(t, func(t *testing.T, now func() time.Time) koe.Store { return openTemp(t, WithNow(now)) })
}

// TestReplicas opens two stores on one database, as two koe processes
// would, at the same moment so that their migrations race, and checks that
// each sees the other's writes and that they share secrets and likes.
func TestReplicas(t *testing.T) {
	url := testenv.PostgresDatabase(t)
	ctx := t.Context()

	const n = 4
	stores := make([]*Store, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(ctx, url) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("Open #%d: %v", i, errs[i])
		}
		t.Cleanup(func() { must(t, s.Close()) })
		if v, err := s.SchemaVersion(ctx); err != nil || v != latestMigration(t) {
			t.Errorf("store %d: SchemaVersion = %d, %v; want %d", i, v, err, latestMigration(t))
		}
	}
	a, b := stores[0], stores[1]

	// Secrets: racing creators in both processes agree on one value.
	secrets := make([][]byte, 16)
	for i := range secrets {
		s := stores[i%n]
		wg.Go(func() {
			var err error
			secrets[i], err = s.Secret(ctx, "signing", func() ([]byte, error) {
				v := make([]byte, 32)
				_, err := rand.Read(v)
				return v, err
			})
			if err != nil {
				t.Errorf("Secret: %v", err)
			}
		})
	}
	wg.Wait()
	for i := range secrets {
		if !bytes.Equal(secrets[i], secrets[0]) {
			t.Fatalf("Secret: caller %d got %x, caller 0 got %x", i, secrets[i], secrets[0])
		}
	}

	// Writes of one are read by the other.
	e := &koe.Event{Slug: "conf", Title: "Conf", TimeZone: "UTC"}
	must(t, a.CreateEvent(ctx, e))
	got, err := b.EventByJoinCode(ctx, e.JoinCode)
	must(t, err)
	if got.ID != e.ID || !got.CreatedAt.Equal(e.CreatedAt) {
		t.Errorf("B reads event %+v, A created %+v", got, e)
	}
	err = b.CreateEvent(ctx, &koe.Event{Slug: "conf", Title: "Again", TimeZone: "UTC"})
	if koe.ErrorCode(err) != koe.ECONFLICT {
		t.Errorf("B creating A's slug: %v, want %s", err, koe.ECONFLICT)
	}
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(t, b.CreateTalk(ctx, tk))
	p := &koe.Participant{EventID: e.ID}
	must(t, a.CreateParticipant(ctx, p))
	q := &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: "Shared?"}
	must(t, b.CreateQuestion(ctx, q, nil))
	closed := false
	_, err = a.UpdateTalk(ctx, e.ID, tk.ID, koe.TalkUpdate{QAOpen: &closed})
	must(t, err)
	err = b.CreateQuestion(ctx, &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: "Late"}, nil)
	if koe.ErrorCode(err) != koe.EQACLOSED {
		t.Errorf("B asking after A closed the talk: %v, want %s", err, koe.EQACLOSED)
	}

	// Likes through every store at once stay exact.
	const likers = 32
	var mu sync.Mutex
	changes := 0
	for i := range likers {
		s := stores[i%n]
		wg.Go(func() {
			p := &koe.Participant{EventID: e.ID}
			if err := s.CreateParticipant(ctx, p); err != nil {
				t.Error(err)
				return
			}
			for j := range 20 {
				res, err := s.SetLike(ctx, e.ID, tk.ID, q.ID, p.ID, j%3 != 2)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Changed {
					mu.Lock()
					changes++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, s := range []*Store{a, b} {
		got, err := s.Question(ctx, e.ID, tk.ID, q.ID, 0)
		must(t, err)
		// Each liker ends on j = 19: 19%3 = 1, a like.
		if got.Likes != likers || got.Version != int64(1+changes) {
			t.Errorf("question after racing likes: %d likes, version %d; want %d, %d", got.Likes, got.Version, likers, 1+changes)
		}
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	url := testenv.PostgresDatabase(t)
	for i := range 2 {
		s, err := Open(t.Context(), url)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		v, err := s.SchemaVersion(t.Context())
		if err != nil || v != latestMigration(t) {
			t.Errorf("Open #%d: SchemaVersion = %d, %v; want %d", i+1, v, err, latestMigration(t))
		}
		must(t, s.Close())
	}
}

// TestUTCWhateverTheSessionZone: the conformance suite checks times come
// back in UTC; here the database's own time zone is not UTC.
func TestUTCWhateverTheSessionZone(t *testing.T) {
	tick := time.Date(2030, 5, 17, 10, 0, 0, 123456789, time.FixedZone("JST", 9*60*60))
	s := openTemp(t, WithNow(func() time.Time { return tick }))
	ctx := t.Context()
	e := &koe.Event{Slug: "conf", Title: "Conf", TimeZone: "Asia/Tokyo", StartsAt: &tick}
	must(t, s.CreateEvent(ctx, e))
	want := time.Date(2030, 5, 17, 1, 0, 0, 123456000, time.UTC)
	// Whatever the session's time zone, times come back in UTC.
	_, err := s.pool.Exec(ctx, `ALTER DATABASE `+currentDatabase(t, s)+` SET timezone = 'Asia/Tokyo'`)
	must(t, err)
	s2 := openAt(t, s.pool.Config().ConnString())
	got, err := s2.Event(ctx, e.ID)
	must(t, err)
	if got.CreatedAt != want || *got.StartsAt != want {
		t.Errorf("in a Tokyo session: %#v, %#v; want %#v", got.CreatedAt, *got.StartsAt, want)
	}
}

func currentDatabase(t *testing.T, s *Store) string {
	var name string
	must(t, s.pool.QueryRow(t.Context(), `SELECT current_database()`).Scan(&name))
	return name
}

// TestUnlikeSeesConcurrentLike races a like and an unlike of the same
// participant, again and again: whichever runs second must see the first,
// so that the count, the rows and the answers agree.
func TestUnlikeSeesConcurrentLike(t *testing.T) {
	url := testenv.PostgresDatabase(t)
	s := openAt(t, url)
	// The unlikes go through another store, as from another process, so
	// that they are never in the same group as the likes.
	other := openAt(t, url)
	ctx := t.Context()
	e := &koe.Event{Slug: "conf", Title: "Conf", TimeZone: "UTC"}
	must(t, s.CreateEvent(ctx, e))
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(t, s.CreateTalk(ctx, tk))
	p := &koe.Participant{EventID: e.ID}
	must(t, s.CreateParticipant(ctx, p))
	q := &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: "?"}
	must(t, s.CreateQuestion(ctx, q, nil))

	liked := false
	for i := range 200 {
		var wg sync.WaitGroup
		var res [2]*koe.LikeResult
		var errs [2]error
		for j, st := range []*Store{s, other} {
			wg.Go(func() { res[j], errs[j] = st.SetLike(ctx, e.ID, tk.ID, q.ID, p.ID, j == 0) })
		}
		wg.Wait()
		must(t, errs[0])
		must(t, errs[1])
		// One order explains both answers: after the like one like is
		// left, after the unlike none, and the second changed something.
		l, u := res[0], res[1]
		likeFirst := l.Changed == !liked && u.Changed && u.Version == l.Version+1
		unlikeFirst := u.Changed == liked && l.Changed && l.Version == u.Version+1
		if l.Likes != 1 || u.Likes != 0 || !likeFirst && !unlikeFirst {
			t.Fatalf("round %d, liked %v before: like %+v, unlike %+v", i, liked, *res[0], *res[1])
		}
		liked = unlikeFirst
	}
	got, err := s.Question(ctx, e.ID, tk.ID, q.ID, p.ID)
	must(t, err)
	if got.LikedByMe != liked || got.Likes != map[bool]int{false: 0, true: 1}[liked] {
		t.Errorf("after the races: %+v, want liked %v", got, liked)
	}
}

func TestClose(t *testing.T) {
	s, err := Open(t.Context(), testenv.PostgresDatabase(t))
	must(t, err)
	must(t, s.Close())
	must(t, s.Close())
	err = s.CreateEvent(t.Context(), &koe.Event{Slug: "late", Title: "Late", TimeZone: "UTC"})
	if koe.ErrorCode(err) != koe.EUNAVAILABLE {
		t.Errorf("CreateEvent after Close: %v, want %s", err, koe.EUNAVAILABLE)
	}
	_, err = s.SetLike(t.Context(), 1, 1, 1, 1, true)
	if koe.ErrorCode(err) != koe.EUNAVAILABLE {
		t.Errorf("SetLike after Close: %v, want %s", err, koe.EUNAVAILABLE)
	}
	if err := s.Ping(t.Context()); koe.ErrorCode(err) != koe.EUNAVAILABLE {
		t.Errorf("Ping after Close: %v, want %s", err, koe.EUNAVAILABLE)
	}
}

// TestOpenUnreachable opens a store where no server listens.
func TestOpenUnreachable(t *testing.T) {
	url := testenv.WithHost(t, testenv.PostgresDatabase(t), closedPort(t))
	start := time.Now()
	s, err := Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded with no server")
	}
	if koe.ErrorCode(err) != koe.EUNAVAILABLE || koe.ErrorMessage(err) != "database unavailable" {
		t.Errorf("Open with no server: %v (code %s), want %s", err, koe.ErrorCode(err), koe.EUNAVAILABLE)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Open took %v to fail", d)
	}
}

// TestServerLost cuts the connection to the server, as a crash or a network
// failure would, and restores it: while it is cut every call fails with
// EUNAVAILABLE, soon, and once it is back the same store works again.
func TestServerLost(t *testing.T) {
	url := testenv.PostgresDatabase(t)
	px := startProxy(t, hostPort(t, url))
	s := openAt(t, testenv.WithHost(t, url, px.addr), WithTimeout(3*time.Second))
	ctx := t.Context()

	e := &koe.Event{Slug: "conf", Title: "Conf", TimeZone: "UTC"}
	must(t, s.CreateEvent(ctx, e))
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(t, s.CreateTalk(ctx, tk))
	p := &koe.Participant{EventID: e.ID}
	must(t, s.CreateParticipant(ctx, p))
	q := &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: "Still there?"}
	must(t, s.CreateQuestion(ctx, q, nil))
	_, err := s.SetLike(ctx, e.ID, tk.ID, q.ID, p.ID, true)
	must(t, err)

	calls := map[string]func() error{
		"Ping":  func() error { return s.Ping(ctx) },
		"Event": func() error { _, err := s.Event(ctx, e.ID); return err },
		"Questions": func() error {
			_, err := s.Questions(ctx, koe.QuestionQuery{EventID: e.ID, TalkID: tk.ID})
			return err
		},
		"SetLike": func() error { _, err := s.SetLike(ctx, e.ID, tk.ID, q.ID, p.ID, false); return err },
		"CreateQuestion": func() error {
			return s.CreateQuestion(ctx, &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: "?"}, nil)
		},
		"UpdateTalk": func() error { _, err := s.UpdateTalk(ctx, e.ID, tk.ID, koe.TalkUpdate{}); return err },
		"Secret": func() error {
			_, err := s.Secret(ctx, "new", func() ([]byte, error) { return []byte("x"), nil })
			return err
		},
	}
	for _, mode := range []string{"cut", "stall"} {
		t.Run(mode, func(t *testing.T) {
			if mode == "cut" {
				px.cut()
			} else {
				px.stall()
			}
			var wg sync.WaitGroup
			for name, call := range calls {
				wg.Go(func() {
					start := time.Now()
					err := call()
					if koe.ErrorCode(err) != koe.EUNAVAILABLE {
						t.Errorf("%s with the server %s: %v (code %s), want %s", name, mode, err, koe.ErrorCode(err), koe.EUNAVAILABLE)
					}
					if d := time.Since(start); d > 8*time.Second {
						t.Errorf("%s took %v to fail", name, d)
					}
				})
			}
			wg.Wait()

			px.resume()
			// The first call may still meet a connection broken by the cut
			// that the pool has not tested yet; within seconds all work.
			deadline := time.Now().Add(15 * time.Second)
			for s.Ping(ctx) != nil || func() error { _, err := s.Event(ctx, e.ID); return err }() != nil {
				if time.Now().After(deadline) {
					t.Fatal("the store did not recover within 15 s")
				}
				time.Sleep(100 * time.Millisecond)
			}
			for range 3 { // enough rounds to meet every pooled connection
				for name, call := range calls {
					if err := call(); err != nil {
						t.Errorf("%s after the server came back: %v", name, err)
					}
				}
			}
			got, err := s.Question(ctx, e.ID, tk.ID, q.ID, p.ID)
			must(t, err)
			var rows int
			must(t, s.pool.QueryRow(ctx, `SELECT count(*) FROM likes WHERE question_id = $1`, q.ID).Scan(&rows))
			if got.Likes != rows {
				t.Errorf("after the outage: %d likes counted, %d rows", got.Likes, rows)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// latestMigration is the version of the newest embedded migration.
func latestMigration(t *testing.T) int64 {
	t.Helper()
	entries, err := embedded.ReadDir("migrations")
	if err != nil || len(entries) == 0 {
		t.Fatalf("migrations: %v", err)
	}
	return int64(len(entries))
}
