package api

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/koehq/koe"
)

// routes lists every route koe serves, top to bottom. docs/api and the
// OpenAPI document (openapi.yaml) describe the same list.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				s.writeError(w, r, err)
			}
		})
	}

	// Operations.
	handle("GET /healthz", s.healthz)
	handle("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}))
	handle("GET /api/openapi.json", s.openAPI)

	// Joining: anyone with the code. Staff sign browsers in with a token.
	handle("POST /api/v1/join", s.join)
	handle("POST /api/v1/session", s.createSession)
	handle("DELETE /api/v1/session", s.deleteSession)

	// Events and talks.
	handle("GET /api/v1/events", s.listEvents)                                      // staff
	handle("POST /api/v1/events", s.createEvent)                                    // staff
	handle("GET /api/v1/events/{eventID}", s.getEvent)                              // member
	handle("PATCH /api/v1/events/{eventID}", s.updateEvent)                         // staff
	handle("GET /api/v1/events/{eventID}/me", s.me)                                 // member
	handle("GET /api/v1/events/{eventID}/talks", s.listTalks)                       // member
	handle("POST /api/v1/events/{eventID}/talks", s.createTalk)                     // staff
	handle("GET /api/v1/events/{eventID}/talks/{talkID}", s.getTalk)                // member
	handle("PATCH /api/v1/events/{eventID}/talks/{talkID}", s.updateTalk)           // staff
	handle("PUT /api/v1/events/{eventID}/talks/{talkID}/highlight", s.setHighlight) // staff

	// Questions, likes and replies.
	const q = "/api/v1/events/{eventID}/talks/{talkID}/questions"
	handle("GET "+q, s.listQuestions)                        // member
	handle("POST "+q, s.askQuestion)                         // participant
	handle("GET "+q+"/{questionID}", s.getQuestion)          // member
	handle("PATCH "+q+"/{questionID}", s.updateQuestion)     // staff
	handle("PUT "+q+"/{questionID}/like", s.like)            // participant
	handle("DELETE "+q+"/{questionID}/like", s.unlike)       // participant
	handle("GET "+q+"/{questionID}/replies", s.listReplies)  // member
	handle("POST "+q+"/{questionID}/replies", s.createReply) // staff, or participant if enabled

	// Real-time.
	handle("GET /api/v1/events/{eventID}/live", s.live) // WebSocket, member
	handle("GET /api/v1/events/{eventID}/sse", s.sse)   // Server-Sent Events, member

	handle("/api/", func(http.ResponseWriter, *http.Request) error {
		return koe.Errorf(koe.ENOTFOUND, "no such API route")
	})
	if s.cfg.Static != nil {
		mux.Handle("/", s.cfg.Static)
	}
	return mux
}

// pathID reads a positive integer id from the path.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, koe.Errorf(koe.EINVALID, "%s must be a positive integer", name)
	}
	return id, nil
}

// pathIDs reads the ids named, in order.
func pathIDs(r *http.Request, names ...string) ([]int64, error) {
	ids := make([]int64, len(names))
	for i, n := range names {
		id, err := pathID(r, n)
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
	if err := s.store.Ping(r.Context()); err != nil {
		return koe.Errorf(koe.EUNAVAILABLE, "store unreachable")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}
