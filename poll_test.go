package koe

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func choicePoll(t testing.TB, multiple bool, labels ...string) *Poll {
	opts, err := CheckPollOptions(labels)
	if err != nil {
		t.Fatal(err)
	}
	return &Poll{Kind: PollChoice, Options: opts, Multiple: multiple, State: PollOpen, Results: ResultsLive}
}

func TestCheckBallot(t *testing.T) {
	one, several := choicePoll(t, false, "Go", "Rust", "Zig"), choicePoll(t, true, "Go", "Rust", "Zig")
	rating, words := &Poll{Kind: PollRating}, &Poll{Kind: PollWords}
	r3, r0, r6 := 3, 0, 6
	text, long, blank := " Go generics ", strings.Repeat("あ", MaxPollAnswer+1), "  "
	for _, c := range []struct {
		poll *Poll
		b    Ballot
		keys []string
		text string
	}{
		{one, Ballot{Options: []string{"2"}}, []string{"2"}, ""},
		{several, Ballot{Options: []string{"3", "1", "3"}}, []string{"3", "1"}, ""},
		{rating, Ballot{Rating: &r3}, []string{"3"}, ""},
		{words, Ballot{Text: &text}, nil, "Go generics"},
	} {
		keys, got, err := CheckBallot(c.poll, c.b)
		if err != nil || !slices.Equal(keys, c.keys) || got != c.text {
			t.Errorf("%s %+v: %v %q %v", c.poll.Kind, c.b, keys, got, err)
		}
	}
	for _, c := range []struct {
		poll  *Poll
		b     Ballot
		field string
	}{
		{one, Ballot{}, "options"},
		{one, Ballot{Options: []string{"1", "2"}}, "options"},
		{one, Ballot{Options: []string{"4"}}, "options"},
		{one, Ballot{Options: []string{"1"}, Rating: &r3}, "options"},
		{several, Ballot{Options: []string{"1", "2", "3", "1"}}, "options"},
		{rating, Ballot{Rating: &r0}, "rating"},
		{rating, Ballot{Rating: &r6}, "rating"},
		{rating, Ballot{Text: &text}, "rating"},
		{words, Ballot{Text: &long}, "text"},
		{words, Ballot{Text: &blank}, "text"},
		{words, Ballot{}, "text"},
	} {
		_, _, err := CheckBallot(c.poll, c.b)
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || e.Field != c.field {
			t.Errorf("%s %+v: %v, want invalid_argument on %s", c.poll.Kind, c.b, err, c.field)
		}
	}
}

