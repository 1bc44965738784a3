package act

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/koehq/koe"
)

var update = flag.Bool("update", false, "rewrite the golden files of the exports")

// exportFixture is a talk's export as the speakers of a Tokyo meetup get
// it: Japanese and English, an anonymous question, an answered one with a
// staff reply, a held one (all only), a formula-like text, a poll of each
// kind and reactions.
func exportFixture(all bool) *ExportData {
	at := func(h, m int) *time.Time {
		t := time.Date(2026, 12, 3, h, m, 0, 0, time.UTC)
		return &t
	}
	opts, _ := koe.CheckPollOptions([]string{"WebSocket", "SSE", "ロングポーリング"})
	choice := &koe.Poll{ID: 1, EventID: 7, TalkID: 3, Kind: koe.PollChoice, Question: "どの方式を使っていますか？", Options: opts,
		Results: koe.ResultsLive, State: koe.PollClosed, Version: 3, CreatedAt: *at(9, 0), OpenedAt: at(9, 10), ClosedAt: at(9, 15)}
	rating := &koe.Poll{ID: 2, EventID: 7, TalkID: 3, Kind: koe.PollRating, Question: "How clear was it?", Options: []koe.PollOption{},
		Results: koe.ResultsHidden, Revealed: true, State: koe.PollClosed, Version: 4, CreatedAt: *at(9, 0), OpenedAt: at(9, 40), ClosedAt: at(9, 44)}
	words := &koe.Poll{ID: 3, EventID: 7, TalkID: 3, Kind: koe.PollWords, Question: "一言で", Options: []koe.PollOption{},
		Results: koe.ResultsLive, State: koe.PollOpen, Version: 2, CreatedAt: *at(9, 0), OpenedAt: at(9, 50)}
	t := &ExportTalk{ID: 3, Title: "リアルタイム通信の設計", Speaker: "田中 愛子", Track: "Room A", StartsAt: at(9, 0), EndsAt: at(9, 45),
		Questions: []*ExportQuestion{
			{ID: 11, AuthorName: "Ken", Body: "How do you resume after a dropped connection?", Likes: 3, Status: koe.StatusApproved, CreatedAt: *at(9, 5),
				Replies: []ExportReply{}},
			{ID: 12, Body: "WebSocket と SSE のどちらを選びますか？\n理由も知りたいです。", Likes: 7, Answered: true, AnsweredAt: at(9, 30),
				Status: koe.StatusApproved, CreatedAt: *at(9, 6), Replies: []ExportReply{
					{Staff: true, AuthorName: "Aiko", Body: "両方使います。*ブラウザ* 次第です。", Status: koe.StatusApproved, CreatedAt: *at(9, 31)},
				}},
			{ID: 13, AuthorName: "Mallory", Body: "=HYPERLINK(\"http://example.com\")", Likes: 0, Status: koe.StatusApproved, CreatedAt: *at(9, 7),
				Replies: []ExportReply{}},
		},
		Polls: []ExportPoll{
			{choice, &koe.PollResults{PollID: 1, Version: 9, Voters: 4, Counts: choice.Arrange(map[string]int64{"1": 2, "3": 2})}},
			{rating, &koe.PollResults{PollID: 2, Version: 5, Voters: 5, Counts: rating.Arrange(map[string]int64{"4": 3, "5": 2})}},
			{words, &koe.PollResults{PollID: 3, Version: 4, Voters: 3, Counts: words.Arrange(map[string]int64{"リアルタイム": 2, "設計": 1})}},
		},
		Reactions: map[string]int64{"👏": 40, "🎉": 12, "🤔": 12},
	}
	if all {
		t.Questions = append(t.Questions, &ExportQuestion{ID: 14, AuthorName: "Guest", Body: "Held for a moderator", Status: koe.StatusPending,
			CreatedAt: *at(9, 8), Replies: []ExportReply{}})
	}
	return &ExportData{Event: ExportEvent{ID: 7, Slug: "tokyo-realtime", Title: "Realtime meetup #3", TimeZone: "Asia/Tokyo"},
		All: all, ExportedAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), Talks: []*ExportTalk{t}}
}

