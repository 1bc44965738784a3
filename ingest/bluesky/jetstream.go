package bluesky

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/lxzan/gws"

	"github.com/koehq/koe/ingest"
)

const (
	// maxMessage is the largest Jetstream message asked for (a post is a
	// few KiB); Jetstream leaves out larger ones, so one cannot make the
	// reader fail over and over on replay. maxFrame allows for the frame.
	maxMessage = 1 << 20
	maxFrame   = 2 * maxMessage
	// rewind is how far before the last event seen a reconnection starts:
	// Jetstream's times are not strictly in order, and koe skips repeats.
	rewind      = 5 * time.Second
	maxRetry    = time.Minute
	pingEvery   = 30 * time.Second
	readTimeout = 3 * pingEvery // nothing, not even a pong: the link is dead
	// progressEvery is how often the reader tells how far it has come
	// when no post matches.
	progressEvery = time.Second
)

// stream follows the Jetstream from time_us from (0: live), reconnecting
// until ctx ends; a refusal only the organiser can mend goes to fatal.
func (s *Source) stream(ctx context.Context, from int64, items chan<- streamItem, notes chan<- note, fatal chan<- error) {
	r := &jetReader{s: s, ctx: ctx, items: items, notes: notes, last: from}
	wait := s.opts.Retry
	for {
		err := r.connect()
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ingest.ErrNeedsOrganizer) {
			fatal <- err
			return
		}
		r.note(note{state: "waiting", err: fmt.Errorf("bluesky: jetstream: %w", err)})
		if r.got {
			wait = s.opts.Retry
		}
		if ingest.Wait(ctx, wait) != nil {
			return
		}
		if !r.got {
			wait = min(2*wait, max(maxRetry, s.opts.Retry))
		}
	}
}

// jetReader reads one Jetstream connection at a time.
type jetReader struct {
	gws.BuiltinEventHandler
	s     *Source
	ctx   context.Context
	items chan<- streamItem
	notes chan<- note

	last      int64 // the newest time_us seen
	got       bool  // the current connection gave a valid event
	sentAt    time.Time
	malformed int
	closeErr  error
}

func (r *jetReader) url() string {
	u, _ := url.Parse(r.s.jetstream) // checked by New
	q := u.Query()
	q.Set("wantedCollections", postCollection)
	q.Set("maxMessageSizeBytes", strconv.Itoa(maxMessage))
	if r.last > 0 {
		q.Set("cursor", strconv.FormatInt(max(r.last-rewind.Microseconds(), 1), 10))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

type ctxDialer struct {
	ctx context.Context
	d   net.Dialer
}

func (d *ctxDialer) Dial(network, addr string) (net.Conn, error) {
	return d.d.DialContext(d.ctx, network, addr)
}

// connect reads one connection until it drops.
func (r *jetReader) connect() error {
	r.got, r.closeErr = false, nil
	conn, resp, err := gws.NewClient(r, &gws.ClientOption{
		Addr:               r.url(),
		ReadMaxPayloadSize: maxFrame,
		HandshakeTimeout:   10 * time.Second,
		NewDialer: func() (gws.Dialer, error) {
			return &ctxDialer{ctx: r.ctx, d: net.Dialer{Timeout: 10 * time.Second}}, nil
		},
	})
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 && resp.StatusCode < 500 &&
			resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
			return fmt.Errorf("bluesky: jetstream %s refused the connection: HTTP %d: %w", r.s.jetstream, resp.StatusCode, ingest.ErrNeedsOrganizer)
		}
		if resp != nil {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return err
	}
	stop := context.AfterFunc(r.ctx, func() { _ = conn.NetConn().Close() })
	defer stop()
	r.note(note{state: "streaming"})
	_ = conn.SetReadDeadline(time.Now().Add(readTimeout))
	pinging := make(chan struct{})
	go func() {
		t := time.NewTicker(pingEvery)
		defer t.Stop()
		for {
			select {
			case <-pinging:
				return
			case <-t.C:
				_ = conn.WritePing(nil)
			}
		}
	}()
	conn.ReadLoop()
	close(pinging)
	if r.closeErr == nil {
		return errors.New("connection closed")
	}
	return r.closeErr
}

func (r *jetReader) note(n note) {
	select {
	case r.notes <- n:
	case <-r.ctx.Done():
	}
}

// OnClose implements gws.Event.
func (r *jetReader) OnClose(_ *gws.Conn, err error) { r.closeErr = err }

// OnPong implements gws.Event.
func (r *jetReader) OnPong(c *gws.Conn, _ []byte) { _ = c.SetReadDeadline(time.Now().Add(readTimeout)) }

// OnMessage implements gws.Event: it decodes, keeps what matches and
// skips what it cannot read (counted, reported).
func (r *jetReader) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	_ = c.SetReadDeadline(time.Now().Add(readTimeout))
	us, post, err := decodeEvent(m.Bytes(), r.s.match)
	if err != nil {
		r.malformed++
		r.note(note{err: fmt.Errorf("bluesky: jetstream: skipped %d malformed messages, the last: %w", r.malformed, err)})
		return
	}
	r.got = true
	r.last = max(r.last, us)
	if post == nil && time.Since(r.sentAt) < progressEvery {
		return
	}
	select {
	case r.items <- streamItem{post: post, timeUS: r.last}:
		r.sentAt = time.Now()
	case <-r.ctx.Done():
	}
}
