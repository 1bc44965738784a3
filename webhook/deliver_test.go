package webhook

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe"
)

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:4700::1111": true, "8.8.8.8": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fc00::1": false, "0.0.0.0": false, "::": false,
		"100.64.0.1": false, "224.0.0.1": false, "ff02::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"198.18.0.1": false, "240.0.0.1": false, "255.255.255.255": false, "2001:db8::1": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:9/x", "https://localhost/x", "http://api.localhost./", "http://[::1]/",
		"http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://[::ffff:192.168.0.1]/"} {
		if err := CheckURL(u, false); koe.ErrorCode(err) != koe.EINVALID {
			t.Errorf("CheckURL(%s) = %v, want EINVALID", u, err)
		}
		if err := CheckURL(u, true); err != nil {
			t.Errorf("CheckURL(%s) with private allowed: %v", u, err)
		}
	}
	for _, u := range []string{"https://hooks.example.com/koe", "http://93.184.216.34:8080/in"} {
		if err := CheckURL(u, false); err != nil {
			t.Errorf("CheckURL(%s): %v", u, err)
		}
	}
}

func TestSendSignsAndReports(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	got := make(chan *http.Request, 1)
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ = io.ReadAll(r.Body)
		got <- r
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, strings.Repeat("é", koe.MaxResponseExcerpt))
	}))
	defer srv.Close()
	req := Request{URL: srv.URL + "/in", Secret: "whsec_x", Key: "0000000000000000000000000000002a-1", Event: "question.created", Body: []byte(`{"type":"question.created"}`)}
	a, wait := Send(t.Context(), Client(true, 5*time.Second), req, now)
	if a.Error != "" || a.Status != 202 || wait != 0 || !a.At.Equal(now) || a.LatencyMS <= 0 {
		t.Fatalf("attempt %+v, wait %v", a, wait)
	}
	if len(a.Response) > koe.MaxResponseExcerpt || !strings.HasPrefix(a.Response, "éé") || strings.ContainsRune(a.Response, '\uFFFD') {
		t.Errorf("excerpt of %d bytes, not cut at a character: %q…", len(a.Response), a.Response[:8])
	}
	r := <-got
	if r.Header.Get(DeliveryHeader) != req.Key || r.Header.Get(EventHeader) != req.Event || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", r.Header)
	}
	if err := Verify("whsec_x", r.Header.Get(TimestampHeader), r.Header.Get(SignatureHeader), body, now); err != nil {
		t.Errorf("the receiver cannot verify the delivery: %v", err)
	}
}

func TestSendFailures(t *testing.T) {
	now := time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/busy":
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/moved":
			http.Redirect(w, r, "http://169.254.169.254/", http.StatusFound)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		default:
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	c := Client(true, 100*time.Millisecond)
	send := func(c *http.Client, url string) (koe.DeliveryAttempt, time.Duration) {
		return Send(t.Context(), c, Request{URL: url, Secret: "s", Key: "k", Event: "e", Body: []byte("{}")}, now)
	}
	if a, _ := send(c, srv.URL+"/fail"); a.Status != 500 || a.Error != "HTTP 500" || !strings.Contains(a.Response, "boom") {
		t.Errorf("500: %+v", a)
	}
	if a, wait := send(c, srv.URL+"/busy"); a.Status != 429 || wait != 30*time.Second {
		t.Errorf("429: %+v, wait %v", a, wait)
	}
	if a, _ := send(c, srv.URL+"/moved"); a.Status != 302 || !strings.Contains(a.Error, "redirects are not followed") {
		t.Errorf("302: %+v", a)
	}
	if a, _ := send(c, srv.URL+"/slow"); a.Status != 0 || a.Error != "timed out" {
		t.Errorf("slow: %+v", a)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	if a, _ := send(c, closed); a.Status != 0 || a.Error != "connection refused" {
		t.Errorf("closed port: %+v", a)
	}
	// Without the operator's leave, loopback is refused when dialled,
	// also behind a name.
	strict := Client(false, time.Second)
	for _, u := range []string{srv.URL + "/ok", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/ok"} {
		if a, _ := send(strict, u); a.Status != 0 || !strings.Contains(a.Error, "private address") {
			t.Errorf("%s without leave: %+v", u, a)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if a, _ := Send(ctx, c, Request{URL: srv.URL, Body: []byte("{}")}, now); a.Error == "" {
		t.Errorf("cancelled: %+v", a)
	}
}

func TestBackoff(t *testing.T) {
	first, most := 10*time.Second, time.Hour
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 5: 160 * time.Second, 9: 2560 * time.Second, 10: time.Hour, 40: time.Hour} {
		if got := Backoff(n, first, most, 0.5); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
		if lo, hi := Backoff(n, first, most, 0), Backoff(n, first, most, 0.999); lo != want/2 || hi < want*149/100 || hi >= want*3/2 {
			t.Errorf("Backoff(%d) spreads over [%v, %v]", n, lo, hi)
		}
	}
}
