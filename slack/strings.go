package slack

// The English of koe's Slack messages, all in one place. (Slack messages
// are not translated: a workspace's moderators share one channel.)
var text = struct {
	kind map[string]string // ReviewCard.Kind → how a line names it

	waiting, decided                  string // header: "Question waiting for review", "Question approved"
	decisionLine, decisionUnknownLine string // "Approved by X at 14:05"
	decision                          map[string]string
	by, held, open                    string
	fallbackReview, fallbackDecision  string

	approve, reject, ban                     string
	banTitle, banText, banOK, banCancel      string
	digestHeader, digestFallback             string
	questions, answered, top, unanswered     string
	more, like, likes, reactions, openDigest string
	noQuestions                              string
}{
	kind: map[string]string{"question": "Question", "reply": "Reply", "post": "Post"},

	waiting:             "%s waiting for review",
	decided:             "%s %s",
	decisionLine:        "%s by %s at %s",
	decisionUnknownLine: "Decided (%s) by %s at %s",
	decision:            map[string]string{"approved": "Approved", "rejected": "Rejected", "banned": "Rejected, and the author banned"},
	by:                  "by %s",
	held:                "Waiting because: %s",
	open:                "Open in koe's console",
	fallbackReview:      "%s waiting for review at %s: %s",
	fallbackDecision:    "%s %s by %s: %s",

	approve:   "Approve",
	reject:    "Reject",
	ban:       "Ban",
	banTitle:  "Ban the author?",
	banText:   "This rejects the item and stops its author from posting at this event.",
	banOK:     "Ban",
	banCancel: "Cancel",

	digestHeader:   "Q&A digest: %s",
	digestFallback: "Q&A digest of %s at %s: %d questions, %d answered",
	questions:      "*Questions*\n%d",
	answered:       "*Answered*\n%d",
	top:            "*Top questions*",
	unanswered:     "*Unanswered*",
	more:           "…and %d more",
	like:           "1 like",
	likes:          "%d likes",
	reactions:      "Reactions: %s",
	openDigest:     "Open the talk in koe",
	noQuestions:    "No questions.",
}

// decisionEmoji marks the line that says who decided.
var decisionEmoji = map[string]string{"approved": ":white_check_mark:", "rejected": ":x:", "banned": ":no_entry:"}

// decisionWord is how a header says the decision: "approved".
var decisionWord = map[string]string{"approved": "approved", "rejected": "rejected", "banned": "rejected"}
