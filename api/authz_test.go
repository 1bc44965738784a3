package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
	"github.com/koehq/koe/slack"
	"github.com/koehq/koe/slack/slacktest"
	"github.com/koehq/koe/webhook"
)

// The callers of the authorization matrix, in the order of its columns.
type matrixCaller int

const (
	asAnonymous matrixCaller = iota
	asParticipant
	asParticipantElsewhere
	asPresenter
	asModerator
	asOwnerElsewhere
	asOwner
	asAdmin
	asToken          // an API token of the owner, for this event, role owner
	asTokenElsewhere // an API token of the same owner, for another event
	callers
)

var callerNames = [callers]string{"anonymous", "participant", "participant elsewhere", "presenter", "moderator",
	"owner elsewhere", "owner", "admin", "token", "token elsewhere"}

// authzWorld is what the matrix's requests act on: event E with talk T
// and question Q, and the callers. Session callers get a new session for
// every request, so that a request ending its session ends no other.
type authzWorld struct {
	h        *harness
	e, x     koe.Event // x: the event the "elsewhere" callers belong to
	tk, tkx  koe.Talk
	q        koe.Question
	joinE    string // participant tokens
	joinX    string
	accounts [callers]*koe.Account
	tokens   [callers]string
	seq      atomic.Int64
}

// authzCall is one request of the matrix.
type authzCall struct {
	method, path string
	body         any
	header       http.Header
}

// authzRow says what every matrixCaller gets from one route. want lists the
// statuses in the order of the callers (anonymous … token elsewhere).
type authzRow struct {
	route string
	call  func(w *authzWorld, c matrixCaller) authzCall
	want  string
}

// TestAuthorizationMatrix sends every route of routes.go as every kind of
// matrixCaller and checks the status: what each role may do is the table in
// act/permission.go, seen from outside. A route without a row fails.
func TestAuthorizationMatrix(t *testing.T) {
	h := newHarness(t)
	w := newAuthzWorld(h)
	rows := authzRows()
	byRoute := map[string]authzRow{}
	for _, r := range rows {
		if _, dup := byRoute[r.route]; dup {
			t.Errorf("two rows for %s", r.route)
		}
		byRoute[r.route] = r
	}
	patterns := routePatterns(t)
	for _, p := range patterns {
		if _, ok := byRoute[p]; !ok {
			t.Errorf("route %s has no row in the authorization matrix (api/authz_test.go)", p)
		}
	}
	for _, r := range rows {
		if !slices.Contains(patterns, r.route) {
			t.Errorf("row %s names no route of routes.go", r.route)
			continue
		}
		want := strings.Fields(r.want)
		if len(want) != int(callers) {
			t.Errorf("%s: %d statuses for %d callers", r.route, len(want), callers)
			continue
		}
		for c := range callers {
			call := r.call(w, c)
			got := w.send(c, call)
			if strconv.Itoa(got.status) != want[c] {
				t.Errorf("%s as %s: %s %s -> %d %s, want %s", r.route, callerNames[c], call.method, call.path, got.status, got.body, want[c])
			}
		}
	}
}

func newAuthzWorld(h *harness) *authzWorld {
	ctx := context.Background()
	w := &authzWorld{h: h}
	w.e, w.tk = h.setup()
	w.x, w.tkx = h.setup()
	pe, je := h.join(w.e.JoinCode, "Pat")
	_, jx := h.join(w.x.JoinCode, "Xan")
	w.joinE, w.joinX = je.Token, jx.Token
	w.q = pe.ask(w.e.ID, w.tk.ID, "Who decides?")
	w.accounts[asPresenter] = h.member(w.e.ID, koe.RolePresenter)
	w.accounts[asModerator] = h.member(w.e.ID, koe.RoleModerator)
	w.accounts[asOwnerElsewhere] = h.member(w.x.ID, koe.RoleOwner)
	w.accounts[asOwner] = h.member(w.e.ID, koe.RoleOwner)
	if err := h.store.SetMembership(ctx, &koe.Membership{EventID: w.x.ID, AccountID: w.accounts[asOwnerElsewhere].ID, Role: koe.RoleOwner}); err != nil {
		h.t.Fatal(err)
	}
	w.accounts[asAdmin] = h.account(true)
	// The owner is also owner of x, so that its token for x is a token
	// of the right person without the scope.
	if err := h.store.SetMembership(ctx, &koe.Membership{EventID: w.x.ID, AccountID: w.accounts[asOwner].ID, Role: koe.RoleOwner}); err != nil {
		h.t.Fatal(err)
	}
	w.accounts[asToken], w.accounts[asTokenElsewhere] = w.accounts[asOwner], w.accounts[asOwner]
	w.tokens[asToken] = w.apiToken(w.accounts[asOwner], w.e.ID)
	w.tokens[asTokenElsewhere] = w.apiToken(w.accounts[asOwner], w.x.ID)
	return w
}

// apiToken stores an owner-role API token of the account for the event.
func (w *authzWorld) apiToken(a *koe.Account, eventID int64) string {
	secret := auth.NewSecret(auth.APITokenPrefix)
	t := &koe.APIToken{AccountID: a.ID, Name: "matrix", Hash: auth.Hash(secret), Events: []int64{eventID}, Roles: []koe.Role{koe.RoleOwner}}
	if err := w.h.store.CreateAPIToken(context.Background(), t); err != nil {
		w.h.t.Fatal(err)
	}
	return secret
}

