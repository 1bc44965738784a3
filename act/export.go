package act

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koehq/koe"
)

// Exports (F22): an event's or a talk's questions with their replies,
// polls and reaction totals, as CSV for spreadsheets, JSON for programs
// and Markdown for speakers, live or afterwards. What the audience saw
// unless a moderator asks for everything (held, rejected, hidden).

// ExportFormat is how an export is written.
type ExportFormat string

const (
	ExportCSV      ExportFormat = "csv"
	ExportJSON     ExportFormat = "json"
	ExportMarkdown ExportFormat = "md"
)

// MaxExportQuestions bounds the questions an export takes of one talk.
const MaxExportQuestions = 20000

// ParseExportFormat reads an export's format; "" is Markdown.
func ParseExportFormat(s string) (ExportFormat, error) {
	switch f := ExportFormat(s); f {
	case "":
		return ExportMarkdown, nil
	case ExportCSV, ExportJSON, ExportMarkdown:
		return f, nil
	}
	return "", koe.Invalid("format", koe.ReasonFormat, 0, `format must be "csv", "json" or "md"`)
}

// parseExportAll reads an export's all: "true", or "false" and "" for no.
func parseExportAll(s string) (bool, error) {
	switch s {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, koe.Invalid("all", koe.ReasonFormat, 0, `all must be "true" or "false"`)
}

// ExportData is an export's content; its JSON is the JSON export.
type ExportData struct {
	Event ExportEvent `json:"event"`
	// All is whether held, rejected and hidden items are in it.
	All        bool          `json:"all"`
	ExportedAt time.Time     `json:"exported_at"`
	Talks      []*ExportTalk `json:"talks"`
}

// ExportEvent is the event as an export names it.
type ExportEvent struct {
	ID       int64      `json:"id"`
	Slug     string     `json:"slug"`
	Title    string     `json:"title"`
	TimeZone string     `json:"time_zone"`
	StartsAt *time.Time `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
}

// ExportTalk is one talk of an export.
type ExportTalk struct {
	ID        int64             `json:"id"`
	Title     string            `json:"title"`
	Speaker   string            `json:"speaker"`
	Track     string            `json:"track"`
	StartsAt  *time.Time        `json:"starts_at"`
	EndsAt    *time.Time        `json:"ends_at"`
	Questions []*ExportQuestion `json:"questions"`
	Polls     []ExportPoll      `json:"polls"`
	Reactions map[string]int64  `json:"reactions"`
}

// ExportQuestion is a question with its replies, oldest first.
type ExportQuestion struct {
	ID         int64         `json:"id"`
	AuthorName string        `json:"author_name"` // "" for anonymous
	Body       string        `json:"body"`
	Likes      int           `json:"likes"`
	Answered   bool          `json:"answered"`
	AnsweredAt *time.Time    `json:"answered_at"`
	Hidden     bool          `json:"hidden"`
	Status     koe.Status    `json:"status"`
	CreatedAt  time.Time     `json:"created_at"`
	Replies    []ExportReply `json:"replies"`
}

// ExportReply is a reply under a question.
type ExportReply struct {
	Staff      bool       `json:"staff"`
	AuthorName string     `json:"author_name"`
	Body       string     `json:"body"`
	Status     koe.Status `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
}

// ExportPoll is a poll that was opened, with its results.
type ExportPoll struct {
	Poll    *koe.Poll        `json:"poll"`
	Results *koe.PollResults `json:"results"`
}

// ExportQuery asks for an export: the format, and all ("true") for held,
// rejected and hidden items too.
type ExportQuery struct {
	Format, All string
}

// Export exports every talk of an event (talkID 0) or one talk,
// rendered, with the file name it is offered under.
func (a *Actions) Export(ctx context.Context, eventID, talkID int64, in ExportQuery) (body []byte, name string, f ExportFormat, err error) {
	ctx, p, err := a.beginIn(ctx, Export, eventID, talkID)
	if err != nil {
		return nil, "", "", err
	}
	if f, err = ParseExportFormat(in.Format); err != nil {
		return nil, "", "", err
	}
	all, err := parseExportAll(in.All)
	if err != nil {
		return nil, "", "", err
	}
	if all && !a.may(p, Moderate, eventID, talkID) {
		return nil, "", "", koe.Errorf(koe.EFORBIDDEN, "only moderators and owners can export held, rejected and hidden items")
	}
	x, err := a.export(ctx, eventID, talkID, all)
	if err != nil {
		return nil, "", "", err
	}
	name = "koe-" + x.Event.Slug
	if talkID != 0 {
		name += "-talk-" + itoa(talkID)
	}
	return x.Render(f), name + "." + string(f), f, nil
}

// export reads what an export holds.
func (a *Actions) export(ctx context.Context, eventID, talkID int64, all bool) (*ExportData, error) {
	e, err := a.store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	var talks []*koe.Talk
	if talkID != 0 {
		t, err := a.store.Talk(ctx, eventID, talkID)
		if err != nil {
			return nil, err
		}
		talks = []*koe.Talk{t}
	} else if talks, err = a.store.Talks(ctx, eventID); err != nil {
		return nil, err
	}
	x := &ExportData{All: all, ExportedAt: a.now().UTC(), Talks: []*ExportTalk{},
		Event: ExportEvent{ID: e.ID, Slug: e.Slug, Title: e.Title, TimeZone: e.TimeZone, StartsAt: e.StartsAt, EndsAt: e.EndsAt}}
	for _, t := range talks {
		xt, err := a.exportTalk(ctx, t, all)
		if err != nil {
			return nil, err
		}
		x.Talks = append(x.Talks, xt)
	}
	return x, nil
}

func (a *Actions) exportTalk(ctx context.Context, t *koe.Talk, all bool) (*ExportTalk, error) {
	qs, err := a.store.TalkQuestions(ctx, t.EventID, t.ID, all, MaxExportQuestions)
	if err != nil {
		return nil, err
	}
	replies, err := a.store.TalkReplies(ctx, t.EventID, t.ID, all)
	if err != nil {
		return nil, err
	}
	under := map[int64][]ExportReply{}
	for _, r := range replies {
		under[r.QuestionID] = append(under[r.QuestionID], ExportReply{Staff: r.Staff, AuthorName: r.AuthorName, Body: r.Body,
			Status: r.Status, CreatedAt: r.CreatedAt})
	}
	xt := &ExportTalk{ID: t.ID, Title: t.Title, Speaker: t.Speaker, Track: t.Track, StartsAt: t.StartsAt, EndsAt: t.EndsAt,
		Questions: make([]*ExportQuestion, 0, len(qs)), Polls: []ExportPoll{}}
	for _, q := range qs {
		rs := under[q.ID]
		if rs == nil {
			rs = []ExportReply{}
		}
		xt.Questions = append(xt.Questions, &ExportQuestion{ID: q.ID, AuthorName: q.AuthorName, Body: q.Body, Likes: q.Likes,
			Answered: q.Answered, AnsweredAt: q.AnsweredAt, Hidden: q.Hidden, Status: q.Status, CreatedAt: q.CreatedAt, Replies: rs})
	}
	if xt.Polls, err = a.openedPolls(ctx, t); err != nil {
		return nil, err
	}
	if xt.Reactions, err = a.store.Reactions(ctx, t.EventID, t.ID); err != nil {
		return nil, err
	}
	return xt, nil
}

// openedPolls are the talk's polls that were opened, with their results.
func (a *Actions) openedPolls(ctx context.Context, t *koe.Talk) ([]ExportPoll, error) {
	polls, err := a.store.Polls(ctx, t.EventID, t.ID)
	if err != nil {
		return nil, err
	}
	list := []ExportPoll{}
	for _, p := range polls {
		if !p.Public() {
			continue // a draft was never asked
		}
		res, err := a.results(ctx, p)
		if err != nil {
			return nil, err
		}
		list = append(list, ExportPoll{Poll: p, Results: res})
	}
	return list, nil
}

// Render writes the export in format f.
func (x *ExportData) Render(f ExportFormat) []byte {
	switch f {
	case ExportCSV:
		return x.csv()
	case ExportJSON:
		raw, _ := json.MarshalIndent(x, "", "  ") // koe's own types: cannot fail
		return append(raw, '\n')
	}
	return x.markdown()
}

// zone is the event's time zone (UTC if it is unknown here).
func (x *ExportData) zone() *time.Location {
	if loc, err := time.LoadLocation(x.Event.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// csvBOM opens the CSV: Excel reads a file without it in the locale's
// legacy code page, which garbles Japanese.
const csvBOM = "\uFEFF"

// csv writes one row per question, oldest first, talk by talk; a
// question's replies are one cell, one line each.
func (x *ExportData) csv() []byte {
	var b bytes.Buffer
	b.WriteString(csvBOM)
	w := csv.NewWriter(&b)
	w.UseCRLF = true // what spreadsheets expect
	header := []string{"talk_id", "talk", "speaker", "question_id", "asked_at", "author", "question", "likes", "answered",
		"answered_at", "replies"}
	if x.All {
		header = append(header, "status", "hidden")
	}
	_ = w.Write(header) // a bytes.Buffer does not fail
	loc := x.zone()
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	for _, t := range x.Talks {
		for _, q := range t.Questions {
			lines := make([]string, len(q.Replies))
			for i, r := range q.Replies {
				lines[i] = replyAuthor(r) + ": " + r.Body
				if x.All && r.Status != koe.StatusApproved {
					lines[i] += " [" + string(r.Status) + "]"
				}
			}
			row := []string{itoa(t.ID), CSVCell(t.Title), CSVCell(t.Speaker), itoa(q.ID), at(&q.CreatedAt), CSVCell(q.AuthorName),
				CSVCell(q.Body), strconv.Itoa(q.Likes), strconv.FormatBool(q.Answered), at(q.AnsweredAt), CSVCell(strings.Join(lines, "\n"))}
			if x.All {
				row = append(row, string(q.Status), strconv.FormatBool(q.Hidden))
			}
			_ = w.Write(row)
		}
	}
	w.Flush()
	return b.Bytes()
}

// CSVCell keeps a spreadsheet from reading a field as a formula (a
// display name of "=HYPERLINK(…)"): such a field gets a leading quote.
func CSVCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

func replyAuthor(r ExportReply) string {
	switch {
	case r.AuthorName != "":
		return r.AuthorName
	case r.Staff:
		return "Staff"
	}
	return "Anonymous"
}

// markdown writes a page for speakers: per talk, the unanswered questions
// most liked first, then the answered ones, each with its replies; the
// polls' results; the reactions.
func (x *ExportData) markdown() []byte {
	var b strings.Builder
	loc := x.zone()
	level := "#"
	if len(x.Talks) != 1 {
		fmt.Fprintf(&b, "# %s\n\n", mdEscape(x.Event.Title))
		level = "##"
	}
	for _, t := range x.Talks {
		fmt.Fprintf(&b, "%s %s\n\n", level, mdEscape(t.Title))
		var about []string
		for _, s := range []string{t.Speaker, t.Track} {
			if s != "" {
				about = append(about, mdEscape(s))
			}
		}
		if t.StartsAt != nil {
			about = append(about, t.StartsAt.In(loc).Format("2006-01-02 15:04"))
		}
		if len(about) > 0 {
			fmt.Fprintf(&b, "%s\n\n", strings.Join(about, " · "))
		}
		var open, answered []*ExportQuestion
		for _, q := range t.Questions {
			if q.Answered {
				answered = append(answered, q)
			} else {
				open = append(open, q)
			}
		}
		slices.SortStableFunc(open, func(p, q *ExportQuestion) int { return q.Likes - p.Likes })
		slices.SortStableFunc(answered, func(p, q *ExportQuestion) int { return answeredAt(p).Compare(answeredAt(q)) })
		for _, part := range []struct {
			title string
			qs    []*ExportQuestion
		}{{"Unanswered questions", open}, {"Answered questions", answered}} {
			fmt.Fprintf(&b, "%s# %s (%d)\n\n", level, part.title, len(part.qs))
			if len(part.qs) == 0 {
				b.WriteString("None.\n\n")
				continue
			}
			for i, q := range part.qs {
				author := q.AuthorName
				if author == "" {
					author = "Anonymous"
				}
				fmt.Fprintf(&b, "%d. %s\n   — %s, %s", i+1, mdIndent(mdEscape(q.Body), "   "), mdEscape(author), likes(q.Likes))
				if x.All && (q.Status != koe.StatusApproved || q.Hidden) {
					fmt.Fprintf(&b, " [%s]", itemState(q.Status, q.Hidden))
				}
				b.WriteString("\n")
				for _, r := range q.Replies {
					fmt.Fprintf(&b, "   - **%s:** %s", mdEscape(replyAuthor(r)), mdIndent(mdEscape(r.Body), "     "))
					if x.All && r.Status != koe.StatusApproved {
						fmt.Fprintf(&b, " [%s]", r.Status)
					}
					b.WriteString("\n")
				}
			}
			b.WriteString("\n")
		}
		if len(t.Polls) > 0 {
			fmt.Fprintf(&b, "%s# Polls\n\n", level)
			for _, p := range t.Polls {
				writePoll(&b, level, p)
			}
		}
		if len(t.Reactions) > 0 {
			fmt.Fprintf(&b, "%s# Reactions\n\n", level)
			emoji := make([]string, 0, len(t.Reactions))
			for e := range t.Reactions {
				emoji = append(emoji, e)
			}
			slices.SortFunc(emoji, func(p, q string) int {
				if n := t.Reactions[q] - t.Reactions[p]; n != 0 {
					return int(n)
				}
				return strings.Compare(p, q)
			})
			parts := make([]string, len(emoji))
			for i, e := range emoji {
				parts[i] = fmt.Sprintf("%s %d", e, t.Reactions[e])
			}
			fmt.Fprintf(&b, "%s\n\n", strings.Join(parts, " · "))
		}
	}
	fmt.Fprintf(&b, "---\n\n%s, exported from koe on %s (%s).", mdEscape(x.Event.Title), x.ExportedAt.In(loc).Format("2006-01-02 15:04"),
		x.Event.TimeZone)
	if x.All {
		b.WriteString(" Held, rejected and hidden items included.")
	}
	b.WriteString("\n")
	return []byte(b.String())
}

func writePoll(b *strings.Builder, level string, p ExportPoll) {
	fmt.Fprintf(b, "%s## %s\n\n", level, mdEscape(p.Poll.Question))
	voters := p.Results.Voters
	pct := func(n int64) string {
		if voters == 0 {
			return "0%"
		}
		return fmt.Sprintf("%.0f%%", float64(n)*100/float64(voters))
	}
	labels := map[string]string{}
	for _, o := range p.Poll.Options {
		labels[o.ID] = o.Label
	}
	for _, c := range p.Results.Counts {
		label := c.Key
		switch p.Poll.Kind {
		case koe.PollChoice:
			label = labels[c.Key]
		case koe.PollRating:
			label = strings.Repeat("★", int(c.Key[0]-'0'))
		}
		if p.Poll.Kind == koe.PollWords {
			fmt.Fprintf(b, "- %s: %d\n", mdEscape(label), c.Count)
		} else {
			fmt.Fprintf(b, "- %s: %d (%s)\n", mdEscape(label), c.Count, pct(c.Count))
		}
	}
	if voters == 1 {
		b.WriteString("\n1 voter.\n\n")
	} else {
		fmt.Fprintf(b, "\n%d voters.\n\n", voters)
	}
}

func answeredAt(q *ExportQuestion) time.Time {
	if q.AnsweredAt == nil {
		return q.CreatedAt
	}
	return *q.AnsweredAt
}

func likes(n int) string {
	if n == 1 {
		return "1 like"
	}
	return strconv.Itoa(n) + " likes"
}

func itemState(s koe.Status, hidden bool) string {
	if hidden && s == koe.StatusApproved {
		return "hidden"
	}
	if hidden {
		return string(s) + ", hidden"
	}
	return string(s)
}

// mdEscape keeps a participant's text as text in Markdown: the characters
// that would make emphasis, links, code, HTML or tables are escaped, and
// those that would start a heading, a list or a quote at a line's start.
func mdEscape(s string) string {
	var b strings.Builder
	lineStart := true
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|~", r) || lineStart && strings.ContainsRune("#-+=", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		lineStart = r == '\n'
	}
	return b.String()
}

// mdIndent indents a text's later lines under a list item.
func mdIndent(s, indent string) string {
	return strings.ReplaceAll(s, "\n", "\n"+indent)
}