// TestExportGolden: the three formats of a talk's export, as files.
func TestExportGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		all  bool
		f    ExportFormat
	}{{"talk.md", false, ExportMarkdown}, {"talk-all.md", true, ExportMarkdown}, {"talk.csv", false, ExportCSV}, {"talk-all.csv", true, ExportCSV},
		{"talk.json", false, ExportJSON}} {
		got := exportFixture(c.all).Render(c.f)
		path := filepath.Join("testdata", "export", c.name+".golden")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./act -run TestExportGolden -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s:\n%s", c.name, path, got)
		}
		if !utf8.Valid(got) {
			t.Errorf("%s is not UTF-8", c.name)
		}
	}
}

// TestExportCSV: the CSV opens as UTF-8 (its byte-order mark first), has
// a row per question whose cells hold the text as asked, formulas quoted.
func TestExportCSV(t *testing.T) {
	raw := exportFixture(true).Render(ExportCSV)
	rest, ok := bytes.CutPrefix(raw, []byte{0xEF, 0xBB, 0xBF})
	if !ok {
		t.Fatalf("no UTF-8 byte-order mark: % x", raw[:3])
	}
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || strings.Join(rows[0], ",") != "talk_id,talk,speaker,question_id,asked_at,author,question,likes,answered,answered_at,replies,status,hidden" {
		t.Fatalf("rows %q", rows)
	}
	if q := rows[2]; q[6] != "WebSocket と SSE のどちらを選びますか？\n理由も知りたいです。" || q[4] != "2026-12-03T18:06:00+09:00" || q[10] != "Aiko: 両方使います。*ブラウザ* 次第です。" || q[8] != "true" {
		t.Errorf("answered question row %q", q)
	}
	if q := rows[3]; q[6] != `'=HYPERLINK("http://example.com")` {
		t.Errorf("a formula-like question is not quoted: %q", q[6])
	}
	if q := rows[4]; q[11] != "pending" || q[12] != "false" {
		t.Errorf("held question row %q", q)
	}
}

// TestExportMarkdownOrder: unanswered questions first, most liked first;
// a participant's Markdown stays text.
func TestExportMarkdownOrder(t *testing.T) {
	md := string(exportFixture(false).Render(ExportMarkdown))
	open, answered := strings.Index(md, "## Unanswered questions (2)"), strings.Index(md, "## Answered questions (1)")
	ken, formula := strings.Index(md, "How do you resume"), strings.Index(md, "HYPERLINK")
	if open < 0 || answered < open || ken < open || formula < ken || ken > answered {
		t.Errorf("order: %s", md)
	}
	if !strings.Contains(md, `\*ブラウザ\*`) || strings.Contains(md, "Held for a moderator") {
		t.Errorf("escaping or held items: %s", md)
	}
}

func TestParseExportFormat(t *testing.T) {
	for in, want := range map[string]ExportFormat{"": ExportMarkdown, "md": ExportMarkdown, "csv": ExportCSV, "json": ExportJSON} {
		if got, err := ParseExportFormat(in); got != want || err != nil {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"MD", "xlsx", " csv"} {
		if _, err := ParseExportFormat(bad); koe.ErrorCode(err) != koe.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// FuzzExportQuery: an export's query parameters are read one way: a
// format of the three, all "true" or "false" (or none), anything else an
// invalid_argument on its field.
func FuzzExportQuery(f *testing.F) {
	for _, s := range []string{"", "md", "csv", "json", "true", "false", "CSV", "yes", "md\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := ParseExportFormat(s); err == nil && string(got) != s && s != "" || err != nil && koe.ErrorCode(err) != koe.EINVALID {
			t.Fatalf("format %q: %q %v", s, got, err)
		}
		all, err := parseExportAll(s)
		if err == nil && all != (s == "true") || err != nil && (s == "" || s == "true" || s == "false" || koe.ErrorCode(err) != koe.EINVALID) {
			t.Fatalf("all %q: %v %v", s, all, err)
		}
	})
}