// session stores a new session of the account and returns its secret.
func (w *authzWorld) session(a *koe.Account) (string, int64) {
	secret := auth.NewSecret(auth.SessionPrefix)
	now := time.Now()
	ss := &koe.Session{Hash: auth.Hash(secret), AccountID: a.ID, Method: "password", UserAgent: "matrix", Addr: "127.0.0.1",
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := w.h.store.CreateSession(context.Background(), ss); err != nil {
		w.h.t.Fatal(err)
	}
	return secret, ss.ID
}

// account returns the matrixCaller's account (nil for participants and
// anonymous).
func (w *authzWorld) account(c matrixCaller) *koe.Account { return w.accounts[c] }

// unique returns a number not returned before, for logins and names.
func (w *authzWorld) unique() int64 { return w.seq.Add(1) }

// invitation makes an invitation to event x as moderator and returns its
// id and secret.
func (w *authzWorld) invitation() (int64, string) {
	var inv struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	w.h.staff.post(eventPath(w.x.ID)+"/invitations", map[string]any{"role": "moderator"}).decode(w.h.t, &inv)
	return inv.ID, inv.Token
}

type authzResult struct {
	status int
	body   string
}

// send makes the call as the matrixCaller, reading only the start of the body
// (streams do not end by themselves).
func (w *authzWorld) send(c matrixCaller, call authzCall) authzResult {
	var body io.Reader
	if raw, ok := call.body.([]byte); ok { // sent as it is (Slack's form)
		body = bytes.NewReader(raw)
	} else if call.body != nil {
		b, err := json.Marshal(call.body)
		if err != nil {
			w.h.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, call.method, w.h.srv.URL+call.path, body)
	if err != nil {
		w.h.t.Fatal(err)
	}
	if call.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range call.header {
		req.Header[k] = vs
	}
	switch c {
	case asParticipant:
		req.Header.Set("Authorization", "Bearer "+w.joinE)
	case asParticipantElsewhere:
		req.Header.Set("Authorization", "Bearer "+w.joinX)
	case asToken, asTokenElsewhere:
		req.Header.Set("Authorization", "Bearer "+w.tokens[c])
	case asAnonymous:
	default:
		if req.Header.Get("Cookie") == "" {
			secret, _ := w.session(w.accounts[c])
			req.AddCookie(&http.Cookie{Name: "koe_session", Value: secret})
		}
	}
	resp, err := w.h.hc.Do(req)
	if err != nil {
		w.h.t.Fatalf("%s %s: %v", call.method, call.path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols || resp.Header.Get("Content-Type") == "text/event-stream" {
		return authzResult{status: resp.StatusCode} // a stream: what it says is not the point here
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	return authzResult{status: resp.StatusCode, body: string(head)}
}

// withSession is a call carrying a session of the matrixCaller's account made
// for it, whose id the path names (for the rows about one's sessions).
func (w *authzWorld) withSession(c matrixCaller, method, pathf string) authzCall {
	a := w.account(c)
	if a == nil || c == asToken || c == asTokenElsewhere {
		a = w.accounts[asOwner]
		_, id := w.session(a)
		return authzCall{method: method, path: fmt.Sprintf(pathf, id)}
	}
	secret, id := w.session(a)
	return authzCall{method: method, path: fmt.Sprintf(pathf, id),
		header: http.Header{"Cookie": {"koe_session=" + secret}}}
}

func get(path string) func(*authzWorld, matrixCaller) authzCall {
	return func(*authzWorld, matrixCaller) authzCall { return authzCall{method: "GET", path: path} }
}

// The statuses of the rows, by kind of route.
const (
	// Anyone: the same answer whoever asks.
	forAll200 = "200 200 200 200 200 200 200 200 200 200"
	// Any staff member signed in, whatever its events.
	forStaff200 = "401 401 401 200 200 200 200 200 200 200"
	// One's own account, from a browser session only.
	forSession200 = "401 401 401 200 200 200 200 200 403 403"
	forSession204 = "401 401 401 204 204 204 204 204 403 403"
	// Admins only.
	forAdmin = "401 403 403 403 403 403 403 %s 403 403"
)

// authzRows is the matrix: one row per route of routes.go.
func authzRows() []authzRow {
	E := func(w *authzWorld) string { return eventPath(w.e.ID) }
	T := func(w *authzWorld) string { return talkPath(w.e.ID, w.tk.ID) }
	Q := func(w *authzWorld) string { return questionPath(w.e.ID, w.tk.ID, w.q.ID) }
	fixed := func(method string, path func(*authzWorld) string, body any) func(*authzWorld, matrixCaller) authzCall {
		return func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: method, path: path(w), body: body}
		}
	}
	return []authzRow{
		{"GET /healthz", get("/healthz"), forAll200},
		{"GET /readyz", get("/readyz"), forAll200},
		{"GET /api/openapi.json", get("/api/openapi.json"), forAll200},
		{"GET /api/v1/config", get("/api/v1/config"), forAll200},
		{"POST /api/v1/join", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: "/api/v1/join", body: map[string]any{"code": w.e.JoinCode}}
		}, "201 200 201 201 201 201 201 201 201 201"}, // the participant is back, not new

		// The first admin exists: setup is over for everyone.
		{"GET /api/v1/setup", get("/api/v1/setup"), forAll200},
		{"POST /api/v1/setup", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: "/api/v1/setup", body: map[string]any{"token": "koe_setup_x", "login": "late", "display_name": "Late", "password": staffPassword}}
		}, "409 409 409 409 409 409 409 409 409 409"},
		// Signing in needs no identity; a password is the same for all.
		{"POST /api/v1/session", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: "/api/v1/session", body: map[string]any{"login": w.accounts[asModerator].Login, "password": staffPassword}}
		}, "201 201 201 201 201 201 201 201 201 201"},
		// Anyone may begin a passkey sign-in (400 at 127.0.0.1, as above).
		{"POST /api/v1/session/passkey", fixed("POST", func(*authzWorld) string { return "/api/v1/session/passkey" }, nil),
			"400 400 400 400 400 400 400 400 400 400"},
		{"GET /api/v1/session", get("/api/v1/session"), forStaff200},
		// Signing out always succeeds: there may be nothing to end.
		{"DELETE /api/v1/session", fixed("DELETE", func(*authzWorld) string { return "/api/v1/session" }, nil),
			"204 204 204 204 204 204 204 204 204 204"},
		// Signing in with the OpenID provider needs no identity (here none
		// is configured: 404; the callback always redirects back to the
		// sign-in page). api/oidc_test.go runs them with a provider.
		{"GET /api/v1/session/oidc", get("/api/v1/session/oidc?return=/admin"),
			"404 404 404 404 404 404 404 404 404 404"},
		{"GET /api/v1/join/oidc", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: "/api/v1/join/oidc?code=" + w.e.JoinCode}
		}, "404 404 404 404 404 404 404 404 404 404"},
		{"GET /api/v1/session/oidc/callback", get("/api/v1/session/oidc/callback?code=x&state=y"),
			"302 302 302 302 302 302 302 302 302 302"},
		{"GET /api/v1/sessions", get("/api/v1/sessions"), forSession200},
		{"DELETE /api/v1/sessions", fixed("DELETE", func(*authzWorld) string { return "/api/v1/sessions" }, nil), forSession200},
		// Someone else's session is not found; one's own is ended.
		{"DELETE /api/v1/sessions/{sessionID}", func(w *authzWorld, c matrixCaller) authzCall {
			return w.withSession(c, "DELETE", "/api/v1/sessions/%d")
		}, forSession204},
		{"PATCH /api/v1/account", fixed("PATCH", func(*authzWorld) string { return "/api/v1/account" }, map[string]any{"display_name": "Renamed"}), forSession200},
		{"PUT /api/v1/account/password", fixed("PUT", func(*authzWorld) string { return "/api/v1/account/password" },
			map[string]any{"current": staffPassword, "new": staffPassword}), forSession204},
		{"GET /api/v1/account/tokens", get("/api/v1/account/tokens"), forSession200},
		{"POST /api/v1/account/tokens", func(w *authzWorld, c matrixCaller) authzCall {
			return authzCall{method: "POST", path: "/api/v1/account/tokens", body: map[string]any{"name": "ci", "roles": []string{"moderator"}}}
		}, "401 401 401 201 201 201 201 201 403 403"},
		{"DELETE /api/v1/account/tokens/{tokenID}", func(w *authzWorld, c matrixCaller) authzCall {
			a := w.account(c)
			if a == nil {
				a = w.accounts[asOwner]
			}
			id := w.tokenID(a)
			return authzCall{method: "DELETE", path: fmt.Sprintf("/api/v1/account/tokens/%d", id)}
		}, forSession204},
		// Passkeys: one's own, from a browser session. The matrix serves at
		// 127.0.0.1, where WebAuthn cannot work (no host name): a caller
		// who may go on gets 400 there (passkeys_test.go runs them at
		// localhost).
		{"POST /api/v1/account/passkeys/options", fixed("POST", func(*authzWorld) string { return "/api/v1/account/passkeys/options" }, nil),
			"401 401 401 400 400 400 400 400 403 403"},
		{"GET /api/v1/account/passkeys", get("/api/v1/account/passkeys"), forSession200},
		{"POST /api/v1/account/passkeys", fixed("POST", func(*authzWorld) string { return "/api/v1/account/passkeys" },
			map[string]any{"ceremony": "koe_c_x", "credential": map[string]any{}}), "401 401 401 400 400 400 400 400 403 403"},
		{"PATCH /api/v1/account/passkeys/{passkeyID}", func(w *authzWorld, c matrixCaller) authzCall {
			return authzCall{method: "PATCH", path: fmt.Sprintf("/api/v1/account/passkeys/%d", w.passkeyID(c)), body: map[string]any{"name": "Renamed"}}
		}, forSession200},
		{"DELETE /api/v1/account/passkeys/{passkeyID}", func(w *authzWorld, c matrixCaller) authzCall {
			return authzCall{method: "DELETE", path: fmt.Sprintf("/api/v1/account/passkeys/%d", w.passkeyID(c))}
		}, forSession204},
		{"GET /api/v1/accounts", get("/api/v1/accounts"), fmt.Sprintf(forAdmin, "200")},
		{"POST /api/v1/accounts", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: "/api/v1/accounts", body: map[string]any{
				"login": fmt.Sprintf("made-%d", w.unique()), "display_name": "Made", "password": staffPassword}}
		}, fmt.Sprintf(forAdmin, "201")},
		{"PATCH /api/v1/accounts/{accountID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PATCH", path: fmt.Sprintf("/api/v1/accounts/%d", w.accounts[asPresenter].ID), body: map[string]any{"display_name": "Pres"}}
		}, fmt.Sprintf(forAdmin, "200")},
		// An invitation's secret is the right to see it or sign up with it.
		{"POST /api/v1/invitations/preview", func(w *authzWorld, _ matrixCaller) authzCall {
			_, secret := w.invitation()
			return authzCall{method: "POST", path: "/api/v1/invitations/preview", body: map[string]any{"token": secret}}
		}, forAll200},
		// Accepting needs an account, from a browser.
		{"POST /api/v1/invitations/accept", func(w *authzWorld, _ matrixCaller) authzCall {
			_, secret := w.invitation()
			return authzCall{method: "POST", path: "/api/v1/invitations/accept", body: map[string]any{"token": secret}}
		}, "401 401 401 200 200 409 409 200 403 403"},
		{"POST /api/v1/invitations/signup", func(w *authzWorld, _ matrixCaller) authzCall {
			_, secret := w.invitation()
			return authzCall{method: "POST", path: "/api/v1/invitations/signup", body: map[string]any{
				"token": secret, "login": fmt.Sprintf("new-%d", w.unique()), "display_name": "New", "password": staffPassword}}
		}, "201 201 201 201 201 201 201 201 201 201"},
		{"GET /api/v1/audit", get("/api/v1/audit"), fmt.Sprintf(forAdmin, "200")},

		// Events: staff see those they work on; admins make them.
		{"GET /api/v1/events", get("/api/v1/events"), "401 403 403 200 200 200 200 200 200 200"},
		{"POST /api/v1/events", fixed("POST", func(*authzWorld) string { return "/api/v1/events" }, map[string]any{"title": "Matrix"}),
			fmt.Sprintf(forAdmin, "201")},
		{"GET /api/v1/events/{eventID}", func(w *authzWorld, _ matrixCaller) authzCall { return authzCall{method: "GET", path: E(w)} },
			"401 200 403 200 200 403 200 200 200 403"},
		{"PATCH /api/v1/events/{eventID}", fixed("PATCH", E, map[string]any{"title": "Renamed"}),
			"401 403 403 403 403 403 200 200 200 403"},
		{"GET /api/v1/events/{eventID}/passcode", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/passcode"}
		}, "401 403 403 403 403 403 200 200 200 403"},
		{"GET /api/v1/events/{eventID}/me", func(w *authzWorld, _ matrixCaller) authzCall { return authzCall{method: "GET", path: E(w) + "/me"} },
			"401 200 403 200 200 403 200 200 200 403"},
		{"GET /api/v1/events/{eventID}/talks", func(w *authzWorld, _ matrixCaller) authzCall { return authzCall{method: "GET", path: E(w) + "/talks"} },
			"401 200 403 200 200 403 200 200 200 403"},
		{"POST /api/v1/events/{eventID}/talks", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: E(w) + "/talks", body: map[string]any{"title": "Lightning"}}
		}, "401 403 403 403 403 403 201 201 201 403"},
		{"GET /api/v1/events/{eventID}/talks/{talkID}", func(w *authzWorld, _ matrixCaller) authzCall { return authzCall{method: "GET", path: T(w)} },
			"401 200 403 200 200 403 200 200 200 403"},
		{"PATCH /api/v1/events/{eventID}/talks/{talkID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PATCH", path: T(w), body: map[string]any{"speaker": "Grace"}}
		}, "401 403 403 403 403 403 200 200 200 403"},
		{"PUT /api/v1/events/{eventID}/talks/{talkID}/highlight", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PUT", path: T(w) + "/highlight", body: map[string]any{"question_id": w.q.ID}}
		}, "401 403 403 200 200 403 200 200 200 403"},

		// An event's staff, invitations and audit log: its owners.
		{"GET /api/v1/events/{eventID}/staff", func(w *authzWorld, _ matrixCaller) authzCall { return authzCall{method: "GET", path: E(w) + "/staff"} },
			"401 403 403 403 403 403 200 200 200 403"},
		{"PUT /api/v1/events/{eventID}/staff/{accountID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PUT", path: fmt.Sprintf("%s/staff/%d", E(w), w.accounts[asPresenter].ID), body: map[string]any{"role": "presenter"}}
		}, "401 403 403 403 403 403 200 200 200 403"},
		{"DELETE /api/v1/events/{eventID}/staff/{accountID}", func(w *authzWorld, _ matrixCaller) authzCall {
			m := w.h.member(w.e.ID, koe.RoleModerator)
			return authzCall{method: "DELETE", path: fmt.Sprintf("%s/staff/%d", E(w), m.ID)}
		}, "401 403 403 403 403 403 204 204 204 403"},
		{"GET /api/v1/events/{eventID}/invitations", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/invitations"}
		}, "401 403 403 403 403 403 200 200 200 403"},
		{"POST /api/v1/events/{eventID}/invitations", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: E(w) + "/invitations", body: map[string]any{"role": "presenter", "talks": []int64{w.tk.ID}}}
		}, "401 403 403 403 403 403 201 201 201 403"},
		{"DELETE /api/v1/events/{eventID}/invitations/{invitationID}", func(w *authzWorld, _ matrixCaller) authzCall {
			var inv struct {
				ID int64 `json:"id"`
			}
			w.h.staff.post(E(w)+"/invitations", map[string]any{"role": "moderator"}).decode(w.h.t, &inv)
			return authzCall{method: "DELETE", path: fmt.Sprintf("%s/invitations/%d", E(w), inv.ID)}
		}, "401 403 403 403 403 403 204 204 204 403"},
		{"GET /api/v1/events/{eventID}/audit", func(w *authzWorld, _ matrixCaller) authzCall { return authzCall{method: "GET", path: E(w) + "/audit"} },
			"401 403 403 403 403 403 200 200 200 403"},

		// Questions: participants ask and like; staff moderate and present.
		{"GET /api/v1/events/{eventID}/talks/{talkID}/questions", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: T(w) + "/questions"}
		}, "401 200 403 200 200 403 200 200 200 403"},
		{"POST /api/v1/events/{eventID}/talks/{talkID}/questions", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: T(w) + "/questions", body: map[string]any{"body": fmt.Sprintf("Question %d?", w.unique())}}
		}, "401 201 403 403 403 403 403 403 403 403"},
		{"GET /api/v1/events/{eventID}/talks/{talkID}/questions/{questionID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: Q(w)}
		}, "401 200 403 200 200 403 200 200 200 403"},
		{"PATCH /api/v1/events/{eventID}/talks/{talkID}/questions/{questionID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PATCH", path: Q(w), body: map[string]any{"answered": false}}
		}, "401 403 403 200 200 403 200 200 200 403"},
		{"PUT /api/v1/events/{eventID}/talks/{talkID}/questions/{questionID}/like", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PUT", path: Q(w) + "/like"}
		}, "401 200 403 403 403 403 403 403 403 403"},
		{"DELETE /api/v1/events/{eventID}/talks/{talkID}/questions/{questionID}/like", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "DELETE", path: Q(w) + "/like"}
		}, "401 200 403 403 403 403 403 403 403 403"},
		{"GET /api/v1/events/{eventID}/talks/{talkID}/questions/{questionID}/replies", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: Q(w) + "/replies"}
		}, "401 200 403 200 200 403 200 200 200 403"},
		{"POST /api/v1/events/{eventID}/talks/{talkID}/questions/{questionID}/replies", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: Q(w) + "/replies", body: map[string]any{"body": "Thanks"}}
		}, "401 403 403 201 201 403 201 201 201 403"},

		// Moderation: the event's owners and moderators.
		{"GET /api/v1/events/{eventID}/moderation", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/moderation"}
		}, forModerators("200")},
		{"PUT /api/v1/events/{eventID}/moderation", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PUT", path: E(w) + "/moderation", body: koe.DefaultModerationConfig()}
		}, forModerators("200")},
		{"GET /api/v1/events/{eventID}/reviews", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/reviews"}
		}, forModerators("200")},
		{"POST /api/v1/events/{eventID}/reviews/decisions", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: E(w) + "/reviews/decisions", body: map[string]any{"ids": []int64{w.review().ID}, "decision": "approve"}}
		}, forModerators("200")},
		{"POST /api/v1/events/{eventID}/reviews/{reviewID}/claim", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: fmt.Sprintf("%s/reviews/%d/claim", E(w), w.review().ID)}
		}, forModerators("200")},
		{"DELETE /api/v1/events/{eventID}/reviews/{reviewID}/claim", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "DELETE", path: fmt.Sprintf("%s/reviews/%d/claim", E(w), w.review().ID)}
		}, forModerators("200")},
		{"POST /api/v1/events/{eventID}/reviews/{reviewID}/decision", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: fmt.Sprintf("%s/reviews/%d/decision", E(w), w.review().ID), body: map[string]any{"decision": "reject"}}
		}, forModerators("200")},
		// Only the moderator who decided may undo.
		{"POST /api/v1/events/{eventID}/reviews/{reviewID}/undo", func(w *authzWorld, c matrixCaller) authzCall {
			return authzCall{method: "POST", path: fmt.Sprintf("%s/reviews/%d/undo", E(w), w.decidedReview(c).ID)}
		}, forModerators("200")},
		{"GET /api/v1/events/{eventID}/bans", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/bans"}
		}, forModerators("200")},
		{"POST /api/v1/events/{eventID}/bans", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: E(w) + "/bans", body: map[string]any{"review_id": w.review().ID}}
		}, forModerators("201")},
		{"DELETE /api/v1/events/{eventID}/bans/{banID}", func(w *authzWorld, _ matrixCaller) authzCall {
			b := &koe.Ban{EventID: w.e.ID, ParticipantID: w.review().ParticipantID, By: "matrix"}
			if err := w.h.store.CreateBan(context.Background(), b, false); err != nil {
				w.h.t.Fatal(err)
			}
			return authzCall{method: "DELETE", path: fmt.Sprintf("%s/bans/%d", E(w), b.ID)}
		}, forModerators("204")},

		// The social feed: sources are the owners', posts the moderators',
		// the featured post everyone's; a webhook delivery needs its
		// signature, not a caller.
		{"GET /api/v1/events/{eventID}/sources", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/sources"}
		}, forModerators("200")},
		{"POST /api/v1/events/{eventID}/sources", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: E(w) + "/sources", body: map[string]any{"kind": "webhook"}}
		}, "401 403 403 403 403 403 201 201 201 403"},
		{"GET /api/v1/events/{eventID}/sources/{sourceID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: fmt.Sprintf("%s/sources/%d", E(w), w.source().ID)}
		}, forModerators("200")},
		{"PATCH /api/v1/events/{eventID}/sources/{sourceID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PATCH", path: fmt.Sprintf("%s/sources/%d", E(w), w.source().ID), body: map[string]any{"name": "Renamed"}}
		}, "401 403 403 403 403 403 200 200 200 403"},
		{"DELETE /api/v1/events/{eventID}/sources/{sourceID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "DELETE", path: fmt.Sprintf("%s/sources/%d", E(w), w.source().ID)}
		}, "401 403 403 403 403 403 204 204 204 403"},
		{"POST /api/v1/events/{eventID}/sources/{sourceID}/secret", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: fmt.Sprintf("%s/sources/%d/secret", E(w), w.source().ID)}
		}, "401 403 403 403 403 403 200 200 200 403"},
		// Outbound webhooks are the owners'.
		{"GET /api/v1/events/{eventID}/webhooks", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/webhooks"}
		}, forOwners("200")},
		{"POST /api/v1/events/{eventID}/webhooks", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: E(w) + "/webhooks", body: map[string]any{"url": "https://hooks.example/koe", "events": []string{"question.created"}}}
		}, forOwners("201")},
		{"GET /api/v1/events/{eventID}/webhooks/{webhookID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: fmt.Sprintf("%s/webhooks/%d", E(w), w.webhook().ID)}
		}, forOwners("200")},
		{"PATCH /api/v1/events/{eventID}/webhooks/{webhookID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PATCH", path: fmt.Sprintf("%s/webhooks/%d", E(w), w.webhook().ID), body: map[string]any{"enabled": false}}
		}, forOwners("200")},
		{"DELETE /api/v1/events/{eventID}/webhooks/{webhookID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "DELETE", path: fmt.Sprintf("%s/webhooks/%d", E(w), w.webhook().ID)}
		}, forOwners("204")},
		{"POST /api/v1/events/{eventID}/webhooks/{webhookID}/secret", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: fmt.Sprintf("%s/webhooks/%d/secret", E(w), w.webhook().ID)}
		}, forOwners("200")},
		{"POST /api/v1/events/{eventID}/webhooks/{webhookID}/ping", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: fmt.Sprintf("%s/webhooks/%d/ping", E(w), w.webhook().ID)}
		}, forOwners("202")},
		{"GET /api/v1/events/{eventID}/webhooks/{webhookID}/deliveries", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: fmt.Sprintf("%s/webhooks/%d/deliveries", E(w), w.webhook().ID)}
		}, forOwners("200")},
		{"POST /api/v1/events/{eventID}/webhooks/{webhookID}/deliveries/{deliveryID}/redeliver", func(w *authzWorld, _ matrixCaller) authzCall {
			d := w.delivery()
			return authzCall{method: "POST", path: fmt.Sprintf("%s/webhooks/%d/deliveries/%d/redeliver", E(w), d.TargetID, d.ID)}
		}, forOwners("200")},
		// The logo: set by owners, served to everyone.
		{"PUT /api/v1/events/{eventID}/logo", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PUT", path: E(w) + "/logo", body: testPNG(w.h.t, 4, 4), header: http.Header{"Content-Type": {"image/png"}}}
		}, forOwners("200")},
		{"DELETE /api/v1/events/{eventID}/logo", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "DELETE", path: E(w) + "/logo"}
		}, forOwners("200")},
		{"GET /api/v1/events/{eventID}/logo/{version}", func(w *authzWorld, _ matrixCaller) authzCall {
			e, err := w.h.store.SetEventLogo(context.Background(), w.e.ID, checkedLogo(w.h.t, testPNG(w.h.t, 2, 2)))
			if err != nil {
				w.h.t.Fatal(err)
			}
			return authzCall{method: "GET", path: E(w) + "/logo/" + e.Settings.Logo}
		}, "200 200 200 200 200 200 200 200 200 200"},

		// Slack: the connection is the owners'; a button press needs
		// Slack's signature, not a caller; any staff account links its
		// Slack user (a bad link is refused).
		{"GET /api/v1/events/{eventID}/slack", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/slack"}
		}, forOwners("200")},
		{"PUT /api/v1/events/{eventID}/slack", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PUT", path: E(w) + "/slack", body: map[string]any{"channel": "C0KOE", "webhook_url": "https://hooks.slack.example/T/B/x"}}
		}, forOwners("200")},
		{"DELETE /api/v1/events/{eventID}/slack", func(w *authzWorld, _ matrixCaller) authzCall {
			w.slack()
			return authzCall{method: "DELETE", path: E(w) + "/slack"}
		}, forOwners("204")},
		{"POST /api/v1/events/{eventID}/slack/test", func(w *authzWorld, _ matrixCaller) authzCall {
			w.slack()
			return authzCall{method: "POST", path: E(w) + "/slack/test"}
		}, forOwners("202")},
		{"POST /api/v1/slack/interactions", func(w *authzWorld, _ matrixCaller) authzCall {
			st := w.slack()
			body, h, err := st.BuildInteraction(slacktest.InteractionInput{UserID: fmt.Sprintf("U%d", w.unique()), ActionID: slack.ActionApprove,
				Value: fmt.Sprintf("%d:%d", w.e.ID, w.review().ID), MessageTS: "1700000000.000100"})
			if err != nil {
				w.h.t.Fatal(err)
			}
			return authzCall{method: "POST", path: "/api/v1/slack/interactions", body: body, header: h}
		}, "200 200 200 200 200 200 200 200 200 200"},
		{"POST /api/v1/slack/link", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: "/api/v1/slack/link", body: map[string]any{"token": "koesl1.e30.bad"}}
		}, "401 401 401 400 400 400 400 400 403 403"},
		{"GET /api/v1/events/{eventID}/posts", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/posts"}
		}, forModerators("200")},
		{"GET /api/v1/events/{eventID}/posts/{postID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: fmt.Sprintf("%s/posts/%d", E(w), w.post().ID)}
		}, forModerators("200")},
		{"PATCH /api/v1/events/{eventID}/posts/{postID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PATCH", path: fmt.Sprintf("%s/posts/%d", E(w), w.post().ID), body: map[string]any{"featured": true}}
		}, forModerators("200")},
		{"POST /api/v1/events/{eventID}/posts/{postID}/engage", func(w *authzWorld, _ matrixCaller) authzCall {
			// A webhook's post: koe cannot act on it anywhere.
			return authzCall{method: "POST", path: fmt.Sprintf("%s/posts/%d/engage", E(w), w.post().ID), body: map[string]any{"action": "boost"}}
		}, forModerators("400")},
		// Screen links are the owners'; a link's page asks what it is
		// for with the link's secret, not a caller's credentials (viewers
		// have a test of their own: screens_test.go); participants react,
		// and everyone in the event reads the totals.
		{"GET /api/v1/events/{eventID}/screen-links", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/screen-links"}
		}, forOwners("200")},
		{"POST /api/v1/events/{eventID}/screen-links", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: E(w) + "/screen-links", body: map[string]any{"kind": "overlay", "label": "OBS"}}
		}, forOwners("201")},
		{"POST /api/v1/events/{eventID}/screen-links/{linkID}/secret", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: fmt.Sprintf("%s/screen-links/%d/secret", E(w), w.screenLink().ID)}
		}, forOwners("200")},
		{"DELETE /api/v1/events/{eventID}/screen-links/{linkID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "DELETE", path: fmt.Sprintf("%s/screen-links/%d", E(w), w.screenLink().ID)}
		}, forOwners("204")},
		{"GET /api/v1/viewer", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: "/api/v1/viewer"}
		}, "401 401 401 401 401 401 401 401 401 401"},
		{"POST /api/v1/events/{eventID}/talks/{talkID}/reactions", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: T(w) + "/reactions", body: map[string]any{"emoji": "👏"}}
		}, "401 204 403 403 403 403 403 403 403 403"},
		{"GET /api/v1/events/{eventID}/talks/{talkID}/reactions", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: T(w) + "/reactions"}
		}, "401 200 403 200 200 403 200 200 200 403"},
		// Polls: the talk's staff prepare and run them, participants vote,
		// everyone in the event reads them.
		{"GET /api/v1/events/{eventID}/talks/{talkID}/polls", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: T(w) + "/polls"}
		}, "401 200 403 200 200 403 200 200 200 403"},
		{"POST /api/v1/events/{eventID}/talks/{talkID}/polls", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "POST", path: T(w) + "/polls", body: map[string]any{"kind": "rating", "question": "How was it?"}}
		}, "401 403 403 201 201 403 201 201 201 403"},
		{"GET /api/v1/events/{eventID}/talks/{talkID}/polls/{pollID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: fmt.Sprintf("%s/polls/%d", T(w), w.poll(koe.PollOpen).ID)}
		}, "401 200 403 200 200 403 200 200 200 403"},
		{"PATCH /api/v1/events/{eventID}/talks/{talkID}/polls/{pollID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PATCH", path: fmt.Sprintf("%s/polls/%d", T(w), w.poll(koe.PollDraft).ID), body: map[string]any{"results_mode": "hidden"}}
		}, "401 403 403 200 200 403 200 200 200 403"},
		{"DELETE /api/v1/events/{eventID}/talks/{talkID}/polls/{pollID}", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "DELETE", path: fmt.Sprintf("%s/polls/%d", T(w), w.poll(koe.PollDraft).ID)}
		}, "401 403 403 204 204 403 204 204 204 403"},
		{"PUT /api/v1/events/{eventID}/talks/{talkID}/polls/{pollID}/vote", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PUT", path: fmt.Sprintf("%s/polls/%d/vote", T(w), w.poll(koe.PollOpen).ID), body: map[string]any{"rating": 4}}
		}, "401 200 403 403 403 403 403 403 403 403"},
		{"GET /api/v1/events/{eventID}/talks/{talkID}/polls/{pollID}/results", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: fmt.Sprintf("%s/polls/%d/results", T(w), w.poll(koe.PollOpen).ID)}
		}, "401 200 403 200 200 403 200 200 200 403"},
		// Exports: the event's staff; a limited presenter exports their
		// talks only (not the event); held items: moderators and owners.
		{"GET /api/v1/events/{eventID}/export", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/export?format=csv"}
		}, "401 403 403 200 200 403 200 200 200 403"},
		{"GET /api/v1/events/{eventID}/talks/{talkID}/export", func(w *authzWorld, c matrixCaller) authzCall {
			if c == asModerator {
				return authzCall{method: "GET", path: T(w) + "/export?format=md&all=true"}
			}
			return authzCall{method: "GET", path: T(w) + "/export?format=json"}
		}, "401 403 403 200 200 403 200 200 200 403"},
		// The schedule: owners; rooms: everyone who reads the event;
		// reports: as exports.
		{"POST /api/v1/events/{eventID}/schedule/import", func(w *authzWorld, _ matrixCaller) authzCall {
			schedule := `{"schedule":{"conference":{"title":"C","days":[{"date":"2026-10-10","rooms":{"Hall":[{"id":1,"title":"T","date":"2026-10-10T10:00:00+09:00","duration":"00:30","persons":[]}]}}]}}}`
			return authzCall{method: "POST", path: E(w) + "/schedule/import", body: map[string]any{"data": schedule, "dry_run": true}}
		}, forOwners("200")},
		{"GET /api/v1/events/{eventID}/schedule/source", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/schedule/source"}
		}, forOwners("404")},
		{"PUT /api/v1/events/{eventID}/schedule/source", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "PUT", path: E(w) + "/schedule/source", body: map[string]any{"url": "https://schedule.example/c.json", "refresh_minutes": 0}}
		}, forOwners("200")},
		{"DELETE /api/v1/events/{eventID}/schedule/source", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "DELETE", path: E(w) + "/schedule/source"}
		}, forOwners("204")},
		{"GET /api/v1/events/{eventID}/rooms", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/rooms"}
		}, "401 200 403 200 200 403 200 200 200 403"},
		{"GET /api/v1/events/{eventID}/report", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/report"}
		}, "401 403 403 200 200 403 200 200 200 403"},
		{"GET /api/v1/events/{eventID}/talks/{talkID}/report", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: T(w) + "/report"}
		}, "401 403 403 200 200 403 200 200 200 403"},
		{"GET /api/v1/events/{eventID}/featured", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/featured"}
		}, "401 200 403 200 200 403 200 200 200 403"},
		{"POST /api/v1/ingest/{sourceID}", func(w *authzWorld, _ matrixCaller) authzCall {
			src := w.source()
			body := []byte(fmt.Sprintf(`{"posts":[{"id":"m-%d","text":"signed"}]}`, w.unique()))
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			return authzCall{method: "POST", path: fmt.Sprintf("/api/v1/ingest/%d", src.ID), body: json.RawMessage(body), header: http.Header{
				webhook.TimestampHeader: {ts}, webhook.SignatureHeader: {webhook.Sign(src.Config.Secret, ts, body)}}}
		}, "200 200 200 200 200 200 200 200 200 200"},

		// Real-time: a WebSocket handshake and an event stream.
		{"GET /api/v1/events/{eventID}/live", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/live", header: http.Header{
				"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Version": {"13"},
				"Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}}
		}, "401 101 403 101 101 403 101 101 101 403"},
		{"GET /api/v1/events/{eventID}/sse", func(w *authzWorld, _ matrixCaller) authzCall {
			return authzCall{method: "GET", path: E(w) + "/sse?topic=event"}
		}, "401 200 403 200 200 403 200 200 200 403"},
	}
}

