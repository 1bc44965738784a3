package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/koehq/koe"
)

// The headers of an outbound delivery, besides the signature's: the
// delivery's idempotency key (the same on every attempt: a receiver that
// saw it already has the item) and the event's type.
const (
	DeliveryHeader = "X-Koe-Delivery"
	EventHeader    = "X-Koe-Event"
	userAgent      = "koe-webhook/1"
)

// reserved are the ranges no public destination is in, beyond what
// netip's predicates name: "this network", shared address space (carrier
// NAT), IETF protocol assignments, benchmarking, documentation, the
// reserved class E, and NAT64's well-known prefix over them.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// Public reports whether ip is an address on the internet: not loopback,
// private, link-local, multicast, unspecified or reserved. A webhook may
// reach only those unless the operator allows private destinations (a
// webhook must not become a way into koe's own network).
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// CheckURL refuses, when the configuration is given, a destination that
// names a host which can only be private: a literal address that is not
// Public, or localhost. Names that resolve to private addresses are
// refused when dialled (Client), as the name may change meanwhile.
func CheckURL(raw string, allowPrivate bool) error {
	if allowPrivate {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return koe.Invalid("url", koe.ReasonFormat, 0, "url must be an absolute http(s) URL")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return koe.Invalid("url", koe.ReasonFormat, 0, "the destination names this machine (%s): koe delivers only to public addresses unless its operator allows private ones (KOE_WEBHOOK_ALLOW_PRIVATE)", host)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !Public(ip) {
		return koe.Invalid("url", koe.ReasonFormat, 0, "the destination names a private address (%s): koe delivers only to public addresses unless its operator allows private ones (KOE_WEBHOOK_ALLOW_PRIVATE)", ip)
	}
	return nil
}

// errPrivate is a dial refused because the destination resolved to an
// address that is not Public.
var errPrivate = errors.New("private address")

// Client returns the HTTP client of deliveries: it dials only public
// addresses (unless allowPrivate), after resolution, so that a name
// pointed at a private address later is refused too; it uses no proxy
// from the environment (which would dial for it) and follows no redirect
// (a 3xx is an answer, and a failed attempt); each attempt is bounded by
// timeout.
func Client(allowPrivate bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !Public(ap.Addr()) {
				return fmt.Errorf("%w %s", errPrivate, address)
			}
			return nil
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = d.DialContext
	t.MaxIdleConnsPerHost = 4
	return &http.Client{
		Transport:     t,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Request is one attempt to deliver an item.
type Request struct {
	URL, Secret string
	// Key is the delivery's idempotency key, Event its type.
	Key, Event string
	Body       []byte
}

// Send makes one attempt at now and returns its outcome, and, when the
// destination asked for it (429 or 503 with Retry-After in seconds), how
// long to wait before the next. Only a 2xx answer delivers.
func Send(ctx context.Context, c *http.Client, r Request, now time.Time) (koe.DeliveryAttempt, time.Duration) {
	a := koe.DeliveryAttempt{At: now}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		a.Error = "cannot make the request: " + err.Error()
		return a, 0
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, Sign(r.Secret, ts, r.Body))
	req.Header.Set(DeliveryHeader, r.Key)
	req.Header.Set(EventHeader, r.Event)
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		a.LatencyMS = ms(time.Since(start))
		a.Error = describe(err)
		return a, 0
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, koe.MaxResponseExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	a.LatencyMS = ms(time.Since(start))
	a.Status = resp.StatusCode
	a.Response = strings.ToValidUTF8(string(excerpt), "")
	if resp.StatusCode/100 == 2 {
		return a, 0
	}
	a.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode/100 == 3 {
		a.Error += ": redirects are not followed (" + resp.Header.Get("Location") + ")"
	}
	var wait time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			wait = time.Duration(s) * time.Second
		}
	}
	return a, wait
}

// describe says why a request got no answer, in words an organiser can
// act on.
func describe(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, errPrivate):
		return "refused: the destination resolves to a private address (" + err.Error() + ")"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	}
	return err.Error()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Backoff is how long to wait after the attempt-th failed attempt (from
// 1): first, doubled each time up to most, then spread by jitter (a value
// in [0, 1), drawn by the caller) over half to one and a half times that,
// so that the deliveries that failed together do not all come back at
// once.
func Backoff(attempt int, first, most time.Duration, jitter float64) time.Duration {
	d := first
	for i := 1; i < attempt && d < most; i++ {
		d *= 2
	}
	d = min(d, most)
	return time.Duration(float64(d) * (0.5 + jitter))
}
