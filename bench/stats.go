package bench

import (
	"math"
	"sort"
	"time"
)

// percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted, or NaN when it is empty. Nearest rank never invents a value that
// was not measured, which keeps p99 honest on small samples.
func percentile(sorted []float32, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return float64(sorted[rank-1])
}

// ms converts a duration to float32 milliseconds for the latency samples;
// float32 keeps 3 million samples at 12 MB with ample precision.
func ms(d time.Duration) float32 { return float32(d.Seconds() * 1000) }

// likeAck is an acknowledged like or unlike: the question, the version the
// server returned, and when the client had the response.
type likeAck struct {
	id      int64
	version int64
	at      time.Time
}

// likeSeen is a question.likes event as one subscriber received it.
type likeSeen struct {
	version int64
	at      time.Time
}

// likeLatencies matches each acknowledged like with the first
// question.likes event one subscriber received for that question whose
// version is at least the acknowledged one; seen holds each question's
// events in arrival order. An event that arrived before the acknowledgement
// counts as zero latency: the client would have had it already. missing
// counts acknowledgements that no event ever covered.
func likeLatencies(acks []likeAck, seen map[int64][]likeSeen, out []float32) (lat []float32, missing int) {
	// The first event covering version v is the first whose running maximum
	// of versions reaches v (publication order need not be version order).
	runMax := make(map[int64][]int64, len(seen))
	for id, evs := range seen {
		m := make([]int64, len(evs))
		var hi int64
		for i, e := range evs {
			hi = max(hi, e.version)
			m[i] = hi
		}
		runMax[id] = m
	}
	for _, a := range acks {
		m := runMax[a.id]
		i := sort.Search(len(m), func(i int) bool { return m[i] >= a.version })
		if i == len(m) {
			missing++
			continue
		}
		out = append(out, ms(max(seen[a.id][i].at.Sub(a.at), 0)))
	}
	return out, missing
}
