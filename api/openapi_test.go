package api_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/koehq/koe"
	"github.com/koehq/koe/api"
)

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc, _ := openAPI(t) // loads and validates, failing the test otherwise
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatal(err)
	}
	// The error code enum is the list in koe.go.
	enum := schemaOf(t, "ErrorCode").Enum
	codes := koe.ErrorCodes
	for _, code := range codes {
		if !slices.Contains(enum, any(code)) {
			t.Errorf("ErrorCode enum lacks %q", code)
		}
	}
	if len(enum) != len(codes) {
		t.Errorf("ErrorCode enum has %d codes, koe.go has %d", len(enum), len(codes))
	}
	// Request bodies refuse unknown fields, as the server does; response
	// objects too, so that a renamed field fails the tests.
	for name, ref := range doc.Components.Schemas {
		s := ref.Value
		if !s.Type.Is("object") {
			continue
		}
		if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
			t.Errorf("schema %s allows additional properties", name)
		}
	}
	// Every operation answers errors with the Error schema, every unsafe
	// operation documents 403 (cross-origin refusal) and every operation
	// with a body documents 400 and 413.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, resp := range op.Responses.Map() {
				code, _ := strconv.Atoi(status)
				if code < 400 {
					continue
				}
				mt := resp.Value.Content.Get("application/json")
				if mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Error" {
					t.Errorf("%s %s: %s is not answered with the Error schema", method, path, status)
				}
			}
			has := func(s string) bool { return op.Responses.Status(mustAtoi(s)) != nil }
			if method != "GET" && !has("403") {
				t.Errorf("%s %s: 403 (cross-origin refusal) not documented", method, path)
			}
			if op.RequestBody != nil && (!has("400") || !has("413")) {
				t.Errorf("%s %s: a body can be malformed or too large, but 400 or 413 is not documented", method, path)
			}
			if op.RequestBody != nil {
				for _, mt := range op.RequestBody.Value.Content { // JSON; Slack's form; a logo's image
					if !strings.HasSuffix(mt.Schema.Ref, "Request") {
						t.Errorf("%s %s: request body %q is not one of the named request schemas", method, path, mt.Schema.Ref)
					}
				}
			}
			if op.Security == nil {
				t.Errorf("%s %s: no security requirement stated", method, path)
			}
		}
	}
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// routePatterns reads the patterns registered in routes.go: every call of
// handle, mux.Handle or mux.HandleFunc whose first argument is a string
// constant expression.
func routePatterns(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	var eval func(ast.Expr) (string, bool)
	eval = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		case *ast.Ident:
			s, ok := consts[e.Name]
			return s, ok
		case *ast.ParenExpr:
			return eval(e.X)
		case *ast.BinaryExpr:
			if e.Op != token.ADD {
				return "", false
			}
			a, ok1 := eval(e.X)
			b, ok2 := eval(e.Y)
			return a + b, ok1 && ok2
		}
		return "", false
	}
	var patterns []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GenDecl:
			if n.Tok == token.CONST {
				for _, spec := range n.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							if s, ok := eval(vs.Values[i]); ok {
								consts[name.Name] = s
							}
						}
					}
				}
			}
		case *ast.CallExpr:
			var name string
			switch fn := n.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			if name != "handle" && name != "Handle" && name != "HandleFunc" || len(n.Args) != 2 {
				return true
			}
			if id, isIdent := n.Args[0].(*ast.Ident); isIdent && consts[id.Name] == "" {
				return true // the handle helper passing its parameter on
			}
			p, ok := eval(n.Args[0])
			if !ok {
				t.Errorf("%s: cannot read the route pattern", fset.Position(n.Pos()))
				return true
			}
			patterns = append(patterns, p)
		}
		return true
	})
	if len(patterns) < 20 {
		t.Fatalf("found only %d route patterns in routes.go: %q", len(patterns), patterns)
	}
	return patterns
}

func docOperations(t *testing.T) []string {
	doc, _ := openAPI(t)
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	sort.Strings(ops)
	return ops
}

