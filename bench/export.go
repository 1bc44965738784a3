package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// runExport measures exports (F22): a talk with --questions questions (a
// third of them answered with a reply, likes spread over them) is
// exported as Markdown, CSV and JSON, --rounds times each, one request at
// a time, timed from the request to the last byte of the file.
func runExport(ctx context.Context, args []string, r *report) error {
	var c common
	fs := flag.NewFlagSet("koe bench export", flag.ContinueOnError)
	c.register(fs)
	questions := fs.Int("questions", 1000, "questions in the talk")
	rounds := fs.Int("rounds", 40, "exports of each format")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *questions < 1 || *rounds < 1 {
		return badFlags("--questions and --rounds must be positive")
	}
	ctx, cancel := c.context(ctx, 10*time.Minute)
	defer cancel()
	a := newAPI(c.urls, c.token, 72)
	t, err := filledTalk(ctx, a, *questions, 3)
	if err != nil {
		return err
	}
	var all []float32
	var size [3]int64
	for i, f := range []string{"md", "csv", "json"} {
		var lat []float32
		for range *rounds {
			start := time.Now()
			n, err := fetch(ctx, a, t.path("/export?format="+f))
			if err != nil {
				return err
			}
			lat = append(lat, ms(time.Since(start)))
			size[i] = n
		}
		slices.Sort(lat)
		r.float("export_"+f+"_p99_ms", percentile(lat, 99))
		all = append(all, lat...)
	}
	slices.Sort(all)
	r.comment("export: a talk of %d questions (a third answered with a reply), each format %d times, one at a time, at %s; %d, %d and %d bytes; %s",
		*questions, *rounds, c.url, size[0], size[1], size[2], generator())
	r.int("export_questions", int64(*questions))
	r.float("export_p50_ms", percentile(all, 50))
	r.float("export_p99_ms", percentile(all, 99))
	return nil
}

// filledTalk makes a talk and asks n questions in it, 64 askers at once,
// and likes question i i%7 times (by other askers); with answerEvery > 0
// every answerEvery-th question is answered with a staff reply.
func filledTalk(ctx context.Context, a *api, n, answerEvery int) (talkRef, error) {
	t, err := a.newTalk(ctx)
	if err != nil {
		return t, err
	}
	tokens, err := a.joinMany(ctx, t.joinCode, 64, 64)
	if err != nil {
		return t, err
	}
	errs := make(chan error, len(tokens))
	var wg sync.WaitGroup
	for w := range tokens {
		wg.Go(func() {
			for i := w; i < n; i += len(tokens) {
				q, err := a.ask(ctx, t, tokens[w], fmt.Sprintf("質問 %d: how does it behave at scale?", i+1))
				if err != nil {
					errs <- err
					return
				}
				if answerEvery > 0 && i%answerEvery == 0 {
					if err := a.do(ctx, "POST", t.path(fmt.Sprintf("/questions/%d/replies", q.ID)), a.owner, map[string]string{"body": "回答しました。"}, nil); err != nil {
						errs <- err
						return
					}
					if err := a.do(ctx, "PATCH", t.path(fmt.Sprintf("/questions/%d", q.ID)), a.owner, map[string]bool{"answered": true}, nil); err != nil {
						errs <- err
						return
					}
				}
				for j := range i % 7 {
					if _, err := a.setLike(ctx, t, tokens[(w+j+1)%len(tokens)], q.ID, true); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return t, fmt.Errorf("making the talk: %w", err)
	}
	return t, nil
}

// fetch GETs path as the owner and reads the whole answer.
func fetch(ctx context.Context, a *api, path string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", a.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.owner)
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return n, err
}
