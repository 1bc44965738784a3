package slack

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/koehq/koe/slack/slacktest"
	goslack "github.com/slack-go/slack"
)

var card = ReviewCard{
	EventName:  "GoConf Tokyo",
	TalkTitle:  "Generics in practice",
	Kind:       "question",
	Author:     "Aiko",
	Body:       "How do <@U024BE7LH> & <!channel> feel about <https://evil.example|this>? @here",
	Reasons:    []string{"held by the event's moderation mode", "matched word list"},
	ConsoleURL: "https://koe.example/e/goconf/moderation?item=345&x=a|b",
	Value:      "e12.r345",
}

// encode returns m as JSON and as generic values.
func encode(t *testing.T, m Message) ([]byte, []map[string]any) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if v.Text == "" {
		t.Fatal("no fallback text")
	}
	// Within Block Kit's limits, as slacktest checks them.
	raw, _ := json.Marshal(v.Blocks)
	if err := slacktest.CheckBlocks(raw); err != nil {
		t.Fatalf("blocks Slack would refuse: %v\n%s", err, raw)
	}
	// And decodable by slack-go as known block types.
	var bs goslack.Blocks
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	for _, b := range bs.BlockSet {
		if _, ok := b.(*goslack.UnknownBlock); ok {
			t.Fatalf("slack-go does not know a block: %#v", b)
		}
	}
	return b, v.Blocks
}

// texts collects every "text" string in v.
func texts(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "text" {
				out = append(out, s)
			} else {
				out = append(out, texts(e)...)
			}
		}
	case []any:
		for _, e := range v {
			out = append(out, texts(e)...)
		}
	case []map[string]any:
		for _, e := range v {
			out = append(out, texts(e)...)
		}
	}
	return out
}

// buttons returns the buttons of the message's actions blocks.
func buttons(blocks []map[string]any) []map[string]any {
	var out []map[string]any
	for _, b := range blocks {
		if b["type"] == "actions" {
			for _, e := range b["elements"].([]any) {
				out = append(out, e.(map[string]any))
			}
		}
	}
	return out
}

func TestReviewMessageEscapes(t *testing.T) {
	raw, blocks := encode(t, ReviewMessage(card))
	all := strings.Join(texts(blocks), "\n")
	for _, bad := range []string{"<@U024BE7LH>", "<!channel>", "<https://evil.example"} {
		if strings.Contains(all, bad) || strings.Contains(ReviewMessage(card).Text, bad) {
			t.Fatalf("a participant's %s reached Slack unescaped:\n%s", bad, raw)
		}
	}
	if !strings.Contains(all, "How do &lt;@U024BE7LH&gt; &amp; &lt;!channel&gt; feel about &lt;https://evil.example|this&gt;? @here") {
		t.Fatalf("the body is not there, escaped:\n%s", all)
	}
	// The body's section is verbatim: Slack does not link @here.
	for _, b := range blocks {
		if b["type"] == "section" {
			if b["text"].(map[string]any)["verbatim"] != true {
				t.Fatalf("the body is not verbatim: %v", b)
			}
		}
	}
	// The console link is ours, with its "|" and "&" made harmless.
	if !strings.Contains(all, "<https://koe.example/e/goconf/moderation?item=345&amp;x=a%7Cb|Open in koe's console>") {
		t.Fatalf("no console link:\n%s", all)
	}
	for _, want := range []string{"Question waiting for review", "*GoConf Tokyo* › Generics in practice · by Aiko",
		"Waiting because: held by the event's moderation mode; matched word list"} {
		if !strings.Contains(all, want) {
			t.Fatalf("no %q in\n%s", want, all)
		}
	}
}

