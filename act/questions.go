package act

import (
	"context"
	"strconv"

	"github.com/koehq/koe"
	"github.com/koehq/koe/realtime"
)

// QuestionList is one page of a talk's questions and the position of the
// talk's stream, read before the page (docs/architecture.md).
type QuestionList struct {
	Questions  []*koe.Question `json:"questions"`
	NextCursor *string         `json:"next_cursor"`
	Stream     StreamPosition  `json:"stream"`
}

// ListQuery is a question list as a client asks for it: sort, the cursor
// of the page before, and a page size, unparsed.
type ListQuery struct {
	Sort, Cursor, Limit string
}

// Questions returns one page of a talk's questions; the hidden list is for
// those who may see hidden questions.
func (a *Actions) Questions(ctx context.Context, eventID, talkID int64, lq ListQuery) (*QuestionList, error) {
	_, p, err := a.beginIn(ctx, Read, eventID, talkID)
	if err != nil {
		return nil, err
	}
	qq, err := parseListQuery(lq)
	if err != nil {
		return nil, err
	}
	staff := a.may(p, ReadHidden, eventID, talkID)
	if qq.Sort == koe.SortHidden && !staff {
		return nil, koe.Errorf(koe.EFORBIDDEN, "only staff can list hidden questions")
	}
	qq.EventID, qq.TalkID, qq.Viewer = eventID, talkID, p.ParticipantID
	if !p.IsParticipantOf(eventID) {
		qq.Viewer = 0
	}
	if qq.After == nil && qq.Sort != koe.SortHidden {
		return a.firstPage(ctx, qq, staff)
	}
	if _, err := a.store.Talk(ctx, eventID, talkID); err != nil {
		return nil, err
	}
	return a.readPage(ctx, qq, realtime.TalkStream(eventID, talkID, staff))
}

// readPage reads a page of a list from the store, after the position of
// the talk's stream id (the talk exists).
func (a *Actions) readPage(ctx context.Context, qq koe.QuestionQuery, id realtime.StreamID) (*QuestionList, error) {
	cursor := a.hub.Cursor(id)
	page, err := a.store.Questions(ctx, qq)
	if err != nil {
		return nil, err
	}
	return listOf(page, id, cursor), nil
}

// listOf is a page as it is answered, with the stream position read
// before it.
func listOf(page *koe.QuestionPage, id realtime.StreamID, cursor string) *QuestionList {
	list := &QuestionList{Questions: page.Questions, Stream: StreamPosition{Topic: id.Topic, Cursor: cursor}}
	if page.Next != nil {
		next := page.Next.String()
		list.NextCursor = &next
	}
	return list
}

// parseListQuery reads the list parameters.
func parseListQuery(lq ListQuery) (koe.QuestionQuery, error) {
	var qq koe.QuestionQuery
	var err error
	if qq.Sort, err = koe.ParseQuestionSort(lq.Sort); err != nil {
		return qq, err
	}
	if lq.Cursor != "" {
		if qq.After, err = koe.ParseCursor(qq.Sort, lq.Cursor); err != nil {
			return qq, err
		}
	}
	qq.Limit = koe.DefaultPageSize
	if lq.Limit != "" {
		n, err := strconv.Atoi(lq.Limit)
		if err != nil || n < 1 || n > koe.MaxPageSize || strconv.Itoa(n) != lq.Limit {
			return qq, koe.Errorf(koe.EINVALID, "limit must be between 1 and %d", koe.MaxPageSize)
		}
		qq.Limit = n
	}
	return qq, nil
}

// Question returns one question; a hidden one only to those who may see
// it.
func (a *Actions) Question(ctx context.Context, eventID, talkID, questionID int64) (*koe.Question, error) {
	_, p, err := a.beginIn(ctx, Read, eventID, talkID)
	if err != nil {
		return nil, err
	}
	viewer := int64(0)
	if p.IsParticipantOf(eventID) {
		viewer = p.ParticipantID
	}
	return a.visibleQuestion(ctx, p, eventID, talkID, questionID, viewer)
}

