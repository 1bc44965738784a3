package api

import (
	"net/http"
	"strconv"

	"github.com/koehq/koe"
	"github.com/koehq/koe/realtime"
)

// Streams a change is published to. Participants and viewers follow the
// public streams; staff follow the staff stream of a talk, which also
// carries hidden questions.
func talkStream(eventID, talkID int64, staff bool) realtime.StreamID {
	return realtime.StreamID{EventID: eventID, Topic: realtime.TalkTopic(talkID), Staff: staff}
}

func eventStream(eventID int64) realtime.StreamID {
	return realtime.StreamID{EventID: eventID, Topic: realtime.EventTopic}
}

// publishQuestion sends a question's new state. The public stream never
// sees a hidden question: it gets question.removed instead.
func (s *Server) publishQuestion(r *http.Request, typ string, q *koe.Question) {
	shared := *q
	shared.Mine, shared.LikedByMe = false, false // viewer-relative, not for broadcast
	at := acceptedAt(r)
	s.hub.Publish(talkStream(q.EventID, q.TalkID, true), typ, at, &shared)
	if q.Hidden {
		if typ != "question.created" {
			s.hub.Publish(talkStream(q.EventID, q.TalkID, false), "question.removed", at, map[string]int64{"id": q.ID, "version": q.Version})
		}
		return
	}
	s.hub.Publish(talkStream(q.EventID, q.TalkID, false), typ, at, &shared)
}

type likesUpdate struct {
	ID      int64 `json:"id"`
	Likes   int   `json:"likes"`
	Version int64 `json:"version"`
}

// publishLikes sends a question's like count through the coalescer.
func (s *Server) publishLikes(r *http.Request, eventID, talkID int64, res *koe.LikeResult) {
	key := strconv.FormatInt(eventID, 10) + "/" + strconv.FormatInt(talkID, 10) + "/" + strconv.FormatInt(res.QuestionID, 10)
	streams := []realtime.StreamID{talkStream(eventID, talkID, false), talkStream(eventID, talkID, true)}
	s.hub.PublishLatest(key, streams, "question.likes", res.Version, acceptedAt(r),
		likesUpdate{ID: res.QuestionID, Likes: res.Likes, Version: res.Version})
}

// publishTalk sends a talk's new state to its own streams (the highlight
// and open/closed state matter there) and to the event's stream (the
// programme).
func (s *Server) publishTalk(r *http.Request, typ string, t *koe.Talk) {
	at := acceptedAt(r)
	if typ != "talk.created" {
		s.hub.Publish(talkStream(t.EventID, t.ID, false), typ, at, t)
		s.hub.Publish(talkStream(t.EventID, t.ID, true), typ, at, t)
	}
	s.hub.Publish(eventStream(t.EventID), typ, at, t)
}

func (s *Server) publishReply(r *http.Request, rep *koe.Reply, q *koe.Question) {
	at := acceptedAt(r)
	s.hub.Publish(talkStream(rep.EventID, rep.TalkID, true), "reply.created", at, rep)
	if !q.Hidden {
		s.hub.Publish(talkStream(rep.EventID, rep.TalkID, false), "reply.created", at, rep)
	}
	s.publishQuestion(r, "question.updated", q)
}
