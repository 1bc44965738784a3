package deploytest

import (
	"bufio"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := K8sDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(dir, "..", ".."))
}

func readDockerfile(t *testing.T) (text string, ignore []string) {
	t.Helper()
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "deploy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	ignore, err = ReadIgnore(filepath.Join(root, "deploy", "Dockerfile.dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b), ignore
}

func TestDockerfile(t *testing.T) {
	text, ignore := readDockerfile(t)
	report(t, "deploy/Dockerfile", CheckDockerfile(text, repoRoot(t), ignore))
}

// TestDockerfileMistakes makes sure CheckDockerfile notices each kind of
// mistake it is there for.
func TestDockerfileMistakes(t *testing.T) {
	text, ignore := readDockerfile(t)
	root := repoRoot(t)
	cases := []struct {
		name, old, new string
		ignore         []string
		want           string
	}{
		{"latest base", "FROM gcr.io/distroless/static-debian12:nonroot", "FROM gcr.io/distroless/static-debian12:latest", nil, "pinned tag"},
		{"untagged base", "FROM golang:${GO_VERSION} AS build", "FROM golang AS build", nil, "pinned tag"},
		{"root user", "USER 65532:65532", "USER 0", nil, "numeric non-root"},
		{"named user", "USER 65532:65532", "USER nonroot", nil, "numeric non-root"},
		{"cgo", "ENV CGO_ENABLED=0 ", "ENV CGO_ENABLED=1 ", nil, "CGO_ENABLED=0"},
		{"no version", "-X main.version=${VERSION} ", "", nil, "main.version"},
		{"shell entrypoint", `ENTRYPOINT ["/koe"]`, "ENTRYPOINT /koe", nil, "exec form"},
		{"cache mount", "RUN go mod download", "RUN --mount=type=cache,target=/root/.cache go mod download", nil, "BuildKit-only"},
		{"go version", "ARG GO_VERSION=1.", "ARG GO_VERSION=0.", nil, "go.mod"},
		{"shell in final", "COPY --from=build /out/koe /koe", "COPY --from=build /out/koe /koe\nRUN chmod 755 /koe", nil, "no RUN"},
		{"ignored source", "", "", []string{"web"}, "excluded"},
		{"lint", "FROM golang:${GO_VERSION} AS build", "FROM golang:${GO_VERSION} as build", nil, "lint FromAsCasing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := text
			if c.old != "" {
				if !strings.Contains(bad, c.old) {
					t.Fatalf("the Dockerfile no longer contains %q; update this case", c.old)
				}
				bad = strings.Replace(bad, c.old, strings.ReplaceAll(c.new, `\n`, "\n"), 1)
			}
			ign := ignore
			if c.ignore != nil {
				ign = append(slices.Clone(ignore), c.ignore...)
			}
			problems := CheckDockerfile(bad, root, ign)
			if !strings.Contains(strings.Join(problems, "\n"), c.want) {
				t.Errorf("no problem mentioning %q; got %q", c.want, problems)
			}
		})
	}
}

// TestBuildInfo runs the Dockerfile's go build line on the repository and
// checks what the image promises: a static binary whose `koe version` and
// /metrics (koe_build_info, on the metrics listener) carry the version and
// commit given to the build.
func TestBuildInfo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds koe")
	}
	text, _ := readDockerfile(t)
	d, _, err := ParseDockerfile(text)
	if err != nil {
		t.Fatal(err)
	}
	env, goBuild := d.GoBuild()
	m := regexp.MustCompile(`go build (.*) -o /out/koe (\S+)`).FindStringSubmatch(goBuild)
	if m == nil {
		t.Fatalf("cannot find the go build command in %q", goBuild)
	}
	const version, commit = "v9.8.7-20260102-0304", "0123456789abcdef0123456789abcdef01234567"
	flags := Expand(m[1], map[string]string{"VERSION": version, "COMMIT": commit})
	ldflags := regexp.MustCompile(`-ldflags "([^"]*)"`).FindStringSubmatch(flags)
	if ldflags == nil {
		t.Fatalf("no -ldflags \"…\" in %q", flags)
	}
	bin := filepath.Join(t.TempDir(), "koe")
	args := []string{"build"}
	if strings.Contains(flags, "-trimpath") {
		args = append(args, "-trimpath")
	}
	args = append(args, "-ldflags", ldflags[1], "-o", bin, m[2])
	cmd := exec.Command("go", args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}

	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("koe %s (commit %s)", version, commit); strings.TrimSpace(string(out)) != want {
		t.Errorf("koe version: %q, want %q", out, want)
	}

	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Error("the binary is dynamically linked; the distroless static image has no libc")
		}
	}
	ef.Close()

	metrics := scrapeServe(t, bin)
	want := fmt.Sprintf(`koe_build_info{commit=%q,version=%q} 1`, commit, version)
	if !strings.Contains(metrics, want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

// scrapeServe starts `koe serve` on a loopback port with an empty data
// directory and its metrics listener on another loopback port
// (KOE_METRICS_ADDR, as the kit sets it), reads /metrics there once it is
// ready, checks that the public listener does not serve the metrics, and
// stops koe with SIGTERM.
func scrapeServe(t *testing.T, bin string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A free loopback port for the metrics listener (it could be taken
	// before koe binds it; unlikely on loopback within milliseconds).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := l.Addr().String()
	l.Close()
	cmd := exec.CommandContext(ctx, bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	cmd.Env = append(os.Environ(), "KOE_OWNER_TOKEN=deploy-test-owner-token-0123456789", "KOE_METRICS_ADDR="+metricsAddr)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	// The JSON log line "koe serving" names the URL.
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var line struct{ Msg, URL string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "koe serving" {
				urlc <- line.URL
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var base string
	select {
	case base = <-urlc:
	case <-ctx.Done():
		t.Fatal("koe serve did not start within 60 s")
	}
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(url string) (int, string, error) {
		resp, err := client.Get(url)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	for {
		code, body, err := get("http://" + metricsAddr + "/metrics")
		if err == nil && code == http.StatusOK {
			// The public listener (behind the Ingress) must not expose them.
			if _, pub, err := get(base + "/metrics"); err != nil {
				t.Errorf("GET %s/metrics: %v", base, err)
			} else if strings.Contains(pub, "koe_build_info") {
				t.Errorf("the public listener %s serves the metrics; they belong on KOE_METRICS_ADDR only", base)
			}
			return body
		}
		select {
		case <-ctx.Done():
			t.Fatalf("GET http://%s/metrics (KOE_METRICS_ADDR): %d %v", metricsAddr, code, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
