package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func built() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte("<!doctype html><title>koe</title>")},
		"favicon.svg":             {Data: []byte("<svg/>")},
		"assets/app-abc123.js":    {Data: []byte("console.log(1)")},
		"assets/app-abc123.js.gz": {Data: []byte("gzipped")},
		"assets/app-abc123.css":   {Data: []byte("body{}")},
		".gitkeep":                {Data: nil},
	}
}

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestAssetsAreImmutable(t *testing.T) {
	h := NewHandler(built())
	w := get(t, h, "GET", "/assets/app-abc123.css", nil)
	if w.Code != 200 || w.Body.String() != "body{}" {
		t.Fatalf("got %d %q", w.Code, w.Body.String())
	}
	if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Fatalf("Cache-Control %q", cc)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
}

func TestPrecompressedAsset(t *testing.T) {
	h := NewHandler(built())
	w := get(t, h, "GET", "/assets/app-abc123.js", map[string]string{"Accept-Encoding": "br, gzip"})
	if w.Body.String() != "gzipped" || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip not served: %q %q", w.Body.String(), w.Header().Get("Content-Encoding"))
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Fatalf("Content-Type %q", ct)
	}
	for _, ae := range []string{"", "br", "gzip;q=0"} {
		w = get(t, h, "GET", "/assets/app-abc123.js", map[string]string{"Accept-Encoding": ae})
		if w.Body.String() != "console.log(1)" || w.Header().Get("Content-Encoding") != "" {
			t.Fatalf("Accept-Encoding %q: got %q", ae, w.Body.String())
		}
	}
}

func TestMissingAssetIs404(t *testing.T) {
	w := get(t, NewHandler(built()), "GET", "/assets/gone-1.js", nil)
	if w.Code != http.StatusNotFound {
		t.Fatalf("got %d", w.Code)
	}
}

func TestSPAFallback(t *testing.T) {
	h := NewHandler(built())
	for _, p := range []string{"/", "/e/1/t/2", "/admin", "/j/ABC234", "/index.html", "/.gitkeep", "/../../etc/passwd"} {
		w := get(t, h, "GET", p, nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "<title>koe</title>") {
			t.Fatalf("%s: got %d %q", p, w.Code, w.Body.String())
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Fatalf("%s: Cache-Control %q", p, cc)
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Fatalf("%s: Content-Type %q", p, ct)
		}
	}
}

// TestOverlayTransparentFromTheStart: the overlay's page is the app's,
// with the class that keeps html and body transparent before any script
// runs.
func TestOverlayTransparentFromTheStart(t *testing.T) {
	h := NewHandler(fstest.MapFS{"index.html": {Data: []byte(`<!doctype html><html lang="en"><title>koe</title>`)}})
	w := get(t, h, "GET", "/overlay/koe_v_abc?talk=1", map[string]string{"Accept-Encoding": "gzip"})
	if w.Code != 200 || w.Body.String() != `<!doctype html><html class="koe-overlay" lang="en"><title>koe</title>` ||
		w.Header().Get("Cache-Control") != "no-cache" || w.Header().Get("Content-Encoding") != "" {
		t.Errorf("overlay page: %d %v %q", w.Code, w.Header(), w.Body.String())
	}
	if w := get(t, h, "GET", "/e/1/t/2", nil); strings.Contains(w.Body.String(), "koe-overlay") {
		t.Errorf("another page has the overlay's class: %q", w.Body.String())
	}
}

func TestTopLevelFile(t *testing.T) {
	w := get(t, NewHandler(built()), "GET", "/favicon.svg", nil)
	if w.Code != 200 || w.Body.String() != "<svg/>" || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("got %d %q", w.Code, w.Body.String())
	}
}

func TestHeadAndMethods(t *testing.T) {
	h := NewHandler(built())
	if w := get(t, h, "HEAD", "/", nil); w.Code != 200 || w.Body.Len() != 0 {
		t.Fatalf("HEAD: %d %d bytes", w.Code, w.Body.Len())
	}
	if w := get(t, h, "POST", "/", nil); w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", w.Code)
	}
}

func TestNotBuilt(t *testing.T) {
	h := NewHandler(fstest.MapFS{".gitkeep": {}})
	w := get(t, h, "GET", "/e/1", nil)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "make run") {
		t.Fatalf("got %d %q", w.Code, w.Body.String())
	}
}

// The embedded build (or its absence on a fresh clone) serves something.
func TestEmbedded(t *testing.T) {
	w := get(t, Handler(), "GET", "/", nil)
	if w.Code != 200 && w.Code != http.StatusServiceUnavailable {
		t.Fatalf("got %d", w.Code)
	}
}
