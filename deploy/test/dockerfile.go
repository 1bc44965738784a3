package deploytest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// There is no Docker daemon in CI, so the image is not built there.
// Instead deploy/Dockerfile is parsed with BuildKit's own parser and linter
// and held to what the image must be (CheckDockerfile); the Go build line
// it contains is then run for real by TestBuildInfo.

// Dockerfile is a parsed Dockerfile.
type Dockerfile struct {
	Stages []instructions.Stage
	Args   map[string]string // defaults of the ARGs before the first FROM
	Text   string
}

// ParseDockerfile parses text; parser and linter warnings are problems.
func ParseDockerfile(text string) (*Dockerfile, []string, error) {
	var p problems
	res, err := parser.Parse(bytes.NewReader([]byte(text)))
	if err != nil {
		return nil, nil, err
	}
	for _, w := range res.Warnings {
		p.add("Dockerfile: %s", w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		p.add("Dockerfile line %d: lint %s: %s", line, rule, msg)
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return nil, nil, err
	}
	args := map[string]string{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				args[kv.Key] = *kv.Value
			}
		}
	}
	return &Dockerfile{Stages: stages, Args: args, Text: text}, p, nil
}

var argRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// Expand replaces $NAME and ${NAME} with values from args.
func Expand(s string, args map[string]string) string {
	return argRef.ReplaceAllStringFunc(s, func(m string) string {
		return args[argRef.FindStringSubmatch(m)[1]]
	})
}

// GoBuild returns the build stage's environment and its go build line.
func (d *Dockerfile) GoBuild() (env []string, line string) {
	if len(d.Stages) < 2 {
		return nil, ""
	}
	for _, c := range d.Stages[1].Commands {
		switch c := c.(type) {
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				env = append(env, kv.Key+"="+kv.Value)
			}
		case *instructions.RunCommand:
			if l := strings.Join(c.CmdLine, " "); strings.Contains(l, "go build") {
				line = l
			}
		}
	}
	return env, line
}

