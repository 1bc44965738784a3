package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
	"github.com/koehq/koe/api"
	"github.com/koehq/koe/broker/redis"
	"github.com/koehq/koe/ingest"
	"github.com/koehq/koe/ingest/platforms"
	"github.com/koehq/koe/internal/testenv"
	"github.com/koehq/koe/outbox"
	"github.com/koehq/koe/ratelimit"
	"github.com/koehq/koe/realtime"
	"github.com/koehq/koe/store/postgres"
	"github.com/koehq/koe/store/sqlite"
)

// ownerToken is the owner token (KOE_OWNER_TOKEN) every harness accepts.
const ownerToken = "test-owner-token-0123456789abcdef0123"

// The OpenAPI document, loaded and validated once.
var (
	docOnce   sync.Once
	docSpec   *openapi3.T
	docRouter routers.Router
	docErr    error
)

func openAPI(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	docOnce.Do(func() {
		loader := openapi3.NewLoader()
		docSpec, docErr = loader.LoadFromData(api.OpenAPIDocument)
		if docErr != nil {
			docErr = fmt.Errorf("load: %w", docErr)
			return
		}
		if docErr = docSpec.Validate(context.Background()); docErr != nil {
			docErr = fmt.Errorf("validate: %w", docErr)
			return
		}
		docRouter, docErr = legacy.NewRouter(docSpec)
	})
	if docErr != nil {
		t.Fatalf("OpenAPI document: %v", docErr)
	}
	return docSpec, docRouter
}

// schemaOf returns a component schema of the document.
func schemaOf(t testing.TB, name string) *openapi3.Schema {
	t.Helper()
	doc, _ := openAPI(t)
	ref := doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		t.Fatalf("OpenAPI document has no schema %q", name)
	}
	return ref.Value
}

// checkSchema validates raw JSON against a component schema.
func checkSchema(t testing.TB, name string, raw []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Errorf("%s: not JSON: %v: %s", name, err, raw)
		return
	}
	if err := schemaOf(t, name).VisitJSON(v, openapi3.MultiErrors()); err != nil {
		t.Errorf("%s does not match the OpenAPI document: %v\n%s", name, err, raw)
	}
}

// authenticate stands in for the security schemes when the document is
// checked: it only asks that the credentials be present.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearer":
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && tok != "" {
			return nil
		}
		return errors.New("no bearer token")
	case "cookie":
		if c, err := r.Cookie("koe_p"); err == nil && c.Value != "" {
			return nil
		}
		return errors.New("no participant cookie")
	case "session":
		if c, err := r.Cookie("koe_session"); err == nil && c.Value != "" {
			return nil
		}
		return errors.New("no session cookie")
	case "screenKey":
		if r.URL.Query().Get("key") != "" {
			return nil
		}
		return errors.New("no key parameter")
	}
	return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
}

// The Markdown export is text, to the document's validator too.
func init() { openapi3filter.RegisterBodyDecoder("text/markdown", openapi3filter.PlainBodyDecoder) }

var (
	requestOptions  = &openapi3filter.Options{AuthenticationFunc: authenticate, MultiError: true}
	responseOptions = &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
)

// harness is a real koe API server on a fresh database: SQLite, or with
// KOE_TEST_API_STORE=postgres a PostgreSQL database and the Redis broker
// (the scaled mode), so that the same tests hold both to the document.
type harness struct {
	t     *testing.T
	store koe.Store
	hub   *realtime.Hub
	act   *act.Actions
	api   *api.Server
	srv   *httptest.Server
	reg   *prometheus.Registry
	hc    *http.Client
	staff *client
}

type harnessConfig struct {
	act act.Config
	api api.Config
	hub realtime.Options
}

type harnessOption func(*harnessConfig)

// withLimits sets the rate limits (the harness runs without any otherwise).
func withLimits(l ratelimit.Rates) harnessOption {
	return func(c *harnessConfig) { c.act.Limits = l }
}

// withStreams sets the real-time connection limits.
func withStreams(l act.StreamLimits) harnessOption {
	return func(c *harnessConfig) { c.act.Streams = l }
}

// withPresence publishes presence events at the interval (the harness
// effectively never does otherwise, so that streams hold only what the
// tests cause).
func withPresence(d time.Duration) harnessOption {
	return func(c *harnessConfig) { c.hub.PresenceInterval = d }
}

