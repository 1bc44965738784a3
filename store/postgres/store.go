// Package postgres implements koe.Store on PostgreSQL, with pgx and its
// connection pool. Several koe processes may share one database: every
// write is one transaction, row locks order the writes that touch the same
// row, and the schema is migrated under an advisory lock. Likes, most of
// the writes, are committed in groups by one goroutine (see likes.go).
//
// It behaves like store/sqlite, the reference, and passes the same
// conformance suite (store/storetest). A failure to reach the server,
// including a call that runs out of time, is EUNAVAILABLE.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/koehq/koe"
)

var _ koe.Store = (*Store)(nil)

//go:embed migrations/*.sql
var embedded embed.FS

// Defaults, each overridable: connect_timeout and pool_max_conns in the URL,
// WithTimeout for the operation timeout.
const (
	defaultConnectTimeout = 3 * time.Second
	defaultMaxConns       = 32
	likeConns             = 2 // the like writer uses one at a time
	defaultTimeout        = 10 * time.Second
	// pingTimeout bounds the liveness check the pool makes on a connection
	// that sat idle, so that a dead peer costs seconds, not a TCP timeout.
	pingTimeout = 3 * time.Second
)

// Store is a koe.Store on a PostgreSQL database. It is safe for concurrent
// use, and so are several Stores, in one process or many, on one database.
type Store struct {
	pool     *pgxpool.Pool
	likePool *pgxpool.Pool   // the like writer's; see likes.go
	sqlDB    *sql.DB         // pool seen through database/sql, for goose
	schema   *goose.Provider // reads the schema version through sqlDB
	likes    *likeWriter
	now      func() time.Time
	timeout  time.Duration
	// onCommit sees the change types of each write that recorded some, once
	// it has committed.
	onCommit func([]koe.ChangeType)

	wmu        sync.Mutex
	written    chan struct{} // closed at the next notification of the outbox
	stopListen context.CancelFunc
	listening  chan struct{} // closed when the listener has stopped

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

// Option configures Open.
type Option func(*Store)

// WithNow sets the clock that stamps created, updated and answered times
// (default time.Now).
func WithNow(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// WithCommitHook calls fn with the change types of each write that
// recorded changes, once it has committed (in this process: other
// processes' writes wake the outbox's readers but are not seen here).
// (Tests stop koe between commit and delivery with it.)
func WithCommitHook(fn func([]koe.ChangeType)) Option {
	return func(s *Store) { s.onCommit = fn }
}

// WithTimeout bounds each call of the store, waits for a connection and for
// row locks included (default 10 s; 0 or less for no bound besides the
// caller's context). A database that stops answering then fails calls with
// EUNAVAILABLE instead of holding them, and the connections they used are
// closed rather than reused.
func WithTimeout(d time.Duration) Option {
	return func(s *Store) { s.timeout = d }
}

// Open connects to the database at url (a postgres:// URL or a keyword/value
// string, as libpq takes them) and migrates it to the latest schema. Several
// processes may open the same database at once: one migrates while the
// others wait for it. Unless the URL says otherwise, connecting times out
// after 3 s and the store holds at most 32 connections (pool_max_conns),
// and 2 more for its writer of likes.
func Open(ctx context.Context, url string, opts ...Option) (_ *Store, err error) {
	s := &Store{now: time.Now, timeout: defaultTimeout, written: make(chan struct{}), listening: make(chan struct{})}
	for _, opt := range opts {
		opt(s)
	}

	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // the message hides any password
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.PingTimeout == 0 {
		cfg.PingTimeout = pingTimeout
	}
	// The like writer has connections of its own, so that likes never
	// wait for a connection behind other calls, and so that the planner
	// keeps one plan for its statements: PostgreSQL otherwise plans them
	// anew at every execution (it cannot tell that the one plan, index
	// lookups, fits every size of their array parameters), which costs
	// more than running them. The other statements keep custom plans: a
	// generic one for a page of questions would not know its LIMIT.
	likeCfg := cfg.Copy()
	likeCfg.MaxConns, likeCfg.MinConns = likeConns, 0
	if _, ok := likeCfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !ok {
		likeCfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	// Connections are made on first use: Open fails below, when migrating,
	// if the server cannot be reached.
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if s.likePool, err = pgxpool.NewWithConfig(ctx, likeCfg); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s.sqlDB = stdlib.OpenDBFromPool(s.pool)
	defer func() {
		if err != nil {
			s.sqlDB.Close()
			s.pool.Close()
			s.likePool.Close()
		}
	}()

	if err := s.migrate(ctx); err != nil {
		return nil, s.fail(fmt.Errorf("postgres: migrate: %w", err))
	}
	if s.schema, err = newProvider(s.sqlDB); err != nil {
		return nil, err
	}
	s.likes = startLikeWriter(s)
	lctx, stop := context.WithCancel(context.Background())
	s.stopListen = stop
	go s.listen(lctx)
	return s, nil
}

func newProvider(db *sql.DB, opts ...goose.ProviderOption) (*goose.Provider, error) {
	fsys, err := fs.Sub(embedded, "migrations")
	if err != nil {
		return nil, err
	}
	// Only this package's migrations: Go migrations registered globally by
	// anything else in the binary must not run here.
	opts = append(opts, goose.WithDisableGlobalRegistry(true))
	return goose.NewProvider(goose.DialectPostgres, db, fsys, opts...)
}

// migrate applies the pending migrations while holding a session advisory
// lock, so that processes starting together never run one twice.
func (s *Store) migrate(ctx context.Context) error {
	// Retry every second for up to two minutes: a migration holding the
	// lock is short, and a process started beside another should not wait
	// the default five seconds to find the schema ready.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 120))
	if err != nil {
		return err
	}
	p, err := newProvider(s.sqlDB, goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// SchemaVersion returns the version of the latest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := s.schema.GetDBVersion(ctx)
	if err != nil {
		return 0, s.fail(fmt.Errorf("schema version: %w", err))
	}
	return v, nil
}

// Ping implements koe.Store: it succeeds when a connection of the pool
// answers.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errClosed()
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %w", unavailable(), err)
	}
	return nil
}

// Close waits for the calls in progress (likes handed over included), then
// closes every connection.
// Later calls return the first call's result; calls of other methods after
// Close return EUNAVAILABLE.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.stopListen()
		<-s.listening
		s.likes.close()
		s.closeErr = s.sqlDB.Close()
		s.pool.Close()
		s.likePool.Close()
	})
	return s.closeErr
}

