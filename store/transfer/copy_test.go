package transfer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/koehq/koe"
	"github.com/koehq/koe/internal/testenv"
	"github.com/koehq/koe/store/postgres"
	"github.com/koehq/koe/store/sqlite"
)

// filled makes a SQLite installation with rows in every table and
// returns its path, the fixture and what the store answered about it.
func filled(t *testing.T) (string, *fixture, *answers) {
	path := filepath.Join(t.TempDir(), "koe.db")
	s, err := sqlite.Open(t.Context(), path)
	must(t, "sqlite.Open", err)
	f := fill(t, s)
	a := ask(t, s, f)
	must(t, "Close", s.Close())
	return path, f, a
}

// answers are what a store says about the fixture, to be compared across
// the copy.
type answers struct {
	event     *koe.Event
	question  *koe.Question
	session   *koe.Session
	token     *koe.APIToken
	counts    map[string]int64
	voters    int64
	version   int64
	cursor    koe.OutboxPos
	audit     []koe.Change
	reactions map[string]int64
	schedule  *koe.ScheduleSource
	peaks     []koe.PresencePeak
	talk      *koe.Talk
}

func ask(t *testing.T, s koe.Store, f *fixture) *answers {
	ctx := t.Context()
	a := &answers{}
	var err error
	a.event, err = s.EventByJoinCode(ctx, f.event.JoinCode)
	must(t, "EventByJoinCode", err)
	a.question, err = s.Question(ctx, f.event.ID, f.talk.ID, f.question.ID, f.fan.ID)
	must(t, "Question", err)
	a.session, err = s.SessionByHash(ctx, f.sessionHash)
	must(t, "SessionByHash", err)
	a.token, err = s.APITokenByHash(ctx, f.tokenHash)
	must(t, "APITokenByHash", err)
	a.counts, a.voters, a.version, err = s.PollResults(ctx, f.poll.ID)
	must(t, "PollResults", err)
	var ok bool
	a.cursor, ok, err = s.OutboxCursor(ctx, "webhooks")
	if err != nil || !ok {
		t.Fatalf("OutboxCursor = %v, %v", ok, err)
	}
	a.audit, err = s.Audit(ctx, koe.AuditQuery{Limit: 1000})
	must(t, "Audit", err)
	a.reactions, err = s.Reactions(ctx, f.event.ID, f.talk.ID)
	must(t, "Reactions", err)
	a.schedule, err = s.ScheduleSource(ctx, f.event.ID)
	must(t, "ScheduleSource", err)
	a.peaks, err = s.PresencePeaks(ctx, f.event.ID)
	must(t, "PresencePeaks", err)
	a.talk, err = s.Talk(ctx, f.event.ID, f.talk.ID)
	must(t, "Talk", err)
	secret, err := s.Secret(ctx, "participant-seal", func() ([]byte, error) { return nil, errors.New("the secret must be there") })
	must(t, "Secret", err)
	if string(secret) != string(f.secret) {
		t.Errorf("secret %x, want %x", secret, f.secret)
	}
	return a
}

