package act

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/moderation"
	"github.com/koehq/koe/realtime"
)

// ReviewList is the moderation queue of an event (or one talk), its
// counters, and the position of the moderation stream read before it.
type ReviewList struct {
	Reviews []*koe.Review    `json:"reviews"`
	Counts  koe.ReviewCounts `json:"counts"`
	Stream  StreamPosition   `json:"stream"`
}

// ReviewListQuery is a review list as a client asks for it, unparsed:
// state "open" (default) or "decided", a talk id, a page size.
type ReviewListQuery struct {
	State, TalkID, Limit string
}

// MaxReviewPage bounds one review list.
const MaxReviewPage = 200

// Reviews lists an event's moderation queue: the open reviews oldest
// first, or the decided ones newest first.
func (a *Actions) Reviews(ctx context.Context, eventID int64, in ReviewListQuery) (*ReviewList, error) {
	_, _, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	q, err := parseReviewQuery(in)
	if err != nil {
		return nil, err
	}
	q.EventID = eventID
	if q.TalkID != 0 {
		if _, err := a.store.Talk(ctx, eventID, q.TalkID); err != nil {
			return nil, err
		}
	}
	if _, err := a.store.Event(ctx, eventID); err != nil {
		return nil, err
	}
	pos := StreamPosition{Topic: realtime.ModerationTopic, Cursor: a.hub.Cursor(realtime.ModerationStream(eventID))}
	reviews, err := a.store.Reviews(ctx, q)
	if err != nil {
		return nil, err
	}
	counts, err := a.store.ReviewCounts(ctx, eventID, q.TalkID, a.now().Add(-time.Minute))
	if err != nil {
		return nil, err
	}
	return &ReviewList{Reviews: reviews, Counts: counts, Stream: pos}, nil
}

// parseReviewQuery reads a review list's parameters.
func parseReviewQuery(in ReviewListQuery) (koe.ReviewQuery, error) {
	q := koe.ReviewQuery{Limit: MaxReviewPage}
	switch in.State {
	case "", "open":
		q.Open = true
	case "decided":
	default:
		return q, koe.Invalid("state", koe.ReasonFormat, 0, "state must be open or decided")
	}
	var err error
	if in.TalkID != "" {
		if q.TalkID, err = ParseID("talk_id", in.TalkID); err != nil {
			return q, err
		}
	}
	if in.Limit != "" {
		n, err := strconv.Atoi(in.Limit)
		if err != nil || n < 1 || n > MaxReviewPage || strconv.Itoa(n) != in.Limit {
			return q, koe.Invalid("limit", koe.ReasonFormat, MaxReviewPage, "limit must be between 1 and %d", MaxReviewPage)
		}
		q.Limit = n
	}
	return q, nil
}

// ClaimReview tells the other moderators that the caller is looking at
// a review (for koe.ClaimTTL; claim again to renew). ECONFLICT when
// another moderator's claim holds: the caller may still decide.
func (a *Actions) ClaimReview(ctx context.Context, eventID, id int64) (*koe.Review, error) {
	ctx, p, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	now := a.now()
	return a.store.ClaimReview(ctx, eventID, id, p.AccountID, &koe.ReviewClaim{Name: a.staffName(ctx, p), Until: now.Add(koe.ClaimTTL)}, now)
}

// ReleaseReview gives up the caller's claim on a review.
func (a *Actions) ReleaseReview(ctx context.Context, eventID, id int64) (*koe.Review, error) {
	ctx, p, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	return a.store.ClaimReview(ctx, eventID, id, p.AccountID, nil, a.now())
}

// ReviewDecision is a moderator's decision: "approve" or "reject", and
// for approve, optionally the text fixed first.
type ReviewDecision struct {
	Decision string  `json:"decision"`
	Body     *string `json:"body"`
}

