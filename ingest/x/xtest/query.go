package xtest

import (
	"fmt"
	"strings"
	"unicode"
)

// match tells whether a stored tweet is selected by a query.
type match func(t *stored) bool

// parseQuery reads the part of X's search query language that koe uses:
// keywords, "exact phrases", #hashtags, is:retweet, negation with '-',
// AND by juxtaposition, OR (binding looser than AND) and parentheses.
// Other operators are refused, so that a client relying on one notices.
func parseQuery(q string) (match, error) {
	toks, err := tokenize(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	m, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q at position %d", p.toks[p.pos].text, p.pos)
	}
	return m, nil
}

type token struct {
	kind byte // '(' ')' '-' '"' (phrase) 'w' (word)
	text string
}

func tokenize(q string) ([]token, error) {
	var toks []token
	rs := []rune(q)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(' || r == ')':
			toks = append(toks, token{kind: byte(r), text: string(r)})
			i++
		case r == '-' && i+1 < len(rs) && !unicode.IsSpace(rs[i+1]):
			toks = append(toks, token{kind: '-', text: "-"})
			i++
		case r == '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			if j == len(rs) {
				return nil, fmt.Errorf("unterminated quote")
			}
			toks = append(toks, token{kind: '"', text: string(rs[i+1 : j])})
			i = j + 1
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune(`()"`, rs[j]) {
				j++
			}
			toks = append(toks, token{kind: 'w', text: string(rs[i:j])})
			i = j
		}
	}
	return toks, nil
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *parser) or() (match, error) {
	alts := []match{}
	for {
		m, err := p.and()
		if err != nil {
			return nil, err
		}
		alts = append(alts, m)
		if t := p.peek(); t == nil || t.kind != 'w' || t.text != "OR" {
			break
		}
		p.pos++
	}
	return func(t *stored) bool {
		for _, m := range alts {
			if m(t) {
				return true
			}
		}
		return false
	}, nil
}

func (p *parser) and() (match, error) {
	var all []match
	for {
		t := p.peek()
		if t == nil || t.kind == ')' || (t.kind == 'w' && t.text == "OR") {
			break
		}
		m, err := p.unary()
		if err != nil {
			return nil, err
		}
		all = append(all, m)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("empty clause at position %d", p.pos)
	}
	return func(t *stored) bool {
		for _, m := range all {
			if !m(t) {
				return false
			}
		}
		return true
	}, nil
}

func (p *parser) unary() (match, error) {
	if t := p.peek(); t != nil && t.kind == '-' {
		p.pos++
		m, err := p.atom()
		if err != nil {
			return nil, err
		}
		return func(t *stored) bool { return !m(t) }, nil
	}
	return p.atom()
}

func (p *parser) atom() (match, error) {
	t := p.peek()
	if t == nil {
		return nil, fmt.Errorf("query ends too early")
	}
	p.pos++
	switch t.kind {
	case '(':
		m, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c == nil || c.kind != ')' {
			return nil, fmt.Errorf("missing ')'")
		}
		p.pos++
		return m, nil
	case '"':
		phrase := strings.ToLower(t.text)
		return func(s *stored) bool { return strings.Contains(strings.ToLower(s.text), phrase) }, nil
	case 'w':
		w := strings.ToLower(t.text)
		switch {
		case w == "is:retweet":
			return func(s *stored) bool { return s.RetweetOf != "" }, nil
		case strings.HasPrefix(w, "#") && len(w) > 1:
			tag := w[1:]
			return func(s *stored) bool { return contains(s.hashtags, tag) }, nil
		case strings.Contains(w, ":"):
			return nil, fmt.Errorf("operator %q is not served by this test server", t.text)
		}
		return func(s *stored) bool { return contains(words(s.text), w) }, nil
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}

// words splits text into lower-case words, as X's keyword match sees it.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