// bound applies the store's timeout to a call.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// inTx runs fn in a transaction and commits it when fn returns nil. fn
// gets ctx bounded by the store's timeout.
func (s *Store) inTx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.fail(pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

// stamp returns the current time as the store keeps it: UTC, microseconds.
func (s *Store) stamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// truncTime returns t as it reads back from the store.
func truncTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC().Truncate(time.Microsecond)
	return &v
}

// utc puts a scanned time in UTC, as the store returns every time (pgx
// scans timestamptz in the local zone).
func utc(t *time.Time) {
	*t = t.UTC()
}

// utcPtr does utc for a nullable time.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// Errors.

func unavailable() *koe.Error { return koe.Errorf(koe.EUNAVAILABLE, "database unavailable") }
func errClosed() *koe.Error   { return koe.Errorf(koe.EUNAVAILABLE, "store is closed") }

// fail turns err into what the store returns: *koe.Error values as they
// are, failures to reach the database as EUNAVAILABLE (wrapping the cause
// for the logs), a unique violation as ECONFLICT, anything else as is
// (EINTERNAL).
func (s *Store) fail(err error) error {
	if err == nil {
		return nil
	}
	var ke *koe.Error
	switch {
	case errors.As(err, &ke):
		return err
	case s.closed.Load():
		return fmt.Errorf("%w: %w", errClosed(), err)
	case isUnavailable(err):
		return fmt.Errorf("%w: %w", unavailable(), err)
	case isUnique(err, ""):
		return fmt.Errorf("%w: %w", koe.Errorf(koe.ECONFLICT, "already exists"), err)
	}
	return err
}

// isUnavailable reports whether err means that the database could not be
// reached or did not answer, rather than that it refused the statement.
func isUnavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", // admin_shutdown
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now: starting up or shutting down
			"53300", // too_many_connections
			"57014", // query_canceled: our timeout reached the server
			"25006": // read_only_sql_transaction: a standby, as during a failover
			return true
		}
		return strings.HasPrefix(pe.Code, "08") // connection_exception
	}
	var (
		connectErr *pgconn.ConnectError
		netErr     net.Error
	)
	return errors.As(err, &connectErr) ||
		errors.As(err, &netErr) ||
		pgconn.Timeout(err) ||
		pgconn.SafeToRetry(err) || // failed before anything was sent
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled)
}

// isUnique reports whether err is a unique violation of constraint (of any
// constraint when it is empty).
func isUnique(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" &&
		(constraint == "" || pe.ConstraintName == constraint)
}

// notFound turns pgx.ErrNoRows into ENOTFOUND naming what, and wraps any
// other error.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return koe.Errorf(koe.ENOTFOUND, "%s not found", what)
	}
	return fmt.Errorf("load %s: %w", what, err)
}

// collect scans every row of rows with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (*T, error)) ([]*T, error) {
	defer rows.Close()
	list := []*T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return list, nil
}
