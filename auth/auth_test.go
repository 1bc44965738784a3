package auth

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koehq/koe"
)

func TestPasswordHashAndVerify(t *testing.T) {
	ctx := t.Context()
	p := NewPasswords(2)
	h, err := p.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not argon2id with the chosen parameters", h)
	}
	h2, _ := p.Hash(ctx, "correct horse battery staple")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		hash, password string
		want           bool
	}{
		{h, "correct horse battery staple", true},
		{h, "correct horse battery stapl", false},
		{h, "", false},
		{"", "correct horse battery staple", false}, // unknown account: the dummy
		{"", "koe dummy password", false},           // not even the dummy's own password
	} {
		got, err := p.Verify(ctx, tc.hash, tc.password)
		if err != nil || got != tc.want {
			t.Errorf("Verify(%.20q, %q) = %v, %v; want %v", tc.hash, tc.password, got, err, tc.want)
		}
	}
}

func TestPasswordVerifyRefusesMalformedHashes(t *testing.T) {
	p := NewPasswords(1)
	for _, h := range []string{
		"plain",
		"$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", // 4 GiB: refused, not attempted
		"$argon2id$v=19$m=19456,t=99,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if ok, err := p.Verify(t.Context(), h, "whatever"); ok || err == nil {
			t.Errorf("Verify(%q) = %v, %v; want an error", h, ok, err)
		}
	}
}

// TestPasswordSlots: no more hashes run at once than the slots allow, and
// a caller that gives up waiting gets its context's error.
func TestPasswordSlots(t *testing.T) {
	p := NewPasswords(2)
	p.slots <- struct{}{}
	p.slots <- struct{}{}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := p.Hash(ctx, "some long password"); err != context.DeadlineExceeded {
		t.Fatalf("Hash with every slot taken = %v, want DeadlineExceeded", err)
	}
	<-p.slots
	<-p.slots

	var running, most atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			p.acquire(t.Context())
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			p.hash("x", salt())
			running.Add(-1)
			p.release()
		})
	}
	wg.Wait()
	if most.Load() > 2 {
		t.Fatalf("%d hashes ran at once, want at most 2", most.Load())
	}
}

func TestCheckNewPassword(t *testing.T) {
	for _, tc := range []struct {
		password string
		personal []string
		ok       bool
	}{
		{"short", nil, false},
		{"password123", nil, false},
		{"1234567890", nil, false},
		{"qwertyuiop", nil, false},
		{"aaaaaaaaaaaa", nil, false},
		{"iloveyou2024", nil, false},
		{"taro.yamada-2026", []string{"taro.yamada"}, false},
		{"my name is Aiko!", []string{"aiko"}, false},
		{strings.Repeat("x", MaxPasswordLen+1), nil, false},
		{"\xff\xfe invalid utf-8 bytes", nil, false},
		{"correct horse battery staple", nil, true},
		{"声を届けるミートアップ2026", nil, true},
		{"tR7#kq9!Lm2@", nil, true},
		{strings.Repeat("vN3$", 60), nil, false}, // a repetition, however long
		{"ne9#Lq" + strings.Repeat("tokyo meetup ", 18), nil, true},
	} {
		err := CheckNewPassword(tc.password, tc.personal...)
		if (err == nil) != tc.ok {
			t.Errorf("CheckNewPassword(%.30q) = %v, want ok=%v", tc.password, err, tc.ok)
		}
		if err != nil && koe.ErrorCode(err) != koe.EINVALID {
			t.Errorf("CheckNewPassword(%.30q): code %q, want invalid", tc.password, koe.ErrorCode(err))
		}
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret(SessionPrefix), NewSecret(SessionPrefix)
	if a == b || !HasPrefix(a, SessionPrefix) || len(a) != len(SessionPrefix)+43 {
		t.Fatalf("secrets %q, %q", a, b)
	}
	if HasPrefix(a, APITokenPrefix) || HasPrefix(SessionPrefix+strings.Repeat("x", MaxSecretLen), SessionPrefix) {
		t.Fatal("HasPrefix accepts another kind or an overlong secret")
	}
	if !Equal(a, a) || Equal(a, b) || Equal(a, a+"x") {
		t.Fatal("Equal is wrong")
	}
	if len(Hash(a)) != 32 {
		t.Fatal("hash is not SHA-256")
	}
}

// keyStore hands out one key per period, as the store's secrets do, and
// counts how often it was asked.
type keyStore struct {
	mu   sync.Mutex
	keys map[int64][]byte
	asks int
}

func (k *keyStore) key(_ context.Context, period int64) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.asks++
	if k.keys == nil {
		k.keys = map[int64][]byte{}
	}
	if _, ok := k.keys[period]; !ok {
		k.keys[period], _ = NewKey()
	}
	return k.keys[period], nil
}

