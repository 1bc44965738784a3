package slack

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"
)

// The action ids of a review's buttons: a button press carries one in
// Interaction.ActionID, and the card's Value in Interaction.Value.
const (
	ActionApprove = "koe_approve"
	ActionReject  = "koe_reject"
	ActionBan     = "koe_ban"
)

// reviewBlockID names the block of a review's buttons.
const reviewBlockID = "koe_review"

// Message is what koe posts: the blocks, and the text Slack shows where
// blocks are not (notifications, screen readers' summaries). It encodes
// as the "text" and "blocks" of chat.postMessage, chat.update and an
// incoming webhook.
type Message struct {
	Text   string          `json:"text"`
	Blocks []goslack.Block `json:"blocks,omitempty"`
}

// UnmarshalJSON reads a Message as it was encoded (a delivery stored
// before it is sent), the blocks as slack-go's types.
func (m *Message) UnmarshalJSON(b []byte) error {
	var v struct {
		Text   string         `json:"text"`
		Blocks goslack.Blocks `json:"blocks"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("slack: not a message: %w", err)
	}
	m.Text, m.Blocks = v.Text, v.Blocks.BlockSet
	return nil
}

// ReviewCard is an item waiting for a moderator, as a Slack message
// shows it.
type ReviewCard struct {
	EventName string
	TalkTitle string // "" for an item of the event's feed
	// Kind is "question", "reply" or "post".
	Kind   string
	Author string
	Body   string
	// Reasons say why the item waits ("held by the event's moderation
	// mode", "matched word list").
	Reasons    []string
	ConsoleURL string // where the item is in koe's moderation console; "" for none
	// Value goes, as it is, into every button (at most MaxButtonValue
	// characters), and comes back in Interaction.Value: what koe needs to
	// find the item.
	Value string
}

// ReviewMessage builds the message that asks a moderator to decide on c,
// with Approve, Reject and Ban buttons (Ban asks to confirm). Everything
// from participants is escaped, and the body cut to MaxSectionText.
func ReviewMessage(c ReviewCard) Message {
	blocks := c.blocks(fmt.Sprintf(text.waiting, c.kind()))
	approve := button(ActionApprove, text.approve, c.Value, goslack.StylePrimary)
	reject := button(ActionReject, text.reject, c.Value, goslack.StyleDanger)
	ban := button(ActionBan, text.ban, c.Value, goslack.StyleDanger).WithConfirm(
		goslack.NewConfirmationBlockObject(plain(text.banTitle), plain(text.banText), plain(text.banOK), plain(text.banCancel)).
			WithStyle(goslack.StyleDanger))
	blocks = append(blocks, goslack.NewActionBlock(reviewBlockID, approve, reject, ban))
	return Message{
		Text:   escapeCut(fmt.Sprintf(text.fallbackReview, c.kind(), oneLine(c.EventName), oneLine(c.Body)), maxFallback),
		Blocks: blocks,
	}
}

// DecisionMessage builds the message that replaces c's review once it is
// decided: the same card without buttons, and who decided when.
// decision is "approved", "rejected" or "banned"; at is shown in each
// reader's time zone, and as at's clock time where Slack cannot.
func DecisionMessage(c ReviewCard, decision, by string, at time.Time) Message {
	word, ok := decisionWord[decision]
	if !ok {
		word = oneLine(decision)
	}
	blocks := c.blocks(fmt.Sprintf(text.decided, c.kind(), word))
	when := fmt.Sprintf("<!date^%d^{time}|%s>", at.Unix(), at.Format("15:04"))
	var line string
	if d, ok := text.decision[decision]; ok {
		line = fmt.Sprintf(text.decisionLine, d, "*"+escapeCut(oneLine(by), maxName)+"*", when)
	} else {
		line = fmt.Sprintf(text.decisionUnknownLine, escapeCut(oneLine(decision), maxName), "*"+escapeCut(oneLine(by), maxName)+"*", when)
	}
	blocks = append(blocks, goslack.NewContextBlock("", mrkdwn(decisionEmoji[decision]+" "+line)))
	return Message{
		Text:   escapeCut(fmt.Sprintf(text.fallbackDecision, c.kind(), word, oneLine(by), oneLine(c.Body)), maxFallback),
		Blocks: blocks,
	}
}

// kind is how the card names its item: "Question".
func (c ReviewCard) kind() string {
	if k, ok := text.kind[c.Kind]; ok {
		return k
	}
	return text.kind["question"]
}

// blocks are the card's blocks before its buttons or decision: a header,
// where the item is and who wrote it, its body, and why it waits.
func (c ReviewCard) blocks(header string) []goslack.Block {
	where := "*" + escapeCut(oneLine(c.EventName), maxName) + "*"
	if c.TalkTitle != "" {
		where += " › " + escapeCut(oneLine(c.TalkTitle), maxName)
	}
	if c.Author != "" {
		where += " · " + fmt.Sprintf(text.by, escapeCut(oneLine(c.Author), maxName))
	}
	body := escapeCut(c.Body, MaxSectionText)
	if strings.TrimSpace(body) == "" {
		body = "_(no text)_"
	}
	blocks := []goslack.Block{
		goslack.NewHeaderBlock(plain(cut(header, maxHeaderText))),
		goslack.NewContextBlock("", mrkdwn(where)),
		// verbatim: Slack does not turn the body's bare URLs, #channels
		// and @names into links or mentions.
		goslack.NewSectionBlock(goslack.NewTextBlockObject(goslack.MarkdownType, body, false, true), nil, nil),
	}
	var more []goslack.MixedElement
	if reasons := nonEmpty(c.Reasons); len(reasons) > 0 {
		more = append(more, mrkdwn(escapeCut(fmt.Sprintf(text.held, strings.Join(reasons, "; ")), maxContextText)))
	}
	if c.ConsoleURL != "" {
		more = append(more, mrkdwn(link(c.ConsoleURL, text.open)))
	}
	if len(more) > 0 {
		blocks = append(blocks, goslack.NewContextBlock("", more...))
	}
	return blocks
}

// Digest is a talk's summary once its Q&A closed.
type Digest struct {
	EventName string
	TalkTitle string
	Questions int // asked (and shown)
	Answered  int
	// Unanswered and Top are ordered by the caller (most liked first);
	// the first five of each are shown.
	Unanswered []DigestQuestion
	Top        []DigestQuestion
	// Reactions counts the audience's reactions by emoji (an emoji, or
	// a Slack :shortcode:, shown as it is); may be empty.
	Reactions map[string]int
	URL       string // the talk in koe; "" for none
}

// DigestQuestion is a question as a digest lists it.
type DigestQuestion struct {
	Body  string
	Likes int
}

// digestList is how many questions of each list a digest shows.
const digestList = 5

// DigestMessage builds a talk's digest: how many questions, how many
// answered, the top questions, the unanswered ones, the reactions.
func DigestMessage(d Digest) Message {
	title := oneLine(cmp.Or(d.TalkTitle, d.EventName))
	blocks := []goslack.Block{
		goslack.NewHeaderBlock(plain(cut(fmt.Sprintf(text.digestHeader, title), maxHeaderText))),
		goslack.NewContextBlock("", mrkdwn("*"+escapeCut(oneLine(d.EventName), maxName)+"*")),
		goslack.NewSectionBlock(nil, []*goslack.TextBlockObject{
			mrkdwn(fmt.Sprintf(text.questions, d.Questions)),
			mrkdwn(fmt.Sprintf(text.answered, d.Answered)),
		}, nil),
	}
	if len(d.Top) > 0 {
		blocks = append(blocks, section(text.top, d.Top))
	}
	if len(d.Unanswered) > 0 {
		blocks = append(blocks, section(text.unanswered, d.Unanswered))
	}
	if len(d.Top) == 0 && len(d.Unanswered) == 0 && d.Questions == 0 {
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(text.noQuestions), nil, nil))
	}
	var more []goslack.MixedElement
	if r := reactions(d.Reactions); r != "" {
		more = append(more, mrkdwn(escapeCut(fmt.Sprintf(text.reactions, r), maxContextText)))
	}
	if d.URL != "" {
		more = append(more, mrkdwn(link(d.URL, text.openDigest)))
	}
	if len(more) > 0 {
		blocks = append(blocks, goslack.NewContextBlock("", more...))
	}
	return Message{
		Text:   escapeCut(fmt.Sprintf(text.digestFallback, title, oneLine(d.EventName), d.Questions, d.Answered), maxFallback),
		Blocks: blocks,
	}
}

// section lists up to digestList questions under a title, numbered, with
// their likes, and how many more there are.
func section(title string, qs []DigestQuestion) goslack.Block {
	lines := []string{title}
	for i, q := range qs[:min(len(qs), digestList)] {
		lines = append(lines, fmt.Sprintf("%d. %s (%s)", i+1, escapeCut(oneLine(q.Body), maxListItem), likes(q.Likes)))
	}
	if len(qs) > digestList {
		lines = append(lines, fmt.Sprintf(text.more, len(qs)-digestList))
	}
	// digestList items of maxListItem and their numbers fit MaxSectionText.
	s := strings.Join(lines, "\n")
	return goslack.NewSectionBlock(goslack.NewTextBlockObject(goslack.MarkdownType, s, false, true), nil, nil)
}

func likes(n int) string {
	if n == 1 {
		return text.like
	}
	return fmt.Sprintf(text.likes, n)
}

// reactions lists the counts, most first: "👏 10 · 🎉 3". The names are
// not escaped here (the caller escapes the line).
func reactions(m map[string]int) string {
	type count struct {
		emoji string
		n     int
	}
	var cs []count
	for e, n := range m {
		if n > 0 && strings.TrimSpace(e) != "" {
			cs = append(cs, count{oneLine(e), n})
		}
	}
	slices.SortFunc(cs, func(a, b count) int { return cmp.Or(b.n-a.n, strings.Compare(a.emoji, b.emoji)) })
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", c.emoji, c.n)
	}
	return strings.Join(parts, " · ")
}

func button(actionID, label, value string, style goslack.Style) *goslack.ButtonBlockElement {
	return goslack.NewButtonBlockElement(actionID, value, plain(label)).WithStyle(style)
}

func plain(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.PlainTextType, s, true, false)
}

func mrkdwn(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.MarkdownType, s, false, false)
}

// cut shortens plain text (which needs no escaping) to limit characters.
func cut(s string, limit int) string {
	s = strings.ToValidUTF8(oneLine(s), "\uFFFD")
	if width(s) <= limit {
		return s
	}
	n := 0
	for i, r := range s {
		if n+width(string(r)) > limit-1 {
			return s[:i] + "…"
		}
		n += width(string(r))
	}
	return s
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = oneLine(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
