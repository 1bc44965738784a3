package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/koehq/koe/internal/testenv"
)

var backupNow = time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)

// seeded is a data directory with koe seed's demo event in it.
func seeded(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := seed([]string{"--data-dir", dir}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestBackupCommand(t *testing.T) {
	t.Setenv("KOE_DATABASE_URL", "")
	dir := seeded(t)
	out := filepath.Join(t.TempDir(), "b.db")
	var w strings.Builder
	if err := runBackup([]string{"--data-dir", dir, "--out", out}, &w, backupNow); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^backup written: .*b\.db \(\d+ bytes, schema version \d+\)\n$`).MatchString(w.String()) {
		t.Errorf("output %q", w.String())
	}
	if err := runBackup([]string{"--data-dir", dir, "--out", out}, &w, backupNow); err == nil || !strings.Contains(err.Error(), "never overwrites") {
		t.Errorf("second backup onto the same file = %v", err)
	}

	// The default name is in the current directory, with the UTC time.
	t.Chdir(t.TempDir())
	if err := runBackup([]string{"--data-dir", dir}, &w, backupNow); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("koe-backup-20310203T040506Z.db"); err != nil {
		t.Errorf("default backup file: %v", err)
	}

	t.Setenv("KOE_DATABASE_URL", "postgres://db.example/koe")
	err := runBackup([]string{"--data-dir", dir}, &w, backupNow.Add(time.Second))
	if err == nil || !strings.Contains(err.Error(), "pg_dump") || !strings.Contains(err.Error(), "docs/deployment.md") {
		t.Errorf("backup of a PostgreSQL installation = %v, want a pointer to pg_dump", err)
	}
}

func TestRestoreCommand(t *testing.T) {
	t.Setenv("KOE_DATABASE_URL", "")
	dir := seeded(t)
	b := filepath.Join(t.TempDir(), "b.db")
	var w strings.Builder
	if err := runBackup([]string{"--data-dir", dir, "--out", b}, &w, backupNow); err != nil {
		t.Fatal(err)
	}
	if err := runRestore([]string{"--data-dir", dir}, &w, backupNow); err == nil || !strings.Contains(err.Error(), "usage: koe restore --from FILE") {
		t.Errorf("restore without --from = %v", err)
	}
	if err := runRestore([]string{"--data-dir", dir, "--from", b}, &w, backupNow); err == nil || !strings.Contains(err.Error(), "pass --force") {
		t.Errorf("restore over a database without --force = %v", err)
	}
	w.Reset()
	if err := runRestore([]string{"--data-dir", dir, "--from", b, "--force"}, &w, backupNow); err != nil {
		t.Fatal(err)
	}
	aside := filepath.Join(dir, "koe.db.before-restore-20310203T040506Z")
	if !strings.Contains(w.String(), "kept as "+aside) || !strings.Contains(w.String(), "restored "+filepath.Join(dir, "koe.db")) {
		t.Errorf("output %q", w.String())
	}
	if _, err := os.Stat(aside); err != nil {
		t.Errorf("the replaced database: %v", err)
	}
	// koe serves the restored database: the seed's event is there.
	if err := runMigrateCheck(dir); err != nil {
		t.Error(err)
	}
	t.Setenv("KOE_DATABASE_URL", "postgres://db.example/koe")
	if err := runRestore([]string{"--data-dir", dir, "--from", b, "--force"}, &w, backupNow); err == nil || !strings.Contains(err.Error(), "pg_restore") {
		t.Errorf("restore with PostgreSQL = %v", err)
	}
}

// runMigrateCheck opens the data directory as koe migrate does.
func runMigrateCheck(dir string) error { return migrate([]string{"--data-dir", dir}) }

func TestCopyCommand(t *testing.T) {
	t.Setenv("KOE_DATABASE_URL", "")
	var w strings.Builder
	if err := runCopy(nil, &w); err == nil || !strings.Contains(err.Error(), "usage: koe copy --to") {
		t.Errorf("copy without --to = %v", err)
	}
	if err := runCopy([]string{"--to", "mysql://x"}, &w); err == nil || !strings.Contains(err.Error(), "postgres:// URL") {
		t.Errorf("copy to mysql = %v", err)
	}
	dir := seeded(t)
	url := testenv.PostgresDatabase(t)
	if err := runCopy([]string{"--data-dir", dir, "--to", url}, &w); err != nil {
		t.Fatal(err)
	}
	out := w.String()
	for _, want := range []string{`(?m)^events: [1-9]\d* rows ok$`, `(?m)^questions: [1-9]\d* rows ok$`, `(?m)^poll_versions: \d+ rows ok \(derived\)$`,
		`verified record by record\n`, `KOE_DATABASE_URL`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if err := runCopy([]string{"--data-dir", dir, "--to", url}, &w); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a second copy into the same database = %v", err)
	}
}
