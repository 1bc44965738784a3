package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe/internal/tcpproxy"
	"github.com/koehq/koe/internal/testenv"
	"github.com/koehq/koe/internal/wstest"
)

// The scaled-mode tests run koe serve processes on one PostgreSQL database
// and one Redis (see internal/testenv).

func scaledEnv(t *testing.T) (pgURL, redisURL string) {
	t.Helper()
	return testenv.PostgresDatabase(t), testenv.RedisURL(t)
}

// replicaEnv is the environment of one replica; every replica of a test
// shares the database and a Redis key prefix of its own.
func replicaEnv(pgURL, redisURL, prefix string) []string {
	return []string{"KOE_DATABASE_URL=" + pgURL, "KOE_REDIS_URL=" + redisURL, "KOE_REDIS_PREFIX=" + prefix}
}

type fixture struct {
	eventID, talkID int64
	code            string
}

func newFixture(t *testing.T, base string) fixture {
	t.Helper()
	ctx := context.Background()
	var e struct {
		ID       int64  `json:"id"`
		JoinCode string `json:"join_code"`
	}
	var tk struct{ ID int64 }
	must(t)(call(ctx, "POST", base+"/api/v1/events", testOwnerToken, map[string]string{"title": "Scaled"}, &e))
	must(t)(call(ctx, "POST", fmt.Sprintf("%s/api/v1/events/%d/talks", base, e.ID), testOwnerToken, map[string]string{"title": "Talk"}, &tk))
	return fixture{eventID: e.ID, talkID: tk.ID, code: e.JoinCode}
}

func (f fixture) questions(base string) string {
	return fmt.Sprintf("%s/api/v1/events/%d/talks/%d/questions", base, f.eventID, f.talkID)
}

func join(t *testing.T, base, code string) string {
	t.Helper()
	var j struct{ Token string }
	must(t)(call(context.Background(), "POST", base+"/api/v1/join", "", map[string]string{"code": code}, &j))
	return j.Token
}

// follower is a participant following the talk over WebSocket.
type follower struct {
	token  string
	client *wstest.Client
	stream wstest.Stream
}

func (f *follower) connect(t *testing.T, base string, fx fixture, cursor string) {
	t.Helper()
	if cursor == "" {
		var list struct {
			Stream struct{ Cursor string } `json:"stream"`
		}
		must(t)(call(context.Background(), "GET", fx.questions(base)+"?sort=recent", f.token, nil, &list))
		cursor = list.Stream.Cursor
	}
	f.client = wstest.Dial(t, fmt.Sprintf("%s/api/v1/events/%d/live", base, fx.eventID), http.Header{"Authorization": {"Bearer " + f.token}})
	f.client.Subscribe(t, fmt.Sprintf("talk:%d", fx.talkID), cursor)
}

// reload is what a client does after a reset: load the snapshot again and
// subscribe from its cursor, again if that cursor is already outdated
// (several replicas resynchronising one after the other).
func (f *follower) reload(t *testing.T, base string, fx fixture) {
	t.Helper()
	f.stream = wstest.Stream{}
	for try := 0; ; try++ {
		var list struct {
			Stream struct{ Cursor string } `json:"stream"`
		}
		must(t)(call(context.Background(), "GET", fx.questions(base)+"?sort=recent", f.token, nil, &list))
		f.client.Send(t, map[string]string{"type": "subscribe", "topic": fmt.Sprintf("talk:%d", fx.talkID), "cursor": list.Stream.Cursor})
		m := f.client.Next(t, 5*time.Second)
		if m.Type == "subscribed" {
			return
		}
		if m.Type != "reset" || try == 5 {
			t.Fatalf("resubscribing: %+v", m)
		}
	}
}

// created returns the ids of the question.created events seen, in order.
func (f *follower) created() []int64 {
	var ids []int64
	for _, e := range f.stream.Events {
		if e.Type == "question.created" {
			var q struct{ ID int64 }
			_ = json.Unmarshal(e.Data, &q)
			ids = append(ids, q.ID)
		}
	}
	return ids
}

