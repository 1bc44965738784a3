package transfer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe/store/postgres"
)

// TableReport is what Copy or Verify did with one PostgreSQL table.
type TableReport struct {
	Table   string
	Rows    int64
	Derived string // why the table is made from other SQLite data ("" when copied)
}

// Report is the outcome of Copy or Verify.
type Report struct {
	SchemaVersion int64
	Tables        []TableReport
}

// Copy copies the whole SQLite installation at from into the PostgreSQL
// database at pgURL, then compares the two record by record. The target
// is migrated first (postgres.Open) and must be empty; the copy is one
// transaction, so a failed copy leaves it empty. Every PostgreSQL table
// and column is filled, ids kept, and every sequence is moved past the
// ids copied (and past the ids SQLite's AUTOINCREMENT counters have
// used), so that new rows get new ids. from must have this binary's
// schema version. progress, if not nil, hears of each table verified.
//
// koe should not be running on from: the copy reads one consistent
// snapshot, but what koe writes after it is not copied.
func Copy(ctx context.Context, from, pgURL string, progress func(TableReport)) (*Report, error) {
	src, err := openSource(ctx, from)
	if err != nil {
		return nil, err
	}
	defer src.close()

	pst, err := postgres.Open(ctx, pgURL) // migrates
	if err != nil {
		return nil, fmt.Errorf("open the PostgreSQL target: %w", err)
	}
	if err := pst.Close(); err != nil {
		return nil, err
	}
	pc, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return nil, fmt.Errorf("connect to the PostgreSQL target: %w", err)
	}
	defer pc.Close(context.WithoutCancel(ctx))

	plan, err := buildPlan(ctx, src.conn, pc)
	if err != nil {
		return nil, err
	}
	tx, err := pc.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	for _, t := range plan {
		var has bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+pgx.Identifier{t.name}.Sanitize()+")").Scan(&has); err != nil {
			return nil, fmt.Errorf("check that the target is empty: %w", err)
		}
		if has {
			return nil, fmt.Errorf("the PostgreSQL database is not empty (table %s has rows): koe copy fills a new, empty database only", t.name)
		}
	}
	for _, t := range plan {
		if err := copyTable(ctx, src.conn, tx, t); err != nil {
			return nil, err
		}
	}
	if err := resetSequences(ctx, src.conn, tx, plan); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit the copy: %w", err)
	}
	rep, err := verify(ctx, src.conn, pc, plan, progress)
	if err != nil {
		return nil, err
	}
	rep.SchemaVersion = src.version
	return rep, nil
}

// Verify compares the SQLite installation at from with the PostgreSQL
// database at pgURL record by record, as Copy does after copying, and
// fails with the first difference.
func Verify(ctx context.Context, from, pgURL string, progress func(TableReport)) (*Report, error) {
	src, err := openSource(ctx, from)
	if err != nil {
		return nil, err
	}
	defer src.close()
	pc, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer pc.Close(context.WithoutCancel(ctx))
	plan, err := buildPlan(ctx, src.conn, pc)
	if err != nil {
		return nil, err
	}
	rep, err := verify(ctx, src.conn, pc, plan, progress)
	if err != nil {
		return nil, err
	}
	rep.SchemaVersion = src.version
	return rep, nil
}

// source is the SQLite database read in one read transaction: one
// snapshot for the copy and its verification.
type source struct {
	db      *sql.DB
	conn    *sql.Conn
	version int64
}

func openSource(ctx context.Context, path string) (_ *source, err error) {
	db, err := openSQLite(path, "_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	s := &source{db: db}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.conn, err = db.Conn(ctx); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := s.conn.ExecContext(ctx, "BEGIN"); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if s.version, err = inspect(ctx, s.conn, path, false); err != nil {
		return nil, err
	}
	want, err := LatestVersion(ctx)
	if err != nil {
		return nil, err
	}
	if s.version != want {
		return nil, fmt.Errorf("%s has schema version %d and this koe's is %d: bring it to %d first (koe migrate with KOE_DATA_DIR set to its directory, or a koe of its version)", path, s.version, want, want)
	}
	return s, nil
}

func (s *source) close() {
	if s.conn != nil {
		s.conn.ExecContext(context.Background(), "ROLLBACK")
		s.conn.Close()
	}
	s.db.Close()
}

func copyTable(ctx context.Context, sq *sql.Conn, tx pgx.Tx, t *table) error {
	rows, err := sq.QueryContext(ctx, t.sqliteQuery())
	if err != nil {
		return fmt.Errorf("read SQLite table %s: %w", t.name, err)
	}
	defer rows.Close()
	src := newRowSource(t, rows)
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.colNames(), src); err != nil {
		return fmt.Errorf("copy table %s: %w", t.name, err)
	}
	return nil
}

// rowSource feeds SQLite rows, converted, to pgx's CopyFrom.
type rowSource struct {
	t    *table
	rows *sql.Rows
	raw  []any
	ptrs []any
	out  []any
	err  error
}

