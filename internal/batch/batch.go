// Package batch gathers the work waiting for a single writer goroutine, so
// that many callers share one commit (and one fsync).
package batch

import "runtime"

// Gather appends to b what is waiting on ops, up to max items, without
// blocking. Between rounds it yields, so that callers which are ready to
// run reach ops before the writer commits: with one CPU for Go
// (GOMAXPROCS=1) nobody else runs while the commit waits on the disk or
// the network, and callers would otherwise come one at a time. A round
// that brings nobody new ends it, so a lone caller waits for nobody.
func Gather[T any](ops <-chan T, b []T, max int) []T {
	for len(b) < max {
		n := len(b)
		runtime.Gosched()
	drain:
		for len(b) < max {
			select {
			case op := <-ops:
				b = append(b, op)
			default:
				break drain
			}
		}
		if len(b) == n {
			return b
		}
	}
	return b
}
