package deploytest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestNoClearSecrets walks deploy/ for Secret objects in any YAML file:
// the only ones allowed are the template (every value REPLACE-ME) and
// SOPS-encrypted files (every value ENC[…], with sops metadata). A secret
// committed in clear text fails here.
func TestNoClearSecrets(t *testing.T) {
	dir, err := K8sDir()
	if err != nil {
		t.Fatal(err)
	}
	deploy := filepath.Dir(dir)
	docs := regexp.MustCompile(`(?m)^---\s*$`)
	found := 0
	err = filepath.WalkDir(deploy, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, doc := range docs.Split(string(b), -1) {
			var obj struct {
				Kind       string
				Data       map[string]string
				StringData map[string]string `json:"stringData"`
				Sops       map[string]any
			}
			if yaml.Unmarshal([]byte(doc), &obj) != nil || obj.Kind != "Secret" {
				continue
			}
			found++
			rel, _ := filepath.Rel(deploy, path)
			encrypted := obj.Sops != nil
			for k, v := range merge(obj.Data, obj.StringData) {
				switch {
				case encrypted && strings.HasPrefix(v, "ENC["):
				case !encrypted && strings.Contains(v, "REPLACE-ME"):
				default:
					t.Errorf("%s: Secret key %s holds a value in clear text; encrypt the file with SOPS or leave REPLACE-ME", rel, k)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Error("no Secret found at all: the template deploy/k8s/secrets/koe-secrets.template.yaml is missing")
	}
}

func merge(a, b map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}
