package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/koehq/koe"
)

// testPasskeys: an account's user handle is made once and finds it;
// passkeys are unique by credential id, listed by account, renamed and
// deleted by their account only, and each write is a change; a sign-in
// must advance the signature counter; passkey_required needs a passkey
// and goes with the last one.
func testPasskeys(t *testing.T, s koe.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "passkeyed")
	b := newAccount(t, s, "other")

	// The handle: made by gen once, then kept.
	calls := 0
	gen := func() []byte { calls++; return bytes.Repeat([]byte{byte(calls)}, 32) }
	h1, err := s.PasskeyHandle(ctx, a.ID, gen)
	must(t, "PasskeyHandle", err)
	h2, err := s.PasskeyHandle(ctx, a.ID, gen)
	must(t, "PasskeyHandle(again)", err)
	if !bytes.Equal(h1, h2) || len(h1) != 32 || calls != 1 {
		t.Errorf("handles %x, %x after %d calls of gen; want one, made once", h1, h2, calls)
	}
	_, err = s.PasskeyHandle(ctx, a.ID+1000, gen)
	wantCode(t, "PasskeyHandle(unknown account)", err, koe.ENOTFOUND)
	got, err := s.AccountByPasskeyHandle(ctx, h1)
	must(t, "AccountByPasskeyHandle", err)
	if got.ID != a.ID {
		t.Errorf("AccountByPasskeyHandle = account %d, want %d", got.ID, a.ID)
	}
	_, err = s.AccountByPasskeyHandle(ctx, bytes.Repeat([]byte{9}, 32))
	wantCode(t, "AccountByPasskeyHandle(unknown)", err, koe.ENOTFOUND)

	// passkey_required needs a passkey.
	_, err = s.UpdateAccount(ctx, a.ID, koe.AccountUpdate{PasskeyRequired: ptr(true)})
	wantCode(t, "UpdateAccount(passkey_required without a passkey)", err, koe.ECONFLICT)

	start := head(t, s)
	actor := koe.Actor{Kind: koe.ActorStaff, ID: a.ID, Via: koe.ViaSession, Addr: "198.51.100.9"}
	octx := koe.WithOrigin(ctx, koe.Origin{Actor: actor, At: time.Now()})
	newPasskey := func(acct *koe.Account, id byte, name string, count uint32) *koe.Passkey {
		t.Helper()
		pk := &koe.Passkey{AccountID: acct.ID, Name: name, CredentialID: []byte{id, id, id}, RPID: "koe.example",
			Credential: []byte(fmt.Sprintf(`{"id":"%d"}`, id)), SignCount: count}
		must(t, "CreatePasskey", s.CreatePasskey(octx, pk))
		if pk.ID == 0 || pk.LastUsedAt != nil {
			t.Errorf("created passkey %+v", pk)
		}
		checkTime(t, "CreatedAt", pk.CreatedAt)
		return pk
	}
	p1 := newPasskey(a, 1, "YubiKey", 3)
	p2 := newPasskey(a, 2, "Phone", 3)
	pb := newPasskey(b, 3, "B's", 3)
	dup := &koe.Passkey{AccountID: b.ID, Name: "dup", CredentialID: []byte{1, 1, 1}, RPID: "koe.example", Credential: []byte(`{}`)}
	wantCode(t, "CreatePasskey(same credential id)", s.CreatePasskey(ctx, dup), koe.ECONFLICT)
	wantCode(t, "CreatePasskey(unknown account)", s.CreatePasskey(ctx, &koe.Passkey{AccountID: a.ID + 1000, Name: "x",
		CredentialID: []byte{7}, RPID: "koe.example", Credential: []byte(`{}`)}), koe.ENOTFOUND)

	list, err := s.Passkeys(ctx, a.ID)
	must(t, "Passkeys", err)
	if len(list) != 2 || list[0].ID != p1.ID || list[1].ID != p2.ID {
		t.Fatalf("Passkeys = %+v, want the two of the account, oldest first", list)
	}
	if l := list[0]; !bytes.Equal(l.CredentialID, p1.CredentialID) || l.RPID != "koe.example" || string(l.Credential) != `{"id": "1"}` && string(l.Credential) != `{"id":"1"}` || l.SignCount != 3 {
		t.Errorf("stored passkey %+v, credential %s", l, l.Credential)
	}
	same(t, "Passkeys[0]", list[0], p1)

	// Renaming: the account's own only.
	_, err = s.RenamePasskey(octx, b.ID, p1.ID, "stolen")
	wantCode(t, "RenamePasskey(another account's)", err, koe.ENOTFOUND)
	r, err := s.RenamePasskey(octx, a.ID, p1.ID, "YubiKey 5")
	must(t, "RenamePasskey", err)
	if r.Name != "YubiKey 5" || r.ID != p1.ID {
		t.Errorf("renamed %+v", r)
	}

	// Signing in: the counter must advance; 0 stays 0 for authenticators
	// without one.
	at := time.Now().UTC().Truncate(time.Microsecond)
	must(t, "UsePasskey", s.UsePasskey(ctx, p1.ID, 4, []byte(`{"id":"1","n":4}`), at))
	wantCode(t, "UsePasskey(same count)", s.UsePasskey(ctx, p1.ID, 4, []byte(`{}`), at), koe.ECONFLICT)
	wantCode(t, "UsePasskey(lower count)", s.UsePasskey(ctx, p1.ID, 2, []byte(`{}`), at), koe.ECONFLICT)
	zero := newPasskey(b, 4, "no counter", 0)
	must(t, "UsePasskey(0 then 0)", s.UsePasskey(ctx, zero.ID, 0, zero.Credential, at))
	wantCode(t, "UsePasskey(3 then 0)", s.UsePasskey(ctx, p2.ID, 0, p2.Credential, at), koe.ECONFLICT)
	list, err = s.Passkeys(ctx, a.ID)
	must(t, "Passkeys", err)
	if l := list[0]; l.SignCount != 4 || l.LastUsedAt == nil || !l.LastUsedAt.Equal(at) || !bytes.Contains(l.Credential, []byte(`"n"`)) {
		t.Errorf("used passkey %+v (%s)", l, l.Credential)
	}

	// Two sign-ins with one counter value: one passes.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.UsePasskey(ctx, p1.ID, 9, p1.Credential, at)
		}()
	}
	wg.Wait()
	passed := 0
	for _, err := range errs {
		if err == nil {
			passed++
		} else if koe.ErrorCode(err) != koe.ECONFLICT {
			t.Errorf("UsePasskey(concurrent): %v", err)
		}
	}
	if passed != 1 {
		t.Errorf("%d of %d concurrent sign-ins with counter 9 passed, want 1", passed, len(errs))
	}

	// passkey_required, then the passkeys deleted: it goes with the last.
	up, err := s.UpdateAccount(ctx, a.ID, koe.AccountUpdate{PasskeyRequired: ptr(true)})
	must(t, "UpdateAccount(passkey_required)", err)
	if !up.PasskeyRequired {
		t.Error("passkey_required not set")
	}
	wantCode(t, "DeletePasskey(another account's)", s.DeletePasskey(octx, b.ID, p1.ID), koe.ENOTFOUND)
	must(t, "DeletePasskey", s.DeletePasskey(octx, a.ID, p1.ID))
	wantCode(t, "DeletePasskey(again)", s.DeletePasskey(octx, a.ID, p1.ID), koe.ENOTFOUND)
	if acct, err := s.Account(ctx, a.ID); err != nil || !acct.PasskeyRequired {
		t.Errorf("after deleting one of two passkeys: %+v, %v; want passkey_required kept", acct, err)
	}
	must(t, "DeletePasskey(the last)", s.DeletePasskey(octx, a.ID, p2.ID))
	if acct, err := s.Account(ctx, a.ID); err != nil || acct.PasskeyRequired {
		t.Errorf("after deleting the last passkey: %+v, %v; want passkey_required off", acct, err)
	}
	if list, err := s.Passkeys(ctx, b.ID); err != nil || len(list) != 2 || list[0].ID != pb.ID {
		t.Errorf("the other account's passkeys: %+v, %v", list, err)
	}

	var types []koe.ChangeType
	for _, c := range readAll(t, s, start) {
		if c.Actor != actor && c.Type != koe.AccountUpdated && c.Type != koe.PasskeyCreated {
			continue // the store's own writes above, without an origin
		}
		types = append(types, c.Type)
		if c.Visibility != koe.VisibleStaff || bytes.Contains(c.Data, []byte("credential")) {
			t.Errorf("%s recorded with visibility %s: %s", c.Type, c.Visibility, c.Data)
		}
	}
	want := []koe.ChangeType{koe.PasskeyCreated, koe.PasskeyCreated, koe.PasskeyCreated, koe.PasskeyUpdated,
		koe.PasskeyCreated, koe.AccountUpdated, koe.PasskeyDeleted, koe.PasskeyDeleted, koe.AccountUpdated}
	if !slices.Equal(types, want) {
		t.Errorf("changes %v, want %v", types, want)
	}
}

