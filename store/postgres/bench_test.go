package postgres

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
)

// likeBench is a talk's questions and, for each caller, its own
// participants and the question it likes.
type likeBench struct {
	s         *Store
	questions []*koe.Question
	owners    [][]int64
}

// participantsPerCaller is how many participants each caller cycles
// through, liking on one pass and unliking on the next, so that every
// SetLike changes state and is a real write.
const participantsPerCaller = 16

func newLikeBench(b *testing.B, callers, questions int) *likeBench {
	s := openTemp(b)
	ctx := b.Context()
	e := &koe.Event{Slug: "bench", Title: "Bench", TimeZone: "UTC"}
	must(b, s.CreateEvent(ctx, e))
	tk := &koe.Talk{EventID: e.ID, Title: "Talk", QAOpen: true}
	must(b, s.CreateTalk(ctx, tk))

	// One statement instead of a commit per participant keeps the setup,
	// which runs again for every b.N, short.
	rows, err := s.pool.Query(ctx, `
		INSERT INTO participants (event_id, display_name, created_at)
		SELECT $1, '', now() FROM generate_series(1, $2)
		RETURNING id`, e.ID, callers*participantsPerCaller)
	must(b, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	must(b, err)
	owners := make([][]int64, callers)
	for i := range owners {
		owners[i] = ids[i*participantsPerCaller : (i+1)*participantsPerCaller]
	}

	qs := make([]*koe.Question, questions)
	for i := range qs {
		qs[i] = &koe.Question{EventID: e.ID, TalkID: tk.ID, ParticipantID: ids[0], Body: "?"}
		must(b, s.CreateQuestion(ctx, qs[i], nil))
	}
	return &likeBench{s: s, questions: qs, owners: owners}
}

func (l *likeBench) run(b *testing.B, caller int, next func() bool) {
	own := l.owners[caller]
	q := l.questions[caller%len(l.questions)]
	for i := 0; next(); i++ {
		like := (i/len(own))%2 == 0
		if _, err := l.s.SetLike(b.Context(), q.EventID, q.TalkID, q.ID, own[i%len(own)], like); err != nil {
			b.Error(err)
			return
		}
	}
}

func (l *likeBench) parallel(b *testing.B, callers int) {
	var next atomic.Int64
	b.SetParallelism((callers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		l.run(b, int(next.Add(1)-1)%callers, pb.Next)
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "likes/s")
}

// BenchmarkSetLike is one caller at a time: one commit, so one WAL flush,
// per like.
func BenchmarkSetLike(b *testing.B) {
	l := newLikeBench(b, 1, 1)
	l.run(b, 0, b.Loop)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "likes/s")
}

// BenchmarkSetLikeParallel is many concurrent callers on one question, as
// store/sqlite's benchmark of the same name: the question's row lock makes
// them take turns, one commit each.
func BenchmarkSetLikeParallel(b *testing.B) {
	callers := 32 * runtime.GOMAXPROCS(0)
	l := newLikeBench(b, callers, 1)
	l.parallel(b, callers)
}

// BenchmarkSetLikeSpread is 64 concurrent callers over 20 questions, the
// load of a busy talk: likes of different questions commit side by side,
// and PostgreSQL flushes their commits together.
func BenchmarkSetLikeSpread(b *testing.B) {
	const callers, questions = 64, 20
	l := newLikeBench(b, callers, questions)
	l.parallel(b, callers)
}
