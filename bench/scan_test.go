package bench

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

const sampleEvents = `{"type":"events","topic":"talk:1","epoch":"k3f9a","events":[` +
	`{"seq":5,"type":"question.created","time":"2026-11-21T23:59:01.123456789Z","data":{"id":7,"event_id":1,"talk_id":1,"author_name":"p1","body":"Why \"type\":\"question.likes\" {[?","likes":0,"version":1,"created_at":"2026-11-21T23:59:01Z","answered_at":null,"mine":false}},` +
	`{"seq":6,"type":"question.likes","time":"2026-11-21T23:59:01.2Z","data":{"id":3,"likes":9,"version":12}},` +
	`{"seq":7,"type":"presence","time":"2026-11-21T23:59:01.3Z","data":{"connections":10000}}]}`

func TestScanMessage(t *testing.T) {
	created := time.Date(2026, 11, 21, 23, 59, 1, 123456789, time.UTC)
	for _, tc := range []struct {
		name string
		in   string
		kind msgKind
		evs  []event
		ok   bool
	}{
		{"events", sampleEvents, msgEvents, []event{
			{kind: evCreated, id: 7, hasID: true, version: 1, hasVersion: true, time: created, hasTime: true},
			{kind: evLikes, id: 3, hasID: true, version: 12, hasVersion: true},
			{kind: evOther},
		}, true},
		{"keys in any order, white space", ` { "events" : [ { "data" : { "version" : 2 , "id" : -4 } , "time" : "2026-11-21T23:59:01.123456789Z" , "type" : "question.created" } ] , "type" : "events" } `,
			msgEvents, []event{{kind: evCreated, id: -4, hasID: true, version: 2, hasVersion: true, time: created, hasTime: true}}, true},
		{"reactions and a highlight", `{"type":"events","events":[{"type":"reactions","time":"2026-11-21T23:59:01.123456789Z","data":{"👏":3}},` +
			`{"seq":8,"type":"talk.updated","time":"2026-11-21T23:59:01.123456789Z","data":{"id":1,"version":4}}]}`,
			msgEvents, []event{{kind: evReactions, time: created, hasTime: true},
				{kind: evTalkUpdated, id: 1, hasID: true, version: 4, hasVersion: true, time: created, hasTime: true}}, true},
		{"subscribed", `{"type":"subscribed","topic":"talk:1","cursor":"k3f9a-120"}`, msgSubscribed, nil, true},
		{"reset", `{"type":"reset","topic":"talk:1","reason":"overflow"}`, msgReset, nil, true},
		{"error", `{"type":"error","error":{"code":"forbidden","message":"no"}}`, msgError, nil, true},
		{"escaped type", `{"type":"ev\u0065nts","events":[{"type":"question\u002elikes","data":{"id":1}}]}`,
			msgEvents, []event{{kind: evLikes, id: 1, hasID: true}}, true},
		{"non-integer numbers", `{"type":"events","events":[{"type":"question.likes","data":{"id":1.5,"version":1e3}}]}`,
			msgEvents, []event{{kind: evLikes}}, true},
		{"bad time", `{"type":"events","events":[{"type":"question.created","time":"yesterday","data":{"id":1}}]}`,
			msgEvents, []event{{kind: evCreated, id: 1, hasID: true}}, true},
		{"later key wins", `{"type":"events","events":[{"type":"question.likes","data":{"id":1}}],"events":[]}`, msgEvents, nil, true},
		{"not an object", `["type","events"]`, msgOther, nil, false},
		{"cut short", sampleEvents[:len(sampleEvents)-40], msgEvents, nil, false},
		{"empty", ``, msgOther, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, evs, ok := scanMessage([]byte(tc.in), nil)
			if ok != tc.ok || (ok && (kind != tc.kind || !eventsEqual(evs, tc.evs))) {
				t.Errorf("scanMessage = %v, %+v, %v; want %v, %+v, %v", kind, evs, ok, tc.kind, tc.evs, tc.ok)
			}
		})
	}
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "-0": 0, "42": 42, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63,
	} {
		if got, ok := parseInt([]byte(in)); !ok || got != want {
			t.Errorf("parseInt(%q) = %d, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "-", "9223372036854775808", "-9223372036854775809", "99999999999999999999", "1.0", "1e3", "null", "0x1"} {
		if got, ok := parseInt([]byte(in)); ok {
			t.Errorf("parseInt(%q) = %d, want failure", in, got)
		}
	}
}

func BenchmarkScanMessage(b *testing.B) {
	msg := []byte(sampleEvents)
	var evs []event
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		_, evs, _ = scanMessage(msg, evs)
	}
}

