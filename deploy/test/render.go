package deploytest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Image is the image every koe container runs; overlays set its tag.
const Image = "ghcr.io/koehq/koe"

// Overlays are the kustomizations under deploy/k8s that are applied as
// they are (preview is rendered per branch by Preview).
var Overlays = []string{"overlays/dev", "overlays/staging", "overlays/production", "jobs/bench"}

// K8sDir finds deploy/k8s from the working directory or any parent, so the
// tests and the render command work from anywhere in the repository.
func K8sDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		cand := filepath.Join(dir, "deploy", "k8s")
		if st, err := os.Stat(filepath.Join(cand, "base", "kustomization.yaml")); err == nil && !st.IsDir() {
			return cand, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("deploy/k8s not found above the working directory")
		}
		dir = parent
	}
}

// Render builds the kustomization in dir, as kubectl apply -k would.
func Render(dir string) (resmap.ResMap, error) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified // kubectl's order: namespaces, config, then workloads
	k := krusty.MakeKustomizer(opts)
	return k.Run(filesys.MakeFsOnDisk(), dir)
}

// RenderTag renders the kustomization in dir with the koe image's tag set
// to tag, as a release pipeline would (kustomize edit set image, without
// editing the files in git).
func RenderTag(dir, tag string) (resmap.ResMap, error) {
	if !tagRE.MatchString(tag) || tag == "latest" {
		return nil, fmt.Errorf("TAG %q is not an image tag (and latest is not allowed)", tag)
	}
	return renderOver(dir, fmt.Sprintf(`images:
  - name: %s
    newTag: %q
`, Image, tag))
}

// renderOver renders dir with extra kustomization fields layered on top,
// from a kustomization in a temporary directory.
func renderOver(dir, extra string) (resmap.ResMap, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "koe-render-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// kustomize refuses absolute paths to other kustomizations.
	rel, err := filepath.Rel(tmp, abs)
	if err != nil {
		return nil, err
	}
	kust := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - %q\n%s", filepath.ToSlash(rel), extra)
	if err := os.WriteFile(filepath.Join(tmp, "kustomization.yaml"), []byte(kust), 0o644); err != nil {
		return nil, err
	}
	return Render(tmp)
}

// PreviewParams name one preview environment.
type PreviewParams struct {
	Branch string // git branch, any spelling
	Domain string // parent domain of the preview hosts, e.g. preview.example.com
	Tag    string // image tag, normally the commit's SHA
}

// Preview names derived from a branch.
const (
	previewNSPrefix = "koe-preview-"
	maxLabel        = 63
	// The branch's label is used both as a namespace suffix and as the
	// first label of the host, so it must fit behind the prefix.
	maxBranchLabel = maxLabel - len(previewNSPrefix)
)

// PreviewNames returns the namespace and host of a branch's preview.
func PreviewNames(p PreviewParams) (namespace, host string, err error) {
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(p.Domain)), ".")
	if !validDomain(domain) {
		return "", "", fmt.Errorf("DOMAIN %q is not a DNS name like preview.example.com", p.Domain)
	}
	label := DNSLabel(p.Branch, maxBranchLabel)
	host = label + "." + domain
	if len(host) > 253 {
		return "", "", fmt.Errorf("host %s is longer than 253 characters", host)
	}
	return previewNSPrefix + label, host, nil
}

var (
	labelRE   = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	tagRE     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	unusualRE = regexp.MustCompile(`[^A-Za-z0-9/_.-]`)
)

// ValidLabel reports whether s is an RFC 1123 DNS label: what a namespace
// name and each part of a host name must be.
func ValidLabel(s string) bool { return len(s) <= maxLabel && labelRE.MatchString(s) }

func validDomain(d string) bool {
	if d == "" || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, l := range strings.Split(d, ".") {
		if !ValidLabel(l) {
			return false
		}
	}
	return true
}

// DNSLabel turns a git branch name into a DNS label of at most max
// characters: lower case, every run of other characters one hyphen, no
// hyphen at either end. Common branch names map to what one would expect
// (feature/OIDC_login → feature-oidc-login). When the result had to be
// shortened, or the branch held characters beyond letters, digits and
// / _ . - (so that different branches could map to the same label), six
// hex digits of the branch's SHA-256 are appended to keep labels apart.
func DNSLabel(branch string, max int) string {
	const hashLen = 6
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(branch) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	lossy := unusualRE.MatchString(branch) || s == ""
	if len(s) <= max && !lossy {
		return s
	}
	sum := sha256.Sum256([]byte(branch))
	suffix := hex.EncodeToString(sum[:])[:hashLen]
	if keep := max - hashLen - 1; len(s) > keep {
		s = strings.TrimRight(s[:keep], "-")
	}
	if s == "" {
		return "b" + suffix // a label must not start with a hyphen
	}
	return s + "-" + suffix
}

// Preview renders the preview overlay for one branch: its own namespace,
// host, public URL and image tag. The overlay in deploy/k8s stays as it is;
// a kustomization in a temporary directory layers the branch on top.
func Preview(k8sDir string, p PreviewParams) (resmap.ResMap, error) {
	ns, host, err := PreviewNames(p)
	if err != nil {
		return nil, err
	}
	if !tagRE.MatchString(p.Tag) || p.Tag == "latest" {
		return nil, fmt.Errorf("TAG %q is not an image tag (and latest is not allowed)", p.Tag)
	}
	return renderOver(filepath.Join(k8sDir, "overlays", "preview"), fmt.Sprintf(`namespace: %[1]s
images:
  - name: %[2]s
    newTag: %[3]q
configMapGenerator:
  - name: koe-config
    behavior: merge
    literals:
      - KOE_PUBLIC_URL=https://%[4]s
patches:
  - target:
      kind: Namespace
    patch: |-
      - op: replace
        path: /metadata/name
        value: %[1]s
      - op: add
        path: /metadata/annotations
        value:
          koe-preview-branch: %[5]q
  - target:
      kind: Ingress
      name: koe
    patch: |-
      - op: replace
        path: /spec/rules/0/host
        value: %[4]s
      - op: replace
        path: /spec/tls/0/hosts/0
        value: %[4]s
      - op: replace
        path: /metadata/annotations/external-dns.alpha.kubernetes.io~1hostname
        value: %[4]s
`, ns, Image, p.Tag, host, p.Branch))
}
