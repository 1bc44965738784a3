package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const envURL = "KOE_TEST_POSTGRES_URL"

// testDBPrefix starts the name of every database the tests create; the
// creation time follows, so that databases left by a killed run can be
// told from those of a run in progress.
const testDBPrefix = "koe_test_"

var sweepOnce sync.Once

// PostgresDatabase creates an empty database for tb, drops it when tb ends
// (after the stores opened on it are closed) and returns its URL.
func PostgresDatabase(tb testing.TB) string {
	tb.Helper()
	admin := PostgresURL(tb)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	name := testDBPrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("connect to %s: %v", envURL, err)
	}
	defer conn.Close(ctx)
	sweepOnce.Do(func() { sweep(ctx, tb, conn) })
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database: %v", err)
	}
	tb.Cleanup(func() { dropDatabase(tb, admin, name) })
	return withDatabase(tb, admin, name)
}

func dropDatabase(tb testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Errorf("drop database %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	// FORCE ends the sessions a failed test may have left behind.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		tb.Errorf("drop database %s: %v", name, err)
	}
}

// sweep drops the test databases more than an hour old: those of runs that
// were killed before their cleanup.
func sweep(ctx context.Context, tb testing.TB, conn *pgx.Conn) {
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'koe\_test\_%'`)
	if err != nil {
		tb.Logf("list old test databases: %v", err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Logf("list old test databases: %v", err)
		return
	}
	for _, name := range names {
		stamp, _, _ := strings.Cut(strings.TrimPrefix(name, testDBPrefix), "_")
		created, err := strconv.ParseInt(stamp, 10, 64)
		if err != nil || time.Since(time.Unix(created, 0)) < time.Hour {
			continue
		}
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Logf("drop old test database %s: %v", name, err)
		}
	}
}

// withDatabase returns the URL admin with its database replaced by name.
func withDatabase(tb testing.TB, admin, name string) string {
	if strings.HasPrefix(admin, "postgres://") || strings.HasPrefix(admin, "postgresql://") {
		u, err := url.Parse(admin)
		if err != nil {
			tb.Fatalf("%s: %v", envURL, err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String()
	}
	// Keyword/value form: a later setting overrides an earlier one.
	return admin + " dbname=" + name
}

// WithHost returns the URL u with its host and port replaced by hostport,
// to reach the same server through a proxy.
func WithHost(tb testing.TB, u, hostport string) string {
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		parsed, err := url.Parse(u)
		if err != nil {
			tb.Fatalf("%s: %v", envURL, err)
		}
		parsed.Host = hostport
		return parsed.String()
	}
	host, port, _ := strings.Cut(hostport, ":")
	return fmt.Sprintf("%s host=%s port=%s", u, host, port)
}
