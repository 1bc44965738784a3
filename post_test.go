package koe

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSourceValidate(t *testing.T) {
	s := &Source{Kind: SourceMastodon, Config: SourceConfig{Instance: "https://mastodon.social/", Hashtags: []string{"#PyConJP", "pyconjp", "koe"}, Secret: "tok"}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.Name != "mastodon" || s.Config.Instance != "https://mastodon.social" || strings.Join(s.Config.Hashtags, ",") != "pyconjp,koe" || !s.Config.SecretSet {
		t.Fatalf("normalised to %+v", s)
	}
	bad := map[string]*Source{
		"kind":             {Kind: "myspace"},
		"no instance":      {Kind: SourceMastodon, Config: SourceConfig{Hashtags: []string{"a"}}},
		"no hashtag":       {Kind: SourceMastodon, Config: SourceConfig{Instance: "https://m.example"}},
		"ftp instance":     {Kind: SourceMastodon, Config: SourceConfig{Instance: "ftp://m.example", Hashtags: []string{"a"}}},
		"credentials":      {Kind: SourceMastodon, Config: SourceConfig{Instance: "https://u:p@m.example", Hashtags: []string{"a"}}},
		"hashtag spaces":   {Kind: SourceMastodon, Config: SourceConfig{Instance: "https://m.example", Hashtags: []string{"two words"}}},
		"too many tags":    {Kind: SourceMastodon, Config: SourceConfig{Instance: "https://m.example", Hashtags: strings.Fields("a b c d e f g h i j k")}},
		"x without token":  {Kind: SourceX, Config: SourceConfig{Hashtags: []string{"a"}}},
		"x nothing":        {Kind: SourceX, Config: SourceConfig{Secret: "t"}},
		"bsky http stream": {Kind: SourceBluesky, Config: SourceConfig{Hashtags: []string{"a"}, Jetstream: "https://j.example"}},
		"bsky half login":  {Kind: SourceBluesky, Config: SourceConfig{Hashtags: []string{"a"}, Handle: "me.bsky.social"}},
		"secret newline":   {Kind: SourceWebhook, Config: SourceConfig{Secret: "a\nb"}},
		"moderation":       {Kind: SourceWebhook, Moderation: "later"},
		"name control":     {Kind: SourceWebhook, Name: "a\x00"},
	}
	for name, s := range bad {
		if err := s.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
	ok := &Source{Kind: SourceBluesky, Config: SourceConfig{Keywords: []string{"PyCon JP"}, Jetstream: "wss://j.example/subscribe"}}
	if err := ok.Validate(); err != nil {
		t.Errorf("bluesky by keyword: %v", err)
	}
}

func TestSourceUpdateApply(t *testing.T) {
	s := &Source{Kind: SourceMastodon, Name: "m", Config: SourceConfig{Instance: "https://m.example", Hashtags: []string{"a"}}}
	if (SourceUpdate{Name: ptr("m")}).Apply(s) {
		t.Error("the same name is a change")
	}
	if !(SourceUpdate{Secret: ptr("tok")}).Apply(s) || !s.Config.SecretSet {
		t.Error("setting the secret is no change")
	}
	if !(SourceUpdate{Secret: ptr("other")}).Apply(s) {
		t.Error("a new secret is no change")
	}
	if !(SourceUpdate{Hashtags: &[]string{"b"}}).Apply(s) || s.Config.Hashtags[0] != "b" {
		t.Error("hashtags")
	}
}

func TestPostClean(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	p := Post{ExternalID: "x1", Text: strings.Repeat("あ", MaxPostText+10) + "\x00", URL: "javascript:alert(1)",
		AuthorAvatar: "https://cdn.example/a.png", PostedAt: now.Add(time.Hour),
		Media: []PostMedia{{URL: "data:x"}, {URL: "https://i.example/1"}, {URL: "https://i.example/2"}, {URL: "https://i.example/3"}, {URL: "https://i.example/4"}}}
	if !p.Clean(now) {
		t.Fatal("refused a post with text")
	}
	if !utf8.ValidString(p.Text) || len(p.Text) > MaxPostText+len("…") || p.URL != "" || p.AuthorAvatar == "" || !p.PostedAt.Equal(now) || len(p.Media) != 3 {
		t.Fatalf("cleaned to url=%q media=%d posted=%v len=%d", p.URL, len(p.Media), p.PostedAt, len(p.Text))
	}
	if (&Post{Text: "no id"}).Clean(now) || (&Post{ExternalID: "1", Text: " \x00 "}).Clean(now) {
		t.Error("kept a post without an id or text")
	}
}

func TestPostUpdateApply(t *testing.T) {
	now := time.Now()
	p := &Post{Status: StatusApproved}
	if ch, err := (PostUpdate{Featured: ptr(true)}).Apply(p, now); err != nil || !ch || !p.Featured() {
		t.Fatalf("feature: %v %v", ch, err)
	}
	if ch, _ := (PostUpdate{Featured: ptr(true)}).Apply(p, now.Add(time.Second)); ch || !p.FeaturedAt.Equal(now) {
		t.Error("featuring again changed the post")
	}
	if ch, _ := (PostUpdate{Hidden: ptr(true)}).Apply(p, now); !ch || p.Featured() {
		t.Error("a hidden post stays featured")
	}
	if _, err := (PostUpdate{Featured: ptr(true)}).Apply(p, now); ErrorCode(err) != EINVALID || p.Featured() || !p.Hidden {
		t.Errorf("featured a hidden post: %v", err)
	}
	pending := &Post{Status: StatusPending}
	if _, err := (PostUpdate{Featured: ptr(true)}).Apply(pending, now); ErrorCode(err) != EINVALID {
		t.Errorf("featured a pending post: %v", err)
	}
	if ch, _ := (PostUpdate{Engaged: "boost"}).Apply(pending, now); !ch || len(pending.Engaged) != 1 {
		t.Error("engaged")
	}
	if ch, _ := (PostUpdate{Engaged: "boost"}).Apply(pending, now); ch {
		t.Error("engaged twice is a change")
	}
}

func FuzzSourceValidate(f *testing.F) {
	f.Add("mastodon", "n", "https://m.example/", "", "#a,b", "kw", "h", "s")
	f.Add("bluesky", "", "", "wss://j.example", "", "PyCon JP", "", "")
	f.Fuzz(func(t *testing.T, kind, name, instance, jetstream, tags, keywords, handle, secret string) {
		s := &Source{Kind: SourceKind(kind), Name: name, Config: SourceConfig{Instance: instance, Jetstream: jetstream,
			Hashtags: strings.Split(tags, ","), Keywords: strings.Split(keywords, ","), Handle: handle, Secret: secret}}
		if err := s.Validate(); err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if utf8.RuneCountInString(s.Name) > MaxSourceName || len(s.Config.Hashtags) > MaxSourceTerms {
			t.Fatalf("accepted %+v", s)
		}
		for _, h := range s.Config.Hashtags {
			if h == "" || strings.ContainsAny(h, "# ") || h != strings.ToLower(h) {
				t.Fatalf("hashtag %q kept", h)
			}
		}
	})
}

func FuzzPostClean(f *testing.F) {
	f.Add("id", "text", "https://e.example/p", "javascript:x", "ja")
	f.Add("", "\x00\xff", "", "https://e.example", "")
	f.Fuzz(func(t *testing.T, id, text, url, media, lang string) {
		p := Post{ExternalID: id, Text: text, URL: url, Lang: lang, Media: []PostMedia{{URL: media}}}
		if !p.Clean(time.Now()) {
			return
		}
		for _, s := range []string{p.ExternalID, p.Text, p.URL, p.Lang} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 kept: %q", s)
			}
		}
		if p.URL != "" && !strings.HasPrefix(p.URL, "http") {
			t.Fatalf("URL %q kept", p.URL)
		}
		if len(p.Text) > MaxPostText+len("…") {
			t.Fatalf("text of %d bytes kept", len(p.Text))
		}
	})
}

func ptr[T any](v T) *T { return &v }