// withDeliveries sets how webhooks are delivered (the harness allows
// private destinations, so that tests reach their own servers).
func withDeliveries(o act.DeliveryOptions) harnessOption {
	return func(c *harnessConfig) { c.act.Deliveries = o }
}

// withClock sets the actions' clock (the store keeps its own).
func withClock(now func() time.Time) harnessOption {
	return func(c *harnessConfig) { c.act.Now = now }
}

// withSlack sets the installation's Slack (its API: a slacktest server).
func withSlack(c act.SlackConfig) harnessOption {
	return func(h *harnessConfig) { h.act.Slack = c }
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	openAPI(t)
	ctx := context.Background()
	st, broker := openBackend(t)
	quiet := slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	cfg := harnessConfig{
		act: act.Config{Store: st, Limits: ratelimit.Rates{}, Logger: quiet, OwnerToken: ownerToken, Platforms: platforms.All, Registry: reg,
			Ingest:     ingest.Options{PollEvery: 50 * time.Millisecond, Retry: 50 * time.Millisecond},
			Deliveries: act.DeliveryOptions{AllowPrivate: true, Poll: 50 * time.Millisecond}},
		api: api.Config{Registry: reg, Logger: quiet},
		hub: realtime.Options{
			FlushInterval:    5 * time.Millisecond,
			CoalesceInterval: 20 * time.Millisecond,
			PresenceInterval: time.Hour,
			Metrics:          realtime.NewMetrics(reg),
			Logger:           quiet,
		},
	}
	if broker != nil {
		cfg.hub.Broker, cfg.act.SharedBuckets = broker, broker
	}
	for _, o := range opts {
		o(&cfg)
	}
	hub := realtime.New(cfg.hub)
	cfg.act.Hub, cfg.api.Hub = hub, hub
	actions, err := act.New(ctx, cfg.act)
	if err != nil {
		t.Fatal(err)
	}
	cfg.api.Actions = actions
	// The outbox's consumers deliver what the requests commit, as in koe
	// serve.
	relayCtx, stopRelay := context.WithCancel(context.Background())
	waitRelay, err := outbox.New(st, actions.Consumers(), outbox.Options{Registry: reg, Logger: quiet}).Start(relayCtx)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(cfg.api)
	ts := httptest.NewServer(srv)
	h := &harness{
		t: t, store: st, hub: hub, act: actions, api: srv, srv: ts, reg: reg,
		hc: &http.Client{
			Transport:     &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
			Timeout:       30 * time.Second,
			CheckRedirect: noRedirects,
		},
	}
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		h.hc.CloseIdleConnections()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hub.Shutdown(sctx); err != nil {
			t.Errorf("hub shutdown: %v", err)
		}
		stopRelay()
		waitRelay()
		if err := st.Close(); err != nil {
			t.Errorf("store close: %v", err)
		}
		if broker != nil {
			_ = broker.Close()
		}
	})
	h.staff = h.client(ownerToken)
	return h
}

// openBackend opens the store the tests run on (see harness).
func openBackend(t *testing.T) (koe.Store, *redis.Broker) {
	t.Helper()
	ctx := context.Background()
	if os.Getenv("KOE_TEST_API_STORE") != "postgres" {
		st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "koe.db"))
		if err != nil {
			t.Fatal(err)
		}
		return st, nil
	}
	st, err := postgres.Open(ctx, testenv.PostgresDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := redis.New(testenv.RedisURL(t), redis.WithPrefix(fmt.Sprintf("koetest:api:%d:", time.Now().UnixNano())))
	if err != nil {
		t.Fatal(err)
	}
	return st, b
}

// client returns an API client sending token as bearer ("" for none).
func (h *harness) client(token string) *client {
	return &client{h: h, hc: h.hc, token: token}
}

// browser returns a client with a cookie jar and no bearer token.
func (h *harness) browser() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	hc := &http.Client{Transport: h.hc.Transport, Jar: jar, Timeout: 30 * time.Second, CheckRedirect: noRedirects}
	return &client{h: h, hc: hc}
}

// noRedirects makes clients see koe's redirects (the OpenID sign-in's)
// as they are, to be held to the document, instead of following them.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// client sends requests and holds every request and response to the
// OpenAPI document.
type client struct {
	h     *harness
	hc    *http.Client
	token string
}

// How a request is held to the document.
type reqCheck int

const (
	reqValid    reqCheck = iota // the document must accept the request
	reqRejected                 // the document must refuse it (the server should too)
	reqUnchecked
)

