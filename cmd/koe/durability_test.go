package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const testOwnerToken = "durability-test-owner-token-0123456789"

// server is a koe serve subprocess.
type server struct {
	cmd     *exec.Cmd
	base    string
	metrics string // its metrics listener's /metrics
}

// buildKoe builds koe, with the build tags given (faultinject: see
// fault.go).
func buildKoe(t *testing.T, tags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "koe")
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs koe serve on addr and waits until it is ready; env adds
// variables (KOE_DATABASE_URL, KOE_REDIS_URL…).
func startServer(t *testing.T, bin, dataDir, addr string, env ...string) *server {
	t.Helper()
	metrics := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dataDir, "--log-level", "warn")
	cmd.Env = append(append(os.Environ(), "KOE_OWNER_TOKEN="+testOwnerToken, "KOE_RATE_LIMITS=off", "KOE_METRICS_ADDR="+metrics), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, metrics: "http://" + metrics + "/metrics"}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("koe serve did not become ready")
	return nil
}

var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// call sends a JSON request and decodes a 2xx answer into out. It returns
// the status (0 when the request failed on the wire).
func call(ctx context.Context, method, url, token string, body, out any) (int, error) {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: status %d", method, url, resp.StatusCode)
	}
	if out != nil {
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode, nil
}

type likeOutcome struct {
	liked   bool // state of the last acknowledged operation
	settled bool // false when a later operation's fate is unknown
}

// TestDurabilityAfterSIGKILL: every write koe acknowledged survives the
// process being killed mid-load.
func TestDurabilityAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs koe serve")
	}
	bin := buildKoe(t)
	dataDir, addr := t.TempDir(), freeAddr(t)
	srv := startServer(t, bin, dataDir, addr)
	ctx := context.Background()

	var event struct {
		ID       int64  `json:"id"`
		JoinCode string `json:"join_code"`
	}
	var talk struct{ ID int64 }
	must(t)(call(ctx, "POST", srv.base+"/api/v1/events", testOwnerToken, map[string]string{"title": "Durability"}, &event))
	must(t)(call(ctx, "POST", fmt.Sprintf("%s/api/v1/events/%d/talks", srv.base, event.ID), testOwnerToken, map[string]string{"title": "Talk"}, &talk))
	qURL := fmt.Sprintf("%s/api/v1/events/%d/talks/%d/questions", srv.base, event.ID, talk.ID)

	const askers, likers = 8, 24
	tokens := make([]string, askers+likers)
	for i := range tokens {
		var j struct{ Token string }
		must(t)(call(ctx, "POST", srv.base+"/api/v1/join", "", map[string]string{"code": event.JoinCode}, &j))
		tokens[i] = j.Token
	}
	// A few questions to like from the start.
	var targets []int64
	for i := 0; i < 4; i++ {
		var q struct{ ID int64 }
		must(t)(call(ctx, "POST", qURL, tokens[0], map[string]string{"body": fmt.Sprintf("seed %d", i)}, &q))
		targets = append(targets, q.ID)
	}

	var mu sync.Mutex
	asked := map[int64]string{}         // acknowledged question id → body
	likes := map[[2]int][]likeOutcome{} // (liker, target) → outcome
	for l := 0; l < likers; l++ {
		for q := range targets {
			likes[[2]int{l, q}] = []likeOutcome{{liked: false, settled: true}}
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for a := 0; a < askers; a++ {
		wg.Add(1)
		go func(a int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				// Random, so that no question nearly repeats another (409 duplicate).
				body := fmt.Sprintf("question %d from asker %d: %016x", n, a, rand.Uint64())
				var q struct{ ID int64 }
				if _, err := call(ctx, "POST", qURL, tokens[a], map[string]string{"body": body}, &q); err != nil {
					return // the server is gone
				}
				mu.Lock()
				asked[q.ID] = body
				mu.Unlock()
			}
		}(a)
	}
	for l := 0; l < likers; l++ {
		wg.Add(1)
		go func(l int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				qi := n % len(targets)
				key := [2]int{l, qi}
				mu.Lock()
				want := !likes[key][len(likes[key])-1].liked
				mu.Unlock()
				method := map[bool]string{true: "PUT", false: "DELETE"}[want]
				_, err := call(ctx, method, fmt.Sprintf("%s/%d/like", qURL, targets[qi]), tokens[askers+l], nil, nil)
				mu.Lock()
				if err != nil {
					// Sent but not acknowledged: it may or may not have landed.
					likes[key] = append(likes[key], likeOutcome{liked: want, settled: false})
					mu.Unlock()
					return
				}
				likes[key] = append(likes[key], likeOutcome{liked: want, settled: true})
				mu.Unlock()
			}
		}(l)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	_ = srv.cmd.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(asked) < 20 {
		t.Fatalf("only %d questions acknowledged before the kill; the load did not run", len(asked))
	}

	srv = startServer(t, bin, dataDir, addr)
	for id, body := range asked {
		var q struct{ Body string }
		if _, err := call(ctx, "GET", fmt.Sprintf("%s/%d", qURL, id), testOwnerToken, nil, &q); err != nil {
			t.Fatalf("acknowledged question %d lost: %v", id, err)
		}
		if q.Body != body {
			t.Fatalf("question %d body %q, want %q", id, q.Body, body)
		}
	}
	checked := 0
	for qi, qid := range targets {
		var staffView struct{ Likes int }
		must(t)(call(ctx, "GET", fmt.Sprintf("%s/%d", qURL, qid), testOwnerToken, nil, &staffView))
		count := 0
		for l := 0; l < likers; l++ {
			var view struct {
				LikedByMe bool `json:"liked_by_me"`
			}
			must(t)(call(ctx, "GET", fmt.Sprintf("%s/%d", qURL, qid), tokens[askers+l], nil, &view))
			if view.LikedByMe {
				count++
			}
			hist := likes[[2]int{l, qi}]
			last := hist[len(hist)-1]
			if last.settled {
				checked++
				if view.LikedByMe != last.liked {
					t.Errorf("liker %d question %d: stored liked=%v, last acknowledged %v", l, qid, view.LikedByMe, last.liked)
				}
			} else {
				prev := hist[len(hist)-2]
				if view.LikedByMe != last.liked && view.LikedByMe != prev.liked {
					t.Errorf("liker %d question %d: impossible state", l, qid)
				}
			}
		}
		if staffView.Likes != count {
			t.Errorf("question %d: count %d but %d participants like it", qid, staffView.Likes, count)
		}
	}
	t.Logf("%d questions and %d like states verified after SIGKILL", len(asked), checked)
}

func must(t *testing.T) func(int, error) {
	return func(_ int, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}