// DecideReview approves or rejects a review's item. Of moderators racing
// on one item exactly one decides; the others get ECONFLICT.
func (a *Actions) DecideReview(ctx context.Context, eventID, id int64, in ReviewDecision) (*koe.Review, error) {
	ctx, p, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	d, body, err := a.parseDecision(ctx, p, in)
	if err != nil {
		return nil, err
	}
	if body != nil {
		r, err := a.store.Review(ctx, eventID, id)
		if err != nil {
			return nil, err
		}
		if r.Kind == koe.ReviewPost {
			return nil, koe.Invalid("body", koe.ReasonFormat, 0, "a social post's text is its author's: approve or reject it as it is")
		}
	}
	return a.decide(ctx, eventID, id, d, body)
}

func (a *Actions) decide(ctx context.Context, eventID, id int64, d koe.ReviewDecision, body *string) (*koe.Review, error) {
	r, err := a.store.DecideReview(ctx, eventID, id, d, body)
	if err != nil {
		return nil, err
	}
	a.mod.metrics.decisions.WithLabelValues(string(d.Decision), "moderator").Inc()
	a.mod.metrics.wait.Observe(r.Decision.At.Sub(r.CreatedAt).Seconds())
	a.mod.learn(eventID, r.Body, d.Decision == koe.ReviewRejected)
	a.answerDecided(ctx, r)
	return r, nil
}

func (a *Actions) parseDecision(ctx context.Context, p koe.Principal, in ReviewDecision) (koe.ReviewDecision, *string, error) {
	d := koe.ReviewDecision{AccountID: p.AccountID, By: a.staffName(ctx, p)}
	switch in.Decision {
	case "approve":
		d.Decision = koe.ReviewApproved
	case "reject":
		d.Decision = koe.ReviewRejected
		if in.Body != nil {
			return d, nil, koe.Invalid("body", koe.ReasonFormat, 0, "body is for approving an item with its text fixed")
		}
	default:
		return d, nil, koe.Invalid("decision", koe.ReasonFormat, 0, "decision must be approve or reject")
	}
	if in.Body == nil {
		return d, nil, nil
	}
	body, err := koe.CleanText("body", *in.Body, 1, koe.MaxQuestionLen)
	return d, &body, err
}

// BulkDecision decides several reviews at once.
type BulkDecision struct {
	IDs      []int64 `json:"ids"`
	Decision string  `json:"decision"`
}

// BulkResult is what a bulk decision decided, and the reviews another
// moderator had decided first.
type BulkResult struct {
	Reviews   []*koe.Review `json:"reviews"`
	Conflicts []int64       `json:"conflicts"`
}

// MaxBulk bounds one bulk decision.
const MaxBulk = 100

// DecideReviews decides each review; one decided already is a conflict,
// not an error.
func (a *Actions) DecideReviews(ctx context.Context, eventID int64, in BulkDecision) (*BulkResult, error) {
	ctx, p, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	if len(in.IDs) == 0 || len(in.IDs) > MaxBulk {
		return nil, koe.Invalid("ids", koe.ReasonTooLong, MaxBulk, "ids must list 1 to %d reviews", MaxBulk)
	}
	d, _, err := a.parseDecision(ctx, p, ReviewDecision{Decision: in.Decision})
	if err != nil {
		return nil, err
	}
	res := &BulkResult{Reviews: []*koe.Review{}, Conflicts: []int64{}}
	for _, id := range in.IDs {
		r, err := a.decide(ctx, eventID, id, d, nil)
		switch koe.ErrorCode(err) {
		case "":
			res.Reviews = append(res.Reviews, r)
		case koe.ECONFLICT, koe.ENOTFOUND:
			res.Conflicts = append(res.Conflicts, id)
		default:
			return nil, err
		}
	}
	return res, nil
}

// UndoReview takes back the caller's decision on a review, within
// koe.UndoWindow.
func (a *Actions) UndoReview(ctx context.Context, eventID, id int64) (*koe.Review, error) {
	ctx, p, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	r, err := a.store.UndoReview(ctx, eventID, id, p.AccountID, a.now())
	if err != nil {
		return nil, err
	}
	a.answerDecided(ctx, r)
	return r, nil
}