// TestScaledReplicas: three replicas behave as one. Followers spread over
// them see the same events in the same order; when one replica is killed
// its followers resume on the others with no gap and no duplicate; every
// acknowledged question is in the database.
func TestScaledReplicas(t *testing.T) {
	pgURL, redisURL := scaledEnv(t)
	bin := buildKoe(t)
	prefix := fmt.Sprintf("koetest:%d:", time.Now().UnixNano())
	var replicas []*server
	for i := 0; i < 3; i++ {
		replicas = append(replicas, startServer(t, bin, t.TempDir(), freeAddr(t), replicaEnv(pgURL, redisURL, prefix)...))
	}
	fx := newFixture(t, replicas[0].base)
	followers := make([]*follower, 6)
	for i := range followers {
		r := replicas[i%3]
		followers[i] = &follower{token: join(t, r.base, fx.code)}
		followers[i].connect(t, r.base, fx, "")
	}
	writers := make([]string, 6)
	for i := range writers {
		writers[i] = join(t, replicas[i%3].base, fx.code)
	}

	// Load: questions and likes from writers on every replica.
	var mu sync.Mutex
	acked := map[int64]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				base := replicas[(w+n)%3].base
				if (w+n)%3 == 2 {
					base = replicas[w%2].base // replica 2 is killed midway; keep writers busy elsewhere too
				}
				var q struct{ ID int64 }
				if _, err := call(context.Background(), "POST", fx.questions(base), writers[w], map[string]string{"body": fmt.Sprintf("q %d/%d", w, n)}, &q); err == nil {
					mu.Lock()
					acked[q.ID] = true
					mu.Unlock()
					_, _ = call(context.Background(), "PUT", fmt.Sprintf("%s/%d/like", fx.questions(base), q.ID), writers[(w+1)%len(writers)], nil, nil)
				}
			}
		}(w)
	}
	collect := func(f *follower, d time.Duration) {
		deadline := time.Now().Add(d)
		for time.Now().Before(deadline) {
			select {
			case m := <-f.client.Msgs:
				if m.Type == "events" {
					f.stream.Add(t, m)
				} else {
					t.Errorf("unexpected message %+v", m)
				}
			case <-time.After(time.Until(deadline)):
			}
		}
	}
	var cwg sync.WaitGroup
	for _, f := range followers {
		cwg.Add(1)
		go func(f *follower) { defer cwg.Done(); collect(f, 1500*time.Millisecond) }(f)
	}
	cwg.Wait()

	// Kill replica 2 mid-load; its followers (2 and 5) resume elsewhere.
	if err := replicas[2].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i, f := range followers {
		if i%3 == 2 {
			drain(t, f)
			f.connect(t, replicas[i%2].base, fx, f.stream.Cursor)
		}
	}
	for _, f := range followers {
		cwg.Add(1)
		go func(f *follower) { defer cwg.Done(); collect(f, 1500*time.Millisecond) }(f)
	}
	cwg.Wait()
	close(stop)
	wg.Wait()
	for _, f := range followers {
		cwg.Add(1)
		go func(f *follower) { defer cwg.Done(); collect(f, 2*time.Second) }(f)
	}
	cwg.Wait()

	// Same events, same order, everywhere.
	want := followers[0].stream.Events
	if len(want) < 50 {
		t.Fatalf("only %d events seen; the load did not run", len(want))
	}
	for i, f := range followers[1:] {
		got := f.stream.Events
		if len(got) != len(want) {
			t.Fatalf("follower %d saw %d events, follower 0 saw %d", i+1, len(got), len(want))
		}
		for j := range got {
			if got[j].Seq != want[j].Seq || got[j].Type != want[j].Type || string(got[j].Data) != string(want[j].Data) {
				t.Fatalf("follower %d event %d differs: %+v vs %+v", i+1, j, got[j], want[j])
			}
		}
	}
	// Every acknowledged question was published and is stored.
	seen := map[int64]bool{}
	for _, id := range followers[0].created() {
		seen[id] = true
	}
	mu.Lock()
	defer mu.Unlock()
	for id := range acked {
		if !seen[id] {
			t.Errorf("acknowledged question %d never reached the followers", id)
		}
		if _, err := call(context.Background(), "GET", fmt.Sprintf("%s/%d", fx.questions(replicas[0].base), id), testOwnerToken, nil, nil); err != nil {
			t.Errorf("acknowledged question %d not in the database: %v", id, err)
		}
	}
	t.Logf("%d events, %d acknowledged questions, identical on %d followers", len(want), len(acked), len(followers))
}

