package mastodontest_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe/ingest/mastodon/mastodontest"
)

func get(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func ids(t *testing.T, b []byte) []string {
	t.Helper()
	var page []mastodontest.Status
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var out []string
	for _, st := range page {
		out = append(out, st.ID)
	}
	return out
}

func TestTimelinePaging(t *testing.T) {
	s := mastodontest.New()
	defer s.Close()
	var all []string
	for i := 0; i < 5; i++ {
		all = append(all, s.Publish(mastodontest.Post{Text: "hi", Tags: []string{"Koe"}}.Status(s.URL())).ID)
	}
	s.Publish(mastodontest.Post{Text: "other", Tags: []string{"other"}}.Status(s.URL()))
	base := s.URL() + "/api/v1/timelines/tag/koe"
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{all[4], all[3], all[2], all[1], all[0]}},
		{"?limit=2", []string{all[4], all[3]}},
		{"?min_id=" + all[0] + "&limit=2", []string{all[2], all[1]}},
		{"?since_id=" + all[0] + "&limit=2", []string{all[4], all[3]}},
		{"?max_id=" + all[3] + "&limit=2", []string{all[2], all[1]}},
		{"?min_id=" + all[4], nil},
	} {
		resp, b := get(t, base+tc.query, "")
		if got := ids(t, b); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
		if link := resp.Header.Get("Link"); len(tc.want) > 0 && (!strings.Contains(link, "max_id="+tc.want[len(tc.want)-1]+`>; rel="next"`) || !strings.Contains(link, "min_id="+tc.want[0]+`>; rel="prev"`)) {
			t.Errorf("%s: Link %q", tc.query, link)
		}
	}
	_, b := get(t, s.URL()+"/api/v1/timelines/tag/other?any[]=koe&limit=40", "")
	if got := ids(t, b); len(got) != 6 {
		t.Errorf("any[] gave %v", got)
	}
}

func TestFaults(t *testing.T) {
	s := mastodontest.New()
	defer s.Close()
	url := s.URL() + "/api/v1/timelines/tag/koe"
	s.RequireAuth(true)
	if resp, b := get(t, url, ""); resp.StatusCode != 422 || !strings.Contains(string(b), "This method requires an authenticated user") {
		t.Errorf("public timeline disabled: %d %s", resp.StatusCode, b)
	}
	s.SetToken("tok")
	if resp, _ := get(t, url, "tok"); resp.StatusCode != 200 {
		t.Errorf("with the token: %d", resp.StatusCode)
	}
	if resp, b := get(t, url, "revoked"); resp.StatusCode != 401 || !strings.Contains(string(b), "The access token is invalid") {
		t.Errorf("another token: %d %s", resp.StatusCode, b)
	}
	s.RequireAuth(false)
	s.SetRateLimit(1, time.Minute)
	resp, _ := get(t, url, "")
	if resp.Header.Get("X-RateLimit-Limit") != "1" || resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Reset") == "" {
		t.Errorf("rate limit headers %v", resp.Header)
	}
	if resp, _ := get(t, url, ""); resp.StatusCode != 429 {
		t.Errorf("over the budget: %d", resp.StatusCode)
	}
	s.SetRateLimit(0, 0)
	s.Fail(1, 502)
	if resp, _ := get(t, url, ""); resp.StatusCode != 502 {
		t.Errorf("Fail: %d", resp.StatusCode)
	}
	s.Malformed(1)
	if _, b := get(t, url, ""); json.Valid(b) {
		t.Errorf("Malformed gave valid JSON %s", b)
	}
	if _, b := get(t, url, ""); !json.Valid(b) {
		t.Errorf("after Malformed: %s", b)
	}
}

func TestStreamAndTestPublish(t *testing.T) {
	s := mastodontest.New()
	defer s.Close()
	s.SetToken("tok")
	if resp, _ := get(t, s.URL()+"/api/v1/streaming/hashtag?tag=koe", ""); resp.StatusCode != 401 {
		t.Fatalf("a stream without a token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/api/v1/streaming/hashtag?tag=koe", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, _ := br.ReadString('\n'); line != ":)\n" {
		t.Fatalf("stream opened with %q", line)
	}
	pub, err := http.Post(s.URL()+"/test/statuses", "application/json",
		strings.NewReader(`{"text":"Hello #pyconjp <3","tags":["pyconjp","koe"],"acct":"alice","display_name":"Alice","language":"en"}`))
	if err != nil {
		t.Fatal(err)
	}
	var st mastodontest.Status
	json.NewDecoder(pub.Body).Decode(&st)
	pub.Body.Close()
	if st.ID == "" || !strings.HasSuffix(st.URI, "/users/alice/statuses/"+st.ID) || !strings.HasPrefix(st.Content, "<p>Hello <a ") ||
		!strings.Contains(st.Content, "&lt;3") || len(st.Tags) != 2 || st.Account.DisplayName != "Alice" || st.Language != "en" {
		t.Fatalf("published %+v", st)
	}
	ev, _ := br.ReadString('\n')
	data, _ := br.ReadString('\n')
	if ev != "event: update\n" || !strings.Contains(data, `"id":"`+st.ID+`"`) {
		t.Fatalf("stream sent %q %q", ev, data)
	}
	s.SetToken("new")
	if _, err := io.ReadAll(br); err != nil {
		t.Fatalf("the revoked stream did not end cleanly: %v", err)
	}
}
