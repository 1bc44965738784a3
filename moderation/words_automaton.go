package moderation

import "sort"

// automaton is an Aho–Corasick automaton over runes: one pass over a text
// finds every occurrence of every pattern, whatever the number of
// patterns. Runes are mapped to dense symbols first (a rune in no pattern
// is symbol 0 and sends the automaton back to the root), the root keeps a
// full table and other states a short sorted edge list.
type automaton struct {
	ascii [128]int32
	other map[rune]int32
	root  []int32 // root's transition per symbol; 0 for none
	first []int32 // per state: its edges are edges[first[s]:first[s+1]]
	edges []edge
	fail  []int32
	out   [][]int32 // per state: the patterns ending here, by index
	lens  []int32   // per pattern: its length in runes
}

type edge struct{ sym, to int32 }

func buildAutomaton(words []string) automaton {
	a := automaton{other: map[rune]int32{}}
	nsym := int32(1)
	symbol := func(r rune) int32 {
		if r < 128 {
			if a.ascii[r] == 0 {
				a.ascii[r] = nsym
				nsym++
			}
			return a.ascii[r]
		}
		s, ok := a.other[r]
		if !ok {
			s = nsym
			a.other[r] = s
			nsym++
		}
		return s
	}
	// The trie, with map children while it is built.
	children := []map[int32]int32{{}}
	out := [][]int32{nil}
	for i, w := range words {
		s := int32(0)
		n := int32(0)
		for _, r := range w {
			c := symbol(r)
			t, ok := children[s][c]
			if !ok {
				t = int32(len(children))
				children = append(children, map[int32]int32{})
				out = append(out, nil)
				children[s][c] = t
			}
			s = t
			n++
		}
		out[s] = append(out[s], int32(i))
		a.lens = append(a.lens, n)
	}
	// Failure links, breadth first: a state's link is the longest proper
	// suffix of its path that is also a path, and it inherits that
	// state's matches.
	a.fail = make([]int32, len(children))
	queue := make([]int32, 0, len(children))
	for _, t := range children[0] {
		queue = append(queue, t)
	}
	sort.Slice(queue, func(i, j int) bool { return queue[i] < queue[j] })
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		syms := make([]int32, 0, len(children[s]))
		for c := range children[s] {
			syms = append(syms, c)
		}
		sort.Slice(syms, func(i, j int) bool { return syms[i] < syms[j] })
		for _, c := range syms {
			t := children[s][c]
			f := a.fail[s]
			for {
				if g, ok := children[f][c]; ok && g != t {
					a.fail[t] = g
					break
				}
				if f == 0 {
					break
				}
				f = a.fail[f]
			}
			out[t] = append(out[t], out[a.fail[t]]...)
			queue = append(queue, t)
		}
	}
	a.out = out
	a.root = make([]int32, nsym)
	for c, t := range children[0] {
		a.root[c] = t
	}
	a.first = make([]int32, len(children)+1)
	for s, ch := range children {
		a.first[s] = int32(len(a.edges))
		start := len(a.edges)
		for c, t := range ch {
			a.edges = append(a.edges, edge{c, t})
		}
		es := a.edges[start:]
		sort.Slice(es, func(i, j int) bool { return es[i].sym < es[j].sym })
	}
	a.first[len(children)] = int32(len(a.edges))
	return a
}

func (a *automaton) symbol(r rune) int32 {
	if r < 128 && r >= 0 {
		return a.ascii[r]
	}
	return a.other[r]
}

// step follows symbol c from state s.
func (a *automaton) step(s, c int32) int32 {
	for s != 0 {
		es := a.edges[a.first[s]:a.first[s+1]]
		for _, e := range es {
			if e.sym == c {
				return e.to
			}
			if e.sym > c {
				break
			}
		}
		s = a.fail[s]
	}
	return a.root[c]
}

// find appends to hits every occurrence of every pattern in v.
func (a *automaton) find(v []unit, hits []hit) []hit {
	if len(a.root) == 0 {
		return hits
	}
	s := int32(0)
	for i, u := range v {
		c := a.symbol(u.r)
		if c == 0 {
			s = 0
			continue
		}
		s = a.step(s, c)
		for _, p := range a.out[s] {
			end := int32(i + 1)
			hits = append(hits, hit{p: p, start: end - a.lens[p], end: end})
		}
	}
	return hits
}
