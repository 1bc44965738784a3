package bench

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// runListTop measures the question list under a rush: what thousands of
// phones opening the page at the start of a talk do. A talk of
// --questions questions (likes spread over them) is listed (sort=top,
// limit 20) by --clients participants, each with one request in flight,
// as fast as the server answers for --duration.
func runListTop(ctx context.Context, args []string, r *report) error {
	var c common
	fs := flag.NewFlagSet("koe bench listtop", flag.ContinueOnError)
	c.register(fs)
	questions := fs.Int("questions", 1000, "questions in the talk")
	clients := fs.Int("clients", 32, "participants listing, one request in flight each")
	duration := fs.Duration("duration", 20*time.Second, "how long to list")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if *questions < 20 || *clients < 1 || *duration <= 0 {
		return badFlags("--questions must be at least 20, --clients and --duration positive")
	}
	ctx, cancel := c.context(ctx, *duration+10*time.Minute)
	defer cancel()
	a := newAPI(c.urls, c.token, max(72, *clients+8))
	t, err := filledTalk(ctx, a, *questions, 0)
	if err != nil {
		return err
	}
	listers, err := a.joinMany(ctx, t.joinCode, *clients, 64)
	if err != nil {
		return err
	}
	path := t.path("/questions?sort=top&limit=20")
	// The page every lister must get: the 20 most liked.
	var want struct {
		Questions []question `json:"questions"`
	}
	if err := a.do(ctx, "GET", path, listers[0], nil, &want); err != nil {
		return err
	}
	if len(want.Questions) != 20 || want.Questions[0].Likes != 6 {
		return fmt.Errorf("the top list has %d questions, the first with %d likes; want 20, the first with 6", len(want.Questions), want.Questions[0].Likes)
	}
	firstID := fmt.Appendf(nil, `"questions":[{"id":%d,`, want.Questions[0].ID)

	var (
		mu       sync.Mutex
		lat      []float32
		errCount atomic.Int64
		bytesIn  atomic.Int64
	)
	end := time.Now().Add(*duration)
	start := time.Now()
	var wg sync.WaitGroup
	for i, token := range listers {
		wg.Go(func() {
			ca := a.at(i)
			mine := make([]float32, 0, 1<<16)
			buf := new(bytes.Buffer)
			for time.Now().Before(end) && ctx.Err() == nil {
				t0 := time.Now()
				n, err := getInto(ctx, ca, path, token, buf)
				if err == nil && !bytes.Contains(buf.Bytes(), firstID) {
					err = fmt.Errorf("GET %s: the most liked question is not first: %.200s", path, buf.Bytes())
				}
				if err != nil {
					if errCount.Add(1) == 1 {
						logf("first list error: %v", err)
					}
					continue
				}
				mine = append(mine, ms(time.Since(t0)))
				bytesIn.Add(n)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	r.comment("listtop: %d clients list the top 20 of %d questions at %s for %s, %d bytes a page; %s",
		*clients, *questions, c.url, *duration, bytesIn.Load()/max(1, int64(len(lat))), generator())
	r.int("list_top_requests", int64(len(lat)))
	r.float("list_top_per_s", float64(len(lat))/elapsed.Seconds())
	r.float("list_top_p50_ms", percentile(lat, 50))
	r.float("list_top_p99_ms", percentile(lat, 99))
	r.int("list_top_errors", errCount.Load())
	return nil
}

// getInto GETs path with bearer into buf (reset first) and returns its
// length; any status but 200 is an error.
func getInto(ctx context.Context, a *api, path, bearer string, buf *bytes.Buffer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", a.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	buf.Reset()
	n, err := io.Copy(buf, resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return n, err
}
