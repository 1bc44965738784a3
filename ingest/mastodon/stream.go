package mastodon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/koehq/koe/ingest"
)

const (
	// streamIdle is how long a stream may stay silent: Mastodon sends a
	// heartbeat every 15 s, so a longer silence is a dead connection.
	streamIdle = time.Minute
	// maxBackoff bounds the wait before reconnecting streams; the
	// timeline is polled meanwhile, so nothing waits that long.
	maxBackoff = 2 * time.Minute
	// stableStream is how long streams must have stayed up for the next
	// drop to reconnect after opts.Retry again rather than a longer wait.
	stableStream = time.Minute
)

// stream follows the hashtags' streams. Before (re)connecting, and once
// the streams are up, it polls forward so that what was published between
// is delivered; while they are down it polls every PollEvery.
func (r *run) stream(ctx context.Context) error {
	r.report("polling", nil)
	backoff := r.src.opts.Retry
	for {
		if err := r.forward(ctx); err != nil {
			return err
		}
		began := r.src.opts.Now()
		drop, err := r.follow(ctx)
		if err != nil {
			return err
		}
		if r.src.opts.Now().Sub(began) >= stableStream {
			backoff = r.src.opts.Retry
		}
		r.report("polling", drop)
		if err := r.pollFor(ctx, backoff); err != nil {
			return err
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// pollFor waits d, polling every PollEvery meanwhile.
func (r *run) pollFor(ctx context.Context, d time.Duration) error {
	for d > 0 {
		step := min(d, r.src.opts.PollEvery)
		if err := ingest.Wait(ctx, step); err != nil {
			return err
		}
		if d -= step; d > 0 {
			if err := r.forward(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// follow opens one stream per hashtag and delivers their updates until
// one drops (drop) or something fails that ends Run (err).
func (r *run) follow(ctx context.Context) (drop, err error) {
	sctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	updates := make(chan status, 64)
	connected := make(chan struct{}, len(r.src.tags))
	ended := make(chan error, len(r.src.tags))
	for _, tag := range r.src.tags {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ended <- r.src.listen(sctx, tag, connected, updates)
		}()
	}
	up := 0
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-connected:
			if up++; up < len(r.src.tags) {
				continue
			}
			// What was published while the streams were opening.
			if err := r.forward(ctx); err != nil {
				return nil, err
			}
			r.report("streaming", nil)
		case st := <-updates:
			if err := r.deliver(ctx, []status{st}); err != nil {
				return nil, err
			}
		case err := <-ended:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if errors.Is(err, ingest.ErrNeedsOrganizer) {
				return nil, err
			}
			return err, nil
		}
	}
}

// listen reads the stream of one hashtag, signalling connected once it is
// open and sending its statuses to updates, until it drops (the error
// says how) or ctx ends.
func (s *Source) listen(ctx context.Context, tag string, connected chan<- struct{}, updates chan<- status) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	u := s.base + "/api/v1/streaming/hashtag?tag=" + url.QueryEscape(tag)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("mastodon: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+s.token)
	// The client's timeout bounds whole requests; a stream is bounded by
	// its heartbeats instead.
	client := *s.opts.Client
	client.Timeout = 0
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("mastodon: stream #%s: %w", tag, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := ingest.ReadBody(resp.Body)
		msg := platformMessage(body, resp.StatusCode)
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return fmt.Errorf("mastodon: %s: the instance refused the access token (%s): %w", s.host, msg, ingest.ErrNeedsOrganizer)
		}
		return fmt.Errorf("mastodon: stream #%s: %d %s", tag, resp.StatusCode, msg)
	}
	connected <- struct{}{}
	idle := time.AfterFunc(streamIdle, cancel)
	defer idle.Stop()
	br := bufio.NewReader(resp.Body)
	for {
		ev, err := readEvent(br, func() { idle.Reset(streamIdle) })
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("closed by the instance")
			} else if ctx.Err() != nil {
				err = fmt.Errorf("silent for %s", streamIdle)
			}
			return fmt.Errorf("mastodon: stream #%s dropped: %w", tag, err)
		}
		if ev.name != "update" {
			continue // delete, status.update, and what else may come
		}
		var st status
		if err := json.Unmarshal([]byte(ev.data), &st); err != nil {
			// The catch-up poll before reconnecting reads it properly.
			return fmt.Errorf("mastodon: stream #%s: an update that is not a JSON status: %w", tag, err)
		}
		select {
		case updates <- st:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	name, data string
}

// readEvent reads the next event that carries data, skipping comments
// (Mastodon's ":thump" heartbeats); alive is called after every line.
func readEvent(br *bufio.Reader, alive func()) (sseEvent, error) {
	var ev sseEvent
	var data []string
	size := 0
	for {
		line, err := readLine(br)
		if err != nil {
			return sseEvent{}, err
		}
		alive()
		if line == "" {
			if len(data) > 0 {
				ev.data = strings.Join(data, "\n")
				return ev, nil
			}
			ev, size = sseEvent{}, 0
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			ev.name = value
		case "data":
			if size += len(value) + 1; size > ingest.MaxResponse {
				return sseEvent{}, fmt.Errorf("an event larger than %d bytes", ingest.MaxResponse)
			}
			data = append(data, value)
		}
	}
}

// readLine reads a line of at most ingest.MaxResponse bytes, without its
// end (LF, CRLF).
func readLine(br *bufio.Reader) (string, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > ingest.MaxResponse {
			return "", fmt.Errorf("a line longer than %d bytes", ingest.MaxResponse)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return "", err
		}
		return strings.TrimRight(string(line), "\r\n"), nil
	}
}
