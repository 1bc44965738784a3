package slacktest

import (
	"encoding/json"
	"testing"
)

// FuzzCheckBlocks: the checker reads whatever a client posts, and
// answers it, never panics.
func FuzzCheckBlocks(f *testing.F) {
	f.Add([]byte(`[{"type":"section","text":{"type":"mrkdwn","text":"x"},"accessory":{"type":"button","text":{"type":"plain_text","text":"b"}}}]`))
	f.Add([]byte(`[{"type":"actions","elements":[1,"x",null,{"type":"button","confirm":[]}]}]`))
	f.Add([]byte(`[{"type":"context","elements":[{"type":"image"},{"type":7}]},{"type":"header","text":null}]`))
	f.Add([]byte(`[{"type":"section","fields":{"a":1},"block_id":5}]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := CheckBlocks(json.RawMessage(b))
		if err == nil && !json.Valid(b) {
			t.Fatal("invalid JSON accepted")
		}
	})
}
