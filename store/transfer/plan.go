package transfer

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The copy is driven by PostgreSQL's schema: every column of every table
// there is filled from the SQLite column of the same table and name. The
// differences between the two schemas are listed here, each with its
// reason; anything else that differs stops the copy (and fails
// TestCopyPlanCovers), so that a migration that adds a table or a column to
// one store only cannot be forgotten here.

// derivedColumn is a PostgreSQL column with no SQLite column: expr is the
// SQLite expression (over the row of the table of the same name) that
// makes it.
type derivedColumn struct{ expr, why string }

var derivedColumns = map[string]derivedColumn{
	"outbox.txid": {"0", "SQLite's outbox positions have no transaction (Tx 0): the copied changes keep (0, id), so the consumers' saved cursors and the audit log's positions, also (0, id), still point at them, and the changes PostgreSQL records later (txid > 0) come after them"},
}

// derivedTable is a PostgreSQL table with no SQLite table: its rows are
// SELECTed FROM from, each column by its expression in cols.
type derivedTable struct {
	from string
	cols map[string]string
	why  string
}

var derivedTables = map[string]derivedTable{
	"poll_versions": {
		from: "polls WHERE tally_version > 0",
		cols: map[string]string{"poll_id": "id", "shard": "0", "n": "tally_version"},
		why:  "PostgreSQL counts a poll's results version in shards whose sum is the version; SQLite keeps the sum itself, in polls.tally_version: it all goes to shard 0",
	},
}

// skippedPG are PostgreSQL tables that are not copied.
var skippedPG = map[string]string{
	"goose_db_version": "the migrations' own record: postgres.Open writes it when it migrates the target",
}

// skippedSQLite are SQLite tables and columns ("table.column") that have
// no place in PostgreSQL.
var skippedSQLite = map[string]string{
	"goose_db_version":    "the migrations' own record",
	"sqlite_sequence":     "SQLite's AUTOINCREMENT counters: they raise PostgreSQL's sequences instead, so that no id is used twice",
	"sqlite_stat1":        "query planner statistics (ANALYZE)",
	"sqlite_stat4":        "query planner statistics (ANALYZE)",
	"polls.tally_version": "becomes the poll's poll_versions rows",
}

// column is one PostgreSQL column and the SQLite expression that fills it.
type column struct {
	name string
	udt  string // PostgreSQL's type name: int8, bool, timestamptz, jsonb…
	expr string // SQLite expression
}

// table is the copy of one PostgreSQL table.
type table struct {
	name    string
	cols    []column
	pk      []int  // indexes into cols
	from    string // SQLite FROM clause
	derived string // why the table is derived ("" when it is copied)
	// sequences maps a column with a sequence (serial, identity) to it.
	sequences map[string]string
}

// sqliteQuery selects the table's rows from SQLite in primary key order.
func (t *table) sqliteQuery() string {
	// Ordered by the result columns' aliases: ORDER BY 0 would be a
	// column number.
	exprs := make([]string, len(t.cols))
	for i, c := range t.cols {
		exprs[i] = fmt.Sprintf("%s AS koe_c%d", c.expr, i)
	}
	order := make([]string, len(t.pk))
	for i, k := range t.pk {
		order[i] = fmt.Sprintf("koe_c%d", k)
		if isText(t.cols[k].udt) {
			order[i] += " COLLATE BINARY"
		}
	}
	return "SELECT " + strings.Join(exprs, ", ") + " FROM " + t.from + " ORDER BY " + strings.Join(order, ", ")
}

