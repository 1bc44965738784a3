package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe/internal/wstest"
)

// TestScaledReactions: participants tap on two replicas at once; a
// subscriber on each replica receives every replica's sums, which add up
// to exactly the taps accepted, and the totals in the database are those
// taps too.
func TestScaledReactions(t *testing.T) {
	pgURL, redisURL := scaledEnv(t)
	bin := buildKoe(t)
	prefix := fmt.Sprintf("koetest:%d:", time.Now().UnixNano())
	env := append(replicaEnv(pgURL, redisURL, prefix), "KOE_RATE_LIMITS=off")
	replicas := []*server{startServer(t, bin, t.TempDir(), freeAddr(t), env...), startServer(t, bin, t.TempDir(), freeAddr(t), env...)}
	fx := newFixture(t, replicas[0].base)
	topic := fmt.Sprintf("talk:%d", fx.talkID)
	var watchers []*wstest.Client
	for _, r := range replicas {
		c := wstest.Dial(t, fmt.Sprintf("%s/api/v1/events/%d/live", r.base, fx.eventID), http.Header{"Authorization": {"Bearer " + join(t, r.base, fx.code)}})
		c.Subscribe(t, topic, "")
		watchers = append(watchers, c)
	}

	const perReplica, requests = 16, 20 // participants per replica, requests each
	var wg sync.WaitGroup
	for _, r := range replicas {
		for range perReplica {
			tok := join(t, r.base, fx.code)
			wg.Go(func() {
				for j := range requests {
					status, err := call(context.Background(), "POST", fmt.Sprintf("%s/api/v1/events/%d/talks/%d/reactions", r.base, fx.eventID, fx.talkID), tok,
						map[string]any{"emoji": []string{"👏", "🎉"}[j%2], "count": 1 + j%4}, nil)
					if err != nil || status != 204 {
						t.Errorf("tap: %d %v", status, err)
					}
				}
			})
		}
	}
	wg.Wait()
	want := map[string]int64{}
	for j := range requests {
		want[[]string{"👏", "🎉"}[j%2]] += int64(2 * perReplica * (1 + j%4))
	}
	for i, c := range watchers {
		got := map[string]int64{}
		deadline := time.Now().Add(10 * time.Second)
		for (got["👏"] < want["👏"] || got["🎉"] < want["🎉"]) && time.Now().Before(deadline) {
			m := c.Next(t, 10*time.Second)
			for _, ev := range m.Events {
				if ev.Type != "reactions" {
					continue
				}
				var counts map[string]int64
				if err := json.Unmarshal(ev.Data, &counts); err != nil {
					t.Fatal(err)
				}
				for k, n := range counts {
					got[k] += n
				}
			}
		}
		// Nothing more may come: a sum published twice would show here.
		time.Sleep(600 * time.Millisecond)
		for len(c.Msgs) > 0 {
			for _, ev := range (<-c.Msgs).Events {
				if ev.Type == "reactions" {
					t.Errorf("replica %d: reactions after every tap was counted: %s", i, ev.Data)
				}
			}
		}
		if got["👏"] != want["👏"] || got["🎉"] != want["🎉"] || len(got) != 2 {
			t.Errorf("replica %d's subscriber: taps %v, want %v", i, got, want)
		}
	}
	var totals struct{ Counts map[string]int64 }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		must(t)(call(context.Background(), "GET", fmt.Sprintf("%s/api/v1/events/%d/talks/%d/reactions", replicas[1].base, fx.eventID, fx.talkID), testOwnerToken, nil, &totals))
		if totals.Counts["👏"] == want["👏"] && totals.Counts["🎉"] == want["🎉"] || time.Now().After(deadline) {
			break
		}
	}
	if totals.Counts["👏"] != want["👏"] || totals.Counts["🎉"] != want["🎉"] || len(totals.Counts) != 2 {
		t.Errorf("totals %v, want %v", totals.Counts, want)
	}
}

// TestScaledPolls: 64 participants vote and change their votes through
// two replicas at once; the results count each one's last vote exactly,
// and the subscriber on each replica ends on those results (the newest
// version wins, whichever replica published it).
func TestScaledPolls(t *testing.T) {
	pgURL, redisURL := scaledEnv(t)
	bin := buildKoe(t)
	prefix := fmt.Sprintf("koetest:%d:", time.Now().UnixNano())
	env := append(replicaEnv(pgURL, redisURL, prefix), "KOE_RATE_LIMITS=off")
	replicas := []*server{startServer(t, bin, t.TempDir(), freeAddr(t), env...), startServer(t, bin, t.TempDir(), freeAddr(t), env...)}
	fx := newFixture(t, replicas[0].base)
	talk := fmt.Sprintf("/api/v1/events/%d/talks/%d", fx.eventID, fx.talkID)
	var poll struct {
		ID int64 `json:"id"`
	}
	must(t)(call(context.Background(), "POST", replicas[0].base+talk+"/polls", testOwnerToken,
		map[string]any{"kind": "choice", "question": "Which?", "options": []string{"A", "B", "C", "D"}}, &poll))
	pollPath := fmt.Sprintf("%s/polls/%d", talk, poll.ID)
	must(t)(call(context.Background(), "PATCH", replicas[1].base+pollPath, testOwnerToken, map[string]any{"state": "open"}, nil))
	topic := fmt.Sprintf("talk:%d", fx.talkID)
	var watchers []*wstest.Client
	for _, r := range replicas {
		c := wstest.Dial(t, fmt.Sprintf("%s/api/v1/events/%d/live", r.base, fx.eventID), http.Header{"Authorization": {"Bearer " + join(t, r.base, fx.code)}})
		c.Subscribe(t, topic, "")
		watchers = append(watchers, c)
	}

	const voters, rounds = 64, 5
	var wg sync.WaitGroup
	want := map[string]int64{}
	for i := range voters {
		r := replicas[i%2]
		tok := join(t, r.base, fx.code)
		want[fmt.Sprint(1+(i+rounds-1)%4)]++
		wg.Go(func() {
			for j := range rounds {
				status, err := call(context.Background(), "PUT", r.base+pollPath+"/vote", tok, map[string]any{"options": []string{fmt.Sprint(1 + (i+j)%4)}}, nil)
				if err != nil || status != 200 {
					t.Errorf("vote: %d %v", status, err)
				}
			}
		})
	}
	wg.Wait()
	type results struct {
		Version int64 `json:"version"`
		Voters  int64 `json:"voters"`
		Counts  []struct {
			Key   string `json:"key"`
			Count int64  `json:"count"`
		} `json:"counts"`
	}
	exact := func(r results) bool {
		for _, c := range r.Counts {
			if c.Count != want[c.Key] {
				return false
			}
		}
		return r.Voters == voters && r.Version == voters*rounds
	}
	var stored results
	must(t)(call(context.Background(), "GET", replicas[0].base+pollPath+"/results", testOwnerToken, nil, &stored))
	if !exact(stored) {
		t.Errorf("results %+v, want %v", stored, want)
	}
	for i, c := range watchers {
		var newest results
		deadline := time.Now().Add(10 * time.Second)
		for newest.Version < voters*rounds && time.Now().Before(deadline) {
			for _, ev := range c.Next(t, 10*time.Second).Events {
				var r results
				if ev.Type == "poll.results" && json.Unmarshal(ev.Data, &r) == nil && r.Version > newest.Version {
					newest = r
				}
			}
		}
		if !exact(newest) {
			t.Errorf("replica %d's subscriber ends on %+v, want %v", i, newest, want)
		}
	}
}