func TestCopy(t *testing.T) {
	ctx := t.Context()
	path, f, want := filled(t)
	pgURL := testenv.PostgresDatabase(t)

	var lines []string
	rep, err := Copy(ctx, path, pgURL, func(tr TableReport) { lines = append(lines, fmt.Sprintf("%s: %d rows ok", tr.Table, tr.Rows)) })
	must(t, "Copy", err)
	t.Logf("copy:\n%s", strings.Join(lines, "\n"))

	// Every PostgreSQL table but the migrations' is in the report, and the
	// fixture put rows in each: the copy was tried on every one.
	pc, err := pgx.Connect(ctx, pgURL)
	must(t, "connect", err)
	defer pc.Close(context.Background())
	rows, err := pc.Query(ctx, `SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	must(t, "tables", err)
	pgTables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, "tables", err)
	var reported []string
	for _, tr := range rep.Tables {
		reported = append(reported, tr.Table)
		if tr.Rows == 0 {
			t.Errorf("table %s: no rows; the fixture must fill every table", tr.Table)
		}
		var n int64
		must(t, "count", pc.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{tr.Table}.Sanitize()).Scan(&n))
		if n != tr.Rows {
			t.Errorf("table %s: %d rows in PostgreSQL, report says %d", tr.Table, n, tr.Rows)
		}
	}
	slices.Sort(reported)
	pgTables = slices.DeleteFunc(pgTables, func(n string) bool { return n == "goose_db_version" })
	slices.Sort(pgTables)
	if !slices.Equal(reported, pgTables) {
		t.Errorf("report covers %v, PostgreSQL has %v", reported, pgTables)
	}
	// The SQLite side: the same counts, table by table.
	sdb, err := openSQLite(path, "_pragma=query_only(1)")
	must(t, "open", err)
	defer sdb.Close()
	for _, tr := range rep.Tables {
		if tr.Derived != "" {
			continue
		}
		var n int64
		must(t, "count", sdb.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteSQLite(tr.Table)).Scan(&n))
		if n != tr.Rows {
			t.Errorf("table %s: %d rows in SQLite, %d copied", tr.Table, n, tr.Rows)
		}
	}

	// The PostgreSQL store serves the copy as the SQLite store did.
	ps, err := postgres.Open(ctx, pgURL)
	must(t, "postgres.Open", err)
	defer ps.Close()
	got := ask(t, ps, f)
	sameJSON := func(what string, a, b any) {
		t.Helper()
		if x, y := mustJSON(t, a), mustJSON(t, b); x != y {
			t.Errorf("%s:\n PostgreSQL %s\n SQLite     %s", what, x, y)
		}
	}
	sameJSON("event by join code", got.event, want.event)
	sameJSON("question", got.question, want.question)
	if !got.question.LikedByMe || got.question.Likes != 1 {
		t.Errorf("the fan's like is lost: %+v", got.question)
	}
	sameJSON("session", got.session, want.session)
	if got.session.RevokedAt != nil || !got.session.ExpiresAt.After(time.Now()) {
		t.Errorf("the staff session is no longer valid: %+v", got.session)
	}
	sameJSON("API token", got.token, want.token)
	if !maps.Equal(got.counts, want.counts) || got.voters != want.voters || got.version != want.version {
		t.Errorf("poll results %v %d voters v%d, want %v %d v%d", got.counts, got.voters, got.version, want.counts, want.voters, want.version)
	}
	if got.cursor != want.cursor {
		t.Errorf("outbox cursor %+v, want %+v", got.cursor, want.cursor)
	}
	sameJSON("audit log", got.audit, want.audit)
	sameJSON("schedule source", got.schedule, want.schedule)
	sameJSON("presence peaks", got.peaks, want.peaks)
	sameJSON("talk", got.talk, want.talk)
	if got.schedule.ETag != want.schedule.ETag || got.talk.Room != "Hall B" {
		t.Errorf("schedule %+v, talk %+v", got.schedule, got.talk)
	}
	if !maps.Equal(got.reactions, want.reactions) {
		t.Errorf("reactions %v, want %v", got.reactions, want.reactions)
	}

	// New rows get new ids: every sequence is past the copied ones (and
	// past SQLite's counter, which a deleted row left higher).
	e := &koe.Event{Slug: "after-copy", Title: "After", TimeZone: "UTC"}
	must(t, "CreateEvent", ps.CreateEvent(ctx, e))
	if e.ID <= f.other.ID {
		t.Errorf("new event id %d, want one above the copied ones", e.ID)
	}
	link := &koe.ScreenLink{EventID: f.event.ID, Kind: koe.ScreenOverlay, Label: "New", Secret: "koe_v_new"}
	must(t, "CreateScreenLink", ps.CreateScreenLink(ctx, link))
	if link.ID <= f.screenSeq {
		t.Errorf("new screen link id %d, want one above SQLite's last %d", link.ID, f.screenSeq)
	}
	p := &koe.Participant{EventID: f.event.ID, DisplayName: "New"}
	must(t, "CreateParticipant", ps.CreateParticipant(ctx, p))
	q := &koe.Question{EventID: f.event.ID, TalkID: f.talk.ID, ParticipantID: p.ID, AuthorName: "New", Body: "after"}
	must(t, "CreateQuestion", ps.CreateQuestion(ctx, q, nil))
	if q.ID <= f.held.ID {
		t.Errorf("new question id %d, want one above the copied ones", q.ID)
	}
	_, _, before, err := ps.PollResults(ctx, f.words.ID)
	must(t, "PollResults", err)
	must(t, "CastVote", ps.CastVote(ctx, &koe.Vote{PollID: f.words.ID, EventID: f.event.ID, TalkID: f.talk.ID, ParticipantID: p.ID,
		Keys: []string{"go"}, Text: "go", Status: koe.StatusApproved}, nil))
	if _, _, v, err := ps.PollResults(ctx, f.words.ID); err != nil || v <= before {
		t.Errorf("results version after a vote %d, %v; want more than %d", v, err, before)
	}
	// A consumer resumes where it was: the copied change after its cursor,
	// then the new ones. (The outbox hands out a change once no older
	// transaction of the server can still commit before it: under other
	// tests' load the new ones may take a moment.)
	var changes []koe.Change
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		changes, _, err = ps.Changes(ctx, want.cursor, 100)
		must(t, "Changes", err)
		if len(changes) >= 2 && changes[len(changes)-1].Pos.Tx != 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(changes) < 2 || changes[0].Pos.Tx != 0 || changes[0].Pos.ID <= want.cursor.ID || changes[len(changes)-1].Pos.Tx == 0 {
		t.Errorf("changes after the copied cursor: %+v", changes)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, "json", err)
	return string(b)
}

// TestCopyRefusesNonEmpty: a target with rows, even of a copy, is refused.
func TestCopyRefusesNonEmpty(t *testing.T) {
	ctx := t.Context()
	path, _, _ := filled(t)
	pgURL := testenv.PostgresDatabase(t)
	ps, err := postgres.Open(ctx, pgURL)
	must(t, "postgres.Open", err)
	must(t, "CreateEvent", ps.CreateEvent(ctx, &koe.Event{Slug: "there", Title: "There", TimeZone: "UTC"}))
	ps.Close()
	_, err = Copy(ctx, path, pgURL, nil)
	if err == nil || !strings.Contains(err.Error(), "not empty (table events has rows)") {
		t.Fatalf("Copy into a database with an event = %v, want a refusal", err)
	}
}

// TestCopyVerifyFails: the verification sees a changed value, a missing
// row and an extra one.
func TestCopyVerifyFails(t *testing.T) {
	ctx := t.Context()
	path, f, _ := filled(t)
	pgURL := testenv.PostgresDatabase(t)
	_, err := Copy(ctx, path, pgURL, nil)
	must(t, "Copy", err)
	pc, err := pgx.Connect(ctx, pgURL)
	must(t, "connect", err)
	defer pc.Close(context.Background())
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := pc.Exec(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, change, undo, want string
		id                       int64
	}{
		{"text", `UPDATE questions SET body = 'changed' WHERE id = $1`, `UPDATE questions SET body = 'How do type sets work? 型セット' WHERE id = $1`,
			fmt.Sprintf(`table questions, row (id=%d) (PostgreSQL row (id=%d)), column body: SQLite has "How do type sets work? 型セット", PostgreSQL "changed"`, f.question.ID, f.question.ID), f.question.ID},
		{"time", `UPDATE questions SET created_at = created_at + interval '1 microsecond' WHERE id = $1`, `UPDATE questions SET created_at = created_at - interval '1 microsecond' WHERE id = $1`,
			"column created_at", f.question.ID},
		{"json", `UPDATE events SET settings = settings || '{"x": 1}' WHERE id = $1`, `UPDATE events SET settings = settings - 'x' WHERE id = $1`,
			"column settings", f.event.ID},
	} {
		exec(tc.change, tc.id)
		_, err := Verify(ctx, path, pgURL, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Verify = %v, want an error with %q", tc.name, err, tc.want)
		}
		exec(tc.undo, tc.id)
	}
	_, err = Verify(ctx, path, pgURL, nil)
	must(t, "Verify(undone)", err)

	exec(`DELETE FROM talk_reactions WHERE emoji = '👏'`)
	if _, err := Verify(ctx, path, pgURL, nil); err == nil || !strings.Contains(err.Error(), "table talk_reactions: PostgreSQL has") {
		t.Errorf("Verify after a delete = %v", err)
	}
	exec(`INSERT INTO talk_reactions (talk_id, emoji, count) VALUES ($1, '👏', 3), ($1, '🙏', 1)`, f.talk.ID)
	if _, err := Verify(ctx, path, pgURL, nil); err == nil || !strings.Contains(err.Error(), "table talk_reactions: SQLite has 2 rows, PostgreSQL more") {
		t.Errorf("Verify after an insert = %v", err)
	}
}

// TestCopyPlanCovers: every column of either schema is copied or has a
// rule; a column or table added to one side only stops the copy.
func TestCopyPlanCovers(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "koe.db")
	s, err := sqlite.Open(ctx, path)
	must(t, "sqlite.Open", err)
	s.Close()
	pgURL := testenv.PostgresDatabase(t)
	ps, err := postgres.Open(ctx, pgURL)
	must(t, "postgres.Open", err)
	ps.Close()

	sdb, err := openSQLite(path)
	must(t, "open", err)
	defer sdb.Close()
	pc, err := pgx.Connect(ctx, pgURL)
	must(t, "connect", err)
	defer pc.Close(context.Background())

	plan, err := buildPlan(ctx, sdb, pc)
	must(t, "buildPlan", err)
	// Each rule still applies to something: a stale one hides nothing.
	cols := map[string]bool{}
	for _, tb := range plan {
		for _, c := range tb.cols {
			cols[tb.name+"."+c.name] = true
		}
	}
	for k := range derivedColumns {
		if !cols[k] {
			t.Errorf("rule for %s, which PostgreSQL has not", k)
		}
	}
	for k := range derivedTables {
		if !slices.ContainsFunc(plan, func(tb *table) bool { return tb.name == k }) {
			t.Errorf("rule for table %s, which PostgreSQL has not", k)
		}
	}
	// The order fills referenced tables first.
	pos := map[string]int{}
	for i, tb := range plan {
		pos[tb.name] = i
	}
	if pos["events"] > pos["talks"] || pos["talks"] > pos["questions"] || pos["polls"] > pos["poll_versions"] {
		t.Errorf("order %v", slices.Collect(maps.Keys(pos)))
	}

	for _, tc := range []struct {
		db   func() error
		want string
	}{
		{func() error {
			_, err := pc.Exec(ctx, `ALTER TABLE talks ADD COLUMN koe_extra text NOT NULL DEFAULT ''`)
			return err
		},
			"PostgreSQL column talks.koe_extra has no SQLite column and no rule"},
		{func() error { _, err := pc.Exec(ctx, `CREATE TABLE koe_extra (id bigint PRIMARY KEY)`); return err },
			"PostgreSQL table koe_extra has no SQLite table and no rule"},
		{func() error {
			_, err := sdb.ExecContext(ctx, `ALTER TABLE events ADD COLUMN koe_extra TEXT`)
			return err
		},
			"SQLite column events.koe_extra has no PostgreSQL column and no rule"},
		{func() error {
			_, err := sdb.ExecContext(ctx, `CREATE TABLE koe_extra2 (id INTEGER PRIMARY KEY)`)
			return err
		},
			"SQLite table koe_extra2 has no PostgreSQL table and no rule"},
		{func() error { _, err := pc.Exec(ctx, `ALTER TABLE events ADD COLUMN koe_budget numeric`); return err },
			"column events.koe_budget has type numeric, which the copy does not convert"},
	} {
		must(t, "change schema", tc.db())
		_, err := buildPlan(ctx, sdb, pc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("buildPlan = %v, want an error with %q", err, tc.want)
		}
	}
}

// TestCopyRefusesOtherVersion: the source must be at this koe's schema.
func TestCopyRefusesOtherVersion(t *testing.T) {
	ctx := t.Context()
	path, _, _ := filled(t)
	db, err := sql.Open("sqlite", path)
	must(t, "open", err)
	_, err = db.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, 1)`)
	must(t, "insert", err)
	db.Close()
	_, err = Copy(ctx, path, "postgres://nowhere.invalid/koe", nil)
	if err == nil || !strings.Contains(err.Error(), "has schema version 9999 and this koe's is") {
		t.Errorf("Copy of a newer schema = %v", err)
	}
	_, err = Copy(ctx, filepath.Join(t.TempDir(), "none.db"), "postgres://nowhere.invalid/koe", nil)
	if err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Errorf("Copy of nothing = %v", err)
	}
}