// NewBan names whom to ban by one of their items: a review or a question.
type NewBan struct {
	ReviewID   *int64 `json:"review_id"`
	QuestionID *int64 `json:"question_id"`
	// HideItems hides all their questions in the event too.
	HideItems bool   `json:"hide_items"`
	Reason    string `json:"reason"`
}

// Ban bans the author of an item from the event: they can no longer ask,
// like or reply there.
func (a *Actions) Ban(ctx context.Context, eventID int64, in NewBan) (*koe.Ban, error) {
	ctx, p, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	reason, err := koe.CleanLine("reason", in.Reason, 0, maxBanReason)
	if err != nil {
		return nil, err
	}
	b := &koe.Ban{EventID: eventID, Reason: reason, By: a.staffName(ctx, p)}
	switch {
	case (in.ReviewID == nil) == (in.QuestionID == nil):
		return nil, koe.Invalid("review_id", koe.ReasonFormat, 0, "give one of review_id and question_id")
	case in.ReviewID != nil:
		if *in.ReviewID <= 0 {
			return nil, koe.Invalid("review_id", koe.ReasonFormat, 0, "review_id must be a positive integer")
		}
		r, err := a.store.Review(ctx, eventID, *in.ReviewID)
		if err != nil {
			return nil, err
		}
		if r.Kind == koe.ReviewPost {
			return nil, koe.Invalid("review_id", koe.ReasonFormat, 0, "a social post's author is not a participant of the event: reject or hide the post, or change its source")
		}
		b.ParticipantID = r.ParticipantID
	default:
		if *in.QuestionID <= 0 {
			return nil, koe.Invalid("question_id", koe.ReasonFormat, 0, "question_id must be a positive integer")
		}
		q, err := a.store.Question(ctx, eventID, 0, *in.QuestionID, 0)
		if err != nil {
			return nil, err
		}
		b.ParticipantID = q.ParticipantID
	}
	if err := a.store.CreateBan(ctx, b, in.HideItems); err != nil {
		return nil, err
	}
	a.mod.forgetBans(eventID)
	return b, nil
}

const maxBanReason = 200

// Bans lists an event's bans.
func (a *Actions) Bans(ctx context.Context, eventID int64) ([]*koe.Ban, error) {
	ctx, _, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	if _, err := a.store.Event(ctx, eventID); err != nil {
		return nil, err
	}
	return a.store.Bans(ctx, eventID)
}

// Unban lifts a ban.
func (a *Actions) Unban(ctx context.Context, eventID, banID int64) error {
	ctx, _, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return err
	}
	if err := a.store.DeleteBan(ctx, eventID, banID); err != nil {
		return err
	}
	a.mod.forgetBans(eventID)
	return nil
}

// checkBan refuses a banned participant.
func (a *Actions) checkBan(ctx context.Context, p koe.Principal, eventID int64) error {
	if !p.IsParticipantOf(eventID) {
		return nil
	}
	banned, err := a.mod.banned(ctx, eventID, p.ParticipantID)
	if err != nil {
		return err
	}
	if banned {
		return koe.Errorf(koe.EBANNED, "the moderators of this event have stopped you from taking part in it")
	}
	return nil
}

// ModerationConfig returns how the event's texts are checked.
func (a *Actions) ModerationConfig(ctx context.Context, eventID int64) (*koe.ModerationConfig, error) {
	ctx, _, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	e, err := a.store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	c := e.Moderation.Normalized()
	return &c, nil
}

// Limits of an event's moderation settings.
const (
	MaxScorers       = 5
	MaxScorerNameLen = 32
	MaxLinksLimit    = 20
)