// testPasskeyCeremonies: a ceremony is taken once, even by many at once,
// not after it expired, and expired ones are pruned.
func testPasskeyCeremonies(t *testing.T, s koe.Store) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	newCeremony := func(b byte, kind string, expires time.Time) *koe.PasskeyCeremony {
		t.Helper()
		c := &koe.PasskeyCeremony{Hash: bytes.Repeat([]byte{b}, 32), Kind: kind, AccountID: int64(b),
			Session: []byte(`{"challenge":"c"}`), ExpiresAt: expires}
		must(t, "CreatePasskeyCeremony", s.CreatePasskeyCeremony(ctx, c, now))
		if c.ID == 0 {
			t.Errorf("ceremony %+v", c)
		}
		return c
	}
	c1 := newCeremony(1, koe.CeremonyRegister, now.Add(5*time.Minute))
	got, err := s.ConsumePasskeyCeremony(ctx, c1.Hash, now)
	must(t, "ConsumePasskeyCeremony", err)
	if got.ID != c1.ID || got.Kind != koe.CeremonyRegister || got.AccountID != 1 || !bytes.Contains(got.Session, []byte("challenge")) ||
		!got.ExpiresAt.Equal(c1.ExpiresAt) {
		t.Errorf("consumed %+v, want %+v", got, c1)
	}
	_, err = s.ConsumePasskeyCeremony(ctx, c1.Hash, now)
	wantCode(t, "ConsumePasskeyCeremony(again)", err, koe.ENOTFOUND)
	_, err = s.ConsumePasskeyCeremony(ctx, bytes.Repeat([]byte{7}, 32), now)
	wantCode(t, "ConsumePasskeyCeremony(unknown)", err, koe.ENOTFOUND)

	// Expired: refused, and pruned by the next creation.
	c2 := newCeremony(2, koe.CeremonyLogin, now.Add(time.Minute))
	_, err = s.ConsumePasskeyCeremony(ctx, c2.Hash, now.Add(time.Minute))
	wantCode(t, "ConsumePasskeyCeremony(expired)", err, koe.ENOTFOUND)
	c3 := newCeremony(3, koe.CeremonyLogin, now.Add(time.Minute))
	newCeremony(4, koe.CeremonySecondFactor, now.Add(10*time.Minute))
	must(t, "CreatePasskeyCeremony", s.CreatePasskeyCeremony(ctx, &koe.PasskeyCeremony{Hash: bytes.Repeat([]byte{5}, 32),
		Kind: koe.CeremonyLogin, Session: []byte(`{}`), ExpiresAt: now.Add(10 * time.Minute)}, now.Add(2*time.Minute)))
	_, err = s.ConsumePasskeyCeremony(ctx, c3.Hash, now) // still valid at now, but pruned at now+2m
	wantCode(t, "ConsumePasskeyCeremony(pruned)", err, koe.ENOTFOUND)

	// Many at once: one takes it.
	c6 := newCeremony(6, koe.CeremonyLogin, now.Add(5*time.Minute))
	var wg sync.WaitGroup
	taken := make([]bool, 8)
	for i := range taken {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.ConsumePasskeyCeremony(ctx, c6.Hash, now)
			taken[i] = err == nil
			if err != nil && koe.ErrorCode(err) != koe.ENOTFOUND {
				t.Errorf("ConsumePasskeyCeremony(concurrent): %v", err)
			}
		}()
	}
	wg.Wait()
	if n := len(slices.DeleteFunc(taken, func(b bool) bool { return !b })); n != 1 {
		t.Errorf("%d of 8 concurrent takes of one ceremony succeeded, want 1", n)
	}
}
