package transfer

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/store/sqlite"
)

// TestBackupWhileWriting: a backup taken while a writer keeps asking
// questions opens, passes the integrity check and holds one moment's
// state: every question with its outbox change, nothing half-written.
func TestBackupWhileWriting(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "koe.db")
	s, err := sqlite.Open(ctx, path)
	must(t, "sqlite.Open", err)
	defer s.Close()
	f := fill(t, s)

	var asked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			q := &koe.Question{EventID: f.event.ID, TalkID: f.talk.ID, ParticipantID: f.fan.ID, AuthorName: "Mika", Body: fmt.Sprintf("question %d", i)}
			if err := s.CreateQuestion(context.Background(), q, nil); err != nil {
				t.Errorf("CreateQuestion: %v", err)
				return
			}
			if _, err := s.SetLike(context.Background(), f.event.ID, f.talk.ID, q.ID, f.fan.ID, true); err != nil {
				t.Errorf("SetLike: %v", err)
				return
			}
			asked.Add(1)
		}
	})
	for asked.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	out := filepath.Join(dir, "backup.db")
	info, err := Backup(ctx, path, out)
	close(stop)
	wg.Wait()
	must(t, "Backup", err)
	latest, err := LatestVersion(ctx)
	must(t, "LatestVersion", err)
	if st, err := os.Stat(out); err != nil || st.Size() != info.Size || info.SchemaVersion != latest || info.Path != out {
		t.Errorf("backup %+v; file %v, %v; want version %d", info, st, err, latest)
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if _, err := os.Stat(out + suffix); err == nil {
			t.Errorf("%s left beside the backup", out+suffix)
		}
	}

	db, err := openSQLite(out, "_pragma=query_only(1)")
	must(t, "open backup", err)
	defer db.Close()
	var mode string
	must(t, "journal_mode", db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode))
	if mode != "delete" {
		t.Errorf("backup journal mode %s, want delete (one self-contained file)", mode)
	}
	must(t, "integrity", integrityCheck(ctx, db, out))
	var questions, created, likes, liked, fk int64
	must(t, "count", db.QueryRowContext(ctx, `SELECT count(*) FROM questions WHERE body LIKE 'question %'`).Scan(&questions))
	must(t, "count", db.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE type = 'question.created' AND data LIKE '%"body":"question %'`).Scan(&created))
	must(t, "count", db.QueryRowContext(ctx, `SELECT count(*) FROM likes`).Scan(&likes))
	must(t, "count", db.QueryRowContext(ctx, `SELECT COALESCE(sum(likes), 0) FROM questions`).Scan(&liked))
	must(t, "fk", db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk))
	t.Logf("backup holds %d of the writer's questions (%d asked by the end)", questions, asked.Load())
	if questions < 20 || questions != created || likes != liked || fk != 0 {
		t.Errorf("backup not one moment's state: %d questions, %d of their changes, %d likes counted %d, %d foreign key problems",
			questions, created, likes, liked, fk)
	}
	db.Close()

	// It is a koe database the store opens.
	b, err := sqlite.Open(ctx, out)
	must(t, "sqlite.Open(backup)", err)
	defer b.Close()
	if e, err := b.EventByJoinCode(ctx, f.event.JoinCode); err != nil || e.ID != f.event.ID {
		t.Errorf("EventByJoinCode in the backup = %+v, %v", e, err)
	}
}

func TestBackupRefuses(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "koe.db")
	s, err := sqlite.Open(ctx, path)
	must(t, "sqlite.Open", err)
	s.Close()

	taken := filepath.Join(dir, "taken.db")
	must(t, "write", os.WriteFile(taken, []byte("mine"), 0o600))
	if _, err := Backup(ctx, path, taken); err == nil || !strings.Contains(err.Error(), "exists: koe backup never overwrites a file") {
		t.Errorf("Backup onto a file = %v", err)
	}
	if b, _ := os.ReadFile(taken); string(b) != "mine" {
		t.Errorf("the existing file was changed: %q", b)
	}
	if _, err := Backup(ctx, filepath.Join(dir, "none.db"), filepath.Join(dir, "out1.db")); err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Errorf("Backup of nothing = %v", err)
	}
	if _, err := Backup(ctx, taken, filepath.Join(dir, "out2.db")); err == nil || !strings.Contains(err.Error(), "is not a SQLite database") {
		t.Errorf("Backup of a text file = %v", err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	db, err := sql.Open("sqlite", foreign)
	must(t, "open", err)
	_, err = db.Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY)`)
	must(t, "create", err)
	db.Close()
	if _, err := Backup(ctx, foreign, filepath.Join(dir, "out3.db")); err == nil || !strings.Contains(err.Error(), "not koe's") {
		t.Errorf("Backup of another program's database = %v", err)
	}
	for _, n := range []string{"out1.db", "out2.db", "out3.db"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			t.Errorf("a refused backup left %s", n)
		}
	}
}

