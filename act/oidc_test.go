package act

import (
	"net/url"
	"strings"
	"testing"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
)

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                             DefaultReturnPath,
		"/admin/events/1":              "/admin/events/1",
		"/admin?tab=staff#top":         "/admin?tab=staff#top",
		"/":                            "/",
		"//evil.example":               DefaultReturnPath,
		"///evil.example":              DefaultReturnPath,
		"/\\evil.example":              DefaultReturnPath,
		"\\\\evil.example":             DefaultReturnPath,
		"/\t/evil.example":             DefaultReturnPath,
		"/\n/evil.example":             DefaultReturnPath,
		"/ /evil.example":              DefaultReturnPath,
		"/\u2028/evil.example":         DefaultReturnPath,
		"/\u200b/evil.example":         DefaultReturnPath,
		"https://evil.example/":        DefaultReturnPath,
		"javascript:alert(1)":          DefaultReturnPath,
		"evil.example":                 DefaultReturnPath,
		"/" + strings.Repeat("a", 512): DefaultReturnPath,
	} {
		if got := LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzLocalPath: whatever return path a link carries, the sign-in ends on
// this site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/admin", "//evil", "/\\evil", "/%2F/evil", "https://x", "/\t/x", "/a?b=//c", "/.//evil", "/@evil", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p := LocalPath(in)
		if p != in && p != DefaultReturnPath {
			t.Fatalf("LocalPath(%q) = %q", in, p)
		}
		// A browser resolving p against koe's URL stays on koe.
		base, _ := url.Parse("https://koe.example.com/api/v1/session/oidc/callback")
		ref, err := url.Parse(p)
		if err != nil {
			t.Fatalf("LocalPath(%q) = %q, not a URL: %v", in, p, err)
		}
		if u := base.ResolveReference(ref); u.Host != "koe.example.com" || u.Scheme != "https" {
			t.Fatalf("LocalPath(%q) = %q leads to %s", in, p, u)
		}
		if strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\t\r\n ") {
			t.Fatalf("LocalPath(%q) = %q", in, p)
		}
	})
}

func TestOIDCLoginBase(t *testing.T) {
	for _, tc := range []struct {
		id   auth.Identity
		want string
	}{
		{auth.Identity{PreferredUsername: "Ada"}, "ada"},
		{auth.Identity{PreferredUsername: "Ada Lovelace"}, "ada-lovelace"},
		{auth.Identity{PreferredUsername: "", Email: "grace@example.org"}, "grace"},
		{auth.Identity{PreferredUsername: "\u200b", Email: ""}, "user"},
		{auth.Identity{PreferredUsername: "ＡＩＫＯ"}, "aiko"},
		{auth.Identity{PreferredUsername: strings.Repeat("x", 100)}, strings.Repeat("x", koe.MaxLoginLen-4)},
	} {
		if got := oidcLoginBase(&tc.id); got != tc.want {
			t.Errorf("login from %+v = %q, want %q", tc.id, got, tc.want)
		}
	}
	if got := oidcDisplayName(&auth.Identity{Name: strings.Repeat("名", 60)}, "x"); len([]rune(got)) != koe.MaxDisplayNameLen {
		t.Errorf("long name kept as %q", got)
	}
	if got := oidcDisplayName(&auth.Identity{Name: "\u0000"}, "ada"); got != "ada" {
		t.Errorf("unusable name: %q, want the login", got)
	}
}
