package bluesky

import (
	"encoding/json"
	"errors"
	"time"
)

// position is a source's cursor: the Jetstream time (µs) and the newest
// indexedAt that search saw. Each part only moves forward.
type position struct {
	TimeUS int64  `json:"time_us,omitempty"`
	Since  string `json:"since,omitempty"`
}

func parsePosition(s string) (position, error) {
	var p position
	if s == "" {
		return p, nil
	}
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return position{}, errors.New("bluesky: cursor is not the JSON koe writes")
	}
	if p.TimeUS < 0 {
		return position{}, errors.New("bluesky: cursor time_us is negative")
	}
	if p.Since != "" {
		if _, err := time.Parse(time.RFC3339Nano, p.Since); err != nil {
			return position{}, errors.New("bluesky: cursor since is not a time")
		}
	}
	return p, nil
}

func (p position) String() string {
	if p == (position{}) {
		return ""
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// advance moves p to o's parts that are further on.
func (p position) advance(o position) position {
	p.TimeUS = max(p.TimeUS, o.TimeUS)
	if later(o.Since, p.Since) {
		p.Since = o.Since
	}
	return p
}

// later reports whether time a is after time b ("" is before all).
func later(a, b string) bool {
	ta, err := time.Parse(time.RFC3339Nano, a)
	if err != nil {
		return false
	}
	tb, err := time.Parse(time.RFC3339Nano, b)
	return err != nil || ta.After(tb)
}
