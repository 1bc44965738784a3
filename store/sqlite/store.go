// Package sqlite implements koe.Store on one SQLite file, with the pure-Go
// driver modernc.org/sqlite.
//
// Every write goes through a single goroutine that commits waiting writes
// together (see writer.go), because SQLite has one writer at a time and
// each commit costs an fsync. Reads use a separate pool of read-only
// connections, which WAL mode lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/koehq/koe"
)

var _ koe.Store = (*Store)(nil)

//go:embed migrations/*.sql
var embedded embed.FS

// Store is a koe.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	read   *sql.DB
	writer *writer
	likes  *likeStmts // prepared on the writer's database
	votes  *voteStmts
	// record inserts into the outbox (on the writer's database) and
	// changes reads it (on the readers'): both run for nearly every write,
	// and parsing their SQL would cost more than running them.
	record, changes *sql.Stmt
	// marks reads a participant's marks on a list (ListMarks), asked for
	// with nearly every list a participant reads.
	marks  *sql.Stmt
	schema *goose.Provider // reads the schema version through read
	now    func() time.Time
	// onCommit sees the change types of each batch that recorded some, once
	// it is durable and before the outbox's readers hear of it.
	onCommit func([]koe.ChangeType)

	wmu     sync.Mutex
	written chan struct{} // closed by the next commit that records changes

	leaseMu sync.Mutex
	leases  map[string]chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// Option configures Open.
type Option func(*Store)

// WithNow sets the clock that stamps created, updated and answered times
// (default time.Now). Only the writer goroutine calls it, inside each
// write, so stamps follow the order in which writes commit.
func WithNow(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// WithCommitHook calls fn with the change types of each commit that
// recorded changes, once the commit is durable and before the outbox's
// readers are woken. fn runs on the writer goroutine: it must be quick.
// (Tests stop koe between commit and delivery with it.)
func WithCommitHook(fn func([]koe.ChangeType)) Option {
	return func(s *Store) { s.onCommit = fn }
}

// Open opens the database at path, creating the file if it does not exist,
// and migrates it to the latest schema.
func Open(ctx context.Context, path string, opts ...Option) (_ *Store, err error) {
	s := &Store{now: time.Now, written: make(chan struct{}), leases: make(map[string]chan struct{})}
	for _, opt := range opts {
		opt(s)
	}

	// sql.Open only checks its arguments: the file is opened, created and
	// configured by the first connection, in migrate.
	wdb, err := sql.Open("sqlite", dsn(path,
		"_txlock=immediate", // take the write lock at BEGIN, never by upgrading a read
		"_pragma=busy_timeout(10000)",
		"_pragma=foreign_keys(ON)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)", // COMMIT returns only once the WAL is on disk
	))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", dsn(path,
		"_pragma=busy_timeout(10000)",
		"_pragma=query_only(1)",
	))
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			wdb.Close()
			rdb.Close()
		}
	}()
	wdb.SetMaxOpenConns(1)
	readers := max(4, runtime.GOMAXPROCS(0))
	rdb.SetMaxOpenConns(readers)
	rdb.SetMaxIdleConns(readers)

	if err := migrate(ctx, wdb); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if s.likes, err = prepareLikes(ctx, wdb); err != nil {
		return nil, err
	}
	if s.votes, err = prepareVotes(ctx, wdb, rdb); err != nil {
		return nil, err
	}
	if s.record, err = wdb.PrepareContext(ctx, insertChange); err != nil {
		return nil, fmt.Errorf("prepare outbox: %w", err)
	}
	if s.changes, err = rdb.PrepareContext(ctx, readChanges); err != nil {
		return nil, fmt.Errorf("prepare outbox: %w", err)
	}
	if s.marks, err = rdb.PrepareContext(ctx, listMarks); err != nil {
		return nil, fmt.Errorf("prepare list marks: %w", err)
	}
	if s.schema, err = newProvider(rdb); err != nil {
		return nil, err
	}
	s.read, s.writer = rdb, startWriter(s, wdb)
	return s, nil
}

// dsn builds a modernc.org/sqlite URI. Escaping the path keeps a '?' or '#'
// in a file name from being read as the start of the parameters.
func dsn(path string, params ...string) string {
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: strings.Join(params, "&")}
	return u.String()
}

func newProvider(db *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(embedded, "migrations")
	if err != nil {
		return nil, err
	}
	// Only this package's migrations: Go migrations registered globally by
	// anything else in the binary must not run here.
	return goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
}

func migrate(ctx context.Context, db *sql.DB) error {
	p, err := newProvider(db)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// SchemaVersion returns the version of the latest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	v, err := s.schema.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// Ping implements koe.Store.
func (s *Store) Ping(ctx context.Context) error {
	select {
	case <-s.writer.quit:
		return errClosed
	default:
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: %w", koe.Errorf(koe.EUNAVAILABLE, "database unavailable"), err)
	}
	return nil
}

// Close waits for the writes already handed to the writer, then closes the
// database. Later calls return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.writer.close()
		s.closeErr = errors.Join(s.likes.close(), s.votes.close(), s.record.Close(), s.changes.Close(), s.marks.Close(), s.writer.db.Close(), s.read.Close())
	})
	return s.closeErr
}

// isUnique reports whether err is a violation of the unique constraint on
// column, named as SQLite names it ("events.slug").
func isUnique(err error, column string) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE &&
		strings.Contains(e.Error(), " "+column)
}

// notFound turns sql.ErrNoRows into ENOTFOUND naming what, and wraps any
// other error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return koe.Errorf(koe.ENOTFOUND, "%s not found", what)
	}
	return fmt.Errorf("load %s: %w", what, err)
}

// stamp returns the current time as the store keeps it: UTC, microseconds.
func (s *Store) stamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// Times are stored as Unix microseconds; see the migration.

func micros(t time.Time) int64 { return t.UnixMicro() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// truncTime returns t as it reads back from the store.
func truncTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := time.UnixMicro(t.UnixMicro()).UTC()
	return &v
}

// timeDest scans a NOT NULL time column into *t.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(v any) error {
	us, ok := v.(int64)
	if !ok {
		return fmt.Errorf("time column holds %T, want int64", v)
	}
	*d.t = time.UnixMicro(us).UTC()
	return nil
}

// nullTimeDest scans a nullable time column into *t.
type nullTimeDest struct{ t **time.Time }

func (d nullTimeDest) Scan(v any) error {
	if v == nil {
		*d.t = nil
		return nil
	}
	var t time.Time
	if err := (timeDest{&t}).Scan(v); err != nil {
		return err
	}
	*d.t = &t
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}