// forModerators is the row of a moderators' route that answers status.
func forModerators(status string) string {
	return strings.NewReplacer("S", status).Replace("401 403 403 403 S 403 S S S 403")
}

// forOwners is the row of a route for the event's owners (and admins).
func forOwners(status string) string {
	return strings.NewReplacer("S", status).Replace("401 403 403 403 403 403 S S S 403")
}

// review stores a new participant's pending question of event E with its
// review, and returns the review.
func (w *authzWorld) review() *koe.Review {
	ctx := context.Background()
	p := &koe.Participant{EventID: w.e.ID, DisplayName: fmt.Sprintf("Asker %d", w.unique())}
	if err := w.h.store.CreateParticipant(ctx, p); err != nil {
		w.h.t.Fatal(err)
	}
	rev := &koe.Review{EventID: w.e.ID, TalkID: w.tk.ID, ParticipantID: p.ID, AuthorName: p.DisplayName,
		Body: "Held for review?", State: koe.ReviewPending, Reasons: []byte(`[]`)}
	q := &koe.Question{EventID: w.e.ID, TalkID: w.tk.ID, ParticipantID: p.ID, Body: rev.Body, Status: koe.StatusPending}
	if err := w.h.store.CreateQuestion(ctx, q, rev); err != nil {
		w.h.t.Fatal(err)
	}
	return rev
}