type callOpts struct {
	check       reqCheck
	header      http.Header
	noRespCheck bool
	noRoute     bool // the path is not in the document (catch-all)
	rawBody     bool
}

type callOpt func(*callOpts)

// docRejects says the request breaks the document on purpose.
func docRejects(o *callOpts) { o.check = reqRejected }

// unchecked says the request is not held to the document: the server
// refuses it although it matches the schema, or accepts it although it
// does not (lengths counted after normalisation).
func unchecked(o *callOpts) { o.check = reqUnchecked }

// notInDoc is for paths the document does not describe.
func notInDoc(o *callOpts) { o.noRoute = true; o.check = reqUnchecked }

// noResponseCheck skips validating the response (used for samples under load).
func noResponseCheck(o *callOpts) { o.noRespCheck = true }

func header(k, v string) callOpt {
	return func(o *callOpts) {
		if o.header == nil {
			o.header = http.Header{}
		}
		o.header.Set(k, v)
	}
}

// response is a finished response with its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	desc   string
}

func (r *response) String() string {
	return fmt.Sprintf("%s -> %d %s", r.desc, r.Status, bytes.TrimSpace(r.Body))
}

// decode reads the JSON body into v.
func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Errorf("%s: cannot decode body: %v", r, err)
	}
}

// errorCode is the code of an error response ("" if none).
func (r *response) errorCode() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// errorMessage is the message of an error response ("" if none).
func (r *response) errorMessage() string {
	var e struct {
		Error struct{ Message string } `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Message
}

// want checks the status and, for errors, the error code.
func (r *response) want(t testing.TB, status int, code string) bool {
	t.Helper()
	ok := r.Status == status
	if code != "" && r.errorCode() != code {
		ok = false
	}
	if !ok {
		if code != "" {
			t.Errorf("%s: want %d %s", r, status, code)
		} else {
			t.Errorf("%s: want %d", r, status)
		}
	}
	return ok
}

func (c *client) do(method, path string, body any, opts ...callOpt) *response {
	c.h.t.Helper()
	t := c.h.t
	var o callOpts
	for _, opt := range opts {
		opt(&o)
	}
	var raw []byte
	hasBody := body != nil
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatalf("marshal: %v", err)
		}
	}
	newReq := func() *http.Request {
		var rd io.Reader = http.NoBody
		if hasBody {
			rd = bytes.NewReader(raw)
		}
		req, err := http.NewRequest(method, c.h.srv.URL+path, rd)
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		if hasBody {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		for k, vs := range o.header {
			req.Header[k] = vs
		}
		return req
	}
	desc := method + " " + path
	req := newReq()

	var input *openapi3filter.RequestValidationInput
	if !o.noRoute {
		_, router := openAPI(t)
		vreq := newReq()
		if c.hc.Jar != nil {
			for _, ck := range c.hc.Jar.Cookies(vreq.URL) {
				vreq.AddCookie(ck)
			}
		}
		route, params, err := router.FindRoute(vreq)
		if err != nil {
			t.Errorf("%s: not in the OpenAPI document: %v", desc, err)
		} else {
			input = &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: requestOptions}
			switch o.check {
			case reqValid:
				if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
					t.Errorf("%s: request does not match the OpenAPI document: %v", desc, err)
				}
			case reqRejected:
				if err := openapi3filter.ValidateRequest(context.Background(), input); err == nil {
					t.Errorf("%s: the OpenAPI document accepts a request the test means to be invalid", desc)
				}
			}
		}
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		t.Errorf("%s: %v", desc, err)
		return &response{desc: desc}
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s: reading the body: %v", desc, err)
	}
	r := &response{Status: resp.StatusCode, Header: resp.Header, Body: rb, desc: desc}
	if input != nil && !o.noRespCheck {
		validateResponse(t, input, r)
	}
	return r
}

// validateResponse holds a response to the document.
func validateResponse(t testing.TB, input *openapi3filter.RequestValidationInput, r *response) {
	t.Helper()
	err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 r.Status,
		Header:                 r.Header,
		Body:                   io.NopCloser(bytes.NewReader(r.Body)),
		Options:                responseOptions,
	})
	if err != nil {
		t.Errorf("%s: response does not match the OpenAPI document: %v", r, err)
	}
}

// validateHTTPResponse holds a response whose body is not (or not all)
// read, such as a WebSocket handshake or an event stream, to the document.
func validateHTTPResponse(t testing.TB, req *http.Request, resp *http.Response) {
	t.Helper()
	_, router := openAPI(t)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Errorf("%s %s: not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(strings.NewReader("")),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: true},
	})
	if err != nil {
		t.Errorf("%s %s -> %d: response does not match the OpenAPI document: %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}
}

// Shorthands.

func (c *client) get(path string, opts ...callOpt) *response { return c.do("GET", path, nil, opts...) }
func (c *client) post(path string, body any, opts ...callOpt) *response {
	return c.do("POST", path, body, opts...)
}
func (c *client) patch(path string, body any, opts ...callOpt) *response {
	return c.do("PATCH", path, body, opts...)
}
func (c *client) put(path string, body any, opts ...callOpt) *response {
	return c.do("PUT", path, body, opts...)
}
func (c *client) del(path string, opts ...callOpt) *response {
	return c.do("DELETE", path, nil, opts...)
}

func eventPath(e int64) string { return fmt.Sprintf("/api/v1/events/%d", e) }
func talkPath(e, t int64) string {
	return fmt.Sprintf("/api/v1/events/%d/talks/%d", e, t)
}
func questionsPath(e, t int64) string { return talkPath(e, t) + "/questions" }
func questionPath(e, t, q int64) string {
	return fmt.Sprintf("%s/%d", questionsPath(e, t), q)
}

// Response bodies as the tests read them.

type joined struct {
	Event       koe.Event       `json:"event"`
	Participant koe.Participant `json:"participant"`
	Token       string          `json:"token"`
}

type stream struct {
	Topic  string `json:"topic"`
	Cursor string `json:"cursor"`
}

type questionPage struct {
	Questions  []koe.Question `json:"questions"`
	NextCursor *string        `json:"next_cursor"`
	Stream     stream         `json:"stream"`
}

type talkPage struct {
	Talks  []koe.Talk `json:"talks"`
	Stream stream     `json:"stream"`
}

// Fixtures. They report failures with Errorf so that goroutines may use them.

func (h *harness) createEvent(body map[string]any) koe.Event {
	h.t.Helper()
	if body == nil {
		body = map[string]any{"title": "KoeConf"}
	}
	var e koe.Event
	if r := h.staff.post("/api/v1/events", body); r.want(h.t, 201, "") {
		r.decode(h.t, &e)
	}
	return e
}

func (h *harness) createTalk(eventID int64, body map[string]any) koe.Talk {
	h.t.Helper()
	if body == nil {
		body = map[string]any{"title": "Keynote", "speaker": "Ada"}
	}
	var tk koe.Talk
	if r := h.staff.post(eventPath(eventID)+"/talks", body); r.want(h.t, 201, "") {
		r.decode(h.t, &tk)
	}
	return tk
}

// setup makes an event with one talk.
func (h *harness) setup() (koe.Event, koe.Talk) {
	h.t.Helper()
	e := h.createEvent(nil)
	return e, h.createTalk(e.ID, nil)
}

// join makes a participant of the event with the code and returns a
// client carrying its token.
func (h *harness) join(code, name string) (*client, joined) {
	h.t.Helper()
	var j joined
	body := map[string]any{"code": code}
	if name != "" {
		body["display_name"] = name
	}
	if r := h.client("").post("/api/v1/join", body); r.want(h.t, 201, "") {
		r.decode(h.t, &j)
	}
	return h.client(j.Token), j
}

func (c *client) ask(e, tk int64, body string) koe.Question {
	c.h.t.Helper()
	var q koe.Question
	if r := c.post(questionsPath(e, tk), map[string]any{"body": body}); r.want(c.h.t, 201, "") {
		r.decode(c.h.t, &q)
	}
	return q
}

func (c *client) questions(e, tk int64, query string) questionPage {
	c.h.t.Helper()
	var p questionPage
	path := questionsPath(e, tk)
	if query != "" {
		path += "?" + query
	}
	if r := c.get(path); r.want(c.h.t, 200, "") {
		r.decode(c.h.t, &p)
	}
	return p
}

func (c *client) question(e, tk, q int64) koe.Question {
	c.h.t.Helper()
	var out koe.Question
	if r := c.get(questionPath(e, tk, q)); r.want(c.h.t, 200, "") {
		r.decode(c.h.t, &out)
	}
	return out
}
