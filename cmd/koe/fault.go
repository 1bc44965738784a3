//go:build faultinject

package main

import (
	"fmt"
	"os"
	"slices"

	"github.com/koehq/koe"
)

// In a binary built with -tags faultinject (only tests build one),
// KOE_FAULT_EXIT_AFTER=TYPE makes koe die the moment a change of that type
// has been committed, before anything else happens: before the outbox's
// readers hear of it, before the request is answered. This is how the
// tests show that what was committed is delivered all the same.
func init() {
	typ := koe.ChangeType(os.Getenv("KOE_FAULT_EXIT_AFTER"))
	if typ == "" {
		return
	}
	commitHook = func(types []koe.ChangeType) {
		if slices.Contains(types, typ) {
			fmt.Fprintf(os.Stderr, "koe: fault injected: exiting after committing %s\n", typ)
			os.Exit(86)
		}
	}
}
