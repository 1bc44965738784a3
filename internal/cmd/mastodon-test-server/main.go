// Command mastodon-test-server runs koe's Mastodon test instance (package
// mastodontest) for browser end-to-end runs and the benchmark. It prints
// "listening http://127.0.0.1:PORT" once it serves, and serves until
// interrupted. Tests publish with POST /test/statuses:
//
//	curl -d '{"text":"Hello #pyconjp","tags":["pyconjp"],"acct":"alice","display_name":"Alice","language":"en"}' \
//	  http://127.0.0.1:PORT/test/statuses
//
// and get the stored status back.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/koehq/koe/ingest/mastodon/mastodontest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	token := flag.String("token", "", "the user access token the instance accepts (\"\": none, so no streaming)")
	requireAuth := flag.Bool("require-auth", false, "serve hashtag timelines only with the token, as an instance with public timelines disabled")
	flag.Parse()

	s, err := mastodontest.Start(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mastodon-test-server:", err)
		os.Exit(1)
	}
	s.SetToken(*token)
	s.RequireAuth(*requireAuth)
	fmt.Println("listening", s.URL())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	s.Close()
}
