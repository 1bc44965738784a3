package slack

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe/slack/slacktest"
)

func FuzzDecodeInteraction(f *testing.F) {
	f.Add(form(buttonPayload))
	// slacktest's payload, as koe's tests send it.
	srv := slacktest.New()
	body, _, err := srv.BuildInteraction(slacktest.InteractionInput{ActionID: ActionBan, Value: "e1.r2", MessageTS: "1700000000.000100"})
	srv.Close()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body)
	// Payloads of other shapes Slack sends to the same endpoint.
	f.Add(form(`{"type":"block_actions","user":{"id":"U1","team_id":"T1"},"container":{"type":"view","view_id":"V1"},"view":{"id":"V1"},"actions":[{"action_id":"a","value":"v","type":"button"}],"response_url":"https://hooks.slack.com/a"}`))
	f.Add(form(`{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U1"},"view":{"id":"V1","state":{"values":{}}}}`))
	f.Add(form(`{"type":"shortcut","callback_id":"c","trigger_id":"t"}`))
	f.Add(form(`{"type":"block_actions","actions":[{"type":"static_select","action_id":"s","selected_option":null}]}`))
	f.Add(form(`{"type":"block_actions","actions":null,"team":null,"user":null,"channel":null,"message":null,"container":null}`))
	f.Add([]byte("payload=%7B%22type%22%3A%22block_actions%22%7D&payload=x"))
	f.Add([]byte("payload=%zz"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := DecodeInteraction(body)
		if err != nil {
			if in != nil {
				t.Fatal("an error with an interaction")
			}
			return
		}
		if len(body) > MaxInteractionBody {
			t.Fatal("a body over the limit was decoded")
		}
		for _, v := range []string{in.TeamID, in.UserID, in.ActionID, in.Value, in.ResponseURL, in.ChannelID, in.MessageTS} {
			if strings.TrimSpace(v) == "" {
				t.Fatalf("a required field is empty: %+v", in)
			}
		}
	})
}

func FuzzDecodeAnswer(f *testing.F) {
	for _, s := range []struct {
		status     int
		retryAfter string
		body       string
	}{
		{200, "", `{"ok":true,"channel":"C0KOE","ts":"1700000000.000100","message":{"type":"message","text":"hi"}}`},
		{200, "", `{"ok":false,"error":"channel_not_found"}`},
		{200, "", `{"ok":false,"error":"missing_scope","needed":"chat:write","provided":"users:read"}`},
		{200, "", `{"ok":true,"warning":"missing_charset","response_metadata":{"warnings":["missing_charset"]}}`},
		{429, "30", `{"ok":false,"error":"ratelimited"}`},
		{429, "Wed, 21 Oct 2015 07:28:00 GMT", ``},
		{429, "-5", ``},
		{500, "", `<html>oops</html>`},
		{503, "", `{"ok":false,"error":"service_unavailable"}`},
		{200, "", `ok`},
		{400, "", `invalid_payload`},
		{200, "", "{\"ok\":true,\"error\":\"\xff\"}"},
	} {
		f.Add(s.status, s.retryAfter, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte) {
		a, err := decodeAnswer("chat.postMessage", status, retryAfter, body)
		if (a == nil) == (err == nil) {
			t.Fatalf("answer %v and error %v", a, err)
		}
		if err == nil && (status < 200 || status > 299 || !a.OK) {
			t.Fatalf("status %d ok %v taken as a success", status, a.OK)
		}
		var rl *RateLimitedError
		if errors.As(err, &rl) && (rl.RetryAfter < 0 || rl.RetryAfter > 24*time.Hour) {
			t.Fatalf("RetryAfter %s", rl.RetryAfter)
		}
		if err != nil && len(err.Error()) > 1000 {
			t.Fatalf("an error of %d bytes", len(err.Error()))
		}
		herr := decodeHookAnswer("webhook", status, retryAfter, body)
		if herr == nil && (status < 200 || status > 299) {
			t.Fatalf("hook status %d taken as a success", status)
		}
	})
}

// FuzzReviewMessage: whatever participants write, the message is within
// Block Kit's limits and its mrkdwn carries none of their control
// sequences.
func FuzzReviewMessage(f *testing.F) {
	f.Add("Why <@U024BE7LH> & <!here>?", "Aiko", "https://koe.example/m?a=1&b=2", "e1.r2")
	f.Add(strings.Repeat("<", 3000), strings.Repeat("&", 300), "javascript:x", "v")
	f.Add("質問🎉\n\n\t", "", "", "v")
	f.Add("\xff\xfe", "\x00", "http://[::1", "v")
	f.Fuzz(func(t *testing.T, body, author, console, value string) {
		if value == "" || len(value) > MaxButtonValue {
			value = "v"
		}
		c := ReviewCard{EventName: author, TalkTitle: author, Kind: author, Author: author, Body: body,
			Reasons: []string{body, author}, ConsoleURL: console, Value: value}
		for _, m := range []Message{ReviewMessage(c), DecisionMessage(c, author, author, time.Unix(0, 0)),
			DigestMessage(Digest{EventName: author, TalkTitle: body, Top: []DigestQuestion{{body, 1}}, Reactions: map[string]int{author: 2}, URL: console})} {
			raw, err := json.Marshal(m.Blocks)
			if err != nil {
				t.Fatal(err)
			}
			if err := slacktest.CheckBlocks(raw); err != nil {
				t.Fatalf("blocks Slack would refuse: %v", err)
			}
			if width(m.Text) > maxFallback {
				t.Fatalf("fallback of %d characters", width(m.Text))
			}
			for _, s := range append(mrkdwnTexts(blocksOf(t, raw)), m.Text) {
				for _, seq := range []string{"<@", "<!here", "<!channel", "<#"} {
					if strings.Contains(s, seq) {
						t.Fatalf("%q in %q", seq, s)
					}
				}
			}
		}
	})
}

// mrkdwnTexts collects the text of every mrkdwn object in v: what Slack
// parses (plain_text is shown as it is).
func mrkdwnTexts(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		if s, ok := v["text"].(string); ok && v["type"] == "mrkdwn" {
			out = append(out, s)
		}
		for _, e := range v {
			out = append(out, mrkdwnTexts(e)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, mrkdwnTexts(e)...)
		}
	case []map[string]any:
		for _, e := range v {
			out = append(out, mrkdwnTexts(e)...)
		}
	}
	return out
}

func blocksOf(t *testing.T, raw []byte) []map[string]any {
	var v []map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func FuzzVerify(f *testing.F) {
	f.Add(docTimestamp, docSignature, []byte(docBody))
	f.Add("", "", []byte{})
	f.Add("99999999999999999999", "v0=", []byte("x"))
	now := time.Unix(1531420618, 0)
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(TimestampHeader, ts)
		h.Set(SignatureHeader, sig)
		err := Verify(docSecret, h, body, now)
		if err == nil && sig != Sign(docSecret, ts, body) {
			t.Fatalf("accepted a signature that is not the HMAC: ts %q sig %q", ts, sig)
		}
	})
}
