package sqlite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/store/storetest"
)

// openAt opens the store at path and closes it when tb ends.
func openAt(tb testing.TB, path string, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(tb.Context(), path, opts...)
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

func openTemp(tb testing.TB, opts ...Option) *Store {
	tb.Helper()
	return openAt(tb, filepath.Join(tb.TempDir(), "koe.db"), opts...)
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) koe.Store { return openTemp(t) })
	storetest.RunClocked(t, func(t *testing.T, now func() time.Time) koe.Store { return openTemp(t, WithNow(now)) })
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "koe.db")
	ctx := t.Context()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	e := &koe.Event{Slug: "conf", Title: "Conf", TimeZone: "UTC"}
	must(t, s.CreateEvent(ctx, e))
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(t, s.CreateTalk(ctx, tk))
	p := &koe.Participant{EventID: e.ID, DisplayName: "Ada"}
	must(t, s.CreateParticipant(ctx, p))
	q := &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: p.ID, Body: "Durable?"}
	must(t, s.CreateQuestion(ctx, q, nil))
	_, err = s.SetLike(ctx, e.ID, tk.ID, q.ID, p.ID, true)
	must(t, err)
	_, err = s.CreateReply(ctx, &koe.Reply{EventID: e.ID, TalkID: tk.ID, QuestionID: q.ID, Staff: true, Body: "Yes"}, nil)
	must(t, err)
	a := &koe.Account{Login: "aiko", DisplayName: "Aiko", Admin: true}
	must(t, s.CreateAccount(ctx, a))
	secret, err := s.Secret(ctx, "signing", func() ([]byte, error) { return []byte("s3cret"), nil })
	must(t, err)

	snapshot := func(s *Store) string {
		t.Helper()
		var b bytes.Buffer
		for _, v := range []func() (any, error){
			func() (any, error) { return s.Event(ctx, e.ID) },
			func() (any, error) { return s.Talks(ctx, e.ID) },
			func() (any, error) { return s.Participant(ctx, e.ID, p.ID) },
			func() (any, error) { return s.Question(ctx, e.ID, tk.ID, q.ID, p.ID) },
			func() (any, error) { return s.Replies(ctx, e.ID, tk.ID, q.ID, true) },
			func() (any, error) { return s.Account(ctx, a.ID) },
		} {
			got, err := v()
			must(t, err)
			must(t, json.NewEncoder(&b).Encode(got))
		}
		return b.String()
	}
	before := snapshot(s)
	must(t, s.Close())

	s = openAt(t, path)
	if after := snapshot(s); after != before {
		t.Errorf("after reopening:\n%s\nbefore:\n%s", after, before)
	}
	got, err := s.Secret(ctx, "signing", func() ([]byte, error) { return []byte("other"), nil })
	if err != nil || !bytes.Equal(got, secret) {
		t.Errorf("Secret after reopening = %q, %v; want %q", got, err, secret)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "koe.db")
	for i := range 2 {
		s, err := Open(t.Context(), path)
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

func TestClose(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "koe.db"))
	must(t, err)
	must(t, s.Close())
	must(t, s.Close())
	err = s.CreateEvent(t.Context(), &koe.Event{Slug: "late", Title: "Late", TimeZone: "UTC"})
	if koe.ErrorCode(err) != koe.EUNAVAILABLE {
		t.Errorf("CreateEvent after Close: %v, want %s", err, koe.EUNAVAILABLE)
	}
	if err := s.Ping(t.Context()); koe.ErrorCode(err) != koe.EUNAVAILABLE {
		t.Errorf("Ping after Close: %v, want %s", err, koe.EUNAVAILABLE)
	}
}

// TestFailedWriteRollsBackAlone holds the writer busy so that the next
// writes pile up into one batch, half of them failing after writing.
func TestFailedWriteRollsBackAlone(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	release := make(chan struct{})
	busy := make(chan error)
	go func() { busy <- s.writer.do(ctx, func(*txn) error { <-release; return nil }) }()

	const n = 20
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.writer.do(ctx, func(tx *txn) error {
				_, err := tx.Exec(`INSERT INTO secrets (name, value, created_at) VALUES (?, x'00', 0)`, fmt.Sprint(i))
				if err == nil && i%2 == 1 {
					err = boom
				}
				return err
			})
		})
	}
	time.Sleep(50 * time.Millisecond) // let the writes queue up behind the busy one
	close(release)
	must(t, <-busy)
	wg.Wait()

	for i, err := range errs {
		var want error
		if i%2 == 1 {
			want = boom
		}
		if err != want {
			t.Errorf("write %d: %v, want %v", i, err, want)
		}
		var one int
		err := s.read.QueryRowContext(ctx, `SELECT 1 FROM secrets WHERE name = ?`, fmt.Sprint(i)).Scan(&one)
		if stored := err == nil; stored != (i%2 == 0) {
			t.Errorf("write %d: stored %v (%v), want %v", i, stored, err, i%2 == 0)
		}
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
