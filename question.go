package koe

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Participant is a member of an event's audience, anonymous unless they gave
// a display name. A participant belongs to exactly one event.
type Participant struct {
	// ID is never sent to clients: ids are sequential, and would tell how
	// many people joined.
	ID          int64  `json:"-"`
	EventID     int64  `json:"event_id"`
	DisplayName string `json:"display_name"`
	// OIDCIssuer and OIDCSubject name the person at the OpenID provider,
	// for a participant of an event that asks them to sign in; "" else.
	OIDCIssuer  string    `json:"-"`
	OIDCSubject string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// Question is a question asked in a talk's Q&A.
type Question struct {
	ID      int64 `json:"id"`
	EventID int64 `json:"event_id"`
	TalkID  int64 `json:"talk_id"`
	// ParticipantID is never sent to clients: it would link the anonymous
	// questions of one person.
	ParticipantID int64 `json:"-"`
	// AuthorName is the asker's display name, empty when asked anonymously.
	AuthorName string     `json:"author_name"`
	Body       string     `json:"body"`
	Likes      int        `json:"likes"`
	Answered   bool       `json:"answered"`
	AnsweredAt *time.Time `json:"answered_at"`
	Hidden     bool       `json:"hidden"`
	// Status is the question's place in moderation: only approved
	// questions are shown to others than their asker (see Public).
	Status     Status `json:"status"`
	ReplyCount int    `json:"reply_count"`
	// Version grows by one with every change to the question, its likes and
	// its replies included.
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Viewer-relative fields, filled when the store is asked on behalf of a
	// participant; false otherwise.
	Mine      bool `json:"mine"`
	LikedByMe bool `json:"liked_by_me"`
}

// QuestionText is a question's id and text.
type QuestionText struct {
	ID   int64
	Body string
}

// QuestionUpdate changes the non-nil fields of a question.
type QuestionUpdate struct {
	Body     *string
	Answered *bool
	Hidden   *bool
	// Status is set by moderators' decisions (ModerationStore), not by
	// QuestionPatch.
	Status *Status
}

// Apply sets the fields of q that u changes, at now, and reports whether
// anything changed. Marking a question answered stamps AnsweredAt (once:
// marking it answered again keeps the first time); marking it unanswered
// clears it.
func (u QuestionUpdate) Apply(q *Question, now time.Time) bool {
	before := *q
	if u.Body != nil {
		q.Body = *u.Body
	}
	if u.Answered != nil {
		switch {
		case !*u.Answered:
			q.AnsweredAt = nil
		case !q.Answered:
			q.AnsweredAt = &now
		}
		q.Answered = *u.Answered
	}
	if u.Hidden != nil {
		q.Hidden = *u.Hidden
	}
	if u.Status != nil {
		q.Status = *u.Status
	}
	return q.Status != before.Status || q.Body != before.Body || q.Answered != before.Answered || q.Hidden != before.Hidden
}

// Highlightable reports whether q may be shown on the big screen. A
// change that makes a highlighted question unhighlightable (hiding it)
// also clears the talk's highlight.
func (q *Question) Highlightable() bool { return q.Public() }

// UpdatedQuestion is the result of a change to a question. Talk is non-nil
// when the same change also changed the talk (hiding the highlighted
// question clears the highlight).
type UpdatedQuestion struct {
	Question *Question
	Talk     *Talk
}

// LikeResult is the outcome of a like or unlike.
type LikeResult struct {
	QuestionID int64 `json:"question_id"`
	Likes      int   `json:"likes"`
	Liked      bool  `json:"liked"`
	Version    int64 `json:"version"`
	// Changed is false when the participant already was in the asked state.
	Changed bool `json:"-"`
}

// Reply is an answer written under a question by staff or, when the event
// allows it, by a participant.
type Reply struct {
	ID            int64 `json:"id"`
	EventID       int64 `json:"event_id"`
	TalkID        int64 `json:"talk_id"`
	QuestionID    int64 `json:"question_id"`
	ParticipantID int64 `json:"-"`
	Staff         bool  `json:"staff"`
	// Status is the reply's place in moderation, like a question's.
	Status     Status    `json:"status"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// QuestionSort names a question list (F5).
type QuestionSort string

const (
	// SortTop lists unanswered visible questions by likes, ties oldest first.
	SortTop QuestionSort = "top"
	// SortRecent lists unanswered visible questions newest first.
	SortRecent QuestionSort = "recent"
	// SortAnswered lists answered visible questions, most recently answered first.
	SortAnswered QuestionSort = "answered"
	// SortHidden lists hidden questions newest first; staff only.
	SortHidden QuestionSort = "hidden"
)

// ParseQuestionSort validates a sort name; empty means top.
func ParseQuestionSort(s string) (QuestionSort, error) {
	switch QuestionSort(s) {
	case "":
		return SortTop, nil
	case SortTop, SortRecent, SortAnswered, SortHidden:
		return QuestionSort(s), nil
	}
	return "", Errorf(EINVALID, "sort must be one of top, recent, answered, hidden")
}

// Page sizes for question lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// QuestionQuery selects one page of a talk's questions.
type QuestionQuery struct {
	EventID int64
	TalkID  int64
	Sort    QuestionSort
	// After continues a previous page; nil for the first page.
	After *Cursor
	Limit int
	// Viewer fills Mine and LikedByMe; 0 for staff or nobody.
	Viewer int64
}

// Normalized returns the query with an empty sort read as top and the
// limit brought into 1..MaxPageSize (DefaultPageSize when unset).
func (q QuestionQuery) Normalized() QuestionQuery {
	if q.Sort == "" {
		q.Sort = SortTop
	}
	if q.Limit <= 0 {
		q.Limit = DefaultPageSize
	}
	q.Limit = min(q.Limit, MaxPageSize)
	return q
}

// QuestionPage is one page of questions; Next is nil on the last page.
type QuestionPage struct {
	Questions []*Question
	Next      *Cursor
}

// NewQuestionPage makes a page of a list from up to limit+1 rows read in
// its order: the extra row only says that another page follows.
func NewQuestionPage(sort QuestionSort, rows []*Question, limit int) *QuestionPage {
	page := &QuestionPage{Questions: rows}
	if len(rows) > limit {
		page.Questions = rows[:limit]
		page.Next = CursorAfter(sort, page.Questions[limit-1])
	}
	return page
}

// ListMarks is what one participant's view of a talk's lists adds to
// everyone's (Store.ListMarks).
type ListMarks struct {
	// Liked are the questions, among those asked about, that the
	// participant likes.
	Liked []int64
	// OwnUnapproved is true when the participant has pending or rejected
	// questions in the talk, which their lists show.
	OwnUnapproved bool
}

// Cursor is the position after the last question of a page: the sort key
// of that question (likes for top, unix nanoseconds of answered_at for
// answered, unused otherwise) and its id. Ids grow with time, so an id
// breaks every tie in the order of asking.
type Cursor struct {
	Sort QuestionSort
	Key  int64
	ID   int64
}

// CursorAfter returns the cursor that continues a list after q.
func CursorAfter(sort QuestionSort, q *Question) *Cursor {
	c := &Cursor{Sort: sort, ID: q.ID}
	switch sort {
	case SortTop:
		c.Key = int64(q.Likes)
	case SortAnswered:
		if q.AnsweredAt != nil {
			c.Key = q.AnsweredAt.UnixNano()
		}
	}
	return c
}

// String encodes the cursor as an opaque URL-safe token.
func (c *Cursor) String() string {
	raw := string(c.Sort) + ":" + strconv.FormatInt(c.Key, 10) + ":" + strconv.FormatInt(c.ID, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor decodes a cursor made by String for a list of the given sort.
func ParseCursor(sort QuestionSort, s string) (*Cursor, error) {
	bad := Errorf(EINVALID, "cursor is not valid for this list")
	if len(s) > 100 {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || QuestionSort(parts[0]) != sort {
		return nil, bad
	}
	key, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 || key < 0 {
		return nil, bad
	}
	return &Cursor{Sort: sort, Key: key, ID: id}, nil
}
