package api_test

import (
	"net/http"
	"testing"

	"github.com/koehq/koe/act"
)

// TestClientConfig: GET /api/v1/config serves the join base koe was given,
// to anyone, as the document says.
func TestClientConfig(t *testing.T) {
	for _, want := range []act.JoinBase{
		{URL: "https://koe.example.org", Loopback: false},
		{URL: "http://192.168.1.20:8080", Loopback: false},
		{URL: "http://localhost:8080", Loopback: true},
		{},
	} {
		h := newHarness(t, func(c *harnessConfig) { c.act.JoinBase = want })
		e, _ := h.setup()
		participant, _ := h.join(e.JoinCode, "Pat")
		for _, c := range []*client{h.client(""), h.browser(), participant, h.client(ownerToken)} {
			r := c.get("/api/v1/config")
			if !r.want(t, http.StatusOK, "") {
				continue
			}
			var got act.JoinBase
			r.decode(t, &got)
			if got != want {
				t.Errorf("GET /api/v1/config = %+v, want %+v", got, want)
			}
		}
	}
}
