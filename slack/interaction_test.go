package slack

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	goslack "github.com/slack-go/slack"
)

// A button press as Slack documents block_actions payloads
// (docs.slack.dev/reference/interaction-payloads/block_actions-payload):
// the user, team, container, channel, the original message with its
// blocks, the response URL and the actions.
const buttonPayload = `{
  "type": "block_actions",
  "user": {"id": "U01AZ88AQQ4", "username": "hana.sato", "name": "hana.sato", "team_id": "T01B5M3VC1X"},
  "api_app_id": "A01BGTV24LQ",
  "token": "RFEwDETALFMJkphCasIfOUZT",
  "container": {"type": "message", "message_ts": "1600857119.015400", "channel_id": "C0KOEMOD1", "is_ephemeral": false},
  "trigger_id": "1388105719492.1379717998065.9bc163894734c1f415a2c504e81dec91",
  "team": {"id": "T01B5M3VC1X", "domain": "koe-conf"},
  "enterprise": null,
  "is_enterprise_install": false,
  "channel": {"id": "C0KOEMOD1", "name": "koe-moderation"},
  "message": {
    "bot_id": "B01AQ1SN737", "type": "message", "text": "Question waiting for review", "user": "U01BGV723R6",
    "ts": "1600857119.015400", "team": "T01B5M3VC1X",
    "blocks": [
      {"type": "section", "block_id": "XTkTR", "text": {"type": "mrkdwn", "text": "Why Go?", "verbatim": true}},
      {"type": "actions", "block_id": "koe_review", "elements": [
        {"type": "button", "action_id": "koe_approve", "text": {"type": "plain_text", "text": "Approve", "emoji": true}, "value": "e12.r345", "style": "primary"},
        {"type": "button", "action_id": "koe_reject", "text": {"type": "plain_text", "text": "Reject", "emoji": true}, "value": "e12.r345", "style": "danger"}
      ]}
    ]
  },
  "state": {"values": {}},
  "response_url": "https://hooks.slack.com/actions/T01B5M3VC1X/1393085339281/ShRQZ3KdmiUP3Q5ZTHsNbM6P",
  "actions": [
    {"action_id": "koe_approve", "block_id": "koe_review", "text": {"type": "plain_text", "text": "Approve", "emoji": true},
     "value": "e12.r345", "style": "primary", "type": "button", "action_ts": "1600857124.329212"}
  ]
}`

func form(payload string) []byte { return []byte(url.Values{"payload": {payload}}.Encode()) }

func TestDecodeInteraction(t *testing.T) {
	in, err := DecodeInteraction(form(buttonPayload))
	if err != nil {
		t.Fatal(err)
	}
	want := Interaction{TeamID: "T01B5M3VC1X", UserID: "U01AZ88AQQ4", UserName: "hana.sato", ActionID: ActionApprove, Value: "e12.r345",
		ResponseURL: "https://hooks.slack.com/actions/T01B5M3VC1X/1393085339281/ShRQZ3KdmiUP3Q5ZTHsNbM6P", ChannelID: "C0KOEMOD1", MessageTS: "1600857119.015400"}
	if *in != want {
		t.Fatalf("DecodeInteraction =\n%+v, want\n%+v", *in, want)
	}
}

// TestDecodeInteractionAgreesWithSlackGo decodes the same payloads with
// slack-go's InteractionCallback, so that our small decoder reads the
// fields where the library does.
func TestDecodeInteractionAgreesWithSlackGo(t *testing.T) {
	for _, p := range []string{buttonPayload, edit(t, buttonPayload, "channel", nil), edit(t, buttonPayload, "message", nil)} {
		in, err := DecodeInteraction(form(p))
		if err != nil {
			t.Fatal(err)
		}
		var cb goslack.InteractionCallback
		if err := json.Unmarshal([]byte(p), &cb); err != nil {
			t.Fatal(err)
		}
		lib := Interaction{TeamID: cb.Team.ID, UserID: cb.User.ID, UserName: cb.User.Name, ActionID: cb.ActionCallback.BlockActions[0].ActionID,
			Value: cb.ActionCallback.BlockActions[0].Value, ResponseURL: cb.ResponseURL,
			ChannelID: or(cb.Channel.ID, cb.Container.ChannelID), MessageTS: or(cb.Message.Timestamp, cb.Container.MessageTs)}
		if *in != lib {
			t.Fatalf("ours  %+v\nslack-go %+v", *in, lib)
		}
	}
}

// edit returns payload with field (a top-level key, or "a.b") set to v
// (nil deletes it).
func edit(t *testing.T, payload, field string, v any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		t.Fatal(err)
	}
	target, key := m, field
	if a, b, ok := strings.Cut(field, "."); ok {
		target, key = m[a].(map[string]any), b
	}
	if v == nil {
		delete(target, key)
	} else {
		target[key] = v
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func TestDecodeInteractionFallbacks(t *testing.T) {
	// Without the channel and message objects, the container names both;
	// without team, the user's team_id; without username, the name.
	p := edit(t, edit(t, edit(t, buttonPayload, "channel", nil), "message", nil), "team", nil)
	p = edit(t, p, "user.username", nil)
	in, err := DecodeInteraction(form(p))
	if err != nil {
		t.Fatal(err)
	}
	if in.ChannelID != "C0KOEMOD1" || in.MessageTS != "1600857119.015400" || in.TeamID != "T01B5M3VC1X" || in.UserName != "hana.sato" {
		t.Fatalf("fallbacks not taken: %+v", in)
	}
}

func TestDecodeInteractionRefuses(t *testing.T) {
	big := strings.Repeat("x", MaxInteractionBody)
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"empty", nil, "no payload"},
		{"not a form", []byte("payload=%zz"), "not a form"},
		{"no payload field", []byte("token=abc"), "no payload"},
		{"two payloads", []byte(url.Values{"payload": {buttonPayload, buttonPayload}}.Encode()), "more than one"},
		{"too large", form(edit(t, buttonPayload, "pad", big)), "larger than"},
		{"not JSON", form("{"), "not JSON"},
		{"JSON array", form("[]"), "not JSON"},
		{"trailing data", form(buttonPayload + "{}"), "not JSON"},
		{"wrong type of field", form(edit(t, buttonPayload, "user", "U1")), "not JSON"},
		{"view submission", form(edit(t, buttonPayload, "type", "view_submission")), "not a block_actions"},
		{"no actions", form(edit(t, buttonPayload, "actions", []any{})), "actions[0].action_id, actions[0].value"},
		{"no user", form(edit(t, buttonPayload, "user", nil)), "user.id"},
		{"no response_url", form(edit(t, buttonPayload, "response_url", nil)), "response_url"},
		{"relative response_url", form(edit(t, buttonPayload, "response_url", "/actions/1")), "absolute"},
		{"javascript response_url", form(edit(t, buttonPayload, "response_url", "javascript:alert(1)")), "absolute"},
		{"from a modal", form(edit(t, edit(t, edit(t, buttonPayload, "channel", nil), "message", nil), "container",
			map[string]any{"type": "view", "view_id": "V0123"})), "channel.id, message.ts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := DecodeInteraction(c.body)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("DecodeInteraction = %+v, %v; want an error with %q", in, err, c.want)
			}
		})
	}
	_, err := DecodeInteraction(form(edit(t, buttonPayload, "type", "shortcut")))
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("a shortcut = %v, want ErrUnsupported", err)
	}
}
