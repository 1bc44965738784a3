package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/koehq/koe"
	"github.com/koehq/koe/store/sqlite"
)

// TestImportCommand: koe import previews, applies and re-applies a
// pretalx schedule on the SQLite database of the data directory.
func TestImportCommand(t *testing.T) {
	t.Setenv("KOE_DATABASE_URL", "")
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "koe.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := &koe.Event{Slug: "pycon", Title: "PyCon", TimeZone: "Asia/Tokyo"}
	if err := st.CreateEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
	st.Close()
	file := filepath.Join("..", "..", "timetable", "testdata", "pretalx.json")
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := runImport(append([]string{"--data-dir", dir, "--event", "pycon", "--file", file}, args...), &out); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	dry := run("--dry-run")
	if !strings.Contains(dry, "(dry run: nothing changed)") || !strings.Contains(dry, " would add [") {
		t.Errorf("dry run:\n%s", dry)
	}
	first := run()
	if !strings.HasPrefix(first, "pretalx schedule") || strings.Contains(first, "dry run") || !strings.Contains(first, " 0 unchanged") {
		t.Errorf("apply:\n%s", first)
	}
	again := run()
	if !strings.Contains(again, " 0 added, 0 changed, 0 removed") {
		t.Errorf("again:\n%s", again)
	}
	if err := runImport([]string{"--data-dir", dir, "--event", "pycon"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("no file: %v", err)
	}
}
