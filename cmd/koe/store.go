package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/koehq/koe"
	"github.com/koehq/koe/store/postgres"
	"github.com/koehq/koe/store/sqlite"
)

// versionedStore is a store that can say its schema version (koe migrate).
type versionedStore interface {
	koe.Store
	SchemaVersion(ctx context.Context) (int64, error)
}

// openStore opens (and migrates) PostgreSQL when KOE_DATABASE_URL names
// it, and the SQLite file in the data directory otherwise.
func openStore(ctx context.Context, c *config) (versionedStore, string, error) {
	if u := c.DatabaseURL; u != "" {
		if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
			return nil, "", fmt.Errorf("KOE_DATABASE_URL must be a postgres:// URL (leave it unset for SQLite)")
		}
		var opts []postgres.Option
		if commitHook != nil {
			opts = append(opts, postgres.WithCommitHook(commitHook))
		}
		st, err := postgres.Open(ctx, u, opts...)
		return st, "postgres", err
	}
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return nil, "", err
	}
	var opts []sqlite.Option
	if commitHook != nil {
		opts = append(opts, sqlite.WithCommitHook(commitHook))
	}
	st, err := sqlite.Open(ctx, c.dbPath(), opts...)
	return st, c.dbPath(), err
}

// commitHook sees every commit that recorded changes. Only a test build
// (fault.go, build tag faultinject) sets it.
var commitHook func([]koe.ChangeType)
