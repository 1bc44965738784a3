package koe

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWebhookClean(t *testing.T) {
	w := &Webhook{URL: "https://hooks.example.com/koe?team=1", Description: "  Discord bot ", Events: []WebhookEvent{HookQuestionCreated, HookQuestionCreated, HookPostFeatured}}
	if err := w.Clean(); err != nil {
		t.Fatal(err)
	}
	if w.Description != "Discord bot" || !slices.Equal(w.Events, []WebhookEvent{HookQuestionCreated, HookPostFeatured}) {
		t.Errorf("cleaned to %+v", w)
	}
	for name, bad := range map[string]Webhook{
		"ftp":           {URL: "ftp://example.com/", Events: []WebhookEvent{HookTalkCreated}},
		"relative":      {URL: "/hooks", Events: []WebhookEvent{HookTalkCreated}},
		"fragment":      {URL: "https://example.com/#x", Events: []WebhookEvent{HookTalkCreated}},
		"no events":     {URL: "https://example.com/"},
		"unknown event": {URL: "https://example.com/", Events: []WebhookEvent{"question.liked"}},
		"long url":      {URL: "https://example.com/" + strings.Repeat("a", MaxWebhookURL), Events: []WebhookEvent{HookTalkCreated}},
		"two lines":     {URL: "https://example.com/", Description: "a\nb", Events: []WebhookEvent{HookTalkCreated}},
	} {
		if err := bad.Clean(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

func TestWebhookUpdate(t *testing.T) {
	w := &Webhook{URL: "https://a.example/", Events: []WebhookEvent{HookTalkCreated}, Secret: "s1", DisabledReason: "failing since Monday"}
	if (WebhookUpdate{URL: &w.URL}).Apply(w) {
		t.Error("the same URL is a change")
	}
	s2 := "s2"
	if !(WebhookUpdate{Secret: &s2}).Apply(w) || w.Secret != "s2" {
		t.Error("a new secret is no change")
	}
	on := true
	if !(WebhookUpdate{Enabled: &on}).Apply(w) || w.DisabledReason != "" {
		t.Errorf("enabling keeps the reason koe disabled it: %+v", w)
	}
	if !w.Wants(HookTalkCreated) || w.Wants(HookTalkUpdated) {
		t.Error("Wants")
	}
}

func TestSlackConnection(t *testing.T) {
	c := &SlackConnection{Channel: " #koe-mod ", BotToken: "xoxb-1", SigningSecret: "abc"}
	if err := c.Clean(); err != nil || c.Channel != "#koe-mod" || !c.BotTokenSet || !c.SigningSecretSet || c.WebhookURLSet {
		t.Fatalf("%+v %v", c, err)
	}
	for name, bad := range map[string]SlackConnection{
		"spaced channel": {Channel: "koe mod"},
		"token":          {BotToken: "xoxb 1"},
		"webhook":        {WebhookURL: "hooks.slack.com/services/x"},
		"long secret":    {SigningSecret: strings.Repeat("a", MaxSlackSecret+1)},
	} {
		if err := bad.Clean(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	empty := ""
	if !(SlackUpdate{BotToken: &empty}).Apply(c) || c.BotTokenSet {
		t.Error("removing the token")
	}
	if (SlackUpdate{Channel: &c.Channel}).Apply(c) {
		t.Error("the same channel is a change")
	}
}

// FuzzWebhookClean: a webhook configuration Clean accepts has an http(s)
// URL within the limit, a one-line description and known events, each
// once.
func FuzzWebhookClean(f *testing.F) {
	f.Add("https://hooks.example.com/x", "bot", "question.created,post.featured")
	f.Add("http://[::1]:80/a?b", "", "question.created,question.created")
	f.Fuzz(func(t *testing.T, raw, description, events string) {
		w := &Webhook{URL: raw, Description: description}
		for _, ev := range strings.Split(events, ",") {
			w.Events = append(w.Events, WebhookEvent(ev))
		}
		if err := w.Clean(); err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(w.URL) > MaxWebhookURL {
			t.Fatalf("accepted URL %q", w.URL)
		}
		if strings.ContainsAny(w.Description, "\r\n") || utf8.RuneCountInString(w.Description) > MaxWebhookNote {
			t.Fatalf("accepted description %q", w.Description)
		}
		for i, ev := range w.Events {
			if !slices.Contains(WebhookEvents, ev) || slices.Index(w.Events, ev) != i {
				t.Fatalf("kept events %v", w.Events)
			}
		}
	})
}

// FuzzSlackConnectionClean: whatever an owner sends, Clean refuses it
// with EINVALID or keeps a one-word channel, one-word credentials within
// their bound, an http(s) incoming webhook, and Set flags that say which
// credentials are held.
func FuzzSlackConnectionClean(f *testing.F) {
	f.Add("C0KOE", "xoxb-1-2", "8f742231b10e", "https://hooks.slack.com/services/T/B/x")
	f.Add(" #moderators ", "", "", "")
	f.Add("two words", "xoxb bad", "s\n", "ftp://x")
	f.Fuzz(func(t *testing.T, channel, token, secret, hook string) {
		c := &SlackConnection{Channel: channel, BotToken: token, SigningSecret: secret, WebhookURL: hook}
		if err := c.Clean(); err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if strings.ContainsAny(c.Channel, " \t\r\n") || utf8.RuneCountInString(c.Channel) > MaxSlackChannel {
			t.Fatalf("accepted channel %q", c.Channel)
		}
		for _, v := range []string{c.BotToken, c.SigningSecret, c.WebhookURL} {
			if len(v) > MaxSlackSecret || strings.ContainsAny(v, " \t\r\n") || !utf8.ValidString(v) {
				t.Fatalf("accepted credential %q", v)
			}
		}
		if u, err := url.Parse(c.WebhookURL); c.WebhookURL != "" && (err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "") {
			t.Fatalf("accepted incoming webhook %q", c.WebhookURL)
		}
		if c.BotTokenSet != (c.BotToken != "") || c.SigningSecretSet != (c.SigningSecret != "") || c.WebhookURLSet != (c.WebhookURL != "") {
			t.Fatalf("Set flags %+v", c)
		}
	})
}
