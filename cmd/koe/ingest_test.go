package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/koehq/koe/ingest/mastodon/mastodontest"
)

// The tests here kill koe serve while a Mastodon source streams posts
// into it, and show that every post is stored once: none lost (the cursor
// is saved with the posts it covers), none repeated (an event keeps one
// post per platform id).

// mastodonSource adds a streaming Mastodon source of #koe on m to a new
// event, and returns the event's and the source's ids.
func mastodonSource(t *testing.T, base string, m *mastodontest.Server) (eventID, sourceID int64) {
	t.Helper()
	ctx := context.Background()
	var e, s struct{ ID int64 }
	must(t)(call(ctx, "POST", base+"/api/v1/events", testOwnerToken, map[string]string{"title": "Feed"}, &e))
	must(t)(call(ctx, "POST", fmt.Sprintf("%s/api/v1/events/%d/sources", base, e.ID), testOwnerToken, map[string]any{
		"kind": "mastodon", "config": map[string]any{"instance": m.URL(), "hashtags": []string{"koe"}}, "secret": "user-token"}, &s))
	return e.ID, s.ID
}

// publishing publishes n statuses of #koe, one every gap, and returns a
// function that waits until all are published.
func publishing(m *mastodontest.Server, n int, gap time.Duration) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			m.Publish(mastodontest.Status{Content: fmt.Sprintf("<p>post %d #koe</p>", i), Tags: []mastodontest.Tag{{Name: "koe"}}})
			time.Sleep(gap)
		}
	})
	return wg.Wait
}

// storedOnce waits until the event holds n posts, failing if any text is
// there twice or some never arrives.
func storedOnce(t *testing.T, base string, eventID int64, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen := map[string]int{}
		before := ""
		for {
			var page struct {
				Posts []struct {
					ID   int64
					Text string
				}
			}
			must(t)(call(context.Background(), "GET", fmt.Sprintf("%s/api/v1/events/%d/posts?limit=100%s", base, eventID, before), testOwnerToken, nil, &page))
			for _, p := range page.Posts {
				seen[p.Text]++
			}
			if len(page.Posts) < 100 {
				break
			}
			before = fmt.Sprintf("&before=%d", page.Posts[len(page.Posts)-1].ID)
		}
		for text, k := range seen {
			if k > 1 {
				t.Fatalf("%q stored %d times", text, k)
			}
		}
		if len(seen) == n {
			for i := range n {
				if seen[fmt.Sprintf("post %d #koe", i)] != 1 {
					t.Fatalf("post %d missing", i)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d posts stored after 30 s", len(seen), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// midStream waits until some of the n posts are stored, and fails if all
// are: the kill that follows must come while posts arrive.
func midStream(t *testing.T, base string, eventID int64, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page struct{ Posts []struct{ ID int64 } }
		must(t)(call(context.Background(), "GET", fmt.Sprintf("%s/api/v1/events/%d/posts?limit=100", base, eventID), testOwnerToken, nil, &page))
		switch k := len(page.Posts); {
		case k >= 100 && k >= n:
			t.Fatal("every post arrived before the kill")
		case k > 0:
			t.Logf("killing with %d of %d posts stored", k, n)
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no post arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sourceUp reports whether replica s runs the source (its metric says so).
func sourceUp(t *testing.T, s *server, sourceID int64) bool {
	t.Helper()
	resp, err := http.Get(s.metrics)
	if err != nil {
		return false // killed
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(b), fmt.Sprintf(`koe_ingest_source_up{source="mastodon:%d"} 1`, sourceID))
}

// TestIngestSurvivesSIGKILL: the single binary is killed while posts
// stream in, and restarted on its data: every post is stored once.
func TestIngestSurvivesSIGKILL(t *testing.T) {
	bin := buildKoe(t)
	m := mastodontest.New()
	defer m.Close()
	m.SetToken("user-token")
	dir, addr := t.TempDir(), freeAddr(t)
	env := []string{"KOE_INGEST_POLL=100ms"}
	s := startServer(t, bin, dir, addr, env...)
	eventID, sourceID := mastodonSource(t, s.base, m)
	deadline := time.Now().Add(20 * time.Second)
	for !sourceUp(t, s, sourceID) {
		if time.Now().After(deadline) {
			t.Fatal("the source did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	const n = 300
	done := publishing(m, n, 5*time.Millisecond)
	midStream(t, s.base, eventID, n)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
	s = startServer(t, bin, dir, addr, env...)
	done()
	storedOnce(t, s.base, eventID, n)
}

// TestScaledIngestTakeover: on three replicas exactly one runs the
// source; when it is killed mid-stream another takes the source over
// within seconds, and every post is stored once.
func TestScaledIngestTakeover(t *testing.T) {
	pgURL, redisURL := scaledEnv(t)
	bin := buildKoe(t)
	m := mastodontest.New()
	defer m.Close()
	m.SetToken("user-token")
	prefix := fmt.Sprintf("koetest:%d:", time.Now().UnixNano())
	env := append(replicaEnv(pgURL, redisURL, prefix), "KOE_INGEST_POLL=100ms")
	var replicas []*server
	for range 3 {
		replicas = append(replicas, startServer(t, bin, t.TempDir(), freeAddr(t), env...))
	}
	eventID, sourceID := mastodonSource(t, replicas[1].base, m)
	running := func(among []*server) []*server {
		var up []*server
		for _, r := range among {
			if sourceUp(t, r, sourceID) {
				up = append(up, r)
			}
		}
		return up
	}
	deadline := time.Now().Add(20 * time.Second)
	var leader []*server
	for leader = running(replicas); len(leader) != 1; leader = running(replicas) {
		if len(leader) > 1 {
			t.Fatalf("%d replicas run the source", len(leader))
		}
		if time.Now().After(deadline) {
			t.Fatal("no replica runs the source")
		}
		time.Sleep(50 * time.Millisecond)
	}
	const n = 400
	done := publishing(m, n, 5*time.Millisecond)
	midStream(t, replicas[0].base, eventID, n)
	if err := leader[0].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	var survivors []*server
	for _, r := range replicas {
		if r != leader[0] {
			survivors = append(survivors, r)
		}
	}
	for up := running(survivors); len(up) != 1; up = running(survivors) {
		if len(up) > 1 {
			t.Fatalf("%d replicas run the source", len(up))
		}
		if time.Since(killed) > 15*time.Second {
			t.Fatal("no replica took the source over within 15 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("taken over %s after the SIGKILL", time.Since(killed).Round(10*time.Millisecond))
	done()
	storedOnce(t, survivors[0].base, eventID, n)
	if up := running(survivors); len(up) != 1 {
		t.Fatalf("%d replicas run the source at the end", len(up))
	}
}
