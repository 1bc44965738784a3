package act

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/realtime"
)

// The first page of a talk's lists is what every phone reads when it opens
// the talk, thousands within a minute at its start; reading it from the
// store each time would cost most of a core (docs/architecture.md,
// "Question lists under a rush"). So the first page of each list is kept
// as everyone sees it (approved questions, no viewer's marks), with the
// position of the talk's stream read before it. An entry serves while the
// stream is still at that position, and for at most listFresh: every
// change to a list is published on the stream, so until the stream moves
// the page is what the store would give now, and a client that follows
// the stream from the position gets every change after it. A participant
// gets their marks (likes, their own questions) from one small read; one
// with questions only they see in their lists (pending or rejected) is
// served from the store as before.

// listFresh bounds how long a kept page serves while its stream does not
// move, for what is not published on the stream.
const listFresh = time.Second

// maxListPages bounds the pages kept: past it they are all dropped.
const maxListPages = 4096

type listKey struct {
	eventID, talkID int64
	sort            koe.QuestionSort
	limit           int
	staff           bool // the staff stream's position
}

type listPage struct {
	cursor string // the stream's position, read before the page
	page   *koe.QuestionPage
	read   time.Time
}

type listCache struct {
	mu    sync.Mutex
	pages map[listKey]*listPage
}

func newListCache() *listCache { return &listCache{pages: make(map[listKey]*listPage)} }

func (c *listCache) get(k listKey) *listPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pages[k]
}

func (c *listCache) put(k listKey, p *listPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pages) >= maxListPages {
		clear(c.pages)
	}
	c.pages[k] = p
}

// firstPage returns the first page of a list (not the hidden one) for
// qq.Viewer, from the kept page when it is current.
func (a *Actions) firstPage(ctx context.Context, qq koe.QuestionQuery, staff bool) (*QuestionList, error) {
	id := realtime.TalkStream(qq.EventID, qq.TalkID, staff)
	key := listKey{eventID: qq.EventID, talkID: qq.TalkID, sort: qq.Sort, limit: qq.Limit, staff: staff}
	kept := a.lists.get(key)
	// A kept page means the talk existed a moment ago, so its stream may
	// be looked up (and made again) before the store is asked.
	if kept == nil || a.now().Sub(kept.read) > listFresh || a.hub.Cursor(id) != kept.cursor {
		if _, err := a.store.Talk(ctx, qq.EventID, qq.TalkID); err != nil {
			return nil, err
		}
		everyone := qq
		everyone.Viewer = 0
		kept = &listPage{cursor: a.hub.Cursor(id), read: a.now()}
		var err error
		if kept.page, err = a.store.Questions(ctx, everyone); err != nil {
			return nil, err
		}
		a.lists.put(key, kept)
	}
	list := listOf(kept.page, id, kept.cursor)
	if qq.Viewer == 0 {
		return list, nil
	}
	ids := make([]int64, len(list.Questions))
	for i, q := range list.Questions {
		ids[i] = q.ID
	}
	marks, err := a.store.ListMarks(ctx, qq.TalkID, qq.Viewer, ids)
	if err != nil {
		return nil, err
	}
	if marks.OwnUnapproved {
		return a.readPage(ctx, qq, id)
	}
	list.Questions = marked(list.Questions, qq.Viewer, marks.Liked)
	return list, nil
}

// marked returns the page as viewer sees it: their own questions and
// those they like marked, on copies (the kept page is shared).
func marked(page []*koe.Question, viewer int64, liked []int64) []*koe.Question {
	out := make([]*koe.Question, len(page))
	for i, q := range page {
		out[i] = q
		if likes := slices.Contains(liked, q.ID); likes || q.ParticipantID == viewer {
			c := *q
			c.LikedByMe, c.Mine = likes, q.ParticipantID == viewer
			out[i] = &c
		}
	}
	return out
}
