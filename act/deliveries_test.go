package act

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/koehq/koe"
)

// TestHookEvents: which webhook events each change is.
func TestHookEvents(t *testing.T) {
	q := func(status koe.Status, hidden, answered bool) json.RawMessage {
		b, _ := json.Marshal(koe.Question{ID: 1, Status: status, Hidden: hidden, Answered: answered})
		return b
	}
	shown := q(koe.StatusApproved, false, false)
	decided, _ := json.Marshal(koe.Review{ID: 1, Decision: &koe.ReviewDecision{Decision: koe.ReviewApproved}})
	undone, _ := json.Marshal(koe.Review{ID: 1})
	for _, tc := range []struct {
		name string
		c    koe.Change
		want []koe.WebhookEvent
	}{
		{"question shown", koe.Change{Type: koe.QuestionCreated, Visibility: koe.VisiblePublic, Data: shown}, []koe.WebhookEvent{koe.HookQuestionCreated}},
		{"question held", koe.Change{Type: koe.QuestionCreated, Visibility: koe.VisibleStaff, Data: q(koe.StatusPending, false, false)}, nil},
		{"approved", koe.Change{Type: koe.QuestionUpdated, Data: shown, Before: q(koe.StatusPending, false, false)}, []koe.WebhookEvent{koe.HookQuestionApproved, koe.HookQuestionUpdated}},
		{"rejected", koe.Change{Type: koe.QuestionUpdated, Data: q(koe.StatusRejected, false, false), Before: q(koe.StatusPending, false, false)}, nil},
		{"answered", koe.Change{Type: koe.QuestionUpdated, Data: q(koe.StatusApproved, false, true), Before: shown}, []koe.WebhookEvent{koe.HookQuestionAnswered, koe.HookQuestionUpdated}},
		{"answered while hidden", koe.Change{Type: koe.QuestionUpdated, Data: q(koe.StatusApproved, true, true), Before: q(koe.StatusApproved, true, false)}, nil},
		{"hidden", koe.Change{Type: koe.QuestionUpdated, Data: q(koe.StatusApproved, true, false), Before: shown}, []koe.WebhookEvent{koe.HookQuestionUpdated}},
		{"a reply counted", koe.Change{Type: koe.QuestionUpdated, Data: shown}, []koe.WebhookEvent{koe.HookQuestionUpdated}},
		{"reply shown", koe.Change{Type: koe.ReplyCreated, Visibility: koe.VisiblePublic}, []koe.WebhookEvent{koe.HookReplyCreated}},
		{"reply held", koe.Change{Type: koe.ReplyCreated, Visibility: koe.VisibleStaff}, nil},
		{"likes", koe.Change{Type: koe.QuestionLikes, Visibility: koe.VisiblePublic}, nil},
		{"talk", koe.Change{Type: koe.TalkUpdated}, []koe.WebhookEvent{koe.HookTalkUpdated}},
		{"featured", koe.Change{Type: koe.PostFeatured}, []koe.WebhookEvent{koe.HookPostFeatured}},
		{"review", koe.Change{Type: koe.ReviewCreated}, []koe.WebhookEvent{koe.HookReviewCreated}},
		{"decided", koe.Change{Type: koe.ReviewUpdated, Data: decided}, []koe.WebhookEvent{koe.HookReviewDecided}},
		{"undone", koe.Change{Type: koe.ReviewUpdated, Data: undone}, nil},
		{"claimed", koe.Change{Type: koe.ReviewClaimed, Data: decided}, nil},
		{"webhook", koe.Change{Type: koe.WebhookUpdated}, nil},
		{"undecodable", koe.Change{Type: koe.QuestionUpdated, Data: json.RawMessage(`{`)}, nil},
	} {
		if got := hookEvents(tc.c); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