func (a *Actions) visibleQuestion(ctx context.Context, p koe.Principal, eventID, talkID, questionID, viewer int64) (*koe.Question, error) {
	q, err := a.store.Question(ctx, eventID, talkID, questionID, viewer)
	if err != nil {
		return nil, err
	}
	own := viewer != 0 && q.ParticipantID == viewer && !q.Hidden // an asker follows their question through moderation
	if !q.Public() && !own && !a.may(p, ReadHidden, eventID, talkID) {
		return nil, koe.Errorf(koe.ENOTFOUND, "question not found")
	}
	return q, nil
}

// NewQuestion is a question as a participant asks it.
type NewQuestion struct {
	Body string `json:"body"`
	// Anonymous hides the asker's display name.
	Anonymous bool `json:"anonymous"`
	// DuplicateOK asks although the question nearly repeats a visible
	// one (EDUPLICATE answered the first try).
	DuplicateOK bool `json:"duplicate_ok"`
}

// Ask asks a question in a talk.
func (a *Actions) Ask(ctx context.Context, eventID, talkID int64, in NewQuestion) (*koe.Question, error) {
	ctx, p, err := a.beginIn(ctx, Ask, eventID, talkID)
	if err != nil {
		return nil, err
	}
	if err := a.limit(ctx, "ask", p); err != nil {
		return nil, err
	}
	body, err := koe.CleanText("body", in.Body, 1, koe.MaxQuestionLen)
	if err != nil {
		return nil, err
	}
	if err := a.checkBan(ctx, p, eventID); err != nil {
		return nil, err
	}
	e, t, err := a.eventTalk(ctx, eventID, talkID)
	if err != nil {
		return nil, err
	}
	if !t.QAOpen {
		return nil, koe.Errorf(koe.EQACLOSED, "Q&A for this talk is closed")
	}
	q := &koe.Question{EventID: eventID, TalkID: talkID, ParticipantID: p.ParticipantID}
	if !in.Anonymous {
		asker, err := a.store.Participant(ctx, eventID, p.ParticipantID)
		if err != nil {
			return nil, err
		}
		q.AuthorName = asker.DisplayName
	}
	sc, err := a.screen(ctx, submission{event: e, talk: t, kind: koe.ReviewQuestion, participant: p.ParticipantID,
		author: q.AuthorName, text: body, duplicateOK: in.DuplicateOK})
	if err != nil {
		return nil, err
	}
	q.Body, q.Status = sc.text, sc.status
	if err := a.store.CreateQuestion(ctx, q, sc.review); err != nil {
		return nil, err
	}
	return q, nil
}

// eventTalk returns the event and one of its talks.
func (a *Actions) eventTalk(ctx context.Context, eventID, talkID int64) (*koe.Event, *koe.Talk, error) {
	t, err := a.store.Talk(ctx, eventID, talkID)
	if err != nil {
		return nil, nil, err
	}
	e, err := a.store.Event(ctx, eventID)
	if err != nil {
		return nil, nil, err
	}
	return e, t, nil
}

// QuestionPatch changes a question: its text (moderators), hidden
// (moderators), answered (presenters and moderators).
type QuestionPatch struct {
	Body     *string `json:"body"`
	Answered *bool   `json:"answered"`
	Hidden   *bool   `json:"hidden"`
}

// UpdateQuestion changes a question.
func (a *Actions) UpdateQuestion(ctx context.Context, eventID, talkID, questionID int64, in QuestionPatch) (*koe.Question, error) {
	do := Present
	if in.Body != nil || in.Hidden != nil {
		do = Moderate
	}
	ctx, _, err := a.beginIn(ctx, do, eventID, talkID)
	if err != nil {
		return nil, err
	}
	u := koe.QuestionUpdate{Answered: in.Answered, Hidden: in.Hidden}
	if in.Body != nil {
		body, err := koe.CleanText("body", *in.Body, 1, koe.MaxQuestionLen)
		if err != nil {
			return nil, err
		}
		u.Body = &body
	}
	ch, err := a.store.UpdateQuestion(ctx, eventID, talkID, questionID, u)
	if err != nil {
		return nil, err
	}
	return ch.Question, nil
}

