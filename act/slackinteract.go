package act

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/slack"
)

// SlackLinkTTL is how long the link koe answers an unlinked Slack user
// with stays valid.
const SlackLinkTTL = 30 * time.Minute

// slackLinkPrefix marks a link token (and is what its MAC covers first).
const slackLinkPrefix = "koesl1."

// maxSlackLinkToken bounds a link token: a Slack team and user id are
// short.
const maxSlackLinkToken = 512

type slackLinkClaims struct {
	Team    string `json:"t"`
	User    string `json:"u"`
	Expires int64  `json:"e"`
}

func (a *Actions) slackLinkKey(ctx context.Context) ([]byte, error) {
	return a.store.Secret(ctx, "slack-link-key", auth.NewKey)
}

// sealSlackLink makes the token of a link for a Slack user.
func (a *Actions) sealSlackLink(ctx context.Context, team, user string) (string, error) {
	key, err := a.slackLinkKey(ctx)
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(slackLinkClaims{Team: team, User: user, Expires: a.now().Add(SlackLinkTTL).Unix()})
	payload := slackLinkPrefix + base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(linkMAC(key, payload)), nil
}

func linkMAC(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// openSlackLink returns the Slack user a link token names; ok is false
// for anything forged, expired or malformed.
func (a *Actions) openSlackLink(ctx context.Context, token string) (team, user string, ok bool, err error) {
	if len(token) > maxSlackLinkToken || !strings.HasPrefix(token, slackLinkPrefix) {
		return "", "", false, nil
	}
	i := strings.LastIndexByte(token, '.')
	payload, sig := token[:i], token[i+1:]
	mac, derr := base64.RawURLEncoding.Strict().DecodeString(sig)
	if derr != nil {
		return "", "", false, nil
	}
	key, err := a.slackLinkKey(ctx)
	if err != nil {
		return "", "", false, err
	}
	if !hmac.Equal(mac, linkMAC(key, payload)) {
		return "", "", false, nil
	}
	b, derr := base64.RawURLEncoding.Strict().DecodeString(strings.TrimPrefix(payload, slackLinkPrefix))
	var c slackLinkClaims
	if derr != nil || json.Unmarshal(b, &c) != nil || c.Team == "" || c.User == "" || a.now().Unix() > c.Expires {
		return "", "", false, nil
	}
	return c.Team, c.User, true, nil
}

// LinkSlack links the Slack user a link names to the caller's account:
// their button presses in Slack act as that account from now on.
func (a *Actions) LinkSlack(ctx context.Context, token string) (*koe.SlackLink, error) {
	p, err := ownAccount(ctx)
	if err != nil {
		return nil, err
	}
	team, user, ok, err := a.openSlackLink(ctx, token)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, koe.Invalid("token", koe.ReasonFormat, 0, "this link is not valid, or expired: press the button in Slack again for a new one")
	}
	l := &koe.SlackLink{TeamID: team, UserID: user, AccountID: p.AccountID}
	if err := a.store.LinkSlackUser(a.staffOrigin(ctx, p), l); err != nil {
		return nil, err
	}
	return l, nil
}

// SlackInteraction acts on a button press of a Slack message: the request
// is verified with the event's signing secret (or the installation's),
// within five minutes and once; the action is taken as the koe account
// linked to the Slack user, through the same actions as koe's console.
// An unlinked user is answered with a link that links them, on koe's
// public URL, or else on origin: where Slack reached koe. The message
// itself is updated by the deliverer, as for any decision.
func (a *Actions) SlackInteraction(ctx context.Context, h http.Header, body []byte, origin string) error {
	in, err := slack.DecodeInteraction(body)
	if err != nil {
		return koe.Errorf(koe.EINVALID, "%s", err.Error())
	}
	eventID, reviewID, ok := parseCardValue(in.Value)
	if !ok {
		return koe.Errorf(koe.EINVALID, "the button is not one of koe's")
	}
	secret := a.slack.SigningSecret
	if conn, err := a.store.SlackConnection(ctx, eventID); err == nil && conn.SigningSecret != "" {
		secret = conn.SigningSecret
	} else if err != nil && koe.ErrorCode(err) != koe.ENOTFOUND {
		return err
	}
	now := a.now()
	if err := slack.Verify(secret, h, body, now); err != nil {
		return koe.Errorf(koe.EUNAUTHORIZED, "%s", err.Error())
	}
	if a.slackReplays.Seen(h.Get(slack.SignatureHeader), now) {
		return koe.Errorf(koe.EUNAUTHORIZED, "this request was sent before (a replay)")
	}
	answer := a.pressed(ctx, in, eventID, reviewID, strings.TrimSuffix(cmp.Or(a.publicURL, origin), "/"))
	if answer != "" && in.ResponseURL != "" {
		// Slack wants its answer in 3 seconds; the presser's message may
		// follow.
		go func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := a.deliver.slackHooks.Respond(rctx, in.ResponseURL, answer, true, false); err != nil {
				a.log.Warn("cannot answer a Slack button press", "error", err)
			}
		}()
	}
	return nil
}

// parseCardValue reads a review card's button value: "event:review".
func parseCardValue(v string) (eventID, reviewID int64, ok bool) {
	e, r, found := strings.Cut(v, ":")
	if !found {
		return 0, 0, false
	}
	var err1, err2 error
	eventID, err1 = ParseID("event", e)
	reviewID, err2 = ParseID("review", r)
	return eventID, reviewID, err1 == nil && err2 == nil
}

// pressed takes the action of a verified button press and returns what
// to tell the presser ("" for nothing: the message's update says it).
func (a *Actions) pressed(ctx context.Context, in *slack.Interaction, eventID, reviewID int64, base string) string {
	link, err := a.store.SlackLink(ctx, in.TeamID, in.UserID)
	if koe.ErrorCode(err) == koe.ENOTFOUND {
		token, err := a.sealSlackLink(ctx, in.TeamID, in.UserID)
		if err != nil {
			a.log.Warn("cannot make a Slack link", "error", err)
			return "koe could not act: try again in a moment."
		}
		return "Your Slack account is not linked to a koe account yet. Open this link in koe, signed in, to link it, then press the button again: " +
			base + slackLinkPage + token
	}
	if err != nil {
		return "koe could not act: try again in a moment."
	}
	acct, err := a.store.Account(ctx, link.AccountID)
	if err != nil {
		return "koe could not act: try again in a moment."
	}
	p, ok, err := a.staff(ctx, acct, nil)
	if err != nil || !ok {
		return "Your koe account cannot act (it is disabled)."
	}
	p.Via = koe.ViaSlack
	actx := koe.NewContext(ctx, p)
	switch in.ActionID {
	case slack.ActionApprove:
		_, err = a.DecideReview(actx, eventID, reviewID, ReviewDecision{Decision: "approve"})
	case slack.ActionReject:
		_, err = a.DecideReview(actx, eventID, reviewID, ReviewDecision{Decision: "reject"})
	case slack.ActionBan:
		id := reviewID
		if _, err = a.Ban(actx, eventID, NewBan{ReviewID: &id, Reason: "from Slack"}); err == nil {
			_, err = a.DecideReview(actx, eventID, reviewID, ReviewDecision{Decision: "reject"})
		}
	default:
		return "koe does not know this button."
	}
	switch koe.ErrorCode(err) {
	case "":
		return ""
	case koe.ECONFLICT:
		return "Someone decided this item first."
	case koe.EFORBIDDEN:
		return "Your koe account is not a moderator of this event."
	case koe.ENOTFOUND:
		return "This item is no longer in koe."
	}
	return "koe could not act: " + err.Error()
}
