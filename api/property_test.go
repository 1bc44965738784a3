package api_test

// Property tests in the spirit of Schemathesis: requests generated from
// the OpenAPI document, and requests that break it one way at a time, are
// sent to a real server and the answers held to the document. They catch
// drift between the two of the kinds an outside fuzzer found (a null
// PATCH body served, a no-op PATCH making a version, 404 for a method a
// path does not serve, text rules and join-code trimming the document did
// not state, a cookie scheme naming no cookie the server sets), and fail
// if any of those fixes regress.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/ingest/mastodon/mastodontest"
)

// propSeed fixes the generator: a failure replays exactly.
const propSeed = 20260501

// propRand returns the generator of one test.
func propRand() *rand.Rand { return rand.New(rand.NewPCG(propSeed, 1)) }

// propOp is one operation of the document.
type propOp struct {
	method, path string
	op           *openapi3.Operation
	params       []*openapi3.Parameter // the path item's and the operation's
}

func (o propOp) String() string { return o.method + " " + o.path }

// docOps lists the document's operations in a fixed order.
func docOps(t *testing.T) []propOp {
	t.Helper()
	doc, _ := openAPI(t)
	var ops []propOp
	for path, item := range doc.Paths.Map() {
		if path == "/api/v1/slack/interactions" || strings.Contains(path, "/logo") {
			continue // a form signed by Slack, an image: slack_test.go and logo_test.go send real ones
		}
		for method, op := range item.Operations() {
			o := propOp{method: method, path: path, op: op}
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				o.params = append(o.params, p.Value)
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	return ops
}

// bodySchema is the operation's JSON request body schema, nil for none.
func (o propOp) bodySchema() *openapi3.Schema {
	if o.op.RequestBody == nil {
		return nil
	}
	mt := o.op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// websocket and eventStream tell the real-time operations, whose valid
// requests are not answered with one finished response.
func (o propOp) websocket() bool { return o.op.Responses.Status(http.StatusSwitchingProtocols) != nil }

func (o propOp) eventStream() bool {
	r := o.op.Responses.Status(http.StatusOK)
	return r != nil && r.Value.Content.Get("text/event-stream") != nil
}

// propFixture is a fresh event with a talk, a participant who asked a
// question there, an admin signed in (with a second session, an API token
// and an invitation to the event), and a moderator of the event.
type propFixture struct {
	event        koe.Event
	talk         koe.Talk
	question     koe.Question
	participant  *client
	admin        *client
	adminAccount *koe.Account
	otherSession int64
	tokenID      int64
	passkeyID    int64
	moderator    *koe.Account
	invitation   *act.IssuedInvitation
	reviewID     int64
	banID        int64
	sourceID     int64
	postID       int64
	webhookID    int64
	deliveryID   int64
	logo         string
	linkID       int64
	viewerKey    string // the link's secret
	pollID       int64  // an open choice poll of the talk
}

func newPropFixture(h *harness) propFixture {
	h.t.Helper()
	e, tk := h.setup()
	p, _ := h.join(e.JoinCode, "Val")
	q := p.ask(e.ID, tk.ID, "What is the plan for the Q&A?")
	f := propFixture{event: e, talk: tk, question: q, participant: p, adminAccount: h.account(true), moderator: h.member(e.ID, koe.RoleModerator)}
	f.admin, _ = h.signedIn(f.adminAccount)
	_, f.otherSession = h.signedIn(f.adminAccount)
	var tok act.IssuedAPIToken
	f.admin.post("/api/v1/account/tokens", map[string]any{"name": "fixture", "roles": []string{"owner"}}).decode(h.t, &tok)
	f.tokenID = tok.ID
	pk := &koe.Passkey{AccountID: f.adminAccount.ID, Name: "fixture", CredentialID: []byte(fmt.Sprintf("fixture credential %d", f.adminAccount.ID)), RPID: "localhost", Credential: []byte(`{}`)}
	if err := h.store.CreatePasskey(context.Background(), pk); err != nil {
		h.t.Fatal(err)
	}
	f.passkeyID = pk.ID
	f.invitation = &act.IssuedInvitation{}
	f.admin.post(eventPath(e.ID)+"/invitations", map[string]any{"role": "presenter"}).decode(h.t, f.invitation)
	// A pending question with its review, and a banned participant.
	ctx := context.Background()
	held := &koe.Participant{EventID: e.ID, DisplayName: "Held"}
	if err := h.store.CreateParticipant(ctx, held); err != nil {
		h.t.Fatal(err)
	}
	rev := &koe.Review{EventID: e.ID, TalkID: tk.ID, ParticipantID: held.ID, Body: "Held?", State: koe.ReviewPending, Reasons: []byte(`[]`)}
	if err := h.store.CreateQuestion(ctx, &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: held.ID, Body: "Held?", Status: koe.StatusPending}, rev); err != nil {
		h.t.Fatal(err)
	}
	ban := &koe.Ban{EventID: e.ID, ParticipantID: held.ID, By: "fixture"}
	if err := h.store.CreateBan(ctx, ban, false); err != nil {
		h.t.Fatal(err)
	}
	f.reviewID, f.banID = rev.ID, ban.ID
	f.sourceID, f.postID = fixtureWebhook(h, e.ID), fixturePost(h, e.ID)
	f.webhookID, f.deliveryID = fixtureHook(h, e.ID)
	logo, err := h.store.SetEventLogo(ctx, e.ID, checkedLogo(h.t, testPNG(h.t, 8, 8)))
	if err != nil {
		h.t.Fatal(err)
	}
	f.logo = logo.Settings.Logo
	link := &koe.ScreenLink{EventID: e.ID, Kind: koe.ScreenOverlay, Label: "Fixture overlay", Secret: auth.NewSecret(auth.ScreenPrefix)}
	if err := h.store.CreateScreenLink(ctx, link); err != nil {
		h.t.Fatal(err)
	}
	f.linkID, f.viewerKey = link.ID, link.Secret
	opts, _ := koe.CheckPollOptions([]string{"Yes", "No"})
	poll := &koe.Poll{EventID: e.ID, TalkID: tk.ID, Kind: koe.PollChoice, Question: "Fixture poll", Options: opts, Results: koe.ResultsLive}
	if err := h.store.CreatePoll(ctx, poll); err != nil {
		h.t.Fatal(err)
	}
	open := koe.PollOpen
	if _, err := h.store.UpdatePoll(ctx, e.ID, tk.ID, poll.ID, koe.PollUpdate{State: &open}); err != nil {
		h.t.Fatal(err)
	}
	f.pollID = poll.ID
	return f
}

// fixtureHook makes a disabled webhook of the event (nothing is sent)
// with one delivery, and a disabled Slack connection.
func fixtureHook(h *harness, eventID int64) (webhookID, deliveryID int64) {
	h.t.Helper()
	ctx := context.Background()
	w := &koe.Webhook{EventID: eventID, URL: "https://hooks.example/fixture", Description: "Fixture", Events: []koe.WebhookEvent{koe.HookQuestionCreated}, Secret: "whsec_fixture"}
	if err := h.store.CreateWebhook(ctx, w); err != nil {
		h.t.Fatal(err)
	}
	d := &koe.Delivery{EventID: eventID, Target: koe.TargetWebhook, TargetID: w.ID, Key: "fixture", Type: "ping", Payload: []byte(`{"id":"fixture"}`), NextAt: time.Now()}
	if err := h.store.EnqueueDeliveries(ctx, []*koe.Delivery{d}); err != nil {
		h.t.Fatal(err)
	}
	// And a Slack connection (disabled: nothing is sent).
	if _, err := h.store.SetSlackConnection(ctx, eventID, koe.SlackUpdate{Channel: ptrTo("C0KOE")}); err != nil {
		h.t.Fatal(err)
	}
	return w.ID, d.ID
}

// fixtureWebhook makes a webhook source of the event.
func fixtureWebhook(h *harness, eventID int64) int64 {
	h.t.Helper()
	src := &koe.Source{EventID: eventID, Kind: koe.SourceWebhook, Name: "Fixture relay", Enabled: true,
		Config: koe.SourceConfig{Hashtags: []string{}, Keywords: []string{}, Secret: "fixture-secret", SecretSet: true}}
	if err := h.store.CreateSource(context.Background(), src); err != nil {
		h.t.Fatal(err)
	}
	return src.ID
}

// fixturePost makes a Mastodon source of the event, on a test server
// that speaks Mastodon's API and takes the source's token (so that
// operators can favourite and boost), and returns one approved post of it.
func fixturePost(h *harness, eventID int64) int64 {
	h.t.Helper()
	ctx := context.Background()
	m := mastodontest.New()
	h.t.Cleanup(m.Close)
	m.SetToken("fixture-token")
	st := m.Publish(mastodontest.Status{Content: "<p>On the wall #koe</p>", Tags: []mastodontest.Tag{{Name: "koe"}}})
	src := &koe.Source{EventID: eventID, Kind: koe.SourceMastodon, Name: "Fixture instance", Enabled: true,
		Config: koe.SourceConfig{Instance: m.URL(), Hashtags: []string{"koe"}, Keywords: []string{}, Secret: "fixture-token", SecretSet: true}}
	if err := h.store.CreateSource(ctx, src); err != nil {
		h.t.Fatal(err)
	}
	p := &koe.Post{Platform: koe.SourceMastodon, ExternalID: st.URI, Ref: st.ID, AuthorHandle: "@fixture", Text: "On the wall #koe", Status: koe.StatusApproved}
	posts, err := h.store.IngestPosts(ctx, src.ID, []koe.IngestedPost{{Post: p}}, st.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return posts[0].ID
}

// ids are the fixture's path parameters (those it has: a fixture made
// for the event's records alone has no staff).
func (f propFixture) ids() map[string]string {
	ids := map[string]string{
		"eventID":    fmt.Sprint(f.event.ID),
		"talkID":     fmt.Sprint(f.talk.ID),
		"questionID": fmt.Sprint(f.question.ID),
		"tokenID":    fmt.Sprint(f.tokenID),
		"passkeyID":  fmt.Sprint(f.passkeyID),
		"sessionID":  fmt.Sprint(f.otherSession),
		"reviewID":   fmt.Sprint(f.reviewID),
		"banID":      fmt.Sprint(f.banID),
		"sourceID":   fmt.Sprint(f.sourceID),
		"postID":     fmt.Sprint(f.postID),
		"webhookID":  fmt.Sprint(f.webhookID),
		"deliveryID": fmt.Sprint(f.deliveryID),
		"version":    f.logo,
		"linkID":     fmt.Sprint(f.linkID),
		"pollID":     fmt.Sprint(f.pollID),
	}
	if f.moderator != nil {
		ids["accountID"] = fmt.Sprint(f.moderator.ID)
	}
	if f.invitation != nil {
		ids["invitationID"] = fmt.Sprint(f.invitation.ID)
	}
	return ids
}

// fillPath writes the path template with the fixture's ids, except those
// given in override.
func fillPath(tmpl string, f propFixture, override map[string]string) string {
	ids := f.ids()
	maps.Copy(ids, override)
	return pathParam.ReplaceAllStringFunc(tmpl, func(m string) string {
		v, ok := ids[strings.Trim(m, "{}")]
		if !ok {
			panic("no value for path parameter " + m)
		}
		return v
	})
}

// caller picks who sends an operation's requests: nobody where the
// document allows no credentials, staff (the fixture's admin, signed in)
// where staff may, else the participant. The requests are then refused
// for their content only.
func caller(h *harness, f propFixture, o propOp) *client {
	reqs := *o.op.Security
	if len(reqs) == 0 {
		return h.client("")
	}
	if o.path == "/api/v1/viewer" { // a screen link's page
		return h.client(f.viewerKey)
	}
	staff, participant := false, false
	for _, r := range reqs {
		if len(r) == 0 {
			return h.client("")
		}
		_, sc := r["session"]
		staff = staff || sc
		_, pc := r["cookie"]
		participant = participant || pc
	}
	if !staff && participant {
		return f.participant
	}
	return f.admin
}

// Generating values that satisfy the document.

// propTexts is real-looking text, English and Japanese, none of it
// anything the text rules refuse.
var propTexts = []string{
	"KoeConf 2026", "How do you test WebSockets at scale?", "分散システムの設計について",
	"Ada Lovelace", "山田 花子", "Track A", "ホールB", "Why Go? 🎤", "Café crème",
	"質問：レイテンシはどのくらいですか", "Keynote: the road to 1.0", "東京 会場",
}

// propGen generates request values from schemas, for one operation.
type propGen struct {
	t   *testing.T
	rng *rand.Rand
	f   propFixture
	h   *harness
	op  propOp
}

// omit marks a parameter or property generated as absent.
type omit struct{}

// known gives the values a schema cannot say enough about: patterns the
// generator cannot write, ids of the fixture, names the server looks up.
func (g *propGen) known(name string) (any, bool) {
	day := func(month int) string {
		t := time.Date(2026, time.Month(month), 1+g.rng.IntN(28), g.rng.IntN(24), 0, 0, 0, time.UTC)
		zones := []*time.Location{time.UTC, time.FixedZone("JST", 9*3600), time.FixedZone("", -5*3600)}
		return t.In(zones[g.rng.IntN(len(zones))]).Format(time.RFC3339)
	}
	maybe := func(v any) any {
		if g.rng.IntN(3) == 0 {
			return nil
		}
		return v
	}
	switch name {
	case "code": // the fixture event's code, as a person might type it
		code := g.f.event.JoinCode
		if g.rng.IntN(2) == 0 {
			code = strings.ToLower(code)
		}
		return []string{"", " ", "\u3000", "\t"}[g.rng.IntN(4)] + code + []string{"", " ", "\n"}[g.rng.IntN(3)], true
	case "token": // a secret the operation takes
		switch g.op.path {
		case "/api/v1/slack/link": // only Slack's button presses make them
			return "koesl1.e30.not-signed", true
		case "/api/v1/setup":
			return g.h.setupToken(), true
		case "/api/v1/invitations/preview", "/api/v1/invitations/accept", "/api/v1/invitations/signup":
			return g.f.invitation.Token, true
		}
		return ownerToken, true
	case "emoji": // one of the event's reactions
		return koe.DefaultReactions[g.rng.IntN(len(koe.DefaultReactions))], true
	case "login": // a free one, or the admin's to sign in
		if g.op.path == "/api/v1/session" {
			return g.f.adminAccount.Login, true
		}
		return fmt.Sprintf("prop-%x", g.rng.Uint64()), true
	case "password", "current", "new":
		return staffPassword, true
	case "email":
		return fmt.Sprintf("prop-%x@example.com", g.rng.Uint64()), true
	case "events", "talks": // of the fixture, or none; what a webhook takes
		if strings.Contains(g.op.path, "/webhooks") {
			evs := []koe.WebhookEvent{}
			for len(evs) == 0 {
				for _, ev := range koe.WebhookEvents {
					if g.rng.IntN(3) == 0 {
						evs = append(evs, ev)
					}
				}
			}
			return evs, true
		}
		if g.rng.IntN(2) == 0 {
			return []int64{}, true
		}
		if name == "events" {
			return []int64{g.f.event.ID}, true
		}
		return []int64{g.f.talk.ID}, true
	case "expires_at":
		return maybe(time.Now().Add(time.Duration(1+g.rng.IntN(100)) * time.Hour).UTC().Format(time.RFC3339)), true
	case "account":
		return g.f.adminAccount.ID, true
	case "before": // only the server makes audit cursors
		return omit{}, true
	case "slug":
		return fmt.Sprintf("prop-%x", g.rng.Uint32()), true
	case "time_zone":
		return []string{"UTC", "Asia/Tokyo", "Europe/Berlin", "America/New_York"}[g.rng.IntN(4)], true
	case "starts_at": // always before any ends_at: the span is then valid
		return maybe(day(1 + g.rng.IntN(6))), true
	case "ends_at":
		return maybe(day(7 + g.rng.IntN(6))), true
	case "question_id":
		if strings.HasSuffix(g.op.path, "/bans") {
			return g.f.question.ID, true
		}
		return maybe(g.f.question.ID), true
	case "body":
		if strings.HasSuffix(g.op.path, "/decision") { // only to approve a text fixed
			return omit{}, true
		}
	case "talk_id":
		return g.f.talk.ID, true
	case "type": // an audit filter: a prefix of the change types
		if strings.HasSuffix(g.op.path, "/audit") {
			return []string{"question.", "talk.updated", "review."}[g.rng.IntN(3)], true
		}
	case "name": // the OpenID join's display name: one line, at most 40
		if g.op.path == "/api/v1/join/oidc" {
			return []string{"Ada", "山田 花子", ""}[g.rng.IntN(3)], true
		}
	case "queue_threshold": // at most the reject threshold
		return 0.5 + float64(g.rng.IntN(40))/100, true
	case "reject_threshold":
		return 0.9 + float64(g.rng.IntN(11))/100, true
	case "ids": // reviews of the fixture
		return []int64{g.f.reviewID}, true
	case "review_id":
		return g.f.reviewID, true
	case "scorers": // owners may set them; a URL nothing answers is fine
		return []map[string]string{{"name": "prop", "url": "http://127.0.0.1:9/"}}, true
	case "topic":
		return []string{"event", "feed", "talk:" + fmt.Sprint(g.f.talk.ID)}[g.rng.IntN(3)], true
	case "options": // a choice poll's labels; a vote in the fixture's poll
		if strings.HasSuffix(g.op.path, "/vote") {
			return []string{"1", "2"}[:1+g.rng.IntN(1)], true
		}
		return []string{"Yes", "No", "Maybe"}[:2+g.rng.IntN(2)], true
	case "kind": // a source koe can add without reaching a platform; a screen link's; a poll's
		if strings.HasSuffix(g.op.path, "/polls") {
			return nil, false
		}
		if strings.HasSuffix(g.op.path, "/screen-links") {
			return []string{"screen", "overlay"}[g.rng.IntN(2)], true
		}
		return "webhook", true
	case "instance":
		return []any{omit{}, "https://mastodon.example"}[g.rng.IntN(2)], true
	case "jetstream":
		return []any{omit{}, "wss://jetstream.example/subscribe"}[g.rng.IntN(2)], true
	case "hashtags":
		return []string{"koe"}, true
	case "handle", "secret": // a webhook's secret is koe's; a handle needs a Bluesky password
		return omit{}, true
	case "action": // what the fixture's Mastodon source can do
		if strings.HasSuffix(g.op.path, "/engage") {
			return []string{"favourite", "boost"}[g.rng.IntN(2)], true
		}
	case "accent":
		return []string{"", "#0a7cff"}[g.rng.IntN(2)], true
	case "channel":
		return "C0KOE", true
	case "bot_token", "signing_secret":
		return fmt.Sprintf("prop-%x", g.rng.Uint32()), true
	case "webhook_url": // Slack's incoming webhook (nowhere: the name does not resolve)
		return "https://hooks.slack.example/services/T/B/x", true
	case "url": // a webhook's destination (delivered to nowhere: the name does not resolve)
		if strings.Contains(g.op.path, "/webhooks") {
			return fmt.Sprintf("https://hooks.example/prop-%x", g.rng.Uint32()), true
		}
	case "cursor", "Last-Event-ID": // only the server makes cursors
		return omit{}, true
	}
	return nil, false
}

// value generates a value of the schema for a field called name.
func (g *propGen) value(name string, s *openapi3.Schema) any {
	if v, ok := g.known(name); ok {
		return v
	}
	if s.Nullable && g.rng.IntN(4) == 0 {
		return nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[g.rng.IntN(len(s.Enum))]
	}
	switch {
	case s.Type.Is("object"):
		return g.object(s, false)
	case s.Type.Is("string"):
		if s.Format == "date-time" {
			return time.Date(2026, 5, 1+g.rng.IntN(28), 9, 0, 0, 0, time.UTC).Format(time.RFC3339)
		}
		return g.text(name, s)
	case s.Type.Is("integer"):
		lo, hi := 0, 1000
		if s.Min != nil {
			lo = int(*s.Min)
		}
		if s.Max != nil {
			hi = int(*s.Max)
		}
		return lo + g.rng.IntN(hi-lo+1)
	case s.Type.Is("number"):
		lo, hi := 0.0, 1000.0
		if s.Min != nil {
			lo = *s.Min
		}
		if s.Max != nil {
			hi = *s.Max
		}
		return lo + (hi-lo)*(0.1+0.8*g.rng.Float64())
	case s.Type.Is("boolean"):
		return g.rng.IntN(2) == 0
	case s.Type.Is("array"):
		items := []any{}
		for n := int(s.MinItems) + g.rng.IntN(3); len(items) < n; {
			items = append(items, g.value(name, s.Items.Value))
		}
		return items
	}
	g.t.Fatalf("field %s: cannot generate a value of schema type %v", name, s.Type)
	return nil
}

// object generates an object: the required properties, and each optional
// one half of the time (all of them when full). Of a oneOf, it generates
// one of the choices.
func (g *propGen) object(s *openapi3.Schema, full bool) map[string]any {
	s = g.choose(s)
	obj := map[string]any{}
	for _, name := range sortedKeys(s.Properties) {
		if full || slices.Contains(s.Required, name) || g.rng.IntN(2) == 0 {
			v := g.value(name, s.Properties[name].Value)
			if _, skip := v.(omit); !skip {
				obj[name] = v
			}
		}
	}
	return obj
}

// choose returns one of a oneOf's choices at random, s itself otherwise.
func (g *propGen) choose(s *openapi3.Schema) *openapi3.Schema {
	if len(s.OneOf) == 0 {
		return s
	}
	return s.OneOf[g.rng.IntN(len(s.OneOf))].Value
}

// text generates a string within the schema's length bounds from the pool.
func (g *propGen) text(name string, s *openapi3.Schema) string {
	lo, hi := max(int(s.MinLength), 1), 60
	if s.MaxLength != nil {
		hi = min(hi, int(*s.MaxLength))
	}
	n := lo + g.rng.IntN(hi-lo+1)
	var b []rune
	for len(b) < n {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, []rune(propTexts[g.rng.IntN(len(propTexts))])...)
	}
	b = b[:n]
	if b[n-1] == ' ' {
		b[n-1] = 'x' // a space at the end would be trimmed off the length
	}
	str := string(b)
	if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(str) {
		g.t.Fatalf("field %s: cannot generate a string for pattern %q: give it a known value", name, s.Pattern)
	}
	return str
}

// params generates an operation's query and header parameters.
func (g *propGen) params(o propOp) (url.Values, http.Header) {
	q, hdr := url.Values{}, http.Header{}
	for _, p := range o.params {
		if p.In == "path" || !p.Required && g.rng.IntN(2) == 0 {
			continue
		}
		v := g.value(p.Name, p.Schema.Value)
		if _, skip := v.(omit); skip {
			continue
		}
		switch p.In {
		case "query":
			q.Set(p.Name, fmt.Sprint(v))
		case "header":
			hdr.Set(p.Name, fmt.Sprint(v))
		}
	}
	return q, hdr
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Requests that break the document one way at a time.

// propCase is one request of an operation.
type propCase struct {
	name   string
	path   string // with the query
	header http.Header
	body   any // nil: none; []byte: sent as is
	// contentType replaces application/json; "-" sends no Content-Type.
	contentType string
	// docValid says the document accepts the request although the server
	// must refuse it (ids in other than canonical form, which the
	// document states in prose only).
	docValid bool
}

// badIDs are path ids the server refuses; the document's integer schema
// reads "01" and "+1" as 1 (the canonical form is stated in prose only).
var badIDs = []struct {
	id       string
	docValid bool
}{
	{"01", true}, {"+1", true}, {"0", false}, {"-1", false}, {"1.0", false}, {"99999999999999999999", false},
}

// patternBreakers are tried in turn for a string that a pattern refuses.
var patternBreakers = []string{"Not Valid!", "bad\x00text", "\u202egnp.exe"}

// breakPattern returns a string within the schema's lengths that its
// pattern refuses.
func breakPattern(t *testing.T, s *openapi3.Schema) string {
	re := regexp.MustCompile(s.Pattern)
	for _, b := range patternBreakers {
		for utf8.RuneCountInString(b) < int(s.MinLength) {
			b += b
		}
		if s.MaxLength != nil && utf8.RuneCountInString(b) > int(*s.MaxLength) {
			continue
		}
		if !re.MatchString(b) {
			return b
		}
	}
	t.Fatalf("no string breaks pattern %q", s.Pattern)
	return ""
}

// wrongType is a value of another JSON type than the schema's.
func wrongType(s *openapi3.Schema) any {
	switch {
	case s.Type.Is("string"):
		return 12345
	case s.Type.Is("integer"), s.Type.Is("number"):
		return "12"
	case s.Type.Is("boolean"):
		return "true"
	case s.Type.Is("object"):
		return []any{"x"}
	}
	return map[string]any{"x": 1}
}

// objectViolations breaks a valid object (base, all properties present)
// one way at a time, nested objects included.
func objectViolations(t *testing.T, s *openapi3.Schema, base map[string]any, at string) []propCase {
	var cases []propCase
	with := func(name string, v any) map[string]any {
		obj := cloneObject(base)
		obj[name] = v
		return obj
	}
	if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has { // not an open object (a WebAuthn credential)
		cases = append(cases, propCase{name: "unknown field " + at + "surprise", body: with("surprise", 1)})
	}
	for _, name := range s.Required {
		obj := cloneObject(base)
		delete(obj, name)
		cases = append(cases, propCase{name: "missing required " + at + name, body: obj})
	}
	for _, name := range sortedKeys(s.Properties) {
		ps := s.Properties[name].Value
		field := at + name
		cases = append(cases, propCase{name: "wrong type " + field, body: with(name, wrongType(ps))})
		switch {
		case ps.Type.Is("string"):
			if ps.MaxLength != nil {
				cases = append(cases, propCase{name: "too long " + field, body: with(name, strings.Repeat("x", int(*ps.MaxLength)+1))})
			}
			if ps.MinLength > 0 {
				cases = append(cases, propCase{name: "too short " + field, body: with(name, strings.Repeat("x", int(ps.MinLength)-1))})
			}
			if ps.Pattern != "" {
				cases = append(cases, propCase{name: "pattern " + field, body: with(name, breakPattern(t, ps))})
			}
			if ps.Format == "date-time" {
				cases = append(cases, propCase{name: "not a date-time " + field, body: with(name, "tomorrow")})
			}
		case ps.Type.Is("integer"):
			if ps.Min != nil {
				cases = append(cases, propCase{name: "below minimum " + field, body: with(name, *ps.Min-1)})
			}
		case ps.Type.Is("object"):
			inner, _ := base[name].(map[string]any)
			for _, c := range objectViolations(t, ps, inner, field+".") {
				c.body = with(name, c.body)
				cases = append(cases, c)
			}
		}
	}
	return cases
}

func cloneObject(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if inner, ok := v.(map[string]any); ok {
			v = cloneObject(inner)
		}
		out[k] = v
	}
	return out
}

// violations lists the requests of o that break the document.
func violations(t *testing.T, g *propGen, o propOp) []propCase {
	q, hdr := g.params(o)
	withQuery := func(path string, q url.Values) string {
		if len(q) == 0 {
			return path
		}
		return path + "?" + q.Encode()
	}
	schema := o.bodySchema()
	var valid any
	if schema != nil {
		schema = g.choose(schema)
		valid = g.object(schema, true)
	}
	var cases []propCase
	// Path ids.
	for _, p := range o.params {
		if p.In != "path" {
			continue
		}
		for _, bad := range badIDs {
			path := fillPath(o.path, g.f, map[string]string{p.Name: bad.id})
			cases = append(cases, propCase{name: p.Name + " " + bad.id, path: withQuery(path, q), header: hdr, body: valid, docValid: bad.docValid})
		}
	}
	path := fillPath(o.path, g.f, nil)
	// Query and header parameters.
	for _, p := range o.params {
		if p.In == "path" {
			continue
		}
		s := p.Schema.Value
		var bad []string
		switch {
		case len(s.Enum) > 0:
			bad = append(bad, "bogus")
		case s.Type.Is("integer"):
			bad = append(bad, "abc", "1.5")
			if s.Min != nil {
				bad = append(bad, fmt.Sprint(*s.Min-1))
			}
			if s.Max != nil {
				bad = append(bad, fmt.Sprint(*s.Max+1))
			}
		case s.Type.Is("string") && s.Pattern != "":
			bad = append(bad, breakPattern(t, s))
		}
		for _, v := range bad {
			qq, hh := cloneValues(q), hdr.Clone()
			if p.In == "query" {
				qq.Set(p.Name, v)
			} else {
				hh.Set(p.Name, v)
			}
			cases = append(cases, propCase{name: p.In + " " + p.Name + "=" + v, path: withQuery(path, qq), header: hh, body: valid})
		}
		if p.Required {
			qq, hh := cloneValues(q), hdr.Clone()
			qq.Del(p.Name)
			hh.Del(p.Name)
			cases = append(cases, propCase{name: "missing " + p.In + " " + p.Name, path: withQuery(path, qq), header: hh, body: valid})
		}
	}
	// The body.
	if schema != nil {
		for _, c := range objectViolations(t, schema, valid.(map[string]any), "") {
			c.path, c.header = withQuery(path, q), hdr
			cases = append(cases, c)
		}
		raw, _ := json.Marshal(valid)
		for _, c := range []propCase{
			{name: "null body", body: []byte("null")},
			{name: "array body", body: append(append([]byte("["), raw...), ']')},
			{name: "empty body", body: []byte("")},
			{name: `body "x"`, body: []byte(`"x"`)},
			{name: "no Content-Type", body: raw, contentType: "-"},
			{name: "Content-Type text/plain", body: raw, contentType: "text/plain"},
		} {
			c.path, c.header = withQuery(path, q), hdr
			cases = append(cases, c)
		}
	}
	return cases
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// send sends a case as c, held to the document as check says (nil: the
// document must accept it).
func send(t *testing.T, c *client, method string, pc propCase, check callOpt) *response {
	t.Helper()
	if pc.contentType == "-" {
		return sendWithoutContentType(t, c, method, pc)
	}
	var opts []callOpt
	if check != nil {
		opts = append(opts, check)
	}
	for k, vs := range pc.header {
		opts = append(opts, header(k, vs[0]))
	}
	if pc.contentType != "" {
		opts = append(opts, header("Content-Type", pc.contentType))
	}
	return c.do(method, pc.path, pc.body, opts...)
}

// sendWithoutContentType sends a body with no Content-Type header at all
// (the harness always sets one) and holds the request, which the document
// must refuse, and the response to the document as c.do does.
func sendWithoutContentType(t *testing.T, c *client, method string, pc propCase) *response {
	t.Helper()
	desc := method + " " + pc.path + " (no Content-Type)"
	raw, _ := pc.body.([]byte)
	newReq := func() *http.Request {
		req, err := http.NewRequest(method, c.h.srv.URL+pc.path, bytes.NewReader(raw))
		if err != nil {
			panic(err) // the paths are the test's own
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		for k, vs := range pc.header {
			req.Header[k] = vs
		}
		return req
	}
	_, router := openAPI(t)
	vreq := newReq()
	route, params, err := router.FindRoute(vreq)
	if err != nil {
		t.Errorf("%s: not in the OpenAPI document: %v", desc, err)
		return &response{desc: desc}
	}
	input := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: requestOptions}
	if openapi3filter.ValidateRequest(context.Background(), input) == nil {
		t.Errorf("%s: the OpenAPI document accepts a body without Content-Type", desc)
	}
	resp, err := c.hc.Do(newReq())
	if err != nil {
		t.Errorf("%s: %v", desc, err)
		return &response{desc: desc}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := &response{Status: resp.StatusCode, Header: resp.Header, Body: body, desc: desc}
	validateResponse(t, input, r)
	return r
}

// propRecords are a fixture's records: a request that changes one bumps
// its version.
type propRecords struct {
	Event    *koe.Event
	Talk     *koe.Talk
	Question *koe.Question
}

// propCounts are how many records there are: a request that creates one
// changes them.
type propCounts struct{ Events, Talks, Questions, Replies int }

func readRecords(t *testing.T, h *harness, f propFixture) string {
	t.Helper()
	ctx := context.Background()
	var s propRecords
	var err1, err2, err3 error
	s.Event, err1 = h.store.Event(ctx, f.event.ID)
	s.Talk, err2 = h.store.Talk(ctx, f.event.ID, f.talk.ID)
	s.Question, err3 = h.store.Question(ctx, f.event.ID, f.talk.ID, f.question.ID, 0)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Errorf("reading the fixture: %v", err)
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func readCounts(t *testing.T, h *harness, f propFixture) string {
	t.Helper()
	ctx := context.Background()
	events, err1 := h.store.Events(ctx)
	talks, err2 := h.store.Talks(ctx, f.event.ID)
	replies, err3 := h.store.Replies(ctx, f.event.ID, f.talk.ID, f.question.ID, true)
	c := propCounts{Events: len(events), Talks: len(talks), Replies: len(replies)}
	errs := []error{err1, err2, err3}
	for _, by := range []koe.QuestionSort{koe.SortRecent, koe.SortAnswered, koe.SortHidden} {
		page, err := h.store.Questions(ctx, koe.QuestionQuery{EventID: f.event.ID, TalkID: f.talk.ID, Sort: by, Limit: koe.MaxPageSize})
		if errs = append(errs, err); err == nil {
			c.Questions += len(page.Questions)
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Errorf("counting the fixture's records: %v", err)
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// errorCodes are the codes of the document's ErrorCode enum.
func errorCodes(t *testing.T) []string {
	var codes []string
	for _, c := range schemaOf(t, "ErrorCode").Enum {
		codes = append(codes, c.(string))
	}
	return codes
}

// isRefusal reports whether r is a 4xx JSON error with a documented code.
func isRefusal(t *testing.T, r *response) bool {
	var e struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	if r.Status < 400 || r.Status > 499 || json.Unmarshal(r.Body, &e) != nil || e.Error == nil || e.Error.Code == nil || e.Error.Message == nil {
		return false
	}
	return slices.Contains(errorCodes(t), *e.Error.Code)
}

// TestPropertyEveryOperation sends every operation of the document, on a
// fresh fixture each, first as requests that break the document one way
// at a time, then as requests generated to satisfy it. No answer is 5xx,
// every answer matches the document, a broken request is refused with a
// JSON error and changes nothing, and a valid one is served.
func TestPropertyEveryOperation(t *testing.T) {
	h := newHarness(t, withTestProvider(t)) // so that the OpenID sign-in routes are served
	rng := propRand()
	type plan struct {
		o      propOp
		f      propFixture
		g      *propGen
		c      *client
		broken []propCase
	}
	var plans []plan
	for _, o := range docOps(t) {
		f := newPropFixture(h)
		g := &propGen{t: t, rng: rng, f: f, h: h, op: o}
		plans = append(plans, plan{o: o, f: f, g: g, c: caller(h, f, o), broken: violations(t, g, o)})
	}

	// The broken requests change nothing anywhere, so the operations may
	// be tried side by side (the whole run must stay short under -race).
	inParallel(len(plans), 4, func(i int) {
		p := plans[i]
		records, counts := readRecords(t, h, p.f), readCounts(t, h, p.f)
		for _, pc := range p.broken {
			check := docRejects
			if pc.docValid {
				check = unchecked
			}
			r := send(t, p.c, p.o.method, pc, check)
			if !isRefusal(t, r) {
				t.Errorf("%s: %s: want a 4xx JSON error with a documented code, got %s", p.o, pc.name, r)
			}
			if p.o.method == "GET" {
				continue // safe, and read once below
			}
			if after := readRecords(t, h, p.f); after != records {
				t.Errorf("%s: %s: a refused request changed a record:\nbefore %s\nafter  %s", p.o, pc.name, records, after)
				records = after
			}
		}
		// Counting is slower: once per operation.
		if after := readRecords(t, h, p.f); after != records {
			t.Errorf("%s: refused requests changed a record:\nbefore %s\nafter  %s", p.o, records, after)
		}
		if after := readCounts(t, h, p.f); after != counts {
			t.Errorf("%s: refused requests created records:\nbefore %s\nafter  %s", p.o, counts, after)
		}
	})

	// Valid requests, in turn: they change things, so each but the first
	// gets a fixture of its own (a revoked token stays revoked).
	for _, p := range plans {
		o, f, g, c := p.o, p.f, p.g, p.c
		for i := range 3 {
			if i > 0 {
				f = newPropFixture(h)
				g = &propGen{t: t, rng: rng, f: f, h: h, op: o}
				c = caller(h, f, o)
			}
			q, hdr := g.params(o)
			path := fillPath(o.path, f, nil)
			if len(q) > 0 {
				path += "?" + q.Encode()
			}
			switch {
			case o.websocket():
				lc, _, status := dialWS(t, c, f.event.ID, nil)
				if lc == nil {
					t.Errorf("%s: WebSocket handshake refused: %d", o, status)
					continue
				}
				lc.close()
			case o.eventStream():
				lc, status := subscribeSSE(t, c, f.event.ID, q.Get("topic"), "", false)
				if lc == nil {
					t.Errorf("%s: event stream refused: %d", o, status)
					continue
				}
				if m := lc.next(); m.Type != "subscribed" {
					t.Errorf("%s: first message %s, want subscribed", o, m.raw)
				}
				lc.close()
			default:
				var body any
				if s := o.bodySchema(); s != nil {
					body = g.object(s, false)
				}
				r := send(t, c, o.method, propCase{path: path, header: hdr, body: body}, nil)
				// A valid request may be refused only for a reason
				// the fixture can cause: a slug someone has.
				// A redirect is the answer of the routes that document
				// one (the OpenID sign-in: to the provider, or back to
				// the sign-in page).
				redirect := r.Status == http.StatusFound && o.op.Responses.Status(http.StatusFound) != nil
				// A passkey ceremony needs an authenticator: a generated
				// credential is refused (400, 401), and at the harness's
				// 127.0.0.1 none begins (400: WebAuthn needs a host
				// name). passkeys_test.go goes through them at localhost.
				m, _ := body.(map[string]any)
				passkey := strings.Contains(o.path, "/passkey") || m["passkey"] != nil
				if passkey && (r.Status == 400 || r.Status == 401) {
					continue
				}
				// A webhook delivery is signed over its body, which is
				// generated here: feed_test.go sends signed ones.
				if o.path == "/api/v1/ingest/{sourceID}" && r.Status == http.StatusUnauthorized {
					continue
				}
				// A Slack link is made by a button press in Slack:
				// slack_test.go follows one.
				if o.path == "/api/v1/slack/link" && r.Status == http.StatusBadRequest {
					continue
				}
				// A ballot's shape is its poll's kind: the fixture's poll
				// is a choice (polls_test.go votes in the others).
				if strings.HasSuffix(o.path, "/vote") && m["options"] == nil && r.Status == http.StatusBadRequest {
					continue
				}
				// A schedule is a pretalx or Sessionize document, or a
				// URL koe can fetch one from: generated ones are not
				// (400), and an event has no schedule URL until one is
				// set (404). schedule_test.go imports real ones.
				if strings.Contains(o.path, "/schedule/") && (r.Status == http.StatusBadRequest || r.Status == http.StatusNotFound) {
					continue
				}
				if r.Status >= 300 && !redirect && r.errorCode() != koe.ECONFLICT {
					t.Errorf("%s: a request the document accepts was refused: %s", o, r)
				}
			}
		}
	}
}

// inParallel calls do(0) … do(n-1) on the given number of goroutines.
func inParallel(n, workers int, do func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				do(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// TestPropertyNoOpChanges sends every PATCH operation the record's own
// values (all at once, one at a time, the same instants in another
// offset, the same text with surrounding spaces) and {}: each is answered
// 200 with the record as it was, same version and updated_at, and puts
// nothing on the staff streams, while a real change does.
func TestPropertyNoOpChanges(t *testing.T) {
	h := newHarness(t)
	f, live := followedFixture(t, h)
	// What a real change of each record puts on the streams.
	published := map[string]map[string]string{ // last path parameter -> topic -> event type
		"eventID":    {"event": "event.updated"},
		"talkID":     {"event": "talk.updated", "talk:" + fmt.Sprint(f.talk.ID): "talk.updated"},
		"questionID": {"talk:" + fmt.Sprint(f.talk.ID): "question.updated"},
		"sourceID":   {}, // sources are not streamed: the audit log has their changes
		"webhookID":  {}, // nor are webhooks
		"postID":     {"feed": "post.updated"},
		"pollID":     {"talk:" + fmt.Sprint(f.talk.ID): "poll.updated"},
	}
	patches := 0
	for _, o := range docOps(t) {
		// Accounts are neither versioned nor streamed (the conformance
		// suite holds their no-op updates to changing nothing).
		if o.method != "PATCH" || !strings.HasPrefix(o.path, "/api/v1/events/") {
			continue
		}
		patches++
		last := pathParam.FindAllString(o.path, -1)
		want := published[strings.Trim(last[len(last)-1], "{}")]
		if want == nil {
			t.Errorf("%s: no expectations for the streams of this record: add them", o)
			continue
		}
		path := fillPath(o.path, f, nil)
		cur := readRecord(t, h, path)
		for _, body := range noOpBodies(o.bodySchema(), cur) {
			r := h.staff.patch(path, body)
			if !r.want(t, 200, "") {
				continue
			}
			var got map[string]any
			r.decode(t, &got)
			if !equalJSON(got, cur) {
				t.Errorf("%s %v: a change that changes nothing changed the record:\nbefore %v\nafter  %v", o, body, cur, got)
			}
		}
		live.quiet(200 * time.Millisecond)

		// A real change arrives, and is the first thing to: had a no-op
		// been published late, it would come before.
		change := realChange(cur)
		r := h.staff.patch(path, change)
		r.want(t, 200, "")
		var got map[string]any
		r.decode(t, &got)
		version, _ := got["version"].(float64)
		if version != cur["version"].(float64)+1 {
			t.Errorf("%s %v: version %v after version %v", o, change, got["version"], cur["version"])
		}
		expectPublished(t, live, want, int64(version))
	}
	if patches == 0 {
		t.Fatal("the document has no PATCH operation")
	}
}

// followedFixture makes a fixture whose records differ from the defaults
// (so that sending them back means something) and follows its event and
// talk streams as staff over a WebSocket. It returns once the fixture's
// own creation has been delivered, so that the streams then carry only
// what the test causes.
func followedFixture(t *testing.T, h *harness) (propFixture, *liveConn) {
	t.Helper()
	e := h.createEvent(map[string]any{"title": "Koe Night", "time_zone": "Asia/Tokyo",
		"starts_at": "2026-05-01T09:00:00+09:00", "ends_at": "2026-05-01T21:00:00+09:00",
		"settings": map[string]any{"participant_replies": true}})
	var talks talkPage
	h.staff.get(eventPath(e.ID)+"/talks").decode(t, &talks)
	tk := h.createTalk(e.ID, map[string]any{"title": "Streams", "speaker": "Grace", "track": "Hall A",
		"starts_at": "2026-05-01T10:00:00Z", "ends_at": "2026-05-01T10:45:00Z"})
	talkTopic := "talk:" + fmt.Sprint(tk.ID)
	before := h.staff.questions(e.ID, tk.ID, "")
	var poll koe.Poll
	h.staff.post(eventPath(e.ID)+fmt.Sprintf("/talks/%d/polls", tk.ID), map[string]any{"kind": "choice", "question": "Ordered?",
		"options": []string{"Yes", "No"}, "multiple": true, "results_mode": "hidden"}).decode(t, &poll)
	p, _ := h.join(e.JoinCode, "Val")
	q := p.ask(e.ID, tk.ID, "Is the stream ordered?")
	if r := h.staff.patch(questionPath(e.ID, tk.ID, q.ID), map[string]any{"answered": true}); r.want(t, 200, "") {
		r.decode(t, &q)
	}
	f := propFixture{event: e, talk: tk, question: q, participant: p, pollID: poll.ID}
	var posts postPage
	h.staff.get(eventPath(e.ID)+"/posts").decode(t, &posts)
	f.sourceID, f.postID = fixtureWebhook(h, e.ID), fixturePost(h, e.ID)
	f.webhookID, f.deliveryID = fixtureHook(h, e.ID)

	live, conn, status := dialWS(t, h.staff, e.ID, nil)
	if live == nil {
		t.Fatalf("WebSocket handshake refused: %d", status)
	}
	wsSend(t, conn, map[string]string{"type": "subscribe", "topic": "event", "cursor": talks.Stream.Cursor})
	wsSend(t, conn, map[string]string{"type": "subscribe", "topic": talkTopic, "cursor": before.Stream.Cursor})
	wsSend(t, conn, map[string]string{"type": "subscribe", "topic": "feed", "cursor": posts.Stream.Cursor})
	// The last change of the fixture on each topic.
	want := map[string]string{"event": "talk.created", talkTopic: "question.updated", "feed": "post.created"}
	subscribed := map[string]bool{}
	for len(want) > 0 || len(subscribed) < 3 {
		m := live.next()
		switch m.Type {
		case "subscribed":
			subscribed[m.Topic] = true
		case "events":
			for _, ev := range m.Events {
				if ev.Type == want[m.Topic] {
					delete(want, m.Topic)
				}
			}
		default:
			t.Fatalf("unexpected message: %s", m.raw)
		}
	}
	return f, live
}

// expectPublished reads the next messages: on each topic of want, one
// event of its type carrying version, and nothing else.
func expectPublished(t *testing.T, live *liveConn, want map[string]string, version int64) {
	t.Helper()
	left := maps.Clone(want)
	for len(left) > 0 {
		m := live.next()
		checkSchema(t, "LiveServerMessage", m.raw)
		if m.Type != "events" || left[m.Topic] == "" || len(m.Events) != 1 {
			t.Errorf("want %v at version %d, got %s", left, version, m.raw)
			return
		}
		ev := m.Events[0]
		var data struct{ Version int64 }
		_ = json.Unmarshal(ev.Data, &data)
		if ev.Type != left[m.Topic] || data.Version != version {
			t.Errorf("want %s at version %d on %s, got %s", left[m.Topic], version, m.Topic, m.raw)
		}
		delete(left, m.Topic)
	}
}

// readRecord reads a record as staff, as generic JSON.
func readRecord(t *testing.T, h *harness, path string) map[string]any {
	t.Helper()
	var rec map[string]any
	if r := h.staff.get(path); r.want(t, 200, "") {
		r.decode(t, &rec)
	}
	return rec
}

// noOpBodies are the PATCH bodies that change nothing about cur: {}, all
// its values at once, each alone, each time as the same instant in
// another offset, each text with surrounding white space.
func noOpBodies(s *openapi3.Schema, cur map[string]any) []map[string]any {
	bodies := []map[string]any{{}}
	own := map[string]any{}
	for _, name := range sortedKeys(s.Properties) {
		// A value the request takes in another shape (a poll's options:
		// labels in, objects out) is not sent back.
		if v, ok := cur[name]; ok && s.Properties[name].Value.VisitJSON(requestPart(v, s.Properties[name].Value)) == nil {
			own[name] = requestPart(v, s.Properties[name].Value)
		}
	}
	bodies = append(bodies, own)
	for _, name := range sortedKeys(own) {
		v := own[name]
		bodies = append(bodies, map[string]any{name: v})
		str, isString := v.(string)
		if !isString {
			continue
		}
		if tm, err := time.Parse(time.RFC3339Nano, str); err == nil {
			bodies = append(bodies, map[string]any{name: tm.In(time.FixedZone("", -7*3600)).Format(time.RFC3339Nano)})
		} else if ps := s.Properties[name].Value; ps.Pattern != "" && regexp.MustCompile(ps.Pattern).MatchString(" "+str+" ") {
			bodies = append(bodies, map[string]any{name: " " + str + " "})
		}
	}
	return bodies
}

// requestPart is the part of a record's value v that a request of schema
// s can send back: of an object, the properties s has (a source's config
// without secret_set, which only the server reports).
func requestPart(v any, s *openapi3.Schema) any {
	obj, ok := v.(map[string]any)
	if !ok || s == nil || len(s.Properties) == 0 {
		return v
	}
	part := map[string]any{}
	for k, x := range obj {
		if p := s.Properties[k]; p != nil {
			part[k] = requestPart(x, p.Value)
		}
	}
	return part
}

// realChange is a change of cur: a new title, or for a question answered
// flipped.
func realChange(cur map[string]any) map[string]any {
	if title, ok := cur["title"].(string); ok {
		return map[string]any{"title": title + " (changed)"}
	}
	if _, post := cur["external_id"]; post {
		return map[string]any{"hidden": !cur["hidden"].(bool)}
	}
	if _, hook := cur["disabled_reason"]; hook {
		return map[string]any{"description": cur["description"].(string) + " (changed)"}
	}
	if mode, ok := cur["results_mode"].(string); ok { // a poll
		return map[string]any{"results_mode": map[string]string{"live": "hidden", "hidden": "live"}[mode]}
	}
	if name, ok := cur["name"].(string); ok { // a source
		return map[string]any{"name": name + " (changed)"}
	}
	return map[string]any{"answered": !cur["answered"].(bool)}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// propMethods are the methods TestPropertyMethods tries on every path; a
// method no route knows is treated alike.
var propMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "BREW"}

// TestPropertyMethods sends every path of the document every method it
// does not serve: 405 method_not_allowed with an Allow header naming
// exactly the document's methods of the path (HEAD implied by GET).
// Paths the document does not have are 404 whatever the method.
func TestPropertyMethods(t *testing.T) {
	h := newHarness(t)
	f := newPropFixture(h)
	doc, _ := openAPI(t)
	for _, tmpl := range sortedKeys(doc.Paths.Map()) {
		path := fillPath(tmpl, f, nil)
		var served []string
		for m := range doc.Paths.Value(tmpl).Operations() {
			served = append(served, m)
			if m == "GET" {
				served = append(served, "HEAD")
			}
		}
		for _, m := range propMethods {
			if slices.Contains(served, m) {
				continue
			}
			r := h.staff.do(m, path, nil, notInDoc)
			if r.Status != http.StatusMethodNotAllowed || m != "HEAD" && r.errorCode() != koe.EMETHOD {
				t.Errorf("%s: want 405 %s", r, koe.EMETHOD)
			}
			if m != "HEAD" {
				checkSchema(t, "Error", r.Body)
			}
			allow := strings.Split(r.Header.Get("Allow"), ",")
			for i := range allow {
				allow[i] = strings.TrimSpace(allow[i])
			}
			slices.Sort(allow)
			slices.Sort(served)
			if !slices.Equal(allow, served) {
				t.Errorf("%s %s: Allow %q, want the document's %q", m, path, r.Header.Get("Allow"), served)
			}
		}
	}
	// Paths next to the documented ones, under /api/ and not.
	unknown := []string{"/api/", "/api/v1", "/api/v1/", "/api/v2/events", "/api/v1/nope", "/api/v1/events/",
		"/api/openapi.yaml", "/api/v1/join/", "/healthz/", "/readyz/x"}
	for _, tmpl := range sortedKeys(doc.Paths.Map()) {
		unknown = append(unknown, fillPath(tmpl, f, nil)+"/nope/nope")
	}
	for _, path := range unknown {
		for _, m := range propMethods {
			r := h.staff.do(m, path, nil, notInDoc)
			if r.Status != http.StatusNotFound || m != "HEAD" && r.errorCode() != koe.ENOTFOUND {
				t.Errorf("%s: want 404 %s", r, koe.ENOTFOUND)
			}
			if r.Header.Get("Allow") != "" {
				t.Errorf("%s: Allow %q on a path no route has", r, r.Header.Get("Allow"))
			}
		}
	}
}

// textSender sends one text field of a request schema, the rest of the
// body fixed and valid, as a client that may.
type textSender func(h *harness, f propFixture, v string) (c *client, method, path string, body map[string]any)

// textSenders name each text field "schema.property".
var textSenders = map[string]textSender{
	"createEventRequest.title": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "POST", "/api/v1/events", map[string]any{"title": v}
	},
	"updateEventRequest.title": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "PATCH", eventPath(f.event.ID), map[string]any{"title": v}
	},
	"createTalkRequest.title": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "POST", eventPath(f.event.ID) + "/talks", map[string]any{"title": v}
	},
	"createTalkRequest.speaker": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "POST", eventPath(f.event.ID) + "/talks", map[string]any{"title": "Talk", "speaker": v}
	},
	"createTalkRequest.track": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "POST", eventPath(f.event.ID) + "/talks", map[string]any{"title": "Talk", "track": v}
	},
	"createTalkRequest.room": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "POST", eventPath(f.event.ID) + "/talks", map[string]any{"title": "Talk", "room": v}
	},
	"createTalkRequest.language": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "POST", eventPath(f.event.ID) + "/talks", map[string]any{"title": "Talk", "language": v}
	},
	"updateTalkRequest.room": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "PATCH", talkPath(f.event.ID, f.talk.ID), map[string]any{"room": v}
	},
	"updateTalkRequest.language": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "PATCH", talkPath(f.event.ID, f.talk.ID), map[string]any{"language": v}
	},
	"updateTalkRequest.title": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "PATCH", talkPath(f.event.ID, f.talk.ID), map[string]any{"title": v}
	},
	"updateTalkRequest.speaker": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "PATCH", talkPath(f.event.ID, f.talk.ID), map[string]any{"speaker": v}
	},
	"updateTalkRequest.track": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "PATCH", talkPath(f.event.ID, f.talk.ID), map[string]any{"track": v}
	},
	"joinRequest.display_name": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.client(""), "POST", "/api/v1/join", map[string]any{"code": f.event.JoinCode, "display_name": v}
	},
	"askRequest.body": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return f.participant, "POST", questionsPath(f.event.ID, f.talk.ID), map[string]any{"body": v}
	},
	"updateQuestionRequest.body": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "PATCH", questionPath(f.event.ID, f.talk.ID, f.question.ID), map[string]any{"body": v}
	},
	"replyRequest.body": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "POST", questionPath(f.event.ID, f.talk.ID, f.question.ID) + "/replies", map[string]any{"body": v}
	},
	"replyRequest.author_name": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "POST", questionPath(f.event.ID, f.talk.ID, f.question.ID) + "/replies", map[string]any{"body": "Thanks!", "author_name": v}
	},
	"accountRequest.display_name": newAccountSender,
	// Setting up and signing up make accounts from the same fields, by the
	// same code (act's newAccount), as an admin does: they can be done
	// only once each, so the fields are tried there.
	"setupRequest.display_name":  newAccountSender,
	"signUpRequest.display_name": newAccountSender,
	"updateAccountRequest.display_name": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return h.staff, "PATCH", fmt.Sprintf("/api/v1/accounts/%d", f.moderator.ID), map[string]any{"display_name": v}
	},
	"updateMyAccountRequest.display_name": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		return f.admin, "PATCH", "/api/v1/account", map[string]any{"display_name": v}
	},
	"apiTokenRequest.name": func(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
		c, _ := h.signedIn(h.account(false)) // a fresh account: 50 tokens at most each
		return c, "POST", "/api/v1/account/tokens", map[string]any{"name": v, "roles": []string{"presenter"}}
	},
}

