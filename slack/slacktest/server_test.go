package slacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"
)

// call posts a JSON body to a Web API method with the token and returns
// the decoded answer and status.
func call(t *testing.T, s *Server, method, token, body string) (map[string]any, int, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL()+method, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v, resp.StatusCode, resp.Header
}

const hello = `{"channel":"C0KOE","text":"hello","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"hello"}}]}`

func TestPostMessageAndUpdate(t *testing.T) {
	s := New()
	defer s.Close()
	a, status, _ := call(t, s, "chat.postMessage", s.Token, hello)
	if status != 200 || a["ok"] != true || a["channel"] != "C0KOE" || a["ts"] != "1700000000.000100" {
		t.Fatalf("postMessage: %d %v", status, a)
	}
	msg := a["message"].(map[string]any)
	if msg["text"] != "hello" || msg["ts"] != a["ts"] || msg["bot_id"] != BotID {
		t.Fatalf("message %v", msg)
	}
	b, _, _ := call(t, s, "chat.postMessage", s.Token, `{"channel":"C0KOE","text":"second"}`)
	if b["ts"] != "1700000000.000200" {
		t.Fatalf("second ts %v", b["ts"])
	}
	// An update with text only keeps the blocks, as Slack does.
	u, _, _ := call(t, s, "chat.update", s.Token, `{"channel":"C0KOE","ts":"1700000000.000100","text":"edited"}`)
	if u["ok"] != true || u["text"] != "edited" {
		t.Fatalf("update %v", u)
	}
	p, ok := s.Message("C0KOE", "1700000000.000100")
	if !ok || p.Text != "edited" || !strings.Contains(string(p.Blocks), `"hello"`) || p.Updates != 1 || p.History[0].Text != "hello" {
		t.Fatalf("after update %+v", p)
	}
	if got := s.Messages("C0KOE"); len(got) != 2 || got[1].Text != "second" {
		t.Fatalf("messages %+v", got)
	}
	// Copies: changing what Messages returned changes nothing.
	s.Messages("C0KOE")[0].History[0].Text = "x"
	if p, _ := s.Message("C0KOE", "1700000000.000100"); p.History[0].Text != "hello" {
		t.Fatal("Messages returned the server's own history")
	}
}

func TestWebAPIErrors(t *testing.T) {
	s := New()
	defer s.Close()
	s.AddChannel("C0TWO")
	for _, c := range []struct {
		name, method, token, body, code string
	}{
		{"no token", "chat.postMessage", "", hello, "not_authed"},
		{"wrong token", "chat.postMessage", "xoxb-other", hello, "invalid_auth"},
		{"unknown channel", "chat.postMessage", s.Token, `{"channel":"C0NONE","text":"x"}`, "channel_not_found"},
		{"no text", "chat.postMessage", s.Token, `{"channel":"C0KOE"}`, "no_text"},
		{"bad blocks", "chat.postMessage", s.Token, `{"channel":"C0KOE","blocks":[{"type":"section"}]}`, "invalid_blocks"},
		{"not JSON", "chat.postMessage", s.Token, `{"channel":`, "invalid_json"},
		{"not an object", "chat.postMessage", s.Token, `[1]`, "invalid_arguments"},
		{"unknown ts", "chat.update", s.Token, `{"channel":"C0KOE","ts":"1.2","text":"x"}`, "message_not_found"},
		{"no ts", "chat.update", s.Token, `{"channel":"C0KOE","text":"x"}`, "message_not_found"},
		{"update elsewhere", "chat.update", s.Token, `{"channel":"C0TWO","ts":"1700000000.000100","text":"x"}`, "message_not_found"},
		{"unknown method", "conversations.list", s.Token, `{}`, "unknown_method"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "update elsewhere" {
				call(t, s, "chat.postMessage", s.Token, hello)
			}
			a, status, _ := call(t, s, c.method, c.token, c.body)
			if status != 200 || a["ok"] != false || a["error"] != c.code {
				t.Fatalf("%d %v, want %s", status, a, c.code)
			}
		})
	}
	// A form body is refused: this server reads JSON only.
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"chat.postMessage", strings.NewReader("channel=C0KOE&text=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "invalid_form_data") {
		t.Fatalf("form body: %s", b)
	}
}

func TestFaults(t *testing.T) {
	s := New()
	defer s.Close()
	s.RateLimit(1, 1500*time.Millisecond)
	a, status, h := call(t, s, "chat.postMessage", s.Token, hello)
	if status != 429 || h.Get("Retry-After") != "2" || a["error"] != "ratelimited" {
		t.Fatalf("rate limited: %d %v %q", status, a, h.Get("Retry-After"))
	}
	// Faults come before the token check, as Slack's limits do.
	s.Fail(2, "fatal_error")
	for range 2 {
		if a, _, _ := call(t, s, "chat.postMessage", "wrong", hello); a["error"] != "fatal_error" {
			t.Fatalf("fail: %v", a)
		}
	}
	if a, _, _ := call(t, s, "chat.postMessage", s.Token, hello); a["ok"] != true {
		t.Fatalf("after the faults: %v", a)
	}
	if n := len(s.Messages(DefaultChannel)); n != 1 {
		t.Fatalf("%d messages", n)
	}
	calls := s.Calls()
	if len(calls) != 4 || calls[0].Status != 429 || calls[1].Error != "fatal_error" || calls[3].Error != "" {
		t.Fatalf("calls %+v", calls)
	}
}

