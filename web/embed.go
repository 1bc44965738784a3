// Package web serves koe's browser UI: the Vite build in web/dist, embedded
// in the binary. A fresh clone has no build (only dist/.gitkeep), so the
// handler then answers with a page that says how to build it; go build and
// go test work either way.
package web

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the embedded UI.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return NewHandler(sub)
}

// NewHandler serves a built UI from root:
//   - /assets/* (content-hashed by Vite) with a year of immutable caching,
//     gzip-precompressed when the build left a .gz beside the file;
//   - other files at the top level (favicon…) with a short cache;
//   - every other path the single-page app's index.html, never cached, so
//     a new release is picked up on the next load.
func NewHandler(root fs.FS) http.Handler {
	return &handler{root: root}
}

type handler struct{ root fs.FS }

const (
	immutable  = "public, max-age=31536000, immutable"
	shortLived = "public, max-age=3600"
	revalidate = "no-cache"
)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	switch {
	case strings.HasPrefix(name, "assets/"):
		if !h.serveFile(w, r, name, immutable) {
			http.NotFound(w, r) // a missing asset is a 404, not the app
		}
		return
	case name != "" && !strings.Contains(name, "/") && !strings.HasPrefix(name, ".") && name != "index.html":
		if h.serveFile(w, r, name, shortLived) {
			return
		}
	}
	if strings.HasPrefix(name, "overlay/") {
		h.serveOverlay(w, r)
		return
	}
	if !h.serveFile(w, r, "index.html", revalidate) {
		notBuilt(w)
	}
}

// serveOverlay serves index.html for the OBS overlay with the class that
// makes html and body transparent from the first frame, before any script
// has run: OBS draws the page over the programme as it loads.
func (h *handler) serveOverlay(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(h.root, "index.html")
	if err != nil {
		notBuilt(w)
		return
	}
	b = bytes.Replace(b, []byte("<html"), []byte(`<html class="koe-overlay"`), 1)
	hd := w.Header()
	hd.Set("Cache-Control", revalidate)
	hd.Set("Content-Type", types[".html"])
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// serveFile writes the regular file name, or reports false when there is
// none.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name, cache string) bool {
	st, err := fs.Stat(h.root, name)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	hd := w.Header()
	hd.Set("Cache-Control", cache)
	hd.Add("Vary", "Accept-Encoding")
	body := name
	if acceptsGzip(r) {
		if gz, err := fs.Stat(h.root, name+".gz"); err == nil && gz.Mode().IsRegular() {
			body = name + ".gz"
			hd.Set("Content-Encoding", "gzip")
		}
	}
	b, err := fs.ReadFile(h.root, body)
	if err != nil {
		return false
	}
	if ct := contentType(name); ct != "" {
		hd.Set("Content-Type", ct)
	}
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	// Embedded files have no modification time; the hashed names and
	// no-cache on index.html do the cache control.
	if cache == revalidate {
		hd.Set("Last-Modified", started)
		if r.Header.Get("If-Modified-Since") == started {
			hd.Del("Content-Length")
			hd.Del("Content-Encoding")
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
	return true
}

// started stands in for the build's modification time: an embedded UI can
// only change with the binary.
var started = time.Now().UTC().Format(http.TimeFormat)

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(part, ";")
		if strings.TrimSpace(enc) != "gzip" {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

var types = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".json":        "application/json",
	".webmanifest": "application/manifest+json",
	".txt":         "text/plain; charset=utf-8",
	".woff2":       "font/woff2",
	".map":         "application/json",
}

func contentType(name string) string { return types[path.Ext(name)] }

// notBuilt answers when the binary was built without the UI.
func notBuilt(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(notBuiltPage))
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>koe: web UI not built</title></head>
<body>
<h1>koe is running, but its web UI was not built into this binary</h1>
<p>The API works (see <a href="/api/openapi.json">/api/openapi.json</a>). To get the browser UI, build it and then koe:</p>
<pre>make run</pre>
<p>or by hand: <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>, then <code>go build ./cmd/koe</code>.</p>
<p lang="ja">Web UI がビルドされていません。<code>make run</code> を実行してください。</p>
</body></html>
`