// SetModerationConfig replaces how the event's texts are checked.
// Moderators may change everything but the scorers, which send the
// event's texts elsewhere: those are the owners'.
func (a *Actions) SetModerationConfig(ctx context.Context, eventID int64, in koe.ModerationConfig) (*koe.ModerationConfig, error) {
	ctx, p, err := a.begin(ctx, Moderate, eventID)
	if err != nil {
		return nil, err
	}
	e, err := a.store.Event(ctx, eventID)
	if err != nil {
		return nil, err
	}
	c, err := cleanModerationConfig(in)
	if err != nil {
		return nil, err
	}
	if !sameScorers(c.Scorers, e.Moderation.Normalized().Scorers) && !a.may(p, Manage, eventID, 0) {
		return nil, koe.Errorf(koe.EFORBIDDEN, "only an owner of this event can change its scorers")
	}
	updated, err := a.store.UpdateEvent(ctx, eventID, koe.EventUpdate{Moderation: &c})
	if err != nil {
		return nil, err
	}
	out := updated.Moderation.Normalized()
	return &out, nil
}

func sameScorers(a, b []koe.ScorerConfig) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// cleanModerationConfig validates an event's moderation settings.
func cleanModerationConfig(c koe.ModerationConfig) (koe.ModerationConfig, error) {
	switch {
	case !(c.QueueThreshold > 0 && c.QueueThreshold <= 1):
		return c, koe.Invalid("queue_threshold", koe.ReasonFormat, 0, "queue_threshold must be above 0 and at most 1")
	case !(c.RejectThreshold >= c.QueueThreshold && c.RejectThreshold <= 1):
		return c, koe.Invalid("reject_threshold", koe.ReasonFormat, 0, "reject_threshold must be between queue_threshold and 1")
	case c.MaxLinks < 0 || c.MaxLinks > MaxLinksLimit:
		return c, koe.Invalid("max_links", koe.ReasonFormat, MaxLinksLimit, "max_links must be between 0 and %d", MaxLinksLimit)
	case len(c.Scorers) > MaxScorers:
		return c, koe.Invalid("scorers", koe.ReasonTooLong, MaxScorers, "at most %d scorers", MaxScorers)
	}
	rules := make([]moderation.WordRule, len(c.Words))
	for i, w := range c.Words {
		rules[i] = moderation.WordRule{Word: w.Word, Action: moderation.Action(w.Action)}
	}
	if err := moderation.CleanWordRules(rules, c.Allow); err != nil {
		return c, err
	}
	names := map[string]bool{"koe": true}
	for i, sc := range c.Scorers {
		field := "scorers[" + strconv.Itoa(i) + "]"
		name, err := koe.CleanLine(field+".name", sc.Name, 1, MaxScorerNameLen)
		if err != nil {
			return c, err
		}
		if names[name] {
			return c, koe.Invalid(field+".name", koe.ReasonFormat, 0, "%s.name must be unique (and not \"koe\", koe's own)", field)
		}
		names[name] = true
		u, err := url.Parse(sc.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(sc.URL) > 500 {
			return c, koe.Invalid(field+".url", koe.ReasonFormat, 0, "%s.url must be an http or https URL", field)
		}
		c.Scorers[i].Name = name
	}
	if c.Words == nil {
		c.Words = []koe.ModeratedWord{}
	}
	if c.Allow == nil {
		c.Allow = []string{}
	}
	if c.Scorers == nil {
		c.Scorers = []koe.ScorerConfig{}
	}
	return c, nil
}

// staffName is how staff sign their claims and decisions.
func (a *Actions) staffName(ctx context.Context, p koe.Principal) string {
	switch {
	case p.System:
		return "koe"
	case p.AccountID == 0:
		return "owner token"
	}
	acct, err := a.store.Account(ctx, p.AccountID)
	if err != nil {
		return "staff #" + itoa(p.AccountID)
	}
	if acct.DisplayName != "" {
		return acct.DisplayName
	}
	return acct.Login
}
