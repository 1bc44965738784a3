package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/koehq/koe/moderation"
)

// startScorer runs koe scorer on addr and waits until /healthz answers.
func startScorer(t *testing.T, bin, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "scorer", "-addr", addr, "-log-level", "warn")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == "ok" {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("koe scorer did not become ready")
	return nil
}

// TestScorerCommand runs koe scorer as a process and calls it the way koe
// serve does, with an HTTPScorer over real HTTP; then stops it with
// SIGTERM and sees the calls fail and the circuit open.
func TestScorerCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs koe scorer")
	}
	addr := freeAddr(t)
	cmd := startScorer(t, buildKoe(t), addr)
	base := "http://" + addr
	s, err := moderation.NewHTTPScorer("koe", base+"/score", moderation.HTTPScorerOptions{Timeout: 5 * time.Second, FailureThreshold: 3, Cooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	score := func(text, lang string) float64 {
		t.Helper()
		got, err := s.Score(ctx, text, lang)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("labels %v, want bad alone", got)
		}
		return got["bad"]
	}
	for _, c := range []struct{ lang, good, bad string }{
		{"en", "How do you test goroutine leaks in CI?", "Shut up, you clueless clown, nobody wants to hear you"},
		{"ja", "PostgreSQLのVACUUMはどう運用していますか？", "お前の発表つまらない、帰れよバカ"},
		{"en", "Will the slides be published?", "Earn $5000 a week from home, DM me now!!!"},
	} {
		g, b := score(c.good, c.lang), score(c.bad, c.lang)
		if b <= g {
			t.Errorf("%s: bad %q scores %.3f, good %q %.3f", c.lang, c.bad, b, c.good, g)
		}
	}

	// The answer on POST / too, with the n-grams; and the refusals.
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("POST %s %s: status %d, not JSON: %v", path, body, resp.StatusCode, err)
		}
		return resp.StatusCode, out
	}
	status, out := post("/", `{"text":"Who let this clown speak?"}`)
	if ngrams, _ := out["ngrams"].([]any); status != 200 || len(ngrams) == 0 {
		t.Fatalf("POST /: %d %v", status, out)
	}
	for _, body := range []string{
		`not json`, `{"lang":"en"}`, `{"text":42}`, `{"text":"a"} {"text":"b"}`,
		`{"text":"` + strings.Repeat("あ", 4097) + `"}`,
		`{"text":"` + strings.Repeat("a", 17<<10) + `"}`,
	} {
		status, out := post("/score", body)
		e, _ := out["error"].(map[string]any)
		if status != 400 || e["code"] != "invalid" || e["message"] == "" {
			t.Errorf("POST %.40s…: %d %v, want 400 invalid", body, status, out)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("koe scorer exited with %v after SIGTERM", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("koe scorer did not exit after SIGTERM")
	}
	for i := range 3 {
		_, err := s.Score(ctx, "hello", "en")
		if !errors.Is(err, moderation.ErrUnavailable) || errors.Is(err, moderation.ErrOpen) {
			t.Fatalf("call %d to a stopped scorer: %v, want unavailable", i+1, err)
		}
	}
	if _, err := s.Score(ctx, "hello", "en"); !errors.Is(err, moderation.ErrOpen) || s.State() != "open" {
		t.Fatalf("after 3 failures: %v (state %s), want the circuit open", err, s.State())
	}
}

// FuzzScorerRequest: whatever the body, koe scorer answers 200 with a
// score in [0, 1] or 400 with the error, always JSON.
func FuzzScorerRequest(f *testing.F) {
	for _, s := range []string{`{"text":"How do you test this?","lang":"en"}`, `{"text":""}`, `{}`, `null`,
		`{"text":"a"}{}`, `{"text":"\u0000\ud800"}`, `{"text":"スライドは公開されますか？"}`, `[`} {
		f.Add([]byte(s))
	}
	h := scorerHandler(moderation.Shipped())
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/score", bytes.NewReader(body)))
		var out struct {
			Labels map[string]float64 `json:"labels"`
			Error  *struct{ Code, Message string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("status %d, not JSON: %q", rec.Code, rec.Body.String())
		}
		switch rec.Code {
		case 200:
			if p, ok := out.Labels["bad"]; !ok || len(out.Labels) != 1 || p < 0 || p > 1 {
				t.Fatalf("200 with %v", out.Labels)
			}
		case 400:
			if out.Error == nil || out.Error.Code != "invalid" {
				t.Fatalf("400 with %q", rec.Body.String())
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}
