package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
)

// staffPassword is the password of every account the tests make.
const staffPassword = "koe test password: correct horse battery"

// passwordHash is staffPassword hashed once: accounts made in the store
// skip the slow hash.
var passwordHash = sync.OnceValue(func() string {
	h, err := auth.NewPasswords(1).Hash(context.Background(), staffPassword)
	if err != nil {
		panic(err)
	}
	return h
})

var accountSeq atomic.Int64

// account makes a staff account straight in the store, with staffPassword.
func (h *harness) account(admin bool) *koe.Account {
	h.t.Helper()
	n := accountSeq.Add(1)
	a := &koe.Account{Login: fmt.Sprintf("staff-%d", n), DisplayName: fmt.Sprintf("Staff %d", n), Admin: admin, PasswordHash: passwordHash()}
	if err := h.store.CreateAccount(context.Background(), a); err != nil {
		h.t.Fatal(err)
	}
	return a
}

// member makes an account with the role in the event (a presenter
// limited to talks, if any).
func (h *harness) member(eventID int64, role koe.Role, talks ...int64) *koe.Account {
	h.t.Helper()
	a := h.account(false)
	if err := h.store.SetMembership(context.Background(), &koe.Membership{EventID: eventID, AccountID: a.ID, Role: role, Talks: talks}); err != nil {
		h.t.Fatal(err)
	}
	return a
}

// signedIn returns a browser signed in to the account by a session made
// in the store (no password hash to wait for), and the session's id.
func (h *harness) signedIn(a *koe.Account) (*client, int64) {
	h.t.Helper()
	secret := auth.NewSecret(auth.SessionPrefix)
	now := time.Now()
	ss := &koe.Session{Hash: auth.Hash(secret), AccountID: a.ID, Method: "password", UserAgent: "test", Addr: "127.0.0.1",
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := h.store.CreateSession(context.Background(), ss); err != nil {
		h.t.Fatal(err)
	}
	br := h.browser()
	u, _ := url.Parse(h.srv.URL)
	br.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "koe_session", Value: secret, Path: "/"}})
	return br, ss.ID
}

// sessionCookie returns the koe_session cookie a response sets, nil for
// none.
func sessionCookie(r *response) *http.Cookie { return cookieOf(r, "koe_session") }

// cookieOf returns the cookie named name that a response sets, nil for
// none.
func cookieOf(r *response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setupToken returns the setup link's token while koe has no admin, and
// one of the right shape (of no link) once it has.
func (h *harness) setupToken() string {
	h.t.Helper()
	tok, _, err := h.act.SetupToken(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	if tok == "" {
		return auth.NewSecret(auth.SetupPrefix)
	}
	return tok
}