// CheckDockerfile holds koe's Dockerfile to the image it must build: three
// stages (node → web/dist, golang → a static binary with version and
// commit from build arguments, distroless static or scratch as a numeric
// non-root user with an exec-form ENTRYPOINT), pinned base images, the Go
// version of go.mod, nothing that daemon-less builders lack, and every
// COPY source present in root and not excluded by ignore (the patterns of
// Dockerfile.dockerignore).
func CheckDockerfile(text, root string, ignore []string) []string {
	d, warnings, err := ParseDockerfile(text)
	if err != nil {
		return []string{err.Error()}
	}
	p := problems(warnings)
	if strings.HasPrefix(text, "# syntax") || strings.Contains(text, "<<") {
		p.add("no syntax directive and no heredocs: kaniko supports neither")
	}
	if len(d.Stages) != 3 {
		return append(p, fmt.Sprintf("want 3 stages (web, build, final), have %d", len(d.Stages)))
	}
	web, build, final := d.Stages[0], d.Stages[1], d.Stages[2]
	for _, s := range d.Stages {
		image := Expand(s.BaseName, d.Args)
		_, tag, _ := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":")
		if image != "scratch" && (tag == "" || tag == "latest") {
			p.add("stage %q: base image %q must name a pinned tag", s.Name, image)
		}
	}
	if !strings.HasPrefix(Expand(web.BaseName, d.Args), "node:") || web.Name != "web" {
		p.add("the first stage must be node AS web, is %s AS %s", web.BaseName, web.Name)
	}
	if !strings.HasPrefix(Expand(build.BaseName, d.Args), "golang:") || build.Name != "build" {
		p.add("the second stage must be golang AS build, is %s AS %s", build.BaseName, build.Name)
	}
	if base := Expand(final.BaseName, d.Args); base != "scratch" && !strings.HasPrefix(base, "gcr.io/distroless/static") {
		p.add("the final stage must be distroless static or scratch, is %s", base)
	}
	if gomod, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil {
		p.add("%v", err)
	} else if m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod); m == nil || string(m[1]) != d.Args["GO_VERSION"] {
		p.add("ARG GO_VERSION=%s differs from go.mod's go line", d.Args["GO_VERSION"])
	}

	var webRuns []string
	for _, s := range d.Stages {
		for _, c := range s.Commands {
			if r, ok := c.(*instructions.RunCommand); ok {
				if len(r.FlagsUsed) > 0 {
					p.add("stage %s: RUN flags %v are BuildKit-only", s.Name, r.FlagsUsed)
				}
				if s.Name == "web" {
					webRuns = append(webRuns, strings.Join(r.CmdLine, " "))
				}
			}
		}
	}
	if w := strings.Join(webRuns, "\n"); !strings.Contains(w, "npm ci") || !strings.Contains(w, "npm run build") {
		p.add("the web stage must npm ci and npm run build")
	}

	env, goBuild := d.GoBuild()
	if !slices.Contains(strings.Fields(strings.Join(env, " ")), "CGO_ENABLED=0") {
		p.add("the build stage must set CGO_ENABLED=0")
	}
	copiesWeb := false
	buildArgs := map[string]bool{}
	for _, c := range build.Commands {
		switch c := c.(type) {
		case *instructions.ArgCommand:
			for _, kv := range c.Args {
				buildArgs[kv.Key] = true
			}
		case *instructions.CopyCommand:
			if c.From == "web" && slices.Equal(c.SourcePaths, []string{"/src/web/dist"}) {
				copiesWeb = true
			}
		}
	}
	if !copiesWeb {
		p.add("the build stage must copy /src/web/dist from the web stage")
	}
	if !buildArgs["VERSION"] || !buildArgs["COMMIT"] {
		p.add("the build stage must declare ARG VERSION and ARG COMMIT")
	}
	for _, want := range []string{"-ldflags", "-X main.version=${VERSION}", "-X main.commit=${COMMIT}", "./cmd/koe"} {
		if !strings.Contains(goBuild, want) {
			p.add("the go build line %q lacks %q", goBuild, want)
		}
	}

	var user string
	entrypoint := false
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.RunCommand:
			p.add("the final stage has no shell: no RUN")
		case *instructions.UserCommand:
			user = c.User
		case *instructions.CopyCommand:
			if c.From != "build" {
				p.add("the final stage copies only from the build stage, not %q", c.From)
			}
		case *instructions.EntrypointCommand:
			entrypoint = !c.PrependShell && strings.Join(c.CmdLine, " ") == "/koe"
		}
	}
	if !entrypoint {
		p.add(`ENTRYPOINT must be the exec form ["/koe"]`)
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		p.add("the final USER %q must be a numeric non-root UID (Kubernetes verifies runAsNonRoot by it)", user)
	}

	pm, err := patternmatcher.New(ignore)
	if err != nil {
		return append(p, err.Error())
	}
	ignored := func(path string) bool {
		m, _ := pm.MatchesOrParentMatches(path)
		return m
	}
	for _, s := range d.Stages {
		for _, c := range s.Commands {
			cp, ok := c.(*instructions.CopyCommand)
			if !ok || cp.From != "" {
				continue
			}
			for _, src := range cp.SourcePaths {
				path := filepath.Clean(src)
				if _, err := os.Stat(filepath.Join(root, path)); err != nil {
					p.add("COPY %s: not in the repository", src)
				}
				if path != "." && ignored(path) {
					p.add("COPY %s: excluded by Dockerfile.dockerignore", src)
				}
			}
		}
	}
	for _, need := range []string{"go.mod", "cmd/koe/main.go", "web/package.json", "web/src"} {
		if ignored(need) {
			p.add("Dockerfile.dockerignore excludes %s, which the build needs", need)
		}
	}
	return p
}

// ReadIgnore reads a .dockerignore file's patterns.
func ReadIgnore(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ignorefile.ReadAll(f)
}