// TestEveryRouteIsDocumented compares the routes registered in routes.go
// with the operations of the document, both ways.
func TestEveryRouteIsDocumented(t *testing.T) {
	ops := docOperations(t)
	var routes []string
	for _, p := range routePatterns(t) {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			// Catch-alls ("/api/" answers 404, "/" serves the UI): not API routes.
			if p != "/api/" && p != "/" {
				t.Errorf("route %q has no method: document it or list it here", p)
			}
			continue
		}
		routes = append(routes, method+" "+path)
	}
	for _, r := range routes {
		if !slices.Contains(ops, r) {
			t.Errorf("route %q of routes.go is missing from api/openapi.json", r)
		}
	}
	for _, op := range ops {
		if !slices.Contains(routes, op) {
			t.Errorf("operation %q of api/openapi.json is not registered in routes.go", op)
		}
	}
}

var pathParam = regexp.MustCompile(`\{[A-Za-z]+\}`)

// TestEveryOperationIsServed sends every documented operation without
// credentials: each must reach its own handler (not the /api/ catch-all)
// and answer as the document says.
func TestEveryOperationIsServed(t *testing.T) {
	h := newHarness(t)
	anon := h.client("")
	for _, op := range docOperations(t) {
		method, path, _ := strings.Cut(op, " ")
		concrete := pathParam.ReplaceAllString(path, "1")
		var body any
		if method == "POST" || method == "PATCH" || method == "PUT" && !strings.HasSuffix(path, "/like") {
			body = map[string]any{}
		}
		r := anon.do(method, concrete, body, unchecked)
		if strings.Contains(string(r.Body), "no such API route") {
			t.Errorf("%s: answered by the catch-all, not by its route", op)
		}
		switch {
		case op == "POST /api/v1/ingest/{sourceID}": // no such source: as a bad signature
			r.want(t, 401, koe.EUNAUTHORIZED)
		case op == "GET /api/v1/events/{eventID}/logo/{version}": // public: no such logo
			r.want(t, 404, koe.ENOTFOUND)
		case op == "POST /api/v1/slack/interactions": // not Slack's form
			r.want(t, 400, koe.EINVALID)
		case op == "POST /api/v1/slack/link", op == "GET /api/v1/viewer":
			r.want(t, 401, koe.EUNAUTHORIZED)
		case strings.HasPrefix(path, "/api/v1/events"), strings.HasPrefix(path, "/api/v1/account"),
			strings.HasPrefix(path, "/api/v1/sessions"), op == "GET /api/v1/session", path == "/api/v1/audit",
			op == "POST /api/v1/invitations/accept":
			r.want(t, 401, koe.EUNAUTHORIZED)
		case path == "/api/v1/join", op == "POST /api/v1/session", op == "POST /api/v1/setup", strings.HasPrefix(path, "/api/v1/invitations/"):
			r.want(t, 400, koe.EINVALID)
		case op == "DELETE /api/v1/session":
			r.want(t, 204, "")
		case op == "GET /api/v1/session/oidc", op == "GET /api/v1/join/oidc": // no provider configured here
			r.want(t, 404, koe.ENOTFOUND)
		case op == "GET /api/v1/session/oidc/callback": // back to the sign-in page
			r.want(t, 302, "")
		case op == "POST /api/v1/session/passkey":
			// The harness serves at 127.0.0.1, and passkeys need a host
			// name (passkeys_test.go signs in at localhost).
			r.want(t, 400, koe.EINVALID)
		default:
			r.want(t, 200, "")
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	h := newHarness(t)
	r := h.client("").get("/api/openapi.json")
	r.want(t, 200, "")
	if string(r.Body) != string(api.OpenAPIDocument) {
		t.Error("GET /api/openapi.json does not serve the embedded document")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestUnknownAPIRoute(t *testing.T) {
	h := newHarness(t)
	for _, p := range []string{"/api/v1/nope", "/api/v2/events", "/api/v1/events/1/talks/1/questions/1/nope"} {
		r := h.staff.get(p, notInDoc)
		r.want(t, 404, koe.ENOTFOUND)
		checkSchema(t, "Error", r.Body)
	}
	// A known path with a method it does not serve: 405 with Allow.
	for _, c := range []struct{ method, path, allow string }{
		{"DELETE", "/api/v1/events", "GET, HEAD, POST"},
		{"PUT", "/api/v1/events/1", "GET, HEAD, PATCH"},
		{"POST", "/healthz", "GET, HEAD"},
		{"GET", "/api/v1/events/1/talks/1/questions/1/like", "PUT, DELETE"},
		{"BREW", "/api/v1/join", "POST"},
	} {
		r := h.staff.do(c.method, c.path, nil, notInDoc)
		r.want(t, 405, koe.EMETHOD)
		checkSchema(t, "Error", r.Body)
		if got := r.Header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
}
