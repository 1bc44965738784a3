package act

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe/store/sqlite"
)

// FuzzSlackLinkToken opens link tokens as a browser brings them back:
// only the tokens koe sealed, unchanged and unexpired, name a Slack user;
// nothing panics.
func FuzzSlackLinkToken(f *testing.F) {
	st, err := sqlite.Open(f.Context(), filepath.Join(f.TempDir(), "koe.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	now := time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
	a, err := New(f.Context(), Config{Store: st, Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	good, err := a.sealSlackLink(f.Context(), "T0KOE", "U0AIKO")
	if err != nil {
		f.Fatal(err)
	}
	if team, user, ok, err := a.openSlackLink(f.Context(), good); !ok || err != nil || team != "T0KOE" || user != "U0AIKO" {
		f.Fatalf("a sealed token opens as %q %q %v %v", team, user, ok, err)
	}
	later, err := New(f.Context(), Config{Store: st, Now: func() time.Time { return now.Add(SlackLinkTTL + time.Second) }})
	if err != nil {
		f.Fatal(err)
	}
	if _, _, ok, _ := later.openSlackLink(f.Context(), good); ok {
		f.Fatal("an expired token opens")
	}
	f.Add(good)
	f.Add(good + "x")
	f.Add(strings.Replace(good, "koesl1.", "koesl2.", 1))
	f.Add("koesl1.e30.")
	f.Add("koesl1..")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		team, user, ok, err := a.openSlackLink(t.Context(), token)
		if err != nil {
			t.Fatal(err)
		}
		if ok != (token == good) || ok && (team != "T0KOE" || user != "U0AIKO") {
			t.Fatalf("%q opened as %q %q %v", token, team, user, ok)
		}
	})
}