// TestRestore: a backup restored over a database puts that database aside
// and brings back the backup's state.
func TestRestore(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "koe.db")
	must(t, "mkdir", os.MkdirAll(filepath.Dir(path), 0o750))
	s, err := sqlite.Open(ctx, path)
	must(t, "sqlite.Open", err)
	f := fill(t, s)
	backup := filepath.Join(dir, "backup.db")
	_, err = Backup(ctx, path, backup)
	must(t, "Backup", err)
	later := &koe.Event{Slug: "after-backup", Title: "Later", TimeZone: "UTC"}
	must(t, "CreateEvent", s.CreateEvent(ctx, later))
	must(t, "Close", s.Close())

	now := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	if _, err := Restore(ctx, backup, path, false, now); err == nil || !strings.Contains(err.Error(), "exists: stop koe and pass --force") {
		t.Fatalf("Restore without force = %v", err)
	}
	info, err := Restore(ctx, backup, path, true, now)
	must(t, "Restore", err)
	aside := path + ".before-restore-20310203T040506Z"
	latest, _ := LatestVersion(ctx)
	if info.MovedAside != aside || info.SchemaVersion != latest || info.FromVersion != latest {
		t.Errorf("restore %+v", info)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".koe-restore-") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}

	r, err := sqlite.Open(ctx, path)
	must(t, "sqlite.Open(restored)", err)
	if _, err := r.EventByJoinCode(ctx, later.JoinCode); koe.ErrorCode(err) != koe.ENOTFOUND {
		t.Errorf("the event made after the backup is in the restored database: %v", err)
	}
	if q, err := r.Question(ctx, f.event.ID, f.talk.ID, f.question.ID, f.fan.ID); err != nil || !q.LikedByMe {
		t.Errorf("restored question %+v, %v", q, err)
	}
	r.Close()
	old, err := sqlite.Open(ctx, aside)
	must(t, "sqlite.Open(aside)", err)
	if e, err := old.EventByJoinCode(ctx, later.JoinCode); err != nil || e.ID != later.ID {
		t.Errorf("the database put aside lost the later event: %v", err)
	}
	old.Close()

	// Into an empty data directory, no force is needed.
	fresh := filepath.Join(dir, "fresh", "koe.db")
	info, err = Restore(ctx, backup, fresh, false, now)
	must(t, "Restore(fresh)", err)
	if info.MovedAside != "" {
		t.Errorf("restore into nothing moved %s aside", info.MovedAside)
	}
}

func TestRestoreRefuses(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	target := filepath.Join(dir, "data", "koe.db")
	now := time.Now()
	check := func(what, from, want string) {
		t.Helper()
		_, err := Restore(ctx, from, target, true, now)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Restore(%s) = %v, want an error with %q", what, err, want)
		}
		if _, err := os.Stat(target); err == nil {
			t.Errorf("Restore(%s) left a database", what)
		}
	}
	text := filepath.Join(dir, "notes.txt")
	must(t, "write", os.WriteFile(text, []byte(strings.Repeat("not a database\n", 300)), 0o600))
	check("text", text, "is not a SQLite database")
	check("missing", filepath.Join(dir, "none.db"), "no backup at")

	foreign := filepath.Join(dir, "foreign.db")
	db, err := sql.Open("sqlite", foreign)
	must(t, "open", err)
	_, err = db.Exec(`CREATE TABLE events (id INTEGER PRIMARY KEY)`)
	must(t, "create", err)
	db.Close()
	check("foreign", foreign, "not koe's")

	src := filepath.Join(dir, "src.db")
	s, err := sqlite.Open(ctx, src)
	must(t, "sqlite.Open", err)
	s.Close()
	newer := filepath.Join(dir, "newer.db")
	_, err = Backup(ctx, src, newer)
	must(t, "Backup", err)
	db, err = sql.Open("sqlite", newer)
	must(t, "open", err)
	_, err = db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, 1)`)
	must(t, "insert", err)
	db.Close()
	check("newer", newer, "has schema version 9999, newer than this koe's")

	// A live database (with its write-ahead log) is no backup.
	live := filepath.Join(dir, "live.db")
	ls, err := sqlite.Open(ctx, live)
	must(t, "sqlite.Open", err)
	defer ls.Close()
	must(t, "CreateEvent", ls.CreateEvent(ctx, &koe.Event{Slug: "live", Title: "Live", TimeZone: "UTC"}))
	check("live", live, "write-ahead log beside it")

	// Restoring the database onto itself.
	if _, err := Restore(ctx, live, live, true, now); err == nil || !strings.Contains(err.Error(), "is the database itself") {
		t.Errorf("Restore onto itself = %v", err)
	}
}

// FuzzRestoreFile: whatever the file holds, checking it as a backup ends
// in a clear error or a version, never a panic.
func FuzzRestoreFile(f *testing.F) {
	dir := f.TempDir()
	src := filepath.Join(dir, "src.db")
	s, err := sqlite.Open(context.Background(), src)
	if err != nil {
		f.Fatal(err)
	}
	s.Close()
	good := filepath.Join(dir, "good.db")
	if _, err := Backup(context.Background(), src, good); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	// The input patches a good backup at an offset (the file stays large,
	// the input small); with whole, the input is the file.
	f.Add([]byte{0}, uint32(0), false)
	f.Add([]byte{0xff, 0xff}, uint32(100), false)
	f.Add([]byte{2, 2}, uint32(18), false)
	f.Add([]byte("garbage"), uint32(4096+10), false)
	f.Add([]byte("SQLite format 3\x00"), uint32(0), true)
	f.Fuzz(func(t *testing.T, patch []byte, at uint32, whole bool) {
		data := patch
		if !whole {
			data = append([]byte(nil), b...)
			copy(data[int(at)%len(data):], patch)
		}
		p := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := checkBackup(context.Background(), p, p, 1<<40); err != nil && err.Error() == "" {
			t.Error("empty error")
		}
	})
}