// newAccountSender sends a display name in an admin's new account.
func newAccountSender(h *harness, f propFixture, v string) (*client, string, string, map[string]any) {
	return h.staff, "POST", "/api/v1/accounts", map[string]any{
		"login": fmt.Sprintf("text-%d", accountSeq.Add(1)), "display_name": v, "password": staffPassword}
}

// notText are the patterned string properties that are not free text:
// slugs and join codes have patterns of their own (TestEventRules,
// TestPropertyJoinCodePattern).
var notText = []string{"slug", "code"}

// ordinaryTexts are text any field takes.
var ordinaryTexts = []string{
	"Hello, world", "How does koe scale?", "こんにちは世界", "質問：レイテンシはどのくらい？",
	"日本語とEnglishの混在", "Café ☕ 🎤", "Ada Lovelace", "山田 太郎", "a", "テスト\u3000全角スペース",
}

// textProbes are the strings every text field is tried with: ordinary
// text, and each character the text rules name (the C0 and C1 controls
// with newline, tab and CR among them, and the direction controls) and a
// few that look alike to them (white space, invisible characters, U+FFFD),
// inside ordinary text and around it.
func textProbes() []string {
	var chars []rune
	for _, span := range [][2]rune{{0x00, 0x1F}, {0x7F, 0x9F}, {0x202A, 0x202E}, {0x2066, 0x2069}} {
		for r := span[0]; r <= span[1]; r++ {
			chars = append(chars, r)
		}
	}
	chars = append(chars, 0xA0, 0x3000, 0x2028, 0x2029, 0x200B, 0xFEFF, 0xAD, 0xFFFD)
	probes := slices.Clone(ordinaryTexts)
	for _, r := range chars {
		c := string(r)
		probes = append(probes, "質問"+c+"です", c+"Hello"+c)
	}
	return append(probes, "line one\r\nline two", "\r\n  Hello  \r\n", "\t\tindented")
}