func TestHooksAndResponses(t *testing.T) {
	s := New()
	defer s.Close()
	post := func(u, body string) (int, string) {
		resp, err := http.Post(u, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	hook := s.HookURL()
	if st, b := post(hook, `{"text":"hi"}`); st != 200 || b != "ok" {
		t.Fatalf("hook: %d %q", st, b)
	}
	if st, b := post(hook, `{}`); st != 400 || b != "no_text" {
		t.Fatalf("hook without text: %d %q", st, b)
	}
	if st, b := post(hook, `nope`); st != 400 || b != "invalid_payload" {
		t.Fatalf("hook with junk: %d %q", st, b)
	}
	if st, b := post(s.srv.URL+"/hooks/B_NONE", `{"text":"hi"}`); st != 404 || b != "no_service" {
		t.Fatalf("unknown hook: %d %q", st, b)
	}
	s.FailHooks(1, 403, "action_prohibited")
	if st, b := post(hook, `{"text":"hi"}`); st != 403 || b != "action_prohibited" {
		t.Fatalf("failing hook: %d %q", st, b)
	}
	if got := s.Hooked(); len(got) != 1 || got[0].Text != "hi" || got[0].Hook == "" {
		t.Fatalf("hooked %+v", got)
	}

	r1, r2 := s.ResponseURL(), s.ResponseURL()
	if r1 == r2 {
		t.Fatal("ResponseURL is not fresh")
	}
	post(r2, `{"text":"second url","response_type":"in_channel","replace_original":true}`)
	post(r1, `{"text":"first url"}`)
	if st, _ := post(r1, `{"text":"x","response_type":"everyone"}`); st != 400 {
		t.Fatalf("bad response_type: %d", st)
	}
	if st, b := post(s.srv.URL+"/respond/0", `{"text":"x"}`); st != 404 || !strings.Contains(b, "expired_url") {
		t.Fatalf("unknown response URL: %d %s", st, b)
	}
	got := s.Responses()
	if len(got) != 2 || got[0].Text != "first url" || got[0].ResponseType != "" || got[1].URL != r2 || !got[1].ReplaceOriginal ||
		got[1].ResponseType != "in_channel" {
		t.Fatalf("responses %+v", got)
	}
}

func TestWait(t *testing.T) {
	s := New()
	defer s.Close()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- s.Wait(ctx, func() bool { return len(s.Messages(DefaultChannel)) == 3 })
	}()
	for range 3 {
		call(t, s, "chat.postMessage", s.Token, hello)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Wait(ctx, func() bool { return false }); err != context.Canceled {
		t.Fatalf("Wait after cancel = %v", err)
	}
}

func TestConcurrentPosts(t *testing.T) {
	s := New()
	defer s.Close()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 20 {
				body := strings.NewReader(hello)
				req, _ := http.NewRequest(http.MethodPost, s.URL()+"chat.postMessage", body)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+s.Token)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
				s.Messages(DefaultChannel)
			}
		})
	}
	wg.Wait()
	msgs := s.Messages(DefaultChannel)
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.TS] = true
	}
	if len(msgs) != 320 || len(seen) != 320 {
		t.Fatalf("%d messages, %d distinct ts", len(msgs), len(seen))
	}
}

