// Command testop runs koe's test OpenID provider (package oidctest) for
// browser end-to-end runs: it listens on -addr, prints its issuer URL as
// the first line of its output, and serves until interrupted.
//
//	testop -addr 127.0.0.1:9998 -redirect 'http://127.0.0.1:*/api/v1/session/oidc/callback' \
//	  -users '[{"subject":"u1","email":"ada@example.com","email_verified":true,"name":"Ada","groups":["koe-admins"]}]'
//
// -users is a JSON array of users, or @file to read one from a file.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/koehq/koe/internal/oidctest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "testop:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	clientID := flag.String("client-id", "koe", "the client's id")
	secret := flag.String("client-secret", "koe-test-secret", "the client's secret")
	redirects := flag.String("redirect", "http://127.0.0.1:*/api/v1/session/oidc/callback,http://localhost:*/api/v1/session/oidc/callback", "comma-separated redirect URIs of the client; * matches a port")
	users := flag.String("users", `[{"subject":"test-user","email":"test@example.com","email_verified":true,"name":"Test User","preferred_username":"test"}]`, "users: a JSON array, or @file")
	lifetime := flag.Duration("id-token-lifetime", 5*time.Minute, "how long ID tokens are valid")
	flag.Parse()

	raw := []byte(*users)
	if name, ok := strings.CutPrefix(*users, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		raw = b
	}
	var list []oidctest.User
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("-users: %w", err)
	}
	cfg := oidctest.Config{Addr: *addr, ClientID: *clientID, ClientSecret: *secret, Users: list, IDTokenLifetime: *lifetime}
	for _, r := range strings.Split(*redirects, ",") {
		if r = strings.TrimSpace(r); r != "" {
			cfg.RedirectURIs = append(cfg.RedirectURIs, r)
		}
	}
	p, err := oidctest.Start(cfg)
	if err != nil {
		return err
	}
	fmt.Println(p.Issuer)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	return p.Close()
}
