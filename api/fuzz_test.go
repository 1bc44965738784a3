package api

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
)

// requestTypes are the bodies decodeJSON reads, one per kind.
var requestTypes = []func() any{
	func() any { return new(act.NewEvent) },
	func() any { return new(act.EventPatch) },
	func() any { return new(act.NewTalk) },
	func() any { return new(act.TalkPatch) },
	func() any { return new(act.HighlightRequest) },
	func() any { return new(act.JoinRequest) },
	func() any { return new(act.NewQuestion) },
	func() any { return new(act.QuestionPatch) },
	func() any { return new(act.NewReply) },
	func() any { return new(act.SignInRequest) },
	func() any { return new(act.SetupRequest) },
	func() any { return new(act.NewAccount) },
	func() any { return new(act.AccountPatch) },
	func() any { return new(act.PasswordChange) },
	func() any { return new(act.StaffRole) },
	func() any { return new(act.NewInvitation) },
	func() any { return new(act.InvitationToken) },
	func() any { return new(act.SignUpRequest) },
	func() any { return new(act.MyAccountPatch) },
	func() any { return new(act.NewAPIToken) },
	func() any { return new(act.NewPasskey) },
	func() any { return new(act.PasskeyRename) },
	func() any { return new(act.ReviewDecision) },
	func() any { return new(act.BulkDecision) },
	func() any { return new(act.NewBan) },
	func() any { return new(koe.ModerationConfig) },
}

// The credentials of a registration and an assertion as a browser sends
// them (PublicKeyCredential.toJSON()), made by the software authenticator
// of softkey_test.go.
const (
	seedRegistration = `{"authenticatorAttachment":"platform","clientExtensionResults":{},"id":"rg7gn0fEMTZADOMTzoerJw","rawId":"rg7gn0fEMTZADOMTzoerJw","response":{"attestationObject":"o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YViUSZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAAAAAAAAAAAAAAAAAAAAAAAAAEK4O4J9HxDE2QAzjE86HqyelAQIDJiABIVggkOnSfWDq6B-k6x0LWgLiY-it__UoK8nEVFmhJQ3DTJoiWCAMF3WMgA_9h3Qh9EvbmNJRPxBDVKH7DcDjckBBZ_zQdw","clientDataJSON":"eyJjaGFsbGVuZ2UiOiJablY2ZWkxeVpXZHBjM1J5WVhScGIyNHRZMmhoYkd4bGJtZGxMVEF4IiwiY3Jvc3NPcmlnaW4iOmZhbHNlLCJvcmlnaW4iOiJodHRwOi8vbG9jYWxob3N0OjgwODAiLCJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0","transports":["internal"]},"type":"public-key"}`
	seedAssertion    = `{"authenticatorAttachment":"platform","clientExtensionResults":{},"id":"rg7gn0fEMTZADOMTzoerJw","rawId":"rg7gn0fEMTZADOMTzoerJw","response":{"authenticatorData":"SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ","clientDataJSON":"eyJjaGFsbGVuZ2UiOiJablY2ZWkxaGMzTmxjblJwYjI0dFkyaGhiR3hsYm1kbExUQXdNREF3TVEiLCJjcm9zc09yaWdpbiI6ZmFsc2UsIm9yaWdpbiI6Imh0dHA6Ly9sb2NhbGhvc3Q6ODA4MCIsInR5cGUiOiJ3ZWJhdXRobi5nZXQifQ","signature":"MEYCIQD04JIDgfi8YPXkGrWYG-AnAiQgMHjEiYHqh-GlpIBBAgIhAPPQb2Jw3OYqsRkUw8EVGuTRo0KzRf3Fxs4iny_x5Zlz","userHandle":"dXNlci1oYW5kbGUtMzItYnl0ZXMtbG9uZy0wMTIzNDU"},"type":"public-key"}`
)

