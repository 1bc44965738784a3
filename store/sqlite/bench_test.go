package sqlite

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/koehq/koe"
)

// likeBench is one question and, for each caller, its own participants.
type likeBench struct {
	s      *Store
	q      *koe.Question
	owners [][]int64
}

// participantsPerCaller is how many participants each caller cycles
// through, liking on one pass and unliking on the next, so that every
// SetLike changes state and is a real write.
const participantsPerCaller = 16

func newLikeBench(b *testing.B, callers int) *likeBench {
	s := openTemp(b)
	ctx := b.Context()
	e := &koe.Event{Slug: "bench", Title: "Bench", TimeZone: "UTC"}
	must(b, s.CreateEvent(ctx, e))
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(b, s.CreateTalk(ctx, tk))

	owners := make([][]int64, callers)
	// One transaction instead of a commit per participant keeps the setup,
	// which runs again for every b.N, short.
	must(b, s.writer.do(ctx, func(tx *txn) error {
		for i := range owners {
			owners[i] = make([]int64, participantsPerCaller)
			for j := range owners[i] {
				err := tx.QueryRow(`INSERT INTO participants (event_id, display_name, created_at)
					VALUES (?, '', 0) RETURNING id`, e.ID).Scan(&owners[i][j])
				if err != nil {
					return err
				}
			}
		}
		return nil
	}))
	q := &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: owners[0][0], Body: "?"}
	must(b, s.CreateQuestion(ctx, q, nil))
	return &likeBench{s: s, q: q, owners: owners}
}

func (l *likeBench) run(b *testing.B, caller int, next func() bool) {
	own := l.owners[caller]
	for i := 0; next(); i++ {
		like := (i/len(own))%2 == 0
		if _, err := l.s.SetLike(b.Context(), l.q.EventID, l.q.TalkID, l.q.ID, own[i%len(own)], like); err != nil {
			b.Error(err)
			return
		}
	}
}

// BenchmarkSetLike is one caller at a time: one commit, so one fsync, per like.
func BenchmarkSetLike(b *testing.B) {
	l := newLikeBench(b, 1)
	l.run(b, 0, b.Loop)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "likes/s")
}

// BenchmarkSetLikeParallel is many concurrent callers, as under load, whose
// likes the writer commits in groups.
func BenchmarkSetLikeParallel(b *testing.B) {
	const parallelism = 32 // goroutines per GOMAXPROCS
	l := newLikeBench(b, parallelism*runtime.GOMAXPROCS(0))
	var callers atomic.Int64
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		l.run(b, int(callers.Add(1)-1), pb.Next)
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "likes/s")
}
