package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe/internal/wstest"
)

// The tests here stop a real koe serve between the commit of a question
// and anything else — before the outbox's readers hear of it, before it
// answers — with the fault hook of a faultinject build (fault.go), and
// show that the question is delivered all the same.

// faultExit is the exit status of a process the fault hook stopped.
const faultExit = 86

// askAndDie posts a question to a replica that dies committing it: the
// POST gets no answer, and the process exits with faultExit.
func askAndDie(t *testing.T, victim *server, fx fixture, token, body string) {
	t.Helper()
	status, err := call(context.Background(), "POST", fx.questions(victim.base), token, map[string]string{"body": body}, nil)
	if err == nil || status != 0 {
		t.Fatalf("the POST was answered (%d, %v): the fault hook did not stop koe", status, err)
	}
	done := make(chan error, 1)
	go func() { done <- victim.cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != faultExit {
			t.Fatalf("the victim ended with %v, want exit status %d", err, faultExit)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the victim did not exit")
	}
}

// leads reports whether the replica runs the shared real-time consumer.
func leads(t *testing.T, s *server) bool {
	t.Helper()
	resp, err := http.Get(s.metrics)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(b), `koe_outbox_leader{consumer="realtime"} 1`)
}

// waitLeader waits until s leads.
func waitLeader(t *testing.T, s *server) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !leads(t, s) {
		if time.Now().After(deadline) {
			t.Fatal("the replica never took the outbox lease")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// createdWithBody waits for question.created with body on f's stream and
// returns its id; the stream must be free of gaps and duplicates, and the
// question must come once.
func createdWithBody(t *testing.T, f *follower, body string) int64 {
	t.Helper()
	var id int64
	f.stream.Until(t, f.client, 15*time.Second, func(e wstest.Event) bool {
		var q struct {
			ID   int64
			Body string
		}
		_ = json.Unmarshal(e.Data, &q)
		if e.Type == "question.created" && q.Body == body {
			id = q.ID
			return true
		}
		return false
	})
	n := 0
	for _, got := range f.created() {
		if got == id {
			n++
		}
	}
	if n != 1 {
		t.Errorf("question %d arrived %d times", id, n)
	}
	return id
}

// TestCommittedReachesOtherReplicas: on three replicas, a question is
// committed on one that dies right after the commit. Followers on the
// other two get it live, once each, whether the victim was the replica
// relaying the outbox to Redis (another takes the lease and resumes from
// the saved cursor) or not (the leader relays what any replica commits).
func TestCommittedReachesOtherReplicas(t *testing.T) {
	pgURL, redisURL := scaledEnv(t)
	bin := buildKoe(t, "faultinject")
	for _, victimLeads := range []bool{false, true} {
		t.Run(fmt.Sprintf("victim leads %v", victimLeads), func(t *testing.T) {
			prefix := fmt.Sprintf("koetest:%d:", time.Now().UnixNano())
			env := replicaEnv(pgURL, redisURL, prefix)
			start := func(extra ...string) *server {
				return startServer(t, bin, t.TempDir(), freeAddr(t), append(env, extra...)...)
			}
			// The first replica to start takes the lease.
			var victim, a, b *server
			if victimLeads {
				victim = start("KOE_FAULT_EXIT_AFTER=question.created")
				waitLeader(t, victim)
				a, b = start(), start()
			} else {
				a = start()
				waitLeader(t, a)
				victim, b = start("KOE_FAULT_EXIT_AFTER=question.created"), start()
			}
			fx := newFixture(t, a.base)
			followers := []*follower{{token: join(t, a.base, fx.code)}, {token: join(t, b.base, fx.code)}}
			followers[0].connect(t, a.base, fx, "")
			followers[1].connect(t, b.base, fx, "")
			asker := join(t, victim.base, fx.code)

			askAndDie(t, victim, fx, asker, "committed, then the replica died")
			var ids []int64
			for _, f := range followers {
				ids = append(ids, createdWithBody(t, f, "committed, then the replica died"))
			}
			if ids[0] != ids[1] {
				t.Fatalf("the followers got different questions: %v", ids)
			}
			// And it is what the store holds.
			var list struct {
				Questions []struct{ ID int64 } `json:"questions"`
			}
			must(t)(call(context.Background(), "GET", fx.questions(a.base)+"?sort=recent", followers[0].token, nil, &list))
			if len(list.Questions) != 1 || list.Questions[0].ID != ids[0] {
				t.Fatalf("the store holds %v, the followers got %d", list.Questions, ids[0])
			}
			// The survivors go on: one of them leads now, and a new question
			// reaches both.
			waitAnyLeader(t, a, b)
			var q struct{ ID int64 }
			must(t)(call(context.Background(), "POST", fx.questions(b.base), join(t, b.base, fx.code), map[string]string{"body": "after"}, &q))
			for _, f := range followers {
				if got := createdWithBody(t, f, "after"); got != q.ID {
					t.Errorf("follower got %d, want %d", got, q.ID)
				}
			}
		})
	}
}

func waitAnyLeader(t *testing.T, replicas ...*server) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, r := range replicas {
			if leads(t, r) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no replica took the outbox lease")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCommittedSurvivesRestart: the single binary dies right after
// committing a question. Restarted on the same data, it has the question,
// and a follower that comes back with its old cursor is told to reload
// (the new process's streams have a new epoch) and so gets it.
func TestCommittedSurvivesRestart(t *testing.T) {
	bin := buildKoe(t, "faultinject")
	dir, addr := t.TempDir(), freeAddr(t)
	victim := startServer(t, bin, dir, addr, "KOE_FAULT_EXIT_AFTER=question.created")
	fx := newFixture(t, victim.base)
	f := &follower{token: join(t, victim.base, fx.code)}
	var snap struct {
		Stream struct{ Cursor string } `json:"stream"`
	}
	must(t)(call(context.Background(), "GET", fx.questions(victim.base), f.token, nil, &snap))
	cursor := snap.Stream.Cursor
	f.connect(t, victim.base, fx, cursor)

	askAndDie(t, victim, fx, join(t, victim.base, fx.code), "committed, then koe died")
	s := startServer(t, bin, dir, addr)
	f.client = wstest.Dial(t, fmt.Sprintf("%s/api/v1/events/%d/live", s.base, fx.eventID), http.Header{"Authorization": {"Bearer " + f.token}})
	f.client.Send(t, map[string]string{"type": "subscribe", "topic": fmt.Sprintf("talk:%d", fx.talkID), "cursor": cursor})
	if m := f.client.Next(t, 5*time.Second); m.Type != "reset" || m.Reason != "unknown_epoch" {
		t.Fatalf("resuming with a cursor of the dead process: %+v, want reset unknown_epoch", m)
	}
	var list struct {
		Questions []struct {
			ID   int64
			Body string
		} `json:"questions"`
	}
	must(t)(call(context.Background(), "GET", fx.questions(s.base)+"?sort=recent", f.token, nil, &list))
	if len(list.Questions) != 1 || list.Questions[0].Body != "committed, then koe died" {
		t.Fatalf("after the restart the talk holds %+v", list.Questions)
	}
	// Followed from the new snapshot, it is live again.
	f.reload(t, s.base, fx)
	var q struct{ ID int64 }
	must(t)(call(context.Background(), "POST", fx.questions(s.base), join(t, s.base, fx.code), map[string]string{"body": "after the restart"}, &q))
	if got := createdWithBody(t, f, "after the restart"); got != q.ID {
		t.Errorf("follower got %d, want %d", got, q.ID)
	}
}
