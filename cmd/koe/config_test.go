package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/koehq/koe"
)

// TestOwnerTokenLength: an owner token shorter than 32 characters is
// refused at start, with how to make a good one (it was 16, and hashed
// with one unsalted SHA-256, before).
func TestOwnerTokenLength(t *testing.T) {
	t.Setenv("KOE_OWNER_TOKEN", "0123456789abcdef0123456789abcde") // 31
	if _, err := parseServeConfig(nil); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("a 31-character owner token: %v, want refused", err)
	}
	t.Setenv("KOE_OWNER_TOKEN", "0123456789abcdef0123456789abcdef")
	if _, err := parseServeConfig(nil); err != nil {
		t.Errorf("a 32-character owner token: %v", err)
	}
}

func TestParseScorers(t *testing.T) {
	got, err := parseScorers(" tox=https://scorer.example.com/v1 , koe-scorer:flag=http://koe-scorer:8090/")
	want := []koe.ScorerConfig{{Name: "tox", URL: "https://scorer.example.com/v1"}, {Name: "koe-scorer", URL: "http://koe-scorer:8090/", FlagOnly: true}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("parseScorers = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"tox", "=http://x/", "tox:loud=http://x/", "tox=ftp://x/", "tox=http://"} {
		if _, err := parseScorers(bad); err == nil {
			t.Errorf("parseScorers(%q) accepted", bad)
		}
	}
}