// FuzzScanEvents feeds the scanner arbitrary bytes. It must never panic,
// and on valid JSON it must agree with encoding/json (refScan).
func FuzzScanEvents(f *testing.F) {
	for _, s := range []string{
		sampleEvents,
		`{"type":"subscribed","topic":"talk:1","cursor":"k3f9a-120"}`,
		`{"type":"reset","topic":"talk:1","reason":"unknown_epoch"}`,
		`{"type":"events","events":[{"type":"question.likes","data":{"id":1,"version":2,"id":"x"}},null,7,{"data":[1]}]}`,
		`{"type":"ev\u0065nts","events":[{"t\u0079pe":"question.created","time":"2026-01-02T03:04:05.5+01:00","data":{"id":-9223372036854775808}}]}`,
		`{"type":null,"events":{"type":"question.created"},"x":[[[{"a":"\\\""}]]]}`,
		`{"type":"events","events":[{"type":"question.created","time":"2026-11-21T23:59:01Z","data":{"id":1.0,"version":1e2}}]}`,
		`{"a":"\"`,
		`{"type":"events","events":[{`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		kind, evs, ok := scanMessage(in, nil)
		if !json.Valid(in) {
			return
		}
		wantKind, wantEvs, wantOK := refScan(t, in)
		if ok != wantOK || (ok && (kind != wantKind || !eventsEqual(evs, wantEvs))) {
			t.Fatalf("scanMessage(%q) = %v, %+v, %v; encoding/json says %v, %+v, %v", in, kind, evs, ok, wantKind, wantEvs, wantOK)
		}
	})
}

// refScan is scanMessage written with encoding/json, for valid input.
func refScan(t *testing.T, in []byte) (msgKind, []event, bool) {
	if b := bytes.TrimLeft(in, " \t\r\n"); len(b) == 0 || b[0] != '{' {
		return msgOther, nil, false
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(in, &top); err != nil {
		t.Fatalf("valid JSON object did not decode: %v", err)
	}
	kind := map[string]msgKind{
		"events": msgEvents, "subscribed": msgSubscribed, "reset": msgReset, "error": msgError,
	}[refString(top["type"])]
	var elems []json.RawMessage
	if isKind(top["events"], '[') {
		_ = json.Unmarshal(top["events"], &elems)
	}
	var evs []event
	for _, raw := range elems {
		if !isKind(raw, '{') {
			continue
		}
		var e map[string]json.RawMessage
		_ = json.Unmarshal(raw, &e)
		var ev event
		switch refString(e["type"]) {
		case "question.created":
			ev.kind = evCreated
		case "question.likes":
			ev.kind = evLikes
		case "reactions":
			ev.kind = evReactions
		case "talk.updated":
			ev.kind = evTalkUpdated
		}
		if ev.kind == evCreated || ev.kind == evReactions || ev.kind == evTalkUpdated {
			if tm, err := time.Parse(time.RFC3339Nano, refString(e["time"])); err == nil {
				ev.time, ev.hasTime = tm, true
			}
		}
		if isKind(e["data"], '{') {
			var d map[string]json.RawMessage
			_ = json.Unmarshal(e["data"], &d)
			ev.id, ev.hasID = refInt(d["id"])
			ev.version, ev.hasVersion = refInt(d["version"])
		}
		evs = append(evs, ev)
	}
	return kind, evs, true
}

// isKind reports whether a raw value starts with c ('{', '[' or '"').
func isKind(raw json.RawMessage, c byte) bool {
	b := bytes.TrimLeft(raw, " \t\r\n")
	return len(b) > 0 && b[0] == c
}

func refString(raw json.RawMessage) string {
	var s string
	if !isKind(raw, '"') || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// refInt decodes an int64; null decodes without error in encoding/json but
// carries no value, so it is not one.
func refInt(raw json.RawMessage) (int64, bool) {
	var n int64
	if raw == nil || string(raw) == "null" || json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	return n, true
}

func eventsEqual(a, b []event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.time.Equal(y.time) {
			return false
		}
		x.time, y.time = time.Time{}, time.Time{}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func TestScanCache(t *testing.T) {
	c := newScanCache()
	msg := []byte(sampleEvents)
	first := c.scan(msg)
	msg[len(msg)-1] = 'x' // the cache must have kept its own copy
	other := c.scan(msg)
	msg[len(msg)-1] = '}'
	again := c.scan(msg)
	if first != again || other == first || !first.ok || other.ok || len(first.evs) != 3 {
		t.Errorf("cache results: first %+v, other %+v, again %+v", first, other, again)
	}
	if got := c.hitRate(); got != 1.0/3 {
		t.Errorf("hit rate %v, want 1/3", got)
	}
}
