package main

import (
	"testing"
)

// TestSeed: koe seed makes its demo event in a new data directory (it
// acts as koe itself, through the same actions as everyone).
func TestSeed(t *testing.T) {
	if err := seed([]string{"--data-dir", t.TempDir()}); err != nil {
		t.Fatal(err)
	}
}
