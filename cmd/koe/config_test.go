package main

import (
	"strings"
	"testing"
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
