// Package testenv gives tests the PostgreSQL and Redis servers they need.
// Without KOE_TEST_POSTGRES_URL / KOE_TEST_REDIS_URL such tests skip, so
// that `go test ./...` passes on a bare machine; with
// KOE_TEST_REQUIRE_SERVICES=1 (as .ci/run sets) a missing one fails the
// test instead, so CI can never pass by skipping.
package testenv

import (
	"os"
	"testing"
)

// PostgresURL is the admin URL of the test PostgreSQL server.
func PostgresURL(t testing.TB) string { return need(t, "KOE_TEST_POSTGRES_URL") }

// RedisURL is the URL of the test Redis server.
func RedisURL(t testing.TB) string { return need(t, "KOE_TEST_REDIS_URL") }

func need(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	if os.Getenv("KOE_TEST_REQUIRE_SERVICES") == "1" {
		t.Fatalf("%s is not set but KOE_TEST_REQUIRE_SERVICES=1: this test must not be skipped", name)
	}
	t.Skipf("%s is not set: skipping (see README.md, Tests)", name)
	return ""
}
