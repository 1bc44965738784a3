package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/koehq/koe/moderation"
)

// The limits of a request to koe scorer: a question is far shorter; the
// margin is for replies and posts to come, and JSON escapes.
const (
	scorerMaxBody  = 16 << 10
	scorerMaxRunes = 4096
)

// scorer runs koe scorer: the shipped learned model served over the HTTP
// scorer contract (docs/architecture.md, "The learned scorer"), to run
// as a Deployment of its own and be named in KOE_SCORERS.
func scorer(args []string) error {
	fs := flag.NewFlagSet("scorer", flag.ContinueOnError)
	addr := fs.String("addr", env("KOE_SCORER_ADDR", "127.0.0.1:8090"), "listen address (KOE_SCORER_ADDR)")
	drainTimeout := fs.Duration("drain-timeout", envDuration("KOE_DRAIN_TIMEOUT", 20*time.Second), "how long shutdown waits for requests to finish (KOE_DRAIN_TIMEOUT)")
	level := fs.String("log-level", env("KOE_LOG_LEVEL", "info"), "debug, info, warn or error (KOE_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("koe scorer takes no arguments, got %q", fs.Args())
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: lvl}))
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// Trained before listening, so that the first request does not wait.
	model := moderation.Shipped()
	good, bad := model.Examples()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	srv := &http.Server{
		Handler:           scorerHandler(model),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("koe scorer serving", "addr", ln.Addr().String(), "version", version, "commit", commit, "good_examples", good, "bad_examples", bad)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("draining", "timeout", drainTimeout.String())
	drain, cancel := context.WithTimeout(context.Background(), *drainTimeout)
	defer cancel()
	if err := srv.Shutdown(drain); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("requests did not all finish in time", "error", err)
	}
	log.Info("stopped")
	return nil
}

// scorerAnswer is the contract's answer, with the n-grams behind the
// score for whoever wants to show them.
type scorerAnswer struct {
	Labels moderation.Scores        `json:"labels"`
	Ngrams []moderation.NgramWeight `json:"ngrams"`
}

// scorerHandler serves the contract on POST / and POST /score, and
// GET /healthz for probes.
func scorerHandler(model *moderation.Model) http.Handler {
	score := func(w http.ResponseWriter, r *http.Request) {
		text, err := readScorerRequest(w, r)
		if err != nil {
			writeScorerJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "invalid", "message": err.Error()}})
			return
		}
		j := model.Judge(text)
		if j.Ngrams == nil {
			j.Ngrams = []moderation.NgramWeight{}
		}
		writeScorerJSON(w, http.StatusOK, scorerAnswer{Labels: moderation.Scores{"bad": j.Bad}, Ngrams: j.Ngrams})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{$}", score)
	mux.HandleFunc("POST /score", score)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
	})
	return mux
}

// readScorerRequest decodes {"text": "...", "lang": "ja"} (lang optional,
// and unused: the model reads characters, whatever the language).
func readScorerRequest(w http.ResponseWriter, r *http.Request) (string, error) {
	var in struct {
		Text *string `json:"text"`
		Lang string  `json:"lang"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, scorerMaxBody))
	if err := dec.Decode(&in); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", fmt.Errorf("the body is larger than %d bytes", scorerMaxBody)
		}
		return "", fmt.Errorf(`the body must be JSON {"text": "...", "lang": "..."}`)
	}
	if dec.More() {
		return "", fmt.Errorf("the body must hold one JSON object")
	}
	if in.Text == nil {
		return "", fmt.Errorf(`"text" is required`)
	}
	if n := utf8.RuneCountInString(*in.Text); n > scorerMaxRunes {
		return "", fmt.Errorf(`"text" is %d characters, more than %d`, n, scorerMaxRunes)
	}
	return *in.Text, nil
}

func writeScorerJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
