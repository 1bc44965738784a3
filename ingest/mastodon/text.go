package mastodon

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlText turns a status's HTML content into plain text: paragraphs and
// blocks become blank-line separated, <br> and list items line breaks,
// tags are dropped (a link keeps its text, Mastodon's hidden "https://"
// part included, so the URL reads whole), entities are unescaped and runs
// of spaces collapse as a browser shows them.
func htmlText(content string) string {
	var b strings.Builder
	// breaks is how many line breaks are owed before the next text.
	breaks := 0
	space := false
	skip := 0 // inside <script> or <style>
	z := html.NewTokenizer(strings.NewReader(content))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyLines(b.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			for _, word := range splitSpace(string(z.Text())) {
				if word == "" {
					space = true
					continue
				}
				if b.Len() > 0 {
					if breaks > 0 {
						b.WriteString(strings.Repeat("\n", breaks))
					} else if space {
						b.WriteByte(' ')
					}
				}
				breaks, space = 0, false
				b.WriteString(word)
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case atom.Br:
				breaks++
			case atom.P, atom.Div, atom.Blockquote, atom.Pre, atom.Ul, atom.Ol,
				atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				breaks = max(breaks, 2)
			case atom.Li:
				breaks = max(breaks, 1)
			}
		}
	}
}

// splitSpace splits text at runs of HTML white space, an empty string
// standing for each run.
func splitSpace(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexAny(s, " \t\n\r\f")
		if i < 0 {
			out = append(out, s)
			break
		}
		if i > 0 {
			out = append(out, s[:i])
		}
		out = append(out, "")
		s = strings.TrimLeft(s[i:], " \t\n\r\f")
	}
	return out
}

// tidyLines drops spaces at the ends of lines and blank lines beyond one
// between paragraphs.
func tidyLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
