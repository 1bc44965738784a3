package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultBaseURL is Slack's Web API.
const DefaultBaseURL = "https://slack.com/api/"

// maxAnswer is how much of an answer the client reads: Slack's answers to
// what koe sends are small (the message echoed back); more is not Slack.
const maxAnswer = 64 << 10

// Client sends koe's messages to Slack. The zero value uses
// DefaultBaseURL and a client with a 10-second timeout; it is safe for
// concurrent use.
type Client struct {
	// BaseURL is the Web API's root, ending in "/" (slacktest serves one).
	BaseURL string
	// HTTP makes the requests (koe passes one that refuses private
	// addresses for incoming webhooks and response URLs).
	HTTP *http.Client
}

var defaultHTTP = &http.Client{Timeout: 10 * time.Second}

// RateLimitedError is an answer 429: Slack asks to wait RetryAfter (0 if
// it did not say) before calling again.
type RateLimitedError struct {
	RetryAfter time.Duration
	Status     int
}

func (e *RateLimitedError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("slack: rate limited, retry after %s", e.RetryAfter)
	}
	return "slack: rate limited"
}

// StatusCode is the answer's HTTP status (429).
func (e *RateLimitedError) StatusCode() int { return e.Status }

// Temporary is true: the call may succeed after RetryAfter.
func (e *RateLimitedError) Temporary() bool { return true }

// APIError is Slack refusing a call with a code ("ok": false and "error"
// in the Web API; the text of the answer of an incoming webhook or a
// response URL).
type APIError struct {
	Method string // "chat.postMessage", "webhook", "response_url"
	Code   string // "channel_not_found", "invalid_auth", …
	// Needed is the scope Slack says is missing (missing_scope).
	Needed string
	Status int
}

func (e *APIError) Error() string {
	s := "slack: " + e.Method + ": " + e.Code
	if e.Needed != "" {
		s += " (needs " + e.Needed + ")"
	}
	return s
}

// StatusCode is the answer's HTTP status (Slack's Web API answers
// ok:false with 200).
func (e *APIError) StatusCode() int { return e.Status }

// Temporary reports whether the same call may succeed later: Slack's
// codes for its own trouble, and any refusal with a 5xx status.
func (e *APIError) Temporary() bool {
	return slices.Contains(temporaryCodes, e.Code) || e.Status >= 500
}

var temporaryCodes = []string{"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}

// StatusError is an answer that is neither a success nor a refusal Slack
// explains: an HTTP error status, or a body that is not Slack's.
type StatusError struct {
	Method  string
	Status  int
	Excerpt string // the start of the answer
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("slack: %s: HTTP %d", e.Method, e.Status)
	if e.Excerpt != "" {
		s += ": " + e.Excerpt
	}
	return s
}

// StatusCode is the answer's HTTP status.
func (e *StatusError) StatusCode() int { return e.Status }

// Temporary is true for a 5xx or 408: Slack's (or a proxy's) trouble.
func (e *StatusError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusRequestTimeout
}

// Temporary reports whether a call that failed with err may succeed when
// tried again: a rate limit, Slack's trouble, or a network failure
// (not the caller's cancellation).
func Temporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// RetryAfter returns how long Slack asked to wait, when err is a
// *RateLimitedError that says.
func RetryAfter(err error) (time.Duration, bool) {
	var rl *RateLimitedError
	if errors.As(err, &rl) && rl.RetryAfter > 0 {
		return rl.RetryAfter, true
	}
	return 0, false
}

// CallError is a call that got no answer (the connection failed or
// timed out).
type CallError struct {
	Method string
	Err    error
}

func (e *CallError) Error() string { return "slack: " + e.Method + ": " + e.Err.Error() }
func (e *CallError) Unwrap() error { return e.Err }

// StatusCode is 0: there was no answer.
func (e *CallError) StatusCode() int { return 0 }

// Temporary is true unless the caller cancelled the call: the network or
// Slack may answer next time.
func (e *CallError) Temporary() bool { return !errors.Is(e.Err, context.Canceled) }

// PostMessage posts m to channel (an id, or #name) with the bot token,
// and returns the channel's id and the message's ts, which name it for
// UpdateMessage. An empty token is refused without a call (an *APIError
// "not_authed" with status 0).
func (c *Client) PostMessage(ctx context.Context, token, channel string, m Message) (channelID, ts string, err error) {
	a, err := c.call(ctx, token, "chat.postMessage", struct {
		Channel string `json:"channel"`
		Message
		UnfurlLinks bool `json:"unfurl_links"`
		UnfurlMedia bool `json:"unfurl_media"`
	}{Channel: channel, Message: m})
	if err != nil {
		return "", "", err
	}
	return a.Channel, a.TS, nil
}

// UpdateMessage replaces the message ts in channel (the id PostMessage
// returned) with m.
func (c *Client) UpdateMessage(ctx context.Context, token, channel, ts string, m Message) error {
	_, err := c.call(ctx, token, "chat.update", struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
		Message
	}{Channel: channel, TS: ts, Message: m})
	return err
}