// emptyToEye reports text that shows nothing: the server refuses it
// whatever the pattern says (the document states it in prose).
func emptyToEye(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.In(r, unicode.Cf, unicode.Mn, unicode.Me, unicode.Mc) {
			return false
		}
	}
	return true
}

// TestPropertyTextRules tries every patterned text field of the request
// schemas with the probes: where the document (pattern and lengths)
// refuses a string, the server answers 400; where it accepts one that
// shows something, the server accepts it too.
func TestPropertyTextRules(t *testing.T) {
	h := newHarness(t)
	f := newPropFixture(h)
	if r := h.staff.patch(eventPath(f.event.ID), map[string]any{"settings": map[string]any{"participant_replies": true}}); !r.want(t, 200, "") {
		t.FailNow()
	}
	type textField struct {
		name   string
		schema *openapi3.Schema
		send   textSender
	}
	var fields []textField
	doc, _ := openAPI(t)
	for _, name := range sortedKeys(doc.Components.Schemas) {
		if !strings.HasSuffix(name, "Request") {
			continue
		}
		s := doc.Components.Schemas[name].Value
		for _, prop := range sortedKeys(s.Properties) {
			ps := s.Properties[prop].Value
			if !ps.Type.Is("string") || ps.Pattern == "" || slices.Contains(notText, prop) {
				continue
			}
			field := textField{name: name + "." + prop, schema: ps, send: textSenders[name+"."+prop]}
			if field.send == nil {
				t.Errorf("text field %s has a pattern but no sender in textSenders: add one", field.name)
				continue
			}
			fields = append(fields, field)
		}
	}
	if len(fields) < len(textSenders) {
		t.Errorf("only %d of the %d text fields of textSenders have a pattern in the document", len(fields), len(textSenders))
	}

	probes := textProbes()
	// The fields are independent: tried side by side to keep the run short.
	inParallel(len(fields), 4, func(i int) {
		field := fields[i]
		ps := field.schema
		re := regexp.MustCompile(ps.Pattern)
		for _, v := range probes {
			n := utf8.RuneCountInString(v)
			docAccepts := re.MatchString(v) && n >= int(ps.MinLength) && (ps.MaxLength == nil || n <= int(*ps.MaxLength))
			c, method, path, body := field.send(h, f, v)
			switch {
			case !docAccepts:
				if r := c.do(method, path, body, docRejects); r.Status != 400 || r.errorCode() != koe.EINVALID {
					t.Errorf("%s = %+q: the pattern refuses it, the server answers %s", field.name, v, r)
				}
			case emptyToEye(v):
				c.do(method, path, body, unchecked) // refused, whatever the pattern says
			default:
				if r := c.do(method, path, body); r.Status >= 300 {
					t.Errorf("%s = %+q: the pattern accepts it, the server answers %s", field.name, v, r)
				}
			}
		}
	})
}