func TestCheckPollOptions(t *testing.T) {
	opts, err := CheckPollOptions([]string{" Go ", "Rust"})
	if err != nil || fmt.Sprint(opts) != "[{1 Go} {2 Rust}]" {
		t.Errorf("options %v %v", opts, err)
	}
	for _, bad := range [][]string{nil, {"One"}, {"A", "A"}, {"A", ""}, {"A", "B\nC"}, {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}, {"A", strings.Repeat("x", MaxPollOption+1)}} {
		if _, err := CheckPollOptions(bad); ErrorCode(err) != EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestApplyPollUpdate(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	p := choicePoll(t, false, "A", "B")
	p.State, p.Version, p.EventID, p.TalkID = PollDraft, 1, 7, 9
	closed, open := PollClosed, PollOpen
	if _, _, err := ApplyPollUpdate(p, PollUpdate{State: &closed}, now); ErrorCode(err) != ECONFLICT {
		t.Errorf("closing a draft: %v", err)
	}
	same, changes, err := ApplyPollUpdate(p, PollUpdate{Question: &p.Question}, now)
	if same != nil || changes != nil || err != nil {
		t.Errorf("no change: %v %v %v", same, changes, err)
	}
	o, changes, err := ApplyPollUpdate(p, PollUpdate{State: &open}, now)
	if err != nil || o.State != PollOpen || o.Version != 2 || !o.OpenedAt.Equal(now) || len(changes) != 1 {
		t.Fatalf("open: %+v %v %v", o, changes, err)
	}
	if c := changes[0]; c.Type != PollUpdated || c.Visibility != VisiblePublic || c.TalkID != 9 || c.Before == nil {
		t.Errorf("change %+v", c)
	}
	if p.State != PollDraft || p.OpenedAt != nil {
		t.Errorf("the poll before was changed: %+v", p)
	}
	if d := p.Change(PollCreated, nil); d.Visibility != VisibleStaff {
		t.Errorf("a draft's change is public")
	}
	c, _, _ := ApplyPollUpdate(o, PollUpdate{State: &closed}, now.Add(time.Minute))
	if c.State != PollClosed || c.ClosedAt == nil || c.OpenedAt == nil {
		t.Errorf("closed %+v", c)
	}
	again, _, _ := ApplyPollUpdate(c, PollUpdate{State: &open}, now.Add(2*time.Minute))
	if again.ClosedAt != nil || !again.OpenedAt.Equal(now.Add(2*time.Minute)) {
		t.Errorf("opened again %+v", again)
	}
}

func TestArrange(t *testing.T) {
	p := choicePoll(t, true, "A", "B", "C")
	if got := fmt.Sprint(p.Arrange(map[string]int64{"3": 2, "1": 1, "9": 5})); got != "[{1 1} {2 0} {3 2}]" {
		t.Errorf("choice %s", got)
	}
	if got := fmt.Sprint((&Poll{Kind: PollRating}).Arrange(map[string]int64{"5": 3})); got != "[{1 0} {2 0} {3 0} {4 0} {5 3}]" {
		t.Errorf("rating %s", got)
	}
	cloud := map[string]int64{"go": 3, "rust": 3, "zig": 1, "設計": 4}
	for i := range MaxCloudWords + 5 {
		cloud[fmt.Sprintf("w%03d", i)] = 1
	}
	got := (&Poll{Kind: PollWords}).Arrange(cloud)
	if len(got) != MaxCloudWords || got[0] != (PollCount{"設計", 4}) || got[1] != (PollCount{"go", 3}) || got[2] != (PollCount{"rust", 3}) || got[3].Count != 1 {
		t.Errorf("words %v", got[:4])
	}
}

func TestPollResultsPublic(t *testing.T) {
	p := &Poll{State: PollDraft, Results: ResultsLive}
	for _, c := range []struct {
		state    PollState
		mode     PollResultsMode
		revealed bool
		want     bool
	}{
		{PollDraft, ResultsLive, true, false}, {PollOpen, ResultsLive, false, true}, {PollOpen, ResultsHidden, false, false},
		{PollClosed, ResultsHidden, true, true}, {PollClosed, ResultsHidden, false, false},
	} {
		p.State, p.Results, p.Revealed = c.state, c.mode, c.revealed
		if p.ResultsPublic() != c.want {
			t.Errorf("%+v: ResultsPublic %v", c, !c.want)
		}
	}
}

// FuzzCheckBallot: whatever a participant sends, a ballot is refused
// with an invalid_argument on a field, or gives keys that are the poll's
// own (options, a rating), none twice, or a word-cloud answer of 1 to 60
// characters on one line.
func FuzzCheckBallot(f *testing.F) {
	f.Add(`{"options":["1"]}`, false, "choice")
	f.Add(`{"options":["1","2","2"]}`, true, "choice")
	f.Add(`{"rating":5}`, false, "rating")
	f.Add(`{"text":"リアルタイム通信"}`, false, "words")
	f.Add(`{"text":"\u202e","rating":1}`, false, "words")
	f.Fuzz(func(t *testing.T, body string, multiple bool, kind string) {
		var b Ballot
		if json.Unmarshal([]byte(body), &b) != nil {
			return
		}
		k, err := ParsePollKind(kind)
		if err != nil {
			return
		}
		p := &Poll{Kind: k, Multiple: multiple}
		if k == PollChoice {
			p = choicePoll(t, multiple, "A", "B", "C")
		}
		keys, text, err := CheckBallot(p, b)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Code != EINVALID || e.Field == "" {
				t.Fatalf("%s %s: %v", kind, body, err)
			}
			return
		}
		switch k {
		case PollChoice:
			if len(keys) == 0 || len(keys) > 1 && !multiple {
				t.Fatalf("%s: keys %v", body, keys)
			}
			for i, key := range keys {
				if !slices.ContainsFunc(p.Options, func(o PollOption) bool { return o.ID == key }) || slices.Contains(keys[:i], key) {
					t.Fatalf("%s: keys %v", body, keys)
				}
			}
		case PollRating:
			if len(keys) != 1 || keys[0] < "1" || keys[0] > "5" || len(keys[0]) != 1 {
				t.Fatalf("%s: keys %v", body, keys)
			}
		case PollWords:
			n := utf8.RuneCountInString(text)
			if keys != nil || n < 1 || n > MaxPollAnswer || strings.ContainsAny(text, "\n\t") || !utf8.ValidString(text) {
				t.Fatalf("%s: %v %q", body, keys, text)
			}
		}
	})
}

// FuzzCheckPollOptions: options are refused on the options field, or are
// 2 to 10 distinct one-line labels numbered 1, 2, ….
func FuzzCheckPollOptions(f *testing.F) {
	f.Add(`["Go","Rust"]`)
	f.Add(`["A","A"]`)
	f.Add(`["\u0000","B"]`)
	f.Fuzz(func(t *testing.T, body string) {
		var labels []string
		if json.Unmarshal([]byte(body), &labels) != nil {
			return
		}
		opts, err := CheckPollOptions(labels)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Code != EINVALID || e.Field != "options" {
				t.Fatalf("%s: %v", body, err)
			}
			return
		}
		if len(opts) < MinPollOptions || len(opts) > MaxPollOptions {
			t.Fatalf("%s: %d options", body, len(opts))
		}
		for i, o := range opts {
			if o.ID != fmt.Sprint(i+1) || o.Label == "" || strings.ContainsAny(o.Label, "\n\t") || utf8.RuneCountInString(o.Label) > MaxPollOption {
				t.Fatalf("%s: option %+v", body, o)
			}
			for _, prev := range opts[:i] {
				if prev.Label == o.Label {
					t.Fatalf("%s: %q twice", body, o.Label)
				}
			}
		}
	})
}

// FuzzParsePollKinds: kinds, states and results modes are read one way.
func FuzzParsePollKinds(f *testing.F) {
	for _, s := range []string{"choice", "rating", "words", "open", "closed", "draft", "live", "hidden", "", "Choice"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := ParsePollKind(s); err == nil && string(k) != s || err != nil && ErrorCode(err) != EINVALID {
			t.Fatalf("kind %q: %q %v", s, k, err)
		}
		if st, err := ParsePollState(s); err == nil && (string(st) != s || st == PollDraft) || err != nil && ErrorCode(err) != EINVALID {
			t.Fatalf("state %q: %q %v", s, st, err)
		}
		if m, err := ParseResultsMode(s); err == nil && string(m) != s && s != "" || err != nil && ErrorCode(err) != EINVALID {
			t.Fatalf("results mode %q: %q %v", s, m, err)
		}
	})
}