// PostWebhook posts m to an incoming webhook, which answers "ok", or a
// code as text with a 4xx (an *APIError).
func (c *Client) PostWebhook(ctx context.Context, webhookURL string, m Message) error {
	return c.post(ctx, "webhook", webhookURL, "", m)
}

// Respond answers a button press at its response URL: text to the
// presser alone (ephemeral) or to the channel, replacing the message the
// button was on or not.
func (c *Client) Respond(ctx context.Context, responseURL, text string, ephemeral, replaceOriginal bool) error {
	typ := "in_channel"
	if ephemeral {
		typ = "ephemeral"
	}
	return c.post(ctx, "response_url", responseURL, "", struct {
		Text            string `json:"text"`
		ResponseType    string `json:"response_type"`
		ReplaceOriginal bool   `json:"replace_original"`
	}{text, typ, replaceOriginal})
}

// call calls a Web API method.
func (c *Client) call(ctx context.Context, token, method string, body any) (*answer, error) {
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if token == "" {
		return nil, &APIError{Method: method, Code: "not_authed"}
	}
	var a *answer
	err := c.do(ctx, method, strings.TrimSuffix(base, "/")+"/"+method, token, body, func(status int, h http.Header, b []byte) error {
		var err error
		a, err = decodeAnswer(method, status, h.Get("Retry-After"), b)
		return err
	})
	return a, err
}

// post sends to a URL that answers as incoming webhooks do.
func (c *Client) post(ctx context.Context, method, u, token string, body any) error {
	return c.do(ctx, method, u, token, body, func(status int, h http.Header, b []byte) error {
		return decodeHookAnswer(method, status, h.Get("Retry-After"), b)
	})
}

func (c *Client) do(ctx context.Context, method, u, token string, body any, decode func(int, http.Header, []byte) error) error {
	// Not HTML-escaped: Slack reads the text as sent, and "&lt;" stays
	// readable in its logs and in slacktest's.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return fmt.Errorf("slack: %s: encoding the request: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, &b)
	if err != nil {
		return fmt.Errorf("slack: %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &CallError{Method: method, Err: err}
	}
	defer resp.Body.Close()
	ans, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return &CallError{Method: method, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	return decode(resp.StatusCode, resp.Header, ans)
}

// answer is what koe reads of a Web API method's answer.
type answer struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Needed  string `json:"needed"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// decodeAnswer reads a Web API answer with its HTTP status and
// Retry-After header: the answer of a success, or the error it is.
func decodeAnswer(method string, status int, retryAfter string, body []byte) (*answer, error) {
	if status == http.StatusTooManyRequests {
		return nil, &RateLimitedError{RetryAfter: parseRetryAfter(retryAfter), Status: status}
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, &StatusError{Method: method, Status: status, Excerpt: excerpt(body)}
	}
	switch {
	case !a.OK && a.Error != "":
		return nil, &APIError{Method: method, Code: excerpt([]byte(a.Error)), Needed: excerpt([]byte(a.Needed)), Status: status}
	case !a.OK || status < 200 || status > 299:
		return nil, &StatusError{Method: method, Status: status, Excerpt: excerpt(body)}
	}
	return &a, nil
}

// decodeHookAnswer reads the answer of an incoming webhook or a response
// URL: "ok" (or a JSON "ok": true) with 200, else a code as text or as
// Slack's JSON.
func decodeHookAnswer(method string, status int, retryAfter string, body []byte) error {
	if status == http.StatusTooManyRequests {
		return &RateLimitedError{RetryAfter: parseRetryAfter(retryAfter), Status: status}
	}
	text := strings.TrimSpace(string(body))
	var a answer
	isJSON := json.Unmarshal(body, &a) == nil
	if status >= 200 && status <= 299 && (text == "ok" || text == "" || isJSON && a.OK) {
		return nil
	}
	if isJSON && a.Error != "" {
		return &APIError{Method: method, Code: excerpt([]byte(a.Error)), Status: status}
	}
	if code := excerpt(body); status >= 400 && status <= 499 && isCode(code) {
		return &APIError{Method: method, Code: code, Status: status}
	}
	return &StatusError{Method: method, Status: status, Excerpt: excerpt(body)}
}

// isCode reports whether s looks like one of Slack's codes
// ("channel_not_found", "invalid_payload"), not a page of HTML.
func isCode(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// parseRetryAfter reads a Retry-After header: seconds (Slack's) or an
// HTTP date; 0 when absent or unreadable.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return min(d, 24*time.Hour).Round(time.Second)
		}
	}
	return 0
}

// excerpt is the start of an answer, as one line of valid text, for an
// error and the delivery log.
func excerpt(b []byte) string {
	const n = 200
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b[:min(len(b), n+utf8.UTFMax)]), "")), " ")
	if len(s) > n {
		cutAt := n
		for cutAt > 0 && !utf8.RuneStart(s[cutAt]) {
			cutAt--
		}
		s = s[:cutAt] + "…"
	}
	return s
}
