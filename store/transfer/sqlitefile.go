// Package transfer moves a whole koe installation between files and
// stores: Backup writes a consistent copy of the SQLite database while koe
// serves, Restore puts such a copy in place, and Copy moves a SQLite
// installation into an empty PostgreSQL database, every table and column,
// and verifies it record by record. See README.md, "Backup, restore and
// moving to PostgreSQL".
package transfer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/koehq/koe/store/sqlite"
)

// openSQLite opens the SQLite file at path with database/sql. The file
// must exist: opening never creates one.
func openSQLite(path string, params ...string) (*sql.DB, error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no database at %s", path)
	}
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	params = append([]string{"_pragma=busy_timeout(10000)"}, params...)
	// Escaping the path keeps a '?' or '#' in a file name from being read
	// as the start of the parameters.
	u := url.URL{Scheme: "file", OmitHost: true, Path: abs, RawQuery: strings.Join(params, "&")}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// querier is what inspect needs: a *sql.DB, *sql.Conn or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inspect checks that db is a koe SQLite database (with integrity, that
// it passes PRAGMA integrity_check) and returns its schema version.
func inspect(ctx context.Context, db querier, path string, integrity bool) (int64, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('goose_db_version', 'events')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("%s is not a SQLite database: %w", path, err)
	}
	if integrity {
		if err := integrityCheck(ctx, db, path); err != nil {
			return 0, err
		}
	}
	if n != 2 {
		return 0, fmt.Errorf("%s is a SQLite database but not koe's: it has no goose_db_version or events table", path)
	}
	var v int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil {
		return 0, fmt.Errorf("%s: read schema version: %w", path, err)
	}
	return v, nil
}

func integrityCheck(ctx context.Context, db querier, path string) error {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("%s: integrity check: %w", path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return fmt.Errorf("%s: integrity check: %w", path, err)
		}
		problems = append(problems, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: integrity check: %w", path, err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		if len(problems) > 3 {
			problems = append(problems[:3], "…")
		}
		return fmt.Errorf("%s fails SQLite's integrity check: %s", path, strings.Join(problems, "; "))
	}
	return nil
}

// LatestVersion is the SQLite schema version this binary migrates to.
func LatestVersion(ctx context.Context) (int64, error) {
	latest.once.Do(func() {
		dir, err := os.MkdirTemp("", "koe-schema-")
		if err != nil {
			latest.err = err
			return
		}
		defer os.RemoveAll(dir)
		st, err := sqlite.Open(ctx, filepath.Join(dir, "koe.db"))
		if err != nil {
			latest.err = err
			return
		}
		defer st.Close()
		latest.v, latest.err = st.SchemaVersion(ctx)
	})
	return latest.v, latest.err
}

var latest struct {
	once sync.Once
	v    int64
	err  error
}

// syncFile fsyncs the file at path.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a directory, so that files created or renamed in it stay.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
