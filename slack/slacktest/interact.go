package slacktest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// InteractionInput is a button press for Interact; empty fields take
// the defaults named.
type InteractionInput struct {
	TeamID   string // TeamID
	UserID   string // "U0MOD"
	UserName string // "moderator"
	ActionID string
	Value    string
	Channel  string // DefaultChannel
	// MessageTS is the message the button is on; when the server holds
	// it, the payload carries it (blocks and all) and the button's block
	// and text, as Slack's do.
	MessageTS string
	// ResponseURL defaults to a new one of this server's.
	ResponseURL string

	// For negative tests: Time signs at another time than now (a stale
	// or future timestamp); Secret signs with another secret than
	// SigningSecret; Payload replaces the payload JSON as it is.
	Time    time.Time
	Secret  string
	Payload []byte
}

// Interact sends a signed block_actions payload to target, as Slack
// sends a button press to an app's interactivity endpoint. The caller
// closes the response's body.
func (s *Server) Interact(ctx context.Context, target string, in InteractionInput) (*http.Response, error) {
	body, h, err := s.BuildInteraction(in)
	if err != nil {
		return nil, err
	}
	return Post(ctx, target, body, h)
}

// BuildInteraction returns the body and headers Interact sends, so that
// a test can send them again (a replay).
func (s *Server) BuildInteraction(in InteractionInput) ([]byte, http.Header, error) {
	payload := in.Payload
	if payload == nil {
		var err error
		if payload, err = s.payload(in); err != nil {
			return nil, nil, err
		}
	}
	body := []byte(url.Values{"payload": {string(payload)}}.Encode())
	at := in.Time
	if at.IsZero() {
		at = time.Now()
	}
	secret := in.Secret
	if secret == "" {
		secret = s.SigningSecret
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", Signature(secret, ts, body))
	h.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	return body, h, nil
}

// Signature is Slack's v0 signature of body sent at timestamp.
func Signature(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%s:", timestamp)
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// Post sends body with headers h to target.
func Post(ctx context.Context, target string, body []byte, h http.Header) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = h.Clone()
	return http.DefaultClient.Do(req)
}

// payload builds the JSON Slack sends for a button press, with the
// fields of Slack's documented block_actions payload.
func (s *Server) payload(in InteractionInput) ([]byte, error) {
	team := or(in.TeamID, TeamID)
	user := or(in.UserID, "U0MOD")
	name := or(in.UserName, "moderator")
	channel := or(in.Channel, DefaultChannel)
	s.mu.Lock()
	responseURL := in.ResponseURL
	if responseURL == "" {
		responseURL = s.responseURL()
	}
	var msg map[string]any
	for _, p := range s.channels[channel] {
		if p.TS == in.MessageTS {
			msg = wire(p)
		}
	}
	s.mu.Unlock()
	now := time.Now()
	actionTS := fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)
	action := map[string]any{"type": "button", "action_id": in.ActionID, "value": in.Value, "action_ts": actionTS,
		"block_id": "koe", "text": map[string]any{"type": "plain_text", "text": in.ActionID, "emoji": true}}
	if msg == nil {
		msg = map[string]any{"type": "message", "ts": in.MessageTS, "text": "", "bot_id": BotID}
	} else {
		pressed(msg["blocks"], action)
	}
	p := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": user, "username": name, "name": name, "team_id": team},
		"api_app_id":            "A0KOE",
		"token":                 "verification-token-unused",
		"container":             map[string]any{"type": "message", "message_ts": in.MessageTS, "channel_id": channel, "is_ephemeral": false},
		"trigger_id":            fmt.Sprintf("%d.%s.%x", now.UnixNano(), team, now.UnixNano()),
		"team":                  map[string]any{"id": team, "domain": "koe-test"},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": channel, "name": "koe-moderation"},
		"message":               msg,
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          responseURL,
		"actions":               []any{action},
	}
	return json.Marshal(p)
}

// pressed copies the block id, text and style of the button the action
// names from the message's blocks.
func pressed(blocks any, action map[string]any) {
	raw, ok := blocks.(json.RawMessage)
	if !ok {
		return
	}
	var bs []struct {
		BlockID  string           `json:"block_id"`
		Elements []map[string]any `json:"elements"`
	}
	if json.Unmarshal(raw, &bs) != nil {
		return
	}
	for _, b := range bs {
		for _, e := range b.Elements {
			if e["type"] == "button" && e["action_id"] == action["action_id"] {
				if b.BlockID != "" {
					action["block_id"] = b.BlockID
				}
				action["text"] = e["text"]
				if st, ok := e["style"]; ok {
					action["style"] = st
				}
				return
			}
		}
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
