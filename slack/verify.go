package slack

import (
	"container/list"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The headers of Slack's request signing, and how far the timestamp may
// be from koe's clock (either way): the window in which a captured
// request could be replayed, which Replays closes.
const (
	TimestampHeader = "X-Slack-Request-Timestamp"
	SignatureHeader = "X-Slack-Signature"
	Window          = 5 * time.Minute
)

// The errors of Verify, each wrapped with what exactly failed; the
// interactivity endpoint answers all of them with 401.
var (
	// ErrStale is a timestamp more than Window from now, in the past or
	// the future: a replay, or a sender whose clock is off.
	ErrStale = errors.New("slack: request timestamp is more than five minutes from koe's clock")
	// ErrBadSignature is a signature that is missing, malformed or does
	// not match (a wrong signing secret, or a body changed on the way);
	// a missing or malformed timestamp is one too, as the signature
	// covers it.
	ErrBadSignature = errors.New("slack: request signature does not match")
	// ErrNoSecret is Verify called without a signing secret: the
	// connection is not configured, and nothing is accepted (anybody can
	// compute an HMAC with an empty key).
	ErrNoSecret = errors.New("slack: no signing secret is configured")
)

// Sign returns the X-Slack-Signature value for body sent at timestamp
// (Unix seconds, as sent in X-Slack-Request-Timestamp).
func Sign(signingSecret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(signingSecret))
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks that a request with headers h and raw body was signed by
// Slack with signingSecret (version v0) no more than Window from now.
// The signature is compared in constant time. It returns nil, or an error
// that wraps ErrStale, ErrBadSignature or ErrNoSecret.
func Verify(signingSecret string, h http.Header, body []byte, now time.Time) error {
	if signingSecret == "" {
		return ErrNoSecret
	}
	ts := h.Get(TimestampHeader)
	if ts == "" {
		return fmt.Errorf("%w: no %s header", ErrBadSignature, TimestampHeader)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || strconv.FormatInt(sec, 10) != ts {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrBadSignature, TimestampHeader)
	}
	// Compared in seconds, so that no timestamp overflows a Duration.
	if d := now.Unix() - sec; d > int64(Window/time.Second) || d < -int64(Window/time.Second) {
		return fmt.Errorf("%w (%s)", ErrStale, TimestampHeader)
	}
	sig := h.Get(SignatureHeader)
	if sig == "" {
		return fmt.Errorf("%w: no %s header", ErrBadSignature, SignatureHeader)
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(signingSecret, ts, body))) {
		return fmt.Errorf("%w: check the signing secret", ErrBadSignature)
	}
	return nil
}

// Replays remembers the signatures of requests it was shown, for a
// window, so that a request captured and sent again while its timestamp
// is still fresh is refused. Its memory is bounded: at most max
// signatures, the oldest forgotten first (so max should exceed the
// requests expected in a window). It is safe for concurrent use.
//
// Show it only requests that passed Verify: unverified signatures would
// let anybody push the real ones out.
type Replays struct {
	window time.Duration
	max    int

	mu    sync.Mutex
	seen  map[string]*list.Element
	order *list.List // of *replay, oldest first
}

type replay struct {
	sig string
	at  time.Time
}

// NewReplays returns a guard remembering up to limit signatures for window
// (at least one signature; Window if window is not positive).
func NewReplays(window time.Duration, limit int) *Replays {
	if window <= 0 {
		window = Window
	}
	return &Replays{window: window, max: max(limit, 1), seen: make(map[string]*list.Element), order: list.New()}
}

// Seen reports whether signature was seen within the window before now;
// if it was not, it is remembered from now on.
func (r *Replays) Seen(signature string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for e := r.order.Front(); e != nil; e = r.order.Front() {
		if now.Sub(e.Value.(*replay).at) < r.window {
			break
		}
		r.forget(e)
	}
	if e, ok := r.seen[signature]; ok {
		if now.Sub(e.Value.(*replay).at) < r.window {
			return true
		}
		r.forget(e) // expired, but behind a younger one: remembered again below
	}
	for r.order.Len() >= r.max {
		r.forget(r.order.Front())
	}
	r.seen[signature] = r.order.PushBack(&replay{sig: signature, at: now})
	return false
}

// Len returns how many signatures are remembered.
func (r *Replays) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.order.Len()
}

func (r *Replays) forget(e *list.Element) {
	delete(r.seen, e.Value.(*replay).sig)
	r.order.Remove(e)
}
