// Package webhook is koe's one way of signing an HTTP request with a
// shared secret, in both directions: what a relay pushes to a social feed's
// webhook source, and what koe delivers to an event's webhooks
// (docs/webhooks.md). The receiver checks "sha256=" and the hex
// HMAC-SHA256 of the timestamp, ".", and the body.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/koehq/koe"
)

// The signature's headers, and how far its timestamp may be from the
// receiver's clock: the window in which a captured request could be
// replayed.
const (
	TimestampHeader = "X-Koe-Timestamp"
	SignatureHeader = "X-Koe-Signature"
	Window          = 5 * time.Minute
)

// Sign returns the signature header's value for body sent at timestamp
// (Unix seconds): "sha256=" and the hex HMAC-SHA256, keyed with the
// secret, of the timestamp, ".", and the body.
func Sign(secret string, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook request's signature and timestamp at now.
// Every failure is EUNAUTHORIZED, with a message that says which check
// failed but nothing of the secret.
func Verify(secret, timestamp, signature string, body []byte, now time.Time) error {
	if secret == "" {
		return koe.Errorf(koe.EUNAUTHORIZED, "there is no signing secret")
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || strconv.FormatInt(sec, 10) != timestamp {
		return koe.Errorf(koe.EUNAUTHORIZED, "%s must be the time of sending in Unix seconds", TimestampHeader)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Window || d < -Window {
		return koe.Errorf(koe.EUNAUTHORIZED, "%s is more than %s from koe's clock: check the sender's clock, and do not replay requests", TimestampHeader, Window)
	}
	want := Sign(secret, timestamp, body)
	if !strings.HasPrefix(signature, "sha256=") || !hmac.Equal([]byte(signature), []byte(want)) {
		return koe.Errorf(koe.EUNAUTHORIZED, "%s does not match: sign \"timestamp.body\" with HMAC-SHA256 and the secret", SignatureHeader)
	}
	return nil
}