// TestCopyBadValue: a value the copy cannot convert stops it, naming the
// row and column, and leaves the target as empty as it was (one
// transaction), so that the copy can be run again once it is fixed.
func TestCopyBadValue(t *testing.T) {
	ctx := t.Context()
	path, _, _ := filled(t)
	db, err := sql.Open("sqlite", path)
	must(t, "open", err)
	// posts.hidden has no CHECK in SQLite: a 2 can be there.
	_, err = db.ExecContext(ctx, `UPDATE posts SET hidden = 2 WHERE id = 1`)
	must(t, "update", err)
	pgURL := testenv.PostgresDatabase(t)
	_, err = Copy(ctx, path, pgURL, nil)
	if err == nil || !strings.Contains(err.Error(), "table posts, row (id=1), column hidden: a boolean must be 0 or 1, not 2") {
		t.Fatalf("Copy with a bad boolean = %v", err)
	}
	pc, err := pgx.Connect(ctx, pgURL)
	must(t, "connect", err)
	defer pc.Close(context.Background())
	var n int64
	must(t, "count", pc.QueryRow(ctx, `SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM accounts) + (SELECT count(*) FROM outbox)`).Scan(&n))
	if n != 0 {
		t.Errorf("a failed copy left %d rows", n)
	}
	_, err = db.ExecContext(ctx, `UPDATE posts SET hidden = 1 WHERE id = 1`)
	must(t, "update", err)
	db.Close()
	_, err = Copy(ctx, path, pgURL, nil)
	must(t, "Copy(again)", err)
}