// Like likes (like=true) or unlikes a question, at most once per
// participant. Likes are limited per participant and per address, and so
// are likes on one question from one address, however many identities it
// holds.
func (a *Actions) Like(ctx context.Context, eventID, talkID, questionID int64, like bool) (*koe.LikeResult, error) {
	ctx, p, err := a.beginIn(ctx, Like, eventID, talkID)
	if err != nil {
		return nil, err
	}
	if err := a.limit(ctx, "like", p); err != nil {
		return nil, err
	}
	if err := a.checkBan(ctx, p, eventID); err != nil {
		return nil, err
	}
	if like && p.Addr != "" {
		if err := a.limiter.Allow(ctx, "like.question_ip", itoa(questionID)+"|"+p.Addr); err != nil {
			return nil, err
		}
	}
	return a.store.SetLike(ctx, eventID, talkID, questionID, p.ParticipantID, like)
}

// Replies lists the replies under a visible question.
func (a *Actions) Replies(ctx context.Context, eventID, talkID, questionID int64) ([]*koe.Reply, error) {
	_, p, err := a.beginIn(ctx, Read, eventID, talkID)
	if err != nil {
		return nil, err
	}
	if _, err := a.visibleQuestion(ctx, p, eventID, talkID, questionID, 0); err != nil {
		return nil, err
	}
	return a.store.Replies(ctx, eventID, talkID, questionID, a.may(p, ReadHidden, eventID, talkID))
}

// NewReply is a reply as it is written.
type NewReply struct {
	Body string `json:"body"`
	// AuthorName signs a staff reply (e.g. the speaker's name);
	// participants reply under their display name.
	AuthorName string `json:"author_name"`
	Anonymous  bool   `json:"anonymous"`
}

// Reply writes a reply under a question: staff always, participants when
// the event allows it.
func (a *Actions) Reply(ctx context.Context, eventID, talkID, questionID int64, in NewReply) (*koe.Reply, error) {
	ctx, p, err := a.beginIn(ctx, Reply, eventID, talkID)
	if err != nil {
		return nil, err
	}
	rep := &koe.Reply{EventID: eventID, TalkID: talkID, QuestionID: questionID}
	if rep.Body, err = koe.CleanText("body", in.Body, 1, koe.MaxReplyLen); err != nil {
		return nil, err
	}
	if p.System || p.IsStaffOf(eventID) { // staff (and koe itself) reply as staff, even from a browser that also joined
		rep.Staff = true
		if rep.AuthorName, err = koe.CleanLine("author_name", in.AuthorName, 0, koe.MaxDisplayNameLen); err != nil {
			return nil, err
		}
		if _, err := a.store.CreateReply(ctx, rep, nil); err != nil {
			return nil, err
		}
		return rep, nil
	}
	if err := a.participantReply(ctx, p, in, rep); err != nil {
		return nil, err
	}
	e, t, err := a.eventTalk(ctx, eventID, talkID)
	if err != nil {
		return nil, err
	}
	sc, err := a.screen(ctx, submission{event: e, talk: t, kind: koe.ReviewReply, participant: p.ParticipantID,
		author: rep.AuthorName, text: rep.Body})
	if err != nil {
		return nil, err
	}
	rep.Body, rep.Status = sc.text, sc.status
	if _, err := a.store.CreateReply(ctx, rep, sc.review); err != nil {
		return nil, err
	}
	return rep, nil
}

// participantReply checks that the event allows participant replies and
// the rate limit, and signs the reply with the participant's name.
func (a *Actions) participantReply(ctx context.Context, p koe.Principal, in NewReply, rep *koe.Reply) error {
	if in.AuthorName != "" {
		return koe.Errorf(koe.EINVALID, "author_name is for staff replies; participants reply under their display name")
	}
	e, err := a.store.Event(ctx, rep.EventID)
	if err != nil {
		return err
	}
	if !e.Settings.ParticipantReplies {
		return koe.Errorf(koe.EFORBIDDEN, "only staff can reply in this event")
	}
	if err := a.checkBan(ctx, p, rep.EventID); err != nil {
		return err
	}
	if err := a.limit(ctx, "reply", p); err != nil {
		return err
	}
	if _, err := a.visibleQuestion(ctx, p, rep.EventID, rep.TalkID, rep.QuestionID, 0); err != nil {
		return err
	}
	rep.ParticipantID = p.ParticipantID
	if !in.Anonymous {
		author, err := a.store.Participant(ctx, rep.EventID, p.ParticipantID)
		if err != nil {
			return err
		}
		rep.AuthorName = author.DisplayName
	}
	return nil
}