func TestReviewMessageButtons(t *testing.T) {
	_, blocks := encode(t, ReviewMessage(card))
	bs := buttons(blocks)
	var ids []string
	for _, b := range bs {
		ids = append(ids, b["action_id"].(string))
		if b["value"] != card.Value {
			t.Fatalf("button %v does not carry the card's value", b)
		}
	}
	if !slices.Equal(ids, []string{ActionApprove, ActionReject, ActionBan}) {
		t.Fatalf("buttons %v", ids)
	}
	if bs[0]["style"] != "primary" || bs[1]["style"] != "danger" || bs[2]["style"] != "danger" {
		t.Fatalf("styles: %v %v %v", bs[0]["style"], bs[1]["style"], bs[2]["style"])
	}
	if _, ok := bs[1]["confirm"]; ok {
		t.Fatal("Reject asks to confirm")
	}
	confirm, ok := bs[2]["confirm"].(map[string]any)
	if !ok || confirm["title"].(map[string]any)["text"] != "Ban the author?" || confirm["style"] != "danger" {
		t.Fatalf("Ban's confirmation: %v", bs[2]["confirm"])
	}
}

func TestReviewMessageCutsLongBodies(t *testing.T) {
	for _, body := range []string{
		strings.Repeat("a", 5000),
		strings.Repeat("<", 2000),                // each escapes to 4 characters
		strings.Repeat("質問", 2000),               // Japanese: one UTF-16 unit each, three bytes
		strings.Repeat("🎉", 2000),                // two UTF-16 units each
		strings.Repeat("a", 2898) + "&&&&&&&&&&", // an entity at the edge
	} {
		c := card
		c.Body = body
		_, blocks := encode(t, ReviewMessage(c))
		var text string
		for _, b := range blocks {
			if b["type"] == "section" {
				text = b["text"].(map[string]any)["text"].(string)
			}
		}
		if width(text) > MaxSectionText || !strings.HasSuffix(text, "…") || !utf8.ValidString(text) {
			t.Fatalf("body of %d characters cut to %d, ending %q", len([]rune(body)), width(text), text[max(0, len(text)-20):])
		}
		// Never inside an entity.
		if i := strings.LastIndexByte(text, '&'); i >= 0 && !strings.Contains(text[i:], ";") {
			t.Fatalf("an entity was cut: %q", text[i:])
		}
		if width(text) < MaxSectionText-8 {
			t.Fatalf("cut more than needed: %d", width(text))
		}
	}
	// A body that fits is not cut.
	c := card
	c.Body = strings.Repeat("a", MaxSectionText)
	if got := escapeCut(c.Body, MaxSectionText); got != c.Body {
		t.Fatalf("a body of exactly %d characters was cut", MaxSectionText)
	}
	// Nor is text invalid UTF-8 passed on.
	c.Body = "bad \xff byte"
	_, blocks := encode(t, ReviewMessage(c))
	if !strings.Contains(strings.Join(texts(blocks), ""), "bad \uFFFD byte") {
		t.Fatal("invalid UTF-8 not replaced")
	}
}

func TestReviewMessageWithoutOptionalParts(t *testing.T) {
	_, blocks := encode(t, ReviewMessage(ReviewCard{EventName: "E", Kind: "post", Body: "  ", Value: "v"}))
	all := strings.Join(texts(blocks), "\n")
	if !strings.Contains(all, "Post waiting for review") || !strings.Contains(all, "_(no text)_") || strings.Contains(all, "Waiting because") ||
		strings.Contains(all, "console") {
		t.Fatalf("%s", all)
	}
	// A console URL that is not http(s) is not linked.
	_, blocks = encode(t, ReviewMessage(ReviewCard{EventName: "E", Body: "b", Value: "v", ConsoleURL: "javascript:alert(1)"}))
	if all := strings.Join(texts(blocks), "\n"); strings.Contains(all, "javascript") {
		t.Fatalf("a javascript: link: %s", all)
	}
}

