package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// api is a thin client for the koe HTTP API: only the calls the benchmark
// makes, with one keep-alive connection pool shared by all simulated
// participants (a participant is a bearer token, not a connection).
//
// The server may be several replicas of one koe (--url a,b,c). An api
// talks to one of them, base; setup uses the first, and at(i) gives the
// client that participant, writer or subscriber i uses.
type api struct {
	base  string   // e.g. http://127.0.0.1:18080, no trailing slash
	bases []string // every replica's base URL, bases[0] first
	owner string   // staff bearer token
	hc    *http.Client
}

// newAPI returns a client for the replicas at bases (at least one), set
// to the first.
func newAPI(bases []string, owner string, conns int) *api {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second}).DialContext
	// Without enough idle connections per host, concurrent clients would
	// open and close a connection per request and measure TCP setup.
	tr.MaxIdleConns = conns
	tr.MaxIdleConnsPerHost = conns
	return &api{
		base:  bases[0],
		bases: bases,
		owner: owner,
		hc:    &http.Client{Transport: tr, Timeout: 15 * time.Second},
	}
}

// at returns the client for participant, writer or subscriber i: the
// replicas take turns, i modulo their number. This is the one place that
// spreads the load over them.
func (a *api) at(i int) *api {
	b := *a
	b.base = a.bases[i%len(a.bases)]
	return &b
}

// do sends one request with an optional JSON body and decodes a 2xx JSON
// response into out. Any other status is an error carrying the body's start.
func (a *api) do(ctx context.Context, method, path, bearer string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	// Reading the body to the end lets the connection be reused.
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(msg))
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decoding response: %w", method, path, err)
	}
	return nil
}

// talkRef names the talk a scenario runs on.
type talkRef struct {
	event, talk int64
	joinCode    string
}

func (t talkRef) path(rest string) string {
	return fmt.Sprintf("/api/v1/events/%d/talks/%d%s", t.event, t.talk, rest)
}

// newTalk creates a fresh event with one open talk, so a run never mixes
// with data already on the server.
func (a *api) newTalk(ctx context.Context) (talkRef, error) {
	var ev struct {
		ID       int64  `json:"id"`
		JoinCode string `json:"join_code"`
	}
	in := map[string]any{"title": "Bench " + time.Now().UTC().Format(time.DateTime), "time_zone": "UTC"}
	if err := a.do(ctx, "POST", "/api/v1/events", a.owner, in, &ev); err != nil {
		return talkRef{}, err
	}
	var tk struct {
		ID int64 `json:"id"`
	}
	in = map[string]any{"title": "Bench talk", "qa_open": true}
	if err := a.do(ctx, "POST", fmt.Sprintf("/api/v1/events/%d/talks", ev.ID), a.owner, in, &tk); err != nil {
		return talkRef{}, err
	}
	return talkRef{event: ev.ID, talk: tk.ID, joinCode: ev.JoinCode}, nil
}

// joinMany joins n participants, conc at a time, and returns their tokens.
// Participant i joins through replica at(i).
func (a *api) joinMany(ctx context.Context, code string, n, conc int) ([]string, error) {
	tokens := make([]string, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var out struct {
				Token string `json:"token"`
			}
			in := map[string]string{"code": code, "display_name": fmt.Sprintf("p%d", i+1)}
			if err := a.at(i).do(ctx, "POST", "/api/v1/join", "", in, &out); err != nil {
				errs <- err
				return
			}
			tokens[i] = out.Token
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("joining %d participants: %w (and %d more failures)", n, err, len(errs))
	}
	return tokens, nil
}

// question is the part of a question the benchmark uses.
type question struct {
	ID    int64 `json:"id"`
	Likes int   `json:"likes"`
}

func (a *api) ask(ctx context.Context, t talkRef, token, body string) (question, error) {
	var q question
	err := a.do(ctx, "POST", t.path("/questions"), token, map[string]string{"body": body}, &q)
	return q, err
}

// likeResult is the answer to a like or unlike.
type likeResult struct {
	Likes   int   `json:"likes"`
	Liked   bool  `json:"liked"`
	Version int64 `json:"version"`
}

// setLike likes (PUT) or unlikes (DELETE) a question. Both are idempotent,
// so a request whose outcome is unknown may simply be sent again.
func (a *api) setLike(ctx context.Context, t talkRef, token string, id int64, like bool) (likeResult, error) {
	method := "DELETE"
	if like {
		method = "PUT"
	}
	var r likeResult
	err := a.do(ctx, method, t.path(fmt.Sprintf("/questions/%d/like", id)), token, nil, &r)
	return r, err
}

// questions lists the talk's questions as staff (up to 200, the most the
// benchmark creates where it lists).
func (a *api) questions(ctx context.Context, t talkRef) ([]question, error) {
	var out struct {
		Questions []question `json:"questions"`
	}
	err := a.do(ctx, "GET", t.path("/questions?sort=top&limit=200"), a.owner, nil, &out)
	return out.Questions, err
}