func TestParticipantTokens(t *testing.T) {
	ctx := t.Context()
	keys := &keyStore{}
	tokens := NewParticipantTokens(90*24*time.Hour, keys.key)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

	tok, err := tokens.Issue(ctx, 7, 1234, now)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tok, "1234") || !strings.HasPrefix(tok, ParticipantPrefix) {
		t.Fatalf("token %q shows the participant's id or lacks the prefix", tok)
	}
	other, _ := tokens.Issue(ctx, 7, 1234, now)
	if other == tok {
		t.Fatal("two tokens for one participant are equal (the nonce is not random)")
	}
	open := func(tok string, at time.Time) (int64, int64, bool) {
		t.Helper()
		e, p, ok, err := tokens.Open(ctx, tok, at)
		if err != nil {
			t.Fatal(err)
		}
		return e, p, ok
	}
	if e, p, ok := open(tok, now.Add(time.Hour)); !ok || e != 7 || p != 1234 {
		t.Fatalf("Open = %d, %d, %v; want 7, 1234, true", e, p, ok)
	}

	// Key rotation: 45 days later new tokens use a new key, and the old
	// token still opens until it expires at 90 days.
	later := now.Add(45 * 24 * time.Hour)
	newer, _ := tokens.Issue(ctx, 7, 1234, later)
	if strings.Split(newer, ".")[1] == strings.Split(tok, ".")[1] {
		t.Fatal("a token 45 days later was sealed with the same key")
	}
	if _, _, ok := open(tok, later); !ok {
		t.Fatal("the older key's token no longer opens before it expires")
	}
	if _, _, ok := open(tok, now.Add(90*24*time.Hour)); ok {
		t.Fatal("a token opens at its expiry")
	}

	// Tampering and forgery.
	head, sealed, _ := strings.Cut(tok[len(ParticipantPrefix):], ".")
	raw, _ := base64.RawURLEncoding.DecodeString(sealed)
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)-20] ^= 1
	// The last character of the 70 carries 2 bits and 4 unused ones: the
	// same bytes with an unused bit set are not the same token.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, sealed[len(sealed)-1])
	unusedBit := sealed[:len(sealed)-1] + alphabet[last^1:last^1+1]
	for name, bad := range map[string]string{
		"unused bit set":  ParticipantPrefix + head + "." + unusedBit,
		"flipped bit":     ParticipantPrefix + head + "." + base64.RawURLEncoding.EncodeToString(flipped),
		"other key":       ParticipantPrefix + strings.Split(newer, ".")[1] + "." + sealed,
		"future key":      ParticipantPrefix + "99999" + "." + sealed,
		"ancient key":     ParticipantPrefix + "1" + "." + sealed,
		"padded key":      ParticipantPrefix + "0" + head + "." + sealed,
		"no sealed part":  ParticipantPrefix + head,
		"bad base64":      ParticipantPrefix + head + ".!!!",
		"short":           ParticipantPrefix + head + ".AAAA",
		"old format":      "p1.7.1234.abc",
		"empty":           "",
		"overlong":        tok + strings.Repeat("A", MaxSecretLen),
		"negative period": ParticipantPrefix + "-1." + sealed,
	} {
		if _, _, ok := open(bad, now); ok {
			t.Errorf("%s: %q opens", name, bad)
		}
	}
	asked := keys.asks
	open(tok, now)
	if keys.asks != asked {
		t.Error("a known key was fetched from the store again")
	}
}

func FuzzParticipantTokenOpen(f *testing.F) {
	keys := &keyStore{}
	tokens := NewParticipantTokens(90*24*time.Hour, keys.key)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tok, _ := tokens.Issue(context.Background(), 1, 2, now)
	f.Add(tok)
	f.Add("p2.681.")
	f.Add("p2..")
	f.Fuzz(func(t *testing.T, s string) {
		e, p, ok, err := tokens.Open(context.Background(), s, now)
		if err != nil {
			t.Fatal(err)
		}
		if ok && s != tok && (e != 1 || p != 2) {
			t.Fatalf("%q opened as %d, %d", s, e, p)
		}
	})
}
