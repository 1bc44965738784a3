package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeWalkthrough is the shell block of README.md that follows the
// "walkthrough" marker: what a new organizer pastes into a terminal.
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- walkthrough:")
	if !ok {
		t.Fatal("README.md has no <!-- walkthrough: --> marker")
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	if !ok {
		t.Fatal("no ```sh block after the walkthrough marker in README.md")
	}
	block, _, ok := strings.Cut(rest, "```\n")
	if !ok {
		t.Fatal("the walkthrough block of README.md does not end")
	}
	return block
}

// TestREADMEWalkthrough runs README.md's terminal walkthrough as pasted,
// with bash, curl and jq, against a real koe serve on an empty database,
// so that the README cannot drift from what koe does.
func TestREADMEWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts koe")
	}
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("KOE_TEST_REQUIRE_SERVICES") == "1" {
				t.Fatalf("%s is not installed but KOE_TEST_REQUIRE_SERVICES=1: this test must not be skipped", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	block := readmeWalkthrough(t)
	srv := startServer(t, buildKoe(t), t.TempDir(), freeAddr(t))
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", block)
	cmd.Env = append(os.Environ(), "B="+srv.base, "KOE_OWNER_TOKEN="+testOwnerToken)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("the walkthrough did not finish in 60 s:\n%s", out)
	}
	if err != nil {
		t.Fatalf("the README walkthrough failed: %v\n%s", err, out)
	}
	got := string(out)
	if !regexp.MustCompile(`event [0-9]+, talk [0-9]+, join code [0-9A-Z]{6}; presenter screen: http`).MatchString(got) {
		t.Errorf("the ids and the join code were not captured from the responses:\n%s", got)
	}
	for _, want := range []string{
		"event: question.created",        // the live stream saw the question…
		`"body":"How do you test this?"`, // …with its text
		`"likes":1,"liked":true`,         // the like's answer
		"event: question.likes",          // and the like, live
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the walkthrough's output has no %q:\n%s", want, got)
		}
	}
}
