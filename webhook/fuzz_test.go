package webhook

import (
	"net/netip"
	"net/url"
	"strings"
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

// FuzzCheckURL: a destination CheckURL lets through never names a
// literal private address or localhost.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://hooks.example.com/x", "http://127.0.0.1/", "http://[::ffff:10.0.0.1]:80/", "http://LOCALHOST./", "http://0x7f000001/", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if CheckURL(raw, false) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("accepted an unparsable URL %q", raw)
		}
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
		if ip, err := netip.ParseAddr(host); err == nil && !Public(ip) || host == "localhost" {
			t.Fatalf("accepted %q", raw)
		}
	})
}
