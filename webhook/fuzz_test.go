package webhook

import (
	"testing"
	"time"
)

func FuzzVerify(f *testing.F) {
	f.Add("secret", "1800000000", "sha256=00", []byte("{}"))
	f.Fuzz(func(t *testing.T, secret, ts, sig string, body []byte) {
		now := time.Unix(1_800_000_000, 0)
		if err := Verify(secret, ts, sig, body, now); err == nil && (secret == "" || sig != Sign(secret, ts, body)) {
			t.Fatalf("accepted a wrong signature")
		}
	})
}