func FuzzDecodeBody(f *testing.F) {
	seeds := []string{
		`{"title":"KoeConf","slug":"koe-conf","time_zone":"Asia/Tokyo","starts_at":"2026-05-01T09:00:00+09:00","ends_at":null,"settings":{"participant_replies":true}}`,
		`{"title":"T","starts_at":null,"ends_at":"2026-05-01T09:00:00Z"}`,
		`{"title":"Keynote","speaker":"Ada","track":"A","qa_open":false}`,
		`{"question_id":12}`, `{"question_id":null}`, `{"question_id":-1}`, `{"question_id":1e400}`,
		`{"code":"abcdef","display_name":"Ann"}`, `{"code":"abcdef","passcode":"ＫＯＥ２０２６"}`, `{"passcode":""}`, `{"passcode":null}`,
		`{"body":"Why?","anonymous":true}`, `{"body":"Why?","duplicate_ok":true}`,
		`{"decision":"approve","body":"fixed"}`, `{"decision":"reject"}`, `{"ids":[1,2,3],"decision":"approve"}`, `{"ids":[]}`,
		`{"review_id":3,"hide_items":true,"reason":"spam"}`, `{"question_id":4}`,
		`{"fail_closed":true,"queue_threshold":0.7,"reject_threshold":0.97,"max_links":1,"shipped_lists":true,"words":[{"word":"クソ","action":"mask"}],"allow":["Scunthorpe"],"scorers":[{"name":"tox","url":"http://127.0.0.1:8090/"}]}`,
		`{"queue_threshold":"high"}`, `{"words":[{"word":1}]}`,
		`{"body":"edited","answered":true,"hidden":false}`,
		`{"body":"reply","author_name":"Speaker"}`,
		`{"login":"aiko","password":"correct horse battery"}`, `{"token":"koe_owner"}`,
		`{"token":"koe_setup_x","login":"aiko","display_name":"Aiko","email":"a@example.com","password":"p","admin":true}`,
		`{"display_name":"A","email":null,"admin":false,"disabled":true}`, `{"current":"a","new":"b"}`,
		`{"role":"presenter","talks":[1,2]}`, `{"role":"owner","talks":null,"expires_in_hours":24}`, `{"role":"presenter","talks":[1.5]}`,
		`{"token":"koe_i_x","login":"ken","password":"x"}`,
		`{"name":"CI","events":[1],"roles":["moderator"],"expires_at":"2027-01-01T00:00:00Z"}`, `{"roles":"owner"}`,
		`{"ceremony":"koe_c_x","name":"YubiKey 5","credential":` + seedRegistration + `}`,
		`{"passkey":{"ceremony":"koe_c_x","credential":` + seedAssertion + `}}`,
		`{"passkey":{"ceremony":"koe_c_x","credential":null}}`, `{"passkey":null}`, `{"passkey_required":true}`, `{"name":"Phone"}`,
		`{}`, `null`, `[]`, `""`, `1`, `true`, ``, ` `, `{`, `}`, `{"a":1}`, `{} {}`, `{}x`,
		`{"title":1}`, `{"settings":{"x":1}}`, `{"starts_at":"tomorrow"}`, `{"starts_at":"2026-13-01T00:00:00Z"}`,
		`{"body":"\u0000"}`, "{\"body\":\"\xff\"}", `{"body":"\ud800"}`, `{"TITLE":"case"}`, `{"title":"a","title":"b"}`,
		strings.Repeat(`[`, 10000), strings.Repeat(`{"a":`, 1000),
	}
	for kind := range requestTypes {
		for _, s := range seeds {
			f.Add(uint8(kind), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		dst := requestTypes[int(kind)%len(requestTypes)]()
		err := decodeBody(body, dst)
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("decodeBody error %v has code %q, want %q", err, koe.ErrorCode(err), koe.EINVALID)
			}
			if msg := koe.ErrorMessage(err); len(msg) > 200 {
				t.Fatalf("error message of %d bytes", len(msg))
			}
			return
		}
		// Accepted: the input is exactly one JSON value, and decoding it
		// again (strictly) gives the same value.
		if !json.Valid(body) {
			t.Fatalf("decodeBody accepted invalid JSON %q", body)
		}
		again := requestTypes[int(kind)%len(requestTypes)]()
		if err := decodeBody(body, again); err != nil {
			t.Fatalf("second decode failed: %v", err)
		}
		a, _ := json.Marshal(dst)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Fatalf("decoding is not deterministic: %s vs %s", a, b)
		}
	})
}

// FuzzAuditFilter: an audit log query from outside is read or refused
// with EINVALID, never more.
func FuzzAuditFilter(f *testing.F) {
	for _, s := range []string{"", "account=0", "account=12&type=question.&limit=1000", "since=2026-12-01T00:00:00Z&until=2026-12-02T00:00:00Z",
		"before=1-2", "before=x", "limit=0", "limit=1001", "format=csv", "format=xml", "account=-1", "account=012", "since=yesterday", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/api/v1/audit", nil)
		r.URL.RawQuery = query
		_, format, err := auditFilter(r)
		if err != nil {
			if koe.ErrorCode(err) != koe.EINVALID {
				t.Fatalf("auditFilter(%q): code %q", query, koe.ErrorCode(err))
			}
			return
		}
		if format != "" && format != "csv" && format != "json" {
			t.Fatalf("auditFilter(%q): format %q", query, format)
		}
	})
}
