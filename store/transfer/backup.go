package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/koehq/koe/store/sqlite"
)

// BackupInfo describes a backup file.
type BackupInfo struct {
	Path          string
	Size          int64
	SchemaVersion int64
}

// Backup writes a consistent copy of the SQLite database at src to the new
// file dst. koe may keep serving (and writing) meanwhile: the copy is the
// database as one read transaction sees it (VACUUM INTO). The copy is a
// single self-contained file (rollback journal, no -wal), checked with
// PRAGMA integrity_check and synced to disk. Backup never overwrites dst.
func Backup(ctx context.Context, src, dst string) (*BackupInfo, error) {
	if _, err := os.Lstat(dst); err == nil {
		return nil, fmt.Errorf("%s exists: koe backup never overwrites a file", dst)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	// Not query_only: SQLite counts VACUUM INTO as a write, though it
	// changes nothing in src.
	db, err := openSQLite(src)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if _, err := inspect(ctx, db, src, false); err != nil {
		return nil, err
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		os.Remove(dst) // it did not exist: whatever is there is the failed copy's
		return nil, fmt.Errorf("back up %s to %s: %w", src, dst, err)
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	info, err := finishBackup(ctx, dst)
	if err != nil {
		os.Remove(dst)
		return nil, err
	}
	return info, nil
}

// finishBackup turns the new copy at path into a plain rollback-journal
// file, checks it and syncs it.
func finishBackup(ctx context.Context, path string) (*BackupInfo, error) {
	db, err := openSQLite(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	v, err := inspect(ctx, db, path, true)
	if err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	if err := syncFile(path); err != nil {
		return nil, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	return &BackupInfo{Path: path, Size: st.Size(), SchemaVersion: v}, nil
}

// RestoreInfo describes a restore.
type RestoreInfo struct {
	Path          string // the database restored
	FromVersion   int64  // the backup's schema version
	SchemaVersion int64  // the version it has now, migrated
	MovedAside    string // where the database it replaced went ("" for none)
}

// Restore puts the backup from in place as the SQLite database target.
// koe must not be running on target. from must pass PRAGMA
// integrity_check, be koe's and have a schema no newer than this binary's.
// An existing target is refused unless force; with force it is moved
// aside (with its -wal and -shm) to target.before-restore-<UTC time>
// first. The backup is copied to a temporary file beside target, synced
// and renamed into place, then opened with the store, which migrates it.
func Restore(ctx context.Context, from, target string, force bool, now time.Time) (*RestoreInfo, error) {
	same, err := sameFile(from, target)
	if err != nil {
		return nil, err
	}
	if same {
		return nil, fmt.Errorf("%s is the database itself: restore a backup of it", from)
	}
	exists, err := fileExists(target)
	if err != nil {
		return nil, err
	}
	if exists && !force {
		return nil, fmt.Errorf("%s exists: stop koe and pass --force to replace it (it is kept as %s.before-restore-…)", target, target)
	}
	if ok, err := fileExists(from + "-wal"); err != nil {
		return nil, err
	} else if ok {
		if st, err := os.Stat(from + "-wal"); err == nil && st.Size() > 0 {
			return nil, fmt.Errorf("%s has a write-ahead log beside it (%s-wal): it is a database in use, not a backup; make one with koe backup", from, from)
		}
	}
	latest, err := LatestVersion(ctx)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}

	// Check the very bytes that will be put in place: a copy beside target.
	tmp, err := copyToTemp(from, dir)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp) // after the rename, a no-op
	v, err := checkBackup(ctx, tmp, from, latest)
	if err != nil {
		return nil, err
	}

	info := &RestoreInfo{Path: target, FromVersion: v}
	if exists {
		aside := target + ".before-restore-" + now.UTC().Format("20060102T150405Z")
		if err := moveAside(target, aside); err != nil {
			return nil, err
		}
		info.MovedAside = aside
	}
	if err := os.Rename(tmp, target); err != nil {
		return nil, fmt.Errorf("put %s in place: %w", target, err)
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("the restored %s does not open: %w", target, err)
	}
	defer st.Close()
	if info.SchemaVersion, err = st.SchemaVersion(ctx); err != nil {
		return nil, err
	}
	return info, st.Close()
}

// checkBackup checks the copy tmp of the backup from and returns its
// schema version.
func checkBackup(ctx context.Context, tmp, from string, latest int64) (int64, error) {
	db, err := openSQLite(tmp, "_pragma=query_only(1)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	v, err := inspect(ctx, db, from, true)
	if err != nil {
		return 0, err
	}
	if v > latest {
		return 0, fmt.Errorf("%s has schema version %d, newer than this koe's %d: restore it with a newer koe", from, v, latest)
	}
	return v, db.Close()
}

func copyToTemp(from, dir string) (string, error) {
	in, err := os.Open(from)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, ".koe-restore-*.db")
	if err != nil {
		return "", err
	}
	name := out.Name()
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("copy %s: %w", from, err)
	}
	return name, nil
}

// moveAside renames db and its -wal and -shm files to aside (and its).
func moveAside(db, aside string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if ok, err := fileExists(aside + suffix); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%s exists already", aside+suffix)
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		err := os.Rename(db+suffix, aside+suffix)
		if err != nil && !(suffix != "" && errors.Is(err, os.ErrNotExist)) {
			return fmt.Errorf("move %s aside: %w", db+suffix, err)
		}
	}
	return nil
}

func fileExists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, err
}

func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return false, fmt.Errorf("no backup at %s", a)
		}
		return false, err
	}
	sb, err := os.Stat(b)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}
