package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MaxInteractionBody is the largest interactivity request koe reads:
// a block_actions payload carries the original message (up to 50 blocks)
// and is some kilobytes; anything beyond 64 KiB is not from Slack.
const MaxInteractionBody = 64 << 10

// ErrUnsupported is an interaction payload of another type than
// block_actions (a shortcut, a modal's submission): koe sends none of the
// components that make them, and acknowledges them without acting.
var ErrUnsupported = errors.New("slack: interaction is not a block_actions payload")

// Interaction is a button press, as koe acts on it: who pressed which
// button with which value, on which message, and where to answer.
type Interaction struct {
	TeamID   string
	UserID   string
	UserName string
	// ActionID and Value are the first action's (a button press has
	// one): ActionApprove, ActionReject or ActionBan, and the card's
	// Value.
	ActionID string
	Value    string
	// ResponseURL takes an answer to the presser (Client.Respond).
	ResponseURL string
	// ChannelID and MessageTS name the message the button is on, for
	// chat.update.
	ChannelID string
	MessageTS string
}

// payload is the part of a block_actions payload koe reads. The
// channel and message appear twice in Slack's payloads (channel and
// message, and container); either is taken.
type payload struct {
	Type string `json:"type"`
	Team *struct {
		ID string `json:"id"`
	} `json:"team"`
	User *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Name     string `json:"name"`
		TeamID   string `json:"team_id"`
	} `json:"user"`
	ResponseURL string `json:"response_url"`
	Channel     *struct {
		ID string `json:"id"`
	} `json:"channel"`
	Container *struct {
		MessageTS string `json:"message_ts"`
		ChannelID string `json:"channel_id"`
	} `json:"container"`
	Message *struct {
		TS string `json:"ts"`
	} `json:"message"`
	Actions []struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
	} `json:"actions"`
}

// DecodeInteraction reads the body of an interactivity request (verify
// it first): a form with one field, payload, holding the JSON of a
// block_actions payload. It returns ErrUnsupported (wrapped) for other
// payload types, and an error naming what is missing or malformed for
// anything else that is not a button press on a message.
func DecodeInteraction(body []byte) (*Interaction, error) {
	if len(body) > MaxInteractionBody {
		return nil, fmt.Errorf("slack: interaction body is larger than %d bytes", MaxInteractionBody)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("slack: interaction body is not a form: %w", err)
	}
	values := form["payload"]
	switch {
	case len(values) == 0 || values[0] == "":
		return nil, errors.New("slack: interaction body has no payload field")
	case len(values) > 1:
		return nil, errors.New("slack: interaction body has more than one payload field")
	}
	var p payload
	if err := json.Unmarshal([]byte(values[0]), &p); err != nil {
		return nil, fmt.Errorf("slack: interaction payload is not JSON of a payload: %w", err)
	}
	if p.Type != "block_actions" {
		return nil, fmt.Errorf("%w (type %q)", ErrUnsupported, p.Type)
	}
	in := &Interaction{ResponseURL: p.ResponseURL}
	if p.User != nil {
		in.UserID, in.UserName, in.TeamID = p.User.ID, p.User.Username, p.User.TeamID
		if in.UserName == "" {
			in.UserName = p.User.Name
		}
	}
	if p.Team != nil && p.Team.ID != "" {
		in.TeamID = p.Team.ID
	}
	if p.Channel != nil {
		in.ChannelID = p.Channel.ID
	}
	if p.Message != nil {
		in.MessageTS = p.Message.TS
	}
	if p.Container != nil {
		in.ChannelID = or(in.ChannelID, p.Container.ChannelID)
		in.MessageTS = or(in.MessageTS, p.Container.MessageTS)
	}
	if len(p.Actions) > 0 {
		in.ActionID, in.Value = p.Actions[0].ActionID, p.Actions[0].Value
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"team.id", in.TeamID}, {"user.id", in.UserID}, {"actions[0].action_id", in.ActionID},
		{"actions[0].value", in.Value}, {"response_url", in.ResponseURL},
		{"channel.id", in.ChannelID}, {"message.ts", in.MessageTS},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("slack: block_actions payload lacks %s", strings.Join(missing, ", "))
	}
	if u, err := url.Parse(in.ResponseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("slack: block_actions payload's response_url is not an absolute http(s) URL")
	}
	return in, nil
}

// or returns a, or b when a is empty.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