// slack connects event E to a new server speaking Slack's wire format
// (its signing secret), if it is not connected yet, and returns the
// server.
func (w *authzWorld) slack() *slacktest.Server {
	st := slacktest.New()
	w.h.t.Cleanup(st.Close)
	_, err := w.h.store.SetSlackConnection(context.Background(), w.e.ID, koe.SlackUpdate{Enabled: ptrTo(true), Channel: ptrTo(slacktest.DefaultChannel),
		SigningSecret: &st.SigningSecret, WebhookURL: ptrTo(st.HookURL())})
	if err != nil {
		w.h.t.Fatal(err)
	}
	return st
}

// webhook stores a new webhook of event E (disabled: nothing is sent).
func (w *authzWorld) webhook() *koe.Webhook {
	hook := &koe.Webhook{EventID: w.e.ID, URL: fmt.Sprintf("https://hooks.example/%d", w.unique()), Events: []koe.WebhookEvent{koe.HookTalkUpdated},
		Secret: auth.NewSecret("whsec_")}
	if err := w.h.store.CreateWebhook(context.Background(), hook); err != nil {
		w.h.t.Fatal(err)
	}
	return hook
}

// screenLink stores a screen link of event E.
func (w *authzWorld) screenLink() *koe.ScreenLink {
	l := &koe.ScreenLink{EventID: w.e.ID, Kind: koe.ScreenProjector, Label: "Room A", Secret: auth.NewSecret(auth.ScreenPrefix)}
	if err := w.h.store.CreateScreenLink(context.Background(), l); err != nil {
		w.h.t.Fatal(err)
	}
	return l
}

