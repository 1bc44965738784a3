package xtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func get(t *testing.T, s *Server, token string, params url.Values) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/2/tweets/search/recent?"+params.Encode(), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

func jsonOf(t *testing.T, s string) map[string]any {
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestErrorsAsX(t *testing.T) {
	s := New("tok")
	defer s.Close()
	q := url.Values{"query": {"#koe"}}
	if code, _, body := get(t, s, "wrong", q); code != 401 ||
		!reflect.DeepEqual(body, jsonOf(t, `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`)) {
		t.Fatalf("wrong token: %d %v", code, body)
	}
	for _, bad := range []url.Values{
		{"query": {"#koe"}, "max_results": {"5"}},
		{"query": {"#koe"}, "max_results": {"101"}},
		{"query": {"(#koe"}},
		{"query": {"from:bob"}},
		{"query": {"#koe"}, "tweet.fields": {"nope"}},
		{"query": {"#koe"}, "next_token": {"garbage"}},
	} {
		code, _, body := get(t, s, "tok", bad)
		if errs, _ := body["errors"].([]any); code != 400 || len(errs) != 1 || body["title"] != "Invalid Request" {
			t.Errorf("%v: %d %v, want X's 400", bad, code, body)
		}
	}
	s.SetRateLimit(1, time.Minute)
	code, h, _ := get(t, s, "tok", q)
	reset, _ := strconv.ParseInt(h.Get("x-rate-limit-reset"), 10, 64)
	if code != 200 || h.Get("x-rate-limit-limit") != "1" || h.Get("x-rate-limit-remaining") != "0" || reset < time.Now().Add(59*time.Second).Unix() {
		t.Fatalf("within the limit: %d %v", code, h)
	}
	if code, _, body := get(t, s, "tok", q); code != 429 || s.Throttled() != 1 ||
		!reflect.DeepEqual(body, jsonOf(t, `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`)) {
		t.Fatalf("beyond the limit: %d %v", code, body)
	}
	s.Revoke()
	if code, _, _ := get(t, s, "tok", q); code != 401 || s.Requests() != 10 {
		t.Fatalf("revoked: %d after %d requests", code, s.Requests())
	}
}

func TestPagingNewestFirst(t *testing.T) {
	s := New("tok")
	defer s.Close()
	var all []Tweet
	for i := 0; i < 25; i++ {
		all = append(all, s.Publish("alice", "Alice", "#Koe "+strconv.Itoa(i), "en"))
	}
	s.Publish("bob", "Bob", "no tag", "en")
	s.Retweet("carol", "Carol", all[24])
	q := url.Values{"query": {"(#koe) -is:retweet"}, "since_id": {all[2].ID}, "max_results": {"10"},
		"expansions": {"author_id"}, "tweet.fields": {"created_at"}, "user.fields": {"profile_image_url"}}
	var got []string
	for page := 0; ; page++ {
		code, _, body := get(t, s, "tok", q)
		if code != 200 {
			t.Fatalf("page %d: %d %v", page, code, body)
		}
		meta := body["meta"].(map[string]any)
		data := body["data"].([]any)
		for _, d := range data {
			tw := d.(map[string]any)
			if tw["created_at"] == nil || tw["author_id"] != "1000" || tw["lang"] != nil {
				t.Fatalf("fields of %v", tw)
			}
			got = append(got, tw["id"].(string))
		}
		users := body["includes"].(map[string]any)["users"].([]any)
		if len(users) != 1 || users[0].(map[string]any)["profile_image_url"] == nil {
			t.Fatalf("includes %v", users)
		}
		if meta["result_count"] != float64(len(data)) || meta["newest_id"] != got[len(got)-len(data)] || meta["oldest_id"] != got[len(got)-1] {
			t.Fatalf("meta %v", meta)
		}
		next, _ := meta["next_token"].(string)
		if next == "" {
			break
		}
		q.Set("next_token", next)
	}
	if len(got) != 22 {
		t.Fatalf("got %d tweets, want 22", len(got))
	}
	for i, id := range got {
		if id != all[24-i].ID {
			t.Fatalf("tweet %d is %s, want %s (newest first)", i, id, all[24-i].ID)
		}
	}
	q = url.Values{"query": {"#koe"}, "since_id": {all[24].ID}}
	if _, _, body := get(t, s, "tok", q); body["meta"].(map[string]any)["result_count"] != float64(1) {
		t.Fatalf("without -is:retweet: %v, want the retweet", body)
	}
	q.Set("query", "#koe -is:retweet")
	if _, _, body := get(t, s, "tok", q); !reflect.DeepEqual(body, jsonOf(t, `{"meta":{"result_count":0}}`)) {
		t.Fatalf("nothing newer: %v, want an empty result", body)
	}
}