// pgQuery selects the table's rows from PostgreSQL in the same order:
// text keys compare as bytes ("C"), as SQLite's BINARY does. JSON comes
// back as text, to be compared as JSON.
func (t *table) pgQuery() string {
	exprs := make([]string, len(t.cols))
	for i, c := range t.cols {
		exprs[i] = pgx.Identifier{c.name}.Sanitize()
		if c.udt == "jsonb" || c.udt == "json" {
			exprs[i] += "::text"
		}
	}
	order := make([]string, len(t.pk))
	for i, k := range t.pk {
		order[i] = pgx.Identifier{t.cols[k].name}.Sanitize()
		if isText(t.cols[k].udt) {
			order[i] += ` COLLATE "C"`
		}
	}
	return "SELECT " + strings.Join(exprs, ", ") + " FROM " + pgx.Identifier{t.name}.Sanitize() + " ORDER BY " + strings.Join(order, ", ")
}

func (t *table) colNames() []string {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	return names
}

func isText(udt string) bool { return udt == "text" || udt == "varchar" || udt == "bpchar" }

// pgQuerier is a pgx connection or transaction.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// buildPlan compares the two schemas and returns the PostgreSQL tables to
// fill, in an order that fills every table after those it references.
func buildPlan(ctx context.Context, sq querier, pg pgQuerier) ([]*table, error) {
	sqliteCols, err := sqliteSchema(ctx, sq)
	if err != nil {
		return nil, err
	}
	pgCols, err := pgSchema(ctx, pg)
	if err != nil {
		return nil, err
	}
	var problems []string
	var tables []*table
	for _, name := range sortedKeys(pgCols) {
		if _, ok := skippedPG[name]; ok {
			continue
		}
		t := &table{name: name, from: quoteSQLite(name), sequences: map[string]string{}}
		dt, isDerived := derivedTables[name]
		have, inSQLite := sqliteCols[name]
		switch {
		case isDerived:
			t.from, t.derived = dt.from, dt.why
		case !inSQLite:
			problems = append(problems, fmt.Sprintf("PostgreSQL table %s has no SQLite table and no rule in store/transfer", name))
			continue
		}
		for _, c := range pgCols[name] {
			col := column{name: c.name, udt: c.udt}
			if !supported(c.udt) {
				problems = append(problems, fmt.Sprintf("column %s.%s has type %s, which the copy does not convert", name, c.name, c.udt))
			}
			if d, ok := derivedColumns[name+"."+c.name]; ok {
				col.expr = d.expr
			} else if isDerived {
				e, ok := dt.cols[c.name]
				if !ok {
					problems = append(problems, fmt.Sprintf("PostgreSQL column %s.%s is not made by the derived table's rule in store/transfer", name, c.name))
				}
				col.expr = e
			} else if slices.Contains(have, c.name) {
				col.expr = quoteSQLite(c.name)
			} else {
				problems = append(problems, fmt.Sprintf("PostgreSQL column %s.%s has no SQLite column and no rule in store/transfer", name, c.name))
			}
			if c.sequence != "" {
				t.sequences[c.name] = c.sequence
			}
			t.cols = append(t.cols, col)
		}
		if inSQLite && !isDerived {
			for _, c := range have {
				_, skipped := skippedSQLite[name+"."+c]
				if !skipped && !slices.ContainsFunc(pgCols[name], func(p pgColumn) bool { return p.name == c }) {
					problems = append(problems, fmt.Sprintf("SQLite column %s.%s has no PostgreSQL column and no rule in store/transfer", name, c))
				}
			}
		}
		tables = append(tables, t)
	}
	for _, name := range sortedKeys(sqliteCols) {
		if _, ok := pgCols[name]; ok {
			continue
		}
		if _, ok := skippedSQLite[name]; !ok {
			problems = append(problems, fmt.Sprintf("SQLite table %s has no PostgreSQL table and no rule in store/transfer", name))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("the SQLite and PostgreSQL schemas differ in ways the copy does not know (is this koe's schema, at the same version on both sides?):\n  %s", strings.Join(problems, "\n  "))
	}
	if err := primaryKeys(ctx, pg, tables); err != nil {
		return nil, err
	}
	return fkOrder(ctx, pg, tables)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func quoteSQLite(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// sqliteSchema returns each SQLite table's column names.
func sqliteSchema(ctx context.Context, sq querier) (map[string][]string, error) {
	rows, err := sq.QueryContext(ctx, `SELECT t.name, c.name FROM sqlite_schema t, pragma_table_info(t.name) c
		WHERE t.type = 'table' ORDER BY t.name, c.cid`)
	if err != nil {
		return nil, fmt.Errorf("read SQLite schema: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return nil, fmt.Errorf("read SQLite schema: %w", err)
		}
		out[t] = append(out[t], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read SQLite schema: %w", err)
	}
	return out, nil
}

type pgColumn struct{ name, udt, sequence string }

// pgSchema returns the columns of the base tables of PostgreSQL's current
// schema, in their order.
func pgSchema(ctx context.Context, pg pgQuerier) (map[string][]pgColumn, error) {
	rows, err := pg.Query(ctx, `
		SELECT c.table_name, c.column_name, c.udt_name,
		       COALESCE(pg_get_serial_sequence(quote_ident(c.table_name), c.column_name), '')
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("read PostgreSQL schema: %w", err)
	}
	defer rows.Close()
	out := map[string][]pgColumn{}
	for rows.Next() {
		var t string
		var c pgColumn
		if err := rows.Scan(&t, &c.name, &c.udt, &c.sequence); err != nil {
			return nil, fmt.Errorf("read PostgreSQL schema: %w", err)
		}
		out[t] = append(out[t], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read PostgreSQL schema: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the PostgreSQL database has no tables in its current schema")
	}
	return out, nil
}

// primaryKeys sets each table's primary key columns.
func primaryKeys(ctx context.Context, pg pgQuerier, tables []*table) error {
	for _, t := range tables {
		rows, err := pg.Query(ctx, `
			SELECT a.attname FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
			WHERE i.indrelid = to_regclass(quote_ident($1)) AND i.indisprimary
			ORDER BY array_position(i.indkey::int2[], a.attnum)`, t.name)
		if err != nil {
			return fmt.Errorf("read primary key of %s: %w", t.name, err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("read primary key of %s: %w", t.name, err)
		}
		if len(names) == 0 {
			return fmt.Errorf("PostgreSQL table %s has no primary key: its rows cannot be compared in order", t.name)
		}
		for _, n := range names {
			i := slices.IndexFunc(t.cols, func(c column) bool { return c.name == n })
			if i < 0 {
				return fmt.Errorf("primary key column %s.%s not found", t.name, n)
			}
			t.pk = append(t.pk, i)
		}
	}
	return nil
}

// fkOrder orders tables so that each comes after the tables its foreign
// keys reference (ties by name).
func fkOrder(ctx context.Context, pg pgQuerier, tables []*table) ([]*table, error) {
	rows, err := pg.Query(ctx, `
		SELECT DISTINCT cl.relname::text, ref.relname::text FROM pg_constraint co
		JOIN pg_class cl ON cl.oid = co.conrelid
		JOIN pg_class ref ON ref.oid = co.confrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		WHERE co.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	deps := map[string]map[string]bool{}
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read foreign keys: %w", err)
		}
		if from == to {
			continue
		}
		if deps[from] == nil {
			deps[from] = map[string]bool{}
		}
		deps[from][to] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	done := map[string]bool{}
	for name := range skippedPG {
		done[name] = true
	}
	var out []*table
	left := tables
	for len(left) > 0 {
		var next []*table
		var ready []*table
		for _, t := range left {
			ok := true
			for d := range deps[t.name] {
				if !done[d] {
					ok = false
				}
			}
			if ok {
				ready = append(ready, t)
			} else {
				next = append(next, t)
			}
		}
		if len(ready) == 0 {
			return nil, fmt.Errorf("the foreign keys of %s form a cycle", left[0].name)
		}
		for _, t := range ready {
			done[t.name] = true
		}
		out = append(out, ready...)
		left = next
	}
	return out, nil
}