// poll stores a rating poll in talk T, in state st (draft or open).
func (w *authzWorld) poll(st koe.PollState) *koe.Poll {
	ctx := context.Background()
	p := &koe.Poll{EventID: w.e.ID, TalkID: w.tk.ID, Kind: koe.PollRating, Question: "How was it?", Results: koe.ResultsLive}
	if err := w.h.store.CreatePoll(ctx, p); err != nil {
		w.h.t.Fatal(err)
	}
	if st == koe.PollDraft {
		return p
	}
	opened, err := w.h.store.UpdatePoll(ctx, w.e.ID, w.tk.ID, p.ID, koe.PollUpdate{State: &st})
	if err != nil {
		w.h.t.Fatal(err)
	}
	return opened
}

// delivery stores a delivery to a new webhook of event E.
func (w *authzWorld) delivery() *koe.Delivery {
	hook := w.webhook()
	d := &koe.Delivery{EventID: w.e.ID, Target: koe.TargetWebhook, TargetID: hook.ID, Key: "matrix", Type: "ping", Payload: []byte(`{}`), NextAt: time.Now()}
	if err := w.h.store.EnqueueDeliveries(context.Background(), []*koe.Delivery{d}); err != nil {
		w.h.t.Fatal(err)
	}
	return d
}

// source stores a new webhook source of event E, with its secret.
func (w *authzWorld) source() *koe.Source {
	s := &koe.Source{EventID: w.e.ID, Kind: koe.SourceWebhook, Name: fmt.Sprintf("relay %d", w.unique()), Enabled: true,
		Config: koe.SourceConfig{Secret: auth.NewSecret("koewh_"), SecretSet: true}}
	if err := w.h.store.CreateSource(context.Background(), s); err != nil {
		w.h.t.Fatal(err)
	}
	return s
}