// joinCodeInputs are ways to write code, right and wrong: case changes,
// every white space Go knows (and U+FEFF, which the server trims too, and
// look-alikes it does not) around it or inside it, each letter and digit
// in its first place (the look-alikes I, L, O, 0 and 1 among them), full
// width forms, letters whose Unicode case maps to ASCII (ſ → S, K → k,
// ı → I, İ → i), combining marks, and wrong lengths.
func joinCodeInputs(code string) []string {
	lower := strings.ToLower(code)
	mixed := strings.ToLower(code[:3]) + code[3:]
	in := []string{code, lower, mixed, "", code[:5], code + "A", strings.Repeat(" ", 6)}
	var spaces []rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.IsSpace(r) {
			spaces = append(spaces, r)
		}
	}
	for _, r := range append(spaces, 0xFEFF, 0x200B, 0x180E, 0x2060, 0xAD) {
		w := string(r)
		in = append(in, w+code, lower+w, w+mixed+w, w+w+code+w+w, code[:3]+w+code[3:])
	}
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" {
		in = append(in, string(c)+code[1:])
	}
	fullWidth := func(r rune) rune { return r - '!' + '！' }
	in = append(in, strings.Map(fullWidth, code), string(fullWidth(rune(code[0])))+code[1:])
	for _, r := range []rune{'ſ', 'K', 'ı', 'İ', 'Å', 'é'} {
		in = append(in, string(r)+code[1:])
	}
	return append(in, code+"\u0301", code[:1]+"\u0301"+code[1:], code+"\u20DD", "\u0332"+code)
}