func TestDecisionMessage(t *testing.T) {
	at := time.Date(2026, 12, 2, 14, 5, 0, 0, time.FixedZone("JST", 9*3600))
	for _, c := range []struct{ decision, line, header string }{
		{"approved", "Approved by *Ren &lt;admin&gt;* at <!date^" + itoa(at.Unix()) + "^{time}|14:05>", "Question approved"},
		{"rejected", "Rejected by *Ren &lt;admin&gt;* at", "Question rejected"},
		{"banned", "Rejected, and the author banned by *Ren &lt;admin&gt;* at", "Question rejected"},
		{"snoozed", "Decided (snoozed) by", "Question snoozed"},
	} {
		m := DecisionMessage(card, c.decision, "Ren <admin>", at)
		_, blocks := encode(t, m)
		if len(buttons(blocks)) != 0 {
			t.Fatalf("%s: buttons are left", c.decision)
		}
		all := strings.Join(texts(blocks), "\n")
		if !strings.Contains(all, c.line) || !strings.Contains(all, c.header) {
			t.Fatalf("%s: no %q / %q in\n%s", c.decision, c.line, c.header, all)
		}
		if !strings.Contains(all, "&lt;@U024BE7LH&gt;") {
			t.Fatal("the body is not there, escaped")
		}
		if !strings.Contains(m.Text, "by Ren &lt;admin&gt;") {
			t.Fatalf("fallback %q", m.Text)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestDigestMessage(t *testing.T) {
	d := Digest{
		EventName: "GoConf Tokyo", TalkTitle: "Generics <in> practice", Questions: 12, Answered: 5,
		Top: []DigestQuestion{{"Why <!here>?", 40}, {"Second", 12}},
		Unanswered: []DigestQuestion{{"u1", 9}, {"u2", 8}, {"u3", 7}, {"u4\nwith a line", 6}, {"u5", 5}, {"u6", 4},
			{"u7", 1}},
		Reactions: map[string]int{"👏": 10, "🎉": 3, "<!channel>": 1, "": 5, "🙂": 0},
		URL:       "https://koe.example/e/goconf/t/7",
	}
	m := DigestMessage(d)
	_, blocks := encode(t, m)
	all := strings.Join(texts(blocks), "\n")
	for _, want := range []string{"Q&A digest: Generics <in> practice", "*Questions*\n12", "*Answered*\n5",
		"*Top questions*\n1. Why &lt;!here&gt;? (40 likes)\n2. Second (12 likes)",
		"*Unanswered*\n1. u1 (9 likes)", "4. u4 with a line (6 likes)\n5. u5 (5 likes)\n…and 2 more",
		"Reactions: 👏 10 · 🎉 3 · &lt;!channel&gt; 1", "<https://koe.example/e/goconf/t/7|Open the talk in koe>"} {
		if !strings.Contains(all, want) {
			t.Fatalf("no %q in\n%s", want, all)
		}
	}
	if strings.Contains(all, "u6") || strings.Contains(all, "🙂") {
		t.Fatalf("more than five, or a zero count:\n%s", all)
	}
	if !strings.Contains(m.Text, "12 questions, 5 answered") || strings.Contains(m.Text, "<in>") {
		t.Fatalf("fallback %q", m.Text)
	}
	// An empty digest is still a valid message.
	_, blocks = encode(t, DigestMessage(Digest{EventName: "E", TalkTitle: "T"}))
	if all := strings.Join(texts(blocks), "\n"); !strings.Contains(all, "No questions.") || strings.Contains(all, "Reactions") {
		t.Fatalf("empty digest:\n%s", all)
	}
	// Long questions stay within a section's limit.
	long := strings.Repeat("<", 5000)
	encode(t, DigestMessage(Digest{EventName: strings.Repeat("E", 500), TalkTitle: strings.Repeat("T", 500),
		Top: slices.Repeat([]DigestQuestion{{long, 1}}, 9), Unanswered: slices.Repeat([]DigestQuestion{{long, 1}}, 9)}))
}

// A message in the shape of Block Kit Builder's "approval" template
// (docs.slack.dev/block-kit, reference/block-kit/blocks/actions-block and
// block-elements/button-element): a section, and an actions block of
// buttons with action_id, plain_text text, value and style, and a
// confirmation dialog on the dangerous one.
const docApproval = `[
  {"type": "section", "text": {"type": "mrkdwn", "text": "You have a new request:\n*<https://example.com|Fred Enriquez - New device request>*"}},
  {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Type:*\nComputer (laptop)"}, {"type": "mrkdwn", "text": "*When:*\nSubmitted Aug 10"}]},
  {"type": "actions", "elements": [
    {"type": "button", "text": {"type": "plain_text", "emoji": true, "text": "Approve"}, "style": "primary", "value": "click_me_123", "action_id": "approve"},
    {"type": "button", "text": {"type": "plain_text", "emoji": true, "text": "Deny"}, "style": "danger", "value": "click_me_123", "action_id": "deny",
     "confirm": {"title": {"type": "plain_text", "text": "Are you sure?"}, "text": {"type": "plain_text", "text": "Wouldn't you prefer a good game of chess?"},
       "confirm": {"type": "plain_text", "text": "Do it"}, "deny": {"type": "plain_text", "text": "Stop, I've changed my mind!"}, "style": "danger"}}
  ]},
  {"type": "context", "elements": [{"type": "mrkdwn", "text": "Last updated Jan 1"}]},
  {"type": "header", "text": {"type": "plain_text", "text": "A header", "emoji": true}}
]`

// TestBlocksHaveSlacksShape compares the keys of our blocks, elements and
// text objects with those of the documented example, so that nothing is
// misnamed or left out.
func TestBlocksHaveSlacksShape(t *testing.T) {
	if err := slacktest.CheckBlocks(json.RawMessage(docApproval)); err != nil {
		t.Fatalf("the checker refuses Slack's own example: %v", err)
	}
	var doc []map[string]any
	if err := json.Unmarshal([]byte(docApproval), &doc); err != nil {
		t.Fatal(err)
	}
	docShapes := shapes(doc)
	_, review := encode(t, ReviewMessage(card))
	_, digest := encode(t, DigestMessage(Digest{EventName: "E", Questions: 1, Top: []DigestQuestion{{"q", 1}}}))
	for path, keys := range shapes(append(review, digest...)) {
		want, ok := docShapes[path]
		if !ok {
			t.Fatalf("%s is not in Slack's example", path)
		}
		for _, k := range keys {
			if !slices.Contains(want, k) && !slices.Contains(optional[path], k) {
				t.Fatalf("%s has %q; Slack's example has %v", path, k, want)
			}
		}
		for _, k := range want {
			if !slices.Contains(keys, k) && !slices.Contains(optional[path], k) {
				t.Fatalf("%s lacks %q (has %v)", path, k, keys)
			}
		}
	}
}

// optional are the keys the documentation allows but its example leaves
// out, or that not every instance has.
var optional = map[string][]string{
	"section":                 {"text", "fields"},
	"section.text":            {"verbatim"},
	"actions":                 {"block_id"},
	"actions.elements.button": {"confirm"},
	// emoji is a plain_text object's option, which the example uses on
	// the buttons only.
	"actions.elements.button.confirm.title":   {"emoji"},
	"actions.elements.button.confirm.text":    {"emoji"},
	"actions.elements.button.confirm.confirm": {"emoji"},
	"actions.elements.button.confirm.deny":    {"emoji"},
}

// shapes maps each path of block type, field and element type to the
// sorted keys found there.
func shapes(blocks []map[string]any) map[string][]string {
	out := map[string][]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if !slices.Contains(out[path], k) {
					out[path] = append(out[path], k)
				}
				switch e := e.(type) {
				case map[string]any:
					walk(path+"."+k, e)
				case []any:
					for _, x := range e {
						p := path + "." + k
						if m, ok := x.(map[string]any); ok && k == "elements" {
							if typ, _ := m["type"].(string); typ == "button" {
								p += ".button"
							}
						}
						walk(p, x)
					}
				}
			}
		}
	}
	for _, b := range blocks {
		walk(b["type"].(string), b)
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out
}

func TestMessageEncodesAsSlackGoMsg(t *testing.T) {
	// Our Message's JSON reads back as slack-go's Msg with the same
	// blocks: what chat.postMessage takes.
	b, _ := encode(t, ReviewMessage(card))
	var msg goslack.Msg
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	if len(msg.Blocks.BlockSet) != len(ReviewMessage(card).Blocks) || msg.Text != ReviewMessage(card).Text {
		t.Fatalf("read back %d blocks, text %q", len(msg.Blocks.BlockSet), msg.Text)
	}
	if !reflect.DeepEqual(msg.Blocks.BlockSet[len(msg.Blocks.BlockSet)-1].BlockType(), goslack.MBTAction) {
		t.Fatal("the last block is not the buttons")
	}
}
