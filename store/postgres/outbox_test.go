package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
	"github.com/koehq/koe/internal/testenv"
)

// TestOutboxWaitsForOlderTransactions: an older transaction takes outbox
// id N and stays open; a younger one takes N+1 and commits. A reader going
// by id alone would read N+1, move past N and never see it. The outbox
// returns neither until the older one ends, then both, the older first.
func TestOutboxWaitsForOlderTransactions(t *testing.T) {
	url := testenv.PostgresDatabase(t)
	s := openAt(t, url)
	ctx := t.Context()
	e := &koe.Event{Slug: "horizon", Title: "Horizon", TimeZone: "UTC"}
	must(t, s.CreateEvent(ctx, e))
	// Start after the event's own change, once it can be read (the head
	// taken at once may lie before it while other databases' transactions
	// hold the cluster's horizon back).
	var start koe.OutboxPos
	for deadline := time.Now().Add(10 * time.Second); ; {
		got, _, err := s.Changes(ctx, koe.OutboxPos{}, 10)
		must(t, err)
		if len(got) == 1 {
			start = got[0].Pos
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the event's change never became readable")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// An older transaction records a change and stays open.
	conn, err := pgx.Connect(ctx, url)
	must(t, err)
	defer conn.Close(context.Background())
	older, err := conn.Begin(ctx)
	must(t, err)
	defer older.Rollback(context.Background())
	o := koe.Origin{Actor: koe.Actor{Kind: koe.ActorSystem}, At: time.Now()}
	must(t, record(ctx, older, o, e.Change(koe.EventUpdated)))

	// A younger one commits.
	written := s.OutboxWritten()
	tk := &koe.Talk{EventID: e.ID, Title: "Younger", QAOpen: true}
	must(t, s.CreateTalk(ctx, tk))
	select {
	case <-written:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification of the younger commit")
	}
	got, more, err := s.Changes(ctx, start, 10)
	must(t, err)
	if len(got) != 0 || !more {
		t.Fatalf("while the older transaction runs: %d changes, more %v; want none and more", len(got), more)
	}

	must(t, older.Commit(ctx))
	// Once it ended, both come; soon, not necessarily at once: the
	// horizon is the cluster's, and other databases' transactions (other
	// tests) may hold it back a moment.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, more, err = s.Changes(ctx, start, 10)
		must(t, err)
		if len(got) == 2 && !more || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(got) != 2 || more {
		t.Fatalf("after it committed: %d changes, more %v; want 2 and no more", len(got), more)
	}
	if got[0].Type != koe.EventUpdated || got[1].Type != koe.TalkCreated || !got[0].Pos.Before(got[1].Pos) {
		t.Errorf("order: %s at %v, %s at %v; want the older transaction's first", got[0].Type, got[0].Pos, got[1].Type, got[1].Pos)
	}
}

// TestLeaseMovesWhenHolderDies: the lease is held on a connection of its
// own; when that connection is gone (the process died), another store
// takes the lease.
func TestLeaseMovesWhenHolderDies(t *testing.T) {
	url := testenv.PostgresDatabase(t)
	a, b := openAt(t, url), openAt(t, url)
	ctx := t.Context()
	held, release, err := a.Lead(ctx, "relay")
	must(t, err)
	defer release()
	short, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	if _, _, err := b.Lead(short, "relay"); err == nil {
		t.Fatal("another store took a lease that is held")
	}
	// Kill the holder's connection from the server's side, as when its
	// process dies.
	_, err = b.pool.Exec(ctx, `
		SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND objid = ($1::bigint & x'FFFFFFFF'::bigint)::oid AND granted`, leaseKey("relay"))
	must(t, err)
	select {
	case <-held.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the holder did not notice that it lost the lease")
	}
	taken, releaseB, err := b.Lead(ctx, "relay")
	must(t, err)
	defer releaseB()
	if taken.Err() != nil {
		t.Fatal("the new lease is lost already")
	}
}