// drain reads what a dropped connection had already received.
func drain(t *testing.T, f *follower) {
	_ = f.client.Conn.NetConn().Close()
	for {
		select {
		case m := <-f.client.Msgs:
			if m.Type == "events" {
				f.stream.Add(t, m)
			}
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}

// TestScaledRedisOutage: with Redis cut (by a proxy the test controls) the
// replicas keep taking writes and serving their own followers; when Redis
// returns every follower is told to resync, and afterwards all agree again.
func TestScaledRedisOutage(t *testing.T) {
	pgURL, redisURL := scaledEnv(t)
	proxy, err := tcpproxy.Start(strings.TrimPrefix(strings.Split(redisURL, "/")[2], "redis://"))
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	bin := buildKoe(t)
	prefix := fmt.Sprintf("koetest:%d:", time.Now().UnixNano())
	env := replicaEnv(pgURL, "redis://"+proxy.Addr()+"/0", prefix)
	a := startServer(t, bin, t.TempDir(), freeAddr(t), env...)
	b := startServer(t, bin, t.TempDir(), freeAddr(t), env...)
	fx := newFixture(t, a.base)
	fa, fb := &follower{token: join(t, a.base, fx.code)}, &follower{token: join(t, b.base, fx.code)}
	fa.connect(t, a.base, fx, "")
	fb.connect(t, b.base, fx, "")
	writer := join(t, a.base, fx.code)
	ask := func(base, body string) int64 {
		t.Helper()
		var q struct{ ID int64 }
		must(t)(call(context.Background(), "POST", fx.questions(base), writer, map[string]string{"body": body}, &q))
		return q.ID
	}
	waitFor := func(f *follower, id int64) {
		t.Helper()
		f.stream.Until(t, f.client, 15*time.Second, func(e wstest.Event) bool {
			var q struct{ ID int64 }
			_ = json.Unmarshal(e.Data, &q)
			return e.Type == "question.created" && q.ID == id
		})
	}
	first := ask(a.base, "before the outage")
	waitFor(fa, first)
	waitFor(fb, first)

	proxy.Cut()
	// Writes still succeed, and each replica's own followers see them.
	// Unlike each other: a near-duplicate would be answered 409.
	onA := ask(a.base, "written on replica A while Redis is cut off")
	onB := ask(b.base, "and this one on B, during the outage")
	waitFor(fa, onA)
	waitFor(fb, onB)
	for _, s := range []*server{a, b} {
		if resp, err := http.Get(s.base + "/readyz"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("replica not ready during a Redis outage: %v %v", err, resp)
		}
	}

	proxy.Restore()
	// Both followers are told to resync once Redis is back...
	for _, f := range []*follower{fa, fb} {
		for {
			m := f.client.Next(t, 20*time.Second)
			if m.Type == "reset" {
				break
			}
		}
	}
	// ...reload, and from then on follow one sequence again.
	fa.reload(t, a.base, fx)
	fb.reload(t, b.base, fx)
	var list struct {
		Questions []struct{ ID int64 } `json:"questions"`
	}
	must(t)(call(context.Background(), "GET", fx.questions(b.base)+"?sort=recent", fb.token, nil, &list))
	if len(list.Questions) != 3 {
		t.Fatalf("after the outage the snapshot has %d questions, want 3", len(list.Questions))
	}
	after := ask(b.base, "after the outage")
	waitFor(fa, after)
	waitFor(fb, after)
	if fa.stream.Cursor != fb.stream.Cursor {
		t.Fatalf("replicas disagree after recovery: %s vs %s", fa.stream.Cursor, fb.stream.Cursor)
	}
}

// TestScaledPostgresOutage: with PostgreSQL cut, writes and reads answer
// 503 with a JSON error and leave nothing half-written, /readyz fails, and
// everything recovers by itself.
func TestScaledPostgresOutage(t *testing.T) {
	pgURL, redisURL := scaledEnv(t)
	cfg, err := pgx.ParseConfig(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := tcpproxy.Start(fmt.Sprintf("%s:%d", cfg.Host, cfg.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	viaProxy := strings.Replace(pgURL, fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), proxy.Addr(), 1)
	bin := buildKoe(t)
	prefix := fmt.Sprintf("koetest:%d:", time.Now().UnixNano())
	s := startServer(t, bin, t.TempDir(), freeAddr(t), replicaEnv(viaProxy, redisURL, prefix)...)
	fx := newFixture(t, s.base)
	p := join(t, s.base, fx.code)
	ctx := context.Background()
	ok := 0
	asked := 0
	ask := func() (int, error) {
		asked++ // numbered, so that moderation takes none for a repeat
		status, err := call(ctx, "POST", fx.questions(s.base), p, map[string]string{"body": fmt.Sprintf("q%d", asked)}, nil)
		if err == nil {
			ok++
		}
		return status, err
	}
	if _, err := ask(); err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	for i := 0; i < 5; i++ {
		status, _ := ask()
		if status != 503 {
			t.Fatalf("write during a PostgreSQL outage answered %d, want 503", status)
		}
	}
	req, _ := http.NewRequest("GET", fx.questions(s.base), nil)
	req.Header.Set("Authorization", "Bearer "+p)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 503 || body.Error.Code != "unavailable" {
		t.Fatalf("read during the outage: %d %q, want 503 unavailable", resp.StatusCode, body.Error.Code)
	}
	if r, err := http.Get(s.base + "/readyz"); err != nil || r.StatusCode != 503 {
		t.Fatalf("/readyz during the outage: %v %v", err, r)
	}

	proxy.Restore()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := ask(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes did not recover after PostgreSQL returned")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r, err := http.Get(s.base + "/readyz"); err != nil || r.StatusCode != 200 {
		t.Fatalf("/readyz after recovery: %v %v", err, r)
	}
	var list struct {
		Questions []struct{ ID int64 } `json:"questions"`
	}
	must(t)(call(ctx, "GET", fx.questions(s.base)+"?sort=recent&limit=200", testOwnerToken, nil, &list))
	if len(list.Questions) != ok {
		t.Fatalf("%d questions stored, %d acknowledged: a refused write left something behind", len(list.Questions), ok)
	}
}
