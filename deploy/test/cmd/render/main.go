// Command render prints koe's Kubernetes manifests as kubectl would apply
// them, with the same kustomize library the tests use, so that neither a
// kustomize nor a kubectl binary is needed to render them.
//
//	render [-tag T] dev|staging|production|bench
//	                      one environment to stdout, the koe image tagged T
//	render -o DIR         every environment into DIR/NAME.yaml, and its
//	                      Namespace objects alone into DIR/NAME.namespaces.yaml
//	render -preview -branch B -domain D -tag T [-o DIR]
//	                      the preview environment of git branch B (make preview)
//	render -names -branch B -domain D
//	                      its namespace and host
//
// -only KIND/NAME and -exclude KIND/NAME keep or drop objects (repeatable,
// with * patterns; deploy/k8s/deploy.sh applies the migrate Job first);
// -namespace prints the environment's namespace instead of objects.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/resmap"

	deploytest "github.com/koehq/koe/deploy/test"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func run() error {
	out := flag.String("o", "", "write every environment to `DIR`/NAME.yaml")
	preview := flag.Bool("preview", false, "render the preview environment of -branch")
	names := flag.Bool("names", false, "print the preview namespace and host of -branch")
	nsOnly := flag.Bool("namespace", false, "print the environment's namespace")
	var only, exclude list
	flag.Var(&only, "only", "keep only `KIND/NAME` (repeatable; * patterns)")
	flag.Var(&exclude, "exclude", "drop `KIND/NAME` (repeatable; * patterns)")
	var p deploytest.PreviewParams
	flag.StringVar(&p.Branch, "branch", "", "git branch of the preview")
	flag.StringVar(&p.Domain, "domain", "", "parent domain of preview hosts, e.g. preview.example.com")
	flag.StringVar(&p.Tag, "tag", "", "tag of the koe image, normally a release tag or the commit SHA")
	flag.Parse()

	dir, err := deploytest.K8sDir()
	if err != nil {
		return err
	}
	filter := func(m resmap.ResMap) (resmap.ResMap, error) {
		kept := resmap.New()
		for _, r := range m.Resources() {
			id := r.GetKind() + "/" + r.GetName()
			if (len(only) > 0 && !matches(only, id)) || matches(exclude, id) {
				continue
			}
			if err := kept.Append(r); err != nil {
				return nil, err
			}
		}
		return kept, nil
	}
	emit := func(name string, m resmap.ResMap) error {
		if *nsOnly {
			for _, r := range m.Resources() {
				if r.GetKind() == "Namespace" {
					fmt.Println(r.GetName())
					return nil
				}
			}
			return fmt.Errorf("%s has no Namespace", name)
		}
		m, err := filter(m)
		if err != nil {
			return err
		}
		if *out != "" {
			return writeFiles(*out, name, m)
		}
		return write(os.Stdout, m)
	}

	switch {
	case *names:
		ns, host, err := deploytest.PreviewNames(p)
		if err != nil {
			return err
		}
		fmt.Println(ns, host)
		return nil
	case *preview:
		if p.Branch == "" {
			return fmt.Errorf("-branch is required")
		}
		m, err := deploytest.Preview(dir, p)
		if err != nil {
			return err
		}
		return emit("preview", m)
	}

	all := map[string]string{}
	for _, o := range deploytest.Overlays {
		all[filepath.Base(o)] = o
	}
	want := flag.Args()
	if len(want) == 0 {
		if *out == "" {
			return fmt.Errorf("name an environment (dev, staging, production, bench) or give -o DIR")
		}
		for name := range all {
			want = append(want, name)
		}
		slices.Sort(want)
	}
	for _, name := range want {
		rel, ok := all[name]
		if !ok {
			return fmt.Errorf("unknown environment %q (dev, staging, production, bench; preview with -preview)", name)
		}
		var m resmap.ResMap
		if p.Tag != "" {
			m, err = deploytest.RenderTag(filepath.Join(dir, rel), p.Tag)
		} else {
			m, err = deploytest.Render(filepath.Join(dir, rel))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		if err := emit(name, m); err != nil {
			return err
		}
	}
	return nil
}

// matches reports whether id (KIND/NAME) matches one of the patterns
// (path.Match syntax: ConfigMap/* matches every ConfigMap).
func matches(patterns []string, id string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, id); ok {
			return true
		}
	}
	return false
}

func write(w io.Writer, m resmap.ResMap) error {
	b, err := m.AsYaml()
	if err != nil {
		return err
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	_, err = w.Write(b)
	return err
}

// writeFiles writes DIR/NAME.yaml and DIR/NAME.namespaces.yaml, the
// Namespace objects alone: a server-side dry run needs them to exist.
func writeFiles(dir, name string, m resmap.ResMap) error {
	ns := resmap.New()
	for _, r := range m.Resources() {
		if r.GetKind() == "Namespace" {
			if err := ns.Append(r.DeepCopy()); err != nil {
				return err
			}
		}
	}
	for file, rm := range map[string]resmap.ResMap{name + ".yaml": m, name + ".namespaces.yaml": ns} {
		f, err := os.Create(filepath.Join(dir, file))
		if err != nil {
			return err
		}
		if err := write(f, rm); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