// TestPropertyJoinCodePattern holds the server to the document's
// joinRequest.code: a code the pattern (and lengths) accept is joined
// when it is the event's code written another way and 404 otherwise; one
// they refuse is 400.
func TestPropertyJoinCodePattern(t *testing.T) {
	h := newHarness(t)
	e := h.createEvent(nil)
	s := schemaOf(t, "joinRequest").Properties["code"].Value
	re := regexp.MustCompile(s.Pattern)
	anon := h.client("")
	matched, refused, unknown := 0, 0, 0
	for _, code := range joinCodeInputs(e.JoinCode) {
		n := utf8.RuneCountInString(code)
		docAccepts := re.MatchString(code) && n >= int(s.MinLength) && (s.MaxLength == nil || n <= int(*s.MaxLength))
		body := map[string]any{"code": code}
		if !docAccepts {
			refused++
			if r := anon.post("/api/v1/join", body, docRejects); r.Status != 400 || r.errorCode() != koe.EINVALID {
				t.Errorf("code %+q: the pattern refuses it, the server answers %s", code, r)
			}
			continue
		}
		// The pattern matched: what it allows around the code is white
		// space, and the code itself is ASCII.
		core := strings.TrimFunc(code, func(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' })
		r := anon.post("/api/v1/join", body)
		if strings.ToUpper(core) == e.JoinCode {
			matched++
			var j joined
			if r.want(t, 201, "") {
				r.decode(t, &j)
			}
			if j.Event.ID != e.ID {
				t.Errorf("code %+q joined event %d, want %d", code, j.Event.ID, e.ID)
			}
		} else {
			unknown++
			if r.Status != 404 || r.errorCode() != koe.ENOTFOUND {
				t.Errorf("code %+q: a well-formed code of no event, the server answers %s", code, r)
			}
		}
	}
	if matched < 50 || refused < 50 || unknown < 20 {
		t.Errorf("the inputs do not cover the pattern: %d joined, %d refused, %d unknown", matched, refused, unknown)
	}
}

// TestPropertyCookieSchemes holds the document's cookie security schemes
// to the server: each names a cookie the server sets when one signs in,
// and that cookie alone, sent under the name the document gives, is
// credential enough.
func TestPropertyCookieSchemes(t *testing.T) {
	h := newHarness(t)
	e := h.createEvent(nil)
	anon := h.client("")
	signIn := map[string]func() *response{ // scheme -> the request that sets its cookie
		"cookie":  func() *response { return anon.post("/api/v1/join", map[string]any{"code": e.JoinCode}) },
		"session": func() *response { return anon.post("/api/v1/session", map[string]any{"token": ownerToken}) },
	}
	role := map[string]string{"cookie": "participant", "session": "staff"}
	doc, _ := openAPI(t)
	schemes := 0
	for _, name := range sortedKeys(doc.Components.SecuritySchemes) {
		s := doc.Components.SecuritySchemes[name].Value
		if s.Type != "apiKey" || s.In != "cookie" {
			continue
		}
		schemes++
		if signIn[name] == nil {
			t.Errorf("cookie scheme %s: no request known to set it: add one", name)
			continue
		}
		r := signIn[name]()
		var value string
		var set []string
		for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
			set = append(set, ck.Name)
			if ck.Name == s.Name {
				value = ck.Value
			}
		}
		if value == "" {
			t.Errorf("cookie scheme %s names the cookie %q; %s sets %q", name, s.Name, r.desc, set)
			continue
		}
		var me struct{ Role string }
		if r := anon.get(eventPath(e.ID)+"/me", header("Cookie", s.Name+"="+value)); r.want(t, 200, "") {
			r.decode(t, &me)
		}
		if me.Role != role[name] {
			t.Errorf("cookie scheme %s: with the cookie %s alone, role %q, want %q", name, s.Name, me.Role, role[name])
		}
	}
	if schemes != len(signIn) {
		t.Errorf("%d cookie security schemes in the document, %d known here", schemes, len(signIn))
	}
}