// post stores a new approved post of event E, from a new source.
func (w *authzWorld) post() *koe.Post {
	src := w.source()
	p := &koe.Post{Platform: koe.SourceWebhook, ExternalID: fmt.Sprintf("p-%d", w.unique()), Text: "Seen on the wall", Status: koe.StatusApproved}
	stored, err := w.h.store.IngestPosts(context.Background(), src.ID, []koe.IngestedPost{{Post: p}}, "")
	if err != nil || len(stored) != 1 {
		w.h.t.Fatal(err)
	}
	return stored[0]
}

// decidedReview returns a review the caller approved just now (the owner,
// for callers without an account).
func (w *authzWorld) decidedReview(c matrixCaller) *koe.Review {
	a := w.account(c)
	if a == nil || c == asToken || c == asTokenElsewhere {
		a = w.accounts[asOwner]
	}
	r, err := w.h.store.DecideReview(context.Background(), w.e.ID, w.review().ID,
		koe.ReviewDecision{Decision: koe.ReviewApproved, AccountID: a.ID, By: a.DisplayName}, nil)
	if err != nil {
		w.h.t.Fatal(err)
	}
	return r
}

// tokenID stores an API token of the account and returns its id.
func (w *authzWorld) tokenID(a *koe.Account) int64 {
	t := &koe.APIToken{AccountID: a.ID, Name: "to revoke", Hash: auth.Hash(auth.NewSecret(auth.APITokenPrefix)), Events: []int64{}, Roles: []koe.Role{koe.RoleModerator}}
	if err := w.h.store.CreateAPIToken(context.Background(), t); err != nil {
		w.h.t.Fatal(err)
	}
	return t.ID
}
