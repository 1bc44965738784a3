package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
)

// routes lists every route koe serves, top to bottom; the OpenAPI document
// (openapi.json, served at /api/openapi.json) describes the same list.
// Every route goes through handle, which authenticates the request and
// puts its principal in the context: no route can forget to.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// literal holds the paths routes name without a wildcard: such a path
	// is not served by a wildcard route of another method (PATCH
	// /api/v1/account/passkeys/options is no passkey's PATCH, but 405).
	literal := map[string]bool{}
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		if _, path, _ := strings.Cut(pattern, " "); !strings.Contains(path, "{") {
			literal[path] = true
		}
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			r, err := s.authenticate(w, r)
			if err == nil {
				err = h(w, r)
			}
			if err != nil {
				s.writeError(w, r, err)
			}
		})
	}

	// Operations.
	handle("GET /healthz", s.healthz)
	handle("GET /readyz", s.readyz)
	handle("GET /api/openapi.json", s.openAPI)
	handle("GET /api/v1/config", s.clientConfig)

	// Joining: anyone with the code.
	handle("POST /api/v1/join", s.join)
	handle("GET /api/v1/join/oidc", s.joinOIDC)

	// Staff: the first admin, sessions, accounts, API tokens.
	handle("GET /api/v1/setup", s.setupStatus)
	handle("POST /api/v1/setup", s.setup)
	handle("POST /api/v1/session", s.createSession)
	handle("POST /api/v1/session/passkey", s.beginPasskeySignIn)
	handle("GET /api/v1/session", s.whoami)
	handle("DELETE /api/v1/session", s.deleteSession)
	handle("GET /api/v1/session/oidc", s.oidcStart)             // 302 to the OpenID provider
	handle("GET /api/v1/session/oidc/callback", s.oidcCallback) // 302 back from it
	handle("GET /api/v1/sessions", s.listSessions)
	handle("DELETE /api/v1/sessions", s.revokeSessions)
	handle("DELETE /api/v1/sessions/{sessionID}", s.revokeSession)
	handle("PATCH /api/v1/account", s.updateMyAccount)
	handle("PUT /api/v1/account/password", s.changePassword)
	handle("GET /api/v1/account/tokens", s.listAPITokens)
	handle("POST /api/v1/account/tokens", s.createAPIToken)
	handle("DELETE /api/v1/account/tokens/{tokenID}", s.revokeAPIToken)
	handle("POST /api/v1/account/passkeys/options", s.beginPasskeyRegistration)
	handle("GET /api/v1/account/passkeys", s.listPasskeys)
	handle("POST /api/v1/account/passkeys", s.createPasskey)
	handle("PATCH /api/v1/account/passkeys/{passkeyID}", s.renamePasskey)
	handle("DELETE /api/v1/account/passkeys/{passkeyID}", s.deletePasskey)
	handle("GET /api/v1/accounts", s.listAccounts)
	handle("POST /api/v1/accounts", s.createAccount)
	handle("PATCH /api/v1/accounts/{accountID}", s.updateAccount)
	handle("POST /api/v1/invitations/preview", s.previewInvitation)
	handle("POST /api/v1/invitations/accept", s.acceptInvitation)
	handle("POST /api/v1/invitations/signup", s.signUp)
	handle("GET /api/v1/audit", s.installationAudit)

	// Events and talks.
	handle("GET /api/v1/events", s.listEvents)
	handle("POST /api/v1/events", s.createEvent)
	handle("GET /api/v1/events/{eventID}", s.getEvent)
	handle("PATCH /api/v1/events/{eventID}", s.updateEvent)
	handle("GET /api/v1/events/{eventID}/passcode", s.eventPasscode)
	handle("GET /api/v1/events/{eventID}/me", s.me)
	handle("GET /api/v1/events/{eventID}/talks", s.listTalks)
	handle("POST /api/v1/events/{eventID}/talks", s.createTalk)
	handle("GET /api/v1/events/{eventID}/talks/{talkID}", s.getTalk)
	handle("PATCH /api/v1/events/{eventID}/talks/{talkID}", s.updateTalk)
	handle("PUT /api/v1/events/{eventID}/talks/{talkID}/highlight", s.setHighlight)

	// An event's staff, invitations and audit log.
	handle("GET /api/v1/events/{eventID}/staff", s.listStaff)
	handle("PUT /api/v1/events/{eventID}/staff/{accountID}", s.setStaff)
	handle("DELETE /api/v1/events/{eventID}/staff/{accountID}", s.removeStaff)
	handle("GET /api/v1/events/{eventID}/invitations", s.listInvitations)
	handle("POST /api/v1/events/{eventID}/invitations", s.createInvitation)
	handle("DELETE /api/v1/events/{eventID}/invitations/{invitationID}", s.revokeInvitation)
	handle("GET /api/v1/events/{eventID}/audit", s.eventAudit)

	// Questions, likes and replies.
	const q = "/api/v1/events/{eventID}/talks/{talkID}/questions"
	handle("GET "+q, s.listQuestions)
	handle("POST "+q, s.askQuestion)
	handle("GET "+q+"/{questionID}", s.getQuestion)
	handle("PATCH "+q+"/{questionID}", s.updateQuestion)
	handle("PUT "+q+"/{questionID}/like", s.like)
	handle("DELETE "+q+"/{questionID}/like", s.unlike)
	handle("GET "+q+"/{questionID}/replies", s.listReplies)
	handle("POST "+q+"/{questionID}/replies", s.createReply)

	// Moderation: the queue, bans, the event's moderation settings.
	handle("GET /api/v1/events/{eventID}/moderation", s.getModeration)
	handle("PUT /api/v1/events/{eventID}/moderation", s.putModeration)
	handle("GET /api/v1/events/{eventID}/reviews", s.listReviews)
	handle("POST /api/v1/events/{eventID}/reviews/decisions", s.decideReviews)
	handle("POST /api/v1/events/{eventID}/reviews/{reviewID}/claim", s.claimReview)
	handle("DELETE /api/v1/events/{eventID}/reviews/{reviewID}/claim", s.releaseReview)
	handle("POST /api/v1/events/{eventID}/reviews/{reviewID}/decision", s.decideReview)
	handle("POST /api/v1/events/{eventID}/reviews/{reviewID}/undo", s.undoReview)
	handle("GET /api/v1/events/{eventID}/bans", s.listBans)
	handle("POST /api/v1/events/{eventID}/bans", s.createBan)
	handle("DELETE /api/v1/events/{eventID}/bans/{banID}", s.deleteBan)

	// The social feed: sources, posts, what the screen features; the
	// inbound webhook (signed, no other credential).
	handle("GET /api/v1/events/{eventID}/sources", s.listSources)
	handle("POST /api/v1/events/{eventID}/sources", s.createSource)
	handle("GET /api/v1/events/{eventID}/sources/{sourceID}", s.getSource)
	handle("PATCH /api/v1/events/{eventID}/sources/{sourceID}", s.updateSource)
	handle("DELETE /api/v1/events/{eventID}/sources/{sourceID}", s.deleteSource)
	handle("POST /api/v1/events/{eventID}/sources/{sourceID}/secret", s.renewSourceSecret)
	handle("GET /api/v1/events/{eventID}/posts", s.listPosts)
	handle("GET /api/v1/events/{eventID}/posts/{postID}", s.getPost)
	handle("PATCH /api/v1/events/{eventID}/posts/{postID}", s.updatePost)
	handle("POST /api/v1/events/{eventID}/posts/{postID}/engage", s.engagePost)
	handle("GET /api/v1/events/{eventID}/featured", s.featured)
	handle("POST /api/v1/ingest/{sourceID}", s.ingestWebhook)

	// Outbound webhooks (owners).
	handle("GET /api/v1/events/{eventID}/webhooks", s.listWebhooks)
	handle("POST /api/v1/events/{eventID}/webhooks", s.createWebhook)
	handle("GET /api/v1/events/{eventID}/webhooks/{webhookID}", s.getWebhook)
	handle("PATCH /api/v1/events/{eventID}/webhooks/{webhookID}", s.updateWebhook)
	handle("DELETE /api/v1/events/{eventID}/webhooks/{webhookID}", s.deleteWebhook)
	handle("POST /api/v1/events/{eventID}/webhooks/{webhookID}/secret", s.renewWebhookSecret)
	handle("POST /api/v1/events/{eventID}/webhooks/{webhookID}/ping", s.pingWebhook)
	handle("GET /api/v1/events/{eventID}/webhooks/{webhookID}/deliveries", s.listDeliveries)
	handle("POST /api/v1/events/{eventID}/webhooks/{webhookID}/deliveries/{deliveryID}/redeliver", s.redeliver)

	// The event's logo: set by owners, served to everyone.
	handle("PUT /api/v1/events/{eventID}/logo", s.setLogo)
	handle("DELETE /api/v1/events/{eventID}/logo", s.deleteLogo)
	handle("GET /api/v1/events/{eventID}/logo/{version}", s.getLogo)

	// Slack: the event's connection (owners); button presses (signed by
	// Slack); linking a Slack user to one's account.
	handle("GET /api/v1/events/{eventID}/slack", s.getSlack)
	handle("PUT /api/v1/events/{eventID}/slack", s.setSlack)
	handle("DELETE /api/v1/events/{eventID}/slack", s.deleteSlack)
	handle("POST /api/v1/events/{eventID}/slack/test", s.testSlack)
	handle("POST /api/v1/slack/interactions", s.slackInteraction)
	handle("POST /api/v1/slack/link", s.linkSlack)

	// Screens and the stream: screen links (owners), what a link is for,
	// live reactions.
	handle("GET /api/v1/events/{eventID}/screen-links", s.listScreenLinks)
	handle("POST /api/v1/events/{eventID}/screen-links", s.createScreenLink)
	handle("POST /api/v1/events/{eventID}/screen-links/{linkID}/secret", s.rotateScreenLink)
	handle("DELETE /api/v1/events/{eventID}/screen-links/{linkID}", s.deleteScreenLink)
	handle("GET /api/v1/viewer", s.viewer)
	handle("POST /api/v1/events/{eventID}/talks/{talkID}/reactions", s.react)
	handle("GET /api/v1/events/{eventID}/talks/{talkID}/reactions", s.reactionTotals)
	// Polls: staff prepare, open and close them; participants vote.
	handle("GET /api/v1/events/{eventID}/talks/{talkID}/polls", s.listPolls)
	handle("POST /api/v1/events/{eventID}/talks/{talkID}/polls", s.createPoll)
	handle("GET /api/v1/events/{eventID}/talks/{talkID}/polls/{pollID}", s.getPoll)
	handle("PATCH /api/v1/events/{eventID}/talks/{talkID}/polls/{pollID}", s.updatePoll)
	handle("DELETE /api/v1/events/{eventID}/talks/{talkID}/polls/{pollID}", s.deletePoll)
	handle("PUT /api/v1/events/{eventID}/talks/{talkID}/polls/{pollID}/vote", s.vote)
	handle("GET /api/v1/events/{eventID}/talks/{talkID}/polls/{pollID}/results", s.pollResults)

	// Exports: the event's or a talk's questions, polls and reactions.
	handle("GET /api/v1/events/{eventID}/export", s.exportEvent)
	handle("GET /api/v1/events/{eventID}/talks/{talkID}/export", s.exportTalk)
	// The schedule (owners), its rooms (everyone), the reports (as exports).
	handle("POST /api/v1/events/{eventID}/schedule/import", s.importSchedule)
	handle("GET /api/v1/events/{eventID}/schedule/source", s.getScheduleSource)
	handle("PUT /api/v1/events/{eventID}/schedule/source", s.setScheduleSource)
	handle("DELETE /api/v1/events/{eventID}/schedule/source", s.deleteScheduleSource)
	handle("GET /api/v1/events/{eventID}/rooms", s.listRooms)
	handle("GET /api/v1/events/{eventID}/report", s.eventReport)
	handle("GET /api/v1/events/{eventID}/talks/{talkID}/report", s.talkReport)

	// Real-time.
	handle("GET /api/v1/events/{eventID}/live", s.live) // WebSocket
	handle("GET /api/v1/events/{eventID}/sse", s.sse)   // Server-Sent Events

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" && !shadowed(pattern, r, literal) {
			mux.ServeHTTP(w, r)
			return
		}
		if isAPI(r.URL.Path) {
			s.unrouted(w, r, mux, literal)
			return
		}
		if s.cfg.Static != nil {
			s.cfg.Static.ServeHTTP(w, r)
			return
		}
		s.writeError(w, r, koe.Errorf(koe.ENOTFOUND, "not found"))
	})
}

func isAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz"
}

// methods are the methods a route may serve, in the order Allow lists them.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

// shadowed reports whether the route pattern matched r only by a
// wildcard, on a path that other routes name literally.
func shadowed(pattern string, r *http.Request, literal map[string]bool) bool {
	return literal[r.URL.Path] && strings.Contains(pattern, "{")
}

// unrouted answers an API request no route serves: 405 with Allow when the
// path has routes for other methods, 404 otherwise.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request, mux *http.ServeMux, literal map[string]bool) {
	var allow []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && !shadowed(pattern, probe, literal) {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		s.writeError(w, r, koe.Errorf(koe.ENOTFOUND, "no such API route"))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.writeError(w, r, &koe.Error{Code: koe.EMETHOD, Message: "this route serves " + strings.Join(slices.DeleteFunc(allow, func(m string) bool { return m == "HEAD" }), ", ")})
}

// authenticate returns r with its principal in the context, and keeps
// the browser's session cookie up to date: a rotated session replaces it,
// one that has ended is cleared.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	var eventID int64
	if v := r.PathValue("eventID"); v != "" {
		id, err := act.ParseID("eventID", v)
		if err != nil {
			return r, err
		}
		eventID = id
	}
	a, err := s.act.Authenticate(r.Context(), s.credentials(r), eventID)
	if err != nil {
		return r, err
	}
	switch {
	case a.Renewed != nil:
		s.setSession(w, *a.Renewed)
	case a.Stale:
		s.clearSession(w)
	}
	return r.WithContext(koe.NewContext(r.Context(), a.Principal)), nil
}

// pathIDs reads the ids named, in order.
func pathIDs(r *http.Request, names ...string) ([]int64, error) {
	ids := make([]int64, len(names))
	for i, n := range names {
		id, err := act.ParseID(n, r.PathValue(n))
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.hub.Draining() {
		return koe.Errorf(koe.EUNAVAILABLE, "draining")
	}
	if err := s.act.Ready(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}