func newRowSource(t *table, rows *sql.Rows) *rowSource {
	s := &rowSource{t: t, rows: rows, raw: make([]any, len(t.cols)), ptrs: make([]any, len(t.cols)), out: make([]any, len(t.cols))}
	for i := range s.raw {
		s.ptrs[i] = &s.raw[i]
	}
	return s
}

// next reads and converts the next row into out.
func (s *rowSource) Next() bool {
	if s.err != nil || !s.rows.Next() {
		return false
	}
	if err := s.rows.Scan(s.ptrs...); err != nil {
		s.err = fmt.Errorf("read SQLite table %s: %w", s.t.name, err)
		return false
	}
	for i, c := range s.t.cols {
		v, err := convert(c.udt, s.raw[i])
		if err != nil {
			s.err = fmt.Errorf("table %s, row %s, column %s: %w", s.t.name, rowKey(s.t, s.raw), c.name, err)
			return false
		}
		s.out[i] = v
	}
	return true
}

func (s *rowSource) Values() ([]any, error) { return s.out, nil }

func (s *rowSource) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

// rowKey names a row by its primary key: "(id=3)".
func rowKey(t *table, vals []any) string {
	parts := make([]string, len(t.pk))
	for i, k := range t.pk {
		parts[i] = t.cols[k].name + "=" + show(vals[k])
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// resetSequences moves every sequence past the largest id copied, and
// past the largest id SQLite's AUTOINCREMENT counter has given out (rows
// since deleted, such as pruned outbox changes, included).
func resetSequences(ctx context.Context, sq *sql.Conn, tx pgx.Tx, plan []*table) error {
	for _, t := range plan {
		for col, seq := range t.sequences {
			var n int64
			q := "SELECT COALESCE(max(" + pgx.Identifier{col}.Sanitize() + "), 0) FROM " + pgx.Identifier{t.name}.Sanitize()
			if err := tx.QueryRow(ctx, q).Scan(&n); err != nil {
				return fmt.Errorf("reset sequence %s: %w", seq, err)
			}
			if t.derived == "" {
				var used int64
				err := sq.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, t.name).Scan(&used)
				if err != nil && !errors.Is(err, sql.ErrNoRows) && !strings.Contains(err.Error(), "no such table") {
					return fmt.Errorf("read SQLite's counter of %s: %w", t.name, err)
				}
				n = max(n, used)
			}
			if n > 0 {
				if _, err := tx.Exec(ctx, `SELECT setval($1, $2)`, seq, n); err != nil {
					return fmt.Errorf("reset sequence %s: %w", seq, err)
				}
			}
		}
	}
	return nil
}

// verify reads every table from both sides in primary key order and
// compares them value by value.
func verify(ctx context.Context, sq *sql.Conn, pc *pgx.Conn, plan []*table, progress func(TableReport)) (*Report, error) {
	rep := &Report{}
	for _, t := range plan {
		n, err := verifyTable(ctx, sq, pc, t)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		tr := TableReport{Table: t.name, Rows: n, Derived: t.derived}
		rep.Tables = append(rep.Tables, tr)
		if progress != nil {
			progress(tr)
		}
	}
	return rep, nil
}

func verifyTable(ctx context.Context, sq *sql.Conn, pc *pgx.Conn, t *table) (int64, error) {
	srows, err := sq.QueryContext(ctx, t.sqliteQuery())
	if err != nil {
		return 0, fmt.Errorf("read SQLite table %s: %w", t.name, err)
	}
	defer srows.Close()
	src := newRowSource(t, srows)
	prows, err := pc.Query(ctx, t.pgQuery())
	if err != nil {
		return 0, fmt.Errorf("read PostgreSQL table %s: %w", t.name, err)
	}
	defer prows.Close()
	var n int64
	for {
		sok, pok := src.Next(), prows.Next()
		if err := src.Err(); err != nil {
			return n, err
		}
		if err := prows.Err(); err != nil {
			return n, fmt.Errorf("read PostgreSQL table %s: %w", t.name, err)
		}
		if !sok && !pok {
			return n, nil
		}
		if sok != pok {
			if sok {
				return n, fmt.Errorf("table %s: PostgreSQL has %d rows, SQLite more; the first missing is %s", t.name, n, rowKey(t, src.out))
			}
			pv, _ := prows.Values()
			return n, fmt.Errorf("table %s: SQLite has %d rows, PostgreSQL more; the first extra is %s", t.name, n, rowKey(t, pv))
		}
		pv, err := prows.Values()
		if err != nil {
			return n, fmt.Errorf("read PostgreSQL table %s: %w", t.name, err)
		}
		for i, c := range t.cols {
			if !equal(c.udt, src.out[i], pv[i]) {
				return n, fmt.Errorf("table %s, row %s (PostgreSQL row %s), column %s: SQLite has %s, PostgreSQL %s",
					t.name, rowKey(t, src.out), rowKey(t, pv), c.name, show(src.out[i]), show(pv[i]))
			}
		}
		n++
	}
}