func TestInteractPayloadIsSlacks(t *testing.T) {
	s := New()
	defer s.Close()
	blocks := `[{"type":"actions","block_id":"koe_review","elements":[{"type":"button","action_id":"koe_approve","value":"e1.r2","style":"primary","text":{"type":"plain_text","text":"Approve","emoji":true}}]}]`
	a, _, _ := call(t, s, "chat.postMessage", s.Token, `{"channel":"C0KOE","text":"review","blocks":`+blocks+`}`)
	ts := a["ts"].(string)

	var got struct {
		header http.Header
		body   []byte
	}
	recv := make(chan struct{}, 1)
	target := newReceiver(t, func(r *http.Request) {
		got.header = r.Header.Clone()
		got.body, _ = io.ReadAll(r.Body)
		recv <- struct{}{}
	})
	resp, err := s.Interact(context.Background(), target, InteractionInput{ActionID: "koe_approve", Value: "e1.r2", MessageTS: ts, UserName: "ren"})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	<-recv

	// Signed as Slack signs: recomputed here from the headers.
	ts0 := got.header.Get("X-Slack-Request-Timestamp")
	sec, _ := strconv.ParseInt(ts0, 10, 64)
	if d := time.Since(time.Unix(sec, 0)); d < -time.Minute || d > time.Minute {
		t.Fatalf("timestamp %s is not now", ts0)
	}
	if got.header.Get("X-Slack-Signature") != Signature(s.SigningSecret, ts0, got.body) ||
		got.header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("headers %v", got.header)
	}
	// The payload decodes with slack-go as a block_actions callback with
	// everything koe reads.
	form, err := url.ParseQuery(string(got.body))
	if err != nil {
		t.Fatal(err)
	}
	var cb goslack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		t.Fatal(err)
	}
	act := cb.ActionCallback.BlockActions
	if cb.Type != goslack.InteractionTypeBlockActions || cb.Team.ID != TeamID || cb.User.ID != "U0MOD" || cb.User.Name != "ren" ||
		cb.Channel.ID != DefaultChannel || cb.Container.ChannelID != DefaultChannel || cb.Container.MessageTs != ts ||
		cb.Message.Timestamp != ts || len(cb.Message.Blocks.BlockSet) != 1 ||
		len(act) != 1 || act[0].ActionID != "koe_approve" || act[0].Value != "e1.r2" || act[0].BlockID != "koe_review" ||
		act[0].Text.Text != "Approve" || !strings.HasPrefix(cb.ResponseURL, s.srv.URL+"/respond/") {
		t.Fatalf("payload %s", form.Get("payload"))
	}

	// Negative options: a stale time and another secret sign otherwise.
	old := time.Now().Add(-time.Hour)
	body, h, _ := s.BuildInteraction(InteractionInput{ActionID: "a", Value: "v", Time: old, Secret: "other"})
	if h.Get("X-Slack-Request-Timestamp") != strconv.FormatInt(old.Unix(), 10) ||
		h.Get("X-Slack-Signature") != Signature("other", strconv.FormatInt(old.Unix(), 10), body) {
		t.Fatalf("negative options not applied: %v", h)
	}
	// A raw payload goes as it is.
	body, _, _ = s.BuildInteraction(InteractionInput{Payload: []byte(`{"type":"shortcut"}`)})
	if !bytes.Equal(body, []byte("payload="+url.QueryEscape(`{"type":"shortcut"}`))) {
		t.Fatalf("raw payload: %s", body)
	}
}

// newReceiver starts an endpoint that hands each request to f.
func newReceiver(t *testing.T, f func(*http.Request)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f(r) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCheckBlocks(t *testing.T) {
	button := func(extra string) string {
		return `[{"type":"actions","elements":[{"type":"button","action_id":"a","value":"v","text":{"type":"plain_text","text":"Go"}` + extra + `}]}]`
	}
	for _, c := range []struct {
		name, blocks string
		ok           bool
	}{
		{"section", `[{"type":"section","text":{"type":"mrkdwn","text":"x"}}]`, true},
		{"fields", `[{"type":"section","fields":[{"type":"mrkdwn","text":"x"}]}]`, true},
		{"button", button(""), true},
		{"empty", `[]`, false},
		{"not an array", `{}`, false},
		{"no type", `[{"text":"x"}]`, false},
		{"section without text", `[{"type":"section"}]`, false},
		{"long section", `[{"type":"section","text":{"type":"mrkdwn","text":"` + strings.Repeat("x", 3001) + `"}}]`, false},
		{"long header", `[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("x", 151) + `"}}]`, false},
		{"mrkdwn header", `[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]`, false},
		{"emoji in mrkdwn", `[{"type":"section","text":{"type":"mrkdwn","text":"x","emoji":true}}]`, false},
		{"empty text", `[{"type":"section","text":{"type":"mrkdwn","text":""}}]`, false},
		{"long button value", strings.Replace(button(""), `"value":"v"`, `"value":"`+strings.Repeat("v", 2001)+`"`, 1), false},
		{"bad style", button(`,"style":"green"`), false},
		{"bad confirm", button(`,"confirm":{"title":{"type":"plain_text","text":"t"}}`), false},
		{"twice the same action", `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"A"}},{"type":"button","action_id":"a","text":{"type":"plain_text","text":"B"}}]}]`, false},
		{"duplicate block_id", `[{"type":"divider","block_id":"x"},{"type":"divider","block_id":"x"}]`, false},
		{"too many blocks", "[" + strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, 51), ",") + "]", false},
		{"too many context elements", `[{"type":"context","elements":[` + strings.TrimSuffix(strings.Repeat(`{"type":"mrkdwn","text":"x"},`, 11), ",") + `]}]`, false},
		{"emoji counts double", `[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("🎉", 76) + `"}}]`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckBlocks(json.RawMessage(c.blocks))
			if (err == nil) != c.ok {
				t.Fatalf("CheckBlocks = %v, want ok %v", err, c.ok)
			}
		})
	}
}
